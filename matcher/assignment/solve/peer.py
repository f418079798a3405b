"""Peer programs: a b-matching within one group (CP-SAT from a greedy start, bounded by the
fractional b-matching of the bipartite double cover).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from matcher.assignment.compile import MatchingProblem
from matcher.assignment.solve.common import (
    FLOW_SCALE,
    SAT_SCALE,
    Solution,
    SolveOptions,
    arc_positions,
    best_per_seeker,
    chosen_pairs,
    cp_solver,
    infeasible_solution,
    relative_gap,
)
from matcher.assignment.solve.conflicts import missing_must_conflicts, peer_conflicts
from matcher.assignment.solve.matching import MATCHING_PAIRS, Matching, max_weight_matching
from matcher.errors import SolveTimeout

GREEDY_ALL_ARCS = 2_000_000  # peer pairs the greedy start scans in full (about 1 s)
PEER_ARCS_PER_SECOND = 50_000
"""Pairs per second a peer model is built at (measured, with margin, on 2 cores): larger groups
are solved on each person's best pairs so that building fits in half the time limit."""


def _greedy_peers(
    problem: MatchingProblem, arcs: np.ndarray, fixed: list[int], coverage_first: bool
) -> np.ndarray:
    """A fast feasible start for peer programs (ignoring minimum loads) among ``arcs``: must
    pairs, then pairs of two people not yet in a pair, then pairs covering one more person, then
    any pair that adds score, each pass best score first and within capacity."""
    room = problem.capacity.astype(np.int64).copy()
    covered = np.zeros(len(problem.seekers), dtype=bool)
    chosen = np.zeros(problem.arcs, dtype=bool)
    a_all, b_all = problem.arc_seeker.tolist(), problem.arc_provider.tolist()
    for k in fixed:
        chosen[k] = True
        for person in (a_all[k], b_all[k]):
            room[person] -= 1
            covered[person] = True
    order = arcs[np.argsort(-problem.arc_score[arcs], kind="stable")].tolist()
    score = problem.arc_score.tolist()
    passes = ("both", "one", "score") if coverage_first else ("score",)
    for rule in passes:
        for k in order:
            if chosen[k]:
                continue
            a, b = a_all[k], b_all[k]
            if room[a] <= 0 or room[b] <= 0:
                continue
            new = int(not covered[a]) + int(not covered[b])
            if (rule == "both" and new < 2) or (rule == "one" and new < 1):
                continue
            if rule == "score" and score[k] <= 0:
                break  # the rest score no more
            chosen[k] = True
            room[a] -= 1
            room[b] -= 1
            covered[a] = covered[b] = True
    return chosen


def _double_cover_bound(problem: MatchingProblem) -> float:
    """An upper bound on the score of any peer pairing, over all eligible pairs.

    Every pairing M of the group gives, in the bipartite double cover (each person once on the
    left and once on the right with their capacity; pair {i, j} as arcs i→j' and j→i'), a
    b-matching of weight 2·w(M). So half the double cover's maximum weight bounds w(M); it is the
    fractional (half-integral) b-matching relaxation, solved exactly as a min-cost flow.
    """
    keep = problem.arc_score > 0
    if not keep.any():
        return 0.0
    n = len(problem.seekers)
    a, b = problem.arc_seeker[keep].astype(np.int64), problem.arc_provider[keep].astype(np.int64)
    cost = -np.rint(problem.arc_score[keep] * FLOW_SCALE).astype(np.int64)
    source, sink = 2 * n, 2 * n + 1
    cap = problem.capacity.astype(np.int64)
    tails = np.concatenate([np.full(n, source), a + 0, b + 0, np.arange(n) + n, [source]])
    heads = np.concatenate([np.arange(n), b + n, a + n, np.full(n, sink), [sink]])
    caps = np.concatenate([cap, np.ones(2 * len(a), np.int64), cap, [int(cap.sum())]])
    costs = np.concatenate([np.zeros(n, np.int64), cost, cost, np.zeros(n, np.int64), [0]])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    flow.set_node_supply(source, int(cap.sum()))
    flow.set_node_supply(sink, -int(cap.sum()))
    if flow.solve() != flow.OPTIMAL:
        return float(problem.arc_score[keep].sum())
    # each arc's cost is rounded by at most half a unit; at most sum(cap) arcs carry flow
    slack = 0.5 * int(cap.sum()) / FLOW_SCALE
    return -flow.optimal_cost() / (2 * FLOW_SCALE) + slack


