"""The command line: outputs, exit codes, no tracebacks, atomic writes, pseudonyms."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import main
from tests.io.test_load import EMPLOYEES, INTERACTIONS, write


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path, "employees.csv", EMPLOYEES), write(
        tmp_path, "interactions.csv", INTERACTIONS
    )


def test_analyze_writes_the_contract_files(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    employees, interactions = inputs
    code, stdout, _ = run(
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(interactions),
        "--out",
        str(tmp_path / "out"),
        "--json",
    )
    assert code == 0
    summary = json.loads(stdout)
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


def test_bad_data_exits_1_with_a_located_message_and_writes_nothing(tmp_path: Path) -> None:
    employees = write(
        tmp_path, "e.csv", "id,manager_id,timezone\nE1,,Europe/Berlin\nE2,E9,Mars/Base\n"
    )
    interactions = write(tmp_path, "i.csv", "source,target,timestamp\nE1,E2,2026-01-01T00:00:00Z\n")
    out = tmp_path / "out"
    code, _, stderr = run(
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(interactions),
        "--out",
        str(out),
    )
    assert code == 1
    assert "row 3, column 'manager_id': manager_id 'E9' is not an employee id" in stderr
    assert "row 3, column 'timezone'" in stderr
    assert "Traceback" not in stderr
    assert not out.exists() or not any(out.iterdir())


def test_failed_run_keeps_earlier_outputs(
    tmp_path: Path, inputs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    employees, interactions = inputs
    out = tmp_path / "out"
    assert (
        run(
            "analyze",
            "--employees",
            str(employees),
            "--interactions",
            str(interactions),
            "--out",
            str(out),
        )[0]
        == 0
    )
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import matcher.io.reports as reports

    def explode(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(
        reports.OutputDir if hasattr(reports, "OutputDir") else reports,
        "write_json",
        explode,
        raising=False,
    )
    from matcher.io import write as write_module

    monkeypatch.setattr(write_module.OutputDir, "write_json", explode)
    with pytest.raises(OSError, match="disk full"):
        run(
            "analyze",
            "--employees",
            str(employees),
            "--interactions",
            str(interactions),
            "--out",
            str(out),
        )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_pseudonymize_replaces_ids_with_keyed_pseudonyms(
    tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    employees, interactions = inputs
    key = "k" * 32
    args = [
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(interactions),
        "--pseudonymize",
    ]
    code, _, _ = run(*args, "--out", str(tmp_path / "a"), env={"MATCHER_PSEUDONYM_KEY": key})
    assert code == 0
    again = run(*args, "--out", str(tmp_path / "b"), env={"MATCHER_PSEUDONYM_KEY": key})
    assert again[0] == 0
    ids = [r["id"] for r in rows(tmp_path / "a" / "analysis.csv")]
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
    assert "E1" not in text.replace("E1,", "") or "E1" not in ids
    assert key not in text
    assert all(r["source"].startswith("p_") for r in rows(tmp_path / "a" / "rejects.csv"))
    code, _, stderr = run(*args, "--out", str(tmp_path / "c"), env={"MATCHER_PSEUDONYM_KEY": ""})
    assert code == 1 and "needs a key" in stderr


def test_validate_reports_ok_and_problems(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    employees, interactions = inputs
    code, stdout, _ = run(
        "validate", str(employees), str(interactions), "--employees", str(employees), "--json"
    )
    assert code == 0 and json.loads(stdout)["ok"]
    bad = write(
        tmp_path, "bad.csv", "source,target,timestamp,channel\nE1,E2,2026-01-01T00:00:00Z,fax\n"
    )
    code, _, stderr = run("validate", str(bad))
    assert code == 1 and "row 2, column 'channel': unknown channel 'fax'" in stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("analyze", "--employees", "x.csv")[0] == 2
    assert (
        run(
            "analyze",
            "--employees",
            "e",
            "--interactions",
            "i",
            "--out",
            str(tmp_path),
            "--as-of",
            "soon",
        )[0]
        == 2
    )


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    employees = write(tmp_path, "e.csv", "id,team\n=cmd|' /C calc'!A0,@SUM\nE2,@SUM\n")
    interactions = write(
        tmp_path,
        "i.csv",
        "source,target,timestamp,channel\nE2,=cmd|' /C calc'!A0,2026-01-01T00:00:00Z,video\n",
    )
    assert (
        run(
            "analyze",
            "--employees",
            str(employees),
            "--interactions",
            str(interactions),
            "--out",
            str(tmp_path / "o"),
        )[0]
        == 0
    )
    analysis = rows(tmp_path / "o" / "analysis.csv")
    assert analysis[0]["id"].startswith("'=")
    assert analysis[0]["team"] == "'@SUM"
