"""Plain-words explanations: why each pair was made, and why each unmatched seeker was not."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.assignment.compile import MatchingProblem
from matcher.assignment.groups import GroupProblem
from matcher.assignment.programs import Kind, Mode
from matcher.assignment.rules import overlap_hours, yes_no_rules
from matcher.assignment.scoring import TERMS, pair_terms
from matcher.assignment.solve import Solution


@dataclass(frozen=True)
class AssignmentRow:
    program: str
    seeker_id: str
    provider_id: str
    score: float
    contributions: dict[str, float]
    why: str


@dataclass(frozen=True)
class UnmatchedRow:
    program: str
    seeker_id: str
    reason: str


def _names(bits: np.ndarray, vocabulary: list[str], limit: int = 3) -> list[str]:
    found = []
    for k, name in enumerate(vocabulary):
        if int(bits[k // 64]) >> (k % 64) & 1:
            found.append(name)
            if len(found) == limit:
                break
    return found


def explain_assignments(problem: MatchingProblem, solution: Solution) -> list[AssignmentRow]:
    """One row per chosen pair: score, each term's contribution, and a one-line why."""
    if not solution.pairs:
        return []
    spec, pop = problem.spec, problem.pop
    s_pos = np.array([s for s, _ in solution.pairs])
    p_pos = np.array([p for _, p in solution.pairs])
    si, pi = problem.seekers[s_pos], problem.providers[p_pos]
    terms = pair_terms(spec, pop, problem.history, si, pi)
    weights = spec.weights.model_dump()
    overlap = overlap_hours(pop, si, pi)
    preferences = [r for r in yes_no_rules(spec, pop) if r.mode in (Mode.PREFERRED, Mode.AVOIDED)]
    held = {r.name: r.condition(pop, si, pi) for r in preferences}
    must = set(problem.must)
    rows = []
    for k, (s, p) in enumerate(solution.pairs):
        contributions = {name: float(weights[name] * terms[name][k]) for name in TERMS}
        reasons: list[str] = []
        if (s, p) in must:
            reasons.append("required by pairs.must")
        shared = _names(pop.interests[si[k]] & pop.interests[pi[k]], pop.interest_names)
        if shared and weights["interests"]:
            reasons.append("shared interests: " + ", ".join(shared))
        taught = _names(pop.wants[si[k]] & pop.skills[pi[k]], pop.skill_names)
        if taught and weights["skills"]:
            reasons.append("wants to grow " + ", ".join(taught) + ", which the provider has")
        language = _names(pop.languages[si[k]] & pop.languages[pi[k]], pop.language_names, limit=2)
        if language:
            reasons.append("both speak " + " and ".join(language))
        reasons.append(f"{overlap[k]:.0f} h of working hours overlap")
        if terms["bridging"][k] and weights["bridging"] > 0:
            reasons.append("connects two parts of the org that rarely meet")
        if terms["existing_tie"][k] > 0 and weights["existing_tie"] < 0:
            reasons.append("they already work together")
        if terms["repeat"][k] > 0:
            reasons.append("paired before (penalised)")
        for rule in preferences:
            if held[rule.name][k]:
                verb = (
                    "preferred"
                    if rule.mode is Mode.PREFERRED
                    else "avoided, but the best available"
                )
                reasons.append(f"{rule.name.replace('_', ' ')} ({verb})")
        if terms["isolation_priority"][k] >= 1 and weights["isolation_priority"] > 0:
            reasons.append("seeker given priority")
        rows.append(
            AssignmentRow(
                program=spec.name,
                seeker_id=pop.ids[si[k]],
                provider_id=pop.ids[pi[k]],
                score=float(sum(contributions.values())),
                contributions=contributions,
                why="; ".join(reasons),
            )
        )
    return rows


def explain_unmatched(problem: MatchingProblem, solution: Solution) -> list[UnmatchedRow]:
    """Every seeker left without a provider, with the true reason."""
    spec, pop = problem.spec, problem.pop
    served = np.zeros(len(problem.seekers), dtype=np.int64)
    for s, p in solution.pairs:
        served[s] += 1
        if spec.kind is Kind.PEER:
            served[p] += 1
    if solution.status == "infeasible":
        reason = "program infeasible: " + "; ".join(solution.conflicts)
        return [UnmatchedRow(spec.name, pop.ids[i], reason) for i in problem.seekers]
    if spec.kind is Kind.PEER:
        return _unmatched_peers(problem, served)
    load = np.zeros(len(problem.providers), dtype=np.int64)
    # per-team loads start from the pairs committed earlier this period (--incremental)
    team_load: dict[tuple[int, int], int] = dict(problem.prior_team_load)
    seeker_team = problem.seeker_team()
    for s_pos, p in solution.pairs:
        load[p] += 1
        key = (p, int(seeker_team[s_pos]))
        team_load[key] = team_load.get(key, 0) + 1
    arc_count = np.bincount(problem.arc_seeker, minlength=len(problem.seekers))
    eligible_count = problem.eligible_per_seeker()
    arcs_by_seeker = np.argsort(problem.arc_seeker, kind="stable")
    starts = np.searchsorted(problem.arc_seeker[arcs_by_seeker], np.arange(len(problem.seekers)))
    rows = []
    for s in np.flatnonzero(served == 0).tolist():
        arcs = arcs_by_seeker[starts[s] : starts[s] + arc_count[s]]
        reason = _unserved_reason(
            problem, solution, s, arcs, load, team_load, eligible=int(eligible_count[s])
        )
        rows.append(UnmatchedRow(spec.name, pop.ids[problem.seekers[s]], reason))
    return rows


