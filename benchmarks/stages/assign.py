"""The ``assign`` stage: ``matcher assign`` end to end, against the bare flow and baselines.

Workloads (:mod:`benchmarks.assign_instances`): four program files on the org, with the
mentoring contract's rules and exact sizes, ``(a)`` the flow structure, ``(b)`` with a per-team
cap, ``(c)`` with the cap and minimum loads, ``(d)`` a square 1:1 instance.

Figures:

* ``assign.<variant>.cli``: ``matcher assign`` as a user runs it (load, analyze, compile, solve,
  write), in a child process, every run on a fresh history database;
* ``assign.<variant>.inprocess``: a child process running the same library calls as the CLI
  (load and analysis once, then compile, solve and explain ``repeat`` times), timed step by
  step and profiled (:class:`benchmarks.assign_work.Profiler`); one child per instance at M
  and L, one for all four below. They write the eligible arcs of ``(a)`` and ``(d)`` for the
  baselines. ``assign.<variant>.solve`` are their solve times;
* baselines, each in its own child process on those arcs: the bare OR-Tools min-cost flow on
  all arcs of ``(a)`` (the floor for this structure; skipped when its memory estimate is too
  high), greedy by score and random pairing on ``(a)`` and ``(d)``,
  ``scipy.optimize.linear_sum_assignment`` on ``(d)``, networkx ``max_weight_matching`` and the
  PyPI package mentor-match on growing sub-instances up to the time budget (extrapolated
  beyond it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.assign_instances import (
    FLOW,
    LABELS,
    MIN_LOAD,
    ONE_TO_ONE,
    TEAM_CAP,
    Instance,
    Person,
    choose_seekers,
    mentor_ids,
    program_toml,
    read_people,
    shape_for,
    write_if_changed,
    write_instances,
)
from benchmarks.measure import (
    display_command,
    matcher_command,
    python_command,
    run_measured,
    shown_path,
)
from benchmarks.orgs import source_fingerprint
from benchmarks.results import Figure, Outcome, Setup, StepTimes, Target
from benchmarks.stages.base import Job, StageContext, StageResult, make_job, run_round_robin
from benchmarks.stages.targets import NOT_HERE, at_most, ratio_at_most

STAGE = "assign"
L_EMPLOYEES, M_EMPLOYEES = 100_000, 20_000
GIB = 2**30
GAP_TOLERANCE = 1e-9
METHODS = {
    "bare-flow": "bare min-cost flow (OR-Tools SimpleMinCostFlow, all eligible arcs)",
    "greedy": "greedy by score",
    "random": "random pairing (coffee bot)",
    "lsa": "scipy linear_sum_assignment (dense)",
    "networkx": "networkx max_weight_matching",
    "mentor-match": "mentor-match (PyPI) with munkres",
}
FIGURE_NAMES = {
    "bare-flow": "bare",
    "greedy": "greedy",
    "random": "random",
    "lsa": "lsa",
    "networkx": "networkx",
    "mentor-match": "mentor_match",
}
SEPARATE_INPROCESS_FROM = M_EMPLOYEES
"""From this head count on, each instance's in-process run has a child of its own (its peak
memory is then its own, and one killed for memory does not take the others along); below it,
one child runs all four (the smoke test at XS stays quick)."""
BASELINE_RUNS = {"bare-flow": 1, "networkx": 1, "mentor-match": 1}
"""Runs of slow or memory-hungry baselines; the others run :func:`runs` times from M on, and
once below M."""
MAX_RUNS = 3
"""Runs of each workload at most: a CLI run at S is mostly Python start-up, and three keep
``run --size S`` (analyze and assign) under three minutes."""
SMALL_LADDER_BUDGET = 20.0
"""Seconds per networkx or mentor-match ladder below M (``--networkx-budget`` from M on): keeps
``run --size S`` under three minutes; the figures that matter are M's and L's."""
MENTOR_MATCH_BUDGET_SHARE = 0.5
"""mentor-match's share of ``--networkx-budget`` per instance (networkx gets all of it, as the
issue asks): a secondary baseline, twice per run."""


def runs(ctx: StageContext) -> int:
    """Runs of each repeated workload: the size's ``repeat``, at most :data:`MAX_RUNS`."""
    return min(ctx.size.repeat, MAX_RUNS)


@dataclass(frozen=True)
class Plan:
    """Where the stage works and with which limits."""

    work: Path
    instances: dict[str, Instance]
    time_limit: float
    arcs_dir: Path
    results_dir: Path

    def arcs(self, variant: str) -> Path:
        return self.arcs_dir / f"{variant}.npz"


def _time_limit(employees: int) -> float:
    """``--time-limit`` of the runs: the side-constraint targets allow 120 s at L (20k × 5k)
    and 30 s at M (2k × 500); the solver gets most of it."""
    return 90.0 if employees >= L_EMPLOYEES else 20.0


