"""Plain-words explanations: why each pair was made, and why each unmatched seeker was not."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.assignment.compile import MatchingProblem
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
    eligible_count = np.bincount(problem.arc_seeker, minlength=len(problem.seekers))
    arcs_by_seeker = np.argsort(problem.arc_seeker, kind="stable")
    starts = np.searchsorted(problem.arc_seeker[arcs_by_seeker], np.arange(len(problem.seekers)))
    rows = []
    for s in np.flatnonzero(served == 0).tolist():
        arcs = arcs_by_seeker[starts[s] : starts[s] + eligible_count[s]]
        reason = _unserved_reason(problem, solution, s, arcs, load, team_load)
        rows.append(UnmatchedRow(spec.name, pop.ids[problem.seekers[s]], reason))
    return rows


def _unserved_reason(
    problem: MatchingProblem,
    solution: Solution,
    s: int,
    arcs: np.ndarray,
    load: np.ndarray,
    team_load: dict[tuple[int, int], int],
) -> str:
    """Why the seeker at position ``s`` (eligible ``arcs``) is left out, given each provider's
    ``load`` and per-team loads in the solution."""
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
            f"capacity exhausted: all {len(providers)} eligible providers are at capacity "
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
