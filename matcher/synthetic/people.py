"""The people: attributes drawn for each employee of the tree (roles, languages, hours, …)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matcher.synthetic.orgchart import _Tree
from matcher.synthetic.vocabulary import (
    _DEPARTMENTS,
    _FIRST_NAMES,
    _INTERESTS,
    _LANGUAGES,
    _LAST_NAMES,
    _OFFICES,
    _SKILLS,
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
