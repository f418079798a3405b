"""Where a library call spends its time, by matcher function: ``cProfile``, grouped.

:class:`MatcherProfile` runs ``cProfile`` around a call, in the calling thread and in every
thread started meanwhile (``compile_program`` runs its blocks on a thread pool), and folds the
statistics into one row per function defined under ``matcher/``, named ``module:function``.
Nothing is named in advance, so nothing drops silently when code moves between modules.

Each row has the function's calls, its *cumulative* time (everything under it, as cProfile
reports) and its *own* time: cProfile's own time plus the cumulative time of the non-matcher
functions it calls directly (numpy, scipy, OR-Tools …), so that a function whose work happens
inside a library is not shown as free. The own times of all rows are disjoint and add up to
the profiled time, less what ran outside matcher's functions (``other``); a library that
calls back into matcher (a key function, say) counts that time twice. Times of threads are
summed: they can exceed the call's wall time.

Written for Python 3.11 (the project's), where a ``cProfile.Profile`` sees only the thread that
enabled it, hence one per thread via ``threading.setprofile``. From 3.12 cProfile is built on
``sys.monitoring`` and sees every thread from one profiler: revisit :class:`MatcherProfile`
then (``tests/benchmarks/test_profiling.py`` checks the threads' calls are counted).
"""

from __future__ import annotations

import cProfile
import pstats
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import matcher

PACKAGE = Path(matcher.__file__).resolve().parent
TOP = 12
"""Rows kept per profiled call (by own time) in the result files."""
OTHER = "other"

FunctionKey = tuple[str, int, str]
"""cProfile's key of a function: (file, first line, name)."""


@dataclass(frozen=True)
class FunctionTime:
    """One matcher function's share of a profiled call."""

    function: str
    calls: int
    own: float
    cumulative: float


def function_name(key: FunctionKey, package: Path = PACKAGE) -> str | None:
    """``module:function`` for a function defined under ``package``, else ``None``.

    >>> root = Path("/src/matcher")
    >>> function_name(("/src/matcher/assignment/solve/flow.py", 10, "_run_flow"), root)
    'matcher.assignment.solve.flow:_run_flow'
    >>> function_name(("/src/matcher/analysis/__init__.py", 1, "analyze"), root)
    'matcher.analysis:analyze'
    >>> function_name(("~", 0, "<built-in method numpy.zeros>"), root) is None
    True
    """
    filename, _, name = key
    path = Path(filename)
    if path.suffix != ".py" or not path.is_absolute() or not path.is_relative_to(package):
        return None
    parts = [package.name, *path.relative_to(package).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return f"{'.'.join(parts)}:{name}"


def group(stats: dict[FunctionKey, Any], package: Path = PACKAGE) -> list[FunctionTime]:
    """Fold ``pstats.Stats.stats`` into one row per matcher function, largest own time first.

    ``stats`` maps a function to ``(primitive calls, calls, own, cumulative, callers)``, where
    ``callers`` maps each caller to the same four numbers for the calls it made.

    >>> root = Path("/src/matcher")
    >>> f, g = ("/src/matcher/a.py", 1, "f"), ("/src/matcher/b.py", 1, "g")
    >>> lib = ("/lib/numpy.py", 1, "sum")
    >>> stats = {
    ...     f: (1, 1, 0.1, 3.0, {}),
    ...     g: (2, 2, 0.5, 1.0, {f: (2, 2, 0.5, 1.0)}),
    ...     lib: (3, 3, 1.5, 1.5, {f: (1, 1, 1.4, 1.4), g: (2, 2, 0.1, 0.1)}),
    ... }
    >>> for row in group(stats, root):
    ...     print(row.function, row.calls, round(row.own, 2), row.cumulative)
    matcher.a:f 1 1.5 3.0
    matcher.b:g 2 0.6 1.0
    """
    names = {key: function_name(key, package) for key in stats}
    rows: dict[str, list[float]] = {}
    for key, (_, calls, own, cumulative, _) in stats.items():
        name = names[key]
        if name is not None:
            row = rows.setdefault(name, [0, 0.0, 0.0])
            row[0] += calls
            row[1] += own
            row[2] += cumulative
    for key, (*_, callers) in stats.items():
        if names[key] is not None:
            continue
        for caller, (_, _, _, cumulative) in callers.items():
            name = names.get(caller) or function_name(caller, package)
            if name is not None:  # a library call made by a matcher function: its own time
                rows.setdefault(name, [0, 0.0, 0.0])[1] += cumulative
    found = [FunctionTime(name, int(c), own, cum) for name, (c, own, cum) in rows.items()]
    return sorted(found, key=lambda row: (-row.own, row.function))


class MatcherProfile:
    """``cProfile`` of a block, in its thread and in the threads started while it runs."""

    def __init__(self) -> None:
        self._profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _start_in_thread(self, frame: FrameType, event: str, arg: Any) -> None:
        # installed by threading.setprofile in each new thread, called at its first event:
        # enabling a profiler replaces this hook for that thread
        profile = cProfile.Profile()
        with self._lock:
            self._profiles.append(profile)
        profile.enable()

    @contextmanager
    def active(self) -> Iterator[MatcherProfile]:
        """Profile the block (not re-entrant)."""
        main = cProfile.Profile()
        self._profiles.append(main)
        threading.setprofile(self._start_in_thread)
        main.enable()
        try:
            yield self
        finally:
            main.disable()
            threading.setprofile(None)

    def functions(self) -> list[FunctionTime]:
        """Every matcher function the block ran, summed over threads, largest own time first."""
        stats = pstats.Stats(self._profiles[0])
        for profile in self._profiles[1:]:
            stats.add(profile)
        return group(stats.stats)  # type: ignore[attr-defined]


def record(functions: list[FunctionTime], total: float, top: int = TOP) -> dict[str, Any]:
    """The JSON record of a profiled call: the ``top`` rows by own time, and ``other``.

    >>> rows = [FunctionTime("m:a", 1, 0.5, 0.9), FunctionTime("m:b", 2, 0.25, 0.25)]
    >>> record(rows, 1.0, top=1)
    {'total': 1.0, 'functions': [['m:a', 1, 0.5, 0.9]], 'rest': 0.25, 'other': 0.25}
    """
    shown = functions[:top]
    return {
        "total": round(total, 4),
        "functions": [
            [f.function, f.calls, round(f.own, 4), round(f.cumulative, 4)] for f in shown
        ],
        "rest": round(sum(f.own for f in functions[top:]), 4),
        OTHER: round(max(total - sum(f.own for f in functions), 0.0), 4),
    }


def format_rows(profile: dict[str, Any]) -> str:
    """A profiled call's record as text: one row per function, for a log or a terminal.

    >>> print(format_rows({"total": 1.0, "functions": [["m:a", 1, 0.5, 0.9]],
    ...                    "rest": 0.25, "other": 0.25}))
          own s   cumul. s    calls  function
          0.500      0.900        1  m:a
          0.250                      (other matcher functions)
          0.250                      (outside matcher's functions)
    """
    lines = [f"{'own s':>11} {'cumul. s':>10} {'calls':>8}  function"]
    for name, calls, own, cumulative in profile["functions"]:
        lines.append(f"{own:>11.3f} {cumulative:>10.3f} {calls:>8}  {name}")
    lines.append(f"{profile['rest']:>11.3f} {'':>10} {'':>8}  (other matcher functions)")
    lines.append(f"{profile[OTHER]:>11.3f} {'':>10} {'':>8}  (outside matcher's functions)")
    return "\n".join(lines)