def run(ctx: StageContext) -> StageResult:
    """Measure the assign stage on the context's org (see the module docstring)."""
    result = StageResult()
    employees = ctx.org.info.employees
    work = ctx.runs_dir / STAGE
    shape = shape_for(employees)
    people = read_people(ctx.org.employees)
    seekers = choose_seekers(people, shape.seekers, ctx.org.info.seed)
    allowed, setup, screened = _screen(ctx, work / "programs", people, seekers)
    result.setup.append(setup)
    instances = write_instances(
        people,
        shape,
        ctx.org.info.seed,
        work / "programs",
        employees=ctx.org.employees.resolve(),
        interactions=ctx.org.interactions.resolve(),
        seekers=seekers,
        allowed_providers=allowed,
    )
    result.notes.append(screened)
    plan = Plan(
        work=work,
        instances={i.variant: i for i in instances},
        time_limit=_time_limit(employees),
        arcs_dir=work / "arcs",
        results_dir=work / "records",
    )
    for folder in (work / "db", work / "out", plan.results_dir, plan.arcs_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    ctx.log("assign: matcher in process, one child per instance (writes the arcs)")
    groups = (
        [[v] for v in plan.instances]
        if employees >= SEPARATE_INPROCESS_FROM
        else [list(plan.instances)]
    )
    group_jobs = [_inprocess_job(ctx, plan, group) for group in groups]
    run_round_robin(group_jobs, root=ctx.root, log=ctx.log)
    inprocess = {v: job for group, job in zip(groups, group_jobs, strict=True) for v in group}
    record: dict[str, Any] = {"variants": {}}
    for group in groups:
        found = _read(plan.results_dir / f"inprocess-{'-'.join(group)}.json")
        for variant in group if found else []:
            data = found["variants"][variant]
            for key in ("load", "analyze", "population", "peak_rss_bytes"):
                data[key] = found[key]
            record["variants"][variant] = data

    analysis, setup = _saved_analysis(ctx, plan)
    result.setup.append(setup)
    cli_jobs = {v: _cli_job(ctx, plan, v) for v in plan.instances}
    saved_job = _cli_job(ctx, plan, FLOW, analysis=analysis)
    baseline_jobs = _baseline_jobs(ctx, plan, result)
    jobs = [*cli_jobs.values(), saved_job] + [job for _, _, job in baseline_jobs]
    ctx.log(f"assign: {len(jobs)} workloads, up to {runs(ctx)} runs each")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)

    summaries = {v: _cli_summaries(job) for v, job in cli_jobs.items()}
    result.notes.append(_saved_note(summaries.get(FLOW, []), _cli_summaries(saved_job)))
    records = {
        (variant, method): _read(plan.results_dir / f"{variant}-{method}-0.json")
        for variant, method, _ in baseline_jobs
    }
    for (variant, method), found in records.items():
        job = next(j for v, m, j in baseline_jobs if (v, m) == (variant, method))
        _finish_baseline_figure(job, found, method)
    solve_figures = _solve_figures(inprocess, record, plan, baseline_jobs)
    result.figures = (
        [job.figure for job in cli_jobs.values()]
        + [saved_job.figure]
        + [job.figure for job in group_jobs]
        + solve_figures
        + [job.figure for _, _, job in baseline_jobs]
    )
    result.outcomes = _outcomes(plan, record, summaries, records, cli_jobs, baseline_jobs)
    result.outcomes += _mentor_match_notes(plan)
    result.steps = _steps(plan, record)
    result.notes += _notes(ctx, plan, record, summaries, records)
    failures = {v: job.failure for v, job in cli_jobs.items() if job.failure and not summaries[v]}
    result.targets = targets(ctx, result.figures, plan, summaries, result.outcomes, failures)
    return result


# ------------------------------------------------------------------------------- jobs

SCREEN_MODULES = ("matcher.assignment.compile", "matcher.analysis.isolation", "matcher.io.load")


def _screen(
    ctx: StageContext, folder: Path, people: list[Person], seekers: list[str]
) -> tuple[set[str], Setup, str]:
    """The mentors with at least one eligible seeker among ``seekers`` (reused when the
    inputs and matcher's rules code are unchanged), how that was found, and a note."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "screen.toml"
    text = program_toml(
        FLOW,
        seekers,
        mentor_ids(people),
        employees=ctx.org.employees.resolve(),
        interactions=ctx.org.interactions.resolve(),
    )
    write_if_changed(program, text)
    digest = hashlib.sha256(text.encode("utf-8"))
    digest.update(ctx.org.employees.read_bytes())
    digest.update(source_fingerprint(SCREEN_MODULES).encode("ascii"))
    key = digest.hexdigest()[:16]
    out = folder / "screen.json"
    argv = [
        *python_command(),
        "-m",
        "benchmarks",
        "assign-screen",
        str(program),
        "--seed",
        str(ctx.org.info.seed),
        "--key",
        key,
        "--out",
        str(out),
    ]
    what = "screen the mentors: compile the seekers × all mentors once (assign)"
    command = display_command(argv, ctx.root)
    found = _read(out)
    if found.get("key") == key and not ctx.fresh:
        ctx.log(f"reusing the mentor screen {out}")
        setup = Setup(what=what, command=command, seconds=None, peak_rss_bytes=None, reused=True)
    else:
        ctx.log("assign: screening the mentors (one compile of the seekers × all mentors)")
        measured = run_measured(argv, cwd=ctx.root, log_dir=folder.parent / "logs" / "screen")
        found = _read(out)
        setup = Setup(
            what=what,
            command=command,
            seconds=measured.seconds,
            peak_rss_bytes=measured.peak_rss_bytes,
            reused=False,
            measured_on=dt.date.today().isoformat(),
        )
    counts: dict[str, int] = found["eligible_seekers"]
    allowed = {mentor for mentor, count in counts.items() if count >= 1}
    left_out = len(counts) - len(allowed)
    note = (
        f"of {len(counts):,} mentors, {left_out:,} have no eligible seeker among the "
        f"{len(seekers):,} seekers of (a)–(c) (e.g. "
        f"{', '.join(sorted(m for m, c in counts.items() if c == 0)[:3]) or 'none'}) and are "
        f"not sampled as providers there: with capacity.min = 1 each would make (c) infeasible "
        f"(matcher says so in its conflicts); {found['seekers_without_provider']:,} seekers "
        "have no eligible mentor at all"
    )
    return allowed, setup, note


def _inprocess_job(ctx: StageContext, plan: Plan, group: list[str]) -> Job:
    """One child running the library calls of ``group``'s instances, one after the other."""
    name = "-".join(group)
    out = plan.results_dir / f"inprocess-{name}.json"
    argv = [
        *python_command(),
        "-m",
        "benchmarks",
        "assign-inprocess",
        *[str(plan.instances[v].path) for v in group],
        "--runs",
        str(runs(ctx)),
        "--seed",
        str(ctx.org.info.seed),
        "--time-limit",
        str(plan.time_limit),
        "--out",
        str(out),
        "--arcs-dir",
        str(plan.arcs_dir),
        "--save",
        FLOW,
        "--save",
        ONE_TO_ONE,
    ]
    what = plan.instances[group[0]].label if len(group) == 1 else "all four instances"
    return make_job(
        f"assign.{name}.inprocess",
        STAGE,
        f"matcher library in process: {what} (load + analyze once, then compile + solve + "
        f"explain {runs(ctx)}× each)",
        lambda _k: argv,
        runs=1,
        log_dir=plan.work / "logs" / f"inprocess-{name}",
        root=ctx.root,
        may_fail=True,
    )


