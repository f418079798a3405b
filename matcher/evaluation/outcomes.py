"""What became of each committed pair: did the two meet, when, and did a strong tie form.

Definitions (``CONTRACT.md`` §4, ``matcher evaluate``):

* a pair **met** when the two had an interaction in the evaluation window on a mutual
  channel (in person, video, call, meeting), or wrote to each other in both directions (chat,
  e-mail): the collaboration graph's *reciprocated* relation, on the window's rows only. As
  in the graph, rows sharing an ``event_id`` are one event: the people of a mutual-channel
  event of at most ``broadcast_size`` people all met each other, and broadcasts are ignored;
* the **first meeting** is the earliest moment the pair met: a mutual-channel interaction or
  shared event, or the later of their first message each way;
* a **tie formed** when the pair is a strong tie at ``as_of`` and was not one before the
  period.

Everything here is arrays by position in the org; nothing is read or written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher import arrays
from matcher.assignment.programs import PERIOD_PATTERN
from matcher.model import CHANNELS, InteractionTable

NEVER = np.iinfo(np.int64).max
"""The first-meeting time of a pair that did not meet."""


def period_days(period: str) -> tuple[dt.date, dt.date]:
    """The first and the last day of a period (``2026Q4``, ``2026-10`` or ``2026H2``).

    >>> period_days("2026Q4"), period_days("2026-02"), period_days("2026H1")[1]
    ((datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)), (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)), datetime.date(2026, 6, 30))
    """
    match = PERIOD_PATTERN.match(period)
    if match is None:
        raise ValueError(f"period {period!r} must look like 2026Q4, 2026-10 or 2026H2")
    year, quarter, month, half = match.groups()
    if quarter:
        first_month, months = 3 * (int(quarter) - 1) + 1, 3
    elif month:
        first_month, months = int(month), 1
    else:
        first_month, months = 6 * (int(half) - 1) + 1, 6
    start = dt.date(int(year), first_month, 1)
    end_month = first_month + months
    after = dt.date(int(year) + 1, 1, 1) if end_month > 12 else dt.date(int(year), end_month, 1)
    return start, after - dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """The evaluation window: interactions from ``start`` to ``end`` (both included)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400.0


def window_of(period: str, *, since: dt.date | None = None, as_of: dt.date | None = None) -> Window:
    """From the start of the period (or ``since``) to the end of ``as_of`` (default: the last
    day of the period), UTC.

    >>> w = window_of("2026Q4")
    >>> w.start.isoformat(), w.end.isoformat()
    ('2026-10-01T00:00:00+00:00', '2026-12-31T23:59:59+00:00')
    """
    first, last = period_days(period)
    start = dt.datetime.combine(since or first, dt.time(0, 0), tzinfo=dt.UTC)
    end = dt.datetime.combine(as_of or last, dt.time(23, 59, 59), tzinfo=dt.UTC)
    if end < start:
        raise ValueError(f"the window ends ({end.date()}) before it starts ({start.date()})")
    return Window(start, end)


