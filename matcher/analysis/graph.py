"""The collaboration graph: tie strength, reciprocity and strong ties.

The arithmetic runs on numpy arrays and ``scipy.sparse`` matrices, so that millions of
interaction rows take seconds; :meth:`CollaborationGraph.to_networkx` gives the same graph as
a ``networkx.Graph``, the project's graph API and reference implementation.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import scipy.sparse as sp

from matcher import arrays
from matcher.config import AnalysisConfig
from matcher.model import CHANNELS, InteractionTable

SECONDS_PER_DAY = 86_400.0


@dataclass
class GraphStats:
    """What the graph builder used and ignored."""

    rows_used: int = 0
    rows_future: int = 0
    rows_before_window: int = 0
    events: int = 0
    broadcast_events: int = 0
    broadcast_rows: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name, as in ``summary.json``'s ``graph``."""
        return dict(self.__dict__)


@dataclass
class CollaborationGraph:
    """Who works with whom, and how strongly.

    Attributes
    ----------
    strength : scipy.sparse.csr_matrix
        Symmetric tie strength (float64), zero diagonal.
    reciprocated : scipy.sparse.csr_matrix
        Symmetric boolean: the pair met on a mutual channel (in person, video, call, meeting)
        or wrote to each other in both directions (chat, e-mail).
    one_way : scipy.sparse.csr_matrix
        Boolean, ``one_way[i, j]``: ``i`` wrote to ``j`` and the pair is not reciprocated.
    strong : scipy.sparse.csr_matrix
        Symmetric boolean: reciprocated and at least the strong-tie threshold.
    threshold : float
        The org-relative strong-tie threshold (before the new-hire scaling).
    """

    n: int
    strength: sp.csr_matrix
    reciprocated: sp.csr_matrix
    one_way: sp.csr_matrix
    strong: sp.csr_matrix
    threshold: float
    stats: GraphStats = field(default_factory=GraphStats)

    def to_networkx(self, ids: list[str] | None = None) -> nx.Graph:
        """The graph as ``networkx.Graph`` with edge attributes ``strength``, ``reciprocated``
        and ``strong``; nodes are positions ``0..n-1`` or, when given, ``ids``."""
        graph = nx.Graph()
        names = ids if ids is not None else list(range(self.n))
        graph.add_nodes_from(names)
        upper = sp.triu(self.strength, k=1).tocoo()
        reciprocated = self.reciprocated.tocsr()
        strong = self.strong.tocsr()
        for i, j, w in zip(
            upper.row.tolist(), upper.col.tolist(), upper.data.tolist(), strict=True
        ):
            graph.add_edge(
                names[i],
                names[j],
                strength=w,
                reciprocated=bool(reciprocated[i, j]),
                strong=bool(strong[i, j]),
            )
        return graph


def duration_factor(minutes: np.ndarray, config: AnalysisConfig) -> np.ndarray:
    """``min((minutes / reference) ** exponent, cap)``; 1 where the duration is unknown (NaN).

    >>> duration_factor(np.array([30.0, 120.0, np.nan, 0.0]), AnalysisConfig()).tolist()
    [1.0, 2.0, 1.0, 0.0]
    """
    ratio = np.maximum(minutes, 0) / config.duration_reference_minutes
    factor = np.minimum(np.power(ratio, config.duration_exponent), config.duration_cap)
    return np.where(np.isnan(minutes), 1.0, factor)


