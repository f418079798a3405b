"""matcher: peer matching for workplace connection programs.

The notebook API mirrors the CLI::

    import matcher
    org, rejects = matcher.load_org("employees.csv", "interactions.csv")
    result = matcher.analyze(org)
    isolated = result.flagged("isolated")
"""

from matcher.analysis.isolation import Analysis, PersonMetrics, TeamMetrics, analyze
from matcher.config import AnalysisConfig
from matcher.errors import ConfigError, DataError, InfeasibleError, MatcherError
from matcher.io.load import load_employees, load_interactions, load_org
from matcher.version import __version__ as __version__

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
