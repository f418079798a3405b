"""Straightforward per-row reference implementations, sharing no code with matcher.analysis.graph."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

MUTUAL = {0, 1, 2, 3}  # in_person, video, call, meeting (CHANNELS order)
CHANNEL_WEIGHT = {0: 1.0, 1: 1.0, 2: 0.7, 3: 0.8, 4: 0.3, 5: 0.2}


def tie_strength(
    rows: list[dict[str, object]],
    *,
    half_life: float = 30.0,
    window: float = 90.0,
    broadcast: int = 25,
) -> tuple[dict[tuple[int, int], float], set[tuple[int, int]]]:
    """Pair strength and reciprocated pairs, row by row, straight from the definitions."""
    strength: dict[tuple[int, int], float] = defaultdict(float)
    mutual: set[tuple[int, int]] = set()
    wrote: set[tuple[int, int]] = set()
    rows = [r for r in rows if 0 <= float(r["age_days"]) <= window]  # type: ignore[arg-type]
    by_event: dict[int, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        if r["event"] != -1:
            by_event[int(r["event"])].append(r)  # type: ignore[call-overload]

    def value(r: dict[str, object]) -> float:
        d = r["duration"]
        factor = 1.0 if d is None else min((float(d) / 30.0) ** 0.5, 2.0)  # type: ignore[arg-type]
        return (
            CHANNEL_WEIGHT[int(r["channel"])]
            * factor
            * 0.5 ** (float(r["age_days"]) / half_life)
            * float(r["weight"])
        )  # type: ignore[call-overload, arg-type]

    def key(a: int, b: int) -> tuple[int, int]:
        return (min(a, b), max(a, b))

    for r in rows:
        if r["event"] == -1:
            s, t = int(r["source"]), int(r["target"])  # type: ignore[call-overload]
            strength[key(s, t)] += value(r)
            if int(r["channel"]) in MUTUAL:  # type: ignore[call-overload]
                mutual.add(key(s, t))
            else:
                wrote.add((s, t))
    for members_rows in by_event.values():
        people = sorted(
            {int(r["source"]) for r in members_rows} | {int(r["target"]) for r in members_rows}
        )  # type: ignore[call-overload]
        n = len(people)
        if n > broadcast:
            continue
        first = members_rows[0]
        if int(first["channel"]) in MUTUAL:  # type: ignore[call-overload]
            for a, b in combinations(people, 2):
                strength[key(a, b)] += value(first) / (n - 1)
                mutual.add(key(a, b))
        else:
            for r in members_rows:
                s, t = int(r["source"]), int(r["target"])  # type: ignore[call-overload]
                strength[key(s, t)] += value(r) / (n - 1)
                wrote.add((s, t))
    reciprocated = set(mutual) | {key(s, t) for s, t in wrote if (t, s) in wrote}
    return dict(strength), reciprocated
