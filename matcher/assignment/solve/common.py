"""What every solver shares: options, the solution, scales and small helpers."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from ortools.sat.python import cp_model

from matcher.assignment.certificate import FlowPotentials
from matcher.assignment.compile import MatchingProblem

FLOW_SCALE = 1_000_000  # cost units of the flow per score unit (costs must be integers)
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
    """For a flow solution: the node potentials that certify it (see :mod:`matcher.assignment.certificate`)."""
    groups: list[list[list[int]]] | None = None
    """Circles and rounds: per round, the groups as sorted member positions (``pairs`` then
    holds every pair that met in a group, round after round)."""
    new_connections: int = 0
    """Circles and rounds: distinct pairs that met and had not met before."""


def relative_gap(objective: float, bound: float) -> float:
    """``|bound - objective| / |bound|`` (0 when they are equal): how far from optimal at most."""
    if bound == objective:
        return 0.0
    return abs(bound - objective) / max(abs(bound), 1e-9)


def arc_positions(
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


def best_per_seeker(
    problem: MatchingProblem, arcs: np.ndarray, k: int, *, end: np.ndarray | None = None
) -> np.ndarray:
    """Each seeker's ``k`` best-scoring arcs among ``arcs`` (each provider's, with
    ``end=problem.arc_provider``: for peers, the other end of each pair)."""
    end = problem.arc_seeker if end is None else end
    order = arcs[np.lexsort((-problem.arc_score[arcs], end[arcs]))]
    end_sorted = end[order]
    first = np.searchsorted(end_sorted, end_sorted, side="left")
    return order[(np.arange(len(order)) - first) < k]


def chosen_pairs(problem: MatchingProblem, chosen: np.ndarray) -> list[tuple[int, int]]:
    """The sorted ``(seeker, provider)`` positions of the arcs where ``chosen`` is true."""
    arcs = np.flatnonzero(chosen)
    return sorted(
        zip(problem.arc_seeker[arcs].tolist(), problem.arc_provider[arcs].tolist(), strict=True)
    )


def cp_solver(options: SolveOptions, seconds: float) -> cp_model.CpSolver:
    """A CP-SAT solver with the workers and seed of ``options``, limited to ``seconds``."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = options.workers
    solver.parameters.random_seed = options.seed
    solver.parameters.linearization_level = 2
    solver.parameters.max_time_in_seconds = max(seconds, 0.05)
    solver.parameters.max_deterministic_time = max(seconds, 0.05)
    return solver


def team_groups(
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


def add_team_caps(
    problem: MatchingProblem,
    model: cp_model.CpModel,
    x: dict[int, cp_model.IntVar],
    by_provider: dict[int, list[int]],
) -> None:
    """Add each binding per-team cap (:func:`team_groups`) to ``model`` over the arcs ``x``."""
    for _, members, room in team_groups(problem, by_provider):
        model.add(sum(x[k] for k in members) <= room)


def infeasible_solution(conflicts: list[str], method: str, started: float) -> Solution:
    """An infeasible :class:`Solution` naming ``conflicts``, timed from ``started``."""
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
