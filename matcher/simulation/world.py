"""The quarter-by-quarter model of an organisation under connection programs.

A :class:`World` holds the people (by a stable *global* index: the base org's positions, then
hires), the base quarter of interactions, and the ties the programs and onboarding created.
Each quarter :meth:`World.org` builds an :class:`~matcher.model.Org` that the real engine
analyses and assigns; :meth:`World.form_ties`, :meth:`World.advance` move it on.

Notes
-----
The model, stated once (the parameters live in :class:`~matcher.simulation.scenario.Dynamics` and
:class:`~matcher.simulation.scenario.OrgSection`):

* **Background.** The base org's interaction window is replayed every quarter (shifted by 91
  days, so weekdays stay put): people keep meeting their team as they did. Rows that name
  someone who left are dropped. Nothing else changes the background, so any change in the
  flags comes from the programs, hires and departures: a clean counterfactual.
* **Program ties.** A pair formed in quarter ``q`` becomes a tie with probability
  ``tie_probability[kind] × (1 + fit_effect × (fit − ½))`` (capped at 1), where ``fit`` is the
  provider's rank among the seeker's eligible providers by score (½ when there was no choice).
  A tie is ``contacts_per_quarter`` video calls of ``contact_minutes`` spread over the next
  quarter; each later quarter it carries on with probability ``persistence``, otherwise it
  stops and decays out of the 90-day window like any unused tie.
* **Hires** arrive on a uniform day of the quarter, into the team of a random current
  employee (same manager, office, time zone, working hours and languages), at the lowest
  level of the org, with the base org's shares of the seeker roles (mentee, consent to peer
  support, asking for support). From their hire date they have fortnightly 1:1s with their
  manager and chat with a few teammates; each later quarter they start meeting one more
  teammate regularly (up to ``new_hire_team_contacts``). Their ties stay inside their team
  unless a program adds one: that is what buddies are for.
* **Departures**: a uniform share of the employees leaves at the start of each quarter (never
  the top of the tree); their reports move to the leaver's manager.
* **Role levers** (``trained_supporters``, ``mentors``, ``buddies``) hold the number of role
  holders at the given value each quarter: holders are kept by a fixed priority (so the 20
  supporters of one variant are among the 40 of another), and new ones are drawn from
  tenured (≥ 1 year), unflagged employees in the same priority order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from matcher.analysis.flags import Flag
from matcher.analysis.isolation import Analysis
from matcher.assignment.programs import Kind
from matcher.model import CHANNELS, Channel, Employee, InteractionTable, Org
from matcher.simulation.scenario import Dynamics, OrgSection

MODEL_VERSION = 3
"""Bumped whenever the model changes what a cell computes: kept cells of other versions rerun."""
QUARTER_DAYS = 91
DAY = 86_400
SEEKER_ROLES = ("mentee", "peer_support_consent", "support_request")
ROLE_LEVERS = {"trained_supporters": "peer_supporter", "mentors": "mentor", "buddies": "buddy"}
_VIDEO = CHANNELS.index(Channel.VIDEO)
_MEETING = CHANNELS.index(Channel.MEETING)
_CHAT = CHANNELS.index(Channel.CHAT)


def priority(gids: np.ndarray, seed: int) -> np.ndarray:
    """A fixed pseudo-random priority per global index (splitmix64 of ``gid`` and ``seed``).

    >>> a = priority(np.arange(5), seed=1); b = priority(np.arange(3), seed=1)
    >>> bool((a[:3] == b).all()), bool((a != priority(np.arange(5), seed=2)).any())
    (True, True)
    """
    with np.errstate(over="ignore"):
        x = gids.astype(np.uint64) + np.uint64(seed & 0xFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass
class Ties:
    """Ties made by the simulation, one entry each, over global indices."""

    a: list[int] = field(default_factory=list)
    b: list[int] = field(default_factory=list)
    channel: list[int] = field(default_factory=list)
    contacts: list[int] = field(default_factory=list)
    since: list[int] = field(default_factory=list)  # no contact before this time (epoch s)
    lasting: list[bool] = field(default_factory=list)  # work ties never lapse
    fresh: list[bool] = field(default_factory=list)  # formed this quarter: surely active next

    def add(self, a: int, b: int, channel: int, contacts: int, since: int, lasting: bool) -> None:
        self.fresh.append(True)
        self.a.append(a)
        self.b.append(b)
        self.channel.append(channel)
        self.contacts.append(contacts)
        self.since.append(since)
        self.lasting.append(lasting)

    def keep(self, mask: list[bool]) -> None:
        for name in ("a", "b", "channel", "contacts", "since", "lasting", "fresh"):
            values = getattr(self, name)
            setattr(self, name, [v for v, k in zip(values, mask, strict=True) if k])

    def __len__(self) -> int:
        return len(self.a)


@dataclass
class World:
    """The simulated organisation between quarters."""

    people: dict[int, Employee]  # active, by global index
    ids: list[str]  # every global index's id, leavers included
    base: InteractionTable  # the base window, over global indices
    base_as_of: dt.datetime
    section: OrgSection
    dynamics: Dynamics
    lever_seed: int
    rng: np.random.Generator  # departures and hires: the same in every variant
    tie_rng: np.random.Generator  # which pairs become ties
    role_rates: dict[str, float]
    quarter: int = 0
    ties: Ties = field(default_factory=Ties)
    settling: dict[int, int] = field(default_factory=dict)  # hire → teammates still to meet

    @staticmethod
    def start(
        org: Org, section: OrgSection, dynamics: Dynamics, *, seed: int, replication: int
    ) -> World:
        """The world at quarter 0; ``replication`` seeds departures, hires and tie draws."""
        managers = {e.manager_id for e in org.employees}
        staff = [e for e in org.employees if e.id not in managers]
        rates = {
            role: (sum(role in e.roles for e in staff) / len(staff)) if staff else 0.0
            for role in SEEKER_ROLES
        }
        return World(
            people=dict(enumerate(org.employees)),
            ids=list(org.ids),
            base=org.interactions,
            base_as_of=org.as_of or dt.datetime.now(tz=dt.UTC),
            section=section,
            dynamics=dynamics,
            lever_seed=seed,
            rng=np.random.default_rng([seed, replication, 0]),
            tie_rng=np.random.default_rng([seed, replication, 1]),
            role_rates=rates,
        )

    @property
    def as_of(self) -> dt.datetime:
        return self.base_as_of + dt.timedelta(days=QUARTER_DAYS * self.quarter)

    def active(self) -> np.ndarray:
        return np.fromiter(sorted(self.people), dtype=np.int64, count=len(self.people))

    def org(self) -> Org:
        """This quarter's org: the active people, the replayed background and the tie rows."""
        gids = self.active()
        local = np.full(len(self.ids), -1, dtype=np.int64)
        local[gids] = np.arange(len(gids))
        shift = QUARTER_DAYS * DAY * self.quarter
        base = self.base
        keep = (local[base.source] >= 0) & (local[base.target] >= 0)
        background = base.select(keep)
        background = InteractionTable(
            source=local[background.source].astype(np.int32),
            target=local[background.target].astype(np.int32),
            timestamp=background.timestamp + shift,
            channel=background.channel,
            duration=background.duration,
            event=background.event,
            weight=background.weight,
        )
        table = InteractionTable.concat([background, self._tie_rows(local)])
        org = Org([self.people[g] for g in gids.tolist()], table, as_of=self.as_of)
        return org

    def _tie_rows(self, local: np.ndarray) -> InteractionTable:
        """Rows of every tie during the quarter that ends at :attr:`as_of`."""
        if not len(self.ties):
            return InteractionTable.empty()
        end = int(self.as_of.timestamp())
        start = end - QUARTER_DAYS * DAY
        a = local[np.array(self.ties.a)]
        b = local[np.array(self.ties.b)]
        contacts = np.array(self.ties.contacts)
        alive = (a >= 0) & (b >= 0) & (contacts > 0)
        tie = np.repeat(np.flatnonzero(alive), contacts[alive])
        offsets = np.concatenate([np.arange(c) for c in contacts[alive]]) if len(tie) else tie
        spacing = (QUARTER_DAYS * DAY) // contacts[tie]
        when = start + offsets * spacing + spacing // 2
        since = np.array(self.ties.since)[tie]
        valid = when >= since
        tie, when = tie[valid], when[valid]
        channel = np.array(self.ties.channel, dtype=np.uint8)[tie]
        chat = channel == _CHAT
        # chat ties are written both ways (a message and its reply); calls are mutual already
        source = np.concatenate([a[tie], b[tie][chat]]).astype(np.int32)
        target = np.concatenate([b[tie], a[tie][chat]]).astype(np.int32)
        when = np.concatenate([when, when[chat] + 600])
        channel = np.concatenate([channel, channel[chat]])
        minutes = np.where(channel == _CHAT, np.nan, self.dynamics.contact_minutes)
        return InteractionTable(
            source=source,
            target=target,
            timestamp=when.astype(np.int64),
            channel=channel,
            duration=minutes.astype(np.float32),
            event=np.full(len(source), -1, dtype=np.int64),
            weight=np.ones(len(source), dtype=np.float32),
        )

    # ------------------------------------------------------------------ levers and ties

    def apply_role_levers(self, analysis: Analysis, org: Org) -> Org:
        """Hold each role lever's head count; returns the org with the updated people."""
        gids = self.active()
        flagged = np.array(
            [
                bool(set(p.flags) & {Flag.ISOLATED, Flag.PERIPHERAL, Flag.NEW_HIRE})
                for p in analysis.people
            ]
        )
        as_of = self.as_of.date()
        tenured = np.array(
            [
                e.hire_date is None or (as_of - e.hire_date).days >= 365
                for e in (self.people[g] for g in gids.tolist())
            ]
        )
        rank = priority(gids, self.lever_seed)
        changed = False
        for lever, role in ROLE_LEVERS.items():
            target = getattr(self.section, lever)
            if target is None:
                continue
            holds = np.array([role in self.people[g].roles for g in gids.tolist()])
            order = np.argsort(-rank, kind="stable")
            holders = order[holds[order]]
            if len(holders) >= target:
                drop, add = holders[target:], holders[:0]
            else:
                candidates = order[~holds[order] & tenured[order] & ~flagged[order]]
                drop, add = holders[:0], candidates[: target - len(holders)]
            for position in drop.tolist():
                gid = int(gids[position])
                person = self.people[gid]
                self.people[gid] = person.model_copy(
                    update={"roles": tuple(r for r in person.roles if r != role)}
                )
            for position in add.tolist():
                gid = int(gids[position])
                person = self.people[gid]
                self.people[gid] = person.model_copy(update={"roles": (*person.roles, role)})
            changed |= bool(len(drop) or len(add))
        if not changed:
            return org
        return Org([self.people[g] for g in gids.tolist()], org.interactions, as_of=org.as_of)

    def form_ties(self, pairs: list[tuple[int, int]], kind: Kind, fit: list[float]) -> int:
        """Draw which of this quarter's pairs (global indices) become ties; returns how many."""
        base = self.dynamics.probability(kind)
        effect = self.dynamics.fit_effect
        draws = self.tie_rng.random(len(pairs))
        formed = 0
        start = int(self.as_of.timestamp())
        for (a, b), f, u in zip(pairs, fit, draws, strict=True):
            if u < min(1.0, base * (1 + effect * (f - 0.5))):
                self.ties.add(a, b, _VIDEO, self.dynamics.contacts_per_quarter, start, False)
                formed += 1
        return formed

    def advance(self) -> tuple[int, int]:
        """Move to the next quarter: ties carry on or lapse, people leave, hires arrive."""
        draws = self.tie_rng.random(len(self.ties))
        self.ties.keep(
            [
                lasting or fresh or u < self.dynamics.persistence
                for lasting, fresh, u in zip(self.ties.lasting, self.ties.fresh, draws, strict=True)
            ]
        )
        self.ties.fresh = [False] * len(self.ties)
        self.quarter += 1
        left = self._departures()
        self._settle()
        hires = self.section.hires_per_quarter + (
            self.section.hires_next_quarter if self.quarter == 1 else 0
        )
        self._hire(hires)
        return left, hires

    def _departures(self) -> int:
        gids = self.active()
        movable = np.array([self.people[g].manager_id is not None for g in gids.tolist()])
        candidates = gids[movable]
        count = round(self.section.attrition_per_quarter * len(gids))
        count = min(count, len(candidates))
        if not count:
            return 0
        leaving = set(self.rng.choice(candidates, size=count, replace=False).tolist())
        manager_of = {e.id: e.manager_id for e in self.people.values()}
        leaving_ids = {self.ids[g] for g in leaving}
        for gid in leaving:
            del self.people[gid]
        for gid, person in list(self.people.items()):
            boss = person.manager_id
            if boss not in leaving_ids:
                continue
            while boss is not None and boss in leaving_ids:
                boss = manager_of.get(boss)
            self.people[gid] = person.model_copy(update={"manager_id": boss})
        return count

    def _settle(self) -> None:
        """Each quarter after their first, a hire starts meeting one more teammate regularly."""
        by_manager: dict[str | None, list[int]] = {}
        for gid, person in self.people.items():
            by_manager.setdefault(person.manager_id, []).append(gid)
        for gid in sorted(self.settling):
            hire = self.people.get(gid)
            if hire is None or self.settling[gid] <= 0:
                del self.settling[gid]
                continue
            mates = [g for g in by_manager.get(hire.manager_id, []) if g != gid]
            if mates:
                mate = mates[int(self.rng.integers(len(mates)))]
                contacts = self.dynamics.contacts_per_quarter
                self.ties.add(gid, mate, _MEETING, contacts, 0, True)
            self.settling[gid] -= 1

    def _hire(self, count: int) -> None:
        if count <= 0:
            return
        gids = self.active()
        staff = np.array([g for g in gids.tolist() if self.people[g].manager_id is not None])
        if not len(staff):
            return
        levels = [e.level for e in self.people.values() if e.level is not None]
        lowest = min(levels) if levels else None
        end = int(self.as_of.timestamp())
        start = end - QUARTER_DAYS * DAY
        by_manager: dict[str, list[int]] = {}
        for g in staff.tolist():
            by_manager.setdefault(self.people[g].manager_id or "", []).append(g)
        index_of = {self.ids[g]: g for g in gids.tolist()}
        templates = self.rng.choice(staff, size=count)
        days = self.rng.integers(1, QUARTER_DAYS, size=count)  # hired within the last 90 days
        role_draws = self.rng.random((count, len(SEEKER_ROLES)))
        for k in range(count):
            template = self.people[int(templates[k])]
            hired_at = start + int(days[k]) * DAY
            roles = tuple(
                role
                for role, u in zip(SEEKER_ROLES, role_draws[k], strict=True)
                if u < self.role_rates[role]
            )
            gid = len(self.ids)
            new_id = f"H{self.quarter:02d}-{k + 1:05d}"
            self.ids.append(new_id)
            self.people[gid] = template.model_copy(
                update={
                    "id": new_id,
                    "name": None,
                    "email": None,
                    "hire_date": dt.datetime.fromtimestamp(hired_at, tz=dt.UTC).date(),
                    "level": lowest,
                    "roles": roles,
                    "interests": template.interests[:1],
                    "skills": (),
                    "wants": template.skills[:1],
                }
            )
            manager = index_of.get(template.manager_id or "")
            if manager is not None and self.dynamics.new_hire_manager_contacts:
                contacts = self.dynamics.new_hire_manager_contacts
                self.ties.add(gid, manager, _MEETING, contacts, hired_at, True)
            mates = by_manager.get(template.manager_id or "", [])
            chosen = self.rng.permutation(len(mates))[: self.dynamics.new_hire_team_contacts]
            for position in chosen.tolist():
                self.ties.add(gid, mates[position], _CHAT, 3, hired_at, True)
            self.settling[gid] = self.dynamics.new_hire_team_contacts
