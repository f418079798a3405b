"""matcher ingest of forms exports: each tool's fixture gives exactly the expected survey.csv
and rejects; the mapping contract, privacy and error messages hold."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.ingest import ingest
from matcher.ingest.survey import REJECTS_HEADER, SURVEY_HEADER
from tests.paths import FIXTURES

SURVEYS = FIXTURES / "survey"
EMPLOYEES = FIXTURES / "employees.csv"
ALIASES = FIXTURES / "aliases.csv"
CANARY = "CANARY-7731"
UNKNOWN_RESPONDENT = "unknown respondent: not an employee's e-mail address or id"
ANONYMOUS = "unknown respondent: the response names no one (anonymous)"
UNKNOWN_NOMINEE = "unknown nominee: not an employee's e-mail address or id"


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(ingest, list(args), env=env, catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def table(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [list(r) for r in csv.reader(handle)]


def ingest_survey(
    tmp_path: Path, exports: list[Path], mapping: Path, *extra: str
) -> tuple[Path, dict[str, object], str]:
    out = tmp_path / "survey.csv"
    code, stdout, stderr = run(
        *map(str, exports),
        "--mapping",
        str(mapping),
        "--employees",
        str(EMPLOYEES),
        "--aliases",
        str(ALIASES),
        "--out",
        str(out),
        "--json",
        *extra,
    )
    assert code == 0, stderr
    return out, json.loads(stdout), stderr


MS_FORMS_ROWS = [
    list(SURVEY_HEADER),
    ["E1", "2026-09-22T09:00:05+00:00", "true", "E2;E3"],
    ["E2", "2026-09-22T10:12:30+00:00", "true", "E1"],
    ["E3", "2026-09-25T10:31:02+00:00", "true", "E4"],  # the later of Cleo's two responses
    ["E4", "2026-09-23T15:31:00+00:00", "", "E6"],  # "Neutral", via the @legacy.example alias
    ["E6", "2026-09-24T17:47:12+00:00", "true", "E7"],  # Gus by case-insensitive address
]


@pytest.mark.parametrize("name", ["ms_forms_pulse.xlsx", "ms_forms_pulse.csv"])
def test_microsoft_forms_export_gives_the_expected_survey(tmp_path: Path, name: str) -> None:
    export = SURVEYS / name
    out, summary, _ = ingest_survey(tmp_path, [export], SURVEYS / "ms_forms.toml")
    assert table(out) == MS_FORMS_ROWS
    rows = {"xlsx": (7, 9, 10, 12), "csv": (5, 7, 8, 10)}[name.rsplit(".", 1)[1]]
    assert table(tmp_path / "survey-rejects.csv") == [
        list(REJECTS_HEADER),
        [
            str(export),
            str(rows[0]),
            "dan@legacy.example",
            "E4",
            "dan@example.com",
            "self-nomination",
        ],
        [str(export), str(rows[1]), "visitor@partner.example", "", "", UNKNOWN_RESPONDENT],
        [str(export), str(rows[2]), "finn@example.com", "E6", "ghost@example.com", UNKNOWN_NOMINEE],
        [str(export), str(rows[3]), "anonymous", "", "", ANONYMOUS],
    ]
    assert {k: summary[k] for k in ("responses", "respondents", "replaced", "nominations")} == {
        "responses": 9,
        "respondents": 5,
        "replaced": 1,
        "nominations": 6,
    }
    assert (summary["unknown_respondents"], summary["unknown_nominees"]) == (2, 1)
    assert (summary["self_nominations"], summary["rejected"]) == (1, 4)
    assert summary["has_someone"] == {"yes": 4, "no": 0, "other": 1, "blank": 0}
    assert summary["left_out"] == {
        "nominations of opted-out employees": 1,
        "responses from opted-out employees": 1,
    }
    header = [1] if name.endswith(".csv") else [1, 2, 3]  # a title row, then two merged rows
    assert summary["files"] == [{"file": str(export), "responses": 9, "header_rows": header}]


def test_google_forms_export_gives_the_expected_survey(tmp_path: Path) -> None:
    export = SURVEYS / "google_forms_pulse.csv"
    out, summary, stderr = ingest_survey(tmp_path, [export], SURVEYS / "google_forms.toml")
    assert table(out) == [
        list(SURVEY_HEADER),
        ["E1", "2026-09-22T08:15:40+02:00", "true", "E2;E3"],  # "Bob Byte <bob@…>" is Bob
        ["E3", "2026-09-22T09:47:03+02:00", "false", ""],
        ["E4", "2026-09-25T07:01:09+02:00", "false", ""],  # named only Eve, who opted out
        ["E6", "2026-09-24T12:05:00+02:00", "true", "E1"],  # replaces the response of 9/21
        ["E7", "2026-09-23T23:30:00+02:00", "", "E6"],  # "Not sure"; Finn named twice
    ]
    assert table(tmp_path / "survey-rejects.csv")[1:] == [
        [
            str(export),
            "5",
            "gus.gray@legacy.example",
            "E7",
            "gus.gray@example.com",
            "self-nomination",
        ],
        [str(export), "6", "former.colleague@example.com", "", "", UNKNOWN_RESPONDENT],
        [str(export), "7", "finn@example.com", "E6", "nobody@example.com", UNKNOWN_NOMINEE],
    ]
    assert (summary["responses"], summary["replaced"], summary["rejected"]) == (7, 1, 3)
    assert summary["left_out"] == {
        "nominations of opted-out employees": 1,
        "nominees named twice in one response": 1,
    }
    assert "5 respondents from 7 responses (1 replaced by a later response)" in stderr


QUALTRICS_ROWS = [
    list(SURVEY_HEADER),
    ["E1", "2026-09-23T14:02:00-06:00", "true", "E2;E3"],  # an id and an address
    ["E2", "2026-09-23T16:12:45-06:00", "", ""],  # named only himself
    ["E3", "2026-09-25T10:31:02-06:00", "true", "E4"],  # first in the file, but the later one
    ["E4", "2026-09-25T17:58:20-06:00", "", ""],  # skipped the question
    ["E6", "2026-09-24T11:01:30-06:00", "true", "E1"],
]


def test_qualtrics_export_gives_the_expected_survey(tmp_path: Path) -> None:
    export = SURVEYS / "qualtrics_pulse.csv"
    out, summary, _ = ingest_survey(tmp_path, [export], SURVEYS / "qualtrics.toml")
    assert table(out) == QUALTRICS_ROWS  # times in the ImportId row's America/Denver
    assert table(tmp_path / "survey-rejects.csv")[1:] == [
        [str(export), "7", "bob@example.com", "E2", "bob@example.com", "self-nomination"],
        [str(export), "8", "", "", "", ANONYMOUS],
        [str(export), "9", "finn@example.com", "E6", "E9", UNKNOWN_NOMINEE],
    ]
    assert summary["files"] == [{"file": str(export), "responses": 7, "header_rows": [1, 2, 3]}]
    assert summary["has_someone"] == {"yes": 3, "no": 0, "other": 1, "blank": 1}
    assert (summary["replaced"], summary["unknown_respondents"]) == (1, 1)


def test_qualtrics_by_question_text_as_tsv_in_utf16(tmp_path: Path) -> None:
    """The question-text row works as well as the short names; Qualtrics' TSV is UTF-16."""
    with (SURVEYS / "qualtrics_pulse.csv").open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    export = tmp_path / "qualtrics.tsv"
    with export.open("w", encoding="utf-16", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(records)
    mapping = (SURVEYS / "qualtrics.toml").read_text(encoding="utf-8")
    mapping = mapping.replace('"RecipientEmail"', '"Recipient Email"').replace(
        '"Q2"', '"Who at work do you turn to? Give their work e-mail addresses or employee ids."'
    )
    (tmp_path / "by_text.toml").write_text(mapping, encoding="utf-8")
    out, _, _ = ingest_survey(tmp_path, [export], tmp_path / "by_text.toml")
    assert table(out) == QUALTRICS_ROWS


def test_an_explicit_timezone_wins_over_the_exports(tmp_path: Path) -> None:
    mapping = (SURVEYS / "qualtrics.toml").read_text(encoding="utf-8")
    (tmp_path / "utc.toml").write_text(
        mapping.replace("[survey]\n", '[survey]\ntimezone = "UTC"\n'), encoding="utf-8"
    )
    out, _, _ = ingest_survey(tmp_path, [SURVEYS / "qualtrics_pulse.csv"], tmp_path / "utc.toml")
    assert table(out)[3][:2] == ["E3", "2026-09-25T10:31:02+00:00"]


def test_a_later_response_replaces_earlier_ones_whatever_the_row_order(tmp_path: Path) -> None:
    export = tmp_path / "forms.csv"
    export.write_text(
        "Timestamp,Email Address,Q,Who\n"
        "9/24/2026 9:00:00,ada@example.com,Yes,bob@example.com\n"
        "9/26/2026 9:00:00,ada@example.com,No,\n"  # the latest: says no one
        "9/25/2026 9:00:00,ADA@example.com,Yes,cleo@example.com\n"
        "9/25/2026 9:00:00,bob@example.com,Yes,ghost@example.com\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[survey]\nrespondent = "Email Address"\nsubmitted = "Timestamp"\n'
        'submitted_format = "%m/%d/%Y %H:%M:%S"\nturn_to = "Who"\nhas_someone = "Q"\n'
        'has_someone_yes = ["yes"]\nhas_someone_no = ["no"]\n',
        encoding="utf-8",
    )
    out, summary, _ = ingest_survey(tmp_path, [export], mapping)
    assert table(out)[1:] == [
        ["E1", "2026-09-26T09:00:00+00:00", "false", ""],
        ["E2", "2026-09-25T09:00:00+00:00", "true", ""],
    ]
    assert summary["replaced"] == 2
    # the replaced responses' nominees are not judged: only Bob's unknown nominee is listed
    assert [r[4] for r in table(tmp_path / "survey-rejects.csv")[1:]] == ["ghost@example.com"]


def test_free_text_and_names_never_reach_an_output(tmp_path: Path) -> None:
    names = ("Lovelace", "Byte", "Val Visitor", "Former Colleague", "Finn Field", "203.0.113")
    for export, mapping in (
        ("ms_forms_pulse.xlsx", "ms_forms.toml"),
        ("ms_forms_pulse.csv", "ms_forms.toml"),
        ("google_forms_pulse.csv", "google_forms.toml"),
        ("qualtrics_pulse.csv", "qualtrics.toml"),
    ):
        assert CANARY in _export_text(SURVEYS / export)  # the secret is there to be leaked
        folder = tmp_path / export
        _, summary, stderr = ingest_survey(folder, [SURVEYS / export], SURVEYS / mapping)
        written = [p.read_text(encoding="utf-8") for p in folder.iterdir()]
        assert sorted(p.name for p in folder.iterdir()) == ["survey-rejects.csv", "survey.csv"]
        for text in [*written, json.dumps(summary), stderr]:
            assert CANARY not in text and "HYPERLINK" not in text
            assert not any(name in text for name in names)


def _export_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None
        return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    return path.read_text(encoding="utf-8-sig")


def test_a_mapping_naming_a_missing_column_names_the_key_and_lists_the_columns(
    tmp_path: Path,
) -> None:
    mapping = (SURVEYS / "google_forms.toml").read_text(encoding="utf-8")
    bad = tmp_path / "survey.toml"
    bad.write_text(mapping.replace('"Timestamp"', '"Submitted at"'), encoding="utf-8")
    out = tmp_path / "survey.csv"
    code, _, stderr = run(
        str(SURVEYS / "google_forms_pulse.csv"),
        "--mapping",
        str(bad),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(out),
    )
    assert code == 1 and "Traceback" not in stderr
    assert f"{bad}: survey.submitted: " in stderr and "no column 'Submitted at'" in stderr
    assert "(its columns: 'Timestamp', 'Email Address', 'Your name', " in stderr
    assert not out.exists() and not (tmp_path / "survey-rejects.csv").exists()


def test_a_bad_time_names_file_row_and_column(tmp_path: Path) -> None:
    text = (SURVEYS / "google_forms_pulse.csv").read_text(encoding="utf-8")
    export = tmp_path / "google.csv"
    export.write_text(text.replace("9/22/2026 8:15:40", "22.09.2026 08:15"), encoding="utf-8")
    out = tmp_path / "survey.csv"
    out.write_text("kept\n", encoding="utf-8")
    code, _, stderr = run(
        str(export),
        "--mapping",
        str(SURVEYS / "google_forms.toml"),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(out),
    )
    assert code == 1 and "Traceback" not in stderr
    assert (
        f"{export}, row 3, column 'Timestamp': expected a date and time "
        "(ISO 8601, %m/%d/%Y %H:%M:%S), found '22.09.2026 08:15' (submitted)"
    ) in stderr
    assert out.read_text(encoding="utf-8") == "kept\n"  # nothing replaced


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('has_someone_maybe = ["x"]\n', "survey.has_someone_maybe: unknown key"),
        ('has_someone_no = ["Yes"]\n', "answers listed as both yes and no: 'yes'"),
        ('timezone = "Mars/Olympus"\n', "'Mars/Olympus' is not an IANA time zone"),
        ('submitted_format = "MM/DD/YYYY"\n', "is not a strptime format"),
    ],
)
def test_mapping_errors_are_located(tmp_path: Path, extra: str, message: str) -> None:
    lines = (SURVEYS / "google_forms.toml").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if not any(line.startswith(k) for k in ("has_someone_no", "timezone", "submitted_format"))
        or extra.split(" ")[0] not in line
    ]
    mapping = tmp_path / "survey.toml"
    mapping.write_text("".join(kept) + extra, encoding="utf-8")
    code, _, stderr = run(
        str(SURVEYS / "google_forms_pulse.csv"),
        "--mapping",
        str(mapping),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "survey.csv"),
    )
    assert code == 1 and f"{mapping}: " in stderr and message in stderr, stderr


