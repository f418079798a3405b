"""Programs compiled in blocks that keep only candidates (``left_out``): the bounds hold for
every pair left out, the priced flow reaches the optimum over all eligible pairs, the checker
accepts it, and the certificate catches a solution that ignored the pairs left out."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from unittest import mock

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment import kernel
from matcher.assignment.certificate import certify_flow
from matcher.assignment.compile import MatchingProblem, compile_program
from matcher.assignment.explain import explain_unmatched
from matcher.assignment.population import population
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.repeats import history_for
from matcher.assignment.run import verify
from matcher.assignment.solve import SolveOptions, solve
from matcher.model import Employee, Org
from tests.assignment.support import HistoryRows, instances
from tests.strategies import org_of, table_of


def _both(
    org: Org, spec: ProgramSpec, history: HistoryRows, k: int, cells: int
) -> tuple[MatchingProblem, MatchingProblem]:
    """The program with every eligible pair, and streamed from each seeker's k best."""
    pop = population(org, analyze(org))
    past = history_for(spec, org, history)
    full = compile_program(spec, pop, past)
    streamed = compile_program(
        spec, pop, past, stream_above=0, top_per_seeker=k, block_cells=cells, threads=2
    )
    return full, streamed


def _flow_programs(
    case: tuple[Org, ProgramSpec, HistoryRows],
) -> tuple[Org, ProgramSpec, HistoryRows]:
    """The program without per-team caps and minimum loads (the programs that stream)."""
    org, spec, history = case
    rules = spec.rules.model_copy(update={"max_same_team_per_provider": None})
    capacity = spec.capacity.model_copy(update={"min": 0})
    return org, spec.model_copy(update={"rules": rules, "capacity": capacity}), history


@given(instances(), st.integers(1, 3), st.sampled_from([1, 7, 10_000]))
def test_left_out_pairs_are_counted_and_bounded(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int, cells: int
) -> None:
    """Every eligible pair is an arc or scores at most both its seeker's and its provider's
    cut; the counts are those of the full compile; the arcs are eligible pairs with their
    scores, in seeker then provider order."""
    org, spec, history = _flow_programs(case)
    full, streamed = _both(org, spec, history, k, cells)
    left = streamed.left_out
    if spec.kind.value == "peer" or not len(full.seekers) * len(full.providers):
        assert left is None
        return
    assert left is not None
    assert left.eligible_pairs == full.arcs
    assert (
        left.per_seeker.tolist()
        == np.bincount(full.arc_seeker, minlength=len(full.seekers)).tolist()
    )
    width = max(len(full.providers), 1)
    full_keys = full.arc_seeker.astype(np.int64) * width + full.arc_provider
    kept_keys = streamed.arc_seeker.astype(np.int64) * width + streamed.arc_provider
    assert np.all(np.diff(kept_keys) > 0)
    at = np.searchsorted(full_keys, kept_keys)
    assert np.array_equal(full_keys[at], kept_keys)
    assert np.array_equal(full.arc_score[at], streamed.arc_score)
    out = np.ones(full.arcs, dtype=bool)
    out[at] = False
    s, p, score = full.arc_seeker[out], full.arc_provider[out], full.arc_score[out]
    assert np.all(score <= left.seeker_cut[s])
    assert np.all(score <= left.provider_cut[p])
    assert np.all(np.abs(full.arc_score) <= left.largest)
    for seeker in range(len(full.seekers)):  # each seeker keeps its min(k, eligible) best
        mine = full.arc_seeker == seeker
        assert (streamed.arc_seeker == seeker).sum() >= min(k, int(mine.sum()))


