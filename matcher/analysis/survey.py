"""What people say in a pulse survey, beside what the collaboration graph shows.

A survey answers the question the programs exist for ("do you have at least one person at
work you can turn to?") and names the people each respondent turns to. Here it becomes:

* ties: a nomination is a directed tie of channel ``survey`` whose strength is
  ``survey_weight`` strong-tie thresholds; two people who name each other have a
  reciprocated strong tie; a nomination answered by any contact the other way (a message, a
  nomination) is reciprocated, and strong when its strength reaches the pair's threshold;
* a judgement per respondent: who *says they have no one* (they name nobody and do not say
  yes) and who *says they have someone* (they say yes, or name someone);
* signals where the two sources disagree, so that HR can look twice.

Everything is arrays in org order; nothing is read or written here.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import scipy.sparse as sp

from matcher.analysis.graph import CollaborationGraph, strong_ties
from matcher.config import AnalysisConfig
from matcher.privacy import complementary_suppression

YES, NO, UNKNOWN = 1, 0, -1
"""Values of :attr:`Survey.has_someone`."""
SAYS_NO_ONE = "says_no_one"
"""The program selector (``says_no_one = true``) for respondents who say they have no one;
also the fact the independent checker reads beside each person's flags."""


class Signal(StrEnum):
    """Where what a respondent says and what the graph shows disagree (``signals`` column)."""

    SENSED_ISOLATED_SAYS_HAS_SOMEONE = "sensed_isolated_says_has_someone"
    """No strong tie in the data, but they say they have someone (or name someone)."""
    SAYS_NO_ONE_SENSED_CONNECTED = "says_no_one_sensed_connected"
    """They say they have no one, but the data shows strong ties."""
    SAYS_NO_BUT_NAMES_SOMEONE = "says_no_but_names_someone"
    """They answer no to the question, yet name people they turn to."""


@dataclass(frozen=True)
class Survey:
    """The answers of one survey, per person in org order.

    Attributes
    ----------
    responded : numpy.ndarray of bool
        Whether the person answered.
    has_someone : numpy.ndarray of int8
        Their answer to "I have at least one person at work I can turn to": :data:`YES`,
        :data:`NO` or :data:`UNKNOWN` (blank, another answer, or no response).
    nominations : scipy.sparse.csr_matrix of bool
        ``nominations[i, j]``: ``i`` named ``j`` as someone they turn to (no diagonal).
    submitted : numpy.ndarray of datetime64[D]
        The day each response was submitted (``NaT`` without a response).
    """

    responded: np.ndarray
    has_someone: np.ndarray
    nominations: sp.csr_matrix
    submitted: np.ndarray

    def __post_init__(self) -> None:
        """Check the arrays describe one survey of the same people."""
        n = self.responded.shape[0]
        if self.has_someone.shape != (n,) or self.submitted.shape != (n,):
            raise ValueError("a survey's arrays must have one entry per person")
        if self.nominations.shape != (n, n):
            raise ValueError(f"nominations must be {n} x {n}, got {self.nominations.shape}")
        if self.nominations.diagonal().any():
            raise ValueError("nobody can nominate themselves")
        if (self.nominations.getnnz(axis=1)[~self.responded] > 0).any():
            raise ValueError("only respondents nominate")

    @classmethod
    def empty(cls, n: int) -> Survey:
        """A survey nobody answered."""
        return cls(
            responded=np.zeros(n, bool),
            has_someone=np.full(n, UNKNOWN, np.int8),
            nominations=sp.csr_matrix((n, n), dtype=bool),
            submitted=np.full(n, np.datetime64("NaT"), "datetime64[D]"),
        )

    @functools.cached_property
    def names(self) -> np.ndarray:
        """How many people each person named."""
        return np.asarray(self.nominations.getnnz(axis=1), np.int64)

    @functools.cached_property
    def named_by(self) -> np.ndarray:
        """How many respondents named each person."""
        return np.asarray(self.nominations.getnnz(axis=0), np.int64)

    @functools.cached_property
    def says_no_one(self) -> np.ndarray:
        """Respondents who name nobody and do not say yes: they have no one to turn to."""
        return self.responded & (self.names == 0) & (self.has_someone != YES)

    @functools.cached_property
    def says_someone(self) -> np.ndarray:
        """Respondents who say yes or name someone."""
        return self.responded & ~self.says_no_one

    @functools.cached_property
    def mutual(self) -> sp.csr_matrix:
        """Symmetric: the two named each other."""
        nominated = self.nominations.astype(bool)
        return nominated.multiply(nominated.T).astype(bool).tocsr()

    def date(self, k: int) -> dt.date:
        """The day person ``k`` answered."""
        return dt.date.fromisoformat(str(self.submitted[k]))


