"""What the shared fixtures of ``tests/conftest.py`` are made of: running ``matcher`` in-process,
and small organisations written as contract files.

Tests ask for the fixtures (``run_cli``, ``org_files``, ``synthetic_org``,
``generated_org_files``, ``tiny_org_files``, ``scratch_dir``) rather than importing from here; the types below are
imported for annotations.
"""

from __future__ import annotations

import shlex
from os import PathLike
from pathlib import Path
from typing import NamedTuple, Protocol

import pytest
from click.testing import CliRunner, Result

from matcher.cli import main
from matcher.io.write import atomic_output
from matcher.synthetic.generate import SyntheticOrg

ExitCodes = int | tuple[int, ...] | None


class RunCli(Protocol):
    """The ``run_cli`` fixture: ``run_cli("analyze", "--employees", path, ..., code=0)``."""

    def __call__(
        self,
        *args: str | PathLike[str],
        code: ExitCodes = 0,
        env: dict[str, str] | None = None,
    ) -> Result: ...


def run_cli(
    *args: str | PathLike[str],
    code: ExitCodes = 0,
    env: dict[str, str] | None = None,
) -> Result:
    """Run ``matcher *args`` in-process and return click's :class:`Result`.

    A traceback (any exception but ``SystemExit``) is raised as itself, so ``pytest.raises``
    can expect one. The exit code must be ``code`` (or one of them; ``None`` accepts any):
    otherwise the test fails showing the command line, stdout and stderr.
    """
    argv = [str(a) for a in args]
    result = CliRunner().invoke(main, argv, env=env, catch_exceptions=True)
    error = result.exception
    if error is not None and not isinstance(error, SystemExit):
        raise error.with_traceback(result.exc_info[2] if result.exc_info else None)
    allowed = () if code is None else (code,) if isinstance(code, int) else code
    if allowed and result.exit_code not in allowed:
        pytest.fail(
            f"matcher {shlex.join(argv)} exited {result.exit_code}, expected "
            f"{' or '.join(map(str, allowed))}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}",
            pytrace=False,
        )
    return result


class OrgFiles(NamedTuple):
    """An employees file and an interactions file, side by side in one folder (unpack it as
    ``employees, interactions = files``)."""

    employees: Path
    interactions: Path

    @property
    def folder(self) -> Path:
        return self.employees.parent


def write_generated_org(folder: Path, org: SyntheticOrg) -> OrgFiles:
    """``org``'s files in ``folder``, byte for byte as ``matcher generate`` writes them:
    ``employees.csv``, ``interactions.csv`` and the planted ``truth.csv``."""
    with atomic_output(folder) as out:
        out.write_table("employees.csv", org.employees)
        out.write_table("interactions.csv", org.interactions)
        out.write_table("truth.csv", org.truth)
    return OrgFiles(folder / "employees.csv", folder / "interactions.csv")


# Four people (E4 opted out) and eight interactions: row 6 is a self-interaction, row 7 names
# an unknown id, row 8 has no channel and weight 2.
TINY_EMPLOYEES = """id,name,manager_id,team,timezone,hire_date,level,languages,roles,opt_out,office
E1,Ada,,Core,Europe/Berlin,2020-01-01,5,en;de,mentor,false,Berlin
E2,Bo,E1,Core,Europe/Berlin,2021-02-03,3,en,mentee;buddy,,Berlin
E3,Cy,E1,Apps,America/New_York,2026-09-01,2,en;es,,no,NYC
E4,Di,E2,Apps,Asia/Kolkata,,1,,,true,Remote
"""

TINY_INTERACTIONS = """source,target,timestamp,channel,duration_minutes,event_id,weight
E1,E2,2026-09-28T10:00:00+02:00,video,30,,
E2,E1,2026-09-28T11:00:00Z,chat,,,
E2,E3,2026-09-29T10:00:00,meeting,45,ev1,
E1,E3,2026-09-29T10:00:00,meeting,45,ev1,
E3,E3,2026-09-29T10:00:00,chat,,,
E9,E1,2026-09-29T10:00:00,email,,,
E4,E1,2026-09-29T10:00:00,email,,,
E1,E2,2026-09-30,,,,2
"""


def write_tiny_org(folder: Path) -> OrgFiles:
    """:data:`TINY_EMPLOYEES` and :data:`TINY_INTERACTIONS` as ``folder``'s two files."""
    folder.mkdir(parents=True, exist_ok=True)
    employees = folder / "employees.csv"
    interactions = folder / "interactions.csv"
    employees.write_text(TINY_EMPLOYEES, encoding="utf-8")
    interactions.write_text(TINY_INTERACTIONS, encoding="utf-8")
    return OrgFiles(employees, interactions)
