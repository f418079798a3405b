"""Assign programs: compile each program, solve it, explain it, and summarise it.

:func:`assign_programs` is the library call behind ``matcher assign``; it reads nothing from
disk and writes nothing (the CLI and :mod:`matcher.io` do).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher.analysis.flags import WANTING_CONNECTION
from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.analysis.survey import SAYS_NO_ONE
from matcher.assignment.certificate import certify_flow
from matcher.assignment.checks import HistoryPair, Violation, check_assignment, check_groups
from matcher.assignment.compile import MatchingProblem, compile_program
from matcher.assignment.explain import (
    AssignmentRow,
    GroupRow,
    UnmatchedRow,
    explain_assignments,
    explain_groups,
    explain_unmatched,
    explain_unplaced,
)
from matcher.assignment.groups import GroupProblem, compile_groups
from matcher.assignment.population import Population, population
from matcher.assignment.programs import Kind, ProgramSpec
from matcher.assignment.repeats import History, HistoryRow, history_for
from matcher.assignment.solve import Solution, SolveOptions, solve, solve_groups
from matcher.errors import CertificateError
from matcher.model import Org

BUG_REPORT = (
    "this is a bug in matcher, not in your data: nothing was written. Please report it with the "
    "program file and the command line (the seed makes the run reproducible)."
)


@dataclass
class ProgramResult:
    """Everything one program's run produced."""

    spec: ProgramSpec
    problem: MatchingProblem
    solution: Solution
    assignments: list[AssignmentRow]
    unmatched: list[UnmatchedRow]
    summary: dict[str, Any] = field(default_factory=dict)
    groups: list[GroupRow] = field(default_factory=list)
    """Circles and rounds: every group of every round, with why."""
    pair_rounds: list[int] | None = None
    """Circles and rounds: the round of each row of ``assignments``."""


def _load_figures(problem: MatchingProblem, solution: Solution) -> dict[str, Any]:
    load = np.zeros(len(problem.providers), dtype=np.int64)
    for _, p in solution.pairs:
        load[p] += 1
    if not len(load):
        return {"providers": 0}
    return {
        "providers": len(load),
        "used": int((load > 0).sum()),
        "max": int(load.max()),
        "mean": round(float(load.mean()), 3),
        "at_capacity": int((load >= problem.capacity).sum()),
        "histogram": {str(k): int(v) for k, v in enumerate(np.bincount(load)) if v},
    }


def summarise(
    problem: MatchingProblem, solution: Solution, options: SolveOptions
) -> dict[str, Any]:
    """The per-program block of ``summary.json``."""
    seekers = len(problem.seekers)
    served = {s for s, _ in solution.pairs}
    if problem.spec.kind is Kind.PEER:
        served |= {p for _, p in solution.pairs}
    flagged = [
        k
        for k, person in enumerate(problem.seekers)
        if problem.pop.flags[person] & WANTING_CONNECTION
    ]
    return {
        "kind": problem.spec.kind.value,
        "period": problem.spec.period,
        "status": solution.status,
        "objective": round(solution.objective, 6),
        "bound": round(solution.bound, 6),
        "gap": round(solution.gap, 6),
        "bound_scope": solution.bound_scope,
        "method": solution.method,
        "seekers": seekers,
        "matched": len(served),
        "pairs": len(solution.pairs),
        "coverage": round(len(served) / seekers, 6) if seekers else 1.0,
        "flagged_seekers": len(flagged),
        "flagged_matched": sum(1 for k in flagged if k in served),
        "eligible_pairs": problem.eligible_pairs,
        "provider_load": _load_figures(problem, solution),
        "seed": options.seed,
        "time_limit": options.time_limit,
        "solve_seconds": round(solution.seconds, 3),
        "conflicts": solution.conflicts,
        "notes": [*problem.notes, *solution.notes],
    }