def recency_decay(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """``0.5 ** (age / half_life)``: weight halves every half-life.

    >>> recency_decay(np.array([0.0, 30.0, 60.0]), 30.0).tolist()
    [1.0, 0.5, 0.25]
    """
    return np.power(0.5, np.maximum(age_days, 0) / half_life_days)


@dataclass(frozen=True)
class TieContributions:
    """Per-pair contributions before aggregation: ``mutual`` ones count for both people."""

    i: np.ndarray
    j: np.ndarray
    value: np.ndarray
    mutual: np.ndarray


def tie_contributions(
    table: InteractionTable, as_of: dt.datetime, config: AnalysisConfig
) -> tuple[TieContributions, GraphStats]:
    """Turn interaction rows into pair contributions.

    Notes
    -----
    Rows sharing an ``event_id`` are one event with ``n`` distinct participants; events of more
    than ``broadcast_size`` people are ignored. On a mutual channel every pair of participants
    gets ``value / (n − 1)``, so each person's total from the event equals one one-to-one
    meeting; the event's channel (which decides whether it is mutual), time, duration and
    weight are those of its first row. On a chat or e-mail event each row gives its own
    ``value / (n − 1)`` from sender to recipient.
    """
    stats = GraphStats()
    as_of_s = as_of.timestamp()
    age_days = (as_of_s - table.timestamp.astype(np.float64)) / SECONDS_PER_DAY
    future = age_days < 0
    old = age_days > config.window_days
    stats.rows_future = int(future.sum())
    stats.rows_before_window = int(old.sum())
    if stats.rows_future or stats.rows_before_window:  # else no copy: 2 GB at 56M rows
        table = table.select(~future & ~old)
        age_days = age_days[~future & ~old]
    del future, old

    mutual_channel = np.array([c.is_mutual for c in CHANNELS])
    base = _row_values(table, age_days, config)
    del age_days
    is_mutual = mutual_channel[table.channel]

    single = table.event < 0
    parts_i = [table.source[single]]
    parts_j = [table.target[single]]
    parts_v = [base[single]]
    parts_m = [is_mutual[single]]

    in_event = np.flatnonzero(~single)
    if len(in_event):
        n = max(int(table.source.max(initial=0)), int(table.target.max(initial=0))) + 1
        event = table.event[in_event]
        # participants: distinct (event, person)
        people = np.concatenate([table.source[in_event], table.target[in_event]]).astype(np.int64)
        keys = arrays.unique(np.concatenate([event, event]) * n + people)
        p_event, p_person = keys // n, keys % n
        codes, starts, sizes, _ = arrays.groups(p_event)
        stats.events = len(codes)
        row_size = _lookup(codes, sizes, event)
        broadcast = row_size > config.broadcast_size
        stats.broadcast_events = int((sizes > config.broadcast_size).sum())
        stats.broadcast_rows = int(broadcast.sum())
        # event attributes from the first row of each event (aligned with ``codes``)
        _, first_pos, _, _ = arrays.groups(event)
        attr_base = base[in_event[first_pos]]
        attr_mutual = is_mutual[in_event[first_pos]]

        # directed rows of chat/e-mail events
        event_mutual = attr_mutual[np.searchsorted(codes, event)]
        directed = ~event_mutual & ~broadcast
        rows = in_event[directed]
        parts_i.append(table.source[rows])
        parts_j.append(table.target[rows])
        parts_v.append(base[rows] / (row_size[directed] - 1))
        parts_m.append(np.zeros(len(rows), bool))

        # cliques of mutual-channel events, grouped by size
        for size in arrays.unique(sizes):
            if size < 2 or size > config.broadcast_size:
                continue
            chosen = np.flatnonzero((sizes == size) & attr_mutual)
            if not len(chosen):
                continue
            members = p_person[starts[chosen][:, None] + np.arange(size)[None, :]]
            a, b = np.triu_indices(int(size), k=1)
            parts_i.append(members[:, a].ravel().astype(np.int32))
            parts_j.append(members[:, b].ravel().astype(np.int32))
            parts_v.append(np.repeat(attr_base[chosen] / (size - 1), len(a)))
            parts_m.append(np.ones(len(chosen) * len(a), bool))
    stats.rows_used = len(table) - stats.broadcast_rows
    del table, base, is_mutual  # the rows' arrays (and a selected copy) before joining the parts
    contributions = TieContributions(
        i=_joined(parts_i, np.int32),
        j=_joined(parts_j, np.int32),
        value=_joined(parts_v, np.float64),
        mutual=_joined(parts_m, np.bool_),
    )
    return contributions, stats


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """The parts as one array of ``dtype`` (no second copy), emptying the list as it goes so
    that each part is freed once joined."""
    joined: np.ndarray = np.concatenate(parts, dtype=dtype)
    parts.clear()
    return joined


ROW_CHUNK = 1 << 20
"""Rows whose values :func:`_row_values` computes at a time."""


def _row_values(
    table: InteractionTable, age_days: np.ndarray, config: AnalysisConfig, *, threads: int = 2
) -> np.ndarray:
    """Each row's value: channel weight × duration factor × recency decay × weight.

    The product runs left to right as one expression would compute it, a million rows at a
    time on ``threads`` threads (numpy releases the GIL): the same values, with temporaries a
    chunk long instead of one per factor over all rows (memory and cache at 56M rows).
    """
    weights = np.array([config.channel_weights[c] for c in CHANNELS])
    values = np.empty(len(table))

    def chunk(start: int) -> None:
        rows = slice(start, start + ROW_CHUNK)
        part = weights[table.channel[rows]]
        part *= duration_factor(table.duration[rows].astype(np.float64), config)
        part *= recency_decay(age_days[rows], config.half_life_days)
        part *= table.weight[rows].astype(np.float64)
        values[rows] = part

    starts = range(0, len(table), ROW_CHUNK)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(chunk, starts))
    else:
        for start in starts:
            chunk(start)
    return values


