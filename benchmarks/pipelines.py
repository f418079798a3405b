"""The analysis's metric set, timed step by step, in matcher and in two baseline libraries.

All three pipelines start from the same aggregated edge lists (the upper triangles of the
matrices that :func:`matcher.analysis.graph.build_graph` returns) and compute what
:func:`matcher.analysis.isolation.analyze` computes:

* ``core_number`` on the strong-tie graph (unweighted),
* ``pagerank`` on the tie-strength graph (weighted, damping 0.85, tolerance 1e-12 like matcher),
* ``louvain`` on the tie strength of reciprocated ties (weighted, resolution 1),
* ``betweenness`` on the strong-tie graph from the same pivot sources (``matcher.analysis.metrics.pivots``),
  scaled like matcher's estimate.

``build`` is each library's construction of its graphs from the edge lists: scipy matrices for
matcher (whose metric functions then convert to networkit or igraph inside the timed step, as in
the analysis), ``networkx.Graph`` or ``igraph.Graph`` for the baselines, whose code is in
:mod:`benchmarks.baselines.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

STEPS = ("build", "core_number", "pagerank", "louvain", "betweenness")
LIBRARIES = ("matcher", "networkx", "igraph")
DAMPING = 0.85
PAGERANK_TOL = 1e-12
RESOLUTION = 1.0


@dataclass(frozen=True)
class EdgeList:
    """Undirected edges ``rows[k] < cols[k]`` with weights."""

    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray

    @staticmethod
    def upper(matrix: sp.spmatrix) -> EdgeList:
        """The upper triangle of a symmetric matrix."""
        from scipy import sparse  # lazily: a pipeline worker by hand never loads scipy

        upper = sparse.triu(matrix, k=1).tocoo()
        return EdgeList(
            upper.row.astype(np.int64), upper.col.astype(np.int64), upper.data.astype(np.float64)
        )

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def within(self, n: int) -> EdgeList:
        """The edges between nodes ``0..n-1``."""
        keep = self.cols < n  # rows < cols
        return EdgeList(self.rows[keep], self.cols[keep], self.weights[keep])

    def symmetric(self, n: int) -> sp.csr_matrix:
        """The symmetric ``n × n`` matrix of these edges."""
        from scipy import sparse  # lazily: a pipeline worker by hand never loads scipy

        upper = sparse.coo_matrix((self.weights, (self.rows, self.cols)), shape=(n, n))
        return (upper + upper.T).tocsr()


def pivots(n: int, samples: int, seed: int) -> np.ndarray:
    """The pivot sources of :func:`matcher.analysis.metrics.pivots`, recomputed here.

    Importing :mod:`matcher.analysis.metrics` loads networkit and igraph; a baseline worker should
    load only its own library (its peak memory is reported, and networkit brings a second
    OpenMP runtime), so the sampling is repeated here. ``tests/benchmarks/test_pipelines.py`` checks
    that both give the same pivots.

    >>> pivots(10, 3, seed=0).tolist()
    [5, 6, 9]
    """
    rng = np.random.default_rng(seed)
    if n == 0:
        return np.empty(0, np.int64)
    return np.sort(rng.choice(n, size=min(samples, n), replace=False))


@dataclass(frozen=True)
class GraphInputs:
    """The three edge lists the metric set reads, plus the betweenness sampling parameters."""

    n: int
    strength: EdgeList
    community: EdgeList
    strong: EdgeList
    samples: int
    seed: int

    @property
    def edges(self) -> int:
        """Edges over the three graphs."""
        return len(self.strength) + len(self.community) + len(self.strong)

    def pivots(self) -> np.ndarray:
        """The betweenness sources, exactly as :func:`matcher.analysis.metrics.sampled_betweenness`."""
        return pivots(self.n, self.samples, self.seed)

    def subsample(self, fraction: float) -> GraphInputs:
        """The induced graph on the first ``fraction`` of people (teams stay together)."""
        n = max(3, int(self.n * fraction))
        return GraphInputs(
            n=n,
            strength=self.strength.within(n),
            community=self.community.within(n),
            strong=self.strong.within(n),
            samples=self.samples,
            seed=self.seed,
        )

    def save(self, path: Path) -> None:
        """Write to a compressed ``.npz`` (via a temporary name, then renamed)."""
        arrays: dict[str, np.ndarray] = {
            "n": np.array(self.n),
            "samples": np.array(self.samples),
            "seed": np.array(self.seed),
        }
        for name in ("strength", "community", "strong"):
            edges: EdgeList = getattr(self, name)
            arrays[f"{name}_rows"] = edges.rows.astype(np.int32)
            arrays[f"{name}_cols"] = edges.cols.astype(np.int32)
            if name != "strong":
                arrays[f"{name}_weights"] = edges.weights
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.stem + ".partial.npz")
        np.savez(partial, allow_pickle=False, **arrays)
        partial.replace(path)

    @staticmethod
    def load(path: Path) -> GraphInputs:
        """Read a file written by :meth:`save`."""
        with np.load(path) as data:

            def edges(name: str) -> EdgeList:
                rows = data[f"{name}_rows"].astype(np.int64)
                key = f"{name}_weights"
                weights = data[key] if key in data else np.ones(len(rows))
                return EdgeList(rows, data[f"{name}_cols"].astype(np.int64), weights)

            return GraphInputs(
                n=int(data["n"]),
                strength=edges("strength"),
                community=edges("community"),
                strong=edges("strong"),
                samples=int(data["samples"]),
                seed=int(data["seed"]),
            )


@dataclass
class PipelineRun:
    """Seconds per step and the per-person outputs of one pipeline run."""

    library: str
    steps: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return float(sum(self.steps.values()))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step ``name``."""
        started = time.perf_counter()
        yield
        self.steps[name] = time.perf_counter() - started


def scale_betweenness(raw: np.ndarray, n: int, pivots: int) -> np.ndarray:
    """Pivot-sampled betweenness extrapolated to all sources and normalised like networkx."""
    return raw * (n / pivots) / ((n - 1) * (n - 2) / 2)


def run_matcher(inputs: GraphInputs) -> PipelineRun:
    """matcher's fast paths (:mod:`matcher.analysis.metrics`), as
    :func:`matcher.analysis.isolation.analyze` calls them."""
    # lazily: it loads networkit and igraph, which a baseline worker reading this module's
    # data types must not load (its peak memory is reported)
    from matcher.analysis import metrics

    run = PipelineRun("matcher")
    n = inputs.n
    with run.step("build"):
        strength = inputs.strength.symmetric(n)
        community = inputs.community.symmetric(n)
        strong = inputs.strong.symmetric(n)
    with run.step("core_number"):
        run.outputs["core"] = metrics.core_numbers(strong)
    with run.step("pagerank"):
        run.outputs["pagerank"] = metrics.pagerank(strength, damping=DAMPING, tol=PAGERANK_TOL)
    with run.step("louvain"):
        run.outputs["community"] = metrics.communities(
            community, seed=inputs.seed, resolution=RESOLUTION
        )
    with run.step("betweenness"):
        run.outputs["betweenness"] = metrics.sampled_betweenness(
            strong, samples=inputs.samples, seed=inputs.seed
        )
    return run
