"""Is there enough data to flag anyone? Measures of the interactions behind an analysis.

A thin export makes everyone look isolated: an export of public channels only (thread
replies, one-way), a month of calendar in a 90-day window, or half the org missing from the
interactions. :func:`check_data` measures the interactions of the analysis window and judges
each measure against a threshold of :class:`~matcher.config.AnalysisConfig`; it changes no
flag. ``matcher analyze`` writes the result as ``data`` in ``summary.json``, warns when a
check fails and, with ``--strict-data``, refuses to write flags at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.analysis.graph import SECONDS_PER_DAY, CollaborationGraph
from matcher.config import AnalysisConfig
from matcher.model import CHANNELS, InteractionTable


@dataclass(frozen=True)
class DataCheck:
    """One measure of the data, the threshold it was judged against and the verdict."""

    name: str
    value: float
    threshold: float | tuple[float, float]
    ok: bool
    problem: str
    """What a failure means, in plain words (empty when ``ok``)."""

    def as_dict(self) -> dict[str, object]:
        bound = "range" if isinstance(self.threshold, tuple) else _BOUND[self.name]
        threshold = list(self.threshold) if isinstance(self.threshold, tuple) else self.threshold
        return {"value": self.value, bound: threshold, "ok": self.ok}


_BOUND = {
    "share_with_interactions": "min",
    "channels": "min",
    "window_coverage": "min",
    "one_way_share": "max",
}


@dataclass(frozen=True)
class DataSufficiency:
    """The checks of an analysis's data and the figures they rest on."""

    checks: tuple[DataCheck, ...]
    people: int
    people_with_interactions: int
    channels: tuple[str, ...]
    days_covered: float
    window_days: int
    pairs_in_contact: int
    interactions_per_week_quartiles: tuple[float, float, float]

    @property
    def failed(self) -> list[DataCheck]:
        """The checks the data did not pass."""
        return [c for c in self.checks if not c.ok]

    def as_dict(self) -> dict[str, object]:
        """What ``summary.json`` holds under ``data``."""
        return {
            "sufficient": not self.failed,
            "people": self.people,
            "people_with_interactions": self.people_with_interactions,
            "channels": list(self.channels),
            "days_covered": self.days_covered,
            "window_days": self.window_days,
            "pairs_in_contact": self.pairs_in_contact,
            "interactions_per_person_week_quartiles": list(self.interactions_per_week_quartiles),
            "checks": {c.name: c.as_dict() for c in self.checks},
        }


