"""Did pairing help? The share of flagged people who formed a new strong tie, matched against
those the program did not pair, with a 95% interval.

Two comparisons, both observational (nobody was assigned at random to be paired or not):

* :func:`share_difference`: the matched share minus the comparison share, with **Newcombe's
  hybrid score interval** (Newcombe 1998, method 10: each share's Wilson score interval,
  combined). It needs no resampling (no seed), stays inside [-1, 1], always contains the
  estimate, and keeps close to 95% coverage for small groups and shares near 0 or 1, where the
  textbook Wald interval fails.
* :func:`difference_in_differences`: the change from before to after in the share who have
  at least one strong tie, matched minus comparison. The groups' starting points differ (the
  program may pick the most isolated first); subtracting each group's own change removes that
  difference, though not one in their trends. Its 95% interval combines each group's
  **Agresti–Min adjusted Wald** interval of a paired difference of proportions (Agresti & Min
  2005: half a person added to each cell of the group's before × after table). A percentile
  bootstrap covered as little as 63% for groups of 5 to 10 people, and gave a zero-width
  interval when no one's tie status changed; this keeps at least 95% in simulation.

A group of fewer than ``min_group`` people gives no estimate (``None``, with the reason).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054
NEWCOMBE = "newcombe_hybrid_score"
BOOTSTRAP = "bootstrap_percentile"
AGRESTI_MIN = "agresti_min_adjusted_wald"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a share.

    >>> [round(v, 4) for v in wilson(0, 10)], [round(v, 4) for v in wilson(5, 10)]
    ([0.0, 0.2775], [0.2366, 0.7634])
    """
    if n <= 0:
        raise ValueError("a share of nobody has no interval")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Effect:
    """A difference between two groups' shares, as ``evaluation.json`` writes it."""

    estimate: float | None
    ci95: tuple[float, float] | None
    method: str
    treated: int
    comparison: int
    treated_share: float | None
    comparison_share: float | None
    note: str | None = None
    min_group: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {
            "estimate": _round(self.estimate),
            "ci95": None if self.ci95 is None else [_round(v) for v in self.ci95],
            "method": self.method,
            "treated": _size(self.treated, self.min_group),
            "comparison": _size(self.comparison, self.min_group),
            "treated_share": _round(self.treated_share),
            "comparison_share": _round(self.comparison_share),
            "note": self.note,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _too_small(treated: int, comparison: int, min_group: int) -> str | None:
    # the groups are named, not counted: a count under ``min_group`` is itself suppressed
    small = [
        label
        for label, count in (("matched", treated), ("comparison", comparison))
        if count < min_group
    ]
    if not small:
        return None
    return (
        f"too few people to compare (fewer than {min_group} in the "
        f"{' and the '.join(small)} group): no estimate is shown"
    )


def _size(count: int, min_group: int) -> int | None:
    """A group's size as written: ``None`` under ``min_group`` (a suppressed figure)."""
    return count if count >= min_group else None


def share_difference(treated: np.ndarray, comparison: np.ndarray, *, min_group: int = 5) -> Effect:
    """``mean(treated) − mean(comparison)`` of two boolean outcomes, with Newcombe's hybrid
    score interval.

    Examples
    --------
    >>> e = share_difference(np.array([1] * 12 + [0] * 8, bool), np.array([1] * 3 + [0] * 17, bool))
    >>> round(e.estimate, 2), [round(v, 3) for v in e.ci95]
    (0.45, [0.15, 0.656])
    >>> share_difference(np.ones(3, bool), np.ones(9, bool)).estimate is None
    True
    """
    t = np.asarray(treated, bool)
    c = np.asarray(comparison, bool)
    nt, nc = len(t), len(c)
    note = _too_small(nt, nc, min_group)
    if note:
        return Effect(None, None, NEWCOMBE, nt, nc, None, None, note, min_group)
    xt, xc = int(t.sum()), int(c.sum())
    pt, pc = xt / nt, xc / nc
    lt, ut = wilson(xt, nt)
    lc, uc = wilson(xc, nc)
    d = pt - pc
    low = d - math.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
    high = d + math.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    return Effect(d, (max(-1.0, low), min(1.0, high)), NEWCOMBE, nt, nc, pt, pc, None, min_group)


@dataclass(frozen=True)
class DifferenceInDifferences:
    """The change in a share from before to after, matched minus comparison."""

    outcome: str
    estimate: float | None
    ci95: tuple[float, float] | None
    method: str
    treated: int
    comparison: int
    treated_before: float | None
    treated_after: float | None
    comparison_before: float | None
    comparison_after: float | None
    note: str | None = None
    min_group: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "estimate": _round(self.estimate),
            "ci95": None if self.ci95 is None else [_round(v) for v in self.ci95],
            "method": self.method,
            "treated": _size(self.treated, self.min_group),
            "comparison": _size(self.comparison, self.min_group),
            "treated_before": _round(self.treated_before),
            "treated_after": _round(self.treated_after),
            "comparison_before": _round(self.comparison_before),
            "comparison_after": _round(self.comparison_after),
            "note": self.note,
        }


