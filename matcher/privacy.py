"""Keyed pseudonyms: the same id and key always give the same pseudonym; the key is never stored."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from matcher.errors import ConfigError

MIN_KEY_BYTES = 16


class Pseudonymizer:
    """Replace ids by ``p_`` + 16 hex digits of HMAC-SHA256(key, id).

    >>> Pseudonymizer(b"a key of sixteen bytes").pseudonym("E1")
    'p_...'
    >>> p = Pseudonymizer(b"a key of sixteen bytes")
    >>> p.pseudonym("E1") == p.pseudonym("E1") != p.pseudonym("E2")
    True
    """

    def __init__(self, key: bytes) -> None:
        key = key.strip()
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"the pseudonymisation key must have at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def pseudonym(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return "p_" + digest[:16]

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymizer(<key hidden>)"

    def scrubber(self, ids: Iterable[str], withheld: Iterable[str] = ()) -> TextScrubber:
        """A :class:`TextScrubber` that puts pseudonyms in place of ``ids`` in free text (and
        ``WITHHELD`` in place of ``withheld`` strings such as team names)."""
        return TextScrubber(ids, self.pseudonym, withheld)


WITHHELD = "(withheld)"
"""What a pseudonymised output shows in place of a quasi-identifier (a team name) in text."""

WITH_NAMES_WARNING = (
    "--with-names writes names and e-mails beside the pseudonyms in pairs.csv: anyone holding "
    "pairs.csv can undo the pseudonyms of everyone paired, in every other output of this key. "
    "Keep pairs.csv apart from the pseudonymised files."
)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


class TextScrubber:
    """Replace whole-token occurrences of known ids in free text (messages, reasons).

    An occurrence counts when it is not preceded or followed by a word character (as the
    regular expression ``(?<!\\w)id(?!\\w)``); at each position the longest known string wins,
    so ``E12`` is never rewritten inside ``E123``. Built for many ids (a dictionary look-up per
    token start and length, no giant regular expression); results are cached per text.

    >>> scrub = TextScrubber(["E1", "E12"], lambda i: "p_" + i.lower(), withheld=["Team A"])
    >>> scrub("pairs.must (E12, E1) breaks same_team in Team A; E123 and xE1 are not ids")
    'pairs.must (p_e12, p_e1) breaks same_team in (withheld); E123 and xE1 are not ids'
    """

    def __init__(
        self,
        ids: Iterable[str],
        rename: Callable[[str], str],
        withheld: Iterable[str] = (),
    ) -> None:
        self._ids = {i for i in ids if i}
        self._withheld = {w for w in withheld if w} - self._ids
        self._rename = rename
        lengths: dict[str, set[int]] = {}
        for token in self._ids | self._withheld:
            lengths.setdefault(token[0], set()).add(len(token))
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}
        self._cache: dict[str, str] = {}

    def _replace(self, token: str) -> str:
        return self._rename(token) if token in self._ids else WITHHELD

    def __call__(self, text: str) -> str:
        done = self._cache.get(text)
        if done is not None:
            return done
        parts: list[str] = []
        n, i, last = len(text), 0, 0
        while i < n:
            lengths = self._lengths.get(text[i])
            if lengths and (i == 0 or not _is_word(text[i - 1])):
                for length in lengths:
                    j = i + length
                    if j > n or (j < n and _is_word(text[j])):
                        continue
                    token = text[i:j]
                    if token in self._ids or token in self._withheld:
                        parts += [text[last:i], self._replace(token)]
                        i = last = j
                        break
                else:
                    i += 1
                continue
            i += 1
        parts.append(text[last:])
        result = "".join(parts)
        if len(self._cache) < 100_000:
            self._cache[text] = result
        return result

    def deep(self, value: Any) -> Any:
        """``value`` with every string inside (dict values, list items) scrubbed; keys kept."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


# ------------------------------------------------------------------ quasi-identifiers

_SPANS = {90: "3 months", 365: "1 year", 1095: "3 years"}


def tenure_edges(new_hire_days: int = 90) -> tuple[int, ...]:
    """Band edges in days: 3 months, 1 year, 3 years, and the new-hire limit (so that the
    ``new_hire`` flag never splits a band).

    >>> tenure_edges(), tenure_edges(180)
    ((90, 365, 1095), (90, 180, 365, 1095))
    """
    return tuple(sorted({90, 365, 1095} | ({new_hire_days} if new_hire_days > 0 else set())))


