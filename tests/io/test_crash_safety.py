"""Crash safety of the output folders and the history database.

``analyze`` and ``assign`` publish a whole folder at once (a link switched to a new version),
and ``assign`` records its runs before the switch. Checked here against the definitions,
without the writer's code: a folder shows the files its ``manifest.json`` lists and no
others, with those contents; every run id a visible ``summary.json`` names is in the history;
the database passes ``PRAGMA integrity_check``; a later run removes what a killed one left.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from matcher.errors import OutputError
from matcher.io.write import atomic_output, check_output_folder, published_folder
from matcher.synthetic.generate import generate_org
from tests.paths import ROOT

MENTORING = ROOT / "scenarios" / "mentoring.toml"
OURS = frozenset({"a.csv", "b.csv", "summary.json", "manifest.json"})


# ------------------------------------------------------------------------------ checks


def visible(out: Path) -> dict[str, object]:
    """The manifest of the folder ``out`` shows, after checking the folder matches it."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = {p.name for p in out.iterdir()}
    assert files == {*manifest["files"], "manifest.json"}, (files, manifest["files"])
    for name, entry in manifest["files"].items():
        data = (out / name).read_bytes()
        assert len(data) == entry["bytes"], name
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
    return dict(manifest)


def run_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in conn.execute("SELECT run_id FROM runs")}


def visible_run_ids(out: Path) -> set[str]:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {block["run_id"] for block in summary["programs"].values()}


def leftovers(out: Path) -> list[str]:
    """What the versions folder holds beside its marker and the version ``out`` shows."""
    current = os.readlink(out).rpartition("/")[2]
    versions = out.with_name(out.name + ".versions")
    return sorted(
        p.name for p in versions.iterdir() if p.name not in (current, "MATCHER-VERSIONS.txt")
    )


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# ------------------------------------------------------------------ published folders


def publish(out: Path, **files: str) -> None:
    with published_folder(out, ours=OURS) as folder:
        for name, text in files.items():
            folder.path(name.replace("_", ".")).write_text(text, encoding="utf-8")


def test_a_new_folder_is_a_link_to_a_complete_version(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    publish(out, a_csv="1", b_csv="2")
    assert out.is_symlink() and not os.path.isabs(os.readlink(out))
    assert (out / "a.csv").read_text() == "1"
    assert set(visible(out)["files"]) == {"a.csv", "b.csv"}
    assert leftovers(out) == []


def test_a_rerun_switches_the_whole_folder_and_removes_the_old_version(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, a_csv="old", b_csv="old")
    publish(out, a_csv="new")
    assert (out / "a.csv").read_text() == "new" and not (out / "b.csv").exists()
    assert set(visible(out)["files"]) == {"a.csv"}
    assert leftovers(out) == []


def test_a_failure_mid_write_leaves_the_old_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, a_csv="old", b_csv="old")
    before = visible(out)
    with pytest.raises(OSError, match="disk full"), published_folder(out, ours=OURS) as folder:
        folder.path("a.csv").write_text("new")
        raise OSError("disk full")
    assert visible(out) == before and (out / "a.csv").read_text() == "old"
    assert leftovers(out) == []


def test_a_failed_first_run_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(OSError), published_folder(out, ours=OURS) as folder:
        folder.path("a.csv").write_text("new")
        raise OSError("disk full")
    assert list(tmp_path.iterdir()) == []


def test_a_plain_folder_of_an_older_matcher_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old")
    (out / ".staging-k2j4h5g6").mkdir()  # what older versions left when killed
    # a failure after taking it over keeps the old files readable at the same paths
    with pytest.raises(OSError), published_folder(out, ours=OURS):
        raise OSError("disk full")
    assert out.is_symlink() and (out / "a.csv").read_text() == "old"
    publish(out, b_csv="new")
    assert sorted(p.name for p in out.iterdir()) == ["b.csv", "manifest.json"]
    assert leftovers(out) == []


