"""The assign stage's rows of :data:`benchmarks.targets.TARGETS`, met or missed.

Measured from the ``--json`` summaries of the ``matcher assign`` runs (status, gap, bound
scope), the figures (wall times against the bare flow) and the outcomes (pairs, coverage,
objective against the baselines').
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.assign_instances import FLOW, MIN_LOAD, ONE_TO_ONE, TEAM_CAP
from benchmarks.results import Figure, Outcome, Target
from benchmarks.stages.assign.outcomes import status
from benchmarks.stages.assign.plan import GAP_TOLERANCE, Plan
from benchmarks.targets import (
    BY_KEY,
    NOT_HERE,
    TargetSpec,
    at_most,
    not_measured,
    size_class,
    time_ratio_at_most,
    verdict,
)


def gap_target(
    spec: TargetSpec, found: list[dict[str, Any]], employees: int, detail: str = ""
) -> Target:
    """The worst gap over the runs ≤ ``spec.threshold``, certified over all eligible pairs."""
    if not found:
        return not_measured(spec, detail)
    limit = spec.threshold
    worst = max(found, key=lambda b: float(b["gap"]))
    gap = float(worst["gap"])
    scope = worst["bound_scope"]
    shown = f"gap {gap:.4%} ({worst['status']}, {worst['method']}, bound over {scope})"
    certified = scope == "all_eligible_pairs"
    met = certified and gap <= limit + GAP_TOLERANCE
    if not certified:
        margin = "missed: the bound holds only for the pruned candidates, not all eligible pairs"
    elif met:
        margin = f"met: {limit - gap:.2%} under the limit"
    else:
        margin = f"missed: {gap - limit:.2%} over the limit"
    return verdict(spec, detail, shown, met, margin, employees)


def proven_target(
    spec: TargetSpec, found: list[dict[str, Any]], employees: int, detail: str = ""
) -> Target:
    """Every run proven optimal: status optimal, gap 0, bound over all eligible pairs."""
    if not found:
        return not_measured(spec, detail)
    proven = [
        b["status"] == "optimal"
        and float(b["gap"]) <= GAP_TOLERANCE
        and b["bound_scope"] == "all_eligible_pairs"
        for b in found
    ]
    worst = found[proven.index(False)] if not all(proven) else found[0]
    if all(proven):
        margin = f"met: all {len(found)} runs proven optimal"
    else:
        margin = f"missed: {proven.count(False)} of {len(found)} runs not proven optimal"
    return verdict(spec, detail, status(worst), all(proven), margin, employees)


def equal_target(
    spec: TargetSpec, ours: Outcome | None, theirs: Outcome | None, employees: int, detail: str
) -> Target:
    """The same pairs and objective as the exact baseline, within ``spec.threshold`` a pair."""
    if ours is None or theirs is None or ours.pairs is None or theirs.pairs is None:
        return not_measured(spec, detail)
    assert ours.objective is not None and theirs.objective is not None
    diff = ours.objective - theirs.objective
    tolerance = spec.threshold * max(ours.pairs, 1)
    shown = (
        f"{ours.pairs:,} vs {theirs.pairs:,} pairs; objective {ours.objective:,.6f} vs "
        f"{theirs.objective:,.6f} (matcher − LSA = {diff:+.2e})"
    )
    met = ours.pairs == theirs.pairs and abs(diff) <= tolerance
    margin = (
        f"met: equal within {tolerance:.0e} (matcher's flow rounds scores to 1e-6)"
        if met
        else "missed: "
        + (
            f"{theirs.pairs - ours.pairs:+,} pairs"
            if ours.pairs != theirs.pairs
            else f"objective differs by {diff:+.3g}"
        )
    )
    return verdict(spec, detail, shown, met, margin, employees)


def coverage_target(spec: TargetSpec, rows: list[Outcome], employees: int, detail: str) -> Target:
    """matcher serves at least as many seekers as every baseline that ran."""
    ours = next((o for o in rows if o.method.startswith("matcher") and o.ran), None)
    others = [
        o
        for o in rows
        if not o.method.startswith("matcher") and o.ran and o.seekers_covered is not None
    ]
    if ours is None or ours.seekers_covered is None or not others:
        return not_measured(spec, detail)
    shown = f"matcher {ours.seekers_covered:,}; " + ", ".join(
        f"{o.method.split(' (')[0]} {o.seekers_covered:,}" for o in others
    )
    best = max(others, key=lambda o: o.seekers_covered or 0)
    assert best.seekers_covered is not None
    lead = ours.seekers_covered - best.seekers_covered
    best_name = best.method.split(" (")[0]
    if lead > 0:
        margin = f"met: {lead:,} more seekers than the best baseline ({best_name})"
    elif lead == 0:
        margin = f"met: as many as the best baseline ({best_name})"
    else:
        margin = f"missed: {-lead:,} fewer seekers than {best_name}"
    return verdict(spec, detail, shown, lead >= 0, margin, employees)


def flagged_target(spec: TargetSpec, ours: Outcome | None, employees: int, detail: str) -> Target:
    """Every flagged seeker served whenever the supply allows it."""
    if ours is None or ours.flagged is None or ours.flagged_covered is None:
        return not_measured(spec, detail)
    coverable = ours.flagged_coverable if ours.flagged_coverable is not None else ours.flagged
    possible = min(ours.flagged, coverable)
    shown = (
        f"{ours.flagged_covered:,} of {ours.flagged:,} flagged seekers covered "
        f"(supply allows {coverable:,})"
    )
    if ours.flagged == 0:
        return Target(
            stage=spec.stage,
            key=spec.key,
            target=spec.name + detail,
            measured=shown,
            met=None,
            margin="no flagged seekers",
        )
    met = ours.flagged_covered >= possible
    margin = (
        f"met: {ours.flagged_covered / ours.flagged:.0%} covered"
        + ("" if possible == ours.flagged else f" (all that supply allows: {possible:,})")
        if met
        else f"missed: {possible - ours.flagged_covered:,} coverable flagged seekers left out"
    )
    return verdict(spec, detail, shown, met, margin, employees)


def _outcome(outcomes: list[Outcome], variant: str, method_prefix: str) -> Outcome | None:
    return next(
        (
            o
            for o in outcomes
            if o.instance == variant and o.method.startswith(method_prefix) and o.ran
        ),
        None,
    )


def targets(
    employees: int,
    figures: list[Figure],
    plan: Plan,
    summaries: dict[str, list[dict[str, Any]]],
    outcomes: list[Outcome],
    failures: dict[str, str] | None = None,
) -> list[Target]:
    """The assign rows of the targets table, met or missed and by how much.

    ``failures`` maps an instance to why its ``matcher assign`` runs failed: a target that
    could not be measured because matcher failed is missed, not "not measured".
    """
    failures = failures or {}

    def checked(variant: str, row: Target) -> Target:
        failure = failures.get(variant)
        if row.measured != "not measured" or not failure:
            return row
        applies = BY_KEY[row.key].applies(employees)
        return row.model_copy(
            update={
                "measured": f"matcher assign failed ({failure})",
                "met": False if applies else None,
                "margin": "missed: no assignment at all" if applies else NOT_HERE,
            }
        )

    by_id = {f.id: f for f in figures}
    is_l = size_class(employees) == "L"
    flow = plan.instances[FLOW]
    here = "" if is_l else f" (here {flow.seekers:,} × {flow.providers:,})"
    rows = [
        checked(
            FLOW,
            proven_target(BY_KEY["assign-flow-optimal"], summaries.get(FLOW, []), employees, here),
        )
    ]
    for figure_id, key in (
        (f"assign.{FLOW}.cli", "assign-flow-time"),
        (f"assign.{FLOW}.cli_saved", "assign-flow-time-saved"),
    ):
        cli = by_id.get(figure_id)
        if cli is not None:
            rows.append(checked(FLOW, at_most(BY_KEY[key], cli.median_seconds, employees, here)))
    rows += _bare_flow_targets(by_id, employees)
    side = "L" if is_l else "M"
    side_here = "" if BY_KEY[f"assign-{TEAM_CAP}-gap-{side}"].applies(employees) else here
    for variant in (TEAM_CAP, MIN_LOAD):
        gap = BY_KEY[f"assign-{variant}-gap-{side}"]
        rows.append(
            checked(variant, gap_target(gap, summaries.get(variant, []), employees, side_here))
        )
        figure = by_id.get(f"assign.{variant}.cli")
        if figure is not None:
            seconds = BY_KEY[f"assign-{variant}-time-{side}"]
            rows.append(
                checked(variant, at_most(seconds, figure.median_seconds, employees, side_here))
            )
    one = plan.instances[ONE_TO_ONE]
    rows.append(
        checked(
            ONE_TO_ONE,
            equal_target(
                BY_KEY["assign-one_to_one-lsa"],
                _outcome(outcomes, ONE_TO_ONE, "matcher"),
                _outcome(outcomes, ONE_TO_ONE, "scipy"),
                employees,
                f" ({one.seekers:,} × {one.providers:,})",
            ),
        )
    )
    rows += _per_instance(plan, outcomes, employees, checked)
    return rows


def _bare_flow_targets(by_id: dict[str, Figure], employees: int) -> list[Target]:
    bare = by_id.get("assign.flow.bare")
    rows = []
    for ours_id, key in (
        (f"assign.{FLOW}.cli", "assign-flow-bare-e2e"),
        (f"assign.{FLOW}.solve", "assign-flow-bare-solve"),
    ):
        ours, spec = by_id.get(ours_id), BY_KEY[key]
        if ours is None:
            continue
        if bare is None or not bare.seconds:
            rows.append(
                Target(
                    stage=spec.stage,
                    key=spec.key,
                    target=spec.name,
                    measured="bare flow not run",
                    met=None,
                    margin=bare.note if bare is not None else "",
                )
            )
        else:
            rows.append(time_ratio_at_most(spec, ours, bare, employees))
    return rows


def _per_instance(
    plan: Plan, outcomes: list[Outcome], employees: int, checked: Callable[[str, Target], Target]
) -> list[Target]:
    """Coverage against the baselines on (a) and (d), flagged coverage on every instance."""
    rows = []
    for variant in (FLOW, ONE_TO_ONE):
        label = plan.instances[variant].label  # "(a) flow structure, 1,000 × 197"
        rows.append(
            checked(
                variant,
                coverage_target(
                    BY_KEY[f"assign-{variant}-coverage"],
                    [o for o in outcomes if o.instance == variant],
                    employees,
                    label.split(")", 1)[1],
                ),
            )
        )
    for variant, instance in plan.instances.items():
        rows.append(
            checked(
                variant,
                flagged_target(
                    BY_KEY[f"assign-{variant}-flagged"],
                    _outcome(outcomes, variant, "matcher"),
                    employees,
                    instance.label.split(")", 1)[1],
                ),
            )
        )
    return rows