def assign_programs(
    org: Org,
    analysis: Analysis | AnalysisView,
    specs: Sequence[ProgramSpec],
    *,
    history: Sequence[HistoryRow] = (),
    prior: Callable[[ProgramSpec], Sequence[tuple[str, str]]] | None = None,
    options: SolveOptions | None = None,
    threads: int = 1,
    on_program_done: Callable[[int, int], None] | None = None,
    keep_all_pairs: bool = False,
) -> list[ProgramResult]:
    """Compile, solve, check and explain each program on ``org``.

    Parameters
    ----------
    org : Org
        The loaded organisation (opted-out people already removed).
    analysis : Analysis or AnalysisView
        Its analysis (flags, graph), or the view of a saved one.
    specs : sequence of ProgramSpec
        Programs to solve, in order.
    history : sequence of (kind, seeker_id, provider_id, period)
        Committed earlier pairings (``kind`` ``None`` for imported rows: every kind).
    prior : callable, optional
        For ``--incremental``: the pairs ``(seeker_id, provider_id)`` already committed in a
        program's own period.
    options : SolveOptions, optional
        Time limit, seed, workers and candidate sizes for the solver.
    threads : int
        Blocks of candidate pairs compiled at once (the result does not depend on it).
    on_program_done : callable, optional
        Called as ``on_program_done(done, total)`` each time a program is solved and checked
        (for a progress bar).
    keep_all_pairs : bool
        Keep every eligible pair in memory, however many (``--explain`` lists them); otherwise
        large two-sided programs keep only candidates and price the rest block by block
        (:func:`matcher.assignment.compile.compile_program`).

    Returns
    -------
    list of ProgramResult
        One per program, in order: the compiled problem, the solution, each pair's explanation,
        each unmatched seeker's reason and the summary figures. Every solution has passed
        :func:`verify`.

    Raises
    ------
    ConfigError
        When a program needs a column the data lacks or lists people who are not employees.
    SolveTimeout
        When CP-SAT finds no assignment within the time limit.
    CertificateError
        When a solution fails its independent check (a bug in matcher, not in the data).

    Examples
    --------
    >>> from matcher.model import Employee, Org
    >>> from matcher.analysis.isolation import analyze
    >>> org = Org([Employee(id="A", roles="mentee"), Employee(id="B", roles="mentor")])
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4"})
    >>> [result] = assign_programs(org, analyze(org), [spec])
    >>> result.solution.status, [(a.seeker_id, a.provider_id) for a in result.assignments]
    ('optimal', [('A', 'B')])
    """
    options = options or SolveOptions()
    pop = population(org, analysis)
    results = []
    for spec in specs:
        past = history_for(spec, org, history) if history else History.empty(len(org))
        if spec.grouped:
            results.append(_assign_groups(spec, pop, past, org, history, options, threads))
            if on_program_done is not None:
                on_program_done(len(results), len(specs))
            continue
        problem = compile_program(
            spec,
            pop,
            past,
            prior=prior(spec) if prior else (),
            threads=threads,
            top_per_seeker=options.candidates_per_seeker,
            keep_all_pairs=keep_all_pairs,
        )
        solution = solve(problem, options)
        verify(
            problem,
            solution,
            org,
            history,
            prior(spec) if prior else (),
        )
        results.append(
            ProgramResult(
                spec=spec,
                problem=problem,
                solution=solution,
                assignments=explain_assignments(problem, solution),
                unmatched=explain_unmatched(problem, solution),
                summary=summarise(problem, solution, options),
            )
        )
        if on_program_done is not None:
            on_program_done(len(results), len(specs))
    return results


def _assign_groups(
    spec: ProgramSpec,
    pop: Population,
    past: History,
    org: Org,
    history: Sequence[HistoryRow],
    options: SolveOptions,
    threads: int,
) -> ProgramResult:
    """Compile, solve, check and explain a circle (or a peer program over rounds)."""
    problem = compile_program(
        spec, pop, past, threads=threads, top_per_seeker=options.candidates_per_seeker
    )
    groups = compile_groups(problem)
    solution = solve_groups(groups, options)
    verify_groups(groups, solution, org, history)
    return ProgramResult(
        spec=spec,
        problem=problem,
        solution=solution,
        assignments=explain_assignments(problem, solution),
        unmatched=explain_unplaced(groups, solution),
        summary=summarise_groups(groups, solution, options),
        groups=explain_groups(groups, solution),
        pair_rounds=[
            r
            for r, plan in enumerate(solution.groups or [], start=1)
            for members in plan
            for _ in itertools.combinations(members, 2)
        ],
    )


def summarise_groups(gp: GroupProblem, solution: Solution, options: SolveOptions) -> dict[str, Any]:
    """The per-program block of ``summary.json`` for a circle or a peer program over rounds."""
    problem = gp.pairs
    rounds = solution.groups or []
    placed = [{i for members in groups for i in members} for groups in rounds]
    anyone = set().union(*placed) if placed else set()
    places = sum(len(p) for p in placed)
    sizes = [len(members) for groups in rounds for members in groups]
    flagged = np.flatnonzero(gp.flagged).tolist()
    return {
        "kind": problem.spec.kind.value,
        "period": problem.spec.period,
        "status": solution.status,
        "objective": round(solution.objective, 6),
        "bound": round(solution.bound, 6),
        "gap": round(solution.gap, 6),
        "bound_scope": solution.bound_scope,
        "method": solution.method,
        "seekers": gp.n,
        "matched": len(anyone),
        "rounds": gp.rounds,
        "placements": places,
        "placements_bound": solution.coverage_bound,
        "coverage": round(places / (gp.n * gp.rounds), 6) if gp.n else 1.0,
        "groups": len(sizes),
        "group_sizes": {str(k): sizes.count(k) for k in sorted(set(sizes))},
        "pairs": len(solution.pairs),
        "new_connections": solution.new_connections,
        "flagged_seekers": len(flagged),
        "flagged_matched": sum(1 for k in flagged if k in anyone),
        "eligible_pairs": problem.arcs,
        "seed": options.seed,
        "time_limit": options.time_limit,
        "solve_seconds": round(solution.seconds, 3),
        "conflicts": solution.conflicts,
        "notes": [*problem.notes, *solution.notes],
    }


