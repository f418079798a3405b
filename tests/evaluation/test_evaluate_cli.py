"""``matcher evaluate`` end to end: the files it writes, what it records, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from matcher.history import History, HistoryError
from tests.evaluation.conftest import PERIOD, Planted, Quarter, read_csv, write_follow_up
from tests.support import RunCli

CONTRACT_PROGRAM_KEYS = {
    "run_id",
    "pairs",
    "met",
    "met_rate",
    "ties_formed",
    "tie_rate",
    "flagged_matched",
    "flagged_unmatched",
    "flagged_matched_tie_share",
    "flagged_unmatched_tie_share",
    "effect",
}


def evaluate_args(quarter: Quarter, planted: Planted, db: Path, out: Path) -> list[str | Path]:
    return [
        "evaluate",
        "--db",
        db,
        "--period",
        PERIOD,
        "--employees",
        quarter.files.employees,
        "--interactions",
        planted.interactions,
        "--before-interactions",
        quarter.files.interactions,
        "--out",
        out,
    ]


def outcomes_in(db: Path) -> dict[tuple[str, str, str], tuple[bool, bool | None]]:
    with History(db) as history:
        return {
            (run.run_id, o.seeker_id, o.provider_id): (o.met, o.tie_formed)
            for run in history.runs()
            for o in history.outcomes(run.run_id)
        }


def test_evaluate_writes_the_contract_files_and_names_nobody(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    out = tmp_path / "out"
    result = run_cli(*evaluate_args(committed_quarter, planted, db, out), "--json")
    summary = json.loads(result.stdout)
    data = json.loads((out / "evaluation.json").read_text())
    assert summary == data
    assert set(data["programs"]) == {"peer-support", "mentoring"}
    for block in data["programs"].values():
        assert set(block) >= CONTRACT_PROGRAM_KEYS
        assert {"estimate", "ci95", "method"} <= set(block["effect"])
        assert block["run_id"] == f"{block['program']}@{PERIOD}#1"
        assert 0 <= block["met_rate"] <= 1 and 0 <= block["tie_rate"] <= 1
    assert {"isolated_before", "isolated_after"} <= set(data["org"])
    assert data["periods"][0]["period"] == PERIOD and data["answer"]
    rows = read_csv(out / "scorecard.csv")
    assert list(rows[0]) == ["period", "program", "metric", "value", "ci_low", "ci_high"]
    met_rate = next(r for r in rows if r["program"] == "mentoring" and r["metric"] == "met_rate")
    low, high = data["programs"]["mentoring"]["met_rate_ci95"]
    assert float(met_rate["ci_low"]) == pytest.approx(low)
    assert float(met_rate["ci_high"]) == pytest.approx(high)
    assert any(r["program"] == "(org)" and r["metric"] == "isolated_after" for r in rows)
    # no file names anyone: not a flagged person, not even a pair
    ids = set(re.findall(r"E\d{6}", committed_quarter.files.employees.read_text()))
    for name in ("evaluation.json", "scorecard.csv", "scorecard.html"):
        text = (out / name).read_text()
        named = ids & set(re.findall(r"E\d{6}", text))
        assert not named, (name, sorted(named)[:3])
    assert "peer-support (2026Q4):" in result.stderr


def test_evaluating_again_replaces_the_recorded_outcomes(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    run_cli(*evaluate_args(committed_quarter, planted, db, tmp_path / "a"), "--quiet")
    first = outcomes_in(db)
    assert len(first) == len(committed_quarter.pairs)
    run_cli(*evaluate_args(committed_quarter, planted, db, tmp_path / "b"), "--quiet")
    assert outcomes_in(db) == first
    other = write_follow_up(tmp_path / "other", committed_quarter, seed=7)
    run_cli(*evaluate_args(committed_quarter, other, db, tmp_path / "c"), "--quiet")
    again = outcomes_in(db)
    assert set(again) == set(first)
    truth = dict(
        zip(
            zip(
                other.truth.pairs.column("seeker_id").to_pylist(),
                other.truth.pairs.column("provider_id").to_pylist(),
                strict=True,
            ),
            other.truth.pairs.column("met").to_pylist(),
            strict=True,
        )
    )
    assert all(met == truth[(s, p)] for (_, s, p), (met, _) in again.items())
    # --no-record leaves them as they are
    run_cli(
        *evaluate_args(committed_quarter, planted, db, tmp_path / "d"), "--no-record", "--quiet"
    )
    assert outcomes_in(db) == again


def test_evaluate_with_the_saved_analysis_and_a_pseudonymisation_key(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    key = tmp_path / "key"
    key.write_text("a key of at least sixteen bytes")
    files = committed_quarter.files
    analysis = tmp_path / "analysis"
    run_cli(
        "analyze", "--employees", files.employees, "--interactions", files.interactions,
        "--as-of", "2026-09-30", "--out", analysis, "--pseudonymize", "--key-file", key, "--quiet",
    )  # fmt: skip
    out = tmp_path / "out"
    run_cli(
        "evaluate", "--db", committed_quarter.copy_db(tmp_path), "--period", PERIOD,
        "--employees", files.employees, "--interactions", planted.interactions,
        "--before-analysis", analysis, "--out", out, "--pseudonymize", "--key-file", key,
        "--quiet",
    )  # fmt: skip
    data = json.loads((out / "evaluation.json").read_text())
    assert data["before"].startswith(f"the analysis in {analysis}")
    assert data["org"]["isolated_before"] is not None
    assert all(b["effect"]["estimate"] is not None for b in data["programs"].values())


def test_all_periods_give_the_scorecard_over_time(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    db = committed_quarter.copy_db(tmp_path)
    earlier = tmp_path / "q3.csv"
    earlier.write_text(
        "program,seeker_id,provider_id,period\n"
        + "".join(f"mentoring,{s},{p},2026Q3\n" for s, p in committed_quarter.pairs[:30])
    )
    run_cli("history", "import", earlier, "--db", db, "--quiet")
    out = tmp_path / "out"
    run_cli(
        "evaluate", "--db", db, "--all-periods", "--employees", committed_quarter.files.employees,
        "--interactions", planted.interactions, "--before-interactions",
        committed_quarter.files.interactions, "--out", out, "--quiet",
    )  # fmt: skip
    data = json.loads((out / "evaluation.json").read_text())
    assert [p["period"] for p in data["periods"]] == ["2026Q3", PERIOD]
    assert data["period"] == PERIOD
    assert "mentoring" in data["periods"][0]["programs"]
    assert any("met rate" in s and "2026Q3" in s for s in data["answer"])
    rows = read_csv(out / "scorecard.csv")
    assert {r["period"] for r in rows} == {"2026Q3", PERIOD}
    assert (out / "scorecard.html").read_text().count("<img") == 3


def test_all_periods_leave_out_a_period_the_interactions_have_not_reached(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    """HR committed next quarter already: ``--all-periods`` judges the periods the interactions
    reach and says which it left out; ``--period`` of that quarter is an error (exit 1)."""
    db = committed_quarter.copy_db(tmp_path)
    later = tmp_path / "q1.csv"
    later.write_text(
        "program,seeker_id,provider_id,period\n"
        + "".join(f"mentoring,{s},{p},2027Q1\n" for s, p in committed_quarter.pairs[:10])
    )
    run_cli("history", "import", later, "--db", db, "--quiet")
    files = committed_quarter.files
    common = ["--employees", files.employees, "--interactions", planted.interactions]
    out = tmp_path / "out"
    result = run_cli("evaluate", "--db", db, "--all-periods", *common, "--out", out)
    assert "2027Q1: not judged" in result.output
    data = json.loads((out / "evaluation.json").read_text())
    assert [p["period"] for p in data["periods"]] == [PERIOD]
    refused = run_cli(
        "evaluate", "--db", db, "--period", "2027Q1", *common, "--out", tmp_path / "x", code=1
    )
    assert "before the evaluation window of 2027Q1 starts" in refused.output


def test_a_survey_gives_the_share_who_say_they_have_someone(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    ids = [s for s, _ in committed_quarter.pairs[:20]]
    survey = tmp_path / "survey.csv"
    survey.write_text(
        "respondent_id,submitted,has_someone,turn_to\n"
        + "".join(f"{i},2026-12-10,{'true' if k % 4 else 'false'},\n" for k, i in enumerate(ids))
    )
    out = tmp_path / "out"
    run_cli(
        *evaluate_args(committed_quarter, planted, committed_quarter.copy_db(tmp_path), out),
        "--survey", survey, "--quiet",
    )  # fmt: skip
    data = json.loads((out / "evaluation.json").read_text())
    assert data["org"]["survey_after"]["respondents"] == 20
    assert data["org"]["survey_after"]["has_someone_share"] == pytest.approx(15 / 20)
    assert any("say they have someone" in s for s in data["answer"])


# ---------------------------------------------------------------------------- bad input


def test_a_period_without_a_committed_run_is_an_error(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    args = evaluate_args(
        committed_quarter, planted, committed_quarter.copy_db(tmp_path), tmp_path / "o"
    )
    args[args.index(PERIOD)] = "2027Q1"
    result = run_cli(*args, code=1)
    assert "no committed run for period 2027Q1" in result.stderr
    assert "committed periods: 2026Q4" in result.stderr
    assert not (tmp_path / "o" / "evaluation.json").exists()


def test_interactions_that_end_before_the_run_are_an_error(
    committed_quarter: Quarter, run_cli: RunCli, tmp_path: Path
) -> None:
    before = Planted(committed_quarter.files.interactions, None)  # type: ignore[arg-type]
    result = run_cli(
        *evaluate_args(
            committed_quarter, before, committed_quarter.copy_db(tmp_path), tmp_path / "o"
        ),
        code=1,
    )
    assert str(committed_quarter.files.interactions) in result.stderr
    assert "column 'timestamp'" in result.stderr and "ends on 2026-09-30" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_of_another_org_is_an_error(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    db = tmp_path / "other.db"
    rows = tmp_path / "other.csv"
    rows.write_text(
        "program,seeker_id,provider_id,period\n"
        + "".join(f"mentoring,X{k},Y{k},{PERIOD}\n" for k in range(10))
    )
    run_cli("history", "import", rows, "--db", db, "--quiet")
    result = run_cli(*evaluate_args(committed_quarter, planted, db, tmp_path / "o"), code=1)
    assert "another organisation" in result.stderr and "'X0'" in result.stderr


def test_a_malformed_interaction_names_its_file_row_and_column(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    lines = planted.interactions.read_text().splitlines()
    lines[2] = lines[2].replace(lines[2].split(",")[2], "yesterday")
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n")
    result = run_cli(
        *evaluate_args(
            committed_quarter,
            Planted(broken, planted.truth),
            committed_quarter.copy_db(tmp_path),
            tmp_path / "o",
        ),
        code=1,
    )
    assert f"{broken}, row 3, column 'timestamp'" in result.stderr


def test_a_missing_database_is_an_error(
    committed_quarter: Quarter, planted: Planted, run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(
        *evaluate_args(committed_quarter, planted, tmp_path / "none.db", tmp_path / "o"), code=1
    )
    assert "no history database" in result.stderr
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--all-periods"], "--period P or --all-periods"),
        (["--before-analysis", "x"], "not both"),
    ],
)
def test_options_that_do_not_fit_together_are_usage_errors(
    committed_quarter: Quarter,
    planted: Planted,
    run_cli: RunCli,
    tmp_path: Path,
    extra: list[str],
    message: str,
) -> None:
    args = evaluate_args(
        committed_quarter, planted, committed_quarter.copy_db(tmp_path), tmp_path / "o"
    )
    result = run_cli(*args, *extra, code=2)
    assert message in result.stderr


def test_outcomes_and_outputs_land_together_or_not_at_all(
    committed_quarter: Quarter,
    planted: Planted,
    run_cli: RunCli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failed write records no outcome; a failed record publishes no scorecard."""
    db = committed_quarter.copy_db(tmp_path)
    out = tmp_path / "out"

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("matcher.io.write.OutputDir.write_csv", full_disk)
        result = run_cli(*evaluate_args(committed_quarter, planted, db, out), code=1)
    assert "Traceback" not in result.output
    assert outcomes_in(db) == {} and not (out / "evaluation.json").exists()

    def locked(*_args: object, **_kwargs: object) -> None:
        raise HistoryError(f"{db}: cannot write (database is locked)")

    with monkeypatch.context() as patch:
        patch.setattr("matcher.history.History.record_evaluation", locked)
        run_cli(*evaluate_args(committed_quarter, planted, db, out), code=1)
    assert outcomes_in(db) == {} and not (out / "evaluation.json").exists()
    run_cli(*evaluate_args(committed_quarter, planted, db, out), "--quiet")
    assert len(outcomes_in(db)) == len(committed_quarter.pairs)
    assert (out / "evaluation.json").exists()
