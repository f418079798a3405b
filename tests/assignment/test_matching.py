"""Peer pairs of capacity one: the LP-proven matching against networkx's exact
``max_weight_matching`` on small random graphs, and through a peer program."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.assignment.programs import ProgramSpec
from matcher.assignment.solve import SolveOptions, matching_lp
from matcher.assignment.solve.matching import max_weight_matching
from matcher.assignment.solve.matching_lp import relax
from matcher.model import Employee
from tests.assignment.support import run
from tests.strategies import org_of

Graph = tuple[int, np.ndarray, np.ndarray, np.ndarray]


@st.composite
def weighted_graphs(draw: st.DrawFn, max_people: int = 12) -> Graph:
    """People ``0 … n-1`` and some of their pairs, each with a score (negative ones too, and
    ties: scores on a grid of quarters)."""
    n = draw(st.integers(2, max_people))
    every = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(every), min_size=1, unique=True))
    chosen.sort()
    scores = draw(st.lists(st.integers(-8, 40), min_size=len(chosen), max_size=len(chosen)))
    a = np.array([i for i, _ in chosen], dtype=np.int64)
    b = np.array([j for _, j in chosen], dtype=np.int64)
    return n, a, b, np.array(scores, dtype=np.float64) / 4


def networkx_optimum(graph: Graph, cardinality: bool) -> tuple[int, float]:
    """Pairs and score of networkx's exact matching (most pairs first with ``cardinality``;
    else over the positive pairs only, as a score-only matching never takes the others)."""
    n, a, b, s = graph
    g = nx.Graph()
    g.add_nodes_from(range(n))
    for x, y, w in zip(a.tolist(), b.tolist(), s.tolist(), strict=True):
        if cardinality or w > 0:
            g.add_edge(x, y, weight=w)
    matching = nx.max_weight_matching(g, maxcardinality=cardinality)
    return len(matching), sum(g[x][y]["weight"] for x, y in matching)


@settings(max_examples=150, deadline=None)
@given(weighted_graphs(), st.booleans())
def test_matching_is_networkx_optimum(graph: Graph, cardinality: bool) -> None:
    """Hypothesis: the matching is one (nobody twice), has networkx's number of pairs (most
    pairs first) and score, is proven, and its bound is at least the score."""
    n, a, b, s = graph
    found = max_weight_matching(
        n,
        a,
        b,
        s,
        cardinality=cardinality,
        options=SolveOptions(),
        deadline=time.perf_counter() + 20,
    )
    assert found is not None
    ends = np.concatenate([a[found.chosen], b[found.chosen]])
    assert len(set(ends.tolist())) == len(ends)
    pairs, score = networkx_optimum(graph, cardinality)
    if cardinality:
        assert len(found.chosen) == pairs == found.pairs
    assert found.score == pytest.approx(score, abs=1e-6)
    assert found.proven
    assert found.bound == pytest.approx(found.score, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(weighted_graphs(max_people=16), st.booleans())
def test_bound_holds_without_time(graph: Graph, cardinality: bool) -> None:
    """With no time for CP-SAT the answer is a matching and its bound (the LP's dual, checked
    over every pair) is still at least networkx's optimum."""
    n, a, b, s = graph
    found = max_weight_matching(
        n, a, b, s, cardinality=cardinality, options=SolveOptions(), deadline=time.perf_counter()
    )
    if found is None:  # the most pairs were not proven in no time: the caller's CP-SAT answers
        return
    pairs, score = networkx_optimum(graph, cardinality)
    assert found.bound >= score - 1e-6
    if cardinality:
        assert len(found.chosen) == pairs


def test_odd_cycle_needs_more_than_the_lp() -> None:
    """Two triangles joined by one weak pair: the LP takes halves on each triangle (bound 15 +
    15 = 30 on 3 pairs), the best matching of 3 pairs scores 10 + 10 + 1."""
    a = np.array([0, 1, 0, 3, 4, 3, 2])
    b = np.array([1, 2, 2, 4, 5, 5, 5])
    s = np.array([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 1.0])
    found = max_weight_matching(
        6, a, b, s, cardinality=True, options=SolveOptions(), deadline=time.perf_counter() + 20
    )
    assert found is not None
    assert found.proven and len(found.chosen) == 3
    assert found.score == pytest.approx(21.0)


def test_peer_program_uses_the_matching() -> None:
    """A peer program of capacity one is answered by the matching, proven, everyone paired."""
    org = org_of(
        [
            Employee(id=f"P{k}", roles="mentee", languages="English", timezone="UTC")
            for k in range(8)
        ]
    )
    spec_fields = {
        "name": "coffee",
        "kind": "peer",
        "period": "2026Q4",
        "seekers": {"roles": ["mentee"]},
    }
    result = run(org, ProgramSpec.model_validate(spec_fields), time_limit=20)
    assert result.solution.method == "matching_lp"
    assert result.solution.status == "optimal"
    assert result.summary["coverage"] == 1.0


@settings(max_examples=150, deadline=None)
@given(weighted_graphs(max_people=14), st.booleans(), st.sampled_from([20, 1]))
def test_lp_with_odd_set_cuts_bounds_the_optimum(
    graph: Graph, cardinality: bool, batch: int
) -> None:
    """Hypothesis: the matching LP with odd-set cuts bounds networkx's optimum (its duals are
    valid over every pair: no reduced cost is positive), and when its solution is integral that
    solution is a matching of the optimum's score, meeting the bound; also when pricing adds one
    pair per person and round."""
    n, a, b, s = graph
    pairs, score = networkx_optimum(graph, cardinality)
    if not cardinality:
        keep = s > 0
        a, b, s = a[keep], b[keep], s[keep]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching_lp, "PRICE_BATCH", batch)
        found = relax(
            n,
            a,
            b,
            s,
            pairs if cardinality else None,
            np.arange(min(len(a), 3)),
            time.perf_counter() + 20,
        )
    assert (found.reduced(a, b, s) <= 1e-12).all()
    bound = found.bound(pairs if cardinality else None)
    assert bound >= score - 1e-6
    if found.integral:
        ends = np.concatenate([a[found.whole], b[found.whole]])
        assert len(set(ends.tolist())) == len(ends)
        assert float(s[found.whole].sum()) == pytest.approx(score, abs=1e-6)
        assert bound == pytest.approx(score, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(weighted_graphs(), st.booleans())
def test_matching_without_a_live_lp(graph: Graph, cardinality: bool) -> None:
    """Without a live HiGHS model the LP is re-solved from scratch (no cuts) and CP-SAT proves
    the optimum: the same pairs and score as networkx."""
    n, a, b, s = graph
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(matching_lp, "_live_highs", lambda: None)
        found = max_weight_matching(
            n,
            a,
            b,
            s,
            cardinality=cardinality,
            options=SolveOptions(),
            deadline=time.perf_counter() + 20,
        )
    assert found is not None and found.proven
    pairs, score = networkx_optimum(graph, cardinality)
    if cardinality:
        assert len(found.chosen) == pairs
    assert found.score == pytest.approx(score, abs=1e-6)
