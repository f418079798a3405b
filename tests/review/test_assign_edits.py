"""``matcher assign --lock/--forbid/--drop [--from-run RUN]``: HR's edits of a proposal become
the must and never pairs of a new one, recorded with the run it derives from and who did it."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from tests.review.conftest import propose
from tests.support import RunCli


def pairs_of(db: Path, run_id: str) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return set(
            conn.execute("SELECT seeker_id, provider_id FROM pairs WHERE run_id = ?", (run_id,))
        )


def people(program: Path) -> list[dict[str, str]]:
    with (program.parent / "org" / "employees.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_locks_forbids_and_drops_make_a_derived_proposal(
    small_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    db = tmp_path / "h.db"
    first = propose(run_cli, small_program, tmp_path / "a", db)
    pairs = sorted(pairs_of(db, first))
    (s1, p1), (s2, p2), (s3, p3) = pairs[:3]
    # a mentor of another pair, from another team than s3, so that the lock is feasible
    teams = {row["id"]: row["team"] for row in people(small_program)}
    other = next(p for _, p in pairs[3:] if teams[p] != teams[s3] and p != p3)
    second = propose(
        run_cli, small_program, tmp_path / "b", db,
        "--from-run", first, "--forbid", f"{s1}:{p1}", "--drop", f"{s2}:{p2}",
        "--lock", f"{s3}:{other}", "--by", "ana",
    )  # fmt: skip
    new = pairs_of(db, second)
    assert (s1, p1) not in new and s1 in {s for s, _ in new}  # forbidden: s1 gets someone else
    assert s2 not in {s for s, _ in new}  # dropped: s2 is left out of this proposal
    assert (s3, other) in new
    shown = json.loads(run_cli("history", "show", second, "--db", db, "--json").stdout)
    assert shown["derived_from"] == first
    ((action, actor, detail),) = [(a["action"], a["actor"], a["detail"]) for a in shown["actions"]]
    assert (action, actor) == ("derived", "ana")
    assert detail["edits"] == {
        "lock": [[s3, other]],
        "forbid": [[s1, p1]],
        "drop": [[s2, p2]],
    }
    # edits carry along the chain; a later edit of a pair replaces an earlier one
    third = propose(
        run_cli, small_program, tmp_path / "c", db, "--from-run", second, "--lock", f"{s1}:{p1}"
    )
    new = pairs_of(db, third)
    assert (s1, p1) in new and (s3, other) in new and s2 not in {s for s, _ in new}
    shown = json.loads(run_cli("history", "show", third, "--db", db, "--json").stdout)
    assert shown["actions"][0]["detail"]["edits"]["forbid"] == []
    # and the derived proposals commit like any other
    run_cli("history", "commit", third, "--db", db, "--quiet")


def test_an_infeasible_lock_names_the_conflict(
    small_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    db = tmp_path / "h.db"
    rows = people(small_program)
    mentees = [r for r in rows if "mentee" in r["roles"].split(";")]
    mentors = [r for r in rows if "mentor" in r["roles"].split(";")]
    seeker, provider = next(
        (s, p) for s in mentees for p in mentors if s["team"] == p["team"] and s["id"] != p["id"]
    )
    result = run_cli(
        "assign", small_program, "--out", tmp_path / "o", "--db", db,
        "--lock", f"{seeker['id']}:{provider['id']}", "--json", "--strict",
        code=3,
    )  # fmt: skip
    block = json.loads(result.stdout)["programs"]["mentoring"]
    assert block["status"] == "infeasible"
    assert any(
        seeker["id"] in c and provider["id"] in c and "same_team" in c for c in block["conflicts"]
    ), block["conflicts"]
    assert "conflict:" in result.stderr


def test_edit_mistakes_are_named(small_program: Path, tmp_path: Path, run_cli: RunCli) -> None:
    db = tmp_path / "h.db"
    out = tmp_path / "o"
    stderr = run_cli(
        "assign", small_program, "--out", out, "--db", db, "--lock", "E1", code=2
    ).stderr
    assert "expected SEEKER:PROVIDER" in stderr
    stderr = run_cli(
        "assign", small_program, "--out", out, "--db", db, "--from-run", "nope#1", code=1
    ).stderr
    assert "no history database" in stderr
    stderr = run_cli(
        "assign", small_program, "--out", out, "--db", db, "--lock", "E000100:E000001", code=1
    ).stderr
    assert "pairs.must ['E000100', 'E000001'] is not a seeker–provider pair" in stderr
    propose(run_cli, small_program, out, db)
    stderr = run_cli(
        "assign", small_program, "--out", out, "--db", db, "--from-run", "nope#1", code=1
    ).stderr
    assert "no run 'nope#1'" in stderr
