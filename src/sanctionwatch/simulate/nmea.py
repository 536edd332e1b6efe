"""NMEA 0183 writer: ``!AIVDM`` sentences behind NMEA 4.0 tag blocks (``\\c:<unix>,s:sim*hh\\``).

Position reports (type 1 for class A, 18 for class B: the bulk of a file) are bit-packed and
6-bit armoured with NumPy, byte-identical to :func:`pyais.encode_dict` (tested) but whole
columns at a time instead of one Python call per message (measured:
``benchmarks/results/design-notes.md``). Static data (type 5 in two sentences with a
sequential message id 0-9, type 24 parts A and B) goes through :func:`pyais.encode_dict`,
cached per vessel and content.
"""

from __future__ import annotations

from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from pyais import encode_dict

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
SOURCE = "sim"


def _checksum(text: str) -> str:
    return f"{reduce(xor, text.encode('ascii'), 0):02X}"


def _bits(fields: list[tuple[I64, int]]) -> U8:
    """Rows of big-endian bit fields (value, width) as an (n, sum widths) 0/1 matrix."""
    cols = []
    for v, width in fields:
        u = np.asarray(v, dtype=np.int64) & ((1 << width) - 1)
        shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
        cols.append(((u[:, None] >> shifts) & 1).astype(np.uint8))
    return np.asarray(np.concatenate(cols, axis=1), dtype=np.uint8)


def armour(bits: U8) -> U8:
    """6-bit ASCII armouring of an (n, 6k) bit matrix: (n, k) payload characters."""
    six = bits.reshape(bits.shape[0], -1, 6)
    v = (six * np.array([32, 16, 8, 4, 2, 1], dtype=np.uint8)).sum(axis=2, dtype=np.uint8)
    return np.asarray(np.where(v < 40, v + 48, v + 56), dtype=np.uint8)


def position_payloads(pos: pl.DataFrame) -> U8:
    """Type 1 (class A) / 18 (class B) / 4 (base station) payloads, 28 characters each, of
    canonical positions."""
    n = pos.height
    mmsi = pos["mmsi"].to_numpy().astype(np.int64)
    lat = np.round(pos["lat"].to_numpy() * 600_000).astype(np.int64)
    lon = np.round(pos["lon"].to_numpy() * 600_000).astype(np.int64)
    sog = np.minimum(np.round(pos["sog_knots"].cast(pl.Float64).to_numpy() * 10), 1022)
    cog = np.round(pos["cog_deg"].cast(pl.Float64).to_numpy() * 10).astype(np.int64) % 3600
    hdg = pos["heading_deg"].cast(pl.Float64).fill_null(511).to_numpy().astype(np.int64)
    status = pos["nav_status"].cast(pl.Int64).fill_null(15).to_numpy()
    second = pos["timestamp"].dt.second().cast(pl.Int64).to_numpy()
    is_b = (pos["msg_type"].cast(pl.Int64) == 18).to_numpy()
    zero = np.zeros(n, dtype=np.int64)
    sog_i = sog.astype(np.int64)
    a = _bits([(np.full(n, 1), 6), (zero, 2), (mmsi, 30), (status, 4), (np.full(n, -128), 8),
               (sog_i, 10), (zero, 1), (lon, 28), (lat, 27), (cog, 12), (hdg, 9),
               (second, 6), (zero, 2), (zero, 3), (zero, 1), (zero, 19)])  # maneuver 0: n/a
    b = _bits([(np.full(n, 18), 6), (zero, 2), (mmsi, 30), (zero, 8), (sog_i, 10), (zero, 1),
               (lon, 28), (lat, 27), (cog, 12), (hdg, 9), (second, 6), (zero, 2),
               (np.ones(n, dtype=np.int64), 1), (zero, 5), (zero, 1), (zero, 20)])
    out = np.where(is_b[:, None], b, a)
    is_base = (pos["msg_type"].cast(pl.Int64) == 4).to_numpy()
    if is_base.any():  # base station report: UTC date and time instead of the motion fields
        ts = pos["timestamp"]
        parts = [ts.dt.year(), ts.dt.month(), ts.dt.day(), ts.dt.hour(), ts.dt.minute()]
        y, mo, d, h, mi = (x.cast(pl.Int64).to_numpy() for x in parts)
        c = _bits([(np.full(n, 4), 6), (zero, 2), (mmsi, 30), (y, 14), (mo, 4), (d, 5), (h, 5),
                   (mi, 6), (second, 6), (np.ones(n, dtype=np.int64), 1), (lon, 28), (lat, 27),
                   (np.ones(n, dtype=np.int64), 4), (zero, 10), (zero, 1), (zero, 19)])
        out = np.where(is_base[:, None], c, out)
    return armour(out)


def _matrix(parts: list[bytes | U8], n: int) -> U8:
    cols = [np.broadcast_to(np.frombuffer(p, dtype=np.uint8), (n, len(p))) if isinstance(
        p, bytes) else p for p in parts]
    return np.concatenate(cols, axis=1)


