"""End-to-end baseline pipelines: what a user of networkx or igraph would write by hand.

``matcher analyze`` reads the CSV files, aggregates the interactions into tie strengths,
builds the graphs, computes the metrics, sets the flags and writes files. The metric-only
baselines (:mod:`benchmarks.baselines.metrics`) start from edge lists that matcher aggregated, so
against them the CLI does strictly more work. The pipelines here do the same work as the CLI
(short of the flags and reports): they read ``employees.csv`` and ``interactions.csv`` with
pandas (pyarrow engine), aggregate the interactions with pandas and numpy into the same tie
strengths, reciprocity and strong ties as :func:`matcher.analysis.graph.build_graph` (default
analysis configuration, as-of date = the latest interaction, as ``matcher analyze`` without
``--as-of``), build the library's graphs, compute the metric set of
:mod:`benchmarks.baselines.metrics` (whose build and metric code they reuse, so the metric part is
exactly the metric-only baseline's) and write one CSV row per person.

Nothing here imports matcher: a baseline worker loads pandas, numpy and its own library
only. pandas and pyarrow are imported inside the functions that use them, because the harness
imports this module (for the ``pipeline`` command and :func:`read_outputs`) into every worker,
whose peak memory is reported. The weighting constants are therefore copied, each with where it comes from, and
``tests/benchmarks/test_pipelines.py`` checks them against matcher's and checks that the aggregated
edge lists equal ``build_graph``'s (within 1e-9) on small generated orgs with added edge cases.

Steps (seconds each, see :data:`STEPS`): ``read`` (both files), ``aggregate`` (clean, weight
and sum the interactions into the three edge lists), then the metric pipeline's ``build``,
``core_number``, ``pagerank``, ``louvain`` and ``betweenness``, and ``write``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from benchmarks.baselines.metrics import BASELINES
from benchmarks.pipelines import STEPS as METRIC_STEPS
from benchmarks.pipelines import EdgeList, GraphInputs, PipelineRun

if TYPE_CHECKING:
    import pandas as pd

STEPS = ("read", "aggregate", *METRIC_STEPS, "write")
LIBRARIES = ("networkx", "igraph")
OUTPUT_COLUMNS = ("core", "pagerank", "community", "betweenness")
"""Per-person outputs of the metric pipelines, written as the CSV's columns after ``id``."""

# --- constants of matcher's default analysis (``matcher.config.AnalysisConfig()``) -------

CHANNEL_WEIGHTS = {
    "in_person": 1.0,
    "video": 1.0,
    "meeting": 0.8,
    "call": 0.7,
    "chat": 0.3,
    "email": 0.2,
}
"""Weight of one interaction by channel: ``matcher.config.DEFAULT_CHANNEL_WEIGHTS``."""
ONE_WAY_CHANNELS = frozenset({"chat", "email"})
"""Channels that count in one direction only (a reply is needed for reciprocity); the others
are mutual: ``matcher.model.Channel.is_mutual``."""
BLANK_CHANNEL = "meeting"
"""A blank channel cell is a meeting: ``matcher.io.load.load_interactions``."""
HALF_LIFE_DAYS = 30.0
"""Recency decay, weight halves every N days: ``AnalysisConfig.half_life_days``."""
WINDOW_DAYS = 90
"""Interactions older than this before the as-of date are ignored: ``AnalysisConfig.window_days``."""
BROADCAST_SIZE = 25
"""Events with more distinct people than this are ignored: ``AnalysisConfig.broadcast_size``."""
DURATION_REFERENCE_MINUTES = 30.0
"""``AnalysisConfig.duration_reference_minutes``."""
DURATION_EXPONENT = 0.5
"""``AnalysisConfig.duration_exponent``."""
DURATION_CAP = 2.0
"""``AnalysisConfig.duration_cap``."""
STRONG_TIE_FRACTION = 1.0
"""Strong: reciprocated and at least this × the median reciprocated strength:
``AnalysisConfig.strong_tie_fraction``."""
MIN_TENURE_SHARE = 0.25
"""A new hire's strong-tie threshold is scaled by their tenure's share of the window, at least
this: ``matcher.analysis.graph.build_graph`` (``np.clip(..., 0.25, 1.0)``)."""
BETWEENNESS_SAMPLES = 64
"""Pivot sources of the sampled betweenness: ``AnalysisConfig.betweenness_samples``."""
SEED = 0
"""Seed of Louvain and of the pivots: ``AnalysisConfig.seed``."""
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t"})
"""``opt_out`` cells meaning yes: ``matcher.io.load.TRUE_WORDS``."""
SECONDS_PER_DAY = 86_400.0
EMPLOYEE_COLUMNS = ["id", "hire_date", "opt_out"]
"""The only employee columns the graph needs."""
INTERACTION_TYPES = {
    "source": "str",
    "target": "str",
    "channel": "str",
    "event_id": "str",
    "duration_minutes": "float64",
    "weight": "float64",
}
"""Ids as text even when they look like numbers. The numeric columns are named too: with a
partial ``dtype``, pandas 3.1's pyarrow engine fails on an integer column with blanks."""


