"""scorecard.html in headless Chromium: it loads without errors, its charts render, the answer
comes first and the definitions and caveats last, and the quartile table opens on a click."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.evaluation.conftest import PERIOD, Planted, Quarter
from tests.support import RunCli


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser_path() -> str:
    path = _chromium()
    if path is None:
        if os.environ.get("CI") or os.environ.get("MATCHER_REQUIRE_BROWSER"):
            pytest.fail(
                "Chromium is required in CI (apt-get install chromium); .ci/run installs it"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


def test_the_scorecard_reads_and_clicks_through_in_chromium(
    committed_quarter: Quarter,
    planted: Planted,
    run_cli: RunCli,
    tmp_path: Path,
    browser_path: str,
) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "out"
    run_cli(
        "evaluate", "--db", committed_quarter.copy_db(tmp_path), "--period", PERIOD,
        "--employees", committed_quarter.files.employees, "--interactions", planted.interactions,
        "--before-interactions", committed_quarter.files.interactions, "--out", out, "--quiet",
    )  # fmt: skip
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                errors.append(f"fetched {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        page.goto((out / "scorecard.html").as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all(
            "img", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])"
        )
        answer = page.inner_text("#answer")
        order = page.evaluate(
            "['answer', 'programs', 'definitions', 'caveats', 'sizes']"
            ".map(id => document.getElementById(id).getBoundingClientRect().top + window.scrollY)"
        )
        rows = page.eval_on_selector_all("#programs tbody tr", "els => els.map(e => e.innerText)")
        quartiles = page.locator("#quartiles table")
        hidden_before = not quartiles.is_visible()
        page.click("#quartiles summary")
        shown_after = quartiles.is_visible()
        quartile_rows = page.eval_on_selector_all("#quartiles tbody tr", "els => els.length")
        caveats = page.inner_text("#caveats + ul")
        browser.close()
    assert errors == []
    assert len(images) == 2
    assert all(done and width > 300 and height > 200 for done, width, height in images)
    assert "pairs met" in answer and "%" in answer
    assert order == sorted(order)  # the answer first, definitions and caveats last
    assert len(rows) == 2 and any(r.startswith("peer-support") for r in rows)
    assert hidden_before and shown_after
    assert quartile_rows == 8  # two programs, four quartiles each
    assert "observational" in caveats
