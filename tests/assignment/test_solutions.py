"""Every solution passes the independent checker, matches brute force on small instances, is
reproducible and monotone; the solvers, pricing and blocked compiling agree."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import HistoryPair, check_assignment
from matcher.assignment.checks import capacities as checked_capacities
from matcher.assignment.compile import compile_program
from matcher.assignment.population import manager_chains, population
from matcher.assignment.programs import Kind, ProgramSpec
from matcher.assignment.repeats import history_for
from matcher.assignment.scoring import pair_terms, weighted_score
from matcher.errors import ConfigError
from matcher.model import Employee, Org
from tests.assignment.support import HistoryRows, brute_force, instances, run, violations
from tests.strategies import AS_OF, org_of, small_orgs


@given(instances())
def test_solutions_pass_the_checker_and_match_brute_force(
    case: tuple[Org, ProgramSpec, HistoryRows],
) -> None:
    org, spec, history = case
    result = run(org, spec, history)
    best = brute_force(org, spec, history)
    if result.solution.status == "infeasible":
        assert best is None or (best == (0, 0.0) and _needs_pairs(spec))
        assert result.solution.conflicts
        return
    assert violations(org, spec, result, history) == []
    if best is not None:
        found = (len(result.assignments), sum(a.score for a in result.assignments))
        assert found[0] == best[0]
        assert found[1] == pytest.approx(best[1], abs=1e-4)
        assert result.solution.objective == pytest.approx(best[1], abs=1e-4)


def _needs_pairs(spec: ProgramSpec) -> bool:
    return spec.capacity.min > 0 or bool(spec.pairs.must)


@given(instances())
def test_cp_sat_agrees_with_the_flow(case: tuple[Org, ProgramSpec, HistoryRows]) -> None:
    org, spec, history = case
    flow = run(org, spec, history)
    sat = run(org, spec, history, method="cp_sat", time_limit=10)
    assert flow.solution.status == sat.solution.status or "infeasible" not in (
        flow.solution.status,
        sat.solution.status,
    )
    if flow.solution.status != "infeasible":
        assert len(sat.assignments) == len(flow.assignments)
        assert sat.solution.objective == pytest.approx(flow.solution.objective, abs=1e-2)
        assert violations(org, spec, sat, history) == []


@given(instances())
def test_same_seed_same_output(case: tuple[Org, ProgramSpec, HistoryRows]) -> None:
    org, spec, history = case
    first, second = run(org, spec, history, seed=3), run(org, spec, history, seed=3)
    assert first.assignments == second.assignments and first.unmatched == second.unmatched


@given(instances(side_constraints=False), st.integers(0, 5))
def test_more_capacity_never_lowers_coverage_or_objective(
    case: tuple[Org, ProgramSpec, HistoryRows], extra: int
) -> None:
    org, spec, history = case
    more = spec.model_copy(
        update={
            "capacity": spec.capacity.model_copy(
                update={"default": spec.capacity.default + 1 + extra}
            )
        }
    )
    before, after = run(org, spec, history), run(org, more, history)
    key_before = (len(before.assignments), round(before.solution.objective, 6))
    key_after = (len(after.assignments), round(after.solution.objective, 6))
    assert key_after >= key_before


@given(instances())
def test_unmatched_seekers_have_true_reasons(case: tuple[Org, ProgramSpec, HistoryRows]) -> None:
    org, spec, history = case
    result = run(org, spec, history)
    if result.solution.status == "infeasible":
        assert all(row.reason.startswith("program infeasible") for row in result.unmatched)
        return
    problem = result.problem
    served = {a.seeker_id for a in result.assignments}
    unmatched = {row.seeker_id: row.reason for row in result.unmatched}
    assert set(unmatched) == set(problem.seeker_ids) - served
    flags = {p.id: set(p.flags) for p in analyze(org).people}
    load = {p: 0 for p in problem.provider_ids}
    for a in result.assignments:
        load[a.provider_id] += 1
    capacity = dict(zip(problem.provider_ids, problem.capacity.tolist(), strict=True))
    hist = [HistoryPair(*h) for h in history]
    for seeker, reason in unmatched.items():
        # the providers that the pair rules allow for this seeker, per the independent checker
        allowed = [
            p
            for p in problem.provider_ids
            if p != seeker
            and not [
                v
                for v in check_assignment(
                    spec, org, [(seeker, p)], flags=flags, history=hist, as_of=AS_OF.date()
                )
                if v.rule not in ("min_load", "must", "capacity")
            ]
        ]
        if reason.startswith("no eligible provider") or reason.startswith("no providers"):
            assert allowed == []
        elif reason.startswith("capacity exhausted"):
            assert allowed and all(load[p] >= capacity[p] for p in allowed)
        else:
            assert "max_same_team_per_provider" in reason or "time limit" in reason


def test_brute_force_sanity() -> None:
    """The brute force itself finds the obvious optimum."""
    people = [
        Employee(id="M0", roles=("mentor",), interests=("a",)),
        Employee(id="M1", roles=("mentor",)),
    ]
    people += [Employee(id="S0", roles=("mentee",), interests=("a",))]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {"name": "m", "kind": "mentor", "period": "2026Q4", "weights": {"bridging": 0}}
    )
    assert brute_force(org, spec, ()) is not None
    result = run(org, spec)
    assert [(a.seeker_id, a.provider_id) for a in result.assignments] == [("S0", "M0")]


@given(instances(), st.integers(1, 3))
def test_pruned_flow_with_pricing_is_exact(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int
) -> None:
    """Column generation from each seeker's k best arcs reaches the full-flow optimum
    (per-team caps, must pairs and minimum loads included)."""
    org, spec, history = case
    full = run(org, spec, history)
    if full.solution.status == "infeasible":
        return
    pruned = run(org, spec, history, prune_above=0, candidates_per_seeker=k)
    assert len(pruned.assignments) == len(full.assignments)
    assert pruned.solution.objective == pytest.approx(full.solution.objective, abs=1e-6)
    assert violations(org, spec, pruned, history) == []


@given(instances(), st.integers(1, 3))
def test_large_programs_with_minimum_loads_are_priced_over_all_pairs(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int
) -> None:
    """Above PRUNE_ABOVE eligible pairs, both minimum-load flows start from each seeker's k best
    arcs and price the rest in: the same coverage and score as on all arcs, certified over all
    eligible pairs; every hard rule still holds."""
    org, spec, history = case
    if spec.capacity.min == 0:
        spec = spec.model_copy(update={"capacity": spec.capacity.model_copy(update={"min": 1})})
    full = run(org, spec, history)
    pruned = run(org, spec, history, prune_above=0, candidates_per_seeker=k)
    assert pruned.solution.status == full.solution.status
    if pruned.solution.status == "infeasible" or pruned.problem.arcs == 0:
        return
    assert violations(org, spec, pruned, history) == []
    assert len(pruned.assignments) == len(full.assignments)
    if pruned.solution.method == "min_cost_flow":
        assert pruned.solution.bound_scope == "all_eligible_pairs"
        assert pruned.solution.objective == pytest.approx(full.solution.objective, abs=1e-6)


@given(instances(), st.integers(1, 3))
def test_compiling_in_blocks_and_threads_gives_the_same_candidates(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int
) -> None:
    """Blocks of one seeker on two threads give the candidates of one block; every arc's score
    is the per-pair score that explanations use; ``top_arcs`` are each seeker's k best."""
    org, spec, history = case
    pop = population(org, analyze(org))
    past = history_for(spec, org, history)
    whole = compile_program(spec, pop, past)
    blocks = compile_program(spec, pop, past, threads=2, block_cells=1, top_per_seeker=k)
    for name in ("arc_seeker", "arc_provider", "arc_score"):
        assert np.array_equal(getattr(whole, name), getattr(blocks, name)), name
    assert {n: v.tolist() for n, v in whole.removed_by.items()} == {
        n: v.tolist() for n, v in blocks.removed_by.items()
    }
    if spec.kind is Kind.PEER or not whole.arcs:
        return
    si = whole.seekers[whole.arc_seeker]
    pi = whole.providers[whole.arc_provider]
    per_pair = weighted_score(spec, pair_terms(spec, pop, past, si, pi))
    assert np.array_equal(per_pair, whole.arc_score)
    top = np.zeros(whole.arcs, bool)
    top[blocks.top_arcs] = True
    for s in np.unique(whole.arc_seeker):
        mine = whole.arc_seeker == s
        assert top[mine].sum() == min(k, mine.sum())
        if (~top & mine).any():
            assert whole.arc_score[top & mine].min() >= whole.arc_score[~top & mine].max()


