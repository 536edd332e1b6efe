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
IMO; the ``invalid_imo`` check reports them."""


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


PLACEHOLDER_MMSIS = frozenset({
    1_193_046, 12_345_678, 123_456_789, 987_654_321,
    *(d * 111_111_111 for d in range(1, 10)),
})
"""MMSIs that fit a format but are fill-ins: ``123456789`` and ``12345678`` (typed test
identities), ``1193046`` (hexadecimal 123456, a factory default of transponders),
``987654321`` and the nine-repeated-digit numbers (``999999999`` is broadcast by US
government vessels that withhold their identity). They are shared by unrelated craft."""

US_MIDS = frozenset({303, 338, 366, 367, 368, 369})
"""The United States' MIDs (Alaska 303, USA 338, 366-369; ITU MID table)."""

STATION_TYPES = (
    "ship_class_a", "ship_class_b", "ship", "coast_station", "aid_to_navigation",
    "sar_aircraft", "craft_associated", "sart_mob_epirb", "invalid_identity",
)
"""Station types of :func:`station_type_array` and :mod:`sanctionwatch.stations`."""

SHIP_TYPES = frozenset({"ship_class_a", "ship_class_b", "ship"})
"""The station types vessel detectors see."""


def station_type_array(
    mmsi: npt.ArrayLike,
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
    """Station type and reason of each MMSI from its format alone (ITU-R M.585 annex 1).

    Types: ``ship`` (``MIDxxxxxx``, first digit 2-7: the transceiver class comes from the
    messages, :mod:`sanctionwatch.stations`), ``coast_station`` (``00MIDxxxx``),
    ``sar_aircraft`` (``111MIDxxx``), ``craft_associated`` (``98MIDxxxx``),
    ``aid_to_navigation`` (``99MIDxxxx``), ``sart_mob_epirb`` (``970``/``972``/``974``),
    ``invalid_identity`` (anything else). Reasons: ``<type>_format``; for a ship whose MID is
    not allocated ``unallocated_mid`` (still a ship: a misconfigured transponder on a hull);
    for invalid identities ``zero``, ``placeholder`` (:data:`PLACEHOLDER_MMSIS`),
    ``more_than_9_digits``, ``fewer_than_9_digits`` (group ``0MID`` call identities and
    truncated numbers), ``unallocated_mid`` (a non-ship format whose MID is not allocated)
    or ``not_a_station_format``.
    """
    m = np.asarray(mmsi, dtype=np.int64)
    mids = np.fromiter(allocated_mids(), dtype=np.int64)
    ship = (m >= 200_000_000) & (m <= 799_999_999)
    coast = (m >= 2_000_000) & (m <= 7_999_999)
    sar = (m >= 111_000_000) & (m <= 111_999_999)
    craft = (m >= 980_000_000) & (m <= 989_999_999)
    aton = (m >= 990_000_000) & (m <= 999_999_999)
    sart = np.isin(m // 1_000_000, [970, 972, 974])
    mid = np.select([ship, coast, sar], [m // 1_000_000, m // 10_000, (m // 1_000) % 1_000],
                    default=(m // 10_000) % 1_000)
    mid_ok = np.isin(mid, mids)
    placeholder = np.isin(m, np.fromiter(PLACEHOLDER_MMSIS, dtype=np.int64))
    station = coast | sar | craft | aton
    kind = np.select(
        [placeholder | (m <= 0) | (m > 999_999_999), ship, station & mid_ok, sart],
        ["invalid_identity", "ship", np.select([coast, sar, craft], ["coast_station",
         "sar_aircraft", "craft_associated"], default="aid_to_navigation"), "sart_mob_epirb"],
        default="invalid_identity",
    ).astype(np.str_)
    reason = np.select(
        [m <= 0, placeholder, m > 999_999_999, ship & ~mid_ok, ship, station & mid_ok, sart,
         station, m < 100_000_000],
        ["zero", "placeholder", "more_than_9_digits", "unallocated_mid", "ship_format",
         np.char.add(kind, "_format"), "sart_mob_epirb_format", "unallocated_mid",
         "fewer_than_9_digits"],
        default="not_a_station_format",
    ).astype(np.str_)
    return kind, reason


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