def first_meetings(
    table: InteractionTable,
    seekers: np.ndarray,
    providers: np.ndarray,
    window: Window,
    *,
    broadcast_size: int = 25,
) -> np.ndarray:
    """For each pair ``(seekers[k], providers[k])``: the epoch second of their first meeting
    in ``window``, or :data:`NEVER`.

    Examples
    --------
    >>> t = InteractionTable(
    ...     source=np.array([0, 1, 2], np.int32), target=np.array([1, 0, 3], np.int32),
    ...     timestamp=np.array([100, 200, 150], np.int64), channel=np.array([4, 4, 4], np.uint8),
    ...     duration=np.full(3, np.nan, np.float32), event=np.array([-1, -1, -1]),
    ...     weight=np.ones(3, np.float32))
    >>> w = Window(dt.datetime.fromtimestamp(0, dt.UTC), dt.datetime.fromtimestamp(999, dt.UTC))
    >>> first_meetings(t, np.array([0, 2]), np.array([1, 3]), w).tolist() == [200, NEVER]
    True

    Chat (channel 4) both ways is a meeting when the reply comes; one message is not.
    """
    a = np.asarray(seekers, np.int64)
    b = np.asarray(providers, np.int64)
    first = np.full(len(a), NEVER, np.int64)
    if not len(a) or not len(table):
        return first
    n = int(max(a.max(), b.max(), table.source.max(), table.target.max())) + 1
    keys = np.minimum(a, b) * n + np.maximum(a, b)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    begin, end = int(window.start.timestamp()), int(window.end.timestamp())
    rows = table.select((table.timestamp >= begin) & (table.timestamp <= end))
    mutual_channel = np.array([c.is_mutual for c in CHANNELS])
    is_mutual = mutual_channel[rows.channel]
    # a row of an event takes the event's channel: a chat event's rows are messages
    keep, row_mutual, best = _event_meetings(rows, is_mutual, n, a[order], b[order], broadcast_size)
    rows = rows.select(keep)
    at = _pair_index(sorted_keys, n, rows.source, rows.target)
    best = np.minimum(best, _row_meetings(rows, row_mutual[keep], at, len(sorted_keys)))
    first[order] = best
    return first


