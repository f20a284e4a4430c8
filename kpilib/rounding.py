"""The two rounding policies: points to 0.01 and money to the fen, both half away from zero.

People round the way Excel's ROUND does, on the decimal value they see, so
0.7635 × 10 points is 7.64 and 12.345 yuan is 12.35, though the binary floats
are 7.63499... and 12.3449... Every module rounds through here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def round_points(values: ArrayLike) -> np.ndarray:
    """Round to 0.01 point the way Excel's ROUND does: half away from zero, on the
    decimal value (0.7635 × 10 = 7.635 → 7.64, though the float is 7.63499...)."""
    scaled = np.round(np.asarray(values, dtype=float) * 100, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / 100


def fen(value: Decimal | float | int | str) -> int:
    """Money in whole fen (分), rounded half up: ``fen(Decimal("12.345")) == 1235``.

    Floats go through their shortest decimal text, so ``0.1`` is 10 fen, not 9.99...
    """
    if isinstance(value, float):
        value = repr(value)
    return int((Decimal(value) * 100).to_integral_value(ROUND_HALF_UP))


def yuan(value: Decimal | float | int | str | None) -> Decimal | None:
    """Money to the fen as an exact Decimal (what payroll adds up); ``None`` stays ``None``."""
    if value is None or value != value:
        return None
    return Decimal(fen(value)) / 100
