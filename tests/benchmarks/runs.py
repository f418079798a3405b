"""What the benchmark tests share: running ``python -m benchmarks`` and finding its files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

FIGURES = {
    "analyze.cli",
    "analyze.metrics.matcher",
    "analyze.metrics.networkx",
    "analyze.metrics.igraph",
    "analyze.pipeline.networkx",
    "analyze.pipeline.igraph",
    "stream.validate.big",
    "stream.validate.one",
    "stream.analyze.big",
    "stream.analyze.one",
}
REPORT_KEYS = {
    "schema_version",
    "date",
    "size",
    "employees",
    "seed",
    "repeat",
    "stages",
    "invocation",
    "machine",
    "org",
    "setup",
    "figures",
    "ratios",
    "steps",
    "quality",
    "agreement",
    "targets",
    "notes",
    "outcomes",
    "stage_notes",
    "earlier",
}
ASSIGN_VARIANTS = ("flow", "team_cap", "min_load", "one_to_one")
ASSIGN_FIGURES = {
    *(f"assign.{v}.cli" for v in ASSIGN_VARIANTS),
    "assign.flow.cli_saved",
    *(f"assign.{v}.solve" for v in ASSIGN_VARIANTS),
    "assign.flow-team_cap-min_load-one_to_one.inprocess",
    "assign.flow.bare",
    "assign.flow.greedy",
    "assign.flow.random",
    "assign.flow.mentor_match",
    "assign.one_to_one.lsa",
    "assign.one_to_one.networkx",
    "assign.one_to_one.mentor_match",
    "assign.one_to_one.greedy",
    "assign.one_to_one.random",
}


def benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def one(folder: Path, pattern: str) -> Path:
    found = list(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]
