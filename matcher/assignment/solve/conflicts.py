"""Infeasibility: direct checks of the hard constraints and a conflicting subset named by
CP-SAT assumption literals, each with a fix in plain words.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from matcher.assignment.compile import MatchingProblem
from matcher.assignment.solve.common import SolveOptions, team_groups


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


def missing_must_conflicts(problem: MatchingProblem, missing: list[tuple[int, int]]) -> list[str]:
    """Must pairs that are no candidate pair and that no rule explains (those are named by the
    rule that blocks them)."""
    ids = problem.pop.ids
    return [
        f"pairs.must ({ids[problem.seekers[s]]}, {ids[problem.providers[p]]}) is not an eligible "
        "pair of this program: drop the must pair"
        for s, p in missing
        if (s, p) not in problem.must_blockers
    ]


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
    return messages + _min_load_conflicts(problem)


def _min_load_conflicts(problem: MatchingProblem) -> list[str]:
    """Minimum loads that cannot hold: a provider without the room or the eligible seekers for
    theirs, or more pairs needed in all than the seekers can take."""
    if not problem.min_need.any():
        return []
    ids = problem.pop.ids
    messages: list[str] = []
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
    for (p, t), members, room in team_groups(problem, by_provider):
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


def peer_conflicts(problem: MatchingProblem) -> list[str]:
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
