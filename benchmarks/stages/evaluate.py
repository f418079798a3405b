"""The ``evaluate`` stage: ``matcher evaluate`` on a committed period, end to end.

Setup (measured, not compared; reused while its inputs and matcher's code are unchanged):

* the assign stage's mentoring program ``(a)`` (the flow structure: 20,000 seekers × 5,000
  providers at L), written from the same seeded choice of seekers and mentors and the same
  mentor screen (:mod:`benchmarks.stages.assign`, whose cached screen it reuses);
* ``matcher assign`` of it into a fresh history database, and ``matcher history commit`` of
  the proposal: the committed run is solved as a user gets it, not written by hand;
* the quarter after (the program's period), with planted outcomes
  (:func:`matcher.synthetic.followup.follow_up_quarter`, in the worker
  ``python -m benchmarks evaluate-followup``): the org's interactions shifted into the
  period, 70% of the pairs meeting, 60% of those forming a strong tie.

Figure ``evaluate.cli``: ``matcher evaluate --db … --period … --employees …
--interactions AFTER --before-interactions BEFORE --out …`` as a child process (wall time and
peak memory), each run on its own copy of the committed database (evaluate records the
pairs' outcomes in it). Its note says whether evaluate found exactly the planted meetings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import statistics
from pathlib import Path
from typing import Any

from benchmarks.assign_instances import (
    FLOW,
    PERIOD,
    choose_seekers,
    read_people,
    shape_for,
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
from benchmarks.results import Figure, Setup, Target
from benchmarks.stages.assign.jobs import read_json, screen
from benchmarks.stages.assign.plan import MAX_RUNS, time_limit
from benchmarks.stages.base import Job, StageContext, StageResult, make_job, run_round_robin
from benchmarks.targets import BY_KEY, at_most

STAGE = "evaluate"
SETUP_MODULES = (
    "matcher.assignment",
    "matcher.analysis",
    "matcher.io",
    "matcher.history",
    "matcher.workflows.assign",
    "matcher.synthetic.followup",
    "benchmarks.evaluate_followup",
)
"""A change in these makes the committed database and the planted quarter stale."""


def runs(ctx: StageContext) -> int:
    """Runs of ``matcher evaluate``: the size's ``repeat``, at most three."""
    return min(ctx.size.repeat, MAX_RUNS)


def _program(ctx: StageContext) -> tuple[Path, str]:
    """The assign stage's program ``(a)`` on this org (written if missing) and its label."""
    employees = ctx.org.info.employees
    folder = ctx.runs_dir / "assign" / "programs"
    people = read_people(ctx.org.employees)
    seekers = choose_seekers(people, shape_for(employees).seekers, ctx.org.info.seed)
    allowed, _, _ = screen(ctx, folder, people, seekers)
    instances = write_instances(
        people,
        shape_for(employees),
        ctx.org.info.seed,
        folder,
        employees=ctx.org.employees.resolve(),
        interactions=ctx.org.interactions.resolve(),
        seekers=seekers,
        allowed_providers=allowed,
    )
    flow = next(i for i in instances if i.variant == FLOW)
    return flow.path, flow.label


def _key(ctx: StageContext, program: Path) -> str:
    digest = hashlib.sha256(program.read_bytes())
    digest.update(ctx.org.employees.read_bytes())
    stat = ctx.org.interactions.stat()
    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}:{ctx.org.info.seed}".encode("ascii"))
    digest.update(source_fingerprint(SETUP_MODULES).encode("ascii"))
    return digest.hexdigest()[:16]


