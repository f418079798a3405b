"""``matcher simulate``: a scenario file in; the grid's cells, report and answer out."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matcher.io.calibration import read_calibration
from matcher.io.scenarios import CellStore, load_base_org, load_base_survey, load_scenario
from matcher.io.simreport import SimulationRun, write_simulation
from matcher.io.write import atomic_output
from matcher.simulation.cell import CellResult
from matcher.simulation.grid import Executor, grid, run_grid


def simulate_scenario(
    path: str | Path,
    out_dir: str | Path,
    *,
    overrides: tuple[tuple[str, Any], ...] = (),
    executor: Executor = "local",
    workers: int = 1,
    scheduler: str | None = None,
    fresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
    calibrate: str | Path | None = None,
) -> dict[str, Any]:
    """Run a scenario file's grid and write its outputs to ``out_dir``; returns the summary.

    Finished cells are kept in ``out_dir/cells/`` as they arrive, so an interrupted run
    resumes where it stopped (``fresh=True`` ignores them). The final files are written
    atomically, all or none. ``calibrate``: an ``evaluation.json`` of ``matcher evaluate``
    whose observed tie probabilities and fit effect replace the scenario's (after
    ``overrides``); the report says which period they came from.
    """
    started = time.perf_counter()
    calibration = read_calibration(calibrate) if calibrate is not None else None
    if calibration is not None:
        overrides = (*overrides, *calibration.overrides())
    base, variants = load_scenario(path, overrides)
    cells = grid(variants, base.scenario.replications, load_base_org, load_base_survey)
    store = CellStore(out_dir)
    done = {} if fresh else store.load({c.key for c in cells})
    finished = len(done)
    if progress is not None:
        progress(finished, len(cells))

    def on_result(result: CellResult) -> None:
        nonlocal finished
        store.save(result)
        finished += 1
        if progress is not None:
            progress(finished, len(cells))

    results = run_grid(
        cells,
        done=done,
        on_result=on_result,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
    )
    run = SimulationRun(
        scenario=base,
        variants=variants,
        results=results,
        seconds=time.perf_counter() - started,
        reused=len(done),
        executor=executor,
        workers=workers,
        source=str(path),
        calibration=None
        if calibration is None
        else {**calibration.as_dict(), "sentences": calibration.sentences()},
    )
    with atomic_output(out_dir) as out:
        return write_simulation(out, run)
