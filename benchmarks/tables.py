"""Cells and tables of the Markdown pages: seconds, memory, ratios, verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from benchmarks.results import Figure, Ratio, Report

MIB, GIB = 2**20, 2**30


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; ``|`` in cells is escaped.

    >>> print(table(["a", "b"], [["1", "x|y"]]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def seconds(value: float | None) -> str:
    """Seconds with three significant figures.

    >>> seconds(3.4149), seconds(25.31), seconds(231.4), seconds(None)
    ('3.41 s', '25.3 s', '231 s', '–')
    """
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:.0f} s"
    return f"{value:.3g} s"


def memory(value: int | None) -> str:
    """Bytes as MiB below 1 GiB, else GiB.

    >>> memory(734_003_200), memory(2_254_857_830), memory(None)
    ('700 MiB', '2.10 GiB', '–')
    """
    if value is None:
        return "–"
    if value < GIB:
        return f"{value / MIB:.0f} MiB"
    return f"{value / GIB:.2f} GiB"


def code(command: str) -> str:
    return f"`{command}`"


def ratio_text(ratio: Ratio) -> str:
    """``figure / baseline`` in words.

    >>> ratio_text(Ratio(figure="a", baseline="b", name="igraph", time=0.25, memory=1.5))
    'igraph: 0.25× time (4.0× faster), 1.50× memory'
    >>> ratio_text(Ratio(figure="a", baseline="b", name="networkx", time=3.1e-5, memory=None))
    'networkx: 3.1e-05× time (32,258× faster)'
    """
    parts: list[str] = []
    if ratio.time is not None:
        shown = f"{ratio.time:.2f}" if ratio.time >= 0.01 else f"{ratio.time:.2g}"
        if ratio.time < 1:
            faster = 1 / ratio.time
            pace = f"{faster:.1f}" if faster < 100 else f"{faster:,.0f}"
            parts.append(f"{shown}× time ({pace}× faster)")
        else:
            parts.append(f"{shown}× time ({ratio.time:.1f}× slower)")
    if ratio.memory is not None:
        parts.append(f"{ratio.memory:.2f}× memory")
    text = f"{ratio.name}: " + ", ".join(parts or ["not comparable"])
    return text + (" (baseline estimated)" if ratio.estimated else "")


def wall(figure: Figure) -> str:
    if figure.estimated:
        return f"~{seconds(figure.estimate_seconds)} (estimate)"
    return seconds(figure.median_seconds)


def runs_text(figure: Figure) -> str:
    if figure.runs:
        return str(figure.runs)
    if figure.estimated and figure.process_seconds:
        return f"0 in full, {len(figure.process_seconds)} probe"
    return "0 (skipped)"


def ratios_of(report: Report, figure: Figure) -> str:
    found = [ratio_text(r) for r in report.ratios if r.figure == figure.id]
    return "; ".join(found) if found else "baseline"


def fraction(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def count(value: int | None, of: int | None = None) -> str:
    if value is None:
        return "–"
    if of:
        return f"{value:,} ({value / of:.1%})"
    return f"{value:,}"


def verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "n/a"}[met]
