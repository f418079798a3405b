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


def test_formula_safe_table_goes_chunk_by_chunk_and_covers_large_strings() -> None:
    """A column is made safe a chunk at a time (gigabytes of text never have to fit in one
    array; evaluate's benchmark wrote 2.9 GB of ids in one column): chunks without a risky
    cell are kept as they are, and large_string columns are made safe too."""
    import pyarrow as pa

    from matcher.io.cells import formula_safe_table

    clean, risky = pa.array(["a", "b"]), pa.array(["=SUM(A1)", None, "+1"])
    table = pa.table(
        {
            "text": pa.chunked_array([clean, risky]),
            "large": pa.chunked_array([pa.array(["-2", "c", "d", "@x", None], pa.large_string())]),
        }
    )
    safe = formula_safe_table(table)
    assert safe.column("text").num_chunks == 2
    assert safe.column("text").chunk(0).equals(clean)
    assert safe.column("text").to_pylist() == ["a", "b", "'=SUM(A1)", None, "'+1"]
    assert safe.column("large").to_pylist() == ["'-2", "c", "d", "'@x", None]
    assert safe.column("large").type == pa.large_string()
