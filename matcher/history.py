"""The store of past runs and pairings: an embedded SQLite database.

Each ``matcher assign`` run is stored as a *proposal*; ``matcher history commit RUN``
approves it, and only committed pairs count as history for later periods; ``matcher history
reject RUN`` turns a proposal down for good. Every write is one transaction: a run killed at
any moment leaves the database as it was. Who did what (proposed, committed, withdrew,
rejected, imported, locked or forbade pairs) is kept in the ``actions`` table.

A program and period is never double-booked: a proposal made from scratch can be committed
only while no other run of that program and period is committed, and an ``--incremental``
proposal records the committed runs it builds on (``builds_on``) and can be committed only
while exactly those are committed. ``matcher history withdraw RUN`` takes a committed run
back (its pairs stop counting), once no committed run builds on it.

``matcher evaluate`` records what became of each committed pair (did the two meet, did a
strong tie form) in ``outcomes``; evaluating a run again replaces its outcomes.

The schema changes through :data:`MIGRATIONS`, an ordered list of ``(version, step)``: a
database at version *v* gets every step above *v*, in order, in one transaction (a new
database gets them all). To change the schema, append one entry; never edit a released one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.assignment.programs import PERIOD_PATTERN, Kind
from matcher.errors import HistoryError

# ---------------------------------------------------------------------------- the schema

SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS runs (
    run_id       TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    program      TEXT NOT NULL,
    kind         TEXT,
    period       TEXT NOT NULL,
    status       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('proposed', 'committed')),
    objective    REAL,
    bound        REAL,
    gap          REAL,
    seed         INTEGER,
    config       TEXT,
    inputs       TEXT,
    committed_at TEXT
);
CREATE TABLE IF NOT EXISTS pairs (
    run_id      TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    program     TEXT NOT NULL,
    kind        TEXT,
    period      TEXT NOT NULL,
    seeker_id   TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    score       REAL
);
CREATE INDEX IF NOT EXISTS pairs_by_run ON pairs(run_id);
CREATE INDEX IF NOT EXISTS runs_by_program ON runs(program, period);
"""

