"""``matcher simulate``: variants × quarters × seeds of programs on an evolving org."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from matcher.cli.options import common_options, echo


@click.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the results, charts and report.html to.",
)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key of the scenario file, e.g. --set org.generate.employees=2000 (repeatable).",
)
@click.option("--quarters", type=click.IntRange(1, 20), help="Override scenario.quarters.")
@click.option("--replications", type=click.IntRange(1, 200), help="Override scenario.replications.")
@click.option("--seed", type=int, help="Override scenario.seed.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver seconds per program.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="all cores",
    help="Local processes (1 runs in this process).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Run the grid on local processes or on a Dask cluster.",
)
@click.option(
    "--scheduler",
    help="Dask scheduler address, with --executor dask; 'local' starts a Dask cluster of "
    "--workers processes on this machine for the run.",
)
@click.option(
    "--fresh", is_flag=True, help="Ignore results kept from an earlier run in OUT/cells/."
)
@click.option(
    "--calibrate",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="evaluation.json of matcher evaluate: use its observed tie probabilities and fit effect.",
)
@common_options
def simulate(
    scenario_file: Path,
    out_dir: Path,
    assignments: tuple[str, ...],
    quarters: int | None,
    replications: int | None,
    seed: int | None,
    time_limit: float | None,
    workers: int,
    executor: str,
    scheduler: str | None,
    fresh: bool,
    calibrate: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Simulate program variants over quarters and write a report (variants x quarters x seeds)."""
    from matcher.io.scenarios import parse_assignment
    from matcher.workflows.simulate import simulate_scenario

    overrides = [parse_assignment(text) for text in assignments]
    for key, value in (
        ("scenario.quarters", quarters),
        ("scenario.replications", replications),
        ("scenario.seed", seed),
        ("scenario.time_limit", time_limit),
    ):
        if value is not None:
            overrides.append((key, value))
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    finished = [0, 0]

    def count(done: int, total: int) -> None:
        finished[:] = [done, total]
        if progress is not None:
            progress(done, total)

    with _progress("simulating", quiet) as progress:
        try:
            summary = simulate_scenario(
                scenario_file,
                out_dir,
                overrides=tuple(overrides),
                executor="dask" if executor == "dask" else "local",
                workers=workers,
                scheduler=scheduler,
                fresh=fresh,
                progress=count,
                calibrate=calibrate,
            )
        except KeyboardInterrupt:
            click.echo(
                f"interrupted: {finished[0]} of {finished[1]} runs are kept in "
                f"{out_dir / 'cells'}; run the same command again to resume",
                err=True,
            )
            sys.exit(130)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    lines = [
        f"simulated {summary['scenario']}: {summary['cells']} runs "
        f"({len(summary['variants'])} variants x {summary['replications']} seeds x "
        f"{summary['quarters']} quarters) in {summary['seconds']:.0f} s"
        + (
            f", {summary['reused_cells']} reused from an earlier run"
            if summary["reused_cells"]
            else ""
        ),
        *(f"  {sentence}" for sentence in summary["answer"]),
        f"  report: {out_dir / 'report.html'}",
    ]
    echo("\n".join(lines), quiet)


@contextmanager
def _progress(message: str, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; ``None`` elsewhere."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[bold]{message}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(message, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
