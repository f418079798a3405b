"""The survey mapping (``survey.toml``): which column of a forms export holds what.

The file has one ``[survey]`` table (the contract's keys, plus ``timezone`` and ``sheet``)::

    [survey]
    respondent = "Email"
    submitted = "Completion time"
    turn_to = "Who at work do you turn to?"
    has_someone = "I have at least one person at work I can turn to"
    has_someone_yes = ["Agree", "Strongly agree"]
    has_someone_no = ["Disagree", "Strongly disagree"]

Only the columns named here are ever read from the export.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.io.configs import read_toml, validate_model

COLUMN_KEYS = ("respondent", "submitted", "turn_to", "has_someone")
"""The keys whose value is a header of the export, in the order they are looked up."""


def answer_key(text: str) -> str:
    """How answers and headers are compared: case and runs of white space ignored.

    >>> answer_key("  Strongly\\n agree ")
    'strongly agree'
    """
    return " ".join(text.split()).casefold()


class SurveyColumns(BaseModel):
    """The ``[survey]`` table: their header for each of our fields, and how to read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    respondent: str = Field(description="header of the respondent's e-mail address or employee id")
    submitted: str = Field(description="header of the submission (or completion) time")
    submitted_format: str | list[str] = Field(
        default_factory=list,
        description="strptime formats of the time, tried in order; ISO 8601 is always read",
    )
    timezone: str | None = Field(
        None,
        description="IANA zone of times written without an offset (default: Qualtrics' own "
        "timeZone when the export says it, else UTC)",
    )
    turn_to: str | None = Field(None, description="header of the nominations: e-mails or ids")
    turn_to_separator: str | None = Field(
        None, description="separator of the nominations (default: ';', ',' or a line break)"
    )
    has_someone: str | None = Field(None, description="header of the 'I have someone' question")
    has_someone_yes: list[str] = Field(default_factory=list, description="answers meaning yes")
    has_someone_no: list[str] = Field(default_factory=list, description="answers meaning no")
    sheet: str | None = Field(None, description="XLSX worksheet (default: the first)")

    @field_validator("respondent", "submitted", "turn_to", "has_someone")
    @classmethod
    def _header(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the header is empty")
        return value

    @field_validator("submitted_format")
    @classmethod
    def _formats(cls, value: str | list[str]) -> str | list[str]:
        for layout in [value] if isinstance(value, str) else value:
            if "%" not in layout:
                raise ValueError(f"{layout!r} is not a strptime format (such as '%m/%d/%Y %H:%M')")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"{value!r} is not an IANA time zone such as 'Europe/Berlin'"
                ) from exc
        return value

    @field_validator("turn_to_separator")
    @classmethod
    def _separator(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError(
                "the separator is blank; leave the key out for ';', ',' or a line break"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SurveyColumns:
        if self.turn_to is None and self.has_someone is None:
            raise ValueError("name the column of turn_to, of has_someone, or both")
        if self.turn_to is None and self.turn_to_separator is not None:
            raise ValueError("turn_to_separator is given without turn_to")
        if self.has_someone is None and (self.has_someone_yes or self.has_someone_no):
            raise ValueError("has_someone_yes and has_someone_no are given without has_someone")
        if self.has_someone is not None and not (self.has_someone_yes and self.has_someone_no):
            raise ValueError(
                "has_someone needs has_someone_yes and has_someone_no: the answers that mean "
                'yes and no (such as ["Agree", "Strongly agree"]); any other answer is unknown'
            )
        both = {answer_key(a) for a in self.has_someone_yes} & {
            answer_key(a) for a in self.has_someone_no
        }
        if both:
            raise ValueError(
                f"answers listed as both yes and no: {', '.join(repr(a) for a in sorted(both))}"
            )
        counts = Counter(answer_key(h) for h in self.headers().values())
        repeated = sorted(h for h, n in counts.items() if n > 1)
        if repeated:
            raise ValueError(f"one column is named for two keys: {', '.join(map(repr, repeated))}")
        return self

    def headers(self) -> dict[str, str]:
        """Our key → their header, for the keys the mapping names."""
        return {key: header for key in COLUMN_KEYS if (header := getattr(self, key)) is not None}

    def formats(self) -> list[str]:
        layouts = self.submitted_format
        return [layouts] if isinstance(layouts, str) else list(layouts)


class SurveyMapping(BaseModel):
    """A survey mapping file: one ``[survey]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    survey: SurveyColumns


def is_survey_mapping(spec: str | Path) -> bool:
    """Whether ``--mapping`` names a TOML file with a ``[survey]`` table (else: an HRIS mapping).

    Raises
    ------
    ConfigError
        When the file exists but is not valid TOML.
    """
    path = Path(spec)
    return path.is_file() and "survey" in read_toml(path)


def load_survey_mapping(path: str | Path) -> SurveyColumns:
    """The ``[survey]`` table of a mapping file, validated.

    Raises
    ------
    ConfigError
        Located, e.g. ``survey.toml: survey.has_someone_yes: …``; unknown keys list the valid ones.
    """
    data: Any = read_toml(path)
    return validate_model(SurveyMapping, data, path).survey
