"""Peer programs: unordered pairs within one group, every rule holding in both directions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from matcher.assignment.checks.pair_rules import pair_violations, recent_pairs
from matcher.assignment.checks.selection import capacities, select
from matcher.assignment.checks.violations import HistoryPair, Violation
from matcher.assignment.programs import ProgramSpec
from matcher.model import Employee, Org


def check_peers(
    spec: ProgramSpec,
    org: Org,
    pairs: Sequence[tuple[str, str]],
    people: Mapping[str, Employee],
    flags: Mapping[str, AbstractSet[str]],
    history: Sequence[HistoryPair],
    as_of: dt.date,
) -> list[Violation]:
    """The hard rules of the peer program ``spec`` that ``pairs`` break.

    Each person of the group (its ``seekers`` selector) is in at most ``capacity`` pairs and at
    least ``capacity.min``; each unordered pair is listed once and joins two members; ``never``
    pairs are absent, ``must`` pairs present; every pair rule holds in both directions.
    ``people`` maps the ids of ``org.employees``; ``as_of`` is a date (not a datetime).
    """
    group = select(spec.seekers, spec.kind, "seekers", org, flags, as_of)
    capacity = capacities(spec, org, group)
    seen: set[frozenset[str]] = set()
    count: dict[str, int] = defaultdict(int)
    found = _membership(spec, pairs, people, group, seen, count)
    found += _loads(spec, group, capacity, count)
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
    recent = recent_pairs(spec, history)
    for key in seen:
        if len(key) != 2 or not key <= people.keys():
            continue
        a, b = sorted(key)
        for x, y in ((a, b), (b, a)):
            found += pair_violations(spec, org, people[x], people[y], recent, as_of)
    return found


def _membership(
    spec: ProgramSpec,
    pairs: Sequence[tuple[str, str]],
    people: Mapping[str, Employee],
    group: AbstractSet[str],
    seen: set[frozenset[str]],
    count: dict[str, int],
) -> list[Violation]:
    """Duplicates, self-pairs and people outside the group; fills ``seen`` (the distinct
    unordered pairs) and ``count`` (pairs per person) as it goes."""
    found = []
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
    return found


def _loads(
    spec: ProgramSpec,
    group: AbstractSet[str],
    capacity: Mapping[str, int],
    count: Mapping[str, int],
) -> list[Violation]:
    """Each member's pairs within their capacity and at least ``capacity.min``."""
    found = []
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
    return found
