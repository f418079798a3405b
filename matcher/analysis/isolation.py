"""Who is isolated or peripheral, which teams are siloed, who connects the org, and why.

Everything here returns plain data (dataclasses of lists and numbers); nothing is printed or
written. Reasons are short sentences a program lead can read.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matcher.analysis import metrics
from matcher.analysis.flags import Flag
from matcher.analysis.graph import CollaborationGraph, build_graph
from matcher.analysis.teams import TeamMetrics, group_unit, plural, team_codes, team_metrics
from matcher.config import AnalysisConfig
from matcher.model import Employee, Org


@dataclass(frozen=True)
class PersonMetrics:
    """One row of ``analysis.csv``."""

    id: str
    flags: tuple[Flag, ...]
    strong_ties: int
    reciprocal_contacts: int
    strength: float
    coreness: int
    community: int
    cross_team_share: float
    cross_community_share: float
    betweenness: float
    pagerank: float
    one_way_contacts: int
    strong_tie_teams: int
    team: str
    tenure_days: float | None
    reasons: str


@dataclass(frozen=True)
class AnalysisView:
    """What assignment reads of an analysis, per person in org order: flags, community and
    strong ties, with the tie-strength matrix and its strong-tie threshold.

    Made by :meth:`Analysis.view`, or read back from an ``analyze`` output directory
    (:func:`matcher.io.reports.read_analysis_view`) so that ``assign`` uses the flags HR reviewed.
    """

    as_of: dt.datetime
    flags: list[frozenset[str]]
    community: np.ndarray
    strong_ties: np.ndarray
    strength: sp.csr_matrix
    threshold: float
    config: dict[str, object] = field(default_factory=dict)
    """The analysis settings, as in ``summary.json``."""
    sources: dict[str, str] = field(default_factory=dict)
    """The input files it was made from, as in :attr:`matcher.model.Org.sources`."""


@dataclass
class Analysis:
    """The result of :func:`analyze`."""

    people: list[PersonMetrics]
    teams: list[TeamMetrics]
    graph: CollaborationGraph
    as_of: dt.datetime
    config: AnalysisConfig
    summary: dict[str, object] = field(default_factory=dict)

    def flagged(self, flag: str) -> list[str]:
        """Ids of the people carrying ``flag``."""
        return [p.id for p in self.people if flag in p.flags]

    def view(self) -> AnalysisView:
        """The part of this analysis that assignment reads."""
        return AnalysisView(
            as_of=self.as_of,
            flags=[frozenset(p.flags) for p in self.people],
            community=np.array([p.community for p in self.people], dtype=np.int64),
            strong_ties=np.array([p.strong_ties for p in self.people], dtype=np.int64),
            strength=self.graph.strength.tocsr(),
            threshold=self.graph.threshold,
            config=self.config.model_dump(mode="json"),
            sources=dict(self.summary.get("inputs", {})),  # type: ignore[call-overload]
        )


def _tenure_days(org: Org, as_of: dt.datetime) -> np.ndarray:
    today = as_of.date()
    return np.array(
        [
            np.nan if e.hire_date is None else float((today - e.hire_date).days)
            for e in org.employees
        ]
    )


def _share_outside(matrix: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
    """Per row: share of the row's weight on columns with a different label."""
    coo = matrix.tocoo()
    total = np.bincount(coo.row, weights=coo.data, minlength=matrix.shape[0])
    outside = coo.data * (labels[coo.row] != labels[coo.col])
    out = np.bincount(coo.row, weights=outside, minlength=matrix.shape[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, out / np.where(total > 0, total, 1), 0.0)


def _distinct_labels_per_row(
    matrix: sp.csr_matrix, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: number of distinct labels among neighbours, and the smallest such label (or -1)."""
    n = matrix.shape[0]
    coo = matrix.tocoo()
    per_label = sp.csr_matrix(
        (np.ones(coo.nnz), (coo.row, labels[coo.col])), shape=(n, int(labels.max(initial=0)) + 1)
    )
    per_label.sum_duplicates()
    per_label.sort_indices()
    counts = np.diff(per_label.indptr).astype(np.int64)
    some = np.full(n, -1, np.int64)
    has = counts > 0
    some[has] = per_label.indices[per_label.indptr[:-1][has]]
    return counts, some


def analyze(org: Org, config: AnalysisConfig | None = None) -> Analysis:
    """Compute per-person network metrics, the flags and their reasons, and team siloing.

    Parameters
    ----------
    org : Org
        A loaded organisation (see :func:`matcher.load_org`); its ``as_of`` is the analysis
        date (now when it has none).
    config : AnalysisConfig, optional
        Parameters; defaults follow the domain brief.

    Returns
    -------
    Analysis
        ``people`` (one :class:`PersonMetrics` per employee, in file order), ``teams`` (one
        :class:`TeamMetrics` per team, small ones suppressed) and a ``summary``.

    Notes
    -----
    * ``isolated``: no strong tie (the "at least one person to turn to" test).
    * ``peripheral``: not isolated, few strong ties (at most the ``peripheral_quantile`` of
      strong-tie counts in the person's cohort, and at most ``peripheral_max_ties``), all of
      them inside one team.
    * ``new_hire``: hired within ``new_hire_days``; their thresholds are scaled by tenure and
      their cohort is the other new hires.
    * ``connector``: sampled betweenness in the top ``connector_share`` and strong ties into
      at least ``connector_min_teams`` other teams.
    * A team is siloed when its cross-team share of tie strength is at most
      ``siloed_relative`` × the median team's.

    Examples
    --------
    Two people who write to each other every week, and a third nobody writes to:

    >>> import datetime as dt
    >>> import numpy as np
    >>> from matcher.model import Employee, InteractionTable, Org
    >>> weeks = 1_767_225_600 + 7 * 86_400 * np.arange(8)
    >>> calls = InteractionTable(
    ...     source=np.array([0, 1] * 8, np.int32),
    ...     target=np.array([1, 0] * 8, np.int32),
    ...     timestamp=np.repeat(weeks, 2),
    ...     channel=np.zeros(16, np.uint8),
    ...     duration=np.full(16, 30, np.float32),
    ...     event=np.full(16, -1),
    ...     weight=np.ones(16, np.float32),
    ... )
    >>> org = Org([Employee(id=i, team="Core") for i in ("E1", "E2", "E3")], calls)
    >>> org.as_of = dt.datetime.fromtimestamp(int(weeks[-1]), tz=dt.UTC)
    >>> result = analyze(org)
    >>> result.flagged("isolated")
    ['E3']
    >>> result.summary["flags"]
    {'isolated': 1, 'peripheral': 2, 'new_hire': 0, 'connector': 0}
    """
    config = config or AnalysisConfig()
    as_of = org.as_of or dt.datetime.now(tz=dt.UTC)
    tenure = _tenure_days(org, as_of)
    graph = build_graph(org.interactions, len(org), as_of, config, tenure_days=tenure)
    unit = group_unit(org)
    team, team_names = team_codes(org, unit)
    network = _network_metrics(graph, team, config)
    flags = _flag_arrays(network, tenure, config)
    reasons = _Reasons(network, flags, tenure, team, team_names, unit, config, as_of)
    people = [
        _person(k, employee, network, tenure, reasons) for k, employee in enumerate(org.employees)
    ]
    teams = team_metrics(graph, team, team_names, flags.isolated, flags.peripheral, config, unit)
    summary = _summary(org, graph, network, flags, teams, unit, as_of, config)
    return Analysis(people, teams, graph, as_of, config, summary)


@dataclass(frozen=True)
class _Network:
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


def _network_metrics(
    graph: CollaborationGraph, team: np.ndarray, config: AnalysisConfig
) -> _Network:
    strong = graph.strong
    strong_teams, some_team = _distinct_labels_per_row(strong, team)
    own_team_strong = _same_label_count(strong, team)
    weighted_recip = graph.strength.multiply(graph.reciprocated).tocsr()
    community = metrics.communities(
        weighted_recip, seed=config.seed, resolution=config.community_resolution
    )
    return _Network(
        strong_ties=metrics.degrees(strong),
        reciprocal=metrics.degrees(graph.reciprocated),
        one_way=metrics.degrees(graph.one_way),
        one_way_in=metrics.degrees(graph.one_way.T),
        strength=np.asarray(graph.strength.sum(axis=1)).ravel(),
        coreness=metrics.core_numbers(strong),
        community=community,
        cross_team=_share_outside(graph.strength, team),
        cross_community=_share_outside(graph.strength, community),
        betweenness=metrics.sampled_betweenness(
            strong, samples=config.betweenness_samples, seed=config.seed
        ),
        pagerank=metrics.pagerank(graph.strength),
        strong_teams=strong_teams,
        some_team=some_team,
        other_teams=strong_teams - (own_team_strong > 0),
    )


@dataclass(frozen=True)
class _FlagArrays:
    """Who carries each flag, as boolean arrays in org order."""

    new_hire: np.ndarray
    isolated: np.ndarray
    peripheral: np.ndarray
    connector: np.ndarray

    def counts(self) -> dict[str, int]:
        """People per flag, as in ``summary.json`` (plain words as keys)."""
        return {
            Flag.ISOLATED.value: int(self.isolated.sum()),
            Flag.PERIPHERAL.value: int(self.peripheral.sum()),
            Flag.NEW_HIRE.value: int(self.new_hire.sum()),
            Flag.CONNECTOR.value: int(self.connector.sum()),
        }


def _flag_arrays(network: _Network, tenure: np.ndarray, config: AnalysisConfig) -> _FlagArrays:
    """The flags' definitions (see :func:`analyze`'s Notes)."""
    n = len(tenure)
    strong_ties = network.strong_ties
    new_hire = ~np.isnan(tenure) & (tenure < config.new_hire_days)
    isolated = strong_ties == 0
    few_limit = np.zeros(n)
    for cohort in (new_hire, ~new_hire):
        pool = strong_ties[cohort & ~isolated]
        limit = np.quantile(pool, config.peripheral_quantile) if len(pool) else 0
        few_limit[cohort] = min(max(float(np.floor(limit)), 1.0), config.peripheral_max_ties)
    peripheral = ~isolated & (strong_ties <= few_limit) & (network.strong_teams <= 1)
    betweenness = network.betweenness
    cutoff = np.quantile(betweenness, 1 - config.connector_share) if n else 0.0
    connector = (
        (betweenness >= cutoff)
        & (betweenness > 0)
        & (network.other_teams >= config.connector_min_teams)
    )
    return _FlagArrays(new_hire, isolated, peripheral, connector)


@dataclass(frozen=True)
class _Reasons:
    """The flags of each person with the plain-words reason for each."""

    network: _Network
    flags: _FlagArrays
    tenure: np.ndarray
    team: np.ndarray
    team_names: list[str]
    unit: str
    config: AnalysisConfig
    as_of: dt.datetime

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
        connected = ~self.flags.isolated
        return float(np.median(self.network.coreness[connected])) if connected.any() else 0.0

    @functools.cached_property
    def _median_ties(self) -> float:
        ties = self.network.strong_ties
        return float(np.median(ties)) if len(ties) else 0.0


def _person(
    k: int, employee: Employee, network: _Network, tenure: np.ndarray, reasons: _Reasons
) -> PersonMetrics:
    flags, words = reasons.of(k, employee)
    return PersonMetrics(
        id=employee.id,
        flags=flags,
        strong_ties=int(network.strong_ties[k]),
        reciprocal_contacts=int(network.reciprocal[k]),
        strength=float(network.strength[k]),
        coreness=int(network.coreness[k]),
        community=int(network.community[k]),
        cross_team_share=float(network.cross_team[k]),
        cross_community_share=float(network.cross_community[k]),
        betweenness=float(network.betweenness[k]),
        pagerank=float(network.pagerank[k]),
        one_way_contacts=int(network.one_way[k]),
        strong_tie_teams=int(network.strong_teams[k]),
        team=employee.team or "",
        tenure_days=None if np.isnan(tenure[k]) else float(tenure[k]),
        reasons=words,
    )


def _summary(
    org: Org,
    graph: CollaborationGraph,
    network: _Network,
    flags: _FlagArrays,
    teams: list[TeamMetrics],
    unit: str,
    as_of: dt.datetime,
    config: AnalysisConfig,
) -> dict[str, object]:
    """The analysis's ``summary.json`` (before the writer adds its own keys)."""
    n = len(org)
    return {
        "as_of": as_of.isoformat(),
        "employees": n,
        "flags": flags.counts(),
        "siloed_teams": sum(1 for t in teams if t.siloed),
        "teams": len(teams),
        "team_unit": unit,
        "teams_suppressed": sum(1 for t in teams if t.suppressed),
        "strong_tie_threshold": graph.threshold,
        "strong_ties": int(sp.triu(graph.strong, k=1).nnz),
        "reciprocated_ties": int(sp.triu(graph.reciprocated, k=1).nnz),
        "communities": int(network.community.max() + 1) if n else 0,
        "graph": graph.stats.as_dict(),
        "load": org.report.as_dict(),
        "inputs": org.sources,
        "config": config.model_dump(mode="json"),
    }


def _same_label_count(matrix: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
    coo = matrix.tocoo()
    same = labels[coo.row] == labels[coo.col]
    return np.bincount(coo.row[same], minlength=matrix.shape[0])