def verify_groups(
    gp: GroupProblem,
    solution: Solution,
    org: Org,
    history: Sequence[HistoryRow] = (),
) -> None:
    """Check a plan of groups before anything is written, with code that shares nothing with
    the solver (:func:`matcher.assignment.checks.check_groups`), and that its pairs are those
    of its groups.

    Raises
    ------
    CertificateError
        When a check fails: the solver has a bug, and no output must claim otherwise.
    """
    problem = gp.pairs
    spec, pop = problem.spec, problem.pop
    failures: list[str] = []
    if solution.status != "infeasible":
        ids = [pop.ids[i] for i in problem.seekers]
        rounds = [
            [[ids[i] for i in members] for members in groups] for groups in solution.groups or []
        ]
        if len(rounds) != spec.rounds:
            failures.append(f"round: {len(rounds)} rounds planned, {spec.rounds} asked")
        found = check_groups(
            spec,
            org,
            rounds,
            flags=facts(pop),
            history=[HistoryPair(*row) for row in history],
            as_of=pop.as_of,
        )
        failures += [f"{v.rule}: {v.message}" for v in found[:10]]
        if len(found) > 10:
            failures.append(f"… and {len(found) - 10} more broken rule(s)")
        listed = sorted(tuple(sorted((ids[a], ids[b]))) for a, b in solution.pairs)
        met = sorted(
            tuple(sorted(pair))
            for groups in rounds
            for members in groups
            for pair in itertools.combinations(members, 2)
        )
        if listed != met:
            failures.append("pairs: the pairs listed are not those that share a group")
    if failures:
        lines = "\n".join(f"  - {f}" for f in failures)
        raise CertificateError(
            f"program {spec.name!r}: the {solution.method} plan failed its independent "
            f"check:\n{lines}\n{BUG_REPORT}"
        )


def verify(
    problem: MatchingProblem,
    solution: Solution,
    org: Org,
    history: Sequence[HistoryRow] = (),
    prior: Sequence[tuple[str, str]] = (),
) -> None:
    """Check a solution before anything is written, with code that shares nothing with the solver.

    * every hard rule, capacity, per-team cap, minimum load and must/never pair holds
      (:func:`matcher.assignment.checks.check_assignment`, on this run's pairs together with
      those committed earlier in the same program and period);
    * a flow solution's claim to be optimal over all eligible pairs holds
      (:func:`matcher.assignment.certificate.certify_flow`: maximum coverage, non-negative
      reduced costs).

    Parameters
    ----------
    problem : MatchingProblem
        The compiled program.
    solution : Solution
        What :func:`matcher.assignment.solve.solve` returned for it.
    org : Org
        The organisation the program was compiled on.
    history : sequence of (kind, seeker_id, provider_id, period)
        Committed earlier pairings, as given to :func:`assign_programs`.
    prior : sequence of (seeker_id, provider_id)
        Pairs committed earlier in the program's own period (``--incremental``).

    Raises
    ------
    CertificateError
        When a check fails: the solver has a bug, and no output must claim otherwise.
    """
    spec, pop = problem.spec, problem.pop
    failures: list[str] = []
    if solution.status != "infeasible":
        ids = pop.ids
        chosen = np.array(solution.pairs, dtype=np.int64).reshape(-1, 2)
        new = list(
            zip(
                [ids[i] for i in problem.seekers[chosen[:, 0]].tolist()],
                [ids[i] for i in problem.providers[chosen[:, 1]].tolist()],
                strict=True,
            )
        )
        flags = facts(pop)
        # committed pairs of people still in the org count, once each, in a stable order (as
        # the solver counts them: someone who left takes no one's room)
        present = pop.org.index
        done = list(dict.fromkeys((a, b) for a, b in prior if a in present and b in present))
        current = {frozenset(pair) for pair in done}
        past = [
            HistoryPair(*row)
            for row in history
            if not (
                row[3] == spec.period
                and row[0] in (None, spec.kind.value)
                and frozenset(row[1:3]) in current
            )
        ]
        as_of = pop.as_of

        def check(pairs: list[tuple[str, str]]) -> list[Violation]:
            return check_assignment(spec, org, pairs, flags=flags, history=past, as_of=as_of)

        found = check(list(dict.fromkeys([*done, *new])))
        if found and done:
            # a rule the committed pairs already broke is not this run's doing; a must pair
            # or a minimum load is, whatever was committed before
            before = set(check(done))
            found = [v for v in found if v.rule in ("must", "min_load") or v not in before]
        failures += [f"{v.rule}: {v.message}" for v in found[:10]]
        if len(found) > 10:
            failures.append(f"… and {len(found) - 10} more broken rule(s)")
    if solution.potentials is not None:
        failures += certify_flow(problem, solution.pairs, solution.potentials)
    if failures:
        lines = "\n".join(f"  - {f}" for f in failures)
        raise CertificateError(
            f"program {spec.name!r}: the {solution.method} solution failed its independent "
            f"check:\n{lines}\n{BUG_REPORT}"
        )


