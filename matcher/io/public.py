"""What a pseudonymised output may say: reasons without dates or team names, k-anonymous
rows of ``analysis.csv``, assign outputs' free text with pseudonyms.

The mechanisms (keyed pseudonyms, scrubbing, k-anonymity) are in :mod:`matcher.privacy`;
this module applies them to an analysis and to assign results.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matcher.analysis.isolation import Analysis, PersonMetrics
from matcher.privacy import (
    Pseudonymizer,
    TextScrubber,
    k_anonymous_cells,
    tenure_band,
    tenure_edges,
)

if TYPE_CHECKING:  # assign results: importing the solver here would slow down analyze
    from matcher.assignment.run import ProgramResult

_HIRED = re.compile(r"hired \d{4}-\d{2}-\d{2} \(\d+ days before \d{4}-\d{2}-\d{2}\)")
_SURVEYED = re.compile(r"\(survey of \d{4}-\d{2}-\d{2}\)")
"""The day someone answered a survey could tell who they are: pseudonymised, it is left out."""


def public_reasons(analysis: Analysis, pseudonymizer: Pseudonymizer | None) -> Callable[[str], str]:
    """What a pseudonymised output may say of a person's reasons: no hire date or exact
    tenure, no survey date, no team name (``(withheld)``), no id. Unchanged without a
    pseudonymizer."""
    if pseudonymizer is None:
        return lambda text: text
    scrub = pseudonymizer.scrubber(
        (p.id for p in analysis.people), (t.team for t in analysis.teams)
    )
    hired = f"hired in the last {analysis.config.new_hire_days} days"
    return lambda text: scrub(_SURVEYED.sub("(in the survey)", _HIRED.sub(hired, text)))


def public_people(
    analysis: Analysis, pseudonymizer: Pseudonymizer
) -> list[tuple[PersonMetrics, str]]:
    """The rows of a pseudonymised ``analysis.csv``: each person with a pseudonym for ``id``
    and the tenure band, in pseudonym order (file order would name people).

    The exact tenure is left out (``tenure_days`` is ``None``); ``team`` and the band are made
    k-anonymous by :func:`k_anonymous_cells` (k = ``min_group_size``, the teams suppressed in
    ``teams.csv`` withheld, so that counts by team agree with it); reasons go through
    :func:`public_reasons`. Rows that cannot be made k-anonymous are left out.
    """
    people = analysis.people
    withheld = {"" if t.team == "(no team)" else t.team for t in analysis.teams if t.suppressed}
    edges = tenure_edges(analysis.config.new_hire_days)
    teams, bands, keep = k_anonymous_cells(
        [p.team for p in people],
        [tenure_band(p.tenure_days, edges) for p in people],
        withheld,
        analysis.config.min_group_size,
    )
    reasons = public_reasons(analysis, pseudonymizer)
    rows = [
        (
            dataclasses.replace(
                person,
                id=pseudonymizer.pseudonym(person.id),
                team=teams[k],
                tenure_days=None,
                reasons=reasons(person.reasons),
            ),
            bands[k],
        )
        for k, person in enumerate(people)
        if keep[k]
    ]
    rows.sort(key=lambda row: row[0].id)
    return rows


def assignment_text(results: list[ProgramResult], pseudonymizer: Pseudonymizer) -> TextScrubber:
    """Free text of pseudonymised assign outputs (conflicts, reasons, notes): every employee id
    by its pseudonym, team and department names ``(withheld)``."""
    orgs = {id(r.problem.pop.org): r.problem.pop.org for r in results}
    ids = {i for org in orgs.values() for i in org.ids}
    units = {
        name for org in orgs.values() for e in org.employees for name in (e.team, e.department)
    }
    return pseudonymizer.scrubber(ids, {u for u in units if u})


def public_summary(
    summary: dict[str, Any], results: list[ProgramResult], pseudonymizer: Pseudonymizer | None
) -> dict[str, Any]:
    """``summary`` with the free text of its program blocks and notes through
    :func:`assignment_text` (a new dict; ``summary`` is left as it is)."""
    if pseudonymizer is None:
        return summary
    scrub = assignment_text(results, pseudonymizer)
    public = dict(summary)
    for key in ("programs", "notes"):
        if key in public:
            public[key] = scrub.deep(public[key])
    return public
