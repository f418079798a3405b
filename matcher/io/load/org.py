"""Load an organisation: its employees and interactions, the analysis date, and checks across both.

Opted-out employees leave the org here, with every interaction that names them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from matcher.errors import DataError, ProblemCollector
from matcher.io.load.employees import TRUE_WORDS, load_employees
from matcher.io.load.interactions import InteractionLoad, Rejects, load_interactions
from matcher.io.tables import read_table
from matcher.model import Employee, InteractionTable, Org


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_org(
    employees: str | Path,
    interactions: str | Path | None = None,
    *,
    as_of: dt.date | dt.datetime | None = None,
) -> tuple[Org, pa.Table]:
    """Load an organisation from its employees file and (optionally) its interactions file.

    Opted-out employees are removed, and so is every interaction that names them. Without
    ``as_of``, interactions dated after tomorrow (UTC) are dropped and listed in the rejects
    (``report.future_dated`` counts them), so that the default analysis date, the latest
    interaction, is one that has happened.

    Parameters
    ----------
    employees : str or Path
        The employees file (CSV, JSON, JSON Lines, Parquet or XLSX), one row per person.
    interactions : str or Path, optional
        The interactions file; without it the org has no interactions.
    as_of : date or datetime, optional
        The analysis date (a date means the end of that day, UTC); by default the latest
        interaction kept.

    Returns
    -------
    (Org, pyarrow.Table)
        The organisation and the table of rejected interaction rows (possibly empty).

    Raises
    ------
    DataError
        For every malformed value, with file, row and column, and for a hire date after the
        analysis date.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "e.csv").write_text("id,team,opt_out\\nE1,Core,\\nE2,Core,\\nE3,Apps,yes\\n")
    >>> _ = (folder / "i.csv").write_text(
    ...     "source,target,timestamp\\nE1,E2,2026-01-05T10:00:00Z\\nE3,E1,2026-01-06\\nE1,E1,2026-01-07\\n"
    ... )
    >>> org, rejects = load_org(folder / "e.csv", folder / "i.csv")
    >>> org.ids, len(org.interactions), org.as_of.isoformat()
    (['E1', 'E2'], 1, '2026-01-05T10:00:00+00:00')
    >>> org.report.opted_out, rejects.column("reason").to_pylist()
    (1, ['self-interaction'])
    """
    not_after = None
    if as_of is None:
        tomorrow = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=1)
        not_after = dt.datetime.combine(tomorrow, dt.time(23, 59, 59), tzinfo=dt.UTC)
    with ThreadPoolExecutor(max_workers=2) as beside:
        # the interactions load (mostly in Arrow and numpy, which release the GIL) runs beside
        # the employee records (Python), on the ids the employees file most likely keeps; it
        # is used only when the records keep exactly those ids (else it runs again). The
        # file's digest (hashlib releases the GIL too) is a third task: about a second per
        # 300 MB here, which was on the load's critical path.
        early = (
            None
            if interactions is None
            else beside.submit(_load_on_guess, employees, interactions, not_after)
        )
        digest = None if interactions is None else beside.submit(file_sha256, interactions)
        people = load_employees(employees)
        kept = [e for e in people if not e.opt_out]
        opted = [e.id for e in people if e.opt_out]
        manager_of = {e.id: e.manager_id for e in people}
        org = Org(kept)
        org.manager_of = manager_of
        org.report.excluded_employees = len(opted)
        org.sources["employees"] = f"{employees} sha256:{file_sha256(employees)}"
        rejects = Rejects().table(str(interactions or ""))
        done = None if early is None else early.result()
    if interactions is not None:
        if done is not None and done[0] == (org.ids, opted):
            loaded = done[1]
        else:
            loaded = load_interactions(interactions, org.ids, opted_out=opted, not_after=not_after)
        org.interactions = loaded.table
        excluded = org.report.excluded_employees
        org.report = loaded.report
        org.report.excluded_employees = excluded
        assert digest is not None
        org.sources["interactions"] = f"{interactions} sha256:{digest.result()}"
        rejects = loaded.rejects_table
    org.as_of = resolve_as_of(as_of, org.interactions)
    check_hire_dates(kept, org.as_of, employees)
    return org, rejects


def _load_on_guess(
    employees: str | Path, interactions: str | Path, not_after: dt.datetime | None
) -> tuple[tuple[list[str], list[str]], InteractionLoad] | None:
    """The interactions loaded on :func:`guess_kept_ids` (with the guess), or ``None`` when
    the employees file cannot be read that way or the load fails (the caller then loads again
    on the records, and reports what is wrong)."""
    guess = guess_kept_ids(employees)
    if guess is None:
        return None
    try:
        loaded = load_interactions(interactions, guess[0], opted_out=guess[1], not_after=not_after)
    except DataError:
        return None
    return guess, loaded


def guess_kept_ids(employees: str | Path) -> tuple[list[str], list[str]] | None:
    """The ids of the people an employees file keeps and of those who opted out, in file
    order, read from its ``id`` and ``opt_out`` columns alone (``None`` when it cannot be
    read): what :func:`load_org` keeps when every record is valid, known before the records
    are built."""
    try:
        table, _ = read_table(employees, ("id",))
    except DataError:
        return None
    ids = pc.utf8_trim_whitespace(table.column("id")).to_pylist()
    if "opt_out" in table.column_names:
        words = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("opt_out"))).to_pylist()
    else:
        words = [None] * len(ids)
    kept: list[str] = []
    opted: list[str] = []
    for identity, word in zip(ids, words, strict=True):
        if identity:
            (opted if word in TRUE_WORDS else kept).append(identity)
    return kept, opted


FUTURE_HIRE_DAYS = 366
"""People who start within this many days after the analysis date are future starters (new
hires, e.g. for pre-boarding buddies); a later hire date is surely a typo."""


def check_hire_dates(people: list[Employee], as_of: dt.datetime, file: str | Path) -> None:
    """A hire date more than :data:`FUTURE_HIRE_DAYS` after the analysis date (``9999-12-31``)
    is an error naming the row. Earlier future dates are people who have not started yet: HR
    exports list them, and onboarding programs pair them before their first day.

    Raises
    ------
    DataError
        Naming the row and ``hire_date`` of each such person.
    """
    today = as_of.date()
    latest = today + dt.timedelta(days=FUTURE_HIRE_DAYS)
    late = [e for e in people if e.hire_date is not None and e.hire_date > latest]
    if not late:
        return
    table, rows = read_table(file, ("id",))  # the error path only: find the rows
    row_of: dict[str, int] = {}
    for number, identity in zip(rows.tolist(), table.column("id").to_pylist(), strict=True):
        row_of.setdefault(str(identity or "").strip(), number)
    collector = ProblemCollector()
    for person in late:
        collector.add(
            str(file),
            row_of.get(person.id),
            "hire_date",
            f"hire_date {person.hire_date} of {person.id!r} is more than {FUTURE_HIRE_DAYS} days "
            f"after the analysis date {today}; correct it or pass a later --as-of",
        )
    collector.raise_if_any()


def resolve_as_of(as_of: dt.date | dt.datetime | None, table: InteractionTable) -> dt.datetime:
    """The analysis date: the one given (end of that day, UTC), else the latest interaction."""
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
    if isinstance(as_of, dt.date):
        return dt.datetime.combine(as_of, dt.time(23, 59, 59), tzinfo=dt.UTC)
    if len(table):
        return dt.datetime.fromtimestamp(int(table.timestamp.max()), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def check_no_data_error(errors: list[DataError]) -> None:
    """Raise one :class:`DataError` combining several (used when validating many files)."""
    problems = [p for e in errors for p in e.problems]
    if problems:
        raise DataError(problems, sum(e.total for e in errors))
