"""Verify an assignment against a program's hard rules, written independently of the solver.

Everything here is re-derived from the definitions of the program-file contract, in plain
Python loops over people and pairs, so that a bug in :mod:`matcher.assignment.solve` or
:mod:`matcher.assignment.compile` cannot hide in shared code (an import-linter contract keeps
it so). It is meant for test-sized instances (a few thousand pairs). Nothing is printed or
written: the checker returns a list of :class:`Violation` (empty when the assignment is valid).

Soft rules (``preferred``, ``avoided``, ``ignored`` and the weights) are not checked: they shape
the objective, not feasibility.

Modules:

* :mod:`~matcher.assignment.checks.violations`: :class:`Violation`, :class:`HistoryPair`,
  :data:`RULES`.
* :mod:`~matcher.assignment.checks.selection`: who the selectors pick; provider capacities.
* :mod:`~matcher.assignment.checks.pair_rules`: the rules about one pair.
* :mod:`~matcher.assignment.checks.two_sided` and :mod:`~matcher.assignment.checks.peer`:
  membership, loads and listed pairs of seeker–provider and peer programs.
* :mod:`~matcher.assignment.checks.groups`: :func:`check_groups`, circles and rounds.
* :mod:`~matcher.assignment.checks.verify`: :func:`check_assignment`, all of it.
"""

from matcher.assignment.checks.groups import check_groups, met_before
from matcher.assignment.checks.pair_rules import working_overlap_hours
from matcher.assignment.checks.selection import DEFAULT_SELECTORS, capacities, select
from matcher.assignment.checks.verify import check_assignment
from matcher.assignment.checks.violations import RULES, TOLERANCE, HistoryPair, Violation

__all__ = [
    "DEFAULT_SELECTORS",
    "RULES",
    "TOLERANCE",
    "HistoryPair",
    "Violation",
    "capacities",
    "check_assignment",
    "check_groups",
    "met_before",
    "select",
    "working_overlap_hours",
]
