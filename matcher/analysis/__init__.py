"""Analysis: an org in, the collaboration graph, per-person metrics, and flags with reasons out.

No files and no solver: :mod:`~matcher.analysis.graph` builds the graph from interactions,
:mod:`~matcher.analysis.metrics` computes the metric set (networkx as the reference, fast paths
tested against it), :mod:`~matcher.analysis.isolation` flags isolated and peripheral people
and overloaded connectors (the closed set of :mod:`~matcher.analysis.flags`), each with
plain-words reasons, and :mod:`~matcher.analysis.teams` finds siloed teams.
"""

__all__ = ["flags", "graph", "isolation", "metrics", "teams"]  # the stage's modules
