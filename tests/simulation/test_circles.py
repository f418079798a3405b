"""Circle programs in simulations: the optimiser's circles and chat-bot circles, each pair
inside a group forming a tie with the circle's own probability."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.analysis.isolation import analyze
from matcher.assignment.compile import compile_program
from matcher.assignment.population import population
from matcher.assignment.programs import Kind
from matcher.assignment.repeats import History
from matcher.cli import main
from matcher.simulation.cell import random_pairing
from matcher.simulation.scenario import Dynamics
from tests.strategies import circle_programs, small_orgs

SCENARIO = """
[scenario]
name = "Circles"
quarters = 1
replications = 1
seed = 3

[org]
generate = {{ employees = 300, seed = 5 }}

[dynamics]
tie_probability = {{ circle = {probability} }}
fit_effect = 0

[[program]]
name = "circles"
kind = "circle"
period = "2026Q4"
seekers = {{ roles = ["peer_support_consent"] }}
group_size = {{ min = 3, max = 4 }}
rounds = 2

[program.rules]
reporting_line = "forbidden"
no_repeat_pairs = "required"
"""


def run(tmp_path: Path, probability: float) -> dict[tuple[str, str], float]:
    """``(pairing, metric)`` → value of quarter 0 of a one-quarter circle scenario."""
    scenario = tmp_path / f"circles-{probability}.toml"
    scenario.write_text(SCENARIO.format(probability=probability))
    out = tmp_path / f"out-{probability}"
    result = CliRunner().invoke(
        main,
        ["simulate", str(scenario), "--out", str(out), "--workers", "1", "--quiet"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    with (out / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {(r["pairing"], r["metric"]): float(r["value"]) for r in rows if r["quarter"] == "0"}


def test_circle_scenario_forms_ties_inside_groups(tmp_path: Path) -> None:
    """Every pair inside a group forms a tie at probability 1 and none at 0; the optimiser
    places at least as many people as the chat-bot circles and never repeats a pair."""
    always, never = run(tmp_path, 1.0), run(tmp_path, 0.0)
    for pairing in ("optimal", "random"):
        matched = always[(pairing, "circles.matched")]
        assert matched > 0
        assert always[(pairing, "circles.ties_formed")] >= matched / 2
        assert never[(pairing, "circles.ties_formed")] == 0
    assert always[("optimal", "circles.repeats")] == 0  # no_repeat_pairs = "required"
    assert always[("optimal", "circles.matched")] >= always[("random", "circles.matched")]
    assert always[("optimal", "circles.unmatched_rule_broken")] == 0


def test_circle_tie_probability_is_a_dynamics_parameter() -> None:
    assert Dynamics().probability(Kind.CIRCLE) == 0.2
    assert Dynamics(tie_probability={Kind.CIRCLE: 0.5}).probability(Kind.CIRCLE) == 0.5


@settings(max_examples=30)
@given(st.data())
def test_random_circles_keep_the_rules_they_send(data: st.DataObject) -> None:
    """Chat-bot circles: every pair sent is an eligible pair, met at most once per round, and
    whoever is not in a sent group is counted unmatched (per round)."""
    org = data.draw(small_orgs(max_people=9))
    spec = data.draw(circle_programs(org))
    problem = compile_program(spec, population(org, analyze(org)), History.empty(len(org)))
    outcome = random_pairing(problem, np.random.default_rng(data.draw(st.integers(0, 2**16))))
    arcs = set(zip(problem.arc_seeker.tolist(), problem.arc_provider.tolist(), strict=True))
    assert set(outcome.pairs) <= arcs
    counts: dict[tuple[int, int], int] = {}
    for pair in outcome.pairs:
        counts[pair] = counts.get(pair, 0) + 1
    assert max(counts.values(), default=0) <= spec.rounds
    people = {p for pair in outcome.pairs for p in pair}
    assert len(people) + sum(outcome.unmatched.values()) >= len(problem.seekers)
