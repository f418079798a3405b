"""Verify an assignment against a program's hard rules, written independently of the solver.

Everything here is re-derived from the definitions of the program-file contract, in plain
Python loops over people and pairs, so that a bug in :mod:`matcher.assignment.solve` or
:mod:`matcher.assignment.compile` cannot hide in shared code. It is meant for test-sized instances (a
few thousand pairs). Nothing is printed or written: the checker returns a list of
:class:`Violation` (empty when the assignment is valid).

Soft rules (``preferred``, ``avoided``, ``ignored`` and the weights) are not checked: they shape
the objective, not feasibility.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Literal

from matcher.assignment.programs import (
    Kind,
    Mode,
    ProgramSpec,
    Selector,
    period_index,
    period_length,
)
from matcher.model import Employee, Org, zone

TOLERANCE = 1e-9
"""Slack for float comparisons (overlap hours, periods measured in fractions of a quarter)."""

RULES: frozenset[str] = frozenset(
    {
        # who may be paired at all
        "seeker",
        "provider",
        "self",
        "duplicate",
        # loads
        "capacity",
        "per_seeker",
        "min_load",
        "max_same_team_per_provider",
        # listed pairs
        "never",
        "must",
        # rules about one pair
        "same_team",
        "same_department",
        "same_location",
        "same_manager",
        "reporting_line",
        "shared_language",
        "min_level_gap",
        "max_level_gap",
        "min_overlap_hours",
        "no_repeat_periods",
    }
)
"""Every rule a :class:`Violation` can name, besides ``same_<column>`` for extra columns."""

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
                Selector(flags=["isolated", "peripheral"], roles=["peer_support_consent"]),
                Selector(roles=["support_request"]),
            ]
        ),
        "providers": Selector(roles=["peer_supporter"]),
    },
    Kind.PEER: {"seekers": Selector(roles=["peer"]), "providers": Selector(roles=["peer"])},
}
"""What an empty top-level selector means, per kind and side."""

_INTEGER = re.compile(r"\s*\+?[0-9]+(\.0*)?\s*")


@dataclass(frozen=True)
class Violation:
    """One broken hard rule.

    ``rule`` is a name from :data:`RULES` or ``same_<column>``; ``seeker_id`` and
    ``provider_id`` locate it when it concerns one person or one pair (``None`` otherwise).
    """

    rule: str
    seeker_id: str | None
    provider_id: str | None
    message: str


@dataclass(frozen=True)
class HistoryPair:
    """A past pairing; ``kind`` ``None`` (imported history without a kind) matches every kind."""

    kind: str | None
    seeker_id: str
    provider_id: str
    period: str


def _as_date(value: dt.date) -> dt.date:
    # A datetime is a date too (Org.as_of is one): take its own calendar date.
    return value.date() if isinstance(value, dt.datetime) else value


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
        Analysis flags (``isolated``, ``peripheral`` …) by employee id; missing ids have none.
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
    as_of = _as_date(as_of)
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


def _utc_window(person: Employee, on: dt.date) -> tuple[float, float]:
    """The person's working window on ``on`` as UTC hours of that day (may leave 0–24)."""
    start, end = person.work_start, person.work_end
    if end <= start:
        end += 24  # a night window ends the next day
    offset = 0.0
    if person.timezone is not None:
        noon = dt.datetime.combine(on, dt.time(12), tzinfo=zone(person.timezone))
        delta = noon.utcoffset()
        offset = 0.0 if delta is None else delta.total_seconds() / 3600
    return start - offset, end - offset