def _unserved_reason(
    problem: MatchingProblem,
    solution: Solution,
    s: int,
    arcs: np.ndarray,
    load: np.ndarray,
    team_load: dict[tuple[int, int], int],
    *,
    eligible: int,
) -> str:
    """Why the seeker at position ``s`` (``eligible`` pairs, of which ``arcs`` are the
    problem's arcs: all of them unless the problem keeps only candidates) is left out, given
    each provider's ``load`` and per-team loads in the solution.

    A problem that keeps only candidates has no per-team caps or minimum loads, and its flow
    solution is certified to serve the most seekers: every eligible provider of a seeker left
    out is then full, its candidates or not (one with room would serve one more)."""
    n_providers = len(problem.providers)
    if n_providers == 0:
        return "no providers in this program (check the providers selector)"
    if len(arcs) == 0:
        detail = _removals(problem, s) or "no rule applies"
        return f"no eligible provider: of {n_providers} providers, {detail}"
    providers = problem.arc_provider[arcs]
    full = load[providers] >= problem.capacity[providers]
    if full.all():
        return (
            f"capacity exhausted: all {eligible} eligible providers are at capacity "
            "with seekers who had fewer alternatives or scored higher"
        )
    open_providers = providers[~full]
    team = problem.seeker_team()
    capped = [
        p
        for p in open_providers.tolist()
        if problem.team_cap is not None
        and team[s] >= 0
        and team_load.get((p, int(team[s])), 0) >= problem.team_cap
    ]
    if len(capped) == len(open_providers):
        return (
            f"{len(open_providers)} eligible provider(s) have room, but each already has "
            f"{problem.team_cap} seeker(s) from team {problem.pop.team_names[team[s]]} "
            f"(max_same_team_per_provider = {problem.team_cap})"
        )
    if solution.status == "optimal":
        return (
            f"left out by the proven optimum: {len(open_providers)} eligible provider(s) have "
            "room, but serving this seeker would break a side constraint (capacity.min, "
            "max_same_team_per_provider or pairs.must) or serve fewer seekers in all"
        )
    return (
        f"not served within the time limit ({solution.status} solution, gap {solution.gap:.2%}); "
        "raise --time-limit"
    )


def _removals(problem: MatchingProblem, seeker: int) -> str:
    """Which rules removed how many candidates of one seeker, most first."""
    removed = sorted(
        (
            (name, int(counts[seeker]))
            for name, counts in problem.removed_by.items()
            if counts[seeker] > 0
        ),
        key=lambda item: (-item[1], item[0]),
    )
    return ", ".join(f"{name} removes {count}" for name, count in removed)


def _unmatched_peers(problem: MatchingProblem, served: np.ndarray) -> list[UnmatchedRow]:
    """Peer programs: people in no pair, and why."""
    pop, spec = problem.pop, problem.spec
    partners = np.bincount(problem.arc_seeker, minlength=len(problem.seekers)) + np.bincount(
        problem.arc_provider, minlength=len(problem.seekers)
    )
    rows = []
    for person in np.flatnonzero(served == 0).tolist():
        if partners[person] == 0:
            detail = _removals(problem, person) or "nobody else takes part"
            reason = f"no eligible partner: of {len(problem.seekers) - 1} others, {detail}"
        else:
            reason = (
                f"all {partners[person]} eligible partners are taken (capacity) by pairings that cover "
                "more people or score higher"
            )
        rows.append(UnmatchedRow(spec.name, pop.ids[problem.seekers[person]], reason))
    return rows


# --------------------------------------------------------------------------- groups


@dataclass(frozen=True)
class GroupRow:
    """One group of one round: its members, the sum of its pair scores, and why."""

    program: str
    period: str
    round: int
    group: int
    members: list[str]
    score: float
    why: str


