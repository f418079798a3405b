"""Pairs fixed before solving: the program's must and never pairs, and the pairs committed
earlier in the same program and period (``--incremental``), as positions into the problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matcher.assignment.population import Population
from matcher.assignment.programs import Kind, ProgramSpec
from matcher.errors import ConfigError


@dataclass
class Sides:
    """Seekers and providers (org indices) with what they have left after the committed pairs.

    ``supply``: pairs each seeker may still get; ``capacity``: seekers each provider may still
    take; ``prior_load``: committed pairs per provider; ``prior_team_load``: committed pairs per
    (provider position, seeker team); ``full_before``: each person the committed pairs fill,
    with their partners; ``notes``: what the summary should say about them.
    """

    seekers: np.ndarray
    providers: np.ndarray
    capacity: np.ndarray
    supply: np.ndarray
    prior_load: np.ndarray
    prior_team_load: dict[tuple[int, int], int] = field(default_factory=dict)
    full_before: dict[int, list[int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def commit_prior(
    prior_pairs: set[tuple[int, int]],
    pop: Population,
    seekers: np.ndarray,
    providers: np.ndarray,
    capacity: np.ndarray,
    supply: np.ndarray,
    *,
    peer: bool,
) -> Sides:
    """Take the committed ``prior_pairs`` (from :func:`prior_positions`) off the capacities and
    supplies, and drop the seekers (for peers: the people) they already fill."""
    sides = Sides(seekers, providers, capacity, supply, np.zeros(len(providers), dtype=np.int64))
    if not prior_pairs:
        return sides
    prior_load, full_before = sides.prior_load, sides.full_before
    seeker_at = {int(i): k for k, i in enumerate(seekers)}
    provider_at = {int(i): k for k, i in enumerate(providers)}
    for a, b in sorted(prior_pairs):
        if peer:
            # a peer pair uses one unit of each person's capacity
            for person, partner in ((a, b), (b, a)):
                if person in provider_at:
                    prior_load[provider_at[person]] += 1
                    full_before.setdefault(person, []).append(partner)
            continue
        if a in seeker_at:
            supply[seeker_at[a]] -= 1
            full_before.setdefault(a, []).append(b)
        if b in provider_at:
            prior_load[provider_at[b]] += 1
            key = (provider_at[b], int(pop.team[a]))
            sides.prior_team_load[key] = sides.prior_team_load.get(key, 0) + 1
    over = np.flatnonzero(prior_load > capacity)
    if len(over):
        sides.notes.append(
            f"{len(over)} provider(s) already hold more committed pairs this period than their "
            f"capacity (e.g. {pop.ids[providers[over[0]]]}: {prior_load[over[0]]} of "
            f"{capacity[over[0]]}): they take no one new"
        )
    capacity = np.maximum(capacity - prior_load, 0)
    if peer:
        keep = (capacity > 0) | (prior_load == 0)  # drop only those the committed pairs fill
        sides.seekers, sides.providers = seekers[keep], providers[keep]
        sides.capacity, sides.prior_load = capacity[keep], prior_load[keep]
        sides.supply = sides.capacity.copy()
    else:
        keep = supply > 0
        sides.seekers, sides.supply, sides.capacity = seekers[keep], supply[keep], capacity
    still_open = set(sides.seekers.tolist())
    sides.full_before = {a: bs for a, bs in full_before.items() if a not in still_open}
    return sides


def prior_positions(
    prior: Sequence[tuple[str, str]], pop: Population, peer: bool
) -> set[tuple[int, int]]:
    """Distinct committed pairs as org indices; unordered (smaller index first) for peers."""
    out: set[tuple[int, int]] = set()
    for seeker_id, provider_id in prior:
        a, b = pop.org.index.get(seeker_id), pop.org.index.get(provider_id)
        if a is None or b is None or a == b:
            continue
        out.add((min(a, b), max(a, b)) if peer else (a, b))
    return out


def must_positions(
    spec: ProgramSpec,
    pop: Population,
    seeker_position: np.ndarray,
    provider_position: np.ndarray,
    prior_pairs: set[tuple[int, int]],
    full_before: dict[int, list[int]],
    conflicts: list[str],
    *,
    selected: tuple[set[int], set[int]] = (set(), set()),
    remaining: np.ndarray | None = None,
) -> tuple[list[tuple[int, int]], int]:
    """Distinct must pairs as positions, less those already committed this period.

    A must pair ``(a, b)`` is ``a`` the seeker and ``b`` the provider when the selectors allow
    it, else the other way round (as the independent checker reads it; ``selected``: the
    seekers and providers before the committed pairs were taken off). It is already committed
    only in that orientation. A must pair whose seeker the committed pairs already fully
    serve, or whose provider they fill (``remaining``: capacity left per provider position),
    cannot hold: it is added to ``conflicts``. Returns the positions and how many must pairs
    were already committed.
    """
    peer = spec.kind in (Kind.PEER, Kind.CIRCLE)
    wanted: list[tuple[str, str]] = []
    done = 0
    for a, b in dict.fromkeys((a, b) for a, b in spec.pairs.must):
        ia, ib = pop.org.index.get(a), pop.org.index.get(b)
        if ia is None or ib is None:
            wanted.append((a, b))
            continue
        if peer:
            if (min(ia, ib), max(ia, ib)) in prior_pairs:
                done += 1
            elif not _seeker_full(spec, pop, ia, ib, full_before, conflicts, peer=True):
                wanted.append((a, b))
            continue
        s, p = (ia, ib) if ia in selected[0] and ib in selected[1] else (ib, ia)
        if (s, p) in prior_pairs:
            done += 1
        elif s in full_before and provider_position[p] >= 0:
            _seeker_full(spec, pop, s, p, full_before, conflicts, peer=False)
        elif (
            remaining is not None
            and provider_position[p] >= 0
            and remaining[provider_position[p]] == 0
            and any(q == p for _, q in prior_pairs)
        ):
            given = ", ".join(sorted(pop.ids[r] for r, q in prior_pairs if q == p))
            conflicts.append(
                f"pairs.must ({pop.ids[s]}, {pop.ids[p]}) cannot hold: {pop.ids[p]} already has "
                f"the committed pair(s) this period that fill their capacity ({given}); withdraw "
                "that run or drop the must pair"
            )
        else:
            wanted.append((a, b))
    positions = pair_positions(spec, wanted, pop, seeker_position, provider_position, both=False)
    return list(dict.fromkeys(positions)), done


def _seeker_full(
    spec: ProgramSpec,
    pop: Population,
    ia: int,
    ib: int,
    full_before: dict[int, list[int]],
    conflicts: list[str],
    *,
    peer: bool,
) -> bool:
    """Whether the committed pairs already fill one side of a must pair (recorded as a
    conflict); for peers either person may be the full one."""
    for s, p in ((ia, ib), (ib, ia)) if peer else ((ia, ib),):
        if s in full_before:
            given = ", ".join(pop.ids[q] for q in full_before[s])
            limit = "capacity" if peer else f"per_seeker ({spec.per_seeker})"
            conflicts.append(
                f"pairs.must ({pop.ids[s]}, {pop.ids[p]}) cannot hold: {pop.ids[s]} already "
                f"has the committed pair(s) this period that fill their {limit} "
                f"({given}); withdraw that run or drop the must pair"
            )
            return True
    return False


def pair_positions(
    spec: ProgramSpec,
    pairs: list[tuple[str, str]],
    pop: Population,
    seeker_position: np.ndarray,
    provider_position: np.ndarray,
    *,
    both: bool,
) -> list[tuple[int, int]]:
    """Positions of listed pairs as (seeker, provider), trying ``[a, b]`` then ``[b, a]``."""
    out: list[tuple[int, int]] = []
    label = "never" if both else "must"
    for a, b in pairs:
        for name in (a, b):
            if name not in pop.org.index:
                raise ConfigError(
                    f"program {spec.name!r}: pairs.{label} names {name!r}, who is not an employee (or opted out)"
                )
        ia, ib = pop.org.index[a], pop.org.index[b]
        found = False
        for s, p in ((ia, ib), (ib, ia)):
            if seeker_position[s] >= 0 and provider_position[p] >= 0:
                out.append((int(seeker_position[s]), int(provider_position[p])))
                found = True
                if not both:
                    break
        if not found and not both:
            raise ConfigError(
                f"program {spec.name!r}: pairs.must [{a!r}, {b!r}] is not a seeker–provider pair of this program"
            )
    return out
