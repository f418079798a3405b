"""The README's survey walk-through runs as written, from a forms export to a peer-support
run that reaches the people who say they have no one."""

from __future__ import annotations

import csv
import os
import shlex
import shutil
from pathlib import Path

import pytest

from tests.paths import ROOT
from tests.support import RunCli


def _walk() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- survey-walk -->", 1)[1].split("<!-- /survey-walk -->", 1)[0]
    script = block.split("```sh", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    return [shlex.split(line) for line in script.splitlines() if line.strip()]


def test_the_readme_survey_walk_runs_as_written(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    commands = _walk()
    assert [c[:2] for c in commands] == [
        ["matcher", "generate"],
        ["matcher", "ingest"],
        ["matcher", "analyze"],
        ["matcher", "assign"],
    ]
    for command in commands:
        run_cli(*command[1:], "--quiet")
    pulse = tmp_path / "demo-out" / "pulse"
    with (pulse / "survey.csv").open(encoding="utf-8") as handle:
        answers = list(csv.DictReader(handle))
    said = {a["respondent_id"] for a in answers if not a["turn_to"] and a["has_someone"] != "true"}
    with (pulse / "support" / "assignments.csv").open(encoding="utf-8") as handle:
        seekers = {row["seeker_id"] for row in csv.DictReader(handle)}
    assert said and said <= seekers | _unmatched(pulse / "support")
    assert os.path.getsize(pulse / "support" / "pairs.csv") > 0


def _unmatched(folder: Path) -> set[str]:
    with (folder / "unmatched.csv").open(encoding="utf-8") as handle:
        return {row["seeker_id"] for row in csv.DictReader(handle)}
