"""Known answers: repeat windows, must pairs, minimum loads and side constraints, with
infeasibility named and a fix suggested."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from matcher.analysis.isolation import analyze
from matcher.assignment.compile import compile_program
from matcher.assignment.population import population
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.repeats import History
from matcher.assignment.solve import solve
from matcher.errors import ConfigError
from matcher.model import Employee
from tests.assignment.support import run, violations
from tests.strategies import org_of


def test_repeat_window_is_respected() -> None:
    people = [Employee(id=f"M{k}", roles=("mentor",), level=3) for k in range(2)]
    people += [Employee(id=f"S{k}", roles=("mentee",), level=1) for k in range(2)]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {"name": "m", "kind": "mentor", "period": "2026Q4", "rules": {"no_repeat_periods": 2}}
    )
    history = [
        ("mentor", "S0", "M0", "2026Q3"),
        ("mentor", "S1", "M1", "2026Q2"),
        ("mentor", "S1", "M0", "2025Q1"),
    ]
    result = run(org, spec, history)
    pairs = {(a.seeker_id, a.provider_id) for a in result.assignments}
    assert pairs == {("S0", "M1"), ("S1", "M0")}  # the old 2025Q1 pairing is outside the window


def test_twenty_people_who_all_met_except_one_pair() -> None:
    """Known answer: 20 people who have all met except one pair: only that pair is proposed."""
    people = [
        Employee(id=f"P{k:02d}", roles=("mentee",) if k < 10 else ("mentor",)) for k in range(20)
    ]
    org = org_of(people)
    ids = [p.id for p in people]
    history = [
        ("mentor", a, b, "2026Q3")
        for a, b in itertools.combinations(ids, 2)
        if {a, b} != {"P03", "P17"}
    ]
    spec = ProgramSpec.model_validate(
        {"name": "m", "kind": "mentor", "period": "2026Q4", "rules": {"no_repeat_periods": 4}}
    )
    result = run(org, spec, history)
    assert [(a.seeker_id, a.provider_id) for a in result.assignments] == [("P03", "P17")]
    assert len(result.unmatched) == 9
    assert all(
        r.reason == "no eligible provider: of 10 providers, no_repeat_periods removes 10"
        for r in result.unmatched
    )


def test_impossible_minimum_load_is_infeasible_with_the_rule_named() -> None:
    people = [Employee(id=f"M{k}", roles=("mentor",)) for k in range(3)]
    people += [Employee(id=f"S{k}", roles=("mentee",)) for k in range(4)]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {"name": "m", "kind": "mentor", "period": "2026Q4", "capacity": {"default": 3, "min": 2}}
    )
    result = run(org, spec)
    assert result.solution.status == "infeasible"
    assert any("capacity.min" in c for c in result.solution.conflicts)
    assert all(r.reason.startswith("program infeasible: ") for r in result.unmatched)


def test_conflicting_must_pairs_are_named_with_a_fix() -> None:
    people = [Employee(id="M0", roles=("mentor",))] + [
        Employee(id=f"S{k}", roles=("mentee",)) for k in range(3)
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 2},
            "pairs": {"must": [["S0", "M0"], ["S1", "M0"], ["S2", "M0"]]},
        }
    )
    result = run(org, spec)
    assert result.solution.status == "infeasible"
    assert any("raise capacity of M0 to 3" in c for c in result.solution.conflicts)


def test_must_pair_that_breaks_a_rule_names_it() -> None:
    people = [
        Employee(id="M0", roles=("mentor",), team="a"),
        Employee(id="S0", roles=("mentee",), team="a"),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "rules": {"same_team": "forbidden"},
            "pairs": {"must": [["S0", "M0"]]},
        }
    )
    result = run(org, spec)
    assert result.solution.status == "infeasible"
    assert "same_team" in result.solution.conflicts[0]


def test_side_constraints_are_solved_exactly_by_the_flow() -> None:
    """Minimum loads and per-team caps compiled into the flow give the CP-SAT optimum."""
    rng = np.random.default_rng(5)
    people = [
        Employee(id=f"M{k}", roles=("mentor",), level=4, interests=("a", "b")[: k % 2 + 1])
        for k in range(8)
    ]
    people += [
        Employee(
            id=f"S{k}",
            roles=("mentee",),
            level=1,
            team=f"t{k % 4}",
            interests=("a",) if rng.random() < 0.5 else ("b",),
        )
        for k in range(30)
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 4, "min": 2},
            "rules": {"max_same_team_per_provider": 1},
        }
    )
    flow = run(org, spec)
    sat = run(org, spec, method="cp_sat", time_limit=20)
    assert flow.solution.method == "min_cost_flow" and flow.solution.status == "optimal"
    assert sat.solution.status == "optimal"
    assert flow.solution.objective == pytest.approx(sat.solution.objective, abs=1e-2)
    assert violations(org, spec, flow) == []


def test_incremental_keeps_committed_pairs_and_serves_the_rest() -> None:
    people = [Employee(id=f"M{k}", roles=("mentor",)) for k in range(2)]
    people += [Employee(id=f"S{k}", roles=("mentee",), team="t") for k in range(3)]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 2},
            "rules": {"max_same_team_per_provider": 1},
        }
    )
    analysis = analyze(org)
    pop = population(org, analysis)
    problem = compile_program(spec, pop, History.empty(len(org)), prior=[("S0", "M0")])
    solution = solve(problem)
    pairs = {
        (problem.pop.ids[problem.seekers[s]], problem.pop.ids[problem.providers[p]])
        for s, p in solution.pairs
    }
    assert "S0" not in problem.seeker_ids
    # M0 already has a seeker of team t: the team cap leaves only M1 for one of S1, S2
    assert len(pairs) == 1 and next(iter(pairs))[1] == "M1"


def test_missing_column_for_a_rule_is_an_error() -> None:
    org = org_of([Employee(id="M0", roles=("mentor",)), Employee(id="S0", roles=("mentee",))])
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "rules": {"min_level_gap": 1, "same_office": "required"},
        }
    )
    with pytest.raises(ConfigError, match="needs the employee column"):
        run(org, spec)
