"""Circles and rounds: the selected people in groups, once per round, by CP-SAT from a fast plan.

The model, in words: in each round every person is in at most one group; a group holds
``group_size.min`` to ``group_size.max`` people, at most ``max_same_team_per_group`` of one
team, at least (at most) ``count`` people of each ``min_per_group`` (``max_per_group``)
selector; two people share a group only when they are an eligible pair; must pairs share a
group; with ``no_repeat_pairs = "required"`` no pair meets twice. Lexicographically, place as
many people as possible (flagged people first), then (over several rounds, or with
``no_repeat_pairs = "avoided"``) meet as many distinct new pairs as possible, then maximise
the sum of the pair scores inside the groups.

Small instances get the exact model: every allowed group (a clique of eligible pairs within
the size, team and quota rules) is a column, ``y[group, round]`` a Boolean, and each round a
set packing; its LP relaxation is far tighter than an assignment model's ``x[person, group]``
(11 people in circles of 3–4 over 2 rounds: proven in under a second, against a bound still
3.7 times the optimum after 20 s). It is hinted with the heuristic plan; instances with more
allowed groups are answered by the plan alone. Either way the score is bounded
over all eligible pairs by a fractional b-matching: the pairs met in one round form a graph
in which nobody has more than ``group_size.max - 1`` partners.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from matcher.assignment.groups import GroupProblem
from matcher.assignment.solve.common import (
    FLOW_SCALE,
    SAT_SCALE,
    Solution,
    SolveOptions,
    cp_solver,
    infeasible_solution,
    relative_gap,
)
from matcher.assignment.solve.heuristic import Dense, heuristic_plan
from matcher.assignment.solve.neighbourhood import improve_plan

EXACT_GROUPS = 30_000
"""Allowed groups × rounds up to which the exact (set-packing) CP-SAT model is built."""
HEURISTIC_SHARE = 0.25
"""Share of the time limit the heuristic plan may take before the exact model starts."""

Plan = list[np.ndarray]


@dataclass(frozen=True)
class Value:
    """What a plan achieves, compared lexicographically in this order."""

    placed: int
    flagged: int
    new: int
    score: float

    def key(self) -> tuple[int, int, int, float]:
        return (self.placed, self.flagged, self.new, round(self.score, 9))


def evaluate(gp: GroupProblem, dense: Dense, plan: Plan) -> Value:
    """Placements (all, flagged), distinct new connections and score of a plan."""
    placed = flagged = 0
    score = 0.0
    arcs: set[int] = set()
    for groups in plan:
        on = groups >= 0
        placed += int(on.sum())
        flagged += int((on & gp.flagged).sum())
        for g in np.unique(groups[on]).tolist():
            members = np.flatnonzero(groups == g)
            block = np.ix_(members, members)
            upper = np.triu(np.ones((len(members), len(members)), dtype=bool), 1)
            score += float(dense.score[block][upper].sum())
            ids = dense.arc[block][upper]
            arcs.update(int(k) for k in ids[ids >= 0] if not gp.met_before[k])
    return Value(placed, flagged, len(arcs) if gp.counts_new else 0, score)


def group_conflicts(gp: GroupProblem) -> list[str]:
    """Hard group rules that cannot hold, each named with a fix."""
    problem = gp.pairs
    ids = problem.pop.ids
    messages = list(problem.conflicts)
    for (a, b), rules in problem.must_blockers.items():
        for rule in rules:
            messages.append(
                f"pairs.must ({ids[problem.seekers[a]]}, {ids[problem.seekers[b]]}) breaks the "
                f"rule {rule}: relax it or drop the must pair"
            )
    arcs = {(int(a), int(b)) for a, b in zip(problem.arc_seeker, problem.arc_provider, strict=True)}
    for a, b in problem.must:
        if (a, b) not in problem.must_blockers and (min(a, b), max(a, b)) not in arcs:
            messages.append(
                f"pairs.must ({ids[problem.seekers[a]]}, {ids[problem.seekers[b]]}) is not an "
                "eligible pair of this program: drop the must pair"
            )
    people = gp.n
    if people >= gp.size_min:
        needed = -(-people // gp.size_max)
        for quota in gp.quotas:
            selected = int(quota.members.sum())
            if quota.rule == "min_per_group" and quota.count * needed > selected:
                messages.append(
                    f"min_per_group {quota.label} needs {quota.count * needed} "
                    f"({quota.count} in each of the {needed} groups that {people} people in "
                    f"groups of at most {gp.size_max} need), {selected} selected: select more "
                    f"people with {quota.label}, lower count, or raise group_size.max"
                )
        if gp.team_cap is not None and people:
            teams, sizes = np.unique(gp.team[gp.team >= 0], return_counts=True)
            for team, size in zip(teams.tolist(), sizes.tolist(), strict=True):
                if size > gp.team_cap * needed and gp.rounds >= 1:
                    name = problem.pop.team_names[team]
                    messages.append(
                        f"max_same_team_per_group = {gp.team_cap}: team {name} has {size} people "
                        f"but {needed} groups hold at most {gp.team_cap * needed} of them: raise "
                        "max_same_team_per_group or lower group_size.max"
                    )
    return messages


def score_bound(gp: GroupProblem) -> float:
    """An upper bound on the score of any plan, over all eligible pairs.

    In one round each person meets at most ``size_max - 1`` others, so the pairs met form a
    b-matching with ``b = size_max - 1``; over the rounds, with ``no_repeat_pairs = "required"``,
    a b-matching with ``b = rounds * (size_max - 1)`` in which each pair counts once, else
    ``rounds`` such b-matchings. Half the maximum weight b-matching of the bipartite double
    cover (a min-cost flow on the positive pairs) bounds each.
    """
    problem = gp.pairs
    keep = problem.arc_score > 0
    if not keep.any():
        return 0.0
    n = gp.n
    degree = gp.size_max - 1
    copies = gp.rounds
    if gp.no_repeat == "required":
        degree, copies = min(gp.rounds * degree, n - 1), 1
    a, b = problem.arc_seeker[keep].astype(np.int64), problem.arc_provider[keep].astype(np.int64)
    cost = -np.rint(problem.arc_score[keep] * FLOW_SCALE).astype(np.int64)
    source, sink = 2 * n, 2 * n + 1
    cap = np.full(n, degree, dtype=np.int64)
    tails = np.concatenate([np.full(n, source), a, b, np.arange(n) + n, [source]])
    heads = np.concatenate([np.arange(n), b + n, a + n, np.full(n, sink), [sink]])
    caps = np.concatenate([cap, np.ones(2 * len(a), np.int64), cap, [int(cap.sum())]])
    costs = np.concatenate([np.zeros(n, np.int64), cost, cost, np.zeros(n, np.int64), [0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(source, int(cap.sum()))
    flow.set_node_supply(sink, -int(cap.sum()))
    if flow.solve() != flow.OPTIMAL:
        return copies * float(problem.arc_score[keep].sum())
    # each arc's cost is rounded by at most half a unit; at most sum(cap) arcs carry flow
    slack = 0.5 * int(cap.sum()) / FLOW_SCALE
    return copies * (-flow.optimal_cost() / (2 * FLOW_SCALE) + slack)


def coverage_bound(gp: GroupProblem, dense: Dense) -> int:
    """At most how many placements (person × round) any plan makes: people with too few
    eligible partners are never placed; at most ``people // size_min`` groups (and
    ``selected // count`` for each ``min_per_group``) of at most ``size_max`` each. With
    ``no_repeat_pairs = "required"`` a person meets ``size_min - 1`` partners they never met
    before in each round they are placed, so is placed in at most
    ``partners // (size_min - 1)`` rounds."""
    partners = dense.eligible.sum(axis=1)
    people = int((partners >= gp.size_min - 1).sum())
    groups = people // gp.size_min
    for quota in gp.quotas:
        if quota.rule == "min_per_group" and quota.count > 0:
            groups = min(groups, int(quota.members.sum()) // quota.count)
    bound = gp.rounds * min(people, groups * gp.size_max)
    if gp.no_repeat == "required" and gp.size_min > 1:
        fresh = (dense.eligible & ~dense.met_before).sum(axis=1)
        bound = min(bound, int(np.minimum(gp.rounds, fresh // (gp.size_min - 1)).sum()))
    return bound


# --------------------------------------------------------------------------- exact model


def candidate_groups(gp: GroupProblem, dense: Dense, limit: int) -> list[tuple[int, ...]] | None:
    """Every group the rules allow (a clique of eligible pairs of an allowed size, within the
    team cap and the quotas), in lexicographic order; ``None`` when there are more than ``limit``."""
    n = gp.n
    adjacent = [
        sum(1 << j for j in np.flatnonzero(dense.eligible[i]).tolist() if j > i) for i in range(n)
    ]
    found: list[tuple[int, ...]] = []
    quotas = [(q.rule, q.members, q.count) for q in gp.quotas]

    def allowed(members: tuple[int, ...]) -> bool:
        if gp.team_cap is not None:
            teams = [int(gp.team[i]) for i in members if gp.team[i] >= 0]
            if any(teams.count(t) > gp.team_cap for t in set(teams)):
                return False
        for rule, chosen, count in quotas:
            held = int(chosen[list(members)].sum())
            if (rule == "min_per_group" and held < count) or (
                rule == "max_per_group" and held > count
            ):
                return False
        return True

    stack: list[tuple[tuple[int, ...], int]] = [((i,), adjacent[i]) for i in reversed(range(n))]
    while stack:
        members, open_ = stack.pop()
        if len(members) >= gp.size_min and allowed(members):
            found.append(members)
            if len(found) > limit:
                return None
        if len(members) == gp.size_max or len(members) + bin(open_).count("1") < gp.size_min:
            continue
        following = []
        rest = open_
        while rest:
            low = rest & -rest
            j = low.bit_length() - 1
            following.append(((*members, j), open_ & adjacent[j]))
            rest ^= low
        stack.extend(reversed(following))
    return found


@dataclass
class _Exact:
    """The set-packing CP-SAT model of a group problem, with the expressions its phases
    maximise."""

    model: cp_model.CpModel
    y: dict[tuple[int, int], cp_model.IntVar]
    """``y[candidate, round]``: the candidate group meets in that round."""
    candidates: list[tuple[int, ...]]
    coverage: cp_model.LinearExpr
    new: cp_model.LinearExpr | None
    score: cp_model.LinearExpr
    fresh: dict[int, cp_model.IntVar]
    """Per eligible pair that had not met: true only when it meets in some round."""
    pair_in: dict[int, list[int]]
    """Per eligible pair: the candidate groups that hold it."""


def _exact_model(gp: GroupProblem, dense: Dense, candidates: list[tuple[int, ...]]) -> _Exact:
    """The model of the module docstring over every allowed group (set packing per round)."""
    n = gp.n
    rounds = range(gp.rounds)
    model = cp_model.CpModel()
    y = {(c, r): model.new_bool_var(f"y_{c}_{r}") for r in rounds for c in range(len(candidates))}
    holding: list[list[int]] = [[] for _ in range(n)]
    pair_in: dict[int, list[int]] = {}
    group_score = []
    for c, members in enumerate(candidates):
        total = 0.0
        for k, i in enumerate(members):
            holding[i].append(c)
            for j in members[k + 1 :]:
                arc = int(dense.arc[i, j])
                pair_in.setdefault(arc, []).append(c)
                total += float(dense.score[i, j])
        group_score.append(round(total * SAT_SCALE))
    for r in rounds:
        # each person is in at most one group per round
        for i in range(n):
            if len(holding[i]) > 1:
                model.add_at_most_one([y[c, r] for c in holding[i]])
    # must pairs share a group in every round
    for a, b in gp.pairs.must:
        arc = int(dense.arc[a, b])
        for r in rounds:
            model.add_exactly_one([y[c, r] for c in pair_in.get(arc, [])])
    # no_repeat_pairs = required: a pair shares a group at most once over the rounds
    if gp.no_repeat == "required" and gp.rounds > 1:
        for groups in pair_in.values():
            model.add_at_most_one([y[c, r] for c in groups for r in rounds])
    # rounds are interchangeable (every rule holds in each alike): order them by the group of
    # the first person (0 when not placed)
    if n and gp.rounds > 1:
        keys = [
            cp_model.LinearExpr.weighted_sum(
                [y[c, r] for c in holding[0]], [c + 1 for c in holding[0]]
            )
            for r in rounds
        ]
        for r in range(gp.rounds - 1):
            model.add(keys[r] <= keys[r + 1])
    weight = int(gp.flagged.sum()) + 1
    worth = [sum(weight + int(gp.flagged[i]) for i in members) for members in candidates]
    every = [y[c, r] for r in rounds for c in range(len(candidates))]
    coverage = cp_model.LinearExpr.weighted_sum(
        every, [worth[c] for _ in rounds for c in range(len(candidates))]
    )
    new = None
    fresh: dict[int, cp_model.IntVar] = {}
    if gp.counts_new:
        for arc, groups in pair_in.items():
            if gp.met_before[arc]:
                continue
            # a new connection: the pair shares a group in at least one round
            fresh[arc] = model.new_bool_var(f"new_{arc}")
            model.add(fresh[arc] <= sum(y[c, r] for c in groups for r in rounds))
        new = cp_model.LinearExpr.sum(list(fresh.values()))
    score = cp_model.LinearExpr.weighted_sum(
        every, [group_score[c] for _ in rounds for c in range(len(candidates))]
    )
    return _Exact(model, y, candidates, coverage, new, score, fresh, pair_in)


def _hint(exact: _Exact, plan: Plan) -> None:
    """Hint the model with the plan: every ``y`` and every new-connection variable (a full
    hint; groups the model does not know are left out)."""
    index = {members: c for c, members in enumerate(exact.candidates)}
    chosen = dict.fromkeys(exact.y, 0)
    for r, groups in enumerate(plan):
        for g in set(groups[groups >= 0].tolist()):
            members = tuple(np.flatnonzero(groups == g).tolist())
            if members in index:
                chosen[index[members], r] = 1
    used = {c for (c, _), on in chosen.items() if on}
    exact.model.clear_hints()
    for key, value in chosen.items():
        exact.model.add_hint(exact.y[key], value)
    for arc, var in exact.fresh.items():
        exact.model.add_hint(var, int(any(c in used for c in exact.pair_in[arc])))


def _decode(exact: _Exact, gp: GroupProblem, solver: cp_model.CpSolver) -> Plan:
    plan = [np.full(gp.n, -1, dtype=np.int64) for _ in range(gp.rounds)]
    for (c, r), var in exact.y.items():
        if solver.boolean_value(var):
            plan[r][list(exact.candidates[c])] = c
    return plan


@dataclass
class _Outcome:
    plan: Plan
    proven: bool
    bound: float
    """CP-SAT's bound on the score at the plan's coverage and new connections (``inf``: none)."""


def _solve_exact(
    gp: GroupProblem,
    dense: Dense,
    candidates: list[tuple[int, ...]],
    plan: Plan,
    options: SolveOptions,
    deadline: float,
) -> _Outcome:
    """The phases on the set-packing model, each hinted with the best plan so far."""
    exact = _exact_model(gp, dense, candidates)
    phases: list[tuple[cp_model.LinearExpr, float]] = [(exact.coverage, 0.3)]
    if exact.new is not None:
        phases.append((exact.new, 0.4))
    phases.append((exact.score, 1.0))
    proven = True
    bound = float("inf")
    for expression, share in phases:
        remaining = deadline - time.perf_counter()
        _hint(exact, plan)
        exact.model.maximize(expression)
        solver = cp_solver(options, max(remaining * share, 0.05))
        status = solver.solve(exact.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # no plan found in time: the heuristic plan stands, unproven
            return _Outcome(plan, False, float("inf"))
        plan = _decode(exact, gp, solver)
        if status != cp_model.OPTIMAL:
            proven = False
        if expression is exact.score:
            bound = solver.best_objective_bound / SAT_SCALE + (
                0.0 if status == cp_model.OPTIMAL else 0.5 * len(exact.y) / SAT_SCALE
            )
        else:
            exact.model.add(expression >= round(solver.objective_value))
    return _Outcome(plan, proven, bound)


def _certified(gp: GroupProblem, dense: Dense, plan: Plan, relaxation: float) -> bool:
    """Whether the plan is optimal by its bounds alone: everyone placed in every round, every
    eligible pair that had not met meets (when new connections count), the score at the
    fractional bound."""
    value = evaluate(gp, dense, plan)
    possible_new = int((~gp.met_before).sum()) if gp.counts_new else 0
    return (
        value.placed == gp.n * gp.rounds
        and value.new == possible_new
        and relative_gap(value.score, max(relaxation, value.score)) <= 1e-6
    )


def _pairs_of(gp: GroupProblem, plan: Plan) -> list[tuple[int, int]]:
    """Every pair that met in a group, round after round (a pair twice if it met twice)."""
    pairs = []
    for groups in plan:
        for g in sorted(set(groups[groups >= 0].tolist())):
            members = np.flatnonzero(groups == g).tolist()
            pairs += [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
    return pairs


def _canonical(plan: Plan) -> list[list[list[int]]]:
    """Per round, the groups as sorted member lists, ordered by their first member."""
    rounds = []
    for groups in plan:
        found: dict[int, list[int]] = {}
        for i, g in enumerate(groups.tolist()):
            if g >= 0:
                found.setdefault(g, []).append(i)
        rounds.append(sorted(found.values()))
    return rounds


def solve_groups(gp: GroupProblem, options: SolveOptions | None = None) -> Solution:
    """Plan the groups of a circle (or the pairs of a peer program over rounds).

    Parameters
    ----------
    gp : GroupProblem
        The compiled program (:func:`matcher.assignment.groups.compile_groups`).
    options : SolveOptions, optional
        Time limit, seed and workers.

    Returns
    -------
    Solution
        ``groups`` per round (member positions), ``pairs`` every pair that met, the score as
        ``objective``, ``bound`` over all eligible pairs and ``gap``; ``optimal`` only when
        CP-SAT proved every phase.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    conflicts = group_conflicts(gp)
    if conflicts:
        return infeasible_solution(conflicts, "checks", started)
    deadline = started + options.time_limit
    dense = Dense.of(gp)
    rng = np.random.default_rng(options.seed)
    candidates = candidate_groups(gp, dense, EXACT_GROUPS // gp.rounds)
    exact = candidates is not None
    share = HEURISTIC_SHARE if exact else 0.9
    if exact and gp.no_repeat == "required" and gp.rounds > 1:
        share = 0.5  # the golfer search places everyone far more often than CP-SAT alone
    heuristic_end = started + options.time_limit * share
    plan = heuristic_plan(gp, dense, rng, heuristic_end)
    plan = improve_plan(gp, dense, plan, lambda p: evaluate(gp, dense, p).key(), rng, heuristic_end)
    relaxation = score_bound(gp)
    notes = list(gp.notes)
    method = "heuristic"
    proven = False
    sat_bound = float("inf")
    if candidates is not None and _certified(gp, dense, plan, relaxation):
        # everyone placed in every round, every possible new pair met, the score at the bound:
        # nothing to search
        candidates, proven, method = None, True, "heuristic"
    if candidates is not None:
        outcome = _solve_exact(gp, dense, candidates, plan, options, deadline)
        if evaluate(gp, dense, outcome.plan).key() >= evaluate(gp, dense, plan).key():
            plan = outcome.plan
        proven, sat_bound, method = outcome.proven, outcome.bound, "cp_sat"
    elif not proven:
        notes.append(
            f"{gp.n:,} people over {gp.rounds} round(s) are planned by local search (the exact "
            "model would be too large); the bound is the fractional b-matching of all eligible pairs"
        )
    value = evaluate(gp, dense, plan)
    broken = [
        (a, b)
        for a, b in gp.pairs.must
        for groups in plan
        if groups[a] < 0 or groups[a] != groups[b]
    ]
    if broken:
        ids = gp.ids()
        a, b = broken[0]
        return infeasible_solution(
            [
                f"pairs.must ({ids[a]}, {ids[b]}) could not be kept in one group with the other "
                "rules within the time limit: drop the must pair or relax a rule"
            ],
            method,
            started,
        )
    bound = value.score if proven else max(min(relaxation, sat_bound), value.score)
    gap = relative_gap(value.score, bound)
    optimal = proven
    if not optimal and time.perf_counter() >= deadline - 0.05:
        notes.append("the time limit ended the search; raise --time-limit to close the gap")
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=_pairs_of(gp, plan),
        objective=value.score,
        bound=bound,
        gap=gap,
        bound_scope="all_eligible_pairs",
        method=method,
        seconds=time.perf_counter() - started,
        coverage_bound=coverage_bound(gp, dense) if not proven else value.placed,
        notes=notes,
        groups=_canonical(plan),
        new_connections=value.new,
    )
