"""The quarter after an assignment, with planted outcomes: who met, which ties formed.

:func:`follow_up_quarter` takes a generated org's tables and the pairs a program committed,
and writes the interactions of the next window as an ``interactions.csv`` would hold them:

* the org's usual interactions repeat, shifted so that the new window ends where the old one
  did relative to its analysis date (the collaboration graph at the new date is the old one),
  except every row between two people of a committed pair, and every event both attend: those
  pairs meet only as planted;
* each committed pair meets with probability ``met_rate``; a pair that meets forms a strong
  tie with probability ``tie_given_met`` (ten hour-long video calls over the quarter), or else
  meets once, lightly (one short call, or a message each way), early in the window;
* each person, paired or not, gains a strong tie with a random colleague outside their team
  with probability ``background_rate`` (what happens anyway, without a program).

The truth comes back beside the table (``pairs``: seeker, provider, met, tie, first meeting;
``background``: who gained a tie anyway), so that tests know the exact answer. Pure: arrow
tables in, arrow tables out, one seeded ``numpy`` generator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.errors import ConfigError

STRONG_CALLS = 10
STRONG_MINUTES = 60


def planted_effect(met_rate: float, tie_given_met: float, background_rate: float) -> float:
    """The planted difference in the share who gain a new strong tie, between a person in a
    committed pair that was not a strong tie before and a person in none.

    Each person gains a tie anyway with probability ``background_rate``, and once more as
    someone else's random partner (about as likely): ``1 − (1 − b)²`` without a program. A
    pair adds a tie with probability ``met_rate × tie_given_met``.

    >>> round(planted_effect(0.7, 0.6, 0.1), 4)
    0.3402
    """
    anyway = (1 - background_rate) ** 2
    return anyway * met_rate * tie_given_met


@dataclass(frozen=True)
class FollowUp:
    """The next window's interactions and what was planted in them."""

    interactions: pa.Table
    pairs: pa.Table
    """``seeker_id``, ``provider_id``, ``met`` (bool), ``tie`` (bool: planted strong tie),
    ``first_met`` (ISO timestamp or null)."""
    background: pa.Table
    """``id``, ``partner_id``: people who gained a strong tie outside any program."""
    start: dt.date
    as_of: dt.date


def _stamp(seconds: np.ndarray) -> pa.Array:
    text = pc.cast(pa.array(seconds.astype("datetime64[s]"), pa.timestamp("s")), pa.string())
    return pc.binary_join_element_wise(pc.replace_substring(text, " ", "T"), "+00:00", "")


def _epoch(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC).timestamp())


def _check_window(
    start: dt.date, end: dt.date, met_rate: float, tie_given_met: float, background_rate: float
) -> None:
    """Raise :class:`ConfigError` for a rate outside [0, 1] or a window under four weeks."""
    for name, value in (
        ("met_rate", met_rate),
        ("tie_given_met", tie_given_met),
        ("background_rate", background_rate),
    ):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name} must be between 0 and 1, found {value}")
    if end < start + dt.timedelta(days=27):
        raise ConfigError("the follow-up window must be at least four weeks long")


