"""Reading the history database: runs, pairs, outcomes and who did what."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from matcher.errors import HistoryError
from matcher.history.records import Action, Outcome, Run, StoredPair


class HistoryReader:
    """The read side of :class:`~matcher.history.store.History` (which opens the database)."""

    path: Path
    _db: sqlite3.Connection

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
