"""Compile a program into a solver-ready matching problem: who may be paired, and how well.

Rules and score terms are written once, as functions of two broadcastable index arrays
``(si, pi)`` into the org: a block of seekers × all providers when candidates are built, or two
equal-length arrays when chosen pairs are explained. Everything is vectorised with numpy.

Notes
-----
The definitions (selection defaults, capacity, every rule) are stated in the README's
"Program files" section; ``matcher.assignment.checks`` verifies solutions against them independently.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from matcher.assignment.fixed_pairs import (
    commit_prior,
    must_positions,
    pair_positions,
    prior_positions,
)
from matcher.assignment.population import Population
from matcher.assignment.programs import (
    Kind,
    Mode,
    ProgramSpec,
)
from matcher.assignment.repeats import History
from matcher.assignment.rules import YesNoRule, level_gap, lookup, overlap_hours, yes_no_rules
from matcher.assignment.scoring import pair_scores
from matcher.assignment.selection import capacities, effective_selector, select
from matcher.errors import ConfigError

BLOCK_CELLS = 4_000_000  # seekers × providers evaluated at once
TOP_PER_SEEKER = 40  # best arcs per seeker remembered for pruned solves
STREAM_BLOCK_CELLS = 500_000
"""Cells of one streamed block: small enough for the CPU caches (at 20,000 × 5,000, 4M-cell
blocks took 65 ns a cell to score, 250k-cell blocks 32 ns)."""
STREAM_ABOVE = 25_000_000
"""Above this many seeker × provider cells, a two-sided program without per-team caps or
minimum loads keeps only its candidate pairs (:class:`LeftOut`): each seeker's best pairs."""


# ------------------------------------------------------------------------------- problem


