"""``matcher assign``: a program file in; proposals in the history and their outputs out."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.analysis.isolation import analyze as run_analysis
from matcher.assignment.programs import ProgramFile, ProgramSpec
from matcher.assignment.run import ProgramResult, assign_programs
from matcher.assignment.solve import SolveOptions
from matcher.errors import OutputError, UsageProblem
from matcher.history import History, StoredPair
from matcher.io.load import load_org
from matcher.io.programs import check_saved_analysis, load_program_file
from matcher.io.public import public_summary
from matcher.io.reports import OUTPUT_FILES, read_analysis_view, write_assignments
from matcher.io.write import published_folder
from matcher.model import Org
from matcher.privacy import WITH_NAMES_WARNING, Pseudonymizer
from matcher.workflows.analyze import hear_survey
from matcher.workflows.common import Reporter, Silent, check_out_dir, warn_future


@dataclass(frozen=True)
class AssignRequest:
    """What ``matcher assign`` was asked: the program file, its data and how to solve.

    ``employees``, ``interactions`` and ``survey`` override the program file's ``[data]``; ``analysis``
    is a folder ``matcher analyze`` wrote, used instead of analysing again (interactions are
    then not read). ``reader`` is a pseudonymizer that only reads a pseudonymised analysis
    (its key), ``pseudonymizer`` one that also pseudonymises the outputs.
    """

    program_file: Path
    out_dir: Path
    db: Path = Path("matcher.db")
    programs: tuple[str, ...] = ()
    employees: Path | None = None
    interactions: Path | None = None
    survey: Path | None = None
    analysis: Path | None = None
    seed: int = 0
    time_limit: float = 60.0
    explain: bool = False
    incremental: bool = False
    with_names: bool = False
    pseudonymizer: Pseudonymizer | None = None
    reader: Pseudonymizer | None = None
    threads: int = 0
    """Programs solved at once; 0: one per core."""


def assign_files(request: AssignRequest, reporter: Reporter | None = None) -> dict[str, Any]:
    """Solve the program file's programs, record each as a proposal in the history database
    and write the outputs (``assignments.csv``, ``pairs.csv``, ``unmatched.csv``, …).

    Parameters
    ----------
    request
        The program file, its data, the output folder, the database and the solve options.
    reporter
        Progress and warnings (default: silent).

    Returns
    -------
    dict
        The public summary (``summary.json``): one block per program with its run id,
        status, coverage, objective, bound and gap.

    Raises
    ------
    UsageProblem
        A program name the file does not have, or ``analysis`` with ``interactions``.
    DataError, ConfigError, CertificateError, OutputError
        Bad data or configuration, an answer that failed its checks (nothing is written),
        or outputs that could not be written.
    """
    reporter = reporter or Silent()
    started = time.perf_counter()
    parsed = load_program_file(request.program_file)
    specs = _chosen_programs(parsed, request)
    notes = [WITH_NAMES_WARNING] if request.with_names and request.pseudonymizer else []
    for note in notes:  # said even with --quiet: it is about the privacy of the outputs
        reporter.warn(note)
    if request.analysis is not None and request.interactions is not None:
        raise UsageProblem("--analysis replaces --interactions: give one of them")
    if request.analysis is not None and request.survey is not None:
        raise UsageProblem(
            "--analysis replaces --survey: give the survey to matcher analyze, or leave out --analysis"
        )
    check_out_dir(request.out_dir, OUTPUT_FILES, reporter)
    org, analysis, inputs = _org_and_analysis(parsed, request, reporter)
    options = SolveOptions(time_limit=request.time_limit, seed=request.seed)
    with History(request.db) as history:
        committed, committed_runs = history.snapshot()
        builds_on = (
            {spec.name: committed_runs.get((spec.name, spec.period), []) for spec in specs}
            if request.incremental
            else None
        )
        with reporter.step(f"solving {len(specs)} program(s)"):
            results = assign_programs(
                org,
                analysis,
                specs,
                history=[(p.kind, p.seeker_id, p.provider_id, p.period) for p in committed],
                prior=lambda spec: _prior(spec, committed, request.incremental),
                options=options,
                threads=request.threads or os.cpu_count() or 1,
            )
        summary = store_and_write(
            history,
            results,
            request.out_dir,
            {
                "seed": request.seed,
                "inputs": inputs,
                "program_file": str(request.program_file),
                "db": str(request.db),
                "incremental": request.incremental,
                "seconds": round(time.perf_counter() - started, 2),
                "notes": notes,
            },
            seed=request.seed,
            inputs=inputs,
            explain=request.explain,
            with_names=request.with_names,
            pseudonymizer=request.pseudonymizer,
            builds_on=builds_on,
        )
    return public_summary(summary, results, request.pseudonymizer)


def _chosen_programs(parsed: ProgramFile, request: AssignRequest) -> list[ProgramSpec]:
    known = {p.name for p in parsed.program}
    unknown = sorted(set(request.programs) - known)
    if unknown:
        valid = ", ".join(p.name for p in parsed.program)
        raise UsageProblem(
            f"no program named {', '.join(unknown)} in {request.program_file} (programs: {valid})"
        )
    return [p for p in parsed.program if not request.programs or p.name in request.programs]


def _org_and_analysis(
    parsed: ProgramFile, request: AssignRequest, reporter: Reporter
) -> tuple[Org, Analysis | AnalysisView, dict[str, str]]:
    """The org, and its analysis: made now, or read from ``request.analysis``."""
    interactions = request.interactions or parsed.data.interactions
    with reporter.step("loading data"):
        org, _ = load_org(
            request.employees or parsed.data.employees,
            None if request.analysis else interactions,
            as_of=parsed.data.as_of,
        )
    warn_future(reporter, org.report.future_dated, interactions or "", None)
    if request.analysis is None:
        survey = request.survey or (Path(parsed.data.survey) if parsed.data.survey else None)
        heard = hear_survey(org, survey, reporter)
        with reporter.step(f"analysing {len(org):,} people"):
            config = parsed.analysis.model_copy(update={"seed": request.seed})
            return org, run_analysis(org, config, heard and heard[0]), dict(org.sources)
    with reporter.step(f"reading the analysis in {request.analysis}"):
        view = read_analysis_view(request.analysis, org, request.pseudonymizer or request.reader)
    check_saved_analysis(view, request.analysis, parsed, request.program_file)
    return org, view, {**view.sources, "analysis": str(request.analysis)}


def _prior(
    spec: ProgramSpec, committed: list[StoredPair], incremental: bool
) -> list[tuple[str, str]]:
    """The pairs committed earlier in this program's period, which ``--incremental`` keeps."""
    if not incremental:
        return []
    return [
        (p.seeker_id, p.provider_id)
        for p in committed
        if p.program == spec.name and p.period == spec.period
    ]


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
                        rounds=result.pair_rounds,
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
