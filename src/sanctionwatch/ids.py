"""Identifier validation: MMSI, IMO (check digit) and the MMSI's country (MID)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def imo_is_valid(imo: int | None) -> bool:
    """True when ``imo`` is a 7-digit IMO ship number whose check digit is right.

    The check digit is the last digit of the sum of the first six digits weighted 7..2
    (IMO Resolution A.1078(28)). 0 and numbers outside 1000000-9999999 are invalid.
    """
    if imo is None or imo < 1_000_000 or imo > 9_999_999:
        return False
    digits = [int(d) for d in str(imo)]
    total = sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    return total % 10 == digits[6]


def imo_valid_array(imo: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`imo_is_valid` (nulls given as NaN or negatives are invalid)."""
    a = np.asarray(imo, dtype=np.float64)
    ok = np.isfinite(a) & (a >= 1_000_000) & (a <= 9_999_999)
    v = np.where(ok, a, 0).astype(np.int64)
    total = np.zeros_like(v)
    for i, w in enumerate(range(7, 1, -1)):
        total += ((v // 10 ** (6 - i)) % 10) * w
    return np.asarray(ok & (total % 10 == v % 10))


def mmsi_kind(mmsi: int) -> str:
    """Classify an MMSI by ITU-R M.585: ``ship``, ``coast_station``, ``group``, ``sar_aircraft``,
    ``aid_to_navigation``, ``craft_associated``, ``sart_mob_epirb`` or ``invalid``."""
    if mmsi <= 0 or mmsi > 999_999_999:
        return "invalid"
    s = f"{mmsi:09d}"
    if s[0] in "234567":
        return "ship"
    if s.startswith("00"):
        return "coast_station"
    if s[0] == "0":
        return "group"
    if s.startswith("111"):
        return "sar_aircraft"
    if s.startswith("99"):
        return "aid_to_navigation"
    if s.startswith("98"):
        return "craft_associated"
    if s.startswith(("970", "972", "974")):
        return "sart_mob_epirb"
    return "invalid"


def mmsi_is_ship(mmsi: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Vectorised: MMSI is a 9-digit ship station identity (first digit 2-7, ITU-R M.585)."""
    a = np.asarray(mmsi, dtype=np.int64)
    return np.asarray((a >= 200_000_000) & (a <= 799_999_999))


def mmsi_mid(mmsi: int) -> int | None:
    """The Maritime Identification Digits of a ship MMSI (its first three digits)."""
    if 200_000_000 <= mmsi <= 799_999_999:
        return mmsi // 1_000_000
    return None
