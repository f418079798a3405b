"""Helpers the assignment tests share: run a program, check it, brute-force its optimum, draw
instances."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import HistoryPair, check_assignment, select
from matcher.assignment.population import population
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.repeats import history_for
from matcher.assignment.run import ProgramResult, assign_programs
from matcher.assignment.scoring import pair_terms, weighted_score
from matcher.assignment.solve import SolveOptions
from matcher.model import Org
from tests.strategies import AS_OF, histories, programs, small_orgs

HistoryRows = Sequence[tuple[str | None, str, str, str]]


def run(org: Org, spec: ProgramSpec, history: HistoryRows = (), **options: object) -> ProgramResult:
    return assign_programs(
        org, analyze(org), [spec], history=history, options=SolveOptions(**options)
    )[0]  # type: ignore[arg-type]


def violations(
    org: Org, spec: ProgramSpec, result: ProgramResult, history: HistoryRows = ()
) -> list[str]:
    pairs = [(a.seeker_id, a.provider_id) for a in result.assignments]
    flags = {p.id: set(p.flags) for p in analyze(org).people}
    found = check_assignment(
        spec,
        org,
        pairs,
        flags=flags,
        history=[HistoryPair(*h) for h in history],
        as_of=AS_OF.date(),
    )
    return [f"{v.rule}: {v.message}" for v in found]


def brute_force(org: Org, spec: ProgramSpec, history: HistoryRows) -> tuple[int, float] | None:
    """The best (pairs, score) over every assignment the checker accepts, or None."""
    analysis = analyze(org)
    flags = {p.id: set(p.flags) for p in analysis.people}
    seekers = sorted(select(spec.seekers, spec.kind, "seekers", org, flags, AS_OF.date()))
    providers = sorted(select(spec.providers, spec.kind, "providers", org, flags, AS_OF.date()))
    options = [c for k in range(spec.per_seeker + 1) for c in itertools.combinations(providers, k)]
    if len(options) ** len(seekers) > 20_000:
        return None
    pop = population(org, analysis)
    past = history_for(spec, org, history)
    index = org.index

    def score(pairs: list[tuple[str, str]]) -> float:
        if not pairs:
            return 0.0
        si = np.array([index[s] for s, _ in pairs])
        pi = np.array([index[p] for _, p in pairs])
        return float(weighted_score(spec, pair_terms(spec, pop, past, si, pi)).sum())

    best: tuple[int, float] | None = None
    hist = [HistoryPair(*h) for h in history]
    for choice in itertools.product(options, repeat=len(seekers)):
        pairs = [(s, p) for s, chosen in zip(seekers, choice, strict=True) for p in chosen]
        if check_assignment(spec, org, pairs, flags=flags, history=hist, as_of=AS_OF.date()):
            continue
        value = (len(pairs), score(pairs))
        if (
            best is None
            or value[0] > best[0]
            or (value[0] == best[0] and value[1] > best[1] + 1e-9)
        ):
            best = value
    return best


@st.composite
def instances(
    draw: st.DrawFn, side_constraints: bool = True
) -> tuple[Org, ProgramSpec, HistoryRows]:
    org = draw(small_orgs(max_people=6))
    return org, draw(programs(org, side_constraints=side_constraints)), draw(histories(org))
