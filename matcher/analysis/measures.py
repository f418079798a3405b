"""The per-person measures an analysis computes, as arrays in org order: the network
metrics and who carries each flag (what the reasons and the rows of ``analysis.csv`` read)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.analysis.flags import Flag


@dataclass(frozen=True)
class Network:
    """The per-person network metrics, as arrays in org order."""

    strong_ties: np.ndarray
    reciprocal: np.ndarray
    one_way: np.ndarray
    one_way_in: np.ndarray
    strength: np.ndarray
    coreness: np.ndarray
    community: np.ndarray
    cross_team: np.ndarray
    cross_community: np.ndarray
    betweenness: np.ndarray
    pagerank: np.ndarray
    strong_teams: np.ndarray
    """Distinct teams among a person's strong ties."""
    some_team: np.ndarray
    """The smallest of those teams (-1 for none)."""
    other_teams: np.ndarray
    """Teams other than their own among their strong ties."""


@dataclass(frozen=True)
class FlagArrays:
    """Who carries each flag, as boolean arrays in org order."""

    new_hire: np.ndarray
    isolated: np.ndarray
    peripheral: np.ndarray
    connector: np.ndarray
    self_reported: np.ndarray
    """Isolated because they say so in the survey."""

    def counts(self) -> dict[str, int]:
        """People per flag, as in ``summary.json`` (plain words as keys)."""
        return {
            Flag.ISOLATED.value: int(self.isolated.sum()),
            Flag.PERIPHERAL.value: int(self.peripheral.sum()),
            Flag.NEW_HIRE.value: int(self.new_hire.sum()),
            Flag.CONNECTOR.value: int(self.connector.sum()),
        }