def working_overlap_hours(a: Employee, b: Employee, on: dt.date) -> float:
    """Return the hours the working windows of ``a`` and ``b`` overlap on the day ``on``.

    Parameters
    ----------
    a, b : Employee
        The two people; ``work_start``, ``work_end`` and ``timezone`` are used.
    on : datetime.date
        The day whose UTC offsets apply (daylight saving time is taken on this day).

    Returns
    -------
    float
        Overlap in hours, between 0 and 24.

    Notes
    -----
    Each window is ``[work_start, work_end)`` in local hours, ending the next day when
    ``work_end <= work_start`` (so 9–9 lasts 24 hours and 24–0 none), and moved to UTC by subtracting the zone's UTC offset at 12:00
    local time on ``on`` (no zone: UTC). The overlap is the longest intersection of one window
    with the other shifted by -24, 0 or +24 hours, so windows that straddle midnight UTC in
    different places still meet.

    Examples
    --------
    >>> import datetime as dt
    >>> berlin = Employee(id="A", timezone="Europe/Berlin")
    >>> new_york = Employee(id="B", timezone="America/New_York")
    >>> working_overlap_hours(berlin, new_york, dt.date(2026, 10, 1))
    2.0
    >>> working_overlap_hours(berlin, new_york, dt.date(2026, 10, 28))  # only Berlin left DST
    3.0
    """
    on = _as_date(on)
    a_start, a_end = _utc_window(a, on)
    b_start, b_end = _utc_window(b, on)
    best = 0.0
    for shift in (-24.0, 0.0, 24.0):
        best = max(best, min(a_end, b_end + shift) - max(a_start, b_start + shift))
    return best


def _filled(value: str | None) -> bool:
    return value is not None and value != ""


def _same(a: str | None, b: str | None) -> bool:
    return _filled(a) and _filled(b) and a == b


def _chain(person_id: str, manager_of: Mapping[str, str | None]) -> list[str]:
    """The managers above ``person_id``, nearest first (stops at a repeat, should data cycle)."""
    chain: list[str] = []
    current = manager_of.get(person_id)
    while current and current not in chain and current != person_id:
        chain.append(current)
        current = manager_of.get(current)
    return chain


_MEANING = {
    "same_team": "in the same team",
    "same_department": "in the same department",
    "same_location": "in the same location",
    "same_manager": "under the same manager",
    "reporting_line": "in one reporting line (one manages the other, directly or not)",
    "shared_language": "sharing a language",
}


def _holds(rule: str, column: str | None, org: Org, seeker: Employee, provider: Employee) -> bool:
    """Whether the yes/no ``rule`` holds for the pair; ``column`` is set for ``same_<column>``."""
    if column is not None:
        return _same(seeker.attributes.get(column), provider.attributes.get(column))
    if rule == "same_team":
        return _same(seeker.team, provider.team)
    if rule == "same_department":
        return _same(seeker.department, provider.department)
    if rule == "same_location":
        return _same(seeker.location, provider.location)
    if rule == "same_manager":
        return _same(seeker.manager_id, provider.manager_id)
    if rule == "reporting_line":
        return provider.id in _chain(seeker.id, org.manager_of) or seeker.id in _chain(
            provider.id, org.manager_of
        )
    if rule == "shared_language":
        spoken = {language.casefold() for language in seeker.languages}
        return any(language.casefold() in spoken for language in provider.languages)
    raise AssertionError(f"unknown yes/no rule {rule!r}")


def _yes_no_rules(spec: ProgramSpec) -> list[tuple[str, str | None, Mode]]:
    """``(rule, column, mode)`` for every yes/no rule that is hard (required or forbidden)."""
    rules = spec.rules
    every: list[tuple[str, str | None, Mode]] = [
        ("same_team", None, rules.same_team),
        ("same_department", None, rules.same_department),
        ("same_location", None, rules.same_location),
        ("same_manager", None, rules.same_manager),
        ("reporting_line", None, rules.reporting_line),
        ("shared_language", None, rules.shared_language),
    ]
    every += [(f"same_{column}", column, mode) for column, mode in rules.same.items()]
    return [rule for rule in every if rule[2] in (Mode.REQUIRED, Mode.FORBIDDEN)]


