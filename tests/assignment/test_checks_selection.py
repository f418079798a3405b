"""The independent checker's selectors: defaults per kind, each field, ``any_of``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import pytest

from matcher.assignment.checks import (
    select,
)
from matcher.assignment.programs import Kind, Selector
from matcher.model import Employee, Org
from tests.assignment.checker_support import (
    AS_OF,
    check,
    mentoring_org,
    program,
)

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
