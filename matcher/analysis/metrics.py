"""Network metrics on sparse adjacency matrices: fast paths with networkx references.

Each metric has a fast implementation used by the analysis (networkit for core numbers and
Louvain, scipy and numpy for PageRank and pivot-sampled betweenness) and a plain networkx
implementation with the same meaning (``*_networkx``), which the tests compare on small random
graphs. networkx takes minutes on 100,000 people (see ``SOLVER-NOTES.md``); building the
graph alone is 0.5 s in networkit against 6 s in igraph for 4M edges (measured here), and
igraph's betweenness from 64 pivots took 67 s at a million people, where the batched searches
of :func:`sampled_betweenness` take a fraction of it on two threads.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import networkit as nk


@contextmanager
def _without_matplotlib() -> Iterator[None]:
    """Hide matplotlib while importing networkit: it loads matplotlib.pyplot at import time
    when it is installed, for drawing, which costs about a second and 60 MB at every start;
    matcher never draws with it, and matplotlib stays importable afterwards."""
    hidden = "matplotlib" not in sys.modules
    if hidden:
        sys.modules["matplotlib"] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        if hidden:
            del sys.modules["matplotlib"]


@cache
def networkit() -> ModuleType:
    """networkit, imported on first use: with the pandas it loads, 0.3 s that the commands
    which never compute communities or cores (assign from a saved analysis, review) skip."""
    with _without_matplotlib():
        import networkit as module

    return module


def to_networkit(adjacency: sp.spmatrix, *, weighted: bool = False) -> nk.Graph:
    """An undirected networkit graph from the upper triangle of a symmetric matrix.

    networkit's CSR constructor, on one thread: each node's neighbours then come in the same
    order as adding the upper triangle's edges row by row (:func:`to_networkit_by_edges`), so
    Louvain's result is the same, at a fifth of the time (its COO constructor loops in Python
    over the edges). On more threads the order of the neighbours would depend on the threads.
    """
    nk = networkit()
    upper = sp.triu(adjacency, k=1).tocsr()
    data = upper.data.astype(np.float64) if weighted else np.ones(upper.nnz)
    matrix = sp.csr_matrix((data, upper.indices, upper.indptr), shape=adjacency.shape)
    threads = nk.getCurrentNumberOfThreads()
    nk.setNumberOfThreads(1)
    try:
        return nk.GraphFromCsr(matrix, directed=False, weighted=weighted)
    finally:
        nk.setNumberOfThreads(threads)


def to_networkit_by_edges(adjacency: sp.spmatrix, *, weighted: bool = False) -> nk.Graph:
    """:func:`to_networkit` by adding the upper triangle's edges one by one (the reference)."""
    nk = networkit()
    upper = sp.triu(adjacency, k=1).tocoo()
    rows = upper.row.astype(np.uint64)  # networkit needs unsigned node ids
    cols = upper.col.astype(np.uint64)
    data = upper.data.astype(np.float64) if weighted else np.ones(len(rows))
    return nk.GraphFromCoo(
        (data, (rows, cols)), n=adjacency.shape[0], weighted=weighted, directed=False
    )


@contextmanager
def single_threaded_networkit(seed: int) -> Iterator[None]:
    """networkit seeded and on one thread: its parallel Louvain is not reproducible."""
    nk = networkit()
    threads = nk.getCurrentNumberOfThreads()
    nk.setNumberOfThreads(1)
    nk.setSeed(seed, False)
    try:
        yield
    finally:
        nk.setNumberOfThreads(threads)


