"""Who is isolated or peripheral, which teams are siloed, who connects the org, and why.

Everything here returns plain data (dataclasses of lists and numbers); nothing is printed or
written. Reasons are short sentences a program lead can read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matcher.analysis import metrics
from matcher.analysis.flags import Flag
from matcher.analysis.graph import CollaborationGraph, build_graph
from matcher.analysis.measures import FlagArrays, Network
from matcher.analysis.reasons import Reasons
from matcher.analysis.survey import (
    UNKNOWN,
    YES,
    Judgement,
    Survey,
    judge,
    survey_summary,
    team_shares,
    with_survey,
)
from matcher.analysis.teams import TeamMetrics, group_unit, team_codes, team_metrics
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
    survey_responded: bool | None = None
    """With a survey: whether they answered (``None`` without a survey)."""
    says_has_someone: bool | None = None
    """Their answer to "I have at least one person at work I can turn to" (``None``: no
    answer, another answer, or no survey)."""
    names: int | None = None
    """How many people they named as someone they turn to."""
    named_by: int | None = None
    """How many respondents named them."""
    signals: tuple[str, ...] = ()
    """Where what they say and what the interaction data show disagree (see
    :class:`matcher.analysis.survey.Signal`)."""


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
    says_no_one: np.ndarray | None = None
    """With a survey: respondents who say they have no one to turn to (bool, org order)."""


@dataclass
class Analysis:
    """The result of :func:`analyze`."""

    people: list[PersonMetrics]
    teams: list[TeamMetrics]
    graph: CollaborationGraph
    as_of: dt.datetime
    config: AnalysisConfig
    summary: dict[str, object] = field(default_factory=dict)
    survey: Survey | None = None
    """The survey heard, when one was given (its ties are in :attr:`graph`)."""

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
            says_no_one=None if self.survey is None else self.survey.says_no_one,
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


def analyze(
    org: Org,
    config: AnalysisConfig | None = None,
    survey: Survey | None = None,
    *,
    connectors: bool = True,
    communities: bool = True,
) -> Analysis:
    """Compute per-person network metrics, the flags and their reasons, and team siloing.

    Parameters
    ----------
    org : Org
        A loaded organisation (see :func:`matcher.load_org`); its ``as_of`` is the analysis
        date (now when it has none).
    config : AnalysisConfig, optional
        Parameters; defaults follow the domain brief.
    survey : Survey, optional
        What people said in a pulse survey (:func:`matcher.io.survey.load_survey`): its
        nominations become ties, and what respondents say about having someone to turn to
        decides whether they are isolated (see Notes).
    connectors : bool, default True
        Compute the sampled betweenness that the ``connector`` flag needs. ``False`` skips it
        (the costliest metric at scale: every betweenness is 0 and nobody is a connector), for
        callers that read only the isolation flags and the ties, such as ``matcher evaluate``.
    communities : bool, default True
        Find the Louvain communities (what assignment's ``bridging`` term reads). ``False``
        skips them (a single-threaded 50 s at a million people): everyone is then their own
        community, ``cross_community_share`` is 1 where there are ties, and the summary's
        ``communities`` is ``None``. No flag reads them; ``matcher evaluate`` turns them off.

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

    With a survey (see :mod:`matcher.analysis.survey`): a nomination is a tie of channel
    ``survey`` and two people who name each other have a strong tie; a respondent who says
    they have no one (names nobody and does not say yes) is ``isolated`` whatever the graph
    shows, one who says they have someone is not isolated on the graph alone; where what they
    say and what the interaction data show disagree, ``signals`` says so. Non-respondents are
    judged by the graph.

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
    heard = None
    if survey is not None:
        sensed = metrics.degrees(graph.strong)
        graph = with_survey(graph, survey, config, tenure_days=tenure)
        heard = (survey, sensed)
    unit = group_unit(org)
    team, team_names = team_codes(org, unit)
    network = _network_metrics(graph, team, config, connectors=connectors, communities=communities)
    judgement = None if heard is None else judge(heard[0], heard[1], network.strong_ties)
    flags = _flag_arrays(network, tenure, config, judgement)
    reasons = Reasons(network, flags, tenure, team, team_names, unit, config, as_of, survey)
    people = _people(org, network, tenure, reasons, survey, judgement)
    teams = team_metrics(graph, team, team_names, flags.isolated, flags.peripheral, config, unit)
    summary = _summary(org, graph, network, flags, teams, unit, as_of, config, connectors)
    if not communities:
        summary["communities"] = None
    if heard is not None and judgement is not None:
        teams = _with_survey_shares(teams, heard[0], team, config)
        summary["survey"] = survey_summary(heard[0], heard[1], judgement, config.min_group_size)
    return Analysis(people, teams, graph, as_of, config, summary, survey)


def _with_survey_shares(
    teams: list[TeamMetrics], survey: Survey, team: np.ndarray, config: AnalysisConfig
) -> list[TeamMetrics]:
    """``teams`` with their respondents and the share who say they have someone."""
    respondents, shares = team_shares(
        survey, team, len(teams), [t.suppressed for t in teams], config.min_group_size
    )
    return [
        dataclasses.replace(
            t,
            survey_respondents=None if t.suppressed else int(respondents[k]),
            says_has_someone_share=shares[k],
        )
        for k, t in enumerate(teams)
    ]


def _network_metrics(
    graph: CollaborationGraph,
    team: np.ndarray,
    config: AnalysisConfig,
    *,
    connectors: bool,
    communities: bool = True,
) -> Network:
    strong = graph.strong
    metrics.networkit()  # imported here, not on the worker (it hides matplotlib meanwhile)
    # networkit's Louvain and core decomposition release the GIL: on a worker they run beside
    # everything that does not need the communities (the betweenness searches, PageRank and
    # the counts: scipy and numpy release it too). Both stay on the one worker, in turn:
    # each sets networkit's global thread count while it runs.
    with ThreadPoolExecutor(max_workers=1) as beside:
        louvain = (
            beside.submit(
                metrics.communities,
                graph.strength.multiply(graph.reciprocated).tocsr(),
                seed=config.seed,
                resolution=config.community_resolution,
            )
            if communities
            else None
        )
        cores = beside.submit(metrics.core_numbers, strong)
        betweenness = (
            metrics.sampled_betweenness(
                strong, samples=config.betweenness_samples, seed=config.seed
            )
            if connectors
            else np.zeros(graph.n)
        )
        pagerank = metrics.pagerank(graph.strength)
        strong_teams, some_team = _distinct_labels_per_row(strong, team)
        own_team_strong = _same_label_count(strong, team)
        cross_team = _share_outside(graph.strength, team)
        strong_ties, reciprocal = metrics.degrees(strong), metrics.degrees(graph.reciprocated)
        one_way, one_way_in = metrics.degrees(graph.one_way), metrics.degrees(graph.one_way.T)
        strength = np.asarray(graph.strength.sum(axis=1)).ravel()
        community = np.arange(graph.n) if louvain is None else louvain.result()
        coreness = cores.result()
    return Network(
        strong_ties=strong_ties,
        reciprocal=reciprocal,
        one_way=one_way,
        one_way_in=one_way_in,
        strength=strength,
        coreness=coreness,
        community=community,
        cross_team=cross_team,
        cross_community=_share_outside(graph.strength, community),
        betweenness=betweenness,
        pagerank=pagerank,
        strong_teams=strong_teams,
        some_team=some_team,
        other_teams=strong_teams - (own_team_strong > 0),
    )


def _flag_arrays(
    network: Network, tenure: np.ndarray, config: AnalysisConfig, judgement: Judgement | None
) -> FlagArrays:
    """The flags' definitions (see :func:`analyze`'s Notes)."""
    n = len(tenure)
    strong_ties = network.strong_ties
    new_hire = ~np.isnan(tenure) & (tenure < config.new_hire_days)
    tied = strong_ties > 0
    isolated = ~tied if judgement is None else judgement.isolated
    self_reported = np.zeros(n, bool) if judgement is None else judgement.self_reported
    few_limit = np.zeros(n)
    for cohort in (new_hire, ~new_hire):
        pool = strong_ties[cohort & tied]
        limit = np.quantile(pool, config.peripheral_quantile) if len(pool) else 0
        few_limit[cohort] = min(max(float(np.floor(limit)), 1.0), config.peripheral_max_ties)
    peripheral = ~isolated & tied & (strong_ties <= few_limit) & (network.strong_teams <= 1)
    betweenness = network.betweenness
    cutoff = np.quantile(betweenness, 1 - config.connector_share) if n else 0.0
    connector = (
        (betweenness >= cutoff)
        & (betweenness > 0)
        & (network.other_teams >= config.connector_min_teams)
    )
    return FlagArrays(new_hire, isolated, peripheral, connector, self_reported)


def _people(
    org: Org,
    network: Network,
    tenure: np.ndarray,
    reasons: Reasons,
    survey: Survey | None,
    judgement: Judgement | None,
) -> list[PersonMetrics]:
    """One row of ``analysis.csv`` per employee, in org order. The metrics become Python
    lists a column at a time (``tolist``), not a number at a time: at a million people the
    per-number conversions took ten seconds."""
    if survey is not None and judgement is not None:  # rare: keep the per-person path
        return [
            _person(k, employee, network, tenure, reasons, survey, judgement)
            for k, employee in enumerate(org.employees)
        ]
    columns = zip(
        network.strong_ties.tolist(),
        network.reciprocal.tolist(),
        network.strength.tolist(),
        network.coreness.tolist(),
        network.community.tolist(),
        network.cross_team.tolist(),
        network.cross_community.tolist(),
        network.betweenness.tolist(),
        network.pagerank.tolist(),
        network.one_way.tolist(),
        network.strong_teams.tolist(),
        [None if days != days else days for days in tenure.tolist()],  # NaN: unknown
        strict=True,
    )
    people = []
    for k, (employee, values) in enumerate(zip(org.employees, columns, strict=True)):
        flags, words = reasons.of(k, employee)
        (strong, reciprocal, strength, core, community, cross_team, cross_community) = values[:7]
        (betweenness, pagerank, one_way, strong_teams, days) = values[7:]
        people.append(
            PersonMetrics(
                id=employee.id,
                flags=flags,
                strong_ties=strong,
                reciprocal_contacts=reciprocal,
                strength=strength,
                coreness=core,
                community=community,
                cross_team_share=cross_team,
                cross_community_share=cross_community,
                betweenness=betweenness,
                pagerank=pagerank,
                one_way_contacts=one_way,
                strong_tie_teams=strong_teams,
                team=employee.team or "",
                tenure_days=days,
                reasons=words,
            )
        )
    return people


def _person(
    k: int,
    employee: Employee,
    network: Network,
    tenure: np.ndarray,
    reasons: Reasons,
    survey: Survey | None,
    judgement: Judgement | None,
) -> PersonMetrics:
    flags, words = reasons.of(k, employee)
    said: dict[str, object] = {}
    if survey is not None and judgement is not None:
        answer = int(survey.has_someone[k])
        said = {
            "survey_responded": bool(survey.responded[k]),
            "says_has_someone": None if answer == UNKNOWN else answer == YES,
            "names": int(survey.names[k]),
            "named_by": int(survey.named_by[k]),
            "signals": tuple(str(signal) for signal in judgement.signals[k]),
        }
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
        **said,  # type: ignore[arg-type]
    )


def _summary(
    org: Org,
    graph: CollaborationGraph,
    network: Network,
    flags: FlagArrays,
    teams: list[TeamMetrics],
    unit: str,
    as_of: dt.datetime,
    config: AnalysisConfig,
    connectors: bool = True,
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
        "betweenness": metrics.betweenness_bound(n, config.betweenness_samples)
        if connectors
        else {"method": "not computed (connectors off)", "pivots": 0},
        "graph": graph.stats.as_dict(),
        "load": org.report.as_dict(),
        "inputs": org.sources,
        "config": config.model_dump(mode="json"),
    }


def _same_label_count(matrix: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
    coo = matrix.tocoo()
    same = labels[coo.row] == labels[coo.col]
    return np.bincount(coo.row[same], minlength=matrix.shape[0])
