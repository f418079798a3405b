"""matcher simulate: scenario files, the dynamics, the grid, resuming, the report in a browser."""

from __future__ import annotations

import csv
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from matcher.analysis.flags import Flag
from matcher.analysis.isolation import analyze
from matcher.assignment.compile import compile_program
from matcher.assignment.population import population
from matcher.assignment.programs import Kind
from matcher.assignment.repeats import History
from matcher.cli import main
from matcher.io.load import load_org
from matcher.io.scenarios import load_base_org, load_scenario
from matcher.simulation.cell import gini, random_pairing, run_cell
from matcher.simulation.grid import grid, run_grid
from matcher.simulation.scenario import Dynamics, OrgSection, apply_override
from matcher.simulation.world import World
from matcher.workflows.simulate import simulate_scenario
from tests.paths import SCENARIOS
from tests.strategies import programs, small_orgs

SIMULATIONS = sorted(p for p in SCENARIOS.glob("*.toml") if "[scenario]" in p.read_text())
SMALL = ("org.generate.employees=300", "scenario.replications=2", "scenario.quarters=2")
TIMING = ("solve_seconds",)
STAFFING_SETTINGS = (
    ("org.generate.employees", 800),
    ("org.hires_per_quarter", 10),
    ("variant.0.sweep", {"org.trained_supporters": [3, 6, 12, 24]}),
    ("scenario.replications", 3),
    ("scenario.quarters", 2),
)
STAFFING = [
    "--set=org.generate.employees=800",
    "--set=org.hires_per_quarter=10",
    '--set=variant.0.sweep={"org.trained_supporters" = [3, 6, 12, 24]}',
    "--replications=3",
    "--quarters=2",
]


def simulate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["simulate", *args], catch_exceptions=False)
    return result.exit_code, result.output


def small_args(scenario: Path, out: Path, *extra: str) -> list[str]:
    args = [str(scenario), "--out", str(out), "--workers", "1", "--quiet"]
    for item in SMALL:
        args += ["--set", item]
    return args + list(extra)


def results(out: Path, *, timing: bool = False) -> list[tuple[str, ...]]:
    with (out / "results.csv").open(newline="") as handle:
        rows = [tuple(r) for r in csv.reader(handle)]
    return [r for r in rows if timing or not r[4].endswith(TIMING)]


def values(out: Path) -> dict[tuple[str, str, int, int], float]:
    """``(variant, metric, seed, quarter)`` → value."""
    rows = results(out)[1:]
    return {(r[0], r[4], int(r[2]), int(r[3])): float(r[5]) for r in rows}


# ------------------------------------------------------------------------- scenario files


def test_there_are_three_simulation_scenarios() -> None:
    names = {p.stem for p in SIMULATIONS}
    assert {"peer-support-staffing", "mentor-capacity", "hiring-wave"} <= names