def test_has_someone_needs_its_answers(tmp_path: Path) -> None:
    mapping = tmp_path / "survey.toml"
    mapping.write_text(
        '[survey]\nrespondent = "Email"\nsubmitted = "Time"\nhas_someone = "Q"\n', encoding="utf-8"
    )
    code, _, stderr = run(
        str(SURVEYS / "google_forms_pulse.csv"),
        "--mapping",
        str(mapping),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "survey.csv"),
    )
    assert code == 1 and "has_someone needs has_someone_yes and has_someone_no" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--append",), "--append is not used with a survey export"),
        (("--start", "2026-09-01"), "--start is not used with a survey export"),
        (("--kind", "hris"), "--kind is not used with a survey export"),
    ],
)
def test_survey_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, stderr = run(
        str(SURVEYS / "google_forms_pulse.csv"),
        "--mapping",
        str(SURVEYS / "google_forms.toml"),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "survey.csv"),
        *args,
    )
    assert code == 2 and message in stderr


def test_survey_needs_employees(tmp_path: Path) -> None:
    code, _, stderr = run(
        str(SURVEYS / "google_forms_pulse.csv"),
        "--mapping",
        str(SURVEYS / "google_forms.toml"),
        "--out",
        str(tmp_path / "survey.csv"),
    )
    assert code == 2 and "--employees is required" in stderr


