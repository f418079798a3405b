"""The evaluate stage's worker: the quarter after a committed period, with planted outcomes.

Reads the committed pairs of a period from a history database and writes, with
:func:`matcher.synthetic.followup.follow_up_quarter`, the interactions of that period (the
org's usual interactions shifted into it, the committed pairs meeting only as planted) as
``interactions.csv``, and what was planted as ``truth.json``: how many pairs met and formed a
tie, so that the stage can check what ``matcher evaluate`` finds.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

from matcher.evaluation.outcomes import period_days
from matcher.history import History
from matcher.io.write import atomic_output
from matcher.synthetic.followup import follow_up_quarter, planted_effect

RATES = {"met_rate": 0.7, "tie_given_met": 0.6, "background_rate": 0.05}
"""The planted probabilities (the generator's defaults, written out so the page can say them)."""

_INTERACTION_TYPES = {
    "source": pa.string(),
    "target": pa.string(),
    "timestamp": pa.string(),
    "channel": pa.string(),
    "duration_minutes": pa.int32(),
    "event_id": pa.string(),
}


def _read(path: Path, types: dict[str, pa.DataType]) -> pa.Table:
    """A generated org's CSV file, with ids and time stamps kept as text."""
    return pcsv.read_csv(
        path,
        convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=True),
    )


def write_follow_up(
    employees: Path, interactions: Path, db: Path, period: str, seed: int, out: Path
) -> dict[str, object]:
    """Write ``out/interactions.csv`` (the quarter ``period``, planted) and ``out/truth.json``;
    return the truth."""
    started = time.perf_counter()
    with History(db, create=False) as history:
        pairs = [
            (p.seeker_id, p.provider_id) for p in history.committed_pairs() if p.period == period
        ]
    people = _read(employees, {"id": pa.string(), "team": pa.string()})
    table = _read(interactions, _INTERACTION_TYPES)
    start, end = period_days(period)
    planted = follow_up_quarter(people, table, pairs, start=start, end=end, seed=seed, **RATES)
    with atomic_output(out) as folder:
        folder.write_table("interactions.csv", planted.interactions)
    met = planted.pairs.column("met").to_pylist()
    tie = planted.pairs.column("tie").to_pylist()
    truth: dict[str, object] = {
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seed": seed,
        "rates": RATES,
        "planted_effect": planted_effect(**RATES),
        "pairs": len(pairs),
        "met": sum(met),
        "ties": sum(tie),
        "background_ties": planted.background.num_rows,
        "interaction_rows": planted.interactions.num_rows,
        "seconds": round(time.perf_counter() - started, 3),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth
