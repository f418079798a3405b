"""Assign at scale (``python -m benchmarks assign-scale --size L|XL``): one mentoring program
with the flow structure, solved by ``matcher assign`` from a saved analysis (and, at L, analysing
again), timed as child processes with their peak memory, each target printed as met or missed.

* ``L``: the 100,000-person org of ``matcher generate --employees 100000 --seed 1``, 20,000
  seekers × 5,000 providers (the assign stage's program (a)).
* ``XL``: 200,000 seekers × 50,000 providers in the 1,000,000-person org of ``matcher
  generate --employees 1000000 --seed 1`` (its Parquet files, which ``matcher generate
  --parquet`` writes beside the CSV). ``--copies N`` uses the L org copied N times instead
  (ids suffixed, managers and interactions within each copy).

Seekers are chosen as in :mod:`benchmarks.assign_instances` (mentees, then people of level ≤ 2,
then anyone, never a mentor); providers are the mentors (a seeded sample), topped up with the
most senior people who are not seekers when there are too few. The rules and weights are the
mentoring contract's (:data:`benchmarks.assign_instances.RULES`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.assign_instances import (
    Person,
    choose_providers,
    choose_seekers,
    program_toml,
    read_people,
    write_if_changed,
)
from benchmarks.measure import (
    Measurement,
    analyze_command,
    display_command,
    matcher_command,
    run_measured,
)

GIB = 1024**3
SHAPES = {"L": (20_000, 5_000), "XL": (200_000, 50_000)}
TARGETS = {
    # (figure, seconds, GiB): None where the issue sets no target
    "L": {"saved": (12.0, 3.0), "again": (30.0, 3.0)},
    "XL": {"saved": (180.0, 12.0)},
}


def replicate_org(source: Path, copies: int, out: Path) -> None:
    """``copies`` of the org in ``source`` side by side in ``out`` (ids get ``-k`` suffixes)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    out.mkdir(parents=True, exist_ok=True)
    strings = pa.string()
    for name, id_columns in (
        ("employees.csv", ("id", "manager_id", "email")),
        ("interactions.csv", ("source", "target")),
    ):
        target = out / name
        if target.is_file():
            continue
        table = pacsv.read_csv(
            source / name,
            convert_options=pacsv.ConvertOptions(
                column_types={c: strings for c in (*id_columns, "mentor_capacity", "event_id")}
            ),
        )
        parts = []
        for k in range(copies):
            part = table
            for column in id_columns:
                if column not in part.column_names:
                    continue
                values = part[column]
                suffixed = pc.if_else(
                    pc.is_null(values), values, pc.binary_join_element_wise(values, f"-{k}", "")
                )
                part = part.set_column(part.column_names.index(column), column, suffixed)
            if "event_id" in part.column_names:
                values = part["event_id"]
                part = part.set_column(
                    part.column_names.index("event_id"),
                    "event_id",
                    pc.binary_join_element_wise(values, f"-{k}", ""),
                )
            parts.append(part)
        pacsv.write_csv(pa.concat_tables(parts), out / f".{name}")
        (out / f".{name}").rename(target)


def choose_xl_providers(
    people: list[Person], wanted: int, seed: int, seekers: set[str]
) -> list[str]:
    """Mentors (a seeded sample), then the most senior non-seekers, file order."""
    chosen = choose_providers(people, wanted, seed)
    if len(chosen) >= wanted:
        return chosen
    taken = set(chosen) | seekers
    rest = sorted(
        (p for p in people if p.id not in taken and p.level is not None),
        key=lambda p: -(p.level or 0),
    )
    extra = {p.id for p in rest[: wanted - len(chosen)]}
    keep = set(chosen) | extra
    return [p.id for p in people if p.id in keep]


@dataclass(frozen=True)
class Figure:
    label: str
    command: str
    measured: Measurement
    summary: dict[str, Any]
    target: tuple[float, float] | None

    def verdict(self) -> str:
        if self.target is None:
            return "no target"
        seconds, gib = self.target
        proven = (
            self.summary.get("status") == "optimal"
            and self.summary.get("bound_scope") == "all_eligible_pairs"
        )
        parts = [
            f"time ≤ {seconds:g} s: {'met' if self.measured.seconds <= seconds else 'missed'}",
            f"peak ≤ {gib:g} GiB: "
            f"{'met' if self.measured.peak_rss_bytes <= gib * GIB else 'missed'}",
            f"proven optimum: {'met' if proven else 'missed'}",
        ]
        return "; ".join(parts)


