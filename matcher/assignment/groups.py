"""Circles and rounds: a compiled program's eligible pairs with its group rules, ready for the
group solver (:func:`matcher.assignment.solve.solve_groups`).

A circle puts the selected people into groups of ``group_size.min`` to ``group_size.max``, once
per round; every pair inside a group must be an eligible pair of the compiled program (so every
pair rule holds pairwise). A peer program with ``rounds > 1`` is planned the same way, with
groups of exactly two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matcher.analysis.flags import WANTING_CONNECTION
from matcher.assignment.compile import MatchingProblem
from matcher.assignment.programs import GroupQuota, Kind, Selector
from matcher.assignment.rules import lookup
from matcher.assignment.selection import select


@dataclass(frozen=True)
class Quota:
    """A ``min_per_group`` or ``max_per_group`` rule over the group's people (positions)."""

    rule: str
    """``min_per_group`` or ``max_per_group``."""
    label: str
    """The selector in words, for messages."""
    members: np.ndarray
    """Per position: whether the selector picks the person."""
    count: int


@dataclass
class GroupProblem:
    """A circle (or a peer program over rounds) compiled for the group solver.

    Positions index ``pairs.seekers``; the eligible pairs are ``pairs``' arcs (``a < b``, each
    unordered pair once) with their scores.
    """

    pairs: MatchingProblem
    size_min: int
    size_max: int
    rounds: int
    team: np.ndarray
    """Team code per position (``-1``: none)."""
    team_cap: int | None
    quotas: list[Quota]
    flagged: np.ndarray
    """Per position: flagged isolated or peripheral (placed first)."""
    met_before: np.ndarray
    """Per arc: the two met before (committed history), so meeting again is no new connection."""
    no_repeat: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """How many people take part."""
        return len(self.pairs.seekers)

    @property
    def counts_new(self) -> bool:
        """Whether new connections are maximised before the score (several rounds, or
        ``no_repeat_pairs = "avoided"``)."""
        return self.rounds > 1 or self.no_repeat == "avoided"

    def ids(self) -> list[str]:
        """Ids of the people, by position."""
        return self.pairs.seeker_ids


def _quota_members(quota: GroupQuota, problem: MatchingProblem) -> np.ndarray:
    """Who among the program's people the quota's selector picks (no field: everyone)."""
    fields = quota.model_dump(exclude={"count"})
    selector = Selector.model_validate(fields)
    if all(value is None for value in fields.values()):
        return np.ones(len(problem.seekers), dtype=bool)
    return np.asarray(select(selector, problem.pop)[problem.seekers], dtype=bool)


def compile_groups(problem: MatchingProblem) -> GroupProblem:
    """The group rules of a compiled circle (or peer program with rounds) as arrays.

    Parameters
    ----------
    problem : MatchingProblem
        The program compiled by :func:`matcher.assignment.compile.compile_program`: its arcs
        are the pairs that may share a group.

    Returns
    -------
    GroupProblem
        Group sizes, rounds, team caps, quotas by position, who is flagged, and which eligible
        pairs met before.
    """
    spec, pop = problem.spec, problem.pop
    circle = spec.kind is Kind.CIRCLE
    sizes = spec.sizes if circle else None
    quotas = [
        Quota(rule, quota.describe(), _quota_members(quota, problem), quota.count)
        for rule, listed in (
            ("min_per_group", spec.rules.min_per_group),
            ("max_per_group", spec.rules.max_per_group),
        )
        for quota in listed
    ]
    people = problem.seekers
    met_before = np.zeros(problem.arcs, dtype=bool)
    if problem.history.met.nnz and problem.arcs:
        a, b = people[problem.arc_seeker], people[problem.arc_provider]
        met_before = np.asarray(lookup(problem.history.met, a, b), dtype=bool)
    return GroupProblem(
        pairs=problem,
        size_min=sizes.min if sizes else 2,
        size_max=sizes.max if sizes else 2,
        rounds=spec.rounds,
        team=problem.pop.team[people],
        team_cap=spec.rules.max_same_team_per_group,
        quotas=quotas,
        flagged=np.array([bool(pop.flags[i] & WANTING_CONNECTION) for i in people], dtype=bool),
        met_before=met_before,
        no_repeat=spec.rules.no_repeat_pairs,
    )
