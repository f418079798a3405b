"""docs/ingest.md: the ready Workday mapping it shows is the built-in one, and its walk-through
(ingest, then analyze and assign) runs on the fixture exports."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from matcher.ingest.hris import WORKDAY_MAPPING
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def test_the_documented_workday_mapping_is_the_built_in_one() -> None:
    docs = (ROOT / "docs" / "ingest.md").read_text(encoding="utf-8")
    assert f"```toml\n{WORKDAY_MAPPING}```" in docs


def test_walk_through_from_exports_to_assignments(tmp_path: Path) -> None:
    from matcher.cli import main

    assert "ingest" in main.commands
    runner = CliRunner()
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
        result = runner.invoke(main, [*args, "--quiet"])
        assert result.exit_code == 0, result.output
    program = tmp_path / "pilot.toml"
    program.write_text(
        f'[data]\nemployees = "{employees}"\ninteractions = "{interactions}"\n\n'
        '[[program]]\nname = "pilot"\nkind = "buddy"\nperiod = "2026Q4"\n'
        'seekers = { ids = ["E1", "E2"] }\nproviders = { ids = ["E3", "E4", "E6"] }\n'
        "capacity = { default = 1 }\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        main,
        [
            "assign",
            str(program),
            "--analysis",
            str(tmp_path / "out" / "analysis"),
            "--out",
            str(tmp_path / "out" / "pilot"),
            "--db",
            str(tmp_path / "matcher.db"),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "pilot" / "pairs.csv").open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    assert sorted(p["seeker_id"] for p in pairs) == ["E1", "E2"]
