"""``python -m benchmarks``: ``run`` and ``readme`` for people, and the workers they start.

The workers (``graph``, ``metrics``, ``pipeline``, ``repeat-interactions``,
``assign-inprocess``, ``assign-baseline``, ``evaluate-followup``) are hidden commands run as child processes by
``run``, so that each workload's peak memory is its own.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from benchmarks.baselines.assign import METHODS as BASELINE_METHODS
from benchmarks.baselines.assign import run_baseline
from benchmarks.baselines.e2e import pipeline as pipeline_worker
from benchmarks.baselines.metrics import BASELINES
from benchmarks.errors import BenchmarkError
from benchmarks.markdown import render_report
from benchmarks.measure import display_command, matcher_command, shown_path
from benchmarks.orgs import write_graph
from benchmarks.performance import generate, write_docs
from benchmarks.pipelines import GraphInputs, run_matcher
from benchmarks.results import load_report
from benchmarks.runner import RunOptions, run_benchmarks
from benchmarks.sizes import resolve_size
from benchmarks.stages import STAGES
from benchmarks.stages.stream import write_repeated

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
PIPELINES = {"matcher": run_matcher, **BASELINES}


class BenchmarkGroup(click.Group):
    """Turns a :class:`BenchmarkError` into exit code 1 with its message."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BenchmarkError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=BenchmarkGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Benchmarks of matcher, with baselines measured in the same run."""


def _log(message: str) -> None:
    click.echo(message, err=True)


@main.command()
@click.option(
    "--size",
    type=click.Choice(["XS", "S", "M", "L", "XL"], case_sensitive=False),
    show_choices=False,
    required=True,
    help="S (2,000 employees), M (20,000), L (100,000, over 5M interaction rows) or XL "
    "(1,000,000, over 50M rows: run it under `flock /tmp/heavy.lock`).",
)
@click.option("--employees", type=click.IntRange(min=50), hidden=True, help="Head count override.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of matcher generate.")
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(list(STAGES)),
    help="Run only this stage (repeatable). Default: analyze, plus stream at M and L.",
)
@click.option("--repeat", type=click.IntRange(min=1), help="Runs per workload (default by size).")
@click.option("--fresh", is_flag=True, help="Regenerate the org and files in the work folder.")
@click.option(
    "--results-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=BENCHMARKS / "results",
    show_default=True,
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=BENCHMARKS / "work",
    hidden=True,
)
@click.option(
    "--networkx-budget",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Skip the plain-networkx baseline (reporting an estimate) above this many seconds.",
)
@click.option(
    "--stream-gb",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="Size of the file of the stream stage.",
)
def run(
    size: str,
    employees: int | None,
    seed: int,
    only: tuple[str, ...],
    repeat: int | None,
    fresh: bool,
    results_dir: Path,
    work_dir: Path,
    networkx_budget: float,
    stream_gb: float,
) -> None:
    """Generate (or reuse) a seeded org, run the stages, write results/<date>-<size>.json and .md."""
    options = RunOptions(
        size=resolve_size(size.upper(), employees, repeat),
        seed=seed,
        only=only,
        fresh=fresh,
        results_dir=results_dir.resolve(),
        work_dir=work_dir.resolve(),
        networkx_budget=networkx_budget,
        stream_bytes=int(stream_gb * 1e9),
        invocation=display_command(["python", "-m", "benchmarks", *sys.argv[1:]], ROOT),
    )
    json_path, md_path = run_benchmarks(options, root=ROOT, log=_log)
    _log(f"wrote {json_path} and {md_path}")
    click.echo(md_path.read_text(encoding="utf-8"))


@main.command()
@click.option(
    "--results-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=BENCHMARKS / "results",
    show_default=True,
)
@click.option(
    "--write",
    is_flag=True,
    help="Write docs/performance.md and the README's performance summary instead of printing.",
)
@click.option("--summary", is_flag=True, help="Print the README's performance summary only.")
def readme(results_dir: Path, write: bool, summary: bool) -> None:
    """Print docs/performance.md (the performance page) from the newest result file of each size."""
    if write:
        changed = write_docs(results_dir.resolve(), ROOT)
        for path in changed:
            _log(f"wrote {shown_path(path, ROOT)}")
        if not changed:
            _log("docs/performance.md and the README's summary are up to date")
        return
    page, short = generate(results_dir.resolve(), ROOT)
    click.echo(short if summary else page, nl=False)


