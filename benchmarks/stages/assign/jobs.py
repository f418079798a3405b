"""The assign stage's workloads: the mentor screen, matcher in process and as a CLI, and
the baselines, each a :class:`~benchmarks.stages.base.Job` run in a child process."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from benchmarks.assign_instances import (
    FLOW,
    ONE_TO_ONE,
    Person,
    mentor_ids,
    program_toml,
    write_if_changed,
)
from benchmarks.measure import (
    analyze_command,
    display_command,
    matcher_command,
    python_command,
    run_measured,
)
from benchmarks.orgs import source_fingerprint
from benchmarks.results import Setup
from benchmarks.stages.assign.plan import (
    BASELINE_RUNS,
    FIGURE_NAMES,
    MENTOR_MATCH_BUDGET_SHARE,
    METHODS,
    SMALL_LADDER_BUDGET,
    STAGE,
    Plan,
    runs,
)
from benchmarks.stages.base import Job, StageContext, StageResult, make_job
from benchmarks.targets import M_EMPLOYEES

SCREEN_MODULES = ("matcher.assignment", "matcher.analysis", "matcher.io")


def screen(
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
    found = read_json(out)
    if found.get("key") == key and not ctx.fresh:
        ctx.log(f"reusing the mentor screen {out}")
        setup = Setup(what=what, command=command, seconds=None, peak_rss_bytes=None, reused=True)
    else:
        ctx.log("assign: screening the mentors (one compile of the seekers × all mentors)")
        measured = run_measured(argv, cwd=ctx.root, log_dir=folder.parent / "logs" / "screen")
        found = read_json(out)
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


def inprocess_job(ctx: StageContext, plan: Plan, group: list[str]) -> Job:
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


def saved_analysis(ctx: StageContext, plan: Plan) -> tuple[Path, Setup]:
    """``matcher analyze`` of the org, as HR runs it before assigning (``assign --analysis``)."""
    out = plan.work / "analysis"
    argv = analyze_command(
        ctx.org.employees, ctx.org.interactions, out, "--seed", str(ctx.org.info.seed)
    )
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


def saved_note(again: list[dict[str, Any]], saved: list[dict[str, Any]]) -> str:
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


def cli_job(ctx: StageContext, plan: Plan, variant: str, analysis: Path | None = None) -> Job:
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


def baseline_jobs(ctx: StageContext, plan: Plan, result: StageResult) -> list[tuple[str, str, Job]]:
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
            found = read_json(plan.results_dir / f"{variant}-{method}-{k}.json")
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


def read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def cli_summaries(job: Job) -> list[dict[str, Any]]:
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
