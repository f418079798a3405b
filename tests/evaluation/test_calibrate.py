"""``matcher simulate --calibrate evaluation.json``: the observed tie probabilities and fit
effect replace the model's, and the report says which period they came from."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from matcher.errors import ConfigError
from matcher.io.calibration import read_calibration
from tests.evaluation.conftest import PERIOD, Planted, Quarter
from tests.evaluation.test_evaluate_cli import evaluate_args
from tests.paths import SCENARIOS
from tests.support import RunCli


@pytest.fixture(scope="module")
def evaluation(
    committed_quarter: Quarter,
    planted: Planted,
    run_cli: RunCli,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    folder = tmp_path_factory.mktemp("calibrate")
    out = folder / "eval"
    run_cli(
        *evaluate_args(committed_quarter, planted, committed_quarter.copy_db(folder), out),
        "--quiet",
    )
    return out / "evaluation.json"


def test_the_observed_figures_are_the_evaluations(evaluation: Path) -> None:
    data = json.loads(evaluation.read_text())
    calibration = read_calibration(evaluation)
    assert calibration.period == PERIOD
    for name, block in data["programs"].items():
        observed = calibration.tie_probability[block["kind"]]
        assert observed.estimate == pytest.approx(block["ties_formed"] / block["pairs"])
        assert observed.low <= observed.estimate <= observed.high
        assert observed.programs == (name,)
    overrides = dict(calibration.overrides())
    assert overrides["dynamics.tie_probability.mentor"] == pytest.approx(
        data["programs"]["mentoring"]["tie_rate"], abs=1e-6
    )
    assert "dynamics.fit_effect" in overrides
    assert 0.0 <= overrides["dynamics.fit_effect"] <= 2.0


def test_simulate_uses_the_observed_figures_and_says_where_they_came_from(
    evaluation: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    out = tmp_path / "sim"
    run_cli(
        "simulate", SCENARIOS / "peer-support-staffing.toml", "--out", out,
        "--set", "org.generate.employees=300", "--replications", "1", "--quarters", "1",
        "--set", 'variant.0.sweep={"org.trained_supporters" = [6]}',
        "--calibrate", evaluation, "--quiet",
    )  # fmt: skip
    summary = json.loads((out / "summary.json").read_text())
    calibration = read_calibration(evaluation)
    observed = calibration.tie_probability["peer_support"].estimate
    assert summary["calibration"]["period"] == PERIOD
    assert summary["calibration"]["tie_probability"]["peer_support"]["estimate"] == pytest.approx(
        observed
    )
    page = (out / "report.html").read_text()
    items = re.findall(r"<li>(.*?)</li>", page)
    calibrated = next(i for i in items if i.startswith("Calibrated from the evaluation of"))
    assert f"of {PERIOD} ({evaluation})" in calibrated
    assert f"peer support {observed:.0%} [" in calibrated
    # the model ran with the observed probability, not the scenario's default
    model = next(i for i in items if i.startswith("A matched pair becomes a tie"))
    assert f"peer support {observed:.0%}" in model
    fit = calibration.fit_effect
    assert fit is not None and f"×(1 + {round(fit.estimate, 6)} × (fit" in html.unescape(model)


def test_a_file_that_is_not_an_evaluation_is_an_error(tmp_path: Path, run_cli: RunCli) -> None:
    bad = tmp_path / "evaluation.json"
    bad.write_text('{"scenario": "x"}')
    with pytest.raises(ConfigError, match=r"not an evaluation\.json"):
        read_calibration(bad)
    result = run_cli(
        "simulate", SCENARIOS / "peer-support-staffing.toml", "--out", tmp_path / "o",
        "--calibrate", bad, code=1,
    )  # fmt: skip
    assert "not an evaluation.json" in result.stderr