def _paired_change(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """Agresti–Min: the adjusted change ``after − before`` of a share measured twice on the
    same people, and its variance (half a person added to each cell of the 2 × 2 table)."""
    m = len(before) + 2
    gained = (int((~before & after).sum()) + 0.5) / m
    lost = (int((before & ~after).sum()) + 0.5) / m
    change = gained - lost
    return change, (gained + lost - change * change) / m


def difference_in_differences(
    treated_before: np.ndarray,
    treated_after: np.ndarray,
    comparison_before: np.ndarray,
    comparison_after: np.ndarray,
    *,
    outcome: str = "has a strong tie",
    min_group: int = 5,
) -> DifferenceInDifferences:
    """``(after − before) of the treated − (after − before) of the comparison`` for a boolean
    outcome measured on the same people twice, with a 95% interval from each group's
    Agresti–Min adjusted Wald interval (their variances added).

    Examples
    --------
    >>> before = np.zeros(20, bool)
    >>> d = difference_in_differences(before, np.arange(20) < 10, before, np.arange(20) < 2)
    >>> round(d.estimate, 2), [round(v, 3) for v in d.ci95]
    (0.4, [0.092, 0.635])
    >>> nobody_changed = difference_in_differences(before[:5], before[:5], before, before)
    >>> nobody_changed.ci95[0] < 0 < nobody_changed.ci95[1]
    True
    """
    tb, ta = np.asarray(treated_before, bool), np.asarray(treated_after, bool)
    cb, ca = np.asarray(comparison_before, bool), np.asarray(comparison_after, bool)
    if tb.shape != ta.shape or cb.shape != ca.shape:
        raise ValueError("before and after must hold the same people")
    nt, nc = len(tb), len(cb)
    note = _too_small(nt, nc, min_group)
    if note:
        return DifferenceInDifferences(
            outcome, None, None, AGRESTI_MIN, nt, nc, None, None, None, None, note, min_group
        )
    estimate = float((ta.mean() - tb.mean()) - (ca.mean() - cb.mean()))
    change_t, variance_t = _paired_change(tb, ta)
    change_c, variance_c = _paired_change(cb, ca)
    centre = change_t - change_c
    half = Z95 * math.sqrt(variance_t + variance_c)
    return DifferenceInDifferences(
        outcome,
        estimate,
        (max(-2.0, centre - half), min(2.0, centre + half)),
        AGRESTI_MIN,
        nt,
        nc,
        float(tb.mean()),
        float(ta.mean()),
        float(cb.mean()),
        float(ca.mean()),
        None,
        min_group,
    )


@dataclass(frozen=True)
class FitEffect:
    """How much more often better-fitting pairs formed a tie: the simulation's ``fit_effect``.

    The simulation gives a pair the tie probability ``p × (1 + fit_effect × (fit − ½))``,
    ``fit`` the provider's rank among the seeker's options; here ``fit`` is the pair's score
    rank among the program's committed pairs (a proxy: the options are not stored), and the
    effect is the least-squares slope of the tie rate on the fit, divided by the mean rate
    (tied scores share their mid-rank: :func:`score_fit`).
    """

    estimate: float | None
    ci95: tuple[float, float] | None
    method: str
    seed: int
    pairs: int
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "estimate": _round(self.estimate),
            "ci95": None if self.ci95 is None else [_round(v) for v in self.ci95],
            "method": self.method,
            "seed": self.seed,
            "pairs": self.pairs,
            "note": self.note,
        }


