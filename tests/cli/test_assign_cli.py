"""matcher assign and matcher history through the CLI, on the example programs in scenarios/
and the session's generated 600-person org (``org_files``)."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Protocol

import numpy as np
import pytest
from click.testing import Result

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import HistoryPair, check_assignment
from matcher.config import AnalysisConfig
from matcher.io.load import load_org
from matcher.io.programs import load_program_file
from matcher.io.write import OutputDir
from tests.paths import SCENARIOS
from tests.support import ExitCodes, OrgFiles, RunCli

EXAMPLES = ("mentoring.toml", "buddy.toml", "peer-support.toml")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Assign(Protocol):
    def __call__(
        self, program: str, out: Path, db: Path, *extra: str, code: ExitCodes = 0
    ) -> Result: ...


@pytest.fixture
def assign(run_cli: RunCli, org_files: OrgFiles) -> Assign:
    """``assign(program, out, db, *extra)``: ``matcher assign scenarios/<program>`` on
    ``org_files`` with ``--json --quiet``."""

    def run(program: str, out: Path, db: Path, *extra: str, code: ExitCodes = 0) -> Result:
        return run_cli(
            "assign",
            SCENARIOS / program,
            "--employees",
            org_files.employees,
            "--interactions",
            org_files.interactions,
            "--out",
            out,
            "--db",
            db,
            "--json",
            "--quiet",
            "--time-limit",
            "20",
            *extra,
            code=code,
        )

    return run


@pytest.mark.parametrize("program", EXAMPLES)
def test_example_programs_run_and_pass_the_checker(
    program: str, org_files: OrgFiles, assign: Assign, tmp_path: Path
) -> None:
    summary = json.loads(assign(program, tmp_path / "out", tmp_path / "h.db").stdout)
    ((name, block),) = summary["programs"].items()
    assert (
        block["status"] == "optimal"
        and block["gap"] == 0
        and block["bound_scope"] == "all_eligible_pairs"
    )
    assert block["seekers"] > 0 and block["matched"] > 0
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {
        "assignments.csv",
        "unmatched.csv",
        "pairs.csv",
        "summary.json",
        "manifest.json",
        "review.xlsx",
    }
    assignments = rows(out / "assignments.csv")
    assert len(assignments) == block["pairs"] and all(r["why"] for r in assignments)
    assert list(assignments[0])[:4] == ["program", "seeker_id", "provider_id", "score"]
    unmatched = rows(out / "unmatched.csv")
    assert len(unmatched) == block["seekers"] - block["matched"] and all(
        r["reason"] for r in unmatched
    )
    # the partner-facing file says who, never why
    partner = (out / "pairs.csv").read_text()
    assert list(rows(out / "pairs.csv")[0]) == ["program", "period", "seeker_id", "provider_id"]
    for word in ("isolated", "peripheral", "priority", "score", "reason"):
        assert word not in partner
    # every hard rule holds, by the independent checker
    org, _ = load_org(*org_files)
    spec = next(p for p in load_program_file(SCENARIOS / program).program if p.name == name)
    flags = {p.id: set(p.flags) for p in analyze(org).people}
    pairs = [(r["seeker_id"], r["provider_id"]) for r in assignments]
    assert check_assignment(spec, org, pairs, flags=flags, as_of=org.as_of.date()) == []  # type: ignore[union-attr]


def test_same_seed_gives_identical_files(assign: Assign, tmp_path: Path) -> None:
    for run in ("a", "b"):
        assign("mentoring.toml", tmp_path / run, tmp_path / f"{run}.db", "--seed", "5", "--explain")
    for name in ("assignments.csv", "unmatched.csv", "pairs.csv", "candidates.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_history_commit_then_no_repeat_and_incremental(
    assign: Assign, run_cli: RunCli, tmp_path: Path
) -> None:
    db = tmp_path / "h.db"
    first = json.loads(assign("mentoring.toml", tmp_path / "q1", db).stdout)
    run_id = first["programs"]["mentoring-2026q4"]["run_id"]
    run_cli("history", "list", "--db", db, "--json")
    # a proposal does not count as history: the same run again proposes the same pairs
    assign("mentoring.toml", tmp_path / "again", db)
    assert rows(tmp_path / "again" / "pairs.csv") == rows(tmp_path / "q1" / "pairs.csv")
    run_cli("history", "commit", run_id, "--db", db)
    assert "already committed" in run_cli("history", "commit", run_id, "--db", db, code=1).stderr
    # committed: with no_repeat_periods = 4, rerunning the period repeats none of its pairs
    assign("mentoring.toml", tmp_path / "q1b", db)
    before = {(r["seeker_id"], r["provider_id"]) for r in rows(tmp_path / "q1" / "pairs.csv")}
    after = {(r["seeker_id"], r["provider_id"]) for r in rows(tmp_path / "q1b" / "pairs.csv")}
    assert before and not before & after
    # incremental: committed pairs stay, only people not yet served are assigned
    assign("mentoring.toml", tmp_path / "inc", db, "--incremental")
    served = {s for s, _ in before}
    assert not served & {r["seeker_id"] for r in rows(tmp_path / "inc" / "pairs.csv")}
    # export and import round-trip the committed pairs
    export = tmp_path / "export.csv"
    run_cli("history", "export", "--out", export, "--db", db)
    exported = rows(export)
    assert {(r["seeker_id"], r["provider_id"]) for r in exported} == before
    other = tmp_path / "other.db"
    run_cli("history", "import", export, "--db", other)
    with sqlite3.connect(other) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pairs").fetchone()[0] == len(before)
    checked = [
        HistoryPair(r["kind"] or None, r["seeker_id"], r["provider_id"], r["period"])
        for r in exported
    ]
    assert len(checked) == len(before)


def test_history_import_errors_name_row_and_column(tmp_path: Path, run_cli: RunCli) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("program,seeker_id,provider_id,period\nm,E1,E2,2026Q4\nm,,E2,last quarter\n")
    stderr = run_cli("history", "import", bad, "--db", tmp_path / "h.db", code=1).stderr
    assert "row 3, column 'seeker_id'" in stderr and "row 3, column 'period'" in stderr
    with sqlite3.connect(tmp_path / "h.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_failed_output_write_leaves_the_database_as_it_was(
    assign: Assign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    # a write that fails half way (no option can make a disk full)
    monkeypatch.setattr(OutputDir, "write_json", explode)
    db = tmp_path / "h.db"
    result = assign("mentoring.toml", tmp_path / "out", db, code=1)
    assert "the system refused (disk full)" in result.stderr and "Traceback" not in result.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_strict_exits_3_on_partial_coverage(
    org_files: OrgFiles, run_cli: RunCli, tmp_path: Path
) -> None:
    program = tmp_path / "tight.toml"
    program.write_text(
        '[data]\nemployees = "e.csv"\n\n[[program]]\nname = "tight"\nkind = "mentor"\nperiod = "2026Q4"\n'
        "capacity = { default = 0 }\n"
    )
    run_cli(
        "assign",
        program,
        "--employees",
        org_files.employees,
        "--interactions",
        org_files.interactions,
        "--out",
        tmp_path / "o",
        "--db",
        tmp_path / "h.db",
        "--strict",
        "--quiet",
        code=3,
    )
    assert all("capacity exhausted" in r["reason"] for r in rows(tmp_path / "o" / "unmatched.csv"))


def test_program_file_errors_are_located(tmp_path: Path, run_cli: RunCli) -> None:
    program = tmp_path / "p.toml"
    program.write_text(
        '[data]\nemployees = "e.csv"\n\n[[program]]\nname = "m"\nkind = "mentors"\nperiod = "Q4"\n'
        '[program.rules]\nsame_team = "never"\n'
    )
    stderr = run_cli("validate", program, code=1).stderr
    assert (
        "program[0].kind" in stderr
        and "program[0].period" in stderr
        and "program[0].rules.same_team" in stderr
    )
    assert "Traceback" not in stderr


def test_unknown_program_name_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(
        "assign", SCENARIOS / "buddy.toml", "--program", "nope", "--out", tmp_path, code=2
    )
    assert "onboarding-2026q4" in result.stderr


@pytest.fixture(scope="module")
def saved_analysis(
    org_files: OrgFiles, run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``matcher analyze --seed 7 --pseudonymize`` of the org, with a throwaway key beside it
    (``analysis.key``)."""
    folder = tmp_path_factory.mktemp("saved") / "analysis"
    key = folder.parent / "analysis.key"
    key.write_text("a key of at least sixteen bytes\n", encoding="utf-8")
    run_cli(
        "analyze",
        "--employees",
        org_files.employees,
        "--interactions",
        org_files.interactions,
        "--out",
        folder,
        "--seed",
        "7",
        "--pseudonymize",
        "--key-file",
        key,
        "--quiet",
    )
    return folder


