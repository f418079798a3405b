"""docs/performance.md and the README's summary: generated from the result files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.performance import BEGIN, END, generate, replace_summary, write_docs
from benchmarks.results import load_report
from benchmarks.runner import newest_reports
from tests.benchmarks.runs import benchmarks, one
from tests.paths import ROOT

RESULTS = ROOT / "benchmarks" / "results"


def test_committed_page_and_summary_are_the_generated_ones() -> None:
    """docs/performance.md and the README's summary are what `readme --write` makes of the
    recorded results: regenerate them, never edit them."""
    page, summary = generate(RESULTS, ROOT)
    assert (ROOT / "docs" / "performance.md").read_text(encoding="utf-8") == page
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme[readme.index(BEGIN) + len(BEGIN) + 1 : readme.index(END)] == summary
    assert generate(RESULTS, ROOT) == (page, summary)  # deterministic


def test_the_page_quotes_every_reports_figures_and_commands() -> None:
    page, summary = generate(RESULTS, ROOT)
    found = newest_reports(RESULTS)
    assert found
    for paths, report in found:
        for path in paths:
            assert f"`{path.relative_to(ROOT)}`" in page
        for figure in report.figures:
            if figure.id.endswith(".cli"):
                assert f"`{figure.command}`" in page, figure.id
    lines = [line for line in summary.splitlines() if line.startswith("- ")]
    assert 8 <= len(lines) <= 17
    for line in lines:  # every figure with the command that produced it
        if not line.startswith(("- targets", "- growth")):  # counts over the figures above
            assert "`python -m benchmarks " in line, line


def test_write_docs_updates_the_page_and_the_summary_once(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(f"# x\n\n{BEGIN}\nstale\n{END}\n\nmore\n", "utf-8")
    assert write_docs(RESULTS, tmp_path) == [
        tmp_path / "docs/performance.md",
        tmp_path / "README.md",
    ]
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "stale" not in readme and readme.endswith(f"{END}\n\nmore\n")
    assert write_docs(RESULTS, tmp_path) == []
    with pytest.raises(ValueError, match="no <!-- performance summary"):
        replace_summary("# no markers\n", "x")


def test_readme_section_comes_from_the_newest_results(results: Path, tmp_path: Path) -> None:
    source = one(results, "*.json")
    (tmp_path / "2000-01-01-S.json").write_text("{}", encoding="utf-8")  # older: ignored
    (tmp_path / source.name.replace("-XS.json", "-S.json")).write_bytes(source.read_bytes())
    done = benchmarks("readme", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Performance\n")
    report = json.loads(source.read_text(encoding="utf-8"))
    cli = next(f for f in report["figures"] if f["id"] == "analyze.cli")
    assert f"`{cli['command']}`" in done.stdout


def test_readme_shows_the_assign_results(assign_results: Path, tmp_path: Path) -> None:
    source = one(assign_results, "*.json")
    as_l = load_report(source).model_copy(update={"size": "L"})
    (tmp_path / source.name.replace("-XS.json", "-L.json")).write_text(
        as_l.model_dump_json(), encoding="utf-8"
    )
    done = benchmarks("readme", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "## Assignments against the baselines (size L" in done.stdout
    assert "matcher assign, end to end (CLI): (c)" in done.stdout


def test_readme_combines_the_newest_run_of_each_stage(
    results: Path, assign_results: Path, tmp_path: Path
) -> None:
    analyze_only = one(results, "????-??-??-XS.json")
    (tmp_path / "2000-01-02-S.json").write_bytes(analyze_only.read_bytes())
    merged = load_report(one(assign_results, "????-??-??-XS.json"))
    assign_only = merged.model_copy(
        update={
            "date": "2000-01-03",
            "stages": ["assign"],
            "figures": [f for f in merged.figures if f.stage == "assign"],
            "steps": [s for s in merged.steps if s.stage == "assign"],
            "quality": [],
            "agreement": [],
            "targets": [t for t in merged.targets if t.stage == "assign"],
            "stage_notes": {"assign": merged.stage_notes["assign"]},
            "earlier": [],
        }
    )
    (tmp_path / "2000-01-03-S.json").write_text(assign_only.model_dump_json(), encoding="utf-8")
    done = benchmarks("readme", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "2000-01-02-S.json" in done.stdout and "2000-01-03-S.json" in done.stdout
    by_id = {f.id: f for f in merged.figures}
    for figure_id in ("analyze.cli", "assign.flow.cli"):
        assert f"`{by_id[figure_id].command}`" in done.stdout


def test_assign_at_scale_pages_are_read_row_by_row(tmp_path: Path) -> None:
    """Each size's newest ``<date>-assign-<size>.md`` gives one line per figure, quoting the
    benchmark command that produced it, in the README's summary too."""
    from benchmarks.performance import read_scale_runs, render_summary

    header = (
        "| figure | wall (median) | peak memory | status | eligible pairs | targets | command |\n"
        "|---|---:|---:|---|---:|---|---|\n"
    )
    for date, size, wall in (("2026-01-01", "L", "99 s"), ("2026-01-02", "L", "13 s"),
                             ("2026-01-02", "XL", "300 s")):  # fmt: skip
        (tmp_path / f"{date}-assign-{size}.md").write_text(
            f"# Assign at {size}\n\nProduced by `python -m benchmarks assign-scale --size {size}`"
            f" on 2 CPUs.\n\n{header}| matcher assign x | {wall} | 1 GiB | optimal | 9 | "
            "time ≤ 1 s: missed | `matcher assign p.toml` |\n\nnotes\n",
            encoding="utf-8",
        )
    runs = read_scale_runs(tmp_path, tmp_path)
    assert [(run.size, run.wall) for run in runs] == [("L", "13 s"), ("XL", "300 s")]
    assert runs[1].line() == (
        "- XL, assign x: 300 s, peak 1 GiB; optimal, over 9 eligible pairs (time ≤ 1 s: "
        "missed). `python -m benchmarks assign-scale --size XL`, `2026-01-02-assign-XL.md`"
    )
    summary = render_summary([report for _, report in newest_reports(RESULTS)], [], runs)
    assert "- XL, assign x: 300 s" in summary and "- L, assign x: 13 s" in summary
    assert "99 s" not in summary  # an older page of the same size