def test_pseudonymized_survey_and_formula_safe_rejects(tmp_path: Path) -> None:
    from matcher.privacy import Pseudonymizer

    export = tmp_path / "forms.csv"
    export.write_text(
        "Timestamp,Email Address,Who\n"
        "2026-09-24T09:00:00Z,ada@example.com,bob@example.com;=cmd|' /C calc'!A0\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[survey]\nrespondent = "Email Address"\nsubmitted = "Timestamp"\nturn_to = "Who"\n'
        'turn_to_separator = ";"\n',
        encoding="utf-8",
    )
    key = tmp_path / "key"
    key.write_bytes(b"k" * 32)
    plain, _, _ = ingest_survey(tmp_path / "plain", [export], mapping)
    assert table(plain)[1] == ["E1", "2026-09-24T09:00:00+00:00", "", "E2"]
    assert table(plain.with_name("survey-rejects.csv"))[1][4] == "'=cmd|' /C calc'!A0"
    hidden, summary, _ = ingest_survey(
        tmp_path / "hidden", [export], mapping, "--pseudonymize", "--key-file", str(key)
    )
    name = Pseudonymizer(b"k" * 32).pseudonym
    assert table(hidden)[1] == [name("E1"), "2026-09-24T09:00:00+00:00", "", name("E2")]
    rejected = table(hidden.with_name("survey-rejects.csv"))[1]
    assert rejected[2:5] == [name("ada@example.com"), name("E1"), name("=cmd|' /C calc'!A0")]
    assert summary["pseudonymized"] is True


