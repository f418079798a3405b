"""How cost grows with size: time ∝ employees^k, fitted across the sizes S → M → L → XL.

The exponent ``k`` is the least-squares slope of log(median seconds) against log(employees)
over the sizes that measured a figure; with two sizes it is the slope between them. ``k ≈ 1``
is linear growth, ``k ≈ 2`` quadratic. Fitted from the newest result file of each size
(:func:`benchmarks.runner.newest_reports`), so sizes measured on different days, at different
loads of this shared machine, may be mixed: read ``k`` to the first decimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.results import Report

GROWTH: tuple[tuple[str, str], ...] = (
    ("generate", "`matcher generate` (setup)"),
    ("analyze.cli", "`matcher analyze`, end to end (CSV files)"),
)
"""The figures whose growth is fitted: ``generate`` is the org's setup step."""


@dataclass(frozen=True)
class Growth:
    """The fitted exponent of one figure, with the points it was fitted on."""

    figure: str
    what: str
    points: tuple[tuple[str, int, float], ...]
    """(size, employees, seconds) per size, smallest first."""
    exponent: float | None
    """``None`` with fewer than two sizes."""
    peak_exponent: float | None = None
    """The same fit of peak memory, when every point has one."""

    def text(self) -> str:
        """One line: the exponent and the points."""
        points = ", ".join(f"{size} {seconds:.3g} s" for size, _, seconds in self.points)
        if self.exponent is None:
            return f"{self.what}: {points} (one size: no fit)"
        memory = "" if self.peak_exponent is None else f"; peak memory ∝ n^{self.peak_exponent:.2f}"
        return f"{self.what}: time ∝ n^{self.exponent:.2f} ({points}){memory}"


def fit_exponent(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of log y against log x (``None`` below two distinct x).

    >>> round(fit_exponent([(1, 2), (10, 20), (100, 200)]), 6)
    1.0
    >>> round(fit_exponent([(2, 4), (4, 16)]), 6), fit_exponent([(5, 1)])
    (2.0, None)
    """
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in usable}) < 2:
        return None
    mean_x = sum(x for x, _ in usable) / len(usable)
    mean_y = sum(y for _, y in usable) / len(usable)
    spread = sum((x - mean_x) ** 2 for x, _ in usable)
    return sum((x - mean_x) * (y - mean_y) for x, y in usable) / spread


def _measure(report: Report, figure_id: str) -> tuple[float, int | None] | None:
    """The median seconds and peak memory of a figure (``generate``: the org's setup step)."""
    if figure_id == "generate":
        step = next((s for s in report.setup if s.what.startswith("generate ")), None)
        if step is None or step.seconds is None:
            return None
        return step.seconds, step.peak_rss_bytes
    figure = report.figure(figure_id)
    if figure is None or figure.median_seconds is None:
        return None
    return figure.median_seconds, figure.peak_rss_bytes


def growth(reports: Sequence[Report]) -> list[Growth]:
    """The growth of each figure of :data:`GROWTH` over the reports (one per size)."""
    found = []
    for figure_id, what in GROWTH:
        points, peaks = [], []
        for report in sorted(reports, key=lambda r: r.employees):
            measured = _measure(report, figure_id)
            if measured is None:
                continue
            points.append((report.size, report.employees, measured[0]))
            peaks.append((report.employees, measured[1]))
        if not points:
            continue
        memory = None
        if all(peak is not None for _, peak in peaks):
            memory = fit_exponent([(n, float(peak or 0)) for n, peak in peaks])
        found.append(
            Growth(
                figure=figure_id,
                what=what,
                points=tuple(points),
                exponent=fit_exponent([(n, s) for _, n, s in points]),
                peak_exponent=memory,
            )
        )
    return found
