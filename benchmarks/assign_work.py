"""The assign stage's workers: matcher in process, the bare flow, and the baselines.

Each function here runs inside a child process started by the stage (``python -m benchmarks
assign-inprocess`` / ``assign-baseline``), so that its peak memory is its own, and writes a
JSON record. The in-process worker also writes the compiled problems' arcs (``.npz``) that the
baselines read: every baseline works on exactly the eligible pairs and scores matcher solved.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import math
import os
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

FLAGS = frozenset({"isolated", "peripheral"})
FLOW_SCALE = 1_000_000
"""Score units per cost unit in the bare flow (matcher's own scale, so objectives compare)."""
KIB = 1024


def _peak_rss() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * KIB


def write_json(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------ profiling


class Profiler:
    """Seconds spent in chosen module-level functions, by wrapping them while active.

    matcher's own modules call these functions through their module globals, so wrapping the
    module attribute is enough; nothing in ``matcher/`` changes. Only functions that do not
    call each other are wrapped, so the figures add up; the rest of the time is ``other``.
    """

    def __init__(self, targets: dict[ModuleType, tuple[str, ...]]) -> None:
        self.targets = targets
        self.seconds: dict[str, float] = {}

    @classmethod
    def of(cls, names: tuple[str, ...]) -> Profiler:
        """Wrap the functions called ``names`` wherever a matcher module binds them (a function
        defined in one module and imported by others is called through each importer's
        globals). A name no matcher module defines is an error, not a silent gap."""
        import sys

        targets: dict[ModuleType, list[str]] = {}
        found: set[str] = set()
        for module in list(sys.modules.values()):
            if not getattr(module, "__name__", "").startswith("matcher"):
                continue
            for name in names:
                value = getattr(module, name, None)
                if callable(value) and getattr(value, "__module__", "").startswith("matcher"):
                    targets.setdefault(module, []).append(name)
                    found.add(name)
        missing = sorted(set(names) - found)
        if missing:
            raise ValueError(f"no matcher module defines {', '.join(missing)}: update the profile")
        return cls({module: tuple(bound) for module, bound in targets.items()})

    def _wrap(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed

    @contextmanager
    def active(self) -> Iterator[Profiler]:
        saved: list[tuple[ModuleType, str, Any]] = []
        try:
            for module, names in self.targets.items():
                for name in names:
                    original = getattr(module, name)
                    saved.append((module, name, original))
                    setattr(module, name, self._wrap(name, original))
            yield self
        finally:
            for module, name, original in saved:
                setattr(module, name, original)

    def breakdown(self, total: float) -> dict[str, float]:
        """Seconds per wrapped function, largest first, and ``other`` (the rest of ``total``)."""
        out = {
            name: round(seconds, 4)
            for name, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])
        }
        out["other"] = round(max(total - sum(self.seconds.values()), 0.0), 4)
        return out


COMPILE_PARTS = (
    "select",
    "capacities",
    "_block_conditions",
    "pair_scores",
    "_top_per_row",
)
"""Compile runs its blocks on every core, as ``matcher assign`` does: these parts add up the
time of all threads, so their sum can exceed the compile's wall time."""
SOLVE_PARTS = (
    "quick_conflicts",
    "arc_positions",
    "best_per_seeker",
    "_build_network",
    "_run_flow",
    "_potentials",
    "_head_nodes",
    "_components",
    "_solve_group",
    "explain_infeasible",
    "chosen_pairs",
)


def _profiler(kind: str) -> Profiler:
    import matcher.assignment.compile
    import matcher.assignment.solve  # noqa: F401  (loads every solver module)

    return Profiler.of(COMPILE_PARTS if kind == "compile" else SOLVE_PARTS)


# ------------------------------------------------------------------------------ arcs file


@dataclass
class Arcs:
    """A compiled problem's candidate arcs and matcher's solution, for the baselines."""

    arc_seeker: np.ndarray
    arc_provider: np.ndarray
    arc_score: np.ndarray
    capacity: np.ndarray
    supply: np.ndarray
    flagged: np.ndarray
    seeker_level: np.ndarray
    provider_level: np.ndarray
    seeker_ids: np.ndarray
    provider_ids: np.ndarray
    matcher_chosen: np.ndarray
    matcher_objective: float
    matcher_bound: float

    @property
    def seekers(self) -> int:
        return len(self.supply)

    @property
    def providers(self) -> int:
        return len(self.capacity)

    @property
    def arcs(self) -> int:
        return len(self.arc_seeker)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.stem + ".partial.npz")
        np.savez(partial, allow_pickle=False, **dataclasses.asdict(self))
        partial.replace(path)

    @staticmethod
    def load(path: Path) -> Arcs:
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in data.files}
        values["matcher_objective"] = float(values["matcher_objective"])
        values["matcher_bound"] = float(values["matcher_bound"])
        return Arcs(**values)

    def sub(self, seekers: int, providers: int) -> Arcs:
        """The instance on the first ``seekers`` seekers and ``providers`` providers (no
        matcher solution: ``matcher_chosen`` is all false)."""
        keep = (self.arc_seeker < seekers) & (self.arc_provider < providers)
        return Arcs(
            arc_seeker=self.arc_seeker[keep],
            arc_provider=self.arc_provider[keep],
            arc_score=self.arc_score[keep],
            capacity=self.capacity[:providers],
            supply=self.supply[:seekers],
            flagged=self.flagged[:seekers],
            seeker_level=self.seeker_level[:seekers],
            provider_level=self.provider_level[:providers],
            seeker_ids=self.seeker_ids[:seekers],
            provider_ids=self.provider_ids[:providers],
            matcher_chosen=np.zeros(int(keep.sum()), dtype=bool),
            matcher_objective=float("nan"),
            matcher_bound=float("nan"),
        )