def _prepare(ctx: StageContext, work: Path, program: Path) -> tuple[list[Setup], dict[str, Any]]:
    """The committed database ``work/committed.db`` and the planted quarter ``work/after/``:
    made by ``matcher assign``, ``matcher history commit`` and the follow-up worker, or
    reused. Returns the setup steps and the record (run id, truth)."""
    key = _key(ctx, program)
    record_path = work / "setup.json"
    record = read_json(record_path)
    steps = ("commit the mentoring program (a)", "write the quarter after")
    if record.get("key") == key and not ctx.fresh:
        ctx.log(f"evaluate: reusing the committed run and the quarter after in {work}")
        return [
            Setup(
                what=f"{what} (reused)",
                command=record["commands"][k],
                seconds=None,
                peak_rss_bytes=None,
                reused=True,
                stage=STAGE,
            )
            for k, what in enumerate(steps)
        ], record
    stale_paths = ("committed.db", "assign", "assign.versions", "after", "setup.json", "logs/setup")
    for stale in stale_paths:
        path = work / stale
        if path.is_dir() and not path.is_symlink():  # ``assign`` is a link to its version
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    db, logs, seed = work / "committed.db", work / "logs" / "setup", ctx.org.info.seed
    assign = [
        *matcher_command(),
        "assign",
        str(program),
        "--out",
        str(work / "assign"),
        "--db",
        str(db),
        "--seed",
        str(seed),
        "--time-limit",
        str(time_limit(ctx.org.info.employees)),
        "--json",
    ]
    ctx.log("evaluate: matcher assign of (a) into a fresh history database")
    solved = run_measured(assign, cwd=ctx.root, log_dir=logs / "assign")
    summary = json.loads((logs / "assign" / "stdout.txt").read_text(encoding="utf-8"))
    run_id = next(iter(summary["programs"].values()))["run_id"]
    commit = [*matcher_command(), "history", "commit", run_id, "--db", str(db), "--quiet"]
    committed = run_measured(commit, cwd=ctx.root, log_dir=logs / "commit")
    follow = [
        *python_command(),
        "-m",
        "benchmarks",
        "evaluate-followup",
        "--employees",
        str(ctx.org.employees),
        "--interactions",
        str(ctx.org.interactions),
        "--db",
        str(db),
        "--period",
        PERIOD,
        "--seed",
        str(seed),
        "--out",
        str(work / "after"),
    ]
    ctx.log("evaluate: writing the quarter after, with planted outcomes")
    planted = run_measured(follow, cwd=ctx.root, log_dir=logs / "followup")
    today = dt.date.today().isoformat()
    commands = [
        display_command(assign, ctx.root) + " && " + display_command(commit, ctx.root),
        display_command(follow, ctx.root),
    ]
    setups = [
        Setup(
            what=steps[0],
            command=commands[0],
            seconds=round(solved.seconds + committed.seconds, 3),
            peak_rss_bytes=max(solved.peak_rss_bytes, committed.peak_rss_bytes),
            reused=False,
            measured_on=today,
            stage=STAGE,
        ),
        Setup(
            what=steps[1],
            command=commands[1],
            seconds=round(planted.seconds, 3),
            peak_rss_bytes=planted.peak_rss_bytes,
            reused=False,
            measured_on=today,
            stage=STAGE,
        ),
    ]
    record = {
        "key": key,
        "run_id": run_id,
        "commands": commands,
        "truth": read_json(work / "after" / "truth.json"),
    }
    record_path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return setups, record


def _argv(ctx: StageContext, work: Path, k: int) -> list[str]:
    return [
        *matcher_command(),
        "evaluate",
        "--db",
        str(work / "db" / f"run-{k}.db"),
        "--period",
        PERIOD,
        "--employees",
        str(ctx.org.employees),
        "--interactions",
        str(work / "after" / "interactions.csv"),
        "--before-interactions",
        str(ctx.org.interactions),
        "--out",
        str(work / "out" / f"run-{k}"),
        "--seed",
        str(ctx.org.info.seed),
        "--json",
    ]