def _saved_analysis(ctx: StageContext, plan: Plan) -> tuple[Path, Setup]:
    """``matcher analyze`` of the org, as HR runs it before assigning (``assign --analysis``)."""
    out = plan.work / "analysis"
    argv = [
        *matcher_command(),
        "analyze",
        "--employees",
        str(ctx.org.employees),
        "--interactions",
        str(ctx.org.interactions),
        "--out",
        str(out),
        "--seed",
        str(ctx.org.info.seed),
        "--quiet",
    ]
    ctx.log("assign: matcher analyze, for the runs with --analysis")
    measured = run_measured(argv, cwd=ctx.root, log_dir=plan.work / "logs" / "analysis")
    setup = Setup(
        what="matcher analyze, whose output `assign --analysis` reads (timed in the analyze stage)",
        command=display_command(argv, ctx.root),
        seconds=measured.seconds,
        peak_rss_bytes=measured.peak_rss_bytes,
        reused=False,
        measured_on=dt.date.today().isoformat(),
        stage=STAGE,
    )
    return out, setup


def _saved_note(again: list[dict[str, Any]], saved: list[dict[str, Any]]) -> str:
    """Whether ``assign --analysis`` found what analysing again found (same seed, same flags)."""

    def objectives(found: list[dict[str, Any]]) -> set[float]:
        return {round(block["objective"], 6) for block in found}

    if not again or not saved:
        return "assign --analysis: no comparison (a run failed)"
    same = objectives(again) == objectives(saved)
    return (
        f"assign --analysis on (a) gave {'the same objective as' if same else 'another objective than'} "
        f"analysing again: {sorted(objectives(saved))} vs {sorted(objectives(again))}"
    )


def _cli_argv(
    ctx: StageContext, plan: Plan, variant: str, k: int, analysis: Path | None = None
) -> list[str]:
    instance = plan.instances[variant]
    inputs = (
        ["--analysis", str(analysis)] if analysis else ["--interactions", str(ctx.org.interactions)]
    )
    tag = f"{variant}-saved" if analysis else variant
    return [
        *matcher_command(),
        "assign",
        str(instance.path),
        "--employees",
        str(ctx.org.employees),
        *inputs,
        "--out",
        str(plan.work / "out" / tag),
        "--db",
        str(plan.work / "db" / f"{tag}-{k}.db"),
        "--seed",
        str(ctx.org.info.seed),
        "--time-limit",
        str(plan.time_limit),
        "--json",
    ]


def _cli_job(ctx: StageContext, plan: Plan, variant: str, analysis: Path | None = None) -> Job:
    """``matcher assign`` of one instance; with ``analysis``, reading that saved analysis
    (``--analysis``) instead of the interactions."""
    baselines: dict[str, str] = {}
    if variant == FLOW:
        baselines = {"bare flow": "assign.flow.bare"}
    elif variant == ONE_TO_ONE:
        baselines = {"linear_sum_assignment": "assign.one_to_one.lsa"}
    how = "with the saved analysis (--analysis)" if analysis else "end to end (CLI)"
    return make_job(
        f"assign.{variant}.cli_saved" if analysis else f"assign.{variant}.cli",
        STAGE,
        f"matcher assign, {how}: {plan.instances[variant].label}",
        lambda k: _cli_argv(ctx, plan, variant, k, analysis),
        runs=runs(ctx),
        log_dir=plan.work / "logs" / (f"cli-{variant}-saved" if analysis else f"cli-{variant}"),
        root=ctx.root,
        baselines=baselines,
        may_fail=True,
    )