@dataclass(frozen=True)
class Aggregated:
    """The graph a pipeline computed from the CSV files, and the people in node order."""

    ids: np.ndarray
    inputs: GraphInputs
    threshold: float
    reciprocated_ties: int

    @property
    def strong_ties(self) -> int:
        return len(self.inputs.strong)

    def counts(self) -> dict[str, float]:
        """The counts ``summary.json`` of ``matcher analyze`` also reports."""
        return {
            "strong_ties": float(self.strong_ties),
            "reciprocated_ties": float(self.reciprocated_ties),
            "strong_tie_threshold": self.threshold,
        }


def read_inputs(employees: Path, interactions: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both files with pandas' pyarrow engine (only the employee columns the graph needs)."""
    import pandas as pd  # lazily: see the module docstring

    people = pd.read_csv(employees, engine="pyarrow", usecols=EMPLOYEE_COLUMNS, dtype="str")
    rows = pd.read_csv(interactions, engine="pyarrow", dtype=INTERACTION_TYPES)
    return people, rows


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    """ISO 8601 timestamps as whole seconds since the epoch (no offset: UTC), floored."""
    import pandas as pd  # lazily: see the module docstring

    stamps = column
    if not pd.api.types.is_datetime64_any_dtype(stamps):
        stamps = pd.to_datetime(stamps.str.strip(), utc=True, format="ISO8601")
    elif stamps.dt.tz is None:
        stamps = stamps.dt.tz_localize("UTC")
    micros = stamps.dt.as_unit("us").dt.tz_convert(None).astype("int64")
    return micros.to_numpy() // 1_000_000


def _numbers(rows: pd.DataFrame, name: str, missing: float) -> np.ndarray:
    """An optional numeric column (``missing`` where absent or blank), rounded to float32
    and back: matcher keeps ``duration_minutes`` and ``weight`` as float32."""
    if name not in rows:
        return np.full(len(rows), missing)
    values = rows[name].to_numpy(dtype=np.float64, na_value=np.nan)
    values = np.where(np.isnan(values), missing, values)
    return values.astype(np.float32).astype(np.float64)


def aggregate(people: pd.DataFrame, rows: pd.DataFrame) -> Aggregated:
    """Tie strengths, reciprocity and strong ties, as ``matcher.analysis.graph.build_graph``.

    Per row: ``channel weight × min((minutes / 30) ** 0.5, 2) (1 without a duration) ×
    0.5 ** (age / 30 days) × weight``, rows older than 90 days dropped. Rows sharing an
    ``event_id`` are one event of ``n`` distinct people (more than 25: ignored); on a mutual
    channel (that of the event's first row) every pair of its people gets the first row's
    value / (n − 1), both ways; on chat or e-mail each row gives its own value / (n − 1) from
    sender to recipient. A pair is reciprocated when it met on a mutual channel or wrote both
    ways; strong when reciprocated and at least the median reciprocated strength, the
    threshold scaled for new hires by the shorter tenure's share of the window (≥ 1/4).
    Opted-out people and every row naming them are dropped, and so are rows naming unknown
    ids or the same person twice.
    """
    import pandas as pd  # lazily: see the module docstring

    # people, in file order: node k is the k-th employee who did not opt out
    opted = people["opt_out"].fillna("").str.strip().str.lower().isin(TRUE_WORDS).to_numpy(bool)
    kept = people.loc[~opted]
    ids = kept["id"].str.strip().to_numpy(dtype=object)
    n = len(ids)
    index = pd.Index(ids)
    source = index.get_indexer(rows["source"].str.strip())
    target = index.get_indexer(rows["target"].str.strip())
    usable = (source >= 0) & (target >= 0) & (source != target)

    # the as-of date is the latest usable interaction; keep the window before it
    seconds = _epoch_seconds(rows["timestamp"])
    as_of = int(seconds[usable].max()) if usable.any() else int(time.time())
    age = (as_of - seconds.astype(np.float64)) / SECONDS_PER_DAY
    keep = usable & (age >= 0) & (age <= WINDOW_DAYS)
    rows, source, target, age = rows.loc[keep], source[keep], target[keep], age[keep]

    # weight of each row
    if "channel" in rows:
        channel = rows["channel"].fillna("").str.strip().str.lower()
        channel = channel.mask(channel == "", BLANK_CHANNEL)
    else:
        channel = pd.Series(BLANK_CHANNEL, index=rows.index)
    channel_weight = channel.map(CHANNEL_WEIGHTS).to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(channel_weight).any():
        unknown = sorted(set(channel[np.isnan(channel_weight)]))
        raise ValueError(f"unknown channels: {unknown}")
    minutes = _numbers(rows, "duration_minutes", np.nan)
    ratio = np.maximum(minutes, 0) / DURATION_REFERENCE_MINUTES
    duration = np.where(
        np.isnan(minutes), 1.0, np.minimum(np.power(ratio, DURATION_EXPONENT), DURATION_CAP)
    )
    decay = np.power(0.5, np.maximum(age, 0) / HALF_LIFE_DAYS)
    value = channel_weight * duration * decay * _numbers(rows, "weight", 1.0)
    mutual = ~channel.isin(ONE_WAY_CHANNELS).to_numpy()
    frame = pd.DataFrame({"i": source, "j": target, "value": value, "mutual": mutual})
    if "event_id" in rows:
        event_ids = rows["event_id"].str.strip()
        frame["event"] = pd.factorize(event_ids, use_na_sentinel=True)[0]
    else:
        frame["event"] = -1

    # one-to-one rows count as they are
    parts = [frame.loc[frame["event"] < 0, ["i", "j", "value", "mutual"]]]

    # events: size = distinct people; channel, time, duration and weight of the first row
    events = frame.loc[frame["event"] >= 0]
    attendees = pd.concat(
        [
            events[["event", "i"]].rename(columns={"i": "person"}),
            events[["event", "j"]].rename(columns={"j": "person"}),
        ]
    ).drop_duplicates()
    size = attendees.groupby("event").size()
    first = events.drop_duplicates("event").set_index("event")
    row_size = events["event"].map(size)
    row_event_mutual = events["event"].map(first["mutual"]).astype(bool)
    # chat and e-mail events: each row, sender to recipient, / (n − 1)
    written = events.loc[~row_event_mutual & (row_size <= BROADCAST_SIZE)]
    parts.append(
        pd.DataFrame(
            {
                "i": written["i"],
                "j": written["j"],
                "value": written["value"] / (row_size[written.index] - 1),
                "mutual": False,
            }
        )
    )
    # mutual-channel events: every pair of attendees, the first row's value / (n − 1)
    meetings = first.loc[first["mutual"]].assign(size=size)
    meetings = meetings.loc[(meetings["size"] >= 2) & (meetings["size"] <= BROADCAST_SIZE)]
    met = attendees.loc[attendees["event"].isin(meetings.index)]
    pairs = met.merge(met, on="event", suffixes=("_a", "_b"))
    pairs = pairs.loc[pairs["person_a"] < pairs["person_b"]]
    share = meetings["value"] / (meetings["size"] - 1)
    parts.append(
        pd.DataFrame(
            {
                "i": pairs["person_a"].to_numpy(),
                "j": pairs["person_b"].to_numpy(),
                "value": pairs["event"].map(share).to_numpy(),
                "mutual": True,
            }
        )
    )

    # sum per unordered pair; reciprocated: met on a mutual channel or wrote both ways
    ties = pd.concat(parts, ignore_index=True)
    i, j = ties["i"].to_numpy(np.int64), ties["j"].to_numpy(np.int64)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    one_way = ~ties["mutual"].to_numpy(bool)
    per_pair = pd.DataFrame(
        {
            "key": lo * n + hi,
            "value": ties["value"].to_numpy(np.float64),
            "mutual": ~one_way,
            "up": one_way & (i < j),
            "down": one_way & (i > j),
        }
    )
    summed = per_pair.groupby("key", sort=True).agg(
        value=("value", "sum"), mutual=("mutual", "any"), up=("up", "any"), down=("down", "any")
    )
    key = summed.index.to_numpy(np.int64)
    lo, hi = key // n, key % n
    strength = summed["value"].to_numpy(np.float64)
    reciprocated = (summed["mutual"] | (summed["up"] & summed["down"])).to_numpy(bool)

    # strong: reciprocated and ≥ the median reciprocated strength (scaled for new hires)
    nonzero = strength != 0
    in_community = reciprocated & nonzero
    community = strength[in_community]
    threshold = float(np.median(community)) * STRONG_TIE_FRACTION if len(community) else 0.0
    as_of_day = dt.datetime.fromtimestamp(as_of, tz=dt.UTC).date()
    hired = pd.to_datetime(kept["hire_date"].str.strip(), format="ISO8601", errors="coerce")
    tenure = (pd.Timestamp(as_of_day) - hired).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
    tenure_share = np.clip(
        np.nan_to_num(tenure, nan=WINDOW_DAYS) / WINDOW_DAYS, MIN_TENURE_SHARE, 1.0
    )
    required = threshold * np.minimum(tenure_share[lo], tenure_share[hi])
    strong = in_community & (strength >= required) & (strength > 0)

    def edges(mask: np.ndarray, weighted: bool) -> EdgeList:
        weights = strength[mask] if weighted else np.ones(int(mask.sum()))
        return EdgeList(lo[mask], hi[mask], weights)

    inputs = GraphInputs(
        n=n,
        strength=edges(nonzero, True),
        community=edges(in_community, True),
        strong=edges(strong, False),
        samples=BETWEENNESS_SAMPLES,
        seed=SEED,
    )
    return Aggregated(
        ids=ids, inputs=inputs, threshold=threshold, reciprocated_ties=int(reciprocated.sum())
    )


def write_outputs(path: Path, ids: np.ndarray, outputs: dict[str, np.ndarray]) -> None:
    """One row per person: ``id`` and the metrics."""
    import pandas as pd  # lazily: see the module docstring

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"id": ids[: len(outputs["core"])]})
    for name in OUTPUT_COLUMNS:
        table[name] = outputs[name]
    table.to_csv(path, index=False)


