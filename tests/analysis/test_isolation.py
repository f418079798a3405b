"""Isolation analysis: planted truth is found, flags follow their definitions, real data makes sense."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.csv as pcsv
import pytest
from hypothesis import given

from matcher.analysis.flags import Flag
from matcher.analysis.isolation import analyze
from matcher.io.load import load_org
from matcher.io.reports import write_analysis
from matcher.io.write import atomic_output
from matcher.model import Employee, Org
from matcher.synthetic.generate import SyntheticOrg, generate_org
from tests import reference
from tests.strategies import AS_OF, interaction_rows, table_of


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, set[str]]]:
    folder = tmp_path_factory.mktemp("org")
    org = generate_org(2000, seed=11)
    with atomic_output(folder) as out:
        out.write_table("employees.csv", org.employees)
        out.write_table("interactions.csv", org.interactions)
    truth: dict[str, set[str]] = {}
    for kind, identity in zip(
        org.truth.column("kind").to_pylist(), org.truth.column("id").to_pylist(), strict=True
    ):
        truth.setdefault(kind, set()).add(identity)
    return folder, truth


def precision_recall(found: set[str], planted: set[str]) -> tuple[float, float]:
    hits = len(found & planted)
    return hits / max(len(found), 1), hits / max(len(planted), 1)


def test_planted_isolated_and_peripheral_people_are_found(
    generated: tuple[Path, dict[str, set[str]]],
) -> None:
    folder, truth = generated
    org, _ = load_org(folder / "employees.csv", folder / "interactions.csv")
    result = analyze(org)
    precision, recall = precision_recall(set(result.flagged("isolated")), truth["isolated"])
    assert recall >= 0.95 and precision >= 0.9, (precision, recall)
    _, recall = precision_recall(set(result.flagged("peripheral")), truth["peripheral"])
    assert recall >= 0.8, recall
    siloed = {t.team for t in result.teams if t.siloed}
    _, recall = precision_recall(siloed, truth["siloed_team"])
    assert recall >= 0.8, recall
    assert 0 < len(result.flagged("connector")) <= 0.05 * len(org)
    assert all(p.reasons for p in result.people if p.flags)


def test_analysis_files_are_reproducible(
    generated: tuple[Path, dict[str, set[str]]], tmp_path: Path
) -> None:
    folder, _ = generated
    org, _ = load_org(folder / "employees.csv", folder / "interactions.csv")
    write_analysis(analyze(org), tmp_path / "a")
    write_analysis(analyze(org), tmp_path / "b")
    for name in ("analysis.csv", "teams.csv", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def _org(n: int) -> Org:
    people = [
        Employee(id=f"E{i}", team=f"T{i % 3}", hire_date=dt.date(2020, 1, 1)) for i in range(n)
    ]
    return Org(people)


@given(interaction_rows(max_people=9, max_rows=40))
def test_no_reciprocated_interaction_means_isolated(
    case: tuple[int, list[dict[str, object]]],
) -> None:
    n, rows = case
    org = _org(n)
    org.interactions = table_of(rows)
    org.as_of = AS_OF
    result = analyze(org)
    _, reciprocated = reference.tie_strength(rows)
    partners = {p for pair in reciprocated for p in pair}
    for k, person in enumerate(result.people):
        if k not in partners:
            assert "isolated" in person.flags
            assert person.strong_ties == 0
        assert ("isolated" in person.flags) == (person.strong_ties == 0)
        assert not ({"isolated", "peripheral"} <= set(person.flags))


def test_reasons_read_as_plain_words() -> None:
    org = _org(6)
    chat = {"age_days": 1.0, "channel": 4, "duration": None, "event": -1, "weight": 1.0}
    video = {**chat, "channel": 1}
    rows = [{**video, "source": a, "target": b} for a, b in ((0, 3), (1, 4), (2, 5), (0, 1))] * 3
    rows += [{**chat, "source": 4, "target": 5}, {**chat, "source": 2, "target": 0}]
    org.interactions = table_of(rows)
    org.as_of = AS_OF
    people = {p.id: p for p in analyze(org).people}
    assert people["E0"].strong_ties == 2
    assert all(not p.flags or p.reasons for p in people.values())


def test_real_networks_give_sensible_flags(shared_data: Path) -> None:
    email = shared_data / "email-eu-core"
    org, rejects = load_org(email / "employees.csv", email / "interactions.csv")
    result = analyze(org)
    assert rejects.num_rows == 642  # the documented self-loops
    interactions = pcsv.read_csv(email / "interactions.csv").to_pydict()
    arcs = {
        (s, t)
        for s, t in zip(interactions["source"], interactions["target"], strict=True)
        if s != t
    }
    reciprocated = {s for s, t in arcs if (t, s) in arcs}
    isolated = set(result.flagged("isolated"))
    # one e-mail each way is a strong tie here (all rows share one timestamp and channel),
    # so isolated means exactly: no reciprocated e-mail
    assert isolated == set(org.ids) - reciprocated
    contacted = {s for s, _ in arcs} | {t for _, t in arcs}
    assert set(org.ids) - contacted <= isolated  # the 19 people without any contact
    connectors = [p for p in result.people if "connector" in p.flags]
    median_ties = np.median([p.strong_ties for p in result.people])
    assert connectors and all(
        p.strong_ties > median_ties and p.strong_tie_teams >= 3 for p in connectors
    )
    assert np.median([p.strong_ties for p in connectors]) > 3 * median_ties

    office = shared_data / "invs13"
    org, _ = load_org(office / "employees.csv", office / "interactions.csv")
    result = analyze(org)
    # face-to-face contacts over two weeks in one building: few people lack a strong tie,
    # and those who do spent far less time with others than the typical colleague
    isolated = [p for p in result.people if "isolated" in p.flags]
    median_strength = np.median([p.strength for p in result.people])
    assert len(isolated) <= 0.03 * len(result.people)
    assert all(p.strength < 0.2 * median_strength for p in isolated)
    assert result.summary["team_unit"] == "department"
    assert any(t.suppressed for t in result.teams)  # SFLE has 4 members


def _loaded(generated: SyntheticOrg, folder: Path) -> Org:
    """A generated org written as the contract's files and loaded back."""
    with atomic_output(folder) as out:
        out.write_table("employees.csv", generated.employees)
        out.write_table("interactions.csv", generated.interactions)
    org, _ = load_org(folder / "employees.csv", folder / "interactions.csv")
    return org