def test_the_command_runs_inside_the_matcher_cli(tmp_path: Path) -> None:
    from matcher.cli import main

    out = tmp_path / "survey.csv"
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(SURVEYS / "ms_forms_pulse.xlsx"),
            "--mapping",
            str(SURVEYS / "ms_forms.toml"),
            "--employees",
            str(EMPLOYEES),
            "--aliases",
            str(ALIASES),
            "--out",
            str(out),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert table(out) == MS_FORMS_ROWS and result.output == ""


def test_the_fixture_xlsx_is_what_the_script_makes() -> None:
    """The committed workbook's cells match its generator (so the script stays the source)."""
    import openpyxl

    from tests.fixtures.make_survey_xlsx import RESPONSES

    sheet = openpyxl.load_workbook(SURVEYS / "ms_forms_pulse.xlsx").active
    assert sheet is not None
    merged = sorted(str(r) for r in sheet.merged_cells.ranges)
    assert merged == sorted(
        ["A1:I1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:G2", "H2:H3", "I2:I3"]
    )
    cells = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert cells == [[None if v == "" else v for v in r] for r in RESPONSES]


def test_docs_show_each_tools_mapping_and_every_key() -> None:
    from matcher.ingest.survey import SurveyColumns
    from tests.paths import ROOT

    docs = (ROOT / "docs" / "surveys.md").read_text(encoding="utf-8")
    for name in ("ms_forms.toml", "google_forms.toml", "qualtrics.toml"):
        assert f"```toml\n{(SURVEYS / name).read_text(encoding='utf-8')}```" in docs
    table = docs.split("### The mapping")[1].split("####")[0]
    keys = set(re.findall(r"^\| `(\w+)`(?:, `(\w+)`)? \|", table, re.MULTILINE))
    assert {k for pair in keys for k in pair if k} == set(SurveyColumns.model_fields)
    assert "(docs/surveys.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_one_column_cannot_serve_two_keys(tmp_path: Path) -> None:
    mapping = tmp_path / "survey.toml"
    mapping.write_text(
        '[survey]\nrespondent = "Email"\nsubmitted = "Time"\nturn_to = " email "\n',
        encoding="utf-8",
    )
    code, _, stderr = run(
        str(SURVEYS / "google_forms_pulse.csv"),
        "--mapping",
        str(mapping),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "survey.csv"),
    )
    assert code == 1 and "one column is named for two keys: 'email'" in stderr