def _job(ctx: StageContext, work: Path, label: str) -> Job:
    count = runs(ctx)
    for folder in (work / "db", work / "out"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for k in range(count):  # evaluate records the outcomes: each run gets the committed state
        shutil.copyfile(work / "committed.db", work / "db" / f"run-{k}.db")
    return make_job(
        "evaluate.cli",
        STAGE,
        f"matcher evaluate, end to end (CLI): the committed {label}, with the quarter after "
        "and the interactions before",
        lambda k: _argv(ctx, work, k),
        runs=count,
        log_dir=work / "logs" / "cli",
        root=ctx.root,
    )


STEP_LINE = re.compile(r"^matcher: (?P<step>.+) \((?P<seconds>[0-9.]+) s\)$")
"""The line matcher prints on stderr after each long step when not on a terminal."""


def step_times(stderr: str) -> dict[str, float]:
    r"""The seconds of each long step a run printed (a step printed twice is added up).

    >>> step_times("matcher: loading data (1.5 s)\nwarning\nmatcher: writing outputs (0.25 s)")
    {'loading data': 1.5, 'writing outputs': 0.25}
    """
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        match = STEP_LINE.match(line.strip())
        if match:
            step = match["step"]
            found[step] = found.get(step, 0.0) + float(match["seconds"])
    return found


def median_steps_of(job: Job) -> dict[str, float]:
    """Each step's median over the job's runs (steps every run printed)."""
    runs = []
    for k in range(job.runs):
        path = job.log_dir / f"run-{k}" / "stderr.txt"
        if path.is_file():
            runs.append(step_times(path.read_text(encoding="utf-8", errors="replace")))
    if not runs:
        return {}
    return {
        step: statistics.median(found[step] for found in runs)
        for step in runs[0]
        if all(step in found for found in runs)
    }


def found_note(evaluation: dict[str, Any], truth: dict[str, Any]) -> str:
    """What evaluate found against what was planted.

    >>> truth = {"pairs": 10, "met": 7, "ties": 4, "background_ties": 3}
    >>> found = {"programs": {"p": {"pairs": 10, "met": 7, "ties_formed": 5}}}
    >>> found_note(found, truth)
    '10 committed pairs; met: 7 (planted 7: exact); ties formed: 5 (planted 4, plus ties formed anyway)'
    """
    programs = evaluation.get("programs") or {}
    if len(programs) != 1:
        return f"evaluate judged {len(programs)} programs, expected 1"
    found = next(iter(programs.values()))
    met, planted = found.get("met"), truth.get("met")
    exact = "exact" if met == planted else "DIFFERS"
    return (
        f"{found.get('pairs'):,} committed pairs; met: {met:,} (planted {planted:,}: {exact}); "
        f"ties formed: {found.get('ties_formed'):,} (planted {truth.get('ties'):,}, plus ties "
        "formed anyway)"
    )


def run(ctx: StageContext) -> StageResult:
    """Measure ``matcher evaluate`` on a committed period (see the module docstring)."""
    result = StageResult()
    work = ctx.runs_dir / STAGE
    program, label = _program(ctx)
    result.setup, record = _prepare(ctx, work, program)
    job = _job(ctx, work, label)
    ctx.log(f"evaluate: 1 workload, {job.runs} runs")
    run_round_robin([job], root=ctx.root, log=ctx.log)
    figure = job.figure
    truth = record["truth"]
    evaluation = read_json(work / "out" / "run-0" / "evaluation.json")
    figure.note = found_note(evaluation, truth) if evaluation else "no evaluation.json"
    steps = median_steps_of(job)
    if steps:
        shown = ", ".join(f"{name} {value:.3g} s" for name, value in steps.items())
        figure.note += f"; its own step times (median): {shown}"
    rates = ", ".join(f"{name} {value:g}" for name, value in truth["rates"].items())
    result.notes.append(
        f"run {record['run_id']} of `{shown_path(program, ctx.root)}` committed; the "
        f"quarter after ({truth['start']} to {truth['end']}, {truth['interaction_rows']:,} "
        f"interaction rows) planted with {rates}, seed {truth['seed']}"
    )
    if job.runs < MAX_RUNS:
        result.notes.append(f"{job.runs} run(s) of matcher evaluate at this size (`--repeat`)")
    result.figures = [figure]
    result.targets = _targets(ctx, figure)
    return result


def _targets(ctx: StageContext, figure: Figure) -> list[Target]:
    employees = ctx.org.info.employees
    return [at_most(BY_KEY["evaluate-l-time"], figure.median_seconds, employees)]
