"""Benchmarks of ``matcher``: workloads, same-run baselines and result files.

Not part of the test suite (``tests/test_benchmarks.py`` only smoke-tests the output format).
Run ``python -m benchmarks run --size S|M|L`` from the repository root; results go to
``benchmarks/results/<date>-<size>.json`` and ``.md``, and ``python -m benchmarks readme``
prints docs/performance.md (the performance page) from the newest of them.
"""