def _baseline_argv(
    plan: Plan, variant: str, method: str, k: int, budget: float, seed: int
) -> list[str]:
    return [
        *python_command(),
        "-m",
        "benchmarks",
        "assign-baseline",
        "--method",
        method,
        "--arcs",
        str(plan.arcs(variant)),
        "--out",
        str(plan.results_dir / f"{variant}-{method}-{k}.json"),
        "--budget",
        str(budget),
        "--seed",
        str(seed),
    ]


def _baseline_jobs(
    ctx: StageContext, plan: Plan, result: StageResult
) -> list[tuple[str, str, Job]]:
    """The baseline jobs, as (variant, method, job)."""
    wanted = [
        (FLOW, "bare-flow"),
        (FLOW, "greedy"),
        (FLOW, "random"),
        (FLOW, "mentor-match"),
        (ONE_TO_ONE, "lsa"),
        (ONE_TO_ONE, "networkx"),
        (ONE_TO_ONE, "mentor-match"),
        (ONE_TO_ONE, "greedy"),
        (ONE_TO_ONE, "random"),
    ]
    jobs: list[tuple[str, str, Job]] = []
    seed = ctx.org.info.seed
    for variant, method in wanted:
        if not plan.arcs(variant).is_file():
            result.notes.append(
                f"{METHODS[method]} on {plan.instances[variant].label} was not run: the "
                "in-process run of matcher that writes its arcs failed"
            )
            continue
        count = BASELINE_RUNS.get(method, runs(ctx))
        budget = ctx.networkx_budget
        if ctx.org.info.employees < M_EMPLOYEES:  # milliseconds of work after a start-up
            count, budget = 1, min(budget, SMALL_LADDER_BUDGET)
        if method == "mentor-match":
            budget *= MENTOR_MATCH_BUDGET_SHARE
        name = FIGURE_NAMES[method]

        def argv(
            k: int, variant: str = variant, method: str = method, budget: float = budget
        ) -> list[str]:
            return _baseline_argv(plan, variant, method, k, budget, seed)

        def timed_inside(k: int, variant: str = variant, method: str = method) -> float:
            found = _read(plan.results_dir / f"{variant}-{method}-{k}.json")
            if "seconds" in found:
                return float(found["seconds"])
            return float(found["probes"][-1]["seconds"]) if found.get("probes") else 0.0

        job = make_job(
            f"assign.{variant}.{name}",
            STAGE,
            f"{METHODS[method]}: {plan.instances[variant].label}",
            argv,
            runs=count,
            log_dir=plan.work / "logs" / f"{variant}-{method}",
            root=ctx.root,
            timed_inside=timed_inside,
            may_fail=True,
        )
        jobs.append((variant, method, job))
    return jobs


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _cli_summaries(job: Job) -> list[dict[str, Any]]:
    """The program block of ``--json`` of every completed run."""
    found = []
    for k in range(job.runs):
        path = job.log_dir / f"run-{k}" / "stdout.txt"
        if not path.is_file() or not path.stat().st_size:
            continue
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            continue
        block = next(iter(summary["programs"].values()))
        block["seconds"] = summary.get("seconds")
        found.append(block)
    return found


def _finish_baseline_figure(job: Job, found: dict[str, Any], method: str) -> None:
    """Notes on a baseline's figure; a ladder that stopped short becomes an estimate."""
    figure = job.figure
    notes = [figure.note] if figure.note else []
    if found.get("skipped"):
        figure.seconds = []
        notes.append(str(found["skipped"]))
    elif "probes" in found:
        largest = found["probes"][-1]
        if "outcome" in found:
            notes.append(
                f"ran in full after {len(found['probes']) - 1} smaller sizes (the child's time "
                "includes them and their exact references)"
            )
        else:
            figure.seconds = []
            figure.estimate_seconds = found["estimate_seconds"]
            notes.append(
                f"not run at full size, {found['stopped']}; the largest run, "
                f"{largest['seekers']:,} × {largest['providers']:,}, took "
                f"{largest['seconds']:.1f} s; full size estimated as time ∝ seekers^"
                f"{found['exponent']:.1f}"
            )
    elif found.get("note"):
        notes.append(str(found["note"]))
    if method == "bare-flow" and found.get("steps"):
        notes.append(
            "inside the worker: "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in found["steps"].items())
        )
    figure.note = "; ".join(notes)


def _solve_figures(
    inprocess: dict[str, Job],
    record: dict[str, Any],
    plan: Plan,
    baseline_jobs: list[tuple[str, str, Job]],
) -> list[Figure]:
    """In-process solve times as figures, paired with the same-run baselines."""
    present = {job.figure.id for _, _, job in baseline_jobs}
    figures = []
    for variant, data in record["variants"].items():
        runs = data["runs"]
        baselines: dict[str, str] = {}
        if variant == FLOW:
            baselines = {
                "bare flow": "assign.flow.bare",
                "greedy": "assign.flow.greedy",
                "random": "assign.flow.random",
                "mentor-match": "assign.flow.mentor_match",
            }
        elif variant == ONE_TO_ONE:
            baselines = {
                "linear_sum_assignment": "assign.one_to_one.lsa",
                "networkx": "assign.one_to_one.networkx",
                "mentor-match": "assign.one_to_one.mentor_match",
                "greedy": "assign.one_to_one.greedy",
                "random": "assign.one_to_one.random",
            }
        baselines = {k: v for k, v in baselines.items() if v in present}
        compile_median = statistics.median(r["compile"] for r in runs)
        note = (
            f"timed inside the in-process worker (matcher.assignment.solve.solve on the compiled "
            f"problem); compile took {compile_median:.3g} s for {data['arcs']:,} eligible pairs"
        )
        failed = [r for r in runs if "error" in r]
        if failed:
            note += f"; solve raised {failed[0]['error']} after {failed[0]['solve']:.3g} s"
        figures.append(
            Figure(
                id=f"assign.{variant}.solve",
                stage=STAGE,
                label=f"matcher solve only, in process: {plan.instances[variant].label}",
                command=inprocess[variant].figure.command,
                seconds=[round(r["solve"], 4) for r in runs if "error" not in r],
                baselines=baselines,
                note=note,
            )
        )
    return figures


