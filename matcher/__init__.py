"""matcher: peer matching for workplace connection programs.

The notebook API mirrors the CLI::

    import matcher
    org, rejects = matcher.load_org("employees.csv", "interactions.csv")
    result = matcher.analyze(org)
    isolated = result.flagged("isolated")

Names are imported on first use, so that ``import matcher`` (and ``matcher --help``) does not
load the graph libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from matcher.version import __version__ as __version__

_HOMES = {
    "Analysis": "matcher.analysis.isolation",
    "PersonMetrics": "matcher.analysis.isolation",
    "TeamMetrics": "matcher.analysis.isolation",
    "analyze": "matcher.analysis.isolation",
    "AnalysisConfig": "matcher.config",
    "ConfigError": "matcher.errors",
    "DataError": "matcher.errors",
    "InfeasibleError": "matcher.errors",
    "MatcherError": "matcher.errors",
    "load_employees": "matcher.io.load",
    "load_interactions": "matcher.io.load",
    "load_org": "matcher.io.load",
}

__all__ = [
    "Analysis",
    "AnalysisConfig",
    "ConfigError",
    "DataError",
    "InfeasibleError",
    "MatcherError",
    "PersonMetrics",
    "TeamMetrics",
    "analyze",
    "load_employees",
    "load_interactions",
    "load_org",
]

if TYPE_CHECKING:
    from matcher.analysis.isolation import Analysis, PersonMetrics, TeamMetrics, analyze
    from matcher.config import AnalysisConfig
    from matcher.errors import ConfigError, DataError, InfeasibleError, MatcherError
    from matcher.io.load import load_employees, load_interactions, load_org


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'matcher' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])
