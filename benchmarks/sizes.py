"""Benchmark sizes: head count and how many times each workload is repeated."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """One benchmark size.

    Attributes
    ----------
    label : str
        ``XS``, ``S``, ``M``, ``L`` or ``XL`` (or ``N<employees>`` for an ``--employees`` override).
    employees : int
        Head count passed to ``matcher generate``.
    repeat : int
        Default number of runs of each workload (medians are quoted).
    networkx_repeat : int
        At most this many runs of the plain-networkx baseline (minutes each at L).
    stream : bool
        Whether the ~2 GB streaming workload runs by default (it needs disk).
    """

    label: str
    employees: int
    repeat: int
    networkx_repeat: int
    stream: bool


SIZES: dict[str, Size] = {
    "XS": Size("XS", 300, repeat=1, networkx_repeat=1, stream=False),
    "S": Size("S", 2_000, repeat=5, networkx_repeat=3, stream=False),
    "M": Size("M", 20_000, repeat=5, networkx_repeat=3, stream=True),
    "L": Size("L", 100_000, repeat=3, networkx_repeat=1, stream=True),
    # a million people, over 50M interaction rows (CSV and Parquet): the analyze stage runs
    # matcher alone there (no baselines, one run each) and the org is never stored in git
    "XL": Size("XL", 1_000_000, repeat=1, networkx_repeat=0, stream=False),
}
PUBLIC_SIZES = ("S", "M", "L", "XL")
"""Sizes whose results feed the README (``XS`` is for the smoke test)."""


def resolve_size(label: str, employees: int | None, repeat: int | None) -> Size:
    """The size profile for ``--size``, with the ``--employees`` and ``--repeat`` overrides.

    Parameters
    ----------
    label : str
        A key of :data:`SIZES`.
    employees : int, optional
        Head count overriding the profile's; the label becomes ``N<employees>``.
    repeat : int, optional
        Runs per workload overriding the profile's; the networkx baseline runs at most
        ``min(repeat, networkx_repeat)`` times.

    Returns
    -------
    Size

    Examples
    --------
    >>> resolve_size("M", None, 2)
    Size(label='M', employees=20000, repeat=2, networkx_repeat=2, stream=True)
    >>> resolve_size("S", 500, None).label
    'N500'
    """
    base = SIZES[label]
    runs = base.repeat if repeat is None else repeat
    return Size(
        label=base.label if employees is None else f"N{employees}",
        employees=base.employees if employees is None else employees,
        repeat=runs,
        networkx_repeat=min(runs, base.networkx_repeat),
        stream=base.stream,
    )
