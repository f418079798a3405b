"""The answer of ``matcher simulate``'s report: sentences computed from the figures they state.

Three rules keep the sentences honest:

- *like with like*: matcher is compared with random pairing only at the same settings (the
  random twin of a variant runs the same scenario, org and seeds), and the settings are named;
- *noise is said*: a difference is taken seed by seed (replications share their random numbers
  across variants) with its 95% interval, and one whose interval includes 0 is called within
  the noise instead of naming a winner;
- *too few replications are flagged*: below :data:`MIN_REPLICATIONS` a warning comes first.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Protocol

from matcher.simulation.cell import CellResult, aggregate_of
from matcher.simulation.scenario import ResolvedVariant, ScenarioFile
from matcher.simulation.stats import (
    Difference,
    Stat,
    describe_metric,
    difference,
    metric_bounds,
    quarter_values,
    replication_values,
)

MIN_REPLICATIONS = 5
"""Fewer replications than this get a warning: at 5 the 95% interval is ±1.2 standard
deviations of the replications (t = 2.78 over √5); at 2 it is ±9.0, with the standard
deviation itself guessed from two values."""
REACHED = 0.95
"""The coverage a setting has to reach, on average, to be called enough."""
PHRASES = {
    "trained_supporters": "{v} trained supporters",
    "mentors": "{v} mentors",
    "buddies": "{v} buddies",
    "hires_next_quarter": "{v} hires next quarter",
    "hires_per_quarter": "{v} hires a quarter",
    "attrition_per_quarter": "attrition of {v} a quarter",
    "default": "capacity {v}",
}
MATCHER_VS_RANDOM = ("matcher", "random pairing", "matcher and random pairing")
COFFEE = "random pairing (as chat \u201ccoffee\u201d bots do)"


class Run(Protocol):
    """What the sentences read of a simulation run."""

    @property
    def scenario(self) -> ScenarioFile: ...
    @property
    def variants(self) -> list[ResolvedVariant]: ...
    @property
    def results(self) -> list[CellResult]: ...


def phrase(variant: ResolvedVariant) -> str:
    """A variant's settings in words: ``40 trained supporters``, else its label."""
    if len(variant.overrides) == 1:
        path, value = variant.overrides[0]
        key = path.rsplit(".", 1)[-1]
        if key in PHRASES:
            return PHRASES[key].format(v=value)
    return variant.label


def focus_metric(run: Run) -> tuple[str, str, int | None]:
    """The metric the answer is about, how to say it, and the quarter it is read at."""
    header = run.scenario.scenario
    metric = header.focus
    if metric == "flagged_coverage":
        words = "of the flagged employees in a program are matched"
    elif metric.endswith(".coverage"):
        words = f"of the {metric.removesuffix('.coverage')} seekers are matched"
    elif metric.endswith(".flagged_coverage"):
        words = f"of the flagged {metric.removesuffix('.flagged_coverage')} seekers are matched"
    else:
        words = f"is the {metric}"
    return metric, words, header.focus_quarter


def focus_when(run: Run) -> str:
    """When the focus metric is read, in words: a quarter, or its per-seed summary rule."""
    metric, _, quarter = focus_metric(run)
    if quarter is not None:
        return f"in quarter {quarter}"
    quarters = run.scenario.scenario.quarters
    return {
        "mean": "each quarter on average",
        "total": f"in total over {quarters} quarter{'' if quarters == 1 else 's'}",
        "final": f"after {quarters} quarter{'' if quarters == 1 else 's'}",
    }[aggregate_of(metric)]


def focus_by_replication(run: Run) -> dict[str, dict[int, float]]:
    """Each variant's value of the focus metric, keyed by replication."""
    metric, _, quarter = focus_metric(run)
    if quarter is None:
        values = replication_values(run.results)
        return {v.label: values.get((v.label, metric), {}) for v in run.variants}
    found = quarter_values(run.results, metric, quarter)
    return {v.label: found.get(v.label, {}) for v in run.variants}


def focus_values(run: Run) -> dict[str, list[float]]:
    """Each variant's per-replication value of the focus metric, in replication order."""
    return {label: list(found.values()) for label, found in focus_by_replication(run).items()}


