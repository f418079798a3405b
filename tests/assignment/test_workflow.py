"""The quarter as a state machine: propose, commit, incremental runs with new hires, must/never
edits, withdraw and the next period, checked at every step by the independent checker and by a
from-scratch solve, against a real history database."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from matcher.analysis.isolation import analyze
from matcher.assignment.checks import HistoryPair, check_assignment
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.run import ProgramResult, assign_programs
from matcher.assignment.solve import SolveOptions
from matcher.history import History, HistoryError
from matcher.model import Employee, Org
from tests.strategies import AS_OF, org_of, programs, small_orgs

PERIODS = ("2026Q4", "2027Q1", "2027Q2", "2027Q3")
LOAD_RULES = {"capacity", "per_seeker", "max_same_team_per_provider", "duplicate"}


class Quarter(RuleBasedStateMachine):
    """One mentoring program run quarter after quarter the way HR runs it."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.db = History(Path(self.folder.name) / "matcher.db")
        self.period = 0
        self.proposals: list[str] = []
        self.hires = 0

    def teardown(self) -> None:
        self.db.close()
        self.folder.cleanup()

    @initialize(data=st.data())
    def setup(self, data: st.DataObject) -> None:
        self.org: Org = data.draw(small_orgs(min_people=4, max_people=8))
        spec = data.draw(programs(self.org, side_constraints=True))
        self.spec: ProgramSpec = spec.model_copy(update={"period": PERIODS[0]})

    # ------------------------------------------------------------------ helpers

    def committed(self) -> list[tuple[str | None, str, str, str]]:
        return [(p.kind, p.seeker_id, p.provider_id, p.period) for p in self.db.committed_pairs()]

    def current(self) -> list[tuple[str, str]]:
        return [
            (p.seeker_id, p.provider_id)
            for p in self.db.committed_pairs()
            if p.program == self.spec.name and p.period == self.spec.period
        ]

    def solve(
        self, spec: ProgramSpec, history: list[tuple[str | None, str, str, str]], prior: list
    ) -> ProgramResult:
        return assign_programs(
            self.org,
            analyze(self.org),
            [spec],
            history=history,
            prior=(lambda _spec: prior) if prior is not None else None,
            options=SolveOptions(time_limit=5),
        )[0]

    def violations(self, pairs: list[tuple[str, str]], history: list) -> list[str]:
        flags = {p.id: set(p.flags) for p in analyze(self.org).people}
        return [
            f"{v.rule}: {v.message}"
            for v in check_assignment(
                self.spec,
                self.org,
                pairs,
                flags=flags,
                history=[HistoryPair(*h) for h in history],
                as_of=AS_OF.date(),
            )
        ]

    # ------------------------------------------------------------------ steps

    @rule(incremental=st.booleans())
    def propose(self, incremental: bool) -> None:
        """assign (the result passed the checker and the certificate inside assign_programs),
        then record it as a proposal; an incremental one is compared with a from-scratch solve
        that keeps the committed pairs as must pairs."""
        history = self.committed()
        prior = self.current() if incremental else None
        result = self.solve(self.spec, history, prior)
        new = [(a.seeker_id, a.provider_id) for a in result.assignments]
        if incremental and result.solution.status == "optimal":
            others = [
                h
                for h in history
                if not (h[3] == self.spec.period and (h[1], h[2]) in set(prior or []))
            ]
            if prior and not self.violations(list(prior), others):
                must = [*self.spec.pairs.must, *(list(pair) for pair in prior)]
                fixed = self.spec.model_copy(
                    update={"pairs": self.spec.pairs.model_copy(update={"must": must})}
                )
                scratch = self.solve(fixed, others, None)
                if scratch.solution.status == "optimal":
                    assert len(scratch.assignments) == len(prior) + len(new)
        with self.db.transaction() as db:
            run_id = self.db.next_run_id(self.spec.name, self.spec.period)
            self.db.add_run(
                db,
                run_id=run_id,
                program=self.spec.name,
                kind=self.spec.kind.value,
                period=self.spec.period,
                status=result.solution.status,
                pairs=[(s, p, None) for s, p in new],
                builds_on=self.db.committed_runs(self.spec.name, self.spec.period)
                if incremental
                else None,
            )
        self.proposals.append(run_id)

    @rule(incremental=st.booleans())
    def propose_and_commit(self, incremental: bool) -> None:
        """What HR does most: run the period and approve it straight away."""
        self.propose(incremental)
        self.commit_latest()

    @rule()
    def commit_latest(self) -> None:
        if not self.proposals:
            return
        run_id = self.proposals[-1]
        run = self.db.get(run_id)
        committed = self.db.committed_runs(run.program, run.period)
        builds_on = self.db._builds_on(run_id)
        expected = (
            run.state == "proposed"
            and run.status != "infeasible"
            and (committed == [] if builds_on is None else sorted(builds_on) == committed)
        )
        try:
            self.db.commit(run_id)
        except HistoryError:
            assert not expected
        else:
            assert expected

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        committed = self.db.committed_runs(self.spec.name, self.spec.period)
        if not committed:
            return
        run_id = data.draw(st.sampled_from(committed))
        needed = any(run_id in (self.db._builds_on(other) or []) for other in committed)
        try:
            self.db.withdraw(run_id)
        except HistoryError:
            assert needed
        else:
            assert not needed

    @rule()
    def new_hire(self) -> None:
        self.hires += 1
        people = [
            *self.org.employees,
            Employee(
                id=f"H{self.hires}",
                roles=("mentee",),
                team="a",
                languages=("en",),
                hire_date=AS_OF.date() - dt.timedelta(days=10),
            ),
        ]
        org = org_of(people)
        self.org = org

    @rule(data=st.data(), kind=st.sampled_from(["must", "never"]))
    def edit_pairs(self, data: st.DataObject, kind: str) -> None:
        ids = [e.id for e in self.org.employees]
        pair = data.draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        if kind == "must":
            mentees = [e.id for e in self.org.employees if "mentee" in e.roles]
            mentors = [e.id for e in self.org.employees if "mentor" in e.roles]
            if not mentees or not mentors or set(mentees) == set(mentors) == {mentees[0]}:
                return
            seeker = data.draw(st.sampled_from(mentees))
            provider = data.draw(st.sampled_from([m for m in mentors if m != seeker] or [seeker]))
            if seeker == provider:
                return
            pair = [seeker, provider]
        listed = [*getattr(self.spec.pairs, kind), pair]
        self.spec = self.spec.model_copy(
            update={"pairs": self.spec.pairs.model_copy(update={kind: listed})}
        )

    @rule()
    def next_period(self) -> None:
        if self.period + 1 < len(PERIODS):
            self.period += 1
            self.spec = self.spec.model_copy(update={"period": PERIODS[self.period]})

    # ------------------------------------------------------------------ invariants

    @invariant()
    def no_period_is_double_booked(self) -> None:
        """The committed pairs of each period respect capacity, per_seeker and per-team caps,
        and list no pair twice."""
        if not hasattr(self, "spec"):
            return
        by_period: dict[str, list[tuple[str, str]]] = {}
        for p in self.db.committed_pairs():
            by_period.setdefault(p.period, []).append((p.seeker_id, p.provider_id))
        for period, pairs in by_period.items():
            spec = self.spec.model_copy(update={"period": period})
            flags = {p.id: set(p.flags) for p in analyze(self.org).people}
            broken = [
                v
                for v in check_assignment(spec, self.org, pairs, flags=flags, as_of=AS_OF.date())
                if v.rule in LOAD_RULES
            ]
            assert broken == [], (period, broken)


# at least 200 quarters whatever the profile: double-booking needs a few steps to show
Quarter.TestCase.settings = settings(
    max_examples=max(settings().max_examples, 200),
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_a_quarter_stays_consistent = pytest.mark.filterwarnings("ignore")(Quarter.TestCase)
