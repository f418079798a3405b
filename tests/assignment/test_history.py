"""The history database: schema migration, and no double-booking through any door."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher.history import MIGRATIONS, SCHEMA_VERSION, History, HistoryError

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


SCHEMA_2 = SCHEMA_1.replace(
    "CHECK (state IN ('proposed', 'committed')),",
    "CHECK (state IN ('proposed', 'committed', 'withdrawn')),",
).replace("committed_at TEXT\n);", "committed_at TEXT, builds_on TEXT, withdrawn_at TEXT\n);")


def schema_2_database(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_2)
        db.execute(
            "INSERT INTO runs VALUES ('m@2026Q3#1', '2026-07-01', 'm', 'mentor', '2026Q3', "
            "'optimal', 'committed', 1.0, 1.0, 0.0, 0, '{}', '{}', '2026-07-02', NULL, NULL)"
        )
        db.execute(
            "INSERT INTO runs VALUES ('m@2026Q4#1', '2026-10-01', 'm', 'mentor', '2026Q4', "
            "'optimal', 'proposed', 1.0, 1.0, 0.0, 0, '{}', '{}', NULL, NULL, NULL)"
        )
        db.execute(
            "INSERT INTO pairs VALUES ('m@2026Q3#1', 'm', 'mentor', '2026Q3', 'S0', 'A', 1.0)"
        )
        db.execute(
            "INSERT INTO pairs VALUES ('m@2026Q4#1', 'm', 'mentor', '2026Q4', 'S1', 'A', 2.0)"
        )
        db.execute("PRAGMA user_version = 2")


def test_the_migrations_are_an_ordered_list_ending_at_the_schema_version() -> None:
    versions = [version for version, _ in MIGRATIONS]
    assert versions == list(range(1, len(versions) + 1)) and versions[-1] == SCHEMA_VERSION


def test_a_new_database_is_built_by_the_migrations_list(tmp_path: Path) -> None:
    History(tmp_path / "new.db").close()
    with sqlite3.connect(tmp_path / "new.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "pairs", "unmatched", "actions", "outcomes"} <= tables


@pytest.mark.parametrize("make", [schema_1_database, schema_2_database])
def test_an_old_database_is_migrated_with_its_runs_and_pairs(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    path = tmp_path / "old.db"
    make(path)
    with History(path) as store:
        assert [(p.seeker_id, p.provider_id, p.run_id) for p in store.committed_pairs()] == [
            ("S0", "A", "m@2026Q3#1")
        ]
        assert store.run_reasons("m@2026Q3#1") == [("S0", "A", 1.0, "")]
        assert store.run_record("m@2026Q3#1")["summary"] == {}
        store.withdraw("m@2026Q3#1", actor="hr")  # the states of both later schemas are allowed
        assert store.committed_pairs() == []
        if make is schema_2_database:
            assert store.reject("m@2026Q4#1").state == "rejected"
        assert [a.action for a in store.actions()][-1] in {"withdrawn", "rejected"}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT COUNT(*) FROM pairs").fetchone()[0] == (
            1 if make is schema_1_database else 2
        )
    # opening it again (another process that read the old version before) migrates nothing twice
    History(path).close()


def test_a_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    schema_1_database(path)
    before = path.read_bytes()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setattr(
        "matcher.history.schema.MIGRATIONS", [*MIGRATIONS, (SCHEMA_VERSION + 1, broken)]
    )
    monkeypatch.setattr("matcher.history.schema.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr("matcher.history.store.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(HistoryError, match=r"could not be upgraded from schema 1.*disk full"):
        History(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert (
            db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchall() == []
        )
    assert path.read_bytes() == before


def test_a_read_only_open_never_creates_a_database(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="no history database"):
        History(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def proposal(store: History, run_id: str, period: str = "2026Q4") -> None:
    with store.transaction() as db:
        store.add_run(
            db,
            run_id=run_id,
            program="m",
            kind="mentor",
            period=period,
            status="optimal",
            pairs=[("S0", "A", 1.0), ("S1", "B", 0.5)],
            why=["shares interests", "overlap 3 h"],
            unmatched=[("S2", "no eligible provider")],
            summary={"seekers": 3, "matched": 2, "coverage": 0.667},
            actor="ana",
        )


def test_a_rejected_proposal_is_kept_and_never_committable(tmp_path: Path) -> None:
    with History(tmp_path / "h.db") as store:
        proposal(store, "m@2026Q4#1")
        run = store.reject("m@2026Q4#1", actor="ben", note="too many repeats")
        assert run.state == "rejected" and run.pairs == 2
        with pytest.raises(HistoryError, match="rejected and cannot be committed"):
            store.commit("m@2026Q4#1")
        with pytest.raises(HistoryError, match="not a proposal"):
            store.reject("m@2026Q4#1")
        proposal(store, "m@2026Q4#2")
        store.commit("m@2026Q4#2", actor="cy")
        with pytest.raises(HistoryError, match="withdraw it instead"):
            store.reject("m@2026Q4#2")
        assert [(a.run_id, a.action, a.actor) for a in store.actions()] == [
            ("m@2026Q4#1", "proposed", "ana"),
            ("m@2026Q4#1", "rejected", "ben"),
            ("m@2026Q4#2", "proposed", "ana"),
            ("m@2026Q4#2", "committed", "cy"),
        ]
        assert store.actions("m@2026Q4#1")[1].detail == {"note": "too many repeats"}
        assert store.run_reasons("m@2026Q4#2")[0] == ("S0", "A", 1.0, "shares interests")
        assert store.unmatched("m@2026Q4#2") == [("S2", "no eligible provider")]
        assert store.run_record("m@2026Q4#2")["summary"]["coverage"] == 0.667


def test_an_old_database_gains_the_round_of_each_pair(tmp_path: Path) -> None:
    """Migration 5: pairs gain ``round``; older pairs have none, a plan's pairs their round."""
    path = tmp_path / "old.db"
    schema_1_database(path)
    History(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
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