@main.command()
@click.option("--size", type=click.Choice(["S", "M", "L"]), default="S", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--repeat", type=int, default=3, show_default=True)
def certify(size: str, seed: int, repeat: int) -> None:
    """What checking every assign result costs against the solve it checks (target ≤ 10%)."""
    # lazily: it imports matcher's solvers (OR-Tools), which the workers must not load
    from benchmarks.certify import render, run_certify

    command = display_command(["python", "-m", "benchmarks", *sys.argv[1:]], ROOT)
    click.echo(render(run_certify(size, seed, repeat), command))


@main.command("assign-scale")
@click.option("--size", type=click.Choice(["L", "XL"]), default="L", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--repeat", type=int, default=3, show_default=True)
@click.option(
    "--copies",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="XL: 0 uses the generated 1,000,000-person org (generated when missing); N > 0 uses "
    "N copies of the L org side by side instead.",
)
def assign_scale(size: str, seed: int, repeat: int, copies: int) -> None:
    """Assign at L (20,000 × 5,000) or XL (200,000 × 50,000), timed with peak memory against
    the issue's targets; writes benchmarks/results/<date>-assign-<size>.md."""
    import datetime as dt

    from benchmarks.assign_xl import render, replicate_org, run_scale
    from benchmarks.measure import run_measured

    work = ROOT / "benchmarks" / "work"
    people = 1_000_000 if size == "XL" and not copies else 100_000
    org = work / f"org-{people}-seed1"
    if not (org / "employees.csv").is_file():
        run_measured(
            [*matcher_command(), "generate", "--employees", str(people), "--seed", "1",
             "--out", str(org), "--parquet", "--quiet"],
            cwd=ROOT,
            log_dir=work / "logs" / f"generate-{people}",
        )  # fmt: skip
    if size == "XL" and copies:
        source, org = org, work / f"org-100000-seed1-x{copies}"
        replicate_org(source, copies, org)
    figures = run_scale(size, org, work / "runs" / f"assign-scale-{size}", repeat, seed)
    command = display_command(["python", "-m", "benchmarks", *sys.argv[1:]], ROOT)
    page = render(size, figures, command, org.relative_to(ROOT), repeat)
    out = ROOT / "benchmarks" / "results" / f"{dt.date.today().isoformat()}-assign-{size}.md"
    out.write_text(page, encoding="utf-8")
    click.echo(page)


@main.command("kernel-cells")
@click.option("--size", type=click.Choice(["L", "XL"]), default="L", show_default=True)
@click.option("--blocks", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample.")
def kernel_cells(size: str, blocks: int, repeat: int, seed: int) -> None:
    """The streamed compile's cost per cell, numpy against the numba kernel, on sampled blocks
    of the assign-scale program (run assign-scale first); writes
    benchmarks/results/<date>-kernel-<size>.md."""
    import datetime as dt

    from benchmarks.kernel_cells import measure, render

    work = ROOT / "benchmarks" / "work" / "runs" / f"assign-scale-{size}"
    if not (work / "analysis" / "summary.json").is_file():
        raise click.UsageError(f"run `python -m benchmarks assign-scale --size {size}` first")
    costs = measure(work, sample=blocks, repeat=repeat, seed=seed)
    command = display_command(["python", "-m", "benchmarks", *sys.argv[1:]], ROOT)
    page = render(size, costs, command)
    out = ROOT / "benchmarks" / "results" / f"{dt.date.today().isoformat()}-kernel-{size}.md"
    out.write_text(page, encoding="utf-8")
    click.echo(page)


@main.command()
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the orgs and runs.")
@click.option("--repeat", type=click.IntRange(min=1), default=3, show_default=True)
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(["peer-1000", "peer-10000", "circles-2000", "rounds-200"]),
    help="Workloads to run (default: all).",
)
def groups(seed: int, repeat: int, only: tuple[str, ...]) -> None:
    """Peer pairing at scale, circles and a 12-round plan against random and greedy groups."""
    # lazily: it imports matcher's solvers (OR-Tools), which the workers must not load
    from benchmarks.groups import run_groups

    command = display_command(["python", "-m", "benchmarks", *sys.argv[1:]], ROOT)
    click.echo(run_groups(only, repeat, seed) + f"\nCommand: `{command}`\n")


@main.command(hidden=True)
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def render(result: Path) -> None:
    """Rewrite a result file's Markdown page (``<date>-<size>.md``) from its JSON."""
    page = result.with_suffix(".md")
    page.write_text(render_report(load_report(result)), encoding="utf-8")
    _log(f"wrote {page}")


# ------------------------------------------------------------------------------ workers


@main.command(hidden=True)
@click.option("--employees", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--interactions", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
def graph(employees: Path, interactions: Path, out: Path) -> None:
    """Worker: build the aggregated edge lists of an org once (matcher.analysis.graph.build_graph)."""
    write_graph(employees, interactions, out)


@main.command(hidden=True)
@click.option("--library", type=click.Choice(["matcher", "networkx", "igraph"]), required=True)
@click.option("--graph", "graph_file", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Timings (JSON).")
@click.option("--outputs", type=click.Path(path_type=Path), help="Per-person metrics (.npz).")
@click.option("--subsample", type=click.FloatRange(min=0, max=1, min_open=True))
def metrics(
    library: str, graph_file: Path, out: Path, outputs: Path | None, subsample: float | None
) -> None:
    """Worker: time one library's metric pipeline on a prepared graph."""
    inputs = GraphInputs.load(graph_file)
    if subsample is not None:
        inputs = inputs.subsample(subsample)
    result = PIPELINES[library](inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "library": library,
        "n": inputs.n,
        "edges": inputs.edges,
        "steps": result.steps,
        "total": result.total,
    }
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    if outputs is not None:
        outputs.parent.mkdir(parents=True, exist_ok=True)
        np.savez(outputs, allow_pickle=False, **result.outputs)


# ``python -m benchmarks pipeline`` runs it without importing this module: see __main__.py
main.add_command(pipeline_worker)


@main.command("repeat-interactions", hidden=True)
@click.option("--source", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--copies", type=click.IntRange(min=1), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
def repeat_interactions(source: Path, copies: int, out: Path) -> None:
    """Worker: write time-shifted copies of an interactions file (the stream stage's input)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = write_repeated(source, copies, out)
    click.echo(json.dumps({"rows": rows, "bytes": out.stat().st_size}))


@main.command("assign-inprocess", hidden=True)
@click.argument("programs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--runs", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Timings (JSON).")
@click.option("--arcs-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--save", multiple=True, help="Write the arcs of the program file with this stem.")
def assign_inprocess(
    programs: tuple[Path, ...],
    runs: int,
    seed: int,
    time_limit: float,
    out: Path,
    arcs_dir: Path,
    save: tuple[str, ...],
) -> None:
    """Worker: time matcher's library calls (load, analyze, compile, solve) per program file."""
    # lazily: it imports matcher's solvers (OR-Tools), which the other workers must not load
    from benchmarks.assign_inprocess import run_inprocess

    run_inprocess(
        list(programs),
        runs=runs,
        seed=seed,
        time_limit=time_limit,
        out=out,
        arcs_dir=arcs_dir,
        save=set(save),
    )


@main.command("assign-screen", hidden=True)
@click.argument("program", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--key", required=True, help="Stored in the output: what it was computed for.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Counts (JSON).")
def assign_screen(program: Path, seed: int, key: str, out: Path) -> None:
    """Worker: each provider's number of eligible seekers in a program (one compile)."""
    # lazily: it imports matcher's solvers (OR-Tools), which the other workers must not load
    from benchmarks.assign_inprocess import run_screen

    run_screen(program, seed=seed, key=key, out=out)


@main.command("assign-baseline", hidden=True)
@click.option("--method", type=click.Choice(BASELINE_METHODS), required=True)
@click.option("--arcs", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Result (JSON).")
@click.option(
    "--budget",
    type=click.FloatRange(min=0),
    default=600.0,
    show_default=True,
    help="Seconds: networkx and mentor-match stop growing the instance before exceeding this.",
)
@click.option("--seed", type=int, default=1, show_default=True)
def assign_baseline(method: str, arcs: Path, out: Path, budget: float, seed: int) -> None:
    """Worker: one baseline assignment on the eligible arcs of a compiled problem."""
    run_baseline(method, arcs, out, budget=budget, seed=seed)


@main.command("evaluate-followup", hidden=True)
@click.option("--employees", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--interactions", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--db", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True)
@click.option("--period", required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def evaluate_followup(
    employees: Path, interactions: Path, db: Path, period: str, seed: int, out: Path
) -> None:
    """Worker: the quarter after a committed period, with planted outcomes (and its truth)."""
    # lazily: the other workers need not load the history and the generator
    from benchmarks.evaluate_followup import write_follow_up

    click.echo(json.dumps(write_follow_up(employees, interactions, db, period, seed, out)))
