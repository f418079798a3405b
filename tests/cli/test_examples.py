"""matcher examples: the example files the package ships, copied with [data] paths that work
from the folder they are copied to."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from matcher.workflows.examples import HEADER
from tests.paths import SCENARIOS
from tests.support import RunCli

NAMES = sorted(p.name for p in SCENARIOS.glob("*.toml"))


def test_the_package_finds_the_example_files_through_importlib_resources() -> None:
    """From a checkout or an editable install, the package's ``scenarios`` are the files of
    ``scenarios/`` at the repository's root (the wheel holds copies: see the README)."""
    folder = resources.files("matcher") / "scenarios"
    shipped = sorted(f.name for f in folder.iterdir() if f.name.endswith(".toml"))
    assert shipped == NAMES and len(NAMES) >= 8
    for name in NAMES:
        assert (folder / name).read_bytes() == (SCENARIOS / name).read_bytes()


def test_examples_copies_every_file_with_data_paths_beside_it(
    tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "ex"
    summary = json.loads(run_cli("examples", "--out", out, "--json", "--quiet").stdout)
    assert sorted(p.name for p in out.iterdir()) == NAMES
    assert sorted(summary["programs"] + summary["scenarios"]) == NAMES
    assert "buddy.toml" in summary["programs"] and "hiring-wave.toml" in summary["scenarios"]
    for name in NAMES:
        original = (SCENARIOS / name).read_text(encoding="utf-8")
        copied = (out / name).read_text(encoding="utf-8")
        assert copied == HEADER + original.replace('"../demo-out/', '"')
        assert "../" not in copied
    assert summary["org"] is None
    assert summary["missing"]["buddy.toml"] == ["org/employees.csv", "org/interactions.csv"]
    assert summary["missing"]["peer-support-survey.toml"] == [
        "pulse/org/employees.csv",
        "pulse/org/interactions.csv",
        "pulse/survey.csv",
    ]
    assert "hiring-wave.toml" not in summary["missing"]  # it generates its own org


def test_examples_refuses_to_overwrite_unless_forced(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "ex"
    out.mkdir()
    (out / "buddy.toml").write_text("# mine\n", encoding="utf-8")
    result = run_cli("examples", "--out", out, code=1)
    assert "buddy.toml" in result.stderr and "--force" in result.stderr
    assert [p.name for p in out.iterdir()] == ["buddy.toml"]  # nothing copied
    assert (out / "buddy.toml").read_text(encoding="utf-8") == "# mine\n"
    run_cli("examples", "--out", out, "--force", "--quiet")
    assert (out / "buddy.toml").read_text(encoding="utf-8").startswith(HEADER)
    assert sorted(p.name for p in out.iterdir()) == NAMES


def test_examples_with_org_are_ready_to_validate_and_assign(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """--with-org writes the org the copied programs read: validate accepts them as they are."""
    out = tmp_path / "ex"
    result = run_cli("examples", "--out", out, "--with-org", "--employees", 400)
    assert f"copied {len(NAMES)} example files to {out}" in result.stderr
    assert "generated 400 employees" in result.stderr
    assert f"next: matcher assign {out / 'buddy.toml'}" in result.stderr
    assert (
        "peer-support-survey.toml reads files not there yet: pulse/org/employees.csv"
        in result.stderr
    )
    assert "buddy.toml reads" not in result.stderr
    programs = ["buddy.toml", "mentoring.toml", "peer-support.toml", "peer-circles.toml"]
    run_cli("validate", *(out / name for name in programs))
    refused = run_cli("examples", "--out", out, "--with-org", code=1)
    assert "org/employees.csv" in refused.stderr
