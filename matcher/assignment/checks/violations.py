"""What the checker reports and reads: :class:`Violation`, :class:`HistoryPair`, the rule names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
        # circles and rounds
        "round",
        "group_size",
        "max_same_team_per_group",
        "min_per_group",
        "max_per_group",
        "no_repeat_pairs",
    }
)
"""Every rule a :class:`Violation` can name, besides ``same_<column>`` for extra columns."""


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
    met: bool | None = None
    """Whether the two met (``matcher evaluate``); ``None`` when not evaluated."""


def as_date(value: dt.date) -> dt.date:
    """The calendar date of ``value``: a datetime is a date too (``Org.as_of`` is one)."""
    return value.date() if isinstance(value, dt.datetime) else value
