"""The store of past runs and pairings: an embedded SQLite database.

Each ``matcher assign`` run is stored as a *proposal*; ``matcher history commit RUN``
approves it, and only committed pairs count as history for later periods. Every write is one
transaction: a run killed at any moment leaves the database as it was.

A program and period is never double-booked: a proposal made from scratch can be committed
only while no other run of that program and period is committed, and an ``--incremental``
proposal records the committed runs it builds on (``builds_on``) and can be committed only
while exactly those are committed. ``matcher history withdraw RUN`` takes a committed run
back (its pairs stop counting), once no committed run builds on it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.assignment.programs import PERIOD_PATTERN, Kind
from matcher.errors import HistoryError

SCHEMA_VERSION = 3
RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    run_id       TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    program      TEXT NOT NULL,
    kind         TEXT,
    period       TEXT NOT NULL,
    status       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('proposed', 'committed', 'withdrawn')),
    objective    REAL,
    bound        REAL,
    gap          REAL,
    seed         INTEGER,
    config       TEXT,
    inputs       TEXT,
    committed_at TEXT,
    builds_on    TEXT,
    withdrawn_at TEXT
)"""
SCHEMA = (
    RUNS_TABLE.format(name="runs")
    + """;
CREATE TABLE IF NOT EXISTS pairs (
    run_id      TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    program     TEXT NOT NULL,
    kind        TEXT,
    period      TEXT NOT NULL,
    seeker_id   TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    score       REAL,
    round       INTEGER
);
CREATE INDEX IF NOT EXISTS pairs_by_run ON pairs(run_id);
CREATE INDEX IF NOT EXISTS runs_by_program ON runs(program, period);
"""
)


@dataclass(frozen=True)
class Run:
    run_id: str
    created_at: str
    program: str
    kind: str | None
    period: str
    status: str
    state: str
    objective: float | None
    bound: float | None
    gap: float | None
    seed: int | None
    pairs: int


@dataclass(frozen=True)
class StoredPair:
    kind: str | None
    seeker_id: str
    provider_id: str
    period: str
    program: str


