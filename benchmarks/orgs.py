"""Generated orgs and prepared graphs in the work folder, reused across runs.

An org lives in ``<work>/org-<employees>-seed<seed>/`` (written by ``matcher generate``);
``benchmark.json`` beside its files is written last and records how it was generated, so a
folder without it is incomplete and is regenerated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from benchmarks.errors import BenchmarkError
from benchmarks.measure import (
    display_command,
    matcher_command,
    python_command,
    run_measured,
    shown_path,
)
from benchmarks.pipelines import EdgeList, GraphInputs
from benchmarks.results import OrgInfo, Setup

META = "benchmark.json"
GRAPH = "graph.npz"
GRAPH_SUMMARY = "graph.json"
GENERATOR_MODULES = (
    "matcher.synthetic.generate",
    "matcher.synthetic.orgchart",
    "matcher.synthetic.people",
    "matcher.synthetic.truth",
    "matcher.synthetic.clock",
    "matcher.synthetic.interactions",
    "matcher.synthetic.tables",
    "matcher.synthetic.vocabulary",
)
GRAPH_MODULES = (
    "matcher.analysis.graph",
    "matcher.config",
    "matcher.model",
    "matcher.io.load",
    "matcher.io.tables",
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class OrgFiles:
    """A generated org on disk and what is known about it."""

    directory: Path
    info: OrgInfo
    generate: Setup

    @property
    def employees(self) -> Path:
        return self.directory / "employees.csv"

    @property
    def interactions(self) -> Path:
        return self.directory / "interactions.csv"

    @property
    def employees_parquet(self) -> Path:
        return self.directory / "employees.parquet"

    @property
    def interactions_parquet(self) -> Path:
        return self.directory / "interactions.parquet"

    @property
    def truth(self) -> Path:
        return self.directory / "truth.csv"


def org_directory(work_dir: Path, employees: int, seed: int) -> Path:
    """The folder of the org with this head count and seed."""
    return work_dir / f"org-{employees}-seed{seed}"


def source_fingerprint(modules: tuple[str, ...]) -> str:
    """A hash of the source files of ``modules`` (of every module in a package): a cached
    file made by older code is stale.

    Raises
    ------
    BenchmarkError
        When a module cannot be found.
    """
    digest = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise BenchmarkError(f"cannot find the source of {name}")
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
        for file in files:  # a package: every module in it
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


class GenerateRecord(BaseModel):
    """What ``benchmark.json`` records about how an org was generated."""

    model_config = ConfigDict(extra="forbid")

    command: str
    seconds: float
    peak_rss_bytes: int
    measured_on: str
    employees: int
    seed: int
    interaction_rows: int
    planted: dict[str, int]
    generator: str = Field(description="source_fingerprint(GENERATOR_MODULES) at generation.")


def ensure_org(
    work_dir: Path, employees: int, seed: int, *, fresh: bool, root: Path, log: Log
) -> OrgFiles:
    """Generate the org with ``matcher generate``, or reuse the one already in the work folder.

    Parameters
    ----------
    work_dir : Path
        The work folder (``benchmarks/work`` by default).
    employees, seed : int
        Passed to ``matcher generate``.
    fresh : bool
        Regenerate even when a complete org is present.
    root : Path
        The repository root (working directory of the command, and shown paths).
    log : callable
        Progress messages.

    Returns
    -------
    OrgFiles

    Raises
    ------
    BenchmarkError
        When ``matcher generate`` fails or a reused org's record cannot be read.
    """
    directory = org_directory(work_dir, employees, seed)
    generator = source_fingerprint(GENERATOR_MODULES)
    record = None if fresh else _reusable(directory / META, generator, log)
    if record is not None:
        log(f"reusing the org in {directory}")
        return _org_files(directory, record, root=root, reused=True)
    if directory.exists():
        shutil.rmtree(directory)  # stale, incomplete or --fresh
    argv = [
        *matcher_command(),
        "generate",
        "--employees",
        str(employees),
        "--seed",
        str(seed),
        "--out",
        str(directory),
        "--parquet",
        "--quiet",
        "--json",
    ]
    log(f"generating {employees:,} employees (seed {seed})")
    logs = work_dir / "logs" / f"generate-{employees}-seed{seed}"
    measured = run_measured(argv, cwd=root, log_dir=logs)
    summary = json.loads((logs / "stdout.txt").read_text(encoding="utf-8"))
    record = GenerateRecord(
        command=display_command(argv, root),
        seconds=measured.seconds,
        peak_rss_bytes=measured.peak_rss_bytes,
        measured_on=dt.date.today().isoformat(),
        employees=int(summary["employees"]),
        seed=seed,
        interaction_rows=int(summary["interactions"]),
        planted={str(k): int(v) for k, v in summary["planted"].items()},
        generator=generator,
    )
    (directory / META).write_text(record.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return _org_files(directory, record, root=root, reused=False)


def _reusable(meta: Path, generator: str, log: Log) -> GenerateRecord | None:
    """The record of a complete org made by the current generator, else ``None``."""
    if not meta.is_file():
        return None
    try:
        record = GenerateRecord.model_validate_json(meta.read_text(encoding="utf-8"))
    except ValidationError:
        log(f"{meta} is unreadable or from an older harness: regenerating")
        return None
    if record.generator != generator:
        log(f"matcher/synthetic/ changed since {meta.parent.name} was generated: regenerating")
        return None
    return record


def _org_files(directory: Path, record: GenerateRecord, *, root: Path, reused: bool) -> OrgFiles:
    info = OrgInfo(
        directory=shown_path(directory, root),
        employees=record.employees,
        seed=record.seed,
        interaction_rows=record.interaction_rows,
        interactions_bytes=(directory / "interactions.csv").stat().st_size,
        planted=record.planted,
    )
    generate = Setup(
        what=f"generate {info.employees:,} employees, {info.interaction_rows:,} interaction rows",
        command=record.command,
        seconds=record.seconds,
        peak_rss_bytes=record.peak_rss_bytes,
        reused=reused,
        measured_on=record.measured_on,
    )
    return OrgFiles(directory, info, generate)


# ------------------------------------------------------------------------------- graphs


def prepare_graph(employees: Path, interactions: Path) -> tuple[GraphInputs, dict[str, float]]:
    """Load an org and build its collaboration graph once, as ``matcher analyze`` does.

    Parameters
    ----------
    employees, interactions : Path
        The org's input files.

    Returns
    -------
    (GraphInputs, dict)
        The edge lists of the strength, reciprocated-strength and strong-tie matrices, with
        the default betweenness samples and seed; and the counts that ``summary.json`` also
        reports (``strong_ties``, ``reciprocated_ties``, ``strong_tie_threshold``), to check
        that the baselines read the same graph as the analysis.
    """
    # lazily: matcher's loader brings pyarrow and the graph scipy; every worker imports this
    # module (through the stages), and only the graph worker needs them
    from matcher.analysis.graph import build_graph
    from matcher.config import AnalysisConfig
    from matcher.io.load import load_org

    config = AnalysisConfig()
    org, _ = load_org(employees, interactions)
    as_of = org.as_of or dt.datetime.now(tz=dt.UTC)
    tenure = np.array(
        [
            np.nan if e.hire_date is None else float((as_of.date() - e.hire_date).days)
            for e in org.employees
        ]
    )
    graph = build_graph(org.interactions, len(org), as_of, config, tenure_days=tenure)
    community = graph.strength.multiply(graph.reciprocated).tocsr()
    inputs = GraphInputs(
        n=len(org),
        strength=EdgeList.upper(graph.strength),
        community=EdgeList.upper(community),
        strong=EdgeList.upper(graph.strong),
        samples=config.betweenness_samples,
        seed=config.seed,
    )
    counts = {
        "strong_ties": float(sp.triu(graph.strong, k=1).nnz),
        "reciprocated_ties": float(sp.triu(graph.reciprocated, k=1).nnz),
        "strong_tie_threshold": graph.threshold,
    }
    return inputs, counts


def ensure_graph(org: OrgFiles, *, root: Path, log: Log) -> tuple[Path, Setup]:
    """The org's prepared graph file, built by ``python -m benchmarks graph`` unless present."""
    path = org.directory / GRAPH
    argv = [
        *python_command(),
        "-m",
        "benchmarks",
        "graph",
        "--employees",
        str(org.employees),
        "--interactions",
        str(org.interactions),
        "--out",
        str(path),
    ]
    command = display_command(argv, root)
    what = (
        "load the org and build the aggregated edge lists once (matcher.analysis.graph.build_graph)"
    )
    summary = org.directory / GRAPH_SUMMARY
    current = source_fingerprint(GRAPH_MODULES)
    if path.is_file() and summary.is_file() and graph_counts(path).get("code") == current:
        log(f"reusing the prepared graph {path}")
        return path, Setup(
            what=what, command=command, seconds=None, peak_rss_bytes=None, reused=True
        )
    log("building the aggregated edge lists for the baselines")
    measured = run_measured(argv, cwd=root, log_dir=org.directory.parent / "logs" / "graph")
    return path, Setup(
        what=what,
        command=command,
        seconds=measured.seconds,
        peak_rss_bytes=measured.peak_rss_bytes,
        reused=False,
        measured_on=dt.date.today().isoformat(),
    )


def write_graph(employees: Path, interactions: Path, out: Path) -> None:
    """Prepare the graph of an org and write it with its summary counts beside it."""
    inputs, counts = prepare_graph(employees, interactions)
    inputs.save(out)
    record: dict[str, float | str] = {**counts, "code": source_fingerprint(GRAPH_MODULES)}
    out.with_name(GRAPH_SUMMARY).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def graph_counts(graph_file: Path) -> dict[str, float | str]:
    """The counts written beside a prepared graph, and the fingerprint (``code``) of the
    matcher modules that built it."""
    data = json.loads(graph_file.with_name(GRAPH_SUMMARY).read_text(encoding="utf-8"))
    return {str(k): v if isinstance(v, str) else float(v) for k, v in data.items()}
