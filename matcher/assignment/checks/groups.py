"""Circles and rounds: groups of people, once per round, every pair rule holding pairwise.

Re-derived from the program-file contract (``kind = "circle"``, ``rounds``, the group rules)
in plain loops over rounds, groups and pairs: nothing is shared with
:mod:`matcher.assignment.groups` or the solver.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from matcher.assignment.checks.pair_rules import pair_violations, recent_pairs
from matcher.assignment.checks.selection import select
from matcher.assignment.checks.violations import TOLERANCE, HistoryPair, Violation, as_date
from matcher.assignment.programs import (
    GroupQuota,
    Kind,
    ProgramSpec,
    Selector,
    period_index,
    period_length,
)
from matcher.model import Org

Rounds = Sequence[Sequence[Sequence[str]]]
"""Per round, the groups as lists of member ids."""


def group_sizes(spec: ProgramSpec) -> tuple[int, int]:
    """The smallest and largest group a program allows: ``group_size`` for circles (default 3
    to 8), exactly two for peer programs."""
    if spec.kind is not Kind.CIRCLE:
        return 2, 2
    if spec.group_size is None:
        return 3, 8
    return spec.group_size.min, spec.group_size.max


def _quota_people(
    quota: GroupQuota, org: Org, flags: Mapping[str, AbstractSet[str]], as_of: dt.date
) -> set[str] | None:
    """Who a quota's selector picks; ``None`` (everyone) when it gives no field."""
    fields = quota.model_dump(exclude={"count"})
    if all(value is None for value in fields.values()):
        return None
    # a non-empty selector is never replaced by the kind's default
    return select(Selector.model_validate(fields), Kind.CIRCLE, "seekers", org, flags, as_of)


def met_before(spec: ProgramSpec, history: Sequence[HistoryPair]) -> set[frozenset[str]]:
    """Pairs ``no_repeat_pairs`` counts as met: committed pairings of the program's kind (or
    without a kind) in a period up to the program's, within ``no_repeat_periods`` when set."""
    window = spec.rules.no_repeat_periods
    now, unit = period_index(spec.period), period_length(spec.period)
    found = set()
    for past in history:
        if past.kind is not None and past.kind != spec.kind.value:
            continue
        ago = (now - period_index(past.period)) / unit
        if ago < -TOLERANCE or (window is not None and ago > window + TOLERANCE):
            continue
        found.add(frozenset((past.seeker_id, past.provider_id)))
    return found


def check_groups(
    spec: ProgramSpec,
    org: Org,
    rounds: Rounds,
    *,
    flags: Mapping[str, AbstractSet[str]],
    history: Sequence[HistoryPair] = (),
    as_of: dt.date,
) -> list[Violation]:
    """Return every hard rule of a circle (or a peer program over rounds) that ``rounds`` break.

    Parameters
    ----------
    spec : ProgramSpec
        The program (``kind = "circle"``, or ``"peer"`` with groups of two).
    org : Org
        The organisation.
    rounds : sequence of rounds
        Per round, the groups as lists of member ids.
    flags : Mapping[str, set[str]]
        Analysis flags by employee id, used by selectors.
    history : sequence of HistoryPair
        Committed pairings, for ``no_repeat_periods`` and ``no_repeat_pairs``.
    as_of : datetime.date
        The day tenures and working-hour overlaps are measured on.

    Returns
    -------
    list[Violation]
        Empty when the plan is valid.

    Notes
    -----
    There are ``rounds`` rounds (no more); in each, every member is a selected person and in
    at most one group; a group holds ``group_size.min`` to ``group_size.max`` people (two for
    peers), at most ``max_same_team_per_group`` of any one non-empty team, at least (at most)
    ``count`` people of each ``min_per_group`` (``max_per_group``) selector. Every pair inside a
    group meets each pair rule in both directions; ``never`` pairs share no group; each
    ``must`` pair shares a group in every round. With ``no_repeat_pairs = "required"`` no pair
    shares a group twice, nor one that met before (:func:`met_before`).

    Examples
    --------
    >>> import datetime as dt
    >>> from matcher.model import Employee, Org
    >>> spec = ProgramSpec.model_validate({"name": "c", "kind": "circle", "period": "2026Q4",
    ...     "group_size": {"min": 2, "max": 3}, "rules": {"max_same_team_per_group": 1}})
    >>> org = Org([Employee(id=i, roles="circle", team=t) for i, t in zip("ABC", "xxy")])
    >>> [v.rule for v in check_groups(spec, org, [[["A", "B", "C"]]], flags={},
    ...                               as_of=dt.date(2026, 10, 1))]
    ['max_same_team_per_group']
    """
    as_of = as_date(as_of)
    people = {person.id: person for person in org.employees}
    chosen = select(spec.seekers, spec.kind, "seekers", org, flags, as_of)
    smallest, largest = group_sizes(spec)
    found: list[Violation] = []
    if len(rounds) > spec.rounds:
        found.append(
            Violation("round", None, None, f"{len(rounds)} rounds planned, {spec.rounds} asked")
        )
    quotas = [
        (rule, quota, _quota_people(quota, org, flags, as_of))
        for rule, listed in (
            ("min_per_group", spec.rules.min_per_group),
            ("max_per_group", spec.rules.max_per_group),
        )
        for quota in listed
    ]
    recent = recent_pairs(spec, history)
    before = met_before(spec, history) if spec.rules.no_repeat_pairs == "required" else set()
    meetings: Counter[frozenset[str]] = Counter()
    checked: set[frozenset[str]] = set()
    for number, groups in enumerate(rounds, start=1):
        where: dict[str, int] = {}
        for k, members in enumerate(groups):
            label = f"round {number}, group {k + 1}"
            found += _group_violations(
                spec, members, label, people, chosen, where, k, (smallest, largest), quotas
            )
            for a, b in itertools.combinations(members, 2):
                key = frozenset((a, b))
                meetings[key] += 1
                if a == b or not key <= people.keys():
                    continue
                if key in before:
                    found.append(
                        Violation("no_repeat_pairs", a, b, f"{a} and {b} met before ({label})")
                    )
                if key not in checked:
                    checked.add(key)
                    for x, y in ((a, b), (b, a)):
                        found += pair_violations(spec, org, people[x], people[y], recent, as_of)
        found += _listed_pairs(spec, groups, where, number)
    if spec.rules.no_repeat_pairs == "required":
        for key, times in sorted(meetings.items(), key=lambda item: sorted(item[0])):
            if times > 1:
                a, b = sorted(key)
                found.append(
                    Violation(
                        "no_repeat_pairs", a, b, f"{a} and {b} share a group in {times} rounds"
                    )
                )
    return found


