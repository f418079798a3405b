"""Assign programs: compile each program, solve it, explain it, and summarise it.

:func:`assign_programs` is the library call behind ``matcher assign``; it reads nothing from
disk and writes nothing (the CLI and :mod:`matcher.io` do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.constraints import History, MatchingProblem, compile_program, history_for, population
from matcher.explain import AssignmentRow, UnmatchedRow, explain_assignments, explain_unmatched
from matcher.isolation import Analysis, AnalysisView
from matcher.model import Org
from matcher.programs import Kind, ProgramSpec
from matcher.solver import Solution, SolveOptions, solve

HistoryRow = tuple[str | None, str, str, str]  # kind, seeker_id, provider_id, period


@dataclass
class ProgramResult:
    """Everything one program's run produced."""

    spec: ProgramSpec
    problem: MatchingProblem
    solution: Solution
    assignments: list[AssignmentRow]
    unmatched: list[UnmatchedRow]
    summary: dict[str, Any] = field(default_factory=dict)


def _load_figures(problem: MatchingProblem, solution: Solution) -> dict[str, Any]:
    load = np.zeros(len(problem.providers), dtype=np.int64)
    for _, p in solution.pairs:
        load[p] += 1
    if not len(load):
        return {"providers": 0}
    return {
        "providers": len(load),
        "used": int((load > 0).sum()),
        "max": int(load.max()),
        "mean": round(float(load.mean()), 3),
        "at_capacity": int((load >= problem.capacity).sum()),
        "histogram": {str(k): int(v) for k, v in enumerate(np.bincount(load)) if v},
    }


def summarise(
    problem: MatchingProblem, solution: Solution, options: SolveOptions
) -> dict[str, Any]:
    """The per-program block of ``summary.json``."""
    seekers = len(problem.seekers)
    served = {s for s, _ in solution.pairs}
    if problem.spec.kind is Kind.PEER:
        served |= {p for _, p in solution.pairs}
    flagged = [
        k
        for k, person in enumerate(problem.seekers)
        if problem.pop.flags[person] & {"isolated", "peripheral"}
    ]
    return {
        "kind": problem.spec.kind.value,
        "period": problem.spec.period,
        "status": solution.status,
        "objective": round(solution.objective, 6),
        "bound": round(solution.bound, 6),
        "gap": round(solution.gap, 6),
        "bound_scope": solution.bound_scope,
        "method": solution.method,
        "seekers": seekers,
        "matched": len(served),
        "pairs": len(solution.pairs),
        "coverage": round(len(served) / seekers, 6) if seekers else 1.0,
        "flagged_seekers": len(flagged),
        "flagged_matched": sum(1 for k in flagged if k in served),
        "eligible_pairs": problem.arcs,
        "provider_load": _load_figures(problem, solution),
        "seed": options.seed,
        "time_limit": options.time_limit,
        "solve_seconds": round(solution.seconds, 3),
        "conflicts": solution.conflicts,
        "notes": [*problem.notes, *solution.notes],
    }


def assign_programs(
    org: Org,
    analysis: Analysis | AnalysisView,
    specs: Sequence[ProgramSpec],
    *,
    history: Sequence[HistoryRow] = (),
    prior: Callable[[ProgramSpec], Sequence[tuple[str, str]]] | None = None,
    options: SolveOptions | None = None,
    threads: int = 1,
) -> list[ProgramResult]:
    """Solve each program on ``org``.

    Parameters
    ----------
    org, analysis
        The loaded organisation and its analysis (flags, graph), or the view of a saved one.
    specs
        Programs to solve, in order.
    history
        Committed earlier pairings ``(kind, seeker_id, provider_id, period)``.
    prior
        For ``--incremental``: the pairs already committed in a program's own period.
    options
        Time limit, seed and workers for the solver.
    threads
        Blocks of candidate pairs compiled at once (the result does not depend on it).
    """
    options = options or SolveOptions()
    pop = population(org, analysis)
    results = []
    for spec in specs:
        past = history_for(spec, org, history) if history else History.empty(len(org))
        problem = compile_program(
            spec, pop, past, prior=prior(spec) if prior else (), threads=threads
        )
        solution = solve(problem, options)
        results.append(
            ProgramResult(
                spec=spec,
                problem=problem,
                solution=solution,
                assignments=explain_assignments(problem, solution),
                unmatched=explain_unmatched(problem, solution),
                summary=summarise(problem, solution, options),
            )
        )
    return results
