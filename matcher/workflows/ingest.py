"""``matcher ingest``: exports in; ``interactions.csv`` (or, from an HRIS report,
``employees.csv``) out."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.config import AnalysisConfig
from matcher.errors import UsageProblem
from matcher.ingest.hris import HrisResult, load_mapping, pseudonymized, read_hris
from matcher.ingest.identity import load_directory
from matcher.ingest.pipeline import IngestReport, ReadOptions, detect_kind, ingest_interactions
from matcher.ingest.records import Kind, Window
from matcher.ingest.survey import SurveyReport, ingest_survey, is_survey_mapping
from matcher.io.write import write_csv_file
from matcher.privacy import Pseudonymizer
from matcher.workflows.common import Reporter, Silent

DEFAULT_BROADCAST_SIZE = int(AnalysisConfig.model_fields["broadcast_size"].default)


@dataclass(frozen=True)
class IngestRequest:
    """What ``matcher ingest`` was asked (see its ``--help`` for each option)."""

    sources: tuple[Path, ...]
    out: Path
    kind: Kind | None = None
    employees: Path | None = None
    append: bool = False
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    """Default: now."""
    broadcast_size: int | None = None
    """Default: the analysis's ``broadcast_size``."""
    channel_posts: bool = False
    reactions: bool = False
    aliases: Path | None = None
    rejects: Path | None = None
    """Default: beside ``out``, ``OUT-rejects.csv``."""
    mapping: str | None = None
    pseudonymizer: Pseudonymizer | None = None


@dataclass(frozen=True)
class InteractionsIngested:
    """What an ingest of interaction sources wrote."""

    summary: dict[str, Any]
    report: IngestReport
    rejects: Path
    unresolved_rows: int


@dataclass(frozen=True)
class SurveyIngested:
    """What an ingest of survey exports wrote."""

    report: SurveyReport

    @property
    def summary(self) -> dict[str, Any]:
        """What ``matcher ingest --json`` prints."""
        return self.report.summary()


@dataclass(frozen=True)
class EmployeesIngested:
    """What an ingest of an HRIS report wrote."""

    summary: dict[str, Any]
    result: HrisResult


def ingest_files(
    request: IngestRequest, reporter: Reporter | None = None
) -> InteractionsIngested | EmployeesIngested | SurveyIngested:
    """Read the sources (each of its recognised kind, or ``request.kind``) and write the
    contract file: interactions from Slack, calendars and Graph; employees from an HRIS
    report; ``survey.csv`` from forms exports, when the mapping has a ``[survey]`` table.

    Raises
    ------
    UsageProblem
        Options that do not fit the sources (an HRIS report with ``--employees``, …).
    DataError, ConfigError, OutputError
        Unreadable sources, a bad mapping, an output that cannot be written.
    """
    reporter = reporter or Silent()
    started = time.perf_counter()
    if request.mapping is not None and is_survey_mapping(request.mapping):
        with reporter.step(f"reading {len(request.sources)} survey export(s)"):
            return ingest_survey_exports(request)
    kinds = [request.kind or detect_kind(path) for path in request.sources]
    if Kind.HRIS in kinds:
        _check_hris_request(request, kinds)
        assert request.mapping is not None
        return ingest_hris(
            request.sources[0], request.mapping, request.out, request.pseudonymizer, started
        )
    return ingest_interaction_sources(request, kinds, reporter, started)


def _check_hris_request(request: IngestRequest, kinds: list[Kind]) -> None:
    if set(kinds) != {Kind.HRIS}:
        raise UsageProblem(
            "an HRIS report makes employees.csv: ingest it on its own, before the other sources"
        )
    for name, given in (
        ("--employees", request.employees),
        ("--append", request.append),
        ("--aliases", request.aliases),
        ("--rejects", request.rejects),
    ):
        if given:
            raise UsageProblem(f"{name} is not used with an HRIS report")
    if len(request.sources) != 1:
        raise UsageProblem("give one HRIS report at a time")
    if request.mapping is None:
        raise UsageProblem(
            "an HRIS report needs --mapping FILE (see docs/ingest.md) or --mapping workday"
        )


