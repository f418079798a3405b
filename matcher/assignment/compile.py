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
    found = blocks.find_all(threads=threads, top_per_seeker=top_per_seeker, block_cells=block_cells)
    arc_seeker, arc_provider, arc_score, top_arcs = _concatenate(found)
    problem = MatchingProblem(
        spec=spec,
        pop=pop,
        history=history,
        seekers=seekers,
        providers=providers,
        capacity=sides.capacity,
        min_load=spec.capacity.min,
        min_need=np.maximum(spec.capacity.min - sides.prior_load, 0),
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

    def block(self, block: slice, top_per_seeker: int) -> Block | None:
        """The eligible pairs of the seekers at ``block`` and their scores (``None``: none)."""
        providers = self.providers
        si = self.seekers[block][:, None]
        pi = providers[None, :]
        distinct = si != pi
        eligible = distinct.copy()
        conditions = _block_conditions(self.spec, self.pop, self.history, self.rules, si, pi)
        for name, allowed in conditions.items():
            self.removed[name][block] += (~allowed & distinct).sum(axis=1)
            eligible &= allowed
        if self.prior_pairs:
            # a pair committed earlier this period is not proposed again (either orientation)
            block_seekers = self.seekers[block]
            for a, b in self.prior_pairs:
                for x, y in ((a, b), (b, a)):
                    hit = np.flatnonzero(block_seekers == x)
                    col = np.flatnonzero(providers == y)
                    if len(hit) and len(col):
                        eligible[hit[0], col[0]] = False
        if self.never_matrix.nnz:
            banned = self.never_matrix[block].toarray()
            self.removed["never"][block] += banned.sum(axis=1)
            eligible &= ~banned
        flat = np.flatnonzero(eligible)
        if not len(flat):
            return None
        dense = pair_scores(self.spec, self.pop, self.history, si, pi)
        rows, cols = np.divmod(flat, len(providers))
        score = dense.ravel()[flat]
        dense[~eligible] = -np.inf
        return Block(
            (rows + block.start).astype(np.int32),
            cols.astype(np.int32),
            score,
            _top_per_row(dense, flat, top_per_seeker),
        )


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
