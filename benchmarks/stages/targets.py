"""Targets: met or missed, and by how much, in words a reader can check."""

from __future__ import annotations

from benchmarks.results import Figure, Target

NOT_HERE = "not applicable at this size"


def _kind(figure: Figure) -> str:
    if figure.id.endswith(".cli"):
        return "end to end: the CLI run against the baseline's metric set"
    return "like for like: metric set against metric set, same edge lists"


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
    stage: str, target: str, ours: Figure, theirs: Figure, factor: float, applies: bool
) -> Target:
    """``theirs / ours ≥ factor``: at least ``factor`` times faster than the baseline."""
    name = f"{target} [{_kind(ours)}]"
    times = _times(ours, theirs)
    if times is None:
        return Target(stage=stage, target=name, measured="not measured", met=None, margin="")
    speedup = times[1] / times[0]
    estimated = " (baseline estimated)" if theirs.estimated else ""
    shown = f"{speedup:.1f}× faster ({times[0]:.3g} s vs {times[1]:.3g} s){estimated}"
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
    stage: str, target: str, ours: Figure, theirs: Figure, limit: float, applies: bool
) -> Target:
    """``ours / theirs ≤ limit``: e.g. not slower than the baseline (``limit = 1``)."""
    name = f"{target} [{_kind(ours)}]"
    times = _times(ours, theirs)
    if times is None:
        return Target(stage=stage, target=name, measured="not measured", met=None, margin="")
    ratio = times[0] / times[1]
    estimated = " (baseline estimated)" if theirs.estimated else ""
    shown = f"{ratio:.2f}× the baseline's time ({times[0]:.3g} s vs {times[1]:.3g} s){estimated}"
    if not applies:
        return Target(stage=stage, target=name, measured=shown, met=None, margin=NOT_HERE)
    met = ratio <= limit
    change = abs(1 - ratio)
    margin = (
        f"met: {change:.0%} faster than the baseline"
        if met
        else f"missed: {change:.0%} slower than the baseline"
    )
    return Target(stage=stage, target=name, measured=shown, met=met, margin=margin)
