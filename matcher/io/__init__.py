"""Files in and out: the contract's tables into models (``load``, ``survey``, ``programs``,
``scenarios``, ``configs``), models into the contract's outputs (``reports``, ``public``,
``simreport``, ``simanswer``), and the machinery under both (``tables``, ``write``).

Nothing here orchestrates a command: that is :mod:`matcher.workflows`.
"""

__all__ = [
    "configs",
    "load",
    "programs",
    "public",
    "reports",
    "scenarios",
    "simanswer",
    "simreport",
    "survey",
    "tables",
    "write",
]  # the stage's modules
