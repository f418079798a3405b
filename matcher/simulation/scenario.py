"""Scenario files: a base org, programs, a horizon, replications and variants.

A scenario file is validated like a program file (``extra="forbid"``, located errors). Its
variants are *overrides* of the file itself: ``sweep`` lists values to try, ``set`` fixes values,
each keyed by a dotted path into the file (``org.trained_supporters``,
``program.mentoring.capacity.default``, or ``capacity.default`` for every program). Expanding
the variants gives the grid of :class:`ResolvedVariant` that :mod:`matcher.simulation.grid` runs.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matcher.assignment.programs import PERIOD_PATTERN, Kind, ProgramSpec
from matcher.config import AnalysisConfig

OverrideValue = int | float | str | bool | list[Any] | dict[str, Any]
RANDOM_SUFFIX = " · random pairing"
TIE_PROBABILITY = {
    Kind.BUDDY: 0.65,
    Kind.MENTOR: 0.5,
    Kind.PEER_SUPPORT: 0.5,
    Kind.PEER: 0.35,
    Kind.CIRCLE: 0.2,
}
"""Default chance that a matched pair becomes a lasting tie, by program kind; for ``circle``,
each pair of people who share a group (a circle of six holds fifteen pairs, and attention is
shared among them, so each pair forms a tie less often than a pair that meets alone)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class GenerateSpec(Strict):
    """A synthetic org made by ``matcher generate`` (deterministic in its seed)."""

    employees: int = Field(ge=50, le=200_000)
    seed: int = 0
    days: int = Field(default=90, ge=7, le=366)
    end_date: dt.date = dt.date(2026, 9, 30)


class OrgSection(Strict):
    """The base organisation and the org-level levers a program lead can pull."""

    generate: GenerateSpec | None = None
    employees: str | None = None
    interactions: str | None = None
    survey: str | None = None
    """A ``survey.csv`` of the base org's people, heard by every quarter's analysis: answers
    stand until the next survey (people who joined since have not answered)."""
    as_of: dt.date | None = None
    trained_supporters: int | None = Field(
        default=None, ge=0, description="People holding the peer_supporter role, kept each quarter."
    )
    mentors: int | None = Field(default=None, ge=0, description="People holding the mentor role.")
    buddies: int | None = Field(default=None, ge=0, description="People holding the buddy role.")
    hires_per_quarter: int = Field(default=0, ge=0)
    hires_next_quarter: int = Field(
        default=0, ge=0, description="Extra hires arriving in the first simulated quarter only."
    )
    attrition_per_quarter: float = Field(
        default=0.03, ge=0, lt=1, description="Share of employees leaving each quarter."
    )

    @model_validator(mode="after")
    def _one_source(self) -> OrgSection:
        if (self.generate is None) == (self.employees is None):
            raise ValueError("give either org.generate or org.employees (with org.interactions)")
        if self.employees is not None and self.interactions is None:
            raise ValueError("org.interactions is needed with org.employees")
        if self.survey is not None and self.employees is None:
            raise ValueError("org.survey is read with org.employees (not with org.generate)")
        return self


