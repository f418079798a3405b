"""The data checks behind the flags (issue #16: a public-channels-only export flagged 60 of 60
people without a word of warning)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from matcher.analysis.graph import build_graph
from matcher.analysis.sufficiency import check_data
from matcher.config import AnalysisConfig
from matcher.errors import DataError
from matcher.model import CHANNELS, Channel, InteractionTable
from matcher.workflows.analyze import analyze_files
from matcher.workflows.common import Silent
from tests.support import RunCli

AS_OF = dt.datetime(2026, 9, 30, 23, 59, tzinfo=dt.UTC)
DAY = 86_400


def table(rows: list[tuple[int, int, float, Channel]]) -> InteractionTable:
    """Interactions ``(source, target, days before AS_OF, channel)``."""
    n = len(rows)
    return InteractionTable(
        source=np.array([r[0] for r in rows], np.int32),
        target=np.array([r[1] for r in rows], np.int32),
        timestamp=np.array([int(AS_OF.timestamp() - r[2] * DAY) for r in rows], np.int64),
        channel=np.array([CHANNELS.index(r[3]) for r in rows], np.uint8),
        duration=np.full(n, np.nan, np.float32),
        event=np.full(n, -1, np.int64),
        weight=np.ones(n, np.float32),
    )


def checks(rows: list[tuple[int, int, float, Channel]], n: int, **config: object) -> dict:
    settings = AnalysisConfig.model_validate(config)
    interactions = table(rows)
    graph = build_graph(interactions, n, AS_OF, settings)
    return {c.name: c for c in check_data(interactions, n, graph, AS_OF, settings).checks}


def public_channels_only(people: int = 60) -> list[tuple[int, int, float, Channel]]:
    """Thread replies in public channels: everyone answers one of three posters, who never
    answer back; a reply every few days over the whole window."""
    return [
        (person, person % 3, day, Channel.CHAT)
        for person in range(3, people)
        for day in range(0, 90, 3)
    ]


def test_each_check_fails_on_the_data_it_is_about_and_only_then() -> None:
    two_way = [(i, (i + 1) % 10, d, c) for i in range(10) for d in (1, 40, 80) for c in CHANNELS]
    two_way += [((i + 1) % 10, i, d, Channel.CHAT) for i in range(10) for d in (1, 40, 80)]
    good = checks(two_way, 10, interactions_per_week=(0.5, 1000.0))
    assert all(c.ok for c in good.values()), good
    assert not checks(two_way, 30, interactions_per_week=(0.0, 1e9))[
        "share_with_interactions"
    ].ok  # 20 of 30 have no data
    one_channel = [r for r in two_way if r[3] == Channel.CHAT]
    assert not checks(one_channel, 10)["channels"].ok
    recent = [r for r in two_way if r[2] < 30]
    assert not checks(recent, 10)["window_coverage"].ok
    assert not checks(two_way, 10, interactions_per_week=(50.0, 1000.0))["interactions_per_week"].ok
    assert not checks(two_way, 10, interactions_per_week=(0.0, 1.0))["interactions_per_week"].ok
    one_way = checks(public_channels_only(), 60)["one_way_share"]
    assert not one_way.ok and one_way.value == 1.0


def test_an_empty_window_fails_every_check() -> None:
    found = checks([(0, 1, 200, Channel.MEETING)], 4, interactions_per_week=(1.0, 10.0))
    assert [name for name, c in found.items() if not c.ok] == list(found)


def write_org(folder: Path, rows: list[tuple[int, int, float, Channel]], people: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "employees.csv").write_text(
        "id,team\n" + "".join(f"E{i},T{i % 6}\n" for i in range(people)), encoding="utf-8"
    )
    lines = [
        f"E{s},E{t},{dt.datetime.fromtimestamp(AS_OF.timestamp() - d * DAY, dt.UTC).isoformat()},{c}"
        for s, t, d, c in rows
    ]
    (folder / "interactions.csv").write_text(
        "source,target,timestamp,channel\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    return folder


def test_a_public_channels_export_warns_and_strict_data_refuses(tmp_path: Path) -> None:
    org = write_org(tmp_path / "org", public_channels_only(), 60)
    reporter = Silent()
    outcome = analyze_files(
        org / "employees.csv", org / "interactions.csv", tmp_path / "out", reporter=reporter
    )
    assert len(outcome.analysis.flagged("isolated")) == 60
    (warning,) = [w for w in reporter.warnings if "thin data" in w]
    assert "60 of 60 people flagged" in warning
    assert "100% of the 57 pairs in contact are one-way" in warning
    assert "1 channel(s) in the window (chat" in warning
    data = json.loads((tmp_path / "out" / "summary.json").read_text())["data"]
    assert data["sufficient"] is False
    assert data["checks"]["one_way_share"] == {"value": 1.0, "max": 0.8, "ok": False}
    assert data["checks"]["share_with_interactions"]["ok"] is True

    with pytest.raises(DataError) as error:
        analyze_files(
            org / "employees.csv",
            org / "interactions.csv",
            tmp_path / "strict",
            strict_data=True,
        )
    failed = [p.message for p in error.value.problems if "[data check" in p.message]
    assert [m.rsplit("[data check ", 1)[1] for m in failed] == ["channels]", "one_way_share]"]
    assert not (tmp_path / "strict" / "summary.json").exists()


def test_data_that_passes_is_neither_warned_about_nor_refused(
    tmp_path: Path, run_cli: RunCli
) -> None:
    rows = [
        (i, j, d, c)
        for i in range(12)
        for j in range(12)
        if i != j
        for d in (2, 45, 88)
        for c in (Channel.MEETING, Channel.CHAT)
    ]
    org = write_org(tmp_path / "org", rows, 12)
    result = run_cli(
        "analyze",
        "--employees",
        org / "employees.csv",
        "--interactions",
        org / "interactions.csv",
        "--out",
        tmp_path / "out",
        "--strict-data",
    )
    assert "thin data" not in result.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["data"]["sufficient"]


def test_strict_data_exits_1_naming_each_failed_check(tmp_path: Path, run_cli: RunCli) -> None:
    org = write_org(tmp_path / "org", public_channels_only(), 60)
    result = run_cli(
        "analyze",
        "--employees",
        org / "employees.csv",
        "--interactions",
        org / "interactions.csv",
        "--out",
        tmp_path / "out",
        "--strict-data",
        code=1,
    )
    assert "[data check channels]" in result.stderr
    assert "[data check one_way_share]" in result.stderr
    assert "Traceback" not in result.stderr
    warned = run_cli(
        "analyze",
        "--employees",
        org / "employees.csv",
        "--interactions",
        org / "interactions.csv",
        "--out",
        tmp_path / "out",
        "--quiet",
    )
    assert "warning: flags may rest on thin data" in warned.stderr
