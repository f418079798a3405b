"""What the assign stage reports from its runs: figures, outcomes, step times and notes."""

from __future__ import annotations

import math
import os
import statistics
from typing import Any

from benchmarks.assign_instances import (
    FLOW,
    MIN_LOAD,
    ONE_TO_ONE,
    TEAM_CAP,
)
from benchmarks.measure import (
    shown_path,
)
from benchmarks.results import Figure, Outcome, ProfileRow, StepTimes
from benchmarks.stages.assign.plan import (
    GIB,
    METHODS,
    STAGE,
    Plan,
)
from benchmarks.stages.base import Job, StageContext


def finish_baseline_figure(job: Job, found: dict[str, Any], method: str) -> None:
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


def solve_figures(
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


def status(block: dict[str, Any]) -> str:
    return (
        f"{block['status']} ({block['method']}), gap {block['gap']:.4%}, bound over "
        f"{block['bound_scope']}"
    )


def outcome_rows(
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
                    status=status(block),
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


def mentor_match_notes(plan: Plan) -> list[Outcome]:
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


def step_times(plan: Plan, record: dict[str, Any]) -> list[StepTimes]:
    """Median seconds per library call of each instance, and where compile and solve go."""
    found = []
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
        found.append(StepTimes(stage=STAGE, library=variant, figure=figure, steps=calls))
        for part in ("compile", "solve"):
            found.append(
                profile_steps(f"{variant}: {part}", figure, [r[f"{part}_profile"] for r in runs])
            )
    return found


def profile_steps(library: str, figure: str, profiles: list[dict[str, Any]]) -> StepTimes:
    """The median profile of a call over its runs (a function a run did not list counts 0):
    its functions by median own time, as :mod:`benchmarks.profiling` recorded them.

    >>> one = {"total": 2.0, "functions": [["m:a", 1, 1.0, 2.0]], "rest": 0.0, "other": 1.0}
    >>> two = {"total": 4.0, "functions": [["m:a", 1, 3.0, 4.0], ["m:b", 2, 0.5, 0.5]],
    ...        "rest": 0.0, "other": 0.5}
    >>> found = profile_steps("flow: solve", "f", [one, two])
    >>> found.steps
    {'m:a': 2.0, 'm:b': 0.25, 'other matcher functions': 0.0, 'other': 0.75}
    >>> [(row.function, row.calls, row.cumulative) for row in found.profile]
    [('m:a', 1, 3.0), ('m:b', 1, 0.25)]
    """
    rows: dict[str, list[tuple[int, float, float]]] = {}
    for profile in profiles:
        for name, calls, own, cumulative in profile["functions"]:
            rows.setdefault(name, []).append((calls, own, cumulative))
    count = len(profiles)

    def median(values: list[float]) -> float:
        return round(statistics.median(values + [0.0] * (count - len(values))), 4)

    table = [
        ProfileRow(
            function=name,
            calls=int(median([float(c) for c, _, _ in found])),
            own=median([own for _, own, _ in found]),
            cumulative=median([cumulative for _, _, cumulative in found]),
        )
        for name, found in rows.items()
    ]
    table.sort(key=lambda row: (-row.own, row.function))
    steps = {row.function: row.own for row in table}
    steps["other matcher functions"] = median([p["rest"] for p in profiles])
    steps["other"] = median([p["other"] for p in profiles])
    return StepTimes(stage=STAGE, library=library, figure=figure, steps=steps, profile=table)


# ------------------------------------------------------------------------------ notes


def stage_notes(
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
                f"{failed[0]['error']} after {failed[0]['solve']:.3g} s (profile, own time: "
                + ", ".join(
                    f"{name} {own:.3g} s"
                    for name, _, own, _ in failed[0]["solve_profile"]["functions"][:5]
                )
                + ")"
            )
    peaks = ", ".join(
        f"{variant} {data['peak_rss_bytes'] / GIB:.2f} GiB"
        for variant, data in record["variants"].items()
    )
    notes.append(
        f"the in-process workers peaked at {peaks} ({cpus} CPUs); their compile and solve "
        "profiles are cProfile's, grouped by matcher function (`benchmarks/profiling.py`; "
        "compile's threads summed): nothing in matcher changes"
    )
    return notes