@pytest.mark.parametrize("scenario", SIMULATIONS, ids=lambda p: p.stem)
def test_each_scenario_runs_on_a_small_org(scenario: Path, tmp_path: Path) -> None:
    code, output = simulate(*small_args(scenario, tmp_path))
    assert code == 0, output
    for name in ("results.csv", "summary.csv", "isolation.png", "coverage.png", "report.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = json.loads((tmp_path / "summary.json").read_text())
    _, variants = load_scenario(scenario, (("org.generate.employees", 300),))
    assert summary["cells"] == 2 * len(variants)
    assert any(v.pairing == "random" for v in variants), "the random baseline is always included"
    rows = results(tmp_path)
    assert rows[0] == ("variant", "pairing", "seed", "quarter", "metric", "value")
    quarters = {int(r[3]) for r in rows[1:]}
    assert quarters == {0, 1, 2}
    metrics = {r[4] for r in rows[1:]}
    for metric in ("isolated_share", "peripheral_share", "flagged_coverage", "new_strong_ties"):
        assert metric in metrics
    assert summary["answer"], "the report states its answer"


def test_a_scenario_on_org_files_relative_to_it(tmp_path: Path) -> None:
    code = CliRunner().invoke(
        main, ["generate", "--employees", "250", "--seed", "4", "--out", str(tmp_path / "org")]
    )
    assert code.exit_code == 0, code.output
    text = (SCENARIOS / "mentor-capacity.toml").read_text()
    text = text.replace(
        "generate = { employees = 5000, seed = 7 }",
        'employees = "org/employees.csv"\ninteractions = "org/interactions.csv"',
    )
    (tmp_path / "files.toml").write_text(text)
    out = tmp_path / "out"
    code_, output = simulate(
        str(tmp_path / "files.toml"), "--out", str(out), "--replications=1", "--quarters=1"
    )
    assert code_ == 0, output
    org, _ = load_org(tmp_path / "org" / "employees.csv", tmp_path / "org" / "interactions.csv")
    assert values(out)[("mentees per mentor: default=1", "employees", 0, 0)] == len(org)


def test_variants_expand_sweeps_and_validate_each(tmp_path: Path) -> None:
    base, variants = load_scenario(SCENARIOS / "peer-support-staffing.toml")
    optimal = [v for v in variants if v.pairing == "optimal"]
    assert [v.scenario.org.trained_supporters for v in optimal] == [20, 40, 60, 80]
    assert variants[-1].pairing == "random"
    assert variants[-1].scenario == optimal[0].scenario
    assert base.org.trained_supporters is None


def test_override_paths() -> None:
    data: dict[str, object] = {"org": {}, "program": [{"name": "a"}, {"name": "b"}]}
    apply_override(data, "program.b.capacity.default", 3)
    assert data["program"] == [{"name": "a"}, {"name": "b", "capacity": {"default": 3}}]
    apply_override(data, "per_seeker", 2)
    assert all(p["per_seeker"] == 2 for p in data["program"])  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="no program named 'c'"):
        apply_override(data, "program.c.per_seeker", 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[scenario]\nname = "x"\nquartrs = 2\n', "scenario.quartrs: unknown key"),
        ("", "scenario: Field required"),
    ],
)
def test_bad_scenario_files_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    source = (SCENARIOS / "peer-support-staffing.toml").read_text()
    body = source.split("[org]", 1)[1]
    (tmp_path / "bad.toml").write_text(text + "[org]" + body)
    code, output = simulate(str(tmp_path / "bad.toml"), "--out", str(tmp_path / "o"))
    assert code == 1
    assert "bad.toml" in output and message in output
    assert "Traceback" not in output


def test_bad_override_and_bad_variant_are_user_errors(tmp_path: Path) -> None:
    scenario = SCENARIOS / "peer-support-staffing.toml"
    code, output = simulate(str(scenario), "--out", str(tmp_path), "--set", "program.nope.x=1")
    assert code == 1 and "no program named 'nope'" in output
    text = scenario.read_text().replace('"org.trained_supporters"', '"org.trained_supporter"')
    (tmp_path / "s.toml").write_text(text)
    code, output = simulate(str(tmp_path / "s.toml"), "--out", str(tmp_path / "o"))
    assert code == 1 and "variant[0]" in output and "trained_supporter" in output
    assert "Traceback" not in output


# ------------------------------------------------------------------------------ dynamics


def test_a_formed_tie_lifts_an_isolated_person_out_of_isolation() -> None:
    section = OrgSection.model_validate(
        {"generate": {"employees": 300, "seed": 3}, "attrition_per_quarter": 0}
    )
    org = load_base_org(section)
    dynamics = Dynamics(tie_probability={Kind.PEER_SUPPORT: 1.0}, fit_effect=0)
    world = World.start(org, section, dynamics, seed=1, replication=0)
    analysis = analyze(world.org())
    isolated = [i for i, p in enumerate(analysis.people) if Flag.ISOLATED in p.flags]
    assert len(isolated) >= 4
    partners = [i for i, p in enumerate(analysis.people) if p.strong_ties >= 3][: len(isolated)]
    pairs = list(zip(isolated, partners, strict=False))
    assert world.form_ties(pairs, Kind.PEER_SUPPORT, [0.5] * len(pairs)) == len(pairs)
    world.advance()
    after = analyze(world.org())
    index = after.graph.strong
    for a, b in pairs:
        assert Flag.ISOLATED not in after.people[a].flags
        assert index[a, b]


