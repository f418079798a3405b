"""Targets: met or missed, and by how much, in words a reader can check."""

from __future__ import annotations

from benchmarks.results import Figure, Target

NOT_HERE = "not applicable at this size"


def _kind(figure: Figure) -> str:
    """What is compared, when the caller does not say."""
    if figure.id.endswith(".cli"):
        return "end to end: the CLI run against the baseline"
    return "like for like"


def at_most(
    stage: str, target: str, measured: float | None, limit: float, *, unit: str, applies: bool
) -> Target:
    """``measured ≤ limit``.

    >>> at_most("analyze", "fast", 25.0, 30.0, unit="s", applies=True).margin
    'met: 5 s under the limit (17%)'
    >>> at_most("analyze", "fast", 33.0, 30.0, unit="s", applies=True).margin
    'missed: 3 s over the limit (10%)'
    """
    if measured is None:
        return Target(stage=stage, target=target, measured="not measured", met=None, margin="")
    shown = f"{measured:.3g} {unit}"
    if not applies:
        return Target(stage=stage, target=target, measured=shown, met=None, margin=NOT_HERE)
    gap = limit - measured
    met = gap >= 0
    word = "under" if met else "over"
    margin = (
        f"{'met' if met else 'missed'}: {abs(gap):.3g} {unit} {word} the limit "
        f"({abs(gap) / limit:.0%})"
    )
    return Target(stage=stage, target=target, measured=shown, met=met, margin=margin)


def _times(ours: Figure, theirs: Figure) -> tuple[float, float] | None:
    a, b = ours.median_seconds, theirs.median_seconds
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return a, b


def ratio_at_least(
    stage: str,
    target: str,
    ours: Figure,
    theirs: Figure,
    factor: float,
    applies: bool,
    *,
    kind: str | None = None,
) -> Target:
    """``theirs / ours ≥ factor``: at least ``factor`` times faster than the baseline.

    >>> a = Figure(id="x.cli", stage="x", label="a", command="a", seconds=[2.0])
    >>> b = Figure(id="x.b", stage="x", label="b", command="b", estimate_seconds=30.0)
    >>> t = ratio_at_least("x", "≥ 10× faster", a, b, 10.0, True, kind="same work")
    >>> t.target, t.margin
    ('≥ 10× faster [same work]', 'met: 1.5× the required speed-up')
    >>> t.measured
    '15.0× faster (2 s vs 30 s) (baseline estimated)'
    """
    name = f"{target} [{kind or _kind(ours)}]"
    times = _times(ours, theirs)
    if times is None:
        return Target(stage=stage, target=name, measured="not measured", met=None, margin="")
    speedup = times[1] / times[0]
    estimated = " (baseline estimated)" if theirs.estimated else ""
    pace = f"{speedup:.1f}× faster" if speedup >= 1 else f"{1 / speedup:.1f}× slower"
    shown = f"{pace} ({times[0]:.3g} s vs {times[1]:.3g} s){estimated}"
    if not applies:
        return Target(stage=stage, target=name, measured=shown, met=None, margin=NOT_HERE)
    met = speedup >= factor
    margin = (
        f"met: {speedup / factor:.1f}× the required speed-up"
        if met
        else f"missed: {factor / speedup:.1f}× short of the required speed-up"
    )
    return Target(stage=stage, target=name, measured=shown, met=met, margin=margin)


def ratio_at_most(
    stage: str,
    target: str,
    ours: Figure,
    theirs: Figure,
    limit: float,
    applies: bool,
    *,
    kind: str | None = None,
) -> Target:
    """``ours / theirs ≤ limit``: not slower than the baseline when ``limit = 1``.

    >>> a = Figure(id="x.cli", stage="x", label="a", command="a", seconds=[3.0])
    >>> b = Figure(id="x.b", stage="x", label="b", command="b", seconds=[1.0])
    >>> ratio_at_most("x", "not slower", a, b, 1.0, True).margin
    "missed: 3.0× the baseline's time"
    >>> ratio_at_most("x", "not slower", b, a, 1.0, True).margin
    'met: 67% less time than the baseline'
    >>> ratio_at_most("x", "≤ 3× the floor", a, b, 3.0, True).margin
    "met: 3.00× the baseline's time, 0% under the 3× limit"
    """
    name = f"{target} [{kind or _kind(ours)}]"
    times = _times(ours, theirs)
    if times is None:
        return Target(stage=stage, target=name, measured="not measured", met=None, margin="")
    ratio = times[0] / times[1]
    estimated = " (baseline estimated)" if theirs.estimated else ""
    shown = f"{ratio:.2f}× the baseline's time ({times[0]:.3g} s vs {times[1]:.3g} s){estimated}"
    if not applies:
        return Target(stage=stage, target=name, measured=shown, met=None, margin=NOT_HERE)
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
    return Target(stage=stage, target=name, measured=shown, met=met, margin=margin)