def _group_violations(
    spec: ProgramSpec,
    members: Sequence[str],
    label: str,
    people: Mapping[str, object],
    chosen: AbstractSet[str],
    where: dict[str, int],
    k: int,
    sizes: tuple[int, int],
    quotas: list[tuple[str, GroupQuota, set[str] | None]],
) -> list[Violation]:
    """Membership, size, team cap and quotas of one group; fills ``where`` (member → group)."""
    found = []
    for who in members:
        if who in where:
            found.append(Violation("duplicate", who, None, f"{who} is in two groups ({label})"))
        where[who] = k
        if who not in chosen:
            why = "is not an employee (or has opted out)" if who not in people else "is not in"
            found.append(Violation("seeker", who, None, f"{who} {why} the group of {spec.name!r}"))
    smallest, largest = sizes
    if not smallest <= len(members) <= largest:
        found.append(
            Violation(
                "group_size",
                None,
                None,
                f"{label} has {len(members)} people, group_size is {smallest} to {largest}",
            )
        )
    cap = spec.rules.max_same_team_per_group
    if cap is not None:
        teams: dict[str, int] = defaultdict(int)
        for who in members:
            person = people.get(who)
            team = getattr(person, "team", None)
            if team:
                teams[team] += 1
        for team, count in sorted(teams.items()):
            if count > cap:
                found.append(
                    Violation(
                        "max_same_team_per_group",
                        None,
                        None,
                        f"{label} has {count} people of team {team}, at most {cap} allowed",
                    )
                )
    for rule, quota, picked in quotas:
        count = sum(1 for who in members if picked is None or who in picked)
        if (rule == "min_per_group" and count < quota.count) or (
            rule == "max_per_group" and count > quota.count
        ):
            bound = "at least {} required" if rule == "min_per_group" else "at most {} allowed"
            found.append(
                Violation(
                    rule,
                    None,
                    None,
                    f"{label} has {count} people of {quota.describe()}, "
                    + bound.format(quota.count),
                )
            )
    return found


def _listed_pairs(
    spec: ProgramSpec, groups: Sequence[Sequence[str]], where: Mapping[str, int], number: int
) -> list[Violation]:
    """``never`` pairs share no group; ``must`` pairs share one, in this round."""
    found = []
    for a, b in spec.pairs.never:
        if a in where and where.get(b) == where[a] and a != b:
            found.append(
                Violation("never", a, b, f"pair ({a}, {b}) is listed as never but shares a group")
            )
    for a, b in spec.pairs.must:
        if a not in where or where.get(b) != where[a]:
            found.append(
                Violation(
                    "must",
                    a,
                    b,
                    f"pair ({a}, {b}) is listed as must but shares no group in round {number}",
                )
            )
    return found
