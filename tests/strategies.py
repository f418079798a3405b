"""Hypothesis strategies for the domain: interaction tables and graphs that shrink well."""

from __future__ import annotations

import datetime as dt

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

from matcher.analysis.survey import NO, UNKNOWN, YES, Survey
from matcher.assignment.programs import ProgramSpec
from matcher.model import CHANNELS, Employee, InteractionTable, Org

AS_OF = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


@st.composite
def interaction_rows(
    draw: st.DrawFn, *, max_people: int = 10, max_rows: int = 30, events: bool = True
) -> tuple[int, list[dict[str, object]]]:
    """``(n, rows)``: rows are dicts with source, target, age_days, channel, duration, event, weight."""
    n = draw(st.integers(2, max_people))
    person = st.integers(0, n - 1)
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        source = draw(person)
        target = draw(person.filter(lambda t, s=source: t != s))
        rows.append(
            {
                "source": source,
                "target": target,
                "age_days": draw(st.integers(0, 120 * 24)) / 24,
                "channel": draw(st.integers(0, len(CHANNELS) - 1)),
                "duration": draw(st.one_of(st.none(), st.integers(0, 240).map(float))),
                "event": draw(st.integers(0, 3)) if events and draw(st.booleans()) else -1,
                "weight": draw(st.sampled_from([1.0, 0.5, 2.0])),
            }
        )
    return n, rows


def table_of(rows: list[dict[str, object]], as_of: dt.datetime = AS_OF) -> InteractionTable:
    """An :class:`InteractionTable` from row dicts (ages in days before ``as_of``)."""
    now = as_of.timestamp()
    return InteractionTable(
        source=np.array([r["source"] for r in rows], np.int32),
        target=np.array([r["target"] for r in rows], np.int32),
        timestamp=np.array([int(now - float(r["age_days"]) * 86_400) for r in rows], np.int64),  # type: ignore[arg-type]
        channel=np.array([r["channel"] for r in rows], np.uint8),
        duration=np.array(
            [np.nan if r["duration"] is None else r["duration"] for r in rows], np.float32
        ),
        event=np.array([r["event"] for r in rows], np.int64),
        weight=np.array([r["weight"] for r in rows], np.float32),
    )


@st.composite
def graphs(draw: st.DrawFn, *, max_nodes: int = 14, weighted: bool = False) -> sp.csr_matrix:
    """A symmetric sparse adjacency matrix with zero diagonal."""
    n = draw(st.integers(1, max_nodes))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    )
    weights = [draw(st.integers(1, 9)) if weighted else 1 for _ in chosen]
    rows = [i for i, _ in chosen] + [j for _, j in chosen]
    cols = [j for _, j in chosen] + [i for i, _ in chosen]
    return sp.csr_matrix((np.array(weights * 2, float), (rows, cols)), shape=(n, n))


# ------------------------------------------------------------------------ orgs and programs

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney")
MODES = ("required", "forbidden", "preferred", "avoided", *["ignored"] * 6)


def org_of(people: list[Employee]) -> Org:
    """An org of ``people`` analysed as of :data:`AS_OF`."""
    org = Org(people)
    org.as_of = AS_OF
    return org


