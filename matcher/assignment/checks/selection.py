"""Who a program's selectors pick, and how many seekers each provider may take.

Re-derived from the program-file contract in plain loops over people: nothing is shared with
:mod:`matcher.assignment.selection`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal

from matcher.analysis.flags import WANTING_CONNECTION
from matcher.analysis.survey import SAYS_NO_ONE
from matcher.assignment.checks.violations import as_date
from matcher.assignment.programs import Kind, ProgramSpec, Selector
from matcher.model import Employee, Org

DEFAULT_SELECTORS: dict[Kind, dict[str, Selector]] = {
    Kind.BUDDY: {
        "seekers": Selector(hired_within_days=90),
        "providers": Selector(roles=["buddy"], min_tenure_days=180),
    },
    Kind.MENTOR: {
        "seekers": Selector(roles=["mentee"]),
        "providers": Selector(roles=["mentor"]),
    },
    Kind.PEER_SUPPORT: {
        "seekers": Selector(
            any_of=[
                Selector(flags=sorted(WANTING_CONNECTION), roles=["peer_support_consent"]),
                Selector(roles=["support_request"]),
            ]
        ),
        "providers": Selector(roles=["peer_supporter"]),
    },
    Kind.PEER: {"seekers": Selector(roles=["peer"]), "providers": Selector(roles=["peer"])},
    Kind.CIRCLE: {"seekers": Selector(roles=["circle"]), "providers": Selector()},
}
"""What an empty top-level selector means, per kind and side."""

_INTEGER = re.compile(r"\s*\+?[0-9]+(\.0*)?\s*")


def _is_empty(selector: Selector) -> bool:
    return all(getattr(selector, name) is None for name in Selector.model_fields)


@dataclass(frozen=True)
class _Wanted:
    """A selector with its lists as sets (membership tests over 100,000 people stay fast)."""

    selector: Selector
    roles: frozenset[str] | None
    flags: frozenset[str] | None
    ids: frozenset[str] | None
    teams: frozenset[str | None] | None
    departments: frozenset[str | None] | None
    locations: frozenset[str | None] | None
    exclude_ids: frozenset[str]
    any_of: tuple[_Wanted, ...] | None


def _wanted(selector: Selector) -> _Wanted:
    def as_set(values: list[str] | None) -> frozenset[str] | None:
        return None if values is None else frozenset(values)

    return _Wanted(
        selector=selector,
        roles=None if selector.roles is None else frozenset(r.casefold() for r in selector.roles),
        flags=as_set(selector.flags),  # type: ignore[arg-type]
        ids=as_set(selector.ids),
        teams=as_set(selector.teams),
        departments=as_set(selector.departments),
        locations=as_set(selector.locations),
        exclude_ids=frozenset(selector.exclude_ids or ()),
        any_of=None if selector.any_of is None else tuple(_wanted(s) for s in selector.any_of),
    )


def _matches(wanted: _Wanted, person: Employee, flags: AbstractSet[str], as_of: dt.date) -> bool:
    """Whether ``person`` meets every field given in the selector (an empty selector: yes)."""
    selector = wanted.selector
    if wanted.roles is not None and not wanted.roles & {r.casefold() for r in person.roles}:
        return False
    tenure = None if person.hire_date is None else (as_of - person.hire_date).days
    if selector.min_tenure_days is not None and (
        tenure is None or tenure < selector.min_tenure_days
    ):
        return False
    if selector.hired_within_days is not None and (
        tenure is None or not 0 <= tenure <= selector.hired_within_days
    ):
        return False
    if wanted.flags is not None and not wanted.flags & set(flags):
        return False
    if selector.says_no_one is not None and (SAYS_NO_ONE in flags) != selector.says_no_one:
        return False
    if wanted.ids is not None and person.id not in wanted.ids:
        return False
    if wanted.teams is not None and person.team not in wanted.teams:
        return False
    if wanted.departments is not None and person.department not in wanted.departments:
        return False
    if wanted.locations is not None and person.location not in wanted.locations:
        return False
    if selector.min_level is not None and (
        person.level is None or person.level < selector.min_level
    ):
        return False
    if selector.max_level is not None and (
        person.level is None or person.level > selector.max_level
    ):
        return False
    if person.id in wanted.exclude_ids:
        return False
    return wanted.any_of is None or any(
        _matches(sub, person, flags, as_of) for sub in wanted.any_of
    )


def select(
    selector: Selector,
    kind: Kind,
    side: Literal["seekers", "providers"],
    org: Org,
    flags: Mapping[str, AbstractSet[str]],
    as_of: dt.date,
) -> set[str]:
    """Return the ids of ``org.employees`` that ``selector`` picks for one side of a program.

    Parameters
    ----------
    selector : Selector
        The program's ``seekers`` or ``providers`` selector. With no field set, it is replaced
        by the default of ``kind`` and ``side`` (:data:`DEFAULT_SELECTORS`).
    kind : Kind
        The program kind, which sets the defaults.
    side : {"seekers", "providers"}
        Which side ``selector`` describes.
    org : Org
        The organisation; opted-out people are already absent from ``org.employees``.
    flags : Mapping[str, set[str]]
        Analysis flags (``isolated``, ``peripheral`` …) by employee id, with ``says_no_one``
        for those who said so in a survey; missing ids have none.
    as_of : datetime.date
        The day tenure is measured on.

    Returns
    -------
    set[str]
        The selected ids.

    Notes
    -----
    The fields given are ANDed; ``roles`` and ``flags`` need one of the listed values (roles
    compared case-insensitively), ``any_of`` needs one matching sub-selector. Only the
    top-level selector is replaced by a default when empty; an empty sub-selector of
    ``any_of`` matches everyone.

    Examples
    --------
    >>> import datetime as dt
    >>> from matcher.model import Employee, Org
    >>> org = Org([Employee(id="A", roles="Mentor"), Employee(id="B", roles="mentee")])
    >>> sorted(select(Selector(), Kind.MENTOR, "providers", org, {}, dt.date(2026, 10, 1)))
    ['A']
    """
    as_of = as_date(as_of)
    if _is_empty(selector):
        selector = DEFAULT_SELECTORS[kind][side]
    wanted = _wanted(selector)
    return {
        person.id
        for person in org.employees
        if _matches(wanted, person, flags.get(person.id, frozenset()), as_of)
    }


def capacities(spec: ProgramSpec, org: Org, providers: AbstractSet[str]) -> dict[str, int]:
    """Return how many seekers each provider may take.

    Parameters
    ----------
    spec : ProgramSpec
        The program; its ``capacity`` table is used.
    org : Org
        The organisation, for the providers' ``attributes``.
    providers : set[str]
        The provider ids; ids that are not employees are left out of the result.

    Returns
    -------
    dict[str, int]
        Capacity by provider id.

    Notes
    -----
    A provider's value is their ``attributes[capacity.column]`` when that is filled in, else
    ``capacity.default``; ``capacity.max``, when set, caps it. A filled cell must be a whole
    number in the digits 0–9 (``3`` or ``3.0``): anything else raises ``ValueError``.

    Examples
    --------
    >>> from matcher.model import Employee, Org
    >>> from matcher.assignment.programs import ProgramSpec
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4",
    ...     "capacity": {"default": 2, "column": "cap", "max": 3}})
    >>> org = Org([Employee(id="A", attributes={"cap": "5"}), Employee(id="B")])
    >>> capacities(spec, org, {"A", "B"})
    {'A': 3, 'B': 2}
    """
    rule = spec.capacity
    result = {}
    for person in org.employees:
        if person.id not in providers:
            continue
        raw = (person.attributes.get(rule.column) or "") if rule.column else ""
        if not raw.strip():
            value = rule.default
        elif _INTEGER.fullmatch(raw):
            value = int(raw.strip().lstrip("+").split(".")[0])
        else:
            raise ValueError(f"capacity of {person.id}: {raw!r} is not a whole number")
        if rule.max is not None:
            value = min(value, rule.max)
        result[person.id] = value
    return result
