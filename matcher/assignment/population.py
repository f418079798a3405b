"""Per-person arrays that rules and score terms read, built once per org and analysis."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.model import Org, zone

# ------------------------------------------------------------------------- per-person data


def _codes(values: Sequence[str | None]) -> tuple[np.ndarray, list[str]]:
    """Integer codes for values; ``-1`` for missing (so that missing never equals missing)."""
    names = sorted({v for v in values if v})
    position = {v: k for k, v in enumerate(names)}
    return np.array([position.get(v, -1) if v else -1 for v in values], dtype=np.int64), names


def _bitsets(lists: Sequence[Sequence[str]]) -> tuple[np.ndarray, list[str]]:
    """Sets as rows of uint64 bit words (case-insensitive), with the vocabulary."""
    vocabulary = sorted({item.lower() for items in lists for item in items})
    return _bitsets_with(lists, vocabulary), vocabulary


@functools.lru_cache(maxsize=4096)
def _utc_window(timezone: str | None, start: float, end: float, on: dt.date) -> tuple[float, float]:
    """Working window in UTC hours of ``on`` (offset taken at local noon: DST-correct)."""
    if end <= start:
        end += 24.0
    if not timezone:
        return start, end
    noon = dt.datetime.combine(on, dt.time(12), tzinfo=zone(timezone))
    offset = noon.utcoffset()
    hours = offset.total_seconds() / 3600 if offset is not None else 0.0
    return start - hours, end - hours


def manager_chains(org: Org) -> np.ndarray:
    """``(n, depth)`` org indices of each person's managers, nearest first, ``-1`` padded.

    Chains follow ``org.manager_of`` through people missing from the org (opted out): all
    chains climb one level per step, and the people outside the org are then squeezed out.

    Raises
    ------
    ValueError
        When the manager links have a cycle (loading rejects those with a located error).
    """
    ids = list(dict.fromkeys([*org.manager_of, *org.ids]))
    position = {identity: k for k, identity in enumerate(ids)}
    parent = np.array(
        [position.get(org.manager_of.get(i) or "", -1) for i in ids] + [-1], dtype=np.int64
    )
    in_org = np.array([org.index.get(i, -1) for i in ids] + [-1], dtype=np.int64)
    current = parent[[position[i] for i in org.ids]]  # index len(ids) stands for "none"
    levels: list[np.ndarray] = []
    while (current >= 0).any():
        if len(levels) > len(ids):
            raise ValueError("the manager links have a cycle")
        levels.append(in_org[current])
        current = parent[current]
    if not levels:
        return np.full((len(org), 1), -1, dtype=np.int64)
    table = np.column_stack(levels)
    table = np.take_along_axis(table, np.argsort(table < 0, axis=1, kind="stable"), axis=1)
    depth = max(int((table >= 0).sum(axis=1).max()), 1)
    return np.ascontiguousarray(table[:, :depth])


@dataclass
class Population:
    """Per-person arrays the rules and terms read, built once per org and analysis."""

    org: Org
    as_of: dt.date
    team: np.ndarray
    department: np.ndarray
    location: np.ndarray
    manager: np.ndarray
    attributes: dict[str, np.ndarray]
    level: np.ndarray
    tenure: np.ndarray
    languages: np.ndarray
    interests: np.ndarray
    skills: np.ndarray
    wants: np.ndarray
    interest_names: list[str]
    skill_names: list[str]
    language_names: list[str]
    window_start: np.ndarray
    window_end: np.ndarray
    window_id: np.ndarray
    window_overlap: np.ndarray
    language_id: np.ndarray
    language_shared: np.ndarray
    ancestors: np.ndarray
    community: np.ndarray
    strong_ties: np.ndarray
    flags: list[frozenset[str]]
    strength: sp.csr_matrix
    tie_threshold: float
    team_names: list[str]

    @property
    def ids(self) -> list[str]:
        return self.org.ids

    @functools.cached_property
    def interest_count(self) -> np.ndarray:
        """How many interests each person has."""
        return popcount(self.interests)

    @functools.cached_property
    def want_count(self) -> np.ndarray:
        """How many skills each person wants to learn."""
        return popcount(self.wants)


def population(org: Org, analysis: Analysis | AnalysisView) -> Population:
    """Gather the per-person arrays of ``org`` (with the flags and graph of ``analysis``)."""
    view = analysis.view() if isinstance(analysis, Analysis) else analysis
    if len(view.flags) != len(org):
        raise ValueError(f"the analysis has {len(view.flags)} people, the org {len(org)}")
    employees = org.employees
    as_of = view.as_of.date()
    team, team_names = _codes([e.team for e in employees])
    attribute_names = sorted({k for e in employees for k in e.attributes})
    attributes = {
        name: _codes([e.attributes.get(name) or None for e in employees])[0]
        for name in attribute_names
    }
    windows = np.array(
        [_utc_window(e.timezone, e.work_start, e.work_end, as_of) for e in employees]
    ).reshape(-1, 2)
    languages, language_names = _bitsets([e.languages for e in employees])
    interests, interest_names = _bitsets([e.interests for e in employees])
    skill_vocabulary = sorted({s.lower() for e in employees for s in (*e.skills, *e.wants)})
    skills = _bitsets_with([e.skills for e in employees], skill_vocabulary)
    wants = _bitsets_with([e.wants for e in employees], skill_vocabulary)
    start = windows[:, 0] if len(windows) else np.zeros(0)
    end = windows[:, 1] if len(windows) else np.zeros(0)
    distinct_windows, window_id = np.unique(
        np.column_stack([start, end]), axis=0, return_inverse=True
    )
    table = window_overlap(
        distinct_windows[:, 0][:, None],
        distinct_windows[:, 1][:, None],
        distinct_windows[:, 0][None, :],
        distinct_windows[:, 1][None, :],
    )
    distinct_languages, language_id = np.unique(languages, axis=0, return_inverse=True)
    shared = (distinct_languages[:, None, :] & distinct_languages[None, :, :]).any(axis=-1)
    return Population(
        org=org,
        as_of=as_of,
        team=team,
        department=_codes([e.department for e in employees])[0],
        location=_codes([e.location for e in employees])[0],
        manager=_codes([e.manager_id for e in employees])[0],
        attributes=attributes,
        level=np.array([np.nan if e.level is None else float(e.level) for e in employees]),
        tenure=np.array(
            [
                np.nan if e.hire_date is None else float((as_of - e.hire_date).days)
                for e in employees
            ]
        ),
        languages=languages,
        interests=interests,
        skills=skills,
        wants=wants,
        interest_names=interest_names,
        skill_names=skill_vocabulary,
        language_names=language_names,
        window_start=start,
        window_end=end,
        window_id=window_id.ravel(),
        window_overlap=table,
        language_id=language_id.ravel(),
        language_shared=shared,
        ancestors=manager_chains(org),
        community=view.community,
        strong_ties=view.strong_ties,
        flags=view.flags,
        strength=view.strength,
        tie_threshold=view.threshold,
        team_names=team_names,
    )


def _bitsets_with(lists: Sequence[Sequence[str]], vocabulary: list[str]) -> np.ndarray:
    """Rows of uint64 bit words marking each list's items (case-insensitive) in ``vocabulary``."""
    position = {v: k for k, v in enumerate(vocabulary)}
    words = max(1, (len(vocabulary) + 63) // 64)
    bits = np.zeros((len(lists), words), dtype=np.uint64)
    rows = [row for row, items in enumerate(lists) for _ in items]
    if rows:
        k = np.array([position[item.lower()] for items in lists for item in items], np.int64)
        mask = np.left_shift(np.uint64(1), (k % 64).astype(np.uint64))
        np.bitwise_or.at(bits, (np.array(rows, np.int64), k // 64), mask)
    return bits


def popcount(bits: np.ndarray) -> np.ndarray:
    """How many bits are set in each row of packed ``uint64`` words (last axis)."""
    if bits.shape[-1] == 1:
        return np.bitwise_count(bits[..., 0])
    return np.bitwise_count(bits).sum(axis=-1, dtype=np.int64)


def window_overlap(
    start_a: np.ndarray, end_a: np.ndarray, start_b: np.ndarray, end_b: np.ndarray
) -> np.ndarray:
    """Daily overlap in hours of UTC windows (the previous and next day's window count too)."""
    best = np.zeros(np.broadcast_shapes(np.shape(start_a), np.shape(start_b)))
    for shift in (-24.0, 0.0, 24.0):
        best = np.maximum(
            best, np.minimum(end_a, end_b + shift) - np.maximum(start_a, start_b + shift)
        )
    return best
