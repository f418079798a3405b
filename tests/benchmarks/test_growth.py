"""The growth fit (``benchmarks/growth.py``): time ∝ employees^k on log-log."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.growth import fit_exponent


@given(
    k=st.floats(min_value=-1.0, max_value=3.0),
    scale=st.floats(min_value=1e-3, max_value=1e3),
    sizes=st.lists(st.integers(min_value=10, max_value=10**7), min_size=2, max_size=6, unique=True),
)
def test_an_exact_power_law_gives_back_its_exponent(
    k: float, scale: float, sizes: list[int]
) -> None:
    points = [(n, scale * n**k) for n in sizes]
    fitted = fit_exponent(points)
    assert fitted is not None and math.isclose(fitted, k, abs_tol=1e-6)


def test_the_fit_is_the_least_squares_slope() -> None:
    # log2 sizes 0, 1, 2 with log2 times 0, 2, 2: slope of the best line is 1
    fitted = fit_exponent([(1, 1), (2, 4), (4, 4)])
    assert fitted is not None and math.isclose(fitted, 1.0)
    assert fit_exponent([(5, 1.0), (5, 2.0)]) is None  # one size: no slope
