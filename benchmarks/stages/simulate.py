"""The ``simulate`` stage: a scenario grid, run in parallel on the local cores and serially.

The grid is ``benchmarks/scenarios/simulate-grid.toml``: the peer-support staffing sweep with
19 supporter counts plus its random-pairing twin (20 variants) × 4 quarters × 5 seeds on a
generated 5,000-person org, which is the issue's target workload. It does not depend on the
benchmark size's org, so it runs in full at M and L; at S a reduced grid (1,000 people, 2
quarters, 2 seeds, every fifth supporter count) keeps ``run --size S`` short. Each command is
run with ``--workers 2`` and with ``--workers 1`` (the baseline, in the same run): the ratio is
the speed-up from two cores. A third run sends the same grid to a local Dask cluster of two
worker processes (``--executor dask --scheduler local --workers 2``; skipped when
``distributed`` is not installed), timed against the process pool. All must give the same
results apart from solve times.
"""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

from benchmarks.measure import matcher_command
from benchmarks.results import Figure, Target
from benchmarks.stages.base import Job, StageContext, StageResult, make_job, run_round_robin
from benchmarks.targets import BY_KEY, at_most, not_measured, verdict

STAGE = "simulate"
SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "simulate-grid.toml"
SMALL = (
    "--set=org.generate.employees=1000",
    '--set=variant.0.sweep={"org.trained_supporters" = [10, 35, 60, 85]}',
    "--quarters=2",
    "--replications=2",
)


def _full(ctx: StageContext) -> bool:
    return ctx.size.employees >= 20_000


def _job(ctx: StageContext, workers: int, work: Path, *, dask: bool = False) -> Job:
    out = work / ("out-dask" if dask else f"out-{workers}")
    argv = [
        *matcher_command(),
        "simulate",
        str(SCENARIO),
        "--out",
        str(out),
        f"--workers={workers}",
        *(["--executor=dask", "--scheduler=local"] if dask else []),
        "--fresh",
        "--quiet",
    ]
    if not _full(ctx):
        argv += list(SMALL)
    name = "dask" if dask else "parallel" if workers > 1 else "serial"
    where = "a local Dask cluster of " if dask else ""
    baselines = (
        {"process pool": "simulate.parallel"}
        if dask
        else {"1 worker": "simulate.serial"}
        if workers > 1
        else {}
    )
    return make_job(
        f"simulate.{name}",
        STAGE,
        f"matcher simulate, {'full' if _full(ctx) else 'reduced'} grid, {where}{workers} "
        + ("worker processes" if dask else "workers" if workers > 1 else "worker"),
        lambda _k: argv,
        runs=1,  # minutes at full size; the serial and parallel runs interleave
        log_dir=work / "logs" / name,
        root=ctx.root,
        baselines=baselines,
    )


def _has_dask() -> bool:
    return importlib.util.find_spec("distributed") is not None


def _rows(out: Path) -> list[tuple[str, ...]]:
    with (out / "results.csv").open(newline="", encoding="utf-8") as handle:
        return [tuple(r) for r in csv.reader(handle) if not r[4].endswith("solve_seconds")]


def run(ctx: StageContext) -> StageResult:
    """Measure the grid with two workers and with one."""
    result = StageResult()
    work = ctx.runs_dir / STAGE
    jobs = [_job(ctx, 2, work), _job(ctx, 1, work)]
    if _has_dask():
        jobs.append(_job(ctx, 2, work, dask=True))
    ctx.log(f"simulate: {len(jobs)} workloads")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)
    parallel, serial = jobs[0].figure, jobs[1].figure
    result.figures = [job.figure for job in jobs]
    summary = json.loads((work / "out-2" / "summary.json").read_text(encoding="utf-8"))
    grid = (
        f"{len(summary['variants'])} variants × {summary['quarters']} quarters × "
        f"{summary['replications']} seeds = {summary['cells']} runs"
    )
    parallel.note = f"{grid}; answer: {' '.join(summary['answer'])}"
    same = _rows(work / "out-2") == _rows(work / "out-1")
    serial.note = grid + (
        "; results identical to the 2-worker run (solve times aside)"
        if same
        else "; RESULTS DIFFER from the 2-worker run"
    )
    if len(jobs) > 2:
        dask = jobs[2].figure
        same_dask = _rows(work / "out-dask") == _rows(work / "out-2")
        dask.note = grid + (
            "; results identical to the process pool's (solve times aside)"
            if same_dask
            else "; RESULTS DIFFER from the process pool's"
        )
    else:
        result.notes.append("simulate on Dask not measured: `distributed` is not installed")
    result.notes.append(
        f"simulate grid: `{SCENARIO.relative_to(ctx.root)}`"
        + ("" if _full(ctx) else " reduced with " + " ".join(SMALL))
    )
    result.targets += _targets(ctx, parallel, serial)
    return result


def _targets(ctx: StageContext, parallel: Figure, serial: Figure) -> list[Target]:
    employees = ctx.size.employees
    grid, speed = BY_KEY["simulate-grid-time"], BY_KEY["simulate-speedup"]
    found = [
        at_most(grid, parallel.median_seconds, employees),
        at_most(BY_KEY["simulate-grid-2min"], parallel.median_seconds, employees),
    ]
    a, b = parallel.median_seconds, serial.median_seconds
    if a is None or b is None or a <= 0:
        found.append(not_measured(speed))
        return found
    speedup = b / a
    shown = f"{speedup:.2f}× ({b:.3g} s serial vs {a:.3g} s on 2 workers)"
    met = speedup >= speed.threshold
    margin = (
        f"met: {speedup - speed.threshold:.2f}× above the target"
        if met
        else f"missed: {speed.threshold - speedup:.2f}× short of the target"
    )
    row = verdict(speed, "", shown, met, margin, employees)
    if not speed.applies(employees):
        row.margin = "reduced grid"
    found.append(row)
    return found
