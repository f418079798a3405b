"""A pulse survey of a synthetic org, written as a Microsoft Forms export, with planted truth.

The survey asks "I have at least one person at work I can turn to" (a five-point agreement
scale) and "Who at work do you turn to?" (e-mail addresses, ``;``-separated as Forms writes a
multi-select), beside columns a real export has and matcher must never read (the
respondent's name, a free-text comment). Answers follow a planted truth:

* the planted isolated mostly say they have no one and name nobody; a share of them
  (``isolated_says_someone``) agree that they have someone, still naming nobody: the
  busy-but-lonely turned around, people whose graph says more than their answer;
* connected people name one to three of their closest contacts (the people they interact
  with most on mutual channels or with replies) and agree; a share of them
  (``connected_says_no_one``) disagree and name nobody;
* some people do not respond (``1 - rate``);
* the export also holds what ingest must reject or replace, counted exactly in the truth:
  responses from addresses that are not employees, nominees who are not employees,
  self-nominations and earlier responses that a later one from the same person replaces.

Everything is drawn from one ``numpy.random.Generator`` seeded by ``seed``: the same
arguments give the same tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.errors import ConfigError
from matcher.model import CHANNELS, Channel

HAS_SOMEONE = "I have at least one person at work I can turn to"
TURN_TO = "Who at work do you turn to when you need help or support? (work e-mail addresses)"
COMMENT = "Anything else you would like to tell us?"
SUBMITTED_FORMAT = "%m/%d/%Y %I:%M:%S %p"
AGREE = ("Strongly agree", "Agree")
NEUTRAL = "Neither agree nor disagree"
DISAGREE = ("Disagree", "Strongly disagree")
SURVEY_DAYS = 7
"""Responses arrive over the last week of the interaction window."""

MAPPING = f'''# How matcher reads this Microsoft Forms export (see docs/surveys.md).
[survey]
respondent = "Email"
submitted = "Completion time"
submitted_format = "{SUBMITTED_FORMAT}"
turn_to = "{TURN_TO}"
turn_to_separator = ";"
has_someone = "{HAS_SOMEONE}"
has_someone_yes = ["Agree", "Strongly agree"]
has_someone_no = ["Disagree", "Strongly disagree"]
'''

_MUTUAL = np.array(
    [c in (Channel.IN_PERSON, Channel.VIDEO, Channel.CALL, Channel.MEETING) for c in CHANNELS]
)


@dataclass(frozen=True)
class SurveyExport:
    """A generated survey: the export as a forms tool writes it, the mapping that reads it,
    and the truth it was drawn from.

    ``truth`` has one row per planted fact (columns ``kind``, ``id``): ``says_no_one``,
    ``says_someone`` and ``no_response`` per employee (opted-out people are never surveyed),
    ``isolated_says_someone`` and ``connected_says_no_one`` for the planted disagreements,
    and per rejected or replaced item ``unknown_respondent`` (the address),
    ``unknown_nominee`` (respondent id), ``self_nomination`` (respondent id) and
    ``replaced_response`` (respondent id).
    """

    export: pa.Table
    mapping: str
    truth: pa.Table
    survey_date: dt.date


def generate_survey(
    employees: pa.Table,
    interactions: pa.Table,
    truth: pa.Table,
    *,
    rate: float,
    seed: int,
    end_date: dt.date,
    isolated_says_someone: float = 0.2,
    connected_says_no_one: float = 0.04,
) -> SurveyExport:
    """Draw a pulse survey of the org made by :func:`matcher.synthetic.generate.generate_org`.

    Parameters
    ----------
    employees, interactions, truth
        The generated org's tables.
    rate : float
        Response rate, above 0 and at most 1.
    seed : int
        Seed of the survey's random draws.
    end_date : datetime.date
        Last day of the interaction window; responses arrive over the week that ends then.
    isolated_says_someone, connected_says_no_one : float
        Shares of the planted disagreements between what people say and what the graph shows.

    Returns
    -------
    SurveyExport
        The export (Microsoft Forms columns), its mapping (TOML) and the planted truth.

    Raises
    ------
    ConfigError
        When ``rate`` or a share is out of range.

    Examples
    --------
    >>> from matcher.synthetic.generate import generate_org
    >>> org = generate_org(300, seed=7)
    >>> survey = generate_survey(org.employees, org.interactions, org.truth, rate=0.7,
    ...                          seed=7, end_date=org.as_of)
    >>> survey.export.column_names[:5]
    ['ID', 'Start time', 'Completion time', 'Email', 'Name']
    >>> kinds = survey.truth.column("kind").to_pylist()
    >>> surveyed = sum(1 for v in org.employees.column("opt_out").to_pylist() if v == "false")
    >>> sum(kinds.count(k) for k in ("says_no_one", "says_someone", "no_response")) == surveyed
    True
    """
    if not 0.0 < rate <= 1.0:
        raise ConfigError(f"survey response rate must be above 0 and at most 1, got {rate!r}")
    for name, share in (
        ("isolated_says_someone", isolated_says_someone),
        ("connected_says_no_one", connected_says_no_one),
    ):
        if not 0.0 <= share <= 1.0:
            raise ConfigError(f"{name} must be between 0 and 1, got {share!r}")
    rng = np.random.default_rng([seed, 0x5E7])
    ids = employees.column("id").to_pylist()
    emails = employees.column("email").to_pylist()
    names = employees.column("name").to_pylist()
    opted = np.array([v == "true" for v in employees.column("opt_out").to_pylist()])
    n = len(ids)
    planted = set(
        pc.filter(truth.column("id"), pc.equal(truth.column("kind"), "isolated")).to_pylist()
    )
    isolated = np.array([i in planted for i in ids])
    closest = _closest_contacts(ids, interactions, opted)

    surveyed = np.flatnonzero(~opted)
    responds = np.zeros(n, bool)
    responds[surveyed] = rng.random(surveyed.size) < rate
    facts: list[tuple[str, str]] = []
    rows: list[_Row] = []
    start = dt.datetime.combine(end_date - dt.timedelta(days=SURVEY_DAYS - 1), dt.time(8))
    for k in surveyed.tolist():
        if not responds[k]:
            facts.append(("no_response", ids[k]))
            continue
        if isolated[k]:
            says = rng.random() < isolated_says_someone
            named: list[str] = []
            if says:
                facts.append(("isolated_says_someone", ids[k]))
        else:
            says = not rng.random() < connected_says_no_one
            named = [emails[j] for j in closest[k][: int(rng.integers(1, 4))]] if says else []
            if not says:
                facts.append(("connected_says_no_one", ids[k]))
        facts.append(("says_someone" if says else "says_no_one", ids[k]))
        answer = _agreement(rng, says, bool(named))
        rows.append(_Row(emails[k], names[k], answer, named, _moment(rng, start)))
    _plant_rejects(rng, rows, facts, ids, emails, names, start)
    rows.sort(key=lambda r: r.completed)
    return SurveyExport(
        export=_export_table(rows),
        mapping=MAPPING,
        truth=pa.table(
            {
                "kind": pa.array([k for k, _ in sorted(facts)], pa.string()),
                "id": pa.array([i for _, i in sorted(facts)], pa.string()),
            }
        ),
        survey_date=end_date,
    )


@dataclass
class _Row:
    email: str
    name: str
    answer: str
    named: list[str]
    completed: dt.datetime


def _agreement(rng: np.random.Generator, says: bool, named: bool) -> str:
    """An answer on the agreement scale: a yes for someone who says they have someone (or,
    when they name people, sometimes the neutral middle), a no otherwise."""
    if not says:
        return str(rng.choice(DISAGREE))
    if named and rng.random() < 0.1:
        return NEUTRAL
    return str(rng.choice(AGREE))


def _moment(rng: np.random.Generator, start: dt.datetime) -> dt.datetime:
    day = int(rng.integers(0, SURVEY_DAYS))
    seconds = int(rng.integers(0, 9 * 3600))
    return start + dt.timedelta(days=day, seconds=seconds)


def _closest_contacts(ids: list[str], interactions: pa.Table, opted: np.ndarray) -> list[list[int]]:
    """Per person, the others they interact with most on mutual channels or with replies,
    most first (opted-out people left out): whom they would name."""
    n = len(ids)
    known = pa.array(ids, pa.string())
    src = pc.index_in(interactions.column("source"), known).to_numpy(zero_copy_only=False)
    dst = pc.index_in(interactions.column("target"), known).to_numpy(zero_copy_only=False)
    src, dst = src.astype(np.int64), dst.astype(np.int64)
    channel = pc.index_in(
        interactions.column("channel"), pa.array([str(c) for c in CHANNELS])
    ).to_numpy(zero_copy_only=False)
    small = pc.is_null(interactions.column("event_id")).to_numpy(zero_copy_only=False)
    keep = small & ~opted[src] & ~opted[dst]
    src, dst, mutual = src[keep], dst[keep], _MUTUAL[channel[keep]]
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    key = a * n + b
    pairs, inverse = np.unique(key, return_inverse=True)
    count = np.bincount(inverse, minlength=pairs.size)
    forward = np.bincount(inverse, weights=(src < dst) | mutual, minlength=pairs.size)
    backward = np.bincount(inverse, weights=(src > dst) | mutual, minlength=pairs.size)
    both = (forward > 0) & (backward > 0)
    pairs, count = pairs[both], count[both]
    first, second = pairs // n, pairs % n
    closest: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i, j, c in zip(first.tolist(), second.tolist(), count.tolist(), strict=True):
        closest[i].append((-c, j))
        closest[j].append((-c, i))
    return [[j for _, j in sorted(contacts)] for contacts in closest]


def _plant_rejects(
    rng: np.random.Generator,
    rows: list[_Row],
    facts: list[tuple[str, str]],
    ids: list[str],
    emails: list[str],
    names: list[str],
    start: dt.datetime,
) -> None:
    """What ingest must reject or replace: two outsiders' responses, a nominee who left, a
    self-nomination and earlier responses replaced by later ones (about 1 in 40 each)."""
    by_email = {e: k for k, e in enumerate(emails)}
    for k in range(2):
        address = f"contractor{k + 1}@partner.example.org"
        rows.append(_Row(address, f"Contractor {k + 1}", AGREE[1], [], _moment(rng, start)))
        facts.append(("unknown_respondent", address))
    naming = [r for r in rows if r.named and r.email in by_email]
    if not naming:
        return
    picks = rng.choice(len(naming), size=min(len(naming), 3), replace=False).tolist()
    left = naming[picks[0]]
    left.named = [*left.named, "former.colleague@example.com"]
    facts.append(("unknown_nominee", ids[by_email[left.email]]))
    if len(picks) > 1:
        selfish = naming[picks[1]]
        selfish.named = [*selfish.named, selfish.email.upper()]  # addresses match in any case
        facts.append(("self_nomination", ids[by_email[selfish.email]]))
    repeaters = [r for r in rows if r.email in by_email and r.named]
    count = max(1, len(repeaters) // 40)
    for index in rng.choice(len(repeaters), size=min(count, len(repeaters)), replace=False):
        later = repeaters[int(index)]
        earlier_time = later.completed - dt.timedelta(hours=int(rng.integers(1, 48)))
        rows.append(_Row(later.email, later.name, DISAGREE[0], [], earlier_time))
        facts.append(("replaced_response", ids[by_email[later.email]]))


def _export_table(rows: list[_Row]) -> pa.Table:
    completed = [r.completed for r in rows]
    started = [c - dt.timedelta(minutes=3) for c in completed]
    return pa.table(
        {
            "ID": pa.array([str(k + 1) for k in range(len(rows))], pa.string()),
            "Start time": pa.array([s.strftime(SUBMITTED_FORMAT) for s in started], pa.string()),
            "Completion time": pa.array(
                [c.strftime(SUBMITTED_FORMAT) for c in completed], pa.string()
            ),
            "Email": pa.array([r.email for r in rows], pa.string()),
            "Name": pa.array([r.name for r in rows], pa.string()),
            HAS_SOMEONE: pa.array([r.answer for r in rows], pa.string()),
            TURN_TO: pa.array(["".join(f"{e};" for e in r.named) for r in rows], pa.string()),
            COMMENT: pa.array(
                [f"Private note from {r.name}: please keep this to yourselves." for r in rows],
                pa.string(),
            ),
        }
    )
