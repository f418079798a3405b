"""Interactions: meetings, one-on-ones, chat, cross-team ties, all-hands and noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.model import CHANNELS, Channel
from matcher.synthetic.clock import _Clock, _expand
from matcher.synthetic.orgchart import _Tree
from matcher.synthetic.people import _People
from matcher.synthetic.truth import _Plan
from matcher.synthetic.vocabulary import ALL_HANDS_CAP, BROADCAST_SIZE

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
