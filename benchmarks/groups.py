"""Groups and rounds (#15): peer pairing at scale, circles and a multi-round plan, each against
random groups (what chat bots do) and a greedy baseline in the same run.

``python -m benchmarks groups [--repeat 3] [--only peer-1000 ...]`` generates the orgs it needs
into ``benchmarks/work/groups/`` (``matcher generate``), compiles each program once (not
timed), then times matcher's solve (:func:`matcher.assignment.solve.solve` or
``solve_groups``) and the two baselines on the same compiled pairs, run by run (interleaved,
so the machine's noise falls on all of them), and prints a Markdown page: medians over the
runs, each baseline's score as a share of matcher's in the same run, and every target met or
missed. Baselines: **random** shuffles the people and cuts the list into groups of the target
sizes (pairs for peer programs), ignoring every rule; its score counts eligible pairs only and
its rule breaks (pairs that are not eligible, or met before in the plan) are counted. **greedy**
builds each round's groups one at a time, the best-scoring eligible person next (pairs: best
score first), no pair twice.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work" / "groups"


@dataclass(frozen=True)
class Workload:
    """One program to plan: kind, people, group sizes, rounds, time limit, its target."""

    key: str
    kind: str
    people: int
    size: tuple[int, int]
    rounds: int
    time_limit: float
    target: str
    met: Callable[[dict[str, float]], bool]


WORKLOADS = (
    Workload(
        "peer-1000",
        "peer",
        1_000,
        (2, 2),
        1,
        60.0,
        "proven optimum in ≤ 10 s",
        lambda m: m["optimal"] == 1 and m["seconds"] <= 10,
    ),
    Workload(
        "peer-10000",
        "peer",
        10_000,
        (2, 2),
        1,
        60.0,
        "certified gap ≤ 0.5% in ≤ 60 s",
        lambda m: m["gap"] <= 0.005 and m["seconds"] <= 60,
    ),
    Workload(
        "circles-2000",
        "circle",
        2_000,
        (4, 6),
        1,
        60.0,
        "certified gap ≤ 2% in ≤ 60 s",
        lambda m: m["gap"] <= 0.02 and m["seconds"] <= 60,
    ),
    Workload(
        "rounds-200",
        "circle",
        200,
        (4, 6),
        12,
        60.0,
        "12 rounds, no pair twice, placing and scoring at least the greedy baseline",
        lambda m: (
            m["repeats"] == 0
            and m["placed_share"] >= m["greedy_placed"]
            and m["greedy_ratio"] <= 1.0
        ),
    ),
)


@dataclass
class Runs:
    """Figures of one workload, one list per figure, a value per run."""

    figures: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, who: str, values: dict[str, float]) -> None:
        mine = self.figures.setdefault(who, {})
        for name, value in values.items():
            mine.setdefault(name, []).append(float(value))

    def median(self, who: str, name: str) -> float:
        return statistics.median(self.figures[who][name])


def _org(employees: int, seed: int) -> Path:
    """A generated org in the work folder (made once)."""
    folder = WORK / f"org-{employees}-seed{seed}"
    if not (folder / "interactions.csv").exists():
        subprocess.run(
            [
                *(sys.executable, "-m", "matcher.cli", "generate"),
                *("--employees", str(employees), "--seed", str(seed)),
                *("--out", str(folder), "--quiet"),
            ],
            check=True,
            cwd=ROOT,
        )
    return folder


def _compile(work: Workload, seed: int) -> object:
    """The workload's program compiled on the first ``people`` employees of a generated org
    (1.25 times as many, so that a few are opted out or left without partners)."""
    from matcher.analysis.isolation import analyze
    from matcher.assignment.compile import compile_program
    from matcher.assignment.population import population
    from matcher.assignment.programs import ProgramSpec
    from matcher.assignment.repeats import History
    from matcher.io.load.org import load_org

    folder = _org(max(int(work.people * 1.25), 50), seed)
    org, _ = load_org(folder / "employees.csv", folder / "interactions.csv")
    pop = population(org, analyze(org))
    ids = [e.id for e in org.employees][: work.people]
    rules: dict[str, object] = {
        "reporting_line": "forbidden",
        "shared_language": "required",
        "min_overlap_hours": 2,
    }
    fields: dict[str, object] = {
        "name": work.key,
        "kind": work.kind,
        "period": "2026Q4",
        "seekers": {"ids": ids},
        "rounds": work.rounds,
        "rules": rules,
    }
    if work.kind == "circle":
        fields["group_size"] = {"min": work.size[0], "max": work.size[1]}
        rules["max_same_team_per_group"] = 2
    if work.rounds > 1:
        rules["no_repeat_pairs"] = "required"
    spec = ProgramSpec.model_validate(fields)
    return compile_program(spec, pop, History.empty(len(org)), top_per_seeker=40)


def _plan_value(
    n: int, score: np.ndarray, eligible: np.ndarray, plan: list[list[list[int]]]
) -> dict[str, float]:
    """Score (eligible pairs only), rule breaks, repeats and placements of a plan."""
    total, breaks, repeats, placed = 0.0, 0, 0, 0
    met = np.zeros((n, n), dtype=bool)
    for groups in plan:
        for members in groups:
            placed += len(members)
            for k, i in enumerate(members):
                for j in members[k + 1 :]:
                    if eligible[i, j]:
                        total += float(score[i, j])
                    else:
                        breaks += 1
                    repeats += int(met[i, j])
                    met[i, j] = met[j, i] = True
    rounds = max(len(plan), 1)
    return {
        "score": total,
        "breaks": breaks,
        "repeats": repeats,
        "placed_share": placed / (n * rounds) if n else 1.0,
    }


def _random_plan(
    n: int, size: tuple[int, int], rounds: int, rng: np.random.Generator
) -> list[list[list[int]]]:
    """Shuffle, cut into groups of the largest size (the rest spread over them)."""
    plan = []
    for _ in range(rounds):
        order = rng.permutation(n).tolist()
        count = max(n // size[1], 1) if n >= size[0] else 0
        groups: list[list[int]] = [order[k * size[1] : (k + 1) * size[1]] for k in range(count)]
        for k, person in enumerate(order[count * size[1] :]):
            if groups and len(groups[k % count]) < size[1] + (size[0] - 1):
                groups[k % count].append(person)
        plan.append([g for g in groups if len(g) >= size[0]])
    return plan


def _greedy_plan(
    n: int, score: np.ndarray, eligible: np.ndarray, size: tuple[int, int], rounds: int
) -> list[list[list[int]]]:
    """Per round: groups one at a time, seeded by the free person with the fewest partners,
    then the free person adding the most score who is eligible with everyone in the group and
    has not met any of them."""
    met = np.zeros((n, n), dtype=bool)
    plan = []
    for _ in range(rounds):
        free = np.ones(n, dtype=bool)
        allowed = eligible & ~met
        groups = []
        for seed in np.argsort(allowed.sum(axis=1), kind="stable").tolist():
            if not free[seed]:
                continue
            members = [seed]
            fits = allowed[seed] & free
            fits[seed] = False
            while len(members) < size[1] and fits.any():
                gain = np.where(fits, score[members].sum(axis=0), -np.inf)
                pick = int(np.argmax(gain))
                members.append(pick)
                fits &= allowed[pick]
                fits[pick] = False
            if len(members) >= size[0]:
                groups.append(members)
                free[members] = False
                for i in members:
                    met[i, members] = True
                np.fill_diagonal(met, False)
        plan.append(groups)
    return plan


def _matcher_run(work: Workload, problem: object, seed: int) -> tuple[dict[str, float], list]:
    """matcher's solve: its figures and its plan (groups per round as positions)."""
    from matcher.assignment.compile import MatchingProblem
    from matcher.assignment.groups import compile_groups
    from matcher.assignment.solve import SolveOptions, solve, solve_groups

    assert isinstance(problem, MatchingProblem)
    options = SolveOptions(time_limit=work.time_limit, seed=seed)
    started = time.perf_counter()
    if problem.spec.grouped:
        solution = solve_groups(compile_groups(problem), options)
        plan = solution.groups or []
    else:
        solution = solve(problem, options)
        plan = [[[a, b] for a, b in solution.pairs]]
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "objective": solution.objective,
        "bound": solution.bound,
        "gap": solution.gap,
        "optimal": float(solution.status == "optimal"),
    }
    return figures, plan