def _shared(bits: np.ndarray, vocabulary: list[str], limit: int = 3) -> list[str]:
    """Items at least two of the rows of ``bits`` hold, most held first: ``chess (3)``."""
    counts = [
        (int(sum(int(row[k // 64]) >> (k % 64) & 1 for row in bits)), name)
        for k, name in enumerate(vocabulary)
    ]
    held = sorted(((c, name) for c, name in counts if c >= 2), key=lambda item: (-item[0], item[1]))
    return [f"{name} ({c})" for c, name in held[:limit]]


def explain_groups(gp: GroupProblem, solution: Solution) -> list[GroupRow]:
    """One row per group and round: shared interests, working hours, the parts of the org it
    bridges, the quotas it meets and how many of its pairs meet for the first time."""
    if not solution.groups:
        return []
    problem = gp.pairs
    spec, pop = problem.spec, problem.pop
    people = problem.seekers
    arc_of = {
        (int(a), int(b)): k
        for k, (a, b) in enumerate(zip(problem.arc_seeker, problem.arc_provider, strict=True))
    }
    seen: set[int] = set()
    rows = []
    for r, groups in enumerate(solution.groups, start=1):
        for g, members in enumerate(groups, start=1):
            index = people[members]
            arcs = [arc_of[a, b] for k, a in enumerate(members) for b in members[k + 1 :]]
            score = float(problem.arc_score[arcs].sum()) if arcs else 0.0
            reasons = []
            interests = _shared(pop.interests[index], pop.interest_names)
            if interests:
                reasons.append("shared interests: " + ", ".join(interests))
            si, pi = np.triu_indices(len(members), 1)
            hours = overlap_hours(pop, index[si], index[pi])
            if len(hours):
                reasons.append(f"every pair shares at least {float(hours.min()):.0f} working hours")
            communities = len(set(pop.community[index].tolist()))
            if communities > 1:
                reasons.append(f"bridges {communities} parts of the collaboration graph")
            teams = len({t for t in pop.team[index].tolist() if t >= 0})
            if teams > 1:
                reasons.append(f"{teams} teams")
            for quota in gp.quotas:
                held = int(quota.members[members].sum())
                if held:
                    reasons.append(f"{held} with {quota.label} ({quota.rule} {quota.count})")
            fresh = [k for k in arcs if not problem_met(gp, k) and k not in seen]
            seen.update(arcs)
            if gp.counts_new:
                reasons.append(f"{len(fresh)} of {len(arcs)} pairs meet for the first time")
            must = [pair for pair in problem.must if pair[0] in members and pair[1] in members]
            if must:
                reasons.append("required by pairs.must")
            rows.append(
                GroupRow(
                    program=spec.name,
                    period=spec.period,
                    round=r,
                    group=g,
                    members=[pop.ids[i] for i in index],
                    score=score,
                    why="; ".join(reasons),
                )
            )
    return rows


def problem_met(gp: GroupProblem, arc: int) -> bool:
    """Whether the pair of ``arc`` met before this run (committed history)."""
    return bool(gp.met_before[arc])


def explain_unplaced(gp: GroupProblem, solution: Solution) -> list[UnmatchedRow]:
    """Everyone not placed in a round, with the reason (``round k:`` first, over rounds)."""
    problem = gp.pairs
    spec, pop = problem.spec, problem.pop
    ids = [pop.ids[i] for i in problem.seekers]
    if solution.status == "infeasible":
        reason = "program infeasible: " + "; ".join(solution.conflicts)
        return [UnmatchedRow(spec.name, who, reason) for who in ids]
    partners = np.bincount(problem.arc_seeker, minlength=gp.n) + np.bincount(
        problem.arc_provider, minlength=gp.n
    )
    rounds = solution.groups or [[] for _ in range(gp.rounds)]
    placed_total = sum(len(m) for groups in rounds for m in groups)
    rows = []
    for r, groups in enumerate(rounds, start=1):
        placed = {i for members in groups for i in members}
        prefix = f"round {r}: " if gp.rounds > 1 else ""
        for person in range(gp.n):
            if person in placed:
                continue
            if partners[person] == 0:
                detail = _removals(problem, person) or "nobody else takes part"
                reason = f"no eligible partner: of {gp.n - 1} others, {detail}"
            elif partners[person] < gp.size_min - 1:
                reason = (
                    f"only {partners[person]} eligible partner(s): a group of at least "
                    f"{gp.size_min} needs {gp.size_min - 1}"
                )
            elif solution.status == "optimal":
                reason = (
                    f"left out by the proven optimum: groups of {gp.size_min} to {gp.size_max} "
                    f"under the program's rules place {placed_total} of {gp.n * gp.rounds} "
                    "places at most (flagged people first)"
                )
            elif solution.method == "heuristic":
                reason = (
                    f"not placed by the local search: {placed_total} of "
                    f"{gp.n * gp.rounds} places filled, at most {solution.coverage_bound} can "
                    "be (not proven: the group is too large for the exact model)"
                )
            else:
                reason = (
                    f"not placed within the time limit ({solution.status} plan, gap "
                    f"{solution.gap:.2%}); raise --time-limit"
                )
            rows.append(UnmatchedRow(spec.name, ids[person], prefix + reason))
    return rows