def _lookup(codes: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """``values[codes == key]`` for each key; ``codes`` sorted and containing every key."""
    return values[np.searchsorted(codes, keys)]


def build_graph(
    table: InteractionTable,
    n: int,
    as_of: dt.datetime,
    config: AnalysisConfig | None = None,
    *,
    tenure_days: np.ndarray | None = None,
) -> CollaborationGraph:
    """Build the collaboration graph of ``n`` people from their interactions.

    Parameters
    ----------
    table : InteractionTable
        Interactions with ``source``/``target`` positions in ``0..n-1``.
    n : int
        Number of people.
    as_of : datetime
        Interactions after it are ignored; age is measured from it.
    config : AnalysisConfig, optional
        The window, channel weights and strong-tie rule; the defaults when omitted.
    tenure_days : array of float, optional
        Days since hire per person (NaN when unknown). A new hire's ties have had less time to
        form, so the strong-tie threshold of a pair is scaled by the shorter tenure's share of
        the window (at least 1/4 of it).

    Returns
    -------
    CollaborationGraph
        Tie strengths (symmetric, decayed with age), the reciprocated, strong and one-way
        ties as sparse ``n`` × ``n`` matrices, the strong-tie threshold and counts.

    Examples
    --------
    >>> import datetime as dt
    >>> from matcher.model import InteractionTable
    >>> t = InteractionTable(
    ...     source=np.array([0, 1], np.int32), target=np.array([1, 0], np.int32),
    ...     timestamp=np.array([0, 0], np.int64), channel=np.array([4, 4], np.uint8),
    ...     duration=np.array([np.nan, np.nan], np.float32), event=np.array([-1, -1]),
    ...     weight=np.ones(2, np.float32))
    >>> g = build_graph(t, 3, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    >>> round(float(g.strength[0, 1]), 2), bool(g.reciprocated[0, 1]), bool(g.strong[0, 1])
    (0.6, True, True)

    Notes
    -----
    A tie is *strong* when it is reciprocated and its strength is at least
    ``strong_tie_fraction × median strength of all reciprocated ties`` (org-relative).
    """
    config = config or AnalysisConfig()
    contributions, stats = tie_contributions(table, as_of, config)
    i, j, v, m = contributions.i, contributions.j, contributions.value, contributions.mutual
    del contributions
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    keep = lo != hi
    # the strengths on a second thread, the tie directions here (scipy's conversions release
    # the GIL): the same matrices bit for bit (with the rows' values in chunks, build_graph
    # took 1.4 s instead of 2.5 s at 100,000 people)
    with ThreadPoolExecutor(max_workers=1) as beside:
        summed = beside.submit(_strength, v, lo, hi, keep, n)
        del v
        reciprocated, one_way = _directions(i, j, lo, hi, m, keep, n)
        del i, j, lo, hi, m, keep
        strength = summed.result()
    values = sp.triu(strength.multiply(reciprocated), k=1).tocsr().data
    threshold = float(np.median(values)) * config.strong_tie_fraction if len(values) else 0.0
    strong = strong_ties(strength, reciprocated, threshold, config, tenure_days)
    strength.eliminate_zeros()
    return CollaborationGraph(
        n=n,
        strength=strength,
        reciprocated=reciprocated,
        one_way=one_way,
        strong=strong,
        threshold=threshold,
        stats=stats,
    )


def _strength(
    value: np.ndarray, lo: np.ndarray, hi: np.ndarray, keep: np.ndarray, n: int
) -> sp.csr_matrix:
    """The symmetric sum of the contributions per pair (``lo < hi``)."""
    if keep.all():  # as loaded tables have it: no copies
        upper = sp.coo_matrix((value, (lo, hi)), shape=(n, n)).tocsr()
    else:
        upper = sp.coo_matrix((value[keep], (lo[keep], hi[keep])), shape=(n, n)).tocsr()
    upper.sum_duplicates()
    return (upper + upper.T).tocsr()


def _directions(
    i: np.ndarray,
    j: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    mutual_rows: np.ndarray,
    keep: np.ndarray,
    n: int,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The reciprocated ties (symmetric) and the one-way ones (``i`` wrote to ``j``)."""
    # counts of contributions as float32 (exact to 16M, and a sum of ones is never 0): half
    # the memory of float64 at tens of millions of rows
    rows = keep & mutual_rows
    mutual = sp.coo_matrix(
        (np.ones(int(rows.sum()), np.float32), (lo[rows], hi[rows])), shape=(n, n)
    ).tocsr()
    mutual = ((mutual + mutual.T) > 0).astype(bool)
    rows = keep & ~mutual_rows
    directed = sp.coo_matrix(
        (np.ones(int(rows.sum()), np.float32), (i[rows], j[rows])), shape=(n, n)
    ).tocsr()
    del rows
    directed = (directed > 0).astype(bool)
    both_ways = directed.multiply(directed.T).astype(bool)
    reciprocated = ((mutual + both_ways) > 0).astype(bool).tocsr()
    one_way = (directed.astype(np.int8) - directed.multiply(reciprocated).astype(np.int8)) > 0
    return reciprocated, sp.csr_matrix(one_way, dtype=bool)


def strong_ties(
    strength: sp.csr_matrix,
    reciprocated: sp.csr_matrix,
    threshold: float,
    config: AnalysisConfig,
    tenure_days: np.ndarray | None = None,
) -> sp.csr_matrix:
    """The strong ties: reciprocated pairs whose strength reaches ``threshold``, scaled for a
    new hire by the shorter tenure's share of the window (at least 1/4 of it)."""
    n = strength.shape[0]
    coo = strength.multiply(reciprocated).tocsr().tocoo()
    required = np.full(coo.data.shape, threshold)
    if tenure_days is not None and config.window_days > 0:
        share = np.clip(
            np.nan_to_num(tenure_days, nan=config.window_days) / config.window_days, 0.25, 1.0
        )
        required = threshold * np.minimum(share[coo.row], share[coo.col])
    is_strong = (coo.data >= required) & (coo.data > 0)
    return sp.csr_matrix(
        (np.ones(int(is_strong.sum()), bool), (coo.row[is_strong], coo.col[is_strong])),
        shape=(n, n),
    )
