"""The simulation report's sentences and summary.csv, on result tables built by hand.

No simulation runs here: the scenario file gives the variants, and each cell's rows are
written out, so every figure a sentence states can be checked against its inputs.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from matcher.io.scenarios import load_scenario
from matcher.io.simanswer import MIN_REPLICATIONS, headline, warnings
from matcher.io.simreport import SimulationRun, write_simulation
from matcher.io.write import atomic_output
from matcher.simulation.cell import CellResult
from matcher.simulation.stats import describe, difference, metric_bounds
from tests.paths import SCENARIOS

SCENARIO = SCENARIOS / "peer-support-staffing.toml"
MATCHER_5, MATCHER_40 = "supporters: trained_supporters=5", "supporters: trained_supporters=40"
RANDOM_5 = f"{MATCHER_5} · random pairing"


def hand_run(
    cells: dict[str, Sequence[tuple[float, float]]],
    *,
    start: float = 0.06,
    focus: str | None = None,
    ties: dict[str, Sequence[float]] | None = None,
) -> SimulationRun:
    """A 1-quarter staffing sweep (5 and 40 supporters, random twin at 5) with given cells.

    ``cells`` maps a variant label to one ``(flagged_coverage, final flagged_share)`` per seed;
    ``ties`` to its new strong ties per seed, ``focus`` replaces the scenario's focus metric.
    """
    overrides: tuple[tuple[str, object], ...] = (
        ("variant.0.sweep", {"org.trained_supporters": [5, 40]}),
        ("scenario.quarters", 1),
    )
    if focus is not None:
        overrides += (("scenario.focus", focus),)
    base, variants = load_scenario(SCENARIO, overrides)
    assert [v.label for v in variants] == [MATCHER_5, MATCHER_40, RANDOM_5]
    results = [
        CellResult(
            key=f"{label}-r{seed}",
            variant=label,
            replication=seed,
            rows=[
                (0, "flagged_share", start),
                (0, "flagged_coverage", coverage),
                (0, "peer-support.providers", 5.0 if "=5" in label else 40.0),
                (1, "flagged_share", share),
                *([(1, "new_strong_ties", ties[label][seed])] if ties else []),
            ],
            seconds=0.0,
        )
        for label, seeds in cells.items()
        for seed, (coverage, share) in enumerate(seeds)
    ]
    return SimulationRun(base, variants, results, 0.0, 0, "local", 1, str(SCENARIO))


def with_noise(value: float, spread: Sequence[float]) -> list[float]:
    return [value + s for s in spread]


def cells(
    m5: tuple[Sequence[float], Sequence[float]],
    m40: tuple[Sequence[float], Sequence[float]],
    r5: tuple[Sequence[float], Sequence[float]],
) -> dict[str, list[tuple[float, float]]]:
    """Per variant: its coverages and final shares by seed."""
    return {
        label: list(zip(*pair, strict=True))
        for label, pair in ((MATCHER_5, m5), (MATCHER_40, m40), (RANDOM_5, r5))
    }


def pct(value: float, digits: int) -> str:
    return f"{value:.{digits}%}"


def points(value: float, scale: float = 100.0) -> str:
    return f"{value * scale:+.1f}".replace("-", "\u2212")


def interval_points(
    a: Sequence[float], b: Sequence[float], scale: float = 100.0
) -> tuple[str, str]:
    """The 95% t-interval of the paired difference a − b as the report writes it (in points
    of a share by default)."""
    diffs = np.subtract(a, b)
    half = stats.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / math.sqrt(len(diffs))
    return points(diffs.mean() - half, scale), points(diffs.mean() + half, scale)


SPREAD = (-0.02, -0.01, 0.0, 0.01, 0.02)
"""Five seeds' offsets from a variant's mean (so the intervals are real and readable)."""


# ------------------------------------------------------------------- like with like


def test_random_pairing_is_compared_with_matcher_at_the_same_staffing() -> None:
    # The audit's case: matcher's best setting (40) ends lowest, random ran with 5 supporters,
    # and matcher at 5 ends no better than random.
    m5_share = with_noise(0.066, SPREAD)
    r5_share = with_noise(0.063, (0.01, -0.03, 0.0, 0.03, -0.01))
    run = hand_run(
        cells(
            (with_noise(0.30, SPREAD), m5_share),
            (with_noise(0.97, SPREAD), with_noise(0.050, SPREAD)),
            (with_noise(0.20, SPREAD), r5_share),
        )
    )
    sentences = headline(run)
    about_random = [s for s in sentences if "random" in s]
    assert len(about_random) == 2, sentences
    for sentence in about_random:
        assert sentence.startswith("With 5 trained supporters for both"), sentence
        assert "40 trained supporters" not in sentence, sentence
    coverage, share = about_random
    assert f"{pct(0.20, 0)} [" in coverage and f"against {pct(0.30, 0)} [" in coverage
    assert f"{pct(float(np.mean(r5_share)), 1)} [" in share
    assert f"against {pct(float(np.mean(m5_share)), 1)} [" in share
    # matcher's lowest share is reported on its own, not set against random pairing
    lowest = next(s for s in sentences if "lowest mean" in s)
    assert "40 trained supporters" in lowest and "random" not in lowest
    assert pct(0.050, 1) in lowest


def test_no_sentence_sets_one_setting_against_random_pairing_at_another() -> None:
    run = hand_run(
        cells(
            (with_noise(0.40, SPREAD), with_noise(0.07, SPREAD)),
            (with_noise(0.99, (0.0,) * 5), with_noise(0.04, SPREAD)),
            (with_noise(0.10, SPREAD), with_noise(0.08, SPREAD)),
        )
    )
    for sentence in headline(run):
        if "random" in sentence:
            assert "5 trained supporters" in sentence, sentence
            assert "40 trained supporters" not in sentence, sentence


# ------------------------------------------------------------------ within the noise


def test_a_difference_whose_interval_includes_zero_is_within_the_noise() -> None:
    m5_share = [0.066, 0.050, 0.080, 0.060, 0.074]
    r5_share = [0.063, 0.060, 0.070, 0.052, 0.070]
    run = hand_run(
        cells(
            (with_noise(0.30, SPREAD), m5_share),
            (with_noise(0.97, SPREAD), with_noise(0.05, SPREAD)),
            (with_noise(0.20, SPREAD), r5_share),
        )
    )
    assert difference(dict(enumerate(m5_share)), dict(enumerate(r5_share))).verdict == (
        "within_noise"
    )
    share = next(s for s in headline(run) if "random" in s and "isolated" in s)
    low, high = interval_points(m5_share, r5_share)
    assert "within the noise" in share and "includes 0" in share
    assert f"{low} to {high} points" in share
    gap = points(float(np.mean(m5_share) - np.mean(r5_share)))
    assert f"the difference between matcher and random pairing, {gap} points" in share
    assert "higher than" not in share and "lower than" not in share


def test_a_difference_beyond_the_noise_names_its_direction_and_interval() -> None:
    m5 = [0.30, 0.32, 0.28, 0.31, 0.29]
    r5 = [0.20, 0.21, 0.19, 0.22, 0.18]
    run = hand_run(
        cells(
            (m5, with_noise(0.06, SPREAD)),
            (with_noise(0.97, SPREAD), with_noise(0.05, SPREAD)),
            (r5, with_noise(0.06, SPREAD)),
        )
    )
    coverage = next(s for s in headline(run) if "random" in s and "matched" in s)
    low, high = interval_points(m5, r5)
    assert "matcher is 10.0 points higher than random pairing" in coverage
    assert f"seed by seed: {low} to {high} points" in coverage
    assert "within the noise" not in coverage


def test_the_sweep_sentence_says_when_settings_are_within_the_noise() -> None:
    # 40 supporters is not better than 5 beyond the noise: no "lowest" winner without saying so
    run = hand_run(
        cells(
            (with_noise(0.30, SPREAD), [0.060, 0.052, 0.049, 0.061, 0.050]),
            (with_noise(0.97, SPREAD), [0.050, 0.058, 0.051, 0.049, 0.052]),
            (with_noise(0.20, SPREAD), with_noise(0.06, SPREAD)),
        )
    )
    lowest = next(s for s in headline(run) if "lowest mean" in s)
    assert "40 trained supporters" in lowest
    assert "but within the noise of 5 trained supporters" in lowest


def test_sentences_are_the_same_whatever_order_the_cells_arrive_in() -> None:
    run = hand_run(
        cells(
            ([0.30, 0.35, 0.28, 0.31, 0.29], [0.06, 0.05, 0.07, 0.06, 0.065]),
            ([0.97, 0.99, 0.95, 0.98, 0.96], [0.05, 0.045, 0.055, 0.05, 0.052]),
            ([0.20, 0.22, 0.18, 0.21, 0.25], [0.07, 0.06, 0.065, 0.068, 0.07]),
        )
    )
    shuffled = SimulationRun(
        run.scenario, run.variants, run.results[::-1], 0.0, 0, "local", 1, run.source
    )
    assert headline(shuffled) == headline(run)


def test_settings_with_the_same_figure_in_every_seed_are_said_to_be_the_same() -> None:
    run = hand_run(
        cells(
            ([1.0] * 5, with_noise(0.06, SPREAD)),
            ([1.0] * 5, with_noise(0.05, SPREAD)),
            (with_noise(0.20, SPREAD), with_noise(0.06, SPREAD)),
        )
    )
    reached = next(s for s in headline(run) if s.startswith("The first setting"))
    assert "40 trained supporters and 5 trained supporters give the same figure" in reached


def test_a_count_focus_is_compared_in_its_own_units_not_in_points() -> None:
    ties = {
        MATCHER_5: [10.0, 12.0, 11.0, 9.0, 13.0],
        MATCHER_40: [30.0, 33.0, 29.0, 31.0, 32.0],
        RANDOM_5: [4.0, 5.0, 6.0, 3.0, 7.0],
    }
    run = hand_run(
        cells(
            (with_noise(0.30, SPREAD), with_noise(0.06, SPREAD)),
            (with_noise(0.97, SPREAD), with_noise(0.05, SPREAD)),
            (with_noise(0.20, SPREAD), with_noise(0.06, SPREAD)),
        ),
        focus="new_strong_ties",
        ties=ties,
    )
    sentences = headline(run)
    assert sentences[0].startswith("11.0 [") and "in total over 1 quarter with" in sentences[0]
    trend = sentences[1]
    assert trend.startswith("From 5 trained supporters to 40 trained supporters:")
    assert "is 20.0 higher than with 5 trained supporters" in trend and "point" not in trend
    against = next(s for s in sentences if "random" in s and "new_strong_ties" in s)
    low, high = interval_points(ties[MATCHER_5], ties[RANDOM_5], scale=1.0)
    assert "matcher is 6.0 higher than random pairing" in against
    assert f"seed by seed: {low} to {high})" in against and "point" not in against


# ------------------------------------------------------------------ few replications


@pytest.mark.parametrize("seeds", [1, 2, 4])
def test_too_few_replications_are_warned_about_first(seeds: int, tmp_path: Path) -> None:
    offsets = SPREAD[:seeds]
    run = hand_run(
        cells(
            (with_noise(0.30, offsets), with_noise(0.06, offsets)),
            (with_noise(0.97, offsets), with_noise(0.05, offsets)),
            (with_noise(0.20, offsets), with_noise(0.06, offsets)),
        )
    )
    (warning,) = warnings(run)
    assert warning.startswith(f"Caution: only {seeds} replication")
    assert f"--replications {MIN_REPLICATIONS}" in warning
    if seeds == 1:
        assert "no intervals" in warning
    else:
        half = stats.t.ppf(0.975, seeds - 1) / math.sqrt(seeds)
        assert f"\u00b1{half:.1f} standard deviations" in warning
    with atomic_output(tmp_path) as out:
        summary = write_simulation(out, run)
    assert summary["answer"][0] == warning and summary["warnings"] == [warning]
    page = (tmp_path / "report.html").read_text()
    caution = page.index('id="caution"')
    assert caution < page.index('id="answer"')
    assert f"only {seeds} replication" in page[caution : page.index('id="answer"')]


def test_enough_replications_give_no_warning() -> None:
    offsets = (*SPREAD, 0.0)
    run = hand_run(
        cells(
            (with_noise(0.30, offsets), with_noise(0.06, offsets)),
            (with_noise(0.97, offsets), with_noise(0.05, offsets)),
            (with_noise(0.20, offsets), with_noise(0.06, offsets)),
        )
    )
    assert warnings(run) == []
    assert not any(s.startswith("Caution") for s in headline(run))


def test_one_replication_states_no_interval_and_no_winner() -> None:
    run = hand_run(cells(([0.30], [0.07]), ([0.97], [0.05]), ([0.20], [0.06])))
    for sentence in headline(run):
        assert "[" not in sentence, sentence
        if "random" in sentence:
            assert "cannot be told from chance with one replication" in sentence, sentence
            assert "higher than" not in sentence and "lower than" not in sentence


# ----------------------------------------------------------------- summary.csv bounds


def test_summary_intervals_stay_within_what_the_metric_can_take(tmp_path: Path) -> None:
    # shares near 0 and coverage near 1 with spread: raw t-intervals would leave [0, 1]
    run = hand_run(
        cells(
            ([1.0, 0.9, 1.0], [0.0, 0.0, 0.03]),
            ([1.0, 1.0, 0.95], [0.0, 0.01, 0.0]),
            ([0.0, 0.1, 0.0], [0.02, 0.0, 0.0]),
        )
    )
    assert describe([0.0, 0.0, 0.03]).low < 0 and describe([1.0, 0.9, 1.0]).high > 1
    with atomic_output(tmp_path) as out:
        write_simulation(out, run)
    with (tmp_path / "summary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        lower, upper = metric_bounds(row["metric"])
        assert float(row["ci_low"]) >= lower, row
        assert upper is None or float(row["ci_high"]) <= upper, row
        assert float(row["ci_low"]) <= float(row["mean"]) <= float(row["ci_high"]), row
    share = next(r for r in rows if r["variant"] == MATCHER_5 and r["metric"] == "flagged_share")
    assert float(share["ci_low"]) == 0.0
    assert float(share["ci_high"]) == pytest.approx(describe([0.0, 0.0, 0.03]).high, abs=1e-6)
    coverage = next(
        r for r in rows if r["variant"] == MATCHER_5 and r["metric"] == "flagged_coverage"
    )
    assert float(coverage["ci_high"]) == 1.0
    page = (tmp_path / "report.html").read_text()
    assert not re.search(r"\[-|−\d+(\.\d+)?%,|, 10[1-9]\.\d%\]", page)


def test_one_replication_leaves_the_interval_empty(tmp_path: Path) -> None:
    run = hand_run(cells(([0.30], [0.07]), ([0.97], [0.05]), ([0.20], [0.06])))
    with atomic_output(tmp_path) as out:
        summary = write_simulation(out, run)
    with (tmp_path / "summary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["n"] == "1" and r["ci_low"] == r["ci_high"] == r["sd"] == "" for r in rows)
    assert json.loads((tmp_path / "summary.json").read_text())["answer"] == summary["answer"]
