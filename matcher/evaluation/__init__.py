"""Evaluation: what became of committed pairs, whether pairing helped, and the scorecard.

Pure functions of loaded data (no files): :mod:`~matcher.evaluation.outcomes` judges each
pair (met, first meeting, tie formed), :mod:`~matcher.evaluation.effect` compares flagged
people who were matched with those who were not, :mod:`~matcher.evaluation.scorecard` gathers
the metrics per program and period with small groups suppressed.
"""

__all__ = ["cohorts", "effect", "outcomes", "scorecard"]
