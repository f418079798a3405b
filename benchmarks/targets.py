"""The performance targets, as one data table, and how a measurement meets or misses one.

:data:`TARGETS` lists every target: the stage that measures it, the sizes where it is checked,
what is measured, the comparison and its threshold. The stages compute each row's measurement
with the checks below (which take their threshold, name and sizes from the table); the pages
(:mod:`benchmarks.markdown`, :mod:`benchmarks.performance`) print each row met or missed, and
a row the results do not hold is printed "not measured", never dropped.

A result file names a target by its text (``Target.target``), which starts with the row's
:attr:`TargetSpec.name` (a stage may add a scope, e.g. ``(here 1,000 × 197)``); newer files
also store the row's ``key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from benchmarks.results import Figure, Target

NOT_HERE = "not applicable at this size"
SizeClass = Literal["S", "M", "L", "XL"]
ALL: tuple[SizeClass, ...] = ("S", "M", "L")
SIZE_CLASSES: tuple[SizeClass, ...] = ("S", "M", "L", "XL")
M_EMPLOYEES, L_EMPLOYEES, XL_EMPLOYEES = 20_000, 100_000, 1_000_000
Comparison = Literal[
    "at_most",
    "at_least",
    "speedup_at_least",
    "time_ratio_at_most",
    "gap_at_most",
    "proven_optimal",
    "equal_objective",
    "coverage_at_least",
    "flagged_covered",
]


@dataclass(frozen=True)
class TargetSpec:
    """One performance target.

    Attributes
    ----------
    key : str
        Stable identifier (stored in the result files).
    stage : str
        The stage that measures it.
    sizes : tuple of str
        Size classes where it is checked (:func:`size_class`); elsewhere its measurement is
        shown as not applicable.
    metric : str
        What is measured, naming the figures it reads.
    comparison : str
        How the measurement is compared with ``threshold``.
    threshold : float
        The limit (seconds, GiB, a factor, a share), in ``unit``.
    unit : str
    name : str
        The target as printed; a result's target text starts with it.
    """

    key: str
    stage: str
    sizes: tuple[SizeClass, ...]
    metric: str
    comparison: Comparison
    threshold: float
    unit: str
    name: str

    @property
    def short(self) -> str:
        """The name without the comparison's explanation.

        >>> BY_KEY["analyze-igraph-e2e"].short
        'not slower than the igraph pipeline [end to end]'
        """
        name, _, kind = self.name.partition(" [")
        return f"{name} [{kind.split(':')[0]}]" if kind else name

    def applies(self, employees: int) -> bool:
        """Whether the target is checked on an org of this head count."""
        return size_class(employees) in self.sizes

    def names(self, target: Target) -> bool:
        """Whether a result's target row is this target."""
        return target.key == self.key if target.key else target.target.startswith(self.name)


def size_class(employees: int) -> SizeClass:
    """The size a head count stands for: ``XL`` from 1,000,000, ``L`` from 100,000, ``M`` from
    20,000, else ``S``.

    >>> size_class(300), size_class(20_000), size_class(100_000), size_class(1_000_000)
    ('S', 'M', 'L', 'XL')
    """
    if employees >= XL_EMPLOYEES:
        return "XL"
    if employees >= L_EMPLOYEES:
        return "L"
    return "M" if employees >= M_EMPLOYEES else "S"


_E2E = "end to end: the CLI run against the same work by hand, CSV files to per-person CSV"
_LIKE = "like for like: metric set against metric set, same edge lists"
_TEAM_CAP = "+ max_same_team_per_provider = 1"
_MIN_LOAD = "+ per-team cap and capacity.min = 1"


def _side(
    size: SizeClass, variant: str, what: str, gap: float, seconds: float
) -> tuple[TargetSpec, ...]:
    named = "20k × 5k" if size == "L" else "2k × 500"
    figure = f"assign.{variant}.cli"
    return (
        TargetSpec(
            f"assign-{variant}-gap-{size}",
            "assign",
            (size,),
            f"worst certified gap over the runs of {figure} (`--json`)",
            "gap_at_most",
            gap,
            "",
            f"side constraints {named}, {what}: certified gap ≤ {gap:.1%}",
        ),
        TargetSpec(
            f"assign-{variant}-time-{size}",
            "assign",
            (size,),
            f"median wall time of {figure}",
            "at_most",
            seconds,
            "s",
            f"side constraints {named}, {what}: ≤ {seconds:.0f} s end to end",
        ),
    )


