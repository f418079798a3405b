"""The assign baselines on tiny instances, against the exact optimum."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.arcs import Arcs, evaluate
from benchmarks.baselines import assign as w


def _tiny_arcs(seed: int, seekers: int, providers: int, capacity: int) -> Arcs:
    rng = np.random.default_rng(seed)
    keep = rng.random((seekers, providers)) < 0.4
    s, p = np.nonzero(keep)
    return Arcs(
        arc_seeker=s.astype(np.int32),
        arc_provider=p.astype(np.int32),
        arc_score=rng.normal(2.0, 3.0, len(s)).round(3),
        capacity=rng.integers(1, capacity + 1, providers),
        supply=np.ones(seekers, np.int64),
        flagged=rng.random(seekers) < 0.3,
        seeker_level=np.ones(seekers, np.int64),
        provider_level=np.full(providers, 3, np.int64),
        seeker_ids=np.array([f"s{k}" for k in range(seekers)]),
        provider_ids=np.array([f"p{k}" for k in range(providers)]),
        matcher_chosen=np.zeros(len(s), bool),
        matcher_objective=0.0,
        matcher_bound=0.0,
    )


@pytest.mark.parametrize("seed", range(5))
def test_assign_baselines_on_tiny_instances(seed: int) -> None:
    one = _tiny_arcs(seed, 12, 10, capacity=1)
    exact = w.lsa(one)["outcome"]
    networkx = evaluate(one, w.networkx_matching(one)[0])
    for found in (w.bare_flow(one)["outcome"], networkx):
        assert found["pairs"] == exact["pairs"]
        assert found["objective"] == pytest.approx(exact["objective"], abs=1e-5)
    flow = _tiny_arcs(seed, 20, 6, capacity=3)
    best = w.bare_flow(flow)["outcome"]
    for heuristic in (w.greedy(flow), w.random_pairing(flow, seed)):
        outcome = heuristic["outcome"]
        assert outcome["limit_violations"] == 0
        assert outcome["seekers_covered"] <= best["seekers_covered"]
        if outcome["seekers_covered"] == best["seekers_covered"]:
            assert outcome["objective"] <= best["objective"] + 1e-6


def test_ladder_stops_at_its_budget() -> None:
    arcs = _tiny_arcs(0, 60, 60, capacity=1)
    full = w.run_ladder(arcs, w.networkx_matching, budget=1e9, resolution=1e-6)
    assert [p["seekers"] for p in full["probes"]] == [25, 60]
    assert all(p["same_as_optimum"] for p in full["probes"])
    assert full["outcome"]["pairs"] == w.lsa(arcs)["outcome"]["pairs"]
    cut = w.run_ladder(arcs, w.networkx_matching, budget=0.0, resolution=1e-6)
    assert len(cut["probes"]) == 1 and "outcome" not in cut
    assert cut["estimate_seconds"] > 0 and "over the 0 s budget" in cut["stopped"]
