"""The analysis configuration: every parameter of the collaboration graph and the flags.

Defaults follow the domain brief (``shared/domain/BRIEF.md``): video and in-person contact build
connection about equally well, calls less, chat and e-mail least; reciprocity matters more than
volume; recent contact matters more than old.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from matcher.model import Channel

DEFAULT_CHANNEL_WEIGHTS: dict[Channel, float] = {
    Channel.IN_PERSON: 1.0,
    Channel.VIDEO: 1.0,
    Channel.MEETING: 0.8,
    Channel.CALL: 0.7,
    Channel.CHAT: 0.3,
    Channel.EMAIL: 0.2,
}


DATA_CHECK_FIELDS = frozenset(
    {
        "min_share_with_interactions",
        "min_channels",
        "min_window_coverage",
        "interactions_per_week",
        "max_one_way_share",
    }
)
"""The thresholds of the data checks (:mod:`matcher.analysis.sufficiency`): they judge the
interactions and change no flag, tie or metric."""


class AnalysisConfig(BaseModel):
    """Parameters of tie strength, strong ties and the isolation flags.

    Tie strength of a pair is the sum over their interactions of
    ``channel_weight × duration_factor × 0.5 ** (age_days / half_life_days) × weight / (n − 1)``
    for an ``n``-person event; ``duration_factor = min((minutes / duration_reference_minutes)
    ** duration_exponent, duration_cap)`` when a duration is given, else 1.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    channel_weights: dict[Channel, float] = Field(
        default_factory=lambda: dict(DEFAULT_CHANNEL_WEIGHTS),
        description="Weight of one interaction by channel.",
    )
    half_life_days: float = Field(
        30.0, gt=0, description="Recency decay: weight halves every N days."
    )
    window_days: int = Field(
        90, gt=0, description="Interactions older than this (before as-of) are ignored."
    )
    broadcast_size: int = Field(
        25, ge=2, description="Events with more people than this are broadcasts and ignored."
    )
    duration_reference_minutes: float = Field(30.0, gt=0)
    duration_exponent: float = Field(0.5, ge=0, le=1)
    duration_cap: float = Field(2.0, gt=0)
    strong_tie_fraction: float = Field(
        1.0,
        gt=0,
        description="A reciprocated tie is strong when its strength is at least this fraction of the "
        "median strength of all reciprocated ties (an org-relative threshold). At 1.0 the strong ties "
        "are the stronger half: a single shared meeting does not make someone a person to turn to.",
    )
    survey_weight: float = Field(
        1.0,
        ge=0,
        description='Strength of one survey nomination ("who do you turn to?"), in strong-tie '
        "thresholds: at 1.0 a nomination answered by any contact the other way is a strong tie. "
        "Two people who name each other always have a strong tie.",
    )
    new_hire_days: int = Field(
        90, ge=0, description="Hired within this many days of as-of: a new hire."
    )
    peripheral_quantile: float = Field(
        0.10,
        ge=0,
        lt=1,
        description="Few strong ties means at most this quantile of strong-tie counts in the person's cohort.",
    )
    peripheral_max_ties: int = Field(
        3, ge=1, description="Upper bound on 'few strong ties', whatever the quantile."
    )
    connector_share: float = Field(
        0.02, gt=0, lt=1, description="Top share of sampled betweenness flagged as connectors."
    )
    connector_min_teams: int = Field(
        2, ge=1, description="A connector has strong ties into at least this many other teams."
    )
    betweenness_samples: int = Field(64, ge=1, description="Pivot sources for sampled betweenness.")
    siloed_relative: float = Field(
        0.3,
        gt=0,
        lt=1,
        description="A team is siloed when its cross-team share of strength is at most this fraction of the org median.",
    )
    min_group_size: int = Field(
        5, ge=1, description="Team aggregates of fewer people are suppressed."
    )
    community_resolution: float = Field(1.0, gt=0)
    seed: int = Field(0, description="Seed of community detection and betweenness sampling.")
    min_share_with_interactions: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Data check: at least this share of people take part in an interaction in "
        "the window; below it, people without data would be flagged isolated.",
    )
    min_channels: int = Field(
        2,
        ge=0,
        description="Data check: at least this many channels (chat, meeting …) in the window; "
        "from one channel alone, people who connect on another look isolated.",
    )
    min_window_coverage: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Data check: the interactions span at least this share of the window's "
        "days (first to last interaction in it).",
    )
    interactions_per_week: tuple[float, float] = Field(
        (1.0, 1000.0),
        description="Data check: the plausible range of the median person's interaction rows "
        "per week (over the days the interactions span); below it the export is thin, above "
        "it rows are likely repeated or sent by bots.",
    )
    max_one_way_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Data check: at most this share of the pairs in contact are one-way (one "
        "wrote, the other never answered nor met them), as when only public channels were "
        "exported: then almost nobody has a reciprocated tie.",
    )

    @field_validator("interactions_per_week")
    @classmethod
    def _ordered_range(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        low, high = bounds
        if not 0 <= low <= high:
            raise ValueError(f"expected 0 <= low <= high, found [{low}, {high}]")
        return bounds

    @field_validator("channel_weights")
    @classmethod
    def _all_channels(cls, weights: dict[Channel, float]) -> dict[Channel, float]:
        merged = dict(DEFAULT_CHANNEL_WEIGHTS)
        merged.update(weights)
        for channel, weight in merged.items():
            if weight < 0:
                raise ValueError(f"channel weight of {channel.value} must be >= 0, found {weight}")
        return merged
