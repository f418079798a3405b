"""``matcher generate``: write a synthetic org with planted truth to a folder."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from matcher.io.write import OutputDir, atomic_output
from matcher.synthetic.generate import SyntheticOrg, generate_org
from matcher.synthetic.survey import SurveyExport, generate_survey
from matcher.synthetic.tables import with_text_times
from matcher.workflows.common import Reporter, Silent


def generate_files(
    n_employees: int,
    seed: int,
    out_dir: Path,
    *,
    days: int = 90,
    end_date: dt.date = dt.date(2026, 9, 30),
    survey_rate: float | None = None,
    parquet: bool = False,
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
    survey_rate
        Also write a pulse survey answered at this rate, as a Microsoft Forms export
        (``survey-export.csv``), the mapping that reads it (``survey.toml``) and its planted
        truth (``survey-truth.csv``): see :mod:`matcher.synthetic.survey`.
    parquet
        Also write ``employees.parquet`` and ``interactions.parquet`` (the same rows; the
        interaction times as UTC timestamps), which ``matcher analyze`` reads faster.
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
        survey = (
            None
            if survey_rate is None
            else generate_survey(
                org.employees,
                org.interactions,
                org.truth,
                rate=survey_rate,
                seed=seed,
                end_date=end_date,
            )
        )
    with reporter.step("writing files"), atomic_output(out_dir) as out:
        out.write_table("employees.csv", org.employees)
        _write_interactions(out, org, parquet=parquet)
        if parquet:
            pq.write_table(org.employees, out.path("employees.parquet"))
        out.write_table("truth.csv", org.truth)
        if survey is not None:
            _write_survey(out, survey)
    summary = {
        "employees": org.employees.num_rows,
        "interactions": org.interaction_rows,
        "planted": count_truth(org.truth),
        "as_of": org.as_of.isoformat(),
        "seed": seed,
        "out": str(out_dir),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if survey is not None:
        summary["survey"] = {
            "responses": survey.export.num_rows,
            "rate": survey_rate,
            "planted": count_truth(survey.truth),
        }
    return summary


def _write_interactions(out: OutputDir, org: SyntheticOrg, *, parquet: bool) -> None:
    """``interactions.csv`` (and ``interactions.parquet``) a chunk of rows at a time: the
    text of a million people's 50 million rows would not fit in memory at once."""
    parquet_writer = None
    with out.table_writer("interactions.csv") as csv_writer:
        for chunk in org.interaction_chunks():
            csv_writer(with_text_times(chunk))
            if parquet:
                if parquet_writer is None:
                    parquet_writer = pq.ParquetWriter(
                        out.path("interactions.parquet"), chunk.schema
                    )
                parquet_writer.write_table(chunk)
    if parquet_writer is not None:
        parquet_writer.close()


def _write_survey(out: OutputDir, survey: SurveyExport) -> None:
    """The export as Microsoft Forms writes a CSV (UTF-8 with a byte-order mark), its
    mapping and its truth."""
    with out.path("survey-export.csv").open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(survey.export.column_names)
        writer.writerows(zip(*(c.to_pylist() for c in survey.export.columns), strict=True))
    out.path("survey.toml").write_text(survey.mapping, encoding="utf-8")
    out.write_table("survey-truth.csv", survey.truth)


def count_truth(truth: pa.Table) -> dict[str, int]:
    """Planted people by kind of truth, in name order."""
    kinds = truth.column("kind").to_pylist()
    return {kind: kinds.count(kind) for kind in sorted(set(kinds))}
