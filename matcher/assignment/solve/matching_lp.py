"""The matching LP with odd-set cuts, solved on a live HiGHS model: pairs priced in as columns,
blossom inequalities added as rows, each re-solve warm-started from the last basis.

The model: maximise ``Σ s_e x_e`` over ``x ≥ 0`` with ``Σ_{e ∋ i} x_e ≤ 1`` for each person
``i``, ``Σ x = ν`` when the number of pairs is fixed (coverage first), and, for some odd sets
``S`` of people, ``Σ_{e ⊆ S} x_e ≤ (|S| − 1) / 2`` (no matching has more pairs inside an odd
set). Its dual ``y ≥ 0`` (people), ``μ`` (the pair count), ``z ≥ 0`` (odd sets) bounds every
matching ``M`` of ``ν`` pairs whenever every eligible pair has a reduced cost
``rc_e = s_e − y_a − y_b − μ − Σ_{S ⊇ e} z_S ≤ 0``::

    w(M) = Σ_M (rc_e + y_a + y_b + μ + Σ_{S ⊇ e} z_S) ≤ Σ y + ν μ + Σ z_S (|S| − 1) / 2 + Σ_M rc_e

The LP starts on each person's best pairs; after each solve every pair is priced and those with
a positive reduced cost become columns; when none is left and ``x`` is fractional, the odd
connected components of its fractional pairs that break their odd-set inequality become rows
(the half-integral vertices of the plain LP are odd cycles of halves, each cut by its own set).
With the odd-set inequalities for every odd set the LP describes the matching polytope
(Edmonds), so on most instances a few rounds leave an integral ``x``: the optimum, proven by the
dual. Whatever is left when time runs out, the duals are repaired to be valid over every pair
(pairs that still have ``rc > 0`` raise ``y``: :meth:`Relaxation.repair`).

HiGHS comes from the ``highspy`` package when installed, else the copy bundled with SciPy
(``scipy.optimize._highspy``, the same bindings); without either the LP is re-solved from
scratch by :func:`scipy.optimize.linprog` on each round, with no cuts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

TOLERANCE = 1e-7
"""A reduced cost above this is positive; an ``x`` this close to 0 or 1 is whole."""
INTEGRAL = 1e-6
SOLVES = 60
"""LP solves at most (pricing and cut rounds together)."""
SCRATCH_SOLVES = 8
"""LP solves at most when each starts from scratch (no live model)."""
PRICE_BATCH = 4
"""Pairs priced in per person and round, at most."""
PRICE_SHORTLIST = 10
"""Per person, this many times ``PRICE_BATCH`` of the largest violations overall are
shortlisted before each person's largest are picked (a partition, linear time: millions of
pairs may be violated at first)."""
FRESH_SHARE = 0.2
"""New columns, as a share of those in the LP, above which the next solve starts afresh."""


def _live_highs() -> Any | None:
    """A new HiGHS model object (``highspy`` or SciPy's bundled bindings), or ``None``."""
    try:
        import highspy

        return highspy.Highs()
    except ImportError:
        pass
    try:
        from scipy.optimize._highspy import _core

        return _core._Highs()
    except (ImportError, AttributeError):
        return None


@dataclass
class Relaxation:
    """Duals of the matching LP (valid for every pair) and what its last solution was."""

    y: np.ndarray
    """Per person, ``≥ 0``."""
    mu: float
    """Of ``Σ x = ν`` (0 without it)."""
    sets: list[np.ndarray] = field(default_factory=list)
    """Odd sets with a cut (a mask over people each)."""
    inside: list[np.ndarray] = field(default_factory=list)
    """Per odd set, the eligible pairs inside it (indices)."""
    z: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Per odd set, ``≥ 0``."""
    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Pairs the LP was last solved on."""
    whole: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Pairs its last solution takes whole (``x = 1``)."""
    integral: bool = False
    """Whether the last solution is integral with no pair left to price: then ``whole`` is
    a matching whose score the bound meets (up to the repair)."""

    def reduced(self, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Reduced cost of each pair."""
        rc = s - self.mu
        rc -= self.y[a]
        rc -= self.y[b]
        for z, pairs in zip(self.z.tolist(), self.inside, strict=True):
            if z > 0:
                rc[pairs] -= z
        return rc

    def repair(self, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Raise ``y`` where a pair still has ``rc > 0``; the reduced costs after it (``≤ 0``).

        Either each person's ``y`` rises by half the largest positive reduced cost of their
        pairs, or each pair's first person's by the largest of the pairs they are first in;
        whichever adds less (both leave every ``rc ≤ 0``)."""
        rc = self.reduced(a, b, s)
        over = np.flatnonzero(rc > 0)
        if len(over):
            n = len(self.y)
            half = np.zeros(n)
            np.maximum.at(half, a[over], rc[over] / 2)
            np.maximum.at(half, b[over], rc[over] / 2)
            first = np.zeros(n)
            np.maximum.at(first, a[over], rc[over])
            self.y += half if half.sum() <= first.sum() else first
            rc = self.reduced(a, b, s)
            # rounding may leave a few pairs a hair above zero: the first person covers them
            over = np.flatnonzero(rc > 0)
            if len(over):
                np.maximum.at(self.y, a[over], self.y[a[over]] + rc[over])
                rc = self.reduced(a, b, s)
        return rc

    def bound(self, pairs: int | None) -> float:
        """``Σ y + ν μ + Σ z (|S| − 1) / 2``: at least the score of any matching (of ``pairs``
        pairs when given) once every reduced cost is ``≤ 0``."""
        total = float(self.y.sum()) + (self.mu * pairs if pairs is not None else 0.0)
        for z, members in zip(self.z.tolist(), self.sets, strict=True):
            total += z * ((int(members.sum()) - 1) // 2)
        return total


def _priced(
    rc: np.ndarray, pairs: np.ndarray, a: np.ndarray, b: np.ndarray, in_lp: np.ndarray
) -> np.ndarray:
    """Of ``pairs`` (reduced costs ``rc``), those with a positive reduced cost not yet columns:
    per person the ``PRICE_BATCH`` largest (among a shortlist of the largest overall,
    ``PRICE_SHORTLIST`` times as many per person)."""
    open_ = (rc > TOLERANCE) & ~in_lp[pairs]
    violated, values = pairs[open_], rc[open_]
    if not len(violated):
        return violated
    most = PRICE_SHORTLIST * PRICE_BATCH * (int(max(a.max(), b.max())) + 1)
    if len(violated) > most:
        keep = np.argpartition(-values, most - 1)[:most]
        violated, values = violated[keep], values[keep]
    worst = violated[np.argsort(-values, kind="stable")]
    ends = np.concatenate([a[worst], b[worst]])
    rank = np.concatenate([np.arange(len(worst)), np.arange(len(worst))])
    order = np.lexsort((rank, ends))
    first = np.searchsorted(ends[order], ends[order], side="left")
    picked = np.concatenate([worst, worst])[order][(np.arange(len(order)) - first) < PRICE_BATCH]
    return np.unique(picked)


def _odd_sets(
    n: int, a: np.ndarray, b: np.ndarray, cols: np.ndarray, x: np.ndarray
) -> list[np.ndarray]:
    """Odd connected components of the fractional pairs whose odd-set inequality ``x`` breaks."""
    fractional = cols[(x > INTEGRAL) & (x < 1 - INTEGRAL)]
    if not len(fractional):
        return []
    graph = sp.coo_matrix((np.ones(len(fractional)), (a[fractional], b[fractional])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    touched = np.zeros(n, dtype=bool)
    touched[a[fractional]] = touched[b[fractional]] = True
    found = []
    for component in np.unique(label[touched]).tolist():
        members = label == component
        size = int(members.sum())
        if size % 2 == 0:
            continue
        inside = members[a[cols]] & members[b[cols]]
        if float(x[inside].sum()) > (size - 1) / 2 + INTEGRAL:
            found.append(members)
    return found


class _LiveLP:
    """The LP on a HiGHS model that keeps its basis between solves."""

    def __init__(self, highs: Any, n: int, pairs: int | None) -> None:
        self.highs, self.n, self.pairs = highs, n, pairs
        self.sets: list[np.ndarray] = []
        self.inside: list[np.ndarray] = []
        self.in_lp: np.ndarray = np.zeros(0, dtype=bool)
        self.cols = np.zeros(0, dtype=np.int64)
        highs.setOptionValue("output_flag", False)
        inf = highs.getInfinity()
        none = (0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
        # each person in at most one pair
        highs.addRows(n, np.full(n, -inf), np.ones(n), *none)
        if pairs is not None:
            # exactly ν pairs
            highs.addRows(1, np.array([float(pairs)]), np.array([float(pairs)]), *none)

    def add_pairs(self, picked: np.ndarray, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> None:
        """New columns: each pair in its two people's rows, the pair count and the odd sets
        holding both."""
        rows = [a[picked], b[picked]]
        if self.pairs is not None:
            rows.append(np.full(len(picked), self.n))
        extra = self.n + (self.pairs is not None)
        member = np.zeros((len(picked), len(self.sets)), dtype=bool)
        for j, members in enumerate(self.sets):
            member[:, j] = members[a[picked]] & members[b[picked]]
        fixed = np.stack(rows, axis=1)
        starts: list[int] = []
        index: list[int] = []
        for k in range(len(picked)):
            starts.append(len(index))
            index.extend(fixed[k].tolist())
            index.extend((extra + np.flatnonzero(member[k])).tolist())
        self.highs.addCols(
            len(picked),
            -s[picked].astype(np.float64),  # HiGHS minimises: the duals are ≤ 0
            np.zeros(len(picked)),
            np.full(len(picked), self.highs.getInfinity()),
            len(index),
            np.asarray(starts, dtype=np.int32),
            np.asarray(index, dtype=np.int32),
            np.ones(len(index)),
        )
        self.cols = np.concatenate([self.cols, picked])
        self.in_lp[picked] = True

    def add_sets(self, sets: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> None:
        """An odd-set row for each of ``sets`` (disjoint) over the columns inside it."""
        label = np.full(self.n, -1, dtype=np.int64)
        for k, members in enumerate(sets):
            label[members] = k
        # the eligible pairs inside each set, found in one pass over all pairs
        ends = label[a]
        both = np.flatnonzero((ends >= 0) & (ends == label[b]))
        order = np.argsort(ends[both], kind="stable")
        bounds = np.searchsorted(ends[both][order], np.arange(len(sets) + 1))
        for k, members in enumerate(sets):
            inside = np.flatnonzero(members[a[self.cols]] & members[b[self.cols]]).astype(np.int32)
            limit = float((int(members.sum()) - 1) // 2)
            self.highs.addRow(
                -self.highs.getInfinity(), limit, len(inside), inside, np.ones(len(inside))
            )
            self.sets.append(members)
            self.inside.append(both[order[bounds[k] : bounds[k + 1]]])

    def solve(self, deadline: float, fresh: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """Run until ``deadline`` at most; the solution ``x`` and the row duals, or ``None``
        when not optimal. A ``fresh`` solve (the first, or after many new columns) is by the
        interior point method with crossover to a basis (at 4,000 people and 34k pairs: 1 s
        against 7 s by simplex; at 10,000 people, 146k new columns on 123k: simplex took
        117 s), the others by simplex from the last basis."""
        self.highs.setOptionValue("solver", "ipm" if fresh else "simplex")
        # HiGHS's time limit counts the model's run time over all its runs so far
        left = max(deadline - time.perf_counter(), 0.01)
        self.highs.setOptionValue("time_limit", self.highs.getRunTime() + left)
        self.highs.run()
        status = self.highs.getModelStatus()
        if self.highs.modelStatusToString(status) != "Optimal":
            return None
        solution = self.highs.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.row_dual)


def relax(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    pairs: int | None,
    start: np.ndarray,
    deadline: float,
) -> Relaxation:
    """The matching LP's duals (valid for every pair once repaired), from the pairs ``start``.

    Parameters
    ----------
    n : int
        People.
    a, b, s : numpy.ndarray
        The two people and the score of each eligible pair.
    pairs : int, optional
        ``ν``: the number of pairs every matching considered has.
    start : numpy.ndarray
        The pairs the first LP is solved on.
    deadline : float
        ``time.perf_counter()`` after which no new solve starts.

    Returns
    -------
    Relaxation
        Repaired duals: ``bound(pairs)`` is at least the score of every matching (of ``pairs``
        pairs when given) over all eligible pairs.
    """
    highs = _live_highs()
    if highs is None:
        found = _from_scratch(n, a, b, s, pairs, start, deadline)
    else:
        found = _live(highs, n, a, b, s, pairs, start, deadline)
    found.repair(a, b, s)
    return found


def _live(
    highs: Any,
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    pairs: int | None,
    start: np.ndarray,
    deadline: float,
) -> Relaxation:
    lp = _LiveLP(highs, n, pairs)
    lp.in_lp = np.zeros(len(a), dtype=bool)
    lp.add_pairs(start, a, b, s)
    found = Relaxation(np.zeros(n), 0.0)
    fresh = True
    for _ in range(SOLVES):
        if time.perf_counter() >= deadline:
            break
        solved = lp.solve(deadline, fresh)
        if solved is None:
            break
        x, dual = solved
        k = len(lp.sets)
        found = Relaxation(
            y=np.maximum(-dual[:n], 0.0),
            mu=float(-dual[n]) if pairs is not None else 0.0,
            sets=list(lp.sets),
            inside=list(lp.inside),
            z=np.maximum(-dual[len(dual) - k :], 0.0) if k else np.zeros(0),
            cols=lp.cols.copy(),
            whole=lp.cols[x > 1 - INTEGRAL],
        )
        picked = _priced(found.reduced(a, b, s), np.arange(len(a)), a, b, lp.in_lp)
        if len(picked):
            fresh = len(picked) > FRESH_SHARE * len(lp.cols)
            lp.add_pairs(picked, a, b, s)
            continue
        fresh = False
        cuts = _odd_sets(n, a, b, lp.cols, x)
        if not cuts:
            found.integral = bool(((x < INTEGRAL) | (x > 1 - INTEGRAL)).all())
            break
        lp.add_sets(cuts, a, b)
    return found


def _from_scratch(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    pairs: int | None,
    start: np.ndarray,
    deadline: float,
) -> Relaxation:
    """Pricing only, each LP by :func:`scipy.optimize.linprog` from scratch (no live model)."""
    cols = start
    found = Relaxation(np.zeros(n), 0.0)
    for _ in range(SCRATCH_SOLVES):
        if time.perf_counter() >= deadline:
            break
        m = len(cols)
        rows = np.concatenate([a[cols], b[cols]])
        matrix = sp.csr_matrix(
            (np.ones(2 * m), (rows, np.concatenate([np.arange(m), np.arange(m)]))), shape=(n, m)
        )
        equality = (np.ones((1, m)), [pairs]) if pairs is not None else (None, None)
        result = linprog(
            -s[cols],
            A_ub=matrix,
            b_ub=np.ones(n),
            A_eq=equality[0],
            b_eq=equality[1],
            bounds=(0, None),
            method="highs",
        )
        if result.status != 0:
            break
        x = result.x
        found = Relaxation(
            y=np.maximum(-result.ineqlin.marginals, 0.0),
            mu=float(-result.eqlin.marginals[0]) if pairs is not None else 0.0,
            cols=cols,
            whole=cols[x > 1 - INTEGRAL],
        )
        in_lp = np.zeros(len(a), dtype=bool)
        in_lp[cols] = True
        picked = _priced(found.reduced(a, b, s), np.arange(len(a)), a, b, in_lp)
        if not len(picked):
            found.integral = bool(((x < INTEGRAL) | (x > 1 - INTEGRAL)).all())
            break
        cols = np.union1d(cols, picked)
    return found
