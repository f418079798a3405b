"""What the independent check of every assign result costs (``python -m benchmarks certify``).

``matcher assign`` checks each solution before writing it: the rule checker
(:func:`matcher.checks.check_assignment`, on every pair) and, for flow solutions, the optimality
certificate over all eligible pairs (:func:`matcher.certificate.certify_flow`: no augmenting
path, non-negative reduced costs). This measures both against the solve they check, on:

* ``mentoring``: a mentoring program with the contract's rules on a generated org (the assign
  stage's shape: at ``--size L`` 20,000 mentees × 5,000 mentors of a 100,000-person org);
* ``penalty-only``: 2,400 mentees × 1,000 mentors (2.4M eligible pairs, above the pruning
  threshold), ``same_office = "avoided"`` and every other weight 0, the instance on which the
  pruned flow once lost coverage while claiming optimality.

Each figure is the median of ``--repeat`` runs in this process; the certificate's target is at
most 10% of the solve.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import matcher.assignment.solve.flow as solver_module
from benchmarks.targets import BY_KEY
from matcher.analysis.isolation import analyze
from matcher.assignment.certificate import certify_flow
from matcher.assignment.compile import compile_program
from matcher.assignment.population import population
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.repeats import History
from matcher.assignment.run import verify
from matcher.assignment.solve import SolveOptions, solve
from matcher.io.load import load_org
from matcher.io.write import atomic_output
from matcher.model import Employee, Org
from matcher.synthetic.generate import generate_org

SIZES = {"S": (2_000, 1_000, 200), "M": (20_000, 2_000, 500), "L": (100_000, 20_000, 5_000)}
"""Org size, mentees and mentors per ``--size``."""

ZERO_WEIGHTS = {
    name: 0.0
    for name in (
        "interests",
        "skills",
        "overlap_hours",
        "bridging",
        "existing_tie",
        "repeat",
        "isolation_priority",
    )
}


def _median(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def mentoring_instance(size: str, seed: int) -> tuple[Org, Any, ProgramSpec]:
    employees, mentees, mentors = SIZES[size]
    generated = generate_org(employees, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        with atomic_output(folder) as out:
            out.write_table("employees.csv", generated.employees)
            out.write_table("interactions.csv", generated.interactions)
        org, _ = load_org(Path(folder) / "employees.csv", Path(folder) / "interactions.csv")
    analysis = analyze(org)
    rng = np.random.default_rng(seed)
    ids = [e.id for e in org.employees]
    order = rng.permutation(len(ids))
    seekers = [ids[k] for k in order[:mentees]]
    providers = [ids[k] for k in order[mentees : mentees + mentors]]
    spec = ProgramSpec.model_validate(
        {
            "name": "mentoring",
            "kind": "mentor",
            "period": "2026Q4",
            "seekers": {"ids": seekers},
            "providers": {"ids": providers},
            "capacity": {"default": 4},
            "rules": {  # the mentoring contract's rules, as in the assign stage
                "same_team": "forbidden",
                "reporting_line": "forbidden",
                "same_department": "avoided",
                "shared_language": "required",
                "min_level_gap": 1,
                "min_overlap_hours": 2,
            },
        }
    )
    return org, analysis, spec


def penalty_only_instance(mentees: int, mentors: int, seed: int) -> tuple[Org, Any, ProgramSpec]:
    rng = np.random.default_rng(seed)
    offices = ["hq", "home", "north"]
    people = [
        Employee(
            id=f"S{k}",
            roles=("mentee",),
            attributes={"office": offices[int(rng.integers(3))]},
        )
        for k in range(mentees)
    ]
    people += [
        Employee(
            id=f"M{k}",
            roles=("mentor",),
            attributes={"office": offices[int(rng.integers(3))]},
        )
        for k in range(mentors)
    ]
    org = Org(people)
    org.as_of = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    spec = ProgramSpec.model_validate(
        {
            "name": "penalty-only",
            "kind": "mentor",
            "period": "2026Q4",
            "capacity": {"default": 1},
            "rules": {"same_office": "avoided"},
            "weights": {"preferences": 1.0, **ZERO_WEIGHTS},
        }
    )
    return org, analyze(org), spec


def measure(name: str, org: Org, analysis: Any, spec: ProgramSpec, repeat: int) -> dict[str, Any]:
    problem = compile_program(spec, population(org, analysis), History.empty(len(org)), threads=2)
    options = SolveOptions(time_limit=600)
    pruned = problem.arcs > options.prune_above
    # below the pruning threshold the final potentials exist only for the certificate: time them
    spent: list[float] = []
    original = solver_module._potentials

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    solver_module._potentials = timed  # type: ignore[assignment]
    try:
        solve_s, solution = _median(lambda: solve(problem, options), repeat)
    finally:
        solver_module._potentials = original
    potentials_s = 0.0 if pruned else statistics.median(spent or [0.0])
    assert solution.potentials is not None, "expected a flow solution"
    certify_s, failures = _median(
        lambda: certify_flow(problem, solution.pairs, solution.potentials), repeat
    )
    verify_s, _ = _median(lambda: verify(problem, solution, org), repeat)
    solve_only = solve_s - potentials_s
    return {
        "instance": name,
        "eligible_pairs": problem.arcs,
        "pairs": len(solution.pairs),
        "status": solution.status,
        "certified": not failures,
        "solve_s": solve_only,
        "potentials_s": potentials_s,
        "certify_s": certify_s,
        "verify_s": verify_s,  # checker and certificate together, as assign runs them
        "certificate_share": (potentials_s + certify_s) / solve_only,
        "all_share": (potentials_s + verify_s) / solve_only,
    }


def run_certify(size: str, seed: int, repeat: int) -> list[dict[str, Any]]:
    rows = [measure(f"mentoring {size}", *mentoring_instance(size, seed), repeat)]
    rows.append(measure("penalty-only 2.4M", *penalty_only_instance(2_400, 1_000, seed), repeat))
    return rows


def render(rows: list[dict[str, Any]], command: str) -> str:
    lines = [
        f"command: {command}",
        "",
        "Medians of each run. *solve*: the solve without what only the certificate needs; "
        "*potentials*: the final node potentials, computed for the certificate alone below the "
        "pruning threshold (above it the pricing computes them anyway); *certify*: "
        "`certify_flow`; *checker + certify*: `matcher.assign.verify`, as `assign` runs it.",
        "",
        "| instance | eligible pairs | pairs | status | certified | solve s | potentials s "
        "| certify s | checker + certify s | certificate / solve | all checks / solve |",
        "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    limit = BY_KEY["certify-share"].threshold
    for r in rows:
        met = "met" if r["certificate_share"] <= limit else "missed"
        lines.append(
            f"| {r['instance']} | {r['eligible_pairs']:,} | {r['pairs']:,} | {r['status']} "
            f"| {'yes' if r['certified'] else 'NO'} | {r['solve_s']:.2f} | {r['potentials_s']:.2f} "
            f"| {r['certify_s']:.2f} | {r['verify_s']:.2f} "
            f"| {r['certificate_share']:.1%} ({met}: ≤ {limit:.0%}) | {r['all_share']:.1%} |"
        )
    return "\n".join(lines)
