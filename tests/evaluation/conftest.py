"""A committed quarter and the quarter after it, with planted outcomes.

``committed_quarter`` (once a session): the 600-person generated org, a peer-support and a
mentoring program assigned for 2026Q4 and committed in a history database. ``follow_up(seed,
...)`` writes the quarter after (:func:`matcher.synthetic.followup.follow_up_quarter`) with
its truth, so a test knows exactly which pairs met and which ties were planted.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pcsv
import pytest

from matcher.history import History
from matcher.io.write import atomic_output
from matcher.synthetic.followup import FollowUp, follow_up_quarter
from matcher.synthetic.generate import SyntheticOrg
from tests.support import OrgFiles, RunCli

PERIOD = "2026Q4"
START, END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)

PROGRAMS = """[data]
employees = "{employees}"
interactions = "{interactions}"

[[program]]
name = "peer-support"
kind = "peer_support"
period = "{period}"
providers = {{ roles = ["peer_supporter"] }}
capacity = {{ default = 3 }}
[program.seekers]
any_of = [
  {{ flags = ["isolated", "peripheral"], roles = ["peer_support_consent"] }},
  {{ roles = ["support_request"] }},
]
[program.rules]
reporting_line = "forbidden"
{extra}

[[program]]
name = "mentoring"
kind = "mentor"
period = "{period}"
capacity = {{ default = 2 }}
[program.rules]
{extra}
{mentoring_pairs}
"""


def program_file(
    folder: Path,
    files: OrgFiles,
    period: str = PERIOD,
    extra: str = "",
    must: tuple[str, str] | None = None,
) -> Path:
    """The two programs for ``period``; ``extra`` lines go under each program's rules, and
    ``must`` is a pair the mentoring program must make."""
    path = folder / f"programs-{period}-{abs(hash((extra, must)))}.toml"
    mentoring_pairs = (
        "" if must is None else f'[program.pairs]\nmust = [["{must[0]}", "{must[1]}"]]'
    )

    path.write_text(
        PROGRAMS.format(
            employees=files.employees,
            interactions=files.interactions,
            period=period,
            extra=extra,
            mentoring_pairs=mentoring_pairs,
        ),
        encoding="utf-8",
    )
    return path


@dataclass(frozen=True)
class Quarter:
    """A committed quarter: the org, its files, the history and the committed pairs."""

    org: SyntheticOrg
    files: OrgFiles
    db: Path
    programs: Path
    pairs: list[tuple[str, str]]
    folder: Path

    def copy_db(self, folder: Path) -> Path:
        """A copy of the history to write outcomes into."""
        target = folder / "matcher.db"
        shutil.copy(self.db, target)
        return target


@dataclass(frozen=True)
class Planted:
    """The quarter after: its interactions file and what was planted in it."""

    interactions: Path
    truth: FollowUp


def commit_all(db: Path) -> None:
    with History(db) as history:
        for run in history.runs():
            if run.state == "proposed":
                history.commit(run.run_id)


@pytest.fixture(scope="session")
def committed_quarter(
    synthetic_org: Callable[[int, int], SyntheticOrg],
    generated_org_files: Callable[[int, int], OrgFiles],
    run_cli: RunCli,
    tmp_path_factory: pytest.TempPathFactory,
) -> Quarter:
    folder = tmp_path_factory.mktemp("committed")
    files = generated_org_files(600, 4)
    programs = program_file(folder, files)
    db = folder / "matcher.db"
    run_cli("assign", programs, "--out", folder / "assign", "--db", db, "--quiet")
    commit_all(db)
    with History(db) as history:
        pairs = [(p.seeker_id, p.provider_id) for p in history.committed_pairs()]
    return Quarter(synthetic_org(600, 4), files, db, programs, pairs, folder)


def write_follow_up(folder: Path, quarter: Quarter, seed: int, **rates: float) -> Planted:
    truth = follow_up_quarter(
        quarter.org.employees,
        quarter.org.interactions,
        quarter.pairs,
        start=START,
        end=END,
        seed=seed,
        **rates,
    )
    with atomic_output(folder) as out:
        out.write_table("interactions.csv", truth.interactions)
    return Planted(folder / "interactions.csv", truth)


@pytest.fixture(scope="session")
def planted(committed_quarter: Quarter, tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """The quarter after ``committed_quarter``, seed 1 (read it; do not change it)."""
    return write_follow_up(tmp_path_factory.mktemp("after"), committed_quarter, seed=1)


def read_csv(path: Path) -> list[dict[str, str]]:
    table = pcsv.read_csv(
        path, convert_options=pcsv.ConvertOptions(strings_can_be_null=False, column_types={})
    )
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in table.to_pylist()]
