"""Tie strength and strong ties: agreement with a per-row reference and the defining properties."""

from __future__ import annotations

import datetime as dt
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis import graph as graph_module
from matcher.analysis.graph import build_graph, duration_factor, recency_decay
from matcher.config import AnalysisConfig
from matcher.model import CHANNELS
from tests import reference
from tests.strategies import AS_OF, interaction_rows, table_of


@given(interaction_rows())
def test_strength_and_reciprocity_match_the_reference(
    case: tuple[int, list[dict[str, object]]],
) -> None:
    n, rows = case
    graph = build_graph(table_of(rows), n, AS_OF)
    expected, reciprocated = reference.tie_strength(rows)
    found = {
        (int(i), int(j)): float(graph.strength[i, j])
        for i, j in zip(*graph.strength.nonzero(), strict=True)
        if i < j
    }
    assert set(found) == {k for k, v in expected.items() if v > 0}
    for pair, value in found.items():
        assert value == pytest.approx(expected[pair], rel=1e-6)
    found_recip = {
        (int(i), int(j)) for i, j in zip(*graph.reciprocated.nonzero(), strict=True) if i < j
    }
    assert found_recip == reciprocated


@given(interaction_rows(), st.integers(1, 7), st.integers(1, 3))
def test_row_values_in_chunks_on_threads_are_the_whole_product(
    case: tuple[int, list[dict[str, object]]], chunk: int, threads: int
) -> None:
    """The rows' values computed a chunk at a time on threads are bit for bit the product
    computed over all rows at once."""
    _, rows = case
    table = table_of(rows)
    config = AnalysisConfig()
    age = (AS_OF.timestamp() - table.timestamp.astype(np.float64)) / 86_400
    weights = np.array([config.channel_weights[c] for c in CHANNELS])
    whole = weights[table.channel]
    whole = whole * duration_factor(table.duration.astype(np.float64), config)
    whole = whole * recency_decay(age, config.half_life_days)
    whole = whole * table.weight.astype(np.float64)
    with patch.object(graph_module, "ROW_CHUNK", chunk):
        found = graph_module._row_values(table, age, config, threads=threads)
    assert found.tobytes() == whole.tobytes()


@given(interaction_rows())
def test_strength_is_symmetric_under_swapping_direction(
    case: tuple[int, list[dict[str, object]]],
) -> None:
    n, rows = case
    swapped = [{**r, "source": r["target"], "target": r["source"]} for r in rows]
    a, b = build_graph(table_of(rows), n, AS_OF), build_graph(table_of(swapped), n, AS_OF)
    assert abs(a.strength - a.strength.T).max() == 0 if a.strength.nnz else True
    assert np.allclose(a.strength.toarray(), b.strength.toarray())
    assert (a.reciprocated != b.reciprocated).nnz == 0


@given(
    interaction_rows(), st.integers(0, 9), st.integers(0, 9), st.integers(0, 5), st.floats(0, 89)
)
def test_adding_an_interaction_never_lowers_strength(
    case: tuple[int, list[dict[str, object]]], s: int, t: int, channel: int, age: float
) -> None:
    n, rows = case
    s, t = s % n, t % n
    if s == t:
        t = (s + 1) % n
    extra = {
        "source": s,
        "target": t,
        "age_days": age,
        "channel": channel,
        "duration": None,
        "event": -1,
        "weight": 1.0,
    }
    before = build_graph(table_of(rows), n, AS_OF).strength.toarray()
    after = build_graph(table_of([*rows, extra]), n, AS_OF).strength.toarray()
    assert (after >= before - 1e-12).all()
    assert after[s, t] > before[s, t]


@given(interaction_rows(events=False), st.floats(0.5, 30))
def test_strength_decays_with_age(case: tuple[int, list[dict[str, object]]], shift: float) -> None:
    n, rows = case
    older = [{**r, "age_days": float(r["age_days"]) + shift} for r in rows]  # type: ignore[arg-type]
    config = AnalysisConfig(window_days=1000)
    now = build_graph(table_of(rows), n, AS_OF, config).strength.toarray()
    later = build_graph(table_of(older), n, AS_OF, config).strength.toarray()
    assert (later <= now + 1e-12).all()
    assert (later[now > 0] < now[now > 0]).all()


def test_broadcasts_and_future_rows_are_ignored() -> None:
    rows = [
        {
            "source": 0,
            "target": k,
            "age_days": 1.0,
            "channel": 3,
            "duration": 30.0,
            "event": 7,
            "weight": 1.0,
        }
        for k in range(1, 30)
    ]
    rows.append(
        {
            "source": 1,
            "target": 2,
            "age_days": -1.0,
            "channel": 0,
            "duration": None,
            "event": -1,
            "weight": 1.0,
        }
    )
    graph = build_graph(table_of(rows), 30, AS_OF)
    assert graph.strength.nnz == 0
    assert graph.stats.broadcast_events == 1 and graph.stats.rows_future == 1


def test_meeting_splits_one_unit_among_participants() -> None:
    rows = [
        {
            "source": 0,
            "target": k,
            "age_days": 0.0,
            "channel": 0,
            "duration": None,
            "event": 1,
            "weight": 1.0,
        }
        for k in (1, 2, 3)
    ]
    graph = build_graph(table_of(rows), 4, AS_OF)
    # four people: every pair gets 1/3, every person 1 in total
    assert graph.strength[1, 2] == pytest.approx(1 / 3)
    assert np.allclose(np.asarray(graph.strength.sum(axis=1)).ravel(), 1.0)


def test_chat_needs_both_directions_to_be_reciprocated() -> None:
    one_way = [
        {
            "source": 0,
            "target": 1,
            "age_days": 1.0,
            "channel": 4,
            "duration": None,
            "event": -1,
            "weight": 1.0,
        }
    ]
    both = [*one_way, {**one_way[0], "source": 1, "target": 0}]
    assert build_graph(table_of(one_way), 2, AS_OF).reciprocated.nnz == 0
    assert build_graph(table_of(one_way), 2, AS_OF).one_way[0, 1]
    assert build_graph(table_of(both), 2, AS_OF).reciprocated[0, 1]


def test_strong_threshold_is_relative_and_scaled_for_new_hires() -> None:
    rows = []
    for pair, count in (((0, 1), 10), ((2, 3), 10), ((4, 5), 2)):
        rows += [
            {
                "source": pair[0],
                "target": pair[1],
                "age_days": 1.0,
                "channel": 1,
                "duration": None,
                "event": -1,
                "weight": 1.0,
            }
        ] * count
    graph = build_graph(table_of(rows), 6, AS_OF, AnalysisConfig(strong_tie_fraction=0.5))
    assert graph.strong[0, 1] and graph.strong[2, 3] and not graph.strong[4, 5]
    tenure = np.array([400, 400, 400, 400, 10, 10], float)
    scaled = build_graph(
        table_of(rows), 6, AS_OF, AnalysisConfig(strong_tie_fraction=0.5), tenure_days=tenure
    )
    assert scaled.strong[4, 5]


def test_to_networkx_carries_the_edge_attributes() -> None:
    rows = [
        {
            "source": 0,
            "target": 1,
            "age_days": 0.0,
            "channel": 1,
            "duration": None,
            "event": -1,
            "weight": 1.0,
        }
    ]
    graph = build_graph(table_of(rows), 3, dt.datetime(2026, 10, 1, tzinfo=dt.UTC)).to_networkx(
        ["a", "b", "c"]
    )
    assert set(graph.nodes) == {"a", "b", "c"}
    assert graph.edges["a", "b"] == {"strength": 1.0, "reciprocated": True, "strong": True}
