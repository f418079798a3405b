"""The ``stream`` stage: loading a ~2 GB interactions file is streamed.

The file is the org's ``interactions.csv`` repeated with every copy shifted one window further
into the past (and its event ids made distinct), so it stays a valid input: ``matcher analyze``
on it ignores the old copies (outside the 90-day window) after reading them, and must give the
same flags as on the original file. Each command is paired with the same command on the
original (1×) file, measured in the same run: a streamed reader's time grows with the file and
its peak memory does not.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

from benchmarks.measure import (
    analyze_command,
    display_command,
    matcher_command,
    python_command,
    run_measured,
    shown_path,
)
from benchmarks.results import Figure, Setup
from benchmarks.stages.base import Job, StageContext, StageResult, make_job, run_round_robin

STAGE = "stream"
SHIFT_DAYS = 91
"""Each copy is this many days earlier than the previous one: no overlap with a 90-day window."""
META = "stream.json"


def copies_needed(source_bytes: int, target_bytes: int) -> int:
    """How many copies of the source reach the target size (at least 2).

    >>> copies_needed(350, 2000), copies_needed(5000, 2000)
    (6, 2)
    """
    return max(2, math.ceil(target_bytes / max(source_bytes, 1)))


def write_repeated(source: Path, copies: int, out: Path) -> int:
    """Write ``copies`` time-shifted copies of an interactions CSV to ``out``; return its rows.

    Parameters
    ----------
    source : Path
        An interactions CSV with ISO 8601 timestamps of the form ``YYYY-MM-DDTHH:MM:SS…``.
    copies : int
        Copy ``k`` is shifted ``k × SHIFT_DAYS`` days into the past and its event ids are
        prefixed with ``c<k>-``.
    out : Path
        The file to write (via a temporary name, renamed when complete).

    Returns
    -------
    int
        Rows written.
    """
    # lazily: only the repeat-interactions worker needs pyarrow, and every worker imports
    # the stages (through the command line), so the others would carry it in their memory
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    with source.open(encoding="utf-8") as handle:
        names = [name.strip('"') for name in handle.readline().strip().split(",")]
    convert = pcsv.ConvertOptions(
        column_types={name: pa.string() for name in names}, strings_can_be_null=True
    )
    partial = out.with_name(out.name + ".partial")
    rows = 0
    writer: pcsv.CSVWriter | None = None
    try:
        for k in range(copies):
            shift = pa.scalar(dt.timedelta(days=k * SHIFT_DAYS), pa.duration("s"))
            for batch in pcsv.open_csv(source, convert_options=convert):
                stamp = batch.column("timestamp")
                when = pc.strptime(
                    pc.utf8_slice_codeunits(stamp, 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="s"
                )
                text = pc.strftime(pc.subtract(when, shift), format="%Y-%m-%dT%H:%M:%S")
                columns = {name: batch.column(name) for name in names}
                columns["timestamp"] = pc.binary_join_element_wise(
                    text, pc.utf8_slice_codeunits(stamp, 19, 64), ""
                )
                if "event_id" in columns:
                    columns["event_id"] = pc.binary_join_element_wise(
                        f"c{k}-", columns["event_id"], ""
                    )
                shifted = pa.record_batch(list(columns.values()), names=names)
                if writer is None:
                    writer = pcsv.CSVWriter(partial, shifted.schema)
                writer.write_batch(shifted)
                rows += shifted.num_rows
    finally:
        if writer is not None:
            writer.close()
    partial.replace(out)
    return rows


def _ensure_file(ctx: StageContext) -> tuple[Path, int, int, Setup]:
    """The large file (reused when present): path, copies, rows and how it was made."""
    source = ctx.org.interactions
    copies = copies_needed(source.stat().st_size, ctx.stream_bytes)
    folder = ctx.work_dir / f"stream-{ctx.org.directory.name}-x{copies}"
    path, meta = folder / "interactions.csv", folder / META
    argv = [
        *python_command(),
        "-m",
        "benchmarks",
        "repeat-interactions",
        "--source",
        str(source),
        "--copies",
        str(copies),
        "--out",
        str(path),
    ]
    what = f"write the {copies}× time-shifted interactions file"
    command = display_command(argv, ctx.root)
    if path.is_file() and meta.is_file() and not ctx.fresh:
        ctx.log(f"reusing {path}")
        rows = int(json.loads(meta.read_text(encoding="utf-8"))["rows"])
        return (
            path,
            copies,
            rows,
            Setup(what=what, command=command, seconds=None, peak_rss_bytes=None, reused=True),
        )
    ctx.log(f"writing {copies} shifted copies of {source.name} to {path}")
    folder.mkdir(parents=True, exist_ok=True)
    measured = run_measured(argv, cwd=ctx.root, log_dir=folder / "logs")
    rows = int(json.loads((folder / "logs" / "stdout.txt").read_text(encoding="utf-8"))["rows"])
    meta.write_text(json.dumps({"rows": rows, "copies": copies}) + "\n", encoding="utf-8")
    return (
        path,
        copies,
        rows,
        Setup(
            what=what,
            command=command,
            seconds=measured.seconds,
            peak_rss_bytes=measured.peak_rss_bytes,
            reused=False,
            measured_on=dt.date.today().isoformat(),
        ),
    )


def run(ctx: StageContext) -> StageResult:
    """Measure ``matcher validate`` and ``matcher analyze`` on the large file and on the 1× file."""
    result = StageResult()
    big, copies, rows, setup = _ensure_file(ctx)
    result.setup.append(setup)
    work = ctx.runs_dir / STAGE
    files = {"big": big, "one": ctx.org.interactions}
    label = {"big": f"the {copies}× file", "one": "the 1× file (baseline)"}
    jobs: list[Job] = []
    for command in ("validate", "analyze"):
        for which in ("big", "one"):
            jobs.append(_job(ctx, command, which, files[which], label[which], work))
    ctx.log(f"stream: {len(jobs)} workloads, {ctx.size.repeat} runs each")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)
    result.figures = [job.figure for job in jobs]
    size = big.stat().st_size
    for figure in result.figures:
        if figure.id.endswith(".big"):
            figure.note = _throughput(figure, size, rows)
    result.notes.append(
        f"{shown_path(big, ctx.root)}: {size / 1e9:.2f} GB, {rows:,} rows "
        f"({copies} copies of {ctx.org.info.interaction_rows:,} rows, each {SHIFT_DAYS} days earlier)"
    )
    result.notes.append(_same_flags(work))
    return result


def _job(
    ctx: StageContext, command: str, which: str, interactions: Path, label: str, work: Path
) -> Job:
    out_dir = work / f"{command}-{which}-out"
    if command == "validate":
        argv = [*matcher_command(), "validate", str(interactions), "--quiet"]
    else:
        argv = analyze_command(ctx.org.employees, interactions, out_dir)
    baselines = {"1× file": f"stream.{command}.one"} if which == "big" else {}
    return make_job(
        f"stream.{command}.{which}",
        STAGE,
        f"matcher {command} on {label}",
        lambda _k: argv,
        runs=ctx.size.repeat,
        log_dir=work / "logs" / f"{command}-{which}",
        root=ctx.root,
        baselines=baselines,
    )


def _throughput(figure: Figure, size: int, rows: int) -> str:
    seconds = figure.median_seconds or 0.0
    if seconds <= 0:
        return ""
    return (
        f"{size / 1e6 / seconds:,.0f} MB/s, {rows / 1e6 / seconds:.2f}M rows/s; "
        f"{size / 1e9:.2f} GB, {rows:,} rows"
    )


def _same_flags(work: Path) -> str:
    """Whether analyze gave the same flag counts on the large file as on the 1× file."""
    found = [
        json.loads((work / f"analyze-{which}-out" / "summary.json").read_text(encoding="utf-8"))
        for which in ("big", "one")
    ]
    flags = [summary["flags"] for summary in found]
    if flags[0] == flags[1]:
        return f"analyze gives the same flags on both files: {flags[0]}"
    return f"analyze flags differ: {flags[0]} on the large file, {flags[1]} on the 1× file"
