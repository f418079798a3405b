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
    slow to run in full and its time was extrapolated (``note`` says how).
    """

    id: str
    stage: str
    label: str
    command: str
    seconds: list[float] = Field(default_factory=list)
    process_seconds: list[float] = Field(
        default_factory=list,
        description="Wall time of the child process, when ``seconds`` were timed inside it.",
    )
    peak_rss_bytes: int | None = None
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


class StepTimes(_Model):
    """Median seconds per step of one library's metric pipeline."""

    library: str
    figure: str
    steps: dict[str, float]


class Agreement(_Model):
    """How closely a baseline's metrics agree with matcher's on the same graph."""

    library: str
    coreness_equal_share: float
    pagerank_l1: float
    betweenness_max_abs_diff: float
    modularity: float
    communities: int


class Target(_Model):
    """A performance target and whether this run met it (``None``: not applicable here)."""

    stage: str
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
