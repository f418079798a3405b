"""Reading scenario files, loading their base org, and keeping finished cells for resuming."""

from __future__ import annotations

import functools
import json
import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from matcher.errors import ConfigError
from matcher.io.configs import read_toml, validate_model
from matcher.io.load import load_org
from matcher.model import Org
from matcher.simulation.cell import CellResult
from matcher.simulation.scenario import (
    RANDOM_SUFFIX,
    OrgSection,
    ResolvedVariant,
    ScenarioFile,
    apply_override,
    expand_variants,
)
from matcher.synthetic.generate import generate_org


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key=value`` from ``--set``; the value is read as TOML (``3``, ``0.5``, ``[1, 2]``, ``"x"``).

    >>> parse_assignment("org.generate.employees=500"), parse_assignment("scenario.name=demo")
    (('org.generate.employees', 500), ('scenario.name', 'demo'))
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {text!r}: write KEY=VALUE, e.g. --set scenario.replications=2")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.strip(), value


def load_scenario(
    path: str | Path, overrides: tuple[tuple[str, Any], ...] = ()
) -> tuple[ScenarioFile, list[ResolvedVariant]]:
    """Parse and validate a scenario file and every variant of it (sweeps expanded).

    ``overrides`` (from ``--set``) apply to the file before its variants do. Data paths become
    absolute (relative to the file). The random-pairing baseline twins come last.
    """
    path = Path(path)
    raw = read_toml(path)
    for key in ("program", "variant"):
        if isinstance(raw.get(key), dict):
            raw[key] = [raw[key]]
    for key, value in overrides:
        try:
            apply_override(raw, key, value)
        except ValueError as exc:
            raise ConfigError(f"--set {key}: {exc}") from exc
    org = raw.get("org")
    if isinstance(org, dict):
        for key in ("employees", "interactions"):
            if isinstance(org.get(key), str):
                org[key] = str((path.resolve().parent / org[key]).resolve())
    base = validate_model(ScenarioFile, {k: v for k, v in raw.items() if k != "variant"}, path)
    validate_model(ScenarioFile, raw, path)  # the variant tables themselves

    def check(data: dict[str, Any], where: str) -> None:
        validate_model(ScenarioFile, data, f"{path} ({where})")

    try:
        expanded = expand_variants(raw, check)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    variants = [
        ResolvedVariant(label, ScenarioFile.model_validate(data), "optimal", overrides_, order)
        for order, (label, data, overrides_) in enumerate(expanded)
    ]
    twins = variants[:1] if base.scenario.baseline == "first" else variants
    alone = len(variants) == 1
    variants += [
        ResolvedVariant(
            "random pairing" if alone else f"{v.label}{RANDOM_SUFFIX}",
            v.scenario,
            "random",
            v.overrides,
            len(variants) + k,
        )
        for k, v in enumerate(twins)
    ]
    return base, variants


@functools.lru_cache(maxsize=4)
def _load_cached(section_json: str) -> Org:
    section = OrgSection.model_validate_json(section_json)
    if section.generate is not None:
        spec = section.generate
        synthetic = generate_org(spec.employees, spec.seed, days=spec.days, end_date=spec.end_date)
        with tempfile.TemporaryDirectory(prefix="matcher-org-") as folder:
            employees = Path(folder) / "employees.parquet"
            interactions = Path(folder) / "interactions.parquet"
            pq.write_table(synthetic.employees, employees)
            pq.write_table(synthetic.interactions, interactions)
            org, _ = load_org(employees, interactions, as_of=synthetic.as_of)
        org.sources = {"generate": spec.model_dump_json()}
        return org
    assert section.employees is not None and section.interactions is not None
    org, _ = load_org(section.employees, section.interactions, as_of=section.as_of)
    return org


def load_base_org(section: OrgSection) -> Org:
    """The scenario's base org, loaded once per process (cells of one scenario share it)."""
    return _load_cached(
        section.model_dump_json(include={"generate", "employees", "interactions", "as_of"})
    )


class CellStore:
    """Finished cells, one JSON file each under ``DIR/cells/``, so a re-run resumes."""

    def __init__(self, out_dir: str | Path) -> None:
        self.folder = Path(out_dir) / "cells"

    def load(self, keys: set[str]) -> dict[str, CellResult]:
        found: dict[str, CellResult] = {}
        if not self.folder.is_dir():
            return found
        for file in self.folder.glob("*.json"):
            if file.stem not in keys:
                continue
            try:
                found[file.stem] = CellResult.from_dict(json.loads(file.read_text("utf-8")))
            except (ValueError, KeyError, TypeError):
                file.unlink(missing_ok=True)  # a damaged cell is simply run again
        return found

    def save(self, result: CellResult) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".cell-", dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(result.as_dict(), stream)
            os.replace(temporary, self.folder / f"{result.key}.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
