"""Analysis: an org in, the collaboration graph, per-person metrics, and flags with reasons out.

No files and no solver: :mod:`~matcher.analysis.graph` builds the graph from interactions,
:mod:`~matcher.analysis.metrics` computes the metric set (networkx as the reference, fast paths
tested against it), :mod:`~matcher.analysis.isolation` flags isolated and peripheral people
and overloaded connectors (the closed set of :mod:`~matcher.analysis.flags`), each with
plain-words reasons (:mod:`~matcher.analysis.reasons`), :mod:`~matcher.analysis.teams` finds
siloed teams, :mod:`~matcher.analysis.survey` hears what people say in a pulse survey, and
:mod:`~matcher.analysis.sufficiency` judges whether the interactions can carry flags at all.
"""

__all__ = [
    "flags",
    "graph",
    "isolation",
    "measures",
    "metrics",
    "reasons",
    "sufficiency",
    "survey",
    "teams",
]  # the stage's modules