def _flagged(variant: str, letter: str) -> TargetSpec:
    return TargetSpec(
        f"assign-{variant}-flagged",
        "assign",
        ALL,
        f"flagged seekers covered by assign.{variant}.cli against the most any solution covers",
        "flagged_covered",
        1.0,
        "share",
        f"100% of flagged seekers covered whenever supply allows: ({letter})",
    )


TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec(
        "analyze-l-time",
        "analyze",
        ("L",),
        "median wall time of analyze.cli",
        "at_most",
        15.0,
        "s",
        "analyze L end to end ≤ 15 s",
    ),
    TargetSpec(
        "analyze-l-memory",
        "analyze",
        ("L",),
        "peak memory of analyze.cli",
        "at_most",
        2.0,
        "GiB",
        "analyze L peak memory ≤ 2 GiB",
    ),
    TargetSpec(
        "analyze-xl-time",
        "analyze",
        ("XL",),
        "wall time of analyze.cli (CSV files) and analyze.cli.parquet (Parquet files)",
        "at_most",
        180.0,
        "s",
        "analyze XL end to end ≤ 3 min",
    ),
    TargetSpec(
        "analyze-xl-memory",
        "analyze",
        ("XL",),
        "peak memory of analyze.cli (CSV files) and analyze.cli.parquet (Parquet files)",
        "at_most",
        12.0,
        "GiB",
        "analyze XL peak memory ≤ 12 GiB",
    ),
    TargetSpec(
        "analyze-flag-quality",
        "analyze",
        SIZE_CLASSES,
        "the smallest precision and recall of isolated, peripheral and siloed teams against "
        "the planted truth (analysis.csv and teams.csv of analyze.cli)",
        "at_least",
        0.99,
        "",
        "flags recover the planted truth: precision and recall ≥ 0.99",
    ),
    TargetSpec(
        "analyze-networkx-e2e",
        "analyze",
        ("M", "L"),
        "analyze.pipeline.networkx ÷ analyze.cli (median wall times)",
        "speedup_at_least",
        10.0,
        "×",
        f"≥ 10× faster than the plain-networkx pipeline (M and L) [{_E2E}]",
    ),
    TargetSpec(
        "analyze-networkx-metrics",
        "analyze",
        ("M", "L"),
        "analyze.metrics.networkx ÷ analyze.metrics.matcher (median times inside the workers)",
        "speedup_at_least",
        10.0,
        "×",
        f"≥ 10× faster than the plain-networkx pipeline (M and L) [{_LIKE}]",
    ),
    TargetSpec(
        "analyze-igraph-e2e",
        "analyze",
        ALL,
        "analyze.cli ÷ analyze.pipeline.igraph (median wall times)",
        "time_ratio_at_most",
        1.0,
        "×",
        f"not slower than the igraph pipeline [{_E2E}]",
    ),
    TargetSpec(
        "analyze-igraph-metrics",
        "analyze",
        ALL,
        "analyze.metrics.matcher ÷ analyze.metrics.igraph (median times inside the workers)",
        "time_ratio_at_most",
        1.0,
        "×",
        f"not slower than the igraph pipeline [{_LIKE}]",
    ),
    TargetSpec(
        "assign-flow-optimal",
        "assign",
        ALL,
        "status, gap and bound scope of every run of assign.flow.cli (`--json`)",
        "proven_optimal",
        0.0,
        "",
        "assign flow structure: proven optimum (gap 0, bound over all eligible pairs)",
    ),
    TargetSpec(
        "assign-flow-time",
        "assign",
        ("L",),
        "median wall time of assign.flow.cli",
        "at_most",
        30.0,
        "s",
        "assign flow structure 20k × 5k ≤ 30 s end to end, analysing again",
    ),
    TargetSpec(
        "assign-flow-time-saved",
        "assign",
        ("L",),
        "median wall time of assign.flow.cli_saved",
        "at_most",
        30.0,
        "s",
        "assign flow structure 20k × 5k ≤ 30 s end to end, from the saved analysis, "
        "`assign --analysis`",
    ),
    TargetSpec(
        "assign-flow-bare-e2e",
        "assign",
        ("L",),
        "assign.flow.cli ÷ assign.flow.bare (median times)",
        "time_ratio_at_most",
        3.0,
        "×",
        "≤ 3× the bare flow solve [end to end: the CLI run against the bare flow solve]",
    ),
    TargetSpec(
        "assign-flow-bare-solve",
        "assign",
        ("L",),
        "assign.flow.solve ÷ assign.flow.bare (median times)",
        "time_ratio_at_most",
        3.0,
        "×",
        "≤ 3× the bare flow solve [like for like: matcher's solve against the bare flow solve]",
    ),
    *_side("M", "team_cap", _TEAM_CAP, 0.005, 30.0),
    *_side("M", "min_load", _MIN_LOAD, 0.005, 30.0),
    *_side("L", "team_cap", _TEAM_CAP, 0.01, 120.0),
    *_side("L", "min_load", _MIN_LOAD, 0.01, 120.0),
    TargetSpec(
        "assign-one_to_one-lsa",
        "assign",
        ALL,
        "pairs and objective of assign.one_to_one.cli and of assign.one_to_one.lsa",
        "equal_objective",
        1e-6,
        "per pair",
        "objective = linear_sum_assignment on 1:1",
    ),
    TargetSpec(
        "assign-flow-coverage",
        "assign",
        ALL,
        "seekers covered by assign.flow.cli and by each baseline on (a)",
        "coverage_at_least",
        0.0,
        "seekers",
        "coverage ≥ every baseline: (a)",
    ),
    TargetSpec(
        "assign-one_to_one-coverage",
        "assign",
        ALL,
        "seekers covered by assign.one_to_one.cli and by each baseline on (d)",
        "coverage_at_least",
        0.0,
        "seekers",
        "coverage ≥ every baseline: (d)",
    ),
    _flagged("flow", "a"),
    _flagged("team_cap", "b"),
    _flagged("min_load", "c"),
    _flagged("one_to_one", "d"),
    TargetSpec(
        "simulate-grid-time",
        "simulate",
        ("M", "L"),
        "wall time of simulate.parallel (the full grid, 2 workers)",
        "at_most",
        600.0,
        "s",
        "20 variants × 4 quarters × 5 seeds, 5k org, ≤ 10 min",
    ),
    TargetSpec(
        "simulate-speedup",
        "simulate",
        ("M", "L"),
        "simulate.serial ÷ simulate.parallel (wall times)",
        "speedup_at_least",
        1.7,
        "×",
        "≥ 1.7× speed-up from 2 cores",
    ),
    TargetSpec(
        "evaluate-l-time",
        "evaluate",
        ("L",),
        "median wall time of evaluate.cli",
        "at_most",
        60.0,
        "s",
        "evaluate L (20k × 5k committed pairs) end to end ≤ 60 s",
    ),
    TargetSpec(
        "certify-share",
        "certify",
        ALL,
        "certify_flow's time ÷ the solve's, `python -m benchmarks certify`",
        "at_most",
        0.10,
        "share",
        "certificate ≤ 10% of the solve",
    ),
    TargetSpec(
        "simulate-grid-2min",
        "simulate",
        ("M", "L"),
        "wall time of simulate.parallel (the full grid, 2 workers)",
        "at_most",
        120.0,
        "s",
        "20 variants × 4 quarters × 5 seeds, 5k org, 2 workers ≤ 2 min",
    ),
)
"""Every target, in the order the pages print them."""

