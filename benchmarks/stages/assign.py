"""The ``assign`` stage: ``matcher assign`` end to end, against the bare flow and baselines.

Workloads (:mod:`benchmarks.assign_instances`): four program files on the org, with the
mentoring contract's rules and exact sizes, ``(a)`` the flow structure, ``(b)`` with a per-team
cap, ``(c)`` with the cap and minimum loads, ``(d)`` a square 1:1 instance.

Figures:

* ``assign.<variant>.cli``: ``matcher assign`` as a user runs it (load, analyze, compile, solve,
  write), in a child process, every run on a fresh history database;
* ``assign.inprocess``: one child process running the same library calls as the CLI (load and
  analysis once, then compile, solve and explain each variant ``repeat`` times), timed step by
  step and profiled (:class:`benchmarks.assign_work.Profiler`); it writes the eligible arcs of
  ``(a)`` and ``(d)`` for the baselines. ``assign.<variant>.solve`` are its solve times;
* baselines, each in its own child process on those arcs: the bare OR-Tools min-cost flow on
  all arcs of ``(a)`` (the floor for this structure; skipped when its memory estimate is too
  high), greedy by score and random pairing on ``(a)`` and ``(d)``,
  ``scipy.optimize.linear_sum_assignment`` on ``(d)``, networkx ``max_weight_matching`` and the
  PyPI package mentor-match on growing sub-instances up to the time budget (extrapolated
  beyond it).
"""

from __future__ import annotations

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
    shape_for,
    write_instances,
)
from benchmarks.measure import matcher_command, python_command, shown_path
from benchmarks.results import Figure, Outcome, StepTimes, Target
from benchmarks.stages.base import Job, StageContext, StageResult, make_job, run_round_robin
from benchmarks.stages.targets import NOT_HERE, at_most, ratio_at_most

STAGE = "assign"
L_EMPLOYEES, M_EMPLOYEES = 100_000, 20_000
GIB = 2**30
BARE_FLOW_BYTES_PER_ARC = 300
"""Peak memory of the bare flow per eligible arc: ~16 GB for 54.6M arcs, measured once."""
BARE_FLOW_CEILING = 18 * GIB
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
BASELINE_RUNS = {"bare-flow": 1, "networkx": 1, "mentor-match": 1}
"""Runs of slow or memory-hungry baselines; the others run ``repeat`` times."""


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
    instances = write_instances(
        ctx.org.employees.resolve(),
        ctx.org.interactions.resolve(),
        shape_for(employees),
        ctx.org.info.seed,
        work / "programs",
    )
    plan = Plan(
        work=work,
        instances={i.variant: i for i in instances},
        time_limit=_time_limit(employees),
        arcs_dir=work / "arcs",
        results_dir=work / "records",
    )
    for folder in (work / "db", work / "out", plan.results_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    ctx.log("assign: matcher in process (compile and solve timed apart; writes the arcs)")
    inprocess = _inprocess_job(ctx, plan)
    run_round_robin([inprocess], root=ctx.root, log=ctx.log)
    record = json.loads((plan.results_dir / "inprocess.json").read_text(encoding="utf-8"))

    cli_jobs = {v: _cli_job(ctx, plan, v) for v in plan.instances}
    baseline_jobs = _baseline_jobs(ctx, plan, record, result)
    jobs = list(cli_jobs.values()) + [job for _, _, job in baseline_jobs]
    ctx.log(f"assign: {len(jobs)} workloads, up to {ctx.size.repeat} runs each")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)

    summaries = {v: _cli_summaries(job) for v, job in cli_jobs.items()}
    records = {
        (variant, method): _read(plan.results_dir / f"{variant}-{method}-0.json")
        for variant, method, _ in baseline_jobs
    }
    for (variant, method), found in records.items():
        job = next(j for v, m, j in baseline_jobs if (v, m) == (variant, method))
        _finish_baseline_figure(job, found, method, variant, ctx.networkx_budget)
    solve_figures = _solve_figures(inprocess, record, plan, baseline_jobs)
    result.figures = (
        [job.figure for job in cli_jobs.values()]
        + [inprocess.figure]
        + solve_figures
        + [job.figure for _, _, job in baseline_jobs]
    )
    result.figures += _not_run_figures(plan, baseline_jobs, result)
    result.outcomes = _outcomes(plan, record, summaries, records, cli_jobs, baseline_jobs)
    result.outcomes += _mentor_match_notes(plan, records)
    result.steps = _steps(plan, record)
    result.notes += _notes(ctx, plan, record, summaries, records)
    result.targets = targets(ctx, result.figures, plan, record, summaries, result.outcomes)
    return result


