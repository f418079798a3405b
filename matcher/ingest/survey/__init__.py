"""Survey exports (Microsoft Forms, Google Forms, Qualtrics) to the contract's ``survey.csv``.

``matcher ingest EXPORT… --mapping survey.toml --employees employees.csv --out survey.csv``
runs :func:`ingest_survey`: read each export's mapped columns (:mod:`.export`) as the mapping
says (:mod:`.mapping`), resolve people and keep each respondent's latest response
(:mod:`.responses`), then write ``survey.csv`` and ``survey-rejects.csv`` atomically.
Free-text answers, names and every other column of the export are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from matcher.ingest.identity import Aliases, Directory, load_aliases
from matcher.ingest.survey.export import Layout, Response, read_export
from matcher.ingest.survey.mapping import (
    SurveyColumns,
    SurveyMapping,
    is_survey_mapping,
    load_survey_mapping,
)
from matcher.ingest.survey.responses import (
    NO_RESPONDENT,
    REJECTS_HEADER,
    SELF_NOMINATION,
    SURVEY_HEADER,
    UNKNOWN_NOMINEE,
    UNKNOWN_RESPONDENT,
    People,
    SurveyRows,
    survey_rows,
)
from matcher.io.load import load_employees
from matcher.io.write import atomic_output
from matcher.privacy import Pseudonymizer

__all__ = [
    "REJECTS_HEADER",
    "SURVEY_HEADER",
    "Layout",
    "People",
    "Response",
    "SurveyColumns",
    "SurveyMapping",
    "SurveyReport",
    "export",
    "ingest_survey",
    "is_survey_mapping",
    "load_survey_mapping",
    "mapping",
    "read_export",
    "responses",
    "survey_rows",
]


@dataclass
class SurveyReport:
    """What one survey ingest read, wrote and left out."""

    out: str
    rejects_file: str
    mapping: str
    columns: dict[str, str]
    files: list[dict[str, object]]
    rows: SurveyRows = field(default_factory=SurveyRows)
    pseudonymized: bool = False

    def summary(self) -> dict[str, object]:
        """The machine-readable summary (``--json``)."""
        rows = self.rows
        return {
            "out": self.out,
            "rejects": self.rejects_file,
            "mapping": self.mapping,
            "columns": self.columns,
            "files": self.files,
            "responses": rows.responses,
            "respondents": len(rows.rows),
            "replaced": rows.replaced,
            "unknown_respondents": rows.count(UNKNOWN_RESPONDENT) + rows.count(NO_RESPONDENT),
            "unknown_nominees": rows.count(UNKNOWN_NOMINEE),
            "self_nominations": rows.count(SELF_NOMINATION),
            "rejected": len(rows.rejects),
            "nominations": sum(len(r[3].split(";")) for r in rows.rows.values() if r[3]),
            "has_someone": {k: rows.answers.get(k, 0) for k in ("yes", "no", "other", "blank")},
            "left_out": dict(sorted(rows.left_out.items())),
            "pseudonymized": self.pseudonymized,
        }

    def lines(self) -> list[str]:
        """The human-readable summary, one line each."""
        s = self.summary()
        answers = s["has_someone"]
        assert isinstance(answers, dict)
        lines = [
            f"wrote {self.out}: {s['respondents']:,} respondents from {s['responses']:,} responses "
            f"({s['replaced']:,} replaced by a later response), {s['nominations']:,} nominations",
            "  has someone to turn to: "
            + ", ".join(f"{answers[k]:,} {k}" for k in ("yes", "no", "other", "blank")),
        ]
        for reason, count in sorted(self.rows.left_out.items(), key=lambda item: -item[1]):
            lines.append(f"  left out: {count:,} {reason}")
        if self.rows.rejects:
            lines.append(
                f"  rejected: {s['unknown_respondents']:,} responses from unknown respondents, "
                f"{s['unknown_nominees']:,} unknown nominees, {s['self_nominations']:,} "
                f"self-nominations, listed in {self.rejects_file} (add aliases for employees "
                "under another address)"
            )
        return lines


def ingest_survey(
    exports: Sequence[Path],
    mapping_path: Path,
    *,
    employees: Path,
    aliases: Path | None,
    out: Path,
    rejects: Path,
    pseudonymizer: Pseudonymizer | None = None,
) -> SurveyReport:
    """Read forms exports through a survey mapping; write ``survey.csv`` and its rejects.

    Several exports (parts of one survey, or the same export twice) are read as one: the
    result does not depend on their order. Both files are replaced only when everything was
    read without error.

    Raises
    ------
    ConfigError
        A bad mapping, or a mapped column an export lacks (naming the key, listing the columns).
    DataError
        Bad cells (file, row and column) or a bad employees or aliases file.
    """
    mapping = load_survey_mapping(mapping_path)
    staff = load_employees(employees)
    ids = [p.id for p in staff]
    alias_table = load_aliases(aliases, ids) if aliases is not None else None
    people = People(Directory(staff, alias_table or Aliases.none(), str(employees)), ids)
    read: list[Response] = []
    files: list[dict[str, object]] = []
    for path in exports:
        found, layout = read_export(path, mapping, str(mapping_path))
        read += found
        files.append(
            {"file": str(path), "responses": len(found), "header_rows": list(layout.header_rows)}
        )
    rows = survey_rows(read, people)
    rename = pseudonymizer.pseudonym if pseudonymizer is not None else (lambda value: value)

    def hide(value: str) -> str:
        return rename(value) if value else ""

    written = sorted(
        (hide(r[0]), r[1], r[2], ";".join(rename(i) for i in r[3].split(";") if i))
        for r in rows.rows.values()
    )
    listed = [
        (r.file, r.row, hide(r.respondent), hide(r.respondent_id), hide(r.nominee), r.reason)
        for r in rows.rejects
    ]
    with ExitStack() as stack:
        folders = {}
        for path in (out, rejects):
            parent = path.parent.resolve()
            if parent not in folders:
                folders[parent] = stack.enter_context(atomic_output(parent))
        folders[out.parent.resolve()].write_csv(out.name, SURVEY_HEADER, written)
        folders[rejects.parent.resolve()].write_csv(rejects.name, REJECTS_HEADER, listed)
    return SurveyReport(
        str(out),
        str(rejects),
        str(mapping_path),
        mapping.headers(),
        files,
        rows,
        pseudonymizer is not None,
    )
