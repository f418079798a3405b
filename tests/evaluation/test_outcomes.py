"""Did the pairs meet, when, and did ties form: exact answers on planted data, and the
definitions checked against the collaboration graph."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.graph import build_graph
from matcher.analysis.isolation import analyze
from matcher.config import AnalysisConfig
from matcher.evaluation.outcomes import NEVER, Window, first_meetings, period_days, window_of
from matcher.history import History
from matcher.io.load import load_org
from matcher.model import InteractionTable
from matcher.workflows.evaluate import EvaluateRequest, evaluate_files
from tests.evaluation.conftest import PERIOD, START, Planted, Quarter
from tests.evaluation.strategies import WINDOW, all_pairs, interaction_tables


def window(begin: int, end: int) -> Window:
    return Window(dt.datetime.fromtimestamp(begin, dt.UTC), dt.datetime.fromtimestamp(end, dt.UTC))


# ------------------------------------------------------------------ planted quarter


def test_met_and_first_meeting_are_exact_on_planted_data(
    committed_quarter: Quarter, planted: Planted, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    outcome = evaluate_files(
        EvaluateRequest(
            db=db,
            employees=committed_quarter.files.employees,
            interactions=planted.interactions,
            before_interactions=committed_quarter.files.interactions,
            period=PERIOD,
            out_dir=tmp_path / "out",
        )
    )
    truth = {
        (s, p): (met, first)
        for s, p, met, first in zip(
            *(
                planted.truth.pairs.column(c).to_pylist()
                for c in ("seeker_id", "provider_id", "met", "first_met")
            ),
            strict=True,
        )
    }
    with History(db) as history:
        judged = [o for run in history.runs() for o in history.outcomes(run.run_id)]
    assert len(judged) == len(truth) == outcome.recorded
    for o in judged:
        met, first = truth[(o.seeker_id, o.provider_id)]
        assert o.met == met, (o, met)
        if met:
            assert o.first_met is not None
            assert dt.datetime.fromisoformat(o.first_met) == dt.datetime.fromisoformat(first)
        else:
            assert o.first_met is None
    # the counts in evaluation.json are those of the truth, program by program
    blocks = outcome.summary["programs"]
    assert sum(b["met"] for b in blocks.values()) == sum(m for m, _ in truth.values())
    assert sum(b["pairs"] for b in blocks.values()) == len(truth)


def test_ties_formed_are_the_planted_ties_that_were_not_strong_before(
    committed_quarter: Quarter, planted: Planted, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    evaluate_files(
        EvaluateRequest(
            db=db,
            employees=committed_quarter.files.employees,
            interactions=planted.interactions,
            before_interactions=committed_quarter.files.interactions,
            period=PERIOD,
            out_dir=tmp_path / "out",
        )
    )
    org, _ = load_org(
        committed_quarter.files.employees,
        committed_quarter.files.interactions,
        as_of=dt.datetime.combine(START, dt.time(0, 0), tzinfo=dt.UTC) - dt.timedelta(seconds=1),
    )
    strong_before = analyze(org).graph.strong.tocsr()
    pairs = planted.truth.pairs
    tie = dict(
        zip(
            zip(
                pairs.column("seeker_id").to_pylist(),
                pairs.column("provider_id").to_pylist(),
                strict=True,
            ),
            pairs.column("tie").to_pylist(),
            strict=True,
        )
    )
    with History(db) as history:
        judged = [o for run in history.runs() for o in history.outcomes(run.run_id)]
    formed = 0
    for o in judged:
        was_strong = bool(strong_before[org.index[o.seeker_id], org.index[o.provider_id]])
        assert o.tie_formed == (tie[(o.seeker_id, o.provider_id)] and not was_strong), o
        formed += bool(o.tie_formed)
    assert formed > 10  # the test has something to check


# ------------------------------------------------------------------ the definitions


@given(interaction_tables())
def test_met_is_the_graphs_reciprocated_relation_on_the_window(
    drawn: tuple[int, InteractionTable],
) -> None:
    n, table = drawn
    a, b = all_pairs(n)
    first = first_meetings(table, a, b, window(*WINDOW))
    begin, end = WINDOW
    inside = table.select((table.timestamp >= begin) & (table.timestamp <= end))
    graph = build_graph(
        inside,
        n,
        dt.datetime.fromtimestamp(end, dt.UTC),
        AnalysisConfig(window_days=10**6),
    )
    reciprocated = np.asarray(graph.reciprocated[a, b]).ravel()
    assert ((first != NEVER) == reciprocated).all()
    met = first[first != NEVER]
    assert ((met >= begin) & (met <= end)).all()


@given(
    interaction_tables(),
    st.tuples(st.integers(0, 6), st.integers(1, 6), st.integers(0, 1000), st.integers(0, 5)),
)
def test_an_added_interaction_never_undoes_or_delays_a_meeting(
    drawn: tuple[int, InteractionTable], extra: tuple[int, int, int, int]
) -> None:
    n, table = drawn
    s, d, t, channel = extra
    s %= n
    added = InteractionTable.concat(
        [
            table,
            InteractionTable(
                source=np.array([s], np.int32),
                target=np.array([(s + 1 + d % (n - 1)) % n], np.int32),
                timestamp=np.array([t], np.int64),
                channel=np.array([channel], np.uint8),
                duration=np.full(1, np.nan, np.float32),
                event=np.array([-1], np.int64),
                weight=np.ones(1, np.float32),
            ),
        ]
    )
    a, b = all_pairs(n)
    before = first_meetings(table, a, b, window(*WINDOW))
    after = first_meetings(added, a, b, window(*WINDOW))
    assert (after <= before).all()
    met_rate = float((after != NEVER).mean()) if len(a) else 0.0
    assert 0.0 <= met_rate <= 1.0


def test_a_message_without_a_reply_is_not_a_meeting_and_a_reply_is() -> None:
    chat = 4
    table = InteractionTable(
        source=np.array([0, 1, 2], np.int32),
        target=np.array([1, 0, 3], np.int32),
        timestamp=np.array([200, 500, 300], np.int64),
        channel=np.array([chat, chat, chat], np.uint8),
        duration=np.full(3, np.nan, np.float32),
        event=np.array([-1, -1, -1], np.int64),
        weight=np.ones(3, np.float32),
    )
    first = first_meetings(table, np.array([0, 2]), np.array([1, 3]), window(100, 900))
    assert first.tolist() == [500, NEVER]
    # the reply falls outside the window: no meeting inside it
    assert first_meetings(table, np.array([0]), np.array([1]), window(100, 400)).tolist() == [NEVER]


def test_a_shared_small_meeting_is_a_meeting_and_a_broadcast_is_not() -> None:
    meeting = 3
    # event 0: 0 invites 1 and 2 (1 and 2 met there too); event 1: 0 writes to 30 people
    source = np.array([0, 0] + [0] * 30, np.int32)
    target = np.array([1, 2, *range(3, 33)], np.int32)
    table = InteractionTable(
        source=source,
        target=target,
        timestamp=np.array([400, 400] + [300] * 30, np.int64),
        channel=np.full(32, meeting, np.uint8),
        duration=np.full(32, np.nan, np.float32),
        event=np.array([0, 0] + [1] * 30, np.int64),
        weight=np.ones(32, np.float32),
    )
    first = first_meetings(table, np.array([1, 0]), np.array([2, 5]), window(100, 900))
    assert first.tolist() == [400, NEVER]


def test_periods_and_windows() -> None:
    assert period_days("2026Q1") == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_days("2026-12") == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert period_days("2026H2") == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    w = window_of("2026Q4", since=dt.date(2026, 10, 15), as_of=dt.date(2026, 11, 30))
    assert (w.start.date(), w.end.date()) == (dt.date(2026, 10, 15), dt.date(2026, 11, 30))