BY_KEY = {spec.key: spec for spec in TARGETS}


def not_measured(spec: TargetSpec, detail: str = "") -> Target:
    """A row of ``spec`` without a measurement."""
    return Target(
        stage=spec.stage,
        key=spec.key,
        target=spec.name + detail,
        measured="not measured",
        met=None,
        margin="",
    )


def verdict(
    spec: TargetSpec, detail: str, measured: str, met: bool, margin: str, employees: int
) -> Target:
    """A measured row of ``spec``: met or missed where it applies, else not applicable."""
    applies = spec.applies(employees)
    return Target(
        stage=spec.stage,
        key=spec.key,
        target=spec.name + detail,
        measured=measured,
        met=met if applies else None,
        margin=margin if applies else NOT_HERE,
    )


def at_most(spec: TargetSpec, measured: float | None, employees: int, detail: str = "") -> Target:
    """``measured ≤ spec.threshold`` (in ``spec.unit``).

    >>> spec = BY_KEY["analyze-l-time"]
    >>> at_most(spec, 12.0, 100_000).margin
    'met: 3 s under the limit (20%)'
    >>> at_most(spec, 18.0, 100_000, " (here)").target, at_most(spec, 18.0, 100_000).margin
    ('analyze L end to end ≤ 15 s (here)', 'missed: 3 s over the limit (20%)')
    >>> at_most(spec, 18.0, 2_000).margin
    'not applicable at this size'
    """
    if measured is None:
        return not_measured(spec, detail)
    unit, limit = spec.unit, spec.threshold
    gap = limit - measured
    met = gap >= 0
    word = "under" if met else "over"
    margin = (
        f"{'met' if met else 'missed'}: {abs(gap):.3g} {unit} {word} the limit "
        f"({abs(gap) / limit:.0%})"
    )
    return verdict(spec, detail, f"{measured:.3g} {unit}", met, margin, employees)