@pytest.mark.parametrize("program", EXAMPLES)
def test_assign_from_a_saved_analysis_gives_the_same_pairs(
    program: str,
    org_files: OrgFiles,
    saved_analysis: Path,
    assign: Assign,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    """A pseudonymised analysis is read back with its key (its rows are in keyed order) and
    gives the pairs that analysing again with the same seed gives; interactions are not
    read."""
    fresh = assign(program, tmp_path / "a", tmp_path / "a.db", "--seed", "7")
    saved = run_cli(
        "assign",
        SCENARIOS / program,
        "--employees",
        org_files.employees,
        "--analysis",
        saved_analysis,
        "--out",
        tmp_path / "b",
        "--db",
        tmp_path / "b.db",
        "--seed",
        "7",
        "--key-file",
        saved_analysis.parent / "analysis.key",
        "--json",
        "--quiet",
    )
    assert (tmp_path / "a" / "assignments.csv").read_bytes() == (
        tmp_path / "b" / "assignments.csv"
    ).read_bytes()
    assert (tmp_path / "a" / "unmatched.csv").read_bytes() == (
        tmp_path / "b" / "unmatched.csv"
    ).read_bytes()
    inputs = json.loads(saved.stdout)["inputs"]
    assert inputs["analysis"] == str(saved_analysis)
    assert inputs["interactions"] == json.loads(fresh.stdout)["inputs"]["interactions"]


def test_a_pseudonymised_analysis_needs_its_key(
    org_files: OrgFiles, saved_analysis: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    """ties.npz of a pseudonymised analysis is in keyed row order: without the key (or with
    another) its flags cannot be put back on the rows of the employees file."""
    base = ["assign", str(SCENARIOS / "mentoring.toml"), "--out", str(tmp_path / "out")]
    base += ["--db", str(tmp_path / "h.db"), "--analysis", str(saved_analysis)]
    base += ["--employees", str(org_files.employees)]
    stderr = run_cli(*base, code=1).stderr
    assert "was pseudonymised" in stderr and "Traceback" not in stderr
    other = tmp_path / "other.key"
    other.write_text("another key of sixteen bytes or more\n", encoding="utf-8")
    assert "another key" in run_cli(*base, "--key-file", other, code=1).stderr
    with np.load(saved_analysis / "ties.npz") as saved:
        saved_rows = np.flatnonzero(saved["flag_bits"] != 0)
    # by row of the employees file, the flagged people would be these; the file says otherwise
    org, _ = load_org(*org_files)
    by_row = np.flatnonzero([bool(p.flags) for p in analyze(org, AnalysisConfig(seed=7)).people])
    assert len(saved_rows) == len(by_row) and not np.array_equal(saved_rows, by_row)


def test_saved_analysis_of_another_org_or_setting_is_refused(
    org_files: OrgFiles, saved_analysis: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    employees = str(org_files.employees)
    other = tmp_path / "other.csv"
    other.write_bytes(org_files.employees.read_bytes() + b"\n")
    base = ["assign", str(SCENARIOS / "mentoring.toml"), "--out", str(tmp_path / "out")]
    base += ["--key-file", str(saved_analysis.parent / "analysis.key")]
    base += ["--db", str(tmp_path / "h.db"), "--analysis", str(saved_analysis)]
    stderr = run_cli(*base, "--employees", other, code=1).stderr
    assert "another employees file" in stderr and "Traceback" not in stderr
    stderr = run_cli(*base, "--employees", employees, "--interactions", "x.csv", code=2).stderr
    assert "--analysis replaces --interactions" in stderr
    program = tmp_path / "p.toml"
    text = (SCENARIOS / "mentoring.toml").read_text(encoding="utf-8")
    program.write_text(text + "\n[analysis]\nmin_group_size = 9\n", encoding="utf-8")
    stderr = run_cli(*base[:1], program, *base[2:], "--employees", employees, code=1).stderr
    assert "min_group_size" in stderr
    # the data checks' thresholds change no flag: a saved analysis judged by others is fine
    program.write_text(text + "\n[analysis]\nmin_channels = 1\n", encoding="utf-8")
    accepted = ["--out", str(tmp_path / "accepted"), "--quiet"]  # the last --out counts
    run_cli(*base[:1], program, *base[2:], "--employees", employees, *accepted)
    stderr = run_cli(*base[:-1], org_files.folder, "--employees", employees, code=1).stderr
    assert "no summary.json" in stderr
    assert not (tmp_path / "out").exists()


def test_history_import_checks_pairs_against_the_program(
    org_files: OrgFiles, run_cli: RunCli, tmp_path: Path
) -> None:
    """Regression: imported pairs were stored as committed without a look at the rules, and
    later runs built on them. With --program they are checked; violations are refused unless
    --force, which records them with the run."""
    employees, interactions = org_files
    program = tmp_path / "mentoring.toml"
    text = (SCENARIOS / "mentoring.toml").read_text(encoding="utf-8")
    text = text.replace("../demo-out/org/employees.csv", str(employees)).replace(
        "../demo-out/org/interactions.csv", str(interactions)
    )
    program.write_text(text, encoding="utf-8")
    people = rows(employees)
    not_mentee = next(p["id"] for p in people if "mentee" not in p["roles"])
    mentor = next(p["id"] for p in people if "mentor" in p["roles"] and p["id"] != not_mentee)
    bad = tmp_path / "past.csv"
    bad.write_text(
        f"program,seeker_id,provider_id,period\nmentoring-2026q4,{not_mentee},{mentor},2026Q3\n"
    )
    db = tmp_path / "h.db"
    checked = ("history", "import", bad, "--program", program)
    stderr = run_cli(*checked, "--db", db, code=1).stderr
    assert "break the programs' rules" in stderr and not_mentee in stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0
    assert "break a rule" in run_cli(*checked, "--force", "--db", db).stderr
    with sqlite3.connect(db) as conn:
        (inputs,) = conn.execute("SELECT inputs FROM runs").fetchone()
    assert "violations" in inputs
    stderr = run_cli("history", "import", bad, "--db", tmp_path / "other.db").stderr
    assert "not checked" in stderr


def test_an_infeasible_run_offers_nothing_to_approve(
    org_files: OrgFiles, run_cli: RunCli, tmp_path: Path
) -> None:
    """Regression: infeasible runs still printed an approve hint; a feasible run's hint now
    names the database it used."""
    employees, interactions = org_files
    program = tmp_path / "p.toml"
    program.write_text(
        "[data]\n"
        f"employees = '{employees}'\ninteractions = '{interactions}'\n"
        "[[program]]\nname = 'm'\nkind = 'mentor'\nperiod = '2026Q4'\n"
        "capacity = { default = 1, min = 1000 }\n",
        encoding="utf-8",
    )
    db = tmp_path / "h.db"
    stderr = run_cli("assign", program, "--out", tmp_path / "o", "--db", db).stderr
    assert "infeasible, nothing to approve" in stderr and "approve with" not in stderr
    stderr = run_cli("history", "commit", "m@2026Q4#1", "--db", db, code=1).stderr
    assert "infeasible" in stderr
    stderr = run_cli(
        "assign",
        SCENARIOS / "mentoring.toml",
        "--employees",
        employees,
        "--interactions",
        interactions,
        "--out",
        tmp_path / "ok2",
        "--db",
        db,
    ).stderr
    assert f"--db '{db}'" in stderr


def test_a_second_full_run_cannot_be_committed_over_the_first(
    assign: Assign, run_cli: RunCli, tmp_path: Path
) -> None:
    """Two committed runs for one program and period would give people two pairings."""
    db = tmp_path / "h.db"
    for out in ("a", "b"):
        assign("mentoring.toml", tmp_path / out, db)
    first, second = "mentoring-2026q4@2026Q4#1", "mentoring-2026q4@2026Q4#2"
    run_cli("history", "commit", first, "--db", db)
    stderr = run_cli("history", "commit", second, "--db", db, code=1).stderr
    assert "already has committed run" in stderr and "withdraw" in stderr
    run_cli("history", "withdraw", first, "--db", db)
    run_cli("history", "commit", second, "--db", db)
    # an incremental proposal commits on top of the run it was built on, not after it changes
    assign("mentoring.toml", tmp_path / "c", db, "--incremental")
    run_cli("history", "commit", "mentoring-2026q4@2026Q4#3", "--db", db)
    assert "builds on" in run_cli("history", "withdraw", second, "--db", db, code=1).stderr


def test_assign_finds_connectors_when_a_program_selects_them(
    org_files: OrgFiles, run_cli: RunCli, tmp_path: Path
) -> None:
    """Assign skips betweenness unless a selector names the connector flag; when one does,
    its providers are exactly the people ``matcher analyze`` flags as connectors."""
    program = tmp_path / "connectors.toml"
    program.write_text(
        f'[data]\nemployees = "{org_files.employees}"\ninteractions = "{org_files.interactions}"\n'
        '[[program]]\nname = "bridges"\nkind = "mentor"\nperiod = "2026Q4"\n'
        'providers = { flags = ["connector"] }\ncapacity = { default = 50 }\n',
        encoding="utf-8",
    )
    run_cli("assign", program, "--out", tmp_path / "out", "--db", tmp_path / "m.db", "--quiet")
    run_cli(
        "analyze", "--employees", org_files.employees, "--interactions",
        org_files.interactions, "--out", tmp_path / "analysis", "--quiet",
    )  # fmt: skip
    with (tmp_path / "analysis" / "analysis.csv").open(encoding="utf-8") as handle:
        connectors = {r["id"] for r in csv.DictReader(handle) if "connector" in r["flags"]}
    with (tmp_path / "out" / "pairs.csv").open(encoding="utf-8") as handle:
        providers = {r["provider_id"] for r in csv.DictReader(handle)}
    assert connectors and providers and providers <= connectors