def tenure_band(days: float | None, edges: Sequence[int] = (90, 365, 1095)) -> str:
    """Tenure coarsened to a band (``unknown`` without a hire date).

    >>> [tenure_band(d) for d in (None, 10, 90, 400, 5000)]
    ['unknown', 'under 3 months', '3 months to 1 year', '1 to 3 years', '3 years or more']
    """
    if days is None:
        return "unknown"

    def span(d: int) -> str:
        return _SPANS.get(d, f"{d} days")

    for k, edge in enumerate(edges):
        if days < edge:
            if k == 0:
                return f"under {span(edge)}"
            low, high = span(edges[k - 1]), span(edge)
            if low.endswith(" year") and high.endswith(" years"):
                low = low.split()[0]  # "1 to 3 years", not "1 year to 3 years"
            return f"{low} to {high}"
    return f"{span(edges[-1])} or more"


def complementary_suppression(
    sizes: Sequence[int], k: int, forced: Sequence[bool] | None = None
) -> list[bool]:
    """Which cells of a total to suppress so that none can be recovered by subtraction.

    Cells of fewer than ``k`` people, and the ``forced`` ones, are suppressed (primary
    suppression). A published total minus the published cells gives the sum of the
    suppressed ones, so while the suppressed cells that hold anyone are a single cell, or
    hold fewer than ``k`` people together, the smallest published cell is suppressed as well
    (complementary suppression).

    >>> complementary_suppression([3, 12, 8, 20], 5)
    [True, False, True, False]
    >>> complementary_suppression([2, 2, 9], 5)
    [True, True, True]
    >>> complementary_suppression([6, 7], 5)
    [False, False]
    >>> complementary_suppression([0, 6, 7, 9], 5, forced=[False, True, False, False])
    [True, True, True, False]
    """
    hidden = [size < k or bool(forced and forced[i]) for i, size in enumerate(sizes)]
    while True:
        holding = [i for i, h in enumerate(hidden) if h and sizes[i] > 0]
        people = sum(sizes[i] for i in holding)
        if not holding or (len(holding) >= 2 and people >= k):
            break
        shown = [i for i, h in enumerate(hidden) if not h and sizes[i] > 0]
        if not shown:
            break
        hidden[min(shown, key=lambda i: (sizes[i], i))] = True
    return hidden


def k_anonymous_cells(
    teams: Sequence[str],
    bands: Sequence[str],
    withheld_teams: Collection[str],
    k: int,
) -> tuple[list[str], list[str], list[bool]]:
    """Generalise the quasi-identifier cells (team, tenure band) of each row so that every
    published combination is shared by at least ``k`` rows.

    * The team cell of a team in ``withheld_teams`` (suppressed in the team aggregates) is
      blanked, so that row counts by team agree with those aggregates.
    * Within each team cell, the band of rows whose (team, band) class has fewer than ``k``
      rows is blanked; when that leaves 1 to ``k - 1`` rows with a blank band, the next smallest
      band class is blanked too.
    * A team cell shared by fewer than ``k`` rows is blanked as well.
    * Rows whose class is still smaller than ``k`` (only when the rows with blank cells are
      fewer than ``k`` altogether) are marked to be left out.

    Returns the team cells, band cells and, per row, whether to keep it.

    >>> teams, bands, keep = k_anonymous_cells(
    ...     ["A"] * 6 + ["B"] * 6, ["new"] * 5 + ["old"] + ["old"] * 6, set(), 5
    ... )
    >>> sorted(set(zip(teams, bands))), all(keep)
    ([('A', ''), ('B', 'old')], True)
    """
    team_cells = ["" if t in withheld_teams else t for t in teams]
    band_cells = list(bands)
    groups: dict[str, list[int]] = {}
    for row, team in enumerate(team_cells):
        groups.setdefault(team, []).append(row)
    blank = groups.pop("", [])
    for rows in groups.values():
        if len(rows) < k:
            blank += rows
            for row in rows:
                team_cells[row] = ""
        else:
            _blank_small_bands(rows, band_cells, k)
    _blank_small_bands(blank, band_cells, k)
    size: dict[tuple[str, str], int] = {}
    for key in zip(team_cells, band_cells, strict=True):
        size[key] = size.get(key, 0) + 1
    keep = [size[key] >= k for key in zip(team_cells, band_cells, strict=True)]
    return team_cells, band_cells, keep


def _blank_small_bands(rows: Sequence[int], band_cells: list[str], k: int) -> None:
    classes: dict[str, list[int]] = {}
    for row in rows:
        classes.setdefault(band_cells[row], []).append(row)
    withheld = [band for band, members in classes.items() if len(members) < k]
    shown = sorted(
        (band for band in classes if band not in withheld), key=lambda b: (len(classes[b]), b)
    )
    while 0 < sum(len(classes[b]) for b in withheld) < k and shown:
        withheld.append(shown.pop(0))
    for band in withheld:
        for row in classes[band]:
            band_cells[row] = ""
