"""The contract's tables (employees, interactions, truth) as Arrow tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.model import CHANNELS, LIST_SEPARATOR
from matcher.synthetic.interactions import _Rows
from matcher.synthetic.orgchart import _Tree
from matcher.synthetic.people import _People
from matcher.synthetic.truth import _Plan
from matcher.synthetic.vocabulary import (
    _FIRST_NAMES,
    _INTERESTS,
    _LANGUAGES,
    _LAST_NAMES,
    _OFFICES,
    _ROLES,
    _SKILLS,
)

# --------------------------------------------------------------------------- tables


def _ids(n: int) -> pa.Array:
    width = max(6, len(str(n)))
    return pa.array([f"E{i:0{width}d}" for i in range(1, n + 1)])


def _join_codes(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    """``;``-joined names of the non-negative codes of each row."""
    valid = codes >= 0
    offsets = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(np.int32)
    values = pa.array(names).take(pa.array(codes[valid]))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), LIST_SEPARATOR)


def _employee_table(
    ids: pa.Array, tree: _Tree, people: _People, end_date: dt.date, days: int
) -> pa.Table:
    names = pc.binary_join_element_wise(
        pa.array(_FIRST_NAMES).take(pa.array(people.first_name)),
        pa.array(_LAST_NAMES).take(pa.array(people.last_name)),
        " ",
    )
    email = pc.binary_join_element_wise(pc.utf8_lower(ids), "@example.com", "")
    manager = ids.take(pa.array(tree.parent, mask=tree.parent < 0))
    city = pa.array([o[0] for o in _OFFICES])
    zones = pa.array([o[1] for o in _OFFICES])
    hire = np.datetime64(end_date, "D") - people.tenure
    role_names = [
        LIST_SEPARATOR.join(r for bit, r in enumerate(_ROLES) if mask >> bit & 1)
        for mask in range(1 << len(_ROLES))
    ]
    capacity = people.mentor_capacity
    return pa.table(
        {
            "id": ids,
            "name": names,
            "email": email,
            "manager_id": manager,
            "team": pa.array(tree.team_names).take(pa.array(tree.team)),
            "department": pa.array(tree.dept_names).take(pa.array(tree.dept)),
            "location": city.take(pa.array(people.location)),
            "timezone": zones.take(pa.array(people.location)),
            "work_start": pa.array(people.work_start, pa.int64()),
            "work_end": pa.array(people.work_end, pa.int64()),
            "hire_date": pa.array(np.datetime_as_string(hire, unit="D").tolist()),
            "level": pa.array(people.level, pa.int64()),
            "languages": _join_codes(people.languages, _LANGUAGES),
            "interests": _join_codes(people.interests, _INTERESTS),
            "skills": _join_codes(people.skills, _SKILLS),
            "wants": _join_codes(people.wants, _SKILLS),
            "roles": pa.array(role_names).take(pa.array(people.roles)),
            "opt_out": pa.array(np.where(people.opt_out, "true", "false").tolist()),
            "mentor_capacity": pa.array(capacity, pa.int64(), mask=capacity == 0),
            "office": pc.if_else(
                pa.array(people.remote), "remote", city.take(pa.array(people.location))
            ),
        }
    )


def _interaction_table(ids: pa.Array, rows: _Rows) -> pa.Table:
    """All the interactions as one table of text, as ``interactions.csv`` holds them."""
    return with_text_times(next(_interaction_chunks(ids, rows, max(len(rows.time), 1))))


def with_text_times(table: pa.Table) -> pa.Table:
    """``table`` with its ``timestamp`` column as ISO 8601 text in UTC
    (``2026-09-30T09:30:00+00:00``), as the CSV files hold it."""
    index = table.column_names.index("timestamp")
    naive = pc.cast(table.column(index), pa.timestamp("s"))
    stamp = pc.cast(naive, pa.string())
    stamp = pc.binary_join_element_wise(pc.replace_substring(stamp, " ", "T"), "+00:00", "")
    return table.set_column(index, "timestamp", stamp)


def _interaction_chunks(ids: pa.Array, rows: _Rows, chunk_rows: int) -> Iterator[pa.Table]:
    """The interactions in time order as tables of at most ``chunk_rows`` rows, with their
    times as UTC timestamps (:func:`with_text_times` turns them into the CSV's text): the
    text of 50 million rows does not fit in memory at once, their numbers do."""
    order = np.argsort(rows.time, kind="stable")
    rows = _Rows(*(a[order] for a in rows._arrays()))
    del order
    # number events in order of appearance: ev-1 is the earliest
    has = rows.event >= 0
    _, first, inverse = np.unique(rows.event[has], return_index=True, return_inverse=True)
    rank = np.empty(first.size, np.int64)
    rank[np.argsort(first)] = np.arange(1, first.size + 1)
    number = np.zeros(rows.event.size, np.int64)
    number[has] = rank[inverse]
    del first, inverse, rank
    channels = pa.array([str(c) for c in CHANNELS])
    for start in range(0, max(len(number), 1), chunk_rows):
        part = slice(start, start + chunk_rows)
        chunk_has = has[part]
        event = pc.binary_join_element_wise(
            "ev-", pc.cast(pa.array(number[part], mask=~chunk_has), pa.string()), ""
        )
        stamp = pa.array(rows.time[part], pa.timestamp("s", tz="UTC"))
        duration = rows.duration[part]
        yield pa.table(
            {
                "source": ids.take(pa.array(rows.source[part])),
                "target": ids.take(pa.array(rows.target[part])),
                "timestamp": stamp,
                "channel": channels.take(pa.array(rows.channel[part])),
                "duration_minutes": pa.array(duration.astype(np.int32), mask=duration < 0),
                "event_id": event,
            }
        )


def _truth_table(ids: pa.Array, tree: _Tree, plan: _Plan) -> pa.Table:
    kinds: list[str] = []
    names: list[str] = []
    planted = (
        ("isolated", ids.take(pa.array(np.flatnonzero(plan.isolated))).to_pylist()),
        ("peripheral", ids.take(pa.array(np.flatnonzero(plan.peripheral))).to_pylist()),
        ("siloed_team", [tree.team_names[t] for t in np.flatnonzero(plan.siloed).tolist()]),
    )
    for kind, chosen in planted:
        kinds += [kind] * len(chosen)
        names += sorted(chosen)
    return pa.table({"kind": pa.array(kinds, pa.string()), "id": pa.array(names, pa.string())})
