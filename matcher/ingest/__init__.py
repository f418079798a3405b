"""Real data in: Slack exports, iCalendar files, Microsoft Graph dumps, HRIS reports, surveys.

``matcher ingest`` (:mod:`matcher.cli.ingest`) reads exports as their owners produce them
and writes the contract's ``interactions.csv`` (or, from an HRIS report, ``employees.csv``).
Only metadata is kept: who, when, on which channel, for how long; never message text or
meeting subjects. People are matched across sources by e-mail address (case-insensitive,
with configurable aliases); whoever cannot be matched is counted and listed, never guessed.

Modules: :mod:`~matcher.ingest.records` (what readers yield), one reader per source
(:mod:`~matcher.ingest.slack`, :mod:`~matcher.ingest.ics`, :mod:`~matcher.ingest.msgraph`,
:mod:`~matcher.ingest.hris`), :mod:`~matcher.ingest.identity` (e-mail → employee id),
:mod:`~matcher.ingest.rows` (events → rows), :mod:`~matcher.ingest.output` (deduplicated,
atomic, appendable writing) and :mod:`~matcher.ingest.pipeline` (one run).
Forms exports (Microsoft Forms, Google Forms, Qualtrics) become ``survey.csv`` through
:mod:`matcher.ingest.survey`.
"""

from __future__ import annotations

from matcher.ingest.identity import Aliases, Directory, load_directory
from matcher.ingest.pipeline import (
    IngestReport,
    ReadOptions,
    SourceReport,
    detect_kind,
    ingest_interactions,
)
from matcher.ingest.records import Event, Kind, Person, Window

__all__ = [
    "Aliases",
    "Directory",
    "Event",
    "IngestReport",
    "Kind",
    "Person",
    "ReadOptions",
    "SourceReport",
    "Window",
    "detect_kind",
    "ingest_interactions",
    "load_directory",
]
