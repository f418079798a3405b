"""One benchmark run: generate or reuse the org, run the stages, write the result files."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from benchmarks.growth import growth
from benchmarks.markdown import render_report
from benchmarks.measure import background_cores, cpu_snapshot
from benchmarks.orgs import Log, ensure_org
from benchmarks.results import (
    Report,
    compute_ratios,
    load_report,
    merge_reports,
    result_path,
    write_report,
)
from benchmarks.sizes import PUBLIC_SIZES, Size
from benchmarks.stages import STAGES, StageContext, StageResult

LIBRARIES = (
    "networkx",
    "igraph",
    "networkit",
    "scipy",
    "numpy",
    "pyarrow",
    "ortools",
    "mentor-match",
    "munkres",
)


@dataclass(frozen=True)
class RunOptions:
    """What ``python -m benchmarks run`` was asked to do."""

    size: Size
    seed: int
    only: tuple[str, ...]
    fresh: bool
    results_dir: Path
    work_dir: Path
    networkx_budget: float
    stream_bytes: int
    invocation: str


def selected_stages(options: RunOptions) -> list[str]:
    """The ``--only`` stages, else every stage that runs by default at this size."""
    if options.only:
        return [name for name in STAGES if name in options.only]
    return [name for name, stage in STAGES.items() if stage.by_default(options.size)]


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def machine_info(root: Path) -> dict[str, str]:
    """CPUs, memory, platform, Python and library versions, and the checked-out commit."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    commit = _git(root, "rev-parse", "--short", "HEAD") or "unknown"
    if _git(root, "status", "--porcelain", "--untracked-files=no"):
        commit += " with uncommitted changes"
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpus": str(os.cpu_count()),
        "memory": f"{memory / 2**30:.1f} GiB",
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "commit": commit,
        "libraries": ", ".join(versions),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
    }


def _merge(report: Report, name: str, result: StageResult) -> None:
    for step in result.setup:
        step.stage = step.stage or name
    report.setup += result.setup
    report.figures += result.figures
    report.steps += result.steps
    report.quality += result.quality
    report.agreement += result.agreement
    report.targets += result.targets
    report.outcomes += result.outcomes
    if result.notes:
        report.stage_notes.setdefault(name, []).extend(result.notes)


def run_benchmarks(options: RunOptions, *, root: Path, log: Log) -> tuple[Path, Path]:
    """Run the selected stages and write ``<date>-<size>.json`` and ``.md``.

    When that file already exists (an earlier run the same day, same size and seed), the
    stages it holds that this run did not measure are kept: ``--only assign`` adds to the
    day's analyze figures instead of replacing them.

    Parameters
    ----------
    options : RunOptions
    root : Path
        The repository root: the working directory of every command, and where shown paths
        are relative to.
    log : callable
        Progress messages.

    Returns
    -------
    (Path, Path)
        The JSON and Markdown files written.
    """
    stages = selected_stages(options)
    org = ensure_org(
        options.work_dir,
        options.size.employees,
        options.seed,
        fresh=options.fresh,
        root=root,
        log=log,
    )
    ctx = StageContext(
        root=root,
        work_dir=options.work_dir,
        size=options.size,
        org=org,
        fresh=options.fresh,
        networkx_budget=options.networkx_budget,
        stream_bytes=options.stream_bytes,
        log=log,
    )
    report = Report(
        date=dt.date.today().isoformat(),
        size=options.size.label,
        employees=options.size.employees,
        seed=options.seed,
        repeat=options.size.repeat,
        stages=stages,
        invocation=options.invocation,
        machine=machine_info(root),
        org=org.info,
        setup=[org.generate],
    )
    started = cpu_snapshot()
    for name in stages:
        log(f"== stage {name}: {STAGES[name].description}")
        _merge(report, name, STAGES[name].run(ctx))
    others = background_cores(started, cpu_snapshot())
    if others is not None:
        report.machine["background_load"] = f"{others:.2f} cores"
        report.notes.append(
            f"other processes kept {others:.2f} of the {os.cpu_count()} cores busy on average "
            "during the stages (machine busy time minus this run's child processes)"
        )
    report.ratios = compute_ratios(report.figures)
    json_path = result_path(options.results_dir, report.date, report.size, "json")
    md_path = result_path(options.results_dir, report.date, report.size, "md")
    if json_path.is_file():
        try:
            earlier = load_report(json_path)
        except ValueError as exc:  # pydantic's ValidationError, or not JSON at all
            log(f"not merging with {json_path}, which cannot be read: {exc}")
        else:
            report = merge_reports(earlier, report, list(STAGES))
            if report.earlier:
                log(f"kept the stages {', '.join(report.earlier[-1].stages)} of {json_path}")
    write_report(report, json_path)
    md_path.write_text(render_report(report) + growth_section(options.results_dir), "utf-8")
    return json_path, md_path


def growth_section(results_dir: Path) -> str:
    """The growth of the main figures over the newest results of every size, as Markdown."""
    fitted = growth([report for _, report in newest_reports(results_dir)])
    if not fitted:
        return ""
    lines = "\n".join(f"- {g.text()}" for g in fitted)
    return (
        "\n## Growth with size (newest result of each size)\n\n"
        "Time ∝ employees^k, k the least-squares slope on log-log (`benchmarks/growth.py`).\n\n"
        f"{lines}\n"
    )


def newest_reports(results_dir: Path) -> list[tuple[list[Path], Report]]:
    """Each public size's newest results, stage by stage, smallest size first.

    The result files of a size are folded oldest to newest with :func:`merge_reports`, so a
    stage keeps its newest measurement even when a later day's run measured other stages only
    (``--only assign`` on another day does not hide the analyze figures). Files that cannot
    be read are skipped. Returns, per size, the files that still contribute and the report.
    """
    found: list[tuple[list[Path], Report]] = []
    order = list(STAGES)
    for size in PUBLIC_SIZES:
        combined: Report | None = None
        owner: dict[str, Path] = {}
        for path in sorted(results_dir.glob(f"????-??-??-{size}.json")):
            try:
                report = load_report(path)
            except ValueError:
                continue
            if combined is not None:
                report = merge_reports(combined, report, order)
            # a stage belongs to the file that measured it last: this one for its own stages
            owner = {stage: owner.get(stage, path) for stage in report.stages}
            owner.update(dict.fromkeys(_own_stages(report), path))
            combined = report
        if combined is not None:
            found.append((sorted(set(owner.values())), combined))
    return found


def _own_stages(report: Report) -> list[str]:
    """The stages a report's own run measured (not kept from an earlier run)."""
    kept = {stage for run in report.earlier for stage in run.stages}
    return [stage for stage in report.stages if stage not in kept]
