"""The planted truth: who is made isolated or peripheral, and which teams are siloed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.synthetic.orgchart import _Tree
from matcher.synthetic.people import _People, _pick

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
