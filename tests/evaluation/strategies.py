"""Hypothesis strategies of the evaluation tests: small interaction tables and outcome groups.

Kept beside the tests that use them (``tests/strategies.py`` holds the org strategies)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from matcher.model import CHANNELS, InteractionTable

WINDOW = (100, 900)
"""The evaluation window of the tables below, in epoch seconds."""


@st.composite
def interaction_tables(
    draw: st.DrawFn, *, max_people: int = 7, max_rows: int = 30
) -> tuple[int, InteractionTable]:
    """``(n, table)``: up to ``max_rows`` interactions among ``n`` people, some in events,
    some outside the window :data:`WINDOW`."""
    n = draw(st.integers(2, max_people))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(1, n - 1),
                st.integers(0, 1000),
                st.integers(0, len(CHANNELS) - 1),
                st.sampled_from([-1, -1, -1, 0, 1, 2]),
            ),
            max_size=max_rows,
        )
    )
    source = np.array([s for s, _, _, _, _ in rows], np.int32)
    # a nonzero offset keeps every row between two different people
    target = np.array([(s + d) % n for s, d, _, _, _ in rows], np.int32)
    return n, InteractionTable(
        source=source,
        target=target,
        timestamp=np.array([t for _, _, t, _, _ in rows], np.int64),
        channel=np.array([c for _, _, _, c, _ in rows], np.uint8),
        duration=np.full(len(rows), np.nan, np.float32),
        event=np.array([e for _, _, _, _, e in rows], np.int64),
        weight=np.ones(len(rows), np.float32),
    )


def all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair of ``n`` people."""
    a, b = np.triu_indices(n, k=1)
    return a.astype(np.int64), b.astype(np.int64)
