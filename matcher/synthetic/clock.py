"""Time: working hours in each zone and the days and moments interactions happen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from matcher.synthetic.vocabulary import _OFFICES

# --------------------------------------------------------------------------- time


@dataclass(frozen=True)
class _Clock:
    """Window days in local time and their conversion to UTC epoch seconds."""

    midnight: np.ndarray  # day -> epoch seconds of 00:00 UTC on that date
    offset: np.ndarray  # (zone, day) -> seconds east of UTC at local noon
    weekday: np.ndarray  # day -> 0 Monday ... 6 Sunday
    cdf_any: np.ndarray  # day distribution of messages: a little weekend chat
    cdf_work: np.ndarray  # day distribution of meetings: weekdays only
    by_weekday: tuple[np.ndarray, ...]  # weekday -> its days in the window

    @staticmethod
    def build(start: dt.date, days: int) -> _Clock:
        dates = [start + dt.timedelta(days=d) for d in range(days)]
        midnight = (np.datetime64(start, "D") + np.arange(days)).astype("datetime64[s]")
        offset = np.array(
            [[_utc_offset(office[1], d) for d in dates] for office in _OFFICES],
            np.int64,
        )
        weekday = (np.arange(days) + start.weekday()) % 7
        rhythm = np.array([1.0, 1.0, 1.0, 1.0, 0.7, 0.03, 0.03])[weekday]
        return _Clock(
            midnight=midnight.astype(np.int64),
            offset=offset,
            weekday=weekday,
            cdf_any=_cdf(rhythm),
            cdf_work=_cdf(np.where(weekday < 5, rhythm, 0.0)),
            by_weekday=tuple(np.flatnonzero(weekday == k) for k in range(7)),
        )

    @property
    def days(self) -> int:
        return int(self.midnight.size)

    def draw_days(
        self, rng: np.random.Generator, earliest: np.ndarray, *, work: bool
    ) -> np.ndarray:
        """One day per row, not before ``earliest``, following the weekly rhythm."""
        cdf = self.cdf_work if work else self.cdf_any
        earliest = np.clip(earliest, 0, self.days - 1)
        low = np.where(earliest > 0, cdf[np.maximum(earliest, 1) - 1], 0.0)
        u = low + rng.random(earliest.size) * (1.0 - low)
        return np.minimum(np.searchsorted(cdf, u, side="right"), self.days - 1)

    def recurring(
        self, weekday: np.ndarray, phase: np.ndarray, step: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences of series meeting every ``step`` weeks: (series index, day)."""
        flat = np.concatenate(self.by_weekday)
        length = np.array([d.size for d in self.by_weekday])
        first = np.cumsum(length) - length
        count = np.maximum(0, (length[weekday] - phase + step - 1) // step)
        series, k = _expand(count)
        return series, flat[first[weekday[series]] + phase[series] + step * k]

    def utc(self, zone: np.ndarray, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Epoch seconds of local time ``seconds`` after midnight of ``day`` in ``zone``."""
        return self.midnight[day] + seconds - self.offset[zone, day]


def _utc_offset(zone: str, day: dt.date) -> int:
    offset = ZoneInfo(zone).utcoffset(dt.datetime.combine(day, dt.time(12)))
    return int(offset.total_seconds()) if offset is not None else 0


def _cdf(weights: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights) / weights.sum()
    cdf[-1] = 1.0
    return cdf


def _expand(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts ``c``: the owner of each of ``sum(c)`` items and its position 0..c-1."""
    owner = np.repeat(np.arange(count.size), count)
    start = np.cumsum(count) - count
    return owner, np.arange(owner.size) - start[owner]
