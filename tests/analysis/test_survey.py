"""Survey signals in the analysis: ties from nominations, who says they have no one, where the
survey and the graph disagree, and what may be published of it."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.graph import build_graph
from matcher.analysis.isolation import analyze
from matcher.analysis.survey import YES, Survey, judge, with_survey
from matcher.config import AnalysisConfig
from matcher.io.load import load_org
from matcher.io.survey import load_survey
from matcher.privacy import complementary_suppression
from tests.strategies import AS_OF, interaction_rows, surveys, table_of
from tests.support import OrgFiles, RunCli


@st.composite
def graphs_with_surveys(draw: st.DrawFn) -> tuple[int, list[dict[str, object]], Survey]:
    n, rows = draw(interaction_rows(max_people=8, max_rows=25))
    return n, rows, draw(surveys(n))


def _pairs(matrix: sp.spmatrix) -> set[tuple[int, int]]:
    coo = sp.coo_matrix(matrix)
    return {(int(i), int(j)) for i, j, v in zip(coo.row, coo.col, coo.data, strict=True) if v}


@given(graphs_with_surveys(), st.sampled_from([0.0, 0.5, 1.0, 3.0]))
def test_a_survey_never_removes_a_tie(
    case: tuple[int, list[dict[str, object]], Survey], weight: float
) -> None:
    n, rows, survey = case
    config = AnalysisConfig(survey_weight=weight)
    before = build_graph(table_of(rows), n, AS_OF, config)
    after = with_survey(before, survey, config)
    grown = (after.strength - before.strength).toarray()
    assert (grown >= -1e-12).all()
    assert _pairs(before.reciprocated) <= _pairs(after.reciprocated)
    assert _pairs(before.strong) <= _pairs(after.strong)
    assert _pairs(after.one_way) <= _pairs(before.one_way)
    # two people who name each other have a reciprocated strong tie
    mutual = _pairs(survey.mutual)
    assert mutual <= _pairs(after.strong) and mutual <= _pairs(after.reciprocated)
    # the graph stays symmetric, and one-way never overlaps reciprocated
    assert _pairs(after.strong) == {(j, i) for i, j in _pairs(after.strong)}
    assert not _pairs(after.one_way) & _pairs(after.reciprocated)


@given(graphs_with_surveys())
def test_what_people_say_decides_and_the_graph_judges_the_rest(
    case: tuple[int, list[dict[str, object]], Survey],
) -> None:
    n, rows, survey = case
    graph = build_graph(table_of(rows), n, AS_OF)
    sensed = np.asarray(graph.strong.getnnz(axis=1))
    heard = with_survey(graph, survey, AnalysisConfig())
    strong = np.asarray(heard.strong.getnnz(axis=1))
    judgement = judge(survey, sensed, strong)
    for k in range(n):
        names = survey.nominations[k].nnz
        no_one = survey.responded[k] and names == 0 and survey.has_someone[k] != YES
        someone = survey.responded[k] and not no_one
        expected = no_one or (not someone and strong[k] == 0)
        assert judgement.isolated[k] == expected
        # anyone in a mutual nomination names someone, so is not isolated
        if survey.mutual[k].nnz:
            assert not judgement.isolated[k]
        signals = {str(s) for s in judgement.signals[k]}
        assert ("says_no_one_sensed_connected" in signals) == (no_one and sensed[k] > 0)
        assert ("sensed_isolated_says_has_someone" in signals) == (someone and sensed[k] == 0)


@given(
    st.lists(st.integers(0, 12), min_size=1, max_size=8).flatmap(
        lambda sizes: st.tuples(
            st.just(sizes), st.lists(st.booleans(), min_size=len(sizes), max_size=len(sizes))
        )
    ),
    st.integers(2, 6),
)
def test_withheld_cells_cannot_be_recovered_from_the_total(
    case: tuple[list[int], list[bool]], k: int
) -> None:
    sizes, forced = case
    hidden = complementary_suppression(sizes, k, forced=forced)
    assert all(hidden[i] for i, size in enumerate(sizes) if size < k or forced[i])
    holding = [sizes[i] for i, h in enumerate(hidden) if h and sizes[i] > 0]
    shown = [i for i, h in enumerate(hidden) if not h and sizes[i] > 0]
    # either nothing is hidden, or the hidden cells together are two or more and at least k
    # people, or nothing is left to hide behind
    assert not holding or (len(holding) >= 2 and sum(holding) >= k) or not shown


# ------------------------------------------------------------------ planted truth, end to end


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_planted_survey_answers_are_heard(surveyed: Path) -> None:
    truth: dict[str, set[str]] = {}
    for row in _rows(surveyed / "org" / "survey-truth.csv"):
        truth.setdefault(row["kind"], set()).add(row["id"])
    answers = {row["respondent_id"]: row for row in _rows(surveyed / "survey.csv")}
    people = {row["id"]: row for row in _rows(surveyed / "analysis" / "analysis.csv")}
    says_no_one = {i for i, a in answers.items() if not a["turn_to"] and a["has_someone"] != "true"}
    assert says_no_one == truth["says_no_one"]
    for person in says_no_one:
        assert "isolated" in people[person]["flags"].split(";")
        assert (
            "says they have no one at work to turn to (survey of 2026-" in people[person]["reasons"]
        )
    named = {(i, j) for i, a in answers.items() for j in a["turn_to"].split(";") if j}
    mutual = {i for i, j in named if (j, i) in named}
    assert mutual and not any("isolated" in people[i]["flags"] for i in mutual)
    # the planted disagreements are signalled
    for person in truth["connected_says_no_one"]:
        signals = people[person]["signals"].split(";")
        if int(people[person]["strong_ties"]) > 0:
            assert "says_no_one_sensed_connected" in signals
    for person in truth["isolated_says_someone"]:
        assert "sensed_isolated_says_has_someone" in people[person]["signals"]
        assert "isolated" not in people[person]["flags"]
    # non-respondents have blank survey columns, respondents counted
    silent = truth["no_response"]
    assert all(people[i]["survey_responded"] == "false" for i in silent if i in people)
    assert sum(r["survey_responded"] == "true" for r in people.values()) == len(answers)


def test_ingest_rejects_and_replacements_match_the_planted_counts(surveyed: Path) -> None:
    truth = Counter(row["kind"] for row in _rows(surveyed / "org" / "survey-truth.csv"))
    rejects = Counter(row["reason"].split(":")[0] for row in _rows(surveyed / "survey-rejects.csv"))
    assert rejects == {
        "unknown respondent": truth["unknown_respondent"],
        "unknown nominee": truth["unknown_nominee"],
        "self-nomination": truth["self_nomination"],
    }
    answers = _rows(surveyed / "survey.csv")
    assert len(answers) == truth["says_no_one"] + truth["says_someone"]


def test_summary_and_teams_publish_only_groups_of_five(surveyed: Path) -> None:
    summary = json.loads((surveyed / "analysis" / "summary.json").read_text())
    said = summary["survey"]
    cells = [v for row in said["agreement"].values() for v in row.values()]
    assert all(v is None or v == 0 or v >= 5 for v in cells)
    assert said["read"]["respondents"] == said["respondents"] > 0
    for team in _rows(surveyed / "analysis" / "teams.csv"):
        if team["says_has_someone_share"]:
            assert int(team["survey_respondents"]) >= 5 and team["suppressed"] == "false"
        if team["suppressed"] == "true":
            assert not team["survey_respondents"] and not team["says_has_someone_share"]


def test_a_person_someone_named_is_an_existing_tie(tiny_survey: Callable[..., Path]) -> None:
    """The existing_tie term reads the graph with the survey: two people who met once, one
    of whom named the other, have a tie as strong as the strong-tie threshold (the term is 1);
    a nominee who opted out is left out and counted."""
    folder = tiny_survey("E3,2026-09-25,true,E2;E4\n")
    org, _ = load_org(folder / "employees.csv", folder / "interactions.csv")
    survey, load = load_survey(folder / "survey.csv", org)
    assert load.opted_out_nominees == 1 and survey.nominations.nnz == 1
    plain, heard = analyze(org), analyze(org, survey=survey)
    i, j = org.index["E3"], org.index["E2"]
    assert plain.graph.strength[i, j] < heard.graph.strength[i, j]
    assert heard.graph.strength[i, j] >= heard.graph.threshold


@pytest.fixture
def tiny_survey(tiny_org_files: OrgFiles, tmp_path: Path) -> Callable[..., Path]:
    def make(rows: str) -> Path:
        for name in ("employees.csv", "interactions.csv"):
            (tmp_path / name).write_bytes((tiny_org_files.folder / name).read_bytes())
        (tmp_path / "survey.csv").write_text(
            "respondent_id,submitted,has_someone,turn_to\n" + rows, encoding="utf-8"
        )
        return tmp_path

    return make


def test_bad_survey_cells_name_file_row_and_column(
    tiny_survey: Callable[..., Path], run_cli: RunCli
) -> None:
    folder = tiny_survey("E1,yesterday,true,\nE2,2026-09-25,maybe,\nE1,2026-09-25,,\n")
    result = run_cli(
        "analyze", "--employees", folder / "employees.csv", "--interactions",
        folder / "interactions.csv", "--survey", folder / "survey.csv", "--out", folder / "out",
        code=1,
    )  # fmt: skip
    assert "Traceback" not in result.output
    for where in ("row 2, column 'submitted'", "row 3, column 'has_someone'", "answers twice"):
        assert where in result.stderr, result.stderr
    assert not (folder / "out").exists()


def test_survey_dates_stay_out_of_pseudonymised_reasons(
    surveyed: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"a key of thirty-two bytes or so!")
    org = surveyed / "org"
    run_cli(
        "analyze", "--employees", org / "employees.csv", "--interactions", org / "interactions.csv",
        "--survey", surveyed / "survey.csv", "--pseudonymize", "--key-file", key,
        "--out", tmp_path / "out",
    )  # fmt: skip
    text = (tmp_path / "out" / "analysis.csv").read_text()
    assert "says they have no one at work to turn to (in the survey)" in text
    assert "survey of 2026" not in text
    assert dt.date(2026, 9, 30).isoformat() not in text


SCENARIO = """
[scenario]
name = "Survey-led support"
quarters = 2
replications = 1
seed = 3

[org]
employees = "{org}/employees.csv"
interactions = "{org}/interactions.csv"
survey = "{survey}"
attrition_per_quarter = 0.0

[[program]]
name = "support"
kind = "peer_support"
period = "2026Q4"
providers = {{ roles = ["peer_supporter"] }}
capacity = {{ default = 3 }}
seekers = {{ says_no_one = true }}
"""


def test_a_scenario_hears_its_survey_every_quarter(
    surveyed: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(
        SCENARIO.format(org=surveyed / "org", survey=surveyed / "survey.csv"), encoding="utf-8"
    )
    run_cli("simulate", scenario, "--out", tmp_path / "sim", "--workers", 1)
    summary = json.loads((surveyed / "analysis" / "summary.json").read_text())
    rows = _rows(tmp_path / "sim" / "results.csv")
    first = [r for r in rows if r["quarter"] == "0" and r["metric"] == "isolated"]
    assert first and float(first[0]["value"]) == summary["flags"]["isolated"]