def replications(run: Run) -> int:
    """The fewest replications any variant has results for (0 without results)."""
    seeds: dict[str, set[int]] = {v.label: set() for v in run.variants}
    for result in run.results:
        seeds.setdefault(result.variant, set()).add(result.replication)
    return min((len(s) for s in seeds.values()), default=0)


def warnings(run: Run) -> list[str]:
    """What the reader must know before reading the answer: too few replications."""
    from scipy import stats  # ~0.5 s at start-up, for simulation answers only

    n = replications(run)
    if n == 0 or n >= MIN_REPLICATIONS:
        return []
    rerun = f"Re-run with --replications {MIN_REPLICATIONS} or more before deciding anything."
    if n == 1:
        return [
            "Caution: only 1 replication (seed) per variant, so there are no intervals and no "
            f"difference below can be told from chance. {rerun}"
        ]

    def half_width(k: int) -> float:
        return float(stats.t.ppf(0.975, k - 1)) / math.sqrt(k)

    return [
        f"Caution: only {n} replications (seeds) per variant, fewer than the "
        f"{MIN_REPLICATIONS} needed for the intervals to mean much: with {n} a 95% interval "
        f"spans \u00b1{half_width(n):.1f} standard deviations of the replications, and that "
        f"deviation is itself estimated from {n} values (with {MIN_REPLICATIONS}: "
        f"\u00b1{half_width(MIN_REPLICATIONS):.1f}). Treat every difference below as "
        f"unconfirmed. {rerun}"
    ]


def _value(value: float, digits: int, rate: bool) -> str:
    return f"{value:.{digits}%}" if rate else f"{value:.{digits + 1}f}"


def _stat(stat: Stat, digits: int, rate: bool = True) -> str:
    """``23% [5%, 41%]``, or ``23%`` when one replication gives no interval."""
    if stat.n < 2:
        return _value(stat.mean, digits, rate)
    low, high = _value(stat.low, digits, rate), _value(stat.high, digits, rate)
    return f"{_value(stat.mean, digits, rate)} [{low}, {high}]"


def _number(value: float, rate: bool, *, signed: bool = True) -> str:
    """A difference as a number: in percentage points for shares."""
    text = f"{value * (100 if rate else 1):{'+' if signed else ''}.1f}"
    return text.replace("-", "\u2212")


def _gap(value: float, rate: bool, *, signed: bool = True) -> str:
    """A difference: ``+5.0 points`` for shares (percentage points), ``+5.0`` otherwise."""
    number = _number(value, rate, signed=signed)
    if not rate:
        return number
    unit = "point" if number.lstrip("+\u2212") == "1.0" else "points"
    return f"{number} {unit}"


def _interval(d: Difference, rate: bool) -> str:
    text = f"{_number(d.low, rate)} to {_number(d.high, rate)}"
    return f"{text} points" if rate else text


def versus(d: Difference, subject: str, other: str, between: str, *, rate: bool = True) -> str:
    """``subject`` against ``other`` in words: higher, lower, within the noise, or unknown.

    ``between`` names the two for the sentences that name no winner; ``rate`` says the figures
    are shares, whose differences are in percentage points.

    >>> versus(Difference(0.05, 0.02, 0.08, 3), *MATCHER_VS_RANDOM)
    'matcher is 5.0 points higher than random pairing (95% interval of the difference, seed by seed: +2.0 to +8.0 points)'
    >>> versus(Difference(0.01, -0.02, 0.04, 3), *MATCHER_VS_RANDOM)
    'the difference between matcher and random pairing, +1.0 point, is within the noise (its 95% interval, seed by seed, −2.0 to +4.0 points, includes 0)'
    >>> versus(Difference(-3.0, -4.0, -2.0, 3), *MATCHER_VS_RANDOM, rate=False)
    'matcher is 3.0 lower than random pairing (95% interval of the difference, seed by seed: −4.0 to −2.0)'
    """
    size = _gap(d.mean, rate)
    if d.verdict == "unknown":
        return (
            f"the difference between {between}, {size}, cannot be told from chance with one "
            "replication"
        )
    if d.verdict == "within_noise" and d.low == d.high == 0:
        return f"{between} give the same figure in every seed"
    if d.verdict == "within_noise":
        return (
            f"the difference between {between}, {size}, is within the noise (its 95% interval, "
            f"seed by seed, {_interval(d, rate)}, includes 0)"
        )
    direction = "higher" if d.verdict == "higher" else "lower"
    return (
        f"{subject} is {_gap(abs(d.mean), rate, signed=False)} {direction} than {other} "
        f"(95% interval of the difference, seed by seed: {_interval(d, rate)})"
    )


