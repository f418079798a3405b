"""``matcher validate``: check input files and program files without solving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.analysis.isolation import analyze
from matcher.assignment.compile import compile_program
from matcher.assignment.population import population
from matcher.assignment.repeats import History
from matcher.errors import DataError, MatcherError, Problem
from matcher.io.load import load_employees, load_interactions, load_org
from matcher.io.programs import load_program_file
from matcher.io.tables import iter_batches


def _kind(path: Path) -> str:
    first = next(iter_batches(path, ()), None)
    names = set(first.data.schema.names) if first else set()
    if {"source", "target"} <= names:
        return "interactions"
    if "id" in names:
        return "employees"
    raise DataError(
        [
            Problem(
                str(path),
                1,
                None,
                "not recognised: an employees file needs an 'id' column, "
                "an interactions file 'source', 'target' and 'timestamp'",
            )
        ]
    )


def check_program_file(path: Path) -> int:
    """Check a program file as ``matcher assign`` does before it solves; return its programs.

    The file is parsed and validated; when its employees file exists, the data is loaded and
    analysed and every program compiled (selectors, capacities, rules needing columns, must
    and never pairs), so that ``validate`` passes what ``assign`` accepts. Nothing is solved.
    """
    parsed = load_program_file(path)
    data = parsed.data
    if not Path(data.employees).is_file():
        raise DataError(
            [Problem(str(path), None, "data.employees", f"file not found: {data.employees}")]
        )
    org, _ = load_org(data.employees, data.interactions, as_of=data.as_of)
    pop = population(org, analyze(org, parsed.analysis))
    for spec in parsed.program:
        compile_program(spec, pop, History.empty(len(org)))
    return len(parsed.program)


def validate_files(files: list[Path], employees: Path | None) -> dict[str, Any]:
    """Validate every file; raise one :class:`MatcherError` listing all problems found."""
    problems: list[Problem] = []
    total = 0
    messages: list[str] = []
    checked: list[dict[str, Any]] = []
    known: list[str] | None = None
    opted: list[str] = []
    if employees is not None:
        people = load_employees(employees)
        known = [e.id for e in people if not e.opt_out]
        opted = [e.id for e in people if e.opt_out]
    for path in files:
        try:
            if path.suffix.lower() == ".toml":
                checked.append(
                    {"file": str(path), "kind": "program file", "rows": check_program_file(path)}
                )
                continue
            kind = _kind(path)
            if kind == "employees":
                rows = len(load_employees(path))
            else:
                loaded = load_interactions(path, known, opted_out=opted)
                rows = loaded.report.interaction_rows
            checked.append({"file": str(path), "kind": kind, "rows": rows})
        except DataError as exc:
            problems.extend(exc.problems)
            total += exc.total
        except MatcherError as exc:
            messages.append(str(exc))
    if problems or messages:
        text = "\n".join([*([str(DataError(problems, total))] if problems else []), *messages])
        raise MatcherError(text)
    return {"files": checked, "ok": True}
