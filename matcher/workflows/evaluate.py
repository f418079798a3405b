"""``matcher evaluate``: the history, the org and what happened next in; the scorecard out.

For each committed program run of a period: did the pairs meet, did strong ties form, did
flagged people who were matched form new ties more often than those who were not; org-wide,
isolation before and after, and what the surveys say. The outcome of every judged pair is
recorded in the history (evaluating again replaces it), so that a program may try again the
pairs that never met (``no_repeat_counts = "met"``).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from matcher.analysis.flags import Flag
from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.analysis.isolation import analyze as run_analysis
from matcher.analysis.survey import Survey
from matcher.collector import collection_paused
from matcher.config import AnalysisConfig
from matcher.errors import HistoryError
from matcher.evaluation.cohorts import program_seekers
from matcher.evaluation.effect import fit_effect
from matcher.evaluation.outcomes import (
    NEVER,
    PairOutcomes,
    Window,
    pair_outcomes,
    window_of,
)
from matcher.evaluation.scorecard import (
    MIN_GROUP,
    Card,
    PeriodState,
    ProgramPairs,
    org_card,
    program_card,
)
from matcher.history import Evaluated, History, Outcome
from matcher.io.configs import load_analysis_config
from matcher.io.load import file_sha256, load_org
from matcher.io.scorecard import SCORECARD_FILES, PeriodCard, write_scorecard
from matcher.io.write import published_folder
from matcher.model import InteractionTable, Org
from matcher.privacy import Pseudonymizer
from matcher.workflows.common import Reporter, Silent, check_out_dir
from matcher.workflows.evaluate_inputs import (
    before_period,
    check_request,
    check_windows,
    describe_before,
    load_before_table,
    load_surveys,
    org_at,
    periods_asked,
)

SECONDS_PER_DAY = 86_400

Judged = tuple[str, ProgramPairs, PairOutcomes, list[str]]
"""A program's name, its committed pairs, what became of them, and each pair's run."""


@dataclass(frozen=True)
class EvaluateRequest:
    """What ``matcher evaluate`` was asked (see :func:`evaluate_files`)."""

    db: Path
    employees: Path
    interactions: Path
    out_dir: Path
    period: str | None = None
    all_periods: bool = False
    before_interactions: Path | None = None
    before_analysis: Path | None = None
    survey: Path | None = None
    before_survey: Path | None = None
    as_of: dt.date | None = None
    since: dt.date | None = None
    config_file: Path | None = None
    seed: int = 0
    record: bool = True
    """Record each judged pair's outcome in the history database."""
    pseudonymizer: Pseudonymizer | None = None
    reader: Pseudonymizer | None = None
    """A key that only reads a pseudonymised ``--before-analysis``."""


@dataclass
class EvaluateOutcome:
    """What an evaluation did: the figures written, and what was recorded."""

    summary: dict[str, Any]
    periods: list[PeriodCard] = field(default_factory=list)
    recorded: int = 0


@collection_paused()
def evaluate_files(request: EvaluateRequest, reporter: Reporter | None = None) -> EvaluateOutcome:
    """Judge the committed runs of one period (or every committed period) and write
    ``evaluation.json``, ``scorecard.csv`` and ``scorecard.html`` to ``request.out_dir``.

    Raises
    ------
    UsageProblem
        Options that do not fit together.
    HistoryError
        A period with no committed run, or a database whose pairs name nobody in the
        employees file (another organisation's history).
    DataError, ConfigError, OutputError
        Bad input files or configuration, interactions that end before the period starts,
        or an output folder that cannot be written.
    """
    reporter = reporter or Silent()
    started = time.perf_counter()
    check_request(request)
    check_out_dir(request.out_dir, SCORECARD_FILES, reporter)
    config = load_analysis_config(request.config_file) if request.config_file else AnalysisConfig()
    config = config.model_copy(update={"seed": request.seed})
    if not request.db.is_file():
        raise HistoryError(
            f"{request.db}: no history database there (see matcher history list --db)"
        )
    with History(request.db, create=False) as history:
        org, cards, evaluated = _judge_periods(history, request, config, reporter)
    recorded = sum(len(e.outcomes) for e in evaluated) if request.record else None
    summary = _summary(request, org, recorded, started)
    summary["broadcast_size"] = config.broadcast_size
    # the outputs are staged, the outcomes recorded in one transaction, then the outputs
    # switched in: the folder never shows an evaluation the history does not hold
    with (
        reporter.step("writing outputs"),
        published_folder(request.out_dir, ours=SCORECARD_FILES) as staged,
    ):
        summary = write_scorecard(staged, cards, summary, request.pseudonymizer, org.ids)
        if request.record:
            with History(request.db, create=False) as history:
                history.record_evaluation(evaluated)
    return EvaluateOutcome(summary=summary, periods=cards, recorded=recorded or 0)


