"""Responses to ``survey.csv`` rows: who answered, the latest answer, whom they named.

Identity is the one every source uses (:mod:`matcher.ingest.identity`): an e-mail address
matched case-insensitively, directly or through an alias, or an employee id. The steps, in
order, each counting what it leaves out:

1. identical responses (an export given twice, or overlapping exports) count once;
2. a response whose respondent is not an employee is rejected (listed); an opted-out
   employee's response is left out (counted only: their data is not used);
3. of one person's responses the latest wins; the others are *replaced* (counted). Two
   different responses at the very same second are ordered by their content, so the result
   never depends on the order of the files or rows;
4. the winning response's nominees are resolved: non-employees and the respondent themselves
   are rejected (listed), opted-out employees left out (counted), a person named twice kept once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from matcher.ingest.identity import Directory, normalise_email
from matcher.ingest.records import Person
from matcher.ingest.survey.export import Response

SURVEY_HEADER = ("respondent_id", "submitted", "has_someone", "turn_to")
REJECTS_HEADER = ("file", "row", "respondent", "respondent_id", "nominee", "reason")

NO_RESPONDENT = "unknown respondent: the response names no one (anonymous)"
UNKNOWN_RESPONDENT = "unknown respondent: not an employee's e-mail address or id"
UNKNOWN_NOMINEE = "unknown nominee: not an employee's e-mail address or id"
SELF_NOMINATION = "self-nomination"
OPTED_OUT_RESPONDENT = "responses from opted-out employees"
OPTED_OUT_NOMINEE = "nominations of opted-out employees"
NAMED_TWICE = "nominees named twice in one response"
DUPLICATE = "identical responses read more than once"
ANONYMOUS = {"", "anonymous"}  # Microsoft Forms writes "anonymous"


@dataclass(frozen=True, slots=True)
class Reject:
    """One rejected response or nomination, as listed in ``survey-rejects.csv``."""

    file: str
    row: int
    respondent: str
    respondent_id: str
    nominee: str
    reason: str


@dataclass
class SurveyRows:
    """The rows of ``survey.csv`` (respondent id → row), the rejects and the counts."""

    rows: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    responses: int = 0
    replaced: int = 0
    left_out: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)

    def count(self, reason: str) -> int:
        return sum(1 for r in self.rejects if r.reason == reason)


class People:
    """Resolve what a survey cell names: an e-mail address (with aliases) or an employee id."""

    def __init__(self, directory: Directory, ids: Iterable[str]) -> None:
        self.directory = directory
        self.ids = frozenset(ids)

    def resolve(self, text: str) -> tuple[str | None, bool]:
        """``(employee id or None, opted out)``.

        >>> from matcher.ingest.identity import Aliases
        >>> from matcher.model import Employee
        >>> staff = [Employee(id="E1", email="ada@example.com"), Employee(id="E2", opt_out=True, email="b@example.com")]
        >>> people = People(Directory(staff, Aliases.none(), "employees.csv"), ["E1", "E2"])
        >>> people.resolve("ADA@example.com"), people.resolve("E2"), people.resolve("E9")
        (('E1', False), ('E2', True), (None, False))
        """
        text = text.strip()
        if not text:
            return None, False
        is_address = "@" in text
        found = self.directory.resolve(Person(text, normalise_email(text) if is_address else None))
        identity = found.id
        if identity is None and not is_address and text in self.ids:
            identity = text
        if identity is None:
            return None, False
        return identity, identity in self.directory.opted_out


def _content(response: Response) -> tuple[str, dt.datetime, str, tuple[str, ...]]:
    """What makes two responses the same response."""
    answer = {True: "true", False: "false", None: ""}[response.has_someone]
    return (
        normalise_email(response.respondent),
        response.submitted,
        answer,
        tuple(normalise_email(n) for n in response.nominees),
    )


def _order(response: Response) -> tuple[dt.datetime, str, tuple[str, ...]]:
    """Later wins; at the same second, the larger content (any fixed order would do)."""
    _, submitted, answer, nominees = _content(response)
    return submitted, answer, nominees


def survey_rows(responses: Iterable[Response], people: People) -> SurveyRows:
    """Resolve, deduplicate and keep each respondent's latest response (see the module notes)."""
    result = SurveyRows()
    latest = _latest_responses(responses, people, result)
    for identity, response in latest.items():
        named = _nominees(identity, response, people, result)
        answer = {True: "true", False: "false", None: ""}[response.has_someone]
        result.answers[
            {True: "yes", False: "no", None: "other" if response.answered else "blank"}[
                response.has_someone
            ]
        ] += 1
        result.rows[identity] = (
            identity,
            response.submitted.isoformat(),
            answer,
            ";".join(named),
        )
    result.rejects.sort(key=lambda r: (r.file, r.row))
    return result


def _latest_responses(
    responses: Iterable[Response], people: People, result: SurveyRows
) -> dict[str, Response]:
    """Each known respondent's latest response, by employee id; duplicates, opted-out and
    unknown respondents and replaced responses are counted (or rejected) in ``result``."""
    seen: set[tuple[str, dt.datetime, str, tuple[str, ...]]] = set()
    latest: dict[str, Response] = {}
    for response in responses:
        result.responses += 1
        content = _content(response)
        if content in seen:
            result.left_out[DUPLICATE] += 1
            continue
        seen.add(content)
        identity, opted_out = people.resolve(response.respondent)
        if identity is None:
            anonymous = response.respondent.strip().casefold() in ANONYMOUS
            why = NO_RESPONDENT if anonymous else UNKNOWN_RESPONDENT
            result.rejects.append(
                Reject(response.file, response.row, response.respondent, "", "", why)
            )
            continue
        if opted_out:
            result.left_out[OPTED_OUT_RESPONDENT] += 1
            continue
        before = latest.get(identity)
        if before is not None:
            result.replaced += 1
            if _order(before) >= _order(response):
                continue
        latest[identity] = response
    return latest


def _nominees(identity: str, response: Response, people: People, result: SurveyRows) -> list[str]:
    """The employees a response names, in order, each once; unknown and self-nominations are
    rejected, opted-out and repeated ones counted, in ``result``."""
    named: list[str] = []
    for nominee in response.nominees:
        other, opted_out = people.resolve(nominee)
        reason: str | None = None
        if other is None:
            reason = UNKNOWN_NOMINEE
        elif other == identity:
            reason = SELF_NOMINATION
        elif opted_out:
            result.left_out[OPTED_OUT_NOMINEE] += 1
        elif other in named:
            result.left_out[NAMED_TWICE] += 1
        else:
            named.append(other)
        if reason is not None:
            result.rejects.append(
                Reject(response.file, response.row, response.respondent, identity, nominee, reason)
            )
    return named
