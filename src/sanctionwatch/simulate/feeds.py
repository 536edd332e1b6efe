"""Realistic vendor-format feeds for throughput benchmarks: raw NMEA, MarineCadastre CSV and
Parquet, DMA CSV, written from one closed-form fleet model.

The fleet is the ``scale`` scenario's (:mod:`~sanctionwatch.simulate.scale`: sea lanes between
World Port Index ports, encounter pairs, dark gaps) with an inbound anchorage added: most
ships wait at anchor a few kilometres off the port (each on its own spot, status 1 "at
anchor", swinging slowly) before approaching at :data:`APPROACH_KN` and mooring (status 5).
Positions are a closed-form function of the time, so a multi-day file is one continuous
simulation (no vessel jumps at midnight). Reporting intervals follow ITU-R M.1371-5 Table 1
(class A: 10 s below 14 kn, 6 s above, 3 min at anchor or moored; class B "SO": 30 s above
2 kn, 3 min below), raised to ``min_interval_s`` where an archive down-samples (MarineCadastre
publishes one position a minute per vessel). See ``docs/simulate.md`` (throughput inputs).

Every writer returns a manifest dict (rows or lines, counts by kind, corrupt line numbers) that
``benchmarks/throughput_inputs.py`` stores next to the file and the tests check the readers
against.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from pyais import encode_dict

from sanctionwatch.ingest.ais.codes import DMA_NAV_STATUS, DMA_SHIP_TYPE
from sanctionwatch.reference import ReferenceData
from sanctionwatch.simulate.nmea import _hex2, _matrix, position_payloads
from sanctionwatch.simulate.scale import KN, START, _lanes, _plan
from sanctionwatch.simulate.traffic import Route, offset
from sanctionwatch.simulate.world import MID_ISO2, imo_with_check
from sanctionwatch.simulate.writers import MC_COLUMNS

GENERATION = 1
"""Bumped whenever the generated feeds change, so cached benchmark inputs are regenerated."""
VESSELS_PER_LANE = 130
"""Ships sharing one lane (and its receiving station): a busy coastal receiver hears a few
hundred ships a day."""
BLOCK = 500
"""Vessels simulated at once (bounds the memory of a block's samples)."""
APPROACH_KN = 6.0
"""Speed from the anchorage to the berth (harbour speed limits are typically 5-8 kn)."""
ANCHOR_SHARE = 0.6
"""Share of ships that wait at anchor before berthing."""
ANCHOR_WAIT_H = (2.0, 18.0)
"""Range of the anchor waits (uniform)."""
ANCHOR_DIST_KM = (3.0, 8.0)
"""Distance of the anchorage from the berth along the lane (capped at a tenth of the lane)."""
ANCHOR_SPREAD_M = 1500.0
"""Radius of the area the anchored ships spread over (each on its own spot)."""
STATIC_EVERY_S = 360
"""Static report period (ITU-R M.1371: type 5 and type 24 every 6 minutes)."""
BASE_STATION_EVERY_S = 10
"""Base station report (type 4) period of each receiving station (ITU-R M.1371: 10 s)."""

# ITU-R M.1371-5 Table 1 (class A) and Table 2 (class B "SO") reporting intervals, seconds.
A_SLOW_KN, A_MOVING_S, A_FAST_S, A_STILL_S = 14.0, 10.0, 6.0, 180.0
B_MOVING_S, B_STILL_S = 30.0, 180.0

_WORDS = np.array(["OCEAN", "PACIFIC", "GOLDEN", "STAR", "GRACE", "HAPPY", "FORTUNE", "EAST",
                   "BRIGHT", "NEW", "GLORY", "RICH", "NORDIC", "BALTIC", "ATLANTIC", "CAPE",
                   "MAERSK", "STENA", "SEA", "WIND"])
_A_TYPES = np.array([70, 70, 71, 80, 80, 60, 52, 30])
_B_TYPES = np.array([37, 36, 30, 37])
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

# Phases of a vessel's cycle (in order): sail out, planted pause, sail out, move to the anchor
# spot off the far port, anchor, approach, moored, sail back, move to the spot off the near
# port, anchor, approach, moored. A ship that does not anchor spends no time on the spot.
_SAIL, _PAUSE, _ANCHOR, _APPROACH, _MOORED = range(5)
_PHASES = (_SAIL, _PAUSE, _SAIL, _APPROACH, _ANCHOR, _APPROACH, _MOORED, _SAIL, _APPROACH,
           _ANCHOR, _APPROACH, _MOORED)
_BACK = 7
"""First phase of the way back."""
_STATUS = {_SAIL: 0, _PAUSE: 0, _ANCHOR: 1, _APPROACH: 0, _MOORED: 5}


class Fleet:
    """One fleet's plan: lanes, per-vessel cycle and identity. Deterministic by seed."""

    def __init__(self, seed: int, vessels: int, days: int) -> None:
        self.seed, self.vessels, self.days = seed, vessels, days
        self.ref = ReferenceData.default()
        rng = np.random.default_rng([seed, 31])
        n_lanes = max(1, -(-vessels // VESSELS_PER_LANE))
        self.lanes: list[Route] = _lanes(self.ref, rng, n_lanes)
        p = _plan(vessels, days, self.lanes, self.ref, rng)
        n = vessels
        length = p["length"]
        anchors = rng.random(n) < ANCHOR_SHARE
        a_m = np.minimum(rng.uniform(*ANCHOR_DIST_KM, n) * 1000.0, length / 10)
        waits = rng.uniform(*ANCHOR_WAIT_H, (n, 2)) * 3600 * anchors[:, None]
        spot = rng.normal(0, ANCHOR_SPREAD_M / 2, (n, 4))
        for i in p["pairs"]:  # the partner keeps the leader's timetable and anchor spot
            anchors[i + 1], a_m[i + 1], waits[i + 1], spot[i + 1] = (anchors[i], a_m[i],
                                                                     waits[i], spot[i])
        v = p["speed"]
        slow = APPROACH_KN * KN
        pause_at = p["pause_at"]
        to_spot = np.hypot(spot[:, 0::2], spot[:, 1::2]) / slow * anchors[:, None]
        dur = np.stack([pause_at / v, p["pause_s"], (length - a_m - pause_at) / v,
                        to_spot[:, 0], waits[:, 0], a_m / slow, p["port_s"], (length - a_m) / v,
                        to_spot[:, 1], waits[:, 1], a_m / slow, p["port_s"]], axis=1)
        far_a, near_a, zero = length - a_m, a_m, np.zeros(n)
        self.d0 = np.stack([zero, pause_at, pause_at, far_a, far_a, far_a, length, length,
                            near_a, near_a, near_a, zero], axis=1)
        self.d1 = np.stack([pause_at, pause_at, far_a, far_a, far_a, length, length, near_a,
                            near_a, near_a, zero, zero], axis=1)
        self.anchors = anchors
        self.ends = np.cumsum(dur, axis=1)
        self.cycle = self.ends[:, -1]
        self.phase = rng.uniform(0, 1, n) * self.cycle
        self.phase[p["pairs"] + 1] = self.phase[p["pairs"]]
        self.spot = spot
        self.p = p
        self.speed_kn = v / KN
        self.is_b = p["is_b"]
        mids = np.array(sorted(MID_ISO2))[rng.integers(len(MID_ISO2), size=n)]
        self.mmsi = mids * 1_000_000 + np.array(sorted(rng.choice(
            np.arange(100_000, 999_999), n, replace=False)))
        self.name = np.char.add(np.char.add(_WORDS[rng.integers(len(_WORDS), size=n)], " "),
                                _WORDS[rng.integers(len(_WORDS), size=n)])
        self.imo = np.array([imo_with_check(300_000 + i) for i in range(n)], dtype=np.int64)
        self.callsign = np.char.add("SW", np.char.zfill((np.arange(n) % 100_000).astype(str), 5))
        self.ship_type = np.where(self.is_b, _B_TYPES[rng.integers(len(_B_TYPES), size=n)],
                                  _A_TYPES[rng.integers(len(_A_TYPES), size=n)])
        self.length_m = np.where(self.is_b, rng.integers(8, 25, n), rng.integers(60, 300, n))
        self.width_m = np.maximum(3, self.length_m // 6)
        self.draught_m = np.round(np.where(self.is_b, rng.uniform(1, 3, n),
                                           rng.uniform(4, 14, n)), 1)
        self.msg_type = np.where(self.is_b, 18, rng.choice([1, 1, 1, 1, 1, 1, 1, 1, 2, 3], n))
        self.lane = p["lane"]
        ends = [(r.lat[0], r.lon[0], r.lat[-1], r.lon[-1]) for r in self.lanes]
        self.port_names = [(self._port_name(a, b), self._port_name(c, d)) for a, b, c, d in ends]

    def _port_name(self, lat: float, lon: float) -> str:
        _, idx = self.ref.nearest_port([lat], [lon])
        i = int(idx[0])
        return self.ref.ports[i].name.upper()[:20] if i >= 0 else "UNKNOWN"

    def station(self, lane: I64) -> npt.NDArray[np.str_]:
        """Receiving station id (one per lane): ``rx`` and the lane number, four digits at
        least (one width per file, as the NMEA writer builds lines as fixed-width rows)."""
        digits = max(4, len(str(len(self.lanes) - 1)))
        return np.char.add("rx", np.char.zfill(np.asarray(lane).astype(str), digits))

    def state(self, v: I64, t: F64) -> dict[str, Any]:
        """Position, motion and status of vessels ``v`` at seconds ``t`` after :data:`START`."""
        tau = (t + self.phase[v]) % self.cycle[v]
        ends = self.ends[v]
        k = np.minimum((tau[:, None] >= ends).sum(axis=1), ends.shape[1] - 1)
        rows = np.arange(v.size)
        start = np.where(k > 0, ends[rows, np.maximum(k - 1, 0)], 0.0)
        span = ends[rows, k] - start
        f = np.divide(tau - start, span, out=np.zeros_like(tau), where=span > 0)
        d0, d1 = self.d0[v, k], self.d1[v, k]
        d = d0 + (d1 - d0) * f
        phase = np.array(_PHASES)[k]
        back = k >= _BACK
        lat = np.empty(v.size)
        lon = np.empty(v.size)
        cog = np.empty(v.size)
        lane = self.lane[v]
        for li in np.unique(lane):
            m = lane == li
            lat[m], lon[m], cog[m] = self.lanes[int(li)].at(d[m])
        cog = np.where(back, (cog + 180.0) % 360.0, cog)
        # anchored ships lie on their own spot, swinging on the chain (~50 m, 6 h period);
        # they sail from the lane to the spot and from the spot to the berth
        leg = np.where(back, 2, 0)
        north = self.spot[v, leg]
        east = self.spot[v, leg + 1]
        into = (k == 3) | (k == _BACK + 1)
        w = np.select([phase == _ANCHOR, into, phase == _APPROACH], [1.0, f, 1.0 - f], 0.0)
        w = w * self.anchors[v]
        swing = 2 * np.pi * t / (6 * 3600)
        north = w * north + (phase == _ANCHOR) * 50 * np.cos(swing)
        east = w * east + (phase == _ANCHOR) * 50 * np.sin(swing)
        lat, lon = offset(lat, lon, north, east)
        anchor_heading = (np.degrees(swing) + 360 * (v % 7) / 7) % 360
        cog = np.where(phase == _ANCHOR, anchor_heading, cog)
        sog = np.select([phase == _SAIL, phase == _APPROACH, phase == _PAUSE,
                         phase == _ANCHOR], [self.speed_kn[v], APPROACH_KN, 0.3, 0.1], 0.0)
        status = np.array([_STATUS[i] for i in range(5)])[phase]
        dest = np.where(back, 0, 1)  # heading to the near port (0) or the far one (1)
        return {"lat": lat, "lon": lon, "cog": cog, "sog": sog, "status": status,
                "moving": (phase == _SAIL) | (phase == _APPROACH), "dest": dest}

    def positions(self, min_interval_s: float = 0.0, seed_stream: int = 0
                  ) -> Iterator[pl.DataFrame]:
        """Position reports of each block of :data:`BLOCK` vessels over the whole period,
        sorted by vessel and time (``min_interval_s``: an archive's down-sampling)."""
        end_s = self.days * 86400
        for b, lo_v in enumerate(range(0, self.vessels, BLOCK)):
            brng = np.random.default_rng([self.seed, 37, seed_stream, b])
            v_ids = np.arange(lo_v, min(self.vessels, lo_v + BLOCK))
            b_cls = self.is_b[v_ids]
            moving_s = np.where(b_cls, B_MOVING_S, np.where(self.speed_kn[v_ids] > A_SLOW_KN,
                                                            A_FAST_S, A_MOVING_S))
            still_s = np.where(b_cls, B_STILL_S, A_STILL_S)
            iv = np.maximum(moving_s, min_interval_s)
            ratio = np.maximum(1, np.round(np.maximum(still_s, min_interval_s) / iv)
                               ).astype(np.int64)
            counts = np.ceil(end_s / iv).astype(np.int64)
            v = np.repeat(v_ids, counts)
            starts = np.cumsum(counts) - counts
            k = np.arange(v.size) - np.repeat(starts, counts)
            ivr = np.repeat(iv, counts)
            t = np.floor(k * ivr + brng.uniform(0, 0.5, v.size) * ivr).astype(np.int64)
            s = self.state(v, t.astype(np.float64))
            keep = (s["moving"] | (k % np.repeat(ratio, counts) == 0)) & (t < end_s)
            keep &= ~((t >= self.p["dark0"][v]) & (t < self.p["dark1"][v]))
            v, t = v[keep], t[keep]
            s = {key: val[keep] for key, val in s.items()}
            partner = np.isin(v - 1, self.p["pairs"])
            lat, lon = offset(s["lat"], s["lon"], brng.normal(0, 8, v.size),
                              brng.normal(0, 8, v.size) + np.where(partner, 100.0, 0.0))
            sog = np.where(s["sog"] > 1, s["sog"] + brng.normal(0, 0.1, v.size), s["sog"])
            yield pl.DataFrame({
                "vessel": v, "mmsi": self.mmsi[v], "t": t, "lat": np.round(lat, 6),
                "lon": np.round(lon, 6), "sog_knots": np.round(np.maximum(sog, 0), 1),
                "cog_deg": np.round(s["cog"], 1) % 360,
                "heading_deg": np.round(s["cog"]).astype(np.int64) % 360,
                "nav_status": np.where(self.is_b[v], 15, s["status"]),
                "msg_type": self.msg_type[v], "dest": s["dest"],
            })

    def all_positions(self, min_interval_s: float = 0.0) -> pl.DataFrame:
        """Every position of the fleet, in time order (ties: by MMSI)."""
        df = pl.concat(list(self.positions(min_interval_s)))
        return df.with_columns(
            (pl.lit(int(START.timestamp()) * 1_000_000) + pl.col("t") * 1_000_000)
            .cast(pl.Datetime("us", "UTC")).alias("timestamp")).sort(["t", "mmsi"])

    def static_frame(self) -> pl.DataFrame:
        """Per-vessel static columns, indexed by ``vessel``."""
        n = self.vessels
        far = [self.port_names[int(li)][1] for li in self.lane]
        near = [self.port_names[int(li)][0] for li in self.lane]
        return pl.DataFrame({
            "vessel": np.arange(n), "name": self.name, "imo": self.imo,
            "callsign": self.callsign, "ship_type": self.ship_type,
            "length_m": self.length_m, "width_m": self.width_m, "draught_m": self.draught_m,
            "ais_class": np.where(self.is_b, "B", "A"), "dest_near": near, "dest_far": far,
        })


# --- MarineCadastre -------------------------------------------------------------------------

def marinecadastre_frame(fleet: Fleet, min_interval_s: float = 60.0) -> pl.DataFrame:
    """The 17 MarineCadastre columns, every cell filled, text timestamps
    ``YYYY-MM-DDTHH:MM:SS``, dtypes as MarineCadastre's own Parquet (MMSI int32, Heading
    int32, LAT/LON/SOG/COG/Draft float64, the rest text)."""
    pos = fleet.all_positions(min_interval_s).join(fleet.static_frame(), on="vessel",
                                                   how="left", maintain_order="left")
    out = pos.select(
        pl.col("mmsi").cast(pl.Int32).alias("MMSI"),
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("BaseDateTime"),
        pl.col("lat").round(5).alias("LAT"), pl.col("lon").round(5).alias("LON"),
        pl.col("sog_knots").cast(pl.Float64).alias("SOG"),
        pl.col("cog_deg").cast(pl.Float64).alias("COG"),
        pl.col("heading_deg").cast(pl.Int32).alias("Heading"),
        pl.col("name").alias("VesselName"),
        pl.format("IMO{}", pl.col("imo")).alias("IMO"),
        pl.col("callsign").alias("CallSign"),
        pl.col("ship_type").cast(pl.String).alias("VesselType"),
        pl.col("nav_status").cast(pl.String).alias("Status"),
        pl.col("length_m").cast(pl.String).alias("Length"),
        pl.col("width_m").cast(pl.String).alias("Width"),
        pl.col("draught_m").cast(pl.Float64).alias("Draft"),
        pl.col("ship_type").cast(pl.String).alias("Cargo"),
        pl.col("ais_class").alias("TransceiverClass"),
    )
    assert out.columns == list(MC_COLUMNS)
    return out


def write_marinecadastre_feed(fleet: Fleet, csv: Path | None, parquet: Path | None,
                              min_interval_s: float = 60.0) -> dict[str, Any]:
    """MarineCadastre CSV and/or Parquet (the same rows) of the fleet."""
    df = marinecadastre_frame(fleet, min_interval_s)
    if csv is not None:
        df.write_csv(csv)
    if parquet is not None:
        df.write_parquet(parquet)
    return {"rows": df.height, "vessels": int(df["MMSI"].n_unique()), "corrupt": 0,
            "min_interval_s": min_interval_s}


# --- DMA ------------------------------------------------------------------------------------

DMA_COLUMNS = ("# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude",
               "Navigational status", "ROT", "SOG", "COG", "Heading", "IMO", "Callsign", "Name",
               "Ship type", "Cargo type", "Width", "Length", "Type of position fixing device",
               "Draught", "Destination", "ETA", "Data source type", "A", "B", "C", "D")
"""Columns of the DMA ``aisdk-YYYY-MM-DD.csv`` files (2021 on: with the A-D dimensions)."""
_DMA_STATUS_TEXT = {code: text for text, code in reversed(list(DMA_NAV_STATUS.items()))}
_DMA_SHIP_TEXT = {int(code): {c: t for t, c in reversed(list(DMA_SHIP_TYPE.items()))}.get(
    int(code), {c: t for t, c in DMA_SHIP_TYPE.items()}.get(int(code) // 10 * 10, "Other"))
    for code in (*_A_TYPES, *_B_TYPES)}
"""The fleet's ship type codes as DMA spells them (a code's category label)."""


def dma_frame(fleet: Fleet, min_interval_s: float = 0.0) -> tuple[pl.DataFrame, list[int]]:
    """DMA rows, every column filled, with one base-station row per station every
    :data:`BASE_STATION_EVERY_S` s (DMA files carry them; the reader rejects them as
    ``not_vessel_data``). Returns the frame and the 1-based data-row numbers of those rows."""
    pos = fleet.all_positions(min_interval_s).join(fleet.static_frame(), on="vessel",
                                                   how="left", maintain_order="left")
    eta = (pl.col("timestamp") + pl.duration(hours=30)).dt.strftime("%d/%m/%Y %H:%M:%S")
    rows = pos.select(
        pl.col("t"),
        pl.col("timestamp").dt.strftime("%d/%m/%Y %H:%M:%S").alias("# Timestamp"),
        pl.format("Class {}", pl.col("ais_class")).alias("Type of mobile"),
        pl.col("mmsi").alias("MMSI"),
        pl.col("lat").alias("Latitude"), pl.col("lon").alias("Longitude"),
        pl.col("nav_status").replace_strict(_DMA_STATUS_TEXT, return_dtype=pl.String)
        .alias("Navigational status"),
        pl.lit(0.0).alias("ROT"),
        pl.col("sog_knots").alias("SOG"), pl.col("cog_deg").alias("COG"),
        pl.col("heading_deg").cast(pl.Float64).alias("Heading"),
        pl.col("imo").cast(pl.String).alias("IMO"),
        pl.col("callsign").alias("Callsign"), pl.col("name").alias("Name"),
        pl.col("ship_type").replace_strict(_DMA_SHIP_TEXT, return_dtype=pl.String)
        .alias("Ship type"),
        pl.lit("No additional information").alias("Cargo type"),
        pl.col("width_m").cast(pl.Float64).alias("Width"),
        pl.col("length_m").cast(pl.Float64).alias("Length"),
        pl.lit("GPS").alias("Type of position fixing device"),
        pl.col("draught_m").alias("Draught"),
        pl.when(pl.col("dest") == 0).then(pl.col("dest_near")).otherwise(pl.col("dest_far"))
        .alias("Destination"),
        eta.alias("ETA"), pl.lit("AIS").alias("Data source type"),
        (pl.col("length_m") // 2).cast(pl.Float64).alias("A"),
        (pl.col("length_m") - pl.col("length_m") // 2).cast(pl.Float64).alias("B"),
        (pl.col("width_m") // 2).cast(pl.Float64).alias("C"),
        (pl.col("width_m") - pl.col("width_m") // 2).cast(pl.Float64).alias("D"),
    )
    base = _base_stations(fleet)
    base_rows = base.select(
        pl.col("t"),
        (pl.lit(int(START.timestamp()) * 1_000_000) + pl.col("t") * 1_000_000)
        .cast(pl.Datetime("us", "UTC")).dt.strftime("%d/%m/%Y %H:%M:%S").alias("# Timestamp"),
        pl.lit("Base Station").alias("Type of mobile"), pl.col("mmsi").alias("MMSI"),
        pl.col("lat").alias("Latitude"), pl.col("lon").alias("Longitude"),
        pl.lit("Unknown value").alias("Navigational status"),
    )
    both = pl.concat([rows.with_columns(pl.lit(0).alias("_k")),
                      base_rows.with_columns(pl.lit(1).alias("_k"))], how="diagonal_relaxed")
    both = both.sort(["t", "_k", "MMSI"], maintain_order=True)
    where = (np.flatnonzero(both["_k"].to_numpy() == 1) + 1).tolist()
    return both.select(list(DMA_COLUMNS)), where


def write_dma_feed(fleet: Fleet, path: Path, min_interval_s: float = 0.0) -> dict[str, Any]:
    """A DMA ``aisdk`` CSV of the fleet (raw reporting intervals unless ``min_interval_s``)."""
    df, base_rows = dma_frame(fleet, min_interval_s)
    df.write_csv(path)
    return {"rows": df.height, "positions": df.height - len(base_rows),
            "base_station_rows": base_rows, "min_interval_s": min_interval_s}


def _base_stations(fleet: Fleet) -> pl.DataFrame:
    """Type 4 reports of each lane's receiving station (at the lane's start port)."""
    end_s = fleet.days * 86400
    t = np.arange(0, end_s, BASE_STATION_EVERY_S, dtype=np.int64)
    frames = []
    for li, r in enumerate(fleet.lanes):
        frames.append(pl.DataFrame({
            "t": t + li % BASE_STATION_EVERY_S, "mmsi": np.full(t.size, 2_190_000 + li),
            "lat": np.full(t.size, round(float(r.lat[0]), 6)),
            "lon": np.full(t.size, round(float(r.lon[0]), 6)), "lane": np.full(t.size, li)}))
    return pl.concat(frames).filter(pl.col("t") < end_s)


# --- NMEA -----------------------------------------------------------------------------------

CORRUPT_KINDS = ("bad_checksum", "truncated", "garbage", "missing_part")
"""Corrupt lines an NMEA feed carries (each a line the reader must reject)."""


def _tagged(unix_s: I64, station: npt.NDArray[np.str_], channel: U8, payload: U8,
            head: bytes = b"AIVDM,1,1,,") -> U8:
    """Single-sentence lines ``\\s:<station>,c:<unix>*hh\\!AIVDM,1,1,,<ch>,<payload>,0*hh``."""
    n = payload.shape[0]
    secs = np.char.zfill(unix_s.astype(str), 10).astype("S10").view(np.uint8).reshape(n, 10)
    st_bytes = np.asarray(station).astype(np.bytes_)
    width = st_bytes.dtype.itemsize
    st = st_bytes.view(np.uint8).reshape(n, width)
    tag = _matrix([b"s:", st, b",c:", secs], n)
    body = _matrix([head, channel.reshape(n, 1), b",", payload, b",0"], n)
    return _matrix([b"\\", tag, b"*", _hex2(np.bitwise_xor.reduce(tag, axis=1)), b"\\!", body,
                    b"*", _hex2(np.bitwise_xor.reduce(body, axis=1)), b"\n"], n)


def _line(station: str, unix_s: int, body: str) -> bytes:
    tag = f"s:{station},c:{unix_s}"
    return (f"\\{tag}*{_xor(tag):02X}\\!{body}*{_xor(body):02X}\n").encode()


def _xor(text: str) -> int:
    x = 0
    for b in text.encode("ascii"):
        x ^= b
    return x


def _payload(sentences: list[str]) -> tuple[list[str], int]:
    """Payload pieces and fill bits of ``encode_dict`` sentences."""
    fields = [s.split(",") for s in sentences]
    return [f[5] for f in fields], int(fields[-1][6].split("*")[0])


def write_nmea_feed(fleet: Fleet, path: Path, corrupt_share: float = 0.02,
                    min_interval_s: float = 0.0) -> dict[str, Any]:
    """Raw NMEA 0183 of the fleet as receivers log it (one station per lane, NMEA 4.0 tag
    blocks ``\\s:<station>,c:<unix>*hh\\``): position reports (types 1/2/3 class A, 18 class
    B), type 5 in two sentences every 6 min per class A vessel (sequential message id 0-9
    per station, channel A/B), type 24 parts A and B every 6 min per class B vessel, type 4
    from each station every 10 s; the second sentence of a type 5 and part B of a type 24
    come 1-4 lines after the first, between other vessels' sentences. ``corrupt_share`` of
    the lines are corrupt extras, in equal parts :data:`CORRUPT_KINDS`."""
    rng = np.random.default_rng([fleet.seed, 41])
    pos = fleet.all_positions(min_interval_s)
    t0 = int(START.timestamp())
    st = fleet.static_frame()
    # position lines (vectorised)
    pdf = pos.with_columns(pl.col("msg_type").cast(pl.Int8), pl.col("nav_status").cast(pl.Int8),
                           pl.col("heading_deg").cast(pl.Float32),
                           pl.col("sog_knots").cast(pl.Float32), pl.col("cog_deg").cast(pl.Float32))
    pay = position_payloads(pdf.with_columns(
        pl.when(pl.col("msg_type") == 18).then(18).otherwise(1).alias("msg_type")))
    mt = pdf["msg_type"].to_numpy()
    pay[:, 0] = np.where(mt == 18, pay[:, 0], ord("0") + mt)  # types 2 and 3: same layout
    vessel = pos["vessel"].to_numpy()
    lane = fleet.lane[vessel]
    chan = np.where(rng.random(pos.height) < 0.5, ord("A"), ord("B")).astype(np.uint8)
    unix = pos["t"].to_numpy() + t0
    plines = _tagged(unix, fleet.station(lane), chan, pay)
    # base stations
    base = _base_stations(fleet)
    bdf = base.with_columns(
        (pl.lit(t0 * 1_000_000) + pl.col("t") * 1_000_000).cast(pl.Datetime("us", "UTC"))
        .alias("timestamp"), pl.lit(4).cast(pl.Int8).alias("msg_type"),
        pl.lit(0.0).alias("sog_knots"), pl.lit(0.0).alias("cog_deg"),
        pl.lit(None).alias("heading_deg"), pl.lit(None).alias("nav_status"))
    blines = _tagged(base["t"].to_numpy() + t0, fleet.station(base["lane"].to_numpy()),
                     np.full(base.height, ord("A"), dtype=np.uint8), position_payloads(bdf))
    # static reports every 6 min per vessel, at its own offset, outside dark windows
    end_s = fleet.days * 86400
    ks = np.arange(0, end_s, STATIC_EVERY_S)
    sv = np.repeat(np.arange(fleet.vessels), ks.size)
    stt = (np.tile(ks, fleet.vessels) + (fleet.mmsi[sv] % STATIC_EVERY_S)).astype(np.int64)
    ok = (stt < end_s) & ~((stt >= fleet.p["dark0"][sv]) & (stt < fleet.p["dark1"][sv]))
    sv, stt = sv[ok], stt[ok]
    dest = fleet.state(sv, stt.astype(np.float64))["dest"]
    # units in time order: 0 position, 1 base station, 2 static, 3 corrupt extra
    n_pos, n_base, n_stat = pos.height, base.height, sv.size
    n_bad = round(corrupt_share * (n_pos + n_base + 2 * n_stat))
    bad_kind = np.arange(n_bad) % len(CORRUPT_KINDS)
    bad_src = rng.integers(0, n_pos, n_bad)
    unit_t = np.r_[pos["t"].to_numpy(), base["t"].to_numpy(), stt, pos["t"].to_numpy()[bad_src]]
    unit_kind = np.r_[np.zeros(n_pos), np.ones(n_base), np.full(n_stat, 2), np.full(n_bad, 3)
                      ].astype(np.int8)
    unit_idx = np.r_[np.arange(n_pos), np.arange(n_base), np.arange(n_stat), np.arange(n_bad)]
    order = np.lexsort((rng.random(unit_t.size), unit_t))
    unit_kind, unit_idx, unit_t = unit_kind[order], unit_idx[order], unit_t[order]
    # lines: first lines keep their unit's rank; second lines go 1-4 ranks later
    lines: list[bytes] = []
    keys: list[float] = []
    pw, bw = plines.shape[1], blines.shape[1]
    pflat, bflat = plines.tobytes(), blines.tobytes()
    names = st["name"].to_list()
    cache: dict[tuple[Any, ...], tuple[list[str], int]] = {}
    seq: dict[str, int] = {}
    stations = fleet.station(np.arange(len(fleet.lanes))).tolist()
    gaps = rng.integers(1, 5, unit_kind.size)
    corrupt_lines: dict[str, list[int]] = {k: [] for k in CORRUPT_KINDS}
    bad_at: list[tuple[int, str]] = []  # (index into lines, kind)
    n5 = n24 = 0
    for rank in range(unit_kind.size):
        kind, i = int(unit_kind[rank]), int(unit_idx[rank])
        if kind == 0:
            lines.append(pflat[i * pw:(i + 1) * pw])
            keys.append(rank)
        elif kind == 1:
            lines.append(bflat[i * bw:(i + 1) * bw])
            keys.append(rank)
        elif kind == 2:
            v = int(sv[i])
            station = stations[int(fleet.lane[v])]
            unix_s = int(stt[i]) + t0
            if fleet.is_b[v]:
                a, b = _static_b(fleet, v, names[v], cache)
                ch = "AB"[rank % 2]
                lines.append(_line(station, unix_s, f"AIVDM,1,1,,{ch},{a[0][0]},{a[1]}"))
                keys.append(rank)
                lines.append(_line(station, unix_s, f"AIVDM,1,1,,{ch},{b[0][0]},{b[1]}"))
                keys.append(rank + int(gaps[rank]) + 0.5)
                n24 += 1
            else:
                parts, fill = _static_a(fleet, v, names[v], int(dest[i]), cache)
                s = seq.get(station, 0)
                seq[station] = (s + 1) % 10
                ch = "AB"[s % 2]
                lines.append(_line(station, unix_s, f"AIVDM,2,1,{s},{ch},{parts[0]},0"))
                keys.append(rank)
                lines.append(_line(station, unix_s, f"AIVDM,2,2,{s},{ch},{parts[1]},{fill}"))
                keys.append(rank + int(gaps[rank]) + 0.5)
                n5 += 1
        else:
            what = CORRUPT_KINDS[int(bad_kind[i])]
            src = int(bad_src[i])
            good = pflat[src * pw:(src + 1) * pw]
            if what == "bad_checksum":
                bad = good[:-3] + (b"00" if good[-3:-1] != b"00" else b"01") + b"\n"
            elif what == "truncated":
                cut = good.index(b"!") + 12 + int(rng.integers(1, 27))
                bad = good[:cut] + b"\n"
            elif what == "garbage":
                letters = rng.integers(ord("a"), ord("z") + 1, int(rng.integers(10, 60)))
                bad = b"x" + bytes(letters.astype(np.uint8).tolist()) + b"\n"
            else:  # the first sentence of a type 5 whose second never came
                v = int(vessel[src]) if not fleet.is_b[int(vessel[src])] else _first_a(fleet)
                station = stations[int(fleet.lane[v])]
                parts, _ = _static_a(fleet, v, names[v], 0, cache)
                s = seq.get(station, 0)
                seq[station] = (s + 1) % 10
                bad = _line(station, int(unit_t[rank]) + t0,
                            f"AIVDM,2,1,{s},{'AB'[s % 2]},{parts[0]},0")
            bad_at.append((len(lines), what))
            lines.append(bad)
            keys.append(rank)
    final = np.argsort(np.asarray(keys), kind="stable")
    where = np.empty(final.size, dtype=np.int64)
    where[final] = np.arange(final.size)
    for li, what in bad_at:
        corrupt_lines[what].append(int(where[li]) + 1)
    with path.open("wb") as fh:
        for j in range(0, final.size, 100_000):
            fh.write(b"".join(lines[int(k)] for k in final[j:j + 100_000]))
    return {"lines": len(lines), "positions": n_pos, "type5": n5, "type24": n24,
            "type4": n_base, "corrupt": {k: sorted(v) for k, v in corrupt_lines.items()},
            "min_interval_s": min_interval_s}


def _first_a(fleet: Fleet) -> int:
    return int(np.flatnonzero(~fleet.is_b)[0])


def _static_a(fleet: Fleet, v: int, name: str, dest: int,
              cache: dict[tuple[Any, ...], tuple[list[str], int]]) -> tuple[list[str], int]:
    key = ("A", v, dest)
    if key not in cache:
        length, width = int(fleet.length_m[v]), int(fleet.width_m[v])
        names = fleet.port_names[int(fleet.lane[v])]
        eta = START + timedelta(days=1)
        cache[key] = _payload(encode_dict(
            {"type": 5, "mmsi": int(fleet.mmsi[v]), "ais_version": 0,
             "imo": int(fleet.imo[v]), "callsign": str(fleet.callsign[v]), "shipname": name,
             "ship_type": int(fleet.ship_type[v]), "draught": float(fleet.draught_m[v]),
             "destination": names[dest], "epfd": 1, "month": eta.month, "day": eta.day,
             "hour": eta.hour, "minute": 0, "to_bow": length // 2,
             "to_stern": length - length // 2, "to_port": width // 2,
             "to_starboard": width - width // 2}, talker_id="AI", sentence_type="VDM",
            seq_id=0))
    return cache[key]


def _static_b(fleet: Fleet, v: int, name: str,
              cache: dict[tuple[Any, ...], tuple[list[str], int]]
              ) -> tuple[tuple[list[str], int], tuple[list[str], int]]:
    ka, kb = ("B", v, 0), ("B", v, 1)
    if ka not in cache:
        length, width = int(fleet.length_m[v]), int(fleet.width_m[v])
        mmsi = int(fleet.mmsi[v])
        cache[ka] = _payload(encode_dict({"type": 24, "mmsi": mmsi, "partno": 0,
                                          "shipname": name}, talker_id="AI",
                                         sentence_type="VDM"))
        cache[kb] = _payload(encode_dict(
            {"type": 24, "mmsi": mmsi, "partno": 1, "callsign": str(fleet.callsign[v]),
             "ship_type": int(fleet.ship_type[v]), "to_bow": length // 2,
             "to_stern": length - length // 2, "to_port": width // 2,
             "to_starboard": width - width // 2}, talker_id="AI", sentence_type="VDM"))
    return cache[ka], cache[kb]


__all__ = ["CORRUPT_KINDS", "DMA_COLUMNS", "GENERATION", "Fleet", "dma_frame",
           "marinecadastre_frame", "write_dma_feed", "write_marinecadastre_feed",
           "write_nmea_feed"]
