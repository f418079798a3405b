"""The ``assign`` stage: ``matcher assign`` end to end, against the bare flow and baselines.

Workloads (:mod:`benchmarks.assign_instances`): four program files on the org, with the
mentoring contract's rules and exact sizes, ``(a)`` the flow structure, ``(b)`` with a per-team
cap, ``(c)`` with the cap and minimum loads, ``(d)`` a square 1:1 instance.

Figures:

* ``assign.<variant>.cli``: ``matcher assign`` as a user runs it (load, analyze, compile, solve,
  write), in a child process, every run on a fresh history database;
* ``assign.<variant>.inprocess``: a child process running the same library calls as the CLI
  (load and analysis once, then compile, solve and explain ``repeat`` times), timed step by
  step and profiled with cProfile, by matcher function (:mod:`benchmarks.profiling`); one child per instance at M
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

import shutil
from typing import Any

from benchmarks.assign_instances import (
    FLOW,
    choose_seekers,
    read_people,
    shape_for,
    write_instances,
)
from benchmarks.stages.assign.jobs import (
    baseline_jobs,
    cli_job,
    cli_summaries,
    inprocess_job,
    read_json,
    saved_analysis,
    saved_note,
    screen,
)
from benchmarks.stages.assign.outcomes import (
    finish_baseline_figure,
    mentor_match_notes,
    outcome_rows,
    solve_figures,
    stage_notes,
    step_times,
)
from benchmarks.stages.assign.plan import (
    SEPARATE_INPROCESS_FROM,
    STAGE,
    Plan,
    runs,
    time_limit,
)
from benchmarks.stages.assign.targets import targets
from benchmarks.stages.base import Job, StageContext, StageResult, run_round_robin


def run(ctx: StageContext) -> StageResult:
    """Measure the assign stage on the context's org (see the module docstring)."""
    result = StageResult()
    employees = ctx.org.info.employees
    work = ctx.runs_dir / STAGE
    shape = shape_for(employees)
    people = read_people(ctx.org.employees)
    seekers = choose_seekers(people, shape.seekers, ctx.org.info.seed)
    allowed, setup, screened = screen(ctx, work / "programs", people, seekers)
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
        time_limit=time_limit(employees),
        arcs_dir=work / "arcs",
        results_dir=work / "records",
    )
    for folder in (work / "db", work / "out", plan.results_dir, plan.arcs_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    group_jobs, inprocess, record = _run_inprocess(ctx, plan)

    analysis, setup = saved_analysis(ctx, plan)
    result.setup.append(setup)
    cli_jobs = {v: cli_job(ctx, plan, v) for v in plan.instances}
    saved_job = cli_job(ctx, plan, FLOW, analysis=analysis)
    baselines = baseline_jobs(ctx, plan, result)
    jobs = [*cli_jobs.values(), saved_job] + [job for _, _, job in baselines]
    ctx.log(f"assign: {len(jobs)} workloads, up to {runs(ctx)} runs each")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)

    summaries = {v: cli_summaries(job) for v, job in cli_jobs.items()}
    result.notes.append(saved_note(summaries.get(FLOW, []), cli_summaries(saved_job)))
    records = {
        (variant, method): read_json(plan.results_dir / f"{variant}-{method}-0.json")
        for variant, method, _ in baselines
    }
    for (variant, method), found in records.items():
        job = next(j for v, m, j in baselines if (v, m) == (variant, method))
        finish_baseline_figure(job, found, method)
    solved = solve_figures(inprocess, record, plan, baselines)
    result.figures = (
        [job.figure for job in cli_jobs.values()]
        + [saved_job.figure]
        + [job.figure for job in group_jobs]
        + solved
        + [job.figure for _, _, job in baselines]
    )
    result.outcomes = outcome_rows(plan, record, summaries, records, cli_jobs, baselines)
    result.outcomes += mentor_match_notes(plan)
    result.steps = step_times(plan, record)
    result.notes += stage_notes(ctx, plan, record, summaries, records)
    failures = {v: job.failure for v, job in cli_jobs.items() if job.failure and not summaries[v]}
    result.targets = targets(employees, result.figures, plan, summaries, result.outcomes, failures)
    return result


def _run_inprocess(
    ctx: StageContext, plan: Plan
) -> tuple[list[Job], dict[str, Job], dict[str, Any]]:
    """matcher in process: one child per instance from M on, else one for all four. Returns
    the jobs, the job of each instance, and the timings and profiles they recorded."""
    ctx.log("assign: matcher in process, one child per instance (writes the arcs)")
    groups = (
        [[v] for v in plan.instances]
        if ctx.org.info.employees >= SEPARATE_INPROCESS_FROM
        else [list(plan.instances)]
    )
    group_jobs = [inprocess_job(ctx, plan, group) for group in groups]
    run_round_robin(group_jobs, root=ctx.root, log=ctx.log)
    inprocess = {v: job for group, job in zip(groups, group_jobs, strict=True) for v in group}
    record: dict[str, Any] = {"variants": {}}
    for group in groups:
        found = read_json(plan.results_dir / f"inprocess-{'-'.join(group)}.json")
        for variant in group if found else []:
            data = found["variants"][variant]
            for key in ("load", "analyze", "population", "peak_rss_bytes"):
                data[key] = found[key]
            record["variants"][variant] = data
    return group_jobs, inprocess, record
