"""Tests of the synthetic organisation generator.

The planted truth is checked against the interactions table by code written here, from the
definitions (who sent to whom, who shared a small event), not by reusing the generator.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.errors import ConfigError
from matcher.synthetic.generate import SyntheticOrg, generate_org

EMPLOYEE_COLUMNS = [
    "id", "name", "email", "manager_id", "team", "department", "location", "timezone",
    "work_start", "work_end", "hire_date", "level", "languages", "interests", "skills",
    "wants", "roles", "opt_out", "mentor_capacity", "office",
]  # fmt: skip
INTERACTION_COLUMNS = ["source", "target", "timestamp", "channel", "duration_minutes", "event_id"]
MUTUAL = {"in_person", "video", "call", "meeting"}
BROADCAST = 25


@pytest.fixture(scope="module")
def org(synthetic_org: Callable[[int, int], SyntheticOrg]) -> SyntheticOrg:
    return synthetic_org(2_000, 11)


def serialise(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def employees(org: SyntheticOrg) -> list[dict[str, Any]]:
    return org.employees.to_pylist()


# --------------------------------------------------------------------------- ties, from scratch


@dataclass
class Ties:
    """What the interactions say about each person, ignoring broadcasts."""

    sent: set[tuple[str, str]] = field(default_factory=set)  # (source, target), any row
    small_mutual: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    event_size: dict[str, int] = field(default_factory=dict)
    _sent_by: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def reciprocated(self, person: str) -> set[str]:
        """People with whom ``person`` exchanged both ways or met in a small mutual event."""
        both_ways = {t for t in self.sent_by[person] if (t, person) in self.sent}
        return both_ways | self.small_mutual[person]

    @property
    def sent_by(self) -> dict[str, set[str]]:
        if not self._sent_by:
            for source, target in self.sent:
                self._sent_by[source].add(target)
        return self._sent_by


def ties(org: SyntheticOrg) -> Ties:
    rows = list(
        zip(
            *(org.interactions.column(c).to_pylist() for c in INTERACTION_COLUMNS[:4]),
            org.interactions.column("event_id").to_pylist(),
            strict=True,
        )
    )
    members: dict[str, set[str]] = defaultdict(set)
    channel_of: dict[str, str] = {}
    for source, target, _, channel, event in rows:
        if event is not None:
            members[event].update((source, target))
            channel_of[event] = channel
    result = Ties(event_size={e: len(m) for e, m in members.items()})
    for source, target, _, channel, event in rows:
        if event is not None and len(members[event]) > BROADCAST:
            continue
        result.sent.add((source, target))
        if event is None and channel in MUTUAL:
            result.small_mutual[source].add(target)
            result.small_mutual[target].add(source)
    for event, people in members.items():
        if len(people) <= BROADCAST and channel_of[event] in MUTUAL:
            for person in people:
                result.small_mutual[person] |= people - {person}
    return result


def planted(org: SyntheticOrg, kind: str) -> list[str]:
    return [i for k, i in zip(*org.truth.to_pydict().values(), strict=True) if k == kind]


def check_truth(org: SyntheticOrg) -> None:
    people = {e["id"]: e for e in employees(org)}
    team_of = {i: e["team"] for i, e in people.items()}
    managers = {e["manager_id"] for e in people.values()}
    found = ties(org)
    all_rows = list(
        zip(
            org.interactions["source"].to_pylist(),
            org.interactions["target"].to_pylist(),
            strict=True,
        )
    )
    senders_to: dict[str, set[str]] = defaultdict(set)
    receivers_from: dict[str, set[str]] = defaultdict(set)
    for source, target in all_rows:
        senders_to[target].add(source)
        receivers_from[source].add(target)

    isolated, peripheral = planted(org, "isolated"), planted(org, "peripheral")
    assert not set(isolated) & set(peripheral)
    for person in isolated + peripheral:
        assert person not in managers, person
        assert people[person]["opt_out"] == "false", person
    for person in isolated:
        # nobody both sent to and received from them, over every row, broadcasts included
        assert not senders_to[person] & receivers_from[person], person
        assert not receivers_from[person], f"{person} sends messages"
        assert not found.small_mutual[person], f"{person} shares a small mutual event"
        assert found.reciprocated(person) == set()
    for person in peripheral:
        partners = found.reciprocated(person)
        assert 1 <= len(partners) <= 2, (person, partners)
        assert all(team_of[p] == team_of[person] for p in partners), (person, partners)
        assert all(people[p]["opt_out"] == "false" for p in partners)

    siloed = planted(org, "siloed_team")
    boss_pairs = set()
    for team in siloed:
        lead = {people[i]["manager_id"] for i in people if team_of[i] == team} - {None}
        lead = {m for m in lead if team_of.get(m) == team}
        assert len(lead) == 1, team
        (manager,) = lead
        boss_pairs.add(frozenset((manager, people[manager]["manager_id"])))
    silo_of = {i: t for i, t in team_of.items() if t in set(siloed)}
    for source, target, _, channel, event in zip(
        *(org.interactions.column(c).to_pylist() for c in INTERACTION_COLUMNS[:4]),
        org.interactions["event_id"].to_pylist(),
        strict=True,
    ):
        here, there = silo_of.get(source), silo_of.get(target)
        if here == there:  # both outside siloed teams, or both in the same one
            continue
        assert here is None or there is None, f"{source} and {target} of two siloed teams meet"
        assert frozenset((source, target)) in boss_pairs, (source, target, channel)
        assert event is None and channel in MUTUAL, (source, target, channel)


# --------------------------------------------------------------------------- tests


def test_same_seed_gives_identical_tables() -> None:
    a, b = generate_org(300, seed=3), generate_org(300, seed=3)
    for name in ("employees", "interactions", "truth"):
        assert serialise(getattr(a, name)) == serialise(getattr(b, name)), name
    assert a.as_of == b.as_of


def test_different_seeds_give_different_tables() -> None:
    a, b = generate_org(300, seed=3), generate_org(300, seed=4)
    assert not a.employees.equals(b.employees)
    assert not a.interactions.equals(b.interactions)


def test_schema(org: SyntheticOrg) -> None:
    assert org.employees.column_names == EMPLOYEE_COLUMNS
    assert org.interactions.column_names == INTERACTION_COLUMNS
    assert org.truth.column_names == ["kind", "id"]
    for name in EMPLOYEE_COLUMNS:
        expected = (
            pa.int64()
            if name in {"work_start", "work_end", "level", "mentor_capacity"}
            else pa.string()
        )
        assert org.employees.schema.field(name).type == expected, name
    assert org.interactions.schema.field("duration_minutes").type == pa.int32()
    rows = employees(org)
    assert [r["id"] for r in rows][:2] == ["E000001", "E000002"]
    assert len({r["id"] for r in rows}) == len(rows) == 2_000
    assert all(r["email"] == f"{str(r['id']).lower()}@example.com" for r in rows)
    assert all(len(str(r["name"]).split()) == 2 for r in rows)
    assert {r["opt_out"] for r in rows} == {"true", "false"}
    assert org.as_of == dt.date(2026, 9, 30)


def test_manager_tree_has_one_root_and_spans_of_3_to_12(org: SyntheticOrg) -> None:
    rows = {r["id"]: r for r in employees(org)}
    roots = [i for i, r in rows.items() if r["manager_id"] is None]
    assert roots == ["E000001"]
    reports = Counter(r["manager_id"] for r in rows.values() if r["manager_id"] is not None)
    assert set(reports) <= set(rows)
    assert min(reports.values()) >= 3 and max(reports.values()) <= 12
    for person in rows:  # every chain reaches the CEO: no cycle
        seen = set()
        while person is not None:
            assert person not in seen
            seen.add(person)
            person = rows[person]["manager_id"]
    # a team is a manager plus their direct reports who manage nobody
    teams: dict[str, set[str]] = defaultdict(set)
    for i, r in rows.items():
        teams[str(r["team"])].add(i)
    assert len(teams) == len(reports)
    for team, members in teams.items():
        (lead,) = [m for m in members if m in reports]
        expected = {lead} | {
            i for i, r in rows.items() if r["manager_id"] == lead and i not in reports
        }
        assert members == expected, team
    # a department is the subtree below one of the CEO's direct reports
    for i, r in rows.items():
        top = i
        while rows[top]["manager_id"] not in (None, "E000001"):
            top = str(rows[top]["manager_id"])
        if top == "E000001" or top not in reports:
            assert r["department"] == "Executive", i
        else:
            assert r["department"] == rows[top]["department"] != "Executive", i
    levels = {i: r["level"] for i, r in rows.items()}
    for i, r in rows.items():
        boss = r["manager_id"]
        if boss is not None:
            assert levels[str(boss)] > levels[i], i


def test_locations_zones_and_offices(org: SyntheticOrg) -> None:
    rows = employees(org)
    zones = {r["location"]: r["timezone"] for r in rows}
    assert len(zones) == 8
    for name in zones.values():
        ZoneInfo(str(name))
    assert all(r["office"] in (r["location"], "remote") for r in rows)
    remote = sum(r["office"] == "remote" for r in rows) / len(rows)
    assert 0.10 < remote < 0.20
    assert all(int(r["work_end"]) - int(r["work_start"]) == 8 for r in rows)
    english = sum("English" in str(r["languages"]).split(";") for r in rows) / len(rows)
    assert 0.9 < english < 1.0


def test_roles_hires_and_lists(org: SyntheticOrg) -> None:
    rows = employees(org)
    n = len(rows)
    end = org.as_of
    tenure = {r["id"]: (end - dt.date.fromisoformat(str(r["hire_date"]))).days for r in rows}
    roles = Counter(role for r in rows for role in str(r["roles"]).split(";") if role)
    assert set(roles) == {
        "mentor",
        "mentee",
        "buddy",
        "peer_supporter",
        "peer_support_consent",
        "support_request",
    }
    for role, share in {
        "mentor": 0.10,
        "mentee": 0.12,
        "buddy": 0.15,
        "peer_supporter": 0.03,
        "support_request": 0.01,
    }.items():
        assert abs(roles[role] / n - share) < 0.01, role
    assert abs(roles["peer_support_consent"] / n - 0.5) < 0.05
    assert abs(sum(r["opt_out"] == "true" for r in rows) / n - 0.01) < 0.005
    for r in rows:
        is_mentor = "mentor" in str(r["roles"]).split(";")
        assert (r["mentor_capacity"] is not None) == is_mentor
        if is_mentor:
            assert 1 <= int(r["mentor_capacity"]) <= 4
            assert tenure[r["id"]] >= 2 * 365 and int(r["level"]) >= 3
        if "buddy" in str(r["roles"]).split(";"):
            assert tenure[r["id"]] >= 365
        assert 2 <= len(str(r["interests"]).split(";")) <= 5
        skills = set(str(r["skills"]).split(";"))
        wants = set(str(r["wants"]).split(";"))
        assert 2 <= len(skills) <= 6 and 1 <= len(wants) <= 3 and not skills & wants
    assert all(0 <= t <= 12 * 365 for t in tenure.values())
    recent = sum(t < 90 for t in tenure.values()) / n
    assert 0.03 < recent < 0.08
    assert any(t < 30 for t in tenure.values())


def test_interactions_follow_the_contract(org: SyntheticOrg) -> None:
    t = org.interactions
    n = org.employees.num_rows
    assert 50 * n <= t.num_rows <= 80 * n
    ids = set(org.employees["id"].to_pylist())
    source, target = t["source"].to_pylist(), t["target"].to_pylist()
    assert set(source) <= ids and set(target) <= ids
    assert all(s != d for s, d in zip(source, target, strict=True))
    channels = t["channel"].to_pylist()
    assert set(channels) == {"in_person", "video", "call", "meeting", "chat", "email"}
    durations = t["duration_minutes"].to_pylist()
    for channel, minutes in zip(channels, durations, strict=True):
        assert (minutes is None) == (channel in ("chat", "email")), channel
    stamps = [dt.datetime.fromisoformat(s) for s in t["timestamp"].to_pylist()]
    assert all(s.utcoffset() == dt.timedelta(0) for s in stamps)
    assert stamps == sorted(stamps)
    first = dt.datetime(2026, 7, 2, tzinfo=dt.UTC)
    assert first <= stamps[0] and stamps[-1] < dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    weekend = sum(s.weekday() >= 5 for s in stamps) / len(stamps)
    assert weekend < 0.03
    # nobody interacts before their hire date
    hired = {
        r["id"]: dt.datetime.fromisoformat(str(r["hire_date"])).replace(tzinfo=dt.UTC)
        for r in employees(org)
    }
    for s, d, when in zip(source, target, stamps, strict=True):
        assert when >= hired[s] - dt.timedelta(days=1) and when >= hired[d] - dt.timedelta(days=1)
    sizes = ties(org).event_size
    assert any(size > BROADCAST for size in sizes.values())
    assert max(sizes.values()) <= 2_001
    assert all(str(e).startswith("ev-") for e in sizes)


def test_planted_truth_holds(org: SyntheticOrg) -> None:
    check_truth(org)
    kinds = Counter(org.truth["kind"].to_pylist())
    managers = {r["manager_id"] for r in employees(org)}
    base = sum(r["opt_out"] == "false" and r["id"] not in managers for r in employees(org))
    assert kinds["isolated"] == round(0.03 * base)
    assert 0.8 * round(0.04 * base) <= kinds["peripheral"] <= round(0.04 * base)
    assert kinds["siloed_team"] >= 1
    pairs = list(zip(*org.truth.to_pydict().values(), strict=True))
    assert pairs == sorted(pairs)


@given(n=st.integers(50, 400), seed=st.integers(0, 2**32 - 1))
def test_planted_truth_holds_for_any_small_org(n: int, seed: int) -> None:
    org = generate_org(n, seed, days=int(np.clip(seed % 120, 7, 120)))
    assert org.employees.num_rows == n
    check_truth(org)


def test_shares_can_be_switched_off() -> None:
    org = generate_org(200, 1, isolated_share=0.0, peripheral_share=0.0, siloed_team_share=0.0)
    assert org.truth.num_rows == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_employees": 49}, "n_employees"),
        ({"n_employees": 2_000_001}, "n_employees"),
        ({"n_employees": 100.0}, "n_employees"),
        ({"n_employees": True}, "n_employees"),
        ({"seed": -1}, "seed"),
        ({"days": 6}, "days"),
        ({"end_date": "2026-09-30"}, "end_date"),
        ({"isolated_share": 0.6}, "isolated_share"),
        ({"isolated_share": 0.3, "peripheral_share": 0.3}, "peripheral_share"),
    ],
)
def test_bad_arguments_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"n_employees": 100, "seed": 0, **kwargs}
    with pytest.raises(ConfigError, match=message):
        generate_org(**arguments)  # type: ignore[arg-type]


@given(chunk=st.integers(min_value=1, max_value=5_000))
def test_interaction_chunks_join_into_the_whole_table(chunk: int) -> None:
    from matcher.synthetic.tables import with_text_times

    org = _SMALL_ORG
    chunks = [with_text_times(part) for part in org.interaction_chunks(chunk)]
    assert all(part.num_rows <= chunk for part in chunks)
    assert pa.concat_tables(chunks).equals(org.interactions)


_SMALL_ORG = generate_org(120, seed=5)


def test_parquet_files_load_as_the_csv_files(tmp_path: Path) -> None:
    from matcher.io.load import load_org
    from matcher.workflows.generate import generate_files

    generate_files(150, 3, tmp_path, parquet=True)
    from_csv, _ = load_org(tmp_path / "employees.csv", tmp_path / "interactions.csv")
    from_parquet, _ = load_org(tmp_path / "employees.parquet", tmp_path / "interactions.parquet")
    assert from_csv.employees == from_parquet.employees
    for name in ("source", "target", "timestamp", "channel", "event", "weight"):
        assert np.array_equal(
            getattr(from_csv.interactions, name), getattr(from_parquet.interactions, name)
        ), name
    assert np.array_equal(
        from_csv.interactions.duration, from_parquet.interactions.duration, equal_nan=True
    )