# ------------------------------------------------------------------------------ outcomes


def _status(block: dict[str, Any]) -> str:
    return (
        f"{block['status']} ({block['method']}), gap {block['gap']:.4%}, bound over "
        f"{block['bound_scope']}"
    )


def _outcomes(
    plan: Plan,
    record: dict[str, Any],
    summaries: dict[str, list[dict[str, Any]]],
    records: dict[tuple[str, str], dict[str, Any]],
    cli_jobs: dict[str, Job],
    baseline_jobs: list[tuple[str, str, Job]],
) -> list[Outcome]:
    rows: list[Outcome] = []
    for variant, instance in plan.instances.items():
        data = record["variants"].get(variant, {})
        found = summaries.get(variant) or []
        bound = float(found[0]["bound"]) if found else None
        if found:
            block = found[0]
            rows.append(
                Outcome(
                    stage=STAGE,
                    instance=variant,
                    instance_label=instance.label,
                    method="matcher assign (CLI)",
                    figure=cli_jobs[variant].figure.id,
                    seekers=int(block["seekers"]),
                    eligible_pairs=int(block["eligible_pairs"]),
                    pairs=int(block["pairs"]),
                    seekers_covered=int(block["matched"]),
                    flagged=int(block["flagged_seekers"]),
                    flagged_covered=int(block["flagged_matched"]),
                    flagged_coverable=data.get("flagged_coverable"),
                    flagged_missed_vs_matcher=0,
                    objective=float(block["objective"]),
                    bound=bound,
                    status=_status(block),
                    note=_run_spread(found),
                )
            )
        else:
            rows.append(
                Outcome(
                    stage=STAGE,
                    instance=variant,
                    instance_label=instance.label,
                    method="matcher assign (CLI)",
                    figure=cli_jobs[variant].figure.id,
                    ran=False,
                    seekers=instance.seekers,
                    eligible_pairs=data.get("arcs"),
                    note=cli_jobs[variant].failure or "no run completed",
                )
            )
        for (v, method), found_record in records.items():
            if v != variant:
                continue
            job = next(j for vv, m, j in baseline_jobs if (vv, m) == (v, method))
            rows.append(_baseline_outcome(plan, v, method, found_record, job, bound, data))
    return rows


def _run_spread(found: list[dict[str, Any]]) -> str:
    """A note when the runs did not all give the same answer (a CP-SAT time limit can)."""
    objectives = {round(float(b["objective"]), 6) for b in found}
    gaps = [float(b["gap"]) for b in found]
    if len(objectives) <= 1:
        return f"all {len(found)} runs gave the same objective" if len(found) > 1 else ""
    return (
        f"the {len(found)} runs differ: objective {min(objectives):,.3f}–{max(objectives):,.3f}, "
        f"gap up to {max(gaps):.4%}"
    )


def _baseline_outcome(
    plan: Plan,
    variant: str,
    method: str,
    found: dict[str, Any],
    job: Job,
    bound: float | None,
    data: dict[str, Any],
) -> Outcome:
    outcome = found.get("outcome")
    base = {
        "stage": STAGE,
        "instance": variant,
        "instance_label": plan.instances[variant].label,
        "method": METHODS[method],
        "figure": job.figure.id,
        "seekers": int(data["seekers"]),
        "eligible_pairs": int(data["arcs"]),
        "bound": bound,
    }
    if outcome is None:
        return Outcome(**base, ran=False, note=job.figure.note or job.failure or "not run")
    notes = []
    if outcome.get("limit_violations"):
        notes.append(f"{outcome['limit_violations']} capacity or per-seeker limits exceeded")
    if method == "random":
        notes.append(str(found.get("note", "")))
    if method in ("networkx", "mentor-match"):
        delta = float(found["probes"][-1]["objective_minus_optimum"])
        if abs(delta) < 1e-9:
            notes.append("the optimum's objective")
        elif found["probes"][-1]["same_as_optimum"]:
            notes.append(f"an optimum of its rounded scores ({delta:+.2g} from the exact one)")
        else:
            notes.append(f"not optimal: objective {delta:+,.3f} from the optimum")
    if method == "mentor-match" and variant != ONE_TO_ONE:
        notes.append(
            "capacities emulated as successive 1:1 rounds (the package's model): a heuristic"
        )
    return Outcome(
        **base,
        pairs=int(outcome["pairs"]),
        seekers_covered=int(outcome["seekers_covered"]),
        flagged=int(outcome["flagged"]),
        flagged_covered=int(outcome["flagged_covered"]),
        flagged_missed_vs_matcher=int(outcome["flagged_missed_vs_matcher"]),
        objective=float(outcome["objective"]),
        status="exact" if method in ("bare-flow", "lsa", "networkx") else "heuristic",
        note="; ".join(n for n in notes if n),
    )


