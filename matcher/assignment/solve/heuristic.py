"""A fast plan for circles and rounds: greedy groups, then local search (moves, swaps,
replacements), round after round. It starts the exact model and answers alone where that model
would be too large; :mod:`matcher.assignment.solve.circle` bounds how far from optimal it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from matcher.assignment.groups import GroupProblem

MUST_VALUE = 1e9
"""Value of keeping a must pair together in the local search (never worth breaking)."""


@dataclass
class Dense:
    """The eligible pairs of a group problem as ``n × n`` matrices (positions)."""

    score: np.ndarray
    """Pair score (0 where not eligible)."""
    eligible: np.ndarray
    arc: np.ndarray
    """Arc id of each eligible pair (``-1`` elsewhere), both orientations."""
    met_before: np.ndarray
    must: np.ndarray

    @staticmethod
    def of(gp: GroupProblem) -> Dense:
        """The matrices of ``gp``."""
        n, problem = gp.n, gp.pairs
        a, b = problem.arc_seeker.astype(np.int64), problem.arc_provider.astype(np.int64)
        score = np.zeros((n, n))
        score[a, b] = score[b, a] = problem.arc_score
        eligible = np.zeros((n, n), dtype=bool)
        eligible[a, b] = eligible[b, a] = True
        arc = np.full((n, n), -1, dtype=np.int64)
        arc[a, b] = arc[b, a] = np.arange(len(a))
        met = np.zeros((n, n), dtype=bool)
        met[a, b] = met[b, a] = gp.met_before
        must = np.zeros((n, n), dtype=bool)
        for x, y in problem.must:
            must[x, y] = must[y, x] = True
        return Dense(score, eligible, arc, met, must)


def new_weight(gp: GroupProblem, dense: Dense) -> float:
    """What one new connection is worth against the score: more than any group's score."""
    top = float(np.abs(dense.score).max()) if dense.score.size else 0.0
    return 1.0 + 2.0 * top * gp.size_max * gp.size_max