def check_imported(
    org: Org,
    analysis: Analysis | AnalysisView,
    specs: Sequence[ProgramSpec],
    rows: Sequence[dict[str, str]],
    history: Sequence[HistoryRow] = (),
    committed: Sequence[tuple[str, str, str, str]] = (),
) -> tuple[list[str], list[str]]:
    """Check imported pairings against the rules of the programs they name.

    Rows are grouped by program and period; each group is checked, together with the pairs
    already ``committed`` for that program and period, as that program's assignment of that
    period (:func:`matcher.assignment.checks.check_assignment`, against the committed
    ``history``).

    Parameters
    ----------
    org : Org
        The organisation.
    analysis : Analysis or AnalysisView
        Its analysis, for the selectors' flags.
    specs : sequence of ProgramSpec
        The programs the rows may name.
    rows : sequence of dict
        Imported rows with ``program``, ``period``, ``seeker_id`` and ``provider_id``.
    history : sequence of (kind, seeker_id, provider_id, period)
        Committed pairings, for ``no_repeat_periods``.
    committed : sequence of (program, period, seeker_id, provider_id)
        Pairs already committed, checked with the rows of their program and period.

    Returns
    -------
    (violations, unchecked)
        Broken rules in words (``program@period: rule: message``) and the programs named by the
        rows that ``specs`` does not hold.

    Examples
    --------
    >>> from matcher.model import Employee, Org
    >>> from matcher.analysis.isolation import analyze
    >>> org = Org([Employee(id="A", roles="mentee", team="x"),
    ...            Employee(id="B", roles="mentor", team="x")])
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4",
    ...     "rules": {"same_team": "forbidden"}})
    >>> rows = [{"program": "m", "period": "2026Q3", "seeker_id": "A", "provider_id": "B"},
    ...         {"program": "x", "period": "2026Q3", "seeker_id": "A", "provider_id": "B"}]
    >>> check_imported(org, analyze(org), [spec], rows)
    (['m@2026Q3: same_team: A and B are in the same team, which same_team = forbidden excludes'], ['x'])
    """
    pop = population(org, analysis)
    flags = facts(pop)
    by_name = {spec.name: spec for spec in specs}
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row in rows:
        key = ((row.get("program") or "").strip(), (row.get("period") or "").strip())
        pair = ((row.get("seeker_id") or "").strip(), (row.get("provider_id") or "").strip())
        groups.setdefault(key, []).append(pair)
    booked: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for program, period, seeker, provider in committed:
        booked.setdefault((program, period), []).append((seeker, provider))
    found: list[str] = []
    unchecked: set[str] = set()
    for (name, period), pairs in sorted(groups.items()):
        if name not in by_name:
            unchecked.add(name)
            continue
        spec = by_name[name].model_copy(update={"period": period})
        already = booked.get((name, period), [])
        mine = {frozenset(pair) for pair in already}
        past = [  # the committed pairs of this period are checked as part of it, not as repeats
            HistoryPair(*row)
            for row in history
            if not (row[3] == period and frozenset(row[1:3]) in mine)
        ]
        for violation in check_assignment(
            spec, org, [*already, *pairs], flags=flags, history=past, as_of=pop.as_of
        ):
            found.append(f"{name}@{period}: {violation.rule}: {violation.message}")
    return found, sorted(unchecked)


def facts(pop: Population) -> dict[str, set[str]]:
    """What the independent checker reads of each person beside the org: their flags, and
    :data:`~matcher.analysis.survey.SAYS_NO_ONE` when they said so in a survey."""
    said = pop.says_no_one
    return {
        pop.ids[k]: set(f) | ({SAYS_NO_ONE} if said is not None and said[k] else set())
        for k, f in enumerate(pop.flags)
    }