@given(instances(), st.integers(0, 3), st.sampled_from([1, 7, 10_000]), st.data())
def test_the_compiled_kernel_keeps_what_numpy_keeps(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int, cells: int, data: st.DataObject
) -> None:
    """The compiled stream against its numpy reference (with pairs committed earlier this
    period and level gaps both ways): the same eligible counts, seeker cuts and largest
    |score|; per seeker the same k best scores, bit for bit, each the score of the full compile
    (among equal scores at the cut either pair may be kept), and the must pairs; and each
    provider's cut is the best eligible pair left out of the kernel's own candidates."""
    org, spec, history = _flow_programs(case)
    if data.draw(st.booleans()):
        gaps = {"max_level_gap": data.draw(st.integers(0, 3))}
        spec = spec.model_copy(update={"rules": spec.rules.model_copy(update=gaps)})
    if data.draw(st.booleans()):  # weights that are not round: sums that round
        weights = {
            name: data.draw(st.sampled_from([0.0, 0.1, 1 / 3, -0.7, 2.5]))
            for name in type(spec.weights).model_fields
        }
        spec = spec.model_copy(update={"weights": spec.weights.model_copy(update=weights)})
    if data.draw(st.booleans()):  # ties (a strong-tie threshold), strong ties, missing levels
        n = len(org.employees)
        people = [  # the first keeps a level: a level rule on a data set without any is an error
            e.model_copy(update={"level": None}) if i and data.draw(st.integers(0, 4)) == 0 else e
            for i, e in enumerate(org.employees)
        ]
        pairs = data.draw(
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40)
        )
        rows = [
            {
                "source": a,
                "target": b,
                "age_days": 1.0 + k % 30,
                "channel": 0,
                "duration": None,
                "event": -1,
                "weight": 1.0,
            }
            for k, (a, b) in enumerate(pairs)
            if a != b
        ]
        org = org_of(people)
        org.interactions = table_of(rows)
    ids = [e.id for e in org.employees]
    prior = data.draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))
    pop = population(org, analyze(org))
    event("ties above a threshold" if pop.strength.nnz and pop.tie_threshold > 0 else "no ties")
    past = history_for(spec, org, history)
    options = {"stream_above": 0, "top_per_seeker": k, "block_cells": cells, "threads": 2}
    divide = data.draw(st.booleans())  # the overlap terms divided cell by cell, not looked up
    with mock.patch.object(kernel, "RATIO_TABLE_MAX", -1 if divide else kernel.RATIO_TABLE_MAX):
        fast = compile_program(spec, pop, past, prior=prior, **options)  # type: ignore[arg-type]
    ref = compile_program(spec, pop, past, prior=prior, compiled=False, **options)  # type: ignore[arg-type]
    full = compile_program(spec, pop, past, prior=prior)
    if ref.left_out is None:
        assert fast.left_out is None
        return
    assert fast.left_out is not None
    a, b = fast.left_out, ref.left_out
    assert np.array_equal(a.per_seeker, b.per_seeker)
    assert np.array_equal(a.seeker_cut, b.seeker_cut)
    assert a.largest == b.largest
    width = max(len(full.providers), 1)
    full_keys = full.arc_seeker.astype(np.int64) * width + full.arc_provider
    kept_keys = fast.arc_seeker.astype(np.int64) * width + fast.arc_provider
    must = {s * width + p for s, p in fast.must} & set(full_keys.tolist())
    assert must <= set(
        kept_keys.tolist()
    )  # eligible must pairs are candidates, whatever they score
    for seeker in range(len(fast.seekers)):
        ours = sorted(fast.arc_score[fast.arc_seeker == seeker].tolist(), reverse=True)
        theirs = sorted(ref.arc_score[ref.arc_seeker == seeker].tolist(), reverse=True)
        assert ours[:k] == theirs[:k]
    at = np.searchsorted(full_keys, kept_keys)
    assert np.array_equal(full_keys[at], kept_keys)
    assert np.array_equal(full.arc_score[at], fast.arc_score)
    out = np.ones(full.arcs, dtype=bool)
    out[at] = False
    best_left = np.full(len(full.providers), -np.inf)
    np.maximum.at(best_left, full.arc_provider[out], full.arc_score[out])
    assert np.array_equal(best_left, a.provider_cut)


@given(instances(), st.integers(1, 3), st.sampled_from([1, 7, 10_000]))
def test_streamed_flow_is_the_optimum_over_all_pairs(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int, cells: int
) -> None:
    """Priced block by block from each seeker's k best pairs, the flow serves as many seekers
    and scores as much as the flow over every eligible pair; the checker and the certificate
    accept it (``verify`` raises otherwise) and unmatched seekers are explained."""
    org, spec, history = _flow_programs(case)
    full, streamed = _both(org, spec, history, k, cells)
    if streamed.left_out is None:
        return
    expected, found = solve(full), solve(streamed)
    assert found.status == expected.status
    if found.status == "infeasible":
        return
    assert found.bound_scope == "all_eligible_pairs" and found.gap == 0
    assert len(found.pairs) == len(expected.pairs)
    assert found.objective == pytest.approx(expected.objective, abs=1e-6)
    verify(streamed, found, org, history)
    reasons = explain_unmatched(streamed, found)
    assert [r.reason for r in reasons] == [r.reason for r in explain_unmatched(full, expected)]


