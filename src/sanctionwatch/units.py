"""Time units, as integers so that conversions of whole microseconds stay exact.

Timestamps are Arrow ``timestamp[us, UTC]`` everywhere, so durations are whole microseconds;
parameters are given in hours or minutes (their unit in the name) and converted with these.
"""

from __future__ import annotations

from typing import Final

import polars as pl

S_PER_MIN: Final = 60
S_PER_H: Final = 3_600
US_PER_S: Final = 1_000_000
US_PER_MIN: Final = 60 * US_PER_S
US_PER_H: Final = 3_600 * US_PER_S


def hours_between(start: str | pl.Expr, end: str | pl.Expr) -> pl.Expr:
    """``end - start`` of two datetime columns in (fractional) hours."""
    a = pl.col(start) if isinstance(start, str) else start
    b = pl.col(end) if isinstance(end, str) else end
    return (b - a).dt.total_seconds(fractional=True) / S_PER_H


__all__ = ["S_PER_H", "S_PER_MIN", "US_PER_H", "US_PER_MIN", "US_PER_S", "hours_between"]
