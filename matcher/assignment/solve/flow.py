"""Min-cost flow: programs without side constraints (and minimum loads in two flows),
priced over all eligible pairs when they are many, with the potentials that certify them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.assignment.certificate import FlowPotentials
from matcher.assignment.compile import BLOCK_CELLS, MatchingProblem
from matcher.assignment.solve.common import (
    FLOW_SCALE,
    SolveOptions,
    arc_positions,
    best_per_seeker,
)
from matcher.errors import MatcherError


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
    arc_heads = provider_node[problem.arc_provider[arcs]]
    tails = [np.zeros(n_s, np.int64), problem.arc_seeker[arcs].astype(np.int64) + 1]
    heads = [np.arange(n_s, dtype=np.int64) + 1, arc_heads]
    caps = [np.maximum(supply, 0), np.ones(len(arcs), np.int64)]
    costs = [np.zeros(n_s, np.int64), _arc_costs(problem, arcs)]
    middle = slice(n_s, n_s + len(arcs))
    # team codes of everyone (committed pairs may name seekers no longer selected)
    width = int(problem.pop.team.max(initial=0)) + 1
    group_keys = np.zeros(0, np.int64)
    group_nodes = np.zeros(0, np.int64)
    if problem.team_cap is not None:
        teams = _team_nodes(problem, arcs, fixed, width)
        group_keys = teams.keys
        group_nodes = next_node + np.arange(len(group_keys))
        next_node += len(group_keys)
        arc_heads[teams.capped] = group_nodes[teams.group_of_capped]
        tails.append(group_nodes)
        heads.append(provider_node[group_keys // width])
        caps.append(teams.caps)
        costs.append(np.zeros(len(group_keys), np.int64))
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


@dataclass(frozen=True)
class _TeamNodes:
    """The (provider, team) nodes of binding per-team caps and the candidate arcs they take."""

    keys: np.ndarray
    """``provider * width + team`` of each node, sorted."""
    caps: np.ndarray
    """Seekers of that team the provider may still take (after committed and must pairs)."""
    capped: np.ndarray
    """Over ``arcs``: whether the arc goes through a node."""
    group_of_capped: np.ndarray
    """For each capped arc, in order: its node's position in ``keys``."""


