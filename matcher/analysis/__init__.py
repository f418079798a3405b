"""Analysis: an org in, the collaboration graph, per-person metrics, and flags with reasons out.

No files and no solver: :mod:`~matcher.analysis.graph` builds the graph from interactions,
:mod:`~matcher.analysis.metrics` computes the metric set (networkx as the reference, fast paths
tested against it), :mod:`~matcher.analysis.isolation` flags isolated and peripheral people,
siloed teams and overloaded connectors, each with plain-words reasons.
"""

__all__ = ["graph", "isolation", "metrics"]  # the stage's modules