def evaluate(arcs: Arcs, chosen: np.ndarray) -> dict[str, Any]:
    """Pairs, coverage, flagged coverage and objective of a set of chosen arcs; checks that
    no seeker or provider is over its limit."""
    seekers = np.bincount(arcs.arc_seeker[chosen], minlength=arcs.seekers)
    providers = np.bincount(arcs.arc_provider[chosen], minlength=arcs.providers)
    covered = seekers > 0
    by_matcher = np.bincount(arcs.arc_seeker[arcs.matcher_chosen], minlength=arcs.seekers) > 0
    violations = int((seekers > arcs.supply).sum() + (providers > arcs.capacity).sum())
    return {
        "pairs": int(chosen.sum()),
        "seekers_covered": int(covered.sum()),
        "flagged": int(arcs.flagged.sum()),
        "flagged_covered": int((covered & arcs.flagged).sum()),
        "flagged_missed_vs_matcher": int((arcs.flagged & by_matcher & ~covered).sum()),
        "objective": float(arcs.arc_score[chosen].sum()),
        "limit_violations": violations,
    }


# ------------------------------------------------------------------------- matcher in process


def flagged_coverable(problem: Any) -> int:
    """The most flagged seekers any solution can serve at once: a max flow over the flagged
    seekers' arcs alone, with the per-team caps (minimum loads only remove solutions)."""
    from matcher.assignment.solve import solve_flow

    flagged = np.array(
        [bool(problem.pop.flags[person] & FLAGS) for person in problem.seekers], dtype=bool
    )
    keep = np.flatnonzero(flagged[problem.arc_seeker])
    if not len(keep):
        return 0
    sub = dataclasses.replace(
        problem,
        arc_seeker=problem.arc_seeker[keep],
        arc_provider=problem.arc_provider[keep],
        arc_score=np.ones(len(keep)),
        must=[],
        top_arcs=np.zeros(0, np.int64),
        min_load=0,
        min_need=np.zeros(len(problem.providers), np.int64),
    )
    chosen, _, _ = solve_flow(sub)
    return len(np.unique(sub.arc_seeker[chosen]))


