"""CPU seconds per cell of the simulate benchmark grid, in this process (standalone script).

Runs the first ``N`` cells of ``benchmarks/scenarios/simulate-grid.toml`` one after another
with :func:`matcher.simulation.cell.run_cell` and prints the CPU time of each (process time:
less sensitive than wall time to other work on a shared machine). Compare two checkouts by
pointing ``PYTHONPATH`` at each in turn::

    PYTHONPATH=. .venv/bin/python benchmarks/simulate_cells.py 6
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/simulate_cells.py 6
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from matcher.io.scenarios import load_base_org, load_base_survey, load_scenario
from matcher.simulation.cell import run_cell
from matcher.simulation.grid import grid

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "simulate-grid.toml"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    base, variants = load_scenario(SCENARIO, ())
    cells = grid(variants, base.scenario.replications, load_base_org, load_base_survey)
    load_base_org(base.org)  # generated once per process, as in a worker; not timed
    times = []
    for cell in cells[:count]:
        started = time.process_time()
        run_cell(cell)
        times.append(time.process_time() - started)
    print(
        f"CPU per cell over {len(times)} cells: median {statistics.median(times):.2f} s, "
        f"mean {statistics.mean(times):.2f} s; each: {', '.join(f'{t:.2f}' for t in times)}"
    )


if __name__ == "__main__":
    main()