class Dynamics(Strict):
    """How pairs turn into ties and how the org changes between quarters.

    Defaults and their rationale (``shared/domain/BRIEF.md``): a structured pairing with regular
    contact is the strongest lever a program has, and onboarding buddies meet most often, so
    ``buddy`` forms a lasting tie most often; mentoring and peer support rest on trust built
    over several conversations. Quality matters more than quantity (source 002), so a pair
    that fits well (``fit``: the chosen provider's rank among the seeker's eligible providers,
    by score) forms a tie more often: ``p = tie_probability[kind] × (1 + fit_effect × (fit − ½))``.
    A formed tie means ``contacts_per_quarter`` calls of ``contact_minutes`` on video in the
    next quarter; each later quarter it carries on with probability ``persistence``, otherwise
    it stops and decays out of the analysis window like any unused tie.
    """

    tie_probability: dict[Kind, float] = Field(default_factory=lambda: dict(TIE_PROBABILITY))
    fit_effect: float = Field(default=0.5, ge=0, le=2)
    persistence: float = Field(default=0.6, ge=0, le=1)
    contacts_per_quarter: int = Field(default=6, ge=1, le=90)
    contact_minutes: float = Field(default=30.0, gt=0)
    new_hire_manager_contacts: int = Field(
        default=6, ge=0, description="1:1s with their manager in a new hire's first quarter."
    )
    new_hire_team_contacts: int = Field(
        default=2,
        ge=0,
        description="Teammates a new hire chats with at first, and later meets one per quarter.",
    )

    @model_validator(mode="after")
    def _probabilities(self) -> Dynamics:
        for kind, value in self.tie_probability.items():
            if not 0 <= value <= 1:
                raise ValueError(f"tie_probability.{kind.value} must be within 0 and 1")
        return self

    def probability(self, kind: Kind) -> float:
        """The kind's tie probability; kinds the file leaves out keep their default."""
        return float(self.tie_probability.get(kind, TIE_PROBABILITY[kind]))


class ScenarioHeader(Strict):
    name: str = Field(min_length=1)
    question: str | None = None
    quarters: int = Field(default=4, ge=1, le=20)
    replications: int = Field(default=5, ge=1, le=200)
    seed: int = 0
    baseline: Literal["first", "all"] = Field(
        default="first",
        description="Which variants get a random-pairing twin: the first one, or every one.",
    )
    time_limit: float = Field(default=60.0, gt=0, description="Solver limit per program, seconds.")
    focus: str = Field(
        default="flagged_coverage",
        description="The metric the report's answer is about, e.g. onboarding.coverage.",
    )
    focus_quarter: int | None = Field(
        default=None, ge=0, description="Read the focus metric at this quarter, not on average."
    )