def _judge_periods(
    history: History, request: EvaluateRequest, config: AnalysisConfig, reporter: Reporter
) -> tuple[Org, list[PeriodCard], list[Evaluated]]:
    """Load the data and judge each period asked about: the org, each period's card, and
    the outcomes to record (the surveys go to the last period only)."""
    periods = periods_asked(history, request)
    windows = {p: window_of(p, since=request.since, as_of=request.as_of) for p in periods}
    latest_end = max(w.end for w in windows.values())
    with reporter.step("loading data"):
        org, _ = load_org(request.employees, request.interactions, as_of=latest_end)
        before_table = load_before_table(request, org)
    after = org.interactions
    windows = check_windows(request, windows, after, reporter)
    table = _joined(before_table, after)
    surveys = load_surveys(request, org)
    periods = [p for p in periods if p in windows]
    cards: list[PeriodCard] = []
    evaluated: list[Evaluated] = []
    for number, period in enumerate(periods):
        window = windows[period]
        with reporter.step(f"evaluating {period}"):
            card, outcomes = _evaluate_period(
                history,
                org,
                table,
                period,
                window,
                request,
                config,
                surveys if number == len(periods) - 1 else (None, None),
                reporter,
            )
        cards.append(card)
        evaluated += _outcomes(org, outcomes, window)
    return org, cards, evaluated


def _joined(before: InteractionTable | None, after: InteractionTable) -> InteractionTable:
    """The interactions from before the period followed by those after: where the two files
    overlap, the after file holds the overlap (a row in both would otherwise count twice)."""
    if before is None:
        return after
    if len(after):
        before = before.select(before.timestamp < int(after.timestamp.min()))
    return InteractionTable.concat([before, after])


