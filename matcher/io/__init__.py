__all__ = [
    "configs",
    "load",
    "programs",
    "reports",
    "runs",
    "scenarios",
    "simanswer",
    "simreport",
    "tables",
    "validate",
    "write",
]  # the stage's modules
