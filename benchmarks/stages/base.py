"""What a stage is given, what it returns, and how its workloads are repeated."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.errors import BenchmarkError
from benchmarks.measure import display_command, run_measured
from benchmarks.orgs import Log, OrgFiles
from benchmarks.results import Agreement, Figure, Outcome, Quality, Setup, StepTimes, Target
from benchmarks.sizes import Size


@dataclass(frozen=True)
class StageContext:
    """Everything a stage needs: where to work, on which org, with which budgets."""

    root: Path
    work_dir: Path
    size: Size
    org: OrgFiles
    fresh: bool
    networkx_budget: float
    stream_bytes: int
    log: Log

    @property
    def runs_dir(self) -> Path:
        """Scratch space of this org's workloads (outputs, logs)."""
        return self.work_dir / "runs" / self.org.directory.name


@dataclass
class StageResult:
    """The figures and tables one stage adds to the report."""

    figures: list[Figure] = field(default_factory=list)
    setup: list[Setup] = field(default_factory=list)
    steps: list[StepTimes] = field(default_factory=list)
    quality: list[Quality] = field(default_factory=list)
    agreement: list[Agreement] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(frozen=True)
class Stage:
    """A benchmark stage: ``run`` measures it; ``by_default`` says whether ``run`` includes it
    when ``--only`` is not given."""

    name: str
    description: str
    run: Callable[[StageContext], StageResult]
    by_default: Callable[[Size], bool]


@dataclass
class Job:
    """A workload run ``runs`` times; ``argv(k)`` is the command of run ``k``.

    The figure's ``command`` is run 0's; later runs differ at most in where a worker writes
    its per-run timings.
    """

    figure: Figure
    argv: Callable[[int], list[str]]
    runs: int
    log_dir: Path
    timed_inside: Callable[[int], float] | None = None
    """For a worker: reads the seconds run ``k`` measured around the work itself, which then
    replace the child's wall time (interpreter start-up and input reading excluded)."""
    may_fail: bool = False
    """A failed run (non-zero exit, e.g. killed for memory) is recorded in ``failure`` and the
    figure's note, and the job's later runs are skipped, instead of stopping the benchmark."""
    failure: str = ""


def make_job(
    figure_id: str,
    stage: str,
    label: str,
    argv: Callable[[int], list[str]],
    *,
    runs: int,
    log_dir: Path,
    root: Path,
    baselines: dict[str, str] | None = None,
    timed_inside: Callable[[int], float] | None = None,
    may_fail: bool = False,
) -> Job:
    """A :class:`Job` whose figure carries run 0's command."""
    figure = Figure(
        id=figure_id,
        stage=stage,
        label=label,
        command=display_command(argv(0), root),
        baselines=baselines or {},
    )
    return Job(
        figure=figure,
        argv=argv,
        runs=runs,
        log_dir=log_dir,
        timed_inside=timed_inside,
        may_fail=may_fail,
    )


def run_round_robin(jobs: list[Job], *, root: Path, log: Log) -> None:
    """Run every job ``runs`` times, interleaved (run 1 of each, then run 2 of each …).

    Interleaving spreads the machine's noise over all workloads, so same-run ratios are fair.
    Each figure gets every run's seconds and the largest peak memory of its runs.
    """
    rounds = max((job.runs for job in jobs), default=0)
    for k in range(rounds):
        for job in jobs:
            if k >= job.runs or job.failure:
                continue
            log(f"  [{k + 1}/{job.runs}] {job.figure.label}")
            try:
                measured = run_measured(job.argv(k), cwd=root, log_dir=job.log_dir / f"run-{k}")
            except BenchmarkError as exc:
                if not job.may_fail:
                    raise
                job.failure = f"run {k + 1} failed: {_first_line(str(exc))}"
                job.figure.note = "; ".join(filter(None, [job.figure.note, job.failure]))
                log(f"      {job.failure}")
                continue
            figure = job.figure
            figure.peak_rss_bytes = max(figure.peak_rss_bytes or 0, measured.peak_rss_bytes)
            figure.cpu_seconds.append(round(measured.cpu_seconds, 3))
            seconds = measured.seconds
            if job.timed_inside is not None:
                figure.process_seconds.append(round(seconds, 3))
                seconds = job.timed_inside(k)
            figure.seconds.append(round(seconds, 4))
            log(f"      {seconds:.2f} s, peak {measured.peak_rss_bytes / 2**30:.2f} GiB")


def _first_line(message: str) -> str:
    r"""A failed run's error in one line: the exit status (not the command, which the figure
    shows) and the error's last line (a traceback's exception), if any.

    >>> _first_line("exit status -9: /x/python -m cmd")
    'exit status -9 (killed by signal 9)'
    >>> _first_line("exit status 1: /x/python -m cmd\nTraceback\n  ...\nMemoryError")
    'exit status 1: MemoryError'
    """
    lines = [line for line in message.splitlines() if line.strip()]
    if not lines:
        return message
    status = lines[0].split(":", 1)[0]
    if status.startswith("exit status -"):
        status += f" (killed by signal {status.removeprefix('exit status -')})"
    if len(lines) == 1:
        return status
    return f"{status}: {lines[-1].strip()}"


def median_steps(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per-step median over runs.

    >>> median_steps([{"a": 1.0, "b": 5.0}, {"a": 3.0, "b": 1.0}, {"a": 2.0, "b": 2.0}])
    {'a': 2.0, 'b': 2.0}
    """
    names = list(runs[0]) if runs else []
    return {name: statistics.median(run[name] for run in runs) for name in names}
