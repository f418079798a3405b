"""The eligible arcs of a compiled assignment problem, as a file every baseline reads.

The in-process worker (:mod:`benchmarks.assign_inprocess`) writes the arcs, scores, limits
and matcher's own solution of a compiled program (``.npz``); each baseline
(:mod:`benchmarks.baselines.assign`) reads them, so all solve exactly the instance matcher
solved, and :func:`evaluate` scores every solution the same way.
"""

from __future__ import annotations

import dataclasses
import json
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

KIB = 1024


def peak_rss() -> int:
    """This process's peak resident memory so far, in bytes."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * KIB


def write_json(path: Path, record: dict[str, Any]) -> None:
    """``record`` as indented JSON (a worker's result file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


@dataclass
class Arcs:
    """A compiled problem's candidate arcs and matcher's solution, for the baselines."""

    arc_seeker: np.ndarray
    arc_provider: np.ndarray
    arc_score: np.ndarray
    capacity: np.ndarray
    supply: np.ndarray
    flagged: np.ndarray
    seeker_level: np.ndarray
    provider_level: np.ndarray
    seeker_ids: np.ndarray
    provider_ids: np.ndarray
    matcher_chosen: np.ndarray
    matcher_objective: float
    matcher_bound: float

    @property
    def seekers(self) -> int:
        return len(self.supply)

    @property
    def providers(self) -> int:
        return len(self.capacity)

    @property
    def arcs(self) -> int:
        return len(self.arc_seeker)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.stem + ".partial.npz")
        np.savez(partial, allow_pickle=False, **dataclasses.asdict(self))
        partial.replace(path)

    @staticmethod
    def load(path: Path) -> Arcs:
        with np.load(path, allow_pickle=False) as data:
            values = {name: data[name] for name in data.files}
        values["matcher_objective"] = float(values["matcher_objective"])
        values["matcher_bound"] = float(values["matcher_bound"])
        return Arcs(**values)

    def sub(self, seekers: int, providers: int) -> Arcs:
        """The instance on the first ``seekers`` seekers and ``providers`` providers (no
        matcher solution: ``matcher_chosen`` is all false)."""
        keep = (self.arc_seeker < seekers) & (self.arc_provider < providers)
        return Arcs(
            arc_seeker=self.arc_seeker[keep],
            arc_provider=self.arc_provider[keep],
            arc_score=self.arc_score[keep],
            capacity=self.capacity[:providers],
            supply=self.supply[:seekers],
            flagged=self.flagged[:seekers],
            seeker_level=self.seeker_level[:seekers],
            provider_level=self.provider_level[:providers],
            seeker_ids=self.seeker_ids[:seekers],
            provider_ids=self.provider_ids[:providers],
            matcher_chosen=np.zeros(int(keep.sum()), dtype=bool),
            matcher_objective=float("nan"),
            matcher_bound=float("nan"),
        )


def evaluate(arcs: Arcs, chosen: np.ndarray) -> dict[str, Any]:
    """Pairs, coverage, flagged coverage and objective of a set of chosen arcs; checks that
    no seeker or provider is over its limit."""
    seekers = np.bincount(arcs.arc_seeker[chosen], minlength=arcs.seekers)
    providers = np.bincount(arcs.arc_provider[chosen], minlength=arcs.providers)
    covered = seekers > 0
    by_matcher = np.bincount(arcs.arc_seeker[arcs.matcher_chosen], minlength=arcs.seekers) > 0
    violations = int((seekers > arcs.supply).sum() + (providers > arcs.capacity).sum())
    return {
        "pairs": int(chosen.sum()),
        "seekers_covered": int(covered.sum()),
        "flagged": int(arcs.flagged.sum()),
        "flagged_covered": int((covered & arcs.flagged).sum()),
        "flagged_missed_vs_matcher": int((arcs.flagged & by_matcher & ~covered).sum()),
        "objective": float(arcs.arc_score[chosen].sum()),
        "limit_violations": violations,
    }