def run_scale(size: str, org: Path, work: Path, repeat: int, seed: int) -> list[Figure]:
    """Write the program, analyse once, then time ``assign`` ``repeat`` times each way."""
    n_seekers, n_providers = SHAPES[size]
    work.mkdir(parents=True, exist_ok=True)
    people = read_people(org / "employees.csv")
    seekers = choose_seekers(people, n_seekers, seed)
    providers = choose_xl_providers(people, n_providers, seed, set(seekers))
    program = work / "flow.toml"
    # Parquet where the org has it (the XL org: a quarter of the CSV's reading time)
    kind = "parquet" if (org / "interactions.parquet").is_file() and size == "XL" else "csv"
    employees, interactions = org / f"employees.{kind}", org / f"interactions.{kind}"
    text = program_toml("flow", seekers, providers, employees=employees, interactions=interactions)
    write_if_changed(program, text)
    root = Path.cwd()
    analysis = work / "analysis"
    if not (analysis / "summary.json").is_file():
        run_measured(
            analyze_command(employees, interactions, analysis, "--seed", str(seed)),
            cwd=root,
            log_dir=work / "logs" / "analyze",
        )
    ways = [("saved", "with the saved analysis (--analysis)", ["--analysis", str(analysis)])]
    if size == "L":
        ways.append(("again", "analysing again", []))
    figures = []
    for key, label, extra in ways:
        runs = []
        for k in range(repeat):
            out = work / "out" / f"{key}-{k}"
            db = work / "db" / f"{key}-{k}.db"
            db.parent.mkdir(parents=True, exist_ok=True)
            db.unlink(missing_ok=True)
            argv = [
                *matcher_command(),
                "assign",
                str(program),
                *extra,
                "--out",
                str(out),
                "--db",
                str(db),
                "--seed",
                str(seed),
                "--time-limit",
                "600",
                "--json",
            ]
            measured = run_measured(argv, cwd=root, log_dir=work / "logs" / f"{key}-{k}")
            summary = json.loads((work / "logs" / f"{key}-{k}" / "stdout.txt").read_text())
            runs.append((measured, summary["programs"]["bench-flow"], argv))
        runs.sort(key=lambda r: r[0].seconds)
        median = runs[len(runs) // 2]
        peak = max(r[0].peak_rss_bytes for r in runs)
        figures.append(
            Figure(
                label=f"matcher assign {label}, {len(seekers):,} × {len(providers):,}",
                command=display_command(median[2], root),
                measured=Measurement(median[0].seconds, peak),
                summary=median[1],
                target=TARGETS[size].get(key),
            )
        )
    return figures


def render(size: str, figures: list[Figure], command: str, org: Path, repeat: int) -> str:
    lines = [
        f"# Assign at {size}, {dt.date.today().isoformat()}",
        "",
        f"Produced by `{command}` on {os.cpu_count()} CPUs ({platform.platform()}); org "
        f"`{org}`; {repeat} run(s) each, median wall time, largest peak memory of the child "
        "process over its runs. The machine is shared: see the load note.",
        "",
        "| figure | wall (median) | peak memory | status | eligible pairs | targets | command |",
        "|---|---:|---:|---|---:|---|---|",
    ]
    for f in figures:
        s = f.summary
        lines.append(
            f"| {f.label} | {f.measured.seconds:.1f} s | {f.measured.peak_rss_bytes / GIB:.2f} GiB "
            f"| {s['status']}, {s['bound_scope']}, gap {s['gap']} | {s['eligible_pairs']:,} "
            f"| {f.verdict()} | `{f.command}` |"
        )
    load = os.getloadavg()
    lines += [
        "",
        f"Load average at the end (1, 5, 15 min): {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}.",
    ]
    for f in figures:
        s = f.summary
        lines.append(
            f"- {f.label}: objective {s['objective']}, {s['pairs']:,} pairs, coverage "
            f"{s['coverage']}, solve {s['solve_seconds']} s (inside the run)"
        )
    return "\n".join(lines) + "\n"
