"""Peer pairs of capacity one: a maximum weight matching, proven by its linear relaxation.

The model: choose pairs (edges ``{a, b}`` with score ``s``) so that nobody is in two pairs;
with ``cardinality = True`` first the most pairs, then the most score (coverage first: with one
pair each, the people covered are twice the pairs); else only the score.

The method, in three steps, each valid over every eligible pair:

1. **The number of pairs.** A greedy matching (the person with the fewest partners first,
   with their best free partner), then short augmenting paths and, on up to 400,000 pairs,
   CP-SAT reach ``ν`` pairs; no matching has more than the sum over the connected components
   of ``⌊size / 2⌋`` (people without a partner cannot be covered, and a component of odd size
   leaves one out), or than CP-SAT's proven maximum over every pair. When they meet, ``ν`` is
   the maximum; otherwise the caller's general method answers.
2. **A bound.** The matching LP with ``Σ x = ν`` and odd-set cuts
   (:mod:`matcher.assignment.solve.matching_lp`: a live HiGHS model, each person's best pairs
   first, every other pair priced in by its reduced cost, blossom inequalities added while the
   solution is fractional) has duals valid for every pair (checked over all of them, and
   repaired where a pair still violates its constraint): every matching ``M`` of ``ν`` pairs
   has ``w(M) ≤ bound + Σ_M rc`` with reduced costs ``rc ≤ 0``. When the cuts leave the LP's
   solution integral, it is a matching that meets the bound: the optimum, and step 3 is not
   needed.
3. **The optimum** (otherwise). A matching better than an incumbent ``w₀`` uses only pairs with
   ``rc > w₀ − bound``: CP-SAT on those pairs (hinted with the incumbent) finds the best
   such matching, and when it proves it, that is the optimum over all eligible pairs.

The plain LP relaxation of matchings is half-integral and its gap comes from a few odd cycles,
which the odd-set cuts close (Edmonds' matching polytope); where they do not in time, the
bound is still tight and the third step's pairs are few.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.sparse.csgraph import connected_components

from matcher.assignment.solve.common import SAT_SCALE, SolveOptions, cp_solver
from matcher.assignment.solve.matching_lp import relax

CANDIDATES_PER_PERSON = 4
"""Best pairs per person the LP starts from (the rest are priced in)."""
EXACT_PAIRS = 400_000
"""Most pairs the final CP-SAT model may hold (above it the incumbent stands, bounded)."""
TOLERANCE = 1e-7
LP_SHARE = 0.8
"""Share of the time left that the LP may take (where it does not end integral, CP-SAT has
the rest)."""
COMPLETION_SECONDS = 5.0
"""Above ``EXACT_PAIRS`` eligible pairs the LP takes all the time but this, left to complete
its whole pairs into a matching; CP-SAT is not called there unless the LP ends integral (at
10,000 people and 27.5M pairs its three calls found no matching in the 12 s they had)."""
MATCHING_PAIRS = 40_000_000
"""Most eligible pairs a peer program is solved by this module at (each pricing round scans
every pair: about a second per round at 27.5M pairs, 4 GB at the peak)."""
INCUMBENT_SHARE = 0.3
"""Share of the time left for an incumbent."""
INCUMBENT_SECONDS = 2.0
"""At most this long for the incumbent from the LP's whole pairs."""
INCUMBENT_GAP = 1e-4
"""An incumbent this close to the bound (relative) is good enough to start the proof from."""


@dataclass(frozen=True)
class Matching:
    """A matching and what is known about it."""

    chosen: np.ndarray
    """Indices of the chosen pairs."""
    pairs: int
    """How many pairs at most any matching has (``cardinality``), else ``len(chosen)``."""
    pairs_proven: bool
    score: float
    bound: float
    """Upper bound on the score of any matching with ``pairs`` pairs (any matching when
    ``cardinality`` is false), over all eligible pairs."""
    proven: bool
    """Whether ``score`` is proven optimal (``bound`` is then ``score``)."""


