"""Assignment baselines on matcher's compiled eligible pairs, each timed step by step.

``python -m benchmarks assign-baseline --method …`` runs :func:`run_baseline` in a child
process on an arcs file (:mod:`benchmarks.arcs`): the bare OR-Tools min-cost flow (the floor
for the flow structure), greedy by score, random pairing (a chat "coffee" bot),
``scipy.optimize.linear_sum_assignment`` (dense, 1:1), networkx ``max_weight_matching`` and the
PyPI package mentor-match, the last two on growing sub-instances (:func:`run_ladder`). Each
library is imported inside the baseline that uses it: a worker loads only its own (its peak
memory is reported), and mentor-match is optional.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.arcs import Arcs, evaluate, peak_rss, write_json

FLOW_SCALE = 1_000_000
"""Score units per cost unit in the bare flow (matcher's own scale, so objectives compare)."""
METHODS = ("bare-flow", "greedy", "random", "lsa", "networkx", "mentor-match")


def bare_flow(arcs: Arcs) -> dict[str, Any]:
    """OR-Tools ``SimpleMinCostFlow`` on all eligible arcs, nothing else: source → seekers
    (capacity: per-seeker supply) → providers (one unit per eligible pair, cost −score) →
    sink (capacity: the provider's), maximum flow at minimum cost."""
    from ortools.graph.python import min_cost_flow  # lazily: see the module docstring

    steps: dict[str, float] = {}
    started = time.perf_counter()
    n_s, n_p = arcs.seekers, arcs.providers
    sink = n_s + n_p + 1
    tails = np.concatenate(
        [
            np.zeros(n_s, np.int64),
            arcs.arc_seeker.astype(np.int64) + 1,
            np.arange(n_p, dtype=np.int64) + n_s + 1,
        ]
    )
    heads = np.concatenate(
        [
            np.arange(n_s, dtype=np.int64) + 1,
            arcs.arc_provider.astype(np.int64) + n_s + 1,
            np.full(n_p, sink, np.int64),
        ]
    )
    caps = np.concatenate([arcs.supply, np.ones(arcs.arcs, np.int64), arcs.capacity]).astype(
        np.int64
    )
    costs = np.concatenate(
        [
            np.zeros(n_s, np.int64),
            -np.rint(arcs.arc_score * FLOW_SCALE).astype(np.int64),
            np.zeros(n_p, np.int64),
        ]
    )
    steps["arrays"] = time.perf_counter() - started
    started = time.perf_counter()
    flow = min_cost_flow.SimpleMinCostFlow()
    ids = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    del tails, heads, caps, costs
    total = int(arcs.supply.sum())
    flow.set_node_supply(0, total)
    flow.set_node_supply(sink, -total)
    steps["add_arcs"] = time.perf_counter() - started
    started = time.perf_counter()
    status = flow.solve_max_flow_with_min_cost()
    steps["solve"] = time.perf_counter() - started
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow returned status {status}")
    started = time.perf_counter()
    flows = np.asarray(flow.flows(ids[n_s : n_s + arcs.arcs]), dtype=np.int64)
    steps["read_flows"] = time.perf_counter() - started
    chosen = flows > 0
    outcome = evaluate(arcs, chosen)
    return {"steps": steps, "outcome": outcome, "note": ""}


# -------------------------------------------------------------------- greedy and random


def greedy(arcs: Arcs) -> dict[str, Any]:
    """Sort arcs by score, best first; take an arc when both sides still have room."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    order = np.argsort(-arcs.arc_score, kind="stable")
    steps["sort"] = time.perf_counter() - started
    started = time.perf_counter()
    seeker_left = arcs.supply.astype(np.int64).copy()
    room = arcs.capacity.astype(np.int64).copy()
    chosen = np.zeros(arcs.arcs, dtype=bool)
    chunk = 1 << 20
    for start in range(0, len(order), chunk):
        if not (seeker_left > 0).any() or not (room > 0).any():
            break
        block = order[start : start + chunk]
        s_block, p_block = arcs.arc_seeker[block], arcs.arc_provider[block]
        open_ = (seeker_left[s_block] > 0) & (room[p_block] > 0)
        left, free = seeker_left.tolist(), room.tolist()
        taken: list[int] = []
        for k, s, p in zip(
            block[open_].tolist(), s_block[open_].tolist(), p_block[open_].tolist(), strict=True
        ):
            if left[s] > 0 and free[p] > 0:
                left[s] -= 1
                free[p] -= 1
                taken.append(k)
        chosen[taken] = True
        seeker_left = np.asarray(left, dtype=np.int64)
        room = np.asarray(free, dtype=np.int64)
    steps["scan"] = time.perf_counter() - started
    return {"steps": steps, "outcome": evaluate(arcs, chosen), "note": ""}


RANDOM_SEEDS = 5


def _random_once(
    arcs: Arcs, order: np.ndarray, starts: np.ndarray, seed: int
) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(seed)
    room = arcs.capacity.astype(np.int64).copy()
    chosen = np.zeros(arcs.arcs, dtype=bool)
    failures = 0
    for s in rng.permutation(arcs.seekers).tolist():
        mine = order[starts[s] : starts[s + 1]]
        providers = arcs.arc_provider[mine]
        for _ in range(int(arcs.supply[s])):
            ok = np.flatnonzero((room[providers] > 0) & ~chosen[mine])
            if not len(ok):
                failures += 1
                break
            pick = int(ok[rng.integers(len(ok))])
            chosen[mine[pick]] = True
            room[providers[pick]] -= 1
    return chosen, failures


def random_pairing(arcs: Arcs, seed: int) -> dict[str, Any]:
    """The chat "coffee" bot: seekers in a seeded random order, each given a random eligible
    provider that still has room; a seeker with none left is a failure. Repeated with
    ``RANDOM_SEEDS`` seeds; the first seed's pairs are the outcome."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    order = np.argsort(arcs.arc_seeker, kind="stable")
    starts = np.searchsorted(arcs.arc_seeker[order], np.arange(arcs.seekers + 1))
    steps["index"] = time.perf_counter() - started
    started = time.perf_counter()
    chosen, failures = _random_once(arcs, order, starts, seed)
    steps["pair"] = time.perf_counter() - started
    outcome = evaluate(arcs, chosen)
    outcome["failures"] = failures
    pairs = [outcome["pairs"]]
    fails = [failures]
    for extra in range(1, RANDOM_SEEDS):
        again, failed = _random_once(arcs, order, starts, seed + extra)
        pairs.append(int(again.sum()))
        fails.append(failed)
    with_options = int((np.diff(starts) > 0).sum())
    note = (
        f"{failures:,} of {arcs.seekers:,} seekers found no eligible provider with room left "
        f"({failures / max(arcs.seekers, 1):.1%}; {arcs.seekers - with_options:,} had no eligible "
        f"provider at all); over {RANDOM_SEEDS} seeds: {min(fails):,}–{max(fails):,} failures, "
        f"{min(pairs):,}–{max(pairs):,} pairs"
    )
    return {"steps": steps, "outcome": outcome, "note": note}


# --------------------------------------------------------------------------- 1:1 solvers


def _coverage_first_big(scores: np.ndarray, pairs: int) -> float:
    """A per-pair bonus larger than any difference of total score: coverage comes first."""
    spread = float(np.abs(scores).max(initial=0.0)) * 2 + 1
    return spread * (pairs + 1)


def lsa(arcs: Arcs) -> dict[str, Any]:
    """``scipy.optimize.linear_sum_assignment`` on the dense seekers × providers matrix:
    cost −(BIG + score) on eligible pairs, 0 elsewhere (pairs of cost 0 are dropped)."""
    from scipy.optimize import linear_sum_assignment  # lazily: see the module docstring

    steps: dict[str, float] = {}
    started = time.perf_counter()
    big = _coverage_first_big(arcs.arc_score, min(arcs.seekers, arcs.providers))
    cost = np.zeros((arcs.seekers, arcs.providers))
    cost[arcs.arc_seeker, arcs.arc_provider] = -(big + arcs.arc_score)
    steps["matrix"] = time.perf_counter() - started
    started = time.perf_counter()
    rows, cols = linear_sum_assignment(cost)
    steps["solve"] = time.perf_counter() - started
    chosen = _chosen_from_pairs(arcs, rows, cols)
    return {"steps": steps, "outcome": evaluate(arcs, chosen), "note": f"BIG = {big:.6g}"}


def _chosen_from_pairs(arcs: Arcs, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The arcs among ``(rows[k], cols[k])`` pairs; pairs that are not arcs are ignored."""
    width = arcs.providers
    keys = arcs.arc_seeker.astype(np.int64) * width + arcs.arc_provider
    order = np.argsort(keys, kind="stable")
    wanted = np.asarray(rows, dtype=np.int64) * width + np.asarray(cols, dtype=np.int64)
    where = np.minimum(np.searchsorted(keys[order], wanted), max(len(order) - 1, 0))
    chosen = np.zeros(arcs.arcs, dtype=bool)
    if len(order):
        hit = keys[order][where] == wanted
        chosen[order[where[hit]]] = True
    return chosen


def networkx_matching(arcs: Arcs) -> tuple[np.ndarray, dict[str, float]]:
    import networkx as nx  # lazily: see the module docstring

    steps: dict[str, float] = {}
    started = time.perf_counter()
    big = round(_coverage_first_big(arcs.arc_score, min(arcs.seekers, arcs.providers)) * FLOW_SCALE)
    weights = (big + np.rint(arcs.arc_score * FLOW_SCALE).astype(np.int64)).tolist()
    graph = nx.Graph()
    graph.add_nodes_from(range(arcs.seekers + arcs.providers))
    offset = arcs.seekers
    graph.add_weighted_edges_from(
        zip(
            arcs.arc_seeker.tolist(),
            (arcs.arc_provider.astype(np.int64) + offset).tolist(),
            weights,
            strict=True,
        )
    )
    steps["graph"] = time.perf_counter() - started
    started = time.perf_counter()
    matching = nx.max_weight_matching(graph, maxcardinality=False, weight="weight")
    steps["solve"] = time.perf_counter() - started
    pairs = [(a, b - offset) if a < offset else (b, a - offset) for a, b in matching]
    rows = np.array([s for s, _ in pairs], dtype=np.int64)
    cols = np.array([p for _, p in pairs], dtype=np.int64)
    return _chosen_from_pairs(arcs, rows, cols), steps


def mentor_match(arcs: Arcs) -> tuple[np.ndarray, dict[str, float]]:
    """mentor-match 7.0.1: Mentor/Mentee objects, our score as a custom rule (integers, ×1000,
    plus the coverage-first bonus), ineligible pairs disqualified; one round per unit of the
    largest capacity (the package gives each mentor at most one mentee per round), with
    mentees already served and mentors at capacity disqualified in later rounds."""
    # lazily: optional (pip install mentor-match), see the module docstring
    from matching import process
    from matching.mentee import Mentee
    from matching.mentor import Mentor
    from matching.rules.rule import Disqualify

    steps: dict[str, float] = {}
    started = time.perf_counter()
    big = round(_coverage_first_big(arcs.arc_score, min(arcs.seekers, arcs.providers)) * 1000)
    points = (big + np.rint(arcs.arc_score * 1000).astype(np.int64)).tolist()
    table = dict(
        zip(
            zip(arcs.arc_seeker.tolist(), arcs.arc_provider.tolist(), strict=True),
            points,
            strict=True,
        )
    )
    mentees = [Mentee(grade=int(level), email=f"s{k}") for k, level in enumerate(arcs.seeker_level)]
    mentors = [
        Mentor(grade=int(level), email=f"p{k}") for k, level in enumerate(arcs.provider_level)
    ]
    seeker_at = {id(m): k for k, m in enumerate(mentees)}
    provider_at = {id(m): k for k, m in enumerate(mentors)}
    capacity = arcs.capacity.tolist()

    class Score:
        """Our score as a mentor-match rule (``RuleProtocol``): ineligible pairs are
        disqualified."""

        def evaluate(self, match: Any) -> bool:
            return (seeker_at[id(match.mentee)], provider_at[id(match.mentor)]) in table

        def apply(self, match: Any) -> int:
            value = table.get((seeker_at[id(match.mentee)], provider_at[id(match.mentor)]))
            if value is None:
                match.disallowed = True
                return 0
            return int(value)

    served = Disqualify(lambda match: len(match.mentee.mentors) >= 1)
    full = Disqualify(
        lambda match: len(match.mentor.mentees) >= capacity[provider_at[id(match.mentor)]]
    )
    rounds = max(capacity, default=0)
    rules = [[Score(), served, full] for _ in range(rounds)]
    steps["prepare"] = time.perf_counter() - started
    started = time.perf_counter()
    process.process_data(mentors, mentees, rules)
    steps["solve"] = time.perf_counter() - started
    rows: list[int] = []
    cols: list[int] = []
    for p, mentor in enumerate(mentors):
        for mentee in mentor.mentees:
            rows.append(seeker_at[id(mentee)])
            cols.append(p)
    return _chosen_from_pairs(arcs, np.array(rows, np.int64), np.array(cols, np.int64)), steps


LADDER_START = 25
MIN_FIT_SECONDS = 0.5


def run_ladder(
    arcs: Arcs,
    solver: Callable[[Arcs], tuple[np.ndarray, dict[str, float]]],
    budget: float,
    resolution: float,
) -> dict[str, Any]:
    """A slow solver on growing sub-instances: the first ``k`` seekers × the first ``k·P/S``
    providers for k = 25, 50, 100 … (doubling while under two thirds of the full size), then the
    full instance.

    Each run is checked against the exact optimum of its sub-instance (``linear_sum_assignment``
    when 1:1, else the bare flow; both coverage-first). The ladder stops before a step whose
    estimated time (``t ∝ k^e``, ``e`` fitted on the last two runs of at least
    ``MIN_FIT_SECONDS``, else 3) would take its total past ``budget``. ``resolution`` is the
    solver's score unit (it optimises rounded scores). Returns the record: every probe, and
    the full instance's outcome when it was reached, else the extrapolated full-size time.
    """
    probes: list[dict[str, Any]] = []
    exponent, spent = 3.0, 0.0
    ratio = arcs.providers / max(arcs.seekers, 1)
    k = min(LADDER_START, arcs.seekers)
    while True:
        providers = max(1, min(arcs.providers, round(k * ratio)))
        sub = arcs.sub(k, providers)
        started = time.perf_counter()
        chosen, steps = solver(sub)
        seconds = time.perf_counter() - started
        spent += seconds
        outcome = evaluate(sub, chosen)
        one_to_one = int(sub.capacity.max(initial=0)) <= 1
        reference = (lsa(sub) if one_to_one else bare_flow(sub))["outcome"]
        delta = outcome["objective"] - reference["objective"]
        probes.append(
            {
                "seekers": k,
                "providers": providers,
                "seconds": round(seconds, 4),
                "pairs": outcome["pairs"],
                "objective_minus_optimum": delta,
                "same_as_optimum": outcome["pairs"] == reference["pairs"]
                and abs(delta) <= resolution * max(outcome["pairs"], 1),
            }
        )
        timed = [p for p in probes if p["seconds"] >= MIN_FIT_SECONDS]
        if len(timed) >= 2:
            a, b = timed[-2], timed[-1]
            fitted = math.log(b["seconds"] / a["seconds"]) / math.log(b["seekers"] / a["seekers"])
            exponent = min(max(fitted, 1.0), 4.0)
        record: dict[str, Any] = {"probes": probes, "exponent": exponent}
        if k >= arcs.seekers:
            return {**record, "outcome": outcome, "steps": steps, "seconds": seconds}
        next_k = k * 2 if k * 3 < arcs.seekers else arcs.seekers  # no step just short of full
        estimate = seconds * (next_k / k) ** exponent
        if spent + estimate > budget:
            return {
                **record,
                "estimate_seconds": seconds * (arcs.seekers / k) ** exponent,
                "stopped": f"stopped before {next_k:,} seekers: estimated {estimate:,.0f} s "
                f"after {spent:,.0f} s spent, over the {budget:,.0f} s budget",
            }
        k = next_k


# ------------------------------------------------------------------------------- dispatch


def run_baseline(method: str, arcs_file: Path, out: Path, *, budget: float, seed: int) -> None:
    """Run one baseline on an arcs file and write its JSON record (``seconds`` is the time
    of the work itself, without Python start-up and reading the arcs)."""
    started = time.perf_counter()
    arcs = Arcs.load(arcs_file)
    load_seconds = time.perf_counter() - started
    record: dict[str, Any] = {
        "method": method,
        "seekers": arcs.seekers,
        "providers": arcs.providers,
        "arcs": arcs.arcs,
        "load_arcs_seconds": load_seconds,
    }
    started = time.perf_counter()
    if method == "bare-flow":
        record.update(bare_flow(arcs))
    elif method == "greedy":
        record.update(greedy(arcs))
    elif method == "random":
        record.update(random_pairing(arcs, seed))
    elif method == "lsa":
        record.update(lsa(arcs))
    elif method in ("networkx", "mentor-match"):
        solver = networkx_matching if method == "networkx" else mentor_match
        if method == "mentor-match" and importlib.util.find_spec("matching") is None:
            record["skipped"] = (
                "not run: the mentor-match package is not installed "
                "(`pip install mentor-match`; it is not a dependency of matcher)"
            )
        else:
            resolution = 1 / FLOW_SCALE if method == "networkx" else 1e-3  # mentor-match: ×1000
            record.update(run_ladder(arcs, solver, budget, resolution))
    else:
        raise ValueError(f"unknown baseline {method!r}")
    if "seconds" not in record and "outcome" in record:
        record["seconds"] = sum(record["steps"].values())
    record["wall_inside"] = time.perf_counter() - started
    record["peak_rss_bytes"] = peak_rss()
    write_json(out, record)
