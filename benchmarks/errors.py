"""The one error the harness raises: a workload that could not be measured."""

from __future__ import annotations


class BenchmarkError(Exception):
    """A benchmark step failed (a command exited non-zero, a result file is missing …)."""
