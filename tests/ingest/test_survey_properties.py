"""Ingesting a survey export twice, in two halves, or in any row order gives the same
survey.csv; each respondent's row is their latest response, checked against the definition."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from matcher.ingest.survey import ingest_survey
from tests.paths import FIXTURES

EMPLOYEES = FIXTURES / "employees.csv"  # E1…E7 (E5 opted out, E7 Gus.Gray@Example.com)
ADDRESSES = {
    "ada@example.com": "E1",
    "BOB@example.com": "E2",
    "cleo@example.com": "E3",
    "E4": "E4",
    "eve@example.com": None,  # opted out: left out
    "finn@example.com": "E6",
    "gus.gray@example.com": "E7",
    "ghost@example.com": None,  # not an employee
    "": None,  # anonymous
}
START = dt.datetime(2026, 9, 21, 9, 0, 0)
MAPPING = (
    '[survey]\nrespondent = "Email Address"\nsubmitted = "Timestamp"\n'
    'submitted_format = "%m/%d/%Y %H:%M:%S"\nturn_to = "Who do you turn to?"\n'
    'has_someone = "Do you have someone?"\nhas_someone_yes = ["Yes"]\nhas_someone_no = ["No"]\n'
)
HEADER = ["Timestamp", "Email Address", "Do you have someone?", "Who do you turn to?", "Notes"]

responses = st.lists(
    st.tuples(
        st.sampled_from(sorted(ADDRESSES)),
        st.integers(0, 5),  # few distinct times: same-second responses happen
        st.sampled_from(["Yes", "No", "Maybe", ""]),
        st.lists(st.sampled_from(sorted(ADDRESSES)), max_size=3),
    ),
    max_size=14,
)


def _write(path: Path, rows: list[tuple[str, int, str, list[str]]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for address, hours, answer, named in rows:
            moment = START + dt.timedelta(hours=hours)
            stamp = f"{moment.month}/{moment.day}/{moment.year} {moment:%H:%M:%S}"
            writer.writerow([stamp, address, answer, ";".join(named), "free text"])
    return path


def _survey(work: Path, name: str, exports: list[Path]) -> list[list[str]]:
    out = work / name / "survey.csv"
    ingest_survey(
        exports,
        work / "survey.toml",
        employees=EMPLOYEES,
        aliases=None,
        out=out,
        rejects=out.with_name("survey-rejects.csv"),
    )
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@given(responses, st.data())
def test_twice_halves_and_order_give_the_same_survey(
    rows: list[tuple[str, int, str, list[str]]], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(rows)))
    shuffled = data.draw(st.permutations(rows))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "survey.toml").write_text(MAPPING, encoding="utf-8")
        full = _write(work / "full.csv", rows)
        first = _write(work / "first.csv", rows[:cut])
        second = _write(work / "second.csv", rows[cut:])
        once = _survey(work, "once", [full])
        assert _survey(work, "twice", [full, full]) == once
        assert _survey(work, "halves", [first, second]) == once
        assert _survey(work, "reversed", [second, first]) == once
        assert _survey(work, "shuffled", [_write(work / "shuffled.csv", list(shuffled))]) == once

        # the definition: one row per answering employee, at their latest time
        latest: dict[str, int] = {}
        for address, hours, _, _ in rows:
            identity = ADDRESSES[address]
            if identity is not None:
                latest[identity] = max(hours, latest.get(identity, hours))
        assert [r[0] for r in once[1:]] == sorted(latest)
        for identity, submitted, _, named in once[1:]:
            moment = START + dt.timedelta(hours=latest[identity])
            assert submitted == moment.replace(tzinfo=dt.UTC).isoformat()
            ids = named.split(";") if named else []
            assert identity not in ids and len(ids) == len(set(ids))
            assert set(ids) <= {i for i in ADDRESSES.values() if i is not None}
