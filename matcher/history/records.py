"""What the history database holds, as plain records: runs, pairs, outcomes, actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Run:
    run_id: str
    created_at: str
    program: str
    kind: str | None
    period: str
    status: str
    state: str
    objective: float | None
    bound: float | None
    gap: float | None
    seed: int | None
    pairs: int
    derived_from: str | None = None


@dataclass(frozen=True)
class StoredPair:
    kind: str | None
    seeker_id: str
    provider_id: str
    period: str
    program: str
    run_id: str = ""
    met: bool | None = None
    """Whether the two met (``matcher evaluate``); ``None`` until the run is evaluated."""


@dataclass(frozen=True)
class Outcome:
    """What became of one committed pair, as ``matcher evaluate`` judged it."""

    seeker_id: str
    provider_id: str
    met: bool
    first_met: str | None
    """ISO timestamp of their first meeting in the window (``None`` when they did not meet)."""
    tie_formed: bool | None
    """A strong tie at ``as_of`` that was not one before the period (``None``: unknown)."""


@dataclass(frozen=True)
class Action:
    """One thing someone did to a run: ``proposed``, ``committed``, ``withdrawn``,
    ``rejected``, ``imported`` or ``derived`` (a re-solve with locked or forbidden pairs)."""

    at: str
    run_id: str
    action: str
    actor: str | None
    detail: dict[str, Any]


def utc_now() -> str:
    """The time an action is recorded (UTC, to the second)."""
    return dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Evaluated:
    """The outcomes of one run's pairs over one evaluation window (``matcher evaluate``)."""

    run_id: str
    outcomes: Sequence[Outcome]
    window_start: str
    as_of: str
