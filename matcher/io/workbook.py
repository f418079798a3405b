"""``review.xlsx``: one assign run as the workbook HR opens (pairs with names and reasons,
unmatched seekers with the reason, provider loads, a summary per program).

Every text cell goes through :func:`matcher.io.write.formula_safe` (a name such as
``=HYPERLINK(…)`` is shown as text, never run). Names appear only when ids are not
pseudonymised.
"""

from __future__ import annotations

import math
import numbers
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

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


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}"><fonts count="2"><font><sz val="11"/><name val="Calibri"/>'
    '</font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill>'
    '<patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _column(k: int) -> str:
    """Spreadsheet column letters of the 0-based column ``k`` (0 → A, 26 → AA)."""
    letters = ""
    k += 1
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _xml_cell(ref: str, value: object, style: str = "") -> str:
    """One ``<c>`` element: numbers as numbers, booleans as booleans, the rest as inline text."""
    value = _cell(value)
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Integral):
        return f'<c r="{ref}"{style}><v>{int(value)}</v></c>'
    if isinstance(value, numbers.Real) and math.isfinite(value):
        return f'<c r="{ref}"{style}><v>{float(value)!r}</v></c>'
    text = escape(_CONTROL.sub("", str(value)))
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_xml(header: Sequence[str], rows: list[list[object]]) -> Iterator[str]:
    """A worksheet, piece by piece: bold header row, frozen below it, filters, column widths."""
    columns = [_column(k) for k in range(len(header))]
    last = f"{columns[-1]}{len(rows) + 1}"
    yield (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheetViews><sheetView '
        'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/></sheetView></sheetViews><cols>'
    )
    for k, name in enumerate(header):
        width = max([len(name), *(len(str(r[k])) for r in rows[:500])])
        yield f'<col min="{k + 1}" max="{k + 1}" width="{min(width + 2, 80)}" customWidth="1"/>'
    yield '</cols><sheetData><row r="1">'
    yield "".join(
        _xml_cell(f"{c}1", name, ' s="1"') for c, name in zip(columns, header, strict=True)
    )
    yield "</row>"
    for n, row in enumerate(rows, start=2):
        cells = "".join(_xml_cell(f"{c}{n}", v) for c, v in zip(columns, row, strict=True))
        yield f'<row r="{n}">{cells}</row>'
    yield f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>'


def _write_workbook(
    path: Path, sheets: list[tuple[str, Sequence[str], list[list[object]]]]
) -> None:
    """Write an .xlsx of ``sheets`` (title, header, rows) directly as its XML parts, a sheet at
    a time (openpyxl built every cell as an object first: 8 s for 25,000 rows)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as book:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for k in range(1, len(sheets) + 1)
        )
        book.writestr(
            "[Content_Types].xml",
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        book.writestr(
            "_rels/.rels",
            f'{_XML}<Relationships xmlns="{_PACKAGE}"><Relationship Id="rId1" Type="{_RELS}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        names = "".join(
            f'<sheet name="{escape(title)}" sheetId="{k}" r:id="rId{k}"/>'
            for k, (title, _, _) in enumerate(sheets, start=1)
        )
        book.writestr(
            "xl/workbook.xml",
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>{names}</sheets></workbook>',
        )
        links = "".join(
            f'<Relationship Id="rId{k}" Type="{_RELS}/worksheet" Target="worksheets/sheet{k}.xml"/>'
            for k in range(1, len(sheets) + 1)
        )
        styles = len(sheets) + 1
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML}<Relationships xmlns="{_PACKAGE}">{links}<Relationship Id="rId{styles}" '
            f'Type="{_RELS}/styles" Target="styles.xml"/></Relationships>',
        )
        book.writestr("xl/styles.xml", _STYLES)
        for k, (_, header, rows) in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{k}.xml", "w") as part:
                for piece in _sheet_xml(header, rows):
                    part.write(piece.encode("utf-8"))


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
    sheets: list[tuple[str, Sequence[str], list[list[object]]]] = []
    sheets.append(("Summary", ("program", *SUMMARY_FIELDS), figures))
    sheets.append(
        (
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
    )
    sheets.append(("Unmatched", ("program", "seeker_id", *named, "reason"), unmatched))
    sheets.append(("Provider loads", ("program", "provider_id", *named, "seekers"), loads))
    _write_workbook(path, sheets)
