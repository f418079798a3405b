"""The streamed compile's fast path: one pass over a block of seekers × providers that applies
the hard rules, scores each eligible pair and keeps each seeker's best, compiled with numba.

At 200,000 × 50,000 the numpy blocks (:meth:`matcher.assignment.compile._Blocks.kept`) score
5.4 billion cells at 55–62 ns a cell (``python -m benchmarks kernel-cells --size XL``), and allocate a temporary per rule and term; this
kernel reads each cell once and keeps nothing but the row being ranked.

The numpy functions stay the definition: ``_Blocks.kept`` is the reference this kernel is
tested against (eligibility, every score bit for bit, the kept pairs and the cuts), and the
pairs a solver prices in later are listed by the numpy path. What the kernel reads is prepared
here from the same numpy code wherever a term is a function of a single value (tie strength,
repeat penalty, working-hour overlap, isolation), so only the per-cell arithmetic of the
interest and skill overlaps is written a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numba
import numpy as np
import scipy.sparse as sp

from matcher.assignment.programs import Mode
from matcher.assignment.scoring import isolation_term, overlap_term, tie_term

if TYPE_CHECKING:  # pragma: no cover
    from matcher.assignment.compile import _Blocks

REQUIRED, FORBIDDEN, PREFERRED, AVOIDED = 0, 1, 2, 3
_MODES = {
    Mode.REQUIRED: REQUIRED,
    Mode.FORBIDDEN: FORBIDDEN,
    Mode.PREFERRED: PREFERRED,
    Mode.AVOIDED: AVOIDED,
}
SAME, REPORTING, LANGUAGE = 0, 1, 2


@dataclass
class Tables:
    """What the kernel reads, gathered once per program: seeker-side arrays by seeker position,
    provider-side arrays by provider position (32-bit where the values fit: every cell reads
    them, and at 50,000 providers a row of them no longer fits the CPU's caches), sparse pair
    data as (seeker, provider) positions."""

    arrays: tuple[Any, ...]
    must: tuple[np.ndarray, np.ndarray]
    """The must pairs' (indptr, indices) by seeker position, as the kernel reads them."""


def _positions(matrix: sp.csr_matrix, seekers: np.ndarray, providers: np.ndarray) -> sp.csr_matrix:
    """``matrix[seekers][:, providers]`` (org × org) as seeker × provider positions."""
    sub = matrix.tocsr()[seekers][:, providers].tocsr()
    sub.sum_duplicates()
    sub.sort_indices()
    return sub


def _csr(seeker: np.ndarray, provider: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """The pattern of the pairs (seeker, provider), in canonical order."""
    matrix = sp.csr_matrix((np.ones(len(seeker)), (seeker, provider)), shape=shape)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _reporting_pairs(blocks: _Blocks) -> sp.csr_matrix:
    """The (seeker, provider) positions of the pairs in one another's manager chain (as
    :func:`matcher.assignment.rules.reporting_line` defines it)."""
    pop, seekers, providers = blocks.pop, blocks.seekers, blocks.providers
    n = len(pop.ids)
    provider_at = np.full(n + 1, -1, dtype=np.int64)
    provider_at[providers] = np.arange(len(providers))
    seeker_at = np.full(n + 1, -1, dtype=np.int64)
    seeker_at[seekers] = np.arange(len(seekers))
    up = pop.ancestors[seekers]
    where = provider_at[np.where(up >= 0, up, n)]
    s1, d1 = np.nonzero(where >= 0)
    up = pop.ancestors[providers]
    where_s = seeker_at[np.where(up >= 0, up, n)]
    p2, d2 = np.nonzero(where_s >= 0)
    seeker = np.concatenate([s1, where_s[p2, d2]])
    provider = np.concatenate([where[s1, d1], p2])
    return _csr(seeker, provider, (len(seekers), len(providers)))


def tables(blocks: _Blocks, must: np.ndarray) -> Tables:
    """Gather what the kernel reads for ``blocks`` (``must``: sorted ``seeker * providers +
    provider`` keys of the must pairs)."""
    spec, pop, history = blocks.spec, blocks.pop, blocks.history
    seekers, providers = blocks.seekers, blocks.providers
    n_s, n_p = len(seekers), len(providers)
    shape = (n_s, n_p)
    rules = spec.rules
    weights = spec.weights.model_dump()

    # hard pair bans: pairs.never, pairs committed this period, no_repeat_* history
    banned = [blocks.never_matrix.tocsr().astype(np.float64)]
    if blocks.prior_pairs:
        seeker_at = {int(s): k for k, s in enumerate(seekers.tolist())}
        provider_at = {int(p): k for k, p in enumerate(providers.tolist())}
        found = [
            (seeker_at[x], provider_at[y])
            for a, b in blocks.prior_pairs
            for x, y in ((a, b), (b, a))
            if x in seeker_at and y in provider_at
        ]
        if found:
            banned.append(
                _csr(np.array([f[0] for f in found]), np.array([f[1] for f in found]), shape)
            )
    if rules.no_repeat_periods is not None and history.recent.nnz:
        banned.append(_positions(history.recent, seekers, providers).astype(np.float64))
    if rules.no_repeat_pairs == "required" and history.met.nnz:
        banned.append(_positions(history.met, seekers, providers).astype(np.float64))
    ban = sum(banned[1:], banned[0]).tocsr()
    ban.sum_duplicates()
    ban.eliminate_zeros()  # a stored False (no repeat) bans nothing, as numpy's lookup reads it
    ban.sort_indices()

    # yes/no rules, in order: (kind, mode, index into the code rows)
    kinds, modes, codes_s, codes_p = [], [], [], []
    reporting = False
    for rule in blocks.rules:  # row q of the code tables belongs to rule q
        modes.append(_MODES[rule.mode])
        codes = np.full(len(pop.ids), -1, dtype=np.int64) if rule.codes is None else rule.codes
        codes_s.append(codes[seekers])
        codes_p.append(codes[providers])
        if rule.name == "reporting_line":
            kinds.append(REPORTING)
            reporting = True
        elif rule.name == "shared_language":
            kinds.append(LANGUAGE)
        else:
            assert rule.codes is not None, rule.name
            kinds.append(SAME)
    line = _reporting_pairs(blocks) if reporting else sp.csr_matrix(shape, dtype=np.float64)
    code_s = np.array(codes_s, dtype=np.int64).reshape(len(codes_s), n_s)
    code_p = np.array(codes_p, dtype=np.int32).reshape(len(codes_p), n_p)

    # terms: per-value ones prepared here by the scoring module's own functions
    tie = sp.csr_matrix(shape, dtype=np.float64)
    if weights["existing_tie"]:
        tie = _positions(pop.strength, seekers, providers)
        tie.data = np.asarray(tie_term(pop, tie.data) * weights["existing_tie"], np.float64)
    repeat = sp.csr_matrix(shape, dtype=np.float64)
    if weights["repeat"] and history.penalty.nnz:
        repeat = _positions(history.penalty, seekers, providers)
        repeat.data = np.asarray(repeat.data * weights["repeat"], np.float64)
    isolation = np.zeros(n_s)
    if weights["isolation_priority"]:
        isolation = np.asarray(
            isolation_term(pop, seekers) * weights["isolation_priority"], np.float64
        )
    overlap_add = np.asarray(
        overlap_term(pop.window_overlap) * weights["overlap_hours"], np.float64
    )

    level = pop.level
    interests_s = pop.interest_count[seekers].astype(np.int64)
    interests_p = pop.interest_count[providers].astype(np.int32)
    wants_s = pop.want_count[seekers].astype(np.int64)
    arrays = (
        seekers.astype(np.int64),
        providers.astype(np.int32),
        _indices(ban),
        np.array(kinds, dtype=np.int64),
        np.array(modes, dtype=np.int64),
        code_s,
        code_p,
        _indices(line),
        pop.language_id[seekers].astype(np.int64),
        pop.language_id[providers].astype(np.int32),
        np.ascontiguousarray(pop.language_shared, dtype=np.bool_),
        level[seekers].astype(np.float64),
        level[providers].astype(np.float64),
        np.nan if rules.min_level_gap is None else float(rules.min_level_gap),
        np.nan if rules.max_level_gap is None else float(rules.max_level_gap),
        pop.window_id[seekers].astype(np.int64),
        pop.window_id[providers].astype(np.int32),
        np.ascontiguousarray(pop.window_overlap, dtype=np.float64),
        np.nan if rules.min_overlap_hours is None else rules.min_overlap_hours - 1e-9,
        float(weights["interests"]),
        np.ascontiguousarray(pop.interests[seekers]),
        np.ascontiguousarray(pop.interests[providers]),
        interests_s,
        interests_p,
        _ratios(
            int(max(interests_s.max(initial=0), interests_p.max(initial=0))),
            2,
            weights["interests"],
        ),
        float(weights["skills"]),
        np.ascontiguousarray(pop.wants[seekers]),
        np.ascontiguousarray(pop.skills[providers]),
        wants_s,
        _ratios(int(wants_s.max(initial=0)), 1, weights["skills"]),
        float(weights["overlap_hours"]),
        np.ascontiguousarray(overlap_add),
        float(weights["bridging"]),
        pop.community[seekers].astype(np.int64),
        pop.community[providers].astype(np.int32),
        *_sparse(tie),
        *_sparse(repeat),
        isolation,
        float(weights["preferences"]),
    )
    must_pairs = _indices(_csr(must // max(n_p, 1), must % max(n_p, 1), shape))
    return Tables(arrays=arrays, must=must_pairs)


RATIO_TABLE_MAX = 1024
"""Largest set size for which the overlap terms are looked up in a table of ratios (a
1025 × 2049 table of float64 is 16.8 MB); larger sets are divided cell by cell."""


def _ratios(largest: int, span: int, weight: float) -> np.ndarray:
    """``(shared / total) * weight`` for every ``0 ≤ shared ≤ largest`` and ``0 ≤ total ≤ span *
    largest`` (``0`` where ``total`` is 0), computed as the scoring module computes each cell
    (numpy's true division of the two counts, then the weight), so a lookup gives the same
    float as the division; empty when ``largest`` is above :data:`RATIO_TABLE_MAX`."""
    if largest > RATIO_TABLE_MAX:
        return np.zeros((0, 0))
    shared = np.arange(largest + 1)[:, None]
    total = np.arange(span * largest + 1)[None, :]
    ratio = np.divide(
        shared, total, out=np.zeros((largest + 1, span * largest + 1)), where=total > 0
    )
    return np.ascontiguousarray(ratio * weight, dtype=np.float64)


def _indices(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    return matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64)


def _sparse(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        matrix.indptr.astype(np.int64),
        matrix.indices.astype(np.int64),
        np.asarray(matrix.data, dtype=np.float64),
    )


def kept(
    table: Tables, rows: np.ndarray, cols: np.ndarray, k: int, n_p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Each seeker's ``k`` best eligible pairs among seekers ``rows`` × providers ``cols``
    (positions, each sorted) and the must pairs among them: the fields of
    :class:`matcher.assignment.compile._Kept` (seeker, provider, score, the eligible count and
    the best left-out score per seeker, the best left-out score per provider over all ``n_p``,
    the lowest eligible score)."""
    must_ptr, must_idx = table.must
    k = min(k, len(cols))  # the heap's size: a seeker keeps at most every provider
    extra = int((must_ptr[rows + 1] - must_ptr[rows]).sum())
    size = len(rows) * k + extra
    out_r = np.empty(size, dtype=np.int64)
    out_c = np.empty(size, dtype=np.int64)
    out_s = np.empty(size, dtype=np.float64)
    counts = np.zeros(len(rows), dtype=np.int64)
    seeker_cut = np.full(len(rows), -np.inf)
    col_cut = np.full(len(cols), -np.inf)
    found, lowest = _block(
        rows.astype(np.int64),
        cols.astype(np.int64),
        n_p,
        k,
        must_ptr,
        must_idx,
        out_r,
        out_c,
        out_s,
        counts,
        seeker_cut,
        col_cut,
        *table.arrays,
    )
    provider_cut = np.full(n_p, -np.inf)
    provider_cut[cols] = col_cut
    return (
        rows[out_r[:found]].astype(np.int32),
        cols[out_c[:found]].astype(np.int32),
        out_s[:found].copy(),
        counts,
        seeker_cut,
        provider_cut,
        float(lowest),
    )


def _compiled(**options: Any) -> Any:
    """``numba.njit(cache=True, **options)``; where numba finds no writable cache folder (beside
    the module, or the user's cache, or ``NUMBA_CACHE_DIR``) it raises when the function is
    decorated, and the kernel is then compiled on each run instead (about 2 s)."""

    def wrap(function: Any) -> Any:
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError:
            return numba.njit(**options)(function)

    return wrap


@_compiled()
def _popcount(x: Any) -> Any:  # pragma: no cover  (compiled)
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@_compiled(nogil=True)
def _flag(
    ptr: np.ndarray, idx: np.ndarray, local: np.ndarray, s: int, mark: np.ndarray, bit: int
) -> None:  # pragma: no cover  (compiled)
    """Set ``bit`` on the block's columns of row ``s`` of a sparse pattern (``0``: clear)."""
    for e in range(ptr[s], ptr[s + 1]):
        j = local[idx[e]]
        if j >= 0:
            mark[j] = mark[j] | bit if bit else 0


@_compiled(nogil=True)
def _put(
    ptr: np.ndarray,
    idx: np.ndarray,
    data: np.ndarray,
    local: np.ndarray,
    s: int,
    row: np.ndarray,
    clear: bool,
) -> None:  # pragma: no cover  (compiled)
    """Write row ``s`` of a sparse matrix into the block's columns (``clear``: write 0)."""
    for e in range(ptr[s], ptr[s + 1]):
        j = local[idx[e]]
        if j >= 0:
            row[j] = 0.0 if clear else data[e]


@_compiled(nogil=True)
def _block(  # one pass over the cells, compiled by numba
    rows: np.ndarray,
    cols: np.ndarray,
    n_p: int,
    k: int,
    must_ptr: np.ndarray,
    must_idx: np.ndarray,
    out_r: np.ndarray,
    out_c: np.ndarray,
    out_s: np.ndarray,
    counts: np.ndarray,
    seeker_cut: np.ndarray,
    col_cut: np.ndarray,
    seeker_org: np.ndarray,
    provider_org: np.ndarray,
    ban: tuple[np.ndarray, np.ndarray],
    kinds: np.ndarray,
    modes: np.ndarray,
    code_s: np.ndarray,
    code_p: np.ndarray,
    line: tuple[np.ndarray, np.ndarray],
    lang_s: np.ndarray,
    lang_p: np.ndarray,
    lang_shared: np.ndarray,
    level_s: np.ndarray,
    level_p: np.ndarray,
    min_gap: float,
    max_gap: float,
    win_s: np.ndarray,
    win_p: np.ndarray,
    win_overlap: np.ndarray,
    min_overlap: float,
    w_interests: float,
    int_s: np.ndarray,
    int_p: np.ndarray,
    icount_s: np.ndarray,
    icount_p: np.ndarray,
    interest_add: np.ndarray,
    w_skills: float,
    wants_s: np.ndarray,
    skills_p: np.ndarray,
    wcount_s: np.ndarray,
    skill_add: np.ndarray,
    w_overlap: float,
    overlap_add: np.ndarray,
    w_bridging: float,
    comm_s: np.ndarray,
    comm_p: np.ndarray,
    tie_ptr: np.ndarray,
    tie_idx: np.ndarray,
    tie_add: np.ndarray,
    rep_ptr: np.ndarray,
    rep_idx: np.ndarray,
    rep_add: np.ndarray,
    isolation: np.ndarray,
    w_preferences: float,
) -> tuple[int, float]:
    n_rows = len(rows)
    width = len(cols)
    ban_ptr, ban_idx = ban
    line_ptr, line_idx = line
    local = np.full(n_p, -1, np.int64)
    for j in range(width):
        local[cols[j]] = j
    mark = np.zeros(width, np.int8)  # 1: banned, 2: in one another's manager chain
    tie_row = np.zeros(width)
    rep_row = np.zeros(width)
    row = np.empty(width)
    heap_s = np.empty(max(k, 1))
    heap_c = np.empty(max(k, 1), np.int64)
    n_rules = len(kinds)
    words_i = int_s.shape[1]
    words_w = wants_s.shape[1]
    interest_table = interest_add.shape[0] > 0
    skill_table = skill_add.shape[0] > 0
    found = 0
    lowest = np.inf
    for r in range(n_rows):
        s = rows[r]
        # this seeker's sparse pair data, spread over the block's providers (undone below)
        _flag(ban_ptr, ban_idx, local, s, mark, 1)
        _flag(line_ptr, line_idx, local, s, mark, 2)
        _put(tie_ptr, tie_idx, tie_add, local, s, tie_row, False)
        _put(rep_ptr, rep_idx, rep_add, local, s, rep_row, False)
        so = seeker_org[s]
        ls, lv, ws, cs = lang_s[s], level_s[s], win_s[s], comm_s[s]
        ics, wcs = icount_s[s], wcount_s[s]
        size = 0
        best_out = -np.inf
        count = 0
        for j in range(width):
            row[j] = -np.inf
            if mark[j] & 1:
                continue
            p = cols[j]
            if provider_org[p] == so:
                continue
            preferences = 0.0
            allowed = True
            for q in range(n_rules):
                kind = kinds[q]
                if kind == 0:
                    a = code_s[q, s]
                    holds = a >= 0 and a == code_p[q, p]
                elif kind == 1:
                    holds = (mark[j] & 2) != 0
                else:
                    holds = lang_shared[ls, lang_p[p]]
                mode = modes[q]
                if mode == 0:
                    if not holds:
                        allowed = False
                        break
                elif mode == 1:
                    if holds:
                        allowed = False
                        break
                elif mode == 2:
                    if holds:
                        preferences += 1.0
                elif holds:
                    preferences -= 1.0
            if not allowed:
                continue
            gap = level_p[p] - lv
            if min_gap == min_gap and not gap >= min_gap:
                continue
            if max_gap == max_gap and not gap <= max_gap:
                continue
            if min_overlap == min_overlap and not win_overlap[ws, win_p[p]] >= min_overlap:
                continue
            # the score, term by term in the order of matcher.assignment.scoring.TERMS
            total = 0.0
            if w_interests != 0.0:
                shared = 0
                for w in range(words_i):
                    shared += _popcount(int_s[s, w] & int_p[p, w])
                union = ics + icount_p[p] - shared
                if interest_table:  # the same float as dividing, without the division
                    total += interest_add[shared, union]
                else:
                    term = shared / union if union > 0 else 0.0
                    total += term * w_interests
            if w_skills != 0.0:
                hit = 0
                for w in range(words_w):
                    hit += _popcount(wants_s[s, w] & skills_p[p, w])
                if skill_table:
                    total += skill_add[hit, wcs]
                else:
                    term = hit / wcs if wcs > 0 else 0.0
                    total += term * w_skills
            if w_overlap != 0.0:
                total += overlap_add[ws, win_p[p]]
            if w_bridging != 0.0:
                total += (1.0 if cs != comm_p[p] else 0.0) * w_bridging
            total += tie_row[j]
            total += rep_row[j]
            total += isolation[s]
            if w_preferences != 0.0:
                total += preferences * w_preferences
            count += 1
            row[j] = total
            if total < lowest:
                lowest = total
            # keep the k best (a min-heap on score; ties keep the earlier provider)
            if size < k:
                i = size
                size += 1
                while i > 0:
                    up = (i - 1) // 2
                    if heap_s[up] <= total:
                        break
                    heap_s[i] = heap_s[up]
                    heap_c[i] = heap_c[up]
                    i = up
                heap_s[i] = total
                heap_c[i] = j
            elif k > 0 and total > heap_s[0]:
                if heap_s[0] > best_out:
                    best_out = heap_s[0]
                i = 0
                while True:
                    left = 2 * i + 1
                    if left >= k:
                        break
                    child = left
                    if left + 1 < k and heap_s[left + 1] < heap_s[left]:
                        child = left + 1
                    if heap_s[child] >= total:
                        break
                    heap_s[i] = heap_s[child]
                    heap_c[i] = heap_c[child]
                    i = child
                heap_s[i] = total
                heap_c[i] = j
            elif total > best_out:
                best_out = total
        counts[r] = count
        seeker_cut[r] = best_out
        for h in range(size):
            j = heap_c[h]
            out_r[found] = r
            out_c[found] = j
            out_s[found] = heap_s[h]
            found += 1
            row[j] = -np.inf
        for e in range(must_ptr[s], must_ptr[s + 1]):  # must pairs, whatever they score
            j = local[must_idx[e]]
            if j >= 0 and row[j] > -np.inf:
                out_r[found] = r
                out_c[found] = j
                out_s[found] = row[j]
                found += 1
                row[j] = -np.inf
        for j in range(width):
            if row[j] > col_cut[j]:
                col_cut[j] = row[j]
        _flag(ban_ptr, ban_idx, local, s, mark, 0)
        _flag(line_ptr, line_idx, local, s, mark, 0)
        _put(tie_ptr, tie_idx, tie_add, local, s, tie_row, True)
        _put(rep_ptr, rep_idx, rep_add, local, s, rep_row, True)
    return found, lowest
