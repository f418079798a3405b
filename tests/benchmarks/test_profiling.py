"""cProfile grouped by matcher function (``benchmarks/profiling.py``)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from benchmarks.profiling import MatcherProfile, format_rows, function_name, record
from benchmarks.stages.assign.outcomes import profile_steps
from matcher.analysis.metrics import pivots


def _work(n: int) -> int:
    return int(np.sort(pivots(n, 64, seed=1)).sum())  # a matcher function calling numpy


def test_profile_groups_matcher_functions_over_threads() -> None:
    profile = MatcherProfile()
    with profile.active():
        _work(5_000)
        with ThreadPoolExecutor(2) as pool:  # as compile_program runs its blocks
            list(pool.map(_work, [5_000] * 6))
    assert threading.gettrace() is None and threading._profile_hook is None  # type: ignore[attr-defined]
    rows = {row.function: row for row in profile.functions()}
    assert rows["matcher.analysis.metrics:pivots"].calls == 7  # the threads' calls are counted
    assert all(name.startswith("matcher.") and ":" in name for name in rows)
    for row in rows.values():
        assert 0 <= row.own <= row.cumulative + 1e-9


def test_own_time_includes_the_library_calls_a_function_makes() -> None:
    profile = MatcherProfile()
    with profile.active():
        pivots(2_000_000, 1_000_000, seed=0)  # the time is in numpy's choice and sort
    (row,) = [r for r in profile.functions() if r.function == "matcher.analysis.metrics:pivots"]
    assert row.own == pytest.approx(row.cumulative, rel=0.05)
    assert row.own > 0.005


def test_functions_outside_matcher_have_no_name() -> None:
    assert function_name((np.__file__, 1, "f")) is None
    assert function_name((threading.__file__, 1, "f")) is None


def test_record_keeps_the_top_rows_and_the_rest() -> None:
    profile = MatcherProfile()
    with profile.active():
        _work(1_000)
    found = record(profile.functions(), total=1.0, top=1)
    assert len(found["functions"]) == 1 and found["functions"][0][0].startswith("matcher.")
    assert "matcher." in format_rows(found) and "(outside matcher's functions)" in format_rows(
        found
    )
    median = profile_steps("flow: solve", "assign.flow.solve", [found, found])
    assert median.profile[0].function == found["functions"][0][0]
    assert median.steps["other"] == found["other"]