def test_departures_rewire_reports_and_hires_join_teams() -> None:
    section = OrgSection.model_validate(
        {
            "generate": {"employees": 400, "seed": 5},
            "attrition_per_quarter": 0.1,
            "hires_per_quarter": 25,
        }
    )
    world = World.start(load_base_org(section), section, Dynamics(), seed=2, replication=1)
    before = len(world.people)
    left, hired = world.advance()
    assert left == round(0.1 * before) and hired == 25
    people = world.people.values()
    ids = {e.id for e in people}
    assert all(e.manager_id is None or e.manager_id in ids for e in people)
    hires = [e for e in people if e.id.startswith("H01-")]
    assert len(hires) == 25
    org = world.org()
    analysis = analyze(org)
    assert sum("new_hire" in p.flags for p in analysis.people) >= 25


def test_role_levers_are_nested_across_variants() -> None:
    section = OrgSection.model_validate({"generate": {"employees": 600, "seed": 5}})
    holders = []
    for count in (10, 30):
        lever = section.model_copy(update={"trained_supporters": count})
        world = World.start(load_base_org(section), lever, Dynamics(), seed=9, replication=0)
        org = world.org()
        org = world.apply_role_levers(analyze(org), org)
        holders.append({e.id for e in org.employees if "peer_supporter" in e.roles})
    assert [len(h) for h in holders] == [10, 30]
    assert holders[0] <= holders[1]


@given(st.data())
def test_random_pairing_keeps_capacity_and_rules(data: st.DataObject) -> None:
    org = data.draw(small_orgs(min_people=4, max_people=9))
    spec = data.draw(programs(org, side_constraints=False))
    problem = compile_program(spec, population(org, analyze(org)), History.empty(len(org)))
    seed = data.draw(st.integers(0, 2**16))
    outcome = random_pairing(problem, np.random.default_rng(seed))
    arcs = set(zip(problem.arc_seeker.tolist(), problem.arc_provider.tolist(), strict=True))
    assert set(outcome.pairs) <= arcs
    load = np.bincount([p for _, p in outcome.pairs], minlength=len(problem.providers))
    assert (load <= problem.capacity).all()
    per_seeker = np.bincount([s for s, _ in outcome.pairs], minlength=len(problem.seekers))
    assert (per_seeker <= problem.per_seeker).all()
    served = int((per_seeker > 0).sum())
    assert served + sum(outcome.unmatched.values()) == len(problem.seekers)


def test_gini() -> None:
    assert gini(np.array([2, 2, 2])) == 0
    assert gini(np.array([0, 0, 0, 0, 5])) == pytest.approx(0.8)
    assert gini(np.array([])) == 0


# -------------------------------------------------------------------- grid and properties


