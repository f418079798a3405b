"""The analysis's metric set written by hand in plain networkx and in plain igraph.

Both start from the same aggregated edge lists as matcher's own metric pipeline
(:func:`benchmarks.pipelines.run_matcher`, see :mod:`benchmarks.pipelines` for what is
computed) and return the same per-person outputs, step by step.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from benchmarks.pipelines import (
    DAMPING,
    PAGERANK_TOL,
    RESOLUTION,
    EdgeList,
    GraphInputs,
    PipelineRun,
    scale_betweenness,
)


def _networkx_graph(nx: Any, n: int, edges: EdgeList, *, weighted: bool) -> Any:
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    rows, cols = edges.rows.tolist(), edges.cols.tolist()
    if weighted:
        graph.add_weighted_edges_from(zip(rows, cols, edges.weights.tolist(), strict=True))
    else:
        graph.add_edges_from(zip(rows, cols, strict=True))
    return graph


def run_networkx(inputs: GraphInputs) -> PipelineRun:
    """Plain networkx: three ``nx.Graph`` objects and the library's own algorithms."""
    import networkx as nx  # lazily: the igraph worker must not load it (its memory is reported)

    run = PipelineRun("networkx")
    n = inputs.n
    pivots = inputs.pivots()
    with run.step("build"):
        strength = _networkx_graph(nx, n, inputs.strength, weighted=True)
        community = _networkx_graph(nx, n, inputs.community, weighted=True)
        strong = _networkx_graph(nx, n, inputs.strong, weighted=False)
    with run.step("core_number"):
        core = nx.core_number(strong)
        run.outputs["core"] = np.array([core[i] for i in range(n)], dtype=np.int64)
    with run.step("pagerank"):
        rank = nx.pagerank(
            strength, alpha=DAMPING, weight="weight", tol=PAGERANK_TOL, max_iter=1000
        )
        run.outputs["pagerank"] = np.array([rank[i] for i in range(n)])
    with run.step("louvain"):
        found = nx.community.louvain_communities(
            community, weight="weight", resolution=RESOLUTION, seed=inputs.seed
        )
        labels = np.empty(n, dtype=np.int64)
        for label, members in enumerate(found):
            labels[list(members)] = label
        run.outputs["community"] = labels
    with run.step("betweenness"):
        raw = nx.betweenness_centrality_subset(
            strong, sources=pivots.tolist(), targets=list(range(n)), normalized=False
        )
        values = np.array([raw[i] for i in range(n)], dtype=np.float64)
        run.outputs["betweenness"] = scale_betweenness(values, n, len(pivots))
    return run


def _igraph_graph(ig: Any, n: int, edges: EdgeList, *, weighted: bool) -> Any:
    pairs = np.column_stack([edges.rows, edges.cols])
    attributes = {"weight": edges.weights.tolist()} if weighted else {}
    return ig.Graph(n=n, edges=pairs, directed=False, edge_attrs=attributes)


@contextmanager
def _seeded_igraph(ig: Any, seed: int) -> Iterator[None]:
    """igraph draws from a process-wide generator: lend it a seeded one, then restore."""
    ig.set_random_number_generator(random.Random(seed))
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


def run_igraph(inputs: GraphInputs) -> PipelineRun:
    """Plain igraph: three ``igraph.Graph`` objects and the library's own algorithms."""
    import igraph as ig  # lazily: the networkx worker must not load it (its memory is reported)

    run = PipelineRun("igraph")
    n = inputs.n
    pivots = inputs.pivots()
    with run.step("build"):
        strength = _igraph_graph(ig, n, inputs.strength, weighted=True)
        community = _igraph_graph(ig, n, inputs.community, weighted=True)
        strong = _igraph_graph(ig, n, inputs.strong, weighted=False)
    with run.step("core_number"):
        run.outputs["core"] = np.asarray(strong.coreness(), dtype=np.int64)
    with run.step("pagerank"):
        rank = strength.pagerank(weights="weight", damping=DAMPING, directed=False)
        run.outputs["pagerank"] = np.asarray(rank, dtype=np.float64)
    with run.step("louvain"), _seeded_igraph(ig, inputs.seed):
        found = community.community_multilevel(weights="weight", resolution=RESOLUTION)
        run.outputs["community"] = np.asarray(found.membership, dtype=np.int64)
    with run.step("betweenness"):
        raw = strong.betweenness(directed=False, sources=pivots.tolist(), targets=None)
        values = np.asarray(raw, dtype=np.float64)
        run.outputs["betweenness"] = scale_betweenness(values, n, len(pivots))
    return run


BASELINES: dict[str, Callable[[GraphInputs], PipelineRun]] = {
    "networkx": run_networkx,
    "igraph": run_igraph,
}
