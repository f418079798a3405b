"""The independent checker: each hard rule is detected, valid assignments pass, time zones are DST-correct."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.assignment.checks import (
    RULES,
    HistoryPair,
    Violation,
    capacities,
    check_assignment,
    select,
    working_overlap_hours,
)
from matcher.assignment.programs import Kind, ProgramSpec, Selector
from matcher.model import Employee, Org

AS_OF = dt.date(2026, 10, 1)
NO_FLAGS: dict[str, set[str]] = {}


def program(kind: str = "mentor", **fields: Any) -> ProgramSpec:
    """A program for period 2026Q4 with the given extra fields, validated like a file."""
    return ProgramSpec.model_validate({"name": "p", "kind": kind, "period": "2026Q4", **fields})


def mentoring_org(*extra: Employee) -> Org:
    """Mentees M1, M2 (team a), M3 (team b); mentors T1, T2 (team c); plus ``extra``."""
    people = [
        Employee(id="M1", roles="mentee", team="a", level=1, languages="en"),
        Employee(id="M2", roles="mentee", team="a", level=2, languages="de;EN"),
        Employee(id="M3", roles="mentee", team="b", level=1, languages="fr"),
        Employee(id="T1", roles="mentor", team="c", level=4, languages="en;fr"),
        Employee(id="T2", roles="Mentor", team="c", level=3, languages="En"),
        *extra,
    ]
    return Org(people)


def check(
    spec: ProgramSpec, org: Org, pairs: list[tuple[str, str]], **kwargs: Any
) -> list[Violation]:
    kwargs.setdefault("flags", NO_FLAGS)
    kwargs.setdefault("as_of", AS_OF)
    return check_assignment(spec, org, pairs, **kwargs)


def rules_of(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]


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


# --- working-hour overlap -------------------------------------------------------------------


def worker(timezone: str | None = None, start: float = 9, end: float = 17) -> Employee:
    return Employee(
        id=f"{timezone}-{start}-{end}", timezone=timezone, work_start=start, work_end=end
    )


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ("2026-03-01", 2.0),  # both on standard time: Berlin +1, New York -5
        ("2026-03-15", 3.0),  # New York moved to summer time on 8 March, Berlin not yet
        ("2026-03-30", 2.0),  # both on summer time (Berlin moved on 29 March)
        ("2026-10-01", 2.0),  # both on summer time: Berlin +2, New York -4
        ("2026-10-28", 3.0),  # Berlin back on standard time on 25 October, New York not yet
        ("2026-11-03", 2.0),  # both on standard time (New York moved back on 1 November)
    ],
)
def test_overlap_takes_daylight_saving_on_the_day(day: str, hours: float) -> None:
    berlin, new_york = worker("Europe/Berlin"), worker("America/New_York")
    assert working_overlap_hours(berlin, new_york, dt.date.fromisoformat(day)) == hours


def test_overlap_with_a_half_hour_offset() -> None:
    kolkata = worker("Asia/Kolkata")  # +5:30 → 03:30–11:30 UTC
    assert working_overlap_hours(kolkata, worker("Europe/Berlin"), AS_OF) == 4.5  # 07–15 UTC
    assert working_overlap_hours(kolkata, worker(), AS_OF) == 2.5  # UTC 09–17
    assert working_overlap_hours(kolkata, worker("America/New_York"), AS_OF) == 0.0


def test_overlap_of_a_night_window_crosses_midnight() -> None:
    night = worker(None, 22, 6)  # 22:00–06:00 UTC
    assert working_overlap_hours(night, worker(None, 0, 8), AS_OF) == 6.0
    assert working_overlap_hours(night, worker(None, 20, 23), AS_OF) == 1.0
    assert working_overlap_hours(night, worker(), AS_OF) == 0.0
    assert working_overlap_hours(worker(None, 9, 9), worker(), AS_OF) == 8.0  # end = start: 24 h


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ("2026-10-01", 1.0),  # Sydney +10 (−1–07 UTC), Los Angeles −7 (16–24 UTC, i.e. −8–0)
        ("2026-10-15", 2.0),  # Sydney moved to +11 on 4 October: −2–06 UTC
        ("2026-11-03", 3.0),  # Los Angeles back on −8: 17–25 UTC, i.e. −7–1
    ],
)
def test_overlap_across_the_date_line_uses_the_day_shift(day: str, hours: float) -> None:
    sydney, los_angeles = worker("Australia/Sydney"), worker("America/Los_Angeles")
    on = dt.date.fromisoformat(day)
    assert working_overlap_hours(sydney, los_angeles, on) == hours
    assert working_overlap_hours(los_angeles, sydney, on) == hours


def test_min_overlap_hours_rule() -> None:
    org = Org(
        [
            Employee(id="S", roles="mentee", timezone="Europe/Berlin"),
            Employee(id="P", roles="mentor", timezone="America/New_York"),
        ]
    )
    assert check(program(rules={"min_overlap_hours": 2}), org, [("S", "P")]) == []
    found = check(program(rules={"min_overlap_hours": 3}), org, [("S", "P")])
    assert rules_of(found) == ["min_overlap_hours"]
    late = dt.date(2026, 10, 28)
    assert check(program(rules={"min_overlap_hours": 3}), org, [("S", "P")], as_of=late) == []


# --- repeats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("past", "broken"),
    [
        (HistoryPair("mentor", "M1", "T1", "2026Q4"), True),  # the current period counts
        (HistoryPair("mentor", "M1", "T1", "2026Q2"), True),  # two periods ago
        (HistoryPair("mentor", "M1", "T1", "2026Q1"), False),  # three periods ago
        (HistoryPair("mentor", "T1", "M1", "2026Q3"), True),  # the pair is unordered
        (HistoryPair(None, "M1", "T1", "2026Q3"), True),  # no kind: every kind
        (HistoryPair("buddy", "M1", "T1", "2026Q3"), False),  # another kind
        (HistoryPair("mentor", "M1", "T1", "2027Q1"), False),  # a later period
        (HistoryPair("mentor", "M1", "T1", "2026-08"), True),  # a month: 2/3 of a quarter ago
        (HistoryPair("mentor", "M1", "T1", "2026H1"), False),  # a half-year: 3 quarters ago
    ],
)
def test_no_repeat_periods(past: HistoryPair, broken: bool) -> None:
    spec = program(rules={"no_repeat_periods": 2})
    found = check(spec, mentoring_org(), [("M1", "T1")], history=[past])
    assert rules_of(found) == (["no_repeat_periods"] if broken else [])


def test_no_repeat_periods_in_months_is_exact_at_the_edge() -> None:
    # Months are thirds of a quarter: 2026-08 is exactly 2 months before 2026-10.
    spec = ProgramSpec.model_validate(
        {"name": "p", "kind": "mentor", "period": "2026-10", "rules": {"no_repeat_periods": 2}}
    )
    org = mentoring_org()
    for period, broken in (("2026-08", True), ("2026-07", False), ("2026-10", True)):
        found = check(
            spec, org, [("M1", "T1")], history=[HistoryPair("mentor", "M1", "T1", period)]
        )
        assert rules_of(found) == (["no_repeat_periods"] if broken else []), period


def test_no_repeat_zero_forbids_only_the_current_period() -> None:
    spec = program(rules={"no_repeat_periods": 0})
    org = mentoring_org()
    now = [HistoryPair("mentor", "M1", "T1", "2026Q4")]
    before = [HistoryPair("mentor", "M1", "T1", "2026Q3")]
    assert rules_of(check(spec, org, [("M1", "T1")], history=now)) == ["no_repeat_periods"]
    assert check(spec, org, [("M1", "T1")], history=before) == []
    assert check(program(), org, [("M1", "T1")], history=now) == []  # rule not set


# --- selection ------------------------------------------------------------------------------


def selection_org() -> Org:
    def hired(days: int) -> dt.date:
        return AS_OF - dt.timedelta(days=days)

    return Org(
        [
            Employee(id="new", hire_date=hired(30)),
            Employee(id="edge", hire_date=hired(90)),
            Employee(id="future", hire_date=hired(-5)),
            Employee(id="unknown"),
            Employee(id="buddy", roles="Buddy", hire_date=hired(200)),
            Employee(id="young-buddy", roles="buddy", hire_date=hired(100)),
            Employee(id="mentee", roles="MENTEE", level=1, team="x"),
            Employee(id="mentor", roles="mentor", level=5, team="y"),
            Employee(id="lonely", roles="peer_support_consent"),
            Employee(id="lonely-no-consent"),
            Employee(id="asker", roles="support_request"),
            Employee(id="supporter", roles="peer_supporter"),
        ]
    )


FLAGS = {"lonely": {"isolated"}, "lonely-no-consent": {"peripheral"}, "new": {"new_hire"}}


@pytest.mark.parametrize(
    ("kind", "side", "expected"),
    [
        (Kind.BUDDY, "seekers", {"new", "edge"}),
        (Kind.BUDDY, "providers", {"buddy"}),
        (Kind.MENTOR, "seekers", {"mentee"}),
        (Kind.MENTOR, "providers", {"mentor"}),
        (Kind.PEER_SUPPORT, "seekers", {"lonely", "asker"}),
        (Kind.PEER_SUPPORT, "providers", {"supporter"}),
    ],
)
def test_default_selectors_per_kind(
    kind: Kind, side: Literal["seekers", "providers"], expected: set[str]
) -> None:
    assert select(Selector(), kind, side, selection_org(), FLAGS, AS_OF) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"roles": ["MENTOR", "peer_supporter"]}, {"mentor", "supporter"}),
        ({"roles": []}, set()),  # a field set to an empty list selects nobody
        ({"min_tenure_days": 100}, {"buddy", "young-buddy"}),
        ({"hired_within_days": 30}, {"new"}),  # not "future": hired after as_of
        ({"flags": ["isolated", "new_hire"]}, {"lonely", "new"}),
        ({"ids": ["mentor", "nobody"]}, {"mentor"}),
        ({"teams": ["x"]}, {"mentee"}),
        ({"min_level": 2}, {"mentor"}),
        ({"max_level": 2}, {"mentee"}),
        ({"roles": ["buddy"], "exclude_ids": ["buddy"]}, {"young-buddy"}),
        ({"any_of": [{"ids": ["asker"]}, {"teams": ["y"]}]}, {"asker", "mentor"}),
        ({"ids": ["asker", "mentor"], "any_of": [{"teams": ["y"]}]}, {"mentor"}),
    ],
)
def test_selector_fields(fields: dict[str, Any], expected: set[str]) -> None:
    selector = Selector.model_validate(fields)
    assert select(selector, Kind.MENTOR, "seekers", selection_org(), FLAGS, AS_OF) == expected


def test_an_empty_sub_selector_matches_everyone() -> None:
    selector = Selector.model_validate({"any_of": [{}]})
    org = selection_org()
    assert select(selector, Kind.MENTOR, "seekers", org, FLAGS, AS_OF) == set(org.ids)


def test_as_of_may_be_a_datetime() -> None:
    moment = dt.datetime(2026, 10, 1, 23, 0, tzinfo=dt.UTC)
    org = selection_org()
    assert select(Selector(), Kind.BUDDY, "seekers", org, FLAGS, moment) == {"new", "edge"}
    assert check(program(), mentoring_org(), [("M1", "T1")], as_of=moment) == []


# --- properties -----------------------------------------------------------------------------

ZONES = [None, "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
ROLES = ["mentor", "Mentee", "buddy", "peer_supporter", "support_request", "peer_support_consent"]
MODES = ["required", "forbidden", "preferred", "avoided", "ignored"]


@st.composite
def small_orgs(draw: st.DrawFn) -> Org:
    """2–8 employees with random fields; managers point at earlier people (no cycles)."""
    people = []
    for i in range(draw(st.integers(2, 8))):
        manager = draw(st.one_of(st.none(), st.integers(0, i - 1))) if i else None
        people.append(
            Employee(
                id=f"E{i}",
                manager_id=None if manager is None else f"E{manager}",
                team=draw(st.sampled_from([None, "a", "b"])),
                location=draw(st.sampled_from([None, "x", "y"])),
                timezone=draw(st.sampled_from(ZONES)),
                work_start=draw(st.integers(0, 24)),
                work_end=draw(st.integers(0, 24)),
                hire_date=draw(
                    st.one_of(
                        st.none(), st.integers(-30, 400).map(lambda d: AS_OF - dt.timedelta(d))
                    )
                ),
                level=draw(st.one_of(st.none(), st.integers(0, 5))),
                languages=draw(st.lists(st.sampled_from(["en", "EN", "de"]), max_size=2)),
                roles=draw(st.lists(st.sampled_from(ROLES), max_size=3)),
                attributes={
                    "cap": draw(st.sampled_from(["", "0", "2", " 1.0 "])),
                    "office": draw(st.sampled_from(["", "o1", "o2"])),
                },
            )
        )
    return Org(people)


@st.composite
def instances(
    draw: st.DrawFn,
) -> tuple[ProgramSpec, Org, list[tuple[str, str]], dict[str, set[str]], list[HistoryPair]]:
    """A random program over a random org, with random pairs (unknown ids included)."""
    org = draw(small_orgs())
    ids = st.sampled_from([*org.ids, "GHOST"])
    maybe = st.one_of(st.none(), st.integers(0, 3))
    rules: dict[str, Any] = {
        name: draw(st.sampled_from(MODES))
        for name in (
            "same_team",
            "same_location",
            "same_manager",
            "reporting_line",
            "shared_language",
            "same_office",
        )
    }
    rules.update(
        min_level_gap=draw(maybe),
        max_level_gap=draw(maybe),
        min_overlap_hours=draw(st.one_of(st.none(), st.floats(0, 24))),
        no_repeat_periods=draw(maybe),
        max_same_team_per_provider=draw(st.one_of(st.none(), st.integers(1, 2))),
    )
    selector = st.sampled_from(
        [{}, {"roles": ["mentor", "buddy"]}, {"any_of": [{"teams": ["a"]}, {"min_level": 3}]}]
    )
    spec = ProgramSpec.model_validate(
        {
            "name": "p",
            "kind": draw(st.sampled_from([Kind.BUDDY, Kind.MENTOR, Kind.PEER_SUPPORT])),
            "period": draw(st.sampled_from(["2026Q4", "2026-10", "2026H2"])),
            "seekers": draw(selector),
            "providers": draw(selector),
            "capacity": {
                "default": draw(st.integers(0, 3)),
                "column": draw(st.sampled_from([None, "cap"])),
                "min": draw(st.integers(0, 2)),
                "max": draw(st.one_of(st.none(), st.integers(0, 3))),
            },
            "per_seeker": draw(st.integers(1, 2)),
            "rules": rules,
            "pairs": {
                "never": draw(st.lists(st.tuples(ids, ids), max_size=2)),
                "must": draw(st.lists(st.tuples(ids, ids), max_size=2)),
            },
        }
    )
    pairs = draw(st.lists(st.tuples(ids, ids), max_size=12))
    flags = {
        i: set(draw(st.lists(st.sampled_from(["isolated", "peripheral"]), max_size=2)))
        for i in org.ids
    }
    history = draw(
        st.lists(
            st.builds(
                HistoryPair,
                st.sampled_from([None, "buddy", "mentor", "peer_support"]),
                ids,
                ids,
                st.sampled_from(["2026Q1", "2026Q3", "2026Q4", "2026-09", "2026H1", "2027Q1"]),
            ),
            max_size=6,
        )
    )
    return spec, org, pairs, flags, history


def known_rule(rule: str) -> bool:
    return rule in RULES or rule == "same_office"


@given(instances())
def test_every_violation_names_a_known_rule(
    instance: tuple[
        ProgramSpec, Org, list[tuple[str, str]], dict[str, set[str]], list[HistoryPair]
    ],
) -> None:
    spec, org, pairs, flags, history = instance
    found = check_assignment(spec, org, pairs, flags=flags, history=history, as_of=AS_OF)
    assert all(known_rule(v.rule) and v.message for v in found)
    assert found == check_assignment(spec, org, pairs, flags=flags, history=history, as_of=AS_OF)


@given(instances(), st.data())
def test_fewer_pairs_break_no_new_rules(
    instance: tuple[
        ProgramSpec, Org, list[tuple[str, str]], dict[str, set[str]], list[HistoryPair]
    ],
    data: st.DataObject,
) -> None:
    """Dropping pairs only ever adds ``min_load`` or ``must`` violations."""
    spec, org, pairs, flags, history = instance
    keep = data.draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    fewer = [pair for pair, kept in zip(pairs, keep, strict=True) if kept]

    def located(assignment: list[tuple[str, str]]) -> set[tuple[str, str | None, str | None]]:
        found = check_assignment(spec, org, assignment, flags=flags, history=history, as_of=AS_OF)
        return {
            (v.rule, v.seeker_id, v.provider_id)
            for v in found
            if v.rule not in ("min_load", "must")
        }

    assert located(fewer) <= located(pairs)
    assert located([]) == set()


@given(small_orgs(), st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)))
def test_overlap_is_symmetric_and_bounded(org: Org, day: dt.date) -> None:
    a, b = org.employees[0], org.employees[1]
    hours = working_overlap_hours(a, b, day)
    assert 0.0 <= hours <= 24.0
    assert hours == working_overlap_hours(b, a, day)
    # Against oneself, the overlap is the window's length (a start of 24 and end of 0: empty).
    length = a.work_end - a.work_start + (24 if a.work_end <= a.work_start else 0)
    assert working_overlap_hours(a, a, day) == length
