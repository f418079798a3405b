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
        return [self.pop.ids[i] for i in self.seekers]

    @property
    def provider_ids(self) -> list[str]:
        return [self.pop.ids[i] for i in self.providers]

    @property
    def arcs(self) -> int:
        return len(self.arc_seeker)

    def seeker_team(self) -> np.ndarray:
        return self.pop.team[self.seekers]


@dataclass(frozen=True)
class Block:
    """The eligible pairs of one block of seekers: positions, scores, and each seeker's best."""

    seeker: np.ndarray
    provider: np.ndarray
    score: np.ndarray
    top: np.ndarray


def _check_columns(spec: ProgramSpec, pop: Population) -> None:
    """A rule that needs a column the data lacks is an error naming both."""
    org = pop.org
    needs: list[tuple[str, str, bool]] = [
        ("min_level_gap", "level", spec.rules.min_level_gap is not None),
        ("max_level_gap", "level", spec.rules.max_level_gap is not None),
        ("min_overlap_hours", "timezone", False),
        ("max_same_team_per_provider", "team", spec.rules.max_same_team_per_provider is not None),
    ]
    for yes_no in yes_no_rules(spec, pop):
        needs.append((yes_no.name, yes_no.column, True))
    present = {
        "level": any(e.level is not None for e in org.employees),
        "team": any(e.team for e in org.employees),
        "department": any(e.department for e in org.employees),
        "location": any(e.location for e in org.employees),
        "languages": any(e.languages for e in org.employees),
    }
    for rule, column, needed in needs:
        if needed and not present.get(column, True):
            raise ConfigError(
                f"program {spec.name!r}: rule {rule} needs the employee column {column!r}, which the data lacks"
            )


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

    Seekers are taken in blocks of about ``block_cells`` seeker × provider cells against all
    providers; ``threads`` blocks run at once. The result does not depend on ``threads`` or
    ``block_cells``. Each seeker's ``top_per_seeker`` best arcs are remembered as the start of a
    pruned solve (:attr:`MatchingProblem.top_arcs`).

    ``prior`` pairs (seeker id, provider id) were committed earlier in the same program and
    period (``--incremental``): they use up capacity and per-team caps, and seekers they
    already serve fully are not assigned again.

    Raises
    ------
    ConfigError
        When a rule needs a column the data lacks, or a must/never pair names unknown people.
    """
    _check_columns(spec, pop)
    rules = yes_no_rules(spec, pop)
    seekers = np.flatnonzero(select(effective_selector(spec, "seekers"), pop))
    peer = spec.kind is Kind.PEER
    providers = (
        seekers.copy()
        if peer
        else np.flatnonzero(select(effective_selector(spec, "providers"), pop))
    )
    capacity = capacities(spec.capacity, pop, providers)
    supply = np.full(len(seekers), spec.per_seeker, dtype=np.int64)
    prior_team_load: dict[tuple[int, int], int] = {}
    # distinct committed pairs: two committed runs that list the same pair count it once
    prior_pairs = _prior_positions(prior, pop, peer)
    prior_load = np.zeros(len(providers), dtype=np.int64)
    notes: list[str] = []
    conflicts: list[str] = []
    full_before: dict[int, list[int]] = {}
    if prior_pairs:
        seeker_at = {int(i): k for k, i in enumerate(seekers)}
        provider_at = {int(i): k for k, i in enumerate(providers)}
        for a, b in sorted(prior_pairs):
            if peer:
                # a peer pair uses one unit of each person's capacity
                for person, partner in ((a, b), (b, a)):
                    if person in provider_at:
                        prior_load[provider_at[person]] += 1
                        full_before.setdefault(person, []).append(partner)
                continue
            if a in seeker_at:
                supply[seeker_at[a]] -= 1
                full_before.setdefault(a, []).append(b)
            if b in provider_at:
                prior_load[provider_at[b]] += 1
                key = (provider_at[b], int(pop.team[a]))
                prior_team_load[key] = prior_team_load.get(key, 0) + 1
        over = np.flatnonzero(prior_load > capacity)
        if len(over):
            notes.append(
                f"{len(over)} provider(s) already hold more committed pairs this period than their "
                f"capacity (e.g. {pop.ids[providers[over[0]]]}: {prior_load[over[0]]} of "
                f"{capacity[over[0]]}): they take no one new"
            )
        capacity = np.maximum(capacity - prior_load, 0)
        if peer:
            keep = (capacity > 0) | (prior_load == 0)  # drop only those the committed pairs fill
            still_open = set(seekers[keep].tolist())
            full_before = {a: bs for a, bs in full_before.items() if a not in still_open}
            seekers, providers, capacity = seekers[keep], providers[keep], capacity[keep]
            prior_load = prior_load[keep]
            supply = capacity.copy()
        else:
            keep = supply > 0
            seekers, supply = seekers[keep], supply[keep]
            still_open = set(seekers.tolist())
            full_before = {a: bs for a, bs in full_before.items() if a not in still_open}
    min_need = np.maximum(spec.capacity.min - prior_load, 0)
    provider_position = np.full(len(pop.ids), -1, dtype=np.int64)
    provider_position[providers] = np.arange(len(providers))
    seeker_position = np.full(len(pop.ids), -1, dtype=np.int64)
    seeker_position[seekers] = np.arange(len(seekers))

    never = _pair_positions(
        spec, spec.pairs.never, pop, seeker_position, provider_position, both=True
    )
    never_matrix = sp.csr_matrix(
        (np.ones(len(never), bool), ([a for a, _ in never], [b for _, b in never])),
        shape=(len(seekers), len(providers)),
    )
    must, done = _must_positions(
        spec, pop, seeker_position, provider_position, prior_pairs, full_before, conflicts
    )
    if done:
        notes.append(
            f"{done} must pair(s) were already committed this period and are kept as they are"
        )

    removed = {
        name: np.zeros(len(seekers), np.int64) for name in _hard_rule_names(spec, rules, history)
    }
    removed["never"] = np.zeros(len(seekers), np.int64)
    step = max(1, block_cells // max(len(providers), 1))
    pi = providers[None, :]

    def candidates(start: int) -> Block | None:
        """The eligible pairs of seekers ``start:start + step`` and their scores."""
        block = slice(start, min(start + step, len(seekers)))
        si = seekers[block][:, None]
        distinct = si != pi
        eligible = distinct.copy()
        for name, allowed in _block_conditions(spec, pop, history, rules, si, pi).items():
            removed[name][block] += (~allowed & distinct).sum(axis=1)
            eligible &= allowed
        if prior_pairs:
            # a pair committed earlier this period is not proposed again (either orientation)
            block_seekers = seekers[block]
            for a, b in prior_pairs:
                for x, y in ((a, b), (b, a)):
                    hit = np.flatnonzero(block_seekers == x)
                    col = np.flatnonzero(providers == y)
                    if len(hit) and len(col):
                        eligible[hit[0], col[0]] = False
        if never_matrix.nnz:
            banned = never_matrix[block].toarray()
            removed["never"][block] += banned.sum(axis=1)
            eligible &= ~banned
        flat = np.flatnonzero(eligible)
        if not len(flat):
            return None
        dense = pair_scores(spec, pop, history, si, pi)
        rows, cols = np.divmod(flat, len(providers))
        score = dense.ravel()[flat]
        dense[~eligible] = -np.inf
        return Block(
            (rows + start).astype(np.int32),
            cols.astype(np.int32),
            score,
            _top_per_row(dense, flat, top_per_seeker),
        )

    starts = range(0, len(seekers), step)
    if threads > 1 and len(starts) > 1:
        for matrix in (pop.strength, history.penalty, history.recent):
            matrix.sort_indices()  # scipy sorts lazily, in place: not while threads read it
        # numpy releases the GIL in its array loops; blocks write disjoint rows of `removed`
        with ThreadPoolExecutor(min(threads, len(starts))) as pool:
            blocks = [b for b in pool.map(candidates, starts) if b is not None]
    else:
        blocks = [b for b in map(candidates, starts) if b is not None]
    offsets = np.cumsum([0] + [len(b.score) for b in blocks])
    must_blockers: dict[tuple[int, int], list[str]] = {}
    if must:
        si = seekers[[s for s, _ in must]]
        pi = providers[[p for _, p in must]]
        conditions = _block_conditions(spec, pop, history, rules, si, pi)
        banned = {(s, p) for s, p in never}
        for k, pair in enumerate(must):
            blockers = [name for name, allowed in conditions.items() if not allowed[k]]
            if pair in banned:
                blockers.append("pairs.never")
            if si[k] == pi[k]:
                blockers.append("self")
            if blockers:
                must_blockers[pair] = blockers
    problem = MatchingProblem(
        spec=spec,
        pop=pop,
        history=history,
        seekers=seekers,
        providers=providers,
        capacity=capacity,
        min_load=spec.capacity.min,
        min_need=min_need,
        per_seeker=spec.per_seeker,
        supply=supply,
        prior_team_load=prior_team_load,
        arc_seeker=np.concatenate([b.seeker for b in blocks] or [np.zeros(0, np.int32)]),
        arc_provider=np.concatenate([b.provider for b in blocks] or [np.zeros(0, np.int32)]),
        arc_score=np.concatenate([b.score for b in blocks] or [np.zeros(0)]),
        must=must,
        must_blockers=must_blockers,
        top_arcs=np.concatenate(
            [b.top + offset for b, offset in zip(blocks, offsets, strict=False)]
            or [np.zeros(0, np.int64)]
        ),
        top_k=top_per_seeker,
        notes=notes,
        conflicts=conflicts,
        prior_load=prior_load,
        removed_by={k: v for k, v in removed.items() if v.any() or k != "never"},
        team_cap=spec.rules.max_same_team_per_provider,
    )
    return _symmetrize(problem) if peer else problem


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
    return names


def _prior_positions(
    prior: Sequence[tuple[str, str]], pop: Population, peer: bool
) -> set[tuple[int, int]]:
    """Distinct committed pairs as org indices; unordered (smaller index first) for peers."""
    out: set[tuple[int, int]] = set()
    for seeker_id, provider_id in prior:
        a, b = pop.org.index.get(seeker_id), pop.org.index.get(provider_id)
        if a is None or b is None or a == b:
            continue
        out.add((min(a, b), max(a, b)) if peer else (a, b))
    return out


def _must_positions(
    spec: ProgramSpec,
    pop: Population,
    seeker_position: np.ndarray,
    provider_position: np.ndarray,
    prior_pairs: set[tuple[int, int]],
    full_before: dict[int, list[int]],
    conflicts: list[str],
) -> tuple[list[tuple[int, int]], int]:
    """Distinct must pairs as positions, less those already committed this period.

    A must pair whose seeker is already fully served by committed pairs cannot hold: it is
    added to ``conflicts``. Returns the positions and how many must pairs were already
    committed.
    """
    peer = spec.kind is Kind.PEER
    wanted: list[tuple[str, str]] = []
    done = 0
    for a, b in dict.fromkeys((a, b) for a, b in spec.pairs.must):
        ia, ib = pop.org.index.get(a), pop.org.index.get(b)
        if ia is not None and ib is not None:
            key = (min(ia, ib), max(ia, ib)) if peer else (ia, ib)
            if key in prior_pairs or (not peer and (ib, ia) in prior_pairs):
                done += 1
                continue
            for s, p in ((ia, ib), (ib, ia)):
                if s in full_before and (peer or provider_position[p] >= 0):
                    given = ", ".join(pop.ids[q] for q in full_before[s])
                    limit = "capacity" if peer else f"per_seeker ({spec.per_seeker})"
                    conflicts.append(
                        f"pairs.must ({pop.ids[s]}, {pop.ids[p]}) cannot hold: {pop.ids[s]} already "
                        f"has the committed pair(s) this period that fill their {limit} "
                        f"({given}); withdraw that run or drop the must pair"
                    )
                    break
            else:
                wanted.append((a, b))
                continue
            continue
        wanted.append((a, b))
    positions = _pair_positions(spec, wanted, pop, seeker_position, provider_position, both=False)
    return list(dict.fromkeys(positions)), done


def _pair_positions(
    spec: ProgramSpec,
    pairs: list[tuple[str, str]],
    pop: Population,
    seeker_position: np.ndarray,
    provider_position: np.ndarray,
    *,
    both: bool,
) -> list[tuple[int, int]]:
    """Positions of listed pairs as (seeker, provider), trying ``[a, b]`` then ``[b, a]``."""
    out: list[tuple[int, int]] = []
    label = "never" if both else "must"
    for a, b in pairs:
        for name in (a, b):
            if name not in pop.org.index:
                raise ConfigError(
                    f"program {spec.name!r}: pairs.{label} names {name!r}, who is not an employee (or opted out)"
                )
        ia, ib = pop.org.index[a], pop.org.index[b]
        found = False
        for s, p in ((ia, ib), (ib, ia)):
            if seeker_position[s] >= 0 and provider_position[p] >= 0:
                out.append((int(seeker_position[s]), int(provider_position[p])))
                found = True
                if not both:
                    break
        if not found and not both:
            raise ConfigError(
                f"program {spec.name!r}: pairs.must [{a!r}, {b!r}] is not a seeker–provider pair of this program"
            )
    return out
