"""CSV cells: the column-at-a-time formatting is the cell-at-a-time one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matcher.io.cells import csv_cell, csv_column

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["=1+1", "+x", "-2", "@a", "\tz", "E0001"]),
)


@given(st.lists(CELLS, max_size=30))
def test_a_column_is_formatted_as_its_cells(values: list[object]) -> None:
    assert csv_column(list(values)) == [csv_cell(v) for v in values]


@given(st.lists(st.one_of(st.none(), st.floats()), max_size=30))
def test_a_column_of_floats_is_formatted_as_its_cells(values: list[object]) -> None:
    assert csv_column(list(values)) == [csv_cell(v) for v in values]


@given(st.lists(st.text(max_size=6), max_size=30))
def test_a_column_of_text_is_formatted_as_its_cells(values: list[object]) -> None:
    assert csv_column(list(values)) == [csv_cell(v) for v in values]
