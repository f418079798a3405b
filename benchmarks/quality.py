"""Quality figures: flags against the generator's planted truth, and baselines against matcher."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from benchmarks.results import Agreement, Quality

FLAGS = ("isolated", "peripheral")
SILOED = "siloed_team"


def _read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_truth(path: Path) -> dict[str, set[str]]:
    """The planted cases of ``truth.csv``: kind → ids (people) or names (teams)."""
    planted: dict[str, set[str]] = {}
    for row in _read_rows(path):
        planted.setdefault(row["kind"], set()).add(row["id"])
    return planted


def read_flags(analysis_csv: Path) -> dict[str, set[str]]:
    """Flag → ids of the people carrying it, from ``analysis.csv``."""
    flagged: dict[str, set[str]] = {}
    for row in _read_rows(analysis_csv):
        for flag in filter(None, row["flags"].split(";")):
            flagged.setdefault(flag, set()).add(row["id"])
    return flagged


def read_siloed(teams_csv: Path) -> set[str]:
    """Names of the teams flagged as siloed in ``teams.csv``."""
    return {row["team"] for row in _read_rows(teams_csv) if row["siloed"] == "true"}


def precision_recall(
    predicted: set[str], planted: set[str]
) -> tuple[int, float | None, float | None]:
    """True positives, precision and recall (``None`` when undefined: nothing to divide by).

    >>> precision_recall({"a", "b", "c"}, {"a", "b", "d", "e"})
    (2, 0.6666666666666666, 0.5)
    >>> precision_recall(set(), set())
    (0, None, None)
    """
    hits = len(predicted & planted)
    precision = hits / len(predicted) if predicted else None
    recall = hits / len(planted) if planted else None
    return hits, precision, recall


def analysis_quality(out_dir: Path, truth_csv: Path, command: str) -> list[Quality]:
    """Precision and recall of ``isolated``, ``peripheral`` and siloed teams.

    Parameters
    ----------
    out_dir : Path
        The output folder of ``matcher analyze``.
    truth_csv : Path
        The generator's ``truth.csv``.
    command : str
        The command that wrote ``out_dir``.

    Returns
    -------
    list of Quality
    """
    planted = read_truth(truth_csv)
    flagged = read_flags(out_dir / "analysis.csv")
    found = {flag: flagged.get(flag, set()) for flag in FLAGS}
    found[SILOED] = read_siloed(out_dir / "teams.csv")
    rows: list[Quality] = []
    for what, predicted in found.items():
        truth = planted.get(what, set())
        hits, precision, recall = precision_recall(predicted, truth)
        rows.append(
            Quality(
                stage="analyze",
                what=what,
                planted=len(truth),
                flagged=len(predicted),
                true_positives=hits,
                precision=precision,
                recall=recall,
                command=command,
            )
        )
    return rows


def agreement(
    library: str,
    outputs: Mapping[str, np.ndarray],
    reference: Mapping[str, np.ndarray],
    community: sp.csr_matrix,
) -> Agreement:
    """How a baseline's per-person metrics compare with matcher's on the same graph.

    Core numbers and pivot-sampled betweenness are deterministic and should agree exactly
    (up to float rounding); PageRank up to the solvers' tolerances; Louvain partitions differ
    between implementations, so their modularity on the same weighted graph is reported.
    """
    # lazily: it loads networkit and igraph, which the workers (importing the stages through
    # the command line) must not carry in their measured memory
    from matcher.analysis.metrics import modularity

    labels = outputs["community"].astype(np.int64)
    return Agreement(
        library=library,
        coreness_equal_share=float(np.mean(outputs["core"] == reference["core"])),
        pagerank_l1=float(np.abs(outputs["pagerank"] - reference["pagerank"]).sum()),
        betweenness_max_abs_diff=float(
            np.abs(outputs["betweenness"] - reference["betweenness"]).max(initial=0.0)
        ),
        modularity=modularity(community, labels),
        communities=len(np.unique(labels)),
    )
