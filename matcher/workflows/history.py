"""``matcher history``: the runs in the history database; pairings imported and exported.

The database is HR's own store and keeps real employee ids; what these functions return or
write names people by keyed pseudonyms when given a pseudonymizer (the database is not
changed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.analysis.isolation import analyze as run_analysis
from matcher.assignment.run import check_imported
from matcher.errors import HistoryError
from matcher.history import Action, History, Run
from matcher.io.load import load_org
from matcher.io.programs import employees_file, load_program_file
from matcher.io.tables import read_table
from matcher.io.write import write_csv_file
from matcher.privacy import Pseudonymizer
from matcher.workflows.common import Reporter, Silent

EXPORT_COLUMNS = ("program", "seeker_id", "provider_id", "period", "kind", "run_id")
SHOWN_VIOLATIONS = 50


def _renamer(pseudonymizer: Pseudonymizer | None) -> Callable[[str], str]:
    return pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)


def list_runs(db: Path) -> list[Run]:
    """Every run in the database, oldest first.

    Raises
    ------
    HistoryError
        When there is no database at ``db`` (none is created).
    """
    with History(db, create=False) as store:
        return store.runs()


def show_run(
    db: Path, run_id: str, pseudonymizer: Pseudonymizer | None = None
) -> tuple[Run, list[tuple[str, str, float | None]]]:
    """One run and its pairs (seeker, provider, score), renamed by ``pseudonymizer``.

    Raises
    ------
    HistoryError
        When the database has no such run.
    """
    rename = _renamer(pseudonymizer)
    with History(db, create=False) as store:
        run = store.get(run_id)
        pairs = [(rename(s), rename(p), score) for s, p, score in store.run_pairs(run_id)]
    return run, pairs


def commit_run(db: Path, run_id: str, by: str | None = None) -> Run:
    """Approve a proposal: its pairs count as history from now on (see
    :meth:`matcher.history.History.commit` for what is refused); ``by`` is recorded as who
    approved it."""
    with History(db, create=False) as store:
        return store.commit(run_id, actor=by)


def withdraw_run(db: Path, run_id: str, by: str | None = None) -> Run:
    """Take back a committed run: its pairs stop counting as history (``by``: who did it)."""
    with History(db, create=False) as store:
        return store.withdraw(run_id, actor=by)


def reject_run(db: Path, run_id: str, by: str | None = None, note: str = "") -> Run:
    """Turn a proposal down: it stays in the history, and can never be committed.

    Raises
    ------
    HistoryError
        When the run is not a proposal (a committed run is withdrawn instead).
    """
    with History(db, create=False) as store:
        return store.reject(run_id, actor=by, note=note)


def run_actions(db: Path, run_id: str | None = None) -> list[Action]:
    """Who did what to one run (or to every run), oldest first."""
    with History(db, create=False) as store:
        if run_id:
            store.get(run_id)
        return store.actions(run_id)


@dataclass(frozen=True)
class RunDiff:
    """What changed from run ``a`` to run ``b``: pairs as ``(seeker_id, provider_id)``."""

    a: Run
    b: Run
    added: list[tuple[str, str]]
    removed: list[tuple[str, str]]
    kept: list[tuple[str, str]]
    coverage: tuple[float | None, float | None]
    objective: tuple[float | None, float | None]

    @property
    def coverage_change(self) -> float | None:
        """``b``'s coverage minus ``a``'s (``None`` when a run did not keep its coverage)."""
        a, b = self.coverage
        return None if a is None or b is None else round(b - a, 6)

    @property
    def objective_change(self) -> float | None:
        """``b``'s objective minus ``a``'s."""
        a, b = self.objective
        return None if a is None or b is None else round(b - a, 6)

    def as_dict(self) -> dict[str, Any]:
        """The diff as plain data (for ``--json`` and the review page)."""
        return {
            "a": self.a.run_id,
            "b": self.b.run_id,
            "added": [list(p) for p in self.added],
            "removed": [list(p) for p in self.removed],
            "kept": [list(p) for p in self.kept],
            "coverage": list(self.coverage),
            "coverage_change": self.coverage_change,
            "objective": list(self.objective),
            "objective_change": self.objective_change,
        }


def diff_runs(
    db: Path, run_a: str, run_b: str, pseudonymizer: Pseudonymizer | None = None
) -> RunDiff:
    """Compare two runs: the pairs ``run_b`` adds, removes and keeps against ``run_a``, and
    how coverage and the objective change.

    Raises
    ------
    HistoryError
        When there is no database at ``db`` or it lacks either run.

    Examples
    --------
    >>> import tempfile
    >>> from matcher.history import History
    >>> folder = Path(tempfile.mkdtemp())
    >>> with History(folder / "h.db") as store:
    ...     store.import_rows(
    ...         [{"program": "m", "seeker_id": "S1", "provider_id": "P1", "period": "2026Q3"},
    ...          {"program": "m", "seeker_id": "S2", "provider_id": "P1", "period": "2026Q3"},
    ...          {"program": "m", "seeker_id": "S1", "provider_id": "P2", "period": "2026Q4"},
    ...          {"program": "m", "seeker_id": "S2", "provider_id": "P1", "period": "2026Q4"}],
    ...         "past.csv")
    ['m@2026Q3#1', 'm@2026Q4#1']
    >>> diff = diff_runs(folder / "h.db", "m@2026Q3#1", "m@2026Q4#1")
    >>> diff.added, diff.removed, diff.kept
    ([('S1', 'P2')], [('S1', 'P1')], [('S2', 'P1')])
    """
    rename = _renamer(pseudonymizer)
    with History(db, create=False) as store:
        runs = (store.get(run_a), store.get(run_b))
        pairs = [[(s, p) for s, p, _ in store.run_pairs(r.run_id)] for r in runs]
        coverage = tuple(store.run_record(r.run_id)["summary"].get("coverage") for r in runs)
    before, after = set(pairs[0]), set(pairs[1])

    def named(chosen: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(rename(s), rename(p)) for s, p in chosen]

    return RunDiff(
        a=runs[0],
        b=runs[1],
        added=named([p for p in pairs[1] if p not in before]),
        removed=named([p for p in pairs[0] if p not in after]),
        kept=named([p for p in pairs[1] if p in before]),
        coverage=(coverage[0], coverage[1]),
        objective=(runs[0].objective, runs[1].objective),
    )


@dataclass(frozen=True)
class Imported:
    """What an import recorded."""

    runs: list[str]
    rows: int
    violations: list[str] = field(default_factory=list)
    """The rules the imported pairings break (recorded with the run; only with ``force``)."""


def import_pairings(
    file: Path,
    db: Path,
    *,
    program_file: Path | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
    by: str | None = None,
) -> Imported:
    """Import past pairings (``program,seeker_id,provider_id,period[,kind]``) as committed runs.

    With ``program_file`` the pairings are first checked against the rules of the programs
    they name (the data of that file is loaded and analysed); pairings that break a rule, or
    that sit beside committed runs of the same program and period, are refused unless
    ``force``.

    Raises
    ------
    HistoryError
        When pairings break the programs' rules and ``force`` is not given (nothing is
        imported), or the file's rows cannot be recorded.
    DataError
        When the file lacks a column or a cell is bad.
    """
    reporter = reporter or Silent()
    table, _ = read_table(file, ("program", "seeker_id", "provider_id", "period"))
    rows = table.to_pylist()
    broken: list[str] = []
    with History(db) as store:
        if program_file is None:
            reporter.warn(
                "the pairings were not checked against any program's rules "
                "(give --program FILE to check them)"
            )
        else:
            broken = _broken_rules(store, rows, program_file, reporter)
            if broken and not force:
                shown = "\n".join(f"  - {b}" for b in broken[:SHOWN_VIOLATIONS])
                more = (
                    f"\n  … and {len(broken) - SHOWN_VIOLATIONS} more"
                    if len(broken) > SHOWN_VIOLATIONS
                    else ""
                )
                raise HistoryError(
                    f"{len(broken)} imported pairing(s) break the programs' rules; nothing was "
                    f"imported (fix the file, or import anyway with --force):\n{shown}{more}"
                )
        created = store.import_rows(
            rows, str(file), violations=broken, beside_committed=force, actor=by
        )
    if broken:
        reporter.warn(
            f"imported {len(broken)} pairing(s) that break a rule (--force); they are "
            "recorded with the run"
        )
    return Imported(runs=created, rows=table.num_rows, violations=broken)


def _broken_rules(
    store: History, rows: list[dict[str, Any]], program_file: Path, reporter: Reporter
) -> list[str]:
    """The rules of ``program_file``'s programs that the imported ``rows`` break."""
    parsed = load_program_file(program_file)
    with reporter.step("checking the pairings against the programs' rules"):
        org, _ = load_org(
            employees_file(parsed, program_file), parsed.data.interactions, as_of=parsed.data.as_of
        )
        analysis = run_analysis(org, parsed.analysis)
        pairs = store.committed_pairs()
        broken, unchecked = check_imported(
            org,
            analysis,
            parsed.program,
            rows,
            [(p.kind, p.seeker_id, p.provider_id, p.period) for p in pairs],
            [(p.program, p.period, p.seeker_id, p.provider_id) for p in pairs],
        )
    if unchecked:
        reporter.warn(
            f"no program named {', '.join(unchecked)} in {program_file}: "
            "those pairings were not checked"
        )
    return broken


def export_pairings(
    db: Path,
    out_file: Path,
    *,
    run_id: str | None = None,
    pseudonymizer: Pseudonymizer | None = None,
    excel: bool = False,
) -> int:
    """Write one run's pairs, or every committed pairing, as CSV (the import format plus
    ``kind`` and ``run_id``; ``excel``: with a UTF-8 byte order mark); returns the number of
    pairings written."""
    rename = _renamer(pseudonymizer)
    with History(db, create=False) as store:
        if run_id:
            run = store.get(run_id)
            rows = [
                [run.program, rename(s), rename(p), run.period, run.kind or "", run.run_id]
                for s, p, _ in store.run_pairs(run_id)
            ]
        else:
            rows = [
                [
                    p.program,
                    rename(p.seeker_id),
                    rename(p.provider_id),
                    p.period,
                    p.kind or "",
                    p.run_id,
                ]
                for p in store.committed_pairs()
            ]
    write_csv_file(out_file, EXPORT_COLUMNS, rows, bom=excel)
    return len(rows)
