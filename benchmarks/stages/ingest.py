"""The ``ingest`` stage: ``matcher ingest`` on a generated Slack export of the size's scale.

The export is made by :mod:`benchmarks.ingest_bench` (seeded, in minutes, never stored): ten
messages per employee over one user per twenty employees, so XL (1,000,000 employees) ingests
10M messages from 50,000 users, about 4.7M day files in a 2 GB zip. The figure is the CLI's
wall time and peak memory, end to end (zip in, ``interactions.csv`` out); its note says what
was read and written. The growth from a tenth of the messages is measured in the same run
when ``--repeat`` allows a second workload (the 1M-message export of the same workspace).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from benchmarks.ingest_bench import END, generate
from benchmarks.measure import matcher_command
from benchmarks.results import Figure
from benchmarks.stages.base import Job, StageContext, StageResult, make_job, run_round_robin

STAGE = "ingest"
MESSAGES_PER_EMPLOYEE = 10
EMPLOYEES_PER_USER = 20


def scale(employees: int) -> tuple[int, int]:
    """``(users, messages)`` of the export for an org of ``employees``.

    >>> scale(1_000_000)
    (50000, 10000000)
    >>> scale(2_000)
    (2000, 20000)
    """
    return max(employees // EMPLOYEES_PER_USER, 2_000), employees * MESSAGES_PER_EMPLOYEE


def _job(ctx: StageContext, work: Path, messages: int, users: int) -> tuple[Job, Path]:
    folder = work / f"slack-{messages}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    ctx.log(f"ingest: generating {messages:,} messages over {users:,} users")
    export = generate(folder, users=users, messages=messages, days=90, seed=1, as_zip=True)
    out = folder / "interactions.csv"
    argv = [
        *matcher_command(),
        "ingest",
        str(export),
        "--employees",
        str(folder / "employees.csv"),
        "--out",
        str(out),
        "--end",
        END.isoformat(),
        "--reactions",
        "--json",
    ]
    job = make_job(
        f"ingest.slack-{messages}",
        STAGE,
        f"matcher ingest, Slack export of {messages:,} messages ({users:,} users)",
        lambda _k: argv,
        runs=1,
        log_dir=folder / "logs",
        root=ctx.root,
    )
    return job, folder


def _note(folder: Path, job: Job) -> str:
    try:
        stdout = job.log_dir / "run-0" / "stdout.txt"
        summary = json.loads(stdout.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return job.figure.note
    (source,) = summary["sources"]
    size = (folder / "slack-export.zip").stat().st_size
    return (
        f"{source['events']:,} events, {summary['rows_added']:,} rows written; "
        f"zip {size / 2**30:.2f} GiB"
    )


def run(ctx: StageContext) -> StageResult:
    """Generate the export(s), ingest each once, and fit the growth between them."""
    result = StageResult()
    work = ctx.runs_dir / STAGE
    users, messages = scale(ctx.size.employees)
    sizes = [messages // 10, messages] if ctx.size.repeat > 1 else [messages]
    made = [_job(ctx, work, count, users) for count in sizes]
    jobs = [job for job, _ in made]
    run_round_robin(jobs, root=ctx.root, log=ctx.log)
    for job, folder in made:
        job.figure.note = _note(folder, job)
        (folder / "slack-export.zip").unlink(missing_ok=True)
        (folder / "interactions.csv").unlink(missing_ok=True)
    result.figures = [job.figure for job in jobs]
    if len(jobs) == 2:
        result.notes.append(_growth(jobs[0].figure, jobs[1].figure, sizes))
    result.notes.append("ingest export: `benchmarks/ingest_bench.py` (seed 1, 90 days, zip)")
    return result


def _growth(small: Figure, large: Figure, sizes: list[int]) -> str:
    """Time and memory growth from the smaller export to the larger."""
    a, b = small.median_seconds, large.median_seconds
    if not a or not b:
        return "ingest growth not measured"
    ratio = sizes[1] / sizes[0]
    memory = (large.peak_rss_bytes or 0) / max(small.peak_rss_bytes or 1, 1)
    return (
        f"ingest growth from {sizes[0]:,} to {sizes[1]:,} messages ({ratio:g}×): "
        f"time {b / a:.1f}×, peak memory {memory:.2f}×"
    )
