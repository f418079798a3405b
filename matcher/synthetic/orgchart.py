"""The org chart: a management tree of teams, departments and managers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.synthetic.vocabulary import _DEPARTMENTS

# --------------------------------------------------------------------------- the org chart


@dataclass(frozen=True)
class _Tree:
    parent: np.ndarray  # person -> manager, -1 for the CEO; people are in breadth-first order
    height: np.ndarray  # 0 for individual contributors, 1 for front-line managers, ...
    dept: np.ndarray  # person -> department; 0 is the CEO's office
    dept_names: list[str]
    dept_kind: np.ndarray  # department -> row of _DEPARTMENTS, -1 for the CEO's office
    lead: np.ndarray  # team -> its manager; team t is led by the t-th manager
    team: np.ndarray  # person -> team
    team_names: list[str]
    leads_managers: np.ndarray  # team -> its manager has managers among their reports

    @property
    def is_manager(self) -> np.ndarray:
        return self.height > 0


def _split(d: int, rng: np.random.Generator, *, root: bool) -> np.ndarray:
    """Subtree sizes of the direct reports of a manager with ``d`` people below them.

    Size 1 is an individual contributor, any other size is at least 4, so every manager below
    again gets 3 to 12 reports.
    """
    if d <= 12:
        return np.ones(d, np.int64)
    staff = int(rng.integers(1, 3))
    if d > 60:
        managers = int(rng.integers(5, 10) if root else rng.integers(3, 9))
    else:
        managers = max(1, int(d / 9 + 0.5))
    staff = max(staff, 3 - managers)
    managers = min(managers, (d - staff) // 4)
    shares = rng.dirichlet(np.full(managers, 2.0 if root else 4.0))
    sizes = 4 + rng.multinomial(d - staff - 4 * managers, shares)
    return rng.permutation(np.concatenate([np.ones(staff, np.int64), sizes]))


def _build_tree(n: int, rng: np.random.Generator) -> _Tree:
    parent = np.full(n, -1, np.int64)
    size = np.zeros(n, np.int64)
    size[0] = n
    dept = np.zeros(n, np.int64)
    managers = [0]
    ranges: list[tuple[int, int]] = []
    free = 1
    # breadth first: the t-th manager's reports get the next free ids
    for node in managers:  # grows while we iterate
        sizes = _split(int(size[node]) - 1, rng, root=node == 0)
        lo, hi = free, free + sizes.size
        parent[lo:hi] = node
        size[lo:hi] = sizes
        subs = lo + np.flatnonzero(sizes > 1)
        if node == 0:
            dept[subs] = np.arange(1, subs.size + 1)
        else:
            dept[lo:hi] = dept[node]
        managers.extend(subs.tolist())
        ranges.append((lo, hi))
        free = hi
    height = np.zeros(n, np.int64)
    for t in range(len(managers) - 1, -1, -1):
        lo, hi = ranges[t]
        height[managers[t]] = 1 + int(height[lo:hi].max())
    lead = np.asarray(managers, np.int64)
    team = np.empty(n, np.int64)
    team[lead] = np.arange(lead.size)
    ics = height == 0
    team[ics] = team[parent[ics]]
    sub_managers = lead[1:]
    leads_managers = np.bincount(team[parent[sub_managers]], minlength=lead.size) > 0

    n_depts = int(dept.max()) + 1
    kinds = np.resize(rng.permutation(len(_DEPARTMENTS)), n_depts - 1)
    dept_names = ["Executive"]
    for j, kind in enumerate(kinds.tolist()):
        repeat = j // len(_DEPARTMENTS)
        base = _DEPARTMENTS[kind][0]
        dept_names.append(base if repeat == 0 else f"{base} {repeat + 1}")
    dept_kind = np.concatenate([[-1], kinds]).astype(np.int64)

    counters: dict[str, int] = {}
    team_names = []
    word_pick = rng.random(lead.size)
    for t, m in enumerate(lead.tolist()):
        d = int(dept[m])
        if d == 0:
            word = "Executive Office"
        elif leads_managers[t]:
            word = f"{dept_names[d]} Leadership"
        else:
            words = _DEPARTMENTS[int(dept_kind[d])][1]
            word = words[int(word_pick[t] * len(words))]
        counters[word] = counters.get(word, 0) + 1
        team_names.append(f"{word} {counters[word]}")
    return _Tree(
        parent, height, dept, dept_names, dept_kind, lead, team, team_names, leads_managers
    )
