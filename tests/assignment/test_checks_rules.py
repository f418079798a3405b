"""The independent checker, rule by rule: who may be paired, loads, listed pairs and the rules
about one pair are each detected, and valid assignments pass."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.assignment.checks import (
    HistoryPair,
    capacities,
)
from matcher.model import Employee, Org
from tests.assignment.checker_support import (
    check,
    mentoring_org,
    program,
    rules_of,
)

# --- a valid assignment ---------------------------------------------------------------------


def test_valid_assignment_has_no_violations() -> None:
    spec = program(
        capacity={"default": 2, "min": 1},
        rules={
            "same_team": "forbidden",
            "shared_language": "required",
            "reporting_line": "forbidden",
            "min_level_gap": 1,
            "max_level_gap": 3,
            "min_overlap_hours": 8,
            "max_same_team_per_provider": 1,
            "no_repeat_periods": 2,
        },
        pairs={"must": [["T2", "M2"]], "never": [["M1", "T2"]]},
    )
    history = [HistoryPair("mentor", "M1", "T2", "2026Q3")]
    pairs = [("M1", "T1"), ("M3", "T1"), ("M2", "T2")]
    assert check(spec, mentoring_org(), pairs, history=history) == []


def test_empty_assignment_of_a_program_without_minimums_is_valid() -> None:
    assert check(program(), mentoring_org(), []) == []


# --- who may be paired ----------------------------------------------------------------------


def test_seeker_provider_self_and_duplicate_are_detected() -> None:
    org = mentoring_org(Employee(id="B", roles="mentee;mentor"))
    spec = program(capacity={"default": 5}, per_seeker=5)
    found = check(
        spec, org, [("T1", "T2"), ("M1", "M2"), ("X", "T1"), ("B", "B"), ("M1", "T1"), ("M1", "T1")]
    )
    assert [(v.rule, v.seeker_id, v.provider_id) for v in found] == [
        ("seeker", "T1", "T2"),
        ("provider", "M1", "M2"),
        ("seeker", "X", "T1"),
        ("self", "B", "B"),
        ("duplicate", "M1", "T1"),
    ]
    assert "not an employee" in found[2].message


def test_opted_out_people_are_neither_seekers_nor_providers() -> None:
    # Opted-out people are absent from org.employees, even when their id appears elsewhere.
    assert rules_of(check(program(), mentoring_org(), [("GONE", "T1")])) == ["seeker"]


# --- loads ----------------------------------------------------------------------------------


def test_capacity_default_column_and_max() -> None:
    org = mentoring_org(
        Employee(id="T3", roles="mentor", attributes={"cap": "3"}),
        Employee(id="T4", roles="mentor", attributes={"cap": " 4.0 "}),
        Employee(id="T5", roles="mentor", attributes={"cap": ""}),
        Employee(id="T6", roles="mentor", attributes={"cap": "0"}),
    )
    spec = program(capacity={"default": 1, "column": "cap", "max": 2})
    providers = {"T1", "T3", "T4", "T5", "T6"}
    assert capacities(spec, org, providers) == {"T1": 1, "T3": 2, "T4": 2, "T5": 1, "T6": 0}
    found = check(spec, org, [("M1", "T3"), ("M2", "T3"), ("M3", "T6")])
    assert [(v.rule, v.provider_id) for v in found] == [("capacity", "T6")]
    found = check(spec, org, [("M1", "T1"), ("M2", "T1")])
    assert [(v.rule, v.provider_id) for v in found] == [("capacity", "T1")]


def test_a_capacity_cell_that_is_not_a_whole_number_is_refused() -> None:
    org = mentoring_org(Employee(id="T4", roles="mentor", attributes={"cap": "many"}))
    spec = program(capacity={"default": 1, "column": "cap"})
    with pytest.raises(ValueError, match="capacity of T4"):
        capacities(spec, org, {"T4"})


def test_per_seeker() -> None:
    spec = program(capacity={"default": 3})
    pairs = [("M1", "T1"), ("M1", "T2")]
    assert [(v.rule, v.seeker_id) for v in check(spec, mentoring_org(), pairs)] == [
        ("per_seeker", "M1")
    ]
    assert check(program(capacity={"default": 3}, per_seeker=2), mentoring_org(), pairs) == []


def test_min_load_names_each_short_provider() -> None:
    spec = program(capacity={"default": 2, "min": 1})
    found = check(spec, mentoring_org(), [("M1", "T1")])
    assert [(v.rule, v.provider_id) for v in found] == [("min_load", "T2")]


def test_max_same_team_per_provider_counts_each_team() -> None:
    org = mentoring_org(Employee(id="M4", roles="mentee"), Employee(id="M5", roles="mentee"))
    spec = program(capacity={"default": 5}, rules={"max_same_team_per_provider": 1})
    # M4 and M5 have no team: they never count.
    assert check(spec, org, [("M1", "T1"), ("M3", "T1"), ("M4", "T1"), ("M5", "T1")]) == []
    found = check(spec, org, [("M1", "T1"), ("M2", "T1"), ("M3", "T1")])
    assert [(v.rule, v.provider_id) for v in found] == [("max_same_team_per_provider", "T1")]
    assert "'a'" in found[0].message


# --- listed pairs ---------------------------------------------------------------------------


def test_never_in_either_orientation() -> None:
    org = mentoring_org()
    spec = program(pairs={"never": [["T1", "M1"]]})
    assert rules_of(check(spec, org, [("M1", "T1")])) == ["never"]
    spec = program(pairs={"never": [["M1", "T1"]]})
    assert rules_of(check(spec, org, [("M1", "T1")])) == ["never"]


def test_must_uses_the_valid_orientation() -> None:
    org = mentoring_org()
    spec = program(pairs={"must": [["T1", "M1"]]})  # T1 is no seeker: the pair is (M1, T1)
    assert check(spec, org, [("M1", "T1")]) == []
    found = check(spec, org, [("M1", "T2")])
    assert [(v.rule, v.seeker_id, v.provider_id) for v in found] == [("must", "M1", "T1")]
    spec = program(pairs={"must": [["M1", "T1"]]})
    assert check(spec, org, [("M1", "T1")]) == []


def test_must_prefers_the_listed_orientation_when_both_are_valid() -> None:
    org = mentoring_org(
        Employee(id="B1", roles="mentee;mentor"), Employee(id="B2", roles="mentee;mentor")
    )
    spec = program(pairs={"must": [["B1", "B2"]]})
    assert check(spec, org, [("B1", "B2")]) == []
    assert rules_of(check(spec, org, [("B2", "B1")])) == ["must"]


# --- yes/no rules about a pair --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "same", "different"),
    [
        ("same_team", {"team": "x"}, {"team": "y"}),
        ("same_department", {"department": "x"}, {"department": "y"}),
        ("same_location", {"location": "x"}, {"location": "y"}),
        ("same_manager", {"manager_id": "BOSS"}, {"manager_id": "OTHER"}),
        ("same_office", {"attributes": {"office": "Lyon"}}, {"attributes": {"office": "Oslo"}}),
    ],
)
def test_same_rules_required_and_forbidden(
    rule: str, same: dict[str, Any], different: dict[str, Any]
) -> None:
    boss = [Employee(id="BOSS"), Employee(id="OTHER")]

    def org(provider_fields: dict[str, Any]) -> Org:
        return Org(
            [
                *boss,
                Employee(id="S", roles="mentee", **same),
                Employee(id="P", roles="mentor", **provider_fields),
            ]
        )

    required, forbidden = program(rules={rule: "required"}), program(rules={rule: "forbidden"})
    assert check(required, org(same), [("S", "P")]) == []
    assert rules_of(check(required, org(different), [("S", "P")])) == [rule]
    assert rules_of(check(required, org({}), [("S", "P")])) == [rule]  # empty is never "same"
    assert rules_of(check(forbidden, org(same), [("S", "P")])) == [rule]
    assert check(forbidden, org(different), [("S", "P")]) == []
    for soft in ("preferred", "avoided", "ignored"):
        assert check(program(rules={rule: soft}), org(different), [("S", "P")]) == []


def test_empty_values_are_not_the_same() -> None:
    org = Org(
        [
            Employee(id="S", roles="mentee", attributes={"office": ""}),
            Employee(id="P", roles="mentor", attributes={"office": ""}),
        ]
    )
    assert (
        check(
            program(rules={"same_office": "forbidden", "same_team": "forbidden"}), org, [("S", "P")]
        )
        == []
    )


def test_reporting_line_follows_managers_through_opted_out_people() -> None:
    # P manages GONE (opted out, absent from employees) who manages S.
    org = Org(
        [Employee(id="S", roles="mentee", manager_id="GONE"), Employee(id="P", roles="mentor")]
    )
    org.manager_of = {"S": "GONE", "GONE": "P", "P": None}
    forbidden = program(rules={"reporting_line": "forbidden"})
    assert rules_of(check(forbidden, org, [("S", "P")])) == ["reporting_line"]
    # The other direction: the seeker is above the provider.
    org.manager_of = {"P": "GONE", "GONE": "S", "S": None}
    assert rules_of(check(forbidden, org, [("S", "P")])) == ["reporting_line"]
    org.manager_of = {"S": "GONE", "GONE": None, "P": "GONE"}  # siblings: not a line
    assert check(forbidden, org, [("S", "P")]) == []
    assert rules_of(check(program(rules={"reporting_line": "required"}), org, [("S", "P")])) == [
        "reporting_line"
    ]


def test_shared_language_is_case_insensitive() -> None:
    required = program(rules={"shared_language": "required"})
    org = mentoring_org()
    assert check(required, org, [("M2", "T2"), ("M1", "T1")]) == []
    assert rules_of(check(required, org, [("M3", "T2")])) == ["shared_language"]
    assert rules_of(
        check(program(rules={"shared_language": "forbidden"}), org, [("M2", "T2")])
    ) == ["shared_language"]


def test_level_gaps_need_both_levels() -> None:
    org = mentoring_org(Employee(id="M0", roles="mentee"))
    spec = program(rules={"min_level_gap": 2})
    assert check(spec, org, [("M1", "T2")]) == []  # 3 - 1 = 2
    assert rules_of(check(spec, org, [("M2", "T2")])) == ["min_level_gap"]  # 3 - 2 = 1
    assert rules_of(check(spec, org, [("M0", "T2")])) == ["min_level_gap"]
    spec = program(rules={"max_level_gap": 2})
    assert check(spec, org, [("M2", "T1")]) == []  # 4 - 2 = 2
    assert rules_of(check(spec, org, [("M1", "T1")])) == ["max_level_gap"]  # 4 - 1 = 3
    assert rules_of(check(spec, org, [("M0", "T1")])) == ["max_level_gap"]