def _steps(later: ResolvedVariant, earlier: ResolvedVariant) -> tuple[str, str, str]:
    """``versus`` names for two settings of a sweep."""
    return (
        f"the mean with {phrase(later)}",
        f"with {phrase(earlier)}",
        f"{phrase(later)} and {phrase(earlier)}",
    )


def change(d: Difference, *, rate: bool = True) -> str:
    """A change over time in words: up, down, within the noise, or unknown.

    >>> change(Difference(-0.01, -0.015, -0.005, 5))
    'down 1.0 point (95% interval of the change, seed by seed: −1.5 to −0.5 points)'
    """
    size = _gap(d.mean, rate)
    if d.verdict == "unknown":
        return f"a change of {size}, which cannot be told from chance with one replication"
    if d.verdict == "within_noise":
        return (
            f"a change of {size}, within the noise (its 95% interval, seed by seed, "
            f"{_interval(d, rate)}, includes 0)"
        )
    return (
        f"{'up' if d.verdict == 'higher' else 'down'} {_gap(abs(d.mean), rate, signed=False)} "
        f"(95% interval of the change, seed by seed: {_interval(d, rate)})"
    )


def _settings(variant: ResolvedVariant, alone: bool) -> str:
    return "the same settings" if alone or not variant.overrides else phrase(variant)


def _twin(random: ResolvedVariant, optimal: Sequence[ResolvedVariant]) -> ResolvedVariant | None:
    """The matcher variant a random-pairing variant is the twin of (same scenario)."""
    return next(
        (v for v in optimal if v.overrides == random.overrides and v.scenario == random.scenario),
        None,
    )


def _sweep(
    run: Run, known: list[tuple[ResolvedVariant, dict[int, float]]], metric: str
) -> list[str]:
    """Sentences on how the focus metric moves across matcher's settings."""
    _, words, _ = focus_metric(run)
    when = focus_when(run)
    rate = metric_bounds(metric)[1] == 1.0
    stats = [(v, describe_metric(metric, list(values.values()))) for v, values in known]
    if len(known) == 1:
        return [f"{_stat(stats[0][1], 0, rate)} {words} {when}."]
    sentences = []
    if len(known) <= 6:
        (v0, s0), *rest = stats
        parts = [f"{_stat(s0, 0, rate)} {words} {when} with {phrase(v0)}"]
        parts += [f"{_stat(s, 0, rate)} with {phrase(v)}" for v, s in rest]
        sentences.append("; ".join(parts) + ".")
    means = [s.mean for _, s in stats]
    rising = all(b >= a - 0.005 for a, b in itertools.pairwise(means))
    falling = all(b <= a + 0.005 for a, b in itertools.pairwise(means))
    reached = next((k for k, m in enumerate(means) if m >= REACHED), None)
    if not rate or not rising:
        (first, a), (last, b) = known[0], known[-1]
        d = difference(b, a, metric=metric)
        sentences.append(
            f"From {phrase(first)} to {phrase(last)}"
            + ("" if not rate else " the mean falls" if falling else " the mean goes up and down")
            + f": {versus(d, *_steps(last, first), rate=rate)}."
        )
    elif reached is None:
        best = max(range(len(known)), key=lambda k: means[k])
        text = (
            f"No setting's mean reaches {REACHED:.0%}; the highest is {phrase(known[best][0])} "
            f"at {_stat(stats[best][1], 0)}"
        )
        close = [
            phrase(v)
            for k, (v, values) in enumerate(known)
            if k != best
            and difference(known[best][1], values, metric=metric).verdict == "within_noise"
        ]
        if close:
            text += f", but within the noise of {' and '.join(close)}"
        sentences.append(text + ".")
    else:
        first, values = known[reached]
        text = (
            f"The first setting whose mean reaches {REACHED:.0%} is {phrase(first)} "
            f"({_stat(stats[reached][1], 0)})"
        )
        if reached + 1 < len(known):
            following, more = known[reached + 1]
            d = difference(more, values, metric=metric)
            text += f"; {versus(d, *_steps(following, first))}"
        sentences.append(text + ".")
    return sentences


