"""Assignment: every solution passes the independent checker, matches brute force on small
instances, is reproducible, and behaves monotonically; known answers; infeasibility named."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import HistoryPair, check_assignment, select
from matcher.assignment.compile import compile_program
from matcher.assignment.population import population
from matcher.assignment.programs import Kind, ProgramSpec
from matcher.assignment.repeats import History, history_for
from matcher.assignment.run import ProgramResult, assign_programs
from matcher.assignment.scoring import pair_terms, weighted_score
from matcher.assignment.solve import SolveOptions, solve
from matcher.model import Employee, Org
from tests.strategies import AS_OF, histories, org_of, peer_programs, programs, small_orgs

HistoryRows = Sequence[tuple[str | None, str, str, str]]


def run(org: Org, spec: ProgramSpec, history: HistoryRows = (), **options: object) -> ProgramResult:
    return assign_programs(
        org, analyze(org), [spec], history=history, options=SolveOptions(**options)
    )[0]  # type: ignore[arg-type]


def violations(
    org: Org, spec: ProgramSpec, result: ProgramResult, history: HistoryRows = ()
) -> list[str]:
    pairs = [(a.seeker_id, a.provider_id) for a in result.assignments]
    flags = {p.id: set(p.flags) for p in analyze(org).people}
    found = check_assignment(
        spec,
        org,
        pairs,
        flags=flags,
        history=[HistoryPair(*h) for h in history],
        as_of=AS_OF.date(),
    )
    return [f"{v.rule}: {v.message}" for v in found]


def brute_force(org: Org, spec: ProgramSpec, history: HistoryRows) -> tuple[int, float] | None:
    """The best (pairs, score) over every assignment the checker accepts, or None."""
    analysis = analyze(org)
    flags = {p.id: set(p.flags) for p in analysis.people}
    seekers = sorted(select(spec.seekers, spec.kind, "seekers", org, flags, AS_OF.date()))
    providers = sorted(select(spec.providers, spec.kind, "providers", org, flags, AS_OF.date()))
    options = [c for k in range(spec.per_seeker + 1) for c in itertools.combinations(providers, k)]
    if len(options) ** len(seekers) > 20_000:
        return None
    pop = population(org, analysis)
    past = history_for(spec, org, history)
    index = org.index

    def score(pairs: list[tuple[str, str]]) -> float:
        if not pairs:
            return 0.0
        si = np.array([index[s] for s, _ in pairs])
        pi = np.array([index[p] for _, p in pairs])
        return float(weighted_score(spec, pair_terms(spec, pop, past, si, pi)).sum())

    best: tuple[int, float] | None = None
    hist = [HistoryPair(*h) for h in history]
    for choice in itertools.product(options, repeat=len(seekers)):
        pairs = [(s, p) for s, chosen in zip(seekers, choice, strict=True) for p in chosen]
        if check_assignment(spec, org, pairs, flags=flags, history=hist, as_of=AS_OF.date()):
            continue
        value = (len(pairs), score(pairs))
        if (
            best is None
            or value[0] > best[0]
            or (value[0] == best[0] and value[1] > best[1] + 1e-9)
        ):
            best = value
    return best


@st.composite
def instances(
    draw: st.DrawFn, side_constraints: bool = True
) -> tuple[Org, ProgramSpec, HistoryRows]:
    org = draw(small_orgs(max_people=6))
    return org, draw(programs(org, side_constraints=side_constraints)), draw(histories(org))


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
    from matcher.errors import ConfigError

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
    import networkx as nx

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
    from matcher.assignment.population import manager_chains

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
    import networkx as nx

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


@pytest.mark.parametrize("cell", ["inf", "1e30", "2.5", "1e9", "３", "-1", "nan", "99999999999"])
def test_a_capacity_cell_that_is_not_a_whole_number_is_a_named_error(cell: str) -> None:
    """Regression: ``inf``/``1e30`` raised OverflowError (a traceback); ``2.5``, ``1e9`` and
    full-width digits were read one way by the solver and another by the checker."""
    from matcher.errors import ConfigError

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
    from matcher.assignment.checks import capacities as checked_capacities

    org, spec = _penalty_only_org()
    org.employees[org.index["A"]] = org.employees[org.index["A"]].model_copy(
        update={"attributes": {"office": "hq", "cap": cell}}
    )
    spec = spec.model_copy(update={"capacity": spec.capacity.model_copy(update={"column": "cap"})})
    problem = run(org, spec).problem
    solver_value = int(problem.capacity[list(problem.provider_ids).index("A")])
    assert solver_value == value == checked_capacities(spec, org, {"A"})["A"]


# ----------------------------------------------------------------- --incremental regressions


def _mentoring(
    n_seekers: int, mentors: dict[str, int], **program: object
) -> tuple[Org, ProgramSpec]:
    people = [Employee(id=f"S{k}", roles=("mentee",)) for k in range(n_seekers)]
    people += [
        Employee(id=name, roles=("mentor",), attributes={"cap": str(cap)})
        for name, cap in mentors.items()
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 1, "column": "cap"},
            **program,
        }
    )
    return org, spec


def incremental(
    org: Org, spec: ProgramSpec, committed: list[tuple[str, str]], **options: object
) -> ProgramResult:
    """A run with ``--incremental``: ``committed`` pairs were approved earlier this period."""
    rows = [(spec.kind.value, s, p, spec.period) for s, p in committed]
    return assign_programs(
        org,
        analyze(org),
        [spec],
        history=rows,
        prior=lambda _spec: committed,
        options=SolveOptions(**options),  # type: ignore[arg-type]
    )[0]


def union_violations(
    org: Org, spec: ProgramSpec, result: ProgramResult, committed: list[tuple[str, str]]
) -> list[str]:
    pairs = [*committed, *((a.seeker_id, a.provider_id) for a in result.assignments)]
    flags = {p.id: set(p.flags) for p in analyze(org).people}
    return [
        f"{v.rule}: {v.message}"
        for v in check_assignment(spec, org, pairs, flags=flags, as_of=AS_OF.date())
    ]


@pytest.mark.parametrize("per_seeker", [1, 2])
def test_incremental_keeps_a_committed_must_pair_and_fixes_no_other(per_seeker: int) -> None:
    """Regression: a committed pair that is also a must pair stayed in ``must`` after being made
    ineligible; the arc lookup then fixed the *next* arc (a wrong pair, labelled optimal), and
    with per_seeker = 1 the run failed with a misleading error."""
    org, spec = _mentoring(
        2, {"A": 2, "B": 2}, per_seeker=per_seeker, pairs={"must": [["S0", "A"]]}
    )
    committed = [("S0", "A")]
    result = incremental(org, spec, committed)
    assert result.solution.status == "optimal"
    assert result.problem.must == []
    assert any("already committed" in note for note in result.summary["notes"])
    new = {(a.seeker_id, a.provider_id) for a in result.assignments}
    assert ("S0", "A") not in new
    assert union_violations(org, spec, result, committed) == []
    assert {s for s, _ in new} >= {"S1"}


def test_incremental_must_pair_for_a_fully_served_seeker_is_a_named_conflict() -> None:
    org, spec = _mentoring(2, {"A": 1, "B": 1}, pairs={"must": [["S0", "B"]]})
    result = incremental(org, spec, [("S0", "A")])
    assert result.solution.status == "infeasible"
    assert any(
        "S0 already has the committed pair" in c and "(A)" in c for c in result.solution.conflicts
    )


@pytest.mark.parametrize("capacity", [1, 2])
def test_incremental_peer_program_uses_both_peoples_capacity(capacity: int) -> None:
    """Regression: peer programs lowered supply and capacity on one side only (IndexError, or
    people paired beyond their capacity)."""
    people = [Employee(id=f"P{k}", roles=("peer",)) for k in range(5)]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {"name": "p", "kind": "peer", "period": "2026Q4", "capacity": {"default": capacity}}
    )
    committed = [("P0", "P1"), ("P3", "P0")] if capacity == 2 else [("P0", "P1")]
    result = incremental(org, spec, committed)
    assert result.solution.status == "optimal"
    assert union_violations(org, spec, result, committed) == []
    new = {frozenset((a.seeker_id, a.provider_id)) for a in result.assignments}
    assert not new & {frozenset(pair) for pair in committed}


def test_incremental_minimum_loads_count_committed_pairs() -> None:
    """Regression: a minimum load was not reduced by the committed load (wrongly infeasible)."""
    org, spec = _mentoring(3, {"A": 1, "B": 1}, capacity={"default": 1, "min": 1})
    committed = [("S0", "A")]
    result = incremental(org, spec, committed)
    assert result.solution.status == "optimal"
    assert {a.provider_id for a in result.assignments} == {"B"}
    assert union_violations(org, spec, result, committed) == []


def test_the_same_pair_committed_twice_counts_once() -> None:
    """Regression: two committed runs listing the same pair doubled the load --incremental saw."""
    org, spec = _mentoring(2, {"A": 2})
    result = incremental(org, spec, [("S0", "A"), ("S0", "A")])
    assert [(a.seeker_id, a.provider_id) for a in result.assignments] == [("S1", "A")]


def test_a_must_pair_listed_twice_is_not_a_conflict() -> None:
    org, spec = _mentoring(2, {"A": 1, "B": 1}, pairs={"must": [["S0", "A"], ["S0", "A"]]})
    result = run(org, spec)
    assert result.solution.status == "optimal"
    assert ("S0", "A") in {(a.seeker_id, a.provider_id) for a in result.assignments}


def test_a_must_pair_breaking_a_forbidden_rule_is_told_to_set_it_to_avoided() -> None:
    org, spec = _mentoring(
        1, {"A": 1}, rules={"same_office": "forbidden"}, pairs={"must": [["S0", "A"]]}
    )
    for person in ("S0", "A"):
        at = org.index[person]
        org.employees[at] = org.employees[at].model_copy(
            update={"attributes": {**org.employees[at].attributes, "office": "hq"}}
        )
    result = run(org, spec)
    assert result.solution.status == "infeasible"
    (message,) = result.solution.conflicts
    assert "set rules.same_office to avoided" in message and "preferred" not in message


def test_unmatched_reasons_count_committed_per_team_loads() -> None:
    """Regression: explain_unmatched ignored the per-team loads of committed pairs, so a seeker
    blocked by max_same_team_per_provider was told something else."""
    people = [
        Employee(id="S0", roles=("mentee",), team="x"),
        Employee(id="S1", roles=("mentee",), team="x"),
        Employee(id="A", roles=("mentor",), team="y"),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 3},
            "rules": {"max_same_team_per_provider": 1},
        }
    )
    result = incremental(org, spec, [("S0", "A")])
    assert result.assignments == []
    (row,) = result.unmatched
    assert row.seeker_id == "S1" and "max_same_team_per_provider = 1" in row.reason


def test_a_minimum_load_conflict_names_the_per_team_cap() -> None:
    """Regression: per-team caps were never named when minimum loads could not be met."""
    people = [Employee(id=f"S{k}", roles=("mentee",), team="x") for k in range(4)]
    people += [Employee(id=m, roles=("mentor",), team="y") for m in ("A", "B")]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 2, "min": 2},
            "rules": {"max_same_team_per_provider": 1},
        }
    )
    result = run(org, spec)
    assert result.solution.status == "infeasible"
    assert any("max_same_team_per_provider" in c for c in result.solution.conflicts)


# ------------------------------------------- defects found by review (each failed before)


def test_committed_team_loads_of_past_seekers_land_on_their_own_cap() -> None:
    """A committed seeker no longer selected can have a team code above every current
    seeker's: its load was keyed onto another provider's team cap, and the certificate agreed."""
    people = [
        Employee(id="S0", roles=("mentee",), team="b"),
        Employee(id="S1", roles=("mentee",), team="a"),
        Employee(id="A", roles=("mentor",), team="m"),
        Employee(id="B", roles=("mentor",), team="m"),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "rules": {"max_same_team_per_provider": 1},
        }
    )
    for prune in (2_000_000, 0):
        result = incremental(org, spec, [("S0", "A")], prune_above=prune, candidates_per_seeker=1)
        assert [(a.seeker_id, a.provider_id) for a in result.assignments] == [("S1", "B")]


@pytest.mark.parametrize("committed", [[("S1", "A"), ("S0", "A")], [("S0", "A"), ("S1", "A")]])
def test_a_rule_the_committed_pairs_broke_is_not_this_runs_bug(
    committed: list[tuple[str, str]],
) -> None:
    """The check compared committed pairs in set order with sorted ones, so a capacity the
    committed pairs already exceeded read as new at random (by hash seed)."""
    org, spec = _mentoring(3, {"A": 1, "B": 1})
    result = incremental(org, spec, committed)
    assert [(a.seeker_id, a.provider_id) for a in result.assignments] == [("S2", "B")]


def test_committed_pairs_of_people_who_left_take_no_room() -> None:
    org, spec = _mentoring(2, {"A": 1})
    result = incremental(org, spec, [("Sgone", "A")])
    assert len(result.assignments) == 1
    peers = org_of([Employee(id=f"P{k}", roles=("peer",)) for k in range(4)])
    peer = ProgramSpec.model_validate({"name": "p", "kind": "peer", "period": "2026Q4"})
    result = incremental(peers, peer, [("P0", "Pgone")])
    assert len(result.assignments) == 2


def test_must_pairs_that_break_a_team_cap_are_a_named_conflict() -> None:
    people = [Employee(id=f"S{k}", roles=("mentee",), team="x") for k in range(2)]
    people.append(Employee(id="A", roles=("mentor",), team="y"))
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "m",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 2},
            "rules": {"max_same_team_per_provider": 1},
            "pairs": {"must": [["S0", "A"], ["S1", "A"]]},
        }
    )
    result = run(org, spec)
    assert result.solution.status == "infeasible"
    assert any("max_same_team_per_provider is 1" in c for c in result.solution.conflicts)


def test_the_check_never_forgives_a_dropped_must_pair() -> None:
    """Violations the committed pairs alone also had were forgiven, must pairs and minimum
    loads included: a peer answer dropping a must pair passed."""
    import dataclasses

    from matcher.assignment.run import CertificateError, verify

    org = org_of([Employee(id=f"P{k}", roles=("peer",)) for k in range(6)])
    spec = ProgramSpec.model_validate(
        {
            "name": "p",
            "kind": "peer",
            "period": "2026Q4",
            "capacity": {"default": 1, "min": 1},
            "pairs": {"must": [["P2", "P3"]]},
        }
    )
    committed = [("P0", "P1")]
    result = incremental(org, spec, committed)
    rows = [("peer", a, b, "2026Q4") for a, b in committed]
    wrong = dataclasses.replace(result.solution, pairs=[])
    with pytest.raises(CertificateError, match="must"):
        verify(result.problem, wrong, org, rows, committed)


def test_a_peer_must_pair_for_someone_already_full_is_a_named_conflict() -> None:
    org = org_of([Employee(id=f"P{k}", roles=("peer",)) for k in range(4)])
    spec = ProgramSpec.model_validate(
        {"name": "p", "kind": "peer", "period": "2026Q4", "pairs": {"must": [["P0", "P2"]]}}
    )
    result = incremental(org, spec, [("P0", "P1")])
    assert result.solution.status == "infeasible"
    assert "P0 already has the committed pair" in result.solution.conflicts[0]


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