def test_without_connectors_the_isolation_flags_and_ties_are_the_same(
    synthetic_org: Callable[[int, int], SyntheticOrg], tmp_path: Path
) -> None:
    """``connectors=False`` (what evaluate asks for) skips betweenness and changes nothing else."""
    org = _loaded(synthetic_org(600, 4), tmp_path)
    full, light = analyze(org), analyze(org, connectors=False)
    assert any(Flag.CONNECTOR in p.flags for p in full.people)
    for a, b in zip(full.people, light.people, strict=True):
        assert set(a.flags) - {Flag.CONNECTOR} == set(b.flags)
        assert (a.strong_ties, a.community, a.coreness) == (b.strong_ties, b.community, b.coreness)
    assert (full.graph.strong != light.graph.strong).nnz == 0


def test_without_communities_every_flag_and_reason_is_the_same(
    synthetic_org: Callable[[int, int], SyntheticOrg], tmp_path: Path
) -> None:
    """``communities=False`` (what evaluate asks for) skips Louvain: each person is their own
    community, the summary says none were found, and no flag or reason changes."""
    org = _loaded(synthetic_org(600, 5), tmp_path)
    full, light = analyze(org), analyze(org, communities=False)
    assert full.summary["communities"] > 1 and light.summary["communities"] is None  # type: ignore[operator]
    assert [p.community for p in light.people] == list(range(len(org)))
    for a, b in zip(full.people, light.people, strict=True):
        assert (a.flags, a.reasons, a.strong_ties, a.coreness) == (
            b.flags,
            b.reasons,
            b.strong_ties,
            b.coreness,
        )
        assert (a.betweenness, a.pagerank, a.cross_team_share) == (
            b.betweenness,
            b.pagerank,
            b.cross_team_share,
        )
    assert [t.siloed for t in full.teams] == [t.siloed for t in light.teams]
