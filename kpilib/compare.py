"""Threshold comparisons at the precision people write numbers in: the one place for them.

Floats carry noise far below anything a plan writes: ``1 − 7/10`` is
0.30000000000000004 and 180 points out of a 300-point plan whose weights are
written as 33.3333333334% give a completion of 0.5999999999994. Compared raw,
such a rate misses the ``≤ 30%`` band and such a completion is "below 60%".
Every threshold comparison of the kit (bands, grades, gate and consequence
conditions, pay tiers and gates, quota places) goes through this module, which
compares both sides rounded to :data:`DECIMALS` decimal places.

Nine decimals is far finer than any written threshold (a percentage with
several decimals is 1e-5 of the unit) and far coarser than float noise on the
values compared (completions, rates, points and scores, all below 1e6, whose
noise is below 1e-9). A difference smaller than 1e-9 is no difference here.

Examples
--------
>>> bool(at_most(1 - 7 / 10, 0.30))
True
>>> bool(less(180 / 300.0000000003, 0.60))
False
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

DECIMALS = 9


def settle(values: ArrayLike) -> np.ndarray:
    """``values`` rounded to :data:`DECIMALS` decimals (``-0.0`` becomes ``0.0``).

    Works on scalars, arrays and Series alike and keeps NaN as NaN.
    """
    return np.round(values, DECIMALS) + 0.0


def at_least(values: ArrayLike, edge: ArrayLike) -> np.ndarray:
    """``values >= edge`` at the plan's precision (an edge is inclusive: 含)."""
    return settle(values) >= settle(edge)


def at_most(values: ArrayLike, edge: ArrayLike) -> np.ndarray:
    """``values <= edge`` at the plan's precision."""
    return settle(values) <= settle(edge)


def less(values: ArrayLike, edge: ArrayLike) -> np.ndarray:
    """``values < edge`` at the plan's precision: 59.9999999999% is not below 60%."""
    return settle(values) < settle(edge)


def greater(values: ArrayLike, edge: ArrayLike) -> np.ndarray:
    """``values > edge`` at the plan's precision."""
    return settle(values) > settle(edge)


def equal(values: ArrayLike, edge: ArrayLike) -> np.ndarray:
    """``values == edge`` at the plan's precision."""
    return settle(values) == settle(edge)


def not_equal(values: ArrayLike, edge: ArrayLike) -> np.ndarray:
    """``values != edge`` at the plan's precision."""
    return settle(values) != settle(edge)


def places(share: float, people: int) -> int:
    """Places a quota gives: ``floor(share × people)`` at the plan's precision.

    20% of 19 people is 3.8: 3 places, never 4; 29% of 100 people is
    28.999999999999996 in floats: 29 places, never 28.
    """
    return int(np.floor(settle(share * people)))
