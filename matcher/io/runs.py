"""Store an assign run's proposals in the history database and write its outputs, together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.assign import ProgramResult
from matcher.history import History
from matcher.io.reports import write_assignments
from matcher.privacy import Pseudonymizer


def store_and_write(
    history: History,
    results: list[ProgramResult],
    out_dir: str | Path,
    summary: dict[str, Any],
    *,
    seed: int,
    inputs: dict[str, str],
    explain: bool = False,
    with_names: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
) -> dict[str, Any]:
    """Record each program's run as a proposal and write the outputs in one transaction.

    The outputs are moved into ``out_dir`` inside the database transaction: if writing fails,
    no run is recorded; if recording fails, no output is moved into place. Returns ``summary``
    with a ``programs`` block per program (its run id and figures).
    """
    summary = {**summary, "programs": {}}
    with history.transaction() as db:
        for result in results:
            run_id = history.next_run_id(result.spec.name, result.spec.period)
            history.add_run(
                db,
                run_id=run_id,
                program=result.spec.name,
                kind=result.spec.kind.value,
                period=result.spec.period,
                status=result.solution.status,
                pairs=[(a.seeker_id, a.provider_id, a.score) for a in result.assignments],
                objective=result.solution.objective,
                bound=result.solution.bound,
                gap=result.solution.gap,
                seed=seed,
                config=result.spec.model_dump(mode="json"),
                inputs=inputs,
            )
            summary["programs"][result.spec.name] = {"run_id": run_id, **result.summary}
        write_assignments(
            results,
            out_dir,
            summary,
            explain=explain,
            with_names=with_names,
            pseudonymizer=pseudonymizer,
        )
    return summary
