"""``matcher analyze``: employees and interactions in, the analysis files out."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from matcher.analysis.flags import Flag
from matcher.analysis.isolation import Analysis
from matcher.analysis.isolation import analyze as run_analysis
from matcher.config import AnalysisConfig
from matcher.io.configs import load_analysis_config
from matcher.io.load import load_org
from matcher.io.reports import OUTPUT_FILES, count_by_reason, write_analysis
from matcher.privacy import Pseudonymizer, public_reasons
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
        return self.analysis.summary


def analyze_files(
    employees: Path,
    interactions: Path,
    out_dir: Path,
    *,
    as_of: dt.date | None = None,
    config_file: Path | None = None,
    seed: int | None = None,
    pseudonymizer: Pseudonymizer | None = None,
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
    pseudonymizer
        Write keyed pseudonyms instead of ids.
    reporter
        Progress and warnings (default: silent).

    Returns
    -------
    AnalyzeOutcome
        The analysis (its ``summary`` is what ``summary.json`` holds) and what was dropped.

    Raises
    ------
    DataError, ConfigError, OutputError
        Bad input files or configuration, or an output folder that cannot be written.
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
    with reporter.step(f"analysing {len(org):,} people"):
        analysis = run_analysis(org, config)
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
