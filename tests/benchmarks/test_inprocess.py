"""The assign stage's in-process worker on a program that streams: the arcs it saves for the
baselines are every eligible pair, not only the candidates, so the bare flow over them reaches
matcher's optimum."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from benchmarks import assign_inprocess
from benchmarks.arcs import Arcs
from benchmarks.baselines import assign as baselines
from matcher.assignment.compile import compile_program
from tests.support import OrgFiles


def test_saved_arcs_hold_every_eligible_pair_of_a_streamed_program(
    org_files: OrgFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    employees, interactions = org_files
    program = tmp_path / "flow.toml"
    program.write_text(
        f'[data]\nemployees = "{employees}"\ninteractions = "{interactions}"\n\n'
        '[[program]]\nname = "flow"\nkind = "mentor"\nperiod = "2026Q4"\n'
        "seekers = { max_level = 2 }\nproviders = { min_level = 3 }\n"
        'capacity = { default = 2 }\n[program.rules]\nsame_team = "forbidden"\n',
        encoding="utf-8",
    )
    # every program streams here, as programs above 25 million cells do
    streamed = functools.partial(compile_program, stream_above=0, top_per_seeker=2)
    monkeypatch.setattr(assign_inprocess, "compile_program", streamed)
    out = tmp_path / "record.json"
    assign_inprocess.run_inprocess(
        [program], runs=1, seed=1, time_limit=30, out=out, arcs_dir=tmp_path, save={"flow"}
    )
    variant = json.loads(out.read_text(encoding="utf-8"))["variants"]["flow"]
    assert variant["candidates"] < variant["arcs"]
    arcs = Arcs.load(tmp_path / "flow.npz")
    assert len(arcs.arc_seeker) == variant["arcs"]
    assert int(arcs.matcher_chosen.sum()) > 0
    exact = baselines.bare_flow(arcs)["outcome"]
    assert exact["pairs"] == int(arcs.matcher_chosen.sum())
    assert exact["objective"] == pytest.approx(arcs.matcher_objective, abs=1e-4)
    assert variant["flagged_coverable"] <= exact["seekers_covered"]
