"""Files in and out: the contract's tables into models (``load``, ``survey``, ``programs``,
``scenarios``, ``configs``), models into the contract's outputs (``reports``, ``public``,
``simreport``, ``simanswer``, ``scorecard``, ``scorehtml``, ``scoreanswer``; ``calibration``
reads an evaluation back for the simulation), ``messages`` writes introductions (e-mails, Slack JSON, invites), and the machinery under both
(``tables``, ``write``).

Nothing here orchestrates a command: that is :mod:`matcher.workflows`.
"""

__all__ = [
    "calibration",
    "cells",
    "configs",
    "load",
    "messages",
    "programs",
    "public",
    "reports",
    "scenarios",
    "scoreanswer",
    "scorecard",
    "scorehtml",
    "simanswer",
    "simreport",
    "survey",
    "tables",
    "workbook",
    "write",
]  # the stage's modules