def _arcs_of(problem: Any, solution: Any) -> Arcs:
    chosen = np.zeros(problem.arcs, dtype=bool)
    if solution.pairs:
        width = len(problem.providers)
        keys = problem.arc_seeker.astype(np.int64) * width + problem.arc_provider
        order = np.argsort(keys, kind="stable")
        wanted = np.array([s * width + p for s, p in solution.pairs], dtype=np.int64)
        chosen[order[np.searchsorted(keys[order], wanted)]] = True
    pop = problem.pop
    return Arcs(
        arc_seeker=problem.arc_seeker.astype(np.int32),
        arc_provider=problem.arc_provider.astype(np.int32),
        arc_score=problem.arc_score.astype(np.float64),
        capacity=problem.capacity.astype(np.int64),
        supply=problem.supply.astype(np.int64),
        flagged=np.array([bool(pop.flags[i] & FLAGS) for i in problem.seekers], dtype=bool),
        seeker_level=np.nan_to_num(pop.level[problem.seekers], nan=0).astype(np.int64),
        provider_level=np.nan_to_num(pop.level[problem.providers], nan=0).astype(np.int64),
        seeker_ids=np.array(problem.seeker_ids, dtype=str),
        provider_ids=np.array(problem.provider_ids, dtype=str),
        matcher_chosen=chosen,
        matcher_objective=float(solution.objective),
        matcher_bound=float(solution.bound),
    )


