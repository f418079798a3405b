"""``matcher analyze``: employees and interactions in, the analysis files out."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from matcher.analysis.flags import Flag
from matcher.analysis.isolation import Analysis
from matcher.analysis.isolation import analyze as run_analysis
from matcher.analysis.sufficiency import DataSufficiency, check_data
from matcher.analysis.survey import Survey
from matcher.collector import collection_paused
from matcher.config import AnalysisConfig
from matcher.errors import DataError, Problem
from matcher.io.configs import load_analysis_config
from matcher.io.load import file_sha256, load_org
from matcher.io.public import public_reasons
from matcher.io.reports import OUTPUT_FILES, count_by_reason, write_analysis
from matcher.io.survey import SurveyLoad, load_survey
from matcher.model import Org
from matcher.privacy import Pseudonymizer
from matcher.workflows.common import Reporter, Silent, check_out_dir, warn_future


@dataclass(frozen=True)
class AnalyzeOutcome:
    """What an analysis run did: the analysis itself and what the command prints of it."""

    analysis: Analysis
    rejects_file: Path
    dropped: dict[str, int]
    """Interaction rows left out, by reason (listed in :attr:`rejects_file`)."""
    opted_out: int
    """Interaction rows left out because they name someone who opted out."""
    examples: list[tuple[str, str, str]] = field(default_factory=list)
    """A couple of flagged people per flag, as (flag, id or pseudonym, reasons): what a
    pseudonymised output may say."""

    @property
    def summary(self) -> dict[str, object]:
        """What ``summary.json`` holds."""
        return self.analysis.summary


@collection_paused()
def analyze_files(
    employees: Path,
    interactions: Path,
    out_dir: Path,
    *,
    as_of: dt.date | None = None,
    config_file: Path | None = None,
    survey: Path | None = None,
    seed: int | None = None,
    pseudonymizer: Pseudonymizer | None = None,
    strict_data: bool = False,
    reporter: Reporter | None = None,
) -> AnalyzeOutcome:
    """Load the org, analyse it and write ``analysis.csv``, ``teams.csv``, ``summary.json``,
    ``rejects.csv`` (and the ties) to ``out_dir``.

    Parameters
    ----------
    employees, interactions
        The contract's input files (CSV or Parquet).
    out_dir
        Output folder, checked before the work starts and switched as a whole at the end.
    as_of
        Analysis date (default: the latest interaction).
    config_file
        A TOML file with an ``[analysis]`` table; ``seed`` overrides its seed.
    survey
        A ``survey.csv`` (``matcher ingest`` of a forms export) to hear beside the graph.
    pseudonymizer
        Write keyed pseudonyms instead of ids.
    strict_data
        Refuse (raise) instead of warning when the interactions are too thin to flag anyone
        on (:func:`~matcher.analysis.sufficiency.check_data`); nothing is written then.
    reporter
        Progress and warnings (default: silent).

    Returns
    -------
    AnalyzeOutcome
        The analysis (its ``summary`` is what ``summary.json`` holds) and what was dropped.

    Raises
    ------
    DataError, ConfigError, OutputError
        Bad input files or configuration, or an output folder that cannot be written; with
        ``strict_data``, a :class:`DataError` naming each data check that failed.
    """
    reporter = reporter or Silent()
    started = time.perf_counter()
    check_out_dir(out_dir, OUTPUT_FILES, reporter)
    config = load_analysis_config(config_file) if config_file else AnalysisConfig()
    if seed is not None:
        config = config.model_copy(update={"seed": seed})
    with reporter.step("loading data"):
        org, rejects = load_org(employees, interactions, as_of=as_of)
    rejects_file = out_dir / "rejects.csv"
    warn_future(reporter, org.report.future_dated, interactions, rejects_file)
    heard = hear_survey(org, survey, reporter)
    with reporter.step(f"analysing {len(org):,} people"):
        analysis = run_analysis(org, config, heard and heard[0])
    if heard is not None:
        analysis.summary["survey"] = {"read": heard[1].as_dict(), **analysis.summary["survey"]}  # type: ignore[dict-item]
    data = check_data(org.interactions, len(org), analysis.graph, analysis.as_of, config)
    judge_data(data, analysis, interactions, strict_data, reporter)
    analysis.summary["data"] = data.as_dict()
    analysis.summary["seconds"] = round(time.perf_counter() - started, 2)
    with reporter.step("writing outputs"):
        write_analysis(analysis, out_dir, rejects=rejects, pseudonymizer=pseudonymizer)
    return AnalyzeOutcome(
        analysis=analysis,
        rejects_file=rejects_file,
        dropped=count_by_reason(rejects),
        opted_out=org.report.opted_out,
        examples=_examples(analysis, pseudonymizer),
    )


def judge_data(
    data: DataSufficiency,
    analysis: Analysis,
    interactions: Path,
    strict: bool,
    reporter: Reporter,
) -> None:
    """Warn when flags would rest on thin data, or (``strict``) refuse.

    Raises
    ------
    DataError
        With ``strict``, one problem per failed check, each naming its threshold's key.
    """
    failed = data.failed
    if not failed:
        return
    problems = [
        Problem(str(interactions), None, None, f"{c.problem} [data check {c.name}]") for c in failed
    ]
    if strict:
        raise DataError(
            [*problems, Problem(str(interactions), None, None, _THRESHOLDS_HINT)],
            len(problems) + 1,
        )
    flagged = sum(1 for p in analysis.people if _THIN_DATA_FLAGS.intersection(p.flags))
    reporter.warn(
        f"flags may rest on thin data ({flagged:,} of {data.people:,} people flagged isolated "
        "or peripheral): "
        + "; ".join(c.problem for c in failed)
        + f". The figures are under 'data' in summary.json; {_THRESHOLDS_HINT}, or "
        "--strict-data to refuse such data."
    )


_THIN_DATA_FLAGS = {Flag.ISOLATED, Flag.PERIPHERAL}
_THRESHOLDS_HINT = (
    "the thresholds are [analysis] keys (min_share_with_interactions, min_channels, "
    "min_window_coverage, interactions_per_week, max_one_way_share)"
)


def _examples(
    analysis: Analysis, pseudonymizer: Pseudonymizer | None, per_flag: int = 2
) -> list[tuple[str, str, str]]:
    public = public_reasons(analysis, pseudonymizer)
    examples = []
    for flag in (Flag.ISOLATED, Flag.PERIPHERAL, Flag.CONNECTOR):
        for person in [p for p in analysis.people if flag in p.flags][:per_flag]:
            name = pseudonymizer.pseudonym(person.id) if pseudonymizer else person.id
            examples.append((str(flag), name, public(person.reasons)))
    return examples


def hear_survey(
    org: Org, survey: Path | None, reporter: Reporter
) -> tuple[Survey, SurveyLoad] | None:
    """The survey of ``org``'s people (recorded in ``org.sources``) and what reading it left
    out, or None without one; answers from people not in the employees file are left out
    with a warning."""
    if survey is None:
        return None
    with reporter.step("reading the survey"):
        heard, load = load_survey(survey, org)
    org.sources["survey"] = f"{survey} sha256:{file_sha256(survey)}"
    left_out = {what: count for what, count in load.left_out().items() if count}
    if left_out:
        words = ", ".join(f"{count:,} {what.replace('_', ' ')}" for what, count in left_out.items())
        reporter.warn(f"{survey}: left out {words} (not in the employees file, or opted out)")
    return heard, load
