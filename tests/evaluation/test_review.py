"""Defects found in review of ``matcher evaluate`` (issue #14), each pinned by a test."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from matcher.errors import ConfigError
from matcher.evaluation.effect import difference_in_differences
from matcher.evaluation.outcomes import NEVER, PairOutcomes, Window
from matcher.evaluation.scorecard import MIN_GROUP, PeriodState, ProgramPairs, program_card
from matcher.io.calibration import read_calibration
from matcher.workflows.evaluate import EvaluateRequest, evaluate_files
from tests.evaluation.conftest import PERIOD, Planted, Quarter
from tests.support import RunCli

WINDOW = Window(dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, tzinfo=dt.UTC))


def card_of(
    n: int,
    seekers: list[int],
    providers: list[int],
    flagged: list[int],
    selected: list[int] | None,
    *,
    kind: str = "mentor",
    new_ties: list[int] = (),  # type: ignore[assignment]
):
    """A program card on a hand-made org of ``n`` people: ``flagged`` isolated before, the
    ``new_ties`` people each gain a strong tie with person ``n - 1`` during the period."""
    isolated = np.zeros(n, bool)
    isolated[flagged] = True
    before = sp.csr_matrix((n, n), dtype=bool)
    after = sp.lil_matrix((n, n), dtype=bool)
    for k in new_ties:
        after[k, n - 1] = after[n - 1, k] = True
    s, p = np.array(seekers, np.int64), np.array(providers, np.int64)
    state = PeriodState(
        n=n,
        isolated_after=np.zeros(n, bool),
        peripheral_after=np.zeros(n, bool),
        strong_after=sp.csr_matrix(after),
        isolated_before=isolated,
        peripheral_before=np.zeros(n, bool),
        strong_before=before,
    )
    outcomes = PairOutcomes(
        seeker=s,
        provider=p,
        score=np.ones(len(s)),
        first_met=np.full(len(s), NEVER, np.int64),
        strong_before=np.zeros(len(s), bool),
        strong_after=np.zeros(len(s), bool),
    )
    mask = None
    if selected is not None:
        mask = np.zeros(n, bool)
        mask[selected] = True
    pairs = ProgramPairs("p", kind, "2026Q4", ["p@2026Q4#1"], s, p, np.ones(len(s)), selected=mask)
    paired = np.zeros(n, bool)
    paired[s] = paired[p] = True
    return program_card(pairs, outcomes, state, WINDOW, paired_in_period=paired)


def small_numbers(value: object) -> list[int]:
    """Every integer 1-4 that a JSON block states as a count of people."""
    found: list[int] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("treated", "comparison") and isinstance(item, int) and 0 < item < MIN_GROUP:
                found.append(item)
            found += small_numbers(item)
    elif isinstance(value, str):
        found += [int(m) for m in re.findall(r"\b(?:matched|comparison) ([1-4])\b", value)]
    return found


def test_the_effect_does_not_state_the_size_of_a_group_under_five() -> None:
    # 3 flagged seekers matched (0-2), 12 flagged people not paired (13-24)
    card = card_of(40, [0, 1, 2], [30, 31, 32], [0, 1, 2, *range(13, 25)], None)
    block = card.block
    assert block["flagged_matched"] is None  # suppressed: 3 people
    assert small_numbers(block["effect"]) == []
    assert small_numbers(block["difference_in_differences"]) == []


def test_the_comparison_split_hides_both_sides_when_one_could_be_recovered() -> None:
    # 6 flagged seekers matched; 3 flagged seekers left unmatched (selected), 9 flagged people
    # not selected: shown together as the comparison (12), so 9 shown would give away the 3
    matched = list(range(6))
    unmatched = [6, 7, 8]
    not_selected = list(range(9, 18))
    card = card_of(
        40,
        matched,
        [30, 31, 32, 33, 34, 35],
        matched + unmatched + not_selected,
        matched + unmatched,
        new_ties=[6, 9, 10],
    )
    block = card.block
    assert block["flagged_unmatched"] is None and block["flagged_unmatched_tie_share"] is None
    assert block["effect"]["comparison"] == 12  # shown: 12 people
    # the not-selected side would give the unmatched side away by subtraction
    assert block["flagged_not_selected"] is None
    assert block["flagged_not_selected_tie_share"] is None
    shown = {m for m, v, _, _ in card.rows if v is not None}
    assert "flagged_not_selected" not in shown and "flagged_not_selected_tie_share" not in shown


@pytest.mark.parametrize(
    ("n_treated", "n_comparison", "before", "after_treated", "after_comparison"),
    [(5, 5, 0.2, 0.3, 0.2), (6, 10, 0.05, 0.1, 0.05), (8, 8, 0.1, 0.2, 0.1)],
)
def test_the_difference_in_differences_interval_covers_95_percent_of_small_groups(
    n_treated: int, n_comparison: int, before: float, after_treated: float, after_comparison: float
) -> None:
    # the percentile bootstrap covered 79%, 63% and 83% of these
    rng = np.random.default_rng(14)
    truth = (after_treated - before) - (after_comparison - before)
    covered, samples = 0, 400
    for _ in range(samples):
        did = difference_in_differences(
            rng.random(n_treated) < before,
            rng.random(n_treated) < after_treated,
            rng.random(n_comparison) < before,
            rng.random(n_comparison) < after_comparison,
        )
        assert did.ci95 is not None
        covered += did.ci95[0] <= truth <= did.ci95[1]
    assert covered / samples >= 0.93


def test_no_change_in_anyone_is_not_a_certain_zero() -> None:
    nobody = np.zeros(10, bool)
    did = difference_in_differences(nobody, nobody, nobody[:7], nobody[:7])
    assert did.estimate == 0 and did.ci95 is not None
    assert did.ci95[0] < -0.1 and did.ci95[1] > 0.1


def test_a_peer_program_matches_both_people_of_a_pair() -> None:
    # peer pairs are mutual: assign counts both sides as matched; so must the scorecard.
    # flagged people 0-9 in five pairs, half of them on the "provider" side
    card = card_of(
        40,
        [0, 2, 4, 6, 8],
        [1, 3, 5, 7, 9],
        list(range(10)) + list(range(20, 26)),
        None,
        kind="peer",
    )
    assert card.block["flagged_matched"] == 10
    assert card.block["effect"]["treated"] == 10


def test_since_moves_the_window_but_not_the_state_before_the_period(
    committed_quarter: Quarter, planted: Planted, tmp_path: Path
) -> None:
    # "a tie formed when ... was not in the analysis before the period": a later --since
    # must not move "before" into the period (ties formed in its first weeks would vanish)
    outcome = evaluate_files(
        EvaluateRequest(
            db=committed_quarter.db,
            employees=committed_quarter.files.employees,
            interactions=planted.interactions,
            before_interactions=committed_quarter.files.interactions,
            period=PERIOD,
            since=dt.date(2026, 11, 1),
            out_dir=tmp_path / "out",
            record=False,
        )
    )
    assert outcome.summary["window"]["start"].startswith("2026-11-01")
    assert "as of 2026-09-30" in outcome.summary["before"], outcome.summary["before"]


@pytest.mark.parametrize(
    "programs",
    [
        {"mentoring": 3},
        {"mentoring": {"kind": "mentor", "pairs": 20, "ties_formed": 4, "calibration": 7}},
        {
            "mentoring": {
                "kind": "mentor",
                "pairs": 20,
                "ties_formed": 4,
                "calibration": {"fit_effect": {"estimate": 0.5, "ci95": None}},
            }
        },
    ],
)
def test_calibrate_names_a_malformed_evaluation_file(programs: object, tmp_path: Path) -> None:
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps({"period": "2026Q4", "programs": programs}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"evaluation\.json"):
        read_calibration(path)


def test_calibrate_from_an_evaluation_with_nothing_observed_is_an_error(tmp_path: Path) -> None:
    # every figure suppressed (or no data from before): nothing to calibrate from
    block = {"kind": "mentor", "pairs": 3, "ties_formed": None, "calibration": None}
    path = tmp_path / "evaluation.json"
    path.write_text(
        json.dumps({"period": "2026Q4", "programs": {"mentoring": block}}), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="no program of 2026Q4 has figures to calibrate"):
        read_calibration(path)


def test_overlapping_before_and_after_files_count_a_row_once(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    """Giving the quarter after also as the 'before' file (or files that overlap) must not
    double the rows they share: the after file holds the overlap."""
    db = committed_quarter.copy_db(tmp_path)
    common = [
        "evaluate", "--db", db, "--period", PERIOD, "--employees",
        committed_quarter.files.employees, "--interactions", planted.interactions, "--no-record",
    ]  # fmt: skip
    alone = run_cli(*common, "--before-interactions", committed_quarter.files.interactions,
                    "--out", tmp_path / "alone", "--json", "--quiet")  # fmt: skip
    both = tmp_path / "both.csv"
    both.write_bytes(
        committed_quarter.files.interactions.read_bytes()
        + b"".join(planted.interactions.read_bytes().splitlines(keepends=True)[1:])
    )
    overlapping = run_cli(*common, "--before-interactions", both, "--out", tmp_path / "both",
                          "--json", "--quiet")  # fmt: skip
    first, second = json.loads(alone.stdout), json.loads(overlapping.stdout)
    assert first["programs"] == second["programs"] and first["org"] == second["org"]