def _greedy(n: int, a: np.ndarray, b: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Pairs in ``order`` while both people are free: a maximal matching (indices)."""
    free = np.ones(n, dtype=bool)
    chosen = []
    for k, x, y in zip(order.tolist(), a[order].tolist(), b[order].tolist(), strict=True):
        if free[x] and free[y]:
            free[x] = free[y] = False
            chosen.append(k)
    return np.asarray(chosen, dtype=np.int64)


Adjacency = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Per person (CSR): where their pairs start, the other person of each and the pair's index."""


def _adjacency(n: int, a: np.ndarray, b: np.ndarray) -> Adjacency:
    """Each person's pairs, grouped by person (a stable sort of the pairs' ends: at 27.5M pairs
    2.5 times as fast as building a sparse matrix, which also sorts each row)."""
    m = len(a)
    ends = np.concatenate([a, b]).astype(np.int32)
    order = np.argsort(ends, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    start[1:] = np.cumsum(np.bincount(ends, minlength=n))
    others = np.concatenate([b, a]).astype(np.int64)[order]
    return start, others, order % m


def _cover_greedy(adjacency: Adjacency, a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    """A maximal matching that covers many people: the free person with the fewest partners
    first, paired with their best-scoring free partner (indices)."""
    start, others, arcs = adjacency
    n = len(start) - 1
    degree = np.diff(start)
    free = np.ones(n, dtype=bool)
    chosen = []
    for person in np.argsort(degree, kind="stable").tolist():
        if not free[person] or not degree[person]:
            continue
        near = slice(start[person], start[person + 1])
        open_ = free[others[near]]
        if not open_.any():
            continue
        options = arcs[near][open_]
        k = int(options[np.argmax(s[options])])
        free[a[k]] = free[b[k]] = False
        chosen.append(k)
    return np.asarray(sorted(chosen), dtype=np.int64)


def _augment(
    adjacency: Adjacency, a: np.ndarray, b: np.ndarray, chosen: np.ndarray, deadline: float
) -> np.ndarray:
    """More pairs by augmenting paths over every pair: from each free person a breadth-first
    search along alternating paths (any pair out of an outer person, the matched pair back),
    until it reaches another free person; the path's pairs then swap in and out. Odd cycles
    are not shrunk (no blossoms), so a path may be missed: the count is only a start, the
    maximum is proven by the caller."""
    start, others, arcs = adjacency
    n = len(start) - 1
    mate = np.full(n, -1, dtype=np.int64)
    mate[a[chosen]], mate[b[chosen]] = b[chosen], a[chosen]
    degree = np.diff(start)
    for root in np.flatnonzero((mate < 0) & (degree > 0)).tolist():
        if time.perf_counter() >= deadline:
            break
        if mate[root] >= 0:
            continue
        seen = np.zeros(n, dtype=bool)
        seen[root] = True
        parent = np.full(n, -1, dtype=np.int64)  # an inner person's outer predecessor
        frontier = np.array([root])
        end = -1
        while len(frontier) and end < 0:
            counts = degree[frontier]
            source = np.repeat(frontier, counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            reached = others[np.repeat(start[frontier], counts) + offsets]
            free = np.flatnonzero((mate[reached] < 0) & (reached != root))
            if len(free):
                end, via = int(reached[free[0]]), int(source[free[0]])
                break
            new = ~seen[reached]
            inner, first = np.unique(reached[new], return_index=True)
            parent[inner] = source[new][first]
            seen[inner] = True
            outer = mate[inner]
            outer = outer[~seen[outer]]
            seen[outer] = True
            frontier = outer
        if end < 0:
            continue
        # swap along the path: end–via in, then back to the root through the inner people
        x, y = via, end
        while True:
            previous = int(mate[x])
            mate[x], mate[y] = y, x
            if x == root:
                break
            x, y = int(parent[previous]), previous
    people = np.flatnonzero(mate > np.arange(n))
    pair_of = {}
    for person in people.tolist():
        near = slice(start[person], start[person + 1])
        k = np.flatnonzero(others[near] == mate[person])[0]
        pair_of[person] = int(arcs[near][k])
    return np.asarray(sorted(pair_of.values()), dtype=np.int64)


def _most_pairs(adjacency: Adjacency) -> int:
    """At most how many pairs any matching has: per connected component, half its size."""
    start, others, _ = adjacency
    n = len(start) - 1
    graph = sp.csr_matrix((np.ones(len(others), dtype=np.int8), others, start), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    sizes = np.bincount(label, minlength=1)
    return int((sizes // 2).sum())


def _best_per_person(adjacency: Adjacency, s: np.ndarray, k: int) -> np.ndarray:
    """Each person's ``k`` best-scoring pairs (indices, each once)."""
    start, _, arcs = adjacency
    best = []
    for person in range(len(start) - 1):
        mine = arcs[start[person] : start[person + 1]]
        if len(mine) > k:
            mine = mine[np.argpartition(-s[mine], k - 1)[:k]]
        best.append(mine)
    return np.unique(np.concatenate(best)) if best else np.zeros(0, dtype=np.int64)


def _complete(
    n: int, a: np.ndarray, b: np.ndarray, s: np.ndarray, chosen: np.ndarray, deadline: float
) -> np.ndarray:
    """``chosen`` (a matching) and a matching of the people it leaves out among themselves:
    the fewest-partners greedy, then augmenting paths."""
    rest = np.ones(n, dtype=bool)
    rest[a[chosen]] = rest[b[chosen]] = False
    among = np.flatnonzero(rest[a] & rest[b])
    if not len(among):
        return chosen
    adjacency = _adjacency(n, a[among], b[among])
    more = _cover_greedy(adjacency, a[among], b[among], s[among])
    more = _augment(adjacency, a[among], b[among], more, deadline)
    return np.sort(np.concatenate([chosen, among[more]]))


def _union(m: int, *parts: np.ndarray) -> np.ndarray:
    """The pairs (of ``m``) in any of ``parts``, sorted (a mask: ``np.union1d`` on 27.5M pairs
    took 100 s)."""
    mask = np.zeros(m, dtype=bool)
    for part in parts:
        mask[part] = True
    return np.flatnonzero(mask)


def _is_matching(
    n: int, a: np.ndarray, b: np.ndarray, chosen: np.ndarray, pairs: int | None
) -> bool:
    """Whether ``chosen`` puts nobody in two pairs (and has ``pairs`` pairs when given)."""
    load = np.bincount(a[chosen], minlength=n) + np.bincount(b[chosen], minlength=n)
    return bool((load <= 1).all()) and (pairs is None or len(chosen) == pairs)


def _exact(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    arcs: np.ndarray,
    pairs: int | None,
    hint: np.ndarray,
    options: SolveOptions,
    seconds: float,
) -> tuple[np.ndarray, bool] | None:
    """The best matching on ``arcs`` (with ``pairs`` pairs when given) by CP-SAT, hinted with
    ``hint``, and whether it is proven; ``None`` when none was found in time."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x_{k}") for k in arcs.tolist()]
    touching: list[list[int]] = [[] for _ in range(n)]
    for j, (p, q) in enumerate(zip(a[arcs].tolist(), b[arcs].tolist(), strict=True)):
        touching[p].append(j)
        touching[q].append(j)
    # nobody is in two pairs
    for js in touching:
        if len(js) > 1:
            model.add_at_most_one([x[j] for j in js])
    # coverage first: as many pairs as the most any matching has
    if pairs is not None:
        model.add(cp_model.LinearExpr.sum(x) == pairs)
    weights = np.rint(s[arcs] * SAT_SCALE).astype(np.int64).tolist()
    model.maximize(cp_model.LinearExpr.weighted_sum(x, weights))
    hinted = set(hint.tolist())
    model.proto.solution_hint.vars.extend([v.index for v in x])
    model.proto.solution_hint.values.extend([int(k in hinted) for k in arcs.tolist()])
    solver = cp_solver(options, seconds)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    chosen = arcs[[solver.boolean_value(v) for v in x]]
    return chosen, status == cp_model.OPTIMAL


def max_weight_matching(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    *,
    cardinality: bool,
    options: SolveOptions,
    deadline: float,
) -> Matching | None:
    """The best matching of ``n`` people over pairs ``(a[k], b[k])`` scored ``s[k]``.

    Parameters
    ----------
    n : int
        People (positions ``0 … n-1``).
    a, b : numpy.ndarray
        The two people of each eligible pair (each unordered pair once).
    s : numpy.ndarray
        The score of each pair.
    cardinality : bool
        Most pairs first, then score (coverage first); else only the score.
    options : SolveOptions
        Seed and workers of CP-SAT.
    deadline : float
        ``time.perf_counter()`` value to finish by.

    Returns
    -------
    Matching or None
        ``None`` when the number of pairs could not be proven maximal (coverage first), so
        that the caller's general method answers.

    Notes
    -----
    The method is the module's: pairs, LP bound with pricing, reduced-cost fixing, CP-SAT.

    Examples
    --------
    >>> import numpy as np
    >>> a, b, s = np.array([0, 1, 0]), np.array([1, 2, 3]), np.array([5.0, 4.0, 1.0])
    >>> m = max_weight_matching(4, a, b, s, cardinality=True, options=SolveOptions(),
    ...                         deadline=float("inf"))
    >>> sorted(m.chosen.tolist()), m.score, m.proven
    ([1, 2], 5.0, True)
    """
    a, b, s = a.astype(np.int64), b.astype(np.int64), s.astype(np.float64)
    if not cardinality:
        keep = np.flatnonzero(s > 0)
        return _lift(_solve(n, a[keep], b[keep], s[keep], None, options, deadline), keep)
    adjacency = _adjacency(n, a, b)
    first = _best_per_person(adjacency, s, CANDIDATES_PER_PERSON)
    greedy = _cover_greedy(adjacency, a, b, s)
    most = _most_pairs(adjacency)
    first = _union(len(a), first, greedy)
    if len(greedy) < most:
        # more pairs by augmenting paths over every pair
        greedy = _augment(adjacency, a, b, greedy, deadline)
        first = _union(len(a), first, greedy)
    for arcs in (first, np.arange(len(a))):
        if len(greedy) >= most or len(arcs) > EXACT_PAIRS:
            continue
        # the most pairs by CP-SAT, on each person's best pairs, then on every pair (where
        # a proven maximum is the maximum)
        found = _exact(
            n,
            a,
            b,
            np.full(len(a), 1.0 / SAT_SCALE),
            arcs,
            None,
            greedy,
            options,
            (deadline - time.perf_counter()) / 2,
        )
        if found is not None and len(found[0]) > len(greedy):
            greedy = found[0]
        if found is not None and found[1] and len(arcs) == len(a):
            most = len(found[0])
    if len(greedy) < most:
        return None
    return _solve(n, a, b, s, most, options, deadline, greedy, first)


def _lift(found: Matching, keep: np.ndarray) -> Matching:
    """``found`` on the pairs ``keep`` selected, as indices of all pairs."""
    return Matching(
        keep[found.chosen], found.pairs, found.pairs_proven, found.score, found.bound, found.proven
    )


def _solve(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    pairs: int | None,
    options: SolveOptions,
    deadline: float,
    start: np.ndarray | None = None,
    best_pairs: np.ndarray | None = None,
) -> Matching:
    """Steps two and three of the module docstring, from the matching ``start`` and each
    person's best pairs ``best_pairs`` (both found here when not given)."""
    if best_pairs is None:
        best_pairs = _best_per_person(_adjacency(n, a, b), s, CANDIDATES_PER_PERSON)
    if start is None:
        start = best_pairs[
            _greedy(n, a[best_pairs], b[best_pairs], np.argsort(-s[best_pairs], kind="stable"))
        ]
    if not len(a):
        return Matching(start, 0, True, 0.0, 0.0, True)
    first = _union(len(a), best_pairs, start)
    large = len(a) > EXACT_PAIRS
    if large:
        lp_deadline = deadline - COMPLETION_SECONDS
    else:
        lp_deadline = time.perf_counter() + LP_SHARE * (deadline - time.perf_counter())
    relaxation = relax(n, a, b, s, pairs, first, lp_deadline)
    count = len(start) if pairs is None else pairs
    bound = relaxation.bound(pairs)
    reduced = relaxation.reduced(a, b, s)
    cols, whole = relaxation.cols, relaxation.whole
    best, proven = start, False
    integral = relaxation.integral and _is_matching(n, a, b, whole, pairs)
    if integral and float(s[whole].sum()) >= float(s[best].sum()):
        # the LP's solution is a matching (the odd-set cuts made it integral): the optimum
        # when its score meets the bound
        best = whole
    elif _is_matching(n, a, b, whole, None):
        # the LP stopped fractional: its whole pairs, and everyone else paired greedily
        completed = _complete(n, a, b, s, whole, deadline)
        if _is_matching(n, a, b, completed, pairs) and float(s[completed].sum()) > float(
            s[best].sum()
        ):
            best = completed
    # a good incumbent first: the LP's whole pairs, and the best matching of everyone else
    # over all their pairs (the LP leaves few: those on its odd cycles of halves)
    rest = np.ones(n, dtype=bool)
    rest[a[whole]] = rest[b[whole]] = False
    among = np.flatnonzero(rest[a] & rest[b])
    for arcs, seconds in ((_union(len(a), whole, among), INCUMBENT_SECONDS), (cols, None)):
        if large or bound - float(s[best].sum()) <= INCUMBENT_GAP * max(1.0, abs(bound)):
            break
        if len(arcs) > EXACT_PAIRS:
            continue
        left = deadline - time.perf_counter()
        found = _exact(
            n, a, b, s, arcs, pairs, best, options, min(seconds or left, INCUMBENT_SHARE * left)
        )
        if found is not None and float(s[found[0]].sum()) >= float(s[best].sum()):
            best = found[0]
    for _ in range(3):
        score = float(s[best].sum())
        if bound - score <= TOLERANCE * max(1.0, abs(bound)):
            proven = True
            break
        seconds = deadline - time.perf_counter()
        if seconds <= 0.05 or (large and not integral):
            break
        # only pairs with rc > score − bound can be in a better matching
        keep = reduced > score - bound - TOLERANCE
        keep[best] = True
        arcs = np.flatnonzero(keep)
        if len(arcs) > EXACT_PAIRS:
            # too many: a better incumbent first, on each person's best pairs
            arcs = _union(len(a), first, best)
            complete = False
        else:
            complete = True
        found = _exact(n, a, b, s, arcs, pairs, best, options, seconds)
        if found is None:
            break
        chosen, optimal = found
        if float(s[chosen].sum()) >= score:
            best = chosen
        if optimal and complete:
            proven = True
            break
        if not complete:
            continue
        break
    score = float(s[best].sum())
    if proven:
        bound = score
    if pairs is None:
        count = len(best)
    return Matching(best, count, True, score, max(bound, score), proven)
