"""Programs that reach people by what they said in a survey: the says_no_one selector, the
survey in [data], and what partner-facing files never show."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment import checks
from matcher.assignment.population import population
from matcher.assignment.programs import Kind, Selector
from matcher.assignment.run import facts
from matcher.assignment.selection import select
from matcher.errors import ConfigError
from matcher.model import Org
from tests.strategies import small_orgs, surveys
from tests.support import RunCli


@st.composite
def orgs_with_surveys(draw: st.DrawFn) -> tuple[Org, object]:
    org = draw(small_orgs())
    return org, draw(surveys(len(org)))


@given(
    orgs_with_surveys(),
    st.sampled_from([True, False]),
    st.sampled_from([None, ["isolated"], ["peripheral"]]),
)
def test_solver_and_checker_select_the_same_people(
    case: tuple[Org, object], says_no_one: bool, flags: list[str] | None
) -> None:
    org, survey = case
    analysis = analyze(org, survey=survey)  # type: ignore[arg-type]
    pop = population(org, analysis)
    selector = Selector(says_no_one=says_no_one, flags=flags)  # type: ignore[arg-type]
    chosen = {pop.ids[k] for k in np.flatnonzero(select(selector, pop))}
    expected = checks.select(selector, Kind.PEER_SUPPORT, "seekers", org, facts(pop), pop.as_of)
    assert chosen == expected
    said = {org.ids[k] for k in np.flatnonzero(survey.says_no_one)}  # type: ignore[attr-defined]
    assert (chosen <= said) if says_no_one else not (chosen & said)
    # the self-reported are flagged isolated
    isolated = set(analysis.flagged("isolated"))
    assert said <= isolated


@given(small_orgs())
def test_says_no_one_without_a_survey_is_a_clear_error(org: Org) -> None:
    pop = population(org, analyze(org))
    with pytest.raises(ConfigError, match="says_no_one picks people by what they said"):
        select(Selector(says_no_one=True), pop)


PROGRAM = """
[data]
employees = "{org}/employees.csv"
interactions = "{org}/interactions.csv"
survey = "{survey}"

[[program]]
name = "support-2026q4"
kind = "peer_support"
period = "2026Q4"
providers = {{ roles = ["peer_supporter"] }}
capacity = {{ default = 4 }}
seekers = {{ says_no_one = true }}

[program.rules]
reporting_line = "forbidden"
"""


@pytest.fixture(scope="module")
def surveyed_program(surveyed: Path) -> Path:
    program = surveyed / "support.toml"
    program.write_text(
        PROGRAM.format(org=surveyed / "org", survey=surveyed / "survey.csv"), encoding="utf-8"
    )
    return program


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_program_reaches_those_who_say_they_have_no_one(
    surveyed: Path, surveyed_program: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    run_cli("assign", surveyed_program, "--out", tmp_path / "out", "--db", tmp_path / "m.db")
    answers = _rows(surveyed / "survey.csv")
    said = {a["respondent_id"] for a in answers if not a["turn_to"] and a["has_someone"] != "true"}
    pairs = _rows(tmp_path / "out" / "assignments.csv")
    unmatched = _rows(tmp_path / "out" / "unmatched.csv")
    # every seeker said they have no one, and everyone who said so is paired or explained
    seekers = {p["seeker_id"] for p in pairs} | {u["seeker_id"] for u in unmatched}
    assert seekers == said and pairs
    # partner-facing pairs.csv says nothing of what anyone answered
    partner = (tmp_path / "out" / "pairs.csv").read_text()
    for word in ("survey", "no one", "isolated", "says"):
        assert word not in partner
    # the saved analysis is used when it heard the same survey, and refused when it did not
    run_cli(
        "assign", surveyed_program, "--analysis", surveyed / "analysis",
        "--out", tmp_path / "again", "--db", tmp_path / "m.db",
    )  # fmt: skip
    deaf = tmp_path / "deaf"
    org = surveyed / "org"
    run_cli(
        "analyze", "--employees", org / "employees.csv", "--interactions",
        org / "interactions.csv", "--out", deaf,
    )  # fmt: skip
    result = run_cli(
        "assign", surveyed_program, "--analysis", deaf, "--out", tmp_path / "no",
        "--db", tmp_path / "m.db", code=1,
    )  # fmt: skip
    assert "did not hear that survey" in result.stderr
