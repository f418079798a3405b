"""Compile a program into a solver-ready matching problem: who may be paired, and how well.

Rules and score terms are written once, as functions of two broadcastable index arrays
``(si, pi)`` into the org: a block of seekers × all providers when candidates are built, or two
equal-length arrays when chosen pairs are explained. Everything is vectorised with numpy.

Notes
-----
The definitions (selection defaults, capacity, every rule) are stated in the README's
"Program files" section; ``matcher.checks`` verifies solutions against them independently.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matcher.errors import ConfigError
from matcher.isolation import Analysis, AnalysisView
from matcher.model import Org, zone
from matcher.programs import (
    Capacity,
    Kind,
    Mode,
    ProgramSpec,
    Selector,
    period_index,
    period_length,
)

TERMS = (
    "interests",
    "skills",
    "overlap_hours",
    "bridging",
    "existing_tie",
    "repeat",
    "isolation_priority",
    "preferences",
)
BLOCK_CELLS = 4_000_000  # seekers × providers evaluated at once
TOP_PER_SEEKER = 40  # best arcs per seeker remembered for pruned solves

KIND_DEFAULTS: dict[Kind, dict[str, Selector]] = {
    Kind.BUDDY: {
        "seekers": Selector(hired_within_days=90),
        "providers": Selector(roles=["buddy"], min_tenure_days=180),
    },
    Kind.MENTOR: {"seekers": Selector(roles=["mentee"]), "providers": Selector(roles=["mentor"])},
    Kind.PEER_SUPPORT: {
        "seekers": Selector(
            any_of=[
                Selector(flags=["isolated", "peripheral"], roles=["peer_support_consent"]),
                Selector(roles=["support_request"]),
            ]
        ),
        "providers": Selector(roles=["peer_supporter"]),
    },
    Kind.PEER: {"seekers": Selector(roles=["peer"]), "providers": Selector()},
}


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


def _ancestors(org: Org) -> np.ndarray:
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
        return _popcount(self.interests)

    @functools.cached_property
    def want_count(self) -> np.ndarray:
        """How many skills each person wants to learn."""
        return _popcount(self.wants)


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
        ancestors=_ancestors(org),
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


def _popcount(bits: np.ndarray) -> np.ndarray:
    if bits.shape[-1] == 1:
        return np.bitwise_count(bits[..., 0])
    return np.bitwise_count(bits).sum(axis=-1, dtype=np.int64)


# ------------------------------------------------------------------- conditions and terms

PairCondition = Callable[[Population, np.ndarray, np.ndarray], np.ndarray]


def _same(codes: np.ndarray) -> PairCondition:
    def condition(_pop: Population, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
        a, b = codes[si], codes[pi]
        return (a == b) & (a >= 0)

    return condition


def reporting_line(pop: Population, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Either person is in the other's manager chain."""
    if _is_block(si, pi):
        return _reporting_line_block(pop, si[:, 0], pi[0])
    up_from_seeker = (pop.ancestors[si] == pi[..., None]).any(axis=-1)
    up_from_provider = (pop.ancestors[pi] == si[..., None]).any(axis=-1)
    return np.asarray(up_from_seeker | up_from_provider)


def _is_block(si: np.ndarray, pi: np.ndarray) -> bool:
    """``(si, pi)`` is a block: a column of seekers against a row of providers."""
    return si.ndim == 2 and pi.ndim == 2 and si.shape[1] == 1 and pi.shape[0] == 1


