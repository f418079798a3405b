"""``matcher assign``: a program file in; proposals in the history and their outputs out."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.analysis.isolation import analyze as run_analysis
from matcher.assignment.edits import PairEdits, apply_edits
from matcher.assignment.programs import ProgramFile, ProgramSpec, selects_connectors
from matcher.assignment.run import ProgramResult, assign_programs
from matcher.assignment.solve import SolveOptions
from matcher.collector import collection_paused
from matcher.errors import OutputError, UsageProblem
from matcher.history import History, StoredPair
from matcher.io.load import load_org
from matcher.io.programs import check_saved_analysis, employees_file, load_program_file
from matcher.io.public import public_summary
from matcher.io.reports import OUTPUT_FILES, read_analysis_view, write_assignments
from matcher.io.write import published_folder
from matcher.model import Org
from matcher.privacy import WITH_NAMES_WARNING, Pseudonymizer
from matcher.workflows.analyze import hear_survey
from matcher.workflows.common import (
    Reporter,
    Silent,
    check_out_dir,
    counted_step,
    warn_future,
)


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
    by: str | None = None
    """Who asked for the run (recorded in the history)."""
    excel: bool = False
    """Start the CSV outputs with a UTF-8 byte order mark (Excel on Windows reads them)."""
    edits: PairEdits = field(default_factory=PairEdits)
    """Pairs to lock (``must``), forbid (``never``) or drop (the seeker left out); they need
    one program (``programs`` or ``from_run`` names it, or the file has only one)."""
    from_run: str | None = None
    """Re-solve this proposal's program with its edits and ``edits`` (recorded as the run the
    new proposal derives from)."""


@collection_paused()
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
    specs, derivation = _derived(specs, request)
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
        with counted_step(reporter, f"solving {len(specs)} program(s)", len(specs)) as advance:
            results = assign_programs(
                org,
                analysis,
                specs,
                history=[(p.kind, p.seeker_id, p.provider_id, p.period, p.met) for p in committed],
                prior=lambda spec: _prior(spec, committed, request.incremental),
                options=options,
                threads=request.threads or os.cpu_count() or 1,
                on_program_done=advance,
                keep_all_pairs=request.explain,  # candidates.csv lists every eligible pair
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
            inputs={**inputs, "request": _replayable(request)},
            explain=request.explain,
            with_names=request.with_names,
            pseudonymizer=request.pseudonymizer,
            builds_on=builds_on,
            actor=request.by,
            derivation=derivation,
            excel=request.excel,
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


def _derived(
    specs: list[ProgramSpec], request: AssignRequest
) -> tuple[list[ProgramSpec], dict[str, Any] | None]:
    """The programs with HR's edits applied, and what to record about them (``None``: no
    edits and no run derived from)."""
    if request.from_run is None and not request.edits:
        return specs, None
    edits = request.edits
    if request.from_run is not None:
        with History(request.db, create=False) as history:
            base = history.get(request.from_run)
            edits = edits_of(history, base.run_id).then(request.edits)
        chosen = [spec for spec in specs if spec.name == base.program]
        if not chosen:
            raise UsageProblem(
                f"--from-run {base.run_id!r} is a run of {base.program!r}, which is not among "
                f"the programs chosen from {request.program_file} "
                f"({', '.join(s.name for s in specs) or 'none'})"
            )
        if chosen[0].period != base.period:
            raise UsageProblem(
                f"--from-run {base.run_id!r} is of period {base.period}, but {request.program_file} "
                f"now gives {base.program!r} period {chosen[0].period}"
            )
        specs = chosen
    elif len(specs) != 1:
        raise UsageProblem(
            "--lock, --forbid and --drop edit one program: choose it with --program NAME "
            f"(programs: {', '.join(s.name for s in specs)})"
        )
    detail = {"derived_from": request.from_run, "edits": edits.as_dict()}
    if request.edits:
        detail["added"] = request.edits.as_dict()
    return [apply_edits(specs[0], edits)], detail


def edits_of(history: History, run_id: str) -> PairEdits:
    """The edits a run was solved with (none for a run from the program file alone)."""
    for action in history.actions(run_id):
        if action.action in {"proposed", "derived"} and "edits" in action.detail:
            return PairEdits.from_dict(action.detail["edits"])
    return PairEdits()


def _replayable(request: AssignRequest) -> dict[str, Any]:
    """What a re-solve from the review page needs to run this request again (absolute paths)."""

    def where(path: Path | None) -> str | None:
        return None if path is None else str(path.resolve())

    return {
        "program_file": where(request.program_file),
        "out_dir": where(request.out_dir),
        "employees": where(request.employees),
        "interactions": where(request.interactions),
        "survey": where(request.survey),
        "analysis": where(request.analysis),
        "seed": request.seed,
        "time_limit": request.time_limit,
        "explain": request.explain,
        "with_names": request.with_names,
    }


def _org_and_analysis(
    parsed: ProgramFile, request: AssignRequest, reporter: Reporter
) -> tuple[Org, Analysis | AnalysisView, dict[str, str]]:
    """The org, and its analysis: made now, or read from ``request.analysis``."""
    interactions = request.interactions or parsed.data.interactions
    with reporter.step("loading data"):
        org, _ = load_org(
            employees_file(parsed, request.program_file, request.employees),
            None if request.analysis else interactions,
            as_of=parsed.data.as_of,
        )
    warn_future(reporter, org.report.future_dated, interactions or "", None)
    if request.analysis is None:
        survey = request.survey or (Path(parsed.data.survey) if parsed.data.survey else None)
        heard = hear_survey(org, survey, reporter)
        with reporter.step(f"analysing {len(org):,} people"):
            config = parsed.analysis.model_copy(update={"seed": request.seed})
            analysis = run_analysis(
                org, config, heard and heard[0], connectors=selects_connectors(parsed.program)
            )
            return org, analysis, dict(org.sources)
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
    inputs: dict[str, Any],
    explain: bool = False,
    with_names: bool = False,
    pseudonymizer: Pseudonymizer | None = None,
    builds_on: dict[str, list[str]] | None = None,
    actor: str | None = None,
    derivation: dict[str, Any] | None = None,
    excel: bool = False,
) -> dict[str, Any]:
    """Record each program's run as a proposal, then make its outputs visible in ``out_dir``.

    The outputs are staged inside the database transaction, and ``out_dir`` switches to them
    (:func:`matcher.io.write.published_folder`) only after the transaction commits, so the
    outputs in ``out_dir`` always name runs the history has: if staging fails, no run is
    recorded and ``out_dir`` keeps its outputs; a run killed in between leaves the runs
    recorded and the old outputs in place. Returns ``summary`` with a ``programs`` block per
    program (its run id and figures). ``builds_on`` (for ``--incremental``: by program, the
    committed runs whose pairs the solve saw) is recorded with each run (see
    :meth:`matcher.history.History.commit`). Each run keeps its pairs' reasons, its unmatched
    seekers' reasons and its summary (what the review page shows), and who proposed it
    (``actor``); ``derivation`` (``derived_from``, ``lock``, ``forbid``, ``drop``) records a
    re-solve that started from an earlier proposal.

    Raises
    ------
    OutputError
        When the runs were recorded but their outputs could not be published.
    """
    summary = {**summary, "programs": {}}
    recorded: list[str] = []
    written_names: list[str] = []
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
                        why=[a.why for a in result.assignments],
                        unmatched=[(u.seeker_id, u.reason) for u in result.unmatched],
                        summary=result.summary,
                        derived_from=(derivation or {}).get("derived_from"),
                        actor=actor,
                        detail=derivation,
                    )
                    summary["programs"][result.spec.name] = {"run_id": run_id, **result.summary}
                written_names = write_assignments(
                    results,
                    staged,
                    summary,
                    explain=explain,
                    with_names=with_names,
                    pseudonymizer=pseudonymizer,
                    excel=excel,
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
    # a folder shared with the user's files is written file by file: a candidates.csv of an
    # earlier --explain run, or the groups of an earlier circle run, would otherwise stay
    # beside this run's outputs
    written = set(written_names)
    for name in ("candidates.csv", "groups.csv", "group-reasons.csv"):
        stale = Path(out_dir) / name
        if name not in written and stale.is_file() and not Path(out_dir).is_symlink():
            stale.unlink()
    return summary
