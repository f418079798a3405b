"""One cell of a simulation grid: a variant and a seed run quarter by quarter on an evolving
org, with matcher (or random pairing) assigning its programs each quarter.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np

from matcher.analysis.flags import WANTING_CONNECTION, Flag
from matcher.analysis.isolation import Analysis, analyze
from matcher.analysis.survey import Survey
from matcher.assignment.compile import MatchingProblem, compile_program
from matcher.assignment.population import population
from matcher.assignment.programs import Kind, ProgramSpec, selects_connectors
from matcher.assignment.repeats import History
from matcher.assignment.run import assign_programs
from matcher.assignment.solve import SolveOptions
from matcher.config import AnalysisConfig
from matcher.model import Org
from matcher.simulation.scenario import OrgSection, ResolvedVariant, shift_period
from matcher.simulation.world import MODEL_VERSION, World
from matcher.version import __version__

UNMATCHED = (
    "unmatched_no_eligible",
    "unmatched_capacity",
    "unmatched_infeasible",
    "unmatched_rule_broken",
    "unmatched_other",
)
"""Why seekers were left unmatched, as metric names (every one is reported, zeros included)."""
ONE_GROUP = (Kind.PEER, Kind.CIRCLE)
"""Kinds whose pairs join two of the program's seekers (no providers)."""

AGGREGATES: dict[str, Literal["final", "mean", "total"]] = {
    "isolated_share": "final",
    "peripheral_share": "final",
    "flagged_share": "final",
    "isolated": "final",
    "peripheral": "final",
    "flagged": "final",
    "employees": "final",
    "strong_ties_mean": "final",
    "ties_formed": "total",
    "new_strong_ties": "total",
    "repeats": "total",
    "hired": "total",
    "left": "total",
}
"""How a metric is summarised per replication: its last value, its mean over quarters, or its
total; metrics not listed (coverage, loads, solve time, per-program figures) take the mean."""


def aggregate_of(metric: str) -> Literal["final", "mean", "total"]:
    """The summary rule of ``metric`` (per-program metrics follow their base name)."""
    name = metric.rsplit(".", 1)[-1]
    return AGGREGATES.get(metric, AGGREGATES.get(name, "mean"))


