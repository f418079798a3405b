"""``review.xlsx``: one assign run as the workbook HR opens (pairs with names and reasons,
unmatched seekers with the reason, provider loads, a summary per program).

Every text cell goes through :func:`matcher.io.write.formula_safe` (a name such as
``=HYPERLINK(…)`` is shown as text, never run). Names appear only when ids are not
pseudonymised.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.io.write import formula_safe

if TYPE_CHECKING:
    from matcher.assignment.run import ProgramResult

REVIEW_WORKBOOK = "review.xlsx"
SUMMARY_FIELDS = (
    "run_id",
    "kind",
    "period",
    "status",
    "seekers",
    "matched",
    "coverage",
    "pairs",
    "objective",
    "bound",
    "gap",
    "method",
)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    return formula_safe(value) if isinstance(value, str) else value


def _sheet(workbook: Any, title: str, header: Sequence[str], rows: list[list[object]]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    for k, name in enumerate(header):
        width = max([len(name), *(len(str(r[k])) for r in rows[:500])]) if rows else len(name)
        sheet.column_dimensions[sheet.cell(1, k + 1).column_letter].width = min(width + 2, 80)
    sheet.auto_filter.ref = sheet.dimensions


def write_review_workbook(
    path: Path,
    results: list[ProgramResult],
    summary: dict[str, Any],
    *,
    rename: Callable[[str], str],
    scrub: Callable[[str], str],
    with_names: bool,
) -> None:
    """Write ``review.xlsx`` for ``results`` (``summary``: the run's summary, with a
    ``programs`` block per program). ``rename`` and ``scrub`` pseudonymise ids and reasons;
    ``with_names`` adds names beside ids."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    named = ("name",) if with_names else ()
    pairs: list[list[object]] = []
    unmatched: list[list[object]] = []
    loads: list[list[object]] = []
    figures: list[list[object]] = []
    for result in results:
        people = {e.id: e.name or "" for e in result.problem.pop.org.employees}

        def who(person: str, people: dict[str, str] = people) -> list[object]:
            return [rename(person), *([people.get(person, "")] if with_names else [])]

        for row in result.assignments:
            pairs.append(
                [
                    row.program,
                    result.spec.period,
                    *who(row.seeker_id),
                    *who(row.provider_id),
                    round(row.score, 6),
                    scrub(row.why),
                ]
            )
        for left in result.unmatched:
            unmatched.append([left.program, *who(left.seeker_id), scrub(left.reason)])
        load = Counter(row.provider_id for row in result.assignments)
        for provider, count in sorted(load.items(), key=lambda item: (-item[1], item[0])):
            loads.append([result.spec.name, *who(provider), count])
        block = summary.get("programs", {}).get(result.spec.name, result.summary)
        figures.append([result.spec.name, *(block.get(f) for f in SUMMARY_FIELDS)])
    _sheet(workbook, "Summary", ("program", *SUMMARY_FIELDS), figures)
    _sheet(
        workbook,
        "Pairs",
        (
            "program",
            "period",
            "seeker_id",
            *(f"seeker_{n}" for n in named),
            "provider_id",
            *(f"provider_{n}" for n in named),
            "score",
            "why",
        ),
        pairs,
    )
    _sheet(workbook, "Unmatched", ("program", "seeker_id", *named, "reason"), unmatched)
    _sheet(workbook, "Provider loads", ("program", "provider_id", *named, "seekers"), loads)
    workbook.save(path)