@given(small_orgs(max_people=8), st.sets(st.integers(0, 7)))
def test_manager_chains_climb_through_people_who_left(org: Org, gone: set[int]) -> None:
    """Each row of ``manager_chains`` is the person's manager chain (nearest first), followed
    through people no longer in the org, who are left out of it."""
    kept = Org([e for k, e in enumerate(org.employees) if k not in gone])
    kept.manager_of = {e.id: e.manager_id for e in org.employees}
    table = manager_chains(kept)
    for row, employee in enumerate(kept.employees):
        chain, manager = [], kept.manager_of.get(employee.id)
        while manager is not None:
            if manager in kept.index:
                chain.append(kept.index[manager])
            manager = kept.manager_of.get(manager)
        assert [i for i in table[row].tolist() if i >= 0] == chain
        assert table[row, len(chain) :].tolist() == [-1] * (table.shape[1] - len(chain))


def _penalty_only_org() -> tuple[Org, ProgramSpec]:
    """Two mentees whose best mentor (score 0) is the same; the other mentor is in their office,
    which the program avoids (score −1): full coverage needs one pair of negative score."""
    people = [
        Employee(id="S0", roles=("mentee",), attributes={"office": "hq"}),
        Employee(id="S1", roles=("mentee",), attributes={"office": "hq"}),
        Employee(id="A", roles=("mentor",), attributes={"office": "hq"}),
        Employee(id="B", roles=("mentor",), attributes={"office": "home"}),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 1},
            "rules": {"same_office": "avoided"},
            "weights": {
                "preferences": 1.0,
                **{
                    name: 0.0
                    for name in (
                        "interests",
                        "skills",
                        "overlap_hours",
                        "bridging",
                        "existing_tie",
                        "repeat",
                        "isolation_priority",
                    )
                },
            },
        }
    )
    return org, spec


