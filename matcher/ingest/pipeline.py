"""Run an ingest: recognise each source, read its events, resolve people, write the outputs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from matcher.errors import DataError, Problem
from matcher.ingest.ics import IcsReader
from matcher.ingest.identity import Directory
from matcher.ingest.msgraph import GraphReader
from matcher.ingest.output import InteractionWriter, WriteReport
from matcher.ingest.records import Event, Kind, Tally, Window
from matcher.ingest.rows import Row, RowBuilder, Unresolved
from matcher.ingest.slack import SlackReader, is_slack_export
from matcher.ingest.zipstream import ZipError, ZipReader
from matcher.privacy import Pseudonymizer

CALENDAR_SUFFIXES = {".ics", ".ical", ".ifb", ".icalendar"}
GRAPH_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SHEET_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".tsv"}


def detect_kind(path: Path) -> Kind:
    """The kind of a source from its shape: a Slack export has ``users.json``; a calendar is
    ``.ics``; a Graph dump is JSON; an HRIS report is a spreadsheet.

    Raises
    ------
    DataError
        When the path does not exist or its kind cannot be told (pass ``--kind``).
    """
    if not path.exists():
        raise DataError([Problem(str(path), None, None, "file or folder not found")])
    if is_slack_export(path):
        return Kind.SLACK
    suffix = path.suffix.lower()
    names: list[str] = []
    if path.is_dir():
        names = [p.name for p in path.rglob("*") if p.is_file()]
    elif suffix == ".zip":
        try:
            with ZipReader(path, check=False) as archive:  # names only: nothing is read
                names = [entry.name for entry in archive.entries()]
        except (ZipError, OSError) as exc:
            raise DataError(
                [Problem(str(path), None, None, f"cannot be read as a zip file: {exc}")]
            ) from exc
    else:
        names = [path.name]
    suffixes = {Path(n).suffix.lower() for n in names}
    if suffixes & CALENDAR_SUFFIXES and suffixes & GRAPH_SUFFIXES:
        raise DataError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    "holds both calendar (.ics) and JSON files; give them as separate sources or pass --kind",
                )
            ]
        )
    if suffixes & CALENDAR_SUFFIXES:
        return Kind.ICS
    if suffix != ".zip" and suffixes & GRAPH_SUFFIXES:
        return Kind.GRAPH
    if not path.is_dir() and suffix in SHEET_SUFFIXES:
        return Kind.HRIS
    raise DataError(
        [
            Problem(
                str(path),
                None,
                None,
                "cannot tell what kind of export this is; pass --kind slack, ics, graph or hris",
            )
        ]
    )


@dataclass(frozen=True)
class ReadOptions:
    """How events are read and which are kept."""

    window: Window = field(default_factory=Window)
    broadcast_size: int = 25
    channel_posts: bool = False
    reactions: bool = False


@dataclass
class SourceReport:
    """What one source gave: events read, rows produced, what was left out and why."""

    file: str
    kind: str
    events: int = 0
    rows: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    unresolved: Unresolved = field(default_factory=Unresolved)

    def summary(self) -> dict[str, object]:
        return {
            "file": self.file,
            "kind": self.kind,
            "events": self.events,
            "rows": self.rows,
            "skipped": dict(sorted(self.skipped.items())),
            "unresolved_identities": len(self.unresolved),
            "unresolved_rows": sum(self.unresolved.rows.values()),
        }


@dataclass
class IngestReport:
    """The whole run: per source, the written file, the rejects."""

    sources: list[SourceReport]
    written: WriteReport
    rejects: int


def _reader_events(path: Path, kind: Kind, options: ReadOptions) -> tuple[Iterator[Event], Tally]:
    if kind is Kind.SLACK:
        slack = SlackReader(
            path,
            window=options.window,
            channel_posts=options.channel_posts,
            reactions=options.reactions,
        )
        return slack.events(), slack.tally
    if kind is Kind.ICS:
        calendar = IcsReader(path, window=options.window)
        return calendar.events(), calendar.tally
    if kind is Kind.GRAPH:
        graph = GraphReader(path)
        return graph.events(), graph.tally
    raise ValueError(f"{kind} sources do not hold interactions")


def iter_rows(
    sources: list[tuple[Path, Kind]],
    directory: Directory,
    options: ReadOptions,
    reports: list[SourceReport],
    pseudonymizer: Pseudonymizer | None = None,
) -> Iterator[Row]:
    """The rows of every source in turn; a :class:`SourceReport` is appended as each finishes."""
    for path, kind in sources:
        events, tally = _reader_events(path, kind, options)
        builder = RowBuilder(
            kind.value,
            directory,
            window=options.window,
            broadcast_size=options.broadcast_size,
            pseudonymizer=pseudonymizer,
        )
        report = SourceReport(str(path), kind.value)
        for row in builder.rows(events):
            report.rows += 1
            yield row
        tally.merge(builder.tally)
        report.events = builder.events
        report.skipped = dict(tally.skipped)
        report.unresolved = builder.unresolved
        reports.append(report)


def ingest_interactions(
    sources: list[tuple[Path, Kind]],
    directory: Directory,
    out: Path,
    *,
    rejects: Path | None,
    append: bool = False,
    options: ReadOptions | None = None,
    pseudonymizer: Pseudonymizer | None = None,
) -> IngestReport:
    """Read ``sources`` and write ``out`` (``interactions.csv``) and the rejects file.

    Both files are replaced only when every source was read without error. With ``append``
    the rows already in ``out`` are kept and only new rows are added (see
    :func:`matcher.ingest.output.row_key`).
    """
    options = options or ReadOptions()
    reports: list[SourceReport] = []
    with InteractionWriter(out, rejects, append=append) as writer:
        written = writer.write(iter_rows(sources, directory, options, reports, pseudonymizer))
        listed = writer.write_rejects(
            [(r.file, r.kind, r.unresolved) for r in reports], pseudonymizer
        )
    return IngestReport(reports, written, listed)
