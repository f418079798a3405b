"""Reading ``survey.csv`` (the contract's survey file, written by ``matcher ingest``) for an org.

Columns: ``respondent_id``, ``submitted`` (ISO 8601), ``has_someone`` (``true`` | ``false`` |
blank) and ``turn_to`` (``;``-list of employee ids). Ids that are not employees, and people
who opted out, are left out and counted (a survey may be older or newer than the employees
file); a malformed cell is an error naming the file, row and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from matcher.analysis.survey import NO, UNKNOWN, YES, Survey
from matcher.errors import ProblemCollector
from matcher.io.tables import read_table
from matcher.model import LIST_SEPARATOR, Org

SURVEY_COLUMNS = ("respondent_id", "submitted", "has_someone", "turn_to")
ANSWERS = {"true": YES, "false": NO, "": UNKNOWN}


@dataclass
class SurveyLoad:
    """What reading a survey file kept and left out."""

    file: str
    rows: int = 0
    respondents: int = 0
    unknown_respondents: int = 0
    opted_out_respondents: int = 0
    unknown_nominees: int = 0
    opted_out_nominees: int = 0
    self_nominations: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The ``survey`` block of ``summary.json``."""
        return {
            "file": self.file,
            "rows": self.rows,
            "respondents": self.respondents,
            "left_out": {
                "unknown_respondents": self.unknown_respondents,
                "opted_out_respondents": self.opted_out_respondents,
                "unknown_nominees": self.unknown_nominees,
                "opted_out_nominees": self.opted_out_nominees,
                "self_nominations": self.self_nominations,
            },
            "first_response": None if self.first is None else self.first.isoformat(),
            "last_response": None if self.last is None else self.last.isoformat(),
        }


def _parse_day(text: str) -> dt.date:
    """The day of an ISO 8601 date or date and time (``Z`` or an offset allowed)."""
    text = text.strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()


def load_survey(path: str | Path, org: Org) -> tuple[Survey, SurveyLoad]:
    """Read a survey file into a :class:`~matcher.analysis.survey.Survey` of ``org``'s people.

    Raises
    ------
    DataError
        When a column is missing, a respondent appears twice, or a cell is malformed (every
        problem at once, each with its row and column).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matcher.model import Employee, Org
    >>> org = Org([Employee(id=i) for i in ("E1", "E2", "E3")])
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "survey.csv").write_text(
    ...     "respondent_id,submitted,has_someone,turn_to\\n"
    ...     "E1,2026-09-25T10:31:02+00:00,true,E2;E9\\n"
    ...     "E2,2026-09-26,,E1\\n"
    ...     "E3,2026-09-26,false,\\n")
    >>> survey, load = load_survey(folder / "survey.csv", org)
    >>> survey.says_no_one.tolist(), bool(survey.mutual[0, 1]), load.unknown_nominees
    ([False, False, True], True, 1)
    """
    table, first_row = read_table(path, SURVEY_COLUMNS)
    file = str(path)
    n = len(org)
    load = SurveyLoad(file=file, rows=table.num_rows)
    problems = ProblemCollector()
    responded = np.zeros(n, bool)
    has_someone = np.full(n, UNKNOWN, np.int8)
    submitted = np.full(n, np.datetime64("NaT"), "datetime64[D]")
    seen: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    columns = {name: table.column(name).to_pylist() for name in SURVEY_COLUMNS}
    for offset in range(table.num_rows):
        row = first_row + offset
        respondent = (columns["respondent_id"][offset] or "").strip()
        if not respondent:
            problems.add(file, row, "respondent_id", "blank respondent_id")
            continue
        if respondent in seen:
            problems.add(
                file,
                row,
                "respondent_id",
                f"{respondent!r} answers twice (also on row {seen[respondent]}): survey.csv "
                "holds one row per respondent, the latest response",
            )
            continue
        seen[respondent] = row
        answer = (columns["has_someone"][offset] or "").strip().lower()
        if answer not in ANSWERS:
            problems.add(
                file, row, "has_someone", f"expected true, false or blank, found {answer!r}"
            )
            continue
        try:
            day = _parse_day(columns["submitted"][offset] or "")
        except ValueError:
            problems.add(
                file,
                row,
                "submitted",
                f"expected an ISO 8601 date or time such as 2026-09-25T10:31:02+00:00, "
                f"found {columns['submitted'][offset]!r}",
            )
            continue
        k = org.index.get(respondent)
        if k is None:
            if respondent in org.manager_of:
                load.opted_out_respondents += 1
            else:
                load.unknown_respondents += 1
            continue
        responded[k] = True
        has_someone[k] = ANSWERS[answer]
        submitted[k] = np.datetime64(day, "D")
        load.first = day if load.first is None else min(load.first, day)
        load.last = day if load.last is None else max(load.last, day)
        for nominee in dict.fromkeys(_split(columns["turn_to"][offset])):
            j = org.index.get(nominee)
            if nominee == respondent:
                load.self_nominations += 1
            elif j is not None:
                rows.append(k)
                cols.append(j)
            elif nominee in org.manager_of:
                load.opted_out_nominees += 1
            else:
                load.unknown_nominees += 1
    problems.raise_if_any()
    load.respondents = int(responded.sum())
    nominations = sp.csr_matrix(
        (np.ones(len(rows), bool), (np.array(rows, np.int64), np.array(cols, np.int64))),
        shape=(n, n),
    )
    survey = Survey(
        responded=responded,
        has_someone=has_someone,
        nominations=nominations,
        submitted=submitted,
    )
    return survey, load


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(LIST_SEPARATOR) if part.strip()]
