"""Fixtures running ``matcher ingest`` on the fixture exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.ingest.exports import ALIASES, EMPLOYEES, SEPTEMBER, IngestExport, IngestSeptember
from tests.support import ExitCodes, RunCli


@pytest.fixture
def ingest_export(run_cli: RunCli) -> IngestExport:
    """``ingest_export(folder, source, *extra)``: ``matcher ingest source`` for September 2026,
    with the fixture employees and aliases, into ``folder/interactions.csv``; it must succeed.
    Returns that file and the ``--json`` summary."""

    def ingest(folder: Path, source: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
        out = folder / "interactions.csv"
        result = run_cli(
            "ingest",
            source,
            "--employees",
            EMPLOYEES,
            "--aliases",
            ALIASES,
            "--out",
            out,
            *SEPTEMBER,
            "--json",
            *extra,
        )
        return out, json.loads(result.stdout)

    return ingest


@pytest.fixture
def ingest_september(run_cli: RunCli, tmp_path: Path) -> IngestSeptember:
    """``ingest_september(source, *extra, code=0)``: ``matcher ingest source`` for September
    2026, with the fixture employees (no aliases), into ``tmp_path/interactions.csv``."""

    def ingest(source: Path, *extra: str, code: ExitCodes = 0) -> Result:
        return run_cli(
            "ingest",
            source,
            "--employees",
            EMPLOYEES,
            "--out",
            tmp_path / "interactions.csv",
            *SEPTEMBER,
            *extra,
            code=code,
        )

    return ingest
