"""The rules about one pair: yes/no rules, level gaps, working-hour overlap and repeats.

Re-derived from the program-file contract for one ``(seeker, provider)`` at a time, in plain
Python: nothing is shared with :mod:`matcher.assignment.rules` or
:mod:`matcher.assignment.repeats`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

from matcher.assignment.checks.violations import TOLERANCE, HistoryPair, Violation, as_date
from matcher.assignment.programs import Mode, ProgramSpec, period_index, period_length
from matcher.model import Employee, Org, zone


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
    on = as_date(on)
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


def _yes_no_violations(
    spec: ProgramSpec, org: Org, seeker: Employee, provider: Employee
) -> list[Violation]:
    """The ``required`` yes/no rules the pair fails and the ``forbidden`` ones it meets."""
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
    return found


def _level_gap_violations(
    spec: ProgramSpec, seeker: Employee, provider: Employee
) -> list[Violation]:
    """``min_level_gap`` and ``max_level_gap`` on the provider's level minus the seeker's."""
    s, p = seeker.id, provider.id
    found = []
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
    return found


def pair_violations(
    spec: ProgramSpec,
    org: Org,
    seeker: Employee,
    provider: Employee,
    recent: Mapping[frozenset[str], list[str]],
    as_of: dt.date,
) -> list[Violation]:
    """The hard pair rules that ``(seeker, provider)`` breaks.

    In this order: the yes/no rules, the level gaps, ``min_overlap_hours`` (on ``as_of``), then
    ``no_repeat_periods`` (``recent``, from :func:`recent_pairs`).
    """
    s, p = seeker.id, provider.id
    found = _yes_no_violations(spec, org, seeker, provider)
    found += _level_gap_violations(spec, seeker, provider)
    rules = spec.rules
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


def recent_pairs(
    spec: ProgramSpec, history: Sequence[HistoryPair]
) -> dict[frozenset[str], list[str]]:
    """Past pairings of this kind that ``no_repeat_periods`` forbids, unordered, with their
    periods; with ``no_repeat_counts = "met"``, pairings found not to have met do not count."""
    window = spec.rules.no_repeat_periods
    recent: dict[frozenset[str], list[str]] = defaultdict(list)
    if window is None:
        return recent
    now, unit = period_index(spec.period), period_length(spec.period)
    for past in history:
        if past.kind is not None and past.kind != spec.kind.value:
            continue
        if spec.rules.no_repeat_counts == "met" and past.met is False:
            continue
        ago = (now - period_index(past.period)) / unit
        if -TOLERANCE <= ago <= window + TOLERANCE:
            key = frozenset((past.seeker_id, past.provider_id))
            if past.period not in recent[key]:
                recent[key].append(past.period)
    return recent
