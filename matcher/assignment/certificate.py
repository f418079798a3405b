"""Certify a min-cost flow assignment over *all* eligible pairs, independently of the solver.

A flow solution of :mod:`matcher.assignment.solve` claims two things: it serves as many seeker slots as
any assignment can (coverage first), and among those it has the best total score. This module
checks both claims from the definition of the problem, with code of its own:

* **Coverage is maximum**: no augmenting path exists in the residual network (a breadth-first
  search from the source, over every eligible pair, never reaches the sink). By the max-flow
  min-cut theorem the coverage then equals a maximum flow.
* **The score is optimal at that coverage**: the node potentials the solver hands over give every
  residual arc a non-negative reduced cost, over every eligible pair, so the residual network has
  no negative cycle (the linear-programming optimality conditions of min-cost flow).

With minimum loads (``capacity.min``) the provider → sink arcs carry a lower bound (the load each
provider still needs), and the same conditions are checked on that network; the minimum loads
must also be met. Must pairs are fixed beforehand and only use up room.

Nothing here imports the solver; the solver imports :class:`FlowPotentials` to fill it in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from matcher.assignment.compile import MatchingProblem

CHUNK = 4_000_000  # arcs whose reduced costs are checked at once (bounds the memory)
BFS_ARCS = 5_000_000
"""Up to this many eligible pairs (and always with minimum loads) coverage is also checked by a
breadth-first search of the residual network; above it by duality alone (cheaper, as exact)."""


@dataclass(frozen=True)
class FlowPotentials:
    """Node potentials (integer, in cost units) of a flow solution, by role.

    ``group`` holds the (provider position, team code) nodes of per-team caps that the solver's
    network had; a (provider, team) node it did not need takes its provider's potential.
    ``scale`` is the cost units per score unit (costs are ``-round(score * scale)``);
    ``minimum_loads`` says the potentials are those of the network with minimum loads as lower
    bounds (fixed coverage), not of the maximum flow.
    """

    source: int
    sink: int
    seeker: np.ndarray
    provider: np.ndarray
    group: dict[tuple[int, int], int]
    scale: int
    minimum_loads: bool


def _locator(problem: MatchingProblem) -> Callable[[list[tuple[int, int]]], np.ndarray | None]:
    """A function from ``(seeker, provider)`` pairs to their arc ids (``None`` when one is not
    an eligible pair). Compiled problems list arcs seeker by seeker: then each pair is found by
    binary search, without sorting every arc."""
    width = max(len(problem.providers), 1)
    seeker, provider = problem.arc_seeker, problem.arc_provider
    # sorted by seeker, then provider (as compile_program lists them)?
    by_seeker = len(seeker) < 2 or bool(
        (
            (seeker[1:] > seeker[:-1])
            | ((seeker[1:] == seeker[:-1]) & (provider[1:] > provider[:-1]))
        ).all()
    )
    if not by_seeker:
        keys = seeker.astype(np.int64) * width + provider.astype(np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]

    def find(items: list[tuple[int, int]]) -> np.ndarray | None:
        if not items:
            return np.zeros(0, np.int64)
        if not len(seeker):
            return None
        wanted = np.array(items, dtype=np.int64).reshape(-1, 2)
        if not by_seeker:
            key = wanted[:, 0] * width + wanted[:, 1]
            at = np.minimum(np.searchsorted(sorted_keys, key), len(sorted_keys) - 1)
            return order[at] if bool((sorted_keys[at] == key).all()) else None
        # same dtype as the arcs, or numpy converts all of them for each search
        first = wanted[:, 0].astype(seeker.dtype)
        low = np.searchsorted(seeker, first, side="left")
        high = np.searchsorted(seeker, first, side="right")
        # each seeker's arcs list providers in ascending order: bisect all pairs at once
        lo, hi = low.copy(), high.copy()
        while bool((lo < hi).any()):
            mid = (lo + hi) // 2
            active = lo < hi
            below = np.zeros(len(mid), dtype=bool)
            below[active] = provider[mid[active]] < wanted[active, 1]
            lo = np.where(active & below, mid + 1, lo)
            hi = np.where(active & ~below, mid, hi)
        inside = lo < high
        found = np.minimum(lo, len(provider) - 1)
        if not bool((inside & (provider[found] == wanted[:, 1])).all()):
            return None
        return found

    return find


def certify_flow(
    problem: MatchingProblem,
    pairs: list[tuple[int, int]],
    potentials: FlowPotentials,
    *,
    bfs_arcs: int = BFS_ARCS,
) -> list[str]:
    """Check that ``pairs`` is a coverage-first, score-optimal assignment over all eligible pairs.

    Parameters
    ----------
    problem : MatchingProblem
        The compiled program: every eligible pair with its score, supplies, capacities, per-team
        caps, minimum loads and must pairs.
    pairs : list of (int, int)
        The chosen ``(seeker position, provider position)`` pairs, must pairs included.
    potentials : FlowPotentials
        The solver's node potentials.
    bfs_arcs : int
        Up to this many eligible pairs, maximum coverage is also checked by a breadth-first
        search of the residual network (always with minimum loads, where duality cannot).

    Returns
    -------
    list[str]
        What fails, in words; empty when the solution is certified. The flow's feasibility is
        checked first; coverage and the score only when it holds.

    Examples
    --------
    >>> from matcher.analysis.isolation import analyze
    >>> from matcher.assignment.population import population
    >>> from matcher.assignment.programs import ProgramSpec
    >>> from matcher.assignment.repeats import History
    >>> from matcher.assignment.compile import compile_program
    >>> from matcher.assignment.solve import solve
    >>> from matcher.model import Employee, Org
    >>> org = Org([Employee(id="A", roles="mentee"), Employee(id="B", roles="mentor")])
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4"})
    >>> problem = compile_program(spec, population(org, analyze(org)), History.empty(2))
    >>> solution = solve(problem)
    >>> certify_flow(problem, solution.pairs, solution.potentials)
    []
    >>> certify_flow(problem, [], solution.potentials)[0]
    'coverage is not maximum: an augmenting path from the source to the sink remains'
    """
    arc_ids = _locator(problem)
    chosen_ids = arc_ids(pairs)
    must_ids = arc_ids(list(problem.must))
    if chosen_ids is None:
        return ["a chosen pair is not an eligible pair of the program"]
    if must_ids is None:
        return ["a must pair is not an eligible pair of the program"]
    failures: list[str] = []
    taken = np.unique(chosen_ids)
    if len(taken) != len(chosen_ids):
        failures.append("a pair is chosen twice")
    must_ids = np.unique(must_ids)
    if len(np.setdiff1d(must_ids, taken)):
        failures.append("a must pair is not chosen")
    free_taken = np.setdiff1d(taken, must_ids)  # the decisions: chosen pairs that are not must
    # masks over every arc (the chosen and must ones are few: counts come from the ids)
    chosen = np.zeros(problem.arcs, dtype=bool)
    chosen[taken] = True
    fixed = np.zeros(problem.arcs, dtype=bool)
    fixed[must_ids] = True
    free_chosen = np.zeros(problem.arcs, dtype=bool)
    free_chosen[free_taken] = True

    nodes = _node_loads(problem, must_ids, free_taken, failures)
    with_minimum = bool(problem.min_need.any())
    if with_minimum != potentials.minimum_loads:
        failures.append("the potentials are not those of the program's minimum-load network")
    loads = _Loads(*nodes, *_binding_groups(problem, fixed, free_chosen, failures))
    if failures:
        return failures
    if problem.left_out is not None and with_minimum:
        return ["a program with minimum loads cannot be certified without all its eligible pairs"]
    if (
        with_minimum or (problem.left_out is None and problem.arcs <= bfs_arcs)
    ) and _augmenting_path(problem, ~fixed & ~chosen, free_chosen, loads):
        failures.append(
            "coverage is not maximum: an augmenting path from the source to the sink remains"
        )
    return failures + _optimality_failures(
        problem, potentials, loads, taken, free_chosen, with_minimum=with_minimum
    )


def _node_loads(
    problem: MatchingProblem, must_ids: np.ndarray, free_taken: np.ndarray, failures: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per seeker the free pairs chosen and allowed, per provider the same and the lower bound
    still needed (minimum loads); what breaks a bound is appended to ``failures``."""
    n_s, n_p = len(problem.seekers), len(problem.providers)
    supply = problem.supply.astype(np.int64) - np.bincount(
        problem.arc_seeker[must_ids], minlength=n_s
    )
    room = problem.capacity.astype(np.int64) - np.bincount(
        problem.arc_provider[must_ids], minlength=n_p
    )
    out = np.bincount(problem.arc_seeker[free_taken], minlength=n_s)
    load = np.bincount(problem.arc_provider[free_taken], minlength=n_p)
    supply, room = np.maximum(supply, 0), np.maximum(room, 0)
    if (out > supply).any():
        failures.append(f"{int((out > supply).sum())} seeker(s) get more than per_seeker allows")
    if (load > room).any():
        failures.append(f"{int((load > room).sum())} provider(s) are over capacity")
    lower = np.zeros(n_p, dtype=np.int64)
    if problem.min_need.any():
        must_load = np.bincount(problem.arc_provider[must_ids], minlength=n_p)
        lower = np.clip(problem.min_need - must_load, 0, room)
        short = int((load < lower).sum())
        if short:
            failures.append(f"{short} provider(s) are below their minimum load")
    return out, supply, load, room, lower


