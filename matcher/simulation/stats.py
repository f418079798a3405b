"""Summaries of simulation results across replications: means, 95% intervals clamped to what
a metric can take, and differences between variants taken seed by seed.

Replications share their random numbers across variants (the same org, departures, hires and
draws for a seed), so two variants are compared within each seed (a paired difference).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from matcher.simulation.cell import CellResult, aggregate_of

RATES = ("_share", "coverage", "_reach", "load_gini")
"""Metric names (or their endings) that are fractions between 0 and 1."""


def metric_bounds(metric: str) -> tuple[float, float | None]:
    """The range ``metric`` can take: ``(0, 1)`` for shares and coverage, ``(0, None)`` else.

    Every metric the simulation reports is a share, a count, a mean of counts or a time, so
    none is negative; an interval around one is clamped to its range (a 95% interval of
    0.8, 0.9 and 1.0 does not reach 1.05).

    >>> metric_bounds("peer-support.flagged_coverage"), metric_bounds("repeats")
    ((0.0, 1.0), (0.0, None))
    """
    name = metric.rsplit(".", 1)[-1]
    return (0.0, 1.0) if name.endswith(RATES) else (0.0, None)


@dataclass(frozen=True)
class Stat:
    """Mean and 95% interval (Student t) of one figure across replications.

    With one replication there is no interval: ``low``, ``high`` and ``sd`` are NaN.
    """

    mean: float
    low: float
    high: float
    sd: float
    n: int


def describe(
    values: Sequence[float], *, lower: float | None = None, upper: float | None = None
) -> Stat:
    """Mean, 95% t-interval and standard deviation of ``values``.

    The interval is clamped to ``[lower, upper]`` when given (see :func:`metric_bounds`).

    >>> s = describe([1.0, 2.0, 3.0]); (s.mean, round(s.low, 3), round(s.high, 3), s.n)
    (2.0, -0.484, 4.484, 3)
    >>> describe([1.0, 2.0, 3.0], lower=0.0).low
    0.0
    """
    from scipy import stats  # ~0.5 s at start-up, for summaries across replications only

    data = np.asarray(values, dtype=np.float64)
    n = len(data)
    nan = float("nan")
    if n == 0:
        return Stat(nan, nan, nan, nan, 0)
    mean = float(data.mean())
    if n == 1:
        return Stat(mean, nan, nan, nan, 1)
    sd = float(data.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / float(np.sqrt(n))
    low, high = mean - half, mean + half
    if lower is not None:
        low = max(low, lower)
    if upper is not None:
        high = min(high, upper)
    return Stat(mean, low, high, sd, n)


def describe_metric(metric: str, values: Sequence[float]) -> Stat:
    """:func:`describe` with the interval clamped to the range of ``metric``."""
    lower, upper = metric_bounds(metric)
    return describe(values, lower=lower, upper=upper)


@dataclass(frozen=True)
class Difference:
    """``a − b`` compared seed by seed: mean, 95% t-interval and how many seeds both have.

    Replications share their random numbers across variants (the same org, departures, hires
    and draws for a seed), so the difference is taken within each seed and the interval is
    that of the paired differences.
    """

    mean: float
    low: float
    high: float
    n: int

    @property
    def verdict(self) -> Literal["higher", "lower", "within_noise", "unknown"]:
        """Whether ``a`` is higher or lower than ``b`` beyond the noise, or cannot be told."""
        if self.n < 2:
            return "unknown"
        if self.low > 0:
            return "higher"
        if self.high < 0:
            return "lower"
        return "within_noise"


def difference(
    a: Mapping[int, float], b: Mapping[int, float], *, metric: str | None = None
) -> Difference:
    """The paired difference ``a − b`` over the replications (keys) both have.

    With ``metric``, the interval is clamped to what a difference of it can be (two shares
    differ by at most 1).

    >>> d = difference({0: 0.5, 1: 0.6, 2: 0.7}, {0: 0.4, 1: 0.4, 2: 0.5})
    >>> round(d.mean, 3), d.verdict
    (0.167, 'higher')
    >>> difference({0: 0.5, 1: 0.4}, {0: 0.4, 1: 0.5}).verdict
    'within_noise'
    >>> difference({0: 1.0, 1: 0.9}, {0: 0.0, 1: 0.1}, metric="flagged_coverage").high
    1.0
    """
    common = sorted(set(a) & set(b))
    span = None
    if metric is not None:
        lower, upper = metric_bounds(metric)
        span = None if upper is None else upper - lower
    stat = describe(
        [a[k] - b[k] for k in common],
        lower=None if span is None else -span,
        upper=span,
    )
    return Difference(stat.mean, stat.low, stat.high, stat.n)


def replication_values(
    results: Sequence[CellResult],
) -> dict[tuple[str, str], dict[int, float]]:
    """Each ``(variant, metric)``'s summary value keyed by replication (see :data:`AGGREGATES`)."""
    out: dict[tuple[str, str], dict[int, float]] = {}
    for result in sorted(results, key=lambda r: r.replication):
        by_metric: dict[str, list[tuple[int, float]]] = {}
        for quarter, metric, value in result.rows:
            by_metric.setdefault(metric, []).append((quarter, value))
        for metric, points in by_metric.items():
            rule = aggregate_of(metric)
            values = [v for _, v in sorted(points)]
            value = (
                values[-1]
                if rule == "final"
                else (sum(values) if rule == "total" else float(np.mean(values)))
            )
            out.setdefault((result.variant, metric), {})[result.replication] = value
    return out


def per_replication(results: Sequence[CellResult]) -> dict[tuple[str, str], list[float]]:
    """Each ``(variant, metric)``'s summary value per replication, in replication order."""
    return {key: list(found.values()) for key, found in replication_values(results).items()}


def quarter_values(
    results: Sequence[CellResult], metric: str, quarter: int
) -> dict[str, dict[int, float]]:
    """Each variant's value of ``metric`` at ``quarter``, keyed by replication."""
    out: dict[str, dict[int, float]] = {}
    for result in sorted(results, key=lambda r: r.replication):
        for q, m, value in result.rows:
            if q == quarter and m == metric:
                out.setdefault(result.variant, {})[result.replication] = value
    return out


def by_quarter(results: Sequence[CellResult]) -> dict[tuple[str, str, int], Stat]:
    """``(variant, metric, quarter)`` → its :class:`Stat` across replications (clamped)."""
    values: dict[tuple[str, str, int], list[float]] = {}
    for result in results:
        for quarter, metric, value in result.rows:
            values.setdefault((result.variant, metric, quarter), []).append(value)
    return {key: describe_metric(key[1], v) for key, v in values.items()}
