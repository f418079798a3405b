"""The plain-words reasons of each person's flags: what a program lead reads in
``analysis.csv``."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np

from matcher.analysis.flags import Flag
from matcher.analysis.measures import FlagArrays, Network
from matcher.analysis.survey import Survey
from matcher.analysis.teams import plural
from matcher.config import AnalysisConfig
from matcher.model import Employee


@dataclass(frozen=True)
class Reasons:
    """The flags of each person with the plain-words reason for each (what ``analysis.csv``'s
    ``reasons`` column says)."""

    network: Network
    flags: FlagArrays
    tenure: np.ndarray
    team: np.ndarray
    team_names: list[str]
    unit: str
    config: AnalysisConfig
    as_of: dt.datetime
    survey: Survey | None = None

    def of(self, k: int, employee: Employee) -> tuple[tuple[Flag, ...], str]:
        """Person ``k``'s flags, and their reasons joined in one sentence list."""
        found: list[tuple[Flag, str]] = []
        if self.flags.new_hire[k]:
            found.append((Flag.NEW_HIRE, self._new_hire(k, employee)))
        if self.flags.isolated[k]:
            found.append((Flag.ISOLATED, self._isolated(k)))
        if self.flags.peripheral[k]:
            found.append((Flag.PERIPHERAL, self._peripheral(k)))
        if self.flags.connector[k]:
            found.append((Flag.CONNECTOR, self._connector(k)))
        return tuple(flag for flag, _ in found), "; ".join(reason for _, reason in found)

    def _new_hire(self, k: int, employee: Employee) -> str:
        return (
            f"new hire: hired {employee.hire_date} ({int(self.tenure[k])} days before {self.as_of.date()}); "
            "thresholds scaled by tenure and compared with other new hires"
        )

    def _isolated(self, k: int) -> str:
        if not self.flags.self_reported[k]:
            return self._sensed_isolated(k)
        assert self.survey is not None
        words = f"says they have no one at work to turn to (survey of {self.survey.date(k)})"
        ties = int(self.network.strong_ties[k])
        if ties:
            return words + f"; the interaction data show {plural(ties, 'strong tie')}"
        return words + "; " + self._sensed_isolated(k)

    def _sensed_isolated(self, k: int) -> str:
        weak = int(self.network.reciprocal[k])
        one_way = int(self.network.one_way[k])
        one_way_in = int(self.network.one_way_in[k])
        words = f"no strong tie in the last {self.config.window_days} days"
        if weak:
            words += f"; {plural(weak, 'reciprocal contact')}, all below the strong-tie threshold"
        else:
            words += "; no reciprocal contact"
        if one_way:
            words += f"; wrote to {plural(one_way, 'person', 'people')} who did not reply"
        if one_way_in:
            words += f"; {plural(one_way_in, 'person', 'people')} wrote without a reply"
        return words

    def _peripheral(self, k: int) -> str:
        unit = self.unit
        count = int(self.network.strong_ties[k])
        some_team = self.network.some_team[k]
        where = self.team_names[some_team] if some_team >= 0 else "one team"
        both = "" if count == 1 else (" both" if count == 2 else " all")
        own = f" (their own {unit})" if some_team == self.team[k] else ""
        return (
            f"{plural(count, 'strong tie')},{both} in {unit} {where}{own}; no strong tie outside that {unit}; "
            f"coreness {int(self.network.coreness[k])} (org median {self._median_core:g})"
        )

    def _connector(self, k: int) -> str:
        other_teams = int(self.network.other_teams[k])
        return (
            f"bridges the org: strong ties into {plural(other_teams, 'other ' + self.unit)}, "
            f"betweenness in the top {self.config.connector_share:.0%}; "
            f"{plural(int(self.network.strong_ties[k]), 'strong tie')} (org median {self._median_ties:g}): watch their load"
        )

    @functools.cached_property
    def _median_core(self) -> float:
        connected = self.network.strong_ties > 0
        return float(np.median(self.network.coreness[connected])) if connected.any() else 0.0

    @functools.cached_property
    def _median_ties(self) -> float:
        ties = self.network.strong_ties
        return float(np.median(ties)) if len(ties) else 0.0
