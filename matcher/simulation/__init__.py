"""Simulation: what-if scenarios for program leads, on an org that evolves quarter by quarter.

:mod:`~matcher.simulation.scenario` (the scenario file's shape and its variants),
:mod:`~matcher.simulation.world` (the dynamics: ties form and fade, people join and leave),
:mod:`~matcher.simulation.cell` (one variant and seed, quarter by quarter),
:mod:`~matcher.simulation.grid` (every cell, here or on workers) and
:mod:`~matcher.simulation.stats` (summaries across replications).
"""

__all__ = ["cell", "grid", "scenario", "stats", "world"]  # the stage's modules
