"""``matcher history`` as HR uses it between proposals: reject, diff, who did what, export with
run ids, read-only commands that never create a database, and an approve hint that works when
pasted. On a small generated org (150 people) and a mentoring program."""

from __future__ import annotations

import csv
import getpass
import json
import shlex
import sqlite3
from pathlib import Path

import pytest

from tests.review.conftest import propose
from tests.support import RunCli


@pytest.mark.parametrize(
    "args",
    [
        ["list"],
        ["show", "m@2026Q4#1"],
        ["diff", "m@2026Q4#1", "m@2026Q4#2"],
        ["export", "--out", "x.csv"],
        ["commit", "m@2026Q4#1"],
        ["withdraw", "m@2026Q4#1"],
        ["reject", "m@2026Q4#1"],
    ],
)
def test_commands_on_a_missing_database_never_create_one(
    args: list[str], tmp_path: Path, run_cli: RunCli
) -> None:
    """Regression: `history list` (and show, export) silently created an empty database, so a
    mistyped --db looked like an empty history."""
    db = tmp_path / "typo.db"
    stderr = run_cli("history", *args, "--db", db, code=1).stderr
    assert "no history database" in stderr and str(db) in stderr
    assert "Traceback" not in stderr and not db.exists()


def test_export_of_committed_pairs_names_their_runs(tmp_path: Path, run_cli: RunCli) -> None:
    """Regression: `history export` (every committed pairing) wrote an empty run_id."""
    past = tmp_path / "past.csv"
    past.write_text(
        "program,seeker_id,provider_id,period\nm,E1,E2,2026Q3\nb,E3,E4,2026Q3\n", encoding="utf-8"
    )
    db = tmp_path / "h.db"
    run_cli("history", "import", past, "--db", db, "--quiet")
    run_cli("history", "export", "--out", tmp_path / "all.csv", "--db", db, "--quiet")
    with (tmp_path / "all.csv").open(encoding="utf-8") as handle:
        exported = {r["seeker_id"]: r["run_id"] for r in csv.DictReader(handle)}
    assert exported == {"E1": "m@2026Q3#1", "E3": "b@2026Q3#1"}


def test_the_approve_hint_works_when_pasted(
    small_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    """Regression: the hint `assign` printed omitted the --db it used, so pasting it failed."""
    db = tmp_path / "elsewhere" / "quarter.db"
    db.parent.mkdir()
    stderr = run_cli("assign", small_program, "--out", tmp_path / "out", "--db", db).stderr
    hint = stderr.split("approve with: ", 1)[1].split(")\n", 1)[0]
    argv = shlex.split(hint)
    assert argv[:3] == ["matcher", "history", "commit"]
    assert "committed mentoring@2026Q4#1" in run_cli(*argv[1:]).stderr


def test_reject_diff_and_who_did_what(small_program: Path, tmp_path: Path, run_cli: RunCli) -> None:
    db = tmp_path / "h.db"
    first = propose(run_cli, small_program, tmp_path / "a", db, "--by", "ana")
    second = propose(run_cli, small_program, tmp_path / "b", db, "--seed", "1")
    # a rejected proposal stays listed and can never be committed
    run_cli("history", "reject", first, "--db", db, "--by", "ben", "--note", "one team too many")
    stderr = run_cli("history", "commit", first, "--db", db, code=1).stderr
    assert "rejected" in stderr and "cannot be committed" in stderr
    listed = json.loads(run_cli("history", "list", "--db", db, "--json").stdout)
    assert [(r["run_id"], r["state"]) for r in listed] == [
        (first, "rejected"),
        (second, "proposed"),
    ]
    run_cli("history", "commit", second, "--db", db)  # --by defaults to the OS user
    shown = json.loads(run_cli("history", "show", first, "--db", db, "--json").stdout)
    assert [(a["action"], a["actor"]) for a in shown["actions"]] == [
        ("proposed", "ana"),
        ("rejected", "ben"),
    ]
    assert shown["actions"][1]["detail"] == {"note": "one team too many"}
    shown = json.loads(run_cli("history", "show", second, "--db", db, "--json").stdout)
    assert [a["actor"] for a in shown["actions"]] == [getpass.getuser()] * 2
    text = run_cli("history", "show", first, "--db", db).stdout
    assert "rejected by ben" in text and "None" not in text
    # the diff of two proposals of the same program: pairs added, removed, kept
    diff = json.loads(run_cli("history", "diff", first, second, "--db", db, "--json").stdout)
    with sqlite3.connect(db) as conn:
        a_pairs, b_pairs = (
            set(conn.execute("SELECT seeker_id, provider_id FROM pairs WHERE run_id = ?", (r,)))
            for r in (first, second)
        )
    assert a_pairs and b_pairs
    assert {tuple(p) for p in diff["added"]} == b_pairs - a_pairs
    assert {tuple(p) for p in diff["removed"]} == a_pairs - b_pairs
    assert {tuple(p) for p in diff["kept"]} == a_pairs & b_pairs
    assert diff["coverage"][0] is not None and diff["coverage_change"] == pytest.approx(
        diff["coverage"][1] - diff["coverage"][0]
    )
    text = run_cli("history", "diff", first, second, "--db", db).stdout
    assert f"{len(diff['added'])} added, {len(diff['removed'])} removed" in text


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["history", "list", "--db", "missing.db", "--json"], 1),
        (["history", "commit", "--json"], 2),
        (["assign", "nowhere.toml", "--out", "o", "--json"], 1),
    ],
)
def test_json_failures_print_a_json_error_object(
    args: list[str], code: int, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args, code=code)
    error = json.loads(result.stdout)
    assert error["exit_code"] == code and error["error"]
    assert error["error"] in result.stderr or code == 2


def test_every_option_of_every_command_has_help_text() -> None:
    import click

    from matcher.cli import main

    def missing(command: click.Command, path: str) -> list[str]:
        if isinstance(command, click.Group):
            return [
                m for name, sub in command.commands.items() for m in missing(sub, f"{path} {name}")
            ]
        return [
            f"{path} {param.opts[0]}"
            for param in command.params
            if isinstance(param, click.Option) and not param.help
        ]

    assert missing(main, "matcher") == []