def _pair_violations(
    spec: ProgramSpec,
    org: Org,
    seeker: Employee,
    provider: Employee,
    recent: Mapping[frozenset[str], list[str]],
    as_of: dt.date,
) -> list[Violation]:
    """The hard pair rules that ``(seeker, provider)`` breaks."""
    s, p = seeker.id, provider.id
    found = []
    for rule, column, mode in _yes_no_rules(spec):
        holds = _holds(rule, column, org, seeker, provider)
        what = _MEANING.get(rule, f"equal in column {column!r}")
        if mode == Mode.REQUIRED and not holds:
            found.append(
                Violation(
                    rule, s, p, f"{s} and {p} are not {what}, which {rule} = required demands"
                )
            )
        elif mode == Mode.FORBIDDEN and holds:
            found.append(
                Violation(rule, s, p, f"{s} and {p} are {what}, which {rule} = forbidden excludes")
            )
    rules = spec.rules
    for rule, bound in (
        ("min_level_gap", rules.min_level_gap),
        ("max_level_gap", rules.max_level_gap),
    ):
        if bound is None:
            continue
        if seeker.level is None or provider.level is None:
            found.append(
                Violation(rule, s, p, f"{rule} {bound} needs both levels; {s} or {p} has none")
            )
            continue
        gap = provider.level - seeker.level
        if (rule == "min_level_gap" and gap < bound) or (rule == "max_level_gap" and gap > bound):
            found.append(
                Violation(
                    rule,
                    s,
                    p,
                    f"provider {p} (level {provider.level}) minus seeker {s} (level {seeker.level}) is {gap}, {rule} is {bound}",
                )
            )
    if rules.min_overlap_hours is not None:
        hours = working_overlap_hours(seeker, provider, as_of)
        if hours < rules.min_overlap_hours - TOLERANCE:
            found.append(
                Violation(
                    "min_overlap_hours",
                    s,
                    p,
                    f"{s} and {p} overlap {hours:g} working hours on {as_of}, at least {rules.min_overlap_hours:g} required",
                )
            )
    periods = recent.get(frozenset((s, p)))
    if periods:
        found.append(
            Violation(
                "no_repeat_periods",
                s,
                p,
                f"{s} and {p} were already paired in {', '.join(periods)} (within {rules.no_repeat_periods} periods of {spec.period})",
            )
        )
    return found


def _recent_pairs(
    spec: ProgramSpec, history: Sequence[HistoryPair]
) -> dict[frozenset[str], list[str]]:
    """Past pairings of this kind that ``no_repeat_periods`` forbids, unordered, with their periods."""
    window = spec.rules.no_repeat_periods
    recent: dict[frozenset[str], list[str]] = defaultdict(list)
    if window is None:
        return recent
    now, unit = period_index(spec.period), period_length(spec.period)
    for past in history:
        if past.kind is not None and past.kind != spec.kind.value:
            continue
        ago = (now - period_index(past.period)) / unit
        if -TOLERANCE <= ago <= window + TOLERANCE:
            key = frozenset((past.seeker_id, past.provider_id))
            if past.period not in recent[key]:
                recent[key].append(past.period)
    return recent


def _membership(
    spec: ProgramSpec,
    pairs: Sequence[tuple[str, str]],
    people: Mapping[str, Employee],
    seekers: AbstractSet[str],
    providers: AbstractSet[str],
) -> list[Violation]:
    """Each pair joins a seeker and a provider of the program, two different people, once."""
    found = []
    seen: set[tuple[str, str]] = set()
    for s, p in pairs:
        if (s, p) in seen:
            found.append(Violation("duplicate", s, p, f"pair ({s}, {p}) is listed more than once"))
            continue
        seen.add((s, p))
        for rule, who, side in (("seeker", s, seekers), ("provider", p, providers)):
            if who in side:
                continue
            why = (
                "is not an employee (or has opted out)" if who not in people else f"is not a {rule}"
            )
            found.append(Violation(rule, s, p, f"{who} {why} of program {spec.name!r}"))
        if s == p:
            found.append(Violation("self", s, p, f"{s} is paired with themselves"))
    return found


