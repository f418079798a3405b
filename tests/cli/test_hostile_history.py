"""A damaged or hostile history database, and fuzzed history imports, end in a
:class:`MatcherError` (exit 1 naming the database), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.history import History
from matcher.io.tables import read_table
from tests.fuzz import harmless, mutations, written
from tests.support import RunCli


def test_damaged_history_database_is_a_located_error(tmp_path: Path, run_cli: RunCli) -> None:
    db = tmp_path / "matcher.db"
    with History(db) as store:
        rows = [
            {
                "program": f"p{i % 7}",
                "seeker_id": f"E{i}",
                "provider_id": f"E{i + 1}",
                "period": "2026Q3",
            }
            for i in range(3000)
        ]
        store.import_rows(rows, "import.csv")
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\xa5" * 4096
    db.write_bytes(bytes(data))
    for args in (["history", "list"], ["history", "export", "--out", str(tmp_path / "x.csv")]):
        stderr = run_cli(*args, "--db", db, code=1).stderr
        assert str(db) in stderr and "damaged" in stderr


HISTORY_SEED = (
    b"program,seeker_id,provider_id,period,kind\nm,E1,E2,2026Q3,mentor\nb,E3,E4,2026-07,\n"
)


@given(data=mutations(HISTORY_SEED))
@settings(max_examples=50)
def test_fuzz_history_import(scratch_dir: Path, data: bytes) -> None:
    path = written(scratch_dir, "history.csv", data)
    db = scratch_dir / "history.db"
    db.unlink(missing_ok=True)

    def read() -> None:
        table, _ = read_table(path, ("program", "seeker_id", "provider_id", "period"))
        with History(db) as store:
            store.import_rows(table.to_pylist(), str(path))
            store.runs()

    harmless(read)


@given(data=st.data())
@settings(max_examples=30)
def test_fuzz_history_database(scratch_dir: Path, data: st.DataObject) -> None:
    db = scratch_dir / "seed.db"
    if not db.exists():
        with History(db) as store:
            rows = [
                {
                    "program": "p",
                    "seeker_id": f"E{i}",
                    "provider_id": f"E{i + 1}",
                    "period": "2026Q3",
                }
                for i in range(300)
            ]
            store.import_rows(rows, "seed")
    damaged = written(scratch_dir, "damaged.db", data.draw(mutations(db.read_bytes())))

    def read() -> None:
        with History(damaged) as store:
            for run in store.runs():
                store.run_pairs(run.run_id)
            store.committed_pairs()

    harmless(read)


def test_text_that_is_not_utf8_is_damage_not_a_traceback(tmp_path: Path) -> None:
    """A row whose text bytes are not UTF-8 passes SQLite's page checks; reading it is a
    HistoryError naming the database as damaged (it was a UnicodeDecodeError)."""
    import sqlite3

    from matcher.errors import HistoryError

    db = tmp_path / "m.db"
    with History(db) as store:
        store.import_rows(
            [{"program": "p", "seeker_id": "E1", "provider_id": "E2", "period": "2026Q3"}],
            "seed",
        )
    raw = sqlite3.connect(db)
    raw.execute("UPDATE pairs SET seeker_id = CAST(X'ff45' AS TEXT)")
    raw.commit()
    raw.close()
    with History(db) as store, pytest.raises(HistoryError, match="damaged"):
        for run in store.runs():
            store.run_pairs(run.run_id)
