"""``matcher review``: the local review page, clicked through in headless Chromium (review,
lock, forbid, drop, re-solve, diff, approve, reject), its token and its address."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.review import ReviewServer, serve
from tests.review.conftest import propose
from tests.support import RunCli

ROOT = Path(__file__).resolve().parents[2]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") or os.environ.get("MATCHER_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required in CI (apt-get install chromium); .ci/run installs it")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


@pytest.fixture
def quarter(small_program: Path, tmp_path: Path, run_cli: RunCli) -> tuple[Path, str]:
    """A history with one proposal of the small mentoring program."""
    db = tmp_path / "matcher.db"
    return db, propose(run_cli, small_program, tmp_path / "out", db)


@pytest.fixture
def server(quarter: tuple[Path, str], tmp_path: Path) -> Iterator[ReviewServer]:
    db, _ = quarter
    running = serve(db, out_root=tmp_path / "review-out", by="hr-tester")
    running.start()
    yield running
    running.shutdown()


def states(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT run_id, state FROM runs"))


def pairs_of(db: Path, run_id: str) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return list(
            conn.execute(
                "SELECT seeker_id, provider_id FROM pairs WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            )
        )


def test_review_lock_forbid_drop_resolve_diff_approve_and_reject_by_clicking(
    server: ReviewServer, quarter: tuple[Path, str]
) -> None:
    db, first = quarter
    before = pairs_of(db, first)
    (s1, p1), (s2, p2), (s3, p3) = before[:3]
    playwright = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    elsewhere: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(f"http://127.0.0.1:{server.port}/")
                else elsewhere.append(r.url)
            ),
        )
        page.goto(server.url)
        # the proposals, by program and period
        assert "mentoring · 2026Q4" in page.inner_text("main")
        page.click(f'a:text-is("{first}")')
        # the proposal: figures, every pair with its reasons, every unmatched seeker, loads
        assert page.inner_text("#state") == "proposed"
        assert "%" in page.inner_text("#coverage")
        rows = page.locator("#pairs tbody tr")
        assert rows.count() == len(before)
        assert all(text.strip() for text in rows.locator("td:nth-child(4)").all_inner_texts())
        assert page.locator("#loads tbody tr").count() == len({q for _, q in before})
        # lock the first pair, forbid the second, drop the third: pending until re-solved
        page.click(
            f'#pairs tr[data-seeker="{s1}"][data-provider="{p1}"] button[data-action="lock"]'
        )
        page.click(
            f'#pairs tr[data-seeker="{s2}"][data-provider="{p2}"] button[data-action="forbid"]'
        )
        page.click(
            f'#pairs tr[data-seeker="{s3}"][data-provider="{p3}"] button[data-action="drop"]'
        )
        draft = page.inner_text("#draft")
        assert f"lock {s1}" in draft and f"forbid {s2}" in draft and f"drop {s3}" in draft
        assert "matcher assign" in draft and f"--from-run '{first}'" in draft
        assert states(db) == {first: "proposed"}  # nothing is solved before Re-solve
        page.click("#resolve")
        message = page.inner_text("#message")
        assert message.startswith(f"re-solved {first} as ")
        second = message.rsplit(" as ", 1)[1]
        assert page.inner_text("h1").startswith(second)
        after = pairs_of(db, second)
        assert (s1, p1) in after and (s2, p2) not in after and s3 not in {s for s, _ in after}
        # diff the two proposals from the list
        page.click("header a")
        page.select_option('select[name="a"]', first)
        page.select_option('select[name="b"]', second)
        page.click("form.diff button")
        added = int(page.inner_text("#diff-added b"))
        removed = int(page.inner_text("#diff-removed b"))
        assert added == len(set(after) - set(before)) and removed == len(set(before) - set(after))
        assert removed >= 2  # the forbidden and the dropped pair at least
        # approve the new proposal, reject the first
        page.click(f'a:text-is("{second}")')
        page.click("#approve")
        assert page.inner_text("#state") == "committed"
        page.goto(server.url)
        page.click(f'a:text-is("{first}")')
        page.fill('input[name="note"]', "one pair too many across the ocean")
        page.click("#reject")
        assert page.inner_text("#state") == "rejected"
        assert "rejected: one pair too many" in page.inner_text("#actions")
        browser.close()
    assert errors == [] and elsewhere == []
    assert states(db) == {first: "rejected", second: "committed"}
    with sqlite3.connect(db) as conn:
        acted = list(conn.execute("SELECT run_id, action, actor FROM actions ORDER BY rowid"))
    assert acted[1:] == [
        (second, "derived", "hr-tester"),
        (second, "committed", "hr-tester"),
        (first, "rejected", "hr-tester"),
    ]


def test_the_page_refuses_requests_without_its_token(server: ReviewServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    token = server.url.split("token=", 1)[1]
    for url in (f"{base}/", f"{base}/?token=wrong", f"{base}/run?id=x"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
    request = urllib.request.Request(f"{base}/run/commit", data=b"id=x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as page:
        policy = page.headers["Content-Security-Policy"]
        html = page.read().decode()
    assert "default-src 'none'" in policy
    assert "http://" not in html.replace(base, "") and "https://" not in html


def test_an_action_that_fails_says_why_on_the_page(
    server: ReviewServer, quarter: tuple[Path, str], run_cli: RunCli
) -> None:
    db, first = quarter
    run_cli("history", "reject", first, "--db", db, "--quiet")
    token = server.url.split("token=", 1)[1]
    data = f"token={token}&id={first}".replace("#", "%23").replace("@", "%40").encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/run/commit", data=data, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request, timeout=10)
    assert failed.value.code == 400
    assert "rejected and cannot be committed" in failed.value.read().decode()


def test_matcher_review_serves_on_localhost_with_a_token(
    quarter: tuple[Path, str], tmp_path: Path, run_cli: RunCli
) -> None:
    db, first = quarter
    stderr = run_cli("review", "--db", tmp_path / "none.db", code=1).stderr
    assert "no history database" in stderr and not (tmp_path / "none.db").exists()
    process = subprocess.Popen(
        [sys.executable, "-m", "matcher.cli", "review", "--db", str(db), "--json"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        url = started["url"]
        assert url.startswith("http://127.0.0.1:") and "token=" in url
        with urllib.request.urlopen(url, timeout=10) as page:
            assert first in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
