"""Writing the history database: proposals, commits, rejections, imports, withdrawals and
evaluations, each one transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from matcher.assignment.programs import PERIOD_PATTERN, Kind
from matcher.errors import HistoryError
from matcher.history.reading import HistoryReader
from matcher.history.records import Evaluated, Outcome, Run, utc_now
from matcher.history.schema import SCHEMA_VERSION, migrate


class History(HistoryReader):
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
        self._db.text_factory = self._text
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
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            # a damaged schema can make SQLite's own message undecodable text
            self._db.close()
            reason = (
                "the history database is damaged; restore it from a backup, or recover it "
                "with: sqlite3 OLD.db .recover | sqlite3 NEW.db"
                if "malformed" in str(exc) or isinstance(exc, UnicodeDecodeError)
                else "not a matcher history database"
            )
            raise HistoryError(f"{self.path}: {reason} ({exc})") from exc
        except HistoryError:
            self._db.close()
            raise

    def _text(self, raw: bytes) -> str:
        """A TEXT value as a string; text that is not UTF-8 (matcher writes only UTF-8) means
        damage, reported as such wherever it is read, not as a traceback."""
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HistoryError(
                f"{self.path}: the history database is damaged (a text value is not UTF-8: "
                f"{raw[:40]!r}); restore it from a backup, or recover it with: "
                "sqlite3 OLD.db .recover | sqlite3 NEW.db"
            ) from exc

    def close(self) -> None:
        self._db.close()

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
        now = utc_now()
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
            (utc_now(), run_id, action, actor, json.dumps(detail or {}, default=str)),
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
                (utc_now(), run_id),
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
                (utc_now(), run_id),
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
                (utc_now(), run_id),
            )
            self._record(db, run_id, "withdrawn", actor)
        return self.get(run_id)
