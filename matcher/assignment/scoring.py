"""Score terms and weighted pair scores (each term in [0, 1], times its weight)."""

from __future__ import annotations

import numpy as np

from matcher.assignment.population import Population, popcount
from matcher.assignment.programs import Mode, ProgramSpec, Weights
from matcher.assignment.repeats import History
from matcher.assignment.rules import lookup, overlap_hours, yes_no_rules

TERMS: tuple[str, ...] = tuple(Weights.model_fields)
"""The soft terms of the objective, one per :class:`Weights` field, in the order of the
report columns (``assignments.csv``, ``candidates.csv``)."""


def overlap_term(hours: np.ndarray) -> np.ndarray:
    """The ``overlap_hours`` term of a daily overlap in hours."""
    return np.minimum(hours / 8.0, 1.0)


def tie_term(pop: Population, tie: np.ndarray) -> np.ndarray:
    """The ``existing_tie`` term of tie strengths."""
    if pop.tie_threshold > 0:
        return np.minimum(tie / pop.tie_threshold, 1.0)
    return (tie > 0).astype(np.float64)


def isolation_term(pop: Population, si: np.ndarray) -> np.ndarray:
    """The ``isolation_priority`` term of seekers (org indices)."""
    return 1.0 / (1.0 + pop.strong_ties[si])


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
        shared = popcount(pop.interests[si] & pop.interests[pi])
        union = pop.interest_count[si] + pop.interest_count[pi] - shared
        return np.divide(shared, union, out=np.zeros(shape), where=union > 0)
    if name == "skills":
        wanted = pop.want_count[si]
        found = popcount(pop.wants[si] & pop.skills[pi])
        return np.divide(found, wanted, out=np.zeros(shape), where=wanted > 0)
    if name == "overlap_hours":
        return overlap_term(overlap_hours(pop, si, pi))
    if name == "bridging":
        return (pop.community[si] != pop.community[pi]).astype(np.float64)
    if name == "existing_tie":
        return tie_term(pop, lookup(pop.strength, si, pi))
    if name == "repeat":
        if history.penalty.nnz:
            return lookup(history.penalty, si, pi)
        return np.zeros(())
    if name == "isolation_priority":
        return isolation_term(pop, si)
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
