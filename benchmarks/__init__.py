"""Benchmarks of ``matcher``: workloads, same-run baselines and result files.

Not part of the test suite (``tests/benchmarks/`` only smoke-tests the output format).
Run ``python -m benchmarks run --size S|M|L`` from the repository root; results go to
``benchmarks/results/<date>-<size>.json`` and ``.md``, and ``python -m benchmarks readme
--write`` regenerates docs/performance.md (the performance page) and the README's summary from
the newest of them. The hand-written baselines are in :mod:`benchmarks.baselines`, the targets
in :mod:`benchmarks.targets`, the profiler in :mod:`benchmarks.profiling`.
"""