def run_pipeline(
    library: str,
    employees: Path,
    interactions: Path,
    outputs: Path,
    *,
    subsample: float | None = None,
) -> dict[str, Any]:
    """Run one library's pipeline from the CSV files to ``outputs``; return its record.

    With ``subsample`` the files are read and aggregated in full, and the metric part (build,
    metrics, write) runs on the induced graph of the first ``subsample`` of people (the
    probe from which the stage extrapolates the full run). The record holds the seconds of
    each step, the sizes of the graph in full and as run, and the graph's counts.
    """
    # before the clock starts, like the library itself (see read_inputs for why lazily)
    import pandas  # noqa: F401

    run = PipelineRun(library)
    with run.step("read"):
        people, rows = read_inputs(employees, interactions)
    with run.step("aggregate"):
        graph = aggregate(people, rows)
    del people, rows
    inputs = graph.inputs if subsample is None else graph.inputs.subsample(subsample)
    metrics = BASELINES[library](inputs)
    run.steps.update(metrics.steps)
    with run.step("write"):
        write_outputs(outputs, graph.ids, metrics.outputs)
    return {
        "library": library,
        "n": inputs.n,
        "edges": inputs.edges,
        "n_full": graph.inputs.n,
        "edges_full": graph.inputs.edges,
        "subsample": subsample,
        "steps": {name: run.steps[name] for name in STEPS},
        "total": run.total,
        "graph": graph.counts(),
    }


