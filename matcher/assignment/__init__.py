"""Assignment: programs, who may be paired and how well, the solvers, and the independent checks.

Modules, in the order a program flows through them:

* :mod:`~matcher.assignment.programs`: the program file's shape (pydantic models).
* :mod:`~matcher.assignment.population`, :mod:`~matcher.assignment.selection`,
  :mod:`~matcher.assignment.rules`, :mod:`~matcher.assignment.repeats`,
  :mod:`~matcher.assignment.scoring`: per-person arrays, seekers and providers, pair rules,
  committed history, score terms.
* :mod:`~matcher.assignment.fixed_pairs`: must and never pairs, and pairs committed earlier this
  period, as positions.
* :mod:`~matcher.assignment.compile`: a program compiled into a :class:`MatchingProblem`;
  :mod:`~matcher.assignment.kernel` scores the blocks of large programs (numba, imported only
  when a program streams; tested against compile's numpy blocks).
* :mod:`~matcher.assignment.solve`: one ``solve()`` over the flow, CP-SAT and peer solvers (the
  only OR-Tools importers) and the conflict explanations.
* :mod:`~matcher.assignment.explain`: why each pair, why each person is left unmatched.
* :mod:`~matcher.assignment.checks` and :mod:`~matcher.assignment.certificate`: the independent
  rule checker and the optimality certificate (they share no code with compile or solve).
* :mod:`~matcher.assignment.run`: all of it for a program file's programs (``matcher assign``).
"""

__all__ = [
    "certificate",
    "checks",
    "compile",
    "edits",
    "explain",
    "fixed_pairs",
    "groups",
    "kernel",
    "population",
    "programs",
    "repeats",
    "rules",
    "run",
    "scoring",
    "selection",
    "solve",
]  # the stage's modules
