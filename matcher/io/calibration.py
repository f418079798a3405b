"""``matcher simulate --calibrate evaluation.json``: the observed tie probabilities and fit
effect, read from what ``matcher evaluate`` wrote, as scenario overrides.

The simulation gives a matched pair a tie with probability ``tie_probability[kind] × (1 +
fit_effect × (fit − ½))``. ``evaluation.json`` holds, per program of the evaluated period, the
share of committed pairs that formed a new strong tie (``ties_formed`` of ``pairs``, with a
Wilson interval) and the observed fit effect (with a bootstrap interval). Programs of one kind
are pooled (their ties over their pairs); the fit effect is that of the program with the most
scored pairs, clamped to what the model takes (0 to 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.assignment.programs import Kind
from matcher.errors import ConfigError
from matcher.evaluation.effect import wilson
from matcher.simulation.scenario import Dynamics

FIT_EFFECT_RANGE = (0.0, 2.0)


@dataclass(frozen=True)
class Observed:
    """An observed figure with its 95% interval and where it came from."""

    estimate: float
    low: float
    high: float
    pairs: int
    programs: tuple[str, ...]


@dataclass(frozen=True)
class Calibration:
    """What ``--calibrate`` replaces in the scenario, and from which period and file."""

    source: str
    period: str
    tie_probability: dict[str, Observed] = field(default_factory=dict)
    fit_effect: Observed | None = None
    notes: tuple[str, ...] = ()

    def overrides(self) -> tuple[tuple[str, Any], ...]:
        """The ``--set`` overrides that put the observed figures into the scenario."""
        found: list[tuple[str, Any]] = [
            (f"dynamics.tie_probability.{kind}", round(o.estimate, 6))
            for kind, o in self.tie_probability.items()
        ]
        if self.fit_effect is not None:
            found.append(("dynamics.fit_effect", round(self.fit_effect.estimate, 6)))
        return tuple(found)

    def sentences(self) -> list[str]:
        """What the report says of the calibration."""
        parts = [
            f"{kind.replace('_', ' ')} {o.estimate:.0%} [{o.low:.0%}, {o.high:.0%}] "
            f"({o.pairs} pairs of {', '.join(o.programs)})"
            for kind, o in self.tie_probability.items()
        ]
        text = (
            f"Calibrated from the evaluation of {self.period} ({self.source}): tie probability "
            + ("; ".join(parts) if parts else "unchanged (no program had figures to use)")
        )
        if self.fit_effect is not None:
            f = self.fit_effect
            text += (
                f"; fit effect {f.estimate:.2f} [{f.low:.2f}, {f.high:.2f}] "
                f"({f.pairs} pairs of {', '.join(f.programs)})"
            )
        else:
            text += "; fit effect unchanged (not observed)"
        return [text + ".", *self.notes]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "period": self.period,
            "tie_probability": {
                kind: {
                    "estimate": o.estimate,
                    "ci95": [o.low, o.high],
                    "pairs": o.pairs,
                    "programs": list(o.programs),
                }
                for kind, o in self.tie_probability.items()
            },
            "fit_effect": None
            if self.fit_effect is None
            else {
                "estimate": self.fit_effect.estimate,
                "ci95": [self.fit_effect.low, self.fit_effect.high],
                "pairs": self.fit_effect.pairs,
                "programs": list(self.fit_effect.programs),
            },
            "notes": list(self.notes),
        }


def _observed(
    programs: dict[str, Any],
) -> tuple[dict[str, Observed], Observed | None, list[str]]:
    """The pooled tie probabilities, the fit effect and the notes of ``programs``."""
    known = {kind.value for kind in Kind}
    notes: list[str] = []
    pooled: dict[str, tuple[int, int, list[str]]] = {}
    best: tuple[int, str, dict[str, Any]] | None = None
    for name, block in programs.items():
        kind, pairs, ties = block.get("kind"), block.get("pairs"), block.get("ties_formed")
        if kind not in known:
            notes.append(f"{name}: no program kind (imported history), not used")
            continue
        if not isinstance(pairs, int) or not isinstance(ties, int) or pairs <= 0:
            notes.append(
                f"{name}: no tie figures (too few pairs, or no data from before the period)"
            )
            continue
        count, total, names = pooled.get(kind, (0, 0, []))
        pooled[kind] = (count + ties, total + pairs, [*names, name])
        fit = (block.get("calibration") or {}).get("fit_effect") or {}
        if fit.get("estimate") is not None and (best is None or fit["pairs"] > best[0]):
            best = (int(fit["pairs"]), name, fit)
    tie_probability: dict[str, Observed] = {}
    for kind, (count, total, names) in pooled.items():
        low, high = wilson(count, total)
        tie_probability[kind] = Observed(count / total, low, high, total, tuple(names))
    fit_effect = None
    if best is not None:
        pairs, name, fit = best
        low, high = (float(v) for v in fit["ci95"])
        estimate = float(fit["estimate"])
        lo, hi = FIT_EFFECT_RANGE
        if not lo <= estimate <= hi:
            notes.append(
                f"the observed fit effect {estimate:.2f} lies outside what the model takes "
                f"({lo:g} to {hi:g}): {min(max(estimate, lo), hi):g} is used"
            )
            estimate = min(max(estimate, lo), hi)
        fit_effect = Observed(estimate, low, high, pairs, (name,))
    return tie_probability, fit_effect, notes


def read_calibration(path: str | Path) -> Calibration:
    """Read the observed figures of an ``evaluation.json``.

    Raises
    ------
    ConfigError
        When the file cannot be read or is not what ``matcher evaluate`` writes.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        period = str(data["period"])
        programs = data["programs"]
        if not isinstance(programs, dict):
            raise TypeError("programs is not a table")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not an evaluation.json of matcher evaluate ({exc})") from exc
    try:
        tie_probability, fit_effect, notes = _observed(programs)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{path}: not an evaluation.json of matcher evaluate (a program block is not "
            f"what it writes: {type(exc).__name__}: {exc})"
        ) from exc
    if not tie_probability and fit_effect is None:
        # --calibrate asked for observed figures: a run on the model's own would not be one
        raise ConfigError(
            f"{path}: no program of {period} has figures to calibrate from ("
            + "; ".join(notes or ["no programs"])
            + "): evaluate with --before-interactions or --before-analysis, on programs of "
            "at least 5 pairs"
        )
    # the overrides must make a valid model: checked here, so the error names this file
    try:
        Dynamics.model_validate(
            {
                "tie_probability": {k: o.estimate for k, o in tie_probability.items()},
                **({"fit_effect": fit_effect.estimate} if fit_effect else {}),
            }
        )
    except ValueError as exc:
        raise ConfigError(f"{path}: the observed figures do not fit the model ({exc})") from exc
    return Calibration(str(path), period, tie_probability, fit_effect, tuple(notes))