def test_a_folder_shared_with_other_files_is_written_file_by_file(tmp_path: Path) -> None:
    """HR's --out folders may hold their own notes: they keep working (as before the versioned
    folders), written file by file, and the user's files are left alone."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old")
    (out / "notes.txt").write_text("mine")
    assert check_output_folder(out, ours=OURS) == "shared"
    publish(out, a_csv="new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert not out.is_symlink()
    assert (out / "notes.txt").read_text() == "mine" and (out / "a.csv").read_text() == "new"
    # a failure leaves the old files as they were
    with pytest.raises(OSError), published_folder(out, ours=OURS) as staged:
        staged.write_json("a.csv", {"half": True})
        raise OSError("disk full")
    assert (out / "a.csv").read_text() == "new"
    assert not any(p.name.startswith(".staging") for p in out.iterdir())


def test_the_working_folder_is_never_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert check_output_folder(".", ours=OURS) == "shared"
    publish(Path("."), a_csv="new")
    assert not tmp_path.is_symlink() and (tmp_path / "a.csv").read_text() == "new"


def test_a_versions_folder_matcher_did_not_make_is_refused(tmp_path: Path) -> None:
    (tmp_path / "out.versions").mkdir()
    (tmp_path / "out.versions" / "mine.txt").write_text("mine")
    with pytest.raises(OutputError, match="was not made by matcher"):
        publish(tmp_path / "out", a_csv="new")
    assert (tmp_path / "out.versions" / "mine.txt").read_text() == "mine"


def test_a_link_of_the_users_is_followed(tmp_path: Path) -> None:
    (tmp_path / "share").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "share")
    publish(tmp_path / "out", a_csv="new")
    assert os.readlink(tmp_path / "out") == str(tmp_path / "share")
    assert os.readlink(tmp_path / "share").startswith("share.versions/")
    assert (tmp_path / "out" / "a.csv").read_text() == "new"


def test_stale_staging_folders_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(out, a_csv="old")
    versions = tmp_path / "out.versions"
    stale = versions / f".staging-{dead_pid()}-0000abcd"
    live = versions / f".staging-{os.getppid()}-0000abcd"
    old_format = versions / ".staging-q8w7e6r5"
    fresh_old_format = versions / ".staging-z9x8c7v6"
    for folder in (stale, live, old_format, fresh_old_format):
        folder.mkdir()
        (folder / "analysis.csv").write_text("partial")
    os.utime(old_format, (time.time() - 7200, time.time() - 7200))
    (versions / "20260101T000000000000Z-1-finished").mkdir()  # killed after its rename
    publish(out, a_csv="new")
    assert leftovers(out) == sorted([live.name, fresh_old_format.name])


def test_concurrent_writers_leave_one_complete_version(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "out"

    def write(k: int) -> None:
        for _ in range(5):
            publish(out, a_csv=str(k), b_csv=str(k))

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    visible(out)
    assert (out / "a.csv").read_text() == (out / "b.csv").read_text()
    assert leftovers(out) == []


def test_atomic_output_removes_stale_staging_too(tmp_path: Path) -> None:
    stale = tmp_path / f".staging-{dead_pid()}-0000abcd"
    stale.mkdir()
    with atomic_output(tmp_path) as out:
        out.path("x.csv").write_text("x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]


def test_a_half_done_migration_is_completed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    versions = tmp_path / "out.versions"
    versions.mkdir()
    (versions / "MATCHER-VERSIONS.txt").write_text("made by matcher")
    (versions / "20260101T000000000000Z-1-migrated").mkdir()
    (versions / "20260101T000000000000Z-1-migrated" / "a.csv").write_text("old")
    # a run killed after moving the plain folder, before linking to it
    (versions / ".migrating").write_text("20260101T000000000000Z-1-migrated")
    with pytest.raises(OSError), published_folder(out, ours=OURS):
        raise OSError("disk full")
    assert (out / "a.csv").read_text() == "old" and not (versions / ".migrating").exists()


# --------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("org")
    generated = generate_org(150, seed=3)
    with atomic_output(folder) as out:
        out.write_table("employees.csv", generated.employees)
        out.write_table("interactions.csv", generated.interactions)
    return folder / "employees.csv", folder / "interactions.csv"


def command(kind: str, org: tuple[Path, Path], tmp_path: Path) -> list[str]:
    employees, interactions = org
    data = ["--employees", str(employees), "--interactions", str(interactions), "--quiet"]
    if kind == "analyze":
        return ["analyze", *data, "--out", str(tmp_path / "out")]
    return [
        "assign",
        str(MENTORING),
        *data,
        "--out",
        str(tmp_path / "out"),
        "--db",
        str(tmp_path / "h.db"),
    ]


def python(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, text=True, **kwargs)


@pytest.fixture(scope="module")
def killer() -> Iterator[Callable[..., dict[str, Any]]]:
    """Runs a command in a child of ``tests/crashpoint.py`` and kills it at a step or a delay."""
    server = python("-m", "tests.crashpoint", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert server.stdin is not None and server.stdout is not None

    def run(args: list[str], *, step: int = 0, delay: float | None = None) -> dict[str, Any]:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps({"args": args, "step": step, "delay": delay}) + "\n")
        server.stdin.flush()
        return dict(json.loads(server.stdout.readline()))

    yield run
    server.stdin.close()
    server.wait(timeout=30)


def check(kind: str, tmp_path: Path) -> dict[str, object]:
    """The outputs are one complete version; for assign, runs the history has."""
    out = tmp_path / "out"
    manifest = visible(out)
    if kind == "assign":
        assert visible_run_ids(out) <= run_ids(tmp_path / "h.db")
    return manifest


@pytest.mark.parametrize("kind", ["analyze", "assign"])
def test_kill_9_at_every_step_and_at_random_moments(
    kind: str, org: tuple[Path, Path], tmp_path: Path, killer: Callable[..., dict[str, Any]]
) -> None:
    args = command(kind, org, tmp_path)
    assert killer(args)["code"] == 0
    started = time.perf_counter()
    steps = killer(args)["steps"]  # a rerun: it also removes the first version
    seconds = time.perf_counter() - started
    shown = check(kind, tmp_path)
    recorded = run_ids(tmp_path / "h.db") if kind == "assign" else set()
    recorded_but_hidden = 0
    rng = random.Random(7)
    points = [{"step": n} for n in range(1, len(steps) + 1)]
    points += [{"delay": rng.uniform(0.2, 1.0) * seconds} for _ in range(8)]
    for point in points:
        result = killer(args, **point)
        assert result["killed"] or result["code"] == 0, (point, result)
        now = check(kind, tmp_path)
        if kind == "assign":
            before, recorded = recorded, run_ids(tmp_path / "h.db")
            recorded_but_hidden += now == shown and recorded > before
        shown = now
    if kind == "assign":  # some kill fell between the commit and the switch
        assert recorded_but_hidden
    final = python("-m", "matcher.cli", *args, stderr=subprocess.PIPE)
    _, stderr = final.communicate()
    assert final.returncode == 0, stderr
    check(kind, tmp_path)
    assert leftovers(tmp_path / "out") == []


def test_outputs_failing_after_the_commit_say_so_and_keep_the_run(
    org: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from matcher.cli import main
    from matcher.io import write

    args = command("assign", org, tmp_path)
    assert CliRunner().invoke(main, args).exit_code == 0
    before = visible(tmp_path / "out")

    def full(*_args: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(write, "_switch", full)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "records run(s) mentoring-2026q4@2026Q4#2 as proposed" in result.stderr
    assert "No space left on device" in result.stderr and "history export --run" in result.stderr
    assert run_ids(tmp_path / "h.db") == {"mentoring-2026q4@2026Q4#1", "mentoring-2026q4@2026Q4#2"}
    assert visible(tmp_path / "out") == before and leftovers(tmp_path / "out") == []