def _pair_key(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """One integer per unordered pair of positions."""
    return np.minimum(x, y) * n + np.maximum(x, y)


def _shared_events(
    events: list[str | None],
    source: np.ndarray,
    target: np.ndarray,
    known: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
) -> set[str]:
    """The events that both people of some committed pair attend."""
    members: dict[str, set[int]] = {}
    for k, event in enumerate(events):
        if event and known[k]:
            members.setdefault(event, set()).update((int(source[k]), int(target[k])))
    partner: dict[int, set[int]] = {}
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        partner.setdefault(x, set()).add(y)
        partner.setdefault(y, set()).add(x)
    return {
        event
        for event, people in members.items()
        if any(partner.get(p, set()) & people for p in people)
    }


def _usual_interactions(
    interactions: pa.Table,
    index: dict[str, int],
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    pair_keys: np.ndarray,
    start: dt.date,
    end: dt.date,
) -> pa.Table:
    """The org's interactions, without those between committed pairs (directly or at an
    event both attend), shifted to end on ``end`` and cut to the window."""
    source = np.array([index.get(s, -1) for s in interactions.column("source").to_pylist()])
    target = np.array([index.get(t, -1) for t in interactions.column("target").to_pylist()])
    stamps = pc.strptime(
        pc.utf8_slice_codeunits(interactions.column("timestamp"), 0, 19),
        format="%Y-%m-%dT%H:%M:%S",
        unit="s",
    )
    seconds = pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False)
    known = (source >= 0) & (target >= 0)
    direct = known & np.isin(_pair_key(source, target, n), pair_keys)
    events = interactions.column("event_id").to_pylist()
    shared = _shared_events(events, source, target, known, a, b)
    in_shared = np.array([bool(e) and e in shared for e in events], bool)
    keep = ~direct & ~in_shared
    old_end = dt.datetime.fromtimestamp(int(seconds.max()), tz=dt.UTC).date()
    shift = (_epoch(end) - _epoch(old_end)) if len(seconds) else 0
    base = interactions.filter(pa.array(keep))
    base = base.set_column(
        base.schema.get_field_index("timestamp"), "timestamp", _stamp(seconds[keep] + shift)
    )
    begin, stop = _epoch(start), _epoch(end) + 86_399
    inside = pc.and_(
        pc.greater_equal(pa.array(seconds[keep] + shift), begin),
        pc.less_equal(pa.array(seconds[keep] + shift), stop),
    )
    return base.filter(inside)


class _Rows:
    """The planted interactions, appended row by row (positions, not ids)."""

    def __init__(self, rng: np.random.Generator, begin: int, days: int) -> None:
        self.rng, self.begin, self.days = rng, begin, days
        self.source: list[int] = []
        self.target: list[int] = []
        self.time: list[int] = []
        self.channel: list[str] = []
        self.minutes: list[int] = []

    def add(self, x: int, y: int, time: int, channel: str, minutes: int) -> None:
        """One interaction from ``x`` to ``y`` (``minutes`` −1: no duration)."""
        self.source.append(x)
        self.target.append(y)
        self.time.append(time)
        self.channel.append(channel)
        self.minutes.append(minutes)

    def strong(self, x: int, y: int) -> int:
        """Ten hour-long video calls over the window; returns the first call's time."""
        days = self.rng.integers(0, self.days, STRONG_CALLS)
        when = np.sort(self.begin + days * 86_400 + 14 * 3600)
        for k, t in enumerate(when.tolist()):
            self.add(x if k % 2 == 0 else y, y if k % 2 == 0 else x, t, "video", STRONG_MINUTES)
        return int(when[0])

    def once(self, x: int, y: int, call: bool) -> int:
        """One light meeting early in the window; returns its time."""
        day = self.begin + int(self.rng.integers(0, min(14, self.days))) * 86_400 + 10 * 3600
        if call:  # one short call
            self.add(x, y, day, "call", 15)
            return day
        # a message and its reply an hour later
        self.add(x, y, day, "chat", -1)
        self.add(y, x, day + 3600, "chat", -1)
        return day + 3600

    def table(self, ids: list[str]) -> pa.Table:
        """The rows as an ``interactions.csv`` table."""
        return pa.table(
            {
                "source": pa.array([ids[i] for i in self.source], pa.string()),
                "target": pa.array([ids[i] for i in self.target], pa.string()),
                "timestamp": _stamp(np.array(self.time, np.int64)),
                "channel": pa.array(self.channel, pa.string()),
                "duration_minutes": pa.array(
                    np.array(self.minutes, np.int32), mask=np.array(self.minutes) < 0
                ),
                "event_id": pa.nulls(len(self.source), pa.string()),
            }
        )


