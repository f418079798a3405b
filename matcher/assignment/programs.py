"""Program files: the shape of ``[[program]]`` tables, parsed with ``extra="forbid"``.

A program file names its data and one or more programs. These models describe the file; the
solver-ready problem is built from them by :mod:`matcher.assignment.compile`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.analysis.flags import Flag
from matcher.config import AnalysisConfig

PERIOD_PATTERN = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2])|H([12]))$")


class Kind(StrEnum):
    """The programs matcher knows; each sets defaults for its selectors."""

    BUDDY = "buddy"
    MENTOR = "mentor"
    PEER_SUPPORT = "peer_support"
    PEER = "peer"  # mutual pairs among one group (peer circles, coffee pairs): non-bipartite
    CIRCLE = "circle"  # the selected people in small groups (peer-support circles, cohorts)


class Mode(StrEnum):
    """How a yes/no rule about a pair is used."""

    REQUIRED = "required"
    FORBIDDEN = "forbidden"
    PREFERRED = "preferred"
    AVOIDED = "avoided"
    IGNORED = "ignored"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Selector(Strict):
    """Who is a seeker or a provider; the fields given are ANDed, ``any_of`` ORs selectors."""

    roles: list[str] | None = None
    min_tenure_days: int | None = Field(default=None, ge=0)
    hired_within_days: int | None = Field(default=None, ge=0)
    flags: list[Flag] | None = None
    ids: list[str] | None = None
    teams: list[str] | None = None
    departments: list[str] | None = None
    locations: list[str] | None = None
    min_level: int | None = None
    max_level: int | None = None
    any_of: list[Selector] | None = None
    exclude_ids: list[str] | None = None
    says_no_one: bool | None = None
    """With a survey: people who said they have no one at work to turn to (``true``), or
    everyone else (``false``)."""


class Capacity(Strict):
    """Seekers per provider: ``default`` unless the provider's ``column`` says otherwise."""

    default: int = Field(default=1, ge=0, le=1_000_000)
    column: str | None = None
    min: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Minimum load: every provider takes at least this many.",
    )
    max: int | None = Field(
        default=None, ge=0, le=1_000_000, description="Cap on any per-person value from the column."
    )


class GroupSize(Strict):
    """How many people a circle holds: ``min`` to ``max``."""

    min: int = Field(default=3, ge=2, le=50)
    max: int = Field(default=8, ge=2, le=50)

    @model_validator(mode="after")
    def _ordered(self) -> GroupSize:
        if self.min > self.max:
            raise ValueError(
                f"group_size.min ({self.min}) is more than group_size.max ({self.max})"
            )
        return self


class GroupQuota(Selector):
    """``min_per_group`` / ``max_per_group``: a selector and how many of its people a group
    holds at least (or at most)."""

    count: int = Field(ge=0, le=50)

    def describe(self) -> str:
        """The selector in a few words (``roles peer_supporter``), for messages."""
        given = {
            name: value
            for name, value in self.model_dump(exclude={"count"}).items()
            if value is not None
        }
        return (
            ", ".join(
                f"{name} {' '.join(map(str, value)) if isinstance(value, list) else value}"
                for name, value in given.items()
            )
            or "everyone"
        )