def score_fit(scores: np.ndarray) -> np.ndarray:
    """Each score's mid-rank fraction in (0, 1): ``(rank + ½) / n``, tied scores sharing the
    mean of their ranks, so that the order the pairs come in never changes a figure.

    Examples
    --------
    >>> score_fit(np.array([3.0, 1.0, 3.0, 2.0])).tolist()
    [0.75, 0.125, 0.75, 0.375]
    """
    s = np.asarray(scores, np.float64)
    ordered = np.sort(s)
    rank = (np.searchsorted(ordered, s, "left") + np.searchsorted(ordered, s, "right") - 1) / 2
    return (rank + 0.5) / max(len(s), 1)


def _slope_over_mean(fit: np.ndarray, formed: np.ndarray) -> np.ndarray:
    """Per row of ``formed`` (resamples × pairs): the slope of formed on fit over its mean."""
    centred = fit - fit.mean()
    slope = (formed * centred).sum(axis=-1) / (centred**2).sum()
    mean = formed.mean(axis=-1)
    return np.divide(slope, mean, out=np.full(mean.shape, np.nan), where=mean > 0)


def _blocks(resamples: int, n: int, cells: int = 4_000_000) -> list[int]:
    """Resamples per block so that a block's draws hold about ``cells`` numbers; the blocks
    draw from one generator in turn, so the draws do not depend on the block size."""
    rows = max(1, cells // max(n, 1))
    return [min(rows, resamples - start) for start in range(0, resamples, rows)]


def _resampled_ratios(fit: np.ndarray, y: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """Slope over mean of each resample (row of ``picks``), from four sums per row:
    ``Σf``, ``Σf²``, ``Σy``, ``Σyf`` (no centred copy of the draws)."""
    n = picks.shape[1]
    f = fit[picks]
    yf = np.where(y[picks], f, 0.0)
    sum_f, sum_ff = f.sum(axis=1), np.einsum("ij,ij->i", f, f)
    sum_y, sum_yf = np.count_nonzero(y[picks], axis=1).astype(np.float64), yf.sum(axis=1)
    spread = sum_ff - sum_f**2 / n
    slope = np.divide(
        sum_yf - sum_y * sum_f / n,
        spread,
        out=np.full(n_rows := len(picks), np.nan),
        where=spread > 1e-12,
    )
    mean = sum_y / n
    return np.divide(slope, mean, out=np.full(n_rows, np.nan), where=(mean > 0) & ~np.isnan(slope))


def fit_effect(
    scores: np.ndarray,
    formed: np.ndarray,
    *,
    seed: int = 0,
    resamples: int = 2000,
    min_group: int = 5,
) -> FitEffect:
    """The observed ``fit_effect`` of the pairs' scores on tie formation, with a seeded
    percentile-bootstrap 95% interval (pairs resampled with replacement).

    Examples
    --------
    >>> scores = np.arange(40.0)
    >>> f = fit_effect(scores, scores >= 20, seed=3)
    >>> round(f.estimate, 2), f.ci95[0] <= f.estimate <= f.ci95[1]
    (3.0, True)
    """
    s = np.asarray(scores, np.float64)
    y = np.asarray(formed, bool)
    known = ~np.isnan(s)
    s, y = s[known], y[known]
    canonical = np.lexsort((y, s))  # the same pairs in any order give the same resamples
    s, y = s[canonical], y[canonical]
    n = len(s)
    method = f"least squares on score rank, {BOOTSTRAP} ({resamples} resamples)"
    if n < 4 * min_group or not y.any():
        why = (
            f"too few scored pairs ({n}, fewer than {4 * min_group})"
            if n < 4 * min_group
            else "no tie formed"
        )
        return FitEffect(None, None, method, seed, n, f"{why}: no estimate")
    fit = score_fit(s)
    if np.ptp(fit) == 0:
        return FitEffect(None, None, method, seed, n, "every pair has the same score: no estimate")
    estimate = float(_slope_over_mean(fit, y.astype(np.float64)[None, :])[0])
    rng = np.random.default_rng(seed)
    ratio = np.concatenate(
        [
            _resampled_ratios(fit, y, rng.integers(0, n, size=(rows, n)))
            for rows in _blocks(resamples, n)
        ]
    )
    ratio = ratio[~np.isnan(ratio)]
    low, high = np.quantile(ratio, [0.025, 0.975])
    return FitEffect(estimate, (float(low), float(high)), method, seed, n)
