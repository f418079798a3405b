"""Solve a compiled matching problem with OR-Tools (this package holds the only OR-Tools importers).

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
:mod:`matcher.assignment.certificate` checks them, with code of its own, before anything is written.
"""

from __future__ import annotations

import time

import numpy as np

from matcher.assignment.compile import MatchingProblem
from matcher.assignment.programs import Kind
from matcher.assignment.solve.circle import solve_groups
from matcher.assignment.solve.common import (
    FLOW_SCALE,
    SAT_SCALE,
    Solution,
    SolveOptions,
    arc_positions,
    chosen_pairs,
    infeasible_solution,
)
from matcher.assignment.solve.conflicts import (
    explain_infeasible,
    missing_must_conflicts,
    quick_conflicts,
)
from matcher.assignment.solve.flow import solve_flow
from matcher.assignment.solve.peer import solve_peer
from matcher.assignment.solve.sat import solve_sat
from matcher.errors import SolveTimeout

__all__ = [
    "FLOW_SCALE",
    "SAT_SCALE",
    "Solution",
    "SolveOptions",
    "SolveTimeout",
    "explain_infeasible",
    "quick_conflicts",
    "solve",
    "solve_flow",
    "solve_groups",
]


def solve(problem: MatchingProblem, options: SolveOptions | None = None) -> Solution:
    """Choose the pairs of a compiled program: most seekers served first, then the best score.

    The flow solves it exactly by min-cost flow; CP-SAT takes over when the flow cannot meet
    the minimum loads or per-team caps, and solves peer programs from a greedy start.

    Parameters
    ----------
    problem : MatchingProblem
        A compiled program (:func:`matcher.assignment.compile.compile_program`).
    options : SolveOptions, optional
        Time limit, seed, workers and candidate sizes. With ``method == "cp_sat"`` the
        side-constrained problem always goes to CP-SAT (hinted with the flow solution); the
        tests use it to cross-check the two solvers.

    Returns
    -------
    Solution
        The chosen pairs as positions into ``problem``, with status (``optimal``, ``feasible``
        or ``infeasible``, then with the conflicting constraints in words), objective, bound and
        gap. A flow solution carries the node potentials that certify it
        (:func:`matcher.assignment.certificate.certify_flow`).

    Raises
    ------
    SolveTimeout
        When CP-SAT finds no assignment that meets the minimum loads within the time limit.

    Notes
    -----
    First as many seeker slots as possible are served, then the total score is maximised, with
    at most ``per_seeker`` providers per seeker and ``capacity`` seekers per provider, must pairs
    fixed beforehand.

    Examples
    --------
    >>> from matcher.analysis.isolation import analyze
    >>> from matcher.assignment.compile import compile_program
    >>> from matcher.assignment.population import population
    >>> from matcher.assignment.programs import ProgramSpec
    >>> from matcher.assignment.repeats import History
    >>> from matcher.model import Employee, Org
    >>> org = Org([Employee(id="A", roles="mentee"), Employee(id="B", roles="mentee"),
    ...            Employee(id="C", roles="mentor")])
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4",
    ...     "capacity": {"default": 1}})
    >>> problem = compile_program(spec, population(org, analyze(org)), History.empty(3))
    >>> solution = solve(problem)
    >>> solution.status, solution.method, len(solution.pairs), solution.gap
    ('optimal', 'min_cost_flow', 1, 0.0)
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    if problem.spec.kind is Kind.PEER:
        return solve_peer(problem, options, started)
    conflicts = quick_conflicts(problem)
    fixed, missing = arc_positions(problem, problem.must)
    conflicts += missing_must_conflicts(problem, missing)
    if conflicts:
        return infeasible_solution(conflicts, "checks", started)
    flow_chosen, flow_score, potentials = solve_flow(problem, fixed=fixed, options=options)
    loads = np.bincount(problem.arc_provider[flow_chosen], minlength=len(problem.providers))
    loads_met = bool((loads >= problem.min_need).all())
    if loads_met and options.method == "auto":
        return Solution(
            status="optimal",
            pairs=chosen_pairs(problem, flow_chosen),
            objective=flow_score,
            bound=flow_score,
            gap=0.0,
            bound_scope="all_eligible_pairs",
            method="min_cost_flow",
            seconds=time.perf_counter() - started,
            coverage_bound=int(flow_chosen.sum()),
            potentials=potentials,
        )
    return solve_sat(
        problem, options, fixed, flow_chosen, flow_score, started, exact_flow=loads_met
    )
