"""The effect's interval: reference values, its properties, and coverage of a planted effect."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.evaluation.effect import (
    difference_in_differences,
    fit_effect,
    score_fit,
    share_difference,
    wilson,
)
from matcher.synthetic.followup import planted_effect
from matcher.workflows.evaluate import EvaluateRequest, evaluate_files
from tests.evaluation.conftest import PERIOD, Quarter, write_follow_up


def outcomes(successes: int, n: int) -> np.ndarray:
    return np.arange(n) < successes


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10
        ((56, 70), (48, 80), 0.0524, 0.3339),
        ((9, 10), (3, 10), 0.1705, 0.8090),
        ((6, 7), (2, 7), 0.0582, 0.8062),
        ((5, 56), (0, 29), -0.0381, 0.1926),
    ],
)
def test_newcombe_interval_matches_the_published_values(
    a: tuple[int, int], b: tuple[int, int], low: float, high: float
) -> None:
    effect = share_difference(outcomes(*a), outcomes(*b))
    assert effect.ci95 == pytest.approx((low, high), abs=6e-4)
    assert effect.estimate == pytest.approx(a[0] / a[1] - b[0] / b[1])


def test_wilson_matches_a_published_value() -> None:
    # Newcombe (1998), table I: 81/263 → 0.2553 to 0.3662
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=5e-4)


groups = st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(groups, groups)
def test_the_interval_contains_the_estimate_and_stays_within_minus_one_and_one(
    a: tuple[int, int], b: tuple[int, int]
) -> None:
    effect = share_difference(outcomes(*a), outcomes(*b))
    if a[1] < 5 or b[1] < 5:
        assert effect.estimate is None and effect.ci95 is None
        assert "fewer than 5" in (effect.note or "")
        return
    assert effect.ci95 is not None and effect.estimate is not None
    low, high = effect.ci95
    assert -1.0 <= low <= effect.estimate <= high <= 1.0


@given(groups, groups, groups, st.integers(0, 2**32 - 1))
def test_the_difference_in_differences_is_reproducible_and_holds_its_estimate(
    a: tuple[int, int], b: tuple[int, int], c: tuple[int, int], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    treated_before, comparison_before = outcomes(*a), outcomes(*b)
    treated_after = rng.permutation(outcomes(c[0] % (a[1] + 1), a[1]))
    comparison_after = rng.random(b[1]) < 0.3
    runs = [
        difference_in_differences(
            treated_before, treated_after, comparison_before, comparison_after
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    if runs[0].estimate is not None:
        assert runs[0].ci95 is not None
        expected = (treated_after.mean() - treated_before.mean()) - (
            comparison_after.mean() - comparison_before.mean()
        )
        assert runs[0].estimate == pytest.approx(expected)
        assert runs[0].ci95[0] <= runs[0].estimate <= runs[0].ci95[1]


def test_the_interval_covers_a_planted_difference_in_95_percent_of_samples() -> None:
    rng = np.random.default_rng(2026)
    truth, covered, samples = 0.45 - 0.15, 0, 400
    for _ in range(samples):
        effect = share_difference(rng.random(25) < 0.45, rng.random(40) < 0.15)
        assert effect.ci95 is not None
        covered += effect.ci95[0] <= truth <= effect.ci95[1]
    assert 0.92 <= covered / samples <= 0.99


def test_fit_effect_recovers_a_planted_slope() -> None:
    rng = np.random.default_rng(5)
    scores = rng.random(4000)
    fit = np.argsort(np.argsort(scores)) / 4000
    formed = rng.random(4000) < 0.3 * (1 + 0.8 * (fit - 0.5))
    effect = fit_effect(scores, formed, seed=1)
    assert effect.ci95 is not None and effect.ci95[0] <= 0.8 <= effect.ci95[1]
    assert fit_effect(scores[:10], formed[:10]).estimate is None


@settings(max_examples=60)
@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=20, max_size=60),
    st.data(),
)
def test_fit_effect_does_not_depend_on_the_order_of_tied_pairs(
    scores: list[float], data: st.DataObject
) -> None:
    """Scores tie often (a few score terms): the estimate and its interval are the same
    whatever order the pairs come in, and a constant score gives no estimate."""
    formed = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(scores), max_size=len(scores)))
    )
    s = np.array(scores)
    shuffled = np.array(data.draw(st.permutations(range(len(s)))))
    one, other = fit_effect(s, formed, seed=2), fit_effect(s[shuffled], formed[shuffled], seed=2)
    assert one == other
    if len(set(scores)) == 1:
        assert one.estimate is None


def test_mid_ranks_share_ties() -> None:
    fit = score_fit(np.array([2.0, 2.0, 1.0, 3.0, 2.0]))
    assert fit.tolist() == pytest.approx([0.5, 0.5, 0.1, 0.9, 0.5])


def test_evaluate_recovers_the_planted_effect_over_seeds(
    committed_quarter: Quarter, tmp_path: Path
) -> None:
    rates = {"met_rate": 0.7, "tie_given_met": 0.6, "background_rate": 0.1}
    planted = planted_effect(**rates)
    covered, total, formed, pairs = 0, 0, 0, 0
    for seed in range(10):
        after = write_follow_up(tmp_path / f"after-{seed}", committed_quarter, seed, **rates)
        outcome = evaluate_files(
            EvaluateRequest(
                db=committed_quarter.db,
                employees=committed_quarter.files.employees,
                interactions=after.interactions,
                before_interactions=committed_quarter.files.interactions,
                period=PERIOD,
                out_dir=tmp_path / f"out-{seed}",
                record=False,
                seed=seed,
            )
        )
        for block in outcome.summary["programs"].values():
            effect = block["effect"]
            assert effect["ci95"] is not None, effect
            total += 1
            covered += effect["ci95"][0] <= planted <= effect["ci95"][1]
            formed += block["ties_formed"]
            pairs += block["pairs"]
    assert covered >= 0.9 * total, (covered, total)
    # pairs that were already strong ties cannot form one: a few points under the planted rate
    planted_rate = rates["met_rate"] * rates["tie_given_met"]
    assert planted_rate - 0.06 <= formed / pairs <= planted_rate + 0.02