def test_pricing_keeps_coverage_when_the_needed_pairs_score_below_zero() -> None:
    """Regression: the coverage reward of the pruned flow was sized from the pruned arcs only
    (all scoring 0), so the left-out pair of score −1 that serves the second mentee priced
    non-negative and the run said "optimal" with one mentee of two matched."""
    org, spec = _penalty_only_org()
    full = run(org, spec)
    pruned = run(org, spec, prune_above=0, candidates_per_seeker=1)
    assert len(full.assignments) == 2
    assert len(pruned.assignments) == 2
    assert pruned.solution.status == "optimal"
    assert pruned.solution.objective == pytest.approx(full.solution.objective)
    assert pruned.unmatched == []


@pytest.mark.parametrize("cell", ["inf", "1e30", "2.5", "1e9", "３", "-1", "nan", "99999999999"])
def test_a_capacity_cell_that_is_not_a_whole_number_is_a_named_error(cell: str) -> None:
    """Regression: ``inf``/``1e30`` raised OverflowError (a traceback); ``2.5``, ``1e9`` and
    full-width digits were read one way by the solver and another by the checker."""
    org, spec = _penalty_only_org()
    org.employees[org.index["A"]] = org.employees[org.index["A"]].model_copy(
        update={"attributes": {"office": "hq", "cap": cell}}
    )
    spec = spec.model_copy(update={"capacity": spec.capacity.model_copy(update={"column": "cap"})})
    with pytest.raises(ConfigError, match="capacity column 'cap' of A"):
        run(org, spec)
    if cell != "99999999999":  # a whole number, only too large for a program
        with pytest.raises(ValueError, match="capacity of A"):
            check_assignment(spec, org, [], flags={}, as_of=AS_OF.date())


@pytest.mark.parametrize(("cell", "value"), [("3", 3), (" 2.0 ", 2), ("+1", 1), ("", 1)])
def test_capacity_cells_read_the_same_in_solver_and_checker(cell: str, value: int) -> None:
    org, spec = _penalty_only_org()
    org.employees[org.index["A"]] = org.employees[org.index["A"]].model_copy(
        update={"attributes": {"office": "hq", "cap": cell}}
    )
    spec = spec.model_copy(update={"capacity": spec.capacity.model_copy(update={"column": "cap"})})
    problem = run(org, spec).problem
    solver_value = int(problem.capacity[list(problem.provider_ids).index("A")])
    assert solver_value == value == checked_capacities(spec, org, {"A"})["A"]


def test_small_weights_are_optimised_exactly_by_cp_sat() -> None:
    """CP-SAT optimised scores rounded to 1/1000 and said optimal below the true optimum when
    weights were small; it now works at the flow's resolution (10^-6)."""
    interests = [("b", "h", "e"), ("d", "g"), ("h", "a"), ("f",), ("b", "c", "e", "g"), ("f",)]
    org = org_of(
        [Employee(id=f"P{k}", roles=("peer",), interests=i) for k, i in enumerate(interests)]
    )
    zero = ("skills", "overlap_hours", "bridging", "existing_tie", "repeat", "isolation_priority")
    spec = ProgramSpec.model_validate(
        {
            "name": "p",
            "kind": "peer",
            "period": "2026Q4",
            "capacity": {"default": 1},
            "weights": {**dict.fromkeys(zero, 0.0), "preferences": 0.0, "interests": 0.002},
        }
    )
    result = run(org, spec)
    assert {frozenset((a.seeker_id, a.provider_id)) for a in result.assignments} == {
        frozenset(("P0", "P2")),
        frozenset(("P1", "P4")),
        frozenset(("P3", "P5")),
    }
    assert result.solution.bound >= result.solution.objective