def _mentor_match_notes(plan: Plan) -> list[Outcome]:
    """Why mentor-match cannot take the side-constrained instances: said, never silent."""
    flow = plan.instances[FLOW]
    reason = (
        "not run: mentor-match has no per-team caps and no minimum loads (its rules only score "
        "or disqualify one pair at a time, and each round is a plain 1:1 assignment), so these "
        "constraints cannot be stated"
    )
    rows = [
        Outcome(
            stage=STAGE,
            instance=variant,
            instance_label=plan.instances[variant].label,
            method=METHODS["mentor-match"],
            ran=False,
            seekers=flow.seekers,
            note=reason,
        )
        for variant in (TEAM_CAP, MIN_LOAD)
    ]
    return rows


# ------------------------------------------------------------------------------ steps


def _steps(plan: Plan, record: dict[str, Any]) -> list[StepTimes]:
    """Median seconds per library call of each instance, and where compile and solve go."""
    from benchmarks.assign_work import median_profile

    steps = []
    for variant, data in record["variants"].items():
        runs = data["runs"]
        figure = f"assign.{variant}.solve"
        calls = {
            "load (once)": round(data["load"], 4),
            "analyze (once)": round(data["analyze"], 4),
            "population (once)": round(data["population"], 4),
            "compile": statistics.median(r["compile"] for r in runs),
            "solve": statistics.median(r["solve"] for r in runs),
        }
        explained = [r["explain"] for r in runs if "explain" in r]  # none when solve raised
        if explained:
            calls["explain"] = statistics.median(explained)
        steps.append(StepTimes(stage=STAGE, library=variant, figure=figure, steps=calls))
        for part in ("compile", "solve"):
            profile = median_profile([r[f"{part}_profile"] for r in runs])
            steps.append(
                StepTimes(
                    stage=STAGE,
                    library=f"{variant}: {part}",
                    figure=figure,
                    steps={k: round(v, 4) for k, v in profile.items()},
                )
            )
    return steps


# ------------------------------------------------------------------------------ notes


def _notes(
    ctx: StageContext,
    plan: Plan,
    record: dict[str, Any],
    summaries: dict[str, list[dict[str, Any]]],
    records: dict[tuple[str, str], dict[str, Any]],
) -> list[str]:
    def sizes(variant: str) -> str:
        data = record["variants"].get(variant)
        if not data:
            return "not compiled: its in-process run failed"
        return f"{data['arcs']:,} eligible pairs, capacity {data['capacity_total']:,}"

    notes = [
        "workloads: "
        + "; ".join(
            f"`{shown_path(i.path, ctx.root)}` {i.label} ({sizes(i.variant)})"
            for i in plan.instances.values()
        )
        + ". Seekers: mentees first, then people of level ≤ 2 (seeded sample), never a mentor; "
        "providers: a seeded sample of mentors; the mentoring contract's rules "
        "(`benchmarks/assign_instances.py`)",
        f"every CLI run uses a fresh history database and `--time-limit {plan.time_limit:g}`; "
        "the baselines read the eligible arcs and scores of matcher's compiled problem "
        f"(`{shown_path(plan.arcs_dir, ctx.root)}`), so all solve the same instance",
    ]
    bare = records.get((FLOW, "bare-flow"), {}).get("outcome")
    flow = next(iter(summaries.get(FLOW) or []), None)
    if bare and flow:
        same = bare["pairs"] == flow["pairs"] and math.isclose(
            bare["objective"], flow["objective"], abs_tol=1e-6 * max(bare["pairs"], 1)
        )
        notes.append(
            f"the bare flow and matcher agree on (a): {bare['pairs']:,} pairs, objective "
            f"{bare['objective']:,.6f} vs {flow['objective']:,.6f}"
            if same
            else f"the bare flow and matcher DISAGREE on (a): {bare['pairs']:,} vs "
            f"{flow['pairs']:,} pairs, objective {bare['objective']:,.6f} vs {flow['objective']:,.6f}"
        )
    for (variant, method), found in records.items():
        if "probes" not in found:
            continue
        probes = ", ".join(
            f"{p['seekers']:,}×{p['providers']:,} {p['seconds']:.2f} s"
            + (
                ""
                if p["same_as_optimum"]
                else f" (below the optimum by {-p.get('objective_minus_optimum', 0.0):.3g})"
            )
            for p in found["probes"]
        )
        notes.append(
            f"{METHODS[method]} on {plan.instances[variant].label}, growing sub-instances "
            f"(first k seekers and providers; each checked against the exact optimum): {probes}"
        )
    cpus = os.cpu_count()
    for variant, data in record["variants"].items():
        failed = [r for r in data["runs"] if "error" in r]
        if failed:
            notes.append(
                f"{plan.instances[variant].label}: in process, compile took "
                f"{failed[0]['compile']:.3g} s, then matcher.assignment.solve.solve raised "
                f"{failed[0]['error']} after {failed[0]['solve']:.3g} s (profile: "
                + ", ".join(f"{k} {v:.3g} s" for k, v in failed[0]["solve_profile"].items())
                + ")"
            )
    peaks = ", ".join(
        f"{variant} {data['peak_rss_bytes'] / GIB:.2f} GiB"
        for variant, data in record["variants"].items()
    )
    notes.append(
        f"the in-process workers peaked at {peaks} ({cpus} CPUs); their compile and solve "
        "profiles wrap matcher's module functions while they run (`benchmarks/assign_work.py`): "
        "nothing in matcher changes"
    )
    return notes