@st.composite
def small_orgs(draw: st.DrawFn, *, min_people: int = 3, max_people: int = 9) -> Org:
    """A small org with every attribute the rules read; mentors and mentees by role."""
    n = draw(st.integers(min_people, max_people))
    people = []
    for k in range(n):
        manager = draw(st.one_of(st.none(), st.integers(0, k - 1))) if k else None
        roles = draw(
            st.sampled_from(
                [["mentee"], ["mentee"], ["mentor"], ["mentor", "buddy"], ["mentee", "mentor"], []]
            )
        )
        people.append(
            Employee(
                id=f"P{k}",
                manager_id=None if manager is None else f"P{manager}",
                team=draw(st.sampled_from(["a", "b", "c", None])) if k else "a",
                department=draw(st.sampled_from(["x", "y"])),
                location=draw(st.sampled_from(["berlin", "nyc"])),
                timezone=draw(st.sampled_from(ZONES)),
                # night windows (22–6) end the next day
                work_start=draw(st.sampled_from([7.0, 9.0, 13.0, 22.0])),
                work_end=draw(st.sampled_from([15.0, 17.0, 21.0, 6.0])),
                hire_date=dt.date(2020, 1, 1) + dt.timedelta(days=draw(st.integers(0, 2400))),
                level=draw(st.integers(1, 5)),
                languages=tuple(
                    draw(
                        st.lists(
                            st.sampled_from(["en", "de", "pt"]), unique=True, min_size=1, max_size=2
                        )
                    )
                ),
                interests=tuple(
                    draw(
                        st.lists(
                            st.sampled_from(["chess", "yoga", "ux", "run"]), unique=True, max_size=3
                        )
                    )
                ),
                skills=tuple(
                    draw(st.lists(st.sampled_from(["py", "sql", "ops"]), unique=True, max_size=2))
                ),
                wants=tuple(
                    draw(st.lists(st.sampled_from(["py", "sql", "ops"]), unique=True, max_size=2))
                ),
                roles=tuple(roles),
                attributes={
                    "office": draw(st.sampled_from(["hq", "home"])),
                    "cap": draw(st.sampled_from(["", "1", "2", "3"])),
                },
            )
        )
    return org_of(people)


@st.composite
def programs(draw: st.DrawFn, org: Org, *, side_constraints: bool = True) -> ProgramSpec:
    """A mentoring program over ``org`` with random rules, weights, capacities and pairs."""
    ids = [e.id for e in org.employees]
    rules: dict[str, object] = {
        name: draw(st.sampled_from(MODES))
        for name in (
            "same_team",
            "same_department",
            "reporting_line",
            "shared_language",
            "same_office",
        )
    }
    if draw(st.booleans()):
        rules["min_level_gap"] = draw(st.integers(-1, 2))
    if draw(st.booleans()):
        rules["min_overlap_hours"] = draw(st.sampled_from([1.0, 2.0, 4.0]))
    if draw(st.booleans()):
        rules["no_repeat_periods"] = draw(st.integers(0, 3))
    capacity: dict[str, object] = {"default": draw(st.sampled_from([1, 1, 2, 3, 0]))}
    if draw(st.booleans()):
        capacity["column"] = "cap"
    pairs: dict[str, object] = {}
    if side_constraints:
        if draw(st.booleans()):
            rules["max_same_team_per_provider"] = draw(st.integers(1, 2))
        if draw(st.integers(0, 7)) == 0:
            capacity["min"] = 1
        mentees = [e.id for e in org.employees if "mentee" in e.roles]
        mentors = [e.id for e in org.employees if "mentor" in e.roles]
        candidates = [(a, b) for a in mentees for b in mentors if a != b]
        if candidates and draw(st.integers(0, 7)) == 0:
            must = list(draw(st.sampled_from(candidates)))
            # a must pair listed twice is still one must pair
            pairs["must"] = [must, must] if draw(st.booleans()) else [must]
    if draw(st.booleans()):
        pairs["never"] = [draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))]
    # penalty-only weights (every pair scores <= 0) make coverage fight the score
    values = [0.0, -1.0] if draw(st.integers(0, 3)) == 0 else [0.0, 1.0, 2.5, -1.0]
    weights = {
        name: draw(st.sampled_from(values))
        for name in (
            "interests",
            "skills",
            "overlap_hours",
            "bridging",
            "existing_tie",
            "repeat",
            "preferences",
        )
    }
    weights["isolation_priority"] = draw(st.sampled_from([0.0] if len(values) == 2 else [0.0, 3.0]))
    return ProgramSpec.model_validate(
        {
            "name": "prog",
            "kind": "mentor",
            "period": "2026Q4",
            "seekers": {"roles": ["mentee"]},
            "providers": {"roles": ["mentor"]},
            "capacity": capacity,
            "per_seeker": draw(st.integers(1, 2)),
            "rules": rules,
            "weights": weights,
            "pairs": pairs,
        }
    )


@st.composite
def histories(draw: st.DrawFn, org: Org) -> list[tuple[str | None, str, str, str]]:
    ids = [e.id for e in org.employees]
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        a, b = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        rows.append(
            (
                draw(st.sampled_from([None, "mentor", "buddy"])),
                a,
                b,
                draw(st.sampled_from(["2026Q4", "2026Q3", "2026Q1", "2025Q2"])),
            )
        )
    return rows


