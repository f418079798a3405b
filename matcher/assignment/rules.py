"""Pair rules: which pairs a program allows, as vectorised conditions on (seeker, provider)
index arrays into the org.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.assignment.population import Population
from matcher.assignment.programs import (
    Mode,
    ProgramSpec,
)
from matcher.errors import ConfigError

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


def lookup(matrix: sp.csr_matrix, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """``matrix[si, pi]`` for a block (``(c, 1)`` × ``(1, P)``) or for equal-length arrays."""
    if _is_block(si, pi):
        return np.asarray(matrix[si[:, 0]][:, pi[0]].toarray())
    return np.asarray(matrix[si.ravel(), pi.ravel()]).reshape(
        np.broadcast_shapes(si.shape, pi.shape)
    )


@dataclass(frozen=True)
class YesNoRule:
    name: str
    mode: Mode
    condition: PairCondition
    column: str
    codes: np.ndarray | None = None
    """For a ``same_*`` rule: the per-person codes it compares (``-1``: missing)."""


def yes_no_rules(spec: ProgramSpec, pop: Population) -> list[YesNoRule]:
    """The program's same_*/reporting_line/shared_language rules that are not ignored."""
    same = {
        "same_team": ("team", pop.team),
        "same_department": ("department", pop.department),
        "same_location": ("location", pop.location),
        "same_manager": ("manager_id", pop.manager),
    }
    other = {
        "reporting_line": ("manager_id", reporting_line),
        "shared_language": ("languages", shared_language),
    }
    rules = []
    for name, mode in spec.rules.yes_no_rules().items():
        if mode is Mode.IGNORED:
            continue
        if name in other:
            column, condition = other[name]
            rules.append(YesNoRule(name, mode, condition, column))
            continue
        if name in same:
            column, codes = same[name]
        else:
            column = name.removeprefix("same_")
            if column not in pop.attributes:
                raise ConfigError(
                    f"program {spec.name!r}: rule {name} needs the employee column {column!r}, which the data lacks"
                )
            codes = pop.attributes[column]
        rules.append(YesNoRule(name, mode, _same(codes), column, codes))
    return rules
