"""Load employees and interactions into validated domain models.

Every malformed value is an error naming file, row and column; all problems are reported at
once (capped, with a count). Interactions naming unknown ids and self-interactions are not
fatal: they are dropped, counted and listed in :class:`Rejects`.

:mod:`~matcher.io.load.employees` (the employees file), :mod:`~matcher.io.load.interactions`
(the interactions file, streamed in batches), :mod:`~matcher.io.load.org` (both into an
:class:`~matcher.model.Org`, with the analysis date) and :mod:`~matcher.io.load.columns`
(Arrow columns of text into values). The names below are the ones to import.
"""

from matcher.io.load.columns import parse_timestamps
from matcher.io.load.employees import (
    EMPLOYEE_FIELDS,
    FALSE_WORDS,
    TRUE_WORDS,
    find_manager_cycles,
    load_employees,
    parse_employees,
)
from matcher.io.load.interactions import (
    INTERACTION_COLUMNS,
    InteractionLoad,
    Rejects,
    load_interactions,
)
from matcher.io.load.org import (
    FUTURE_HIRE_DAYS,
    check_hire_dates,
    check_no_data_error,
    file_sha256,
    load_org,
    resolve_as_of,
)

__all__ = [
    "EMPLOYEE_FIELDS",
    "FALSE_WORDS",
    "FUTURE_HIRE_DAYS",
    "INTERACTION_COLUMNS",
    "TRUE_WORDS",
    "InteractionLoad",
    "Rejects",
    "check_hire_dates",
    "check_no_data_error",
    "file_sha256",
    "find_manager_cycles",
    "load_employees",
    "load_interactions",
    "load_org",
    "parse_employees",
    "parse_timestamps",
    "resolve_as_of",
]
