"""The benchmark stages, by name. ``--only`` accepts exactly these names.

To add a stage (``simulate``): write ``benchmarks/stages/<name>.py`` with a
``run(ctx: StageContext) -> StageResult`` that builds :class:`~benchmarks.stages.base.Job`
objects for the CLI commands and their same-run baselines (``make_job(..., baselines=…)``),
runs them with ``run_round_robin`` and returns the figures, quality rows and targets (rows of
:data:`benchmarks.targets.TARGETS`); then register it below. The runner, the result files and the README section need no change.

At XL (a million people, :func:`benchmarks.targets.size_class`) a stage runs by default only
once it has an XL plan: ``analyze`` branches to :func:`benchmarks.stages.analyze.run_xl`
(matcher alone, CSV and Parquet inputs: ``ctx.org.employees_parquet`` and
``ctx.org.interactions_parquet``); ``assign`` and ``evaluate`` run there only with ``--only``
until theirs exist (make ``by_default`` true at XL, branch on ``size_class`` in ``run``, and
add the XL rows to :data:`benchmarks.targets.TARGETS` with ``sizes=("XL",)``).
"""

from __future__ import annotations

from benchmarks.stages import analyze, assign, evaluate, ingest, simulate, stream
from benchmarks.stages.base import Stage, StageContext, StageResult
from benchmarks.targets import size_class

STAGES: dict[str, Stage] = {
    "analyze": Stage(
        name="analyze",
        description="matcher analyze end to end, against plain networkx and igraph",
        run=analyze.run,
        by_default=lambda _size: True,
    ),
    "stream": Stage(
        name="stream",
        description="validate and analyze a ~2 GB interactions file (needs disk)",
        run=stream.run,
        by_default=lambda size: size.stream,
    ),
    "assign": Stage(
        name="assign",
        description="matcher assign end to end, against the bare flow, LSA, networkx, "
        "mentor-match, greedy and random pairing",
        run=assign.run,
        by_default=lambda size: size_class(size.employees) != "XL",
    ),
    "evaluate": Stage(
        name="evaluate",
        description="matcher evaluate on the committed mentoring program (a) and the quarter "
        "after, with planted outcomes",
        run=evaluate.run,
        by_default=lambda size: size_class(size.employees) != "XL",
    ),
    "simulate": Stage(
        name="simulate",
        description="matcher simulate on a 20 variants × 4 quarters × 5 seeds grid of a "
        "5,000-person org, with 2 workers against 1",
        run=simulate.run,
        by_default=lambda size: size.label in ("S", "M"),
    ),
    "ingest": Stage(
        name="ingest",
        description="matcher ingest on a generated Slack export of 10 messages per employee "
        "(10M messages at 1,000,000 employees)",
        run=ingest.run,
        by_default=lambda size: size.employees >= 1_000_000,
    ),
}

__all__ = ["STAGES", "Stage", "StageContext", "StageResult"]
