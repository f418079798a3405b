"""The result file's shape: pydantic models written as ``<date>-<size>.json``.

A :class:`Figure` is one measured workload with the exact command that produced it; a
:class:`Ratio` pairs a figure with a baseline measured in the same run. The Markdown files
and the README section are rendered from these models only (see :mod:`benchmarks.markdown`).
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Figure(_Model):
    """One measured workload.

    ``seconds`` holds every run (the child's wall time, or for a worker the time it measured
    around the work itself, with the child's wall time in ``process_seconds``);
    ``estimate_seconds`` is set instead when the workload was too
    slow to run in full and its time was extrapolated (``note`` says how; the wall times of
    the probe runs it was extrapolated from, if any, are then in ``process_seconds``).
    """

    id: str
    stage: str
    label: str
    command: str
    seconds: list[float] = Field(default_factory=list)
    process_seconds: list[float] = Field(
        default_factory=list,
        description="Wall time of the child process, when ``seconds`` were timed inside it "
        "(or of the probe runs, when the figure is estimated).",
    )
    peak_rss_bytes: int | None = None
    cpu_seconds: list[float] = Field(
        default_factory=list,
        description="User + system CPU time of the child process of each run: on this shared "
        "machine it moves less with the load of other processes than wall time does.",
    )
    estimate_seconds: float | None = None
    baselines: dict[str, str] = Field(
        default_factory=dict, description="Baseline name → id of the baseline figure."
    )
    note: str = ""

    @property
    def runs(self) -> int:
        return len(self.seconds)

    @property
    def median_seconds(self) -> float | None:
        """Median of the runs, else the estimate, else ``None``."""
        if self.seconds:
            return statistics.median(self.seconds)
        return self.estimate_seconds

    @property
    def estimated(self) -> bool:
        return not self.seconds and self.estimate_seconds is not None


class Ratio(_Model):
    """``figure / baseline`` of median wall time (and of peak memory when both are known)."""

    figure: str
    baseline: str
    name: str
    time: float | None
    memory: float | None
    estimated: bool = False


class Quality(_Model):
    """Precision and recall of one flag against the generator's planted truth."""

    stage: str
    what: str
    planted: int
    flagged: int
    true_positives: int
    precision: float | None
    recall: float | None
    command: str


class ProfileRow(_Model):
    """One matcher function's median share of a profiled call (:mod:`benchmarks.profiling`)."""

    function: str
    calls: int
    own: float
    cumulative: float


class StepTimes(_Model):
    """Median seconds per step of one library's metric pipeline (analyze), or of one
    instance's library calls or their profile (assign)."""

    library: str
    figure: str
    steps: dict[str, float]
    stage: str = "analyze"
    profile: list[ProfileRow] = Field(
        default_factory=list,
        description="assign: the profiled call's matcher functions (cProfile), the largest "
        "own time first; ``steps`` then holds their own times, ``rest`` and ``other``.",
    )


class Agreement(_Model):
    """How closely a baseline's metrics agree with matcher's on the same graph."""

    library: str
    coreness_equal_share: float
    pagerank_l1: float
    betweenness_max_abs_diff: float
    modularity: float
    communities: int
    stage: str = "analyze"


class Target(_Model):
    """A performance target and whether this run met it (``None``: not applicable here)."""

    stage: str
    key: str = Field(default="", description="Its row of benchmarks.targets.TARGETS.")
    target: str
    measured: str
    met: bool | None
    margin: str


class Setup(_Model):
    """A preparatory step (generating an org, writing a large file): measured, not compared."""

    what: str
    command: str
    seconds: float | None
    peak_rss_bytes: int | None
    reused: bool
    measured_on: str | None = None
    stage: str = Field(default="", description="The stage it prepares; empty: the org itself.")


class Outcome(_Model):
    """One solution of one assignment instance, by matcher or by a baseline: how many pairs,
    whom it serves, and how good it is against matcher's bound (the optimum or its bound)."""

    stage: str
    instance: str
    instance_label: str
    method: str
    figure: str | None = None
    ran: bool = True
    seekers: int
    eligible_pairs: int | None = None
    pairs: int | None = None
    seekers_covered: int | None = None
    flagged: int | None = None
    flagged_covered: int | None = None
    flagged_coverable: int | None = Field(
        default=None, description="Most flagged seekers any solution can serve at once."
    )
    flagged_missed_vs_matcher: int | None = Field(
        default=None, description="Flagged seekers this method leaves out that matcher serves."
    )
    objective: float | None = None
    bound: float | None = Field(default=None, description="matcher's bound on this instance.")
    status: str = ""
    note: str = ""


class EarlierRun(_Model):
    """A run whose stages were kept when a later run of other stages was merged into the same
    result file (same date, size and seed)."""

    invocation: str
    stages: list[str]
    commit: str
    date: str = ""
    background_load: str = "not measured"
    repeat: int
    notes: list[str] = Field(default_factory=list)


class OrgInfo(_Model):
    """The generated org the workloads ran on."""

    directory: str
    employees: int
    seed: int
    interaction_rows: int
    interactions_bytes: int
    planted: dict[str, int]


class Report(_Model):
    """Everything one ``python -m benchmarks run`` measured."""

    schema_version: int = SCHEMA
    date: str
    size: str
    employees: int
    seed: int
    repeat: int
    stages: list[str]
    invocation: str
    machine: dict[str, str]
    org: OrgInfo
    setup: list[Setup] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    ratios: list[Ratio] = Field(default_factory=list)
    steps: list[StepTimes] = Field(default_factory=list)
    quality: list[Quality] = Field(default_factory=list)
    agreement: list[Agreement] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    stage_notes: dict[str, list[str]] = Field(
        default_factory=dict, description="Notes of each stage (``notes`` holds the run's own)."
    )
    earlier: list[EarlierRun] = Field(
        default_factory=list, description="Runs of other stages merged into this file."
    )

    def figure(self, figure_id: str) -> Figure | None:
        """The figure with this id, if measured."""
        return next((f for f in self.figures if f.id == figure_id), None)


def compute_ratios(figures: list[Figure]) -> list[Ratio]:
    """Pair every figure with each of its baselines.

    Examples
    --------
    >>> a = Figure(id="a", stage="x", label="a", command="a", seconds=[1, 2, 3],
    ...            peak_rss_bytes=100, baselines={"b": "b"})
    >>> b = Figure(id="b", stage="x", label="b", command="b", seconds=[8], peak_rss_bytes=400)
    >>> r = compute_ratios([a, b])[0]
    >>> r.time, r.memory, r.estimated
    (0.25, 0.25, False)
    """
    by_id = {f.id: f for f in figures}
    ratios: list[Ratio] = []
    for figure in figures:
        for name, baseline_id in figure.baselines.items():
            baseline = by_id.get(baseline_id)
            if baseline is None:
                continue
            ratios.append(
                Ratio(
                    figure=figure.id,
                    baseline=baseline.id,
                    name=name,
                    time=_divide(figure.median_seconds, baseline.median_seconds),
                    memory=_divide(figure.peak_rss_bytes, baseline.peak_rss_bytes),
                    estimated=figure.estimated or baseline.estimated,
                )
            )
    return ratios


_ORG_SETUP = "generate "
_STAGE_OF_SETUP = {"load the org and build": "analyze", "write the ": "stream"}


def _setup_stage(step: Setup) -> str:
    """A setup step's stage; files written before steps were tagged are recognised by name."""
    if step.stage or step.what.startswith(_ORG_SETUP):
        return step.stage
    return next(
        (stage for start, stage in _STAGE_OF_SETUP.items() if step.what.startswith(start)), ""
    )


def merge_reports(old: Report, new: Report, order: list[str]) -> Report:
    """``new`` plus the stages of ``old`` that ``new`` did not run (same size and seed).

    Figures, quality rows, targets, steps, agreement, outcomes, setup steps and stage notes
    are kept by stage; ``old``'s own notes (untagged) go with the record of its run in
    ``earlier``. ``order`` is the order of stages in the merged file.

    >>> org = OrgInfo(directory="o", employees=5, seed=1, interaction_rows=1,
    ...               interactions_bytes=1, planted={})
    >>> def report(stage, invocation):
    ...     return Report(date="d", size="S", employees=5, seed=1, repeat=1, stages=[stage],
    ...                   invocation=invocation, machine={}, org=org, notes=[invocation],
    ...                   figures=[Figure(id=stage, stage=stage, label=stage, command="c")])
    >>> merged = merge_reports(report("analyze", "one"), report("assign", "two"),
    ...                        ["analyze", "assign"])
    >>> merged.stages, [f.id for f in merged.figures], merged.earlier[0].notes, merged.notes
    (['analyze', 'assign'], ['analyze', 'assign'], ['one'], ['two'])
    >>> again = merge_reports(merged, report("assign", "three"), ["analyze", "assign"])
    >>> [(run.invocation, run.stages) for run in again.earlier], again.notes
    ([('one', ['analyze'])], ['three'])
    >>> older = report("stream", "zero").model_copy(update={"stages": ["stream"]})
    >>> [(run.invocation, run.stages) for run in merge_reports(older, merged, ["stream",
    ...     "analyze", "assign"]).earlier]
    [('zero', ['stream']), ('one', ['analyze'])]
    """
    replaced = set(new.stages)
    kept = [stage for stage in old.stages if stage not in replaced]
    if not kept or (old.employees, old.seed) != (new.employees, new.seed):
        return new
    earlier = [
        run.model_copy(update={"stages": [s for s in run.stages if s in kept]})
        for run in old.earlier
        if any(s in kept for s in run.stages)
    ]
    from_earlier = {s for run in old.earlier for s in run.stages}
    own = [s for s in kept if s not in from_earlier]  # stages ``old``'s own run measured
    if own:
        earlier.append(
            EarlierRun(
                invocation=old.invocation,
                stages=own,
                commit=old.machine.get("commit", "unknown"),
                date=old.date,
                background_load=old.machine.get("background_load", "not measured"),
                repeat=old.repeat,
                notes=old.notes,
            )
        )
    merged = new.model_copy(
        update={
            "stages": [s for s in order if s in kept or s in replaced],
            "figures": [f for f in old.figures if f.stage in kept] + new.figures,
            "steps": [s for s in old.steps if s.stage in kept] + new.steps,
            "quality": [q for q in old.quality if q.stage in kept] + new.quality,
            "agreement": [a for a in old.agreement if a.stage in kept] + new.agreement,
            "targets": [t for t in old.targets if t.stage in kept] + new.targets,
            "outcomes": [o for o in old.outcomes if o.stage in kept] + new.outcomes,
            "setup": new.setup[:1]
            + [s for s in old.setup if _setup_stage(s) in kept]
            + [s for s in new.setup[1:] if _setup_stage(s) not in kept],
            "stage_notes": {
                **{k: v for k, v in old.stage_notes.items() if k in kept},
                **new.stage_notes,
            },
            "earlier": earlier + new.earlier,
        }
    )
    merged.ratios = compute_ratios(merged.figures)
    return merged


def _divide(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


ResultKind = Literal["json", "md"]


def result_path(results_dir: Path, date: str, size: str, kind: ResultKind) -> Path:
    """``<results_dir>/<date>-<size>.<kind>``."""
    return results_dir / f"{date}-{size}.{kind}"


def load_report(path: Path) -> Report:
    """Read a result file written by :func:`write_report`."""
    return Report.model_validate_json(path.read_text(encoding="utf-8"))


def write_report(report: Report, path: Path) -> None:
    """Write the report as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
