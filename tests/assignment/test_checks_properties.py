"""Properties of the independent checker on random instances: every violation names a known
rule, removing pairs breaks no new rule, overlaps are symmetric and bounded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from matcher.assignment.checks import (
    RULES,
    HistoryPair,
    check_assignment,
    working_overlap_hours,
)
from matcher.assignment.programs import Kind, ProgramSpec
from matcher.model import Employee, Org
from tests.assignment.checker_support import (
    AS_OF,
)

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