def _team_nodes(
    problem: MatchingProblem, arcs: np.ndarray, fixed: np.ndarray, width: int
) -> _TeamNodes:
    """Per-team caps as nodes: only (provider, team) pairs with more candidates (``arcs`` and
    the must arcs ``fixed``) than room need a node of their own."""
    assert problem.team_cap is not None
    keys, capped = _team_keys(problem, arcs, width)
    fixed_keys, fixed_capped = _team_keys(problem, fixed, width)
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
    used = np.zeros(len(group_keys), np.int64)
    for (p, t), count in problem.prior_team_load.items():
        where = np.searchsorted(group_keys, p * width + t)
        if t >= 0 and where < len(group_keys) and group_keys[where] == p * width + t:
            used[where] += count
    np.add.at(used, np.searchsorted(group_keys, fixed_keys[fixed_capped]), 1)
    return _TeamNodes(
        keys=group_keys,
        caps=np.maximum(problem.team_cap - used, 0),
        capped=capped,
        group_of_capped=np.searchsorted(group_keys, keys[capped]),
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
    # the largest |cost| of any arc, must pairs included (rounding is monotone)
    cost_bound = int(np.rint(np.abs(problem.arc_score).max(initial=0) * FLOW_SCALE))
    potential: np.ndarray | None = None
    if problem.left_out is not None:
        cost_bound = max(cost_bound, int(np.ceil(problem.left_out.largest * FLOW_SCALE)))
        network, flows, flow, potential, chosen = _priced_left_out(problem, cost_bound)
        met = True
    elif problem.arcs <= options.prune_above or not len(free):
        network = _build_network(problem, free, chosen)
        if problem.min_need.any():
            flows, flow, met = _solve_min_loads(network)
        else:
            flow = _max_flow(network)
            flows, met = flow.run(network), True
    else:
        scores = _arc_costs(problem, np.arange(problem.arcs))
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


NEVER = -(1 << 60)
"""A cut of ``-inf`` in cost units: no left-out pair, so nothing to price."""


def _cut_units(cut: np.ndarray) -> np.ndarray:
    """Score bounds in cost units, rounded as costs are (rounding is monotone)."""
    finite = np.isfinite(cut)
    units = np.full(len(cut), NEVER, dtype=np.int64)
    units[finite] = np.rint(cut[finite] * FLOW_SCALE).astype(np.int64)
    return units


def _priced_left_out(
    problem: MatchingProblem, cost_bound: int
) -> tuple[_Network, np.ndarray, _Flow, np.ndarray, np.ndarray]:
    """Solve on the candidate arcs of a streamed problem, price the pairs left out block by
    block, admit those of negative reduced cost and solve again, until none is left.

    Returns the final network, its flows, the flow problem, the node potentials and the must
    arcs (ids in the final arcs)."""
    assert problem.left_out is not None
    while True:
        fixed, _ = arc_positions(problem, problem.must)
        chosen = np.zeros(problem.arcs, dtype=bool)
        chosen[fixed] = True
        network = _build_network(problem, np.flatnonzero(~chosen), chosen)
        flow = _max_flow(network)
        flows = flow.run(network)
        potential = _potentials(network, flows, flow, cost_bound=cost_bound)
        seeker, provider, score = _negative_left_out(problem, potential)
        if not len(seeker):
            return network, flows, flow, potential, chosen
        problem.admit(seeker, provider, score)


def _negative_left_out(
    problem: MatchingProblem, potential: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The eligible pairs that are not arcs and have a negative reduced cost under
    ``potential``, found without listing the others.

    A left-out pair (s, p) scores at most ``min(seeker_cut[s], provider_cut[p])``, so its
    reduced cost ``-cost + π_s - π_p`` can only be negative when ``π_p > π_s - seeker_cut[s]``
    and ``π_p + provider_cut[p] > π_s``: providers sorted by potential make the first a suffix,
    and a running maximum of the second over that suffix rules out whole seekers. The pairs of
    the seekers left are listed again (their eligibility and scores, a block at a time) against
    the providers that pass both tests, and priced exactly.
    """
    left = problem.left_out
    assert left is not None
    n_s, n_p = len(problem.seekers), len(problem.providers)
    seeker_pot = potential[1 : n_s + 1]
    provider_pot = potential[n_s + 1 : n_s + n_p + 1]
    seeker_cut, provider_cut = _cut_units(left.seeker_cut), _cut_units(left.provider_cut)
    order = np.argsort(provider_pot, kind="stable")
    sorted_pot = provider_pot[order]
    reach = (provider_pot + provider_cut)[order]
    suffix_best = np.append(np.maximum.accumulate(reach[::-1])[::-1], NEVER)
    first = np.searchsorted(sorted_pot, seeker_pot - seeker_cut, side="right")
    suspects = np.flatnonzero(suffix_best[first] > seeker_pot)
    suspects = suspects[np.argsort(first[suspects], kind="stable")]
    width = max(n_p, 1)
    keys = problem.arc_seeker.astype(np.int64) * width + problem.arc_provider
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    start = 0
    while start < len(suspects):
        columns = n_p - int(first[suspects[start]])
        rows = suspects[start : start + max(1, BLOCK_CELLS // max(columns, 1))]
        start += len(rows)
        cols = order[int(first[rows].min()) :]
        cols = np.sort(cols[(provider_pot + provider_cut)[cols] > seeker_pot[rows].min()])
        s, p, score = left.pairs(rows, cols)
        reduced = -np.rint(score * FLOW_SCALE).astype(np.int64) + seeker_pot[s] - provider_pot[p]
        negative = reduced < 0
        s, p, score = s[negative], p[negative], score[negative]
        key = s.astype(np.int64) * width + p
        at = np.minimum(np.searchsorted(keys, key), max(len(keys) - 1, 0))
        new = keys[at] != key if len(keys) else np.ones(len(key), dtype=bool)
        found.append((s[new], p[new], score[new]))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return tuple(np.concatenate(part) for part in zip(*found, strict=True))  # type: ignore[return-value]


def _starting_arcs(problem: MatchingProblem, free: np.ndarray, k: int) -> np.ndarray:
    """Each seeker's best ``k`` arcs (precomputed when compiled with the same ``k``)."""
    if len(problem.top_arcs) and problem.top_k == k:
        return problem.top_arcs
    return best_per_seeker(problem, free, k)
