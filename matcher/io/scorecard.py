"""The outputs of ``matcher evaluate``: ``evaluation.json``, ``scorecard.csv`` and
``scorecard.html``, written atomically (all or none).

No file names a person: the figures are counts and shares of groups (those under the minimum
group size suppressed), and the outcome of each pair goes to the history database only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matcher.evaluation.outcomes import Window
from matcher.evaluation.scorecard import MIN_GROUP, ORG, Card
from matcher.io.scoreanswer import answer
from matcher.io.scorehtml import scorecard_html
from matcher.io.write import MANIFEST, OutputDir
from matcher.privacy import Pseudonymizer

SCORECARD_FILES = frozenset(("evaluation.json", "scorecard.csv", "scorecard.html", MANIFEST))
CSV_COLUMNS = ("period", "program", "metric", "value", "ci_low", "ci_high")


@dataclass(frozen=True)
class PeriodCard:
    """The figures of one period: a card per program and the org-wide card."""

    period: str
    window: Window
    before: str | None
    """Where the state before the period came from (``None``: no data from before)."""
    programs: dict[str, Card]
    org: Card

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "window": {
                "start": self.window.start.isoformat(),
                "as_of": self.window.end.isoformat(),
            },
            "before": self.before,
            "programs": {name: card.block for name, card in self.programs.items()},
            "org": self.org.block,
        }


def scorecard_rows(cards: Sequence[PeriodCard]) -> list[tuple[object, ...]]:
    """The long rows of ``scorecard.csv``: period, program, metric, value, ci_low, ci_high."""
    rows: list[tuple[object, ...]] = []
    for card in cards:
        for name, program in card.programs.items():
            rows += [(card.period, name, *row) for row in program.rows]
        rows += [(card.period, ORG, *row) for row in card.org.rows]
    return rows


def write_scorecard(
    out: OutputDir,
    cards: Sequence[PeriodCard],
    summary: dict[str, Any],
    pseudonymizer: Pseudonymizer | None = None,
    ids: Sequence[str] = (),
) -> dict[str, Any]:
    """Write the three files into ``out`` (a staged folder: the caller publishes it); return
    what ``evaluation.json`` holds.

    The last period's figures sit at the top level (``period``, ``programs``, ``org``);
    ``periods`` holds every period evaluated, oldest first. With ``pseudonymizer``, any
    employee id in free text is replaced by its pseudonym.
    """
    if not cards:
        raise ValueError("nothing to write: no period was evaluated")
    last = cards[-1].as_dict()
    sentences = answer(cards)
    data: dict[str, Any] = {
        **last,
        "answer": sentences,
        "periods": [card.as_dict() for card in cards],
        **summary,
        "min_group_size": MIN_GROUP,
        "files": sorted(SCORECARD_FILES - {MANIFEST}),
    }
    rows = scorecard_rows(cards)
    if pseudonymizer is not None:
        scrub = pseudonymizer.scrubber(ids)
        data = scrub.deep(data)
        sentences = [scrub(s) for s in sentences]
    page = scorecard_html(cards, sentences, data)
    out.write_json("evaluation.json", data)
    out.write_csv("scorecard.csv", CSV_COLUMNS, rows)
    with out.path("scorecard.html").open("w", encoding="utf-8") as handle:
        handle.write(page)
    return data
