"""``matcher generate``: write a synthetic org with planted truth to a folder."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from matcher.io.write import atomic_output
from matcher.synthetic.generate import generate_org
from matcher.workflows.common import Reporter, Silent


def generate_files(
    n_employees: int,
    seed: int,
    out_dir: Path,
    *,
    days: int = 90,
    end_date: dt.date = dt.date(2026, 9, 30),
    reporter: Reporter | None = None,
) -> dict[str, Any]:
    """Generate an org of ``n_employees`` and write ``employees.csv``, ``interactions.csv``
    and ``truth.csv`` to ``out_dir`` (all or none).

    Parameters
    ----------
    n_employees, seed, days, end_date
        As :func:`matcher.synthetic.generate.generate_org`.
    out_dir
        Folder to write; switched as a whole when the files are complete.
    reporter
        Progress and warnings (default: silent).

    Returns
    -------
    dict
        The summary ``matcher generate --json`` prints: row counts, the planted truth by
        kind, the org's date, the seed and the seconds taken.
    """
    reporter = reporter or Silent()
    started = time.perf_counter()
    with reporter.step(f"generating {n_employees:,} employees"):
        org = generate_org(n_employees, seed, days=days, end_date=end_date)
    with reporter.step("writing files"), atomic_output(out_dir) as out:
        out.write_table("employees.csv", org.employees)
        out.write_table("interactions.csv", org.interactions)
        out.write_table("truth.csv", org.truth)
    return {
        "employees": org.employees.num_rows,
        "interactions": org.interactions.num_rows,
        "planted": count_truth(org.truth),
        "as_of": org.as_of.isoformat(),
        "seed": seed,
        "out": str(out_dir),
        "seconds": round(time.perf_counter() - started, 2),
    }


def count_truth(truth: pa.Table) -> dict[str, int]:
    """Planted people by kind of truth, in name order."""
    kinds = truth.column("kind").to_pylist()
    return {kind: kinds.count(kind) for kind in sorted(set(kinds))}
