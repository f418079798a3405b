"""``matcher review``: what the local review page shows and does, as library functions.

The page (:mod:`matcher.review`) renders these and calls them; each action is also a command:
re-solving with locked, forbidden or dropped pairs is ``matcher assign --from-run RUN
--lock/--forbid/--drop``, approving ``matcher history commit``, rejecting ``matcher history
reject``, comparing ``matcher history diff``.
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.assignment.edits import PairEdits
from matcher.errors import HistoryError, MatcherError
from matcher.history import Action, History, Run
from matcher.io.tables import read_table
from matcher.workflows.assign import AssignRequest, assign_files, edits_of
from matcher.workflows.common import Reporter


@dataclass(frozen=True)
class Proposal:
    """One run as the review page shows it."""

    run: Run
    summary: dict[str, Any]
    pairs: list[tuple[str, str, float | None, str]]
    """``(seeker_id, provider_id, score, why)``."""
    unmatched: list[tuple[str, str]]
    """``(seeker_id, reason)``."""
    loads: list[tuple[str, int]]
    """Each provider's number of seekers in this run, most loaded first."""
    actions: list[Action]
    edits: PairEdits
    names: dict[str, str] = field(default_factory=dict)
    """Employee names by id, when the run's employees file is still there and has them."""
    replayable: bool = False
    """Whether the run recorded what a re-solve needs (its program file still exists)."""

    @property
    def coverage(self) -> float | None:
        """Share of seekers matched (``None`` for runs stored without their figures)."""
        value = self.summary.get("coverage")
        return None if value is None else float(value)


def proposals(db: Path) -> dict[tuple[str, str], list[Run]]:
    """Every run, by program and period (newest period first, runs oldest first).

    Raises
    ------
    HistoryError
        When there is no database at ``db`` (none is created).
    """
    with History(db, create=False) as store:
        runs = store.runs()
    grouped: dict[tuple[str, str], list[Run]] = {}
    for run in sorted(runs, key=lambda r: (r.program, r.period)):
        grouped.setdefault((run.program, run.period), []).append(run)
    return dict(sorted(grouped.items(), key=lambda item: (item[0][1], item[0][0]), reverse=True))


def coverages(db: Path, runs: list[Run]) -> dict[str, float | None]:
    """Each run's coverage, as stored with it (``None`` when it was not)."""
    with History(db, create=False) as store:
        return {run.run_id: store.run_record(run.run_id)["summary"].get("coverage") for run in runs}


def proposal(db: Path, run_id: str) -> Proposal:
    """One run with its figures, pairs and reasons, unmatched seekers, loads and actions.

    Raises
    ------
    HistoryError
        When there is no database at ``db`` or no such run.
    """
    with History(db, create=False) as store:
        run = store.get(run_id)
        record = store.run_record(run_id)
        pairs = store.run_reasons(run_id)
        unmatched = store.unmatched(run_id)
        actions = store.actions(run_id)
        edits = edits_of(store, run_id)
    loads = Counter(provider for _, provider, _, _ in pairs)
    request = record["inputs"].get("request") or {}
    program_file: str | None = request.get("program_file")
    return Proposal(
        run=run,
        summary=record["summary"],
        pairs=pairs,
        unmatched=unmatched,
        loads=sorted(loads.items(), key=lambda item: (-item[1], item[0])),
        actions=actions,
        edits=edits,
        names=_names(request.get("employees") or _path_of(record["inputs"].get("employees"))),
        replayable=program_file is not None and Path(program_file).is_file(),
    )


def _path_of(source: str | None) -> str | None:
    """The path of an ``inputs`` entry (``"PATH sha256:HEX"``)."""
    if not source:
        return None
    return re.sub(r" sha256:[0-9a-f]+$", "", source)


def _names(employees: str | None) -> dict[str, str]:
    if not employees or not Path(employees).is_file():
        return {}
    try:
        table, _ = read_table(employees, ("id",))
    except MatcherError:  # a names column is a nicety: a file that no longer reads loses only it
        return {}
    if "name" not in table.column_names:
        return {}
    return {
        str(i): str(n)
        for i, n in zip(table["id"].to_pylist(), table["name"].to_pylist(), strict=True)
        if n
    }


def resolve(
    db: Path,
    run_id: str,
    edits: PairEdits,
    *,
    out_root: Path,
    by: str | None = None,
    reporter: Reporter | None = None,
) -> str:
    """Solve ``run_id``'s program again with its edits and ``edits`` (the same as ``matcher
    assign PROGRAM --from-run RUN --lock/--forbid/--drop``), writing the outputs to a folder
    of ``out_root`` named after the new run. Returns the new run's id.

    Raises
    ------
    HistoryError
        When the run did not record what a re-solve needs (imported runs, runs of an older
        matcher) or its program file is gone.
    """
    with History(db, create=False) as store:
        run = store.get(run_id)
        request = store.run_record(run_id)["inputs"].get("request")
        next_id = store.next_run_id(run.program, run.period)
    if (
        not request
        or not request.get("program_file")
        or not Path(request["program_file"]).is_file()
    ):
        raise HistoryError(
            f"run {run_id!r} cannot be solved again here: it did not record its program file, "
            "or the file is gone (re-solve with matcher assign PROGRAM --from-run RUN)"
        )

    def path(key: str) -> Path | None:
        return Path(request[key]) if request.get(key) else None

    summary = assign_files(
        AssignRequest(
            program_file=Path(request["program_file"]),
            out_dir=out_root / re.sub(r"[^A-Za-z0-9_.-]+", "-", next_id),
            db=db,
            programs=(run.program,),
            employees=path("employees"),
            interactions=path("interactions"),
            survey=path("survey"),
            analysis=path("analysis"),
            seed=int(request.get("seed", 0)),
            time_limit=float(request.get("time_limit", 60.0)),
            explain=bool(request.get("explain", False)),
            with_names=bool(request.get("with_names", False)),
            excel=bool(request.get("excel", False)),
            by=by,
            edits=edits,
            from_run=run_id,
        ),
        reporter,
    )
    return str(summary["programs"][run.program]["run_id"])


def resolve_command(db: Path, run_id: str, edits: PairEdits) -> str:
    """The ``matcher assign`` command line that makes the same re-solve."""
    with History(db, create=False) as store:
        request = store.run_record(run_id)["inputs"].get("request") or {}
    words = ["matcher", "assign", request.get("program_file") or "PROGRAM.toml"]
    words += ["--from-run", run_id]
    for kind in ("lock", "forbid", "drop"):
        for seeker, provider in getattr(edits, kind):
            words += [f"--{kind}", f"{seeker}:{provider}"]
    words += ["--db", str(db), "--out", "DIR"]
    return shlex.join(words)
