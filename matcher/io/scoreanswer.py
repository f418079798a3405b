"""The scorecard's answer in sentences: did the pairs meet, did ties form, did pairing help.

Each sentence states a figure with its 95% interval, says when an interval includes 0
("within the noise"), and when a group was too small to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matcher.io.scorecard import PeriodCard


def pct(value: float | None) -> str:
    """``0.4213`` → ``42%``.

    >>> pct(0.4213), pct(None)
    ('42%', '–')
    """
    return "–" if value is None else f"{value:.0%}"


def points(value: float) -> str:
    """A difference of shares in points, signed with a true minus.

    >>> points(0.123), points(-0.05)
    ('+12.3', '−5.0')
    """
    return f"{value * 100:+.1f}".replace("-", "\u2212")


def _interval(ci: Sequence[float] | None) -> str:
    return "" if ci is None else f" [{pct(ci[0])}, {pct(ci[1])}]"


def program_sentences(name: str, period: str, block: dict[str, Any]) -> list[str]:
    """What one program's pairs did, and whether flagged people gained from being matched."""
    sentences = []
    pairs = block.get("pairs") or 0
    if block.get("met") is None:
        sentences.append(
            f"{name} ({period}): {pairs} pair(s), too few to show how many met (groups under "
            "5 are not shown)."
        )
        return sentences
    text = (
        f"{name} ({period}): {block['met']} of {pairs} pairs met "
        f"({pct(block['met_rate'])}{_interval(block.get('met_rate_ci95'))})"
    )
    if block.get("median_days_to_meet") is not None:
        text += f", a median of {block['median_days_to_meet']:.0f} days into the window"
    if block.get("ties_formed") is not None:
        text += (
            f"; {block['ties_formed']} formed a new strong tie "
            f"({pct(block['tie_rate'])}{_interval(block.get('tie_rate_ci95'))})"
        )
    sentences.append(text + ".")
    effect = block.get("effect")
    if effect is None:
        if block.get("effect_note"):
            sentences.append(f"Whether pairing helped is not known: {block['effect_note']}.")
        return sentences
    if effect.get("estimate") is None:
        sentences.append(f"Whether pairing helped flagged people: {effect['note']}.")
        return sentences
    low, high = effect["ci95"]
    shares = (
        f"{pct(effect['treated_share'])} of the {effect['treated']} flagged seekers it matched "
        f"formed a new strong tie, against {pct(effect['comparison_share'])} of the "
        f"{effect['comparison']} flagged people it did not pair"
    )
    if low <= 0 <= high:
        sentences.append(
            f"{shares}: the difference, {points(effect['estimate'])} points, is within the "
            f"noise (its 95% interval, {points(low)} to {points(high)} points, includes 0)."
        )
    else:
        direction = "more" if effect["estimate"] > 0 else "less"
        sentences.append(
            f"{shares}: {points(effect['estimate'])} points, {direction} often "
            f"(95% interval {points(low)} to {points(high)} points). This is an observational "
            "comparison, not proof that pairing caused it (see the caveats)."
        )
    return sentences


def org_sentences(period: str, block: dict[str, Any]) -> list[str]:
    """Isolation before and after, and what the surveys say."""
    sentences = []
    before, after = block.get("isolated_before_share"), block.get("isolated_after_share")
    if after is not None:
        if before is not None:
            sentences.append(
                f"Org-wide, {pct(before)} of employees were isolated (no strong tie) at the "
                f"start of {period} and {pct(after)} at the end; isolated or peripheral: "
                f"{block['isolated_before'] + block['peripheral_before']:,} before, "
                f"{block['isolated_after'] + block['peripheral_after']:,} after."
            )
        else:
            sentences.append(
                f"Org-wide, {pct(after)} of employees were isolated (no strong tie) at the end "
                f"of {period}."
            )
    survey = block.get("survey_after")
    if survey:
        share = survey.get("has_someone_share")
        if share is None:
            sentences.append("Too few people answered the survey to show what they said.")
        else:
            text = (
                f"In the survey, {pct(share)}{_interval(survey.get('has_someone_share_ci95'))} "
                f"of {survey['respondents']:,} respondents say they have someone at work to turn to"
            )
            earlier = block.get("survey_before") or {}
            if earlier.get("has_someone_share") is not None:
                text += (
                    f" ({pct(earlier['has_someone_share'])} of {earlier['respondents']:,} in the "
                    "earlier survey)"
                )
            sentences.append(text + ".")
    return sentences


def trend_sentences(cards: Sequence[PeriodCard]) -> list[str]:
    """Over several periods: each program's met rate from its first period to its last."""
    if len(cards) < 2:
        return []
    sentences = []
    seen: dict[str, list[tuple[str, float]]] = {}
    for card in cards:
        for name, program in card.programs.items():
            rate = program.block.get("met_rate")
            if rate is not None:
                seen.setdefault(name, []).append((card.period, rate))
    for name, series in seen.items():
        if len(series) >= 2:
            (first, a), (last, b) = series[0], series[-1]
            sentences.append(
                f"{name}: met rate {pct(a)} in {first}, {pct(b)} in {last} ({len(series)} periods)."
            )
    return sentences


def answer(cards: Sequence[PeriodCard]) -> list[str]:
    """The answer in sentences: the last period's programs and org, then the trend."""
    last = cards[-1]
    sentences: list[str] = []
    for name, program in last.programs.items():
        sentences += program_sentences(name, last.period, program.block)
    sentences += org_sentences(last.period, last.org.block)
    sentences += trend_sentences(cards)
    return sentences