@given(instances(), st.integers(1, 2))
def test_the_certificate_prices_the_pairs_left_out(
    case: tuple[Org, ProgramSpec, HistoryRows], k: int
) -> None:
    """A flow optimal on the candidates alone, with its own potentials, is refused when a pair
    left out would serve more seekers or score more (its potentials may also be refused when
    the flow is optimal: duals are not unique, so only this direction is a property)."""
    org, spec, history = _flow_programs(case)
    full, streamed = _both(org, spec, history, k, 10_000)
    if streamed.left_out is None or full.spec.pairs.must:
        return
    candidates_only = dataclasses.replace(streamed, left_out=None)
    local = solve(candidates_only, SolveOptions(prune_above=10**9))
    best = solve(full)
    if local.status != "optimal" or best.status != "optimal":
        return
    assert local.potentials is not None
    failures = certify_flow(streamed, local.pairs, local.potentials)
    worse = len(local.pairs) < len(best.pairs) or local.objective < best.objective - 1e-6
    event("the candidates alone are worse" if worse else "the candidates alone are optimal")
    if worse:
        assert failures
    if not failures:
        assert len(local.pairs) == len(best.pairs)
        assert local.objective == pytest.approx(best.objective, abs=1e-6)


def test_the_certificate_refuses_the_candidates_alone_when_a_pair_left_out_serves_more() -> None:
    """Both seekers' best pair is with mentor A (capacity 1): from one candidate each, the
    flow on the candidates serves one seeker; the pair with B, left out, serves both."""
    people = [
        Employee(id="A", roles=("mentor",), interests=("chess",)),
        Employee(id="B", roles=("mentor",)),
        Employee(id="S0", roles=("mentee",), interests=("chess",)),
        Employee(id="S1", roles=("mentee",), interests=("chess",)),
    ]
    org = org_of(people)
    spec = ProgramSpec.model_validate(
        {"name": "m", "kind": "mentor", "period": "2026Q4", "capacity": {"default": 1}}
    )
    full, streamed = _both(org, spec, (), 1, 10_000)
    assert streamed.arcs == 2 and full.arcs == 4
    local = solve(dataclasses.replace(streamed, left_out=None), SolveOptions(prune_above=10**9))
    assert len(local.pairs) == 1 and local.potentials is not None
    assert certify_flow(streamed, local.pairs, local.potentials)
    found = solve(streamed)
    assert len(found.pairs) == 2 and streamed.arcs > 2  # pairs with B were priced in
    assert certify_flow(streamed, found.pairs, found.potentials) == []


def test_the_kernel_compiles_without_a_cache_folder() -> None:
    """Where numba finds no writable folder for its cache, the kernel is compiled on each run
    (numba raises when the function is decorated; simulated here) and gives the same arcs."""
    script = textwrap.dedent(
        """
        import numba.core.caching as caching

        def refuse(*args, **kwargs):
            raise RuntimeError("cannot cache function: no locator available")

        caching.FunctionCache.__init__ = refuse
        from matcher.analysis.isolation import analyze
        from matcher.assignment import kernel
        from matcher.assignment.compile import compile_program
        from matcher.assignment.population import population
        from matcher.assignment.programs import ProgramSpec
        from matcher.assignment.repeats import History
        from matcher.model import Employee, Org

        people = [Employee(id=f"S{k}", roles=("mentee",), interests=("chess",)) for k in range(3)]
        people += [Employee(id=f"M{k}", roles=("mentor",), interests=("chess",) * (k % 2))
                   for k in range(4)]
        org = Org(people)
        spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4"})
        pop = population(org, analyze(org))
        problem = compile_program(spec, pop, History.empty(len(org)), stream_above=0, top_per_seeker=2)
        print(type(kernel._block._cache).__name__, problem.arcs, problem.eligible_pairs)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.split() == ["NullCache", "6", "12"]


@pytest.mark.parametrize("compiled", [True, False])
def test_a_program_without_providers_streams_to_no_arcs(compiled: bool) -> None:
    """A side with no one (here no mentor) streams to no arcs and no bounds, both ways."""
    org = org_of([Employee(id="A", roles=("mentee",)), Employee(id="B", roles=("mentee",))])
    spec = ProgramSpec.model_validate({"name": "m", "kind": "mentor", "period": "2026Q4"})
    pop = population(org, analyze(org))
    problem = compile_program(
        spec, pop, history_for(spec, org, []), stream_above=-1, compiled=compiled
    )
    assert problem.arcs == 0 and problem.left_out is not None
    assert problem.left_out.eligible_pairs == 0
