"""``matcher validate``: check input files, program files and mapping files without solving.

What it passes is what the commands that read the file accept: a program file is checked as
``matcher assign`` reads it (its ``[data]`` files loaded, the survey heard, the analysis made,
every program compiled), an HRIS or survey mapping as ``matcher ingest --mapping`` reads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matcher.analysis.isolation import analyze
from matcher.assignment.compile import compile_program, missing_columns
from matcher.assignment.population import population
from matcher.assignment.repeats import History
from matcher.errors import ConfigError, DataError, MatcherError, Problem
from matcher.ingest.hris import load_mapping
from matcher.ingest.survey import load_survey_mapping
from matcher.io.configs import read_toml
from matcher.io.load import load_employees, load_interactions, load_org
from matcher.io.programs import employees_file, load_program_file
from matcher.io.tables import iter_batches
from matcher.workflows.analyze import hear_survey
from matcher.workflows.common import Silent


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


def toml_kind(path: Path) -> str:
    """What a TOML file is, by its content: ``survey mapping`` (a ``[survey]`` table), ``HRIS
    mapping`` (``[columns]`` and no programs) or ``program file``.

    Raises
    ------
    ConfigError
        When the file cannot be read as TOML.
    """
    data = read_toml(path)
    if "survey" in data and "program" not in data:
        return "survey mapping"
    if ("columns" in data or "extends" in data) and "program" not in data and "data" not in data:
        return "HRIS mapping"
    return "program file"


def check_program_file(path: Path, employees: Path | None = None) -> int:
    """Check a program file as ``matcher assign`` does before it solves; return its programs.

    The file is parsed and validated; its ``[data]`` files must exist and parse (employees,
    interactions, survey), the survey is heard as ``assign`` hears it, the org analysed, and
    then every program checked: every employee column its rules and capacity need and the
    data lacks is reported at once, for all programs, before each is compiled (selectors,
    capacities, must and never pairs). Nothing is solved. ``employees`` (``--employees``)
    replaces ``[data] employees``, as in ``matcher assign``.

    Raises
    ------
    DataError
        A ``[data]`` file that is missing (all of them named) or does not parse.
    ConfigError
        Every missing column of every program, or what compiling a program found.
    """
    parsed = load_program_file(path)
    data = parsed.data
    paths = {"employees": data.employees, "interactions": data.interactions, "survey": data.survey}
    absent = [
        Problem(str(path), None, f"data.{key}", f"file not found: {value}")
        for key, value in paths.items()
        if value is not None and not Path(value).is_file()
    ]
    if absent:
        raise DataError(absent)
    org, _ = load_org(employees_file(parsed, path, employees), data.interactions, as_of=data.as_of)
    heard = hear_survey(org, Path(data.survey) if data.survey else None, Silent())
    pop = population(org, analyze(org, parsed.analysis, heard and heard[0]))
    missing = [line for spec in parsed.program for line in missing_columns(spec, pop)]
    if missing:
        raise ConfigError(f"{path}: the employees file lacks columns:\n" + "\n".join(missing))
    failures = []
    for spec in parsed.program:
        try:
            compile_program(spec, pop, History.empty(len(org)))
        except ConfigError as exc:
            failures.append(str(exc))
    if failures:
        raise ConfigError("\n".join(failures))
    return len(parsed.program)


def _check_toml(path: Path, employees: Path | None) -> dict[str, Any]:
    kind = toml_kind(path)
    if kind == "survey mapping":
        load_survey_mapping(path)
        return {"file": str(path), "kind": kind}
    if kind == "HRIS mapping":
        mapping, _ = load_mapping(path)
        return {"file": str(path), "kind": kind, "fields": len(mapping.columns)}
    programs = check_program_file(path, employees)
    return {"file": str(path), "kind": kind, "programs": programs, "rows": programs}


def validate_files(files: list[Path], employees: Path | None) -> dict[str, Any]:
    """Validate every file; raise one :class:`MatcherError` listing all problems found.

    Returns
    -------
    dict
        ``{"files": [...], "ok": True}``: per file its ``kind`` and ``rows`` (data files),
        ``programs`` (program files) or ``fields`` (HRIS mappings).
    """
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
                checked.append(_check_toml(path, employees))
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
