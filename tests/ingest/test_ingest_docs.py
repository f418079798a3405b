"""docs/ingest.md: the ready Workday mapping it shows is the built-in one, and its walk-through
(ingest, then analyze and assign) runs on the fixture exports."""

from __future__ import annotations

import csv
from pathlib import Path

from matcher.cli import main
from matcher.ingest.hris import WORKDAY_MAPPING
from tests.paths import FIXTURES, ROOT
from tests.support import RunCli


def test_the_documented_workday_mapping_is_the_built_in_one() -> None:
    docs = (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    assert f"```toml\n{WORKDAY_MAPPING}```" in docs


def test_walk_through_from_exports_to_assignments(tmp_path: Path, run_cli: RunCli) -> None:
    assert "ingest" in main.commands
    employees = FIXTURES / "employees.csv"
    interactions = tmp_path / "data" / "interactions.csv"
    window = ["--start", "2026-09-01", "--end", "2026-09-30"]
    common = ["--employees", str(employees), "--aliases", str(FIXTURES / "aliases.csv")]
    steps = [
        ["ingest", str(FIXTURES / "slack"), *common, "--out", str(interactions), *window],
        [
            "ingest",
            str(FIXTURES / "calendar.ics"),
            str(FIXTURES / "graph"),
            *common,
            "--out",
            str(interactions),
            "--append",
            *window,
        ],
        [
            "analyze",
            "--employees",
            str(employees),
            "--interactions",
            str(interactions),
            "--out",
            str(tmp_path / "out" / "analysis"),
        ],
    ]
    for args in steps:
        run_cli(*args, "--quiet")
    program = tmp_path / "pilot.toml"
    program.write_text(
        f'[data]\nemployees = "{employees}"\ninteractions = "{interactions}"\n\n'
        '[[program]]\nname = "pilot"\nkind = "buddy"\nperiod = "2026Q4"\n'
        'seekers = { ids = ["E1", "E2"] }\nproviders = { ids = ["E3", "E4", "E6"] }\n'
        "capacity = { default = 1 }\n",
        encoding="utf-8",
    )
    run_cli(
        "assign",
        program,
        "--analysis",
        tmp_path / "out" / "analysis",
        "--out",
        tmp_path / "out" / "pilot",
        "--db",
        tmp_path / "matcher.db",
        "--quiet",
    )
    with (tmp_path / "out" / "pilot" / "pairs.csv").open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    assert sorted(p["seeker_id"] for p in pairs) == ["E1", "E2"]
