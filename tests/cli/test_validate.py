"""``matcher validate`` passes exactly what ``assign`` and ``ingest`` accept (issue #16: it said
"ok" to a program ``assign`` then rejected, reported missing columns one at a time and could
not check an ``hris.toml``)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.paths import FIXTURES
from tests.support import RunCli

EMPLOYEES = FIXTURES / "employees.csv"


def program(folder: Path, data: str, programs: str) -> Path:
    path = folder / "program.toml"
    path.write_text(f"[data]\n{data}\n\n{programs}", encoding="utf-8")
    return path


TWO_PROGRAMS = """
[[program]]
name = "buddies"
kind = "buddy"
period = "2026Q4"
[program.rules]
same_office = "forbidden"
min_level_gap = 1

[[program]]
name = "mentors"
kind = "mentor"
period = "2026Q4"
[program.rules]
same_floor = "avoided"
same_department = "required"
[program.capacity]
column = "slots"
"""


def test_every_missing_column_of_every_program_is_reported_at_once(
    tmp_path: Path, run_cli: RunCli
) -> None:
    path = program(tmp_path, f'employees = "{EMPLOYEES}"', TWO_PROGRAMS)
    stderr = run_cli("validate", path, code=1).stderr
    for needed in (
        "'buddies': rule min_level_gap needs the employee column 'level'",
        "'buddies': rule same_office needs the employee column 'office'",
        "'mentors': rule same_department needs the employee column 'department'",
        "'mentors': rule same_floor needs the employee column 'floor'",
        "'mentors': capacity.column 'slots' is not a column",
    ):
        assert needed in stderr, stderr
    assign = run_cli(
        "assign", path, "--program", "mentors", "--out", tmp_path / "o",
        "--db", tmp_path / "h.db", code=1,
    ).stderr  # fmt: skip
    assert "'floor'" in assign and "'department'" in assign and "'slots'" in assign


def test_data_paths_are_checked_together(tmp_path: Path, run_cli: RunCli) -> None:
    path = program(
        tmp_path,
        f'employees = "{EMPLOYEES}"\ninteractions = "gone.csv"\nsurvey = "also-gone.csv"',
        TWO_PROGRAMS,
    )
    stderr = run_cli("validate", path, code=1).stderr
    assert "column 'data.interactions': file not found" in stderr
    assert "column 'data.survey': file not found" in stderr


def test_a_program_reaching_people_by_their_survey_answer_passes_as_in_assign(
    tmp_path: Path, run_cli: RunCli
) -> None:
    (tmp_path / "survey.csv").write_text(
        "respondent_id,submitted,has_someone,turn_to\n"
        "E1,2026-09-25,false,\nE2,2026-09-25,true,E1\nE3,2026-09-26,true,E4\n",
        encoding="utf-8",
    )
    path = program(
        tmp_path,
        f'employees = "{EMPLOYEES}"\nsurvey = "survey.csv"',
        """
[[program]]
name = "support"
kind = "mentor"
period = "2026Q4"
seekers = { says_no_one = true }
providers = { ids = ["E2", "E3", "E4"] }
""",
    )
    result = run_cli("validate", path, "--json")
    assert json.loads(result.stdout)["files"][0]["kind"] == "program file"
    run_cli("assign", path, "--out", tmp_path / "o", "--db", tmp_path / "h.db", code=(0, 3))


def test_mapping_files_are_recognised_by_content_and_checked_as_ingest_reads_them(
    tmp_path: Path, run_cli: RunCli
) -> None:
    hris = FIXTURES / "hris" / "people.toml"
    survey = FIXTURES / "survey" / "ms_forms.toml"
    result = run_cli("validate", hris, survey, "--json")
    kinds = [f["kind"] for f in json.loads(result.stdout)["files"]]
    assert kinds == ["HRIS mapping", "survey mapping"]
    broken = tmp_path / "hris.toml"
    broken.write_text(
        hris.read_text(encoding="utf-8").replace("[dates]", "[dates]\nbirthday = '%Y'"),
        encoding="utf-8",
    )
    stderr = run_cli("validate", broken, code=1).stderr
    assert "'birthday' is not a field of [columns]" in stderr
    ingest = run_cli(
        "ingest", FIXTURES / "hris" / "people_export.csv", "--mapping", broken,
        "--out", tmp_path / "e.csv", code=1,
    ).stderr  # fmt: skip
    assert "'birthday' is not a field of [columns]" in ingest