# ------------------------------------------------------------------------------ targets


def _gap_target(target: str, found: list[dict[str, Any]], limit: float, *, applies: bool) -> Target:
    """The worst gap over the runs ≤ ``limit``, certified over all eligible pairs."""
    if not found:
        return Target(stage=STAGE, target=target, measured="not measured", met=None, margin="")
    worst = max(found, key=lambda b: float(b["gap"]))
    gap = float(worst["gap"])
    scope = worst["bound_scope"]
    shown = f"gap {gap:.4%} ({worst['status']}, {worst['method']}, bound over {scope})"
    if not applies:
        return Target(stage=STAGE, target=target, measured=shown, met=None, margin=NOT_HERE)
    certified = scope == "all_eligible_pairs"
    met = certified and gap <= limit + GAP_TOLERANCE
    if not certified:
        margin = "missed: the bound holds only for the pruned candidates, not all eligible pairs"
    elif met:
        margin = f"met: {limit - gap:.2%} under the limit"
    else:
        margin = f"missed: {gap - limit:.2%} over the limit"
    return Target(stage=STAGE, target=target, measured=shown, met=met, margin=margin)


def _proven_target(target: str, found: list[dict[str, Any]]) -> Target:
    if not found:
        return Target(stage=STAGE, target=target, measured="not measured", met=None, margin="")
    proven = [
        b["status"] == "optimal"
        and float(b["gap"]) <= GAP_TOLERANCE
        and b["bound_scope"] == "all_eligible_pairs"
        for b in found
    ]
    worst = found[proven.index(False)] if not all(proven) else found[0]
    shown = _status(worst)
    if all(proven):
        return Target(
            stage=STAGE,
            target=target,
            measured=shown,
            met=True,
            margin=f"met: all {len(found)} runs proven optimal",
        )
    return Target(
        stage=STAGE,
        target=target,
        measured=shown,
        met=False,
        margin=f"missed: {proven.count(False)} of {len(found)} runs not proven optimal",
    )


def _equal_target(target: str, ours: Outcome | None, theirs: Outcome | None) -> Target:
    if ours is None or theirs is None or ours.pairs is None or theirs.pairs is None:
        return Target(stage=STAGE, target=target, measured="not measured", met=None, margin="")
    assert ours.objective is not None and theirs.objective is not None
    diff = ours.objective - theirs.objective
    tolerance = 1e-6 * max(ours.pairs, 1)
    shown = (
        f"{ours.pairs:,} vs {theirs.pairs:,} pairs; objective {ours.objective:,.6f} vs "
        f"{theirs.objective:,.6f} (matcher − LSA = {diff:+.2e})"
    )
    met = ours.pairs == theirs.pairs and abs(diff) <= tolerance
    margin = (
        f"met: equal within {tolerance:.0e} (matcher's flow rounds scores to 1e-6)"
        if met
        else "missed: "
        + (
            f"{theirs.pairs - ours.pairs:+,} pairs"
            if ours.pairs != theirs.pairs
            else f"objective differs by {diff:+.3g}"
        )
    )
    return Target(stage=STAGE, target=target, measured=shown, met=met, margin=margin)


def _coverage_target(target: str, rows: list[Outcome]) -> Target:
    ours = next((o for o in rows if o.method.startswith("matcher") and o.ran), None)
    others = [
        o
        for o in rows
        if not o.method.startswith("matcher") and o.ran and o.seekers_covered is not None
    ]
    if ours is None or ours.seekers_covered is None or not others:
        return Target(stage=STAGE, target=target, measured="not measured", met=None, margin="")
    shown = f"matcher {ours.seekers_covered:,}; " + ", ".join(
        f"{o.method.split(' (')[0]} {o.seekers_covered:,}" for o in others
    )
    best = max(others, key=lambda o: o.seekers_covered or 0)
    assert best.seekers_covered is not None
    lead = ours.seekers_covered - best.seekers_covered
    met = lead >= 0
    best_name = best.method.split(" (")[0]
    if lead > 0:
        margin = f"met: {lead:,} more seekers than the best baseline ({best_name})"
    elif met:
        margin = f"met: as many as the best baseline ({best_name})"
    else:
        margin = f"missed: {-lead:,} fewer seekers than {best_name}"
    return Target(stage=STAGE, target=target, measured=shown, met=met, margin=margin)


def _flagged_target(target: str, ours: Outcome | None) -> Target:
    if ours is None or ours.flagged is None or ours.flagged_covered is None:
        return Target(stage=STAGE, target=target, measured="not measured", met=None, margin="")
    coverable = ours.flagged_coverable if ours.flagged_coverable is not None else ours.flagged
    possible = min(ours.flagged, coverable)
    shown = (
        f"{ours.flagged_covered:,} of {ours.flagged:,} flagged seekers covered "
        f"(supply allows {coverable:,})"
    )
    if ours.flagged == 0:
        return Target(
            stage=STAGE, target=target, measured=shown, met=None, margin="no flagged seekers"
        )
    met = ours.flagged_covered >= possible
    margin = (
        f"met: {ours.flagged_covered / ours.flagged:.0%} covered"
        + ("" if possible == ours.flagged else f" (all that supply allows: {possible:,})")
        if met
        else f"missed: {possible - ours.flagged_covered:,} coverable flagged seekers left out"
    )
    return Target(stage=STAGE, target=target, measured=shown, met=met, margin=margin)


