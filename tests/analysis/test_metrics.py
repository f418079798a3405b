"""The fast metric paths agree with plain networkx on small random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis import metrics
from tests.strategies import graphs


@given(graphs())
def test_core_numbers_agree_with_networkx(adjacency: sp.csr_matrix) -> None:
    assert (
        metrics.core_numbers(adjacency).tolist()
        == metrics.core_numbers_networkx(adjacency).tolist()
    )


@given(graphs(), st.integers(1, 20), st.integers(0, 1000))
def test_sampled_betweenness_agrees_with_networkx(
    adjacency: sp.csr_matrix, samples: int, seed: int
) -> None:
    fast = metrics.sampled_betweenness(adjacency, samples=samples, seed=seed)
    slow = metrics.sampled_betweenness_networkx(adjacency, samples=samples, seed=seed)
    assert np.allclose(fast, slow)


@given(graphs())
def test_sampling_every_node_gives_exact_betweenness(adjacency: sp.csr_matrix) -> None:
    n = adjacency.shape[0]
    exact = nx.betweenness_centrality(metrics.to_networkx(adjacency), normalized=True)
    fast = metrics.sampled_betweenness(adjacency, samples=n, seed=0)
    assert np.allclose(fast, [exact[i] for i in range(n)]) if n >= 3 else True


@given(graphs(weighted=True))
def test_pagerank_agrees_with_networkx(adjacency: sp.csr_matrix) -> None:
    if adjacency.nnz == 0:
        return
    assert np.allclose(metrics.pagerank(adjacency), metrics.pagerank_networkx(adjacency), atol=1e-6)


@given(graphs())
def test_components_agree_with_networkx(adjacency: sp.csr_matrix) -> None:
    labels = metrics.components(adjacency)
    for component in nx.connected_components(metrics.to_networkx(adjacency)):
        assert len({labels[i] for i in component}) == 1
    assert len(set(labels.tolist())) == nx.number_connected_components(
        metrics.to_networkx(adjacency)
    )


@given(graphs(weighted=True, max_nodes=20), st.integers(0, 50))
def test_communities_are_a_partition_scored_by_networkx_modularity(
    adjacency: sp.csr_matrix, seed: int
) -> None:
    labels = metrics.communities(adjacency, seed=seed)
    assert labels.shape == (adjacency.shape[0],)
    assert sorted(set(labels.tolist())) == list(range(labels.max() + 1 if len(labels) else 0))
    # our modularity matches networkx's definition
    graph = metrics.to_networkx(adjacency, weighted=True)
    if graph.number_of_edges():
        parts = [set(np.flatnonzero(labels == k).tolist()) for k in range(labels.max() + 1)]
        assert metrics.modularity(adjacency, labels) == pytest.approx(
            nx.community.modularity(graph, parts, weight="weight"), abs=1e-9
        )


def test_louvain_is_as_good_as_networkx_on_average() -> None:
    """Both are heuristics: on one small graph either may land in a worse local optimum (a
    per-graph comparison fails now and then, as Hypothesis found), so the fast path is held
    to the reference over 150 seeded random graphs: no worse on average, and never far off."""
    rng = np.random.default_rng(2026)
    gaps = []
    for trial in range(150):
        n = int(rng.integers(6, 30))
        upper = sp.random(n, n, density=float(rng.uniform(0.1, 0.4)), random_state=rng)
        upper = sp.triu(upper, k=1)
        adjacency = (upper + upper.T).tocsr()
        if adjacency.nnz == 0:
            continue
        fast = metrics.modularity(adjacency, metrics.communities(adjacency, seed=trial))
        slow = metrics.modularity(adjacency, metrics.communities_networkx(adjacency, seed=trial))
        gaps.append(fast - slow)
    assert np.mean(gaps) >= -0.005, np.mean(gaps)
    assert min(gaps) >= -0.06, min(gaps)


def test_planted_cliques_are_recovered_identically() -> None:
    blocks = [nx.complete_graph(6), nx.complete_graph(7), nx.complete_graph(5)]
    graph = nx.disjoint_union_all(blocks)
    graph.add_edge(0, 6)
    graph.add_edge(7, 13)
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=range(18), format="csr").astype(float)
    fast = metrics.communities(sp.csr_matrix(adjacency), seed=3)
    slow = metrics.communities_networkx(sp.csr_matrix(adjacency), seed=3)
    assert fast.tolist() == slow.tolist() == [0] * 6 + [1] * 7 + [2] * 5


def test_communities_are_reproducible_with_a_seed() -> None:
    graph = nx.connected_caveman_graph(8, 6)
    adjacency = sp.csr_matrix(nx.to_scipy_sparse_array(graph, format="csr").astype(float))
    runs = {tuple(metrics.communities(adjacency, seed=11).tolist()) for _ in range(3)}
    assert len(runs) == 1


@given(graphs(weighted=True), st.booleans())
def test_networkit_graph_from_csr_is_the_one_built_edge_by_edge(
    adjacency: sp.csr_matrix, weighted: bool
) -> None:
    fast = metrics.to_networkit(adjacency, weighted=weighted)
    reference = metrics.to_networkit_by_edges(adjacency, weighted=weighted)
    assert fast.numberOfNodes() == reference.numberOfNodes()
    assert fast.numberOfEdges() == reference.numberOfEdges()
    for node in range(adjacency.shape[0]):  # same neighbours in the same order, same weights
        neighbours = list(reference.iterNeighbors(node))
        assert list(fast.iterNeighbors(node)) == neighbours
        assert [fast.weight(node, v) for v in neighbours] == [
            reference.weight(node, v) for v in neighbours
        ]


@given(graphs(weighted=True, max_nodes=40), st.integers(0, 50))
def test_louvain_on_either_construction_gives_one_partition(
    adjacency: sp.csr_matrix, seed: int
) -> None:
    labels = []
    for build in (metrics.to_networkit, metrics.to_networkit_by_edges):
        graph = build(adjacency, weighted=True)
        with metrics.single_threaded_networkit(seed):
            louvain = metrics.networkit().community.PLM(graph, refine=True, gamma=1.0)
            louvain.run()
            labels.append(louvain.getPartition().getVector())
    assert labels[0] == labels[1]