@dataclass(frozen=True)
class _Candidates:
    """The pairs a peer model is built on, and the greedy pairing that starts it."""

    arcs: np.ndarray
    greedy: np.ndarray
    """Chosen flags over all arcs of the problem."""
    pruned: bool
    """Whether ``arcs`` are each person's best pairs rather than every eligible pair."""
    k_best: int


@dataclass
class _PeerModel:
    """A peer program's CP-SAT model on the candidate arcs, with what its phases read."""

    model: cp_model.CpModel
    x: dict[int, cp_model.IntVar]
    """One variable per candidate arc."""
    touching: list[list[int]]
    """Per person (position), the candidate arcs they are in."""
    covered: list[cp_model.IntVar]
    """Per person with a candidate: true only when they are in a pair."""
    literals: dict[int, str]
    """Index of each minimum-load assumption literal → the person's id."""
    score: cp_model.LinearExpr
    options: SolveOptions
    variable_index: list[int] = field(init=False)
    """The model's index of each variable of ``x``, in order (for setting a full hint)."""

    def __post_init__(self) -> None:
        self.variable_index = [var.index for var in self.x.values()]

    def run(
        self, hint: dict[int, bool], seconds: float
    ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        """Solve the model as it stands, hinted with ``hint``, within ``seconds``."""
        self.model.clear_hints()
        # a full hint, set on the proto at once (add_hint per variable costs seconds here)
        self.model.proto.solution_hint.vars.extend(self.variable_index)
        self.model.proto.solution_hint.values.extend([int(hint[k]) for k in self.x])
        solver = cp_solver(self.options, seconds)
        return solver, solver.solve(self.model)


def solve_peer(problem: MatchingProblem, options: SolveOptions, started: float) -> Solution:
    """Peer programs: a b-matching on a general graph (pairs {i, j} among one group), by CP-SAT.

    Each person takes part in at most ``capacity`` and at least ``capacity.min`` pairs; must
    pairs are taken. With ``objective = "coverage_first"`` the model first maximises the number
    of people in at least one pair, then the score; with ``"score"`` only the score.

    A greedy pairing is the hint of the first phase, and each phase's best is the hint (and the
    fallback) of the next, so a run always returns the best pairing it found within the time
    limit, which includes building the model. Large groups without minimum loads are solved on
    each person's best ``candidates_per_seeker`` pairs; the bound is then the fractional
    b-matching of all eligible pairs (:func:`_double_cover_bound`), valid over all of them.
    """
    conflicts = peer_conflicts(problem)
    fixed, missing = arc_positions(problem, problem.must)
    conflicts += missing_must_conflicts(problem, missing)
    if conflicts:
        return infeasible_solution(conflicts, "checks", started)
    deadline = started + options.time_limit
    coverage_first = problem.spec.objective == "coverage_first"
    n = len(problem.seekers)
    if (
        options.method == "auto"
        and not fixed
        and not problem.min_need.any()
        and bool((problem.capacity == 1).all())
        and problem.arcs <= MATCHING_PAIRS
    ):
        # one pair each: a matching, solved exactly by its LP and CP-SAT on the few pairs the
        # LP's reduced costs leave (None: the number of pairs is not proven, use CP-SAT below)
        found = max_weight_matching(
            n,
            problem.arc_seeker,
            problem.arc_provider,
            problem.arc_score,
            cardinality=coverage_first,
            options=options,
            deadline=deadline,
        )
        if found is not None:
            return _matching_solution(problem, found, coverage_first, started, deadline)
    candidates = _peer_candidates(problem, options, fixed, deadline, coverage_first)
    greedy = candidates.greedy
    greedy_load = np.bincount(problem.arc_seeker[greedy], minlength=n) + np.bincount(
        problem.arc_provider[greedy], minlength=n
    )
    greedy_ok = bool((greedy_load >= problem.min_need).all())
    # the fractional b-matching bounds the score of every pairing over all eligible pairs
    relaxation = _double_cover_bound(problem)
    if greedy_ok and time.perf_counter() >= deadline:
        # no time left to build a model: the greedy pairing is the answer, bounded as usual
        return _peer_solution(
            problem,
            greedy,
            relaxation,
            coverage_first,
            started,
            proven=False,
            note="the time limit ended before CP-SAT could start; raise --time-limit",
        )
    built = _build_peer_model(problem, candidates.arcs, fixed, options)
    alone = _alone(problem, built.touching)
    if alone:
        return infeasible_solution(
            [
                f"capacity.min = {problem.min_load}: {', '.join(alone[:10])} have no eligible partner; "
                "relax a rule or lower capacity.min"
            ],
            "checks",
            started,
        )
    hint = {k: bool(greedy[k]) for k in built.x}
    best: dict[int, bool] | None = hint if greedy_ok else None
    cover_proven = True
    if coverage_first and built.covered and time.perf_counter() < deadline:
        covered = _maximise_coverage(problem, built, hint, best, deadline, started)
        if isinstance(covered, Solution):
            return covered
        best, cover_proven = covered
        hint = best
    elif coverage_first and built.covered:
        cover_proven = False  # the deadline passed while building: the greedy start stands
    scored = _maximise_score(problem, built, hint, best, deadline, started)
    if isinstance(scored, Solution):
        return scored
    best, sat_bound, score_proven = scored
    return _proven_peer_solution(
        problem,
        built,
        candidates,
        best,
        min(sat_bound, relaxation) if not candidates.pruned else relaxation,
        coverage_first=coverage_first,
        proven=(cover_proven, score_proven),
        deadline=deadline,
        started=started,
    )


def _peer_candidates(
    problem: MatchingProblem,
    options: SolveOptions,
    fixed: list[int],
    deadline: float,
    coverage_first: bool,
) -> _Candidates:
    """Every eligible pair, or (when there are more than the model can be built on in half the
    time left, and no minimum loads) each person's best pairs, must pairs and the greedy start's."""
    n = len(problem.seekers)
    # the model is built inside the time limit: at most as many pairs as half the time can take
    budget = int(max(deadline - time.perf_counter(), 0) * PEER_ARCS_PER_SECOND / 2)
    limit = min(options.max_sat_arcs, max(budget, 4 * n))
    pruned = problem.arcs > limit and not problem.min_need.any()
    k_best = options.candidates_per_seeker
    everything = np.arange(problem.arcs)
    # the greedy start looks at every pair while that is quick (it covers more people than on
    # the best pairs alone: 1,580 of 1,582 peers against 1,526), else at the candidates
    greedy = (
        _greedy_peers(problem, everything, fixed, coverage_first)
        if problem.arcs <= GREEDY_ALL_ARCS or not pruned
        else None
    )
    if pruned:
        k_best = max(1, min(k_best, limit // max(2 * n, 1)))
        both = np.concatenate(
            [
                best_per_seeker(problem, everything, k_best),
                best_per_seeker(problem, everything, k_best, end=problem.arc_provider),
                np.asarray(fixed, dtype=np.int64),
                np.flatnonzero(greedy) if greedy is not None else np.zeros(0, np.int64),
            ]
        )
        arcs = np.unique(both)
    else:
        arcs = everything
    if greedy is None:
        greedy = _greedy_peers(problem, arcs, fixed, coverage_first)
    return _Candidates(arcs, greedy, pruned, k_best)


def _build_peer_model(
    problem: MatchingProblem, arcs: np.ndarray, fixed: list[int], options: SolveOptions
) -> _PeerModel:
    """The model on ``arcs``: capacities, minimum loads behind assumption literals, a coverage
    indicator per person, the must pairs fixed, and the score (not yet an objective)."""
    n = len(problem.seekers)
    model = cp_model.CpModel()
    x = {int(k): model.new_bool_var(f"x_{k}") for k in arcs}
    touching: list[list[int]] = [[] for _ in range(n)]
    for k, a, b in zip(
        arcs.tolist(),
        problem.arc_seeker[arcs].tolist(),
        problem.arc_provider[arcs].tolist(),
        strict=True,
    ):
        touching[a].append(k)
        touching[b].append(k)
    covered = []
    literals: dict[int, str] = {}
    for person in range(n):
        if not touching[person]:
            continue
        # each person within their capacity, and at least their minimum load (an assumption,
        # so that an infeasible model names the people it cannot serve)
        load = cp_model.LinearExpr.sum([x[k] for k in touching[person]])
        model.add(load <= int(problem.capacity[person]))
        if problem.min_need[person] > 0:
            literal = model.new_bool_var(f"min_{person}")
            model.add(load >= int(problem.min_need[person])).only_enforce_if(literal)
            literals[literal.index] = problem.pop.ids[problem.seekers[person]]
            model.add_assumption(literal)
        served = model.new_bool_var(f"y_{person}")
        model.add(load >= 1).only_enforce_if(served)
        covered.append(served)
    # the must pairs are taken
    for k in fixed:
        model.add(x[k] == 1)
    scores = np.rint(problem.arc_score[arcs] * SAT_SCALE).astype(np.int64).tolist()
    score = cp_model.LinearExpr.weighted_sum(list(x.values()), scores)
    return _PeerModel(model, x, touching, covered, literals, score, options)


def _alone(problem: MatchingProblem, touching: list[list[int]]) -> list[str]:
    """The ids of the people with a minimum load and no candidate pair, in group order."""
    ids = problem.pop.ids
    return [
        ids[problem.seekers[p]]
        for p in range(len(problem.seekers))
        if not touching[p] and problem.min_need[p] > 0
    ]


def _maximise_coverage(
    problem: MatchingProblem,
    built: _PeerModel,
    hint: dict[int, bool],
    best: dict[int, bool] | None,
    deadline: float,
    started: float,
) -> tuple[dict[int, bool], bool] | Solution:
    """Phase one of ``coverage_first``: the most people in a pair, in 40% of the time left.

    Returns the best pairing (this phase's, else ``best``) and whether its coverage is proven,
    after fixing that coverage in the model; or an infeasible solution naming the people whose
    minimum loads cannot all hold.

    Raises
    ------
    SolveTimeout
        When neither this phase nor ``best`` has a pairing that meets the minimum loads.
    """
    model = built.model
    model.maximize(cp_model.LinearExpr.sum(built.covered))
    remaining = deadline - time.perf_counter()
    solver, status = built.run(hint, max(remaining * 0.4, 0.05))
    if status == cp_model.INFEASIBLE:
        core = [
            built.literals[i]
            for i in solver.sufficient_assumptions_for_infeasibility()
            if i in built.literals
        ]
        who = ", ".join(sorted(core)) or "some people"
        return infeasible_solution(
            [
                f"capacity.min = {problem.min_load}: not every person can be paired ({who}); lower capacity.min or relax a rule"
            ],
            "cp_sat_assumptions",
            started,
        )
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        best = {k: bool(solver.boolean_value(v)) for k, v in built.x.items()}
        cover_proven = status == cp_model.OPTIMAL
    elif best is None:
        raise SolveTimeout(
            f"CP-SAT found no pairing within {built.options.time_limit:.0f} s that meets capacity.min "
            f"for {len(problem.seekers):,} people; raise --time-limit"
        )
    else:
        cover_proven = False
    found_cover = sum(1 for t in built.touching if t and any(best[k] for k in t))
    model.add(cp_model.LinearExpr.sum(built.covered) >= found_cover)
    return best, cover_proven


def _maximise_score(
    problem: MatchingProblem,
    built: _PeerModel,
    hint: dict[int, bool],
    best: dict[int, bool] | None,
    deadline: float,
    started: float,
) -> tuple[dict[int, bool], float, bool] | Solution:
    """The score phase, in the time left: the best pairing (this phase's, else ``best``), an
    upper bound on its score over the candidates (``inf`` when the phase found nothing) and
    whether the score is proven optimal; or an infeasible solution.

    Raises
    ------
    SolveTimeout
        When neither this phase nor ``best`` has a pairing that meets the minimum loads.
    """
    built.model.maximize(built.score)
    remaining = deadline - time.perf_counter()
    if remaining > 0 or best is None:
        solver, status = built.run(hint, max(remaining, 0.05))
    else:
        solver, status = cp_model.CpSolver(), cp_model.UNKNOWN
    if status == cp_model.INFEASIBLE and best is None:
        return infeasible_solution(
            [
                f"capacity.min = {problem.min_load}: not every person can be paired; lower capacity.min or relax a rule"
            ],
            "cp_sat",
            started,
        )
    score_proven = status == cp_model.OPTIMAL
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        best = {k: bool(solver.boolean_value(v)) for k, v in built.x.items()}
        sat_bound = solver.best_objective_bound / SAT_SCALE + (
            0.0 if score_proven else 0.5 * len(built.x) / SAT_SCALE
        )
    elif best is None:
        raise SolveTimeout(
            f"CP-SAT found no pairing within {built.options.time_limit:.0f} s that meets capacity.min "
            f"for {len(problem.seekers):,} people; raise --time-limit"
        )
    else:
        sat_bound = float("inf")
    return best, sat_bound, score_proven


def _proven_peer_solution(
    problem: MatchingProblem,
    built: _PeerModel,
    candidates: _Candidates,
    best: dict[int, bool],
    bound: float,
    *,
    coverage_first: bool,
    proven: tuple[bool, bool],
    deadline: float,
    started: float,
) -> Solution:
    """The CP-SAT pairing ``best`` as a solution: its bound, gap and status.

    ``proven`` says whether CP-SAT proved the coverage and the score optimal; ``bound`` is the
    smaller of CP-SAT's bound and the fractional pairing's (only the latter when pruned).
    """
    cover_proven, score_proven = proven
    n = len(problem.seekers)
    chosen = np.zeros(problem.arcs, dtype=bool)
    chosen[[k for k, on in best.items() if on]] = True
    objective = float(problem.arc_score[chosen].sum())
    notes: list[str] = []
    if score_proven and cover_proven and not candidates.pruned:
        bound = objective
    bound = max(bound, objective)
    gap = relative_gap(objective, bound)
    people_with_partner = sum(1 for t in built.touching if t)
    in_pairs = int(
        (
            np.bincount(problem.arc_seeker[chosen], minlength=n)
            + np.bincount(problem.arc_provider[chosen], minlength=n)
            > 0
        ).sum()
    )
    if candidates.pruned:
        notes.append(
            f"CP-SAT ran on {len(candidates.arcs):,} of {problem.arcs:,} eligible pairs (each person's best "
            f"{candidates.k_best}); the bound is the fractional pairing of all of them"
        )
        cover_proven = in_pairs == people_with_partner or not coverage_first
        score_proven = gap <= 1e-9
    optimal = cover_proven and (score_proven or gap <= 1e-9)
    if not optimal and time.perf_counter() >= deadline - 0.05:
        notes.append("the time limit ended the search; raise --time-limit to close the gap")
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=chosen_pairs(problem, chosen),
        objective=objective,
        bound=bound,
        gap=gap,
        bound_scope="all_eligible_pairs",
        method="cp_sat",
        seconds=time.perf_counter() - started,
        coverage_bound=people_with_partner,
        notes=notes,
    )


def _peer_solution(
    problem: MatchingProblem,
    chosen: np.ndarray,
    relaxation: float,
    coverage_first: bool,
    started: float,
    *,
    proven: bool,
    note: str,
) -> Solution:
    """A peer pairing found without a finished search, bounded by the fractional pairing."""
    n = len(problem.seekers)
    objective = float(problem.arc_score[chosen].sum())
    bound = max(relaxation, objective)
    partners = np.bincount(problem.arc_seeker, minlength=n) + np.bincount(
        problem.arc_provider, minlength=n
    )
    load = np.bincount(problem.arc_seeker[chosen], minlength=n) + np.bincount(
        problem.arc_provider[chosen], minlength=n
    )
    cover_proven = not coverage_first or int((load > 0).sum()) == int((partners > 0).sum())
    optimal = proven or (cover_proven and relative_gap(objective, bound) <= 1e-9)
    return Solution(
        status="optimal" if optimal else "feasible",
        pairs=chosen_pairs(problem, chosen),
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        bound_scope="all_eligible_pairs",
        method="greedy",
        seconds=time.perf_counter() - started,
        coverage_bound=int((partners > 0).sum()),
        notes=[note],
    )


def _matching_solution(
    problem: MatchingProblem,
    found: Matching,
    coverage_first: bool,
    started: float,
    deadline: float,
) -> Solution:
    """A matching of :func:`max_weight_matching` as a solution: with ``coverage_first`` the
    most pairs are proven, so at most twice as many people can be covered."""
    n = len(problem.seekers)
    chosen = np.zeros(problem.arcs, dtype=bool)
    chosen[found.chosen] = True
    partners = np.bincount(problem.arc_seeker, minlength=n) + np.bincount(
        problem.arc_provider, minlength=n
    )
    notes = []
    if not found.proven and time.perf_counter() >= deadline - 0.05:
        notes.append("the time limit ended the search; raise --time-limit to close the gap")
    return Solution(
        status="optimal" if found.proven else "feasible",
        pairs=chosen_pairs(problem, chosen),
        objective=found.score,
        bound=found.bound,
        gap=relative_gap(found.score, found.bound),
        bound_scope="all_eligible_pairs",
        method="matching_lp",
        seconds=time.perf_counter() - started,
        coverage_bound=2 * found.pairs if coverage_first else int((partners > 0).sum()),
        notes=notes,
    )