def to_networkx(adjacency: sp.spmatrix, *, weighted: bool = False) -> nx.Graph:
    """An undirected networkx graph from the upper triangle of a symmetric matrix."""
    upper = sp.triu(adjacency, k=1).tocoo()
    graph = nx.Graph()
    graph.add_nodes_from(range(adjacency.shape[0]))
    if weighted:
        graph.add_weighted_edges_from(
            zip(
                upper.row.tolist(),
                upper.col.tolist(),
                upper.data.astype(float).tolist(),
                strict=True,
            )
        )
    else:
        graph.add_edges_from(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return graph


def degrees(adjacency: sp.spmatrix) -> np.ndarray:
    """Number of neighbours of each node (non-zero entries per row)."""
    return np.diff(sp.csr_matrix(adjacency).indptr).astype(np.int64)


def core_numbers(adjacency: sp.spmatrix) -> np.ndarray:
    """k-core number of each node (unweighted).

    >>> a = sp.csr_matrix(np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 0]]))
    >>> core_numbers(a).tolist()
    [2, 2, 2, 1]
    """
    nk = networkit()
    n = adjacency.shape[0]
    if sp.triu(adjacency, k=1).nnz == 0:
        return np.zeros(n, dtype=np.int64)
    decomposition = nk.centrality.CoreDecomposition(to_networkit(adjacency))
    decomposition.run()
    return np.rint(np.asarray(decomposition.scores())).astype(np.int64)


def core_numbers_networkx(adjacency: sp.spmatrix) -> np.ndarray:
    graph = to_networkx(adjacency)
    core = nx.core_number(graph)
    return np.array([core[i] for i in range(adjacency.shape[0])], dtype=np.int64)


def components(adjacency: sp.spmatrix) -> np.ndarray:
    """Connected-component label of each node (scipy)."""
    _, labels = sp.csgraph.connected_components(adjacency, directed=False)
    return labels.astype(np.int64)


def communities(adjacency: sp.spmatrix, *, seed: int, resolution: float = 1.0) -> np.ndarray:
    """Louvain communities on the weighted graph, labelled ``0..k-1`` by first member.

    networkit's PLM (Louvain with refinement), seeded and single-threaded so that the same
    seed gives the same partition. Nodes without ties are each their own community.
    """
    nk = networkit()
    n = adjacency.shape[0]
    if sp.triu(adjacency, k=1).nnz == 0:
        return np.arange(n, dtype=np.int64)
    graph = to_networkit(adjacency, weighted=True)
    with single_threaded_networkit(seed):
        louvain = nk.community.PLM(graph, refine=True, gamma=resolution)
        louvain.run()
        labels = np.asarray(louvain.getPartition().getVector(), dtype=np.int64)
    return _canonical_labels(labels)


def communities_networkx(
    adjacency: sp.spmatrix, *, seed: int, resolution: float = 1.0
) -> np.ndarray:
    graph = to_networkx(adjacency, weighted=True)
    found = nx.community.louvain_communities(
        graph, weight="weight", resolution=resolution, seed=seed
    )
    labels = np.empty(adjacency.shape[0], dtype=np.int64)
    for label, members in enumerate(found):
        labels[list(members)] = label
    return _canonical_labels(labels)


def _canonical_labels(labels: np.ndarray) -> np.ndarray:
    """Relabel so that communities are numbered in order of their first member."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse].astype(np.int64)


def modularity(adjacency: sp.spmatrix, labels: np.ndarray) -> float:
    """Newman modularity of a partition of a weighted undirected graph."""
    upper = sp.triu(adjacency, k=1).tocoo()
    total = upper.data.sum()
    if total == 0:
        return 0.0
    strength = np.asarray(adjacency.sum(axis=1)).ravel()
    inside = upper.data[labels[upper.row] == labels[upper.col]].sum()
    per_community = np.bincount(labels, weights=strength)
    return float(inside / total - (per_community**2).sum() / (2 * total) ** 2)


def pivots(n: int, samples: int, seed: int) -> np.ndarray:
    """The sampled source nodes of :func:`sampled_betweenness` (sorted)."""
    rng = np.random.default_rng(seed)
    return (
        np.sort(rng.choice(n, size=min(samples, n), replace=False)) if n else np.empty(0, np.int64)
    )


def sampled_betweenness(
    adjacency: sp.spmatrix, *, samples: int, seed: int, threads: int = 2
) -> np.ndarray:
    """Betweenness estimated from ``samples`` random pivot sources (Brandes & Pich, 2007).

    Shortest paths from the pivots to every node are counted (unweighted) and scaled by
    ``n / samples``, then normalised by ``(n − 1)(n − 2) / 2`` like networkx, so that the
    estimate of each node's normalised betweenness is unbiased; with ``samples >= n`` it is
    exact up to rounding.

    The pivots are searched :data:`PIVOT_BATCH` at a time (:func:`_batch_dependencies`), the
    batches on ``threads`` threads (scipy and numpy release the GIL); the batches' sums are
    added in their order, so the result does not depend on the threads. The searches count in
    float32, which moves half the bytes of float64 (0.6× the time at 100,000 people) and keeps
    about seven significant digits: there the values were within a relative 3e-7 of float64
    counts, far inside the sampling error that :func:`betweenness_bound` states (the tests
    hold them to networkx's within 1e-5).
    """
    n = adjacency.shape[0]
    if n < 3:
        return np.zeros(n)
    sources = pivots(n, samples, seed)
    structure = sp.csr_matrix(adjacency, dtype=np.float32, copy=True)
    structure.sum_duplicates()
    structure.eliminate_zeros()
    structure.data[:] = 1.0
    batches = [sources[k : k + PIVOT_BATCH] for k in range(0, len(sources), PIVOT_BATCH)]
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(batches)))) as pool:
        parts = list(pool.map(lambda batch: _batch_dependencies(structure, batch), batches))
    # each undirected source-target path is counted half, as networkx and igraph count it
    raw = np.sum(parts, axis=0) / 2
    return _scale_betweenness(raw, n, len(sources))


PIVOT_BATCH = 32
"""Pivots searched together: their breadth-first searches advance level by level as one
sparse product with ``n × PIVOT_BATCH`` arrays (measured at 100,000 people: batches of 16–32
take 0.8× the time of 64 and of 8)."""


def _batch_dependencies(structure: sp.csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Each node's summed dependency ``Σ_s δ_s(v)`` over ``sources`` (Brandes 2001), from
    breadth-first searches run together, one column per source.

    Forward, level by level: the number of shortest paths ``σ`` into the nodes first reached
    at depth ``d + 1`` is the product of the adjacency with ``σ`` at depth ``d``. Backward,
    from the deepest level: ``δ(v) = σ(v) Σ_w (1 + δ(w)) / σ(w)`` over the neighbours ``w``
    one level deeper. A source's own dependency is left out. Per level the products run over
    the rows the level touches only, so the work is that of one search per source.
    """
    n, k = structure.shape[0], len(sources)
    dtype = structure.dtype
    columns = np.arange(k)
    sigma = np.zeros((n, k), dtype)
    sigma[sources, columns] = 1.0
    rows = np.unique(sources)
    front = sigma[rows]
    levels = [(rows, front != 0)]
    buffer = np.zeros((n, k), dtype)
    while True:
        buffer[rows] = front
        mark = np.zeros(n, bool)
        mark[structure[rows].indices] = True
        reach = np.flatnonzero(mark)
        counts = structure[reach] @ buffer
        buffer[rows] = 0.0
        counts *= sigma[reach] == 0  # first reached at this level
        found = counts.any(axis=1)
        if not found.any():
            break
        rows, front = reach[found], counts[found]
        sigma[rows] += front
        levels.append((rows, front != 0))
    delta = np.zeros((n, k), dtype)
    for depth in range(len(levels) - 1, 0, -1):
        rows, here = levels[depth]
        share = np.zeros(here.shape, dtype)
        np.divide(1.0 + delta[rows], sigma[rows], out=share, where=here)
        buffer[rows] = share
        previous, there = levels[depth - 1]
        pulled = structure[previous] @ buffer
        buffer[rows] = 0.0
        pulled *= sigma[previous]
        pulled *= there
        delta[previous] += pulled
    delta[sources, columns] = 0.0
    return delta.sum(axis=1, dtype=np.float64)


def betweenness_bound(n: int, samples: int, *, confidence: float = 0.95) -> dict[str, object]:
    """The error bound of :func:`sampled_betweenness` on ``n`` people, as ``summary.json``
    states it.

    The estimate of a person's normalised betweenness is the mean over the ``k`` pivots of
    ``X_s = n δ_s(v) / ((n − 1)(n − 2))``, where ``δ_s(v) ≤ n − 2`` is the pivot's dependency
    on ``v``; each ``X_s`` lies in ``[0, n / (n − 1)]`` and its mean over all sources is the
    exact value. Hoeffding's inequality (which holds for sampling without replacement too)
    bounds the error of one person's estimate: ``|estimate − exact| < epsilon`` with
    probability at least ``confidence``, where
    ``epsilon = n / (n − 1) · sqrt(ln(2 / (1 − confidence)) / (2k))``;
    ``epsilon_all`` holds for everyone at once (a union bound over the ``n`` people). With
    ``samples >= n`` every source is a pivot and the values are exact.

    >>> bound = betweenness_bound(100_000, 64)
    >>> bound["pivots"], round(bound["epsilon"], 3), round(bound["epsilon_all"], 3)
    (64, 0.17, 0.345)
    >>> betweenness_bound(50, 64)["epsilon"]
    0.0
    """
    k = min(samples, n)
    exact = k >= n
    spread = n / (n - 1) if n > 1 else 1.0

    def epsilon(failures: float) -> float:
        return 0.0 if exact or k == 0 else spread * math.sqrt(math.log(2 / failures) / (2 * k))

    return {
        "method": "pivot sampling (Brandes & Pich 2007), Hoeffding bound per person",
        "pivots": k,
        "exact": exact,
        "confidence": confidence,
        "epsilon": epsilon(1 - confidence),
        "epsilon_all": epsilon((1 - confidence) / max(n, 1)),
    }


def sampled_betweenness_networkx(adjacency: sp.spmatrix, *, samples: int, seed: int) -> np.ndarray:
    n = adjacency.shape[0]
    if n < 3:
        return np.zeros(n)
    sources = pivots(n, samples, seed)
    graph = to_networkx(adjacency)
    found = nx.betweenness_centrality_subset(
        graph, sources=sources.tolist(), targets=list(range(n)), normalized=False
    )
    raw = np.array([found[i] for i in range(n)], dtype=np.float64)
    return _scale_betweenness(raw, n, len(sources))


def _scale_betweenness(raw: np.ndarray, n: int, k: int) -> np.ndarray:
    # each undirected source-target path is counted half; n / k extrapolates the
    # pivots to all sources, and (n - 1)(n - 2) / 2 is the number of pairs a node can lie between
    return raw * (n / k) / ((n - 1) * (n - 2) / 2)


def pagerank(adjacency: sp.spmatrix, *, damping: float = 0.85, tol: float = 1e-12) -> np.ndarray:
    """Weighted PageRank by power iteration (scipy), with networkx's treatment of dangling nodes."""
    n = adjacency.shape[0]
    if n == 0:
        return np.zeros(0)
    matrix = sp.csr_matrix(adjacency, dtype=np.float64)
    out = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = out == 0
    inverse = np.divide(1.0, out, out=np.zeros(n), where=~dangling)
    transition = (sp.diags(inverse) @ matrix).T.tocsr()
    rank = np.full(n, 1.0 / n)
    for _ in range(1000):
        previous = rank
        rank = damping * (transition @ rank + previous[dangling].sum() / n) + (1 - damping) / n
        if np.abs(rank - previous).sum() < n * tol:
            break
    return rank / rank.sum()


def pagerank_networkx(adjacency: sp.spmatrix, *, damping: float = 0.85) -> np.ndarray:
    graph = to_networkx(adjacency, weighted=True)
    found = nx.pagerank(graph, alpha=damping, weight="weight", tol=1e-12, max_iter=1000)
    return np.array([found[i] for i in range(adjacency.shape[0])])