@st.composite
def peer_programs(draw: st.DrawFn, org: Org) -> ProgramSpec:
    """A peer program over ``org``'s mentees with random symmetric rules and capacities."""
    ids = [e.id for e in org.employees]
    rules: dict[str, object] = {
        name: draw(st.sampled_from(MODES))
        for name in ("same_team", "reporting_line", "shared_language", "same_office")
    }
    if draw(st.booleans()):
        rules["min_overlap_hours"] = draw(st.sampled_from([1.0, 4.0]))
    if draw(st.booleans()):
        rules["no_repeat_periods"] = draw(st.integers(0, 3))
    pairs: dict[str, object] = {}
    if draw(st.booleans()):
        pairs["never"] = [draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))]
    return ProgramSpec.model_validate(
        {
            "name": "peers",
            "kind": "peer",
            "period": "2026Q4",
            "seekers": {"roles": ["mentee"]},
            "capacity": {
                "default": draw(st.integers(1, 2)),
                "min": draw(st.sampled_from([0, 0, 1])),
            },
            "objective": draw(st.sampled_from(["coverage_first", "score"])),
            "rules": rules,
            "weights": {"interests": draw(st.sampled_from([0.0, 2.0])), "existing_tie": -1.0},
            "pairs": pairs,
        }
    )


@st.composite
def surveys(draw: st.DrawFn, n: int) -> Survey:
    """A survey of ``n`` people: who answered, what, and whom they named."""
    responded = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), bool)
    answers = draw(st.lists(st.sampled_from([YES, NO, UNKNOWN]), min_size=n, max_size=n))
    has_someone = np.where(responded, np.array(answers, np.int8), UNKNOWN).astype(np.int8)
    pairs = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    kept = [(i, j) for i, j in pairs if i != j and responded[i]]
    nominations = sp.csr_matrix(
        (np.ones(len(kept), bool), ([i for i, _ in kept], [j for _, j in kept])), shape=(n, n)
    )
    submitted = np.where(
        responded, np.datetime64("2026-09-25", "D"), np.datetime64("NaT", "D")
    ).astype("datetime64[D]")
    return Survey(responded, has_someone, nominations, submitted)


@st.composite
def circle_programs(draw: st.DrawFn, org: Org, *, rounds: int = 1) -> ProgramSpec:
    """A circle over ``org``'s mentees with random symmetric rules, sizes and group rules."""
    ids = [e.id for e in org.employees]
    rules: dict[str, object] = {
        name: draw(st.sampled_from(MODES))
        for name in ("same_team", "reporting_line", "shared_language", "same_office")
    }
    if draw(st.booleans()):
        rules["min_overlap_hours"] = draw(st.sampled_from([1.0, 4.0]))
    if draw(st.booleans()):
        rules["max_same_team_per_group"] = draw(st.integers(1, 2))
    if draw(st.integers(0, 3)) == 0:
        rules["min_per_group"] = [{"roles": ["mentor"], "count": 1}]
    if draw(st.integers(0, 3)) == 0:
        rules["max_per_group"] = [{"departments": ["x"], "count": 1}]
    if rounds > 1 or draw(st.booleans()):
        rules["no_repeat_pairs"] = draw(st.sampled_from(["required", "avoided"]))
    pairs: dict[str, object] = {}
    if draw(st.booleans()):
        pairs["never"] = [draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))]
    smallest = draw(st.integers(2, 3))
    return ProgramSpec.model_validate(
        {
            "name": "circles",
            "kind": "circle",
            "period": "2026Q4",
            "seekers": {"roles": ["mentee"]},
            "group_size": {"min": smallest, "max": draw(st.integers(smallest, 4))},
            "rounds": rounds,
            "rules": rules,
            "weights": {
                "interests": draw(st.sampled_from([0.0, 2.0])),
                "existing_tie": -1.0,
                "bridging": draw(st.sampled_from([0.0, 1.0, -1.0])),
            },
            "pairs": pairs,
        }
    )
