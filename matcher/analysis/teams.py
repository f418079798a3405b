"""Teams: which org unit stands for "team", and which teams are siloed (published k-anonymously)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from matcher.analysis.graph import CollaborationGraph
from matcher.config import AnalysisConfig
from matcher.model import Org
from matcher.privacy import complementary_suppression


@dataclass(frozen=True)
class TeamMetrics:
    """One row of ``teams.csv``; metrics are ``None`` when the team is below the group minimum."""

    team: str
    size: int
    suppressed: bool
    internal_strength: float | None = None
    external_strength: float | None = None
    external_share: float | None = None
    connected_teams: int | None = None
    isolated_members: int | None = None
    peripheral_members: int | None = None
    siloed: bool | None = None
    reasons: str = ""


def plural(count: int, word: str, many: str | None = None) -> str:
    """``count`` and ``word``, in the plural unless one.

    >>> plural(1, "tie"), plural(2, "person", "people")
    ('1 tie', '2 people')
    """
    return f"{count} {word if count == 1 else (many or word + 's')}"


def group_unit(org: Org) -> str:
    """The org unit that stands for "team": ``team`` when the data has it, else ``department``."""
    if any(e.team for e in org.employees) or not any(e.department for e in org.employees):
        return "team"
    return "department"


def team_codes(org: Org, unit: str) -> tuple[np.ndarray, list[str]]:
    names = [(e.team if unit == "team" else e.department) or f"(no {unit})" for e in org.employees]
    unique = sorted(set(names))
    position = {name: k for k, name in enumerate(unique)}
    return np.array([position[name] for name in names], dtype=np.int64), unique


def team_metrics(
    graph: CollaborationGraph,
    team: np.ndarray,
    names: list[str],
    isolated: np.ndarray,
    peripheral: np.ndarray,
    config: AnalysisConfig,
    unit: str,
) -> list[TeamMetrics]:
    k = len(names)
    size = np.bincount(team, minlength=k)
    coo = graph.strength.tocoo()
    same = team[coo.row] == team[coo.col]
    internal = np.bincount(team[coo.row[same]], weights=coo.data[same], minlength=k)
    external = np.bincount(team[coo.row[~same]], weights=coo.data[~same], minlength=k)
    total = internal + external
    share = np.divide(external, total, out=np.zeros(k), where=total > 0)
    strong = graph.strong.tocoo()
    cross = team[strong.row] != team[strong.col]
    links = sp.csr_matrix(
        (np.ones(int(cross.sum())), (team[strong.row[cross]], team[strong.col[cross]])),
        shape=(k, k),
    )
    links.sum_duplicates()
    connected = np.diff(links.indptr)
    eligible = size >= config.min_group_size
    median_share = float(np.median(share[eligible])) if eligible.any() else 0.0
    limit = config.siloed_relative * median_share
    iso = np.bincount(team, weights=isolated.astype(float), minlength=k)
    per = np.bincount(team, weights=peripheral.astype(float), minlength=k)
    rows: list[TeamMetrics] = []
    # Org totals (summary.json) minus the published teams give the sum of the suppressed ones:
    # suppress more teams until that sum covers two teams and min_group_size people.
    hidden = complementary_suppression(size.tolist(), config.min_group_size)
    for t, name in enumerate(names):
        if hidden[t]:
            rows.append(
                TeamMetrics(
                    team=name,
                    size=int(size[t]),
                    suppressed=True,
                    reasons=f"fewer than {config.min_group_size} members: suppressed"
                    if not eligible[t]
                    else "suppressed with the smaller teams, so that their figures cannot be "
                    "recovered from the org totals",
                )
            )
            continue
        siloed = bool(share[t] <= limit and total[t] > 0 and median_share > 0)
        reasons = ""
        if siloed:
            reasons = (
                f"{share[t]:.0%} of the {unit}'s interaction strength crosses {unit} lines "
                f"(org median {median_share:.0%}); strong ties to {plural(int(connected[t]), 'other ' + unit)}"
            )
        rows.append(
            TeamMetrics(
                team=name,
                size=int(size[t]),
                suppressed=False,
                internal_strength=float(internal[t]),
                external_strength=float(external[t]),
                external_share=float(share[t]),
                connected_teams=int(connected[t]),
                isolated_members=int(iso[t]),
                peripheral_members=int(per[t]),
                siloed=siloed,
                reasons=reasons,
            )
        )
    return rows
