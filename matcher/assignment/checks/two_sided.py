"""Seeker–provider programs: who is in each pair, the loads on both sides, the listed pairs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from matcher.assignment.checks.violations import Violation
from matcher.assignment.programs import ProgramSpec
from matcher.model import Employee


def membership_violations(
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


def load_violations(
    spec: ProgramSpec,
    pairs: Sequence[tuple[str, str]],
    people: Mapping[str, Employee],
    providers: AbstractSet[str],
    capacity: Mapping[str, int],
) -> list[Violation]:
    """Capacities, minimum loads, per-seeker counts and the per-team cap of each provider.

    ``pairs`` are distinct; ``capacity`` holds every id of ``providers``.
    """
    taken: dict[str, list[str]] = defaultdict(list)
    served: dict[str, list[str]] = defaultdict(list)
    for s, p in pairs:
        taken[p].append(s)
        served[s].append(p)
    found = _provider_loads(spec, taken, providers, capacity)
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
    return found + _team_caps(spec, taken, people)


def _provider_loads(
    spec: ProgramSpec,
    taken: Mapping[str, list[str]],
    providers: AbstractSet[str],
    capacity: Mapping[str, int],
) -> list[Violation]:
    """Each provider's seekers (``taken``) within its capacity and at least ``capacity.min``."""
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
    return found


def _team_caps(
    spec: ProgramSpec, taken: Mapping[str, list[str]], people: Mapping[str, Employee]
) -> list[Violation]:
    """At most ``max_same_team_per_provider`` seekers of one non-empty team per provider."""
    cap = spec.rules.max_same_team_per_provider
    if cap is None:
        return []
    found = []
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


def listed_pair_violations(
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
