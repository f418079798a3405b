"""Run a command as a child process and measure its wall time and peak memory.

Peak memory is the child's maximum resident set size as reported by ``wait4(2)`` for that
child alone (``ru_maxrss``), so no psutil and no ``/usr/bin/time`` are needed, and one run's
peak does not leak into the next (``RUSAGE_CHILDREN`` keeps a running maximum over all
children instead).
"""

from __future__ import annotations

import os
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import BenchmarkError

KIB = 1024


@dataclass(frozen=True)
class Measurement:
    """One run of a command: wall seconds, peak resident memory in bytes, and CPU seconds
    (user + system) of the child."""

    seconds: float
    peak_rss_bytes: int
    cpu_seconds: float = 0.0


def run_measured(argv: Sequence[str], *, cwd: Path, log_dir: Path) -> Measurement:
    """Run ``argv`` to completion and measure it.

    Parameters
    ----------
    argv : sequence of str
        The command; the first element is an executable path.
    cwd : Path
        Working directory of the child.
    log_dir : Path
        Where the child's ``stdout.txt`` and ``stderr.txt`` are written (overwritten).

    Returns
    -------
    Measurement

    Raises
    ------
    BenchmarkError
        When the command exits with a non-zero status (the message ends with its stderr).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
    if child.returncode != 0:
        tail = err_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise BenchmarkError(f"exit status {child.returncode}: {shlex.join(argv)}\n{tail}".rstrip())
    return Measurement(
        seconds=seconds,
        peak_rss_bytes=int(usage.ru_maxrss) * KIB,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


def matcher_command() -> list[str]:
    """How a user runs ``matcher``: the console script beside this Python, else ``-m``."""
    script = Path(sys.executable).with_name("matcher")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "matcher.cli"]


def analyze_command(employees: Path, interactions: Path, out: Path, *options: str) -> list[str]:
    """``matcher analyze`` of these files into ``out``, quiet, with ``options`` before
    ``--quiet`` (such as ``--seed 1``)."""
    return [
        *matcher_command(),
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(interactions),
        "--out",
        str(out),
        *options,
        "--quiet",
    ]


def python_command() -> list[str]:
    """This interpreter, for the harness's own worker commands (``-m benchmarks …``)."""
    return [sys.executable]


def shown_path(path: str | Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies under it, else unchanged.

    >>> shown_path("/r/w/o", Path("/r")), shown_path("/x", Path("/r")), shown_path("-q", Path("/r"))
    ('w/o', '/x', '-q')
    """
    candidate = Path(path)
    if candidate.is_absolute() and candidate.is_relative_to(root):
        return str(candidate.relative_to(root))
    return str(path)


def display_command(argv: Sequence[str], root: Path) -> str:
    """The command as a shell line, with paths under ``root`` made relative to it.

    >>> display_command(["/r/.venv/bin/matcher", "analyze", "--out", "/r/w/o", "/x"], Path("/r"))
    '.venv/bin/matcher analyze --out w/o /x'
    """
    return shlex.join(shown_path(arg, root) for arg in argv)


@dataclass(frozen=True)
class CpuSnapshot:
    """Busy CPU seconds of the whole machine and of this process's reaped children."""

    wall: float
    machine_busy: float | None
    children: float


def cpu_snapshot() -> CpuSnapshot:
    """Read ``/proc/stat`` (``None`` where it does not exist) and ``RUSAGE_CHILDREN``."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy: float | None = None
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()[1:]
    except OSError:
        fields = []
    if fields:
        ticks = [int(value) for value in fields]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        busy = (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    return CpuSnapshot(time.monotonic(), busy, usage.ru_utime + usage.ru_stime)


def background_cores(start: CpuSnapshot, end: CpuSnapshot) -> float | None:
    """Average number of cores that processes other than our children kept busy in between.

    A noisy-neighbour indicator: on a two-core machine, 1.0 means one core was taken by
    something else for the whole time.
    """
    wall = end.wall - start.wall
    if start.machine_busy is None or end.machine_busy is None or wall <= 0:
        return None
    ours = end.children - start.children
    return max(0.0, (end.machine_busy - start.machine_busy - ours) / wall)