class History:
    """A connection to the history database at ``path`` (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot be opened ({exc})") from exc
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            # a damaged page may lie where no query of this run would look: check them all
            # (a linear scan without the cross-index checks; well under a second for years
            # of history)
            (verdict,) = self._db.execute("PRAGMA quick_check(1)").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed: {verdict}")
            if version > SCHEMA_VERSION:
                raise HistoryError(f"{self.path}: written by a newer matcher (schema {version})")
            if version == 1:
                self._migrate_from_1()
            if version in (1, 2):
                self._migrate_from_2()
            with self.transaction():
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            reason = (
                "the history database is damaged; restore it from a backup, or recover it "
                "with: sqlite3 OLD.db .recover | sqlite3 NEW.db"
                if "malformed" in str(exc)
                else "not a matcher history database"
            )
            raise HistoryError(f"{self.path}: {reason} ({exc})") from exc

    def _migrate_from_1(self) -> None:
        """Schema 1 → 2: runs gain ``builds_on``, ``withdrawn_at`` and the withdrawn state.

        SQLite cannot change a CHECK constraint in place: the table is copied, with foreign keys
        off so that dropping the old table does not cascade to the pairs (the pragma only takes
        effect outside a transaction)."""
        self._db.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction() as db:
                # another process may have migrated between our first read and this lock
                if db.execute("PRAGMA user_version").fetchone()[0] != 1:
                    return
                db.execute(RUNS_TABLE.format(name="runs_v2"))
                db.execute("INSERT INTO runs_v2 SELECT *, NULL, NULL FROM runs")
                db.execute("DROP TABLE runs")
                db.execute("ALTER TABLE runs_v2 RENAME TO runs")
                db.execute("CREATE INDEX IF NOT EXISTS runs_by_program ON runs(program, period)")
                db.execute("PRAGMA user_version = 2")
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    def _migrate_from_2(self) -> None:
        """Schema 2 → 3: pairs gain ``round`` (1…N for circles and plans over rounds; empty
        for every other program and for older runs)."""
        with self.transaction() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != 2:
                return
            db.execute("ALTER TABLE pairs ADD COLUMN round INTEGER")
            db.execute("PRAGMA user_version = 3")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turn a damaged database (a page overwritten, a file cut short) into a located error."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            raise HistoryError(
                f"{self.path}: the history database is damaged ({exc}); restore it from a "
                "backup, or recover it with: sqlite3 OLD.db .recover | sqlite3 NEW.db"
            ) from exc

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise HistoryError(
                f"{self.path}: cannot write ({exc}); is another matcher run using it?"
            ) from exc
        try:
            with self._reading():
                yield self._db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise HistoryError(f"{self.path}: the write was not saved ({exc})") from exc

    # ------------------------------------------------------------------------ writing

    def next_run_id(self, program: str, period: str) -> str:
        with self._reading():
            count = self._db.execute(
                "SELECT COUNT(*) FROM runs WHERE program = ? AND period = ?", (program, period)
            ).fetchone()[0]
        return f"{program}@{period}#{count + 1}"

    def add_run(
        self,
        db: sqlite3.Connection,
        *,
        run_id: str,
        program: str,
        kind: str | None,
        period: str,
        status: str,
        pairs: Sequence[tuple[str, str, float | None]],
        rounds: Sequence[int] | None = None,
        objective: float | None = None,
        bound: float | None = None,
        gap: float | None = None,
        seed: int | None = None,
        config: dict[str, Any] | None = None,
        inputs: dict[str, str] | None = None,
        committed: bool = False,
        builds_on: Sequence[str] | None = None,
    ) -> None:
        """Insert a run and its pairs inside an open :meth:`transaction`.

        ``builds_on``: for an ``--incremental`` proposal, the committed runs of the same program
        and period it adds to (``None``: a proposal from scratch). ``rounds``: for circles and
        plans over rounds, the round of each pair (``None``: no rounds)."""
        now = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
        db.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                run_id,
                now,
                program,
                kind,
                period,
                status,
                "committed" if committed else "proposed",
                objective,
                bound,
                gap,
                seed,
                json.dumps(config or {}, default=str),
                json.dumps(inputs or {}),
                now if committed else None,
                None if builds_on is None else json.dumps(sorted(builds_on)),
            ),
        )
        db.executemany(
            "INSERT INTO pairs (run_id, program, kind, period, seeker_id, provider_id, score, "
            "round) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (run_id, program, kind, period, s, p, score, None if rounds is None else rounds[k])
                for k, (s, p, score) in enumerate(pairs)
            ],
        )

    def commit(self, run_id: str) -> Run:
        """Approve a proposal: its pairs count as history from now on.

        Refused when it would double-book its program and period: a proposal from scratch
        while another run of that program and period is committed, or an incremental proposal
        when the committed runs are no longer those it was built on."""
        with self.transaction() as db:
            run = self.get(run_id)
            if run.state == "committed":
                raise HistoryError(f"run {run_id!r} is already committed")
            if run.state == "withdrawn":
                raise HistoryError(
                    f"run {run_id!r} was withdrawn; propose the period again (matcher assign)"
                )
            if run.status == "infeasible":
                raise HistoryError(f"run {run_id!r} is infeasible and has no pairs to commit")
            committed = self.committed_runs(run.program, run.period)
            builds_on = self._builds_on(run_id)
            if builds_on is None and committed:
                raise HistoryError(
                    f"{run.program} {run.period} already has committed run(s) {', '.join(committed)}: "
                    f"committing {run_id!r} too would give people two pairings for one period. "
                    f"Withdraw first (matcher history withdraw {committed[-1]!r}), or propose "
                    "only the people not yet served (matcher assign --incremental)"
                )
            if builds_on is not None and sorted(builds_on) != sorted(committed):
                raise HistoryError(
                    f"run {run_id!r} was proposed on top of {', '.join(builds_on) or 'no run'}, but "
                    f"the committed runs of {run.program} {run.period} are now "
                    f"{', '.join(committed) or 'none'}: propose again (matcher assign --incremental)"
                )
            now = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
            db.execute(
                "UPDATE runs SET state = 'committed', committed_at = ? WHERE run_id = ?",
                (now, run_id),
            )
        return self.get(run_id)

    def import_rows(
        self,
        rows: Sequence[dict[str, str]],
        source: str,
        *,
        violations: Sequence[str] = (),
        beside_committed: bool = False,
    ) -> list[str]:
        """Store imported pairings (``program, seeker_id, provider_id, period[, kind]``) as
        committed runs, one per program and period. Returns the new run ids.

        ``violations`` (rules the rows were found to break, imported anyway) are recorded in the
        runs' inputs. A program and period that already has committed runs is refused (the
        import would book people twice) unless ``beside_committed``."""
        problems: list[str] = []
        groups: dict[tuple[str, str, str | None], list[tuple[str, str, float | None]]] = {}
        for number, row in enumerate(rows, start=2):
            values = {
                k: (row.get(k) or "").strip()
                for k in ("program", "seeker_id", "provider_id", "period", "kind")
            }
            for column in ("program", "seeker_id", "provider_id", "period"):
                if not values[column]:
                    problems.append(f"{source}, row {number}, column {column!r}: missing value")
            if values["period"] and not PERIOD_PATTERN.match(values["period"]):
                problems.append(
                    f"{source}, row {number}, column 'period': {values['period']!r} must look like 2026Q4, 2026-10 or 2026H2"
                )
            if values["kind"] and values["kind"] not in {kind.value for kind in Kind}:
                problems.append(
                    f"{source}, row {number}, column 'kind': unknown kind {values['kind']!r}"
                )
            key = (values["program"], values["period"], values["kind"] or None)
            groups.setdefault(key, []).append((values["seeker_id"], values["provider_id"], None))
        if problems:
            shown = problems[:50]
            more = f"\n… and {len(problems) - 50} more problem(s)" if len(problems) > 50 else ""
            raise HistoryError("\n".join(shown) + more)
        if not groups:
            raise HistoryError(f"{source}: no rows to import")
        created = []
        with self.transaction() as db:
            if not beside_committed:
                booked = [
                    f"{program} {period} ({', '.join(runs)})"
                    for program, period, _ in sorted(groups, key=lambda g: (g[0], g[1]))
                    if (runs := self.committed_runs(program, period))
                ]
                if booked:
                    raise HistoryError(
                        f"{source}: these programs and periods already have committed runs: "
                        f"{'; '.join(dict.fromkeys(booked))}. Importing beside them would book "
                        "people twice: withdraw those runs first (matcher history withdraw RUN), "
                        "or import anyway with --force"
                    )
            for (program, period, kind), pairs in sorted(
                groups.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or "")
            ):
                run_id = self.next_run_id(program, period)
                self.add_run(
                    db,
                    run_id=run_id,
                    program=program,
                    kind=kind,
                    period=period,
                    status="imported",
                    pairs=pairs,
                    inputs={"imported_from": source}
                    | ({"violations": "; ".join(violations)} if violations else {}),
                    committed=True,
                )
                created.append(run_id)
        return created

    def withdraw(self, run_id: str) -> Run:
        """Take back a committed run: its pairs stop counting as history.

        Refused while a committed incremental run builds on it (withdraw that one first)."""
        with self.transaction() as db:
            run = self.get(run_id)
            if run.state != "committed":
                raise HistoryError(
                    f"run {run_id!r} is {run.state}, not committed: nothing to withdraw"
                )
            for other in self.committed_runs(run.program, run.period):
                if run_id in (self._builds_on(other) or []):
                    raise HistoryError(
                        f"committed run {other!r} builds on {run_id!r}: withdraw {other!r} first"
                    )
            now = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
            db.execute(
                "UPDATE runs SET state = 'withdrawn', withdrawn_at = ? WHERE run_id = ?",
                (now, run_id),
            )
        return self.get(run_id)

    # ------------------------------------------------------------------------ reading

    def committed_runs(self, program: str, period: str) -> list[str]:
        """The committed runs of one program and period, oldest first."""
        return [
            row[0]
            for row in self._db.execute(
                "SELECT run_id FROM runs WHERE program = ? AND period = ? AND state = 'committed' "
                "ORDER BY created_at, rowid",
                (program, period),
            )
        ]

    def _builds_on(self, run_id: str) -> list[str] | None:
        row = self._db.execute("SELECT builds_on FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None or row[0] is None else list(json.loads(row[0]))

    def get(self, run_id: str) -> Run:
        with self._reading():
            row = self._db.execute(
                "SELECT r.run_id, r.created_at, r.program, r.kind, r.period, r.status, r.state, "
                "r.objective, r.bound, r.gap, r.seed, "
                "(SELECT COUNT(*) FROM pairs p WHERE p.run_id = r.run_id) "
                "FROM runs r WHERE r.run_id = ?",
                (run_id,),
            ).fetchone()
        if row is None:
            raise HistoryError(f"no run {run_id!r} in {self.path} (see: matcher history list)")
        return Run(*row)

    def runs(self) -> list[Run]:
        with self._reading():
            ids = [
                r[0] for r in self._db.execute("SELECT run_id FROM runs ORDER BY created_at, rowid")
            ]
        return [self.get(i) for i in ids]

    def run_pairs(self, run_id: str) -> list[tuple[str, str, float | None]]:
        self.get(run_id)
        with self._reading():
            return [
                (s, p, score)
                for s, p, score in self._db.execute(
                    "SELECT seeker_id, provider_id, score FROM pairs WHERE run_id = ? ORDER BY rowid",
                    (run_id,),
                )
            ]

    def snapshot(self) -> tuple[list[StoredPair], dict[tuple[str, str], list[str]]]:
        """Every committed pairing and the committed runs of each (program, period), read in one
        transaction: an ``--incremental`` proposal records exactly the runs whose pairs it saw."""
        self._db.execute("BEGIN")
        try:
            pairs = self.committed_pairs()
            runs: dict[tuple[str, str], list[str]] = {}
            for run_id, program, period in self._db.execute(
                "SELECT run_id, program, period FROM runs WHERE state = 'committed' "
                "ORDER BY created_at, rowid"
            ):
                runs.setdefault((program, period), []).append(run_id)
        finally:
            self._db.execute("COMMIT")
        return pairs, runs

    def committed_pairs(self) -> list[StoredPair]:
        """Every committed pairing, oldest first."""
        with self._reading():
            rows = self._db.execute(
                "SELECT p.kind, p.seeker_id, p.provider_id, p.period, p.program FROM pairs p "
                "JOIN runs r ON r.run_id = p.run_id WHERE r.state = 'committed' "
                "ORDER BY r.created_at, p.rowid"
            )
            return [StoredPair(*row) for row in rows]
