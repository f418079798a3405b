"""The grid of cells (variants × replications) and running it in this process, on local
workers or on a Dask cluster.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from typing import Literal

from matcher.analysis.survey import Survey
from matcher.errors import ConfigError, MatcherError
from matcher.model import Org
from matcher.simulation.cell import Cell, CellResult, run_cell
from matcher.simulation.scenario import OrgSection, ResolvedVariant

Executor = Literal["local", "dask"]
LOCAL_SCHEDULER = "local"
"""The ``scheduler`` that starts a Dask cluster of local processes for one run (no address)."""


def grid(
    variants: Iterable[ResolvedVariant],
    replications: int,
    load_org: Callable[[OrgSection], Org],
    load_survey: Callable[[OrgSection, Org], Survey | None] | None = None,
) -> list[Cell]:
    """Every variant × replication, replication-major so early results cover every variant."""
    variants = list(variants)
    return [Cell(v, r, load_org, load_survey) for r in range(replications) for v in variants]


def run_grid(
    cells: Sequence[Cell],
    *,
    done: dict[str, CellResult] | None = None,
    on_result: Callable[[CellResult], None] | None = None,
    executor: Executor = "local",
    workers: int = 1,
    scheduler: str | None = None,
) -> list[CellResult]:
    """Run the cells not in ``done``; ``on_result`` sees each new result as it arrives.

    Parameters
    ----------
    cells : sequence of Cell
        The grid (see :func:`grid`).
    done : dict of str to CellResult, optional
        Results kept from an earlier run, by :attr:`Cell.key`: those cells are not run again.
    on_result : callable, optional
        Called with each new result as it arrives (to keep it, or show progress).
    executor : {"local", "dask"}
        ``"local"`` uses ``workers`` processes (1 runs in this process); ``"dask"`` submits to
        the ``dask.distributed`` scheduler at ``scheduler``.
    workers : int
        Processes for the local executor, and for a local Dask cluster.
    scheduler : str, optional
        The Dask scheduler's address (``tcp://host:8786``), for ``executor="dask"``; ``"local"``
        starts a Dask cluster of ``workers`` single-threaded processes on this machine for the
        run (:data:`LOCAL_SCHEDULER`).

    Returns
    -------
    list of CellResult
        One per cell, in the order of ``cells`` whatever order they finished in.

    Raises
    ------
    ConfigError
        When Dask is asked for but not installed, has no scheduler address, or cannot reach it.
    """
    done = dict(done or {})
    todo = [cell for cell in cells if cell.key not in done]

    def record(result: CellResult) -> None:
        done[result.key] = result
        if on_result is not None:
            on_result(result)

    if todo and executor == "dask":
        _run_dask(todo, scheduler, record, workers=workers)
    elif todo and workers > 1:
        _run_pool(todo, workers, record)
    else:
        for cell in todo:
            record(run_cell(cell))
    return [done[cell.key] for cell in cells]


def _run_pool(cells: list[Cell], workers: int, record: Callable[[CellResult], None]) -> None:
    """Run ``cells`` on a pool of ``workers`` spawned processes, recording each result.

    Ctrl-C reaches the workers and this process at once; the pool may notice its workers gone
    before this process raises the interrupt, and an interrupt raised inside the pool's own
    callbacks can be swallowed there, so the interrupt is also noted by a handler of our own
    and a broken pool after it reads as the interrupt it was.
    """
    interrupted = False

    def on_interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        raise KeyboardInterrupt

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if main else None
    context = multiprocessing.get_context("spawn")  # no fork: OpenMP and OR-Tools threads
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(cells)), mp_context=context, initializer=_quiet_interrupt
    )
    try:
        futures: set[Future[CellResult]] = {pool.submit(run_cell, cell) for cell in cells}
        while futures:
            finished, futures = wait(futures, return_when=FIRST_COMPLETED)
            for future in finished:
                record(future.result())
    except BrokenProcessPool as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        time.sleep(0.2)  # a Ctrl-C still on its way is raised here as itself
        if interrupted:
            raise KeyboardInterrupt from exc
        raise MatcherError(
            "a simulation worker process ended abruptly (out of memory, or killed); the "
            "finished runs are kept: run the same command again to resume"
        ) from exc
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # an interrupt stops at once
        raise
    finally:
        if main:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    pool.shutdown()


def _quiet_interrupt() -> None:
    """In a worker process: Ctrl-C (SIGINT reaches the whole process group) ends the worker at
    once and silently. The parent reports the interruption and keeps the finished cells; a
    worker's half-run cell is simply run again, and a traceback from an idle worker would only
    hide the parent's message."""
    signal.signal(signal.SIGINT, lambda _signum, _frame: os._exit(130))


def _run_dask(
    cells: list[Cell],
    scheduler: str | None,
    record: Callable[[CellResult], None],
    *,
    workers: int = 1,
) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed  # optional (the dask extra)
    except ImportError as exc:
        raise ConfigError(
            "--executor dask needs the optional dependency: pip install 'workplace-matcher[dask]'"
        ) from exc
    if not scheduler:
        raise ConfigError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    with ExitStack() as stack:
        if scheduler == LOCAL_SCHEDULER:
            # Processes, not threads: a cell is Python-bound, and a worker keeps its own
            # per-process caches (the base org, quarter 0's analysis) as the local pool does.
            # On the loopback only, the dashboard on a free port (its default, 8787, may be
            # another cluster's).
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=min(workers, len(cells)),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",
                )
            )
            scheduler = str(cluster.scheduler_address)
        try:
            client = stack.enter_context(Client(scheduler, timeout="20s"))
        except OSError as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        futures = client.map(run_cell, cells, pure=False)
        for future in as_completed(futures):
            record(future.result())