def _binding_groups(
    problem: MatchingProblem, fixed: np.ndarray, free_chosen: np.ndarray, failures: list[str]
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, int]:
    """The (provider, team) groups whose cap can bind (more eligible free arcs than room):
    each arc's group (``None`` without per-team caps), their keys, room and flow, and the key
    width; a cap the chosen pairs break is appended to ``failures``."""
    team_width = int(problem.pop.team.max(initial=0)) + 1  # every team code, past seekers' too
    if problem.team_cap is None:
        empty = np.zeros(0, np.int64)
        return None, empty, empty.copy(), empty.copy(), team_width
    team = problem.seeker_team()[problem.arc_seeker]
    teamed = (team >= 0) & ~fixed
    keys = problem.arc_provider.astype(np.int64) * team_width + team
    distinct, inverse, counts = np.unique(keys[teamed], return_inverse=True, return_counts=True)
    cap = np.full(len(distinct), problem.team_cap, dtype=np.int64)
    for (p, t), used in problem.prior_team_load.items():
        at = np.searchsorted(distinct, p * team_width + t)
        if t >= 0 and at < len(distinct) and distinct[at] == p * team_width + t:
            cap[at] -= used
    fixed_keys = keys[fixed & (team >= 0)]
    at = np.searchsorted(distinct, fixed_keys)
    inside = at < len(distinct)
    inside[inside] = distinct[at[inside]] == fixed_keys[inside]
    np.subtract.at(cap, at[inside], 1)
    cap = np.maximum(cap, 0)
    flow_in = np.bincount(inverse, weights=free_chosen[teamed], minlength=len(distinct))
    over = int((flow_in > cap).sum())
    if over:
        failures.append(f"{over} provider(s) take more seekers of one team than allowed")
    binding = counts > cap
    renumber = np.full(len(distinct), -1, dtype=np.int64)
    renumber[binding] = np.arange(int(binding.sum()))
    group_of = np.full(problem.arcs, -1, dtype=np.int64)
    group_of[np.flatnonzero(teamed)] = renumber[inverse]
    return (
        group_of,
        distinct[binding],
        cap[binding],
        flow_in[binding].astype(np.int64),
        team_width,
    )