def _loads(
    spec: ProgramSpec,
    pairs: Sequence[tuple[str, str]],
    people: Mapping[str, Employee],
    providers: AbstractSet[str],
    capacity: Mapping[str, int],
) -> list[Violation]:
    """Capacities, per-seeker counts, minimum loads and the per-team cap of each provider."""
    taken: dict[str, list[str]] = defaultdict(list)
    served: dict[str, list[str]] = defaultdict(list)
    for s, p in pairs:
        taken[p].append(s)
        served[s].append(p)
    found = []
    for p in sorted(providers):
        load = len(taken.get(p, []))
        if load > capacity[p]:
            found.append(
                Violation(
                    "capacity",
                    None,
                    p,
                    f"provider {p} has {load} seekers, capacity {capacity[p]}: {', '.join(taken[p])}",
                )
            )
        if spec.capacity.min > 0 and load < spec.capacity.min:
            below = f" (their capacity is {capacity[p]})" if capacity[p] < spec.capacity.min else ""
            found.append(
                Violation(
                    "min_load",
                    None,
                    p,
                    f"provider {p} has {load} seekers, at least {spec.capacity.min} required{below}",
                )
            )
    for s, assigned in served.items():
        if len(assigned) > spec.per_seeker:
            found.append(
                Violation(
                    "per_seeker",
                    s,
                    None,
                    f"seeker {s} has {len(assigned)} providers, at most {spec.per_seeker}: {', '.join(assigned)}",
                )
            )
    cap = spec.rules.max_same_team_per_provider
    if cap is not None:
        for p, seekers in taken.items():
            by_team: dict[str, list[str]] = defaultdict(list)
            for s in seekers:
                team = people[s].team if s in people else None
                if team:
                    by_team[team].append(s)
            for team, members in by_team.items():
                if len(members) > cap:
                    found.append(
                        Violation(
                            "max_same_team_per_provider",
                            None,
                            p,
                            f"provider {p} has {len(members)} seekers from team {team!r}, at most {cap}: {', '.join(members)}",
                        )
                    )
    return found


def _listed_pairs(
    spec: ProgramSpec,
    assigned: AbstractSet[tuple[str, str]],
    seekers: AbstractSet[str],
    providers: AbstractSet[str],
) -> list[Violation]:
    """``pairs.never`` are absent in both orientations; ``pairs.must`` are present."""
    found = []
    for a, b in spec.pairs.never:
        for s, p in ((a, b), (b, a)) if a != b else ((a, b),):
            if (s, p) in assigned:
                found.append(
                    Violation("never", s, p, f"pair ({a}, {b}) is listed as never but assigned")
                )
    for a, b in spec.pairs.must:
        s, p = (a, b) if a in seekers and b in providers else (b, a)
        if (s, p) not in assigned:
            found.append(
                Violation(
                    "must",
                    s,
                    p,
                    f"pair ({a}, {b}) is listed as must but ({s}, {p}) is not assigned",
                )
            )
    return found


def check_assignment(
    spec: ProgramSpec,
    org: Org,
    pairs: Sequence[tuple[str, str]],
    *,
    flags: Mapping[str, AbstractSet[str]],
    history: Sequence[HistoryPair] = (),
    as_of: dt.date,
) -> list[Violation]:
    """Return every hard rule of ``spec`` that the assignment ``pairs`` breaks.

    Parameters
    ----------
    spec : ProgramSpec
        The program.
    org : Org
        The organisation (opted-out people already removed; ``org.manager_of`` keeps them).
    pairs : sequence of (seeker_id, provider_id)
        The assignment.
    flags : Mapping[str, set[str]]
        Analysis flags by employee id, used by selectors.
    history : sequence of HistoryPair
        Past pairings, for ``no_repeat_periods``.
    as_of : datetime.date
        The day tenures and working-hour overlaps are measured on.

    Returns
    -------
    list[Violation]
        Empty when the assignment is valid; otherwise in a stable order: membership of each
        pair, loads, listed pairs, then the pair rules of each distinct pair in input order.

    Raises
    ------
    ValueError
        When a history period is malformed.

    Notes
    -----
    With ``S`` the selected seekers, ``P`` the selected providers and ``x[s, p]`` the pairs:
    every pair is in ``S × P`` with ``s != p`` and is listed once; ``Σ_s x[s, p] <= cap(p)``
    and, when ``capacity.min > 0``, ``Σ_s x[s, p] >= capacity.min`` for every ``p`` in ``P``;
    ``Σ_p x[s, p] <= per_seeker``; per provider, at most ``max_same_team_per_provider``
    seekers of any one non-empty team; ``never`` pairs absent in both orientations; each
    ``must`` pair ``[a, b]`` present as ``(a, b)`` when ``a ∈ S`` and ``b ∈ P``, else as
    ``(b, a)``. Each pair meets every ``required`` yes/no rule, no ``forbidden`` one, the level
    gaps, the working-hour overlap (``>= h - 1e-9``) and ``no_repeat_periods``. Pair rules are
    checked only when both ids are employees and differ. Counts use distinct pairs.

    Examples
    --------
    >>> import datetime as dt
    >>> from matcher.model import Employee, Org
    >>> spec = ProgramSpec.model_validate(
    ...     {"name": "m", "kind": "mentor", "period": "2026Q4", "rules": {"same_team": "forbidden"}})
    >>> org = Org([Employee(id="A", roles="mentee", team="x"), Employee(id="B", roles="mentor", team="x")])
    >>> check_assignment(spec, org, [], flags={}, as_of=dt.date(2026, 10, 1))
    []
    >>> [v.rule for v in check_assignment(spec, org, [("A", "B")], flags={}, as_of=dt.date(2026, 10, 1))]
    ['same_team']
    """
    as_of = _as_date(as_of)
    pairs = [(str(s), str(p)) for s, p in pairs]
    people = {person.id: person for person in org.employees}
    if spec.kind is Kind.PEER:
        return _check_peers(spec, org, pairs, people, flags, history, as_of)
    seekers = select(spec.seekers, spec.kind, "seekers", org, flags, as_of)
    providers = select(spec.providers, spec.kind, "providers", org, flags, as_of)
    capacity = capacities(spec, org, providers)
    distinct = list(dict.fromkeys(pairs))
    found = _membership(spec, pairs, people, seekers, providers)
    found += _loads(spec, distinct, people, providers, capacity)
    found += _listed_pairs(spec, set(distinct), seekers, providers)
    recent = _recent_pairs(spec, history)
    for s, p in distinct:
        if s != p and s in people and p in people:
            found += _pair_violations(spec, org, people[s], people[p], recent, as_of)
    return found