@pytest.fixture(scope="module")
def staffing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The staffing sweep on a small org, run once in parallel for several tests."""
    out = tmp_path_factory.mktemp("staffing")
    code, output = simulate(
        str(SCENARIOS / "peer-support-staffing.toml"),
        "--out",
        str(out),
        *STAFFING,
        "--workers",
        "2",
        "--quiet",
    )
    assert code == 0, output
    return out


def test_same_seed_same_results_serial_or_parallel(staffing: Path, tmp_path: Path) -> None:
    serial = tmp_path / "serial"
    code, output = simulate(
        str(SCENARIOS / "peer-support-staffing.toml"),
        "--out",
        str(serial),
        *STAFFING,
        "--workers",
        "1",
        "--quiet",
    )
    assert code == 0, output
    assert results(serial) == results(staffing)


def test_more_supporters_never_lower_expected_coverage(staffing: Path) -> None:
    table = values(staffing)
    coverage: dict[str, list[float]] = defaultdict(list)
    for (variant, metric, _, _), value in table.items():
        if metric == "flagged_coverage" and "random" not in variant:
            coverage[variant].append(value)
    order = sorted(coverage, key=lambda label: int(label.rsplit("=", 1)[1]))
    means = [float(np.mean(coverage[label])) for label in order]
    # Noise bound: replications share their random numbers (common random numbers), so a
    # larger pool can only lose through later-quarter divergence; allow 2 points of it.
    for low, high in itertools.pairwise(means):
        assert high >= low - 0.02, (order, means)
    assert means[-1] > means[0], "the sweep must matter on this org"


def test_random_baseline_never_beats_the_optimiser(staffing: Path) -> None:
    table = values(staffing)
    labels = {variant for variant, *_ in table}
    twin = next(label for label in labels if "random" in label)
    optimal = twin.split(" · ")[0]
    for (variant, metric, seed, quarter), value in table.items():
        if variant != twin or metric != "flagged_coverage":
            continue
        best = table[(optimal, metric, seed, quarter)]
        if quarter == 0:  # the same org and flags: the optimum covers at least as many
            assert best >= value
    mean_random = np.mean(
        [v for (var, m, _, _), v in table.items() if var == twin and m == "flagged_coverage"]
    )
    mean_optimal = np.mean(
        [v for (var, m, _, _), v in table.items() if var == optimal and m == "flagged_coverage"]
    )
    assert mean_optimal >= mean_random


def test_interrupted_run_resumes_with_identical_results(staffing: Path, tmp_path: Path) -> None:
    scenario = SCENARIOS / "peer-support-staffing.toml"
    overrides = STAFFING_SETTINGS

    class Stop(Exception):
        pass

    def stop_after_three(done: int, _total: int) -> None:
        if done >= 3:
            raise Stop

    with pytest.raises(Stop):
        simulate_scenario(scenario, tmp_path, overrides=overrides, progress=stop_after_three)
    assert not (tmp_path / "results.csv").exists(), "no final output from a cut run"
    assert len(list((tmp_path / "cells").glob("*.json"))) == 3
    summary = simulate_scenario(scenario, tmp_path, overrides=overrides)
    assert summary["reused_cells"] == 3
    assert results(tmp_path) == results(staffing)


def running_simulation(out: Path, *, start_new_session: bool = False) -> subprocess.Popen[str]:
    """``matcher simulate`` of 24 runs on 2 workers in a child process, once its first run
    is kept in ``out`` (or after two minutes)."""
    command = [str(Path(sys.executable).with_name("matcher")), "simulate"]
    command += [str(SCENARIOS / "hiring-wave.toml"), "--out", str(out)]
    command += ["--set=org.generate.employees=300", "--replications=6", "--workers=2"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=start_new_session,
    )
    deadline = time.monotonic() + 120
    while not list((out / "cells").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    return process


def test_ctrl_c_keeps_finished_runs_and_says_how_to_resume(tmp_path: Path) -> None:
    process = running_simulation(tmp_path, start_new_session=True)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    kept = len(list((tmp_path / "cells").glob("*.json")))
    assert kept >= 1 and f"{kept} of 24 runs are kept" in err
    assert "Traceback" not in err
    assert not (tmp_path / "results.csv").exists()


def test_a_worker_killed_is_a_clear_error_that_keeps_finished_runs(tmp_path: Path) -> None:
    """A worker that dies (the kernel's out-of-memory killer) ends the run with exit 1 and a
    message, not a BrokenProcessPool traceback; the finished runs stay for a resume."""
    process = running_simulation(tmp_path)
    children = subprocess.run(
        ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()

    def cmdline(pid: str) -> bytes:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:  # it has just ended
            return b""

    workers = [c for c in children if b"spawn_main" in cmdline(c)]
    assert workers, "no worker process found"  # (not the resource tracker: it is no worker)
    for child in workers:
        os.kill(int(child), signal.SIGKILL)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:  # every cell finished before the kill landed
        return
    assert process.returncode == 1, err
    assert "ended abruptly" in err and "Traceback" not in err
    assert list((tmp_path / "cells").glob("*.json"))


def _staffing_on_dask(out: Path, *scheduler: str) -> tuple[int, str]:
    """The staffing scenario simulated on Dask (``scheduler``: its options) into ``out``."""
    return simulate(
        str(SCENARIOS / "peer-support-staffing.toml"),
        "--out",
        str(out),
        *STAFFING,
        "--executor",
        "dask",
        *scheduler,
        "--quiet",
    )


def test_dask_cluster_gives_the_same_results(staffing: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        code, output = _staffing_on_dask(tmp_path, "--scheduler", cluster.scheduler_address)
    assert code == 0, output
    assert results(tmp_path) == results(staffing)


def test_local_dask_cluster_of_processes_gives_the_process_pools_results(
    staffing: Path, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    code, output = _staffing_on_dask(tmp_path, "--scheduler", "local", "--workers", "2")
    assert code == 0, output
    assert results(tmp_path) == results(staffing)


def test_dask_without_a_scheduler_is_a_usage_error(tmp_path: Path) -> None:
    code, output = simulate(
        str(SCENARIOS / "hiring-wave.toml"), "--out", str(tmp_path), "--executor", "dask"
    )
    assert code == 2 and "--scheduler" in output


def test_cells_run_alone_equal_cells_run_in_a_grid(staffing: Path) -> None:
    _, variants = load_scenario(SCENARIOS / "peer-support-staffing.toml", STAFFING_SETTINGS)
    cell = grid(variants, 3, load_base_org)[-1]
    alone = run_cell(cell)
    again = run_grid([cell])[0]
    strip = [r for r in alone.rows if not r[1].endswith(TIMING)]
    assert strip == [r for r in again.rows if not r[1].endswith(TIMING)]


def test_quarter_zero_is_analysed_once_and_betweenness_only_for_connector_programs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matcher.simulation.cell as cell_module

    calls: list[bool] = []

    def counted(*args: object, connectors: bool = True) -> object:
        calls.append(connectors)
        return analyze(*args, connectors=connectors)  # type: ignore[arg-type]

    monkeypatch.setattr(cell_module, "analyze", counted)
    monkeypatch.setattr(cell_module, "_FIRST", {})
    settings = (*STAFFING_SETTINGS[:3], ("scenario.quarters", 1))
    _, variants = load_scenario(SCENARIOS / "peer-support-staffing.toml", settings)
    first, second = grid(variants[:2], 1, load_base_org)
    one, two = run_cell(first), run_cell(second)
    assert calls == [False, False, False], "quarter 0 once, then each cell's quarter 1"
    network = ("employees", "isolated", "peripheral", "flagged", "strong_ties_mean")
    assert [r for r in one.rows if r[0] == 0 and r[1] in network] == [
        r for r in two.rows if r[0] == 0 and r[1] in network
    ], "the same org at quarter 0"
    calls.clear()
    monkeypatch.setattr(cell_module, "_FIRST", {})
    connector = ("program.peer-support.providers", {"flags": ["connector"]})
    _, variants = load_scenario(SCENARIOS / "peer-support-staffing.toml", (*settings, connector))
    run_cell(grid(variants[:1], 1, load_base_org)[0])
    assert calls == [True, True]


# ---------------------------------------------------------------------------- the report


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_report_renders_in_headless_chromium(staffing: Path) -> None:
    browser_path = _chromium()
    if browser_path is None:
        if os.environ.get("CI") or os.environ.get("MATCHER_REQUIRE_BROWSER"):
            pytest.fail(
                "Chromium is required in CI (apt-get install chromium); .ci/run installs it"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((staffing / "report.html").as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
        )
        answer = page.inner_text("#answer")
        rows = page.eval_on_selector_all("#results tbody tr", "els => els.length")
        browser.close()
    assert errors == []
    assert len(images) == 2
    assert all(done and width > 300 and height > 200 for done, width, height in images)
    assert "trained supporters" in answer and "%" in answer
    assert rows == 5
