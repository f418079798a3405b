"""Synthetic orgs: a realistic organisation with planted isolated and peripheral people and
siloed teams, for the demo, the tests and the benchmarks (:func:`~matcher.synthetic.generate.generate_org`).

:mod:`~matcher.synthetic.vocabulary`, :mod:`~matcher.synthetic.orgchart`,
:mod:`~matcher.synthetic.people`, :mod:`~matcher.synthetic.truth`,
:mod:`~matcher.synthetic.clock`, :mod:`~matcher.synthetic.interactions` and
:mod:`~matcher.synthetic.tables` follow the order in which an org is generated.
"""

__all__ = [
    "clock",
    "followup",
    "generate",
    "interactions",
    "orgchart",
    "people",
    "survey",
    "tables",
    "truth",
    "vocabulary",
]  # the stage's modules
