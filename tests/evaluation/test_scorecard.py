"""The scorecard's figures: no aggregate from fewer than 5 people, and figures that add up."""

from __future__ import annotations

import datetime as dt

import numpy as np
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.survey import YES, Survey
from matcher.evaluation.outcomes import NEVER, PairOutcomes, Window
from matcher.evaluation.scorecard import (
    MIN_GROUP,
    PeriodState,
    ProgramPairs,
    org_card,
    program_card,
)

WINDOW = Window(dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, tzinfo=dt.UTC))


def symmetric(rng: np.random.Generator, n: int, density: float) -> sp.csr_matrix:
    upper = sp.random(n, n, density=density, random_state=rng, format="csr") > 0
    upper = sp.triu(upper, k=1)
    return sp.csr_matrix((upper + upper.T) > 0, dtype=bool)


@st.composite
def programs(draw: st.DrawFn) -> tuple[ProgramPairs, PairOutcomes, PeriodState, np.ndarray]:
    n = draw(st.integers(4, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    count = draw(st.integers(0, n // 2))
    people = rng.permutation(n)
    seekers, providers = people[:count], people[count : 2 * count]
    start = int(WINDOW.start.timestamp())
    met = rng.random(count) < draw(st.floats(0, 1))
    first = np.where(met, start + rng.integers(0, 80 * 86_400, count), NEVER)
    scores = rng.random(count) * 10
    before = symmetric(rng, n, draw(st.floats(0, 0.3)))
    after = symmetric(rng, n, draw(st.floats(0, 0.3)))
    isolated = rng.random(n) < draw(st.floats(0, 1))
    state = PeriodState(
        n=n,
        isolated_after=rng.random(n) < 0.2,
        peripheral_after=rng.random(n) < 0.2,
        strong_after=after,
        isolated_before=isolated,
        peripheral_before=~isolated & (rng.random(n) < 0.3),
        strong_before=before,
    )
    outcomes = PairOutcomes(
        seeker=seekers,
        provider=providers,
        score=scores,
        first_met=first,
        strong_before=np.asarray(before[seekers, providers]).ravel()
        if count
        else np.zeros(0, bool),
        strong_after=np.asarray(after[seekers, providers]).ravel() if count else np.zeros(0, bool),
    )
    selected = rng.random(n) < 0.5 if draw(st.booleans()) else None
    if selected is not None:
        selected[seekers] = True
    pairs = ProgramPairs(
        "p", "peer_support", "2026Q4", ["p@2026Q4#1"], seekers, providers, scores, selected=selected
    )
    paired = np.zeros(n, bool)
    paired[seekers] = paired[providers] = True
    return pairs, outcomes, state, paired


def sizes(
    pairs: ProgramPairs, outcomes: PairOutcomes, state: PeriodState, paired: np.ndarray
) -> dict[str, int]:
    """How many people stand behind each figure of a program card."""
    flagged = state.flagged_before
    assert flagged is not None
    seeker_flagged = flagged[outcomes.seeker]
    matched = np.zeros(state.n, bool)
    matched[outcomes.seeker] = True
    outside = flagged & ~paired
    selected = pairs.selected
    unmatched = outside & selected if selected is not None else np.zeros(state.n, bool)
    not_selected = outside & ~selected if selected is not None else outside
    groups = {
        "": len(outcomes.seeker),
        "seeker_flagged.": int(seeker_flagged.sum()),
        "seeker_not_flagged.": int((~seeker_flagged).sum()),
    }
    out: dict[str, int] = {}
    for prefix, size in groups.items():
        for metric in ("met", "met_rate", "ties_formed", "tie_rate"):
            out[prefix + metric] = size
    out["seeker_flagged.pairs"] = out["seeker_flagged.met"]
    out["seeker_not_flagged.pairs"] = out["seeker_not_flagged.met"]
    out["median_days_to_meet"] = int(outcomes.met.sum())
    for name, mask in (
        ("flagged_matched", matched & flagged),
        ("flagged_unmatched", unmatched),
        ("flagged_not_selected", not_selected),
    ):
        out[name] = out[name + "_tie_share"] = int(mask.sum())
    out["comparison_tie_share"] = int((unmatched | not_selected).sum())
    out["effect"] = out["difference_in_differences"] = min(
        int((matched & flagged).sum()), out["comparison_tie_share"]
    )
    providers = len(np.unique(outcomes.provider))
    for name in ("providers_all_met", "providers_none_met", "provider_follow_through"):
        out[name] = providers
    return out


@given(programs())
def test_no_figure_is_shown_for_fewer_than_five_people(
    drawn: tuple[ProgramPairs, PairOutcomes, PeriodState, np.ndarray],
) -> None:
    pairs, outcomes, state, paired = drawn
    card = program_card(pairs, outcomes, state, WINDOW, paired_in_period=paired)
    behind = sizes(pairs, outcomes, state, paired)
    for metric, value, _, _ in card.rows:
        if value is None or metric.startswith("score_q") or metric in ("pairs", "providers"):
            continue
        if (
            metric in ("flagged_matched", "flagged_unmatched", "flagged_not_selected")
            and value == 0
        ):
            continue
        assert behind[metric] >= MIN_GROUP, (metric, value, behind[metric])
    # a split never shows one cell while hiding the other (it could be recovered), unless
    # the hidden one holds nobody (then there is nothing to recover)
    split = card.block["by_seeker_flag"]
    assert state.flagged_before is not None
    flagged_seekers = state.flagged_before[outcomes.seeker]
    holding = [int(flagged_seekers.sum()), int((~flagged_seekers).sum())]
    shown = [split[k]["met"] is not None for k in ("flagged", "not_flagged")]
    hidden_holding = [not s and h > 0 for s, h in zip(shown, holding, strict=True)]
    assert not (any(shown) and sum(hidden_holding) == 1), (shown, holding)
    quartiles = card.block["by_score_quartile"]
    assert all(q["pairs"] >= MIN_GROUP for q in quartiles)


@given(programs())
def test_rates_are_shares_and_counts_add_up(
    drawn: tuple[ProgramPairs, PairOutcomes, PeriodState, np.ndarray],
) -> None:
    pairs, outcomes, state, paired = drawn
    card = program_card(pairs, outcomes, state, WINDOW, paired_in_period=paired)
    block = card.block
    for metric, value, low, high in card.rows:
        if metric.endswith(("rate", "share", "follow_through")) and value is not None:
            assert 0.0 <= value <= 1.0, metric
            if low is not None and high is not None:
                assert 0.0 <= low <= value <= high <= 1.0, metric
    if block["met"] is not None:
        assert block["met"] == int(outcomes.met.sum())
    split = block["by_seeker_flag"]
    if split["flagged"]["pairs"] is not None and split["not_flagged"]["pairs"] is not None:
        assert split["flagged"]["pairs"] + split["not_flagged"]["pairs"] == block["pairs"]
    again = program_card(pairs, outcomes, state, WINDOW, paired_in_period=paired)
    assert again.rows == card.rows and again.block == card.block


def test_org_card_hides_a_survey_with_fewer_than_five_respondents() -> None:
    n = 10
    state = PeriodState(
        n=n,
        isolated_after=np.zeros(n, bool),
        peripheral_after=np.zeros(n, bool),
        strong_after=sp.csr_matrix((n, n), dtype=bool),
        survey_after=Survey(
            responded=np.arange(n) < 4,
            has_someone=np.full(n, YES, np.int8),
            nominations=sp.csr_matrix((n, n), dtype=bool),
            submitted=np.full(n, np.datetime64("2026-12-01"), "datetime64[D]"),
        ),
    )
    card = org_card(state)
    assert card.block["survey_after"] == {"respondents": 4, "has_someone_share": None}
    assert "survey_after.has_someone_share" in card.block["suppressed"]
    assert card.block["isolated_before"] is None and card.block["isolated_after"] == 0
