"""The quarter's loop: assign, commit, evaluate, assign again. With ``no_repeat_counts =
"met"`` a pair that never met may be tried again; a pair that met may not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matcher.assignment.checks.pair_rules import recent_pairs
from matcher.assignment.checks.violations import HistoryPair
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.repeats import history_for
from matcher.history import History
from matcher.model import Employee, Org
from tests.evaluation.conftest import Planted, Quarter, program_file
from tests.evaluation.test_evaluate_cli import evaluate_args
from tests.support import RunCli

NEXT = "2027Q1"


def mentoring_outcomes(db: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The 2026Q4 mentoring pairs that met and those that did not."""
    with History(db) as history:
        run = next(r for r in history.runs() if r.program == "mentoring")
        outcomes = history.outcomes(run.run_id)
    met = [(o.seeker_id, o.provider_id) for o in outcomes if o.met]
    unmet = [(o.seeker_id, o.provider_id) for o in outcomes if not o.met]
    return met, unmet


def assign_next(
    run_cli: RunCli,
    quarter: Quarter,
    db: Path,
    folder: Path,
    *,
    counts: str | None,
    must: tuple[str, str],
) -> dict[str, Any]:
    """The 2027Q1 mentoring block of assign's summary (no_repeat_periods = 4 and ``counts``)."""
    extra = "no_repeat_periods = 4" + (f'\nno_repeat_counts = "{counts}"' if counts else "")
    programs = program_file(folder, quarter.files, NEXT, extra=extra, must=must)
    result = run_cli(
        "assign", programs, "--program", "mentoring", "--out", folder / f"next-{counts}",
        "--db", db, "--json",
    )  # fmt: skip
    block: dict[str, Any] = json.loads(result.stdout)["programs"]["mentoring"]
    return block


def refused(block: dict[str, Any]) -> bool:
    return block["status"] == "infeasible" and any(
        "breaks the rule no_repeat_periods" in c for c in block["conflicts"]
    )


def commit_latest(db: Path) -> None:
    """Commit the latest proposal of the next quarter (the feasible one)."""
    with History(db) as history:
        latest = [r for r in history.runs() if r.period == NEXT and r.state == "proposed"][-1]
        history.commit(latest.run_id)


def test_a_pair_that_never_met_may_be_tried_again_next_quarter(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    run_cli(*evaluate_args(committed_quarter, planted, db, tmp_path / "eval"), "--quiet")
    met, unmet = mentoring_outcomes(db)
    assert met and unmet
    retry = unmet[0]

    # by default every committed pair counts as a repeat: the must pair breaks no_repeat_periods
    assert refused(assign_next(run_cli, committed_quarter, db, tmp_path, counts=None, must=retry))

    # counting only the pairs that met, the unmet pair is made again and committed
    block = assign_next(run_cli, committed_quarter, db, tmp_path, counts="met", must=retry)
    assert block["status"] in ("optimal", "feasible")
    commit_latest(db)
    with History(db) as history:
        again = next(r for r in history.runs() if r.period == NEXT and r.state == "committed")
        pairs = [(s, p) for s, p, _ in history.run_pairs(again.run_id)]
    assert retry in pairs
    # …and no pair that met is made again
    assert not set(met) & set(pairs)

    # a pair that met stays a repeat, whatever the setting
    assert refused(assign_next(run_cli, committed_quarter, db, tmp_path, counts="met", must=met[0]))


def test_without_an_evaluation_every_committed_pair_still_counts(
    committed_quarter: Quarter, run_cli: RunCli, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    with History(db) as history:
        run = next(r for r in history.runs() if r.program == "mentoring")
        pair = history.run_pairs(run.run_id)[0][:2]
    assert refused(assign_next(run_cli, committed_quarter, db, tmp_path, counts="met", must=pair))


def test_history_and_checker_agree_on_which_pairs_count() -> None:
    org = Org([Employee(id=i) for i in ("S1", "P1", "S2", "P2", "S3", "P3")])
    rows = [
        ("mentor", "S1", "P1", "2026Q4", True),
        ("mentor", "S2", "P2", "2026Q4", False),
        ("mentor", "S3", "P3", "2026Q4", None),
        (None, "S2", "P1", "2026Q3"),
    ]
    for counts, expected in (
        ("all", {("S1", "P1"), ("S2", "P2"), ("S3", "P3"), ("S2", "P1")}),
        ("met", {("S1", "P1"), ("S3", "P3"), ("S2", "P1")}),
    ):
        spec = ProgramSpec.model_validate(
            {
                "name": "m",
                "kind": "mentor",
                "period": "2027Q1",
                "rules": {"no_repeat_periods": 2, "no_repeat_counts": counts},
            }
        )
        history = history_for(spec, org, rows)
        recent = history.recent.tocoo()
        found = {
            (org.ids[i], org.ids[j]) for i, j in zip(recent.row, recent.col, strict=True) if i < j
        }
        assert found == {tuple(sorted(p, key=org.ids.index)) for p in expected}
        penalised = history.penalty.tocoo()
        assert {
            (org.ids[i], org.ids[j])
            for i, j in zip(penalised.row, penalised.col, strict=True)
            if i < j
        } == found
        checker = recent_pairs(spec, [HistoryPair(*row) for row in rows])
        assert {frozenset(k) for k, v in checker.items() if v} == {frozenset(p) for p in expected}