def at_least(spec: TargetSpec, measured: float | None, employees: int, detail: str = "") -> Target:
    """``measured ≥ spec.threshold`` (a share, a count).

    >>> spec = BY_KEY["analyze-flag-quality"]
    >>> at_least(spec, 0.995, 1_000_000).margin, at_least(spec, 0.9, 2_000).met
    ('met: 0.005 above the floor', False)
    """
    if measured is None:
        return not_measured(spec, detail)
    gap = measured - spec.threshold
    met = gap >= 0
    margin = f"{'met' if met else 'missed'}: {abs(gap):.3g} {'above' if met else 'below'} the floor"
    unit = f" {spec.unit}" if spec.unit else ""
    return verdict(spec, detail, f"{measured:.4g}{unit}", met, margin, employees)


def _times(ours: Figure, theirs: Figure) -> tuple[float, float] | None:
    a, b = ours.median_seconds, theirs.median_seconds
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a, b


def speedup_at_least(
    spec: TargetSpec, ours: Figure, theirs: Figure, employees: int, detail: str = ""
) -> Target:
    """``theirs / ours ≥ spec.threshold``: that many times faster than the baseline.

    >>> a = Figure(id="x.cli", stage="x", label="a", command="a", seconds=[2.0])
    >>> b = Figure(id="x.b", stage="x", label="b", command="b", estimate_seconds=30.0)
    >>> t = speedup_at_least(BY_KEY["analyze-networkx-e2e"], a, b, 20_000)
    >>> t.margin, t.measured
    ('met: 1.5× the required speed-up', '15.0× faster (2 s vs 30 s) (baseline estimated)')
    """
    times = _times(ours, theirs)
    if times is None:
        return not_measured(spec, detail)
    speedup = times[1] / times[0]
    estimated = " (baseline estimated)" if theirs.estimated else ""
    pace = f"{speedup:.1f}× faster" if speedup >= 1 else f"{1 / speedup:.1f}× slower"
    shown = f"{pace} ({times[0]:.3g} s vs {times[1]:.3g} s){estimated}"
    factor = spec.threshold
    met = speedup >= factor
    margin = (
        f"met: {speedup / factor:.1f}× the required speed-up"
        if met
        else f"missed: {factor / speedup:.1f}× short of the required speed-up"
    )
    return verdict(spec, detail, shown, met, margin, employees)


def time_ratio_at_most(
    spec: TargetSpec, ours: Figure, theirs: Figure, employees: int, detail: str = ""
) -> Target:
    """``ours / theirs ≤ spec.threshold``: not slower than the baseline when it is 1.

    >>> a = Figure(id="x.cli", stage="x", label="a", command="a", seconds=[3.0])
    >>> b = Figure(id="x.b", stage="x", label="b", command="b", seconds=[1.0])
    >>> igraph, bare = BY_KEY["analyze-igraph-e2e"], BY_KEY["assign-flow-bare-e2e"]
    >>> time_ratio_at_most(igraph, a, b, 300).margin
    "missed: 3.0× the baseline's time"
    >>> time_ratio_at_most(igraph, b, a, 300).margin
    'met: 67% less time than the baseline'
    >>> time_ratio_at_most(bare, a, b, 100_000).margin
    "met: 3.00× the baseline's time, 0% under the 3× limit"
    """
    times = _times(ours, theirs)
    if times is None:
        return not_measured(spec, detail)
    ratio = times[0] / times[1]
    limit = spec.threshold
    estimated = " (baseline estimated)" if theirs.estimated else ""
    shown = f"{ratio:.2f}× the baseline's time ({times[0]:.3g} s vs {times[1]:.3g} s){estimated}"
    met = ratio <= limit
    if limit != 1:
        word = "under" if met else "over"
        margin = (
            f"{'met' if met else 'missed'}: {ratio:.2f}× the baseline's time, "
            f"{abs(limit - ratio) / limit:.0%} {word} the {limit:g}× limit"
        )
    elif met:
        margin = f"met: {1 - ratio:.0%} less time than the baseline"
    elif ratio < 2:
        margin = f"missed: {ratio - 1:.0%} more time than the baseline"
    else:
        margin = f"missed: {ratio:.1f}× the baseline's time"
    return verdict(spec, detail, shown, met, margin, employees)
