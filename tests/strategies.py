"""Hypothesis strategies for the domain: interaction tables and graphs that shrink well."""

from __future__ import annotations

import datetime as dt

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

from matcher.model import CHANNELS, InteractionTable

AS_OF = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


@st.composite
def interaction_rows(
    draw: st.DrawFn, *, max_people: int = 10, max_rows: int = 30, events: bool = True
) -> tuple[int, list[dict[str, object]]]:
    """``(n, rows)``: rows are dicts with source, target, age_days, channel, duration, event, weight."""
    n = draw(st.integers(2, max_people))
    person = st.integers(0, n - 1)
    rows = []
    for _ in range(draw(st.integers(0, max_rows))):
        source = draw(person)
        target = draw(person.filter(lambda t, s=source: t != s))
        rows.append(
            {
                "source": source,
                "target": target,
                "age_days": draw(st.integers(0, 120 * 24)) / 24,
                "channel": draw(st.integers(0, len(CHANNELS) - 1)),
                "duration": draw(st.one_of(st.none(), st.integers(0, 240).map(float))),
                "event": draw(st.integers(0, 3)) if events and draw(st.booleans()) else -1,
                "weight": draw(st.sampled_from([1.0, 0.5, 2.0])),
            }
        )
    return n, rows


def table_of(rows: list[dict[str, object]], as_of: dt.datetime = AS_OF) -> InteractionTable:
    """An :class:`InteractionTable` from row dicts (ages in days before ``as_of``)."""
    now = as_of.timestamp()
    return InteractionTable(
        source=np.array([r["source"] for r in rows], np.int32),
        target=np.array([r["target"] for r in rows], np.int32),
        timestamp=np.array([int(now - float(r["age_days"]) * 86_400) for r in rows], np.int64),  # type: ignore[arg-type]
        channel=np.array([r["channel"] for r in rows], np.uint8),
        duration=np.array(
            [np.nan if r["duration"] is None else r["duration"] for r in rows], np.float32
        ),
        event=np.array([r["event"] for r in rows], np.int64),
        weight=np.array([r["weight"] for r in rows], np.float32),
    )


@st.composite
def graphs(draw: st.DrawFn, *, max_nodes: int = 14, weighted: bool = False) -> sp.csr_matrix:
    """A symmetric sparse adjacency matrix with zero diagonal."""
    n = draw(st.integers(1, max_nodes))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = (
        draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    )
    weights = [draw(st.integers(1, 9)) if weighted else 1 for _ in chosen]
    rows = [i for i, _ in chosen] + [j for _, j in chosen]
    cols = [j for _, j in chosen] + [i for i, _ in chosen]
    return sp.csr_matrix((np.array(weights * 2, float), (rows, cols)), shape=(n, n))
