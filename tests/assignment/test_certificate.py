"""The optimality certificate: it accepts every flow solution the solver returns and rejects
tampered ones (a pair dropped, a worse assignment of the same coverage)."""

from __future__ import annotations

import dataclasses
import functools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.assignment.certificate import certify_flow
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.run import CertificateError, verify
from matcher.model import Employee, Org
from tests.assignment.support import HistoryRows, instances, run
from tests.strategies import org_of


@given(instances(), st.sampled_from([None, 1, 2]), st.sampled_from([0, 5_000_000]))
def test_every_flow_solution_is_certified(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int | None, bfs_arcs: int
) -> None:
    """With or without the breadth-first search (above ``bfs_arcs`` pairs duality alone proves
    maximum coverage), every solution is certified and a dropped pair never is."""
    org, spec, history = case
    options = {} if k is None else {"prune_above": 0, "candidates_per_seeker": k}
    result = run(org, spec, history, **options)
    solution = result.solution
    if solution.potentials is None:
        return
    certify = functools.partial(certify_flow, result.problem, bfs_arcs=bfs_arcs)
    assert certify(solution.pairs, solution.potentials) == []
    free = [pair for pair in solution.pairs if pair not in set(result.problem.must)]
    if free:
        # drop a pair: its seeker and provider both have room again, so coverage is not
        # maximum (or, with minimum loads, a load falls short): either way it is rejected
        fewer = [pair for pair in solution.pairs if pair != free[0]]
        assert certify(fewer, solution.potentials) != []


def _two_by_two() -> tuple[Org, ProgramSpec]:
    people = [
        Employee(id="S0", roles=("mentee",), interests=("chess",)),
        Employee(id="S1", roles=("mentee",), interests=("yoga",)),
        Employee(id="A", roles=("mentor",), interests=("chess",)),
        Employee(id="B", roles=("mentor",), interests=("yoga",)),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "weights": {"interests": 1.0, "bridging": 0.0, "isolation_priority": 0.0},
        }
    )
    return org, spec


def test_a_worse_assignment_of_the_same_coverage_is_not_certified() -> None:
    org, spec = _two_by_two()
    result = run(org, spec)
    assert {(a.seeker_id, a.provider_id) for a in result.assignments} == {("S0", "A"), ("S1", "B")}
    problem, solution = result.problem, result.solution
    assert solution.potentials is not None
    crossed = sorted((s, 1 - p) for s, p in solution.pairs)
    failures = certify_flow(problem, crossed, solution.potentials)
    assert any("not proven optimal" in f for f in failures)


def test_a_failed_check_is_a_bug_report_not_a_label() -> None:
    """verify() raises instead of letting a wrong answer be written as optimal."""
    org, spec = _two_by_two()
    result = run(org, spec)
    crossed = sorted((s, 1 - p) for s, p in result.solution.pairs)
    wrong = dataclasses.replace(result.solution, pairs=crossed)
    with pytest.raises(CertificateError, match="this is a bug in matcher"):
        verify(result.problem, wrong, org)


@given(instances(), st.randoms(use_true_random=False))
def test_the_certificate_does_not_depend_on_the_order_of_the_arcs(
    case: tuple[Org, ProgramSpec, HistoryRows], rng: random.Random
) -> None:
    org, spec, history = case
    result = run(org, spec, history)
    solution, problem = result.solution, result.problem
    if solution.potentials is None:
        return
    order = list(range(problem.arcs))
    rng.shuffle(order)
    shuffled = dataclasses.replace(
        problem,
        arc_seeker=problem.arc_seeker[order],
        arc_provider=problem.arc_provider[order],
        arc_score=problem.arc_score[order],
    )
    assert certify_flow(shuffled, solution.pairs, solution.potentials) == []