def read_outputs(path: Path) -> dict[str, np.ndarray]:
    """The metrics a pipeline wrote, as arrays in node order (for the agreement table)."""
    import pyarrow.csv as pcsv  # lazily: see the module docstring

    table = pcsv.read_csv(path)
    return {name: table.column(name).to_numpy() for name in OUTPUT_COLUMNS}


@click.command(hidden=True)
@click.option("--library", type=click.Choice(LIBRARIES), required=True)
@click.option("--employees", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--interactions", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Timings (JSON).")
@click.option(
    "--outputs",
    type=click.Path(path_type=Path),
    help="Per-person metrics (CSV); default: per-person.csv beside --out.",
)
@click.option(
    "--subsample",
    type=click.FloatRange(min=0, max=1, min_open=True),
    help="Run the metric part on the first share of people only (a probe).",
)
def pipeline(
    library: str,
    employees: Path,
    interactions: Path,
    out: Path,
    outputs: Path | None,
    subsample: float | None,
) -> None:
    """Worker: one library's whole pipeline by hand, CSV files in, per-person CSV out.

    pandas reads and aggregates the interactions as matcher.analysis.graph.build_graph does, then the
    library computes the metric set. It is timed from start to exit like ``matcher analyze``,
    so ``python -m benchmarks pipeline`` runs it without the harness's own imports (see
    ``benchmarks/__main__.py``); matcher is not imported.
    """
    record = run_pipeline(
        library,
        employees,
        interactions,
        outputs or out.with_name("per-person.csv"),
        subsample=subsample,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
