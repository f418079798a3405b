"""Long steps: a bar with counts on a terminal, one line per stage elsewhere, nothing with
--quiet."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from matcher.cli.options import Console
from matcher.workflows.common import counted_step
from tests.paths import SCENARIOS
from tests.support import OrgFiles, RunCli


def test_assign_prints_one_line_per_stage_outside_a_terminal(
    tmp_path: Path, run_cli: RunCli, org_files: OrgFiles
) -> None:
    args = [
        "assign",
        SCENARIOS / "mentoring.toml",
        "--employees",
        org_files.employees,
        "--interactions",
        org_files.interactions,
        "--time-limit",
        "20",
    ]
    result = run_cli(*args, "--out", tmp_path / "a", "--db", tmp_path / "a.db")
    stages = [line for line in result.stderr.splitlines() if line.startswith("matcher: ")]
    assert [re.sub(r" \(\d+\.\d s\)$", "", line) for line in stages] == [
        "matcher: loading data",
        "matcher: analysing 594 people",  # 600 less those who opted out
        "matcher: solving 1 program(s)",
    ]
    assert all(re.search(r" \(\d+\.\d s\)$", line) for line in stages)
    quiet = run_cli(*args, "--out", tmp_path / "b", "--db", tmp_path / "b.db", "--quiet")
    assert quiet.stderr == ""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_counted_step_shows_a_bar_with_counts_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    with Console(quiet=False).progress("solving 3 program(s)", 3) as advance:
        for done in (1, 2, 3):
            advance(done, 3)
    shown = screen.getvalue()
    assert "solving 3 program(s)" in shown
    assert [count for count in ("0/3", "1/3", "2/3", "3/3") if count in shown] == [
        "0/3",
        "1/3",
        "2/3",
        "3/3",
    ]
    assert "matcher: " not in shown  # the one-line form is for logs


def test_a_counted_step_prints_one_line_outside_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Console(quiet=False).progress("solving 2 program(s)", 2) as advance:
        advance(1, 2)
        advance(2, 2)
    assert re.fullmatch(r"matcher: solving 2 program\(s\) \(\d+\.\d s\)\n", capsys.readouterr().err)
    with Console(quiet=True).progress("solving 2 program(s)", 2) as advance:
        advance(2, 2)
    assert capsys.readouterr().err == ""


def test_a_reporter_without_progress_gets_its_plain_step() -> None:
    """A reporter written before counted steps existed (``step`` and ``warn`` only) still works."""
    steps: list[str] = []

    class Plain:
        @contextmanager
        def _step(self, message: str) -> Iterator[None]:
            steps.append(message)
            yield

        def step(self, message: str) -> AbstractContextManager[None]:
            return self._step(message)

        def warn(self, message: str) -> None:
            raise AssertionError(message)

    with counted_step(Plain(), "solving 2 program(s)", 2) as advance:
        advance(1, 2)
    assert steps == ["solving 2 program(s)"]
