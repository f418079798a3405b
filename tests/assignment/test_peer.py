"""Peer programs: known b-matchings, agreement with networkx, the checker, large groups within
the time limit, and a bound that holds over all pairs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.assignment.checks import check_assignment
from matcher.assignment.programs import ProgramSpec
from matcher.model import Employee, Org
from tests.assignment.support import run, violations
from tests.strategies import AS_OF, histories, org_of, peer_programs, small_orgs


def _peer_org(weights: dict[tuple[int, int], float]) -> tuple[Org, ProgramSpec]:
    """Four peers; pair scores set through shared interests (one interest per unit of weight)."""
    interests: dict[int, list[str]] = {k: [] for k in range(4)}
    for (a, b), w in weights.items():
        for unit in range(int(w)):
            tag = f"i{a}{b}_{unit}"
            interests[a].append(tag)
            interests[b].append(tag)
    people = [
        Employee(id=f"P{k}", roles=("peer",), interests=tuple(interests[k])) for k in range(4)
    ]
    org = org_of(people)
    return org, ProgramSpec.model_validate(
        {
            "name": "peers",
            "kind": "peer",
            "period": "2026Q4",
            "objective": "score",
            "capacity": {"default": 1, "column": "b"},
            "weights": {
                "interests": 0,
                "bridging": 0,
                "overlap_hours": 0,
                "isolation_priority": 0,
                "skills": 0,
            },
        }
    )


def test_known_b_matching_answer() -> None:
    """Known answer: b = [2, 1, 1, 1]: the optimum is {(0,1), (0,2)}; when everyone must get
    one, {(0,1), (2,3)}."""
    org, spec = _peer_org({(0, 1): 3, (0, 2): 3, (2, 3): 1, (1, 3): 0})
    org.employees[0] = org.employees[0].model_copy(update={"attributes": {"b": "2"}})
    for person in org.employees[1:]:
        org.employees[org.index[person.id]] = person.model_copy(update={"attributes": {"b": "1"}})
    # interests Jaccard makes the score: pair terms as the only weight
    spec = spec.model_copy(update={"weights": spec.weights.model_copy(update={"interests": 10.0})})
    result = run(org, spec)
    assert {(a.seeker_id, a.provider_id) for a in result.assignments} == {
        ("P0", "P1"),
        ("P0", "P2"),
    }
    everyone = spec.model_copy(update={"capacity": spec.capacity.model_copy(update={"min": 1})})
    result = run(org, everyone)
    assert {(a.seeker_id, a.provider_id) for a in result.assignments} == {
        ("P0", "P1"),
        ("P2", "P3"),
    }
    assert result.solution.status == "optimal"


@given(st.integers(2, 7), st.integers(0, 10_000))
def test_peer_pairs_agree_with_networkx_max_weight_matching(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tags = ["a", "b", "c", "d", "e"]
    people = [
        Employee(
            id=f"P{k}", roles=("peer",), interests=tuple(t for t in tags if rng.random() < 0.5)
        )
        for k in range(n)
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "peers",
            "kind": "peer",
            "period": "2026Q4",
            "objective": "score",
            "weights": {
                "interests": 5.0,
                "bridging": 0,
                "overlap_hours": 0,
                "isolation_priority": 0,
            },
        }
    )
    result = run(org, spec)
    problem = result.problem
    graph = nx.Graph()
    for a, b, w in zip(
        problem.arc_seeker.tolist(),
        problem.arc_provider.tolist(),
        problem.arc_score.tolist(),
        strict=True,
    ):
        if w > 0:
            graph.add_edge(a, b, weight=w)
    best = sum(graph.edges[e]["weight"] for e in nx.max_weight_matching(graph))
    assert result.solution.objective == pytest.approx(best, abs=1e-2)


@given(st.data())
def test_peer_solutions_pass_the_checker(data: st.DataObject) -> None:
    org = data.draw(small_orgs(min_people=3, max_people=8))
    spec = data.draw(peer_programs(org))
    history = data.draw(histories(org))
    history = [("peer" if kind else None, a, b, period) for kind, a, b, period in history]
    result = run(org, spec, history)
    if result.solution.status == "infeasible":
        return  # e.g. a minimum of one pair each for an odd group that must all pair up
    assert violations(org, spec, result, history) == []
    people = {a.seeker_id for a in result.assignments} | {a.provider_id for a in result.assignments}
    assert len(result.assignments) <= len(people)  # unordered pairs, listed once


def test_checker_catches_peer_violations() -> None:
    org, spec = _peer_org({(0, 1): 1, (2, 3): 1})
    flags: dict[str, set[str]] = {}
    bad = check_assignment(
        spec, org, [("P0", "P1"), ("P1", "P0"), ("P0", "P2")], flags=flags, as_of=AS_OF.date()
    )
    assert {v.rule for v in bad} == {"duplicate", "capacity"}


def _many_peers(n: int, seed: int) -> tuple[Org, ProgramSpec]:
    rng = np.random.default_rng(seed)
    tags = [f"t{k}" for k in range(12)]
    people = [
        Employee(
            id=f"P{k:04d}",
            roles=("peer",),
            team=f"team{k % 40}",
            languages=("en",) if rng.random() < 0.8 else ("de",),
            interests=tuple(t for t in tags if rng.random() < 0.25),
        )
        for k in range(n)
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "coffee",
            "kind": "peer",
            "period": "2026Q4",
            "objective": "coverage_first",
            "rules": {"shared_language": "required", "same_team": "avoided"},
        }
    )
    return org, spec


def test_large_peer_program_returns_its_best_pairing_within_the_limit() -> None:
    """Regression: 1,000 peers with a short time limit got "CP-SAT found no pairing" although
    the empty pairing is feasible. Now a greedy start is the hint and the fallback, and the bound
    is the fractional pairing of all eligible pairs, so it holds over all of them."""
    org, spec = _many_peers(1000, seed=1)
    result = run(org, spec, time_limit=2.0, max_sat_arcs=50_000, candidates_per_seeker=10)
    solution = result.solution
    assert solution.status in ("optimal", "feasible")
    assert len(result.assignments) >= 450  # nearly everyone shares a language with someone
    assert solution.bound_scope == "all_eligible_pairs"
    assert solution.bound >= solution.objective - 1e-9
    assert violations(org, spec, result) == []


@given(st.integers(2, 9), st.integers(0, 10_000), st.sampled_from([0, 3, 10_000]))
def test_peer_bound_holds_over_all_pairs(n: int, seed: int, max_sat_arcs: int) -> None:
    """Whatever the candidates CP-SAT sees, the stated bound is at least the true optimum
    (networkx's maximum-weight matching of all eligible pairs), and the pairing is valid."""
    org, spec = _many_peers(n, seed)
    spec = spec.model_copy(update={"objective": "score"})
    result = run(org, spec, max_sat_arcs=max_sat_arcs, candidates_per_seeker=1)
    problem = result.problem
    graph = nx.Graph()
    for a, b, w in zip(
        problem.arc_seeker.tolist(),
        problem.arc_provider.tolist(),
        problem.arc_score.tolist(),
        strict=True,
    ):
        if w > 0:
            graph.add_edge(a, b, weight=w)
    best = sum(graph.edges[e]["weight"] for e in nx.max_weight_matching(graph))
    assert result.solution.bound >= best - 1e-6
    assert result.solution.objective <= best + 1e-6
    if result.solution.status == "optimal":
        assert result.solution.objective == pytest.approx(best, abs=1e-2)
    assert violations(org, spec, result) == []
