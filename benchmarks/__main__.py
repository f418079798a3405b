"""``python -m benchmarks``: see :mod:`benchmarks.cli`."""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["pipeline"]:
        # lazily, both: a baseline timed from start to exit like the CLI it is compared with
        # loads what a hand-written script would (pandas, numpy, its library), not the harness
        from benchmarks.baselines.e2e import pipeline

        pipeline(sys.argv[2:], prog_name="python -m benchmarks pipeline")
    else:
        from benchmarks.cli import main

        main(prog_name="python -m benchmarks")