def run_groups(only: tuple[str, ...], repeat: int, seed: int) -> str:
    """Run the workloads and return the Markdown page (without the command line)."""
    lines = [
        f"# Groups and rounds benchmark, {dt.date.today().isoformat()}",
        "",
        f"Medians over {repeat} run(s) per workload; baselines on the same compiled pairs in "
        "the same run; compile time not included. Score ratio: the baseline's score (eligible "
        "pairs only) over matcher's in the same run.",
        "",
        "| workload | people | eligible pairs | matcher s | objective | bound | gap | proven "
        "| placed | random score ratio | random rule breaks | greedy score ratio | greedy placed "
        "| target | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    summary = []
    for work in WORKLOADS:
        if only and work.key not in only:
            continue
        problem = _compile(work, seed)
        n = len(problem.seekers)  # type: ignore[attr-defined]
        a, b = problem.arc_seeker, problem.arc_provider  # type: ignore[attr-defined]
        dense = n <= 3_000
        score = np.zeros((n, n)) if dense else None
        eligible = np.zeros((n, n), dtype=bool) if dense else None
        if score is not None and eligible is not None:
            score[a, b] = score[b, a] = problem.arc_score  # type: ignore[attr-defined]
            eligible[a, b] = eligible[b, a] = True
        runs = Runs()
        for r in range(repeat):
            figures, plan = _matcher_run(work, problem, seed + r)
            if score is not None and eligible is not None:
                figures.update(
                    {k: v for k, v in _plan_value(n, score, eligible, plan).items() if k != "score"}
                )
                rng = np.random.default_rng(seed + r)
                randomly = _plan_value(
                    n, score, eligible, _random_plan(n, work.size, work.rounds, rng)
                )
                greedily = _plan_value(
                    n, score, eligible, _greedy_plan(n, score, eligible, work.size, work.rounds)
                )
                runs.add("random", {**randomly, "ratio": randomly["score"] / figures["objective"]})
                runs.add("greedy", {**greedily, "ratio": greedily["score"] / figures["objective"]})
            runs.add("matcher", figures)
            print(f"{work.key} run {r + 1}: {figures}", file=sys.stderr, flush=True)
        medians = {k: runs.median("matcher", k) for k in runs.figures["matcher"]}
        if "greedy" in runs.figures:
            medians["greedy_placed"] = runs.median("greedy", "placed_share")
            medians["greedy_ratio"] = runs.median("greedy", "ratio")
        met = work.met(medians)
        proven = sum(runs.figures["matcher"]["optimal"])

        def cell(who: str, name: str, form: str, runs: Runs = runs) -> str:
            return (
                format(runs.median(who, name), form) if name in runs.figures.get(who, {}) else "–"
            )

        lines.append(
            f"| {work.key} | {n:,} | {len(a):,} | {medians['seconds']:.1f} "
            f"| {medians['objective']:,.2f} | {medians['bound']:,.2f} | {medians['gap']:.3%} "
            f"| {proven:.0f}/{repeat} | {cell('matcher', 'placed_share', '.1%')} "
            f"| {cell('random', 'ratio', '.3f')} "
            f"| {cell('random', 'breaks', '.0f')} | {cell('greedy', 'ratio', '.3f')} "
            f"| {cell('greedy', 'placed_share', '.1%')} | {work.target} "
            f"| {'met' if met else 'MISSED'} |"
        )
        summary.append(f"{work.key}: {work.target}: {'met' if met else 'MISSED'}")
    return "\n".join([*lines, "", *summary, ""])
