"""Who a program was for: its seekers by the selector it was solved with.

The history keeps each run's program settings; with the org and the analysis from before the
period, the seekers' selector gives who the program meant to serve, so that flagged seekers it
left unmatched can be told from flagged people it never selected.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError

from matcher.analysis.isolation import Analysis, AnalysisView
from matcher.assignment.population import population
from matcher.assignment.programs import ProgramSpec
from matcher.assignment.selection import effective_selector, select
from matcher.model import Org


def program_seekers(
    config: dict[str, Any], org: Org, before: Analysis | AnalysisView
) -> np.ndarray | None:
    """Per person of ``org``: selected as a seeker by the program settings ``config`` (as
    stored with a run), on the flags of ``before``; ``None`` when the settings are missing or
    no longer read (an imported run)."""
    if not config:
        return None
    try:
        spec = ProgramSpec.model_validate(config)
    except ValidationError:
        return None
    pop = population(org, before)
    mask: np.ndarray = select(effective_selector(spec, "seekers"), pop)
    return mask
