"""Seeded synthetic organisations: employees, interactions and planted ground truth.

:func:`generate_org` builds a plausible company (a manager tree, teams, departments, offices,
time zones, skills and programme roles), a window of interaction metadata and a table of
people and teams that were deliberately planted as isolated, peripheral or siloed. It is pure:
arrow tables come back, nothing is written or printed. Everything is vectorised numpy, so
100,000 employees and several million interactions take seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.errors import ConfigError
from matcher.model import CHANNELS, LIST_SEPARATOR, Channel

MIN_EMPLOYEES = 50
MAX_EMPLOYEES = 200_000
BROADCAST_SIZE = 25
"""Events with more people than this are broadcasts; planted people may only share those."""
ALL_HANDS_CAP = 2_000
"""At most this many attendees per all-hands, to bound the row count of large departments."""

_IN_PERSON, _VIDEO, _CALL, _MEETING, _CHAT, _EMAIL = (
    CHANNELS.index(c)
    for c in (
        Channel.IN_PERSON,
        Channel.VIDEO,
        Channel.CALL,
        Channel.MEETING,
        Channel.CHAT,
        Channel.EMAIL,
    )
)

# city, IANA zone, local language, share of the workforce
_OFFICES = (
    ("Berlin", "Europe/Berlin", "German", 0.15),
    ("London", "Europe/London", "English", 0.14),
    ("New York", "America/New_York", "English", 0.16),
    ("San Francisco", "America/Los_Angeles", "English", 0.13),
    ("Bangalore", "Asia/Kolkata", "Hindi", 0.16),
    ("Singapore", "Asia/Singapore", "Mandarin", 0.08),
    ("São Paulo", "America/Sao_Paulo", "Portuguese", 0.09),
    ("Sydney", "Australia/Sydney", "English", 0.09),
)
_LANGUAGES = (
    "English", "German", "Hindi", "Mandarin", "Portuguese", "Spanish", "French",
    "Italian", "Japanese", "Dutch", "Polish", "Arabic", "Korean", "Tamil", "Turkish",
)  # fmt: skip
_SKILLS = (
    "python", "java", "javascript", "sql", "cloud", "kubernetes", "security",
    "data analysis", "machine learning", "statistics", "ux design", "product management",
    "project management", "public speaking", "technical writing", "negotiation", "sales",
    "crm", "customer success", "financial modelling", "accounting", "excel", "recruiting",
    "coaching", "people management", "marketing analytics", "seo", "copywriting",
    "contract law", "compliance", "research methods",
)  # fmt: skip
_INTERESTS = (
    "hiking", "running", "cycling", "climbing", "yoga", "chess", "board games",
    "video games", "cooking", "baking", "coffee", "photography", "film", "music", "guitar",
    "piano", "singing", "reading", "writing", "history", "travel", "language learning",
    "gardening", "birdwatching", "football", "basketball", "tennis", "swimming",
    "volunteering", "parenting", "dogs", "cats", "podcasts", "painting", "crafts",
    "theatre", "dance", "astronomy", "sustainability", "science fiction",
)  # fmt: skip
# department, team words, favoured skills
_DEPARTMENTS = (
    ("Engineering", ("Platform", "Payments", "Mobile", "Web", "Infrastructure", "Reliability",
                     "Identity", "Data Platform"),
     ("python", "java", "javascript", "sql", "cloud", "kubernetes", "security")),
    ("Sales", ("Enterprise Sales", "Mid-Market", "Partnerships", "Renewals", "Sales Ops"),
     ("negotiation", "sales", "crm", "public speaking")),
    ("Operations", ("Logistics", "Facilities", "Procurement", "Business Ops", "IT Support"),
     ("project management", "excel", "data analysis")),
    ("Finance", ("Accounting", "Planning", "Treasury", "Tax", "Payroll"),
     ("financial modelling", "accounting", "excel", "compliance")),
    ("People", ("Recruiting", "People Partners", "Learning", "Total Rewards"),
     ("recruiting", "coaching", "people management", "public speaking")),
    ("Marketing", ("Brand", "Growth", "Content", "Events", "Product Marketing"),
     ("marketing analytics", "seo", "copywriting", "public speaking")),
    ("Product", ("Product Design", "Discovery", "Product Analytics", "Roadmap"),
     ("product management", "ux design", "data analysis", "research methods")),
    ("Support", ("Customer Care", "Technical Support", "Onboarding", "Success"),
     ("customer success", "crm", "technical writing")),
    ("Legal", ("Contracts", "Privacy", "Compliance", "Corporate Legal"),
     ("contract law", "compliance", "technical writing")),
    ("Research", ("Applied Research", "Data Science", "Labs", "Insights"),
     ("machine learning", "statistics", "python", "research methods")),
)  # fmt: skip
_FIRST_NAMES = (
    "Ada", "Aisha", "Akira", "Alejandro", "Amara", "Ana", "Anders", "Arjun", "Beatriz", "Ben",
    "Chen", "Chloe", "Daniel", "Deepa", "Diego", "Elena", "Emeka", "Emma", "Farah", "Felix",
    "Fatima", "Gabriel", "Hana", "Hugo", "Ines", "Isaac", "Jia", "Jonas", "Julia", "Kai",
    "Kavya", "Lars", "Leila", "Lucas", "Maya", "Mei", "Mateo", "Nadia", "Noah", "Olga",
    "Omar", "Priya", "Rafael", "Rosa", "Sam", "Sofia", "Tariq", "Yuki", "Zoe", "Wei",
)  # fmt: skip
_LAST_NAMES = (
    "Adeyemi", "Almeida", "Becker", "Bianchi", "Chen", "Costa", "Das", "Dubois", "Fischer",
    "Garcia", "Gupta", "Hansen", "Ito", "Jansen", "Kim", "Kowalski", "Kumar", "Larsen", "Lee",
    "Lopez", "Martin", "Mensah", "Meyer", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor",
    "Oliveira", "Patel", "Petrov", "Reddy", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Tanaka", "Taylor", "Wang", "Weber", "Williams", "Wong", "Yilmaz", "Zhang",
)  # fmt: skip
_ROLES = ("mentor", "mentee", "buddy", "peer_supporter", "peer_support_consent", "support_request")


@dataclass(frozen=True)
class SyntheticOrg:
    """A generated organisation, ready to be written as ``employees.csv`` and friends.

    ``employees`` and ``interactions`` follow the input contract; ``truth`` lists what was
    planted (columns ``kind``, ``id``) and ``as_of`` is the last day of the window.
    """

    employees: pa.Table
    interactions: pa.Table
    truth: pa.Table
    as_of: dt.date


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
        Head count, 50 to 200,000.
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
        interactions=_interaction_table(ids, rows),
        truth=_truth_table(ids, tree, plan),
        as_of=end_date,
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


# --------------------------------------------------------------------------- the org chart


@dataclass(frozen=True)
class _Tree:
    parent: np.ndarray  # person -> manager, -1 for the CEO; people are in breadth-first order
    height: np.ndarray  # 0 for individual contributors, 1 for front-line managers, ...
    dept: np.ndarray  # person -> department; 0 is the CEO's office
    dept_names: list[str]
    dept_kind: np.ndarray  # department -> row of _DEPARTMENTS, -1 for the CEO's office
    lead: np.ndarray  # team -> its manager; team t is led by the t-th manager
    team: np.ndarray  # person -> team
    team_names: list[str]
    leads_managers: np.ndarray  # team -> its manager has managers among their reports

    @property
    def is_manager(self) -> np.ndarray:
        return self.height > 0


def _split(d: int, rng: np.random.Generator, *, root: bool) -> np.ndarray:
    """Subtree sizes of the direct reports of a manager with ``d`` people below them.

    Size 1 is an individual contributor, any other size is at least 4, so every manager below
    again gets 3 to 12 reports.
    """
    if d <= 12:
        return np.ones(d, np.int64)
    staff = int(rng.integers(1, 3))
    if d > 60:
        managers = int(rng.integers(5, 10) if root else rng.integers(3, 9))
    else:
        managers = max(1, int(d / 9 + 0.5))
    staff = max(staff, 3 - managers)
    managers = min(managers, (d - staff) // 4)
    shares = rng.dirichlet(np.full(managers, 2.0 if root else 4.0))
    sizes = 4 + rng.multinomial(d - staff - 4 * managers, shares)
    return rng.permutation(np.concatenate([np.ones(staff, np.int64), sizes]))


def _build_tree(n: int, rng: np.random.Generator) -> _Tree:
    parent = np.full(n, -1, np.int64)
    size = np.zeros(n, np.int64)
    size[0] = n
    dept = np.zeros(n, np.int64)
    managers = [0]
    ranges: list[tuple[int, int]] = []
    free = 1
    # breadth first: the t-th manager's reports get the next free ids
    for node in managers:  # grows while we iterate
        sizes = _split(int(size[node]) - 1, rng, root=node == 0)
        lo, hi = free, free + sizes.size
        parent[lo:hi] = node
        size[lo:hi] = sizes
        subs = lo + np.flatnonzero(sizes > 1)
        if node == 0:
            dept[subs] = np.arange(1, subs.size + 1)
        else:
            dept[lo:hi] = dept[node]
        managers.extend(subs.tolist())
        ranges.append((lo, hi))
        free = hi
    height = np.zeros(n, np.int64)
    for t in range(len(managers) - 1, -1, -1):
        lo, hi = ranges[t]
        height[managers[t]] = 1 + int(height[lo:hi].max())
    lead = np.asarray(managers, np.int64)
    team = np.empty(n, np.int64)
    team[lead] = np.arange(lead.size)
    ics = height == 0
    team[ics] = team[parent[ics]]
    sub_managers = lead[1:]
    leads_managers = np.bincount(team[parent[sub_managers]], minlength=lead.size) > 0

    n_depts = int(dept.max()) + 1
    kinds = np.resize(rng.permutation(len(_DEPARTMENTS)), n_depts - 1)
    dept_names = ["Executive"]
    for j, kind in enumerate(kinds.tolist()):
        repeat = j // len(_DEPARTMENTS)
        base = _DEPARTMENTS[kind][0]
        dept_names.append(base if repeat == 0 else f"{base} {repeat + 1}")
    dept_kind = np.concatenate([[-1], kinds]).astype(np.int64)

    counters: dict[str, int] = {}
    team_names = []
    word_pick = rng.random(lead.size)
    for t, m in enumerate(lead.tolist()):
        d = int(dept[m])
        if d == 0:
            word = "Executive Office"
        elif leads_managers[t]:
            word = f"{dept_names[d]} Leadership"
        else:
            words = _DEPARTMENTS[int(dept_kind[d])][1]
            word = words[int(word_pick[t] * len(words))]
        counters[word] = counters.get(word, 0) + 1
        team_names.append(f"{word} {counters[word]}")
    return _Tree(
        parent, height, dept, dept_names, dept_kind, lead, team, team_names, leads_managers
    )


# --------------------------------------------------------------------------- the people


@dataclass(frozen=True)
class _People:
    location: np.ndarray  # index into _OFFICES (also the time zone)
    remote: np.ndarray
    work_start: np.ndarray
    work_end: np.ndarray
    tenure: np.ndarray  # days employed on end_date
    hired: np.ndarray  # window day of the hire date (negative: before the window)
    level: np.ndarray
    languages: np.ndarray  # (n, 3) codes into _LANGUAGES, -1 = none
    interests: np.ndarray  # (n, 5) codes into _INTERESTS
    skills: np.ndarray  # (n, 6) codes into _SKILLS
    wants: np.ndarray  # (n, 3) codes into _SKILLS
    roles: np.ndarray  # (n,) bit mask over _ROLES
    mentor_capacity: np.ndarray  # 0 = not a mentor
    opt_out: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray

    @property
    def office(self) -> np.ndarray:
        """Office index, -1 for remote workers."""
        return np.where(self.remote, -1, self.location)


def _describe(tree: _Tree, rng: np.random.Generator, days: int) -> _People:
    n = tree.parent.size
    is_manager = tree.is_manager
    office_p = np.array([o[3] for o in _OFFICES])
    office_p /= office_p.sum()
    n_offices = len(_OFFICES)

    # place: ~80% in the team's office, 5% in another office, 15% remote
    team_office = rng.choice(n_offices, size=tree.lead.size, p=office_p)
    u = rng.random(n)
    elsewhere = rng.choice(n_offices, size=n, p=office_p)
    location = np.where(u < 0.80, team_office[tree.team], elsewhere)
    remote = u >= 0.85
    location = np.where(remote & (rng.random(n) < 0.5), team_office[tree.team], location)
    work_start = rng.choice(np.array([7, 8, 9, 10]), size=n, p=[0.1, 0.35, 0.4, 0.15])

    # tenure in days: skewed to recent, up to 12 years, 5% hired in the last 90 days
    max_days = 12 * 365
    tenure = _truncated_exponential(rng, n, 900.0, max_days - 90) + 90
    cohort = (rng.random(n) < 0.05) & ~is_manager
    very_recent = rng.random(n) < 0.35
    tenure[cohort] = np.where(
        very_recent[cohort], rng.integers(0, 30, n)[cohort], rng.integers(30, 90, n)[cohort]
    )
    tenure[is_manager] = _truncated_exponential(rng, n, 1100.0, max_days - 180)[is_manager] + 180
    tenure[0] = int(rng.integers(4 * 365, max_days))
    years = tenure / 365.0
    ic_level = np.floor(1.0 + years / 2.5 + rng.normal(0.6, 0.9, n)).clip(1, 5)
    level = np.where(is_manager, 5 + tree.height, ic_level).astype(np.int64)

    # languages: English, the local language for many, a few extras, a few without English
    local = np.array([_LANGUAGES.index(o[2]) for o in _OFFICES])[location]
    english_local = local == 0
    no_english = ~english_local & (rng.random(n) < 0.06)
    languages = np.full((n, 3), -1, np.int64)
    languages[:, 0] = np.where(no_english, -1, 0)
    languages[:, 1] = np.where(~english_local & (no_english | (rng.random(n) < 0.7)), local, -1)
    extra = rng.integers(5, len(_LANGUAGES), n)  # never a local language
    languages[:, 2] = np.where(rng.random(n) < 0.12, extra, -1)

    # interests, skills (department-flavoured) and wants (skills they lack)
    n_interests = rng.integers(2, 6, n)
    interests = _top_k(rng, np.zeros((n, len(_INTERESTS))), n_interests, 5)
    skill_bias = np.zeros((len(_DEPARTMENTS) + 1, len(_SKILLS)))
    for kind, (_, _, favoured) in enumerate(_DEPARTMENTS):
        skill_bias[kind, [_SKILLS.index(s) for s in favoured]] = np.log(6.0)
    skill_logw = skill_bias[tree.dept_kind[tree.dept]]  # the CEO's office takes the last row
    skills = _top_k(rng, skill_logw, rng.integers(2, 7, n), 6)
    owned = np.zeros((n, len(_SKILLS)), bool)
    person, k = np.nonzero(skills >= 0)
    owned[person, skills[person, k]] = True
    wants = _top_k(rng, np.where(owned, -np.inf, 0.0), rng.integers(1, 4, n), 3)

    # programme roles and opt-outs
    mentor = _pick(rng, ((years >= 2) & (level >= 3)).astype(float), round(0.10 * n))
    junior = np.array([0.0, 6.0, 4.0, 2.0, 1.0, 0.5])[np.minimum(level, 5)]
    mentee = _pick(rng, np.where(mentor | is_manager, 0.0, junior), round(0.12 * n))
    buddy = _pick(rng, (years >= 1).astype(float), round(0.15 * n))
    peer = _pick(rng, (years >= 0.5).astype(float), round(0.03 * n))
    opt_out = _pick(rng, (~is_manager).astype(float), round(0.01 * n))
    # peer support: about half consent to be offered support if flagged; ~1% ask for it
    consent = rng.random(n) < 0.5
    request = _pick(rng, np.ones(n), round(0.01 * n))
    roles = mentor * 1 + mentee * 2 + buddy * 4 + peer * 8 + consent * 16 + request * 32
    capacity = np.where(mentor, rng.choice(np.array([1, 2, 3, 4]), n, p=[0.2, 0.4, 0.3, 0.1]), 0)

    return _People(
        location=location,
        remote=remote,
        work_start=work_start,
        work_end=work_start + 8,
        tenure=tenure,
        hired=(days - 1) - tenure,
        level=level,
        languages=languages,
        interests=interests,
        skills=skills,
        wants=wants,
        roles=roles,
        mentor_capacity=capacity,
        opt_out=opt_out,
        first_name=rng.integers(0, len(_FIRST_NAMES), n),
        last_name=rng.integers(0, len(_LAST_NAMES), n),
    )


def _truncated_exponential(
    rng: np.random.Generator, n: int, scale: float, upper: int
) -> np.ndarray:
    u = rng.random(n) * -np.expm1(-upper / scale)
    return np.floor(-scale * np.log1p(-u)).astype(np.int64)


def _top_k(rng: np.random.Generator, log_w: np.ndarray, k: np.ndarray, k_max: int) -> np.ndarray:
    """Per row, ``k`` distinct column codes drawn with weights ``exp(log_w)``; -1 pads."""
    keys = log_w + rng.gumbel(size=log_w.shape)
    codes = np.argsort(-keys, axis=1, kind="stable")[:, :k_max]
    return np.where(np.arange(k_max) < k[:, None], codes, -1)


def _pick(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    """Mask of ``k`` distinct rows drawn with probability proportional to ``weight``."""
    positive = weight > 0
    k = min(k, int(positive.sum()))
    chosen = np.zeros(weight.size, bool)
    if k > 0:
        keys = np.full(weight.size, -np.inf)
        keys[positive] = np.log(weight[positive]) + rng.gumbel(size=int(positive.sum()))
        chosen[np.argpartition(-keys, k - 1)[:k]] = True
    return chosen


# --------------------------------------------------------------------------- planted truth


@dataclass(frozen=True)
class _Plan:
    isolated: np.ndarray  # person mask
    peripheral: np.ndarray  # person mask
    partners: np.ndarray  # (m, 2) peripheral person, teammate they are tied to
    siloed: np.ndarray  # team mask

    @property
    def quiet(self) -> np.ndarray:
        """People left out of every ordinary activity."""
        return self.isolated | self.peripheral


def _plant(
    tree: _Tree,
    people: _People,
    rng: np.random.Generator,
    isolated_share: float,
    peripheral_share: float,
    siloed_share: float,
) -> _Plan:
    n_teams = tree.lead.size
    team_size = np.bincount(tree.team, minlength=n_teams)
    eligible_team = (team_size >= 5) & ~tree.leads_managers
    n_silo = round(siloed_share * int((team_size >= 5).sum()))
    siloed = _pick(rng, eligible_team.astype(float), n_silo)
    in_silo = siloed[tree.team]

    base = ~tree.is_manager & ~people.opt_out
    settled = people.tenure >= 30
    n_isolated = round(isolated_share * int(base.sum()))
    n_peripheral = round(peripheral_share * int(base.sum()))
    isolated = _pick(
        rng, (base & settled & ~in_silo) * np.where(people.remote, 2.0, 1.0), n_isolated
    )

    # a peripheral person needs two possible partners: settled teammates, neither planted
    partner_ok = base & (people.tenure >= 45) & ~isolated & ~in_silo
    partner_count = np.bincount(tree.team[partner_ok], minlength=n_teams)
    room = partner_count[tree.team] - partner_ok >= 2
    peripheral = _pick(
        rng, (base & settled & ~in_silo & ~isolated & room).astype(float), n_peripheral
    )
    pool = np.flatnonzero(partner_ok & ~peripheral)
    pool = pool[np.argsort(tree.team[pool], kind="stable")]
    count = np.bincount(tree.team[pool], minlength=n_teams)
    start = np.cumsum(count) - count
    who = np.flatnonzero(peripheral)
    c = count[tree.team[who]]
    peripheral[who[c == 0]] = False  # no partner left: plant nobody rather than a liar
    who, c = who[c > 0], c[c > 0]
    first = rng.integers(0, c)
    second = (first + 1 + rng.integers(0, np.maximum(c - 1, 1))) % c
    two = (c >= 2) & (rng.random(who.size) < 0.4)
    s = start[tree.team[who]]
    partners = np.concatenate(
        [np.stack([who, pool[s + first]], 1), np.stack([who[two], pool[(s + second)[two]]], 1)]
    )
    return _Plan(isolated, peripheral, partners, siloed)


# --------------------------------------------------------------------------- time


@dataclass(frozen=True)
class _Clock:
    """Window days in local time and their conversion to UTC epoch seconds."""

    midnight: np.ndarray  # day -> epoch seconds of 00:00 UTC on that date
    offset: np.ndarray  # (zone, day) -> seconds east of UTC at local noon
    weekday: np.ndarray  # day -> 0 Monday ... 6 Sunday
    cdf_any: np.ndarray  # day distribution of messages: a little weekend chat
    cdf_work: np.ndarray  # day distribution of meetings: weekdays only
    by_weekday: tuple[np.ndarray, ...]  # weekday -> its days in the window

    @staticmethod
    def build(start: dt.date, days: int) -> _Clock:
        dates = [start + dt.timedelta(days=d) for d in range(days)]
        midnight = (np.datetime64(start, "D") + np.arange(days)).astype("datetime64[s]")
        offset = np.array(
            [[_utc_offset(office[1], d) for d in dates] for office in _OFFICES],
            np.int64,
        )
        weekday = (np.arange(days) + start.weekday()) % 7
        rhythm = np.array([1.0, 1.0, 1.0, 1.0, 0.7, 0.03, 0.03])[weekday]
        return _Clock(
            midnight=midnight.astype(np.int64),
            offset=offset,
            weekday=weekday,
            cdf_any=_cdf(rhythm),
            cdf_work=_cdf(np.where(weekday < 5, rhythm, 0.0)),
            by_weekday=tuple(np.flatnonzero(weekday == k) for k in range(7)),
        )

    @property
    def days(self) -> int:
        return int(self.midnight.size)

    def draw_days(
        self, rng: np.random.Generator, earliest: np.ndarray, *, work: bool
    ) -> np.ndarray:
        """One day per row, not before ``earliest``, following the weekly rhythm."""
        cdf = self.cdf_work if work else self.cdf_any
        earliest = np.clip(earliest, 0, self.days - 1)
        low = np.where(earliest > 0, cdf[np.maximum(earliest, 1) - 1], 0.0)
        u = low + rng.random(earliest.size) * (1.0 - low)
        return np.minimum(np.searchsorted(cdf, u, side="right"), self.days - 1)

    def recurring(
        self, weekday: np.ndarray, phase: np.ndarray, step: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Occurrences of series meeting every ``step`` weeks: (series index, day)."""
        flat = np.concatenate(self.by_weekday)
        length = np.array([d.size for d in self.by_weekday])
        first = np.cumsum(length) - length
        count = np.maximum(0, (length[weekday] - phase + step - 1) // step)
        series, k = _expand(count)
        return series, flat[first[weekday[series]] + phase[series] + step * k]

    def utc(self, zone: np.ndarray, day: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Epoch seconds of local time ``seconds`` after midnight of ``day`` in ``zone``."""
        return self.midnight[day] + seconds - self.offset[zone, day]


def _utc_offset(zone: str, day: dt.date) -> int:
    offset = ZoneInfo(zone).utcoffset(dt.datetime.combine(day, dt.time(12)))
    return int(offset.total_seconds()) if offset is not None else 0


def _cdf(weights: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(weights) / weights.sum()
    cdf[-1] = 1.0
    return cdf


def _expand(count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts ``c``: the owner of each of ``sum(c)`` items and its position 0..c-1."""
    owner = np.repeat(np.arange(count.size), count)
    start = np.cumsum(count) - count
    return owner, np.arange(owner.size) - start[owner]


# --------------------------------------------------------------------------- interactions


@dataclass(frozen=True)
class _Rows:
    source: np.ndarray  # int32 person
    target: np.ndarray
    time: np.ndarray  # int64 epoch seconds (UTC)
    channel: np.ndarray  # uint8 index into CHANNELS
    duration: np.ndarray  # int16 minutes, -1 = none
    event: np.ndarray  # int64 event number, -1 = none

    @staticmethod
    def make(
        source: np.ndarray,
        target: np.ndarray,
        time: np.ndarray,
        channel: np.ndarray | int,
        duration: np.ndarray | int = -1,
        event: np.ndarray | int = -1,
    ) -> _Rows:
        n = source.size

        def full(value: np.ndarray | int, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype), (n,)).astype(dtype)

        return _Rows(
            source.astype(np.int32),
            target.astype(np.int32),
            time.astype(np.int64),
            full(channel, np.uint8),
            full(duration, np.int16),
            full(event, np.int64),
        )

    def select(self, mask: np.ndarray) -> _Rows:
        return _Rows(*(a[mask] for a in self._arrays()))

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (self.source, self.target, self.time, self.channel, self.duration, self.event)

    @staticmethod
    def concat(parts: list[_Rows]) -> _Rows:
        columns = zip(*(p._arrays() for p in parts), strict=True)
        return _Rows(*(np.concatenate(c) for c in columns))


class _Sim:
    """Shared state of the interaction generators: one rng, the people and the calendar."""

    def __init__(
        self, rng: np.random.Generator, clock: _Clock, tree: _Tree, people: _People, plan: _Plan
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.tree = tree
        self.people = people
        self.plan = plan
        self.scale = clock.days / 90.0  # activity counts are calibrated on 90 days
        self.in_silo = plan.siloed[tree.team]
        self.active = ~plan.quiet  # takes part in ordinary activities
        self.open = np.flatnonzero(self.active & ~self.in_silo)  # may meet other teams
        self.office = people.office
        self._next_event = 0

    def events(self, count: int) -> np.ndarray:
        first = self._next_event
        self._next_event += count
        return np.arange(first, first + count, dtype=np.int64)

    def slot(self, who: np.ndarray, longest_minutes: int = 60) -> np.ndarray:
        """A half-hour meeting start (seconds after local midnight) in ``who``'s hours."""
        p = self.people
        slots = 2 * (p.work_end[who] - p.work_start[who]) - longest_minutes // 30 + 1
        return (p.work_start[who] * 60 + 30 * self.rng.integers(0, slots)) * 60

    def message_second(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """A moment (seconds after local midnight) for a message from ``who`` on ``day``."""
        p, rng, n = self.people, self.rng, who.size
        start, end = p.work_start[who] * 3600, p.work_end[who] * 3600
        second = start + rng.random(n) * (end - start)
        evening = rng.random(n) < 0.05
        second = np.where(evening, end + rng.random(n) * 3 * 3600, second)
        weekend = self.clock.weekday[day] >= 5
        second = np.where(weekend, (10 + rng.random(n) * 10) * 3600, second)
        return second.astype(np.int64)

    def hired_by(self, day: np.ndarray, *who: np.ndarray) -> np.ndarray:
        """Mask of rows whose people all work here on ``day``."""
        ok = np.ones(day.size, bool)
        for w in who:
            ok &= self.people.hired[w] <= day
        return ok

    def exchanges(
        self,
        a: np.ndarray,
        b: np.ndarray,
        count: np.ndarray,
        *,
        reply: float,
        call_share: float = 0.0,
        email_share: float = 0.25,
        one_way: bool = False,
    ) -> _Rows:
        """``count`` threads per pair: a message (or call) and maybe a reply and a follow-up."""
        rng, clock, p = self.rng, self.clock, self.people
        pair, _ = _expand(count)
        src, dst = a[pair], b[pair]
        if not one_way:
            swap = rng.random(pair.size) < 0.5
            src, dst = np.where(swap, dst, src), np.where(swap, src, dst)
        day = clock.draw_days(rng, np.maximum(p.hired[src], p.hired[dst]), work=False)
        sent = clock.utc(p.location[src], day, self.message_second(src, day))
        kind = rng.random(pair.size)
        call = kind < call_share
        email = ~call & (kind < call_share + email_share)
        channel = np.where(call, _CALL, np.where(email, _EMAIL, _CHAT))
        duration = np.where(call, rng.integers(10, 31, pair.size), -1)
        delay = np.where(
            email, 300 + rng.exponential(3 * 3600, pair.size), 60 + rng.exponential(2400, pair.size)
        ).astype(np.int64)
        replied = np.flatnonzero(~call & (rng.random(pair.size) < reply))
        answered = self.working_time(sent[replied] + delay[replied], dst[replied])
        follow = rng.random(replied.size) < 0.3
        again = replied[follow]
        followed = self.working_time(answered[follow] + delay[again] // 2, src[again])
        return _Rows.concat(
            [
                _Rows.make(src, dst, sent, channel, duration),
                _Rows.make(dst[replied], src[replied], answered, channel[replied]),
                _Rows.make(src[again], dst[again], followed, channel[again]),
            ]
        )

    def working_time(self, when: np.ndarray, who: np.ndarray) -> np.ndarray:
        """``when``, or the start of ``who``'s next working hours if they are off then."""
        clock, p, rng = self.clock, self.people, self.rng
        day = np.clip((when - clock.midnight[0]) // 86_400, 0, clock.days - 1)
        second = (when + clock.offset[p.location[who], day]) % 86_400  # local time of day
        start, end = p.work_start[who] * 3600, p.work_end[who] * 3600
        wait = np.where(second < start, start - second, 0)
        wait = np.where(second >= end + 2 * 3600, 86_400 - second + start, wait)
        local_day = (when + wait + clock.offset[p.location[who], day]) // 86_400
        weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday
        wait += np.where((wait > 0) & (weekday >= 5), (7 - weekday) * 86_400, 0)
        return when + wait + np.where(wait > 0, rng.integers(0, 3600, when.size), 0)

    def pick_partner(
        self, who: np.ndarray, same_dept: np.ndarray, pool: np.ndarray, *, other_team: bool
    ) -> np.ndarray:
        """A random member of ``pool`` for each of ``who`` (same department where asked),
        outside their team or just not themselves; -1 where a few tries found nobody."""
        rng, tree = self.rng, self.tree
        by_dept = pool[np.argsort(tree.dept[pool], kind="stable")]
        count = np.bincount(tree.dept[by_dept], minlength=len(tree.dept_names))
        start = np.cumsum(count) - count
        partner = np.full(who.size, -1, np.int64)
        todo = np.arange(who.size)
        for _ in range(8):
            w, d = who[todo], tree.dept[who[todo]]
            u = rng.random(todo.size)
            local = same_dept[todo] & (count[d] > 0)
            within = by_dept[
                np.minimum(start[d] + (u * count[d]).astype(np.int64), by_dept.size - 1)
            ]
            cand = np.where(local, within, pool[(u * pool.size).astype(np.int64)])
            ok = tree.team[cand] != tree.team[w] if other_team else cand != w
            partner[todo[ok]] = cand[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
        return partner


def _team_meetings(sim: _Sim) -> _Rows:
    """Weekly team meeting: the manager invites the active individual contributors."""
    rng, tree, clock, p = sim.rng, sim.tree, sim.clock, sim.people
    n_teams = tree.lead.size
    attendees = np.flatnonzero(~tree.is_manager & sim.active)
    attendees = attendees[np.argsort(tree.team[attendees], kind="stable")]
    count = np.bincount(tree.team[attendees], minlength=n_teams)
    start = np.cumsum(count) - count
    lead_office = sim.office[tree.lead][tree.team]
    with_team = (sim.office == lead_office) & (lead_office >= 0)
    colocated = np.bincount(tree.team, weights=with_team, minlength=n_teams) >= 0.8 * np.bincount(
        tree.team, minlength=n_teams
    )
    channel = np.where(colocated, np.where(rng.random(n_teams) < 0.7, _MEETING, _IN_PERSON), _VIDEO)
    duration = rng.choice(np.array([30, 35, 40, 45]), n_teams)
    weekday = rng.choice(5, n_teams, p=[0.2, 0.25, 0.25, 0.2, 0.1])
    slot = sim.slot(tree.lead)

    teams = np.flatnonzero(count > 0)
    series, day = clock.recurring(weekday[teams], np.zeros(teams.size, np.int64), 1)
    held = rng.random(series.size) >= 0.08
    team, day = teams[series[held]], day[held]
    event = sim.events(team.size)
    row, k = _expand(count[team])
    t, d = team[row], day[row]
    who, lead = attendees[start[t] + k], tree.lead[t]
    time = clock.utc(p.location[lead], d, slot[t])
    rows = _Rows.make(lead, who, time, channel[t], duration[t], event[row])
    return rows.select(sim.hired_by(d, lead, who))


def _one_on_ones(sim: _Sim) -> _Rows:
    """Biweekly 1:1 of every active person with their manager: one row per meeting."""
    rng, tree, clock, p = sim.rng, sim.tree, sim.clock, sim.people
    report = np.flatnonzero((tree.parent >= 0) & sim.active)
    boss = tree.parent[report]
    n = report.size
    # per pair: a way of meeting, a slot in the manager's day, a length
    together = (sim.office[report] == sim.office[boss]) & (sim.office[report] >= 0)
    remote_channel = np.where(rng.random(n) < 0.5, _CALL, _VIDEO)
    channel = np.where(together & (rng.random(n) < 0.5), _IN_PERSON, remote_channel)
    slot = sim.slot(boss)
    duration = rng.choice(np.array([25, 30]), n)
    series, day = clock.recurring(rng.integers(0, 5, n), rng.integers(0, 2, n), 2)
    held = (rng.random(series.size) >= 0.1) & sim.hired_by(day, report[series], boss[series])
    series, day = series[held], day[held]
    r, m = report[series], boss[series]
    boss_first = rng.random(series.size) < 0.65
    time = clock.utc(p.location[m], day, slot[series])
    return _Rows.make(
        np.where(boss_first, m, r),
        np.where(boss_first, r, m),
        time,
        channel[series],
        duration[series],
    )


def _team_chat(sim: _Sim) -> _Rows:
    """Each active person keeps up chats and emails with 2 to 4 teammates, with replies."""
    rng, tree = sim.rng, sim.tree
    people = np.flatnonzero(sim.active)
    people = people[np.argsort(tree.team[people], kind="stable")]
    count = np.bincount(tree.team[people], minlength=tree.lead.size)
    start = np.cumsum(count) - count
    position = np.arange(people.size) - start[tree.team[people]]
    c = count[tree.team[people]]
    k = np.where(c >= 2, rng.choice(np.array([2, 3, 4]), people.size, p=[0.35, 0.4, 0.25]), 0)
    owner, _ = _expand(k)
    r = (rng.random(owner.size) * (c[owner] - 1)).astype(np.int64)
    r += r >= position[owner]
    a, b = people[owner], people[start[tree.team[people[owner]]] + r]
    a, b = _unique_pairs(a, b, tree.parent.size)
    threads = 1 + rng.poisson(5.5 * sim.scale, a.size)
    return sim.exchanges(a, b, threads, reply=0.85, email_share=0.25)


def _cross_team_ties(sim: _Sim) -> _Rows:
    """1 to 3 contacts outside the team (mostly the same department): chats, calls."""
    rng = sim.rng
    k = rng.choice(np.array([1, 2, 3]), sim.open.size, p=[0.4, 0.4, 0.2])
    who = np.repeat(sim.open, k)
    partner = sim.pick_partner(who, rng.random(who.size) < 0.65, sim.open, other_team=True)
    found = partner >= 0
    a, b = _unique_pairs(who[found], partner[found], sim.tree.parent.size)
    threads = 1 + rng.poisson(2.0 * sim.scale, a.size)
    return sim.exchanges(a, b, threads, reply=0.9, call_share=0.25, email_share=0.2)


def _cross_team_meetings(sim: _Sim) -> _Rows:
    """Occasional meetings of 3 to 10 people, mostly from one department."""
    rng, clock, p, n = sim.rng, sim.clock, sim.people, sim.tree.parent.size
    meetings = round(1.8 * sim.open.size * sim.scale)
    organiser = sim.open[rng.integers(0, sim.open.size, meetings)]
    size = np.clip(3 + rng.poisson(1.6, meetings), 3, 10)
    meeting, _ = _expand(size - 1)
    invited = sim.pick_partner(
        organiser[meeting], rng.random(meeting.size) < 0.7, sim.open, other_team=False
    )
    day = clock.draw_days(rng, p.hired[organiser], work=True)
    ok = (invited >= 0) & sim.hired_by(day[meeting], np.maximum(invited, 0))
    key = np.unique(meeting[ok] * n + invited[ok])  # drop repeated invitations
    meeting, invited = key // n, key % n
    enough = np.bincount(meeting, minlength=meetings) >= 2
    keep = enough[meeting]
    meeting, invited = meeting[keep], invited[keep]

    org_office = sim.office[organiser]
    away = np.bincount(
        meeting, weights=sim.office[invited] != org_office[meeting], minlength=meetings
    )
    local = (away == 0) & (org_office >= 0)
    u = rng.random(meetings)
    channel = np.where(
        local, np.where(u < 0.6, _IN_PERSON, _MEETING), np.where(u < 0.7, _VIDEO, _MEETING)
    )
    duration = rng.choice(np.array([30, 45, 60]), meetings, p=[0.5, 0.3, 0.2])
    time = clock.utc(p.location[organiser], day, sim.slot(organiser))
    event = np.full(meetings, -1, np.int64)
    event[enough] = sim.events(int(enough.sum()))
    o = organiser[meeting]
    return _Rows.make(
        o, invited, time[meeting], channel[meeting], duration[meeting], event[meeting]
    )


def _all_hands(sim: _Sim) -> _Rows:
    """Monthly department all-hands and a quarterly company all-hands: broadcasts."""
    rng, tree, clock, p = sim.rng, sim.tree, sim.clock, sim.people
    heads = [0, *tree.lead[tree.parent[tree.lead] == 0].tolist()]  # CEO, department heads
    audience = ~sim.in_silo  # siloed teams keep to themselves
    parts = []
    for d, head in enumerate(heads):
        every = 91 if d == 0 else 30
        members = np.flatnonzero(audience & ((tree.dept == d) | (d == 0)))
        members = members[members != head]
        days = np.arange(int(rng.integers(0, min(every, clock.days))), clock.days, every)
        for day in days.tolist():
            weekday = int(clock.weekday[day])
            if weekday >= 5:  # move a weekend date to the Friday before
                day -= weekday - 4
            if day < 0:
                continue
            present = members[p.hired[members] <= day]
            if present.size <= BROADCAST_SIZE + 4:
                continue
            if present.size > ALL_HANDS_CAP:
                present = np.sort(rng.choice(present, ALL_HANDS_CAP, replace=False))
            when = clock.utc(p.location[[head]], np.array([day]), sim.slot(np.array([head])))
            parts.append(
                _Rows.make(
                    np.full(present.size, head),
                    present,
                    np.repeat(when, present.size),
                    _VIDEO if rng.random() < 0.6 else _MEETING,
                    int(rng.choice([45, 60])),
                    sim.events(1)[0],
                )
            )
    return _Rows.concat(parts) if parts else _Rows.make(*(np.empty(0, np.int64),) * 3, 0)


def _peripheral_ties(sim: _Sim) -> _Rows:
    """A peripheral person's only ties: repeated chats both ways with 1-2 teammates."""
    rng = sim.rng
    a, b = sim.plan.partners[:, 0], sim.plan.partners[:, 1]
    chats = sim.exchanges(a, b, 3 + rng.poisson(2.0 * sim.scale, a.size), reply=1.0)
    calls = sim.exchanges(a, b, rng.integers(1, 3, a.size), reply=0.0, call_share=1.0)
    return _Rows.concat([chats, calls])


def _noise(sim: _Sim) -> _Rows:
    """Messages nobody answers; every planted person receives a few of them."""
    rng = sim.rng
    targets = np.flatnonzero(~sim.in_silo)
    count = round(2.0 * sim.open.size * sim.scale)
    src = sim.open[rng.integers(0, sim.open.size, count)]
    dst = targets[rng.integers(0, targets.size, count)]
    quiet = np.flatnonzero(sim.plan.quiet)
    to_quiet = np.repeat(quiet, rng.integers(2, 6, quiet.size))
    src = np.concatenate([src, sim.open[rng.integers(0, sim.open.size, to_quiet.size)]])
    dst = np.concatenate([dst, to_quiet])
    ok = src != dst
    src, dst = src[ok], dst[ok]
    return sim.exchanges(
        src, dst, np.ones(src.size, np.int64), reply=0.0, email_share=0.4, one_way=True
    )


def _unique_pairs(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct unordered pairs (lower id first), self-pairs dropped."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    key = np.unique((lo * n + hi)[lo != hi])
    return key // n, key % n


# --------------------------------------------------------------------------- tables


def _ids(n: int) -> pa.Array:
    width = max(6, len(str(n)))
    return pa.array([f"E{i:0{width}d}" for i in range(1, n + 1)])


def _join_codes(codes: np.ndarray, names: tuple[str, ...]) -> pa.Array:
    """``;``-joined names of the non-negative codes of each row."""
    valid = codes >= 0
    offsets = np.concatenate([[0], np.cumsum(valid.sum(axis=1))]).astype(np.int32)
    values = pa.array(names).take(pa.array(codes[valid]))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), LIST_SEPARATOR)


def _employee_table(
    ids: pa.Array, tree: _Tree, people: _People, end_date: dt.date, days: int
) -> pa.Table:
    names = pc.binary_join_element_wise(
        pa.array(_FIRST_NAMES).take(pa.array(people.first_name)),
        pa.array(_LAST_NAMES).take(pa.array(people.last_name)),
        " ",
    )
    email = pc.binary_join_element_wise(pc.utf8_lower(ids), "@example.com", "")
    manager = ids.take(pa.array(tree.parent, mask=tree.parent < 0))
    city = pa.array([o[0] for o in _OFFICES])
    zones = pa.array([o[1] for o in _OFFICES])
    hire = np.datetime64(end_date, "D") - people.tenure
    role_names = [
        LIST_SEPARATOR.join(r for bit, r in enumerate(_ROLES) if mask >> bit & 1)
        for mask in range(1 << len(_ROLES))
    ]
    capacity = people.mentor_capacity
    return pa.table(
        {
            "id": ids,
            "name": names,
            "email": email,
            "manager_id": manager,
            "team": pa.array(tree.team_names).take(pa.array(tree.team)),
            "department": pa.array(tree.dept_names).take(pa.array(tree.dept)),
            "location": city.take(pa.array(people.location)),
            "timezone": zones.take(pa.array(people.location)),
            "work_start": pa.array(people.work_start, pa.int64()),
            "work_end": pa.array(people.work_end, pa.int64()),
            "hire_date": pa.array(np.datetime_as_string(hire, unit="D").tolist()),
            "level": pa.array(people.level, pa.int64()),
            "languages": _join_codes(people.languages, _LANGUAGES),
            "interests": _join_codes(people.interests, _INTERESTS),
            "skills": _join_codes(people.skills, _SKILLS),
            "wants": _join_codes(people.wants, _SKILLS),
            "roles": pa.array(role_names).take(pa.array(people.roles)),
            "opt_out": pa.array(np.where(people.opt_out, "true", "false").tolist()),
            "mentor_capacity": pa.array(capacity, pa.int64(), mask=capacity == 0),
            "office": pc.if_else(
                pa.array(people.remote), "remote", city.take(pa.array(people.location))
            ),
        }
    )


def _interaction_table(ids: pa.Array, rows: _Rows) -> pa.Table:
    order = np.argsort(rows.time, kind="stable")
    rows = _Rows(*(a[order] for a in rows._arrays()))
    # number events in order of appearance: ev-1 is the earliest
    has = rows.event >= 0
    _, first, inverse = np.unique(rows.event[has], return_index=True, return_inverse=True)
    rank = np.empty(first.size, np.int64)
    rank[np.argsort(first)] = np.arange(1, first.size + 1)
    number = np.zeros(rows.event.size, np.int64)
    number[has] = rank[inverse]
    event = pc.binary_join_element_wise(
        "ev-", pc.cast(pa.array(number, mask=~has), pa.string()), ""
    )
    stamp = pc.cast(pa.array(rows.time, pa.timestamp("s")), pa.string())
    stamp = pc.binary_join_element_wise(pc.replace_substring(stamp, " ", "T"), "+00:00", "")
    channels = pa.array([str(c) for c in CHANNELS])
    return pa.table(
        {
            "source": ids.take(pa.array(rows.source)),
            "target": ids.take(pa.array(rows.target)),
            "timestamp": stamp,
            "channel": channels.take(pa.array(rows.channel)),
            "duration_minutes": pa.array(rows.duration.astype(np.int32), mask=rows.duration < 0),
            "event_id": event,
        }
    )


def _truth_table(ids: pa.Array, tree: _Tree, plan: _Plan) -> pa.Table:
    kinds: list[str] = []
    names: list[str] = []
    planted = (
        ("isolated", ids.take(pa.array(np.flatnonzero(plan.isolated))).to_pylist()),
        ("peripheral", ids.take(pa.array(np.flatnonzero(plan.peripheral))).to_pylist()),
        ("siloed_team", [tree.team_names[t] for t in np.flatnonzero(plan.siloed).tolist()]),
    )
    for kind, chosen in planted:
        kinds += [kind] * len(chosen)
        names += sorted(chosen)
    return pa.table({"kind": pa.array(kinds, pa.string()), "id": pa.array(names, pa.string())})