def with_survey(
    graph: CollaborationGraph,
    survey: Survey,
    config: AnalysisConfig,
    *,
    tenure_days: np.ndarray | None = None,
) -> CollaborationGraph:
    """The graph with the survey's nominations added as ties (see the module's notes).

    The strong-tie threshold stays the one the interactions gave: a survey adds ties, it does
    not move the bar. Adding a survey never removes a tie: strength only grows, and a pair
    that was reciprocated or strong stays so.

    Examples
    --------
    Two people who name each other have a reciprocated strong tie, even with no interaction:

    >>> import scipy.sparse as sp
    >>> g = CollaborationGraph(n=3, strength=sp.csr_matrix((3, 3)),
    ...     reciprocated=sp.csr_matrix((3, 3), dtype=bool),
    ...     one_way=sp.csr_matrix((3, 3), dtype=bool),
    ...     strong=sp.csr_matrix((3, 3), dtype=bool), threshold=1.0)
    >>> named = sp.csr_matrix(([True, True, True], ([0, 1, 2], [1, 0, 0])), shape=(3, 3))
    >>> s = Survey(responded=np.array([True, True, True]),
    ...     has_someone=np.full(3, UNKNOWN, np.int8), nominations=named,
    ...     submitted=np.full(3, np.datetime64("2026-09-25"), "datetime64[D]"))
    >>> g2 = with_survey(g, s, AnalysisConfig())
    >>> bool(g2.strong[0, 1]), bool(g2.strong[0, 2]), bool(g2.reciprocated[0, 2])
    (True, False, False)
    >>> float(g2.strength[0, 2])
    1.0
    """
    n = graph.n
    nominated = survey.nominations.astype(bool).tocsr()
    if nominated.shape != (n, n):
        raise ValueError(f"the survey covers {nominated.shape[0]} people, the graph {n}")
    weight = config.survey_weight * graph.threshold
    added = (nominated.astype(np.float64) + nominated.T.astype(np.float64)) * weight
    strength = (graph.strength + added).tocsr()
    strength.eliminate_zeros()
    # a contact either way answers a nomination: a message, a meeting, a nomination back
    contact = (nominated + graph.one_way + graph.reciprocated).astype(bool)
    answered = nominated.multiply(contact.T).astype(bool)
    reciprocated = (graph.reciprocated + answered + answered.T).astype(bool).tocsr()
    one_way = (graph.one_way.astype(np.int8) - graph.one_way.multiply(reciprocated)) > 0
    strong = strong_ties(strength, reciprocated, graph.threshold, config, tenure_days)
    strong = (strong + graph.strong + survey.mutual).astype(bool).tocsr()
    return replace(
        graph,
        strength=strength,
        reciprocated=reciprocated,
        one_way=sp.csr_matrix(one_way, dtype=bool),
        strong=strong,
    )


@dataclass(frozen=True)
class Judgement:
    """What the survey changes in the flags, per person in org order."""

    isolated: np.ndarray
    """Isolated once the survey is heard: says no one, or (not responding, or saying neither)
    no strong tie in the graph with the survey's ties."""
    self_reported: np.ndarray
    """Isolated because they say they have no one."""
    signals: list[tuple[Signal, ...]]


