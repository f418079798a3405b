"""Solve a compiled matching problem with OR-Tools: the only module that imports ortools.

The model, in words: choose pairs among the eligible candidates so that no seeker gets more
than ``per_seeker`` providers and no provider more than its capacity; first serve as many
seeker slots as possible, then maximise the total score.

* With no side constraints this is a b-matching, solved exactly as a min-cost max-flow
  (``SimpleMinCostFlow.solve_max_flow_with_min_cost``): source → seekers → providers → sink.
* Minimum loads and per-team caps are side constraints: CP-SAT solves the problem on the
  candidate pairs in two phases (coverage, then score), hinted with the flow solution. The
  flow optimum without the side constraints is a valid upper bound on the score at the same
  coverage, so every solution comes with ``bound`` and ``gap``.
* Must pairs are fixed beforehand; when the hard constraints cannot all hold, a CP-SAT model
  with one assumption literal per constraint names a conflicting subset.
* Peer programs (pairs within one group) are a b-matching on a general graph: CP-SAT from a
  greedy start, bounded by the fractional b-matching (the bipartite double cover).

Every flow solution carries the node potentials that prove it optimal over all eligible pairs;
:mod:`matcher.certificate` checks them, with code of its own, before anything is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from matcher.certificate import FlowPotentials
from matcher.constraints import MatchingProblem
from matcher.errors import MatcherError
from matcher.programs import Kind

FLOW_SCALE = 1_000_000  # cost units of the flow per score unit (costs must be integers)
GREEDY_ALL_ARCS = 2_000_000  # peer pairs the greedy start scans in full (about 1 s)
PEER_ARCS_PER_SECOND = 50_000
"""Pairs per second a peer model is built at (measured, with margin, on 2 cores): larger groups
are solved on each person's best pairs so that building fits in half the time limit."""
SAT_SCALE = 1_000_000  # objective units in CP-SAT per score unit: the flow's resolution, so
# "optimal" means the same for both (at 1/1000 CP-SAT called small-weight answers optimal below
# the true optimum; 300 and 1,000 peers solve in the same time at either scale)

Status = Literal["optimal", "feasible", "infeasible"]


@dataclass(frozen=True)
class SolveOptions:
    """Time limit (seconds, wall clock), seed and workers for CP-SAT, and the sizes at which
    the solvers switch to pruned candidates.

    One worker with a fixed seed makes CP-SAT deterministic; a run cut by the wall-clock limit
    may still differ, and the summary says so.

    ``prune_above``: above this many eligible pairs the flow starts from each seeker's
    ``candidates_per_seeker`` best pairs and prices the rest in (column generation), still
    exact over all pairs. ``max_sat_arcs``: above this many, CP-SAT sees only each seeker's best
    pairs (its bound then holds for those candidates).
    """

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 1
    method: Literal["auto", "cp_sat"] = "auto"
    prune_above: int = 2_000_000
    candidates_per_seeker: int = 40
    max_sat_arcs: int = 300_000


@dataclass
class Solution:
    """Chosen pairs as positions ``(seeker, provider)`` into the problem's arrays."""

    status: Status
    pairs: list[tuple[int, int]]
    objective: float
    bound: float
    gap: float
    bound_scope: Literal["all_eligible_pairs", "candidates"]
    method: str
    seconds: float
    coverage_bound: int
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    potentials: FlowPotentials | None = None
    """For a flow solution: the node potentials that certify it (see :mod:`matcher.certificate`)."""


def _gap(objective: float, bound: float) -> float:
    if bound == objective:
        return 0.0
    return abs(bound - objective) / max(abs(bound), 1e-9)


def _arc_positions(
    problem: MatchingProblem, pairs: list[tuple[int, int]]
) -> tuple[list[int], list[tuple[int, int]]]:
    """Arc ids of the ``(seeker, provider)`` pairs that are candidates, and the pairs that are
    not (each key is checked, not just searched for)."""
    if not pairs:
        return [], []
    width = len(problem.providers)
    keys = problem.arc_seeker.astype(np.int64) * width + problem.arc_provider
    order = np.argsort(keys, kind="stable")
    wanted = np.array([s * width + p for s, p in pairs], dtype=np.int64)
    where = np.minimum(np.searchsorted(keys[order], wanted), max(len(keys) - 1, 0))
    found = (keys[order][where] == wanted) if len(keys) else np.zeros(len(pairs), dtype=bool)
    arcs = order[where[found]].tolist() if len(keys) else []
    missing = [pair for pair, ok in zip(pairs, found.tolist(), strict=True) if not ok]
    return arcs, missing


@dataclass
class _Network:
    """A flow network over a subset of the candidate arcs, as parallel numpy arrays.

    Node numbering: 0 source, 1..S seekers, then providers, then one node per (provider,
    team) for per-team caps (for the pairs present among the
    arcs in the network), then the sink.
    """

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    middle: slice  # positions of the candidate arcs
    arcs: np.ndarray  # candidate arc ids, in the order of the middle slice
    group_keys: np.ndarray  # sorted provider * width + team of the (provider, team) nodes
    group_nodes: np.ndarray
    width: int
    nodes: int
    source: int
    sink: int
    fill: slice = field(default_factory=lambda: slice(0, 0))
    """Positions of the provider → sink arcs that carry each provider's minimum load."""


def _arc_costs(problem: MatchingProblem, arcs: np.ndarray) -> np.ndarray:
    return -np.rint(problem.arc_score[arcs] * FLOW_SCALE).astype(np.int64)


