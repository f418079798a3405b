"""The assign workers on a program that streams: the in-process worker saves every eligible
pair for the baselines, not only the candidates, so the bare flow over them reaches matcher's
optimum; and ``kernel-cells`` times numpy's blocks and the kernel on the same blocks."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from benchmarks import assign_inprocess
from benchmarks.arcs import Arcs
from benchmarks.baselines import assign as baselines
from benchmarks.kernel_cells import measure, render
from matcher.assignment.compile import compile_program
from tests.support import OrgFiles, RunCli


def _flow_program(org_files: OrgFiles, program: Path) -> None:
    employees, interactions = org_files
    program.write_text(
        f'[data]\nemployees = "{employees}"\ninteractions = "{interactions}"\n\n'
        '[[program]]\nname = "flow"\nkind = "mentor"\nperiod = "2026Q4"\n'
        "seekers = { max_level = 2 }\nproviders = { min_level = 3 }\n"
        'capacity = { default = 2 }\n[program.rules]\nsame_team = "forbidden"\n',
        encoding="utf-8",
    )


def test_saved_arcs_hold_every_eligible_pair_of_a_streamed_program(
    org_files: OrgFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "flow.toml"
    _flow_program(org_files, program)
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


def test_kernel_cells_times_both_ways_on_the_same_blocks(
    org_files: OrgFiles, tmp_path: Path, run_cli: RunCli
) -> None:
    _flow_program(org_files, tmp_path / "flow.toml")
    employees, interactions = org_files
    run_cli("analyze", "--employees", str(employees), "--interactions", str(interactions),
            "--out", str(tmp_path / "analysis"), "--quiet")  # fmt: skip
    costs = measure(tmp_path, sample=5, repeat=1, seed=0)
    assert costs.same and 0 < costs.blocks <= 5 and costs.cells <= costs.all_cells
    assert costs.numpy_ns > 0 and costs.kernel_ns > 0 and costs.kernel_two_ns > 0
    page = render("S", costs, "python -m benchmarks kernel-cells")
    assert (
        "| numba kernel, 1 thread |" in page and "kept scores in every sampled block: yes" in page
    )
