"""The streamed compile's cost per cell (``python -m benchmarks kernel-cells --size L|XL``):
numpy's blocks (``_Blocks.kept``, the reference) against the numba kernel
(:mod:`matcher.assignment.kernel`) on the same sampled blocks of the ``assign-scale`` program,
one thread each and the kernel on two, with a check that both keep the same scores.

Reads the program and the saved analysis that ``python -m benchmarks assign-scale --size ...``
left in ``benchmarks/work/runs/assign-scale-<size>`` (run that first).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.assignment import kernel
from matcher.assignment.compile import STREAM_BLOCK_CELLS, _Blocks
from matcher.assignment.population import population
from matcher.assignment.repeats import History
from matcher.assignment.rules import yes_no_rules
from matcher.assignment.selection import effective_selector, select
from matcher.io.load import load_org
from matcher.io.programs import employees_file, load_program_file
from matcher.io.reports import read_analysis_view


@dataclass(frozen=True)
class Costs:
    """Nanoseconds per cell (median over ``repeat`` passes) and what was measured."""

    cells: int
    blocks: int
    all_blocks: int
    all_cells: int
    numpy_ns: float
    kernel_ns: float
    kernel_two_ns: float
    same: bool
    seconds_to_load: float


def _blocks(work: Path) -> tuple[_Blocks, float]:
    started = time.perf_counter()
    parsed = load_program_file(work / "flow.toml")
    spec = parsed.program[0]
    org, _ = load_org(employees_file(parsed, work / "flow.toml", None), None)
    pop = population(org, read_analysis_view(work / "analysis", org, None))
    seekers = np.flatnonzero(select(effective_selector(spec, "seekers"), pop))
    providers = np.flatnonzero(select(effective_selector(spec, "providers"), pop))
    blocks = _Blocks(
        spec, pop, History.empty(len(org)), yes_no_rules(spec, pop), seekers, providers, set(), []
    )
    return blocks, time.perf_counter() - started


def measure(work: Path, *, sample: int, repeat: int, seed: int, k: int = 40) -> Costs:
    """Time both ways on ``sample`` blocks drawn (seeded) from the program's streamed blocks."""
    blocks, loaded = _blocks(work)
    tasks = blocks.groups(STREAM_BLOCK_CELLS)
    chosen = random.Random(seed).sample(tasks, min(sample, len(tasks)))
    cells = sum(len(r) * len(c) for r, c in chosen)
    n_p = len(blocks.providers)
    must = np.zeros(0, np.int64)
    table = kernel.tables(blocks, must)
    kernel.kept(table, chosen[0][0], chosen[0][1], k, n_p)  # compiled (or read from the cache)

    def numpy_pass() -> list[Any]:
        return [blocks.kept(r, c, k, must) for r, c in chosen]

    def kernel_pass() -> list[Any]:
        return [kernel.kept(table, r, c, k, n_p) for r, c in chosen]

    def kernel_two() -> None:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda t: kernel.kept(table, t[0], t[1], k, n_p), chosen))

    def timed(run: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return statistics.median(times) / cells * 1e9

    ours, theirs = kernel_pass(), numpy_pass()
    same = all(
        np.array_equal(a[3], b.eligible)
        and np.array_equal(a[4], b.seeker_cut)
        and sorted(a[2].tolist()) == sorted(b.score.tolist())
        for a, b in zip(ours, theirs, strict=True)
    )
    return Costs(
        cells=cells,
        blocks=len(chosen),
        all_blocks=len(tasks),
        all_cells=sum(len(r) * len(c) for r, c in tasks),
        numpy_ns=timed(numpy_pass),
        kernel_ns=timed(kernel_pass),
        kernel_two_ns=timed(kernel_two),
        same=same,
        seconds_to_load=loaded,
    )


def render(size: str, costs: Costs, command: str) -> str:
    c = costs
    whole = c.all_cells / 1e9
    return "\n".join(
        [
            f"# The streamed compile per cell, {size}",
            "",
            f"Produced by `{command}`: {c.blocks} of the program's {c.all_blocks:,} blocks "
            f"({c.cells / 1e6:.1f}M of {whole:.2f}G cells), drawn with a fixed seed; median of "
            "the passes; the org and the saved analysis loaded first "
            f"({c.seconds_to_load:.1f} s, not counted).",
            "",
            "| way | ns per cell | the program's cells at that rate |",
            "|---|---:|---:|",
            f"| numpy blocks (`_Blocks.kept`), 1 thread | {c.numpy_ns:.1f} | "
            f"{c.numpy_ns * whole:.0f} s |",
            f"| numba kernel, 1 thread | {c.kernel_ns:.1f} | {c.kernel_ns * whole:.0f} s |",
            f"| numba kernel, 2 threads (wall) | {c.kernel_two_ns:.1f} | "
            f"{c.kernel_two_ns * whole:.0f} s |",
            "",
            f"Kernel ÷ numpy, 1 thread: {c.kernel_ns / c.numpy_ns:.2f}× the time "
            f"({c.numpy_ns / c.kernel_ns:.1f}× faster). Same eligible counts, seeker cuts and "
            f"kept scores in every sampled block: {'yes' if c.same else 'NO (a bug: see tests)'}.",
            "",
        ]
    )
