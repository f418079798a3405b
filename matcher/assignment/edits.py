"""HR's edits of a proposal: pairs locked, forbidden or dropped before solving again.

A lock becomes a ``must`` pair of the program, a forbid a ``never`` pair; a drop takes the pair
out and leaves its seeker out of the new proposal (someone on leave, someone HR will pair by
hand). Edits accumulate along a chain of re-solves: each derived proposal carries every edit
of the proposal it started from, and a later edit of the same pair replaces an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from matcher.assignment.programs import ProgramSpec
from matcher.errors import UsageProblem

Pair = tuple[str, str]
EDIT_KINDS = ("lock", "forbid", "drop")


def parse_pair(text: str) -> Pair:
    """``"SEEKER:PROVIDER"`` as a pair of ids.

    >>> parse_pair("E12:E40")
    ('E12', 'E40')
    """
    seeker, sep, provider = text.partition(":")
    if not sep or not seeker.strip() or not provider.strip() or ":" in provider:
        raise UsageProblem(f"{text!r}: expected SEEKER:PROVIDER, e.g. E12:E40")
    return seeker.strip(), provider.strip()


@dataclass(frozen=True)
class PairEdits:
    """Pairs HR locked, forbade and dropped, in the order given."""

    lock: tuple[Pair, ...] = ()
    forbid: tuple[Pair, ...] = ()
    drop: tuple[Pair, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.lock or self.forbid or self.drop)

    def then(self, later: PairEdits) -> PairEdits:
        """These edits followed by ``later`` ones: a later edit of a pair replaces an earlier.

        >>> first = PairEdits(lock=(("S1", "P1"),), forbid=(("S2", "P2"),))
        >>> first.then(PairEdits(forbid=(("S1", "P1"),)))
        PairEdits(lock=(), forbid=(('S2', 'P2'), ('S1', 'P1')), drop=())
        """
        latest: dict[Pair, str] = {}
        for edits in (self, later):
            for kind in EDIT_KINDS:
                for pair in getattr(edits, kind):
                    latest.pop(pair, None)
                    latest[pair] = kind
        return PairEdits(
            **{kind: tuple(p for p, k in latest.items() if k == kind) for kind in EDIT_KINDS}
        )

    def as_dict(self) -> dict[str, list[list[str]]]:
        """The edits as plain data (stored with the derived run)."""
        return {kind: [list(p) for p in getattr(self, kind)] for kind in EDIT_KINDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PairEdits:
        """The edits :meth:`as_dict` stored."""
        return cls(
            **{kind: tuple((str(a), str(b)) for a, b in data.get(kind, [])) for kind in EDIT_KINDS}
        )


def _unique(pairs: Iterable[Pair]) -> list[Pair]:
    return list(dict.fromkeys(pairs))


def apply_edits(spec: ProgramSpec, edits: PairEdits) -> ProgramSpec:
    """``spec`` with the edits: locks added to ``pairs.must``, forbids and drops to
    ``pairs.never``, dropped seekers excluded from the seekers.

    A lock or forbid that contradicts the program file's own pairs is left for the solver,
    which names the conflict.

    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4"})
    >>> edited = apply_edits(spec, PairEdits(lock=(("S1", "P1"),), drop=(("S2", "P2"),)))
    >>> edited.pairs.must, edited.pairs.never, edited.seekers.exclude_ids
    ([('S1', 'P1')], [('S2', 'P2')], ['S2'])
    """
    if not edits:
        return spec
    pairs = spec.pairs.model_copy(
        update={
            "must": _unique([*spec.pairs.must, *edits.lock]),
            "never": _unique([*spec.pairs.never, *edits.forbid, *edits.drop]),
        }
    )
    update: dict[str, Any] = {"pairs": pairs}
    if edits.drop:
        excluded = list(
            dict.fromkeys([*(spec.seekers.exclude_ids or []), *(s for s, _ in edits.drop)])
        )
        update["seekers"] = spec.seekers.model_copy(update={"exclude_ids": excluded})
    return spec.model_copy(update=update)
