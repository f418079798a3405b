"""CP-SAT on the candidate pairs when minimum loads and per-team caps cannot all be met by a flow."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model

from matcher.assignment.compile import MatchingProblem
from matcher.assignment.solve.common import (
    SAT_SCALE,
    Solution,
    SolveOptions,
    add_team_caps,
    best_per_seeker,
    chosen_pairs,
    cp_solver,
    infeasible_solution,
    relative_gap,
)
from matcher.assignment.solve.conflicts import explain_infeasible
from matcher.errors import SolveTimeout


def _candidates(
    problem: MatchingProblem, keep: np.ndarray, options: SolveOptions
) -> tuple[np.ndarray, bool]:
    """Arcs CP-SAT sees: all of them when few, else each seeker's best plus ``keep``."""
    if problem.arcs <= options.max_sat_arcs:
        return np.arange(problem.arcs), False
    best = best_per_seeker(problem, np.arange(problem.arcs), options.candidates_per_seeker)
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
    add_team_caps(problem, model, x, by_provider)
    # must pairs are taken
    for k in fixed:
        if k in x:
            model.add(x[k] == 1)
    return _Model(model, x)


def solve_sat(
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
    solved = _solve_components(problem, options, arcs, set(fixed), flow_chosen, started)
    if isinstance(solved, Solution):
        return solved
    chosen, sat_bound, coverage_bound, proven = solved
    notes: list[str] = []
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
    gap = relative_gap(objective, bound)
    optimal = (proven and not pruned) or gap <= 1e-9
    if coverage < flow_coverage:
        notes.append(
            f"the side constraints lower coverage from {flow_coverage} to at most {coverage_bound} seeker slots"
        )
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=chosen_pairs(problem, chosen),
        objective=objective,
        bound=bound,
        gap=gap,
        bound_scope=scope,
        method="cp_sat",
        seconds=time.perf_counter() - started,
        coverage_bound=coverage_bound,
        notes=notes,
    )


def _solve_components(
    problem: MatchingProblem,
    options: SolveOptions,
    arcs: np.ndarray,
    fixed_set: set[int],
    flow_chosen: np.ndarray,
    started: float,
) -> tuple[np.ndarray, float, int, bool] | Solution:
    """Each connected component of the candidate ``arcs`` by CP-SAT, smallest first, with a
    share of the time left proportional to its size.

    Returns the chosen arcs, the sum of the components' score and coverage bounds and whether
    every component was proven optimal; or, when one is infeasible, the conflicts it names.
    """
    groups = _components(problem, arcs)
    chosen = np.zeros(problem.arcs, dtype=bool)
    proven = True
    sat_bound = 0.0
    coverage_bound = 0
    budget = max(options.time_limit - (time.perf_counter() - started), 1.0)
    total = max(len(arcs), 1)
    for group in sorted(groups, key=len):
        share = budget * len(group) / total
        result = _solve_group(problem, group, fixed_set, flow_chosen, options, share)
        if result is None:
            return infeasible_solution(
                explain_infeasible(problem, group, fixed_set, options),
                "cp_sat_assumptions",
                started,
            )
        group_chosen, group_bound, group_cover_bound, group_proven = result
        chosen |= group_chosen
        sat_bound += group_bound
        coverage_bound += group_cover_bound
        proven &= group_proven
    return chosen, sat_bound, coverage_bound, proven


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
    solver = cp_solver(options, seconds * 0.4)
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
    solver = cp_solver(options, seconds * 0.6)
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
