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

    def left_out(self) -> dict[str, int]:
        """What was left out, by reason."""
        return {
            "unknown_respondents": self.unknown_respondents,
            "opted_out_respondents": self.opted_out_respondents,
            "unknown_nominees": self.unknown_nominees,
            "opted_out_nominees": self.opted_out_nominees,
            "self_nominations": self.self_nominations,
        }

    def as_dict(self) -> dict[str, object]:
        """What was read, as in ``summary.json``'s ``survey.file`` block."""
        return {
            "file": self.file,
            "rows": self.rows,
            "respondents": self.respondents,
            "left_out": self.left_out(),
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
    table, rows = read_table(path, SURVEY_COLUMNS)
    reader = _Reader(org, SurveyLoad(file=str(path), rows=table.num_rows))
    columns = {name: table.column(name).to_pylist() for name in SURVEY_COLUMNS}
    for offset, number in enumerate(rows.tolist()):
        reader.add(number, *(columns[name][offset] for name in SURVEY_COLUMNS))
    reader.problems.raise_if_any()
    return reader.survey(), reader.load


class _Reader:
    """The survey's arrays, filled row by row; problems collected, not raised."""

    def __init__(self, org: Org, load: SurveyLoad) -> None:
        n = len(org)
        self.org, self.load, self.problems = org, load, ProblemCollector()
        self.responded = np.zeros(n, bool)
        self.has_someone = np.full(n, UNKNOWN, np.int8)
        self.submitted = np.full(n, np.datetime64("NaT"), "datetime64[D]")
        self.seen: dict[str, int] = {}
        self.rows: list[int] = []
        self.cols: list[int] = []

    def add(
        self,
        row: int,
        respondent: str | None,
        submitted: str | None,
        answer: str | None,
        named: str | None,
    ) -> None:
        """Read one row: check its cells, then keep it when its respondent is an employee."""
        parsed = self._parse(
            row, (respondent or "").strip(), submitted, (answer or "").strip().lower()
        )
        if parsed is None:
            return
        who, day = parsed
        k = self.org.index.get(who)
        if k is None:
            if who in self.org.manager_of:
                self.load.opted_out_respondents += 1
            else:
                self.load.unknown_respondents += 1
            return
        self.responded[k] = True
        self.has_someone[k] = ANSWERS[(answer or "").strip().lower()]
        self.submitted[k] = np.datetime64(day, "D")
        self.load.first = day if self.load.first is None else min(self.load.first, day)
        self.load.last = day if self.load.last is None else max(self.load.last, day)
        self._nominate(k, who, named)

    def _parse(
        self, row: int, respondent: str, submitted: str | None, answer: str
    ) -> tuple[str, dt.date] | None:
        file = self.load.file
        if not respondent:
            self.problems.add(file, row, "respondent_id", "blank respondent_id")
            return None
        if respondent in self.seen:
            self.problems.add(
                file,
                row,
                "respondent_id",
                f"{respondent!r} answers twice (also on row {self.seen[respondent]}): survey.csv "
                "holds one row per respondent, the latest response",
            )
            return None
        self.seen[respondent] = row
        if answer not in ANSWERS:
            self.problems.add(
                file, row, "has_someone", f"expected true, false or blank, found {answer!r}"
            )
            return None
        try:
            return respondent, _parse_day(submitted or "")
        except ValueError:
            self.problems.add(
                file,
                row,
                "submitted",
                "expected an ISO 8601 date or time such as 2026-09-25T10:31:02+00:00, "
                f"found {submitted!r}",
            )
            return None

    def _nominate(self, k: int, respondent: str, named: str | None) -> None:
        for nominee in dict.fromkeys(_split(named)):
            j = self.org.index.get(nominee)
            if nominee == respondent:
                self.load.self_nominations += 1
            elif j is not None:
                self.rows.append(k)
                self.cols.append(j)
            elif nominee in self.org.manager_of:
                self.load.opted_out_nominees += 1
            else:
                self.load.unknown_nominees += 1

    def survey(self) -> Survey:
        self.load.respondents = int(self.responded.sum())
        n = len(self.org)
        nominations = sp.csr_matrix(
            (
                np.ones(len(self.rows), bool),
                (np.array(self.rows, np.int64), np.array(self.cols, np.int64)),
            ),
            shape=(n, n),
        )
        return Survey(
            responded=self.responded,
            has_someone=self.has_someone,
            nominations=nominations,
            submitted=self.submitted,
        )


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(LIST_SEPARATOR) if part.strip()]