def fingerprint(variant: ResolvedVariant) -> str:
    """A hash of everything that decides a variant's results: matcher's and the model's
    versions, the pairing and the scenario with its overrides (kept cells of another
    fingerprint are run again)."""
    payload = json.dumps(
        [__version__, MODEL_VERSION, variant.pairing, variant.scenario.model_dump(mode="json")],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cell:
    """One variant in one replication; ``load_org`` gives the scenario's base org (the caller's
    reader: the simulation itself reads no files). It must be a module-level function, so that
    cells can travel to worker processes."""

    variant: ResolvedVariant
    replication: int
    load_org: Callable[[OrgSection], Org]
    load_survey: Callable[[OrgSection, Org], Survey | None] | None = None
    """Reads the base org's survey for each quarter's org (also module-level)."""

    @property
    def key(self) -> str:
        """Names the cell's kept result: the variant's fingerprint and the replication."""
        return f"{fingerprint(self.variant)}-r{self.replication}"


@dataclass
class CellResult:
    """The metrics of one cell: ``(quarter, metric, value)`` rows."""

    key: str
    variant: str
    replication: int
    rows: list[tuple[int, str, float]]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON data (what a resumable run keeps)."""
        return {
            "key": self.key,
            "variant": self.variant,
            "replication": self.replication,
            "rows": [list(r) for r in self.rows],
            "seconds": self.seconds,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CellResult:
        """The result kept by :meth:`as_dict`."""
        return CellResult(
            key=str(data["key"]),
            variant=str(data["variant"]),
            replication=int(data["replication"]),
            rows=[(int(q), str(m), float(v)) for q, m, v in data["rows"]],
            seconds=float(data["seconds"]),
        )


@dataclass
class Outcome:
    """One program's pairs in one quarter, in org positions, with what the metrics need."""

    spec: ProgramSpec
    problem: MatchingProblem
    pairs: list[tuple[int, int]]  # (seeker position, provider position) into the problem
    unmatched: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative loads (0 = equal, → 1 = one provider does it all).

    >>> gini(np.array([1, 1, 1, 1])), round(gini(np.array([0, 0, 0, 4])), 3)
    (0.0, 0.75)
    """
    values = np.sort(np.asarray(values, dtype=np.float64))
    n, total = len(values), values.sum()
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * values).sum() / (n * total)) - (n + 1) / n)


def _reason_category(reason: str) -> str:
    if reason.startswith(("no eligible", "no providers")):
        return "unmatched_no_eligible"
    if reason.startswith("capacity exhausted") or "max_same_team_per_provider" in reason:
        return "unmatched_capacity"
    if reason.startswith("program infeasible"):
        return "unmatched_infeasible"
    return "unmatched_other"


def random_pairing(problem: MatchingProblem, rng: np.random.Generator) -> Outcome:
    """Pair the way chat "coffee" bots do: at random, blind to fit, history and priority.

    Seekers are taken in random order; each is drawn a provider uniformly among those with room.
    A drawn pair that breaks a hard rule is vetoed (HR would not send it) and the seeker stays
    unmatched; peer programs pair consecutive seekers of a shuffled list.
    """
    arcs = set(zip(problem.arc_seeker.tolist(), problem.arc_provider.tolist(), strict=True))
    unmatched: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    if problem.spec.kind is Kind.CIRCLE:
        return _random_circles(problem, rng)
    if problem.spec.kind is Kind.PEER:
        order = rng.permutation(len(problem.seekers)).tolist()
        for a, b in zip(order[0::2], order[1::2], strict=False):
            if (a, b) in arcs or (b, a) in arcs:
                pairs.append((a, b))
            else:
                unmatched["unmatched_rule_broken"] = unmatched.get("unmatched_rule_broken", 0) + 2
        if len(order) % 2:
            unmatched["unmatched_capacity"] = unmatched.get("unmatched_capacity", 0) + 1
        return Outcome(problem.spec, problem, pairs, unmatched)
    room = problem.capacity.astype(np.int64).copy()
    for s in rng.permutation(len(problem.seekers)).tolist():
        got = 0
        for _ in range(problem.per_seeker):
            open_providers = np.flatnonzero(room > 0)
            if not len(open_providers):
                break
            p = int(open_providers[rng.integers(len(open_providers))])
            if (s, p) in arcs and (s, p) not in pairs:
                pairs.append((s, p))
                room[p] -= 1
                got += 1
        if not got:
            category = "unmatched_capacity" if not (room > 0).any() else "unmatched_rule_broken"
            unmatched[category] = unmatched.get(category, 0) + 1
    return Outcome(problem.spec, problem, pairs, unmatched)


def _random_circles(problem: MatchingProblem, rng: np.random.Generator) -> Outcome:
    """Circles the way chat bots make them: each round the people shuffled and cut into groups
    of ``group_size.max`` (the last, smaller group spread over the others while they have
    room, else left out). A group with a pair that breaks a hard rule is vetoed (HR would not
    send it): its people stay unmatched."""
    arcs = set(zip(problem.arc_seeker.tolist(), problem.arc_provider.tolist(), strict=True))
    sizes = problem.spec.sizes
    low, high = (sizes.min, sizes.max) if sizes else (2, 2)
    unmatched: dict[str, int] = {}
    pairs: list[tuple[int, int]] = []
    for _ in range(problem.spec.rounds):
        order = rng.permutation(len(problem.seekers)).tolist()
        count = len(order) // high
        groups = [order[k * high : (k + 1) * high] for k in range(count)]
        rest = order[count * high :]
        if len(rest) >= low:
            groups.append(rest)
        else:
            for k, person in enumerate(rest):
                if count and len(groups[k % count]) < high + low - 1:
                    groups[k % count].append(person)
                else:
                    unmatched["unmatched_capacity"] = unmatched.get("unmatched_capacity", 0) + 1
        for members in groups:
            inside = [(a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
            if all((min(a, b), max(a, b)) in arcs for a, b in inside):
                pairs += [(min(a, b), max(a, b)) for a, b in inside]
            else:
                broken = unmatched.get("unmatched_rule_broken", 0) + len(members)
                unmatched["unmatched_rule_broken"] = broken
    return Outcome(problem.spec, problem, pairs, unmatched)


def pair_fit(problem: MatchingProblem, pairs: Sequence[tuple[int, int]]) -> list[float]:
    """Each pair's fit: its provider's mid-rank among the seeker's eligible providers, 0 to 1."""
    if not pairs:
        return []
    order = np.argsort(problem.arc_seeker, kind="stable")
    seekers_sorted = problem.arc_seeker[order]
    fits = []
    for s, p in pairs:
        lo, hi = np.searchsorted(seekers_sorted, [s, s + 1])
        arcs = order[lo:hi]
        if len(arcs) <= 1:
            fits.append(0.5)
            continue
        scores = problem.arc_score[arcs]
        own = scores[problem.arc_provider[arcs] == p]
        if not len(own):
            fits.append(0.5)
            continue
        below = float((scores < own[0]).sum())
        equal = float((scores == own[0]).sum())
        fits.append((below + 0.5 * (equal - 1)) / (len(arcs) - 1))
    return fits


def _optimal(
    org: Org,
    analysis: Analysis,
    specs: list[ProgramSpec],
    history: list[tuple[str | None, str, str, str]],
    options: SolveOptions,
) -> list[Outcome]:
    outcomes = []
    for result in assign_programs(org, analysis, specs, history=history, options=options):
        unmatched: dict[str, int] = {}
        for row in result.unmatched:
            category = _reason_category(row.reason)
            unmatched[category] = unmatched.get(category, 0) + 1
        outcomes.append(
            Outcome(
                result.spec,
                result.problem,
                list(result.solution.pairs),
                unmatched,
                result.solution.seconds,
            )
        )
    return outcomes


def _random(
    org: Org, analysis: Analysis, specs: list[ProgramSpec], rng: np.random.Generator
) -> list[Outcome]:
    pop = population(org, analysis)
    outcomes = []
    for spec in specs:
        started = time.perf_counter()
        problem = compile_program(spec, pop, History.empty(len(org)))
        outcome = random_pairing(problem, rng)
        outcome.seconds = time.perf_counter() - started
        outcomes.append(outcome)
    return outcomes


def _network_rows(quarter: int, analysis: Analysis) -> list[tuple[int, str, float]]:
    n = len(analysis.people)
    isolated = sum(Flag.ISOLATED in p.flags for p in analysis.people)
    peripheral = sum(Flag.PERIPHERAL in p.flags for p in analysis.people)
    flagged = sum(bool(WANTING_CONNECTION & set(p.flags)) for p in analysis.people)
    new_hires = sum(Flag.NEW_HIRE in p.flags for p in analysis.people)
    ties = np.array([p.strong_ties for p in analysis.people], dtype=np.float64)
    share = (lambda k: k / n) if n else (lambda k: 0.0)
    return [
        (quarter, "employees", float(n)),
        (quarter, "isolated", float(isolated)),
        (quarter, "peripheral", float(peripheral)),
        (quarter, "flagged", float(flagged)),
        (quarter, "isolated_share", share(isolated)),
        (quarter, "peripheral_share", share(peripheral)),
        (quarter, "flagged_share", share(flagged)),
        (quarter, "new_hires", float(new_hires)),
        (quarter, "strong_ties_mean", float(ties.mean()) if n else 0.0),
    ]


def _program_rows(
    quarter: int, outcome: Outcome, seen: set[tuple[str, str]], formed: int
) -> tuple[list[tuple[int, str, float]], set[int], set[int]]:
    """Rows of one program; also the flagged seekers (org positions) and those it matched."""
    problem, spec = outcome.problem, outcome.spec
    pop = problem.pop
    served: set[int] = set()
    load = np.zeros(len(problem.providers), dtype=np.int64)
    repeats = 0
    for s, p in outcome.pairs:
        a = int(problem.seekers[s])
        b = int(problem.providers[p]) if spec.kind not in ONE_GROUP else int(problem.seekers[p])
        served.add(a)
        if spec.kind in ONE_GROUP:
            served.add(b)
        else:
            load[p] += 1
        key = (pop.ids[a], pop.ids[b])
        repeats += key in seen or key[::-1] in seen
        seen.add(key)
    seekers = [int(i) for i in problem.seekers]
    flagged = {i for i in seekers if WANTING_CONNECTION & pop.flags[i]}
    prefix = f"{spec.name}."
    rows = [
        ("seekers", len(seekers)),
        ("matched", len(served)),
        ("coverage", len(served) / len(seekers) if seekers else 1.0),
        ("flagged_seekers", len(flagged)),
        ("flagged_matched", len(flagged & served)),
        ("flagged_coverage", len(flagged & served) / len(flagged) if flagged else 1.0),
        ("providers", len(problem.providers)),
        ("load_max", int(load.max()) if len(load) else 0),
        ("load_gini", gini(load)),
        ("repeats", repeats),
        ("ties_formed", formed),
        ("solve_seconds", outcome.seconds),
        *((name, outcome.unmatched.get(name, 0)) for name in UNMATCHED),
    ]
    return [(quarter, prefix + name, float(v)) for name, v in rows], flagged, flagged & served


def _strong(analysis: Analysis, org: Org, a: str, b: str) -> bool:
    i, j = org.index.get(a), org.index.get(b)
    if i is None or j is None:
        return False
    return bool(analysis.graph.strong[i, j])


class _Pair(NamedTuple):
    """A pair made in a quarter: the program kind, both ids, the period, and whether they
    already had a strong tie."""

    kind: str
    seeker: str
    partner: str
    period: str
    strong_before: bool


def _pair_quarter(
    quarter: int,
    world: World,
    org: Org,
    analysis: Analysis,
    outcomes: list[Outcome],
    seen: dict[str, set[tuple[str, str]]],
) -> tuple[list[tuple[int, str, float]], list[_Pair]]:
    """Form the ties of a quarter's pairs; return its program rows, totals and coverage, and
    the pairs made."""
    rows: list[tuple[int, str, float]] = []
    pairs: list[_Pair] = []
    flagged_all: set[int] = set()
    covered_all: set[int] = set()
    totals: dict[str, float] = {}
    active = world.active()
    for outcome in outcomes:
        problem, spec = outcome.problem, outcome.spec
        partner = problem.seekers if spec.kind in ONE_GROUP else problem.providers
        org_pairs = [(int(problem.seekers[s]), int(partner[p])) for s, p in outcome.pairs]
        formed = world.form_ties(
            [(int(active[a]), int(active[b])) for a, b in org_pairs],
            spec.kind,
            pair_fit(problem, outcome.pairs),
        )
        program_rows, flagged, covered = _program_rows(quarter, outcome, seen[spec.name], formed)
        rows += program_rows
        flagged_all |= flagged
        covered_all |= covered
        for _, name, value in program_rows:
            base = name.rsplit(".", 1)[-1]
            if base in SUMMED or base.startswith("unmatched_"):
                totals[base] = totals.get(base, 0.0) + value
        pairs += [
            _Pair(
                spec.kind.value,
                org.ids[a],
                org.ids[b],
                spec.period,
                bool(analysis.graph.strong[a, b]),
            )
            for a, b in org_pairs
        ]
    n_flagged = sum(bool(WANTING_CONNECTION & set(p.flags)) for p in analysis.people)
    rows += [(quarter, name, value) for name, value in sorted(totals.items())]
    rows += [
        (quarter, "flagged_seekers", float(len(flagged_all))),
        (quarter, "flagged_covered", float(len(covered_all))),
        (
            quarter,
            "flagged_coverage",
            len(covered_all) / len(flagged_all) if flagged_all else 1.0,
        ),
        (quarter, "flagged_reach", len(covered_all) / n_flagged if n_flagged else 1.0),
    ]
    return rows, pairs


SUMMED = ("seekers", "matched", "repeats", "ties_formed", "solve_seconds")
"""Program metrics also totalled over the programs (as are the ``unmatched_*`` reasons)."""


_FIRST: dict[tuple[int, str, bool, str], tuple[Org, Analysis]] = {}
"""Quarter 0's analysis by its inputs, in this process: before the first quarter moves, the
org is the base org in every variant and replication of a grid, so it is analysed once per
process instead of once per cell (the base org is held with it, so its ``id`` stays its own)."""


def _first_analysis(
    base: Org, org: Org, config: AnalysisConfig, survey: Survey | None, connectors: bool
) -> Analysis:
    """Quarter 0's analysis of ``org`` (the world's org made from ``base``), shared by the
    cells of this process that start from the same ``base``, config and survey answers."""
    said = "" if survey is None else hashlib.sha256(pickle.dumps(survey)).hexdigest()
    key = (id(base), config.model_dump_json(), connectors, said)
    kept = _FIRST.get(key)
    if kept is not None and kept[0] is base:
        return kept[1]
    analysis = analyze(org, config, survey, connectors=connectors)
    if len(_FIRST) >= 4:
        _FIRST.clear()
    _FIRST[key] = (base, analysis)
    return analysis


def run_cell(cell: Cell) -> CellResult:
    """Play one variant in one replication through every quarter; deterministic in the cell.

    Each quarter the world advances (people leave and join), the org is analysed, and (but in
    the last) every program is assigned, by the solver or at random as the variant says, and
    the pairs may become ties.

    Parameters
    ----------
    cell : Cell
        The variant, the replication (the seed of chance) and the reader of the base org.

    Returns
    -------
    CellResult
        ``(quarter, metric, value)`` rows: the network (isolated, peripheral, strong ties),
        each program's coverage and repeats, and the totals over programs.
    """
    started = time.perf_counter()
    variant, scenario = cell.variant, cell.variant.scenario
    header = scenario.scenario
    base = cell.load_org(scenario.org)
    connectors = selects_connectors(scenario.program)
    world = World.start(
        base,
        scenario.org,
        scenario.dynamics,
        seed=header.seed,
        replication=cell.replication,
    )
    pair_rng = np.random.default_rng([header.seed, cell.replication, 2])
    options = SolveOptions(time_limit=header.time_limit, seed=header.seed, workers=1)
    history: list[tuple[str | None, str, str, str]] = []
    seen: dict[str, set[tuple[str, str]]] = {spec.name: set() for spec in scenario.program}
    rows: list[tuple[int, str, float]] = []
    pending: list[_Pair] = []  # last quarter's pairs
    for quarter in range(header.quarters + 1):
        if quarter:
            left, hired = world.advance()
            rows += [(quarter, "left", float(left)), (quarter, "hired", float(hired))]
        org = world.org()
        said = cell.load_survey(scenario.org, org) if cell.load_survey else None
        if quarter:
            analysis = analyze(org, scenario.analysis, said, connectors=connectors)
        else:
            analysis = _first_analysis(base, org, scenario.analysis, said, connectors)
        rows += _network_rows(quarter, analysis)
        if quarter:
            gained = sum(
                1
                for pair in pending
                if not pair.strong_before and _strong(analysis, org, pair.seeker, pair.partner)
            )
            rows.append((quarter, "new_strong_ties", float(gained)))
        if quarter == header.quarters:
            break
        org = world.apply_role_levers(analysis, org)
        specs = [
            spec.model_copy(update={"period": shift_period(spec.period, quarter)})
            for spec in scenario.program
        ]
        if variant.pairing == "optimal":
            outcomes = _optimal(org, analysis, specs, history, options)
        else:
            outcomes = _random(org, analysis, specs, pair_rng)
        quarter_rows, pending = _pair_quarter(quarter, world, org, analysis, outcomes, seen)
        rows += quarter_rows
        history += [(pair.kind, pair.seeker, pair.partner, pair.period) for pair in pending]
    return CellResult(
        key=cell.key,
        variant=variant.label,
        replication=cell.replication,
        rows=rows,
        seconds=time.perf_counter() - started,
    )