def _hex2(x: U8) -> U8:
    digits = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
    return np.stack([digits[x >> 4], digits[x & 15]], axis=1)


def tagged_lines(unix_s: I64, payload: U8, fill: int = 0, head: bytes = b"AIVDM,1,1,,A,"
                 ) -> U8:
    """Complete single-sentence lines ``\\c:<unix>,s:sim*hh\\!AIVDM,...*hh\\n`` as a byte
    matrix (checksums computed with XOR reductions over the rows)."""
    n = payload.shape[0]
    secs = np.char.zfill(unix_s.astype(str), 10).astype("S10").view(np.uint8).reshape(n, 10)
    tag = _matrix([b"c:", secs, f",s:{SOURCE}".encode()], n)
    body = _matrix([head, payload, f",{fill}".encode()], n)
    return _matrix([b"\\", tag, b"*", _hex2(np.bitwise_xor.reduce(tag, axis=1)), b"\\!", body,
                    b"*", _hex2(np.bitwise_xor.reduce(body, axis=1)), b"\n"], n)


def _tag(unix_s: int) -> str:
    t = f"c:{unix_s},s:{SOURCE}"
    return f"\\{t}*{_checksum(t)}\\"


def _static_messages(rep: dict[str, Any], seq: int, cache: dict[tuple[Any, ...], list[str]]
                     ) -> list[str]:
    """Sentences of one static report: type 5 (class A) or 24 A and B (class B)."""
    length = int(rep["length_m"] or 0)
    width = int(rep["width_m"] or 0)
    dims = {"to_bow": length // 2, "to_stern": length - length // 2,
            "to_port": width // 2, "to_starboard": width - width // 2}
    if rep["ais_class"] == "B":
        key: tuple[Any, ...] = ("B", rep["mmsi"], rep["name"], rep["callsign"],
                                rep["ship_type"], length, width)
        if rep["mmsi"] // 10_000_000 == 98:  # craft associated with a parent ship: no dimensions
            dims = {"mothership_mmsi": 0}
        if key not in cache:
            cache[key] = (
                encode_dict({"type": 24, "mmsi": rep["mmsi"], "partno": 0,
                             "shipname": rep["name"] or ""}, talker_id="AI",
                            sentence_type="VDM")
                + encode_dict({"type": 24, "mmsi": rep["mmsi"], "partno": 1,
                               "callsign": rep["callsign"] or "",
                               "ship_type": rep["ship_type"] or 0, **dims},
                              talker_id="AI", sentence_type="VDM"))
        return cache[key]
    key = ("A", seq, *[rep[k] for k in ("mmsi", "imo", "name", "callsign", "ship_type",
                                         "draught_m", "destination")], length, width)
    if key not in cache:
        cache[key] = encode_dict(
            {"type": 5, "mmsi": rep["mmsi"], "ais_version": 0, "imo": rep["imo"] or 0,
             "callsign": rep["callsign"] or "", "shipname": rep["name"] or "",
             "ship_type": rep["ship_type"] or 0, "draught": float(rep["draught_m"] or 0),
             "destination": rep["destination"] or "", "epfd": 1, **dims},
            talker_id="AI", sentence_type="VDM", seq_id=seq)
    return cache[key]


def write_nmea(positions: pl.DataFrame, reports: pl.DataFrame, path: Path, corrupt: int,
               rng: np.random.Generator) -> int:
    """Write positions and static reports in time order, plus ``corrupt`` extra sentences
    with a wrong checksum (copies of real ones: the reader rejects them, no data lost).
    Returns the number of lines written."""
    pos = positions.sort(["timestamp", "mmsi", "lat"])
    unix = pos["timestamp"].dt.epoch("s").to_numpy().astype(np.int64)
    lines = tagged_lines(unix, position_payloads(pos))
    width = lines.shape[1]
    flat = lines.tobytes()
    pos_lines = [flat[i * width:(i + 1) * width] for i in range(pos.height)]
    rep = reports.sort(["timestamp", "mmsi"])
    rep_ts = rep["timestamp"].dt.epoch("s").to_numpy().astype(np.int64)
    cache: dict[tuple[Any, ...], list[str]] = {}
    rep_lines = []
    for k, r in enumerate(rep.iter_rows(named=True)):
        tag = _tag(int(rep_ts[k]))
        rep_lines.append("".join(tag + s + "\n" for s in _static_messages(r, k % 10, cache)
                                 ).encode())
    # a report follows the positions of its second (it was heard with them)
    key = np.r_[unix * 2, rep_ts * 2 + 1]
    order = np.argsort(key, kind="stable")
    every = pos_lines + rep_lines
    out = [every[i] for i in order]
    where = np.empty(order.size, dtype=np.int64)
    where[order] = np.arange(order.size)
    for i in np.sort(rng.choice(pos.height, size=min(corrupt, pos.height), replace=False))[::-1]:
        good = pos_lines[int(i)]
        bad = good[:-3] + (b"00" if good[-3:-1] != b"00" else b"01") + b"\n"
        out.insert(int(where[int(i)]), bad)
    path.write_bytes(b"".join(out))
    return len(out)
