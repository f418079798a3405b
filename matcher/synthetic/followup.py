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
    for name, value in (
        ("met_rate", met_rate),
        ("tie_given_met", tie_given_met),
        ("background_rate", background_rate),
    ):
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{name} must be between 0 and 1, found {value}")
    if end < start + dt.timedelta(days=27):
        raise ConfigError("the follow-up window must be at least four weeks long")
    rng = np.random.default_rng(seed)
    ids = employees.column("id").to_pylist()
    index = {identity: k for k, identity in enumerate(ids)}
    teams = np.array([t or "" for t in employees.column("team").to_pylist()], dtype=object)
    n = len(ids)
    a = np.array([index[s] for s, _ in pairs], np.int64)
    b = np.array([index[p] for _, p in pairs], np.int64)
    pair_keys = np.unique(np.minimum(a, b) * n + np.maximum(a, b))

    # the usual interactions, without those between committed pairs, shifted to the window
    source = np.array([index.get(s, -1) for s in interactions.column("source").to_pylist()])
    target = np.array([index.get(t, -1) for t in interactions.column("target").to_pylist()])
    stamps = pc.strptime(
        pc.utf8_slice_codeunits(interactions.column("timestamp"), 0, 19),
        format="%Y-%m-%dT%H:%M:%S",
        unit="s",
    )
    seconds = pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False)
    known = (source >= 0) & (target >= 0)
    row_keys = np.minimum(source, target) * n + np.maximum(source, target)
    direct = known & np.isin(row_keys, pair_keys)
    events = interactions.column("event_id").to_pylist()
    members: dict[str, set[int]] = {}
    for k, event in enumerate(events):
        if event and known[k]:
            members.setdefault(event, set()).update((int(source[k]), int(target[k])))
    partner: dict[int, set[int]] = {}
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        partner.setdefault(x, set()).add(y)
        partner.setdefault(y, set()).add(x)
    shared = {
        event
        for event, people in members.items()
        if any(partner.get(p, set()) & people for p in people)
    }
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
    base = base.filter(inside)

    rows_source: list[int] = []
    rows_target: list[int] = []
    rows_time: list[int] = []
    rows_channel: list[str] = []
    rows_minutes: list[int] = []
    days = (end - start).days + 1

    def strong(x: int, y: int) -> int:
        """Ten hour-long video calls over the window; returns the first call's time."""
        when = np.sort(begin + rng.integers(0, days, STRONG_CALLS) * 86_400 + 14 * 3600)
        for k, t in enumerate(when.tolist()):
            rows_source.append(x if k % 2 == 0 else y)
            rows_target.append(y if k % 2 == 0 else x)
            rows_time.append(t)
            rows_channel.append("video")
            rows_minutes.append(STRONG_MINUTES)
        return int(when[0])

    met = rng.random(len(a)) < met_rate
    tie = met & (rng.random(len(a)) < tie_given_met)
    light = rng.random(len(a)) < 0.5
    first: list[str | None] = []
    for k, (x, y) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
        if not met[k]:
            first.append(None)
            continue
        if tie[k]:
            when = strong(x, y)
        else:
            day = begin + int(rng.integers(0, min(14, days))) * 86_400 + 10 * 3600
            if light[k]:  # one short call
                rows_source.append(x)
                rows_target.append(y)
                rows_time.append(day)
                rows_channel.append("call")
                rows_minutes.append(15)
                when = day
            else:  # a message and its reply an hour later
                rows_source += [x, y]
                rows_target += [y, x]
                rows_time += [day, day + 3600]
                rows_channel += ["chat", "chat"]
                rows_minutes += [-1, -1]
                when = day + 3600
        first.append(str(_stamp(np.array([when])).to_pylist()[0]))

    # ties formed anyway, with someone outside the team who is not a committed partner
    gained: list[tuple[int, int]] = []
    committed = set(pair_keys.tolist())
    for x in np.flatnonzero(rng.random(n) < background_rate).tolist():
        for _ in range(20):
            y = int(rng.integers(0, n))
            key = min(x, y) * n + max(x, y)
            if y != x and teams[y] != teams[x] and key not in committed:
                strong(x, y)
                gained.append((x, y))
                break

    planted = pa.table(
        {
            "source": pa.array([ids[i] for i in rows_source], pa.string()),
            "target": pa.array([ids[i] for i in rows_target], pa.string()),
            "timestamp": _stamp(np.array(rows_time, np.int64)),
            "channel": pa.array(rows_channel, pa.string()),
            "duration_minutes": pa.array(
                np.array(rows_minutes, np.int32), mask=np.array(rows_minutes) < 0
            ),
            "event_id": pa.nulls(len(rows_source), pa.string()),
        }
    )
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
