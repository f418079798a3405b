"""The assign stage's in-process worker: matcher's library calls, timed and profiled.

``python -m benchmarks assign-inprocess`` runs :func:`run_inprocess` in a child process (its
peak memory is its own): the calls ``matcher assign`` makes, step by step, with a ``cProfile``
of compile and solve grouped by matcher function (:mod:`benchmarks.profiling`). It also writes
the arcs of the compiled problems (:mod:`benchmarks.arcs`) that the baselines read.
``assign-screen`` runs :func:`run_screen`: each provider's number of eligible seekers.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.arcs import Arcs, peak_rss, write_json
from benchmarks.profiling import MatcherProfile, format_rows
from benchmarks.profiling import record as profile_record
from matcher.analysis.isolation import analyze
from matcher.assignment.compile import compile_program
from matcher.assignment.explain import explain_assignments, explain_unmatched
from matcher.assignment.population import population
from matcher.assignment.repeats import History
from matcher.assignment.solve import SolveOptions, solve, solve_flow
from matcher.io.load import load_org
from matcher.io.programs import load_program_file

FLAGS = frozenset({"isolated", "peripheral"})


def flagged_coverable(problem: Any) -> int:
    """The most flagged seekers any solution can serve at once: a max flow over the flagged
    seekers' arcs alone, with the per-team caps (minimum loads only remove solutions).
    ``problem`` holds every eligible pair as an arc (compiled with ``keep_all_pairs``)."""
    assert problem.left_out is None, "compile with keep_all_pairs: the bound needs every pair"
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
        left_out=None,  # every eligible pair of the flagged seekers is an arc (keep_all_pairs)
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


def _timed_call(
    label: str, kind: str, step: dict[str, Any], func: Callable[..., Any], *args: Any
) -> Any:
    """``func(*args)`` timed into ``step[kind]``, its profile by matcher function into
    ``step[kind + "_profile"]`` (also printed: the worker's log then reads as a profile)."""
    profile = MatcherProfile()
    started = time.perf_counter()
    try:
        with profile.active():
            return func(*args)
    finally:
        step[kind] = time.perf_counter() - started
        step[f"{kind}_profile"] = profile_record(profile.functions(), step[kind])
        print(f"{label}, {kind}: {step[kind]:.3f} s\n{format_rows(step[f'{kind}_profile'])}\n")
        sys.stdout.flush()


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
            problem = _timed_call(
                f"{path.stem} run {k + 1}", "compile", step, compile, spec, pop, history
            )
            # a streamed compile keeps only candidates: the baselines and the flagged-coverage
            # bound need every eligible pair, compiled once more (untimed) as --explain does
            full = None
            if k == 0:
                full = (
                    problem
                    if problem.left_out is None
                    else compile(spec, pop, history, keep_all_pairs=True)
                )
                variant.update(
                    seekers=len(problem.seekers),
                    providers=len(problem.providers),
                    arcs=problem.eligible_pairs,
                    candidates=problem.arcs,
                    capacity_total=int(problem.capacity.sum()),
                    flagged_coverable=flagged_coverable(full),
                )
            try:
                solution = _timed_call(
                    f"{path.stem} run {k + 1}", "solve", step, solve, problem, options
                )
            except Exception as exc:  # matcher's own failure is a result: record it
                step["error"] = f"{type(exc).__name__}: {exc}"
                variant["error"] = f"matcher.assignment.solve.solve raised {step['error']}"
                break
            finally:
                step["peak_rss_bytes"] = peak_rss()
            started = time.perf_counter()
            explain_assignments(problem, solution)
            explain_unmatched(problem, solution)
            step["explain"] = time.perf_counter() - started
            if full is not None and path.stem in save:
                _arcs_of(full, solution).save(arcs_dir / f"{path.stem}.npz")
            del problem, solution, full
    record["peak_rss_bytes"] = peak_rss()
    write_json(out, record)


def run_screen(program: Path, *, seed: int, key: str, out: Path) -> None:
    """Compile ``program`` once and count each provider's eligible seekers (JSON ``out``)."""
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