def _optimality_failures(
    problem: MatchingProblem,
    potentials: FlowPotentials,
    loads: _Loads,
    taken: np.ndarray,
    free_chosen: np.ndarray,
    *,
    with_minimum: bool,
) -> list[str]:
    """Whether every residual arc has a non-negative reduced cost (the score is optimal) and,
    without minimum loads, whether the potentials prove coverage maximum by duality."""
    failures = []
    n_s, n_p = len(problem.seekers), len(problem.providers)
    group_pot = potentials.provider[loads.group_keys // loads.team_width].astype(np.int64).copy()
    for g, key in enumerate(loads.group_keys.tolist()):
        where = (key // loads.team_width, key % loads.team_width)
        if where in potentials.group:
            group_pot[g] = potentials.group[where]
    negative, cost_bound = _negative_pair_arcs(
        problem, potentials, loads, group_pot, taken, free_chosen
    )
    if problem.left_out is not None:
        if problem.team_cap is not None:
            return ["a program with per-team caps cannot be certified without all its pairs"]
        negative += _negative_left_out(problem, potentials, taken)
        cost_bound = max(cost_bound, float(np.ceil(problem.left_out.largest * potentials.scale)))
    if not with_minimum:
        # duality: with every residual arc of non-negative reduced cost, an augmenting path
        # would cost at least sink − source; no path of at most n_s + n_p + 1 costed arcs can
        longest = (n_s + n_p + 1) * int(cost_bound)
        if potentials.sink - potentials.source <= longest:
            failures.append(
                "coverage is not proven maximum: the potentials do not separate the sink from "
                "the source by more than any path costs"
            )
    negative += _negative_node_arcs(potentials, loads, group_pot)
    if negative:
        failures.append(
            f"the score is not proven optimal: {negative} residual arc(s) have a negative reduced cost"
        )
    return failures


def _negative_pair_arcs(
    problem: MatchingProblem,
    potentials: FlowPotentials,
    loads: _Loads,
    group_pot: np.ndarray,
    taken: np.ndarray,
    free_chosen: np.ndarray,
) -> tuple[int, float]:
    """How many residual seeker → provider (or group) arcs have a negative reduced cost, and
    the largest |cost| of any such arc."""
    group_of = loads.group_of
    # in float64, exact: costs and potentials are integers far below 2**53
    seeker_pot = potentials.seeker.astype(np.float64)
    provider_pot = potentials.provider.astype(np.float64)
    group_pot_float = group_pot.astype(np.float64)

    def reduced_costs(part: slice | np.ndarray) -> tuple[np.ndarray, float]:
        """Reduced costs of the arcs ``part`` and the largest |cost| among them."""
        reduced = problem.arc_score[part] * potentials.scale
        np.rint(reduced, out=reduced)  # the cost is −reduced
        largest = float(max(reduced.max(initial=0), -reduced.min(initial=0)))
        head_pot = provider_pot[problem.arc_provider[part]]
        if group_of is not None:
            in_group = group_of[part] >= 0
            head_pot[in_group] = group_pot_float[group_of[part][in_group]]
        np.subtract(seeker_pot[problem.arc_seeker[part]] - head_pot, reduced, out=reduced)
        return reduced, largest

    # unused arcs (nearly all) need a reduced cost >= 0, chosen ones (few) <= 0: count the
    # negatives over every arc and take back the chosen arcs' own
    negative = 0
    cost_bound = 0.0
    for start in range(0, problem.arcs, CHUNK):
        reduced, largest = reduced_costs(slice(start, min(start + CHUNK, problem.arcs)))
        cost_bound = max(cost_bound, largest)
        negative += int(np.count_nonzero(reduced < 0))
    reduced, _ = reduced_costs(taken)
    negative -= int(np.count_nonzero(reduced < 0))
    negative += int(np.count_nonzero(reduced[free_chosen[taken]] > 0))
    return negative, cost_bound


def _negative_left_out(
    problem: MatchingProblem, potentials: FlowPotentials, taken: np.ndarray
) -> int:
    """How many eligible pairs that are not arcs have a negative reduced cost, without listing
    them all: a left-out pair of seeker s and provider p scores at most the smaller of their
    cuts, so only a seeker with a provider of potential above ``π_s - seeker_cut[s]`` and with
    ``π_p + provider_cut[p] > π_s`` can have one. Those seekers' pairs are listed again, block
    by block, against every provider of potential above that, and priced exactly; the chosen
    pairs are left to :func:`_negative_pair_arcs`."""
    left = problem.left_out
    assert left is not None
    scale = potentials.scale

    def units(cut: np.ndarray) -> np.ndarray:
        out = np.full(len(cut), -(1 << 60), dtype=np.int64)
        out[np.isfinite(cut)] = np.rint(cut[np.isfinite(cut)] * scale).astype(np.int64)
        return out

    seeker_pot = potentials.seeker.astype(np.int64)
    provider_pot = potentials.provider.astype(np.int64)
    n_p = len(provider_pot)
    down = np.argsort(-provider_pot, kind="stable")  # highest potential first
    prefix_best = np.maximum.accumulate((provider_pot + units(left.provider_cut))[down])
    # providers above the seeker's threshold: a prefix of ``down``
    above = np.searchsorted(
        -provider_pot[down], -(seeker_pot - units(left.seeker_cut)), side="left"
    )
    best = np.where(above > 0, prefix_best[np.maximum(above - 1, 0)], -(1 << 62))
    rows = np.flatnonzero(best > seeker_pot)
    if not len(rows):
        return 0
    width = max(n_p, 1)
    chosen = problem.arc_seeker[taken].astype(np.int64) * width + problem.arc_provider[taken]
    negative = 0
    rows = rows[np.argsort(-above[rows], kind="stable")]
    start = 0
    while start < len(rows):
        part = rows[start : start + max(1, CHUNK // max(int(above[rows[start]]), 1))]
        start += len(part)
        cols = np.sort(down[: int(above[part].max())])
        s, p, score = left.pairs(part, cols)
        reduced = seeker_pot[s] - provider_pot[p] - np.rint(score * scale).astype(np.int64)
        bad = reduced < 0
        if bad.any():
            negative += int((~np.isin(s[bad].astype(np.int64) * width + p[bad], chosen)).sum())
    return negative


def _negative_node_arcs(potentials: FlowPotentials, loads: _Loads, group_pot: np.ndarray) -> int:
    """How many residual source → seeker, group → provider and provider → sink arcs (either
    direction) have a negative reduced cost."""
    src = potentials.source
    out, supply, load, room = loads.out, loads.supply, loads.load, loads.room
    negative = int(((out < supply) & (src - potentials.seeker < 0)).sum())
    negative += int(((out > 0) & (potentials.seeker - src < 0)).sum())
    if len(loads.group_keys):
        group_provider = potentials.provider[loads.group_keys // loads.team_width]
        negative += int(
            ((loads.group_flow < loads.group_room) & (group_pot - group_provider < 0)).sum()
        )
        negative += int(((loads.group_flow > 0) & (group_provider - group_pot < 0)).sum())
    negative += int(((load < room) & (potentials.provider - potentials.sink < 0)).sum())
    negative += int(((load > loads.lower) & (potentials.sink - potentials.provider < 0)).sum())
    return negative


@dataclass(frozen=True)
class _Loads:
    """The flow through each node of the network, and the room each has."""

    out: np.ndarray  # per seeker: free pairs chosen
    supply: np.ndarray  # per seeker: free pairs allowed
    load: np.ndarray  # per provider: free pairs chosen
    room: np.ndarray  # per provider: free pairs allowed
    lower: np.ndarray  # per provider: free pairs still needed for the minimum load
    group_of: np.ndarray | None  # per arc: its binding (provider, team) node, or -1
    group_keys: np.ndarray  # provider * team_width + team of each binding node
    group_room: np.ndarray
    group_flow: np.ndarray
    team_width: int


def _augmenting_path(
    problem: MatchingProblem, unused: np.ndarray, free_chosen: np.ndarray, loads: _Loads
) -> bool:
    """Whether the residual network has a source → sink path (breadth-first search): a
    maximum flow computed separately from the solver's, by the max-flow min-cut theorem."""
    out, supply, load, room = loads.out, loads.supply, loads.load, loads.room
    group_of, group_keys, team_width = loads.group_of, loads.group_keys, loads.team_width
    group_flow, group_room = loads.group_flow, loads.group_room
    n_s, n_p, n_g = len(problem.seekers), len(problem.providers), len(group_keys)
    source, sink = 0, n_s + n_p + n_g + 1
    seeker_node = problem.arc_seeker.astype(np.int64) + 1
    head = problem.arc_provider.astype(np.int64) + n_s + 1
    if group_of is not None:
        grouped = group_of >= 0
        head[grouped] = n_s + n_p + 1 + group_of[grouped]
    provider_nodes = np.arange(n_p, dtype=np.int64) + n_s + 1
    group_nodes = np.arange(n_g, dtype=np.int64) + n_s + n_p + 1
    group_provider = provider_nodes[group_keys // team_width] if n_g else np.zeros(0, np.int64)
    tails = [
        np.zeros(int((out < supply).sum()), np.int64),
        seeker_node[unused],
        head[free_chosen],
        group_nodes[group_flow < group_room],
        group_provider[group_flow > 0],
        provider_nodes[load < room],
    ]
    heads = [
        np.flatnonzero(out < supply).astype(np.int64) + 1,
        head[unused],
        seeker_node[free_chosen],
        group_provider[group_flow < group_room],
        group_nodes[group_flow > 0],
        np.full(int((load < room).sum()), sink, np.int64),
    ]
    arc_tail, arc_head = np.concatenate(tails), np.concatenate(heads)
    residual = sp.csr_matrix(
        (np.ones(len(arc_tail), dtype=np.int8), (arc_tail, arc_head)), shape=(sink + 1, sink + 1)
    )
    reached = breadth_first_order(residual, source, directed=True, return_predecessors=False)
    return bool((reached == sink).any())
