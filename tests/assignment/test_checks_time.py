"""The independent checker over time: working-hour overlaps are DST-correct on the day, and
repeat windows are exact at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from matcher.assignment.checks import (
    HistoryPair,
    working_overlap_hours,
)
from matcher.assignment.programs import ProgramSpec
from matcher.model import Employee, Org
from tests.assignment.checker_support import (
    AS_OF,
    check,
    mentoring_org,
    program,
    rules_of,
)

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
