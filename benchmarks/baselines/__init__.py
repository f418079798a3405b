"""Hand-written baselines: the same work as a matcher command, written with another library.

* :mod:`~benchmarks.baselines.e2e`: ``matcher analyze``'s work by hand, pandas and plain
  networkx or igraph, CSV files in, per-person CSV out (``python -m benchmarks pipeline``);
* :mod:`~benchmarks.baselines.metrics`: the analysis's metric set in plain networkx and igraph,
  from the same edge lists as matcher's;
* :mod:`~benchmarks.baselines.assign`: assignments on matcher's compiled eligible pairs, the
  bare OR-Tools min-cost flow, scipy's ``linear_sum_assignment``, networkx
  ``max_weight_matching``, mentor-match, greedy by score and random pairing
  (``python -m benchmarks assign-baseline``).

Each runs in a child process whose peak memory is reported, so each imports only its own
library, lazily, and none of them imports matcher.
"""
