"""Committed pairings as matrices: pairs ``no_repeat_periods`` forbids, and the ``repeat`` penalty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matcher.assignment.programs import (
    ProgramSpec,
    period_index,
    period_length,
)
from matcher.model import Org

HistoryRow = tuple[str | None, str, str, str] | tuple[str | None, str, str, str, bool | None]
"""kind, seeker_id, provider_id, period[, met]: ``met`` from ``matcher evaluate`` (``None``:
not evaluated), read by ``no_repeat_counts = "met"``."""


@dataclass
class History:
    """Committed earlier pairings that matter to one program, as sparse matrices over the org.

    ``recent`` marks unordered pairs matched within the no-repeat window; ``penalty`` holds
    Σ 0.5^(ago − 1) over earlier pairings (capped at 1), the decaying repeat term; ``met``
    marks the pairs ``no_repeat_pairs`` counts as met before (within ``no_repeat_periods``
    when that is set, else in any period up to this one).
    """

    recent: sp.csr_matrix
    penalty: sp.csr_matrix
    pairs: int = 0
    met: sp.csr_matrix = field(default_factory=lambda: sp.csr_matrix((0, 0), dtype=bool))

    def __post_init__(self) -> None:
        if self.met.shape != self.recent.shape:
            self.met = sp.csr_matrix(self.recent.shape, dtype=bool)

    @staticmethod
    def empty(n: int) -> History:
        return History(sp.csr_matrix((n, n), dtype=bool), sp.csr_matrix((n, n)))


def history_for(spec: ProgramSpec, org: Org, rows: Sequence[HistoryRow]) -> History:
    """Build :class:`History` from committed ``(kind, seeker_id, provider_id, period[, met])``
    rows.

    Rows of another kind are ignored; rows without a kind (imported) count for every kind. With
    ``no_repeat_counts = "met"``, rows whose ``met`` is ``False`` (evaluated, never met) count
    neither for ``no_repeat_periods`` nor for the repeat penalty.
    """
    n = len(org)
    now, length = period_index(spec.period), period_length(spec.period)
    window = spec.rules.no_repeat_periods
    recent_i: list[int] = []
    recent_j: list[int] = []
    pen_i: list[int] = []
    pen_j: list[int] = []
    pen_v: list[float] = []
    met_i: list[int] = []
    met_j: list[int] = []
    used = 0
    only_met = spec.rules.no_repeat_counts == "met"
    for row in rows:
        kind, seeker, provider, period = row[:4]
        if kind not in (None, spec.kind.value):
            continue
        if only_met and len(row) > 4 and row[4] is False:
            continue
        a, b = org.index.get(seeker), org.index.get(provider)
        if a is None or b is None:
            continue
        ago = (now - period_index(period)) / length
        if ago < 0:
            continue
        used += 1
        if window is not None and ago <= window + 1e-9:
            recent_i += [a, b]
            recent_j += [b, a]
        if window is None or ago <= window + 1e-9:
            met_i += [a, b]
            met_j += [b, a]
        if ago >= 1 - 1e-9:
            pen_i += [a, b]
            pen_j += [b, a]
            pen_v += [0.5 ** (ago - 1)] * 2
    recent = sp.csr_matrix((np.ones(len(recent_i), bool), (recent_i, recent_j)), shape=(n, n))
    penalty = sp.csr_matrix((pen_v, (pen_i, pen_j)), shape=(n, n))
    penalty.sum_duplicates()
    penalty.data = np.minimum(penalty.data, 1.0)
    met = sp.csr_matrix((np.ones(len(met_i), bool), (met_i, met_j)), shape=(n, n))
    return History(recent.astype(bool), penalty, used, met.astype(bool))
