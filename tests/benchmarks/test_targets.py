"""The targets table (``benchmarks/targets.py``): one row per target, each checked somewhere."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.results import Target
from benchmarks.targets import BY_KEY, SIZE_CLASSES, TARGETS, at_least, at_most
from tests.benchmarks.runs import one


def test_every_row_is_well_formed() -> None:
    assert len(BY_KEY) == len(TARGETS)
    assert len({spec.name for spec in TARGETS}) == len(TARGETS)
    for spec in TARGETS:
        assert spec.sizes and set(spec.sizes) <= set(SIZE_CLASSES), spec.key
        assert spec.threshold >= 0 and spec.metric and spec.name, spec.key
    for a in TARGETS:  # a result's text names one row only
        assert not any(b.name.startswith(a.name) for b in TARGETS if b is not a), a.key


def test_rows_read_their_threshold_and_sizes_from_the_table() -> None:
    spec = BY_KEY["analyze-l-memory"]
    assert at_most(spec, 1.9, 100_000).met is True and at_most(spec, 2.1, 100_000).met is False
    assert at_most(spec, 9.0, 20_000).met is None  # L only
    assert at_most(spec, None, 100_000).measured == "not measured"
    legacy = Target(
        stage="analyze", target=spec.name + " (old file)", measured="", met=None, margin=""
    )
    assert spec.names(legacy) and not BY_KEY["analyze-l-time"].names(legacy)


def test_xl_rows_apply_from_a_million_people_only() -> None:
    time, quality = BY_KEY["analyze-xl-time"], BY_KEY["analyze-flag-quality"]
    assert at_most(time, 170.0, 1_000_000).met is True
    assert at_most(time, 190.0, 1_000_000).met is False
    assert at_most(time, 190.0, 100_000).met is None  # XL only
    assert at_most(BY_KEY["analyze-l-time"], 10.0, 1_000_000).met is None  # L only
    assert at_least(quality, 0.99, 2_000).met is True
    assert at_least(quality, 0.989, 1_000_000).met is False


def test_the_smoke_runs_report_every_row_of_their_stages(
    results: Path, assign_results: Path
) -> None:
    report = json.loads(one(assign_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    rows = report["targets"]
    for row in rows:
        spec = BY_KEY[row["key"]]
        assert row["target"].startswith(spec.name) and row["stage"] == spec.stage
        if not spec.applies(report["employees"]):
            assert row["met"] is None, row
    keys = {row["key"] for row in rows}
    for spec in TARGETS:
        if spec.stage in ("analyze", "assign") and "S" in spec.sizes:
            assert spec.key in keys, spec.key
