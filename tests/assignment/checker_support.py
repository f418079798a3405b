"""Helpers the checker tests share: a program, a small mentoring org, one call of the checker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from matcher.assignment.checks import (
    Violation,
    check_assignment,
)
from matcher.assignment.programs import ProgramSpec
from matcher.model import Employee, Org

AS_OF = dt.date(2026, 10, 1)
NO_FLAGS: dict[str, set[str]] = {}


def program(kind: str = "mentor", **fields: Any) -> ProgramSpec:
    """A program for period 2026Q4 with the given extra fields, validated like a file."""
    return ProgramSpec.model_validate({"name": "p", "kind": kind, "period": "2026Q4", **fields})


def mentoring_org(*extra: Employee) -> Org:
    """Mentees M1, M2 (team a), M3 (team b); mentors T1, T2 (team c); plus ``extra``."""
    people = [
        Employee(id="M1", roles="mentee", team="a", level=1, languages="en"),
        Employee(id="M2", roles="mentee", team="a", level=2, languages="de;EN"),
        Employee(id="M3", roles="mentee", team="b", level=1, languages="fr"),
        Employee(id="T1", roles="mentor", team="c", level=4, languages="en;fr"),
        Employee(id="T2", roles="Mentor", team="c", level=3, languages="En"),
        *extra,
    ]
    return Org(people)


def check(
    spec: ProgramSpec, org: Org, pairs: list[tuple[str, str]], **kwargs: Any
) -> list[Violation]:
    kwargs.setdefault("flags", NO_FLAGS)
    kwargs.setdefault("as_of", AS_OF)
    return check_assignment(spec, org, pairs, **kwargs)


def rules_of(violations: list[Violation]) -> list[str]:
    return [v.rule for v in violations]