def _timed_call(kind: str, step: dict[str, Any], func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` timed into ``step[kind]``, profiled into ``step[kind + "_profile"]``."""
    profiler = _profiler(kind)
    started = time.perf_counter()
    try:
        with profiler.active():
            return func(*args)
    finally:
        step[kind] = time.perf_counter() - started
        step[f"{kind}_profile"] = profiler.breakdown(step[kind])


def run_inprocess(
    programs: list[Path],
    *,
    runs: int,
    seed: int,
    time_limit: float,
    out: Path,
    arcs_dir: Path,
    save: set[str],
) -> None:
    """Time matcher's library calls as ``matcher assign`` makes them, step by step.

    Loads the data and runs the analysis once (every program names the same files), then
    compiles, solves and explains each program ``runs`` times. Writes ``out`` (JSON) and, for
    the programs whose file stem is in ``save``, ``<arcs_dir>/<stem>.npz`` (run 0). A solve
    that raises is recorded (it is matcher's result) and ends that program's runs.
    """
    from matcher.analysis.isolation import analyze
    from matcher.assignment.compile import compile_program
    from matcher.assignment.explain import explain_assignments, explain_unmatched
    from matcher.assignment.population import population
    from matcher.assignment.repeats import History
    from matcher.assignment.solve import SolveOptions, solve
    from matcher.io.load import load_org
    from matcher.io.programs import load_program_file

    record: dict[str, Any] = {"runs": runs, "variants": {}}
    parsed = [load_program_file(path) for path in programs]
    first = parsed[0]
    started = time.perf_counter()
    org, _ = load_org(first.data.employees, first.data.interactions, as_of=first.data.as_of)
    record["load"] = time.perf_counter() - started
    started = time.perf_counter()
    analysis = analyze(org, first.analysis.model_copy(update={"seed": seed}))
    record["analyze"] = time.perf_counter() - started
    started = time.perf_counter()
    pop = population(org, analysis)
    record["population"] = time.perf_counter() - started
    options = SolveOptions(time_limit=time_limit, seed=seed)
    compile = functools.partial(compile_program, threads=os.cpu_count() or 1)
    for path, program_file in zip(programs, parsed, strict=True):
        spec = program_file.program[0]
        variant: dict[str, Any] = {"program": str(path), "runs": []}
        record["variants"][path.stem] = variant
        for k in range(runs):
            step: dict[str, Any] = {}
            variant["runs"].append(step)
            history = History.empty(len(org))
            problem = _timed_call("compile", step, compile, spec, pop, history)
            if k == 0:
                variant.update(
                    seekers=len(problem.seekers),
                    providers=len(problem.providers),
                    arcs=problem.arcs,
                    capacity_total=int(problem.capacity.sum()),
                    flagged_coverable=flagged_coverable(problem),
                )
            try:
                solution = _timed_call("solve", step, solve, problem, options)
            except Exception as exc:  # matcher's own failure is a result: record it
                step["error"] = f"{type(exc).__name__}: {exc}"
                variant["error"] = f"matcher.assignment.solve.solve raised {step['error']}"
                break
            finally:
                step["peak_rss_bytes"] = _peak_rss()
            started = time.perf_counter()
            explain_assignments(problem, solution)
            explain_unmatched(problem, solution)
            step["explain"] = time.perf_counter() - started
            if k == 0 and path.stem in save:
                _arcs_of(problem, solution).save(arcs_dir / f"{path.stem}.npz")
            del problem, solution
    record["peak_rss_bytes"] = _peak_rss()
    write_json(out, record)


def run_screen(program: Path, *, seed: int, key: str, out: Path) -> None:
    """Compile ``program`` once and count each provider's eligible seekers (JSON ``out``)."""
    from matcher.analysis.isolation import analyze
    from matcher.assignment.compile import compile_program
    from matcher.assignment.population import population
    from matcher.assignment.repeats import History
    from matcher.io.load import load_org
    from matcher.io.programs import load_program_file

    parsed = load_program_file(program)
    org, _ = load_org(parsed.data.employees, parsed.data.interactions, as_of=parsed.data.as_of)
    analysis = analyze(org, parsed.analysis.model_copy(update={"seed": seed}))
    pop = population(org, analysis)
    problem = compile_program(parsed.program[0], pop, History.empty(len(org)))
    per_provider = np.bincount(problem.arc_provider, minlength=len(problem.providers))
    per_seeker = np.bincount(problem.arc_seeker, minlength=len(problem.seekers))
    write_json(
        out,
        {
            "key": key,
            "arcs": problem.arcs,
            "eligible_seekers": dict(zip(problem.provider_ids, per_provider.tolist(), strict=True)),
            "seekers_without_provider": int((per_seeker == 0).sum()),
        },
    )


# ------------------------------------------------------------------------------ bare flow


def bare_flow(arcs: Arcs) -> dict[str, Any]:
    """OR-Tools ``SimpleMinCostFlow`` on all eligible arcs, nothing else: source → seekers
    (capacity: per-seeker supply) → providers (one unit per eligible pair, cost −score) →
    sink (capacity: the provider's), maximum flow at minimum cost."""
    from ortools.graph.python import min_cost_flow

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
    from scipy.optimize import linear_sum_assignment

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


def _networkx_matching(arcs: Arcs) -> tuple[np.ndarray, dict[str, float]]:
    import networkx as nx

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


def _mentor_match(arcs: Arcs) -> tuple[np.ndarray, dict[str, float]]:
    """mentor-match 7.0.1: Mentor/Mentee objects, our score as a custom rule (integers, ×1000,
    plus the coverage-first bonus), ineligible pairs disqualified; one round per unit of the
    largest capacity (the package gives each mentor at most one mentee per round), with
    mentees already served and mentors at capacity disqualified in later rounds."""
    from matching import process  # mentor-match
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
        solver = _networkx_matching if method == "networkx" else _mentor_match
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
    record["peak_rss_bytes"] = _peak_rss()
    write_json(out, record)


def median_profile(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per-key median over runs (keys missing from a run count as 0)."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run if k not in keys]
    return {k: statistics.median(run.get(k, 0.0) for run in runs) for k in keys}