def check_data(
    table: InteractionTable,
    n: int,
    graph: CollaborationGraph,
    as_of: dt.datetime,
    config: AnalysisConfig,
) -> DataSufficiency:
    """Measure the interactions of the analysis window and judge them.

    Parameters
    ----------
    table : InteractionTable
        The org's interactions (positions ``0..n-1``); those outside the window are not
        counted.
    n : int
        Number of people.
    graph : CollaborationGraph
        The graph built from ``table``: its reciprocated and one-way ties.
    as_of : datetime
        The analysis date; the window is the ``config.window_days`` days before it.
    config : AnalysisConfig
        The window and the thresholds (``min_share_with_interactions``, ``min_channels``,
        ``min_window_coverage``, ``interactions_per_week``, ``max_one_way_share``).

    Returns
    -------
    DataSufficiency
        Five checks: the share of people with any interaction, the channels present, the
        share of the window the interactions span, the median person's interaction rows per
        week, and the share of pairs in contact whose contact is one-way.

    Examples
    --------
    >>> from matcher.analysis.graph import build_graph
    >>> day = 86_400
    >>> t = InteractionTable(
    ...     source=np.array([0, 1, 2], np.int32), target=np.array([1, 0, 0], np.int32),
    ...     timestamp=np.array([0, 40 * day, 80 * day], np.int64),
    ...     channel=np.array([4, 4, 4], np.uint8), duration=np.full(3, np.nan, np.float32),
    ...     event=np.full(3, -1), weight=np.ones(3, np.float32))
    >>> as_of = dt.datetime.fromtimestamp(85 * day, dt.UTC)
    >>> found = check_data(t, 4, build_graph(t, 4, as_of), as_of, AnalysisConfig())
    >>> [(c.name, c.value, c.ok) for c in found.checks]  # doctest: +NORMALIZE_WHITESPACE
    [('share_with_interactions', 0.75, True), ('channels', 1, False),
     ('window_coverage', 0.889, True), ('interactions_per_week', 0.131, False),
     ('one_way_share', 0.5, True)]
    """
    end = as_of.timestamp()
    age = (end - table.timestamp.astype(np.float64)) / SECONDS_PER_DAY
    inside = (age >= 0) & (age <= config.window_days)  # a mask, not a copy of the table
    del age
    if n:
        counts = np.bincount(table.source[inside], minlength=n)[:n]
        counts += np.bincount(table.target[inside], minlength=n)[:n]
    else:
        counts = np.zeros(0, np.int64)
    with_any = int((counts > 0).sum())
    share = round(with_any / n, 3) if n else 0.0
    used = np.bincount(table.channel[inside], minlength=len(CHANNELS))
    present = tuple(str(CHANNELS[c]) for c in np.flatnonzero(used))
    stamps = table.timestamp[inside]
    days = float(stamps.max() - stamps.min()) / SECONDS_PER_DAY if len(stamps) else 0.0
    del stamps
    coverage = round(min(days / config.window_days, 1.0), 3)
    weeks = max(days, 7.0) / 7.0
    rates = counts / weeks if n else np.zeros(1)
    quartiles = tuple(round(float(q), 3) for q in np.quantile(rates, [0.25, 0.5, 0.75]))
    median = quartiles[1]
    contact = ((graph.strength > 0) + graph.one_way + graph.one_way.T) > 0
    pairs = int(sp.triu(contact, k=1).nnz)
    reciprocated = int(sp.triu(graph.reciprocated, k=1).nnz)
    one_way = round(1 - reciprocated / pairs, 3) if pairs else 1.0
    low, high = config.interactions_per_week
    window = config.window_days
    checks = (
        DataCheck(
            "share_with_interactions",
            share,
            config.min_share_with_interactions,
            share >= config.min_share_with_interactions,
            f"{with_any:,} of {n:,} people ({share:.0%}) take part in any interaction in the "
            f"{window}-day window (at least {config.min_share_with_interactions:.0%} expected): "
            "everyone else has no data and looks isolated",
        ),
        DataCheck(
            "channels",
            len(present),
            config.min_channels,
            len(present) >= config.min_channels,
            f"{len(present)} channel(s) in the window ({', '.join(present) or 'none'}; at least "
            f"{config.min_channels} expected): people who connect elsewhere look isolated",
        ),
        DataCheck(
            "window_coverage",
            coverage,
            config.min_window_coverage,
            coverage >= config.min_window_coverage,
            f"the interactions span {days:.0f} of the window's {window} days ({coverage:.0%}; at "
            f"least {config.min_window_coverage:.0%} expected)",
        ),
        DataCheck(
            "interactions_per_week",
            median,
            (low, high),
            low <= median <= high,
            f"the median person has {median:g} interaction rows a week ({low:g} to {high:g} "
            "expected)",
        ),
        DataCheck(
            "one_way_share",
            one_way,
            config.max_one_way_share,
            one_way <= config.max_one_way_share,
            f"{one_way:.0%} of the {pairs:,} pairs in contact are one-way (at most "
            f"{config.max_one_way_share:.0%} expected), as when only public channels are "
            "exported: nobody answered, so nobody has a strong tie",
        ),
    )
    return DataSufficiency(
        checks=checks,
        people=n,
        people_with_interactions=with_any,
        channels=present,
        days_covered=round(days, 1),
        window_days=window,
        pairs_in_contact=pairs,
        interactions_per_week_quartiles=(quartiles[0], quartiles[1], quartiles[2]),
    )