class VariantSpec(Strict):
    """Overrides of the scenario file: ``set`` fixes values, ``sweep`` tries each listed value."""

    name: str | None = None
    set: dict[str, OverrideValue] = Field(default_factory=dict)
    sweep: dict[str, list[OverrideValue]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> VariantSpec:
        for key, values in self.sweep.items():
            if not values:
                raise ValueError(f"sweep {key!r} lists no value")
        return self


class ScenarioFile(Strict):
    """A whole scenario file (``[scenario]``, ``[org]``, ``[dynamics]``, programs, variants)."""

    scenario: ScenarioHeader
    org: OrgSection
    dynamics: Dynamics = Field(default_factory=Dynamics)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    program: list[ProgramSpec] = Field(min_length=1)
    variant: list[VariantSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _programs(self) -> ScenarioFile:
        names = [p.name for p in self.program]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"program names must be unique; repeated: {', '.join(duplicates)}")
        for spec in self.program:
            match = PERIOD_PATTERN.match(spec.period)
            if match is not None and match.group(4):
                raise ValueError(
                    f"program {spec.name!r}: a simulation steps by quarters; use a quarterly "
                    f"(2026Q4) or monthly (2026-10) period, not {spec.period!r}"
                )
        return self


@dataclass(frozen=True)
class ResolvedVariant:
    """One column of the grid: a label, the scenario with its overrides applied, and how to pair."""

    label: str
    scenario: ScenarioFile
    pairing: Literal["optimal", "random"]
    overrides: tuple[tuple[str, Any], ...]
    order: int


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts, creating tables on the way."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"{path!r}: {part!r} is not a table")
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def apply_override(data: dict[str, Any], path: str, value: Any) -> None:
    """Apply one dotted override to the raw scenario data (before validation).

    ``org.*``, ``dynamics.*``, ``analysis.*`` and ``scenario.*`` address those tables;
    ``program.NAME.key`` one program and ``program.*.key`` (or just ``key``) every program;
    ``variant.N.sweep`` (or ``.set``) replaces the N-th variant's table.

    >>> data = {"org": {}, "program": [{"name": "a", "capacity": {"default": 1}}]}
    >>> apply_override(data, "capacity.default", 3); data["program"][0]["capacity"]
    {'default': 3}
    >>> apply_override(data, "org.trained_supporters", 40); data["org"]
    {'trained_supporters': 40}
    """
    head, _, rest = path.partition(".")
    if not rest and head in ("org", "dynamics", "analysis", "scenario", "program", "variant"):
        raise ValueError(f"{path!r} names a whole table; name a key inside it")
    if head in ("org", "dynamics", "analysis", "scenario"):
        _set_path(data.setdefault(head, {}), rest, value)
        return
    if head == "variant":
        index, _, key = rest.partition(".")
        variants = data.get("variant") or []
        if not index.isdigit() or int(index) >= len(variants) or not key:
            raise ValueError(
                f"{path!r}: write variant.N.sweep or variant.N.set with N < {len(variants)}"
            )
        _set_path(variants[int(index)], key, value)
        return
    programs = data.get("program") or []
    if head == "program":
        name, _, key = rest.partition(".")
        if not key:
            raise ValueError(
                f"{path!r}: write program.NAME.key, e.g. program.mentoring.capacity.default"
            )
        chosen = [p for p in programs if name == "*" or p.get("name") == name]
        if not chosen:
            known = ", ".join(str(p.get("name")) for p in programs)
            raise ValueError(f"{path!r}: no program named {name!r} (programs: {known})")
    else:
        chosen, key = list(programs), path
    for program in chosen:
        _set_path(program, key, value)


def _format_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def expand_variants(
    raw: dict[str, Any], validate: Any
) -> list[tuple[str, dict[str, Any], tuple[tuple[str, Any], ...]]]:
    """``(label, data, overrides)`` for every variant of the raw scenario, sweeps expanded.

    ``validate(data, where)`` checks one variant's data and raises with ``where`` in the message.
    """
    variants = raw.get("variant") or []
    if not variants:
        return [("base", raw, ())]
    out = []
    for index, variant in enumerate(variants):
        where = f"variant[{index}]"
        fixed = list((variant.get("set") or {}).items())
        sweep = variant.get("sweep") or {}
        keys = list(sweep)
        combos = list(itertools.product(*(sweep[k] for k in keys))) if keys else [()]
        for combo in combos:
            data = copy.deepcopy(raw)
            data.pop("variant", None)
            overrides = tuple(fixed) + tuple(zip(keys, combo, strict=True))
            for path, value in overrides:
                try:
                    apply_override(data, path, value)
                except ValueError as exc:
                    raise ValueError(f"{where}: {exc}") from exc
            validate(data, where)
            shown = ", ".join(f"{k.rsplit('.', 1)[-1]}={_format_value(v)}" for k, v in overrides)
            name = variant.get("name")
            label = f"{name}: {shown}" if name and keys else (name or shown or f"variant {index}")
            out.append((label, data, overrides))
    labels = [label for label, _, _ in out]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"variant labels must be unique; repeated: {', '.join(repeated)}")
    return out


def shift_period(period: str, quarters: int) -> str:
    """The period ``quarters`` quarters after ``period`` (quarterly or monthly periods).

    >>> shift_period("2026Q4", 1), shift_period("2026Q1", 7), shift_period("2026-11", 1)
    ('2027Q1', '2027Q4', '2027-02')
    """
    match = PERIOD_PATTERN.match(period)
    if match is None:
        raise ValueError(f"period {period!r} must look like 2026Q4 or 2026-10")
    year, quarter, month, _ = match.groups()
    if quarter:
        index = int(year) * 4 + int(quarter) - 1 + quarters
        return f"{index // 4}Q{index % 4 + 1}"
    if month:
        index = int(year) * 12 + int(month) - 1 + 3 * quarters
        return f"{index // 12}-{index % 12 + 1:02d}"
    raise ValueError(f"period {period!r}: a simulation steps by quarters; half-years cannot")