@dataclass
class MatchingProblem:
    """A program compiled for the solver: candidates (eligible pairs) with their scores.

    Positions: ``arc_seeker[k]`` indexes ``seekers`` and ``arc_provider[k]`` indexes
    ``providers``; both of those hold org indices.
    """

    spec: ProgramSpec
    pop: Population
    history: History
    seekers: np.ndarray
    providers: np.ndarray
    capacity: np.ndarray
    min_load: int
    """``capacity.min`` of the program."""
    min_need: np.ndarray
    """Per provider: the pairs still needed to reach ``min_load`` after the committed ones."""
    per_seeker: int
    supply: np.ndarray
    prior_team_load: dict[tuple[int, int], int]
    arc_seeker: np.ndarray
    arc_provider: np.ndarray
    arc_score: np.ndarray
    must: list[tuple[int, int]]
    must_blockers: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    top_arcs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Each seeker's best ``top_k`` arcs: where a pruned solve starts."""
    top_k: int = TOP_PER_SEEKER
    removed_by: dict[str, np.ndarray] = field(default_factory=dict)
    team_cap: int | None = None
    notes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    """Hard constraints found impossible while compiling (e.g. a must pair for a seeker already
    fully served this period): the solver reports them as infeasible."""
    prior_load: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per provider: pairs committed earlier in this program and period (``--incremental``)."""
    left_out: LeftOut | None = None
    """When set, the arcs are only candidates (each seeker's best pairs, the must pairs and the
    pairs a solver admitted); the other eligible pairs are bounded and listed again on demand."""

    @property
    def eligible_pairs(self) -> int:
        """Number of eligible (seeker, provider) pairs, kept as arcs or not."""
        return self.arcs if self.left_out is None else self.left_out.eligible_pairs

    def eligible_per_seeker(self) -> np.ndarray:
        """How many eligible pairs each seeker has, kept as arcs or not."""
        if self.left_out is not None:
            return self.left_out.per_seeker
        return np.bincount(self.arc_seeker, minlength=len(self.seekers))

    def admit(self, seeker: np.ndarray, provider: np.ndarray, score: np.ndarray) -> None:
        """Add eligible pairs left out of the arcs (a solver pricing them in); the arcs stay in
        seeker, then provider order, each pair once."""
        width = max(len(self.providers), 1)
        keys = np.concatenate(
            [
                self.arc_seeker.astype(np.int64) * width + self.arc_provider,
                seeker.astype(np.int64) * width + provider,
            ]
        )
        keys, first = np.unique(keys, return_index=True)
        self.arc_seeker = (keys // width).astype(np.int32)
        self.arc_provider = (keys % width).astype(np.int32)
        self.arc_score = np.concatenate([self.arc_score, score])[first]
        self.top_arcs = np.arange(len(keys))

    @property
    def seeker_ids(self) -> list[str]:
        """Ids of the seekers, in seeker order."""
        return [self.pop.ids[i] for i in self.seekers]

    @property
    def provider_ids(self) -> list[str]:
        """Ids of the providers, in provider order."""
        return [self.pop.ids[i] for i in self.providers]

    @property
    def arcs(self) -> int:
        """Number of eligible (seeker, provider) arcs."""
        return len(self.arc_seeker)

    def seeker_team(self) -> np.ndarray:
        """Team code of each seeker."""
        return self.pop.team[self.seekers]


@dataclass
class LeftOut:
    """The eligible pairs a streamed compile did not keep as arcs: counted, bounded, and listed
    again block by block when asked (:meth:`pairs`), never all held at once.

    ``seeker_cut[s]`` and ``provider_cut[p]`` bound the score of every eligible pair of that
    seeker (provider) that is not among the arcs (``-inf``: there is none); ``largest`` bounds
    |score| over all eligible pairs.
    """

    eligible_pairs: int
    per_seeker: np.ndarray
    seeker_cut: np.ndarray
    provider_cut: np.ndarray
    largest: float
    blocks: _Blocks

    def pairs(
        self, rows: np.ndarray, cols: np.ndarray, block_cells: int = BLOCK_CELLS
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The eligible pairs among seekers ``rows`` × providers ``cols`` (positions), with
        their scores, as three arrays (seeker, provider, score), ``block_cells`` at a time."""
        found = []
        step = max(1, block_cells // max(len(cols), 1))
        for start in range(0, len(rows), step):
            part = rows[start : start + step]
            eligible, dense = self.blocks.cells(part, cols)
            r, c = np.nonzero(eligible)
            found.append((part[r], cols[c], dense[r, c]))
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        return (
            np.concatenate([f[0] for f in found]),
            np.concatenate([f[1] for f in found]),
            np.concatenate([f[2] for f in found]),
        )


@dataclass(frozen=True)
class _Kept:
    """What a streamed compile keeps of one block of seekers."""

    seeker: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    eligible: np.ndarray  # per seeker of the block
    seeker_cut: np.ndarray
    provider_cut: np.ndarray
    lowest: float


@dataclass(frozen=True)
class Block:
    """The eligible pairs of one block of seekers: positions, scores, and each seeker's best."""

    seeker: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    top: np.ndarray


_RULE_COLUMNS = {
    "same_team": "team",
    "same_department": "department",
    "same_location": "location",
    "same_manager": "manager_id",
    "reporting_line": "manager_id",
    "shared_language": "languages",
}


def missing_columns(spec: ProgramSpec, pop: Population) -> list[str]:
    """Every employee column the program's rules and capacity need and the data lacks, each
    named with what needs it (empty when nothing is missing).

    >>> from matcher.analysis.isolation import analyze
    >>> from matcher.assignment.population import population
    >>> from matcher.model import Employee, Org
    >>> org = Org([Employee(id="A", roles="mentee"), Employee(id="B", roles="mentor")])
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4",
    ...     "rules": {"same_office": "required", "min_level_gap": 1},
    ...     "capacity": {"column": "seats"}})
    >>> for line in missing_columns(spec, population(org, analyze(org))):
    ...     print(line)
    program 'm': rule min_level_gap needs the employee column 'level', which the data lacks
    program 'm': rule same_office needs the employee column 'office', which the data lacks
    program 'm': capacity.column 'seats' is not a column of the employees file
    """
    org = pop.org
    needs: list[tuple[str, str]] = []
    if spec.rules.min_level_gap is not None:
        needs.append(("min_level_gap", "level"))
    if spec.rules.max_level_gap is not None:
        needs.append(("max_level_gap", "level"))
    if spec.rules.max_same_team_per_provider is not None:
        needs.append(("max_same_team_per_provider", "team"))
    for name, mode in spec.rules.yes_no_rules().items():
        if mode is not Mode.IGNORED:
            needs.append((name, _RULE_COLUMNS.get(name, name.removeprefix("same_"))))
    present = {
        "level": any(e.level is not None for e in org.employees),
        "team": any(e.team for e in org.employees),
        "department": any(e.department for e in org.employees),
        "location": any(e.location for e in org.employees),
        "languages": any(e.languages for e in org.employees),
        "manager_id": True,
    }
    missing = [
        f"program {spec.name!r}: rule {rule} needs the employee column {column!r}, which the "
        "data lacks"
        for rule, column in needs
        if not present.get(column, column in pop.attributes)
    ]
    column = spec.capacity.column
    if column is not None and column not in pop.attributes:
        missing.append(
            f"program {spec.name!r}: capacity.column {column!r} is not a column of the "
            "employees file"
        )
    return missing


def _check_columns(spec: ProgramSpec, pop: Population) -> None:
    """A rule that needs a column the data lacks is an error naming both (all of them)."""
    missing = missing_columns(spec, pop)
    if missing:
        raise ConfigError("\n".join(missing))


def _block_conditions(
    spec: ProgramSpec,
    pop: Population,
    history: History,
    rules: list[YesNoRule],
    si: np.ndarray,
    pi: np.ndarray,
) -> dict[str, np.ndarray]:
    """For each hard rule, which pairs of the block it allows."""
    allowed: dict[str, np.ndarray] = {}
    for rule in rules:
        if rule.mode is Mode.REQUIRED:
            allowed[rule.name] = rule.condition(pop, si, pi)
        elif rule.mode is Mode.FORBIDDEN:
            allowed[rule.name] = ~rule.condition(pop, si, pi)
    # a missing level is NaN, and NaN compares false: the pair is not allowed
    if spec.rules.min_level_gap is not None:
        allowed["min_level_gap"] = level_gap(pop, si, pi) >= spec.rules.min_level_gap
    if spec.rules.max_level_gap is not None:
        allowed["max_level_gap"] = level_gap(pop, si, pi) <= spec.rules.max_level_gap
    if spec.rules.min_overlap_hours is not None:
        allowed["min_overlap_hours"] = (
            overlap_hours(pop, si, pi) >= spec.rules.min_overlap_hours - 1e-9
        )
    if spec.rules.no_repeat_periods is not None and history.recent.nnz:
        allowed["no_repeat_periods"] = ~lookup(history.recent, si, pi).astype(bool)
    if spec.rules.no_repeat_pairs == "required" and history.met.nnz:
        allowed["no_repeat_pairs"] = ~lookup(history.met, si, pi).astype(bool)
    return allowed


def compile_program(
    spec: ProgramSpec,
    pop: Population,
    history: History,
    *,
    prior: Sequence[tuple[str, str]] = (),
    threads: int = 1,
    top_per_seeker: int = TOP_PER_SEEKER,
    block_cells: int = BLOCK_CELLS,
    keep_all_pairs: bool = False,
    stream_above: int = STREAM_ABOVE,
    compiled: bool = True,
) -> MatchingProblem:
    """Select seekers and providers, apply the hard rules, and score every eligible pair.

    Parameters
    ----------
    spec : ProgramSpec
        The program.
    pop : Population
        The per-person arrays of the org (:func:`matcher.assignment.population.population`).
    history : History
        Committed pairs of earlier periods, for ``no_repeat_periods`` and the repeat penalty
        (:func:`matcher.assignment.repeats.history_for`; ``History.empty(n)`` for none).
    prior : sequence of (seeker_id, provider_id)
        Pairs committed earlier in the same program and period (``--incremental``): they use
        up capacity and per-team caps, are not proposed again, and seekers they already serve
        fully are not assigned again.
    threads : int
        Blocks of seekers evaluated at once (numpy releases the GIL in its loops).
    top_per_seeker : int
        How many best arcs of each seeker to remember as the start of a pruned solve
        (:attr:`MatchingProblem.top_arcs`).
    block_cells : int
        Seekers are taken in blocks of about this many seeker × provider cells against all
        providers. The result depends on neither ``threads`` nor ``block_cells``.
    keep_all_pairs : bool
        Keep every eligible pair as an arc, however many (``--explain`` lists them all).
    stream_above : int
        Above this many seeker × provider cells, a two-sided program without per-team caps or
        minimum loads keeps only candidates: each seeker's ``top_per_seeker`` best pairs and the
        must pairs, with bounds on the rest (:attr:`MatchingProblem.left_out`); the solver
        prices the rest in block by block, so the optimum is still over all eligible pairs.
    compiled : bool
        Stream with the compiled kernel (:mod:`matcher.assignment.kernel`); ``False``: with
        numpy, its reference. The candidates' scores and the bounds are the same either way;
        among pairs of equal score at a seeker's cut, the two may keep different ones.

    Returns
    -------
    MatchingProblem
        The candidates (eligible pairs) with their scores, the capacities and the must pairs as
        positions; for a peer program, each unordered pair once with the mean of both
        orientations' scores.

    Raises
    ------
    ConfigError
        When a rule needs a column the data lacks, or a must/never pair names unknown people.

    Examples
    --------
    >>> from matcher.analysis.isolation import analyze
    >>> from matcher.assignment.population import population
    >>> from matcher.model import Employee, Org
    >>> org = Org([Employee(id="A", roles="mentee"), Employee(id="B", roles="mentor"),
    ...            Employee(id="C", roles="mentor")])
    >>> spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4",
    ...     "pairs": {"never": [["A", "C"]]}})
    >>> pop = population(org, analyze(org))
    >>> problem = compile_program(spec, pop, History.empty(len(org)))
    >>> problem.seeker_ids, problem.provider_ids, problem.arcs
    (['A'], ['B', 'C'], 1)
    """
    _check_columns(spec, pop)
    rules = yes_no_rules(spec, pop)
    peer = spec.kind in (Kind.PEER, Kind.CIRCLE)
    seekers = np.flatnonzero(select(effective_selector(spec, "seekers"), pop))
    providers = (
        seekers.copy()
        if peer
        else np.flatnonzero(select(effective_selector(spec, "providers"), pop))
    )
    selected = (set(seekers.tolist()), set(providers.tolist()))
    # distinct committed pairs: two committed runs that list the same pair count it once
    prior_pairs = prior_positions(prior, pop, peer)
    sides = commit_prior(
        prior_pairs,
        pop,
        seekers,
        providers,
        capacities(spec.capacity, pop, providers),
        np.full(len(seekers), spec.per_seeker, dtype=np.int64),
        peer=peer,
    )
    seekers, providers = sides.seekers, sides.providers
    seeker_position = np.full(len(pop.ids), -1, dtype=np.int64)
    seeker_position[seekers] = np.arange(len(seekers))
    provider_position = np.full(len(pop.ids), -1, dtype=np.int64)
    provider_position[providers] = np.arange(len(providers))
    never = pair_positions(
        spec, spec.pairs.never, pop, seeker_position, provider_position, both=True
    )
    conflicts: list[str] = []
    must, done = must_positions(
        spec,
        pop,
        seeker_position,
        provider_position,
        prior_pairs,
        sides.full_before,
        conflicts,
        selected=selected,
        remaining=None if peer else sides.capacity,
    )
    notes = list(sides.notes)
    if done:
        notes.append(
            f"{done} must pair(s) were already committed this period and are kept as they are"
        )
    blocks = _Blocks(spec, pop, history, rules, seekers, providers, prior_pairs, never)
    min_need = np.maximum(spec.capacity.min - sides.prior_load, 0)
    streamed = (
        not keep_all_pairs
        and not peer
        and spec.rules.max_same_team_per_provider is None
        and not min_need.any()
        and len(seekers) * len(providers) > stream_above
    )
    left_out = None
    if streamed:
        arc_seeker, arc_provider, arc_score, left_out = blocks.stream(
            threads=threads,
            top_per_seeker=top_per_seeker,
            block_cells=block_cells,
            must=must,
            compiled=compiled,
        )
        top_arcs = np.arange(len(arc_seeker))
    else:
        found = blocks.find_all(
            threads=threads, top_per_seeker=top_per_seeker, block_cells=block_cells
        )
        arc_seeker, arc_provider, arc_score, top_arcs = _concatenate(found)
    problem = MatchingProblem(
        spec=spec,
        pop=pop,
        history=history,
        seekers=seekers,
        providers=providers,
        capacity=sides.capacity,
        min_load=spec.capacity.min,
        min_need=min_need,
        per_seeker=spec.per_seeker,
        supply=sides.supply,
        prior_team_load=sides.prior_team_load,
        arc_seeker=arc_seeker,
        arc_provider=arc_provider,
        arc_score=arc_score,
        must=must,
        must_blockers=_must_blockers(blocks, must),
        top_arcs=top_arcs,
        top_k=top_per_seeker,
        notes=notes,
        conflicts=conflicts,
        prior_load=sides.prior_load,
        removed_by={k: v for k, v in blocks.removed.items() if v.any() or k != "never"},
        team_cap=spec.rules.max_same_team_per_provider,
        left_out=left_out,
    )
    return _symmetrize(problem) if peer else problem


def _concatenate(blocks: list[Block]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The blocks' arcs as one list: seeker and provider positions, scores, and the positions
    of each seeker's best arcs."""
    offsets = np.cumsum([0] + [len(b.score) for b in blocks])
    return (
        np.concatenate([b.seeker for b in blocks] or [np.zeros(0, np.int32)]),
        np.concatenate([b.provider for b in blocks] or [np.zeros(0, np.int32)]),
        np.concatenate([b.score for b in blocks] or [np.zeros(0)]),
        np.concatenate(
            [b.top + offset for b, offset in zip(blocks, offsets, strict=False)]
            or [np.zeros(0, np.int64)]
        ),
    )


@dataclass
class _Blocks:
    """What finding the eligible pairs of a block of seekers reads; ``removed`` counts, per
    hard rule and seeker, the pairs that rule removes (blocks write disjoint rows of it)."""

    spec: ProgramSpec
    pop: Population
    history: History
    rules: list[YesNoRule]
    seekers: np.ndarray
    providers: np.ndarray
    prior_pairs: set[tuple[int, int]]
    never: list[tuple[int, int]]
    removed: dict[str, np.ndarray] = field(init=False)
    never_matrix: sp.csr_matrix = field(init=False)

    def __post_init__(self) -> None:
        names = _hard_rule_names(self.spec, self.rules, self.history)
        self.removed = {name: np.zeros(len(self.seekers), np.int64) for name in names}
        self.removed["never"] = np.zeros(len(self.seekers), np.int64)
        self.never_matrix = sp.csr_matrix(
            (
                np.ones(len(self.never), bool),
                ([a for a, _ in self.never], [b for _, b in self.never]),
            ),
            shape=(len(self.seekers), len(self.providers)),
        )

    def find_all(self, *, threads: int, top_per_seeker: int, block_cells: int) -> list[Block]:
        """The non-empty blocks of all seekers, in seeker order, ``threads`` at once."""
        step = max(1, block_cells // max(len(self.providers), 1))
        starts = range(0, len(self.seekers), step)

        def one(start: int) -> Block | None:
            return self.block(slice(start, min(start + step, len(self.seekers))), top_per_seeker)

        if threads > 1 and len(starts) > 1:
            for matrix in (self.pop.strength, self.history.penalty, self.history.recent):
                matrix.sort_indices()  # scipy sorts lazily, in place: not while threads read it
            # numpy releases the GIL in its array loops; blocks write disjoint rows of `removed`
            with ThreadPoolExecutor(min(threads, len(starts))) as pool:
                return [b for b in pool.map(one, starts) if b is not None]
        return [b for b in map(one, starts) if b is not None]

    def eligibility(
        self, rows: np.ndarray, cols: np.ndarray, *, count: np.ndarray | None = None
    ) -> np.ndarray:
        """Which pairs of seekers ``rows`` × providers ``cols`` (positions) are eligible; with
        ``count`` (the rows' positions in :attr:`removed`), add each rule's removals there."""
        si = self.seekers[rows][:, None]
        pi = self.providers[cols][None, :]
        distinct = si != pi
        eligible = distinct.copy()
        conditions = _block_conditions(self.spec, self.pop, self.history, self.rules, si, pi)
        for name, allowed in conditions.items():
            if count is not None:
                self.removed[name][count] += (~allowed & distinct).sum(axis=1)
            eligible &= allowed
        if self.prior_pairs:
            # a pair committed earlier this period is not proposed again (either orientation)
            block_seekers = self.seekers[rows]
            block_providers = self.providers[cols]
            for a, b in self.prior_pairs:
                for x, y in ((a, b), (b, a)):
                    hit = np.flatnonzero(block_seekers == x)
                    col = np.flatnonzero(block_providers == y)
                    if len(hit) and len(col):
                        eligible[hit[0], col[0]] = False
        if self.never_matrix.nnz:
            banned = self.never_matrix[rows][:, cols].toarray()
            if count is not None:
                self.removed["never"][count] += banned.sum(axis=1)
            eligible &= ~banned
        return eligible

    def cells(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Eligibility and scores of seekers ``rows`` × providers ``cols`` (positions)."""
        eligible = self.eligibility(rows, cols)
        si = self.seekers[rows][:, None]
        pi = self.providers[cols][None, :]
        return eligible, pair_scores(self.spec, self.pop, self.history, si, pi)

    def block(self, block: slice, top_per_seeker: int) -> Block | None:
        """The eligible pairs of the seekers at ``block`` and their scores (``None``: none)."""
        rows = np.arange(block.start, block.stop)
        cols = np.arange(len(self.providers))
        eligible = self.eligibility(rows, cols, count=rows)
        flat = np.flatnonzero(eligible)
        if not len(flat):
            return None
        dense = pair_scores(
            self.spec, self.pop, self.history, self.seekers[block][:, None], self.providers[None, :]
        )
        rows_found, cols_found = np.divmod(flat, len(self.providers))
        score = dense.ravel()[flat]
        dense[~eligible] = -np.inf
        return Block(
            (rows_found + block.start).astype(np.int32),
            cols_found.astype(np.int32),
            score,
            _top_per_row(dense, flat, top_per_seeker),
        )

    def kept(
        self, rows: np.ndarray, cols: np.ndarray, top_per_seeker: int, must: np.ndarray
    ) -> _Kept:
        """A streamed block of seekers ``rows`` × providers ``cols`` (every provider these
        seekers may be paired with): each seeker's ``top_per_seeker`` best eligible pairs and
        the must pairs among them (``must``: sorted ``seeker * providers + provider`` keys),
        the eligible count per seeker, and the best score left out per seeker and per provider
        (over all providers: ``-inf`` outside ``cols``)."""
        n_p = len(self.providers)
        width = len(cols)
        eligible, dense = self.cells(rows, cols)
        counts = eligible.sum(axis=1)
        np.copyto(dense, -np.inf, where=~eligible)
        lowest = float(np.min(dense, where=eligible, initial=np.inf))
        k = min(top_per_seeker, width)
        if k < width:
            part = np.argpartition(dense, width - k - 1, axis=1)
            top = part[:, width - k :]
            cut = np.take_along_axis(dense, part[:, width - k - 1 : width - k], axis=1)[:, 0]
        else:
            top = np.broadcast_to(np.arange(width), (len(rows), width))
            cut = np.full(len(rows), -np.inf)
        keys = (
            np.arange(len(rows), dtype=np.int64)[:, None] * width + np.sort(top, axis=1)
        ).ravel()
        if len(must):  # must pairs are candidates whatever they score
            key_of = np.full(n_p, -1, dtype=np.int64)
            key_of[cols] = np.arange(width)
            wanted = np.isin(must // n_p, rows)
            if wanted.any():
                row_of = {int(r): k for k, r in enumerate(rows.tolist())}
                ms, mp = np.divmod(must[wanted], n_p)
                local = np.array([row_of[int(x)] for x in ms], dtype=np.int64)
                inside = key_of[mp] >= 0
                extra = local[inside] * width + key_of[mp[inside]]
                keys = np.unique(np.concatenate([keys, extra]))
        r, c = np.divmod(keys, width)
        take = eligible[r, c]
        r, c = r[take], c[take]
        score = dense[r, c]
        dense[r, c] = -np.inf
        provider_cut = np.full(n_p, -np.inf)
        if len(rows):
            provider_cut[cols] = dense.max(axis=0)
        return _Kept(
            seeker=rows[r].astype(np.int32),
            provider=cols[c].astype(np.int32),
            score=score,
            eligible=counts,
            seeker_cut=cut,
            provider_cut=provider_cut,
            lowest=lowest,
        )

    def groups(self, block_cells: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Blocks of seekers (positions) with the providers they may be paired with.

        Seekers are grouped by what the rules that read one attribute of each side compare
        (language set, working window, level: ``shared_language``, ``min_overlap_hours``,
        ``min_level_gap``, ``max_level_gap``); each group is scored only against the providers
        those rules allow (at 20,000 × 5,000, 44% of the cells are not). The other rules are
        applied to each block as usual, so this only skips cells that are not eligible."""
        spec, pop = self.spec, self.pop
        n_s, n_p = len(self.seekers), len(self.providers)
        rules = spec.rules
        parts: list[np.ndarray] = []
        language = rules.shared_language is Mode.REQUIRED
        if language:
            parts.append(pop.language_id[self.seekers])
        if rules.min_overlap_hours is not None:
            parts.append(pop.window_id[self.seekers])
        if rules.min_level_gap is not None or rules.max_level_gap is not None:
            level = pop.level[self.seekers]
            parts.append(
                np.where(np.isnan(level), -1, np.nan_to_num(level * 1000)).astype(np.int64)
            )
        if parts:
            _, group = np.unique(np.column_stack(parts), axis=0, return_inverse=True)
            group = group.ravel()
        else:
            group = np.zeros(n_s, dtype=np.int64)
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        provider = self.providers
        blocks: list[tuple[np.ndarray, np.ndarray]] = []

        def flush(members: np.ndarray, allowed: np.ndarray) -> None:
            cols = np.flatnonzero(allowed)
            if not len(cols):  # no eligible pair: counted as such, explained in stream()
                return
            members = np.sort(members)
            step = max(1, block_cells // len(cols))
            for start in range(0, len(members), step):
                blocks.append((members[start : start + step], cols))

        # neighbouring groups share a block when the union of their providers is barely larger
        # (small groups would otherwise pay numpy's per-call cost many times over)
        current: tuple[list[np.ndarray], np.ndarray] | None = None
        for members in np.split(order, bounds):
            if not len(members):
                continue
            first = self.seekers[members[0]]
            allowed = np.ones(n_p, dtype=bool)
            if language:
                allowed &= pop.language_shared[pop.language_id[first], pop.language_id[provider]]
            if rules.min_overlap_hours is not None:
                hours = pop.window_overlap[pop.window_id[first], pop.window_id[provider]]
                allowed &= hours >= rules.min_overlap_hours - 1e-9
            gap = pop.level[provider] - pop.level[first]
            if rules.min_level_gap is not None:
                allowed &= gap >= rules.min_level_gap
            if rules.max_level_gap is not None:
                allowed &= gap <= rules.max_level_gap
            if current is not None:
                union = current[1] | allowed
                wide = int(union.sum())
                rows = sum(len(m) for m in current[0]) + len(members)
                if wide <= 1.15 * max(int(current[1].sum()), int(allowed.sum()), 1) and (
                    rows * wide <= block_cells
                ):
                    current = ([*current[0], members], union)
                    continue
                flush(np.concatenate(current[0]), current[1])
            current = ([members], allowed)
        if current is not None:
            flush(np.concatenate(current[0]), current[1])
        return blocks

    def stream(
        self,
        *,
        threads: int,
        top_per_seeker: int,
        block_cells: int,
        must: list[tuple[int, int]],
        compiled: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, LeftOut]:
        """Every block of seekers once, keeping only candidates: the arcs (seeker, provider,
        score) and what bounds the rest. ``compiled``: with the numba kernel
        (:mod:`matcher.assignment.kernel`), else with numpy (:meth:`kept`, its reference)."""
        n_s, n_p = len(self.seekers), len(self.providers)
        tasks = self.groups(min(block_cells, STREAM_BLOCK_CELLS))
        must_keys = np.unique(np.array([s * n_p + p for s, p in must], dtype=np.int64))
        if compiled:
            from matcher.assignment import kernel  # numba: imported only when streaming

            table = kernel.tables(self, must_keys)

            def one(task: tuple[np.ndarray, np.ndarray]) -> _Kept:
                return _Kept(*kernel.kept(table, task[0], task[1], top_per_seeker, n_p))

        else:

            def one(task: tuple[np.ndarray, np.ndarray]) -> _Kept:
                return self.kept(task[0], task[1], top_per_seeker, must_keys)

        provider_cut = np.full(n_p, -np.inf)
        per_seeker = np.zeros(n_s, dtype=np.int64)
        seeker_cut = np.full(n_s, -np.inf)
        arcs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        lowest, largest = np.inf, -np.inf
        if threads > 1 and len(tasks) > 1:
            for matrix in (self.pop.strength, self.history.penalty, self.history.recent):
                matrix.sort_indices()
            pool = ThreadPoolExecutor(min(threads, len(tasks)))
            found = pool.map(one, tasks)
        else:
            pool, found = None, map(one, tasks)
        try:
            for (rows, _), kept in zip(tasks, found, strict=True):  # fold bounds as they arrive
                np.maximum(provider_cut, kept.provider_cut, out=provider_cut)
                per_seeker[rows] = kept.eligible
                seeker_cut[rows] = kept.seeker_cut
                lowest = min(lowest, kept.lowest)
                largest = max(largest, float(kept.score.max(initial=-np.inf)))
                arcs.append((kept.seeker, kept.provider, kept.score))
        finally:
            if pool is not None:
                pool.shutdown()
        zero = np.flatnonzero(per_seeker == 0)
        step = max(1, block_cells // max(n_p, 1))
        for start in range(0, len(zero), step):  # why a seeker has no eligible provider
            part = zero[start : start + step]  # each rule's removals, a block at a time
            self.eligibility(part, np.arange(n_p), count=part)
        seeker = np.concatenate([a[0] for a in arcs] or [np.zeros(0, np.int32)])
        provider = np.concatenate([a[1] for a in arcs] or [np.zeros(0, np.int32)])
        score = np.concatenate([a[2] for a in arcs] or [np.zeros(0)])
        order = np.argsort(seeker.astype(np.int64) * max(n_p, 1) + provider, kind="stable")
        left_out = LeftOut(
            eligible_pairs=int(per_seeker.sum()),
            per_seeker=per_seeker,
            seeker_cut=seeker_cut,
            provider_cut=provider_cut,
            largest=max(abs(lowest), abs(largest)) if np.isfinite(lowest) else 0.0,
            blocks=self,
        )
        return seeker[order], provider[order], score[order], left_out


def _must_blockers(
    blocks: _Blocks, must: list[tuple[int, int]]
) -> dict[tuple[int, int], list[str]]:
    """The hard rules (and ``pairs.never``, ``self``) each must pair breaks, for those that do."""
    if not must:
        return {}
    si = blocks.seekers[[s for s, _ in must]]
    pi = blocks.providers[[p for _, p in must]]
    conditions = _block_conditions(blocks.spec, blocks.pop, blocks.history, blocks.rules, si, pi)
    banned = set(blocks.never)
    found: dict[tuple[int, int], list[str]] = {}
    for k, pair in enumerate(must):
        blockers = [name for name, allowed in conditions.items() if not allowed[k]]
        if pair in banned:
            blockers.append("pairs.never")
        if si[k] == pi[k]:
            blockers.append("self")
        if blockers:
            found[pair] = blockers
    return found


def _symmetrize(problem: MatchingProblem) -> MatchingProblem:
    """Peer programs: keep pair {i, j} (i < j) when both orientations are eligible; its score
    is the mean of the two orientations' scores."""
    n = len(problem.seekers)
    key = problem.arc_seeker.astype(np.int64) * n + problem.arc_provider
    reverse = problem.arc_provider.astype(np.int64) * n + problem.arc_seeker
    order = np.argsort(key)
    where = np.minimum(np.searchsorted(key[order], reverse), max(len(key) - 1, 0))
    partner = order[where] if len(key) else where
    both = (key[partner] == reverse) if len(key) else np.zeros(0, bool)
    keep = both & (problem.arc_seeker < problem.arc_provider)
    score = (problem.arc_score + problem.arc_score[partner]) / 2
    problem.arc_seeker = problem.arc_seeker[keep]
    problem.arc_provider = problem.arc_provider[keep]
    problem.arc_score = score[keep]
    problem.top_arcs = np.arange(int(keep.sum()))
    problem.must = list(dict.fromkeys((min(a, b), max(a, b)) for a, b in problem.must))
    problem.must_blockers = {
        (min(a, b), max(a, b)): r for (a, b), r in problem.must_blockers.items()
    }
    return problem


def _top_per_row(dense: np.ndarray, flat: np.ndarray, k: int) -> np.ndarray:
    """Positions (into ``flat``, the block's eligible cells in row-major order) of each row's
    ``k`` best scores; ineligible cells of ``dense`` hold -inf."""
    n_rows, n_cols = dense.shape
    if n_cols <= k:
        return np.arange(len(flat))
    best = np.argpartition(dense, n_cols - k, axis=1)[:, n_cols - k :]
    picked = (best + (np.arange(n_rows) * n_cols)[:, None]).ravel()
    picked = np.sort(picked)
    position = np.searchsorted(flat, picked)
    hit = position < len(flat)
    hit[hit] = flat[position[hit]] == picked[hit]
    return position[hit]


def _hard_rule_names(spec: ProgramSpec, rules: list[YesNoRule], history: History) -> list[str]:
    names = [r.name for r in rules if r.mode in (Mode.REQUIRED, Mode.FORBIDDEN)]
    for name in ("min_level_gap", "max_level_gap", "min_overlap_hours"):
        if getattr(spec.rules, name) is not None:
            names.append(name)
    if spec.rules.no_repeat_periods is not None and history.recent.nnz:
        names.append("no_repeat_periods")
    if spec.rules.no_repeat_pairs == "required" and history.met.nnz:
        names.append("no_repeat_pairs")
    return names