# ------------------------------------------------------------------------------- jobs


def _inprocess_job(ctx: StageContext, plan: Plan) -> Job:
    out = plan.results_dir / "inprocess.json"
    argv = [
        *python_command(),
        "-m",
        "benchmarks",
        "assign-inprocess",
        *[str(i.path) for i in plan.instances.values()],
        "--runs",
        str(ctx.size.repeat),
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
    return make_job(
        "assign.inprocess",
        STAGE,
        f"matcher library in process: load + analyze once, then compile + solve + explain "
        f"each instance {ctx.size.repeat}×",
        lambda _k: argv,
        runs=1,
        log_dir=plan.work / "logs" / "inprocess",
        root=ctx.root,
    )


def _cli_argv(ctx: StageContext, plan: Plan, variant: str, k: int) -> list[str]:
    instance = plan.instances[variant]
    return [
        *matcher_command(),
        "assign",
        str(instance.path),
        "--employees",
        str(ctx.org.employees),
        "--interactions",
        str(ctx.org.interactions),
        "--out",
        str(plan.work / "out" / variant),
        "--db",
        str(plan.work / "db" / f"{variant}-{k}.db"),
        "--seed",
        str(ctx.org.info.seed),
        "--time-limit",
        str(plan.time_limit),
        "--json",
    ]


def _cli_job(ctx: StageContext, plan: Plan, variant: str) -> Job:
    baselines: dict[str, str] = {}
    if variant == FLOW:
        baselines = {
            "bare flow": "assign.flow.bare",
            "greedy": "assign.flow.greedy",
            "random": "assign.flow.random",
        }
    elif variant == ONE_TO_ONE:
        baselines = {"linear_sum_assignment": "assign.one_to_one.lsa"}
    return make_job(
        f"assign.{variant}.cli",
        STAGE,
        f"matcher assign, end to end (CLI): {plan.instances[variant].label}",
        lambda k: _cli_argv(ctx, plan, variant, k),
        runs=ctx.size.repeat,
        log_dir=plan.work / "logs" / f"cli-{variant}",
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


def _available_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def bare_flow_memory(arcs: int) -> int:
    """Estimated peak memory of the bare flow on ``arcs`` eligible arcs.

    >>> round(bare_flow_memory(54_600_000) / 2**30, 1)
    16.3
    """
    return arcs * BARE_FLOW_BYTES_PER_ARC + 2**28


def _baseline_jobs(
    ctx: StageContext, plan: Plan, record: dict[str, Any], result: StageResult
) -> list[tuple[str, str, Job]]:
    """The baseline jobs, as (variant, method, job); the bare flow only when it fits."""
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
        if method == "bare-flow":
            arcs = int(record["variants"][variant]["arcs"])
            need = bare_flow_memory(arcs)
            available = _available_bytes()
            ceiling = min(BARE_FLOW_CEILING, available or BARE_FLOW_CEILING)
            if need > ceiling:
                result.notes.append(
                    f"the bare flow on {arcs:,} arcs was not run: estimated {need / GIB:.1f} GiB "
                    f"({BARE_FLOW_BYTES_PER_ARC} B per arc) against a ceiling of "
                    f"{ceiling / GIB:.1f} GiB (18 GiB, or what the machine had available)"
                )
                continue
        runs = BASELINE_RUNS.get(method, ctx.size.repeat)
        name = FIGURE_NAMES[method]

        def argv(k: int, variant: str = variant, method: str = method) -> list[str]:
            return _baseline_argv(plan, variant, method, k, ctx.networkx_budget, seed)

        def timed_inside(k: int, variant: str = variant, method: str = method) -> float:
            found = _read(plan.results_dir / f"{variant}-{method}-{k}.json")
            return float(found.get("seconds", found.get("largest_seconds", 0.0)))

        job = make_job(
            f"assign.{variant}.{name}",
            STAGE,
            f"{METHODS[method]}: {plan.instances[variant].label}",
            argv,
            runs=runs,
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


def _finish_baseline_figure(
    job: Job, found: dict[str, Any], method: str, variant: str, budget: float
) -> None:
    """Notes on a baseline's figure; a ladder that stopped short becomes an estimate."""
    figure = job.figure
    notes = [figure.note] if figure.note else []
    if "probes" in found:
        largest = found["probes"][-1]
        if found.get("finished_full"):
            notes.append(
                f"ran in full; {len(found['probes'])} sizes probed, time ∝ n^{found['exponent']:.1f}"
            )
        else:
            figure.seconds = []
            figure.estimate_seconds = found.get("estimate_seconds")
            within = found["seekers_within_budget"]
            notes.append(
                f"skipped at full size: {found['stopped']}; largest run {found['largest']} in "
                f"{largest['seconds']:.1f} s; time ∝ n^{found['exponent']:.1f}, so about "
                f"{within:,.0f} seekers finish within {budget:.0f} s"
            )
    elif found.get("note"):
        notes.append(str(found["note"]))
    if method == "bare-flow" and found.get("steps"):
        steps = found["steps"]
        notes.append(
            "timed: arrays "
            + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
        )
    figure.note = "; ".join(notes)


def _solve_figures(
    inprocess: Job,
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
            baselines = {"bare flow": "assign.flow.bare"}
        elif variant == ONE_TO_ONE:
            baselines = {
                "linear_sum_assignment": "assign.one_to_one.lsa",
                "networkx": "assign.one_to_one.networkx",
                "mentor-match": "assign.one_to_one.mentor_match",
            }
        baselines = {k: v for k, v in baselines.items() if v in present}
        compile_median = statistics.median(r["compile"] for r in runs)
        figures.append(
            Figure(
                id=f"assign.{variant}.solve",
                stage=STAGE,
                label=f"matcher solve only, in process: {plan.instances[variant].label}",
                command=inprocess.figure.command,
                seconds=[round(r["solve"], 4) for r in runs],
                baselines=baselines,
                note=(
                    f"timed inside the in-process worker (matcher.solver.solve on the compiled "
                    f"problem); compile took {compile_median:.3g} s for {data['arcs']:,} "
                    "eligible pairs"
                ),
            )
        )
    return figures


def _not_run_figures(
    plan: Plan, baseline_jobs: list[tuple[str, str, Job]], result: StageResult
) -> list[Figure]:
    """A figure for the bare flow when its memory estimate kept it from running."""
    if any(method == "bare-flow" for _, method, _ in baseline_jobs):
        return []
    reason = next((n for n in result.notes if n.startswith("the bare flow")), "not run")
    return [
        Figure(
            id="assign.flow.bare",
            stage=STAGE,
            label=f"{METHODS['bare-flow']}: {plan.instances[FLOW].label}",
            command="(not run)",
            note=reason,
        )
    ]


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
        data = record["variants"][variant]
        found = summaries.get(variant) or []
        bound = float(found[0]["bound"]) if found else float(data["solution"]["bound"])
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
                    flagged_coverable=int(data["flagged_coverable"]),
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
                    seekers=int(data["seekers"]),
                    eligible_pairs=int(data["arcs"]),
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
        return f"the {len(found)} runs gave the same objective"
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
    bound: float,
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
        largest = found["probes"][-1]
        notes.append(
            "same pairs and objective as the optimum"
            if largest.get("same_as_optimum")
            else f"differs from the optimum: {largest['reference_pairs']:,} pairs, objective "
            f"{largest['reference_objective']:,.3f}"
        )
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


def _mentor_match_notes(
    plan: Plan, records: dict[tuple[str, str], dict[str, Any]]
) -> list[Outcome]:
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
    for variant in (FLOW, ONE_TO_ONE):
        found = records.get((variant, "mentor-match"))
        if found and "outcome" not in found and found.get("probes"):
            largest = found["probes"][-1]
            cells = largest["seekers"] * largest["providers"]
            per_cell = max(largest["peak_rss_bytes"], 1) / max(cells, 1)
            instance = plan.instances[variant]
            rows.append(
                Outcome(
                    stage=STAGE,
                    instance=variant,
                    instance_label=instance.label,
                    method=METHODS["mentor-match"],
                    ran=False,
                    seekers=instance.seekers,
                    note=(
                        f"not run at full size: {found['stopped']}; it builds a Python Match "
                        f"object for every seeker × provider cell ({instance.seekers * instance.providers:,} "
                        f"cells, ~{per_cell * instance.seekers * instance.providers / GIB:,.0f} GiB at the "
                        f"{per_cell:,.0f} B per cell its largest run peaked at) and solves each round "
                        f"with a dense Hungarian method; est. {found.get('estimate_seconds') or 0:,.0f} s"
                    ),
                )
            )
    return rows


# ------------------------------------------------------------------------------ steps


def _steps(plan: Plan, record: dict[str, Any]) -> list[StepTimes]:
    """Median seconds per library call of each instance, and where compile and solve go."""
    from benchmarks.assign_work import median_profile

    steps = []
    for variant, data in record["variants"].items():
        runs = data["runs"]
        figure = f"assign.{variant}.solve"
        steps.append(
            StepTimes(
                stage=STAGE,
                library=variant,
                figure=figure,
                steps={
                    "load (once)": round(record["load"], 4),
                    "analyze (once)": round(record["analyze"], 4),
                    "population (once)": round(record["population"], 4),
                    "compile": statistics.median(r["compile"] for r in runs),
                    "solve": statistics.median(r["solve"] for r in runs),
                    "explain": statistics.median(r["explain"] for r in runs),
                },
            )
        )
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
    notes = [
        "workloads: "
        + "; ".join(
            f"`{shown_path(i.path, ctx.root)}` {i.label} "
            f"({record['variants'][i.variant]['arcs']:,} eligible pairs, capacity "
            f"{record['variants'][i.variant]['capacity_total']:,})"
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
        sizes = ", ".join(
            f"{p['seekers']:,}×{p['providers']:,} {p['seconds']:.2f} s"
            + ("" if p["same_as_optimum"] else " (NOT optimal)")
            for p in found["probes"]
        )
        notes.append(
            f"{METHODS[method]} on {plan.instances[variant].label}, growing sub-instances "
            f"(first k seekers and providers; each checked against the exact optimum): {sizes}"
        )
    cpus = os.cpu_count()
    notes.append(
        f"the in-process worker peaked at {record['peak_rss_bytes'] / GIB:.2f} GiB ({cpus} CPUs); "
        "its compile and solve profiles wrap matcher's module functions while it runs "
        "(`benchmarks/assign_work.py`), nothing in matcher changes"
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
    margin = (
        f"met: {lead:,} more seekers than the best baseline ({best.method.split(' (')[0]})"
        if met
        else f"missed: {-lead:,} fewer seekers than {best.method}"
    )
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
    record: dict[str, Any],
    summaries: dict[str, list[dict[str, Any]]],
    outcomes: list[Outcome],
) -> list[Target]:
    """The issue's targets for the assign stage, met or missed and by how much."""
    by_id = {f.id: f for f in figures}
    employees = ctx.org.info.employees
    is_l = employees >= L_EMPLOYEES
    is_m = M_EMPLOYEES <= employees < L_EMPLOYEES
    rows: list[Target] = []
    flow = plan.instances[FLOW]
    scope = f"{flow.seekers:,} × {flow.providers:,}"
    note = "" if is_l else f" (here {scope})"
    rows.append(
        _proven_target(
            f"assign flow structure: proven optimum (gap 0, bound over all eligible pairs){note}",
            summaries.get(FLOW, []),
        )
    )
    cli = by_id.get(f"assign.{FLOW}.cli")
    if cli is not None:
        rows.append(
            at_most(
                STAGE,
                f"assign flow structure 20k × 5k ≤ 30 s end to end{note}",
                cli.median_seconds,
                30.0,
                unit="s",
                applies=is_l,
            )
        )
        peak = None if cli.peak_rss_bytes is None else cli.peak_rss_bytes / GIB
        rows.append(
            Target(
                stage=STAGE,
                target=f"assign flow structure peak memory (no target; for reference){note}",
                measured="not measured" if peak is None else f"{peak:.3g} GiB",
                met=None,
                margin="",
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
            _gap_target(
                f"side constraints {named}, {what}: certified gap ≤ {gap_limit:.1%}{here}",
                summaries.get(variant, []),
                gap_limit,
                applies=applies,
            )
        )
        figure = by_id.get(f"assign.{variant}.cli")
        if figure is not None:
            rows.append(
                at_most(
                    STAGE,
                    f"side constraints {named}, {what}: ≤ {seconds_limit:.0f} s end to end{here}",
                    figure.median_seconds,
                    seconds_limit,
                    unit="s",
                    applies=applies,
                )
            )
    one = plan.instances[ONE_TO_ONE]
    rows.append(
        _equal_target(
            f"objective = linear_sum_assignment on 1:1 ({one.seekers:,} × {one.providers:,})",
            _outcome(outcomes, ONE_TO_ONE, "matcher"),
            _outcome(outcomes, ONE_TO_ONE, "scipy"),
        )
    )
    for variant in (FLOW, ONE_TO_ONE):
        rows.append(
            _coverage_target(
                f"coverage ≥ every baseline: {plan.instances[variant].label}",
                [o for o in outcomes if o.instance == variant],
            )
        )
    for variant in plan.instances:
        rows.append(
            _flagged_target(
                f"100% of flagged seekers covered whenever supply allows: "
                f"{plan.instances[variant].label}",
                _outcome(outcomes, variant, "matcher"),
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
