"""The connection scorecard: per program and period, and org-wide, with small groups suppressed.

A card is built from plain arrays (:class:`PeriodState`, :class:`ProgramPairs` and the
:class:`~matcher.evaluation.outcomes.PairOutcomes`) and holds two views of the same figures:
``block`` (the nested dictionary ``evaluation.json`` writes) and ``rows`` (the long
``scorecard.csv`` rows: metric, value, 95% interval). Every figure computed over people is
left out (``None``, and named in ``suppressed``) when fewer than ``min_group`` people stand
behind it; a split of a group (by seeker flag) also hides a second cell when the first could be
recovered by subtraction (:func:`matcher.privacy.complementary_suppression`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from matcher.analysis.survey import Survey
from matcher.evaluation.effect import difference_in_differences, share_difference, wilson
from matcher.evaluation.outcomes import PairOutcomes, Window, has_strong_tie, new_strong_tie
from matcher.privacy import complementary_suppression

MIN_GROUP = 5
ORG = "(org)"
"""The ``program`` cell of org-wide rows in ``scorecard.csv``."""


@dataclass(frozen=True)
class PeriodState:
    """The org before and after a period, per person in org order.

    ``*_before`` are ``None`` when there is no data from before the period."""

    n: int
    isolated_after: np.ndarray
    peripheral_after: np.ndarray
    strong_after: sp.csr_matrix
    isolated_before: np.ndarray | None = None
    peripheral_before: np.ndarray | None = None
    strong_before: sp.csr_matrix | None = None
    survey_before: Survey | None = None
    survey_after: Survey | None = None

    @property
    def flagged_before(self) -> np.ndarray | None:
        """Isolated or peripheral at the start of the period: the people programs target."""
        if self.isolated_before is None or self.peripheral_before is None:
            return None
        return self.isolated_before | self.peripheral_before

    @property
    def has_before(self) -> bool:
        return self.strong_before is not None


@dataclass(frozen=True)
class ProgramPairs:
    """The committed pairs of one program in one period (all its committed runs)."""

    program: str
    kind: str | None
    period: str
    run_ids: list[str]
    seekers: np.ndarray
    providers: np.ndarray
    scores: np.ndarray
    left_org: int = 0
    """Committed pairs naming someone no longer in the employees file (not judged)."""
    selected: np.ndarray | None = None
    """Per person: a seeker of the program by its selector (``None``: not known, e.g. an
    imported run without its program settings)."""


@dataclass
class Card:
    """One block of figures: ``block`` for evaluation.json, ``rows`` for scorecard.csv."""

    min_group: int = MIN_GROUP
    block: dict[str, Any] = field(default_factory=dict)
    rows: list[tuple[str, float | None, float | None, float | None]] = field(default_factory=list)
    suppressed: list[str] = field(default_factory=list)

    def figure(
        self,
        name: str,
        value: float | int | None,
        ci: tuple[float, float] | None = None,
        *,
        people: int | None = None,
        into: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> None:
        """Record a figure; ``people`` behind it below the minimum suppress it."""
        target = self.block if into is None else into
        if people is not None and people < self.min_group:
            value, ci = None, None
            self.suppressed.append(name)
        if isinstance(value, float | np.floating):
            value = round(float(value), 6)
        elif isinstance(value, np.integer):
            value = int(value)
        target[key or name] = value
        if ci is not None and value is not None:
            target[(key or name) + "_ci95"] = [round(float(ci[0]), 6), round(float(ci[1]), 6)]
        self.rows.append(
            (
                name,
                None if value is None else float(value),
                None if ci is None or value is None else float(ci[0]),
                None if ci is None or value is None else float(ci[1]),
            )
        )


def _rate(count: int, n: int) -> tuple[float | None, tuple[float, float] | None]:
    if n == 0:
        return None, None
    return count / n, wilson(count, n)


def _pair_figures(
    card: Card,
    prefix: str,
    met: np.ndarray,
    formed: np.ndarray | None,
    into: dict[str, Any],
    *,
    hide: bool = False,
) -> None:
    """pairs, met, met_rate, ties_formed, tie_rate of a group of pairs (hidden when ``hide``)."""
    n = len(met)
    people = 0 if hide else n
    # a hidden cell hides its size too: a split's size counts people with the attribute
    card.figure(f"{prefix}pairs", n, people=0 if hide else None, into=into, key="pairs")
    card.figure(f"{prefix}met", int(met.sum()), people=people, into=into, key="met")
    rate, ci = _rate(int(met.sum()), n)
    card.figure(f"{prefix}met_rate", rate, ci, people=people, into=into, key="met_rate")
    if formed is None:
        into["ties_formed"] = into["tie_rate"] = None
        return
    card.figure(
        f"{prefix}ties_formed", int(formed.sum()), people=people, into=into, key="ties_formed"
    )
    rate, ci = _rate(int(formed.sum()), n)
    card.figure(f"{prefix}tie_rate", rate, ci, people=people, into=into, key="tie_rate")


def program_card(
    pairs: ProgramPairs,
    outcomes: PairOutcomes,
    state: PeriodState,
    window: Window,
    *,
    paired_in_period: np.ndarray,
    min_group: int = MIN_GROUP,
) -> Card:
    """The figures of one program in one period.

    Parameters
    ----------
    pairs, outcomes
        The program's committed pairs and what became of them.
    state
        The org before and after the period.
    window
        The evaluation window.
    paired_in_period
        Per person: in any committed pair of the period, of any program (as seeker or
        provider): such people are never in the comparison group.
    """
    card = Card(min_group=min_group)
    block = card.block
    block.update(
        {
            "program": pairs.program,
            "kind": pairs.kind,
            "period": pairs.period,
            "run_id": pairs.run_ids[-1] if pairs.run_ids else None,
            "run_ids": list(pairs.run_ids),
            "pairs_left_org": pairs.left_org,
        }
    )
    met = outcomes.met
    _pair_figures(card, "", met, outcomes.tie_formed, block)
    days = outcomes.days_to_meet(window)[met]
    card.figure(
        "median_days_to_meet",
        float(np.median(days)) if len(days) else None,
        people=len(days),
    )
    block["by_seeker_flag"] = _by_seeker_flag(card, outcomes, state.flagged_before, min_group)
    block["by_score_quartile"] = _by_score_quartile(card, outcomes, min_group)
    block["providers"] = _provider_follow_through(card, outcomes)
    _flagged_effect(card, pairs, outcomes, state, paired_in_period, min_group)
    block["suppressed"] = sorted(set(card.suppressed))
    return card


def _by_seeker_flag(
    card: Card, outcomes: PairOutcomes, flagged: np.ndarray | None, min_group: int
) -> dict[str, Any] | None:
    """The pair figures of flagged seekers (isolated or peripheral before the period) and of
    the others, a small group hidden with its complement; ``None`` without a before."""
    if flagged is None:
        return None
    met, formed = outcomes.met, outcomes.tie_formed
    seeker_flagged = flagged[outcomes.seeker]
    split: dict[str, Any] = {}
    sizes = [int(seeker_flagged.sum()), int((~seeker_flagged).sum())]
    hidden = complementary_suppression(sizes, min_group)
    for label, mask, hide in (
        ("flagged", seeker_flagged, hidden[0]),
        ("not_flagged", ~seeker_flagged, hidden[1]),
    ):
        split[label] = {}
        _pair_figures(
            card,
            f"seeker_{label}.",
            met[mask],
            None if formed is None else formed[mask],
            split[label],
            hide=hide,
        )
    return split


def _by_score_quartile(card: Card, outcomes: PairOutcomes, min_group: int) -> list[dict[str, Any]]:
    """The pair figures by score quartile (did better-fitting pairs meet more?); none, and
    suppressed, with fewer than ``4 × min_group`` scored pairs."""
    met, formed = outcomes.met, outcomes.tie_formed
    quartiles: list[dict[str, Any]] = []
    scored = np.flatnonzero(~np.isnan(outcomes.score))
    if len(scored) < 4 * min_group:
        card.suppressed.append("by_score_quartile")
        return quartiles
    # equal scores are ordered by the pair (seeker, then provider), not by where they came
    # in the history, so the same pairs always give the same quartiles
    order = scored[
        np.lexsort((outcomes.provider[scored], outcomes.seeker[scored], outcomes.score[scored]))
    ]
    for q, members in enumerate(np.array_split(order, 4), start=1):
        entry: dict[str, Any] = {
            "quartile": q,
            "score_low": round(float(outcomes.score[members].min()), 6),
            "score_high": round(float(outcomes.score[members].max()), 6),
        }
        _pair_figures(
            card,
            f"score_q{q}.",
            met[members],
            None if formed is None else formed[members],
            entry,
        )
        quartiles.append(entry)
    return quartiles


def _provider_follow_through(card: Card, outcomes: PairOutcomes) -> dict[str, Any]:
    """Provider follow-through: how many providers had all, or none, of their pairs meet."""
    met = outcomes.met
    providers, inverse = np.unique(outcomes.provider, return_inverse=True)
    met_by_provider = np.bincount(inverse, weights=met, minlength=len(providers))
    pairs_by_provider = np.bincount(inverse, minlength=len(providers))
    follow: dict[str, Any] = {}
    count = len(providers)
    card.figure("providers", count, into=follow, key="providers")
    card.figure(
        "providers_all_met",
        int((met_by_provider == pairs_by_provider).sum()),
        people=count,
        into=follow,
        key="all_met",
    )
    card.figure(
        "providers_none_met",
        int((met_by_provider == 0).sum()),
        people=count,
        into=follow,
        key="none_met",
    )
    share, ci = _rate(int((met_by_provider == pairs_by_provider).sum()), count)
    card.figure(
        "provider_follow_through", share, ci, people=count, into=follow, key="follow_through"
    )
    return follow


def _no_before(block: dict[str, Any]) -> None:
    """The flagged people's figures when nothing is known from before the period."""
    for key in (
        "flagged_matched",
        "flagged_unmatched",
        "flagged_not_selected",
        "flagged_matched_tie_share",
        "flagged_unmatched_tie_share",
        "comparison_tie_share",
    ):
        block[key] = None
    block["effect"] = None
    block["difference_in_differences"] = None
    block["effect_note"] = (
        "no data from before the period: give --before-interactions or --before-analysis"
    )


