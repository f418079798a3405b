"""The store of past runs and pairings: an embedded SQLite database.

Each ``matcher assign`` run is stored as a *proposal*; ``matcher history commit RUN``
approves it, and only committed pairs count as history for later periods; ``matcher history
reject RUN`` turns a proposal down for good. Every write is one transaction: a run killed at
any moment leaves the database as it was. Who did what (proposed, committed, withdrew,
rejected, imported, locked or forbade pairs) is kept in the ``actions`` table.

A program and period is never double-booked: a proposal made from scratch can be committed
only while no other run of that program and period is committed, and an ``--incremental``
proposal records the committed runs it builds on (``builds_on``) and can be committed only
while exactly those are committed. ``matcher history withdraw RUN`` takes a committed run
back (its pairs stop counting), once no committed run builds on it.

``matcher evaluate`` records what became of each committed pair (did the two meet, did a
strong tie form) in ``outcomes``; evaluating a run again replaces its outcomes.

The schema changes through :data:`MIGRATIONS`, an ordered list of ``(version, step)``: a
database at version *v* gets every step above *v*, in order, in one transaction (a new
database gets them all). To change the schema, append one entry; never edit a released one.
"""

from matcher.errors import HistoryError
from matcher.history.reading import HistoryReader
from matcher.history.records import Action, Evaluated, Outcome, Run, StoredPair
from matcher.history.schema import MIGRATIONS, SCHEMA_VERSION, STATES, migrate
from matcher.history.store import History

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "STATES",
    "Action",
    "Evaluated",
    "History",
    "HistoryError",
    "HistoryReader",
    "Outcome",
    "Run",
    "StoredPair",
    "migrate",
]