class Rules(Strict):
    """Hard and soft rules about a pair (seeker, provider).

    ``same_<column>`` keys for any employee column are accepted and gathered in ``same``.
    """

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    same_team: Mode = Mode.IGNORED
    same_department: Mode = Mode.IGNORED
    same_location: Mode = Mode.IGNORED
    same_manager: Mode = Mode.IGNORED
    reporting_line: Mode = Mode.IGNORED
    shared_language: Mode = Mode.IGNORED
    min_level_gap: int | None = None
    max_level_gap: int | None = None
    min_overlap_hours: float | None = Field(default=None, ge=0, le=24)
    no_repeat_periods: int | None = Field(default=None, ge=0)
    no_repeat_counts: Literal["all", "met"] = Field(
        default="all",
        description='Which committed pairs count as repeats: "all", or "met": only those '
        "matcher evaluate found to have met (a pair that never met may be tried again).",
    )
    max_same_team_per_provider: int | None = Field(default=None, ge=1)
    max_same_team_per_group: int | None = Field(default=None, ge=1)
    """Circles: at most this many members of any one team in a group."""
    min_per_group: list[GroupQuota] = Field(default_factory=list)
    """Circles: every group holds at least ``count`` people the selector picks."""
    max_per_group: list[GroupQuota] = Field(default_factory=list)
    """Circles: no group holds more than ``count`` people the selector picks."""
    no_repeat_pairs: Literal["required", "avoided"] | None = None
    """Circles and peers: two people meet at most once across the run's rounds and never
    again after a committed pairing of this kind (``required``), or as rarely as possible
    (``avoided``: new connections count first)."""
    same: dict[str, Mode] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_same_columns(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fixed = {name for name in cls.model_fields if name.startswith("same_")}
        data = dict(data)
        same = dict(data.pop("same", {}) or {})
        for key in list(data):
            if key.startswith("same_") and key not in fixed:
                same[key.removeprefix("same_")] = data.pop(key)
        if same:
            data["same"] = same
        return data

    def yes_no_rules(self) -> dict[str, Mode]:
        """Every yes/no rule by its file name (``same_office`` …), ignored ones included."""
        rules = {
            "same_team": self.same_team,
            "same_department": self.same_department,
            "same_location": self.same_location,
            "same_manager": self.same_manager,
            "reporting_line": self.reporting_line,
            "shared_language": self.shared_language,
        }
        rules.update({f"same_{column}": mode for column, mode in self.same.items()})
        return rules


class Weights(Strict):
    """Soft terms of the objective; each term lies in [0, 1] and is multiplied by its weight."""

    interests: float = 3.0
    skills: float = 2.0
    overlap_hours: float = 1.0
    bridging: float = 2.0
    existing_tie: float = -2.0
    repeat: float = -4.0
    isolation_priority: float = 5.0
    preferences: float = 1.0


class Pairs(Strict):
    never: list[tuple[str, str]] = Field(default_factory=list)
    must: list[tuple[str, str]] = Field(default_factory=list)


class ProgramSpec(Strict):
    """One ``[[program]]`` table."""

    name: str = Field(min_length=1)
    kind: Kind
    period: str
    seekers: Selector = Field(default_factory=Selector)
    providers: Selector = Field(default_factory=Selector)
    capacity: Capacity = Field(default_factory=Capacity)
    per_seeker: int = Field(default=1, ge=1, le=1_000_000)
    rules: Rules = Field(default_factory=Rules)
    weights: Weights = Field(default_factory=Weights)
    pairs: Pairs = Field(default_factory=Pairs)
    objective: Literal["coverage_first", "score"] = "coverage_first"
    group_size: GroupSize | None = None
    """Circles: how many people a group holds (default 3 to 8)."""
    rounds: int = Field(default=1, ge=1, le=52)
    """Circles and peers: how many rounds to plan in one run."""

    @property
    def sizes(self) -> GroupSize:
        """The group sizes of a circle (``group_size`` or its default)."""
        return self.group_size or GroupSize()

    @property
    def grouped(self) -> bool:
        """Whether the program is solved as groups over rounds (circles; peers with rounds)."""
        return self.kind is Kind.CIRCLE or (self.kind is Kind.PEER and self.rounds > 1)

    @model_validator(mode="after")
    def _group_rules(self) -> ProgramSpec:
        rules = self.rules
        if self.kind is not Kind.CIRCLE:
            for key, value in (
                ("group_size", self.group_size),
                ("rules.max_same_team_per_group", rules.max_same_team_per_group),
                ("rules.min_per_group", rules.min_per_group or None),
                ("rules.max_per_group", rules.max_per_group or None),
            ):
                if value is not None:
                    raise ValueError(f"{key} is available for kind = 'circle' only")
        if self.kind not in (Kind.CIRCLE, Kind.PEER):
            if self.rounds > 1 or rules.no_repeat_pairs is not None:
                raise ValueError(
                    "rounds and rules.no_repeat_pairs are available for kinds 'circle' and 'peer'"
                )
            return self
        if self.kind is Kind.CIRCLE:
            if any(v is not None for v in self.providers.model_dump().values()):
                raise ValueError("a circle groups its seekers with each other: leave providers out")
            for key in ("capacity", "per_seeker"):
                if key in self.model_fields_set:
                    raise ValueError(
                        f"{key} does not apply to kind = 'circle' (each person is in one group "
                        "per round): leave it out"
                    )
            for key in ("min_level_gap", "max_level_gap", "max_same_team_per_provider"):
                if getattr(rules, key) is not None:
                    raise ValueError(
                        f"rules.{key} is not available for kind = 'circle' (pairs in a group have no direction)"
                    )
        capacity = self.capacity
        if (
            self.kind is Kind.PEER
            and self.rounds > 1
            and (capacity.default != 1 or capacity.column or capacity.min)
        ):
            raise ValueError(
                "a peer program with rounds > 1 pairs each person at most once per round: "
                "leave capacity out (or set default = 1)"
            )
        return self

    @model_validator(mode="after")
    def _peer_rules(self) -> ProgramSpec:
        if self.objective == "score" and self.kind is not Kind.PEER:
            raise ValueError("objective = 'score' is available for kind = 'peer' only")
        if self.kind is Kind.PEER:
            if any(v is not None for v in self.providers.model_dump().values()):
                raise ValueError(
                    "a peer program pairs its seekers with each other: leave providers out"
                )
            for key in ("min_level_gap", "max_level_gap", "max_same_team_per_provider"):
                if getattr(self.rules, key) is not None:
                    raise ValueError(
                        f"rules.{key} is not available for kind = 'peer' (pairs have no direction)"
                    )
        return self

    @field_validator("period")
    @classmethod
    def _known_period(cls, value: str) -> str:
        if not PERIOD_PATTERN.match(value):
            raise ValueError(f"period {value!r} must look like 2026Q4, 2026-10 or 2026H2")
        return value


class DataSection(Strict):
    """Where a program file's data is; ``matcher assign --employees`` (and ``--interactions``,
    ``--analysis``) may give it instead, so a program file may leave ``[data]`` out."""

    employees: str | None = None
    interactions: str | None = None
    survey: str | None = None
    """A ``survey.csv`` (``matcher ingest`` of a forms export) heard by the analysis."""
    as_of: dt.date | None = None


class ProgramFile(Strict):
    """A whole program file: ``[data]``, optional ``[analysis]``, and ``[[program]]`` tables."""

    data: DataSection = Field(default_factory=DataSection)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    program: list[ProgramSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> ProgramFile:
        names = [p.name for p in self.program]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"program names must be unique; repeated: {', '.join(duplicates)}")
        return self


def period_index(period: str) -> float:
    """A period as a number of quarters since year 0, so that periods of any unit compare.

    >>> period_index("2026Q4") - period_index("2026Q3")
    1.0
    >>> round(period_index("2026-12") - period_index("2026-10"), 6)
    0.666667
    """
    match = PERIOD_PATTERN.match(period)
    if match is None:
        raise ValueError(f"period {period!r} must look like 2026Q4, 2026-10 or 2026H2")
    year, quarter, month, half = match.groups()
    base = int(year) * 4.0
    if quarter:
        return base + int(quarter) - 1
    if month:
        return base + (int(month) - 1) / 3
    return base + (int(half) - 1) * 2


def period_length(period: str) -> float:
    """The length of a period in quarters (a month is a third, a half-year two)."""
    match = PERIOD_PATTERN.match(period)
    if match is None:
        raise ValueError(f"period {period!r} must look like 2026Q4, 2026-10 or 2026H2")
    _, quarter, month, _ = match.groups()
    return 1.0 if quarter else (1 / 3 if month else 2.0)


def selects_connectors(specs: Sequence[ProgramSpec]) -> bool:
    """Whether a program selects people by the ``connector`` flag (in its seekers, providers or
    group quotas): only then does an analysis made for assigning need the sampled
    betweenness, the costliest metric at scale, which nothing else in assigning reads.

    >>> spec = {"name": "p", "kind": "mentor", "period": "2026Q4"}
    >>> selects_connectors([ProgramSpec(**spec, seekers={"flags": ["isolated"]})])
    False
    >>> selects_connectors([ProgramSpec(**spec, providers={"any_of": [{"flags": ["connector"]}]})])
    True
    """

    def mentions(value: object) -> bool:
        if isinstance(value, dict):
            flags = value.get("flags")
            if isinstance(flags, list) and Flag.CONNECTOR in flags:
                return True
            return any(mentions(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(mentions(v) for v in value)
        return False

    return any(mentions(spec.model_dump()) for spec in specs)
