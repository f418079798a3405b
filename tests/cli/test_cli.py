"""The command line: outputs, exit codes, no tracebacks, atomic writes, pseudonyms."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result

from matcher.cli.ingest import KINDS
from matcher.ingest.records import Kind
from matcher.io.write import OutputDir
from tests.support import OrgFiles, RunCli


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def analyze(files: OrgFiles, out: Path, *extra: str) -> list[str]:
    """The arguments of ``matcher analyze`` of ``files`` into ``out``."""
    return [
        "analyze",
        "--employees",
        str(files.employees),
        "--interactions",
        str(files.interactions),
        "--out",
        str(out),
        *extra,
    ]


def test_analyze_writes_the_contract_files(
    tmp_path: Path, tiny_org_files: OrgFiles, run_cli: RunCli
) -> None:
    result = run_cli(*analyze(tiny_org_files, tmp_path / "out", "--json"))
    summary = json.loads(result.stdout)
    assert summary["employees"] == 3 and summary["load"]["dropped_unknown_ids"] == 1
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.csv",
        "manifest.json",
        "rejects.csv",
        "summary.json",
        "teams.csv",
        "ties.npz",
    ]
    analysis = rows(out / "analysis.csv")
    assert list(analysis[0])[:9] == [
        "id",
        "flags",
        "strong_ties",
        "reciprocal_contacts",
        "strength",
        "coreness",
        "community",
        "cross_team_share",
        "reasons",
    ]
    assert {r["id"] for r in analysis} == {"E1", "E2", "E3"}
    rejects = rows(out / "rejects.csv")
    assert [(r["row"], r["reason"]) for r in rejects] == [
        ("6", "self-interaction"),
        ("7", "unknown source id"),
    ]
    teams = rows(out / "teams.csv")
    assert all(t["suppressed"] == "true" and t["external_share"] == "" for t in teams)


def test_bad_data_exits_1_with_a_located_message_and_writes_nothing(
    tmp_path: Path, run_cli: RunCli
) -> None:
    employees = write(
        tmp_path, "e.csv", "id,manager_id,timezone\nE1,,Europe/Berlin\nE2,E9,Mars/Base\n"
    )
    interactions = write(tmp_path, "i.csv", "source,target,timestamp\nE1,E2,2026-01-01T00:00:00Z\n")
    out = tmp_path / "out"
    stderr = run_cli(*analyze(OrgFiles(employees, interactions), out), code=1).stderr
    assert "row 3, column 'manager_id': manager_id 'E9' is not an employee id" in stderr
    assert "row 3, column 'timezone'" in stderr
    assert "Traceback" not in stderr
    assert not out.exists() or not any(out.iterdir())


def test_failed_run_keeps_earlier_outputs(
    tmp_path: Path,
    tiny_org_files: OrgFiles,
    run_cli: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    run_cli(*analyze(tiny_org_files, out))
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def explode(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    # a write that fails half way (no option can make a disk full)
    monkeypatch.setattr(OutputDir, "write_json", explode)
    result = run_cli(*analyze(tiny_org_files, out), code=1)
    assert "the system refused (disk full)" in result.stderr and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_pseudonymize_replaces_ids_with_keyed_pseudonyms(
    tmp_path: Path, org_files: OrgFiles, tiny_org_files: OrgFiles, run_cli: RunCli
) -> None:
    """On a generated org (the tiny one's teams are too small: a pseudonymised analysis.csv
    leaves out rows it cannot make k-anonymous, and would be empty)."""
    key = "k" * 32

    def pseudonymised(files: OrgFiles, out: str, key: str, code: int = 0) -> Result:
        args = analyze(files, tmp_path / out, "--pseudonymize")
        return run_cli(*args, env={"MATCHER_PSEUDONYM_KEY": key}, code=code)

    pseudonymised(org_files, "a", key)
    pseudonymised(org_files, "b", key)
    ids = [r["id"] for r in rows(tmp_path / "a" / "analysis.csv")]
    assert len(ids) > 300
    assert all(i.startswith("p_") and len(i) == 18 for i in ids)
    assert ids == [r["id"] for r in rows(tmp_path / "b" / "analysis.csv")]
    text = "".join(p.read_text() for p in (tmp_path / "a").iterdir() if p.suffix != ".npz")
    with np.load(tmp_path / "a" / "ties.npz") as ties:  # numbers and flag names only
        assert all(
            ties[name].dtype.kind in "iuf"
            for name in ties.files
            if name not in ("flag_names", "key_check")
        )
        assert set(ties["flag_names"].tolist()) <= {
            "isolated",
            "peripheral",
            "new_hire",
            "connector",
        }
    employee_ids = {r["id"] for r in rows(org_files.employees)}
    assert not employee_ids & set(re.findall(r"\w+", text))
    assert key not in text
    # rejects name people by pseudonym too
    pseudonymised(tiny_org_files, "tiny", key)
    rejects = rows(tmp_path / "tiny" / "rejects.csv")
    assert len(rejects) == 2 and all(r["source"].startswith("p_") for r in rejects)
    assert "needs a key" in pseudonymised(tiny_org_files, "c", "", code=1).stderr


def test_validate_reports_ok_and_problems(
    tmp_path: Path, tiny_org_files: OrgFiles, run_cli: RunCli
) -> None:
    employees, interactions = tiny_org_files
    result = run_cli("validate", employees, interactions, "--employees", employees, "--json")
    assert json.loads(result.stdout)["ok"]
    bad = write(
        tmp_path, "bad.csv", "source,target,timestamp,channel\nE1,E2,2026-01-01T00:00:00Z,fax\n"
    )
    stderr = run_cli("validate", bad, code=1).stderr
    assert "row 2, column 'channel': unknown channel 'fax'" in stderr


def test_usage_errors_exit_2(tmp_path: Path, run_cli: RunCli) -> None:
    run_cli("analyze", "--employees", "x.csv", code=2)
    run_cli(*analyze(OrgFiles(Path("e"), Path("i")), tmp_path, "--as-of", "soon"), code=2)


def test_formula_cells_are_neutralised(tmp_path: Path, run_cli: RunCli) -> None:
    employees = write(tmp_path, "e.csv", "id,team\n=cmd|' /C calc'!A0,@SUM\nE2,@SUM\n")
    interactions = write(
        tmp_path,
        "i.csv",
        "source,target,timestamp,channel\nE2,=cmd|' /C calc'!A0,2026-01-01T00:00:00Z,video\n",
    )
    run_cli(*analyze(OrgFiles(employees, interactions), tmp_path / "o"))
    analysis = rows(tmp_path / "o" / "analysis.csv")
    assert analysis[0]["id"].startswith("'=")
    assert analysis[0]["team"] == "'@SUM"


def test_generate_writes_what_the_org_files_fixture_holds(
    tmp_path: Path, org_files: OrgFiles, run_cli: RunCli
) -> None:
    """``matcher generate`` writes the files the shared ``org_files`` fixture stands for."""
    result = run_cli("generate", "--employees", "600", "--seed", "4", "--out", tmp_path, "--json")
    assert json.loads(result.stdout)["employees"] == 600
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["employees.csv", "interactions.csv", "truth.csv"]
    for name in written:
        assert (tmp_path / name).read_bytes() == (org_files.folder / name).read_bytes(), name


def test_the_public_api_loads_lazily() -> None:
    """`import matcher` and `matcher --help` load no graph library; every name in
    `matcher.__all__` still resolves."""
    code = (
        "import sys, matcher; heavy = [m for m in ('igraph', 'networkx', 'scipy', 'ortools') "
        "if m in sys.modules]; assert not heavy, heavy; "
        "assert all(getattr(matcher, n) is not None for n in matcher.__all__); "
        "assert 'networkx' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_command_line_starts_without_the_libraries() -> None:
    """`matcher --help` (0.07 s here; 1.3-1.8 s when every graph library loaded at start-up)
    imports click and the command modules only; the readers load when a command runs."""
    code = (
        "import sys, matcher.cli; heavy = [m for m in ('numpy', 'pyarrow', 'pydantic', "
        "'scipy', 'networkx', 'ortools', 'flask') if m in sys.modules]; assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_ingest_kinds_are_the_readers_kinds() -> None:
    assert tuple(k.value for k in Kind) == KINDS