def _summary(
    request: EvaluateRequest, org: Org, recorded: int | None, started: float
) -> dict[str, Any]:
    """The run's summary: its inputs (with their hashes), seed and timing."""
    return {
        "db": str(request.db),
        "inputs": {
            **org.sources,
            **(
                {"before_interactions": _source(request.before_interactions)}
                if request.before_interactions
                else {}
            ),
            **(
                {"before_analysis": str(request.before_analysis)} if request.before_analysis else {}
            ),
            **({"survey": _source(request.survey)} if request.survey else {}),
            **({"before_survey": _source(request.before_survey)} if request.before_survey else {}),
        },
        "seed": request.seed,
        "min_group_size": MIN_GROUP,
        "recorded_outcomes": recorded,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _source(path: Path) -> str:
    return f"{path} sha256:{file_sha256(path)}"


def _flags(view: Analysis | AnalysisView, flag: str) -> np.ndarray:
    if isinstance(view, Analysis):
        return np.array([flag in p.flags for p in view.people], bool)
    return np.array([flag in f for f in view.flags], bool)


@dataclass
class _Tally:
    """Committed pairs of a period counted, those naming nobody in the org, and one of them."""

    total: int = 0
    unknown: int = 0
    example: str = ""


def _evaluate_period(
    history: History,
    org: Org,
    table: InteractionTable,
    period: str,
    window: Window,
    request: EvaluateRequest,
    config: AnalysisConfig,
    surveys: tuple[Survey | None, Survey | None],
    reporter: Reporter,
) -> tuple[PeriodCard, list[Judged]]:
    """Judge each program's committed runs of ``period``: the period's card, and each
    program's pairs and outcomes."""
    before, strong_before = before_period(org, table, window, request, config, reporter, period)
    state = _period_state(org, table, window, config, before, strong_before, surveys)
    programs: dict[str, list[str]] = {}
    kinds: dict[str, str | None] = {}
    for run in history.committed_runs_of_period(period):
        programs.setdefault(run.program, []).append(run.run_id)
        kinds[run.program] = run.kind
    judged: list[Judged] = []
    paired = np.zeros(len(org), bool)
    tally = _Tally()
    for name, run_ids in programs.items():
        seekers, providers, scores, owners, left = _run_pairs(history, org, run_ids, tally)
        selected = (
            program_seekers(history.run_config(run_ids[-1]), org, before)
            if before is not None
            else None
        )
        pairs = ProgramPairs(
            program=name,
            kind=kinds[name],
            period=period,
            run_ids=run_ids,
            seekers=np.array(seekers, np.int64),
            providers=np.array(providers, np.int64),
            scores=np.array(scores, np.float64),
            left_org=left,
            selected=selected,
        )
        paired[pairs.seekers] = True
        paired[pairs.providers] = True
        outcomes = pair_outcomes(
            table,
            pairs.seekers,
            pairs.providers,
            pairs.scores,
            window,
            strong_after=state.strong_after,
            strong_before=strong_before,
            broadcast_size=config.broadcast_size,
        )
        judged.append((name, pairs, outcomes, owners))
        if left:
            reporter.warn(
                f"{name} {period}: {left} committed pair(s) name someone no longer in "
                f"{request.employees} (or who opted out): not judged"
            )
    _check_org_matches(tally, period, request)
    return (
        PeriodCard(
            period=period,
            window=window,
            before=describe_before(request, before),
            programs=_program_cards(judged, state, window, paired, request.seed),
            org=org_card(state),
        ),
        judged,
    )


def _period_state(
    org: Org,
    table: InteractionTable,
    window: Window,
    config: AnalysisConfig,
    before: Analysis | AnalysisView | None,
    strong_before: sp.csr_matrix | None,
    surveys: tuple[Survey | None, Survey | None],
) -> PeriodState:
    """The org before the period (when known) and at the end of the window."""
    after = run_analysis(
        org_at(org, table, window.end), config, connectors=False, communities=False
    )
    return PeriodState(
        n=len(org),
        isolated_after=_flags(after, Flag.ISOLATED),
        peripheral_after=_flags(after, Flag.PERIPHERAL),
        strong_after=after.graph.strong.tocsr(),
        isolated_before=None if before is None else _flags(before, Flag.ISOLATED),
        peripheral_before=None if before is None else _flags(before, Flag.PERIPHERAL),
        strong_before=strong_before,
        survey_before=surveys[0],
        survey_after=surveys[1],
    )


def _run_pairs(
    history: History, org: Org, run_ids: list[str], tally: _Tally
) -> tuple[list[int], list[int], list[float], list[str], int]:
    """The committed pairs of a program's runs as positions in the org: seekers, providers,
    scores (NaN when unknown), the run of each, and how many name someone not in the org
    (counted in ``tally`` when neither person was ever in it)."""
    known_ids = set(org.manager_of)
    seekers: list[int] = []
    providers: list[int] = []
    scores: list[float] = []
    owners: list[str] = []
    left = 0
    for run_id in run_ids:
        for s, p, score in history.run_pairs(run_id):
            tally.total += 1
            if s not in known_ids and p not in known_ids:
                tally.unknown += 1
                tally.example = tally.example or s
            a, b = org.index.get(s), org.index.get(p)
            if a is None or b is None:
                left += 1
                continue
            seekers.append(a)
            providers.append(b)
            scores.append(np.nan if score is None else float(score))
            owners.append(run_id)
    return seekers, providers, scores, owners, left


def _check_org_matches(tally: _Tally, period: str, request: EvaluateRequest) -> None:
    """Raise :class:`HistoryError` when most committed pairs name nobody in the org."""
    if tally.total and tally.unknown * 2 > tally.total:
        raise HistoryError(
            f"{tally.unknown} of the {tally.total} committed pairs of {period} in {request.db} "
            f"name nobody in {request.employees} (e.g. {tally.example!r}): is this the history "
            "of another organisation?"
        )


def _program_cards(
    judged: list[Judged],
    state: PeriodState,
    window: Window,
    paired: np.ndarray,
    seed: int,
) -> dict[str, Card]:
    """Each program's card, with the calibration of its scores."""
    blocks: dict[str, Card] = {}
    for name, pairs, outcomes, _ in judged:
        card = program_card(pairs, outcomes, state, window, paired_in_period=paired)
        formed = outcomes.tie_formed
        card.block["calibration"] = {
            "tie_probability": {
                "estimate": card.block.get("tie_rate"),
                "ci95": card.block.get("tie_rate_ci95"),
            },
            "fit_effect": fit_effect(outcomes.score, formed, seed=seed).as_dict()
            if formed is not None
            else None,
        }
        blocks[name] = card
    return blocks


def _outcomes(
    org: Org,
    judged: list[Judged],
    window: Window,
) -> list[Evaluated]:
    """Each judged pair's outcome, by the run that holds it (what the history records)."""
    found: list[Evaluated] = []
    for _, pairs, outcomes, owners in judged:
        formed = outcomes.tie_formed
        by_run: dict[str, list[Outcome]] = {run_id: [] for run_id in pairs.run_ids}
        for k, run_id in enumerate(owners):
            first = int(outcomes.first_met[k])
            by_run[run_id].append(
                Outcome(
                    seeker_id=org.ids[int(pairs.seekers[k])],
                    provider_id=org.ids[int(pairs.providers[k])],
                    met=first != NEVER,
                    first_met=None
                    if first == NEVER
                    else dt.datetime.fromtimestamp(first, dt.UTC).isoformat(),
                    tie_formed=None if formed is None else bool(formed[k]),
                )
            )
        found += [
            Evaluated(run_id, tuple(items), window.start.isoformat(), window.end.isoformat())
            for run_id, items in by_run.items()
        ]
    return found