def _pair_index(sorted_keys: np.ndarray, n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Index into the sorted pair keys of each (i, j), or -1 for pairs not asked about."""
    k = np.minimum(i, j).astype(np.int64) * n + np.maximum(i, j)
    at = np.searchsorted(sorted_keys, k)
    at = np.minimum(at, len(sorted_keys) - 1)
    return np.where(sorted_keys[at] == k, at, -1)


def _event_meetings(
    rows: InteractionTable,
    is_mutual: np.ndarray,
    n: int,
    asked_a: np.ndarray,
    asked_b: np.ndarray,
    broadcast_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events: a mutual-channel event of at most ``broadcast_size`` people is a meeting of
    all of them; its channel is that of its first row, as in the graph; broadcasts are
    ignored. Returns the rows to keep for the row-by-row pass, each row's mutual-ness (its
    event's), and the earliest shared event of each asked pair (sorted order) or NEVER."""
    keep = np.ones(len(rows), bool)
    row_mutual = is_mutual.copy()
    in_event = np.flatnonzero(rows.event >= 0)
    best = np.full(len(asked_a), NEVER, np.int64)
    if not len(in_event):
        return keep, row_mutual, best
    event = rows.event[in_event]
    codes, first_pos, _, _ = arrays.groups(event)
    people = np.concatenate([rows.source[in_event], rows.target[in_event]]).astype(np.int64)
    both = np.concatenate([event, event])
    participant = arrays.unique(both * n + people)
    p_event, p_person = participant // n, participant % n
    _, _, sizes, _ = arrays.groups(p_event)
    size_of_row = sizes[np.searchsorted(codes, event)]
    event_mutual = is_mutual[in_event[first_pos]]
    event_time = rows.timestamp[in_event[first_pos]]
    keep[in_event[size_of_row > broadcast_size]] = False
    row_mutual[in_event] = event_mutual[np.searchsorted(codes, event)]
    # rows of chat and e-mail events stay directed messages (below); mutual events meet
    keep[in_event[event_mutual[np.searchsorted(codes, event)]]] = False
    meeting = (sizes >= 2) & (sizes <= broadcast_size) & event_mutual
    column = np.searchsorted(codes, p_event)
    chosen = meeting[column]
    incidence = sp.csr_matrix(
        (
            np.ones(int(chosen.sum()), bool),
            (p_person[chosen], column[chosen]),
        ),
        shape=(n, len(codes)),
    )
    together = incidence[asked_a].multiply(incidence[asked_b]).tocsr()
    if together.nnz:
        times = event_time[together.indices]
        starts = together.indptr[:-1]
        has = np.diff(together.indptr) > 0
        earliest = np.minimum.reduceat(times, starts[has])
        best[has] = np.minimum(best[has], earliest)
    return keep, row_mutual, best


def _row_meetings(
    rows: InteractionTable, is_mutual: np.ndarray, at: np.ndarray, pairs: int
) -> np.ndarray:
    """The earliest meeting of each asked pair (index ``at`` per row, -1 for others) from
    single rows: a mutual-channel row, or the later of the first message each way."""
    best = np.full(pairs, NEVER, np.int64)
    asked = at >= 0
    # mutual-channel rows between the two
    hit = asked & is_mutual
    np.minimum.at(best, at[hit], rows.timestamp[hit])
    # messages: the first each way; the pair met when the later of the two arrived
    directed = asked & ~is_mutual
    forward = directed & (rows.source < rows.target)
    backward = directed & (rows.source > rows.target)
    first_forward = np.full(pairs, NEVER, np.int64)
    first_backward = np.full(pairs, NEVER, np.int64)
    np.minimum.at(first_forward, at[forward], rows.timestamp[forward])
    np.minimum.at(first_backward, at[backward], rows.timestamp[backward])
    return np.minimum(best, np.maximum(first_forward, first_backward))


@dataclass(frozen=True)
class PairOutcomes:
    """The committed pairs of one run (positions in the org) and what became of them."""

    seeker: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    """The pair's score when it was assigned (NaN for imported pairs)."""
    first_met: np.ndarray
    """Epoch second of the first meeting in the window, :data:`NEVER` when they did not meet."""
    strong_before: np.ndarray | None
    """The pair was a strong tie before the period (``None``: no before data)."""
    strong_after: np.ndarray

    @property
    def met(self) -> np.ndarray:
        return self.first_met != NEVER

    @property
    def tie_formed(self) -> np.ndarray | None:
        if self.strong_before is None:
            return None
        return self.strong_after & ~self.strong_before

    def days_to_meet(self, window: Window) -> np.ndarray:
        """Days from the window's start to the first meeting (NaN when they did not meet)."""
        start = window.start.timestamp()
        days = (self.first_met.astype(np.float64) - start) / 86_400.0
        return np.where(self.met, days, np.nan)


def lookup(matrix: sp.spmatrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``matrix[i[k], j[k]] != 0`` for each ``k`` (a boolean array)."""
    if not len(i):
        return np.zeros(0, bool)
    values = np.asarray(matrix.tocsr()[np.asarray(i), np.asarray(j)]).ravel()
    return values != 0


def pair_outcomes(
    table: InteractionTable,
    seekers: np.ndarray,
    providers: np.ndarray,
    scores: np.ndarray,
    window: Window,
    *,
    strong_after: sp.spmatrix,
    strong_before: sp.spmatrix | None,
    broadcast_size: int = 25,
) -> PairOutcomes:
    """Judge the pairs ``(seekers[k], providers[k])`` on the window's interactions and the
    strong ties after (at ``as_of``) and before the period."""
    return PairOutcomes(
        seeker=np.asarray(seekers, np.int64),
        provider=np.asarray(providers, np.int64),
        score=np.asarray(scores, np.float64),
        first_met=first_meetings(table, seekers, providers, window, broadcast_size=broadcast_size),
        strong_before=None if strong_before is None else lookup(strong_before, seekers, providers),
        strong_after=lookup(strong_after, seekers, providers),
    )


def new_strong_tie(strong_after: sp.spmatrix, strong_before: sp.spmatrix) -> np.ndarray:
    """Per person: has a strong tie at ``as_of`` that was not strong before the period."""
    after = strong_after.tocsr().astype(bool)
    before = strong_before.tocsr().astype(bool)
    new = after.astype(np.int8) - after.multiply(before).astype(np.int8)
    new.eliminate_zeros()
    return np.asarray((new > 0).sum(axis=1)).ravel() > 0


def has_strong_tie(strong: sp.spmatrix) -> np.ndarray:
    """Per person: at least one strong tie (not isolated)."""
    return np.asarray(strong.tocsr().astype(bool).sum(axis=1)).ravel() > 0
