"""The history database: schema migration, and no double-booking through any door."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from matcher.history import SCHEMA_VERSION, History, HistoryError

SCHEMA_1 = """
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY, created_at TEXT NOT NULL, program TEXT NOT NULL, kind TEXT,
    period TEXT NOT NULL, status TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('proposed', 'committed')),
    objective REAL, bound REAL, gap REAL, seed INTEGER, config TEXT, inputs TEXT,
    committed_at TEXT
);
CREATE TABLE pairs (
    run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE, program TEXT NOT NULL,
    kind TEXT, period TEXT NOT NULL, seeker_id TEXT NOT NULL, provider_id TEXT NOT NULL,
    score REAL
);
CREATE INDEX pairs_by_run ON pairs(run_id);
CREATE INDEX runs_by_program ON runs(program, period);
"""


def schema_1_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
        db.execute(
            "INSERT INTO runs VALUES ('m@2026Q3#1', '2026-07-01', 'm', 'mentor', '2026Q3', "
            "'optimal', 'committed', 1.0, 1.0, 0.0, 0, '{}', '{}', '2026-07-02')"
        )
        db.execute(
            "INSERT INTO pairs VALUES ('m@2026Q3#1', 'm', 'mentor', '2026Q3', 'S0', 'A', 1.0)"
        )
        db.execute("PRAGMA user_version = 1")


def test_a_schema_1_database_is_migrated_with_its_runs_and_pairs(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    schema_1_database(path)
    with History(path) as store:
        assert [(p.seeker_id, p.provider_id) for p in store.committed_pairs()] == [("S0", "A")]
        store.withdraw("m@2026Q3#1")  # the new state is allowed
        assert store.committed_pairs() == []
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0] == 1
    # opening it again (another process that read version 1 before) migrates nothing twice
    History(path).close()


def test_a_schema_2_database_gains_the_round_of_each_pair(tmp_path: Path) -> None:
    """Schema 2 → 3: pairs gain ``round``; older pairs have none, a plan's pairs their round."""
    path = tmp_path / "old.db"
    schema_1_database(path)
    History(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert db.execute("SELECT round FROM pairs").fetchall() == [(None,)]
    with History(path) as store, store.transaction() as db:
        store.add_run(
            db,
            run_id="c@2026Q4#1",
            program="c",
            kind="circle",
            period="2026Q4",
            status="optimal",
            pairs=[("A", "B", 1.0), ("A", "C", 1.0)],
            rounds=[1, 2],
        )
    with sqlite3.connect(path) as db:
        found = db.execute("SELECT seeker_id, provider_id, round FROM pairs WHERE program = 'c'")
        assert found.fetchall() == [("A", "B", 1), ("A", "C", 2)]


def test_import_beside_a_committed_run_is_refused(tmp_path: Path) -> None:
    """Regression: history import stored rows of a program and period that already had a
    committed run, booking people twice."""
    with History(tmp_path / "h.db") as store:
        rows = [{"program": "m", "seeker_id": "S0", "provider_id": "A", "period": "2026Q4"}]
        store.import_rows(rows, "first.csv")
        again = [{"program": "m", "seeker_id": "S0", "provider_id": "B", "period": "2026Q4"}]
        with pytest.raises(HistoryError, match="already have committed runs"):
            store.import_rows(again, "second.csv")
        assert len(store.committed_pairs()) == 1
        store.import_rows(again, "second.csv", beside_committed=True)
        assert len(store.committed_pairs()) == 2


def test_an_incremental_proposal_records_the_runs_it_saw(tmp_path: Path) -> None:
    """Regression: builds_on was read when the proposal was stored, after the solve; a run
    committed meanwhile by someone else counted as seen, and the commit double-booked."""
    path = tmp_path / "h.db"
    with History(path) as store:
        with store.transaction() as db:
            store.add_run(
                db,
                run_id="m@2026Q4#1",
                program="m",
                kind="mentor",
                period="2026Q4",
                status="optimal",
                pairs=[("S0", "A", 1.0)],
            )
        _, seen = store.snapshot()  # what the incremental solve saw: nothing committed
        with History(path) as other:  # meanwhile, HR approves the first proposal
            other.commit("m@2026Q4#1")
        with store.transaction() as db:
            store.add_run(
                db,
                run_id="m@2026Q4#2",
                program="m",
                kind="mentor",
                period="2026Q4",
                status="optimal",
                pairs=[("S0", "B", 1.0)],
                builds_on=seen.get(("m", "2026Q4"), []),
            )
        with pytest.raises(HistoryError, match="proposed on top of"):
            store.commit("m@2026Q4#2")
