"""Fixtures of the HR review tests: a small generated org and a mentoring program over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import RunCli, run_cli

PROGRAM = """[data]
employees = "{org}/employees.csv"
interactions = "{org}/interactions.csv"

[[program]]
name = "mentoring"
kind = "mentor"
period = "2026Q4"
seekers = {{ roles = ["mentee"] }}
providers = {{ roles = ["mentor"] }}
capacity = {{ default = 2 }}

[program.rules]
same_team = "forbidden"
"""


@pytest.fixture(scope="session")
def small_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mentoring program file over a generated 150-person org."""
    root = tmp_path_factory.mktemp("small-quarter")
    run_cli("generate", "--employees", 150, "--seed", 3, "--out", root / "org", "--quiet")
    program = root / "mentoring.toml"
    program.write_text(PROGRAM.format(org=(root / "org").as_posix()), encoding="utf-8")
    return program


def propose(run_cli: RunCli, program: Path, out: Path, db: Path, *extra: str) -> str:
    summary = json.loads(
        run_cli("assign", program, "--out", out, "--db", db, "--json", "--quiet", *extra).stdout
    )
    return str(summary["programs"]["mentoring"]["run_id"])
