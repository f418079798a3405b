"""Render analysis results to the contract's files: analysis.csv, teams.csv, summary.json."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from matcher.analysis.isolation import Analysis, AnalysisView, PersonMetrics
from matcher.analysis.teams import TeamMetrics
from matcher.assignment.scoring import TERMS
from matcher.errors import ConfigError
from matcher.io.public import assignment_text, public_people, public_summary
from matcher.io.workbook import REVIEW_WORKBOOK, write_review_workbook
from matcher.io.write import MANIFEST, OutputDir, published_folder
from matcher.model import Org
from matcher.privacy import Pseudonymizer, tenure_band, tenure_edges

if TYPE_CHECKING:  # assign pulls in the solver (OR-Tools): analyze need not load it
    from matcher.assignment.run import ProgramResult

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
    "tenure_band",
)
SURVEY_ANALYSIS_COLUMNS = ("survey_responded", "says_has_someone", "names", "named_by", "signals")
"""Columns ``analysis.csv`` gains when the analysis heard a survey (``analyze --survey``)."""
SURVEY_TEAM_COLUMNS = ("survey_respondents", "says_has_someone_share")
"""Columns ``teams.csv`` gains with a survey (shares withheld under ``min_group_size``)."""
TIES_FILE = "ties.npz"
"""What ``assign --analysis`` reads: each person's flags, community and strong ties, and the tie
strengths, by position in the employees file (no ids, so pseudonymised runs need no key)."""
TIES_VERSION = 1
ANALYSIS_FILES = ("analysis.csv", "teams.csv", "rejects.csv", TIES_FILE, "summary.json")
ASSIGN_FILES = (
    "assignments.csv",
    "unmatched.csv",
    "pairs.csv",
    "candidates.csv",
    "groups.csv",
    "group-reasons.csv",
    "summary.json",
    "review.xlsx",
)
OUTPUT_FILES = frozenset((*ANALYSIS_FILES, *ASSIGN_FILES, MANIFEST))
"""Every name ``analyze`` and ``assign`` write: a plain ``--out`` folder of an older matcher
holding only these is taken over (see :func:`matcher.io.write.published_folder`)."""
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
    """A row of ``analysis.csv`` before its tenure band (and survey columns)."""
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


def _survey_row(person: PersonMetrics) -> list[object]:
    return [
        person.survey_responded,
        person.says_has_someone,
        person.names,
        person.named_by,
        ";".join(person.signals),
    ]


def _team_row(team: TeamMetrics) -> list[object]:
    return [
        team.team,
        team.size,
        team.suppressed,
        team.siloed,
        team.external_share,
        team.internal_strength,
        team.external_strength,
        team.connected_teams,
        team.isolated_members,
        team.peripheral_members,
        team.reasons,
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
    """Write ``analysis.csv``, ``teams.csv``, ``summary.json`` (and ``rejects.csv``) atomically:
    ``out_dir`` switches to the new files as a whole (:func:`matcher.io.write.published_folder`).

    Returns the names of the files written.
    """
    summary = dict(analysis.summary)
    summary["pseudonymized"] = pseudonymizer is not None
    if pseudonymizer is None:
        edges = tenure_edges(analysis.config.new_hire_days)
        people = [(p, tenure_band(p.tenure_days, edges)) for p in analysis.people]
    else:  # k-anonymous and in pseudonym order: see matcher.io.public.public_people
        people = public_people(analysis, pseudonymizer)
        summary["rows_left_out"] = len(analysis.people) - len(people)
    heard = analysis.survey is not None
    with _published(out_dir) as out:
        out.write_csv(
            "analysis.csv",
            ANALYSIS_COLUMNS + (SURVEY_ANALYSIS_COLUMNS if heard else ()),
            ([*_person_row(p, p.id), b, *(_survey_row(p) if heard else ())] for p, b in people),
        )
        out.write_csv(
            "teams.csv",
            TEAM_COLUMNS + (SURVEY_TEAM_COLUMNS if heard else ()),
            (
                [
                    *_team_row(t),
                    *((t.survey_respondents, t.says_has_someone_share) if heard else ()),
                ]
                for t in analysis.teams
            ),
        )
        if rejects is not None and rejects.num_rows:
            table = pseudonymize_rejects(rejects, pseudonymizer) if pseudonymizer else rejects
            out.write_table("rejects.csv", table)
            summary["rejects_file"] = "rejects.csv"
        with out.path(TIES_FILE).open("wb") as handle:
            ids = [p.id for p in analysis.people]
            _write_view(analysis.view(), handle, _keyed_order(ids, pseudonymizer))
        out.write_json("summary.json", summary)
        return list(out.names)


KEY_CHECK = "matcher ties.npz key check"
"""Pseudonymised with this text, it tells whether a key is the one an analysis was keyed with."""


def _keyed_order(
    ids: list[str], pseudonymizer: Pseudonymizer | None
) -> tuple[np.ndarray, str] | None:
    """For a pseudonymised analysis: the rows in pseudonym order, and the key's check value.

    By row of the employees file, ``ties.npz`` would tell anyone holding that file who is
    flagged; in pseudonym order only the key holder can put the rows back."""
    if pseudonymizer is None:
        return None
    order = np.argsort(
        np.array([pseudonymizer.pseudonym(i) for i in ids], dtype=str), kind="stable"
    )
    return order, pseudonymizer.pseudonym(KEY_CHECK)


def _write_view(
    view: AnalysisView, handle: BinaryIO, keyed: tuple[np.ndarray, str] | None = None
) -> None:
    """The view without ids: by position in the employees file, or in the keyed order of
    :func:`_keyed_order` (see :data:`TIES_FILE`)."""
    n = len(view.flags)
    order = np.arange(n) if keyed is None else keyed[0]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    upper = sp.triu(view.strength, k=1).tocoo()
    names = sorted({flag for flags in view.flags for flag in flags})
    bits = np.zeros(n, dtype=np.uint64)
    for k, flags in enumerate(view.flags):
        for flag in flags:
            bits[k] |= np.uint64(1 << names.index(flag))
    arrays: dict[str, np.ndarray] = {
        "version": np.int64(TIES_VERSION),  # type: ignore[dict-item]
        "flag_names": np.array(names, dtype=str),
        "flag_bits": bits[order],
        "community": view.community.astype(np.int64)[order],
        "strong_ties": view.strong_ties.astype(np.int64)[order],
        "row": position[upper.row].astype(np.int32),
        "col": position[upper.col].astype(np.int32),
        "strength": upper.data.astype(np.float64),
        "threshold": np.float64(view.threshold),  # type: ignore[dict-item]
    }
    if view.says_no_one is not None:
        arrays["says_no_one"] = view.says_no_one.astype(bool)[order]
    if keyed is not None:
        arrays["key_check"] = np.array(keyed[1], dtype=str)
    np.savez(handle, **arrays)  # type: ignore[arg-type]


def _sha256(source: str) -> str:
    """The digest of an ``Org.sources`` entry (``"path sha256:…"``)."""
    return source.rpartition("sha256:")[2]


def read_analysis_view(
    directory: str | Path, org: Org, pseudonymizer: Pseudonymizer | None = None
) -> AnalysisView:
    """Read back what ``matcher analyze`` wrote to ``directory`` for ``org``'s people.

    A pseudonymised analysis keeps its rows in keyed order: ``pseudonymizer`` (the same key)
    puts them back.

    Raises
    ------
    ConfigError
        When ``directory`` is not an analysis output, was made from another employees file, or
        was pseudonymised and the key is missing or another one.
    """
    directory = Path(directory)
    summary, as_of, ties = _read_saved(directory, org)
    n = len(org)
    # saved row k is the person at row order[k] of the employees file
    order = _saved_order(directory, ties, org.ids, pseudonymizer)
    names = [str(name) for name in ties["flag_names"]]
    bits = np.empty_like(ties["flag_bits"])
    bits[order] = ties["flag_bits"]
    flags = [
        frozenset(name for k, name in enumerate(names) if int(b) >> k & 1) for b in bits.tolist()
    ]
    upper = sp.coo_matrix(
        (ties["strength"], (order[ties["row"]], order[ties["col"]])), shape=(n, n)
    )
    community, strong_ties = np.empty_like(ties["community"]), np.empty_like(ties["strong_ties"])
    community[order], strong_ties[order] = ties["community"], ties["strong_ties"]
    says_no_one = None
    if "says_no_one" in ties:
        says_no_one = np.empty(n, bool)
        says_no_one[order] = ties["says_no_one"]
    return AnalysisView(
        as_of=as_of,
        flags=flags,
        community=community,
        strong_ties=strong_ties,
        strength=(upper + upper.T).tocsr(),
        threshold=float(ties["threshold"]),
        config=dict(summary.get("config", {})),
        sources=dict(summary["inputs"]),
        says_no_one=says_no_one,
    )


def _read_saved(directory: Path, org: Org) -> tuple[Any, dt.datetime, dict[str, np.ndarray]]:
    """An analysis folder's summary, date and arrays (one version, should analyze switch the
    folder meanwhile), checked: this matcher's version, made from ``org``'s employees file."""
    folder = directory.resolve()
    summary_file, ties_file = folder / "summary.json", folder / TIES_FILE
    if not summary_file.is_file():
        raise ConfigError(
            f"{directory} is not the output of matcher analyze: it has no summary.json"
        )
    if not ties_file.is_file():
        raise ConfigError(f"{directory} has no {TIES_FILE}: run matcher analyze again to write it")
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
        made_from = _sha256(summary["inputs"]["employees"])
        as_of = dt.datetime.fromisoformat(summary["as_of"])
        with np.load(ties_file, allow_pickle=False) as saved:
            ties = {name: saved[name] for name in saved.files}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{directory}: cannot read the analysis ({exc})") from exc
    if int(ties["version"]) != TIES_VERSION:
        raise ConfigError(
            f"{ties_file} has version {int(ties['version'])}, this matcher reads {TIES_VERSION}: run matcher analyze again"
        )
    if made_from != _sha256(org.sources.get("employees", "")):
        raise ConfigError(
            f"the analysis in {directory} was made from another employees file "
            f"({summary['inputs']['employees']}): run matcher analyze on {org.sources.get('employees', '?').rpartition(' sha256:')[0]}, or leave out --analysis"
        )
    if len(ties["flag_bits"]) != len(org):
        raise ConfigError(
            f"{ties_file} holds {len(ties['flag_bits'])} people, the employees file {len(org)}"
        )
    return summary, as_of, ties


def _saved_order(
    directory: Path,
    ties: dict[str, np.ndarray],
    ids: list[str],
    pseudonymizer: Pseudonymizer | None,
) -> np.ndarray:
    """Where each saved row goes in the employees file: in order, or, for a pseudonymised
    analysis, in the keyed order of the same key (checked)."""
    if "key_check" not in ties:
        return np.arange(len(ids))
    if pseudonymizer is None:
        raise ConfigError(
            f"the analysis in {directory} was pseudonymised: its rows can only be read with "
            "the same key (--key-file FILE or the key's environment variable)"
        )
    if pseudonymizer.pseudonym(KEY_CHECK) != str(ties["key_check"]):
        raise ConfigError(
            f"the analysis in {directory} was pseudonymised with another key: give the key "
            "it was made with"
        )
    keyed = _keyed_order(ids, pseudonymizer)
    assert keyed is not None
    return keyed[0]


def count_by_reason(rejects: pa.Table) -> dict[str, int]:
    """How many rejected rows per reason."""
    if rejects.num_rows == 0:
        return {}
    counts = pc.value_counts(rejects.column("reason")).to_pylist()
    return {c["values"]: int(c["counts"]) for c in counts}


# ------------------------------------------------------------------------------- assign

ASSIGNMENT_COLUMNS = ("program", "seeker_id", "provider_id", "score")
UNMATCHED_COLUMNS = ("program", "seeker_id", "reason")
GROUP_COLUMNS = ("program", "period", "round", "group", "member_id")
"""``groups.csv`` (circles and rounds; partner-facing: no reasons)."""
GROUP_REASON_COLUMNS = ("program", "period", "round", "group", "size", "score", "why")
"""``group-reasons.csv``: why each group, for HR."""


@contextmanager
def _published(out_dir: str | Path | OutputDir) -> Iterator[OutputDir]:
    """A folder staged by the caller as it is, else a new :func:`published_folder`."""
    if isinstance(out_dir, OutputDir):
        yield out_dir
        return
    with published_folder(out_dir, ours=OUTPUT_FILES) as out:
        yield out


def write_assignments(
    results: list[ProgramResult],
    out_dir: str | Path | OutputDir,
    summary: dict[str, object],
    *,
    explain: bool = False,
    with_names: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
    excel: bool = False,
) -> list[str]:
    """Write assignments.csv, unmatched.csv, pairs.csv (partner-facing), summary.json, for
    circles and rounds groups.csv (partner-facing) and group-reasons.csv, review.xlsx (the
    workbook HR opens: :mod:`matcher.io.workbook`) and, with ``explain``, candidates.csv, all
    atomically (``excel``: the CSV files start with a UTF-8 byte order mark). Returns the
    file names.

    ``out_dir`` may be a folder already staged by :func:`matcher.io.write.published_folder`:
    the files are then written into it and published when the caller's block ends."""
    rename = pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)
    scrub: Callable[[str], str] = (
        assignment_text(results, pseudonymizer) if pseudonymizer else (lambda text: text)
    )
    term_columns = tuple(TERMS)
    with _published(out_dir) as out:
        out.bom = excel
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
                    scrub(row.why),
                ]
                for result in results
                for row in result.assignments
            ),
        )
        out.write_csv(
            "unmatched.csv",
            UNMATCHED_COLUMNS,
            (
                [row.program, rename(row.seeker_id), scrub(row.reason)]
                for result in results
                for row in result.unmatched
            ),
        )
        out.write_csv("pairs.csv", *_partner_rows(results, with_names, rename))
        if any(result.groups for result in results):
            out.write_csv("groups.csv", *_group_rows(results, with_names, rename))
            out.write_csv(
                "group-reasons.csv",
                GROUP_REASON_COLUMNS,
                (
                    [g.program, g.period, g.round, g.group, len(g.members), g.score, scrub(g.why)]
                    for result in results
                    for g in result.groups
                ),
            )
        if explain:
            out.write_table("candidates.csv", _candidates_table(results, rename))
        out.write_json("summary.json", public_summary(summary, results, pseudonymizer))
        write_review_workbook(
            out.path(REVIEW_WORKBOOK),
            results,
            summary,
            rename=rename,
            scrub=scrub,
            with_names=pseudonymizer is None,
        )
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


def _group_rows(
    results: list[ProgramResult], with_names: bool, rename: Callable[[str], str]
) -> tuple[tuple[str, ...], list[list[object]]]:
    """Who is in which group of which round: never why."""
    header: tuple[str, ...] = GROUP_COLUMNS
    if with_names:
        header += ("member_name", "member_email")
    rows: list[list[object]] = []
    for result in results:
        people = {e.id: e for e in result.problem.pop.org.employees}
        for group in result.groups:
            for member in group.members:
                line: list[object] = [
                    group.program,
                    group.period,
                    group.round,
                    group.group,
                    rename(member),
                ]
                if with_names:
                    line += [people[member].name, people[member].email]
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