def _check_peers(
    spec: ProgramSpec,
    org: Org,
    pairs: list[tuple[str, str]],
    people: Mapping[str, Employee],
    flags: Mapping[str, AbstractSet[str]],
    history: Sequence[HistoryPair],
    as_of: dt.date,
) -> list[Violation]:
    """A peer program: unordered pairs within one group, each person in at most ``capacity``
    pairs (and at least ``capacity.min``), every rule holding in both directions."""
    group = select(spec.seekers, spec.kind, "seekers", org, flags, as_of)
    capacity = capacities(spec, org, group)
    found = []
    seen: set[frozenset[str]] = set()
    count: dict[str, int] = defaultdict(int)
    for a, b in pairs:
        key = frozenset((a, b))
        if key in seen:
            found.append(Violation("duplicate", a, b, f"pair ({a}, {b}) is listed more than once"))
            continue
        seen.add(key)
        if a == b:
            found.append(Violation("self", a, b, f"{a} is paired with themselves"))
            continue
        for who in (a, b):
            if who not in group:
                why = "is not an employee (or has opted out)" if who not in people else "is not in"
                found.append(Violation("seeker", a, b, f"{who} {why} the group of {spec.name!r}"))
            count[who] += 1
    for person in sorted(group):
        if count[person] > capacity[person]:
            found.append(
                Violation(
                    "capacity",
                    person,
                    None,
                    f"{person} is in {count[person]} pairs, capacity {capacity[person]}",
                )
            )
        if spec.capacity.min > 0 and count[person] < spec.capacity.min:
            found.append(
                Violation(
                    "min_load",
                    person,
                    None,
                    f"{person} is in {count[person]} pairs, at least {spec.capacity.min} required",
                )
            )
    for a, b in spec.pairs.never:
        if frozenset((a, b)) in seen:
            found.append(
                Violation("never", a, b, f"pair ({a}, {b}) is listed as never but assigned")
            )
    for a, b in spec.pairs.must:
        if frozenset((a, b)) not in seen:
            found.append(
                Violation("must", a, b, f"pair ({a}, {b}) is listed as must but not assigned")
            )
    recent = _recent_pairs(spec, history)
    for key in seen:
        if len(key) != 2 or not key <= people.keys():
            continue
        a, b = sorted(key)
        for x, y in ((a, b), (b, a)):
            found += _pair_violations(spec, org, people[x], people[y], recent, as_of)
    return found
