"""The plan search for circles and rounds (large-neighbourhood search) and the placement bound:
every plan the search keeps passes the independent checker and is no worse than its start; the
placement bound is at least what a proven optimum places."""

from __future__ import annotations

import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import HistoryPair, check_groups
from matcher.assignment.compile import compile_program
from matcher.assignment.groups import GroupProblem, compile_groups
from matcher.assignment.population import population
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.repeats import History, history_for
from matcher.assignment.solve import SolveOptions, solve_groups
from matcher.assignment.solve.circle import coverage_bound, evaluate
from matcher.assignment.solve.heuristic import Dense, heuristic_plan
from matcher.assignment.solve.neighbourhood import improve_plan
from matcher.model import Org
from tests.assignment.support import HistoryRows
from tests.strategies import AS_OF, circle_programs, histories, small_orgs


def _compiled(org: Org, spec: ProgramSpec, history: HistoryRows) -> GroupProblem:
    past = history_for(spec, org, history) if history else History.empty(len(org))
    return compile_groups(compile_program(spec, population(org, analyze(org)), past))


def _violations(
    org: Org, spec: ProgramSpec, gp: GroupProblem, plan: list[np.ndarray], history: HistoryRows
) -> list[str]:
    ids = gp.ids()
    rounds = [
        [
            [ids[i] for i in np.flatnonzero(groups == g).tolist()]
            for g in sorted(set(groups[groups >= 0].tolist()))
        ]
        for groups in plan
    ]
    flags = {p.id: set(p.flags) for p in analyze(org).people}
    found = check_groups(
        spec,
        org,
        rounds,
        flags=flags,
        history=[HistoryPair(*h) for h in history],
        as_of=AS_OF.date(),
    )
    return [f"{v.rule}: {v.message}" for v in found]


def _circle_history(history: HistoryRows) -> HistoryRows:
    return [("circle", a, b, p) if k is None else (k, a, b, p) for k, a, b, p in history]


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_search_keeps_valid_plans_no_worse_than_its_start(data: st.DataObject) -> None:
    """Hypothesis: from the fast plan, the large-neighbourhood search returns a plan the
    checker accepts (no pair twice, every pair and group rule) and that is lexicographically
    at least as good."""
    org = data.draw(small_orgs(min_people=6, max_people=12))
    spec = data.draw(circle_programs(org, rounds=data.draw(st.integers(1, 3))))
    history = _circle_history(data.draw(histories(org)))
    gp = _compiled(org, spec, history)
    if gp.pairs.conflicts or gp.pairs.must:
        return
    dense = Dense.of(gp)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    start = heuristic_plan(gp, dense, rng, time.perf_counter() + 5)
    assert _violations(org, spec, gp, start, history) == []
    found = improve_plan(
        gp,
        dense,
        start,
        lambda p: evaluate(gp, dense, p).key(),
        rng,
        time.perf_counter() + 5,
    )
    assert len(found) == gp.rounds
    assert _violations(org, spec, gp, found, history) == []
    assert evaluate(gp, dense, found).key() >= evaluate(gp, dense, start).key()


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_placement_bound_holds_over_rounds(data: st.DataObject) -> None:
    """Hypothesis: the placement bound (with no_repeat_pairs = "required", each person's
    partners over ``size_min - 1``) is at least the placements of the proven optimum."""
    org = data.draw(small_orgs(min_people=4, max_people=8))
    spec = data.draw(circle_programs(org, rounds=data.draw(st.integers(2, 4))))
    history = _circle_history(data.draw(histories(org)))
    gp = _compiled(org, spec, history)
    solution = solve_groups(gp, SolveOptions(time_limit=20))
    if solution.status != "optimal":
        return
    placed = sum(len(group) for groups in solution.groups or [] for group in groups)
    assert coverage_bound(gp, Dense.of(gp)) >= placed
