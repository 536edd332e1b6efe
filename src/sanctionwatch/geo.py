"""Vectorised geodesy on the WGS84 sphere approximation used across the field (haversine).

Written by hand because the operations are one-liners over NumPy arrays and Polars columns; a
geodesy library (pyproj) would add a heavy dependency for no accuracy the detectors need: every
threshold is at least hundreds of metres, where the spherical error (< 0.5 %) is irrelevant.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""
METRES_PER_NM = 1852.0
"""One international nautical mile, metres."""
KNOT_M_PER_S = METRES_PER_NM / 3600.0
"""One knot, metres per second."""

FloatArray = npt.NDArray[np.float64]


POINT_BLOCK = 1 << 18
"""Points per block of the per-point lookups over whole tracks (nearest port, distance from
shore): their temporaries then stay in cache and reuse the allocator's memory instead of
faulting in fresh pages. The answers are the same as in one go; only the memory traffic
differs (measured: ``benchmarks/results/design-notes.md``)."""


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres between points given in decimal degrees."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def haversine_m_expr(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    """Polars expression: great-circle distance in metres (inputs in degrees)."""
    p1 = lat1.radians()
    p2 = lat2.radians()
    dp = p2 - p1
    dl = (lon2 - lon1).radians()
    a = (dp / 2).sin().pow(2) + p1.cos() * p2.cos() * (dl / 2).sin().pow(2)
    return 2 * EARTH_RADIUS_M * a.clip(0.0, 1.0).sqrt().arcsin()


def to_unit_xyz(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Unit vectors (n, 3) for points in degrees; chord distance in this space is monotone in
    great-circle distance, which lets a k-d tree answer nearest-neighbour questions."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def chord_to_arc_m(chord: npt.ArrayLike) -> FloatArray:
    """Convert chord length on the unit sphere to great-circle distance in metres."""
    c = np.clip(np.asarray(chord, dtype=np.float64), 0.0, 2.0)
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(c / 2))


def arc_m_to_chord(arc_m: float) -> float:
    """Convert great-circle distance in metres to chord length on the unit sphere."""
    return float(2 * np.sin(min(arc_m / EARTH_RADIUS_M, np.pi) / 2))


def mean_lat_lon(lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[float, float]:
    """Mean position, averaging longitude through sin/cos so it is safe across the dateline."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    mean_lon = float(np.degrees(np.arctan2(np.sin(lo).mean(), np.cos(lo).mean())))
    return float(la.mean()), mean_lon
