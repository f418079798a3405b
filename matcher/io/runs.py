"""Store an assign run's proposals in the history database, then publish its outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.assignment.run import ProgramResult
from matcher.errors import OutputError
from matcher.history import History
from matcher.io.reports import OUTPUT_FILES, write_assignments
from matcher.io.write import published_folder
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
    builds_on: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Record each program's run as a proposal, then make its outputs visible in ``out_dir``.

    The outputs are staged inside the database transaction, and ``out_dir`` switches to them
    (:func:`matcher.io.write.published_folder`) only after the transaction commits, so the
    outputs in ``out_dir`` always name runs the history has: if staging fails, no run is
    recorded and ``out_dir`` keeps its outputs; a run killed in between leaves the runs
    recorded and the old outputs in place. Returns ``summary`` with a ``programs`` block per
    program (its run id and figures). ``builds_on`` (for ``--incremental``: by program, the
    committed runs whose pairs the solve saw) is recorded with each run (see
    :meth:`matcher.history.History.commit`).

    Raises
    ------
    OutputError
        When the runs were recorded but their outputs could not be published.
    """
    summary = {**summary, "programs": {}}
    recorded: list[str] = []
    try:
        with published_folder(out_dir, ours=OUTPUT_FILES) as staged:
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
                        builds_on=None if builds_on is None else builds_on[result.spec.name],
                    )
                    summary["programs"][result.spec.name] = {"run_id": run_id, **result.summary}
                write_assignments(
                    results,
                    staged,
                    summary,
                    explain=explain,
                    with_names=with_names,
                    pseudonymizer=pseudonymizer,
                )
            recorded = [block["run_id"] for block in summary["programs"].values()]
    except (OSError, OutputError) as exc:
        if not recorded:
            raise
        runs = ", ".join(recorded)
        raise OutputError(
            f"the history {history.path} records run(s) {runs} as proposed, but their outputs "
            f"could not be written to {out_dir} ({exc}); run matcher assign again, or export "
            f"the pairs with: matcher history export --run RUN --out FILE --db {history.path}"
        ) from exc
    return summary