def _build_network(problem: MatchingProblem, arcs: np.ndarray, chosen: np.ndarray) -> _Network:
    """The network of ``arcs`` given the pre-chosen (must) arcs in ``chosen``.

    Per-team caps are intermediate (provider, team) nodes of capacity ``team_cap``; a minimum
    load is a first provider → sink arc of that capacity (``fill``), which
    :func:`_solve_min_loads` first maximises and then requires.
    """
    n_s, n_p = len(problem.seekers), len(problem.providers)
    supply = problem.supply.astype(np.int64).copy()
    room = problem.capacity.astype(np.int64).copy()
    fixed = np.flatnonzero(chosen)
    np.subtract.at(supply, problem.arc_seeker[fixed], 1)
    np.subtract.at(room, problem.arc_provider[fixed], 1)
    provider_node = np.arange(n_p) + n_s + 1
    next_node = n_s + n_p + 1
    tails = [np.zeros(n_s, np.int64)]
    heads = [np.arange(n_s, dtype=np.int64) + 1]
    caps = [np.maximum(supply, 0)]
    costs = [np.zeros(n_s, np.int64)]
    middle = slice(n_s, n_s + len(arcs))
    tails.append(problem.arc_seeker[arcs].astype(np.int64) + 1)
    costs.append(_arc_costs(problem, arcs))
    caps.append(np.ones(len(arcs), np.int64))
    # team codes of everyone (committed pairs may name seekers no longer selected)
    width = int(problem.pop.team.max(initial=0)) + 1
    group_keys = np.zeros(0, np.int64)
    group_nodes = np.zeros(0, np.int64)
    arc_heads = provider_node[problem.arc_provider[arcs]]
    if problem.team_cap is not None:
        keys, capped = _team_keys(problem, arcs, width)
        fixed_keys, fixed_capped = _team_keys(problem, fixed, width)
        # only (provider, team) pairs with more candidates than room need a node of their own
        all_keys = np.concatenate([keys[capped], fixed_keys[fixed_capped]])
        distinct, counts = np.unique(all_keys, return_counts=True)
        room_left = np.full(len(distinct), problem.team_cap, dtype=np.int64)
        for (p, t), count in problem.prior_team_load.items():
            where = np.searchsorted(distinct, p * width + t)
            if t >= 0 and where < len(distinct) and distinct[where] == p * width + t:
                room_left[where] -= count
        group_keys = distinct[counts > room_left]
        capped = capped & np.isin(keys, group_keys)
        fixed_capped = fixed_capped & np.isin(fixed_keys, group_keys)
        group_nodes = next_node + np.arange(len(group_keys))
        next_node += len(group_keys)
        arc_heads[capped] = group_nodes[np.searchsorted(group_keys, keys[capped])]
        used = np.zeros(len(group_keys), np.int64)
        for (p, t), count in problem.prior_team_load.items():
            where = np.searchsorted(group_keys, p * width + t)
            if t >= 0 and where < len(group_keys) and group_keys[where] == p * width + t:
                used[where] += count
        np.add.at(used, np.searchsorted(group_keys, fixed_keys[fixed_capped]), 1)
        tails.append(group_nodes)
        heads.append(provider_node[group_keys // width])
        caps.append(np.maximum(problem.team_cap - used, 0))
        costs.append(np.zeros(len(group_keys), np.int64))
    heads.insert(1, arc_heads)
    sink = next_node
    room = np.maximum(room, 0)
    fill = slice(0, 0)
    if problem.min_need.any():
        loaded = np.bincount(problem.arc_provider[fixed], minlength=n_p)
        first = np.clip(problem.min_need - loaded, 0, room)
        start = sum(len(t) for t in tails)
        fill = slice(start, start + n_p)
        tails.append(provider_node)
        heads.append(np.full(n_p, sink))
        caps.append(first)
        costs.append(np.zeros(n_p, np.int64))
        room = room - first
    tails.append(provider_node)
    heads.append(np.full(n_p, sink))
    caps.append(room)
    costs.append(np.zeros(n_p, np.int64))
    return _Network(
        tails=np.concatenate(tails),
        heads=np.concatenate(heads),
        caps=np.concatenate(caps),
        costs=np.concatenate(costs),
        middle=middle,
        arcs=arcs,
        group_keys=group_keys,
        group_nodes=group_nodes,
        width=width,
        nodes=sink + 1,
        source=0,
        sink=sink,
        fill=fill,
    )


def _team_keys(
    problem: MatchingProblem, arcs: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """``provider * width + team`` of each arc, and whether the seeker has a team."""
    team = problem.seeker_team()[problem.arc_seeker[arcs]]
    return problem.arc_provider[arcs].astype(np.int64) * width + team, team >= 0


def _head_nodes(problem: MatchingProblem, network: _Network, arcs: np.ndarray) -> np.ndarray:
    """The node each arc would enter: its (provider, team) node when the network has one, else
    its provider node. A (provider, team) node missing from the network could take the provider's
    potential, so pricing through the provider is exact."""
    heads = problem.arc_provider[arcs].astype(np.int64) + len(problem.seekers) + 1
    if problem.team_cap is None or not len(network.group_keys):
        return heads
    keys, capped = _team_keys(problem, arcs, network.width)
    where = np.minimum(np.searchsorted(network.group_keys, keys), len(network.group_keys) - 1)
    present = capped & (network.group_keys[where] == keys)
    heads[present] = network.group_nodes[where[present]]
    return heads


def _run_flow(
    network: _Network,
    *,
    costs: np.ndarray | None = None,
    keep: np.ndarray | None = None,
    supplies: dict[int, int] | None = None,
) -> np.ndarray:
    """Max-flow min-cost on the network; returns the flow on every arc (0 where not ``keep``).

    With ``supplies`` (node → supply) the flow must meet them exactly (a min-cost flow, not a
    maximum one); ``costs`` replaces the network's costs and ``keep`` selects its arcs.
    """
    keep = np.ones(len(network.tails), dtype=bool) if keep is None else keep
    costs = network.costs if costs is None else costs
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(
        network.tails[keep], network.heads[keep], network.caps[keep], costs[keep]
    )
    exact = supplies is not None
    if supplies is None:
        total = int(network.caps[network.tails == network.source].sum())
        supplies = {network.source: total, network.sink: -total}
    for node, supply in supplies.items():
        flow.set_node_supply(node, supply)
    status = flow.solve() if exact else flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:  # feasible by construction: only a size limit gets here
        raise MatcherError(
            f"the min-cost flow solver stopped with status {status} on {network.nodes:,} nodes "
            f"and {int(keep.sum()):,} arcs; split the program into smaller ones"
        )
    flows = np.zeros(len(network.tails), dtype=np.int64)
    flows[keep] = np.asarray(flow.flows(ids), dtype=np.int64)
    return flows


@dataclass(frozen=True)
class _Flow:
    """One flow problem on a network: its arc costs, the arcs it uses, and the node supplies it
    must meet exactly (``None``: as much flow as possible, then the least cost)."""

    costs: np.ndarray
    keep: np.ndarray
    supplies: dict[int, int] | None = None

    def run(self, network: _Network) -> np.ndarray:
        return _run_flow(network, costs=self.costs, keep=self.keep, supplies=self.supplies)


def _fill_mask(network: _Network) -> np.ndarray:
    fill = np.zeros(len(network.tails), dtype=bool)
    fill[network.fill] = True
    return fill


def _most_minimum_loads(network: _Network) -> _Flow:
    """The first flow of :func:`_solve_min_loads`: −1 per unit on the minimum-load arcs."""
    fill = _fill_mask(network)
    return _Flow(np.where(fill, -1, 0).astype(np.int64), np.ones(len(fill), dtype=bool))


def _best_with_minimum_loads(network: _Network, coverage: int) -> _Flow:
    """The second flow of :func:`_solve_min_loads`: ``coverage`` units, each provider's
    minimum load a demand of its node, at the least cost."""
    fill = _fill_mask(network)
    need = int(network.caps[fill].sum())
    supplies: dict[int, int] = {network.source: coverage, network.sink: need - coverage}
    for node, demand in zip(network.tails[fill].tolist(), network.caps[fill].tolist(), strict=True):
        supplies[node] = supplies.get(node, 0) - demand
    return _Flow(network.costs, ~fill, supplies)


def _loads_filled(network: _Network, flows: np.ndarray) -> bool:
    fill = _fill_mask(network)
    return int(flows[fill].sum()) == int(network.caps[fill].sum())


def _solve_min_loads(network: _Network) -> tuple[np.ndarray, _Flow, bool]:
    """Coverage first, then minimum loads, then score, exactly, in two flows.

    The first flow, costing −1 per unit on the minimum-load arcs and nothing else, gives the
    maximum coverage and, among flows of that coverage, the most minimum-load units. When that
    fills every minimum load, the second flow requires it (each provider's minimum is a demand
    of that provider, the rest goes to the sink) and maximises the score at that coverage.
    Returns the flows, the flow problem they solve, and whether every minimum load is met.
    """
    most = _most_minimum_loads(network)
    first = most.run(network)
    if not _loads_filled(network, first):
        return first, most, False
    coverage = int(first[network.tails == network.source].sum())
    best = _best_with_minimum_loads(network, coverage)
    return best.run(network), best, True


def _potentials(
    network: _Network,
    flows: np.ndarray,
    flow: _Flow | None = None,
    *,
    cost_bound: int = 0,
    core: np.ndarray | None = None,
) -> np.ndarray:
    """Node potentials certifying the flow: every residual arc has non-negative reduced cost.

    A maximum flow is a min-cost circulation once a sink → source arc of cost −M rewards every
    unit (M above any path cost makes "coverage first" one objective); a flow with fixed
    supplies needs no such arc. Bellman–Ford from a virtual root tied to every node,
    vectorised one relaxation round at a time.

    ``cost_bound`` is the largest |cost| of any arc the potentials will price, in the network
    or not: M must exceed every path cost of the *whole* network, or an augmenting path through
    a left-out arc of large cost would price non-negative and coverage would be lost.

    ``core`` (a mask over the network's candidate arcs) starts Bellman–Ford from those unused
    candidate arcs only; every other unused candidate arc that prices negative joins and the
    distances are computed again, so the result holds for all of them (often in one round, on
    a fraction of the arcs).
    """
    flow = flow or _max_flow(network)
    forward = (flows < network.caps) & flow.keep
    if core is not None:
        left_out = np.zeros(len(network.tails), dtype=bool)
        left_out[network.middle] = ~core
        left_out &= forward
        while True:
            distance = _potentials_on(network, flows, flow, cost_bound=cost_bound, skip=left_out)
            idx = np.flatnonzero(left_out)
            reduced = flow.costs[idx] + distance[network.tails[idx]] - distance[network.heads[idx]]
            violators = idx[reduced < 0]
            if not len(violators):
                return distance
            left_out[violators] = False
    return _potentials_on(network, flows, flow, cost_bound=cost_bound, skip=None)


def _potentials_on(
    network: _Network,
    flows: np.ndarray,
    flow: _Flow,
    *,
    cost_bound: int,
    skip: np.ndarray | None,
) -> np.ndarray:
    """Bellman–Ford on the residual network less the forward arcs marked in ``skip``."""
    forward = (flows < network.caps) & flow.keep
    if skip is not None:
        forward &= ~skip
    backward = (flows > 0) & flow.keep
    tails = np.concatenate([network.tails[forward], network.heads[backward]])
    heads = np.concatenate([network.heads[forward], network.tails[backward]])
    costs = np.concatenate([flow.costs[forward], -flow.costs[backward]])
    if flow.supplies is None:
        largest = max(int(np.abs(flow.costs).max(initial=0)), cost_bound)
        big = (network.nodes + 2) * (largest + 1)
        tails = np.append(tails, network.sink)
        heads = np.append(heads, network.source)
        costs = np.append(costs, -big)
        if flows[network.tails == network.source].sum() > 0:
            tails = np.append(tails, network.source)
            heads = np.append(heads, network.sink)
            costs = np.append(costs, big)
    return _shortest_distances(network.nodes, tails, heads, costs)


def _shortest_distances(
    nodes: int, tails: np.ndarray, heads: np.ndarray, costs: np.ndarray
) -> np.ndarray:
    """Shortest distances from a virtual root tied to every node at cost 0 (Bellman–Ford).

    Only the arcs leaving nodes whose distance fell in the last round are relaxed (the queue
    of SPFA, a round at a time, vectorised): after the first round few nodes still move.
    """
    order = np.argsort(tails, kind="stable")
    tails_sorted, heads_sorted, costs_sorted = tails[order], heads[order], costs[order]
    first = np.searchsorted(tails_sorted, np.arange(nodes + 1))
    distance = np.zeros(nodes, dtype=np.int64)
    active = np.arange(nodes)
    for _ in range(nodes + 1):
        begin, count = first[active], first[active + 1] - first[active]
        total = int(count.sum())
        if not total:
            return distance
        # positions of every arc leaving an active node, without a Python loop
        offsets = np.repeat(begin - np.cumsum(count) + count, count) + np.arange(total)
        candidate = distance[tails_sorted[offsets]] + costs_sorted[offsets]
        lowered = distance.copy()
        np.minimum.at(lowered, heads_sorted[offsets], candidate)
        active = np.flatnonzero(lowered < distance)
        if not len(active):
            return distance
        distance = lowered
    raise RuntimeError("negative cycle in the residual network: the flow is not optimal")


def solve_flow(
    problem: MatchingProblem,
    *,
    fixed: list[int] | None = None,
    options: SolveOptions | None = None,
) -> tuple[np.ndarray, float, FlowPotentials | None]:
    """Min-cost max-flow over all candidates, side constraints included where a flow can.

    When there are many candidates (more than ``options.prune_above``), the flow is first
    solved on each seeker's best ``options.candidates_per_seeker`` arcs; node potentials of that
    solution then price every arc left out, and arcs with negative reduced cost join the
    candidates until none is left (column generation, :func:`_priced`): the result is optimal
    over all eligible pairs. With minimum loads the two flows of :func:`_solve_min_loads` are
    priced in turn: the first fixes the coverage over all pairs, the second (with fixed
    supplies, so its potentials need no return arc) the score.

    Returns the chosen arc mask, its total score, and the potentials that certify it (``None``
    when the minimum loads cannot all be met: the flow is then only a starting point).
    """
    options = options or SolveOptions()
    chosen = np.zeros(problem.arcs, dtype=bool)
    chosen[fixed or []] = True
    free = np.flatnonzero(~chosen)
    scores = _arc_costs(problem, np.arange(problem.arcs))
    cost_bound = int(np.abs(scores).max(initial=0))
    potential: np.ndarray | None = None
    if problem.arcs <= options.prune_above or not len(free):
        network = _build_network(problem, free, chosen)
        if problem.min_need.any():
            flows, flow, met = _solve_min_loads(network)
        else:
            flow = _max_flow(network)
            flows, met = flow.run(network), True
    else:
        in_subset = np.zeros(problem.arcs, dtype=bool)
        in_subset[_starting_arcs(problem, free, options.candidates_per_seeker)] = True
        in_subset[chosen] = False
        if problem.min_need.any():
            zeros = np.zeros(problem.arcs, dtype=np.int64)
            network, flows, flow, potential = _priced(
                problem, chosen, in_subset, _most_minimum_loads, zeros
            )
            met = _loads_filled(network, flows)
            if met:
                coverage = int(flows[network.tails == network.source].sum())
                network, flows, flow, potential = _priced(
                    problem,
                    chosen,
                    in_subset,
                    lambda net: _best_with_minimum_loads(net, coverage),
                    scores,
                )
        else:
            network, flows, flow, potential = _priced(problem, chosen, in_subset, _max_flow, scores)
            met = True
    result = chosen.copy()
    result[network.arcs[flows[network.middle] > 0]] = True
    certificate = None
    if met:
        if potential is None:  # the pricing loop computed them; a direct solve has none yet
            core = None
            if len(problem.top_arcs) and len(network.arcs):
                top = np.zeros(problem.arcs, dtype=bool)
                top[problem.top_arcs] = True
                core = top[network.arcs]
            potential = _potentials(network, flows, flow, cost_bound=cost_bound, core=core)
        certificate = _export_potentials(problem, network, potential, flow.supplies is not None)
    return result, float(problem.arc_score[result].sum()), certificate


def _export_potentials(
    problem: MatchingProblem, network: _Network, potential: np.ndarray, fixed_supplies: bool
) -> FlowPotentials:
    """The potentials by role (source, seekers, providers, (provider, team) nodes, sink)."""
    n_s, n_p = len(problem.seekers), len(problem.providers)
    groups = {
        (int(key // network.width), int(key % network.width)): int(potential[node])
        for key, node in zip(network.group_keys.tolist(), network.group_nodes.tolist(), strict=True)
    }
    return FlowPotentials(
        source=int(potential[network.source]),
        sink=int(potential[network.sink]),
        seeker=potential[1 : n_s + 1].copy(),
        provider=potential[n_s + 1 : n_s + n_p + 1].copy(),
        group=groups,
        scale=FLOW_SCALE,
        minimum_loads=fixed_supplies,
    )


def _max_flow(network: _Network) -> _Flow:
    """As much flow as possible, then the least cost (the network's own costs)."""
    return _Flow(network.costs, np.ones(len(network.tails), dtype=bool))


def _priced(
    problem: MatchingProblem,
    chosen: np.ndarray,
    in_subset: np.ndarray,
    flow_of: Callable[[_Network], _Flow],
    arc_costs: np.ndarray,
) -> tuple[_Network, np.ndarray, _Flow, np.ndarray]:
    """Solve ``flow_of`` on the arcs of ``in_subset`` (which grows, in place) until node
    potentials price every left-out arc (cost ``arc_costs``) non-negative: then the flow is
    optimal over all eligible pairs (column generation). Returns the final network, its flows,
    the flow problem solved and the node potentials that priced every arc."""
    seeker_node = problem.arc_seeker.astype(np.int64) + 1
    provider_node = problem.arc_provider.astype(np.int64) + len(problem.seekers) + 1
    cost_bound = int(np.abs(arc_costs).max(initial=0))
    while True:
        network = _build_network(problem, np.flatnonzero(in_subset), chosen)
        flow = flow_of(network)
        flows = flow.run(network)
        potential = _potentials(network, flows, flow, cost_bound=cost_bound)
        reduced = arc_costs + potential[seeker_node] - potential[provider_node]
        # through a (provider, team) node the head potential exceeds the provider's by at most slack
        slack = 0
        if len(network.group_keys):
            group_provider = network.group_keys // network.width + len(problem.seekers) + 1
            slack = max(int((potential[network.group_nodes] - potential[group_provider]).max()), 0)
        suspects = np.flatnonzero((reduced < slack) & ~in_subset & ~chosen)
        heads = _head_nodes(problem, network, suspects)
        exact = arc_costs[suspects] + potential[seeker_node[suspects]] - potential[heads]
        violators = suspects[exact < 0]
        if not len(violators):
            return network, flows, flow, potential
        in_subset[violators] = True


def _starting_arcs(problem: MatchingProblem, free: np.ndarray, k: int) -> np.ndarray:
    """Each seeker's best ``k`` arcs (precomputed when compiled with the same ``k``)."""
    if len(problem.top_arcs) and problem.top_k == k:
        return problem.top_arcs
    return _best_per_seeker(problem, free, k)


def _best_per_seeker(problem: MatchingProblem, arcs: np.ndarray, k: int) -> np.ndarray:
    """Each seeker's ``k`` best-scoring arcs among ``arcs``."""
    order = arcs[np.lexsort((-problem.arc_score[arcs], problem.arc_seeker[arcs]))]
    seeker_sorted = problem.arc_seeker[order]
    first = np.searchsorted(seeker_sorted, seeker_sorted, side="left")
    return order[(np.arange(len(order)) - first) < k]


def solve(problem: MatchingProblem, options: SolveOptions | None = None) -> Solution:
    """Solve ``problem`` exactly by min-cost flow; CP-SAT when the flow cannot meet min loads.

    With ``options.method == "cp_sat"`` the side-constrained problem always goes to CP-SAT
    (hinted with the flow solution); the tests use it to cross-check the two solvers.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    if problem.spec.kind is Kind.PEER:
        return _solve_peer(problem, options, started)
    conflicts = quick_conflicts(problem)
    fixed, missing = _arc_positions(problem, problem.must)
    ids = problem.pop.ids
    conflicts += [
        f"pairs.must ({ids[problem.seekers[s]]}, {ids[problem.providers[p]]}) is not an eligible "
        "pair of this program: drop the must pair"
        for s, p in missing
        if (s, p) not in problem.must_blockers
    ]
    if conflicts:
        return _infeasible(conflicts, "checks", started)
    flow_chosen, flow_score, potentials = solve_flow(problem, fixed=fixed, options=options)
    loads = np.bincount(problem.arc_provider[flow_chosen], minlength=len(problem.providers))
    loads_met = bool((loads >= problem.min_need).all())
    if loads_met and options.method == "auto":
        return Solution(
            status="optimal",
            pairs=_pairs(problem, flow_chosen),
            objective=flow_score,
            bound=flow_score,
            gap=0.0,
            bound_scope="all_eligible_pairs",
            method="min_cost_flow",
            seconds=time.perf_counter() - started,
            coverage_bound=int(flow_chosen.sum()),
            potentials=potentials,
        )
    return _solve_sat(
        problem, options, fixed, flow_chosen, flow_score, started, exact_flow=loads_met
    )


def _pairs(problem: MatchingProblem, chosen: np.ndarray) -> list[tuple[int, int]]:
    arcs = np.flatnonzero(chosen)
    return sorted(
        zip(problem.arc_seeker[arcs].tolist(), problem.arc_provider[arcs].tolist(), strict=True)
    )


def _candidates(
    problem: MatchingProblem, keep: np.ndarray, options: SolveOptions
) -> tuple[np.ndarray, bool]:
    """Arcs CP-SAT sees: all of them when few, else each seeker's best plus ``keep``."""
    if problem.arcs <= options.max_sat_arcs:
        return np.arange(problem.arcs), False
    best = _best_per_seeker(problem, np.arange(problem.arcs), options.candidates_per_seeker)
    # providers with a minimum load keep every arc, so that the load stays reachable
    loaded = problem.min_need > 0
    extra = np.flatnonzero(keep | loaded[problem.arc_provider])
    return np.union1d(best, extra), True


def _components(problem: MatchingProblem, arcs: np.ndarray) -> list[np.ndarray]:
    """Split arcs into independent groups (connected components of the bipartite graph)."""
    n_s, n_p = len(problem.seekers), len(problem.providers)
    graph = sp.coo_matrix(
        (
            np.ones(len(arcs)),
            (problem.arc_seeker[arcs], problem.arc_provider[arcs].astype(np.int64) + n_s),
        ),
        shape=(n_s + n_p, n_s + n_p),
    )
    _, labels = sp.csgraph.connected_components(graph, directed=False)
    arc_label = labels[problem.arc_seeker[arcs]]
    order = np.argsort(arc_label, kind="stable")
    bounds = np.flatnonzero(np.diff(arc_label[order])) + 1
    return [arcs[group] for group in np.split(order, bounds)] if len(arcs) else []


def _solver(options: SolveOptions, seconds: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    solver.parameters.linearization_level = 2
    solver.parameters.max_time_in_seconds = max(seconds, 0.05)
    solver.parameters.max_deterministic_time = max(seconds, 0.05)
    return solver


def _team_groups(
    problem: MatchingProblem, by_provider: dict[int, list[int]]
) -> list[tuple[tuple[int, int], list[int], int]]:
    """The (provider, team) groups of arcs whose per-team cap can bind: ``((p, t), arcs, room)``."""
    if problem.team_cap is None:
        return []
    team = problem.seeker_team()
    groups = []
    for ks in by_provider.values():
        per_team: dict[int, list[int]] = {}
        for k in ks:
            t = int(team[problem.arc_seeker[k]])
            if t >= 0:
                per_team.setdefault(t, []).append(k)
        for t, members in per_team.items():
            p = int(problem.arc_provider[members[0]])
            room = max(problem.team_cap - problem.prior_team_load.get((p, t), 0), 0)
            if len(members) > room:
                groups.append(((p, t), members, room))
    return groups


def _add_team_caps(
    problem: MatchingProblem,
    model: cp_model.CpModel,
    x: dict[int, cp_model.IntVar],
    by_provider: dict[int, list[int]],
) -> None:
    for _, members, room in _team_groups(problem, by_provider):
        model.add(sum(x[k] for k in members) <= room)


@dataclass
class _Model:
    model: cp_model.CpModel
    x: dict[int, cp_model.IntVar]


def _build_model(problem: MatchingProblem, arcs: np.ndarray, fixed: set[int]) -> _Model:
    """The side-constrained assignment on ``arcs``: one Boolean per candidate pair."""
    model = cp_model.CpModel()
    x = {int(k): model.new_bool_var(f"x_{k}") for k in arcs}
    by_seeker: dict[int, list[cp_model.IntVar]] = {}
    by_provider: dict[int, list[int]] = {}
    for k in x:
        by_seeker.setdefault(int(problem.arc_seeker[k]), []).append(x[k])
        by_provider.setdefault(int(problem.arc_provider[k]), []).append(k)
    # each seeker gets at most per_seeker providers (less what earlier runs gave them)
    for s, variables in by_seeker.items():
        if problem.supply[s] == 1:
            model.add_at_most_one(variables)
        else:
            model.add(sum(variables) <= int(problem.supply[s]))
    # each provider takes at most its capacity, and at least the minimum load
    for p, ks in by_provider.items():
        model.add(sum(x[k] for k in ks) <= int(problem.capacity[p]))
        if problem.min_need[p] > 0:
            model.add(sum(x[k] for k in ks) >= int(problem.min_need[p]))
    # a provider takes at most team_cap seekers of any one team
    _add_team_caps(problem, model, x, by_provider)
    # must pairs are taken
    for k in fixed:
        if k in x:
            model.add(x[k] == 1)
    return _Model(model, x)


def _solve_sat(
    problem: MatchingProblem,
    options: SolveOptions,
    fixed: list[int],
    flow_chosen: np.ndarray,
    flow_score: float,
    started: float,
    *,
    exact_flow: bool,
) -> Solution:
    """CP-SAT on the candidates, hinted with the flow. When ``exact_flow`` (the flow met every
    side constraint), the flow score is the optimum and so a valid bound over all pairs."""
    arcs, pruned = _candidates(problem, flow_chosen, options)
    groups = _components(problem, arcs)
    chosen = np.zeros(problem.arcs, dtype=bool)
    proven = True
    sat_bound = 0.0
    coverage_bound = 0
    notes: list[str] = []
    fixed_set = set(fixed)
    budget = max(options.time_limit - (time.perf_counter() - started), 1.0)
    total = max(len(arcs), 1)
    for group in sorted(groups, key=len):
        share = budget * len(group) / total
        result = _solve_group(problem, group, fixed_set, flow_chosen, options, share)
        if result is None:
            return _infeasible(
                explain_infeasible(problem, group, fixed_set, options),
                "cp_sat_assumptions",
                started,
            )
        group_chosen, group_bound, group_cover_bound, group_proven = result
        chosen |= group_chosen
        sat_bound += group_bound
        coverage_bound += group_cover_bound
        proven &= group_proven
    objective = float(problem.arc_score[chosen].sum())
    coverage = int(chosen.sum())
    flow_coverage = int(flow_chosen.sum())
    scope: Literal["all_eligible_pairs", "candidates"] = "all_eligible_pairs"
    if coverage == flow_coverage and exact_flow:
        bound = flow_score
    elif pruned:
        bound, scope = sat_bound, "candidates"
        notes.append(
            f"CP-SAT ran on {len(arcs):,} of {problem.arcs:,} eligible pairs (the best "
            f"{options.candidates_per_seeker} per seeker); the bound holds for those candidates"
        )
    else:
        bound = sat_bound
    bound = max(bound, objective)
    gap = _gap(objective, bound)
    optimal = (proven and not pruned) or gap <= 1e-9
    if coverage < flow_coverage:
        notes.append(
            f"the side constraints lower coverage from {flow_coverage} to at most {coverage_bound} seeker slots"
        )
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=_pairs(problem, chosen),
        objective=objective,
        bound=bound,
        gap=gap,
        bound_scope=scope,
        method="cp_sat",
        seconds=time.perf_counter() - started,
        coverage_bound=coverage_bound,
        notes=notes,
    )


def _solve_group(
    problem: MatchingProblem,
    group: np.ndarray,
    fixed: set[int],
    hint: np.ndarray,
    options: SolveOptions,
    seconds: float,
) -> tuple[np.ndarray, float, int, bool] | None:
    """Two phases on one component: maximise coverage, then the score at that coverage.

    Returns ``None`` when the component is infeasible.
    """
    chosen = np.zeros(problem.arcs, dtype=bool)
    built = _build_model(problem, group, fixed)
    model, x = built.model, built.x
    for k, var in x.items():
        model.add_hint(var, bool(hint[k]))
    coverage = sum(x.values())
    model.maximize(coverage)
    solver = _solver(options, seconds * 0.4)
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolveTimeout(
            f"CP-SAT found no assignment within {seconds * 0.4:.1f} s for a group of {len(group):,} "
            "candidate pairs; raise --time-limit"
        )
    best_coverage = round(solver.objective_value)
    cover_bound = round(solver.best_objective_bound)
    cover_proven = status == cp_model.OPTIMAL
    first = {k: bool(solver.boolean_value(v)) for k, v in x.items()}
    # phase 2: the best score among solutions with that coverage
    model.add(coverage >= best_coverage)
    model.clear_hints()
    for k, var in x.items():
        model.add_hint(var, first[k])
    scores = np.rint(problem.arc_score[list(x)] * SAT_SCALE).astype(np.int64)
    model.maximize(sum(int(c) * v for c, v in zip(scores.tolist(), x.values(), strict=True)))
    solver = _solver(options, seconds * 0.6)
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for k, var in x.items():
            chosen[k] = solver.boolean_value(var)
        bound = solver.best_objective_bound / SAT_SCALE
        # SAT_SCALE rounding: each chosen arc's score is off by at most half a unit
        bound += 0.5 * len(group) / SAT_SCALE if status != cp_model.OPTIMAL else 0.0
        proven = cover_proven and status == cp_model.OPTIMAL
    else:
        for k in x:
            chosen[k] = first[k]
        bound = float(problem.arc_score[group].clip(min=0).sum())
        proven = False
    if status == cp_model.OPTIMAL:
        bound = max(bound, float(problem.arc_score[chosen].sum()))
    return chosen, bound, cover_bound, proven


def _infeasible(conflicts: list[str], method: str, started: float) -> Solution:
    return Solution(
        status="infeasible",
        pairs=[],
        objective=0.0,
        bound=0.0,
        gap=0.0,
        bound_scope="all_eligible_pairs",
        method=method,
        seconds=time.perf_counter() - started,
        coverage_bound=0,
        conflicts=conflicts,
    )


def _must_fix(problem: MatchingProblem, rule: str) -> str:
    """How to let a must pair through the hard rule ``rule`` that blocks it."""
    rules = problem.spec.rules
    mode = rules.yes_no_rules().get(rule)
    mode_value = getattr(mode, "value", mode)
    if rule == "pairs.never":
        return "remove the pair from pairs.never or drop the must pair"
    if rule == "self":
        return "a person cannot be paired with themselves: drop the must pair"
    if rule == "no_repeat_periods":
        return (
            f"lower rules.no_repeat_periods (now {rules.no_repeat_periods}) or drop the must pair"
        )
    if rule in ("min_level_gap", "max_level_gap", "min_overlap_hours"):
        return f"change rules.{rule} (now {getattr(rules, rule)}) or drop the must pair"
    if mode_value == "forbidden":
        return f"set rules.{rule} to avoided (a penalty, not a ban) or drop the must pair"
    if mode_value == "required":
        return f"set rules.{rule} to preferred (a bonus, not a requirement) or drop the must pair"
    return "relax that rule or drop the must pair"


def quick_conflicts(problem: MatchingProblem) -> list[str]:
    """Necessary conditions of the hard constraints, checked directly (vectorised)."""
    ids = problem.pop.ids
    messages: list[str] = list(problem.conflicts)
    for (s, p), rules in problem.must_blockers.items():
        seeker, provider = ids[problem.seekers[s]], ids[problem.providers[p]]
        for rule in rules:
            messages.append(
                f"pairs.must ({seeker}, {provider}) breaks the rule {rule}: {_must_fix(problem, rule)}"
            )
    musts_per_provider = np.bincount([p for _, p in problem.must], minlength=len(problem.providers))
    musts_per_seeker = np.bincount([s for s, _ in problem.must], minlength=len(problem.seekers))
    for p in np.flatnonzero(musts_per_provider > problem.capacity).tolist():
        who = ids[problem.providers[p]]
        messages.append(
            f"pairs.must gives {who} {musts_per_provider[p]} seekers but capacity is {problem.capacity[p]}: "
            f"raise capacity of {who} to {musts_per_provider[p] + int(problem.prior_load[p])}"
        )
    if problem.team_cap is not None and problem.must:
        team = problem.seeker_team()
        per_team: dict[tuple[int, int], int] = {}
        for s, p in problem.must:
            if team[s] >= 0:
                key = (p, int(team[s]))
                per_team[key] = per_team.get(key, 0) + 1
        for (p, t), count in sorted(per_team.items()):
            already = problem.prior_team_load.get((p, t), 0)
            if count + already > problem.team_cap:
                who = ids[problem.providers[p]]
                committed = f" (and {already} committed)" if already else ""
                messages.append(
                    f"pairs.must gives {who} {count} seekers of team {problem.pop.team_names[t]!r}"
                    f"{committed} but rules.max_same_team_per_provider is {problem.team_cap}: raise "
                    f"it to {count + already} or drop a must pair"
                )
    for s in np.flatnonzero(musts_per_seeker > problem.supply).tolist():
        messages.append(
            f"pairs.must gives {ids[problem.seekers[s]]} {musts_per_seeker[s]} providers but per_seeker is "
            f"{problem.per_seeker}: raise per_seeker to {musts_per_seeker[s]}"
        )
    if problem.min_need.any():
        eligible = np.bincount(problem.arc_provider, minlength=len(problem.providers))
        for p in np.flatnonzero(problem.min_need > 0).tolist():
            who = ids[problem.providers[p]]
            need = int(problem.min_need[p])
            if problem.capacity[p] < need:
                messages.append(
                    f"capacity.min = {problem.min_load} but {who} has room for {problem.capacity[p]} more: "
                    f"raise capacity of {who} or lower capacity.min"
                )
            elif eligible[p] < need:
                messages.append(
                    f"capacity.min = {problem.min_load} but only {eligible[p]} seeker(s) are eligible for {who}: "
                    f"relax a rule or lower capacity.min to {eligible[p] + problem.min_load - need}"
                )
        slots = int(problem.supply.sum())
        needed = int(problem.min_need.sum())
        if needed > slots:
            messages.append(
                f"capacity.min = {problem.min_load} for {len(problem.providers)} providers needs {needed} "
                f"more pairs but the {len(problem.seekers)} seekers can take only {slots}: lower capacity.min to "
                f"{slots // max(len(problem.providers), 1)} or add seekers"
            )
    return messages


def explain_infeasible(
    problem: MatchingProblem, arcs: np.ndarray, fixed: set[int], options: SolveOptions
) -> list[str]:
    """Name a conflicting subset of minimum loads, per-team caps and must pairs among ``arcs``.

    Each such constraint is guarded by an assumption literal; on INFEASIBLE, CP-SAT's
    sufficient assumptions (single-threaded, no objective) give the subset.
    """
    guarded = cp_model.CpModel()
    y = {int(k): guarded.new_bool_var(f"x_{k}") for k in arcs}
    literals: dict[int, str] = {}
    by_seeker: dict[int, list[int]] = {}
    by_provider: dict[int, list[int]] = {}
    for k in y:
        by_seeker.setdefault(int(problem.arc_seeker[k]), []).append(k)
        by_provider.setdefault(int(problem.arc_provider[k]), []).append(k)
    for s, ks in by_seeker.items():
        guarded.add(sum(y[k] for k in ks) <= int(problem.supply[s]))
    for p, ks in by_provider.items():
        load = sum(y[k] for k in ks)
        guarded.add(load <= int(problem.capacity[p]))
        if problem.min_need[p] > 0:
            literal = guarded.new_bool_var(f"min_load_{p}")
            guarded.add(load >= int(problem.min_need[p])).only_enforce_if(literal)
            literals[literal.index] = f"min_load:{p}"
            guarded.add_assumption(literal)
    for (p, t), members, room in _team_groups(problem, by_provider):
        literal = guarded.new_bool_var(f"team_cap_{p}_{t}")
        guarded.add(sum(y[k] for k in members) <= room).only_enforce_if(literal)
        literals[literal.index] = f"team_cap:{p}:{t}:{room}"
        guarded.add_assumption(literal)
    for k in sorted(fixed & set(y)):
        literal = guarded.new_bool_var(f"must_{k}")
        guarded.add(y[k] == 1).only_enforce_if(literal)
        literals[literal.index] = f"must:{problem.arc_seeker[k]}:{problem.arc_provider[k]}"
        guarded.add_assumption(literal)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = options.seed
    solver.parameters.max_time_in_seconds = max(options.time_limit / 4, 1.0)
    status = solver.solve(guarded)
    if status != cp_model.INFEASIBLE:
        return ["the minimum loads, per-team caps and must pairs cannot all hold together"]
    core = [literals[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in literals]
    return [_describe_conflict(problem, item, by_provider) for item in sorted(core)] or [
        "the minimum loads, per-team caps and must pairs cannot all hold together"
    ]


class SolveTimeout(MatcherError):
    """CP-SAT found no assignment at all within the time limit."""


def _describe_conflict(
    problem: MatchingProblem, item: str, by_provider: dict[int, list[int]]
) -> str:
    ids = problem.pop.ids
    kind, *rest = item.split(":")
    if kind == "min_load":
        p = int(rest[0])
        eligible = len(by_provider.get(p, []))
        capacity = int(problem.capacity[p])
        need = int(problem.min_need[p])
        who = ids[problem.providers[p]]
        if capacity < need:
            fix = f"raise capacity of {who} or lower capacity.min"
        elif eligible < need:
            fix = f"only {eligible} seeker(s) are eligible for {who}; relax a rule or lower capacity.min"
        else:
            fix = f"lower capacity.min below {problem.min_load} or add seekers"
        more = f", {need} more this period" if need != problem.min_load else ""
        return f"capacity.min: provider {who} must take at least {problem.min_load} seekers{more} ({fix})"
    if kind == "team_cap":
        p, t, room = int(rest[0]), int(rest[1]), int(rest[2])
        who = ids[problem.providers[p]]
        team = problem.pop.team_names[t] if t < len(problem.pop.team_names) else str(t)
        return (
            f"rules.max_same_team_per_provider = {problem.team_cap}: {who} may take only {room} more "
            f"seeker(s) of team {team!r} (raise max_same_team_per_provider or lower capacity.min)"
        )
    s, p = int(rest[0]), int(rest[1])
    seeker, provider = ids[problem.seekers[s]], ids[problem.providers[p]]
    return (
        f"pairs.must ({seeker}, {provider}) cannot hold with the other constraints "
        f"(e.g. raise capacity of {provider} to {int(problem.capacity[p]) + int(problem.prior_load[p]) + 1})"
    )


def _peer_conflicts(problem: MatchingProblem) -> list[str]:
    """Necessary conditions of a peer program's hard constraints."""
    ids = problem.pop.ids
    messages = list(problem.conflicts)
    for (a, b), rules in problem.must_blockers.items():
        for rule in rules:
            messages.append(
                f"pairs.must ({ids[problem.seekers[a]]}, {ids[problem.seekers[b]]}) breaks the rule "
                f"{rule}: {_must_fix(problem, rule)}"
            )
    load = np.zeros(len(problem.seekers), dtype=np.int64)
    for a, b in problem.must:
        load[a] += 1
        load[b] += 1
    for person in np.flatnonzero(load > problem.capacity).tolist():
        who = ids[problem.seekers[person]]
        messages.append(
            f"pairs.must puts {who} in {load[person]} pairs but capacity is {problem.capacity[person]}: "
            f"raise capacity of {who}"
        )
    return messages


def _greedy_peers(
    problem: MatchingProblem, arcs: np.ndarray, fixed: list[int], coverage_first: bool
) -> np.ndarray:
    """A fast feasible start for peer programs (ignoring minimum loads) among ``arcs``: must
    pairs, then pairs of two people not yet in a pair, then pairs covering one more person, then
    any pair that adds score, each pass best score first and within capacity."""
    room = problem.capacity.astype(np.int64).copy()
    covered = np.zeros(len(problem.seekers), dtype=bool)
    chosen = np.zeros(problem.arcs, dtype=bool)
    a_all, b_all = problem.arc_seeker.tolist(), problem.arc_provider.tolist()
    for k in fixed:
        chosen[k] = True
        for person in (a_all[k], b_all[k]):
            room[person] -= 1
            covered[person] = True
    order = arcs[np.argsort(-problem.arc_score[arcs], kind="stable")].tolist()
    score = problem.arc_score.tolist()
    passes = ("both", "one", "score") if coverage_first else ("score",)
    for rule in passes:
        for k in order:
            if chosen[k]:
                continue
            a, b = a_all[k], b_all[k]
            if room[a] <= 0 or room[b] <= 0:
                continue
            new = int(not covered[a]) + int(not covered[b])
            if (rule == "both" and new < 2) or (rule == "one" and new < 1):
                continue
            if rule == "score" and score[k] <= 0:
                break  # the rest score no more
            chosen[k] = True
            room[a] -= 1
            room[b] -= 1
            covered[a] = covered[b] = True
    return chosen


def _double_cover_bound(problem: MatchingProblem) -> float:
    """An upper bound on the score of any peer pairing, over all eligible pairs.

    Every pairing M of the group gives, in the bipartite double cover (each person once on the
    left and once on the right with their capacity; pair {i, j} as arcs i→j' and j→i'), a
    b-matching of weight 2·w(M). So half the double cover's maximum weight bounds w(M); it is the
    fractional (half-integral) b-matching relaxation, solved exactly as a min-cost flow.
    """
    keep = problem.arc_score > 0
    if not keep.any():
        return 0.0
    n = len(problem.seekers)
    a, b = problem.arc_seeker[keep].astype(np.int64), problem.arc_provider[keep].astype(np.int64)
    cost = -np.rint(problem.arc_score[keep] * FLOW_SCALE).astype(np.int64)
    source, sink = 2 * n, 2 * n + 1
    cap = problem.capacity.astype(np.int64)
    tails = np.concatenate([np.full(n, source), a + 0, b + 0, np.arange(n) + n, [source]])
    heads = np.concatenate([np.arange(n), b + n, a + n, np.full(n, sink), [sink]])
    caps = np.concatenate([cap, np.ones(2 * len(a), np.int64), cap, [int(cap.sum())]])
    costs = np.concatenate([np.zeros(n, np.int64), cost, cost, np.zeros(n, np.int64), [0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(source, int(cap.sum()))
    flow.set_node_supply(sink, -int(cap.sum()))
    if flow.solve() != flow.OPTIMAL:
        return float(problem.arc_score[keep].sum())
    # each arc's cost is rounded by at most half a unit; at most sum(cap) arcs carry flow
    slack = 0.5 * int(cap.sum()) / FLOW_SCALE
    return -flow.optimal_cost() / (2 * FLOW_SCALE) + slack


def _solve_peer(problem: MatchingProblem, options: SolveOptions, started: float) -> Solution:
    """Peer programs: a b-matching on a general graph (pairs {i, j} among one group), by CP-SAT.

    Each person takes part in at most ``capacity`` and at least ``capacity.min`` pairs; must
    pairs are taken. With ``objective = "coverage_first"`` the model first maximises the number
    of people in at least one pair, then the score; with ``"score"`` only the score.

    A greedy pairing is the hint of the first phase, and each phase's best is the hint (and the
    fallback) of the next, so a run always returns the best pairing it found within the time
    limit, which includes building the model. Large groups without minimum loads are solved on
    each person's best ``candidates_per_seeker`` pairs; the bound is then the fractional
    b-matching of all eligible pairs (:func:`_double_cover_bound`), valid over all of them.
    """
    conflicts = _peer_conflicts(problem)
    fixed, missing = _arc_positions(problem, problem.must)
    ids = problem.pop.ids
    conflicts += [
        f"pairs.must ({ids[problem.seekers[a]]}, {ids[problem.seekers[b]]}) is not an eligible "
        "pair of this program: drop the must pair"
        for a, b in missing
        if (a, b) not in problem.must_blockers
    ]
    if conflicts:
        return _infeasible(conflicts, "checks", started)
    deadline = started + options.time_limit
    coverage_first = problem.spec.objective == "coverage_first"
    n = len(problem.seekers)
    # the model is built inside the time limit: at most as many pairs as half the time can take
    budget = int(max(deadline - time.perf_counter(), 0) * PEER_ARCS_PER_SECOND / 2)
    limit = min(options.max_sat_arcs, max(budget, 4 * n))
    pruned = problem.arcs > limit and not problem.min_need.any()
    k_best = options.candidates_per_seeker
    everything = np.arange(problem.arcs)
    # the greedy start looks at every pair while that is quick (it covers more people than on
    # the best pairs alone: 1,580 of 1,582 peers against 1,526), else at the candidates
    greedy = (
        _greedy_peers(problem, everything, fixed, coverage_first)
        if problem.arcs <= GREEDY_ALL_ARCS or not pruned
        else None
    )
    if pruned:
        k_best = max(1, min(k_best, limit // max(2 * n, 1)))
        both = np.concatenate(
            [
                _best_per_seeker(problem, everything, k_best),
                _best_per_provider(problem, k_best),
                np.asarray(fixed, dtype=np.int64),
                np.flatnonzero(greedy) if greedy is not None else np.zeros(0, np.int64),
            ]
        )
        arcs = np.unique(both)
    else:
        arcs = everything
    if greedy is None:
        greedy = _greedy_peers(problem, arcs, fixed, coverage_first)
    greedy_load = np.bincount(problem.arc_seeker[greedy], minlength=n) + np.bincount(
        problem.arc_provider[greedy], minlength=n
    )
    greedy_ok = bool((greedy_load >= problem.min_need).all())
    # the fractional b-matching bounds the score of every pairing over all eligible pairs
    relaxation = _double_cover_bound(problem)
    if greedy_ok and time.perf_counter() >= deadline:
        # no time left to build a model: the greedy pairing is the answer, bounded as usual
        return _peer_solution(
            problem,
            greedy,
            relaxation,
            coverage_first,
            started,
            proven=False,
            note="the time limit ended before CP-SAT could start; raise --time-limit",
        )
    model = cp_model.CpModel()
    x = {int(k): model.new_bool_var(f"x_{k}") for k in arcs}
    touching: list[list[int]] = [[] for _ in range(n)]
    for k, a, b in zip(
        arcs.tolist(),
        problem.arc_seeker[arcs].tolist(),
        problem.arc_provider[arcs].tolist(),
        strict=True,
    ):
        touching[a].append(k)
        touching[b].append(k)
    covered = []
    literals: dict[int, str] = {}
    for person in range(n):
        if not touching[person]:
            continue
        load = cp_model.LinearExpr.sum([x[k] for k in touching[person]])
        model.add(load <= int(problem.capacity[person]))
        if problem.min_need[person] > 0:
            literal = model.new_bool_var(f"min_{person}")
            model.add(load >= int(problem.min_need[person])).only_enforce_if(literal)
            literals[literal.index] = problem.pop.ids[problem.seekers[person]]
            model.add_assumption(literal)
        served = model.new_bool_var(f"y_{person}")
        model.add(load >= 1).only_enforce_if(served)
        covered.append(served)
    if problem.min_need[[not t for t in touching]].any():
        alone = [
            ids[problem.seekers[p]] for p in range(n) if not touching[p] and problem.min_need[p] > 0
        ]
        return _infeasible(
            [
                f"capacity.min = {problem.min_load}: {', '.join(alone[:10])} have no eligible partner; "
                "relax a rule or lower capacity.min"
            ],
            "checks",
            started,
        )
    for k in fixed:
        model.add(x[k] == 1)
    scores = np.rint(problem.arc_score[arcs] * SAT_SCALE).astype(np.int64).tolist()
    score = cp_model.LinearExpr.weighted_sum(list(x.values()), scores)
    hint = {k: bool(greedy[k]) for k in x}

    variable_index = [var.index for var in x.values()]

    def run(seconds: float) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        model.clear_hints()
        # a full hint, set on the proto at once (add_hint per variable costs seconds here)
        model.proto.solution_hint.vars.extend(variable_index)
        model.proto.solution_hint.values.extend([int(hint[k]) for k in x])
        solver = _solver(options, seconds)
        return solver, solver.solve(model)

    best: dict[int, bool] | None = hint if greedy_ok else None
    cover_proven = True
    if coverage_first and covered and time.perf_counter() < deadline:
        model.maximize(cp_model.LinearExpr.sum(covered))
        remaining = deadline - time.perf_counter()
        solver, status = run(max(remaining * 0.4, 0.05))
        if status == cp_model.INFEASIBLE:
            core = [
                literals[i]
                for i in solver.sufficient_assumptions_for_infeasibility()
                if i in literals
            ]
            who = ", ".join(sorted(core)) or "some people"
            return _infeasible(
                [
                    f"capacity.min = {problem.min_load}: not every person can be paired ({who}); lower capacity.min or relax a rule"
                ],
                "cp_sat_assumptions",
                started,
            )
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            best = {k: bool(solver.boolean_value(v)) for k, v in x.items()}
            cover_proven = status == cp_model.OPTIMAL
        elif best is None:
            raise SolveTimeout(
                f"CP-SAT found no pairing within {options.time_limit:.0f} s that meets capacity.min "
                f"for {n:,} people; raise --time-limit"
            )
        else:
            cover_proven = False
        assert best is not None
        hint = best
        found_cover = sum(1 for t in touching if t and any(best[k] for k in t))
        model.add(cp_model.LinearExpr.sum(covered) >= found_cover)
    elif coverage_first and covered:
        cover_proven = False  # the deadline passed while building: the greedy start stands
    model.maximize(score)
    remaining = deadline - time.perf_counter()
    if remaining > 0 or best is None:
        solver, status = run(max(remaining, 0.05))
    else:
        solver, status = cp_model.CpSolver(), cp_model.UNKNOWN
    if status == cp_model.INFEASIBLE and best is None:
        return _infeasible(
            [
                f"capacity.min = {problem.min_load}: not every person can be paired; lower capacity.min or relax a rule"
            ],
            "cp_sat",
            started,
        )
    score_proven = status == cp_model.OPTIMAL
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        best = {k: bool(solver.boolean_value(v)) for k, v in x.items()}
        sat_bound = solver.best_objective_bound / SAT_SCALE + (
            0.0 if score_proven else 0.5 * len(arcs) / SAT_SCALE
        )
    elif best is None:
        raise SolveTimeout(
            f"CP-SAT found no pairing within {options.time_limit:.0f} s that meets capacity.min "
            f"for {n:,} people; raise --time-limit"
        )
    else:
        sat_bound = float("inf")
    chosen = np.zeros(problem.arcs, dtype=bool)
    chosen[[k for k, on in best.items() if on]] = True
    objective = float(problem.arc_score[chosen].sum())
    notes: list[str] = []
    bound = relaxation if pruned else min(sat_bound, relaxation)
    if score_proven and cover_proven and not pruned:
        bound = objective
    bound = max(bound, objective)
    gap = _gap(objective, bound)
    people_with_partner = sum(1 for t in touching if t)
    in_pairs = int(
        (
            np.bincount(problem.arc_seeker[chosen], minlength=n)
            + np.bincount(problem.arc_provider[chosen], minlength=n)
            > 0
        ).sum()
    )
    if pruned:
        notes.append(
            f"CP-SAT ran on {len(arcs):,} of {problem.arcs:,} eligible pairs (each person's best "
            f"{k_best}); the bound is the fractional pairing of all of them"
        )
        cover_proven = in_pairs == people_with_partner or not coverage_first
        score_proven = gap <= 1e-9
    optimal = cover_proven and (score_proven or gap <= 1e-9)
    if not optimal and time.perf_counter() >= deadline - 0.05:
        notes.append("the time limit ended the search; raise --time-limit to close the gap")
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=_pairs(problem, chosen),
        objective=objective,
        bound=bound,
        gap=gap,
        bound_scope="all_eligible_pairs",
        method="cp_sat",
        seconds=time.perf_counter() - started,
        coverage_bound=people_with_partner,
        notes=notes,
    )


def _peer_solution(
    problem: MatchingProblem,
    chosen: np.ndarray,
    relaxation: float,
    coverage_first: bool,
    started: float,
    *,
    proven: bool,
    note: str,
) -> Solution:
    """A peer pairing found without a finished search, bounded by the fractional pairing."""
    n = len(problem.seekers)
    objective = float(problem.arc_score[chosen].sum())
    bound = max(relaxation, objective)
    partners = np.bincount(problem.arc_seeker, minlength=n) + np.bincount(
        problem.arc_provider, minlength=n
    )
    load = np.bincount(problem.arc_seeker[chosen], minlength=n) + np.bincount(
        problem.arc_provider[chosen], minlength=n
    )
    cover_proven = not coverage_first or int((load > 0).sum()) == int((partners > 0).sum())
    optimal = proven or (cover_proven and _gap(objective, bound) <= 1e-9)
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=_pairs(problem, chosen),
        objective=objective,
        bound=bound,
        gap=_gap(objective, bound),
        bound_scope="all_eligible_pairs",
        method="greedy",
        seconds=time.perf_counter() - started,
        coverage_bound=int((partners > 0).sum()),
        notes=[note],
    )


def _best_per_provider(problem: MatchingProblem, k: int) -> np.ndarray:
    """Each provider's ``k`` best-scoring arcs (for peers: the other end of each pair)."""
    arcs = np.arange(problem.arcs)
    order = arcs[np.lexsort((-problem.arc_score, problem.arc_provider))]
    provider_sorted = problem.arc_provider[order]
    first = np.searchsorted(provider_sorted, provider_sorted, side="left")
    return order[(np.arange(len(order)) - first) < k]