RUNS_2 = """
CREATE TABLE runs_next (
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

RUNS_3 = """
CREATE TABLE runs_next (
    run_id       TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    program      TEXT NOT NULL,
    kind         TEXT,
    period       TEXT NOT NULL,
    status       TEXT NOT NULL,
    state        TEXT NOT NULL
                 CHECK (state IN ('proposed', 'committed', 'withdrawn', 'rejected')),
    objective    REAL,
    bound        REAL,
    gap          REAL,
    seed         INTEGER,
    config       TEXT,
    inputs       TEXT,
    committed_at TEXT,
    builds_on    TEXT,
    withdrawn_at TEXT,
    rejected_at  TEXT,
    derived_from TEXT,
    summary      TEXT
)"""


def _replace_runs(db: sqlite3.Connection, create: str, added_columns: int) -> None:
    """Copy ``runs`` into a table made by ``create`` (named ``runs_next``) with
    ``added_columns`` new columns at the end, left NULL. SQLite cannot change a CHECK
    constraint in place; foreign keys are off during migrations, so dropping the old table
    does not cascade to the pairs."""
    db.execute(create)
    db.execute(f"INSERT INTO runs_next SELECT *{', NULL' * added_columns} FROM runs")
    db.execute("DROP TABLE runs")
    db.execute("ALTER TABLE runs_next RENAME TO runs")
    db.execute("CREATE INDEX IF NOT EXISTS runs_by_program ON runs(program, period)")


def _withdrawable(db: sqlite3.Connection) -> None:
    """2: runs gain ``builds_on`` (the runs an ``--incremental`` proposal adds to),
    ``withdrawn_at`` and the ``withdrawn`` state."""
    _replace_runs(db, RUNS_2, 2)


def _reviewable(db: sqlite3.Connection) -> None:
    """3: what the review page shows and records. Runs gain the ``rejected`` state,
    ``rejected_at``, ``derived_from`` (the run a locked/forbidden re-solve started from) and
    ``summary`` (the program's figures: coverage, provider loads, …); pairs gain ``why``;
    unmatched seekers are kept with their reason; every action is kept with who did it."""
    _replace_runs(db, RUNS_3, 3)
    db.execute("ALTER TABLE pairs ADD COLUMN why TEXT")
    db.execute(
        "CREATE TABLE unmatched (run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,"
        " seeker_id TEXT NOT NULL, reason TEXT)"
    )
    db.execute("CREATE INDEX unmatched_by_run ON unmatched(run_id)")
    db.execute(
        "CREATE TABLE actions (at TEXT NOT NULL, run_id TEXT NOT NULL, action TEXT NOT NULL,"
        " actor TEXT, detail TEXT)"
    )
    db.execute("CREATE INDEX actions_by_run ON actions(run_id)")


OUTCOMES_4 = """
CREATE TABLE outcomes (
    run_id       TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    seeker_id    TEXT NOT NULL,
    provider_id  TEXT NOT NULL,
    met          INTEGER NOT NULL CHECK (met IN (0, 1)),
    first_met    TEXT,
    tie_formed   INTEGER CHECK (tie_formed IN (0, 1)),
    window_start TEXT NOT NULL,
    as_of        TEXT NOT NULL,
    evaluated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, seeker_id, provider_id)
)"""
"""4: what ``matcher evaluate`` found of each committed pair. (5: pairs gain ``round``, 1…N
for circles and plans over rounds, empty otherwise.)"""

Migration = tuple[int, str | Callable[[sqlite3.Connection], None]]
MIGRATIONS: list[Migration] = [
    (1, SCHEMA_1),
    (2, _withdrawable),
    (3, _reviewable),
    (4, OUTCOMES_4),
    (5, "ALTER TABLE pairs ADD COLUMN round INTEGER"),
]
"""The schema's history, oldest first: ``(version, SQL script or function of the
connection)``. Each step runs inside the migration transaction, foreign keys off."""
SCHEMA_VERSION = MIGRATIONS[-1][0]
STATES = ("proposed", "committed", "withdrawn", "rejected")


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the database on ``db`` (autocommit mode) to :data:`SCHEMA_VERSION`.

    All pending steps run in one ``BEGIN IMMEDIATE`` transaction with foreign keys off (the
    pragma only takes effect outside a transaction); the version is read again under the lock,
    so two processes opening an old database migrate it once. The foreign keys are checked
    before the commit.
    """
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise HistoryError(
                f"{path}: cannot write ({exc}); is another matcher run using it?"
            ) from exc
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(f"{path}: written by a newer matcher (schema {version})")
            try:
                for target, step in MIGRATIONS:
                    if target <= version:
                        continue
                    if callable(step):
                        step(db)
                    else:
                        for statement in step.split(";"):
                            if statement.strip():
                                db.execute(statement)
                    db.execute(f"PRAGMA user_version = {target}")
                broken = db.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise sqlite3.IntegrityError(f"foreign keys broken: {broken[:3]}")
            except sqlite3.Error as exc:
                if "malformed" in str(exc):
                    raise
                raise HistoryError(
                    f"{path}: the history database could not be upgraded from schema {version} "
                    f"to {SCHEMA_VERSION} ({exc}); it was left as it was"
                ) from exc
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise
    finally:
        db.execute("PRAGMA foreign_keys = ON")


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
    derived_from: str | None = None


@dataclass(frozen=True)
class StoredPair:
    kind: str | None
    seeker_id: str
    provider_id: str
    period: str
    program: str
    run_id: str = ""
    met: bool | None = None
    """Whether the two met (``matcher evaluate``); ``None`` until the run is evaluated."""


@dataclass(frozen=True)
class Outcome:
    """What became of one committed pair, as ``matcher evaluate`` judged it."""

    seeker_id: str
    provider_id: str
    met: bool
    first_met: str | None
    """ISO timestamp of their first meeting in the window (``None`` when they did not meet)."""
    tie_formed: bool | None
    """A strong tie at ``as_of`` that was not one before the period (``None``: unknown)."""


@dataclass(frozen=True)
class Action:
    """One thing someone did to a run: ``proposed``, ``committed``, ``withdrawn``,
    ``rejected``, ``imported`` or ``derived`` (a re-solve with locked or forbidden pairs)."""

    at: str
    run_id: str
    action: str
    actor: str | None
    detail: dict[str, Any]


