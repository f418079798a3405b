"""``--incremental``: committed pairs of the same period use up room and are kept; must pairs,
minimum loads and per-team caps count them; regressions found by review."""

from __future__ import annotations

import dataclasses

import pytest

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import check_assignment
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.run import CertificateError, ProgramResult, assign_programs, verify
from matcher.assignment.solve import SolveOptions
from matcher.model import Employee, Org
from tests.assignment.support import run
from tests.strategies import AS_OF, org_of


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


def test_a_must_pair_whose_provider_committed_pairs_fill_is_a_named_conflict() -> None:
    """Found by the randomized workflow test: P0←P1 and P1←P5 committed (P1 and P5 are both
    mentees and mentors), then must (P5, P1). P5 is the seeker and P1 the provider, whose one
    place P0 holds: the solver used to read the committed P1←P5 as the must pair and the
    checker refused the answer; now it is a conflict that names the committed pair."""
    people = [
        Employee(id="P0", roles=("mentee",)),
        Employee(id="P1", roles=("mentee", "mentor")),
        Employee(id="P5", roles=("mentee", "mentor")),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {
            "name": "prog",
            "kind": "mentor",
            "period": "2026Q4",
            "seekers": {"roles": ["mentee"]},
            "providers": {"roles": ["mentor"]},
            "capacity": {"default": 1},
            "pairs": {"must": [["P5", "P1"]]},
        }
    )
    committed = [("P0", "P1"), ("P1", "P5")]
    history = [("mentor", s, p, "2026Q4") for s, p in committed]
    (result,) = assign_programs(
        org,
        analyze(org),
        [spec],
        history=history,
        prior=lambda _spec: committed,
        options=SolveOptions(time_limit=5, seed=0),
    )
    assert result.solution.status == "infeasible"
    assert any("P1 already has the committed pair(s)" in c for c in result.solution.conflicts)