def judge(survey: Survey, sensed: np.ndarray, strong: np.ndarray) -> Judgement:
    """Who is isolated once what people say is heard, and where the sources disagree.

    A respondent who says they have no one is isolated whatever the graph shows; one who says
    they have someone is not isolated on the graph alone; everyone else is judged by the graph
    with the survey's ties (``strong``: strong ties per person). The signals compare what
    people say with what the interaction data alone show (``sensed``: strong ties per person
    before the survey's ties were added).

    >>> s = Survey(responded=np.array([True, True, False]),
    ...     has_someone=np.array([NO, YES, UNKNOWN], np.int8),
    ...     nominations=sp.csr_matrix((3, 3), dtype=bool),
    ...     submitted=np.full(3, np.datetime64("2026-09-25"), "datetime64[D]"))
    >>> j = judge(s, sensed=np.array([2, 0, 0]), strong=np.array([2, 0, 0]))
    >>> j.isolated.tolist(), [list(map(str, x)) for x in j.signals]
    ([True, False, True], [['says_no_one_sensed_connected'], ['sensed_isolated_says_has_someone'], []])
    """
    no_one, someone = survey.says_no_one, survey.says_someone
    isolated = no_one | ((strong == 0) & ~someone)
    mixed = survey.responded & (survey.has_someone == NO) & (survey.names > 0)
    disagree = {
        Signal.SENSED_ISOLATED_SAYS_HAS_SOMEONE: someone & (sensed == 0),
        Signal.SAYS_NO_ONE_SENSED_CONNECTED: no_one & (sensed > 0),
        Signal.SAYS_NO_BUT_NAMES_SOMEONE: mixed,
    }
    signals = [
        tuple(signal for signal, where in disagree.items() if where[k])
        for k in range(sensed.shape[0])
    ]
    return Judgement(isolated=isolated, self_reported=no_one, signals=signals)


def team_shares(
    survey: Survey, team: np.ndarray, teams: int, suppressed: Sequence[bool], k: int
) -> tuple[np.ndarray, list[float | None]]:
    """Per team: respondents, and the share of them who say they have someone (``None`` where
    it is withheld: fewer than ``k`` respondents, a team withheld from ``teams.csv``, or a
    share that the org total minus the published ones would give away).

    >>> s = Survey(responded=np.ones(7, bool), has_someone=np.array([1, 1, 0, 1, 1, 1, 1], np.int8),
    ...     nominations=sp.csr_matrix((7, 7), dtype=bool),
    ...     submitted=np.full(7, np.datetime64("2026-09-25"), "datetime64[D]"))
    >>> team_shares(s, np.array([0] * 5 + [1] * 2), 2, [False, False], k=5)
    (array([5, 2]), [None, None])
    """
    respondents = np.bincount(team[survey.responded], minlength=teams)
    yes = np.bincount(team[survey.says_someone], minlength=teams)
    hidden = complementary_suppression(respondents.tolist(), k, forced=list(suppressed))
    shares: list[float | None] = [
        None if hidden[t] or respondents[t] == 0 else float(yes[t] / respondents[t])
        for t in range(teams)
    ]
    return respondents, shares


def survey_summary(
    survey: Survey, sensed: np.ndarray, judgement: Judgement, k: int
) -> dict[str, object]:
    """The ``survey`` block of ``summary.json``: responses and how survey and graph agree (a
    2×2 table of what people say against what the interaction data show). Counts of 1 to
    ``k - 1`` people are withheld (``None``)."""

    def count(mask: np.ndarray) -> int | None:
        total = int(mask.sum())
        return None if 0 < total < k else total

    responded = survey.responded
    no_one, someone = survey.says_no_one, survey.says_someone
    isolated_sensed = responded & (sensed == 0)
    connected_sensed = responded & (sensed > 0)
    return {
        "respondents": int(responded.sum()),
        "says_has_someone": count(someone),
        "says_no_one": count(no_one),
        "answered_yes": count(responded & (survey.has_someone == YES)),
        "answered_no": count(responded & (survey.has_someone == NO)),
        "answered_other_or_blank": count(responded & (survey.has_someone == UNKNOWN)),
        "nominations": int(survey.nominations.nnz),
        "mutual_nominations": int(sp.triu(survey.mutual, k=1).nnz),
        "isolated_self_reported": count(judgement.self_reported),
        "agreement": {
            "says_no_one": {
                "sensed_isolated": count(no_one & isolated_sensed),
                "sensed_connected": count(no_one & connected_sensed),
            },
            "says_has_someone": {
                "sensed_isolated": count(someone & isolated_sensed),
                "sensed_connected": count(someone & connected_sensed),
            },
        },
        "withheld_below": k,
    }
