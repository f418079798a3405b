"""CSV cell safety: what a spreadsheet would run as a formula is neutralised, and values are
written the same way in every CSV matcher writes (:mod:`matcher.io.write`)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula to a spreadsheet."""
BOM = "\ufeff".encode()
"""The UTF-8 byte order mark (``--excel``: Excel on Windows then reads UTF-8)."""


def formula_safe(value: object) -> object:
    """Neutralise a text cell a spreadsheet would run as a formula; numbers pass unchanged.

    >>> formula_safe("=HYPERLINK(1)"), formula_safe(-2.5), formula_safe("E1")
    ("'=HYPERLINK(1)", -2.5, 'E1')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value: object) -> object:
    """A value as a CSV cell: empty for ``None``, ``true``/``false``, floats to six
    significant digits, text made formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value + 0.0:.6g}" if value != 0 else "0"
    return formula_safe(value)


def formula_safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every text cell a spreadsheet would run as a formula neutralised."""
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            risky = pc.starts_with(column, "=")
            for start in FORMULA_STARTS[1:]:
                risky = pc.or_(risky, pc.starts_with(column, start))
            column = pc.if_else(
                pc.fill_null(risky, False), pc.binary_join_element_wise("'", column, ""), column
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)
