"""What ``matcher evaluate`` judges a period against: the options checked, the periods asked,
their windows checked against the interactions, the org before the period, and the surveys.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import scipy.sparse as sp

from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.analysis.isolation import analyze as run_analysis
from matcher.analysis.survey import Survey
from matcher.config import AnalysisConfig
from matcher.errors import DataError, HistoryError, Problem, UsageProblem
from matcher.evaluation.outcomes import Window, period_days
from matcher.history import History
from matcher.io.load import load_interactions
from matcher.io.reports import read_analysis_view
from matcher.io.survey import load_survey
from matcher.model import InteractionTable, Org
from matcher.workflows.common import Reporter

if TYPE_CHECKING:
    from matcher.workflows.evaluate import EvaluateRequest


def check_request(request: EvaluateRequest) -> None:
    """Raise :class:`UsageProblem` for options that do not fit together."""
    if (request.period is None) == (not request.all_periods):
        raise UsageProblem("give --period P or --all-periods (one of them)")
    if request.before_interactions is not None and request.before_analysis is not None:
        raise UsageProblem("give --before-interactions or --before-analysis, not both")
    if request.all_periods and request.before_analysis is not None:
        raise UsageProblem(
            "--before-analysis describes one period's start: with --all-periods give "
            "--before-interactions (each period's start is analysed from the interactions)"
        )
    if request.all_periods and (request.as_of is not None or request.since is not None):
        raise UsageProblem(
            "--as-of and --since set one period's window: leave them out with --all-periods"
        )


def periods_asked(history: History, request: EvaluateRequest) -> list[str]:
    """The committed periods to judge, in time order: ``--period`` or all of them."""
    committed = history.committed_periods()
    if request.all_periods:
        if not committed:
            raise HistoryError(
                f"{request.db} has no committed run to evaluate (matcher history list)"
            )
        return sorted(committed, key=lambda p: period_days(p)[0])
    assert request.period is not None
    try:
        period_days(request.period)
    except ValueError as exc:
        raise UsageProblem(f"--period: {exc}") from exc
    if request.period not in committed:
        known = ", ".join(committed) if committed else "none"
        raise HistoryError(
            f"{request.db} has no committed run for period {request.period} (committed periods: "
            f"{known}); commit a proposal first (matcher history commit RUN)"
        )
    return [request.period]


def load_before_table(request: EvaluateRequest, org: Org) -> InteractionTable | None:
    """The ``--before-interactions`` rows (``None`` without that option)."""
    if request.before_interactions is None:
        return None
    opted = [i for i in org.manager_of if i not in org.index]
    loaded = load_interactions(request.before_interactions, org.ids, opted_out=opted)
    return loaded.table


def check_windows(
    request: EvaluateRequest,
    windows: dict[str, Window],
    after: InteractionTable,
    reporter: Reporter,
) -> dict[str, Window]:
    """Interactions that end before a period starts are an error (with ``--all-periods``,
    such a period is left out with a warning while another one has started); a window that runs past
    the latest interaction (no ``--as-of``) is cut there, with a warning; interactions that
    start after the window does, or end before an explicit ``--as-of``, are warned about
    (meetings outside what the file covers cannot be counted)."""
    latest = int(after.timestamp.max()) if len(after) else None
    earliest = int(after.timestamp.min()) if len(after) else None
    checked: dict[str, Window] = {}
    started = {
        p: w for p, w in windows.items() if latest is not None and latest >= w.start.timestamp()
    }
    for period, window in windows.items():
        if request.all_periods and started and period not in started:
            assert latest is not None
            reporter.warn(
                f"{period}: not judged: the interactions end on "
                f"{dt.datetime.fromtimestamp(latest, dt.UTC).date()}, before its evaluation "
                f"window starts ({window.start.date()})"
            )
            continue
        if latest is None or latest < window.start.timestamp():
            last = (
                "has no interactions"
                if latest is None
                else f"ends on {dt.datetime.fromtimestamp(latest, dt.UTC).date()}"
            )
            raise DataError(
                [
                    Problem(
                        str(request.interactions),
                        None,
                        "timestamp",
                        f"the file {last}, before the evaluation window of {period} starts "
                        f"({window.start.date()}): give the interactions from after the run",
                    )
                ]
            )
        day = dt.datetime.fromtimestamp(latest, dt.UTC).date()
        first = dt.datetime.fromtimestamp(earliest or latest, dt.UTC).date()
        if first > window.start.date():
            reporter.warn(
                f"{request.interactions}: the interactions start on {first}, after the "
                f"evaluation window of {period} does ({window.start.date()}): meetings before "
                "then are not counted, so the met rate may be low"
            )
        if request.as_of is not None and day < window.end.date():
            reporter.warn(
                f"{request.interactions}: the interactions end on {day}, before --as-of "
                f"({window.end.date()}): meetings after then are not counted"
            )
        if request.as_of is None and day < window.end.date():
            reporter.warn(
                f"{request.interactions}: the interactions end on {day}, before {period} does "
                f"({window.end.date()}): judged as of {day} (give --as-of to choose)"
            )
            window = Window(
                window.start, dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
            )
        checked[period] = window
    return checked


def load_surveys(request: EvaluateRequest, org: Org) -> tuple[Survey | None, Survey | None]:
    """The surveys from before and after the period (``None`` when not given)."""
    before = load_survey(request.before_survey, org)[0] if request.before_survey else None
    after = load_survey(request.survey, org)[0] if request.survey else None
    return before, after


def org_at(org: Org, table: InteractionTable, as_of: dt.datetime) -> Org:
    """The org with ``table`` as its interactions, analysed as of ``as_of``."""
    moved = Org(org.employees, table, as_of, org.report, dict(org.sources), org.manager_of)
    return moved


def before_period(
    org: Org,
    table: InteractionTable,
    window: Window,
    request: EvaluateRequest,
    config: AnalysisConfig,
    reporter: Reporter,
    period: str,
) -> tuple[Analysis | AnalysisView | None, sp.csr_matrix | None]:
    """The analysis at the start of the period and its strong ties (``None`` without data)."""
    if request.before_analysis is not None:
        view = read_analysis_view(
            request.before_analysis, org, request.pseudonymizer or request.reader
        )
        # the saved analysis keeps tie strengths, not reciprocity: a pair at or above the
        # threshold counts as strong before (at most a few more than the analysis had, so
        # ties formed are, if anything, undercounted)
        strength = view.strength.tocsr()
        strong = strength >= view.threshold if view.threshold > 0 else strength > 0
        return view, sp.csr_matrix(strong, dtype=bool)
    # before the period, whatever the window: a later --since must not move "before" into the
    # period, and an earlier one (pairs introduced early) moves it back with the window
    first = dt.datetime.combine(period_days(period)[0], dt.time(0, 0), tzinfo=dt.UTC)
    begins = min(window.start, first)
    start = begins - dt.timedelta(seconds=1)
    if not len(table) or int(table.timestamp.min()) > start.timestamp():
        reporter.warn(
            f"no interactions from before {period} starts ({begins.date()}): ties formed, "
            "the flagged people's effect and isolation before are not known (give "
            "--before-interactions or --before-analysis)"
        )
        return None, None
    analysis = run_analysis(org_at(org, table, start), config, connectors=False, communities=False)
    return analysis, analysis.graph.strong.tocsr()


def describe_before(request: EvaluateRequest, before: Analysis | AnalysisView | None) -> str | None:
    """What the period's start was judged from, for the scorecard (``None``: unknown)."""
    if before is None:
        return None
    if request.before_analysis is not None:
        return f"the analysis in {request.before_analysis} (as of {before.as_of.date()})"
    source = request.before_interactions or request.interactions
    return f"the interactions in {source}, analysed as of {before.as_of.date()}"