def _table(table: np.ndarray, ids: np.ndarray, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """``table[ids[si], ids[pi]]``; for a block, rows first and then one ``take`` (no 2-D gather)."""
    if _is_block(si, pi):
        return np.take(table[ids[si[:, 0]]], ids[pi[0]], axis=1)
    return np.asarray(table[ids[si], ids[pi]])


def shared_language(pop: Population, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """The two speak a common language (looked up in the table of distinct language sets)."""
    return _table(pop.language_shared, pop.language_id, si, pi)


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


def overlap_hours(pop: Population, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Daily overlap of working hours, looked up in the table of distinct windows."""
    return _table(pop.window_overlap, pop.window_id, si, pi)


def _reporting_line_block(pop: Population, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """:func:`reporting_line` for every (row, col) pair, by scattering the chains (no c×P×depth)."""
    out = np.zeros((len(rows), len(cols)), dtype=bool)
    col_of = np.full(len(pop.ids) + 1, -1, dtype=np.int64)
    col_of[cols] = np.arange(len(cols))
    row_of = np.full(len(pop.ids) + 1, -1, dtype=np.int64)
    row_of[rows] = np.arange(len(rows))
    # a provider among the seeker's managers (ancestors are -1 padded: index n maps to -1)
    up = pop.ancestors[rows]
    where = col_of[np.where(up >= 0, up, len(pop.ids))]
    r, d = np.nonzero(where >= 0)
    out[r, where[r, d]] = True
    # a seeker among the provider's managers
    up = pop.ancestors[cols]
    where = row_of[np.where(up >= 0, up, len(pop.ids))]
    c, d = np.nonzero(where >= 0)
    out[where[c, d], c] = True
    return out


def level_gap(pop: Population, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    return np.asarray(pop.level[pi] - pop.level[si])


def _lookup(matrix: sp.csr_matrix, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """``matrix[si, pi]`` for a block (``(c, 1)`` × ``(1, P)``) or for equal-length arrays."""
    if _is_block(si, pi):
        return np.asarray(matrix[si[:, 0]][:, pi[0]].toarray())
    return np.asarray(matrix[si.ravel(), pi.ravel()]).reshape(
        np.broadcast_shapes(si.shape, pi.shape)
    )


@dataclass
class History:
    """Committed earlier pairings that matter to one program, as sparse matrices over the org.

    ``recent`` marks unordered pairs matched within the no-repeat window; ``penalty`` holds
    Σ 0.5^(ago − 1) over earlier pairings (capped at 1), the decaying repeat term.
    """

    recent: sp.csr_matrix
    penalty: sp.csr_matrix
    pairs: int = 0

    @staticmethod
    def empty(n: int) -> History:
        return History(sp.csr_matrix((n, n), dtype=bool), sp.csr_matrix((n, n)))


def history_for(
    spec: ProgramSpec, org: Org, rows: Sequence[tuple[str | None, str, str, str]]
) -> History:
    """Build :class:`History` from committed ``(kind, seeker_id, provider_id, period)`` rows.

    Rows of another kind are ignored; rows without a kind (imported) count for every kind.
    """
    n = len(org)
    now, length = period_index(spec.period), period_length(spec.period)
    window = spec.rules.no_repeat_periods
    recent_i: list[int] = []
    recent_j: list[int] = []
    pen_i: list[int] = []
    pen_j: list[int] = []
    pen_v: list[float] = []
    used = 0
    for kind, seeker, provider, period in rows:
        if kind not in (None, spec.kind.value):
            continue
        a, b = org.index.get(seeker), org.index.get(provider)
        if a is None or b is None:
            continue
        ago = (now - period_index(period)) / length
        if ago < 0:
            continue
        used += 1
        if window is not None and ago <= window + 1e-9:
            recent_i += [a, b]
            recent_j += [b, a]
        if ago >= 1 - 1e-9:
            pen_i += [a, b]
            pen_j += [b, a]
            pen_v += [0.5 ** (ago - 1)] * 2
    recent = sp.csr_matrix((np.ones(len(recent_i), bool), (recent_i, recent_j)), shape=(n, n))
    penalty = sp.csr_matrix((pen_v, (pen_i, pen_j)), shape=(n, n))
    penalty.sum_duplicates()
    penalty.data = np.minimum(penalty.data, 1.0)
    return History(recent.astype(bool), penalty, used)


@dataclass(frozen=True)
class YesNoRule:
    name: str
    mode: Mode
    condition: PairCondition
    column: str


def yes_no_rules(spec: ProgramSpec, pop: Population) -> list[YesNoRule]:
    """The program's same_*/reporting_line/shared_language rules that are not ignored."""
    columns = {
        "same_team": ("team", _same(pop.team)),
        "same_department": ("department", _same(pop.department)),
        "same_location": ("location", _same(pop.location)),
        "same_manager": ("manager_id", _same(pop.manager)),
        "reporting_line": ("manager_id", reporting_line),
        "shared_language": ("languages", shared_language),
    }
    rules = []
    for name, mode in spec.rules.yes_no_rules().items():
        if mode is Mode.IGNORED:
            continue
        if name in columns:
            column, condition = columns[name]
        else:
            column = name.removeprefix("same_")
            if column not in pop.attributes:
                raise ConfigError(
                    f"program {spec.name!r}: rule {name} needs the employee column {column!r}, which the data lacks"
                )
            condition = _same(pop.attributes[column])
        rules.append(YesNoRule(name, mode, condition, column))
    return rules


def _term(
    name: str,
    spec: ProgramSpec,
    pop: Population,
    history: History,
    si: np.ndarray,
    pi: np.ndarray,
    shape: tuple[int, ...],
) -> np.ndarray:
    """One soft term for the pairs ``(si, pi)``, broadcastable to ``shape`` (see :func:`pair_terms`)."""
    if name == "interests":
        shared = _popcount(pop.interests[si] & pop.interests[pi])
        union = pop.interest_count[si] + pop.interest_count[pi] - shared
        return np.divide(shared, union, out=np.zeros(shape), where=union > 0)
    if name == "skills":
        wanted = pop.want_count[si]
        found = _popcount(pop.wants[si] & pop.skills[pi])
        return np.divide(found, wanted, out=np.zeros(shape), where=wanted > 0)
    if name == "overlap_hours":
        return np.minimum(overlap_hours(pop, si, pi) / 8.0, 1.0)
    if name == "bridging":
        return (pop.community[si] != pop.community[pi]).astype(np.float64)
    if name == "existing_tie":
        tie = _lookup(pop.strength, si, pi)
        if pop.tie_threshold > 0:
            return np.minimum(tie / pop.tie_threshold, 1.0)
        return (tie > 0).astype(np.float64)
    if name == "repeat":
        if history.penalty.nnz:
            return _lookup(history.penalty, si, pi)
        return np.zeros(())
    if name == "isolation_priority":
        return 1.0 / (1.0 + pop.strong_ties[si])
    if name == "preferences":
        preferences = np.zeros(())
        for rule in yes_no_rules(spec, pop):
            if rule.mode is Mode.PREFERRED:
                preferences = preferences + rule.condition(pop, si, pi)
            elif rule.mode is Mode.AVOIDED:
                preferences = preferences - rule.condition(pop, si, pi)
        return preferences
    raise ValueError(f"unknown term {name!r}")


def pair_terms(
    spec: ProgramSpec, pop: Population, history: History, si: np.ndarray, pi: np.ndarray
) -> dict[str, np.ndarray]:
    """Each soft term of the objective for the pairs ``(si, pi)``; every term lies in [-1, 1].

    * ``interests``: Jaccard overlap of interests.
    * ``skills``: share of the seeker's ``wants`` found in the provider's ``skills``.
    * ``overlap_hours``: working-hour overlap / 8 h, at most 1.
    * ``bridging``: 1 when the two sit in different communities of the collaboration graph.
    * ``existing_tie``: their current tie strength / the strong-tie threshold, at most 1.
    * ``repeat``: Σ 0.5^(periods ago − 1) over earlier pairings, at most 1.
    * ``isolation_priority``: 1 / (1 + the seeker's strong ties).
    * ``preferences``: +1 per preferred rule that holds, −1 per avoided rule that holds.
    """
    shape = np.broadcast_shapes(si.shape, pi.shape)
    return {
        name: np.array(
            np.broadcast_to(_term(name, spec, pop, history, si, pi, shape), shape),
            dtype=np.float64,
        )
        for name in TERMS
    }


def weighted_score(spec: ProgramSpec, terms: dict[str, np.ndarray]) -> np.ndarray:
    weights = spec.weights.model_dump()
    total = np.zeros(next(iter(terms.values())).shape)
    for name in TERMS:
        if weights[name]:
            total = total + weights[name] * terms[name]
    return total


def pair_scores(
    spec: ProgramSpec, pop: Population, history: History, si: np.ndarray, pi: np.ndarray
) -> np.ndarray:
    """``weighted_score(spec, pair_terms(...))`` without materialising each term.

    Terms of weight 0 are skipped and broadcast terms (a seeker's isolation priority) stay one
    column wide; the additions run in the same order, so the scores are bit for bit equal.
    """
    shape = np.broadcast_shapes(si.shape, pi.shape)
    weights = spec.weights.model_dump()
    total = np.zeros(shape)
    for name in TERMS:
        if weights[name]:
            total += _term(name, spec, pop, history, si, pi, shape) * weights[name]
    return total


# ------------------------------------------------------------------------------ selection


def _is_empty(selector: Selector) -> bool:
    return all(value is None for value in selector.model_dump().values())


def effective_selector(spec: ProgramSpec, side: str) -> Selector:
    """The program's selector for ``side``, or the kind's default when none is given."""
    selector: Selector = getattr(spec, side)
    return KIND_DEFAULTS[spec.kind][side] if _is_empty(selector) else selector


def select(selector: Selector, pop: Population) -> np.ndarray:
    """Boolean mask of the people ``selector`` matches (fields ANDed, ``any_of`` ORed)."""
    employees = pop.org.employees
    n = len(employees)
    mask = np.ones(n, dtype=bool)
    if selector.roles is not None:
        wanted = {r.lower() for r in selector.roles}
        mask &= np.array(
            [bool(wanted & {r.lower() for r in e.roles}) for e in employees], dtype=bool
        )
    if selector.min_tenure_days is not None:
        mask &= np.nan_to_num(pop.tenure, nan=-1) >= selector.min_tenure_days
    if selector.hired_within_days is not None:
        tenure = np.nan_to_num(pop.tenure, nan=-1)
        mask &= (tenure >= 0) & (tenure <= selector.hired_within_days)
    if selector.flags is not None:
        flags = set(selector.flags)
        mask &= np.array([bool(flags & f) for f in pop.flags], dtype=bool)
    for values, attribute in (
        (selector.ids, "id"),
        (selector.teams, "team"),
        (selector.departments, "department"),
        (selector.locations, "location"),
    ):
        if values is not None:
            allowed = set(values)
            mask &= np.array([getattr(e, attribute) in allowed for e in employees], dtype=bool)
    if selector.min_level is not None:
        mask &= np.nan_to_num(pop.level, nan=-np.inf) >= selector.min_level
    if selector.max_level is not None:
        mask &= np.nan_to_num(pop.level, nan=np.inf) <= selector.max_level
    if selector.exclude_ids is not None:
        excluded = set(selector.exclude_ids)
        mask &= np.array([e.id not in excluded for e in employees], dtype=bool)
    if selector.any_of is not None:
        either = np.zeros(n, dtype=bool)
        for option in selector.any_of:
            either |= select(option, pop)
        mask &= either
    return mask


MAX_CAPACITY = 1_000_000
"""The largest capacity a cell may give (more is surely a typo, and keeps flows in range)."""

_WHOLE = re.compile(r"\s*\+?([0-9]+)(\.0*)?\s*")


def capacities(capacity: Capacity, pop: Population, providers: np.ndarray) -> np.ndarray:
    """Seekers each provider may take: the capacity column when filled in, else the default.

    A filled cell must be a whole number written with the digits 0–9 (``3`` or ``3.0``), at most
    :data:`MAX_CAPACITY`; anything else (``2.5``, ``1e9``, ``inf``, ``-1``, full-width digits) is
    an error naming the person, not a guess.
    """
    values = np.full(len(providers), capacity.default, dtype=np.int64)
    if capacity.column is not None:
        if capacity.column not in pop.attributes:
            raise ConfigError(
                f"capacity.column {capacity.column!r} is not a column of the employees file"
            )
        for k, person in enumerate(providers):
            cell = pop.org.employees[person].attributes.get(capacity.column, "").strip()
            if not cell:
                continue
            who = pop.org.employees[person].id
            match = _WHOLE.fullmatch(cell)
            if match is None:
                raise ConfigError(
                    f"capacity column {capacity.column!r} of {who}: expected a whole number of "
                    f"seekers (0 to {MAX_CAPACITY:,}), found {cell!r}"
                )
            if len(match.group(1)) > 7 or int(match.group(1)) > MAX_CAPACITY:
                raise ConfigError(
                    f"capacity column {capacity.column!r} of {who}: {cell!r} is more than "
                    f"{MAX_CAPACITY:,} seekers"
                )
            values[k] = int(match.group(1))
    if capacity.max is not None:
        values = np.minimum(values, capacity.max)
    return values


# ------------------------------------------------------------------------------- problem


@dataclass
class MatchingProblem:
    """A program compiled for the solver: candidates (eligible pairs) with their scores.

    Positions: ``arc_seeker[k]`` indexes ``seekers`` and ``arc_provider[k]`` indexes
    ``providers``; both of those hold org indices.
    """

    spec: ProgramSpec
    pop: Population
    history: History
    seekers: np.ndarray
    providers: np.ndarray
    capacity: np.ndarray
    min_load: int
    """``capacity.min`` of the program."""
    min_need: np.ndarray
    """Per provider: the pairs still needed to reach ``min_load`` after the committed ones."""
    per_seeker: int
    supply: np.ndarray
    prior_team_load: dict[tuple[int, int], int]
    arc_seeker: np.ndarray
    arc_provider: np.ndarray
    arc_score: np.ndarray
    must: list[tuple[int, int]]
    must_blockers: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    top_arcs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Each seeker's best ``top_k`` arcs: where a pruned solve starts."""
    top_k: int = TOP_PER_SEEKER
    removed_by: dict[str, np.ndarray] = field(default_factory=dict)
    team_cap: int | None = None
    notes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    """Hard constraints found impossible while compiling (e.g. a must pair for a seeker already
    fully served this period): the solver reports them as infeasible."""
    prior_load: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per provider: pairs committed earlier in this program and period (``--incremental``)."""

    @property
    def seeker_ids(self) -> list[str]:
        return [self.pop.ids[i] for i in self.seekers]

    @property
    def provider_ids(self) -> list[str]:
        return [self.pop.ids[i] for i in self.providers]

    @property
    def arcs(self) -> int:
        return len(self.arc_seeker)

    def seeker_team(self) -> np.ndarray:
        return self.pop.team[self.seekers]


@dataclass(frozen=True)
class Block:
    """The eligible pairs of one block of seekers: positions, scores, and each seeker's best."""

    seeker: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    top: np.ndarray


def _check_columns(spec: ProgramSpec, pop: Population) -> None:
    """A rule that needs a column the data lacks is an error naming both."""
    org = pop.org
    needs: list[tuple[str, str, bool]] = [
        ("min_level_gap", "level", spec.rules.min_level_gap is not None),
        ("max_level_gap", "level", spec.rules.max_level_gap is not None),
        ("min_overlap_hours", "timezone", False),
        ("max_same_team_per_provider", "team", spec.rules.max_same_team_per_provider is not None),
    ]
    for yes_no in yes_no_rules(spec, pop):
        needs.append((yes_no.name, yes_no.column, True))
    present = {
        "level": any(e.level is not None for e in org.employees),
        "team": any(e.team for e in org.employees),
        "department": any(e.department for e in org.employees),
        "location": any(e.location for e in org.employees),
        "languages": any(e.languages for e in org.employees),
    }
    for rule, column, needed in needs:
        if needed and not present.get(column, True):
            raise ConfigError(
                f"program {spec.name!r}: rule {rule} needs the employee column {column!r}, which the data lacks"
            )


def _block_conditions(
    spec: ProgramSpec,
    pop: Population,
    history: History,
    rules: list[YesNoRule],
    si: np.ndarray,
    pi: np.ndarray,
) -> dict[str, np.ndarray]:
    """For each hard rule, which pairs of the block it allows."""
    allowed: dict[str, np.ndarray] = {}
    for rule in rules:
        if rule.mode is Mode.REQUIRED:
            allowed[rule.name] = rule.condition(pop, si, pi)
        elif rule.mode is Mode.FORBIDDEN:
            allowed[rule.name] = ~rule.condition(pop, si, pi)
    # a missing level is NaN, and NaN compares false: the pair is not allowed
    if spec.rules.min_level_gap is not None:
        allowed["min_level_gap"] = level_gap(pop, si, pi) >= spec.rules.min_level_gap
    if spec.rules.max_level_gap is not None:
        allowed["max_level_gap"] = level_gap(pop, si, pi) <= spec.rules.max_level_gap
    if spec.rules.min_overlap_hours is not None:
        allowed["min_overlap_hours"] = (
            overlap_hours(pop, si, pi) >= spec.rules.min_overlap_hours - 1e-9
        )
    if spec.rules.no_repeat_periods is not None and history.recent.nnz:
        allowed["no_repeat_periods"] = ~_lookup(history.recent, si, pi).astype(bool)
    return allowed


def compile_program(
    spec: ProgramSpec,
    pop: Population,
    history: History,
    *,
    prior: Sequence[tuple[str, str]] = (),
    threads: int = 1,
    top_per_seeker: int = TOP_PER_SEEKER,
    block_cells: int = BLOCK_CELLS,
) -> MatchingProblem:
    """Select seekers and providers, apply the hard rules, and score every eligible pair.

    Seekers are taken in blocks of about ``block_cells`` seeker × provider cells against all
    providers; ``threads`` blocks run at once. The result does not depend on ``threads`` or
    ``block_cells``. Each seeker's ``top_per_seeker`` best arcs are remembered as the start of a
    pruned solve (:attr:`MatchingProblem.top_arcs`).

    ``prior`` pairs (seeker id, provider id) were committed earlier in the same program and
    period (``--incremental``): they use up capacity and per-team caps, and seekers they
    already serve fully are not assigned again.

    Raises
    ------
    ConfigError
        When a rule needs a column the data lacks, or a must/never pair names unknown people.
    """
    _check_columns(spec, pop)
    rules = yes_no_rules(spec, pop)
    seekers = np.flatnonzero(select(effective_selector(spec, "seekers"), pop))
    peer = spec.kind is Kind.PEER
    providers = (
        seekers.copy()
        if peer
        else np.flatnonzero(select(effective_selector(spec, "providers"), pop))
    )
    capacity = capacities(spec.capacity, pop, providers)
    supply = np.full(len(seekers), spec.per_seeker, dtype=np.int64)
    prior_team_load: dict[tuple[int, int], int] = {}
    # distinct committed pairs: two committed runs that list the same pair count it once
    prior_pairs = _prior_positions(prior, pop, peer)
    prior_load = np.zeros(len(providers), dtype=np.int64)
    notes: list[str] = []
    conflicts: list[str] = []
    full_before: dict[int, list[int]] = {}
    if prior_pairs:
        seeker_at = {int(i): k for k, i in enumerate(seekers)}
        provider_at = {int(i): k for k, i in enumerate(providers)}
        for a, b in sorted(prior_pairs):
            if peer:
                # a peer pair uses one unit of each person's capacity
                for person, partner in ((a, b), (b, a)):
                    if person in provider_at:
                        prior_load[provider_at[person]] += 1
                        full_before.setdefault(person, []).append(partner)
                continue
            if a in seeker_at:
                supply[seeker_at[a]] -= 1
                full_before.setdefault(a, []).append(b)
            if b in provider_at:
                prior_load[provider_at[b]] += 1
                key = (provider_at[b], int(pop.team[a]))
                prior_team_load[key] = prior_team_load.get(key, 0) + 1
        over = np.flatnonzero(prior_load > capacity)
        if len(over):
            notes.append(
                f"{len(over)} provider(s) already hold more committed pairs this period than their "
                f"capacity (e.g. {pop.ids[providers[over[0]]]}: {prior_load[over[0]]} of "
                f"{capacity[over[0]]}): they take no one new"
            )
        capacity = np.maximum(capacity - prior_load, 0)
        if peer:
            keep = (capacity > 0) | (prior_load == 0)  # drop only those the committed pairs fill
            still_open = set(seekers[keep].tolist())
            full_before = {a: bs for a, bs in full_before.items() if a not in still_open}
            seekers, providers, capacity = seekers[keep], providers[keep], capacity[keep]
            prior_load = prior_load[keep]
            supply = capacity.copy()
        else:
            keep = supply > 0
            seekers, supply = seekers[keep], supply[keep]
            still_open = set(seekers.tolist())
            full_before = {a: bs for a, bs in full_before.items() if a not in still_open}
    min_need = np.maximum(spec.capacity.min - prior_load, 0)
    provider_position = np.full(len(pop.ids), -1, dtype=np.int64)
    provider_position[providers] = np.arange(len(providers))
    seeker_position = np.full(len(pop.ids), -1, dtype=np.int64)
    seeker_position[seekers] = np.arange(len(seekers))

    never = _pair_positions(
        spec, spec.pairs.never, pop, seeker_position, provider_position, both=True
    )
    never_matrix = sp.csr_matrix(
        (np.ones(len(never), bool), ([a for a, _ in never], [b for _, b in never])),
        shape=(len(seekers), len(providers)),
    )
    must, done = _must_positions(
        spec, pop, seeker_position, provider_position, prior_pairs, full_before, conflicts
    )
    if done:
        notes.append(
            f"{done} must pair(s) were already committed this period and are kept as they are"
        )

    removed = {
        name: np.zeros(len(seekers), np.int64) for name in _hard_rule_names(spec, rules, history)
    }
    removed["never"] = np.zeros(len(seekers), np.int64)
    step = max(1, block_cells // max(len(providers), 1))
    pi = providers[None, :]

    def candidates(start: int) -> Block | None:
        """The eligible pairs of seekers ``start:start + step`` and their scores."""
        block = slice(start, min(start + step, len(seekers)))
        si = seekers[block][:, None]
        distinct = si != pi
        eligible = distinct.copy()
        for name, allowed in _block_conditions(spec, pop, history, rules, si, pi).items():
            removed[name][block] += (~allowed & distinct).sum(axis=1)
            eligible &= allowed
        if prior_pairs:
            # a pair committed earlier this period is not proposed again (either orientation)
            block_seekers = seekers[block]
            for a, b in prior_pairs:
                for x, y in ((a, b), (b, a)):
                    hit = np.flatnonzero(block_seekers == x)
                    col = np.flatnonzero(providers == y)
                    if len(hit) and len(col):
                        eligible[hit[0], col[0]] = False
        if never_matrix.nnz:
            banned = never_matrix[block].toarray()
            removed["never"][block] += banned.sum(axis=1)
            eligible &= ~banned
        flat = np.flatnonzero(eligible)
        if not len(flat):
            return None
        dense = pair_scores(spec, pop, history, si, pi)
        rows, cols = np.divmod(flat, len(providers))
        score = dense.ravel()[flat]
        dense[~eligible] = -np.inf
        return Block(
            (rows + start).astype(np.int32),
            cols.astype(np.int32),
            score,
            _top_per_row(dense, flat, top_per_seeker),
        )

    starts = range(0, len(seekers), step)
    if threads > 1 and len(starts) > 1:
        for matrix in (pop.strength, history.penalty, history.recent):
            matrix.sort_indices()  # scipy sorts lazily, in place: not while threads read it
        # numpy releases the GIL in its array loops; blocks write disjoint rows of `removed`
        with ThreadPoolExecutor(min(threads, len(starts))) as pool:
            blocks = [b for b in pool.map(candidates, starts) if b is not None]
    else:
        blocks = [b for b in map(candidates, starts) if b is not None]
    offsets = np.cumsum([0] + [len(b.score) for b in blocks])
    must_blockers: dict[tuple[int, int], list[str]] = {}
    if must:
        si = seekers[[s for s, _ in must]]
        pi = providers[[p for _, p in must]]
        conditions = _block_conditions(spec, pop, history, rules, si, pi)
        banned = {(s, p) for s, p in never}
        for k, pair in enumerate(must):
            blockers = [name for name, allowed in conditions.items() if not allowed[k]]
            if pair in banned:
                blockers.append("pairs.never")
            if si[k] == pi[k]:
                blockers.append("self")
            if blockers:
                must_blockers[pair] = blockers
    problem = MatchingProblem(
        spec=spec,
        pop=pop,
        history=history,
        seekers=seekers,
        providers=providers,
        capacity=capacity,
        min_load=spec.capacity.min,
        min_need=min_need,
        per_seeker=spec.per_seeker,
        supply=supply,
        prior_team_load=prior_team_load,
        arc_seeker=np.concatenate([b.seeker for b in blocks] or [np.zeros(0, np.int32)]),
        arc_provider=np.concatenate([b.provider for b in blocks] or [np.zeros(0, np.int32)]),
        arc_score=np.concatenate([b.score for b in blocks] or [np.zeros(0)]),
        must=must,
        must_blockers=must_blockers,
        top_arcs=np.concatenate(
            [b.top + offset for b, offset in zip(blocks, offsets, strict=False)]
            or [np.zeros(0, np.int64)]
        ),
        top_k=top_per_seeker,
        notes=notes,
        conflicts=conflicts,
        prior_load=prior_load,
        removed_by={k: v for k, v in removed.items() if v.any() or k != "never"},
        team_cap=spec.rules.max_same_team_per_provider,
    )
    return _symmetrize(problem) if peer else problem


def _symmetrize(problem: MatchingProblem) -> MatchingProblem:
    """Peer programs: keep pair {i, j} (i < j) when both orientations are eligible; its score
    is the mean of the two orientations' scores."""
    n = len(problem.seekers)
    key = problem.arc_seeker.astype(np.int64) * n + problem.arc_provider
    reverse = problem.arc_provider.astype(np.int64) * n + problem.arc_seeker
    order = np.argsort(key)
    where = np.minimum(np.searchsorted(key[order], reverse), max(len(key) - 1, 0))
    partner = order[where] if len(key) else where
    both = (key[partner] == reverse) if len(key) else np.zeros(0, bool)
    keep = both & (problem.arc_seeker < problem.arc_provider)
    score = (problem.arc_score + problem.arc_score[partner]) / 2
    problem.arc_seeker = problem.arc_seeker[keep]
    problem.arc_provider = problem.arc_provider[keep]
    problem.arc_score = score[keep]
    problem.top_arcs = np.arange(int(keep.sum()))
    problem.must = list(dict.fromkeys((min(a, b), max(a, b)) for a, b in problem.must))
    problem.must_blockers = {
        (min(a, b), max(a, b)): r for (a, b), r in problem.must_blockers.items()
    }
    return problem


def _top_per_row(dense: np.ndarray, flat: np.ndarray, k: int) -> np.ndarray:
    """Positions (into ``flat``, the block's eligible cells in row-major order) of each row's
    ``k`` best scores; ineligible cells of ``dense`` hold -inf."""
    n_rows, n_cols = dense.shape
    if n_cols <= k:
        return np.arange(len(flat))
    best = np.argpartition(dense, n_cols - k, axis=1)[:, n_cols - k :]
    picked = (best + (np.arange(n_rows) * n_cols)[:, None]).ravel()
    picked = np.sort(picked)
    position = np.searchsorted(flat, picked)
    hit = position < len(flat)
    hit[hit] = flat[position[hit]] == picked[hit]
    return position[hit]


def _hard_rule_names(spec: ProgramSpec, rules: list[YesNoRule], history: History) -> list[str]:
    names = [r.name for r in rules if r.mode in (Mode.REQUIRED, Mode.FORBIDDEN)]
    for name in ("min_level_gap", "max_level_gap", "min_overlap_hours"):
        if getattr(spec.rules, name) is not None:
            names.append(name)
    if spec.rules.no_repeat_periods is not None and history.recent.nnz:
        names.append("no_repeat_periods")
    return names


def _prior_positions(
    prior: Sequence[tuple[str, str]], pop: Population, peer: bool
) -> set[tuple[int, int]]:
    """Distinct committed pairs as org indices; unordered (smaller index first) for peers."""
    out: set[tuple[int, int]] = set()
    for seeker_id, provider_id in prior:
        a, b = pop.org.index.get(seeker_id), pop.org.index.get(provider_id)
        if a is None or b is None or a == b:
            continue
        out.add((min(a, b), max(a, b)) if peer else (a, b))
    return out


def _must_positions(
    spec: ProgramSpec,
    pop: Population,
    seeker_position: np.ndarray,
    provider_position: np.ndarray,
    prior_pairs: set[tuple[int, int]],
    full_before: dict[int, list[int]],
    conflicts: list[str],
) -> tuple[list[tuple[int, int]], int]:
    """Distinct must pairs as positions, less those already committed this period.

    A must pair whose seeker is already fully served by committed pairs cannot hold: it is
    added to ``conflicts``. Returns the positions and how many must pairs were already
    committed.
    """
    peer = spec.kind is Kind.PEER
    wanted: list[tuple[str, str]] = []
    done = 0
    for a, b in dict.fromkeys((a, b) for a, b in spec.pairs.must):
        ia, ib = pop.org.index.get(a), pop.org.index.get(b)
        if ia is not None and ib is not None:
            key = (min(ia, ib), max(ia, ib)) if peer else (ia, ib)
            if key in prior_pairs or (not peer and (ib, ia) in prior_pairs):
                done += 1
                continue
            for s, p in ((ia, ib), (ib, ia)):
                if s in full_before and (peer or provider_position[p] >= 0):
                    given = ", ".join(pop.ids[q] for q in full_before[s])
                    limit = "capacity" if peer else f"per_seeker ({spec.per_seeker})"
                    conflicts.append(
                        f"pairs.must ({pop.ids[s]}, {pop.ids[p]}) cannot hold: {pop.ids[s]} already "
                        f"has the committed pair(s) this period that fill their {limit} "
                        f"({given}); withdraw that run or drop the must pair"
                    )
                    break
            else:
                wanted.append((a, b))
                continue
            continue
        wanted.append((a, b))
    positions = _pair_positions(spec, wanted, pop, seeker_position, provider_position, both=False)
    return list(dict.fromkeys(positions)), done


def _pair_positions(
    spec: ProgramSpec,
    pairs: list[tuple[str, str]],
    pop: Population,
    seeker_position: np.ndarray,
    provider_position: np.ndarray,
    *,
    both: bool,
) -> list[tuple[int, int]]:
    """Positions of listed pairs as (seeker, provider), trying ``[a, b]`` then ``[b, a]``."""
    out: list[tuple[int, int]] = []
    label = "never" if both else "must"
    for a, b in pairs:
        for name in (a, b):
            if name not in pop.org.index:
                raise ConfigError(
                    f"program {spec.name!r}: pairs.{label} names {name!r}, who is not an employee (or opted out)"
                )
        ia, ib = pop.org.index[a], pop.org.index[b]
        found = False
        for s, p in ((ia, ib), (ib, ia)):
            if seeker_position[s] >= 0 and provider_position[p] >= 0:
                out.append((int(seeker_position[s]), int(provider_position[p])))
                found = True
                if not both:
                    break
        if not found and not both:
            raise ConfigError(
                f"program {spec.name!r}: pairs.must [{a!r}, {b!r}] is not a seeker–provider pair of this program"
            )
    return out