def targets(
    ctx: StageContext,
    figures: list[Figure],
    plan: Plan,
    summaries: dict[str, list[dict[str, Any]]],
    outcomes: list[Outcome],
    failures: dict[str, str] | None = None,
) -> list[Target]:
    """The issue's targets for the assign stage, met or missed and by how much.

    ``failures`` maps an instance to why its ``matcher assign`` runs failed: a target that
    could not be measured because matcher failed is missed, not "not measured".
    """
    failures = failures or {}

    def checked(variant: str, row: Target, applies: bool = True) -> Target:
        failure = failures.get(variant)
        if row.measured != "not measured" or not failure:
            return row
        return Target(
            stage=STAGE,
            target=row.target,
            measured=f"matcher assign failed ({failure})",
            met=False if applies else None,
            margin="missed: no assignment at all" if applies else NOT_HERE,
        )

    by_id = {f.id: f for f in figures}
    employees = ctx.org.info.employees
    is_l = employees >= L_EMPLOYEES
    is_m = M_EMPLOYEES <= employees < L_EMPLOYEES
    rows: list[Target] = []
    flow = plan.instances[FLOW]
    scope = f"{flow.seekers:,} × {flow.providers:,}"
    note = "" if is_l else f" (here {scope})"
    rows.append(
        checked(
            FLOW,
            _proven_target(
                f"assign flow structure: proven optimum (gap 0, bound over all eligible pairs)"
                f"{note}",
                summaries.get(FLOW, []),
            ),
        )
    )
    for figure_id, how in (
        (f"assign.{FLOW}.cli", "analysing again"),
        (f"assign.{FLOW}.cli_saved", "from the saved analysis, `assign --analysis`"),
    ):
        cli = by_id.get(figure_id)
        if cli is not None:
            rows.append(
                checked(
                    FLOW,
                    at_most(
                        STAGE,
                        f"assign flow structure 20k × 5k ≤ 30 s end to end, {how}{note}",
                        cli.median_seconds,
                        30.0,
                        unit="s",
                        applies=is_l,
                    ),
                    is_l,
                )
            )
    bare = by_id.get("assign.flow.bare")
    for ours_id, kind in (
        (f"assign.{FLOW}.cli", "end to end: the CLI run against the bare flow solve"),
        (f"assign.{FLOW}.solve", "like for like: matcher's solve against the bare flow solve"),
    ):
        ours = by_id.get(ours_id)
        if ours is None:
            continue
        if bare is None or not bare.seconds:
            rows.append(
                Target(
                    stage=STAGE,
                    target=f"≤ 3× the bare flow solve [{kind}]",
                    measured="bare flow not run",
                    met=None,
                    margin=bare.note if bare is not None else "",
                )
            )
            continue
        rows.append(
            ratio_at_most(STAGE, "≤ 3× the bare flow solve", ours, bare, 3.0, is_l, kind=kind)
        )
    if is_l:
        gap_limit, seconds_limit, named = 0.01, 120.0, "20k × 5k"
        applies = True
    else:
        gap_limit, seconds_limit, named = 0.005, 30.0, "2k × 500"
        applies = is_m
    here = "" if applies else f" (here {scope})"
    for variant in (TEAM_CAP, MIN_LOAD):
        what = LABELS[variant].split(") ", 1)[1]
        rows.append(
            checked(
                variant,
                _gap_target(
                    f"side constraints {named}, {what}: certified gap ≤ {gap_limit:.1%}{here}",
                    summaries.get(variant, []),
                    gap_limit,
                    applies=applies,
                ),
                applies,
            )
        )
        figure = by_id.get(f"assign.{variant}.cli")
        if figure is not None:
            rows.append(
                checked(
                    variant,
                    at_most(
                        STAGE,
                        f"side constraints {named}, {what}: ≤ {seconds_limit:.0f} s end to end"
                        f"{here}",
                        figure.median_seconds,
                        seconds_limit,
                        unit="s",
                        applies=applies,
                    ),
                    applies,
                )
            )
    one = plan.instances[ONE_TO_ONE]
    rows.append(
        checked(
            ONE_TO_ONE,
            _equal_target(
                f"objective = linear_sum_assignment on 1:1 ({one.seekers:,} × {one.providers:,})",
                _outcome(outcomes, ONE_TO_ONE, "matcher"),
                _outcome(outcomes, ONE_TO_ONE, "scipy"),
            ),
        )
    )
    for variant in (FLOW, ONE_TO_ONE):
        rows.append(
            checked(
                variant,
                _coverage_target(
                    f"coverage ≥ every baseline: {plan.instances[variant].label}",
                    [o for o in outcomes if o.instance == variant],
                ),
            )
        )
    for variant in plan.instances:
        rows.append(
            checked(
                variant,
                _flagged_target(
                    f"100% of flagged seekers covered whenever supply allows: "
                    f"{plan.instances[variant].label}",
                    _outcome(outcomes, variant, "matcher"),
                ),
            )
        )
    return rows


def _outcome(outcomes: list[Outcome], variant: str, method_prefix: str) -> Outcome | None:
    return next(
        (
            o
            for o in outcomes
            if o.instance == variant and o.method.startswith(method_prefix) and o.ran
        ),
        None,
    )
