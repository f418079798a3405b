"""The assign stage's plan: where it works, its instances, limits and run counts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.assign_instances import Instance
from benchmarks.stages.base import StageContext
from benchmarks.targets import L_EMPLOYEES, M_EMPLOYEES

STAGE = "assign"
GIB = 2**30
GAP_TOLERANCE = 1e-9
METHODS = {
    "bare-flow": "bare min-cost flow (OR-Tools SimpleMinCostFlow, all eligible arcs)",
    "greedy": "greedy by score",
    "random": "random pairing (coffee bot)",
    "lsa": "scipy linear_sum_assignment (dense)",
    "networkx": "networkx max_weight_matching",
    "mentor-match": "mentor-match (PyPI) with munkres",
}
FIGURE_NAMES = {
    "bare-flow": "bare",
    "greedy": "greedy",
    "random": "random",
    "lsa": "lsa",
    "networkx": "networkx",
    "mentor-match": "mentor_match",
}
SEPARATE_INPROCESS_FROM = M_EMPLOYEES
"""From this head count on, each instance's in-process run has a child of its own (its peak
memory is then its own, and one killed for memory does not take the others along); below it,
one child runs all four (the smoke test at XS stays quick)."""
BASELINE_RUNS = {"bare-flow": 1, "networkx": 1, "mentor-match": 1}
"""Runs of slow or memory-hungry baselines; the others run :func:`runs` times from M on, and
once below M."""
MAX_RUNS = 3
"""Runs of each workload at most: a CLI run at S is mostly Python start-up, and three keep
``run --size S`` (analyze and assign) under three minutes."""
SMALL_LADDER_BUDGET = 20.0
"""Seconds per networkx or mentor-match ladder below M (``--networkx-budget`` from M on): keeps
``run --size S`` under three minutes; the figures that matter are M's and L's."""
MENTOR_MATCH_BUDGET_SHARE = 0.5
"""mentor-match's share of ``--networkx-budget`` per instance (networkx gets all of it, as the
issue asks): a secondary baseline, twice per run."""


def runs(ctx: StageContext) -> int:
    """Runs of each repeated workload: the size's ``repeat``, at most :data:`MAX_RUNS`."""
    return min(ctx.size.repeat, MAX_RUNS)


@dataclass(frozen=True)
class Plan:
    """Where the stage works and with which limits."""

    work: Path
    instances: dict[str, Instance]
    time_limit: float
    arcs_dir: Path
    results_dir: Path

    def arcs(self, variant: str) -> Path:
        return self.arcs_dir / f"{variant}.npz"


def time_limit(employees: int) -> float:
    """``--time-limit`` of the runs: the side-constraint targets allow 120 s at L (20k × 5k)
    and 30 s at M (2k × 500); the solver gets most of it."""
    return 90.0 if employees >= L_EMPLOYEES else 20.0
