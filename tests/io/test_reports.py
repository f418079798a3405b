"""The report columns follow the score terms: one list drives the weights and the columns."""

from __future__ import annotations

import csv
from pathlib import Path

from matcher.assignment.programs import Weights
from matcher.assignment.scoring import TERMS
from matcher.io.reports import ASSIGNMENT_COLUMNS, write_assignments


def test_every_score_term_has_a_weight_in_the_same_order() -> None:
    assert tuple(Weights.model_fields) == TERMS


def test_assignments_csv_has_a_column_per_score_term(tmp_path: Path) -> None:
    write_assignments([], tmp_path, {})
    with (tmp_path / "assignments.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [*ASSIGNMENT_COLUMNS, *TERMS, "why"]