def ingest_hris(
    source: Path,
    mapping_spec: str,
    out: Path,
    pseudonymizer: Pseudonymizer | None = None,
    started: float | None = None,
) -> EmployeesIngested:
    """Read an HRIS report through a mapping (a file or ``workday``) into ``employees.csv``."""
    started = time.perf_counter() if started is None else started
    mapping, label = load_mapping(mapping_spec)
    result = read_hris(source, mapping)
    if pseudonymizer is not None:
        result = pseudonymized(result, pseudonymizer.pseudonym)
    write_csv_file(out, result.header, result.rows)
    summary = {
        "out": str(out),
        "mapping": label,
        "employees": len(result.rows),
        "header_row": result.header_row,
        "columns": result.columns,
        "pseudonymized": pseudonymizer is not None,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return EmployeesIngested(summary=summary, result=result)


def ingest_interaction_sources(
    request: IngestRequest, kinds: list[Kind], reporter: Reporter, started: float
) -> InteractionsIngested:
    """Slack exports, calendars and Graph dumps into ``interactions.csv``, people resolved
    by e-mail against ``request.employees``; unresolved identities in the rejects file."""
    if request.mapping is not None:
        raise UsageProblem("--mapping is only used with an HRIS report")
    if request.employees is None:
        raise UsageProblem(
            "--employees is required: people are matched to employees by e-mail address"
        )
    if request.out.suffix.lower() != ".csv":
        raise UsageProblem(f"--out must be a .csv file, found {request.out.name!r}")
    end = request.end or dt.datetime.now(dt.UTC).replace(microsecond=0)
    if request.start is not None and request.start >= end:
        raise UsageProblem("--start must come before --end")
    rejects = request.rejects or request.out.with_name(f"{request.out.stem}-rejects.csv")
    if rejects.resolve() == request.out.resolve():
        raise UsageProblem("--rejects must differ from --out")
    with reporter.step("loading employees"):
        directory = load_directory(request.employees, request.aliases)
    options = ReadOptions(
        window=Window.of(request.start, end),
        broadcast_size=request.broadcast_size or DEFAULT_BROADCAST_SIZE,
        channel_posts=request.channel_posts,
        reactions=request.reactions,
    )
    with reporter.step(f"reading {len(request.sources)} source(s)"):
        report = ingest_interactions(
            list(zip(request.sources, kinds, strict=True)),
            directory,
            request.out,
            rejects=rejects,
            append=request.append,
            options=options,
            pseudonymizer=request.pseudonymizer,
        )
    unresolved_rows = sum(sum(s.unresolved.rows.values()) for s in report.sources)
    summary = {
        "out": str(request.out),
        "rejects": str(rejects),
        "window": {
            "start": request.start.isoformat() if request.start else None,
            "end": end.isoformat(),
        },
        "rows_added": report.written.added,
        "rows_kept": report.written.existing,
        "duplicates": report.written.duplicates,
        "unresolved_identities": report.rejects,
        "unresolved_rows": unresolved_rows,
        "pseudonymized": request.pseudonymizer is not None,
        "sources": [s.summary() for s in report.sources],
        "seconds": round(time.perf_counter() - started, 2),
    }
    return InteractionsIngested(
        summary=summary, report=report, rejects=rejects, unresolved_rows=unresolved_rows
    )


def ingest_survey_exports(request: IngestRequest) -> SurveyIngested:
    """Forms exports into ``survey.csv`` through a ``[survey]`` mapping; respondents and
    nominees resolved by e-mail against ``request.employees``; rejects beside the output."""
    assert request.mapping is not None
    for name, given in (
        ("--kind", request.kind),
        ("--append", request.append),
        ("--start", request.start),
        ("--end", request.end),
    ):
        if given:
            raise UsageProblem(f"{name} is not used with a survey export")
    if request.employees is None:
        raise UsageProblem("--employees is required: respondents are matched by e-mail address")
    if request.out.suffix.lower() != ".csv":
        raise UsageProblem(f"--out must be a .csv file, found {request.out.name!r}")
    rejects = request.rejects or request.out.with_name(f"{request.out.stem}-rejects.csv")
    if rejects.resolve() == request.out.resolve():
        raise UsageProblem("--rejects must differ from --out")
    report = ingest_survey(
        request.sources,
        Path(request.mapping),
        employees=request.employees,
        aliases=request.aliases,
        out=request.out,
        rejects=rejects,
        pseudonymizer=request.pseudonymizer,
    )
    return SurveyIngested(report=report)
