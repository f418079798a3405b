"""The history database's schema and its migrations (see :mod:`matcher.history`)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from matcher.errors import HistoryError

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
