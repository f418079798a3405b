"""assign_programs reports each program as it finishes (the command line's progress bar)."""

from __future__ import annotations

from matcher.analysis.isolation import analyze
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.run import assign_programs
from matcher.model import Employee, Org


def test_on_program_done_counts_every_program_in_order() -> None:
    """A pair program, a circle program and another pair program: three calls, after each
    solve, with the running count and the total."""
    people = [Employee(id=f"S{k}", roles=("mentee", "circle")) for k in range(3)]
    people += [Employee(id=f"M{k}", roles=("mentor", "circle")) for k in range(3)]
    org = Org(people)
    specs = [
        ProgramSpec.model_validate({"name": "m1", "kind": "mentor", "period": "2026Q4"}),
        ProgramSpec.model_validate(
            {"name": "c", "kind": "circle", "period": "2026Q4", "group_size": {"min": 3, "max": 3}}
        ),
        ProgramSpec.model_validate({"name": "m2", "kind": "mentor", "period": "2027Q1"}),
    ]
    calls: list[tuple[int, int]] = []
    results = assign_programs(
        org,
        analyze(org),
        specs,
        on_program_done=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert [r.spec.name for r in results] == ["m1", "c", "m2"]
    assert all(r.solution.status == "optimal" for r in results)
