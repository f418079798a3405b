"""Who is a seeker or a provider of a program, and how many seekers each provider may take."""

from __future__ import annotations

import re

import numpy as np

from matcher.analysis.flags import WANTING_CONNECTION
from matcher.assignment.population import Population
from matcher.assignment.programs import (
    Capacity,
    Kind,
    ProgramSpec,
    Selector,
)
from matcher.errors import ConfigError

KIND_DEFAULTS: dict[Kind, dict[str, Selector]] = {
    Kind.BUDDY: {
        "seekers": Selector(hired_within_days=90),
        "providers": Selector(roles=["buddy"], min_tenure_days=180),
    },
    Kind.MENTOR: {"seekers": Selector(roles=["mentee"]), "providers": Selector(roles=["mentor"])},
    Kind.PEER_SUPPORT: {
        "seekers": Selector(
            any_of=[
                Selector(flags=sorted(WANTING_CONNECTION), roles=["peer_support_consent"]),
                Selector(roles=["support_request"]),
            ]
        ),
        "providers": Selector(roles=["peer_supporter"]),
    },
    Kind.PEER: {"seekers": Selector(roles=["peer"]), "providers": Selector()},
    Kind.CIRCLE: {"seekers": Selector(roles=["circle"]), "providers": Selector()},
}


# ------------------------------------------------------------------------------ selection


def _is_empty(selector: Selector) -> bool:
    return all(value is None for value in selector.model_dump().values())


def effective_selector(spec: ProgramSpec, side: str) -> Selector:
    """The program's selector for ``side``, or the kind's default when none is given."""
    selector: Selector = getattr(spec, side)
    return KIND_DEFAULTS[spec.kind][side] if _is_empty(selector) else selector


def select(selector: Selector, pop: Population) -> np.ndarray:
    """Boolean mask of the people ``selector`` matches (fields ANDed, ``any_of`` ORed)."""
    employees = pop.org.employees
    n = len(employees)
    mask = np.ones(n, dtype=bool)
    if selector.roles is not None:
        wanted = {r.lower() for r in selector.roles}
        mask &= np.array(
            [bool(wanted & {r.lower() for r in e.roles}) for e in employees], dtype=bool
        )
    if selector.min_tenure_days is not None:
        mask &= np.nan_to_num(pop.tenure, nan=-1) >= selector.min_tenure_days
    if selector.hired_within_days is not None:
        tenure = np.nan_to_num(pop.tenure, nan=-1)
        mask &= (tenure >= 0) & (tenure <= selector.hired_within_days)
    if selector.flags is not None:
        flags = set(selector.flags)
        mask &= np.array([bool(flags & f) for f in pop.flags], dtype=bool)
    if selector.says_no_one is not None:
        if pop.says_no_one is None:
            raise ConfigError(
                "the selector says_no_one picks people by what they said in a survey: give the "
                "analysis one ([data] survey, --survey, or analyze --survey before --analysis)"
            )
        mask &= pop.says_no_one == selector.says_no_one
    for values, attribute in (
        (selector.ids, "id"),
        (selector.teams, "team"),
        (selector.departments, "department"),
        (selector.locations, "location"),
    ):
        if values is not None:
            allowed = set(values)
            mask &= np.array([getattr(e, attribute) in allowed for e in employees], dtype=bool)
    if selector.min_level is not None:
        mask &= np.nan_to_num(pop.level, nan=-np.inf) >= selector.min_level
    if selector.max_level is not None:
        mask &= np.nan_to_num(pop.level, nan=np.inf) <= selector.max_level
    if selector.exclude_ids is not None:
        excluded = set(selector.exclude_ids)
        mask &= np.array([e.id not in excluded for e in employees], dtype=bool)
    if selector.any_of is not None:
        either = np.zeros(n, dtype=bool)
        for option in selector.any_of:
            either |= select(option, pop)
        mask &= either
    return mask


MAX_CAPACITY = 1_000_000
"""The largest capacity a cell may give (more is surely a typo, and keeps flows in range)."""

_WHOLE = re.compile(r"\s*\+?([0-9]+)(\.0*)?\s*")


def capacities(capacity: Capacity, pop: Population, providers: np.ndarray) -> np.ndarray:
    """Seekers each provider may take: the capacity column when filled in, else the default.

    A filled cell must be a whole number written with the digits 0–9 (``3`` or ``3.0``), at most
    :data:`MAX_CAPACITY`; anything else (``2.5``, ``1e9``, ``inf``, ``-1``, full-width digits) is
    an error naming the person, not a guess.
    """
    values = np.full(len(providers), capacity.default, dtype=np.int64)
    if capacity.column is not None:
        if capacity.column not in pop.attributes:
            raise ConfigError(
                f"capacity.column {capacity.column!r} is not a column of the employees file"
            )
        for k, person in enumerate(providers):
            cell = pop.org.employees[person].attributes.get(capacity.column, "").strip()
            if not cell:
                continue
            who = pop.org.employees[person].id
            match = _WHOLE.fullmatch(cell)
            if match is None:
                raise ConfigError(
                    f"capacity column {capacity.column!r} of {who}: expected a whole number of "
                    f"seekers (0 to {MAX_CAPACITY:,}), found {cell!r}"
                )
            if len(match.group(1)) > 7 or int(match.group(1)) > MAX_CAPACITY:
                raise ConfigError(
                    f"capacity column {capacity.column!r} of {who}: {cell!r} is more than "
                    f"{MAX_CAPACITY:,} seekers"
                )
            values[k] = int(match.group(1))
    if capacity.max is not None:
        values = np.minimum(values, capacity.max)
    return values
