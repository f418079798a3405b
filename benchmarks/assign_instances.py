"""The assign stage's workloads: who the seekers and providers are, and the program files.

Every instance uses the rules of the mentoring contract (``scenarios/mentoring.toml``):
same team and reporting line forbidden, same department avoided, a shared language required,
a level gap of at least 1, at least 2 hours of overlapping working time and no repeat within
4 periods; capacity comes from the ``mentor_capacity`` column (1–4). Seekers and providers are
named with ``ids = [...]`` selectors, so that the sizes are exact:

* seekers: people with the role ``mentee`` first, then other people of low level (1–2), then
  anyone else; never a mentor. Each group is sampled with a seeded generator when it holds
  more people than are still needed, and the chosen ids keep the file's order.
* providers of the capacitated instances: people with the role ``mentor`` who have at least
  one eligible seeker among those seekers (a screening compile of seekers × all mentors finds
  them: with ``reporting_line`` forbidden, a mentor at the top of the hierarchy has none, and
  ``capacity.min = 1`` would be infeasible), sampled the same way; the 1:1 instance samples
  all mentors.

Opted-out people are never chosen (``matcher`` drops them on load).

Variants, on the same seekers and providers:

* ``flow``: the flow structure (no side constraints);
* ``team_cap``: ``max_same_team_per_provider = 1``;
* ``min_load``: ``max_same_team_per_provider = 1`` and ``capacity.min = 1``;
* ``one_to_one``: capacity 1 for everyone (no column, no minimum load), ``per_seeker = 1``,
  on a square-ish instance: the case ``linear_sum_assignment`` solves.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FLOW = "flow"
TEAM_CAP = "team_cap"
MIN_LOAD = "min_load"
ONE_TO_ONE = "one_to_one"
VARIANTS = (FLOW, TEAM_CAP, MIN_LOAD, ONE_TO_ONE)
LABELS = {
    FLOW: "(a) flow structure",
    TEAM_CAP: "(b) + max_same_team_per_provider = 1",
    MIN_LOAD: "(c) + per-team cap and capacity.min = 1",
    ONE_TO_ONE: "(d) 1:1 (capacity 1)",
}
PERIOD = "2026Q4"
LOW_LEVEL = 2
RULES = """\
[program.rules]
same_team = "forbidden"
same_department = "avoided"
reporting_line = "forbidden"
shared_language = "required"
min_level_gap = 1
min_overlap_hours = 2
no_repeat_periods = 4
"""
WEIGHTS = """\
[program.weights]
interests = 3.0
skills = 2.0
overlap_hours = 1.0
bridging = 2.0
existing_tie = -2.0
repeat = -4.0
isolation_priority = 5.0
"""


@dataclass(frozen=True)
class Shape:
    """Requested sizes: seekers × providers of the capacitated instances, and n of the n × n
    one-to-one instance (capped by the people available)."""

    seekers: int
    providers: int
    one_to_one: int


def shape_for(employees: int) -> Shape:
    """The instance sizes of an org of this head count.

    >>> shape_for(100_000), shape_for(20_000).seekers, shape_for(300).providers
    (Shape(seekers=20000, providers=5000, one_to_one=5000), 2000, 50)
    """
    if employees >= 100_000:
        return Shape(20_000, 5_000, 5_000)
    if employees >= 20_000:
        return Shape(2_000, 500, 2_000)
    if employees >= 2_000:
        return Shape(1_000, 200, 200)
    return Shape(200, 50, 50)


@dataclass(frozen=True)
class Person:
    id: str
    roles: frozenset[str]
    level: int | None


def read_people(employees_csv: Path) -> list[Person]:
    """Everyone who is not opted out, in file order."""
    people: list[Person] = []
    with employees_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if (row.get("opt_out") or "").strip().lower() == "true":
                continue
            level = (row.get("level") or "").strip()
            roles = frozenset(r.strip().lower() for r in (row.get("roles") or "").split(";") if r)
            people.append(Person(row["id"], roles, int(float(level)) if level else None))
    return people


def _take(groups: list[list[int]], wanted: int, rng: np.random.Generator) -> list[int]:
    """``wanted`` positions from the groups in order, sampling within the last group used.

    >>> _take([[0, 1], [2, 3, 4, 5]], 3, np.random.default_rng(0))
    [0, 1, 5]
    """
    chosen: list[int] = []
    for group in groups:
        room = wanted - len(chosen)
        if room <= 0:
            break
        if len(group) <= room:
            chosen += group
        else:
            picked = rng.choice(len(group), size=room, replace=False)
            chosen += [group[k] for k in sorted(picked.tolist())]
    return sorted(chosen)


def _is_low(level: int | None) -> bool:
    return level is not None and level <= LOW_LEVEL


def choose_seekers(people: list[Person], wanted: int, seed: int) -> list[str]:
    """Seeker ids (see the module docstring), file order.

    >>> folk = [Person("m1", frozenset({"mentor"}), 5), Person("e1", frozenset({"mentee"}), 1),
    ...         Person("x", frozenset(), 1), Person("y", frozenset(), 7)]
    >>> choose_seekers(folk, 3, seed=0), choose_seekers(folk, 2, seed=0)
    (['e1', 'x', 'y'], ['e1', 'x'])
    """
    rng = np.random.default_rng([seed, 0])
    others = [k for k, p in enumerate(people) if "mentor" not in p.roles]
    mentee = [k for k in others if "mentee" in people[k].roles]
    low = [k for k in others if "mentee" not in people[k].roles and _is_low(people[k].level)]
    taken = set(mentee) | set(low)
    rest = [k for k in others if k not in taken]
    return [people[k].id for k in _take([mentee, low, rest], wanted, rng)]


def mentor_ids(people: list[Person]) -> list[str]:
    """Everyone with the role ``mentor``, file order."""
    return [p.id for p in people if "mentor" in p.roles]


def choose_providers(
    people: list[Person], wanted: int, seed: int, allowed: set[str] | None = None
) -> list[str]:
    """A seeded sample of the mentors (only those in ``allowed`` when given), file order.

    >>> folk = [Person(f"m{k}", frozenset({"mentor"}), 5) for k in range(4)]
    >>> choose_providers(folk, 2, seed=0, allowed={"m1", "m2", "m3"})
    ['m2', 'm3']
    """
    rng = np.random.default_rng([seed, 1])
    mentors = [
        k
        for k, p in enumerate(people)
        if "mentor" in p.roles and (allowed is None or p.id in allowed)
    ]
    return [people[k].id for k in _take([mentors], wanted, rng)]


def _ids(values: list[str]) -> str:
    lines = [
        "  " + ", ".join(json.dumps(v) for v in values[k : k + 10]) + ","
        for k in range(0, len(values), 10)
    ]
    return "[\n" + "\n".join(lines) + "\n]"


def program_toml(
    variant: str,
    seeker_ids: list[str],
    provider_ids: list[str],
    *,
    employees: Path,
    interactions: Path,
) -> str:
    """A program file holding one mentoring program of this variant."""
    if variant == ONE_TO_ONE:
        capacity = "capacity = { default = 1 }"
    elif variant == MIN_LOAD:
        capacity = 'capacity = { default = 2, column = "mentor_capacity", min = 1 }'
    else:
        capacity = 'capacity = { default = 2, column = "mentor_capacity", min = 0 }'
    rules = RULES
    if variant in (TEAM_CAP, MIN_LOAD):
        rules += "max_same_team_per_provider = 1\n"
    return (
        f"# benchmark workload {variant}: {LABELS[variant]}, "
        f"{len(seeker_ids):,} seekers × {len(provider_ids):,} providers\n"
        f"[data]\nemployees = {json.dumps(str(employees))}\n"
        f"interactions = {json.dumps(str(interactions))}\n\n"
        f'[[program]]\nname = "bench-{variant}"\nkind = "mentor"\nperiod = "{PERIOD}"\n'
        f"per_seeker = 1\n{capacity}\n"
        f"seekers = {{ ids = {_ids(seeker_ids)} }}\n"
        f"providers = {{ ids = {_ids(provider_ids)} }}\n\n"
        f"{rules}\n{WEIGHTS}"
    )


@dataclass(frozen=True)
class Instance:
    """One written program file and its sizes."""

    variant: str
    path: Path
    seekers: int
    providers: int

    @property
    def label(self) -> str:
        return f"{LABELS[self.variant]}, {self.seekers:,} × {self.providers:,}"


def write_instances(
    people: list[Person],
    shape: Shape,
    seed: int,
    folder: Path,
    *,
    employees: Path,
    interactions: Path,
    seekers: list[str],
    allowed_providers: set[str] | None,
) -> list[Instance]:
    """Write the four program files into ``folder``; return them in variant order.

    ``seekers`` are those of the capacitated instances; their providers are drawn from
    ``allowed_providers`` (the mentors with at least one eligible seeker among them, so that a
    minimum load of 1 can hold). The 1:1 instance draws its own seekers and providers.
    """
    folder.mkdir(parents=True, exist_ok=True)
    providers = choose_providers(people, shape.providers, seed, allowed_providers)
    square_seekers = choose_seekers(people, shape.one_to_one, seed)
    square_providers = choose_providers(people, shape.one_to_one, seed)
    instances = []
    for variant in VARIANTS:
        s, p = (square_seekers, square_providers) if variant == ONE_TO_ONE else (seekers, providers)
        path = folder / f"{variant}.toml"
        text = program_toml(variant, s, p, employees=employees, interactions=interactions)
        write_if_changed(path, text)
        instances.append(Instance(variant, path, len(s), len(p)))
    return instances


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (keeps its time stamp)."""
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
