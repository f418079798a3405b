"""Large-neighbourhood search for circles and rounds: dissolve a few related groups of one
round and rebuild them, keeping the plan whenever it is no worse, until the time is up or the
search stalls.

One step picks a round and a person, dissolves that person's group together with the groups of
their best partners (sometimes the whole round), and rebuilds the freed people into groups
(:func:`~matcher.assignment.solve.heuristic.greedy_round` around the groups that stay, seeds in
a shuffled order), then runs the local search on them. In that round a pair may meet only if it
did not meet in another round (``no_repeat_pairs = "required"``), so every plan the search keeps
is as valid as the one it starts from. A rebuilt plan replaces the current one when it is no
worse lexicographically (placements, flagged placements, new connections, score): equal plans
are accepted, so the search drifts across plateaus.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from matcher.assignment.groups import GroupProblem
from matcher.assignment.solve.heuristic import (
    MUST_VALUE,
    Dense,
    greedy_round,
    local_search,
    new_weight,
)

Plan = list[np.ndarray]
Key = tuple[int, int, int, float]

PATIENCE = 300
"""Steps without a strict improvement after which the search stops before its deadline."""
WHOLE_ROUND = 0.1
"""Share of the steps that rebuild a whole round (of at most ``WHOLE_ROUND_PEOPLE``)."""
WHOLE_ROUND_PEOPLE = 400
"""Above this many people a step never rebuilds a whole round (seconds per step)."""


def _met_elsewhere(gp: GroupProblem, dense: Dense, plan: Plan, skip: int) -> np.ndarray:
    """Pairs that met before the plan or in a round other than ``skip``."""
    met = dense.met_before.copy()
    for r, groups in enumerate(plan):
        if r == skip:
            continue
        on = groups >= 0
        same = (groups[:, None] == groups[None, :]) & on[:, None] & on[None, :]
        met |= same
    np.fill_diagonal(met, False)
    return met


def _broken(gp: GroupProblem, plan: Plan) -> int:
    """Must pairs not together in a round, over the rounds (the search never adds one)."""
    return sum(
        1 for a, b in gp.pairs.must for groups in plan if groups[a] < 0 or groups[a] != groups[b]
    )


def _neighbourhood(
    groups: np.ndarray, value: np.ndarray, allowed: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Labels of the groups to dissolve: a random placed person's group and the groups of
    their most valuable allowed partners (two to six groups), or (in small rounds, now and
    then) every group."""
    labels = np.unique(groups[groups >= 0])
    if not len(labels) or (len(groups) <= WHOLE_ROUND_PEOPLE and rng.random() < WHOLE_ROUND):
        return labels
    placed = np.flatnonzero(groups >= 0)
    person = int(rng.choice(placed))
    wanted = int(rng.integers(2, 7))
    chosen = [int(groups[person])]
    partners = np.flatnonzero(allowed[person] & (groups >= 0))
    for other in partners[np.argsort(-value[person, partners], kind="stable")].tolist():
        if len(chosen) >= wanted:
            break
        if int(groups[other]) not in chosen:
            chosen.append(int(groups[other]))
    while len(chosen) < min(wanted, len(labels)):
        extra = int(rng.choice(labels))
        if extra not in chosen:
            chosen.append(extra)
    return np.array(chosen, dtype=np.int64)


def improve_plan(
    gp: GroupProblem,
    dense: Dense,
    plan: Plan,
    key: Callable[[Plan], Key],
    rng: np.random.Generator,
    deadline: float,
) -> Plan:
    """The best plan found from ``plan`` by ``deadline`` (never worse than ``plan``).

    Parameters
    ----------
    gp, dense : GroupProblem, Dense
        The problem and its matrices.
    plan : list of numpy.ndarray
        Per round, each person's group (``-1``: not placed); a valid plan.
    key : callable
        A plan's value, compared lexicographically (larger is better).
    rng : numpy.random.Generator
        The search's randomness.
    deadline : float
        ``time.perf_counter()`` at which to stop.

    Returns
    -------
    list of numpy.ndarray
        A plan whose key is at least ``key(plan)``.
    """
    if not plan or gp.n < gp.size_min:
        return plan
    plan = [groups.copy() for groups in plan]
    best = (-_broken(gp, plan), key(plan))
    weight = new_weight(gp, dense) if gp.counts_new else 0.0
    idle = 0
    fixed: tuple[np.ndarray, np.ndarray] | None = None
    while time.perf_counter() < deadline and idle < PATIENCE:
        idle += 1
        r = int(rng.integers(len(plan)))
        if fixed is None:
            # who may meet in round r, and what meeting is worth, given the other rounds
            allowed = dense.eligible.copy()
            met = _met_elsewhere(gp, dense, plan, r)
            if gp.no_repeat == "required":
                allowed &= ~met
            value = dense.score + weight * (dense.eligible & ~met) + MUST_VALUE * dense.must
            if len(plan) == 1:
                fixed = allowed, value  # no other round: the same every step
        else:
            allowed, value = fixed
        groups = plan[r]
        dissolved = np.isin(groups, _neighbourhood(groups, value, allowed, rng))
        kept = np.where(dissolved, -1, groups)
        state = greedy_round(gp, value, allowed, rng, kept=kept, shuffle=float(rng.random()))
        movers = np.flatnonzero(dissolved | (groups < 0))
        state = local_search(state, rng, deadline, people=movers)
        trial = [*plan[:r], state.group.copy(), *plan[r + 1 :]]
        found = (-_broken(gp, trial), key(trial))
        if found >= best:
            if found > best:
                idle = 0
            plan, best = trial, found
    return plan
