"""The checker's entry point: every hard rule an assignment breaks, for any program kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from matcher.assignment.checks.pair_rules import pair_violations, recent_pairs
from matcher.assignment.checks.peer import check_peers
from matcher.assignment.checks.selection import capacities, select
from matcher.assignment.checks.two_sided import (
    listed_pair_violations,
    load_violations,
    membership_violations,
)
from matcher.assignment.checks.violations import HistoryPair, Violation, as_date
from matcher.assignment.programs import Kind, ProgramSpec
from matcher.model import Org


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
    as_of = as_date(as_of)
    pairs = [(str(s), str(p)) for s, p in pairs]
    people = {person.id: person for person in org.employees}
    if spec.kind is Kind.PEER:
        return check_peers(spec, org, pairs, people, flags, history, as_of)
    seekers = select(spec.seekers, spec.kind, "seekers", org, flags, as_of)
    providers = select(spec.providers, spec.kind, "providers", org, flags, as_of)
    capacity = capacities(spec, org, providers)
    distinct = list(dict.fromkeys(pairs))
    found = membership_violations(spec, pairs, people, seekers, providers)
    found += load_violations(spec, distinct, people, providers, capacity)
    found += listed_pair_violations(spec, set(distinct), seekers, providers)
    recent = recent_pairs(spec, history)
    for s, p in distinct:
        if s != p and s in people and p in people:
            found += pair_violations(spec, org, people[s], people[p], recent, as_of)
    return found
