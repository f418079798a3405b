"""Domain models: employees, interactions and the loaded organisation.

Employees are validated one by one with pydantic (an org has at most a few hundred thousand
of them). Interactions can number in the tens of millions, so they live in a columnar
:class:`InteractionTable` of numpy arrays; :class:`Interaction` is the model of one row, used
for documentation, JSON schema and small inputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

LIST_SEPARATOR = ";"


class Channel(StrEnum):
    """How two people interacted. Mutual channels need no reply to count both ways."""

    IN_PERSON = "in_person"
    VIDEO = "video"
    CALL = "call"
    MEETING = "meeting"
    CHAT = "chat"
    EMAIL = "email"

    @property
    def is_mutual(self) -> bool:
        return self not in (Channel.CHAT, Channel.EMAIL)


CHANNELS: tuple[Channel, ...] = tuple(Channel)
"""Channels in code order: ``InteractionTable.channel`` holds indices into this tuple."""


@cache
def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``; raise ``ValueError`` naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (
        ZoneInfoNotFoundError,
        ValueError,
        TypeError,
        OSError,
    ) as exc:  # OSError: a name too long for a file
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name such as 'Europe/Berlin')"
        ) from exc


def split_list(value: object) -> tuple[str, ...]:
    """Split a ``;``-separated cell into a tuple of stripped, non-empty strings."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        items = str(value).split(LIST_SEPARATOR)
    return tuple([item for item in map(str.strip, items) if item])


BLANK_IS_MISSING = (
    "name",
    "email",
    "manager_id",
    "team",
    "department",
    "location",
    "timezone",
    "hire_date",
    "level",
)
BLANK_IS_DEFAULT: dict[str, object] = {"work_start": 9.0, "work_end": 17.0, "opt_out": False}
LIST_FIELDS = ("languages", "interests", "skills", "wants", "roles")


class Employee(BaseModel):
    """One person of the organisation, as read from ``employees.csv``.

    Columns the contract does not name are kept in ``attributes`` and can be used in rules
    (``same_<column>``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None
    manager_id: str | None = None
    team: str | None = None
    department: str | None = None
    location: str | None = None
    timezone: str | None = None
    work_start: float = Field(default=9.0, ge=0, le=24)
    work_end: float = Field(default=17.0, ge=0, le=24)
    hire_date: dt.date | None = None
    level: int | None = None
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    wants: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    opt_out: bool = False
    attributes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _clean_cells(cls, data: object, info: ValidationInfo) -> object:
        """Blank cells are missing (or the field's default), ids are stripped, ``;``-lists are
        split. A loader that did this column by column passes ``context={"cleaned": True}``."""
        if not isinstance(data, dict) or (info.context or {}).get("cleaned"):
            return data
        data = dict(data)
        for key in BLANK_IS_MISSING:
            value = data.get(key)
            if isinstance(value, str) and not value.strip():
                data[key] = None
        for key, default in BLANK_IS_DEFAULT.items():
            value = data.get(key)
            if isinstance(value, str) and not value.strip():
                data[key] = default
        for key in ("id", "manager_id"):
            value = data.get(key)
            if isinstance(value, str):
                data[key] = value.strip() or None if key == "manager_id" else value.strip()
        for key in LIST_FIELDS:
            if key in data:
                data[key] = split_list(data[key])
        return data

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="after")
    def _not_own_manager(self) -> Employee:
        if self.manager_id is not None and self.manager_id == self.id:
            raise ValueError("an employee cannot be their own manager")
        return self


class Interaction(BaseModel):
    """One row of ``interactions.csv``: metadata only, never content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    timestamp: dt.datetime
    channel: Channel = Channel.MEETING
    duration_minutes: float | None = Field(default=None, ge=0)
    event_id: str | None = None
    weight: float = Field(default=1.0, ge=0)


@dataclass(frozen=True)
class InteractionTable:
    """Interactions as parallel numpy arrays, indexed by employee position in the :class:`Org`.

    ``timestamp`` is seconds since the Unix epoch (UTC); ``duration`` is minutes with NaN when
    unknown; ``event`` is a dense event code, ``-1`` for rows without ``event_id``.
    """

    source: np.ndarray  # int32
    target: np.ndarray  # int32
    timestamp: np.ndarray  # int64 seconds
    channel: np.ndarray  # uint8, index into CHANNELS
    duration: np.ndarray  # float32 minutes, NaN = unknown
    event: np.ndarray  # int64, -1 = none
    weight: np.ndarray  # float32

    def __len__(self) -> int:
        return int(self.source.shape[0])

    @staticmethod
    def empty() -> InteractionTable:
        return InteractionTable(
            source=np.empty(0, np.int32),
            target=np.empty(0, np.int32),
            timestamp=np.empty(0, np.int64),
            channel=np.empty(0, np.uint8),
            duration=np.empty(0, np.float32),
            event=np.empty(0, np.int64),
            weight=np.empty(0, np.float32),
        )

    def select(self, mask: np.ndarray) -> InteractionTable:
        """Return the rows where ``mask`` is true."""
        return InteractionTable(
            source=self.source[mask],
            target=self.target[mask],
            timestamp=self.timestamp[mask],
            channel=self.channel[mask],
            duration=self.duration[mask],
            event=self.event[mask],
            weight=self.weight[mask],
        )

    @staticmethod
    def concat(parts: list[InteractionTable]) -> InteractionTable:
        if not parts:
            return InteractionTable.empty()
        return InteractionTable(
            source=np.concatenate([p.source for p in parts]),
            target=np.concatenate([p.target for p in parts]),
            timestamp=np.concatenate([p.timestamp for p in parts]),
            channel=np.concatenate([p.channel for p in parts]),
            duration=np.concatenate([p.duration for p in parts]),
            event=np.concatenate([p.event for p in parts]),
            weight=np.concatenate([p.weight for p in parts]),
        )


@dataclass
class LoadReport:
    """What loading dropped, and why: nothing is dropped silently."""

    interaction_rows: int = 0
    kept: int = 0
    self_interactions: int = 0
    unknown_ids: int = 0
    opted_out: int = 0
    future_dated: int = 0
    rejects_path: str | None = None
    excluded_employees: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "interaction_rows": self.interaction_rows,
            "kept": self.kept,
            "dropped_self_interactions": self.self_interactions,
            "dropped_unknown_ids": self.unknown_ids,
            "dropped_opted_out": self.opted_out,
            "dropped_future_dated": self.future_dated,
            "rejects_file": self.rejects_path,
            "opted_out_employees": self.excluded_employees,
        }


@dataclass
class Org:
    """A loaded organisation: employees (opted-out people removed) and their interactions."""

    employees: list[Employee]
    interactions: InteractionTable = field(default_factory=InteractionTable.empty)
    as_of: dt.datetime | None = None
    report: LoadReport = field(default_factory=LoadReport)
    sources: dict[str, str] = field(default_factory=dict)  # role -> "path sha256:…"
    manager_of: dict[str, str | None] = field(default_factory=dict)
    """Manager of every id in the file, opted-out people included (ids only, for reporting lines)."""

    def __post_init__(self) -> None:
        self.ids = [e.id for e in self.employees]
        self.index = {identity: i for i, identity in enumerate(self.ids)}
        if not self.manager_of:
            self.manager_of = {e.id: e.manager_id for e in self.employees}

    def __len__(self) -> int:
        return len(self.employees)