def headline(run: Run) -> list[str]:
    """The answer in a few sentences, each computed from the figures it states."""
    metric, words, _ = focus_metric(run)
    when = focus_when(run)
    rate = metric_bounds(metric)[1] == 1.0
    focus = focus_by_replication(run)
    values = replication_values(run.results)
    optimal = [v for v in run.variants if v.pairing == "optimal"]
    random = [v for v in run.variants if v.pairing == "random"]
    alone = len(optimal) == 1
    sentences: list[str] = []
    known = [(v, focus[v.label]) for v in optimal if focus[v.label]]
    if known:
        sentences += _sweep(run, known, metric)
    for r in random:
        twin = _twin(r, optimal)
        if twin is None or not focus[r.label] or not focus[twin.label]:
            continue
        rs = describe_metric(metric, list(focus[r.label].values()))
        ms = describe_metric(metric, list(focus[twin.label].values()))
        d = difference(focus[twin.label], focus[r.label], metric=metric)
        sentences.append(
            f"With {_settings(twin, alone)} for both, {_stat(rs, 0, rate)} {words} {when} with "
            f"{COFFEE}, against {_stat(ms, 0, rate)} with matcher: "
            f"{versus(d, *MATCHER_VS_RANDOM, rate=rate)}."
        )
    sentences += _isolation(run, optimal, random, values)
    return sentences


def _isolation(
    run: Run,
    optimal: list[ResolvedVariant],
    random: list[ResolvedVariant],
    values: dict[tuple[str, str], dict[int, float]],
) -> list[str]:
    """Sentences on the share of isolated or peripheral employees at the end."""
    metric = "flagged_share"
    quarters = run.scenario.scenario.quarters
    after = f"{quarters} quarter{'' if quarters == 1 else 's'}"
    start = quarter_values(run.results, metric, 0)
    finals = [(v, values[(v.label, metric)]) for v in optimal if values.get((v.label, metric))]
    if not finals:
        return []
    alone = len(optimal) == 1
    stats = [describe_metric(metric, list(final.values())) for _, final in finals]
    k = min(range(len(finals)), key=lambda i: stats[i].mean)
    best, final = finals[k]
    text = f"After {after}, {_stat(stats[k], 1)} of employees are isolated or peripheral with " + (
        "the programs" if alone else f"{phrase(best)}, the lowest mean of matcher's settings"
    )
    close = [
        phrase(v)
        for v, other in finals
        if v is not best and difference(final, other, metric=metric).verdict == "within_noise"
    ]
    if close:
        text += f", but within the noise of {' and '.join(close)}"
    sentences = [text + "."]
    begin = start.get(best.label, {})
    if begin:
        before = _stat(describe_metric(metric, list(begin.values())), 1)
        sentences.append(
            f"{'The share' if alone else f'With {phrase(best)} the share'} was {before} at the start: "
            f"{change(difference(final, begin, metric=metric))}."
        )
    for r in random:
        twin = _twin(r, optimal)
        if (
            twin is None
            or not values.get((r.label, metric))
            or not values.get((twin.label, metric))
        ):
            continue
        rv, mv = values[(r.label, metric)], values[(twin.label, metric)]
        sentences.append(
            f"With {_settings(twin, alone)} for both, "
            f"{_stat(describe_metric(metric, list(rv.values())), 1)} of employees are isolated "
            f"or peripheral after {after} with random pairing, against "
            f"{_stat(describe_metric(metric, list(mv.values())), 1)} with matcher: "
            f"{versus(difference(mv, rv, metric=metric), *MATCHER_VS_RANDOM)}."
        )
    return sentences