def _plant_pairs(
    rows: _Rows, a: np.ndarray, b: np.ndarray, met_rate: float, tie_given_met: float
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """Draw which committed pairs meet and which form a tie, and plant their meetings;
    returns ``met``, ``tie`` and each pair's first meeting (ISO, or ``None``)."""
    rng = rows.rng
    met = rng.random(len(a)) < met_rate
    tie = met & (rng.random(len(a)) < tie_given_met)
    light = rng.random(len(a)) < 0.5
    first: list[str | None] = []
    for k, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if not met[k]:
            first.append(None)
            continue
        when = rows.strong(x, y) if tie[k] else rows.once(x, y, call=bool(light[k]))
        first.append(str(_stamp(np.array([when])).to_pylist()[0]))
    return met, tie, first


def _plant_background(
    rows: _Rows, teams: np.ndarray, pair_keys: np.ndarray, background_rate: float
) -> list[tuple[int, int]]:
    """Ties formed anyway, with someone outside the team who is not a committed partner."""
    rng, n = rows.rng, len(teams)
    gained: list[tuple[int, int]] = []
    committed = set(pair_keys.tolist())
    for x in np.flatnonzero(rng.random(n) < background_rate).tolist():
        for _ in range(20):
            y = int(rng.integers(0, n))
            key = min(x, y) * n + max(x, y)
            if y != x and teams[y] != teams[x] and key not in committed:
                rows.strong(x, y)
                gained.append((x, y))
                break
    return gained


def follow_up_quarter(
    employees: pa.Table,
    interactions: pa.Table,
    pairs: Sequence[tuple[str, str]],
    *,
    start: dt.date,
    end: dt.date,
    seed: int,
    met_rate: float = 0.7,
    tie_given_met: float = 0.6,
    background_rate: float = 0.05,
) -> FollowUp:
    """Plant the outcomes of ``pairs`` in the window ``start``–``end`` (both included).

    Parameters
    ----------
    employees, interactions
        A generated org's tables (:func:`matcher.synthetic.generate.generate_org`).
    pairs
        The committed ``(seeker_id, provider_id)`` pairs.
    start, end
        The window; the org's interactions are shifted to end on ``end``.
    seed
        Seed of the only random generator.
    met_rate, tie_given_met, background_rate
        The planted probabilities (see the module docstring).

    Returns
    -------
    FollowUp
    """
    _check_window(start, end, met_rate, tie_given_met, background_rate)
    rng = np.random.default_rng(seed)
    ids = employees.column("id").to_pylist()
    index = {identity: k for k, identity in enumerate(ids)}
    teams = np.array([t or "" for t in employees.column("team").to_pylist()], dtype=object)
    a = np.array([index[s] for s, _ in pairs], np.int64)
    b = np.array([index[p] for _, p in pairs], np.int64)
    pair_keys = np.unique(_pair_key(a, b, len(ids)))
    base = _usual_interactions(interactions, index, len(ids), a, b, pair_keys, start, end)
    rows = _Rows(rng, _epoch(start), (end - start).days + 1)
    met, tie, first = _plant_pairs(rows, a, b, met_rate, tie_given_met)
    gained = _plant_background(rows, teams, pair_keys, background_rate)
    planted = rows.table(ids)
    table = pa.concat_tables([base.select(planted.column_names).cast(planted.schema), planted])
    order = pc.sort_indices(table, sort_keys=[("timestamp", "ascending")])
    return FollowUp(
        interactions=table.take(order),
        pairs=pa.table(
            {
                "seeker_id": pa.array([s for s, _ in pairs], pa.string()),
                "provider_id": pa.array([p for _, p in pairs], pa.string()),
                "met": pa.array(met),
                "tie": pa.array(tie),
                "first_met": pa.array(first, pa.string()),
            }
        ),
        background=pa.table(
            {
                "id": pa.array([ids[x] for x, _ in gained], pa.string()),
                "partner_id": pa.array([ids[y] for _, y in gained], pa.string()),
            }
        ),
        start=start,
        as_of=end,
    )
