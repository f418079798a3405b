"""The flags are one closed set: what analysis emits, what summaries count, what program files select."""

from __future__ import annotations

import pytest
from hypothesis import given
from pydantic import ValidationError

from matcher.analysis.flags import WANTING_CONNECTION, Flag
from matcher.analysis.isolation import analyze
from matcher.assignment.programs import Selector
from matcher.model import Employee
from tests.strategies import interaction_rows, org_of, table_of


@given(interaction_rows(max_people=9, max_rows=40))
def test_analysis_emits_only_flags_and_counts_each_one(
    case: tuple[int, list[dict[str, object]]],
) -> None:
    n, rows = case
    org = org_of([Employee(id=f"E{k}", team=f"T{k % 2}") for k in range(n)])
    org.interactions = table_of(rows)
    result = analyze(org)
    emitted = [flag for person in result.people for flag in person.flags]
    assert all(isinstance(flag, Flag) for flag in emitted)
    assert result.summary["flags"] == {flag.value: emitted.count(flag) for flag in Flag}
    for person in result.people:
        assert len(set(person.flags) & WANTING_CONNECTION) <= 1  # never both


def test_program_files_select_by_exactly_the_flags() -> None:
    selector = Selector(flags=[flag.value for flag in Flag])
    assert selector.flags == list(Flag)
    with pytest.raises(
        ValidationError, match="'isolated', 'peripheral', 'new_hire' or 'connector'"
    ):
        Selector(flags=["lonely"])
