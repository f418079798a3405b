"""Seeded synthetic organisations: employees, interactions and planted ground truth.

:func:`generate_org` builds a plausible company (a manager tree, teams, departments, offices,
time zones, skills and programme roles), a window of interaction metadata and a table of
people and teams that were deliberately planted as isolated, peripheral or siloed. It is pure:
arrow tables come back, nothing is written or printed. Everything is vectorised numpy, so
100,000 employees and several million interactions take seconds.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from matcher.errors import ConfigError
from matcher.synthetic.clock import _Clock
from matcher.synthetic.interactions import (
    _all_hands,
    _cross_team_meetings,
    _cross_team_ties,
    _noise,
    _one_on_ones,
    _peripheral_ties,
    _Rows,
    _Sim,
    _team_chat,
    _team_meetings,
)
from matcher.synthetic.orgchart import _build_tree
from matcher.synthetic.people import _describe
from matcher.synthetic.tables import (
    _employee_table,
    _ids,
    _interaction_chunks,
    _interaction_table,
    _truth_table,
)
from matcher.synthetic.truth import _plant

MIN_EMPLOYEES = 50
MAX_EMPLOYEES = 2_000_000


@dataclass(frozen=True, eq=False)
class SyntheticOrg:
    """A generated organisation, ready to be written as ``employees.csv`` and friends.

    ``employees`` and ``interactions`` follow the input contract; ``truth`` lists what was
    planted (columns ``kind``, ``id``) and ``as_of`` is the last day of the window.
    """

    employees: pa.Table
    truth: pa.Table
    as_of: dt.date
    ids: pa.Array
    rows: _Rows = field(repr=False)
    """The interactions as numbers (people, times, channels, events), not yet text."""

    @functools.cached_property
    def interactions(self) -> pa.Table:
        """The interactions in time order: ``source``, ``target``, ``timestamp``, ``channel``,
        ``duration_minutes``, ``event_id``."""
        return _interaction_table(self.ids, self.rows)

    @property
    def interaction_rows(self) -> int:
        """How many interaction rows :attr:`interactions` holds."""
        return len(self.rows.time)

    def interaction_chunks(self, chunk_rows: int = 4_000_000) -> Iterator[pa.Table]:
        """:attr:`interactions` as tables of at most ``chunk_rows`` rows, for writing the
        tens of millions of rows of the largest orgs without holding their text at once; their
        ``timestamp`` is a UTC timestamp column (``with_text_times`` makes it the CSV's text)."""
        return _interaction_chunks(self.ids, self.rows, chunk_rows)


def generate_org(
    n_employees: int,
    seed: int,
    *,
    days: int = 90,
    end_date: dt.date = dt.date(2026, 9, 30),
    isolated_share: float = 0.03,
    peripheral_share: float = 0.04,
    siloed_team_share: float = 0.04,
) -> SyntheticOrg:
    """Generate a synthetic organisation with planted isolated, peripheral and siloed cases.

    Parameters
    ----------
    n_employees : int
        Head count, 50 to 2,000,000.
    seed : int
        Seed of ``numpy.random.default_rng``, the only source of randomness: the same
        arguments give byte-identical tables.
    days : int, default 90
        Length of the interaction window, 7 to 366 days.
    end_date : datetime.date, default 2026-09-30
        Last day of the window (returned as ``as_of``).
    isolated_share, peripheral_share : float
        Share of non-managers who are not opted out to plant as isolated / peripheral.
    siloed_team_share : float
        Share of the teams with at least 5 members to plant as siloed.

    Returns
    -------
    SyntheticOrg
        ``employees`` (one row per person, columns of the input contract plus
        ``mentor_capacity`` and ``office``), ``interactions`` (``source``, ``target``,
        ``timestamp``, ``channel``, ``duration_minutes``, ``event_id``), ``truth`` (``kind``,
        ``id`` sorted by kind then id) and ``as_of``.

    Raises
    ------
    ConfigError
        When an argument is out of range.

    Notes
    -----
    The manager tree is grown top down: a manager with ``d`` people below them gets 3 to 12
    direct reports, all individual contributors when ``d <= 12`` (a front-line team),
    otherwise 1 or 2 staff plus 3 to 9 sub-managers whose subtree sizes are a Dirichlet
    split. A team is a manager plus their direct reports who manage nobody; a department is
    the subtree of one of the CEO's direct reports (the CEO and their staff form
    ``Executive``). About 80% of a team sits in the team's office, 5% in another one and 15%
    work remotely in one of the office time zones.

    Over ``days`` days ending on ``end_date`` people meet weekly in their team, biweekly 1:1
    with their manager, chat and email 2 to 4 teammates with replies, keep 1 to 3 ties
    outside the team, join small cross-team meetings (3 to 10 people), attend monthly
    department all-hands and a quarterly company all-hands (broadcasts of more than 25 and
    at most 2,000 people) and send some messages nobody answers. Times are drawn in the
    sender's or organiser's local working hours (fewer on Fridays, almost none at weekends)
    and written in UTC; nobody interacts before their hire date.

    Planted cases, never opted-out people and never managers:

    * isolated: no reciprocated tie at all. They send nothing, are left out of every event
      of at most 25 people and only receive a few unanswered messages and broadcasts.
    * peripheral: reciprocated ties with 1 or 2 members of their own team only (chats both
      ways and the odd call); otherwise like the isolated.
    * siloed_team: a front-line team of at least 5 people whose members interact with
      nobody outside the team (broadcasts included), except the manager's 1:1 with their
      own manager.

    Examples
    --------
    >>> org = generate_org(300, seed=7)
    >>> org.employees.num_rows, org.employees.column_names[:4]
    (300, ['id', 'name', 'email', 'manager_id'])
    >>> org.interactions.column_names
    ['source', 'target', 'timestamp', 'channel', 'duration_minutes', 'event_id']
    >>> org.interactions.num_rows > 50 * 300
    True
    >>> sorted(set(org.truth.column("kind").to_pylist()))
    ['isolated', 'peripheral', 'siloed_team']
    >>> org.as_of
    datetime.date(2026, 9, 30)
    """
    _validate(
        n_employees, seed, days, end_date, isolated_share, peripheral_share, siloed_team_share
    )
    rng = np.random.default_rng(seed)
    tree = _build_tree(n_employees, rng)
    people = _describe(tree, rng, days)
    plan = _plant(tree, people, rng, isolated_share, peripheral_share, siloed_team_share)
    clock = _Clock.build(end_date - dt.timedelta(days=days - 1), days)
    sim = _Sim(rng, clock, tree, people, plan)
    rows = _Rows.concat(
        [
            _team_meetings(sim),
            _one_on_ones(sim),
            _team_chat(sim),
            _cross_team_ties(sim),
            _cross_team_meetings(sim),
            _all_hands(sim),
            _peripheral_ties(sim),
            _noise(sim),
        ]
    )
    end = clock.midnight[-1] + 86_400  # nothing after the last day of the window (UTC)
    rows = rows.select((rows.source != rows.target) & (rows.time < end))
    ids = _ids(n_employees)
    return SyntheticOrg(
        employees=_employee_table(ids, tree, people, end_date, days),
        truth=_truth_table(ids, tree, plan),
        as_of=end_date,
        ids=ids,
        rows=rows,
    )


def _validate(n: int, seed: int, days: int, end_date: dt.date, *shares: float) -> None:
    def whole(value: object) -> bool:
        return isinstance(value, int | np.integer) and not isinstance(value, bool)

    if not whole(n) or not MIN_EMPLOYEES <= n <= MAX_EMPLOYEES:
        raise ConfigError(
            f"n_employees must be a whole number from {MIN_EMPLOYEES} to {MAX_EMPLOYEES:,}, "
            f"got {n!r}"
        )
    if not whole(seed) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {seed!r}")
    if not whole(days) or not 7 <= days <= 366:
        raise ConfigError(f"days must be a whole number from 7 to 366, got {days!r}")
    if not isinstance(end_date, dt.date) or isinstance(end_date, dt.datetime):
        raise ConfigError(f"end_date must be a datetime.date, got {end_date!r}")
    names = ("isolated_share", "peripheral_share", "siloed_team_share")
    for name, share in zip(names, shares, strict=True):
        if not isinstance(share, int | float) or not 0.0 <= share <= 0.5:
            raise ConfigError(f"{name} must be between 0 and 0.5, got {share!r}")
    if shares[0] + shares[1] > 0.5:
        raise ConfigError(
            f"isolated_share + peripheral_share must be at most 0.5, got {shares[0] + shares[1]!r}"
        )
