"""Hostile program, scenario and mapping files (not UTF-8, a folder, nested too deeply,
non-finite numbers, fuzzed) end in a :class:`MatcherError`: exit 1 with a located message, the
same from ``matcher validate`` as from ``matcher assign``, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.io.configs import load_analysis_config
from matcher.io.programs import load_program_file
from matcher.io.scenarios import load_scenario
from matcher.workflows.validate import check_program_file
from tests.fuzz import harmless, mutations, written
from tests.paths import FIXTURES, SCENARIOS
from tests.support import RunCli

EMPLOYEES = FIXTURES / "employees.csv"

# ------------------------------------------------------------------- configuration files

TOML_PROGRAM = """[data]
employees = "employees.csv"

[[program]]
name = "café-buddies"
kind = "buddy"
period = "2026Q4"
"""


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "folder"])
@pytest.mark.parametrize("command", ["assign", "simulate", "validate", "analyze", "mapping"])
def test_toml_not_utf8_or_a_folder(
    tmp_path: Path, encoding: str, command: str, run_cli: RunCli
) -> None:
    path = tmp_path / "file.toml"
    if encoding == "folder":
        path.mkdir()
    else:
        path.write_bytes(TOML_PROGRAM.encode(encoding))
    out = str(tmp_path / "out")
    args = {
        "assign": ["assign", str(path), "--out", out, "--db", str(tmp_path / "h.db")],
        "simulate": ["simulate", str(path), "--out", out],
        "validate": ["validate", str(path)],
        "analyze": [
            "analyze",
            "--employees",
            str(EMPLOYEES),
            "--interactions",
            str(EMPLOYEES),
            "--config",
            str(path),
            "--out",
            out,
        ],
        "mapping": [
            "ingest",
            str(FIXTURES / "hris" / "people_export.csv"),
            "--mapping",
            str(path),
            "--out",
            str(tmp_path / "employees.csv"),
        ],
    }[command]
    stderr = run_cli(*args, code=1).stderr
    assert "file.toml" in stderr
    expected = {"latin-1": "not UTF-8", "utf-16": "UTF-16", "folder": "folder"}[encoding]
    if command != "mapping" or encoding != "folder":
        assert expected in stderr


def test_deeply_nested_toml(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 50_000)
    assert "nested too deeply" in run_cli("validate", path, code=1).stderr


# ------------------------------------------------------- non-finite numbers, validate = assign

PROGRAM_HEAD = f"""[data]
employees = "{EMPLOYEES}"

[[program]]
name = "buddies"
kind = "buddy"
period = "2026Q4"
"""

BAD_PROGRAMS = {
    "weight nan": ("[program.weights]\ninterests = nan\n", "finite number"),
    "weight inf": ("[program.weights]\nrepeat = -inf\n", "finite number"),
    "overlap nan": ("[program.rules]\nmin_overlap_hours = nan\n", "finite number"),
    "analysis nan": ("[analysis]\nhalf_life_days = nan\n", "finite number"),
    "channel weight inf": ("[analysis.channel_weights]\nchat = inf\n", "finite number"),
    "rule needs a column": ('[program.rules]\nsame_office = "forbidden"\n', "'office'"),
    "capacity column": ('[program.capacity]\ncolumn = "slots"\n', "'slots'"),
    "must pair unknown": ('[program.pairs]\nmust = [["E1", "E999"]]\n', "'E999'"),
    "level rule without levels": ("[program.rules]\nmin_level_gap = 1\n", "'level'"),
}


@pytest.mark.parametrize("case", sorted(BAD_PROGRAMS))
def test_validate_rejects_what_assign_rejects(tmp_path: Path, case: str, run_cli: RunCli) -> None:
    extra, message = BAD_PROGRAMS[case]
    program = tmp_path / "program.toml"
    if extra.startswith("[analysis"):
        program.write_text(extra + "\n" + PROGRAM_HEAD)
    else:
        program.write_text(PROGRAM_HEAD + extra)
    stderr = run_cli("validate", program, code=1).stderr
    assert message in stderr, stderr
    out, db = tmp_path / "o", tmp_path / "h.db"
    assign_stderr = run_cli("assign", program, "--out", out, "--db", db, code=1).stderr
    assert message in assign_stderr, assign_stderr
    assert "BAD_COST_RANGE" not in stderr + assign_stderr


def test_validate_passes_a_good_program(tmp_path: Path, run_cli: RunCli) -> None:
    program = tmp_path / "program.toml"
    program.write_text(PROGRAM_HEAD)
    run_cli("validate", program)


# ------------------------------------------------------------------------------ fuzz suite

PROGRAM_SEED = (
    PROGRAM_HEAD
    + """seekers = { hired_within_days = 90, flags = ["isolated"] }
providers = { roles = ["buddy"], min_tenure_days = 365 }
capacity = { default = 2, min = 0 }

[program.rules]
same_team = "forbidden"
min_overlap_hours = 2

[program.weights]
interests = 2.0
repeat = -4.0

[program.pairs]
never = [["E1", "E2"]]

[analysis]
half_life_days = 30.0
"""
).encode()
SCENARIO_SEED = (SCENARIOS / "buddy.toml").read_bytes()
TOML_VALUES = st.sampled_from(
    [
        "nan",
        "inf",
        "-inf",
        "1e400",
        "-1",
        "0",
        '"x"',
        "[]",
        "{}",
        "true",
        "1979-05-27",
        '"2026Q4"',
        "[[1]]",
        "9" * 30,
    ]
)


@st.composite
def toml_edits(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with the value of some ``key = value`` lines replaced, or byte mutations."""
    if draw(st.booleans()):
        return draw(mutations(seed))
    lines = seed.decode().splitlines()
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(lines) - 1))
        key, sep, _ = lines[k].partition(" = ")
        if sep:
            lines[k] = f"{key} = {draw(TOML_VALUES)}"
    return "\n".join(lines).encode()


@given(data=toml_edits(PROGRAM_SEED))
@settings(max_examples=60)
def test_fuzz_program_file(scratch_dir: Path, data: bytes) -> None:
    path = written(scratch_dir, "program.toml", data)
    harmless(lambda: load_program_file(path))
    harmless(lambda: load_analysis_config(path))


@given(data=toml_edits(PROGRAM_SEED))
@settings(max_examples=15)
def test_fuzz_validate_program_file(scratch_dir: Path, data: bytes) -> None:
    harmless(lambda: check_program_file(written(scratch_dir, "program.toml", data)))


@given(data=toml_edits(SCENARIO_SEED))
@settings(max_examples=60)
def test_fuzz_scenario_file(scratch_dir: Path, data: bytes) -> None:
    harmless(lambda: load_scenario(written(scratch_dir, "scenario.toml", data)))