def _now() -> str:
    return dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Evaluated:
    """The outcomes of one run's pairs over one evaluation window (``matcher evaluate``)."""

    run_id: str
    outcomes: Sequence[Outcome]
    window_start: str
    as_of: str


class History:
    """A connection to the history database at ``path``.

    It is created on first use unless ``create`` is false: then a missing file is a
    :class:`HistoryError` (the read-only commands never leave an empty database behind)."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise HistoryError(
                f"{self.path}: no history database here (matcher assign and matcher history "
                "import create one); give the one you used with --db PATH"
            )
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
            if version < SCHEMA_VERSION:
                migrate(self._db, self.path)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            reason = (
                "the history database is damaged; restore it from a backup, or recover it "
                "with: sqlite3 OLD.db .recover | sqlite3 NEW.db"
                if "malformed" in str(exc)
                else "not a matcher history database"
            )
            raise HistoryError(f"{self.path}: {reason} ({exc})") from exc
        except HistoryError:
            self._db.close()
            raise

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
        inputs: dict[str, Any] | None = None,
        committed: bool = False,
        builds_on: Sequence[str] | None = None,
        why: Sequence[str] = (),
        unmatched: Sequence[tuple[str, str]] = (),
        summary: dict[str, Any] | None = None,
        derived_from: str | None = None,
        actor: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Insert a run, its pairs and its unmatched seekers inside an open :meth:`transaction`.

        ``builds_on``: for an ``--incremental`` proposal, the committed runs of the same program
        and period it adds to (``None``: a proposal from scratch). ``rounds``: for circles and
        plans over rounds, the round of each pair (``None``: no rounds). ``why``: each pair's reasons,
        in the order of ``pairs``; ``unmatched``: ``(seeker_id, reason)``; ``summary``: the
        program's figures (coverage, provider loads); ``derived_from``: the run whose pairs a
        re-solve with locked or forbidden pairs started from. The action (``proposed``,
        ``imported`` or ``derived``) is recorded with ``actor`` and ``detail``."""
        now = _now()
        db.execute(
            "INSERT INTO runs (run_id, created_at, program, kind, period, status, state, "
            "objective, bound, gap, seed, config, inputs, committed_at, builds_on, "
            "derived_from, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                derived_from,
                None if summary is None else json.dumps(summary, default=str),
            ),
        )
        reasons = list(why) + [None] * (len(pairs) - len(why))
        db.executemany(
            "INSERT INTO pairs (run_id, program, kind, period, seeker_id, provider_id, score, "
            "why, round) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (run_id, program, kind, period, s, p, score, reason, None if rounds is None else r)
                for (s, p, score), reason, r in zip(
                    pairs,
                    reasons,
                    rounds if rounds is not None else [None] * len(pairs),
                    strict=True,
                )
            ],
        )
        db.executemany(
            "INSERT INTO unmatched (run_id, seeker_id, reason) VALUES (?, ?, ?)",
            [(run_id, seeker, reason) for seeker, reason in unmatched],
        )
        action = "imported" if status == "imported" else "derived" if derived_from else "proposed"
        self._record(db, run_id, action, actor, detail)

    def _record(
        self,
        db: sqlite3.Connection,
        run_id: str,
        action: str,
        actor: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO actions (at, run_id, action, actor, detail) VALUES (?, ?, ?, ?, ?)",
            (_now(), run_id, action, actor, json.dumps(detail or {}, default=str)),
        )

    def commit(self, run_id: str, *, actor: str | None = None) -> Run:
        """Approve a proposal: its pairs count as history from now on.

        Refused when it would double-book its program and period: a proposal from scratch
        while another run of that program and period is committed, or an incremental proposal
        when the committed runs are no longer those it was built on. A rejected or withdrawn
        run is never committed."""
        with self.transaction() as db:
            run = self.get(run_id)
            if run.state == "committed":
                raise HistoryError(f"run {run_id!r} is already committed")
            if run.state == "withdrawn":
                raise HistoryError(
                    f"run {run_id!r} was withdrawn; propose the period again (matcher assign)"
                )
            if run.state == "rejected":
                raise HistoryError(
                    f"run {run_id!r} was rejected and cannot be committed; propose the period "
                    "again (matcher assign)"
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
            db.execute(
                "UPDATE runs SET state = 'committed', committed_at = ? WHERE run_id = ?",
                (_now(), run_id),
            )
            self._record(db, run_id, "committed", actor)
        return self.get(run_id)

    def reject(self, run_id: str, *, actor: str | None = None, note: str = "") -> Run:
        """Turn a proposal down: it stays recorded, and can never be committed.

        Only a proposal can be rejected (a committed run is withdrawn instead)."""
        with self.transaction() as db:
            run = self.get(run_id)
            if run.state == "committed":
                raise HistoryError(
                    f"run {run_id!r} is committed: withdraw it instead "
                    f"(matcher history withdraw {run_id!r})"
                )
            if run.state != "proposed":
                raise HistoryError(
                    f"run {run_id!r} is {run.state}, not a proposal: nothing to reject"
                )
            db.execute(
                "UPDATE runs SET state = 'rejected', rejected_at = ? WHERE run_id = ?",
                (_now(), run_id),
            )
            self._record(db, run_id, "rejected", actor, {"note": note} if note else None)
        return self.get(run_id)

    def import_rows(
        self,
        rows: Sequence[dict[str, str]],
        source: str,
        *,
        violations: Sequence[str] = (),
        beside_committed: bool = False,
        actor: str | None = None,
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
                    actor=actor,
                    detail={"source": source},
                )
                created.append(run_id)
        return created

    def record_outcomes(
        self,
        run_id: str,
        outcomes: Sequence[Outcome],
        *,
        window_start: str,
        as_of: str,
    ) -> None:
        """Store the outcomes of a committed run's pairs in one transaction, replacing any
        earlier evaluation of that run (evaluating again is idempotent).

        Raises
        ------
        HistoryError
            When the run is not committed, or an outcome names a pair the run does not hold.
        """
        self.record_evaluation([Evaluated(run_id, tuple(outcomes), window_start, as_of)])

    def record_evaluation(self, evaluated: Sequence[Evaluated]) -> None:
        """Store the outcomes of several runs in one transaction: all of them or none (see
        :meth:`record_outcomes`)."""
        now = dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")
        with self.transaction() as db:
            for batch in evaluated:
                self._store_outcomes(db, batch, now)

    def _store_outcomes(self, db: sqlite3.Connection, batch: Evaluated, now: str) -> None:
        run = self.get(batch.run_id)
        if run.state != "committed":
            raise HistoryError(
                f"run {batch.run_id!r} is {run.state}: only committed runs are evaluated"
            )
        held = {(s, p) for s, p, _ in self.run_pairs(batch.run_id)}
        strangers = [
            (o.seeker_id, o.provider_id)
            for o in batch.outcomes
            if (o.seeker_id, o.provider_id) not in held
        ]
        if strangers:
            raise HistoryError(
                f"run {batch.run_id!r} has no pair {strangers[0][0]!r}–{strangers[0][1]!r}"
            )
        db.execute("DELETE FROM outcomes WHERE run_id = ?", (batch.run_id,))
        db.executemany(
            "INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    batch.run_id,
                    o.seeker_id,
                    o.provider_id,
                    int(o.met),
                    o.first_met,
                    None if o.tie_formed is None else int(o.tie_formed),
                    batch.window_start,
                    batch.as_of,
                    now,
                )
                for o in batch.outcomes
            ],
        )

    def withdraw(self, run_id: str, *, actor: str | None = None) -> Run:
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
            db.execute(
                "UPDATE runs SET state = 'withdrawn', withdrawn_at = ? WHERE run_id = ?",
                (_now(), run_id),
            )
            self._record(db, run_id, "withdrawn", actor)
        return self.get(run_id)

    # ------------------------------------------------------------------------ reading

    def outcomes(self, run_id: str) -> list[Outcome]:
        """The recorded outcomes of a run's pairs (empty until it is evaluated)."""
        self.get(run_id)
        with self._reading():
            rows = self._db.execute(
                "SELECT seeker_id, provider_id, met, first_met, tie_formed FROM outcomes "
                "WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            ).fetchall()
        return [
            Outcome(s, p, bool(met), first, None if tie is None else bool(tie))
            for s, p, met, first, tie in rows
        ]

    def committed_periods(self) -> list[str]:
        """The periods that have at least one committed run, in the order they were first
        committed."""
        with self._reading():
            rows = self._db.execute(
                "SELECT period FROM runs WHERE state = 'committed' GROUP BY period "
                "ORDER BY MIN(created_at), MIN(rowid)"
            ).fetchall()
        return [row[0] for row in rows]

    def committed_runs_of_period(self, period: str) -> list[Run]:
        """Every committed run of ``period`` (all programs), oldest first."""
        with self._reading():
            ids = [
                row[0]
                for row in self._db.execute(
                    "SELECT run_id FROM runs WHERE period = ? AND state = 'committed' "
                    "ORDER BY created_at, rowid",
                    (period,),
                )
            ]
        return [self.get(i) for i in ids]

    def run_config(self, run_id: str) -> dict[str, Any]:
        """The program settings a run was solved with (empty for imported runs)."""
        self.get(run_id)
        with self._reading():
            (text,) = self._db.execute(
                "SELECT config FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        try:
            value = json.loads(text or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

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
                "(SELECT COUNT(*) FROM pairs p WHERE p.run_id = r.run_id), r.derived_from "
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
                "SELECT p.kind, p.seeker_id, p.provider_id, p.period, p.program, p.run_id, o.met "
                "FROM pairs p JOIN runs r ON r.run_id = p.run_id "
                "LEFT JOIN outcomes o ON o.run_id = p.run_id AND o.seeker_id = p.seeker_id "
                "AND o.provider_id = p.provider_id WHERE r.state = 'committed' "
                "ORDER BY r.created_at, p.rowid"
            )
            return [
                StoredPair(kind, s, p, period, program, run, None if met is None else bool(met))
                for kind, s, p, period, program, run, met in rows
            ]

    def run_reasons(self, run_id: str) -> list[tuple[str, str, float | None, str]]:
        """One run's pairs with their reasons: ``(seeker, provider, score, why)`` (``why`` is
        empty for runs stored before reasons were kept, and for imported runs)."""
        self.get(run_id)
        with self._reading():
            return [
                (s, p, score, why or "")
                for s, p, score, why in self._db.execute(
                    "SELECT seeker_id, provider_id, score, why FROM pairs WHERE run_id = ? "
                    "ORDER BY rowid",
                    (run_id,),
                )
            ]

    def unmatched(self, run_id: str) -> list[tuple[str, str]]:
        """The seekers a run left unmatched, with the reason: ``(seeker_id, reason)``."""
        self.get(run_id)
        with self._reading():
            return [
                (seeker, reason or "")
                for seeker, reason in self._db.execute(
                    "SELECT seeker_id, reason FROM unmatched WHERE run_id = ? ORDER BY rowid",
                    (run_id,),
                )
            ]

    def run_record(self, run_id: str) -> dict[str, Any]:
        """What a run stored beside its pairs: ``summary`` (the program's figures, ``{}`` for
        runs stored before they were kept), ``config`` (the program as solved), ``inputs`` and
        ``builds_on``."""
        self.get(run_id)
        with self._reading():
            summary, config, inputs, builds_on = self._db.execute(
                "SELECT summary, config, inputs, builds_on FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
        return {
            "summary": json.loads(summary) if summary else {},
            "config": json.loads(config) if config else {},
            "inputs": json.loads(inputs) if inputs else {},
            "builds_on": json.loads(builds_on) if builds_on else None,
        }

    def actions(self, run_id: str | None = None) -> list[Action]:
        """Who did what, oldest first: to one run, or to every run."""
        where, args = ("WHERE run_id = ?", (run_id,)) if run_id else ("", ())
        with self._reading():
            return [
                Action(at, run, action, actor, json.loads(detail) if detail else {})
                for at, run, action, actor, detail in self._db.execute(
                    f"SELECT at, run_id, action, actor, detail FROM actions {where} ORDER BY rowid",
                    args,
                )
            ]