def target_sizes(gp: GroupProblem, people: int) -> list[int]:
    """Group sizes that place ``people`` in as few groups of at most ``size_max`` as hold them
    (fewer groups when the minimum size or a ``min_per_group`` quota allows no more)."""
    if people < gp.size_min:
        return []
    groups = -(-people // gp.size_max)
    if groups * gp.size_min > people:
        groups = people // gp.size_min
    for quota in gp.quotas:
        if quota.rule == "min_per_group" and quota.count > 0:
            groups = min(groups, int(quota.members.sum()) // quota.count)
    if groups <= 0:
        return []
    placed = min(people, groups * gp.size_max)
    base, extra = divmod(placed, groups)
    return [min(gp.size_max, base + (1 if k < extra else 0)) for k in range(groups)]


@dataclass
class Round:
    """One round's groups under local search: ``group[i]`` is a group index or ``-1``."""

    gp: GroupProblem
    value: np.ndarray
    allowed: np.ndarray
    group: np.ndarray
    sizes: list[int]

    def __post_init__(self) -> None:
        gp, n = self.gp, self.gp.n
        self.count = len(self.sizes)
        self.size = np.zeros(self.count, dtype=np.int64)
        self.sum = np.zeros((n, self.count))
        self.bad = np.zeros((n, self.count), dtype=np.int64)
        teams = int(gp.team.max()) + 1 if len(gp.team) and gp.team.max() >= 0 else 0
        self.team_count = np.zeros((self.count, teams + 1), dtype=np.int64)
        self.team = np.where(gp.team >= 0, gp.team, teams)
        self.quota_members = np.array([q.members for q in gp.quotas], dtype=np.int64).reshape(
            len(gp.quotas), n
        )
        self.quota_count = np.zeros((len(gp.quotas), self.count), dtype=np.int64)
        self.quota_min = np.array([q.count if q.rule == "min_per_group" else 0 for q in gp.quotas])
        self.quota_max = np.array(
            [q.count if q.rule == "max_per_group" else 10**6 for q in gp.quotas]
        )
        self.not_allowed = (~self.allowed).astype(np.int8)
        np.fill_diagonal(self.not_allowed, 0)
        placed = np.flatnonzero(self.group >= 0)
        if len(placed):
            # the bookkeeping of _add for everyone placed at once (members sorted by group):
            # per group the sum of its members' columns, its size, team and quota counts
            labels = self.group[placed]
            order = np.argsort(labels, kind="stable")
            members, labels = placed[order], labels[order]
            used, starts = np.unique(labels, return_index=True)
            self.sum[:, used] = np.add.reduceat(self.value[:, members], starts, axis=1)
            self.bad[:, used] = np.add.reduceat(
                self.not_allowed[:, members], starts, axis=1, dtype=np.int64
            )
            self.size = np.bincount(labels, minlength=self.count).astype(np.int64)
            np.add.at(self.team_count, (labels, self.team[members]), 1)
            for q in range(len(gp.quotas)):
                self.quota_count[q] = np.bincount(
                    labels, weights=self.quota_members[q, members], minlength=self.count
                ).astype(np.int64)

    # ------------------------------------------------------------------ bookkeeping

    def _add(self, person: int, g: int) -> None:
        self.group[person] = g
        self.size[g] += 1
        self.sum[:, g] += self.value[:, person]
        self.bad[:, g] += self.not_allowed[:, person]
        self.team_count[g, self.team[person]] += 1
        self.quota_count[:, g] += self.quota_members[:, person]

    def _remove(self, person: int) -> None:
        g = int(self.group[person])
        self.group[person] = -1
        self.size[g] -= 1
        self.sum[:, g] -= self.value[:, person]
        self.bad[:, g] -= self.not_allowed[:, person]
        self.team_count[g, self.team[person]] -= 1
        self.quota_count[:, g] -= self.quota_members[:, person]

    def _team_room(self, person: int, groups: np.ndarray, leaving: np.ndarray | None) -> np.ndarray:
        """Whether ``person`` may join each of ``groups`` under the per-team cap (with the
        person ``leaving`` each group, when given, making room)."""
        cap = self.gp.team_cap
        if cap is None or self.gp.team[person] < 0:
            return np.ones(len(groups), dtype=bool)
        t = self.team[person]
        count = self.team_count[groups, t]
        if leaving is not None:
            count = count - (self.team[leaving] == t)
        return np.asarray(count + 1 <= cap)

    def _quota_room(
        self, person: int, groups: np.ndarray, leaving: np.ndarray | None, source: int | None
    ) -> np.ndarray:
        """Whether each of ``groups`` keeps its quotas when ``person`` joins (and ``leaving``
        leaves it), and ``source`` keeps its quotas when ``person`` leaves it (and ``leaving``
        joins it)."""
        ok = np.ones(len(groups), dtype=bool)
        if not len(self.gp.quotas):
            return ok
        member = self.quota_members[:, person][:, None]
        into = self.quota_count[:, groups] + member
        if leaving is not None:
            into = into - self.quota_members[:, leaving]
        ok &= (into <= self.quota_max[:, None]).all(axis=0)
        ok &= (into >= self.quota_min[:, None]).all(axis=0)
        if source is not None:
            back = self.quota_count[:, source][:, None] - member
            if leaving is not None:
                back = back + self.quota_members[:, leaving]
            ok &= (back >= self.quota_min[:, None]).all(axis=0)
            ok &= (back <= self.quota_max[:, None]).all(axis=0)
        return ok

    # ------------------------------------------------------------------ moves

    def insert(self, person: int) -> bool:
        """Place an unplaced person in the best group with room, if any may take them."""
        groups = np.arange(self.count)
        ok = (self.bad[person] == 0) & (self.size < self.gp.size_max)
        ok &= self._team_room(person, groups, None)
        if len(self.gp.quotas):
            member = self.quota_members[:, person][:, None]
            ok &= (self.quota_count + member <= self.quota_max[:, None]).all(axis=0)
        if not ok.any():
            return False
        gain = np.where(ok, self.sum[person], -np.inf)
        self._add(person, int(np.argmax(gain)))
        return True

    def improve_move(self, person: int) -> bool:
        """Move a placed person to the group where they add the most, if that is better."""
        source = int(self.group[person])
        if source < 0 or self.size[source] <= self.gp.size_min:
            return False
        groups = np.arange(self.count)
        ok = (self.bad[person] == 0) & (self.size < self.gp.size_max) & (groups != source)
        ok &= self._team_room(person, groups, None)
        ok &= self._quota_room(person, groups, None, source)
        if not ok.any():
            return False
        gain = np.where(ok, self.sum[person] - self.sum[person, source], -np.inf)
        best = int(np.argmax(gain))
        if gain[best] <= 1e-9:
            return False
        self._remove(person)
        self._add(person, best)
        return True

    def improve_swap(self, person: int) -> bool:
        """Swap a placed person with someone of another group, if that adds the most."""
        source = int(self.group[person])
        if source < 0:
            return False
        others = np.flatnonzero((self.group >= 0) & (self.group != source))
        if not len(others):
            return False
        into = self.group[others]
        pair_bad = self.not_allowed[person, others]
        ok = (self.bad[person, into] - pair_bad == 0) & (self.bad[others, source] - pair_bad == 0)
        ok &= self._team_room(person, into, others)
        if self.gp.team_cap is not None:
            t = self.team[others]
            back = self.team_count[source, t] - (self.team[person] == t) + 1
            ok &= (self.gp.team[others] < 0) | (back <= self.gp.team_cap)
        ok &= self._quota_room(person, into, others, source)
        if not ok.any():
            return False
        value = self.value[person, others]
        gain = (
            self.sum[person, into]
            - self.sum[person, source]
            + self.sum[others, source]
            - self.sum[others, into]
            - 2 * value
        )
        gain = np.where(ok, gain, -np.inf)
        best = int(np.argmax(gain))
        if gain[best] <= 1e-9:
            return False
        other = int(others[best])
        target = int(self.group[other])
        self._remove(person)
        self._remove(other)
        self._add(person, target)
        self._add(other, source)
        return True

    def replace(self, person: int, rank: np.ndarray) -> bool:
        """An unplaced person takes the place of a placed one of lower ``rank`` (flagged people
        first) or, at equal rank, of one who adds less to the group."""
        if self.group[person] >= 0:
            return False
        placed = np.flatnonzero(self.group >= 0)
        if not len(placed):
            return False
        into = self.group[placed]
        pair_bad = self.not_allowed[person, placed]
        ok = self.bad[person, into] - pair_bad == 0
        ok &= self._team_room(person, into, placed)
        ok &= self._quota_room(person, into, placed, None)
        ok &= rank[placed] <= rank[person]
        if not ok.any():
            return False
        gain = self.sum[person, into] - self.value[person, placed] - self.sum[placed, into]
        gain = gain + np.where(rank[placed] < rank[person], 1e12, 0.0)
        gain = np.where(ok, gain, -np.inf)
        best = int(np.argmax(gain))
        if gain[best] <= 1e-9:
            return False
        out = int(placed[best])
        target = int(self.group[out])
        self._remove(out)
        self._add(person, target)
        return True


def greedy_round(
    gp: GroupProblem,
    value: np.ndarray,
    allowed: np.ndarray,
    rng: np.random.Generator,
    kept: np.ndarray | None = None,
    shuffle: float = 0.0,
) -> Round:
    """Groups built one at a time: the hardest unplaced person (flagged, fewest partners among
    the unplaced) first, then whoever adds the most and may join everyone already in the group.

    ``kept`` (a person's group or ``-1``) holds groups that stay as they are; the others are
    built around them. ``shuffle`` > 0 perturbs the order of the seeds (each person's partner
    count times a random factor in ``[1, 1 + shuffle)``), for a different build each call.
    """
    n = gp.n
    np.fill_diagonal(allowed, False)
    group = np.full(n, -1, dtype=np.int64)
    built: list[int] = []
    if kept is not None:
        labels = np.unique(kept[kept >= 0])
        for g in labels.tolist():
            members = kept == g
            group[members] = len(built)
            built.append(int(members.sum()))
    free = group < 0
    partners = allowed[:, free].sum(axis=1) * (1.0 + shuffle * rng.random(n))
    candidates = np.flatnonzero(free & (allowed[:, free].sum(axis=1) >= gp.size_min - 1))
    sizes = target_sizes(gp, len(candidates))
    order = sorted(candidates.tolist(), key=lambda i: (not gp.flagged[i], partners[i], i))
    quota_min = [(q.members, q.count) for q in gp.quotas if q.rule == "min_per_group"]
    quota_max = [(q.members, q.count) for q in gp.quotas if q.rule == "max_per_group"]
    tried: set[int] = set()
    jitter = rng.random(n) * 1e-9
    # the target sizes first; then, while some unplaced person can still seed a group (in later
    # rounds groups fill less), more groups of up to size_max
    targets = [*sizes, *([gp.size_max] * (len(candidates) // max(gp.size_min, 1)))]
    for target in targets:
        if all(group[i] >= 0 or i in tried for i in order):
            break
        while True:
            seeds = [i for i in order if group[i] < 0 and i not in tried]
            for members_of, count in quota_min:
                if count:
                    seeds = [i for i in seeds if members_of[i]] or seeds
            if not seeds:
                break
            seed = seeds[0]
            tried.add(seed)
            members = [seed]
            fits = allowed[seed].copy()
            while len(members) < target:
                pick = fits & (group < 0)
                pick[members] = False
                if gp.team_cap is not None:
                    for t in set(gp.team[members].tolist()) - {-1}:
                        if int((gp.team[members] == t).sum()) >= gp.team_cap:
                            pick &= gp.team != t
                for members_of, count in quota_max:
                    if int(members_of[members].sum()) >= count:
                        pick &= ~members_of
                need = [
                    (members_of, count - int(members_of[members].sum()))
                    for members_of, count in quota_min
                    if count - int(members_of[members].sum()) > 0
                ]
                if need and sum(k for _, k in need) >= target - len(members):
                    wanted = np.zeros(n, dtype=bool)
                    for members_of, _ in need:
                        wanted |= members_of
                    pick &= wanted
                if not pick.any():
                    break
                gain = np.where(pick, value[members].sum(axis=0) + jitter, -np.inf)
                chosen = int(np.argmax(gain))
                members.append(chosen)
                fits &= allowed[chosen]
            quotas_met = all(int(m[members].sum()) >= c for m, c in quota_min)
            if len(members) >= gp.size_min and quotas_met:
                group[members] = len(built)
                built.append(len(members))
                break
    return Round(gp, value, allowed, group, [gp.size_max] * len(built))


def local_search(
    state: Round, rng: np.random.Generator, deadline: float, people: np.ndarray | None = None
) -> Round:
    """Insert, replace, move and swap until no step improves or the deadline passes; only
    ``people``'s moves when given (they may still swap with anyone)."""
    gp = state.gp
    rank = gp.flagged.astype(np.int64)
    movers = np.arange(gp.n) if people is None else people
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for person in rng.permutation(movers).tolist():
            if time.perf_counter() >= deadline:
                break
            if state.group[person] < 0:
                improved |= state.insert(person) or state.replace(person, rank)
                continue
            improved |= state.improve_move(person) or state.improve_swap(person)
    return state


def heuristic_plan(
    gp: GroupProblem, dense: Dense, rng: np.random.Generator, deadline: float
) -> list[np.ndarray]:
    """A plan: per round, each person's group (``-1``: not placed), rounds planned in turn,
    each given an equal share of the time to ``deadline``."""
    if gp.no_repeat == "required" and gp.rounds > 1:
        # first try to place everyone in every round with no pair twice (the golfer search)
        found = golfer_plan(
            gp, dense, rng, time.perf_counter() + (deadline - time.perf_counter()) / 2
        )
        if found is not None:
            return found
    plan: list[np.ndarray] = []
    met = dense.met_before.copy()
    weight = new_weight(gp, dense) if gp.counts_new else 0.0
    for r in range(gp.rounds):
        allowed = dense.eligible.copy()
        if gp.no_repeat == "required" and r:
            allowed &= ~met
        value = dense.score + weight * (dense.eligible & ~met) + MUST_VALUE * dense.must
        share = (deadline - time.perf_counter()) / (gp.rounds - r)
        state = greedy_round(gp, value, allowed, rng)
        state = local_search(state, rng, time.perf_counter() + max(share, 0.0))
        groups = state.group.copy()
        plan.append(groups)
        for g in range(state.count):
            members = np.flatnonzero(groups == g)
            met[np.ix_(members, members)] = True
        np.fill_diagonal(met, False)
    return plan


def golfer_plan(
    gp: GroupProblem, dense: Dense, rng: np.random.Generator, deadline: float
) -> list[np.ndarray] | None:
    """A plan that places everyone who can be placed in every round with no pair meeting twice
    (the social golfer problem), by tabu search over swaps within a round; ``None`` when none
    was found by ``deadline`` or the program has group rules this search does not keep.

    Each round starts as a random split into the target sizes; a step swaps a person in a
    conflict (a pair that met before in this plan, or is not eligible) with the person of
    another group of that round that lowers the number of conflicts the most, not swapping
    back a recently swapped person (the tabu rule of Dotú and Van Hentenryck's golfer search).
    """
    if gp.quotas or gp.team_cap is not None or gp.pairs.must:
        return None
    allowed = dense.eligible & ~np.eye(gp.n, dtype=bool)
    people = np.flatnonzero(allowed.sum(axis=1) >= gp.size_min - 1)
    sizes = target_sizes(gp, len(people))
    if sum(sizes) != len(people) or not sizes:
        return None
    starts = np.cumsum([0, *sizes])
    rounds = []
    for _ in range(gp.rounds):
        order = rng.permutation(people)
        group = np.full(gp.n, -1, dtype=np.int64)
        for k in range(len(sizes)):
            group[order[starts[k] : starts[k + 1]]] = k
        rounds.append(group)
    plan = np.array(rounds)
    met = np.zeros((gp.n, gp.n), dtype=np.int64)
    for group in plan:
        same = (group[:, None] == group[None, :]) & (group[:, None] >= 0)
        met += same
    np.fill_diagonal(met, 0)

    def cost(times: np.ndarray) -> np.ndarray:
        return np.where(allowed, np.maximum(times - 1, 0), times)

    tabu = np.full((gp.rounds, gp.n, gp.n), -1, dtype=np.int64)
    step = stuck = 0
    best_total: int | None = None
    groups_of = np.arange(len(sizes))
    while time.perf_counter() < deadline:
        now = cost(met)
        leave = cost(met - 1) - now  # a pair that stops meeting
        join = cost(met + 1) - now  # a pair that starts meeting
        np.fill_diagonal(leave, 0)
        np.fill_diagonal(join, 0)
        total = int(np.triu(now, 1).sum())
        if total == 0:
            return [group.copy() for group in plan]
        if best_total is None or total < best_total:
            best_total, stuck = total, 0
        else:
            stuck += 1
        if stuck > 80:
            # a local minimum: shake a few random swaps and start counting again
            for _ in range(3):
                r = int(rng.integers(gp.rounds))
                on = np.flatnonzero(plan[r] >= 0)
                a, b = rng.choice(on, 2, replace=False).tolist()
                if plan[r, a] != plan[r, b]:
                    _swap(plan, met, r, a, b)
            best_total, stuck = None, 0
            continue
        best = None
        moves: list[tuple[int, int, int]] = []
        for r in range(gp.rounds):
            group = plan[r]
            member = (group[:, None] == groups_of[None, :]).astype(np.int64)  # n × G
            bad = (now * (group[:, None] == group[None, :])).sum(axis=1) > 0
            bad &= group >= 0
            if not bad.any():
                continue
            gone = leave @ member  # person p leaving group g: change over its other members
            come = join @ member  # person p joining group g
            a_idx = np.flatnonzero(bad)
            on = group >= 0
            ga, gb = group[a_idx][:, None], group[None, :]
            change = (
                gone[a_idx, group[a_idx]][:, None]
                + gone[np.arange(gp.n), np.maximum(group, 0)][None, :]
                + come[np.arange(gp.n)[None, :], np.maximum(ga, 0)]
                - join[np.arange(gp.n)[None, :], a_idx[:, None]]
                + come[a_idx[:, None], np.maximum(gb, 0)]
                - join[a_idx[:, None], np.arange(gp.n)[None, :]]
            )
            valid = (ga != gb) & on[None, :]
            forbidden = tabu[r][a_idx] >= step
            valid &= ~forbidden | (change < 0)
            if not valid.any():
                continue
            change = np.where(valid, change, np.iinfo(np.int64).max)
            low = int(change.min())
            if best is None or low < best:
                best, moves = low, []
            if low == best:
                rows, cols = np.nonzero(change == low)
                moves += [(r, int(a_idx[i]), int(j)) for i, j in zip(rows, cols, strict=True)]
        step += 1
        if not moves:
            continue
        r, a, b = moves[int(rng.integers(len(moves)))]
        _swap(plan, met, r, a, b)
        tenure = step + int(rng.integers(4, 12))
        tabu[r, a, b] = tabu[r, b, a] = tenure
    return None


def _swap(plan: np.ndarray, met: np.ndarray, r: int, a: int, b: int) -> None:
    """Swap ``a`` and ``b`` (in different groups) in round ``r``, updating ``met``."""
    group = plan[r]
    ga, gb = group[a], group[b]
    for x in np.flatnonzero(group == ga).tolist():
        if x != a:
            met[a, x] -= 1
            met[x, a] -= 1
            met[b, x] += 1
            met[x, b] += 1
    for y in np.flatnonzero(group == gb).tolist():
        if y != b:
            met[b, y] -= 1
            met[y, b] -= 1
            met[a, y] += 1
            met[y, a] += 1
    group[a], group[b] = gb, ga
