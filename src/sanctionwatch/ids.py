"""Identifiers of ships: MMSI (ITU-R M.585 formats and the country in it, the MID table), IMO
numbers (check digit, placeholders)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import polars as pl

PLACEHOLDER_IMOS = frozenset({1234567})
"""IMO numbers that pass the check digit but are well-known fill-ins (1234567's weighted sum
is 77, so its check digit 7 is right). ``identity_change`` does not count them as a shared
IMO; ``spoofing`` reports them as ``invalid_imo``."""


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


# --------------------------------------------------------------------------- MID table

# Dependencies compare equal to their sovereign state: a Cayman (KY) flag on a United Kingdom
# MID, or a Hong Kong flag on a Chinese MID, is not a mismatch.
SOVEREIGN: dict[str, str] = {
    **dict.fromkeys(
        ("AI", "BM", "VG", "KY", "MS", "TC", "FK", "GI", "SH", "PN", "IO", "GG", "JE", "IM"), "GB"
    ),
    **dict.fromkeys(("PR", "VI", "AS", "MP", "GU", "UM"), "US"),
    **dict.fromkeys(("GP", "MQ", "PM", "PF", "NC", "WF", "RE", "GF", "TF", "YT", "BL", "MF"), "FR"),
    **dict.fromkeys(("AW", "CW", "SX", "BQ"), "NL"),
    **dict.fromkeys(("FO", "GL"), "DK"),
    **dict.fromkeys(("CX", "CC", "NF", "HM"), "AU"),
    **dict.fromkeys(("CK", "NU", "TK"), "NZ"),
    **dict.fromkeys(("HK", "MO"), "CN"),
}
"""ISO code of a dependency -> ISO code of its sovereign state."""


@cache
def _mid_rows() -> dict[int, tuple[str, str]]:
    text = resources.files("sanctionwatch").joinpath("data", "mid.csv").read_text("utf-8")
    return {
        int(r["mid"]): (r["iso2"], r["country"]) for r in csv.DictReader(text.splitlines())
    }


def allocated_mids() -> frozenset[int]:
    """The MIDs in the ITU table (``sanctionwatch/data/mid.csv``)."""
    return frozenset(_mid_rows())


def mid_table() -> pl.DataFrame:
    """The MID table as a frame: ``mid`` (Int64), ``iso2``, ``country``."""
    rows = _mid_rows()
    return pl.DataFrame(
        {
            "mid": list(rows),
            "iso2": [v[0] for v in rows.values()],
            "country": [v[1] for v in rows.values()],
        },
        schema={"mid": pl.Int64, "iso2": pl.Utf8, "country": pl.Utf8},
    )


def embedded_mid(mmsi: int) -> int | None:
    """The MID inside an MMSI by ITU-R M.585 format, or None when the format has none.

    Ship ``MIDxxxxxx``, group ``0MIDxxxxx``, coast station ``00MIDxxxx``, SAR aircraft
    ``111MIDxxx``, aid to navigation ``99MIDxxxx``, craft associated with a parent ship
    ``98MIDxxxx``. The MID is returned whether or not it is allocated.
    """
    if 200_000_000 <= mmsi <= 799_999_999:
        return mmsi // 1_000_000
    if 20_000_000 <= mmsi <= 79_999_999:
        return mmsi // 100_000
    if 2_000_000 <= mmsi <= 7_999_999:
        return mmsi // 10_000
    if 111_000_000 <= mmsi <= 111_999_999:
        return (mmsi // 1_000) % 1_000
    if 980_000_000 <= mmsi <= 999_999_999:
        return (mmsi // 10_000) % 1_000
    return None


def mid_country(mmsi: int) -> tuple[str, str] | None:
    """``(iso2, country)`` of the MID in ``mmsi`` (ITU table), or None when unallocated/absent.

    >>> mid_country(445123456)
    ('KP', "Democratic People's Republic of Korea")
    """
    mid = embedded_mid(mmsi)
    return _mid_rows().get(mid) if mid is not None else None


def sovereign(iso2: str) -> str:
    """The sovereign state of a dependency's ISO code (the code itself for states)."""
    return SOVEREIGN.get(iso2, iso2)