def _flagged_groups(
    pairs: ProgramPairs,
    outcomes: PairOutcomes,
    state: PeriodState,
    flagged: np.ndarray,
    paired_in_period: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person: flagged and matched by the program; flagged seekers it left unmatched;
    flagged people it did not select (the last two never paired in the period)."""
    matched = np.zeros(state.n, bool)
    matched[outcomes.seeker] = True
    if pairs.kind == "peer":
        # peer pairs are mutual: both people were matched (as ``matcher assign`` counts them)
        matched[outcomes.provider] = True
    treated = matched & flagged
    outside = flagged & ~paired_in_period
    if pairs.selected is not None:
        return treated, outside & pairs.selected, outside & ~pairs.selected
    return treated, np.zeros(state.n, bool), outside


def _estimate_row(
    card: Card, name: str, estimate: float | None, ci95: tuple[float, float] | None
) -> None:
    """A row of the scorecard table for an estimate and its interval."""
    card.rows.append(
        (
            name,
            estimate,
            None if ci95 is None else ci95[0],
            None if ci95 is None else ci95[1],
        )
    )


def _flagged_effect(
    card: Card,
    pairs: ProgramPairs,
    outcomes: PairOutcomes,
    state: PeriodState,
    paired_in_period: np.ndarray,
    min_group: int,
) -> None:
    """flagged_matched / flagged_unmatched / flagged_not_selected, their new-tie shares, the
    effect and the difference in differences."""
    block = card.block
    flagged = state.flagged_before
    if flagged is None or state.strong_before is None:
        _no_before(block)
        return
    new_tie = new_strong_tie(state.strong_after, state.strong_before)
    tie_before = has_strong_tie(state.strong_before)
    tie_after = has_strong_tie(state.strong_after)
    treated, unmatched, not_selected = _flagged_groups(
        pairs, outcomes, state, flagged, paired_in_period
    )
    comparison = unmatched | not_selected
    # the comparison group is shown whole: when one of its two parts is hidden, the other
    # would give it away by subtraction, so it is hidden too
    split = complementary_suppression([int(unmatched.sum()), int(not_selected.sum())], min_group)
    for name, mask, hide in (
        ("flagged_matched", treated, False),
        ("flagged_unmatched", unmatched, split[0]),
        ("flagged_not_selected", not_selected, split[1]),
    ):
        size = int(mask.sum())
        people = 0 if hide and size else size
        card.figure(name, size, people=people if size else min_group)
        share = float(new_tie[mask].mean()) if size else None
        card.figure(f"{name}_tie_share", share, people=people)
    if pairs.selected is None:
        block["flagged_unmatched"] = None
        block["flagged_unmatched_tie_share"] = None
    size = int(comparison.sum())
    card.figure(
        "comparison_tie_share", float(new_tie[comparison].mean()) if size else None, people=size
    )
    effect = share_difference(new_tie[treated], new_tie[comparison], min_group=min_group)
    block["effect"] = {
        **effect.as_dict(),
        "outcome": "formed a new strong tie",
        "comparison_group": "flagged people the program did not pair: seekers it left "
        "unmatched and flagged people it did not select, none of them paired by another "
        "program in the period",
    }
    _estimate_row(card, "effect", effect.estimate, effect.ci95)
    did = difference_in_differences(
        tie_before[treated],
        tie_after[treated],
        tie_before[comparison],
        tie_after[comparison],
        min_group=min_group,
    )
    block["difference_in_differences"] = did.as_dict()
    _estimate_row(card, "difference_in_differences", did.estimate, did.ci95)


def org_card(state: PeriodState, *, min_group: int = MIN_GROUP) -> Card:
    """Org-wide: isolated and peripheral before and after, and what the surveys say."""
    card = Card(min_group=min_group)
    n = state.n
    card.figure("employees", n)
    for when, isolated, peripheral in (
        ("before", state.isolated_before, state.peripheral_before),
        ("after", state.isolated_after, state.peripheral_after),
    ):
        for name, mask in (("isolated", isolated), ("peripheral", peripheral)):
            if mask is None:
                card.block[f"{name}_{when}"] = None
                card.block[f"{name}_{when}_share"] = None
                continue
            card.figure(f"{name}_{when}", int(mask.sum()), people=n)
            share, ci = _rate(int(mask.sum()), n)
            card.figure(f"{name}_{when}_share", share, ci, people=n)
    for when, survey in (("before", state.survey_before), ("after", state.survey_after)):
        if survey is None:
            card.block[f"survey_{when}"] = None
            continue
        respondents = int(survey.responded.sum())
        says = int(survey.says_someone.sum())
        block: dict[str, Any] = {}
        card.figure(f"survey_{when}.respondents", respondents, into=block, key="respondents")
        share, ci = _rate(says, respondents)
        card.figure(
            f"survey_{when}.has_someone_share",
            share,
            ci,
            people=respondents,
            into=block,
            key="has_someone_share",
        )
        card.block[f"survey_{when}"] = block
    card.block["suppressed"] = sorted(set(card.suppressed))
    return card
