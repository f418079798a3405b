"""The flags an analysis puts on a person: one closed set, used by every stage and output."""

from __future__ import annotations

from enum import StrEnum


class Flag(StrEnum):
    """A reason to offer someone a connection program (or, for connectors, to watch their load).

    The values are the words of ``analysis.csv``'s ``flags`` column, ``summary.json`` and the
    program files' ``flags`` selectors; a member is equal to its word.

    >>> Flag.NEW_HIRE == "new_hire", [str(flag) for flag in Flag]
    (True, ['isolated', 'peripheral', 'new_hire', 'connector'])
    """

    ISOLATED = "isolated"
    """No strong tie: nobody to turn to."""
    PERIPHERAL = "peripheral"
    """Few strong ties, all inside one team."""
    NEW_HIRE = "new_hire"
    """Hired recently; thresholds scaled by tenure."""
    CONNECTOR = "connector"
    """Bridges teams (high betweenness): watch their load."""


WANTING_CONNECTION = frozenset({Flag.ISOLATED, Flag.PERIPHERAL})
"""The flags of people a program should reach: isolated or peripheral."""
