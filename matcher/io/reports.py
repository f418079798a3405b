"""Render analysis results to the contract's files: analysis.csv, teams.csv, summary.json."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.constraints import TERMS
from matcher.io.write import atomic_output
from matcher.isolation import Analysis, PersonMetrics
from matcher.privacy import Pseudonymizer

if TYPE_CHECKING:  # assign pulls in the solver (OR-Tools): analyze need not load it
    from matcher.assign import ProgramResult

ANALYSIS_COLUMNS = (
    "id",
    "flags",
    "strong_ties",
    "reciprocal_contacts",
    "strength",
    "coreness",
    "community",
    "cross_team_share",
    "reasons",
    "cross_community_share",
    "betweenness",
    "pagerank",
    "one_way_contacts",
    "strong_tie_teams",
    "team",
    "tenure_days",
)
TEAM_COLUMNS = (
    "team",
    "size",
    "suppressed",
    "siloed",
    "external_share",
    "internal_strength",
    "external_strength",
    "connected_teams",
    "isolated_members",
    "peripheral_members",
    "reasons",
)


def _person_row(person: PersonMetrics, name: str) -> list[object]:
    return [
        name,
        ";".join(person.flags),
        person.strong_ties,
        person.reciprocal_contacts,
        person.strength,
        person.coreness,
        f"C{person.community + 1}",
        person.cross_team_share,
        person.reasons,
        person.cross_community_share,
        person.betweenness,
        person.pagerank,
        person.one_way_contacts,
        person.strong_tie_teams,
        person.team,
        person.tenure_days,
    ]


def pseudonymize_rejects(rejects: pa.Table, pseudonymizer: Pseudonymizer) -> pa.Table:
    """Replace the ids of a rejects table by pseudonyms."""
    if rejects.num_rows == 0:
        return rejects
    columns = {}
    for name in rejects.column_names:
        column = rejects.column(name)
        if name in ("source", "target"):
            values = [None if v is None else pseudonymizer.pseudonym(v) for v in column.to_pylist()]
            column = pa.chunked_array([pa.array(values, pa.string())])
        columns[name] = column
    return pa.table(columns)


def write_analysis(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    rejects: pa.Table | None = None,
    pseudonymizer: Pseudonymizer | None = None,
) -> list[str]:
    """Write ``analysis.csv``, ``teams.csv``, ``summary.json`` (and ``rejects.csv``) atomically.

    Returns the names of the files written.
    """
    rename = pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)
    summary = dict(analysis.summary)
    summary["pseudonymized"] = pseudonymizer is not None
    with atomic_output(out_dir) as out:
        out.write_csv(
            "analysis.csv",
            ANALYSIS_COLUMNS,
            (_person_row(p, rename(p.id)) for p in analysis.people),
        )
        out.write_csv(
            "teams.csv",
            TEAM_COLUMNS,
            (
                [
                    t.team,
                    t.size,
                    t.suppressed,
                    t.siloed,
                    t.external_share,
                    t.internal_strength,
                    t.external_strength,
                    t.connected_teams,
                    t.isolated_members,
                    t.peripheral_members,
                    t.reasons,
                ]
                for t in analysis.teams
            ),
        )
        if rejects is not None and rejects.num_rows:
            table = pseudonymize_rejects(rejects, pseudonymizer) if pseudonymizer else rejects
            out.write_table("rejects.csv", table)
            summary["rejects_file"] = "rejects.csv"
        out.write_json("summary.json", summary)
        return list(out.names)


def count_by_reason(rejects: pa.Table) -> dict[str, int]:
    """How many rejected rows per reason."""
    if rejects.num_rows == 0:
        return {}
    counts = pc.value_counts(rejects.column("reason")).to_pylist()
    return {c["values"]: int(c["counts"]) for c in counts}


# ------------------------------------------------------------------------------- assign

ASSIGNMENT_COLUMNS = ("program", "seeker_id", "provider_id", "score")
UNMATCHED_COLUMNS = ("program", "seeker_id", "reason")


def write_assignments(
    results: list[ProgramResult],
    out_dir: str | Path,
    summary: dict[str, object],
    *,
    explain: bool = False,
    with_names: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
) -> list[str]:
    """Write assignments.csv, unmatched.csv, pairs.csv (partner-facing), summary.json and,
    with ``explain``, candidates.csv, all atomically. Returns the file names."""
    rename = pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)
    term_columns = tuple(TERMS)
    with atomic_output(out_dir) as out:
        out.write_csv(
            "assignments.csv",
            (*ASSIGNMENT_COLUMNS, *term_columns, "why"),
            (
                [
                    row.program,
                    rename(row.seeker_id),
                    rename(row.provider_id),
                    row.score,
                    *(row.contributions[t] for t in term_columns),
                    row.why,
                ]
                for result in results
                for row in result.assignments
            ),
        )
        out.write_csv(
            "unmatched.csv",
            UNMATCHED_COLUMNS,
            (
                [row.program, rename(row.seeker_id), row.reason]
                for result in results
                for row in result.unmatched
            ),
        )
        out.write_csv("pairs.csv", *_partner_rows(results, with_names, rename))
        if explain:
            out.write_table("candidates.csv", _candidates_table(results, rename))
        out.write_json("summary.json", summary)
        return list(out.names)


def _partner_rows(
    results: list[ProgramResult], with_names: bool, rename: Callable[[str], str]
) -> tuple[tuple[str, ...], list[list[object]]]:
    """Who is paired with whom, per program: never why (no flags, scores or reasons)."""
    header: tuple[str, ...] = ("program", "period", "seeker_id", "provider_id")
    if with_names:
        header += ("seeker_name", "seeker_email", "provider_name", "provider_email")
    rows: list[list[object]] = []
    for result in results:
        people = {e.id: e for e in result.problem.pop.org.employees}
        for row in result.assignments:
            line: list[object] = [
                row.program,
                result.spec.period,
                rename(row.seeker_id),
                rename(row.provider_id),
            ]
            if with_names:
                seeker, provider = people[row.seeker_id], people[row.provider_id]
                line += [seeker.name, seeker.email, provider.name, provider.email]
            rows.append(line)
    return header, rows


def _candidates_table(results: list[ProgramResult], rename: Callable[[str], str]) -> pa.Table:
    parts = []
    for result in results:
        problem = result.problem
        ids = problem.pop.ids
        seeker_ids = pa.array([rename(ids[i]) for i in problem.seekers], pa.string())
        provider_ids = pa.array([rename(ids[i]) for i in problem.providers], pa.string())
        parts.append(
            pa.table(
                {
                    "program": pa.array([result.spec.name] * problem.arcs, pa.string()),
                    "seeker_id": pc.take(seeker_ids, pa.array(problem.arc_seeker)),
                    "provider_id": pc.take(provider_ids, pa.array(problem.arc_provider)),
                    "score": pa.array(np.round(problem.arc_score, 6)),
                }
            )
        )
    if not parts:
        return pa.table({"program": [], "seeker_id": [], "provider_id": [], "score": []})
    return pa.concat_tables(parts)
