"""``scale``: millions of positions for benchmarks, fully vectorised, streamed to Parquet.

Each vessel shuttles on a sea lane (searoute, between World Port Index ports anywhere, shared
by ``VESSELS_PER_LANE`` vessels): sail out at its own speed, moor, sail back, moor, and so
on. Its position at any time is a closed-form function of the time (cycle phase -> distance
along the lane), so a block of vessels is computed with a handful of NumPy operations and
written as one Parquet file (memory bounded by ``BLOCK``). Reporting intervals follow ITU-R
M.1371 ratios (class A 10 s / 6 s above 14 kn / 3 min moored, class B 30 s) decimated
``DECIMATION`` times as archives deliver them. Planted: encounter pairs (two ships in convoy
stop together 4-8 h on the lane, >= 20 nm offshore when the lane allows), dark gaps (8-20 h)
and the port calls of every cycle. Labels: encounters and loitering from the plan windows,
``ais_gap`` exact from the data; port calls, zone stays and static edits are NOT labelled
(see ``docs/simulate.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.reference import ReferenceData
from sanctionwatch.simulate.labels import frame, label
from sanctionwatch.simulate.traffic import Route, offset
from sanctionwatch.simulate.world import MID_ISO2, imo_with_check, port_catalogue

START = datetime(2019, 6, 1, tzinfo=UTC)
BLOCK = 2000  # vessels per Parquet file
GENERATION = 3
"""Bumped whenever the generated data changes (2: valid IMO check digits; 3: lanes all over
the world, their number growing with the fleet), so cached benchmark inputs are regenerated."""
DECIMATION = 40
VESSELS_PER_LANE = 150
"""Lanes grow with the fleet (at least 40), so a bigger input is more sea covered, not denser
traffic on the same lanes: a global AIS day (100 M+ positions) spreads over every ocean, while
even the busiest straits see ~1-2 thousand ships a day."""
MIN_LANES = 40
LANE_MAX_GREAT_CIRCLE_KM = 1200.0
KN = 1852.0 / 3600.0
_WORDS = np.array(["OCEAN", "PACIFIC", "GOLDEN", "STAR", "GRACE", "HAPPY", "FORTUNE", "EAST",
                   "BRIGHT", "NEW", "GLORY", "RICH", "JIN", "HAI", "XIN", "HUA", "DONG", "YU"])


def _lanes(ref: ReferenceData, rng: np.random.Generator, n_lanes: int) -> list[Route]:
    """``n_lanes`` sea lanes of 100-1,500 km between World Port Index ports anywhere."""
    from scipy.spatial import cKDTree

    from sanctionwatch.geo import arc_m_to_chord, to_unit_xyz
    from sanctionwatch.simulate.world import World

    cat = port_catalogue(ref, region=None)
    tree = cKDTree(to_unit_xyz([p.lat for p in cat], [p.lon for p in cat]))
    reach = arc_m_to_chord(LANE_MAX_GREAT_CIRCLE_KM * 1000.0)
    w = World(rng, ref, START, 1)
    lanes: list[Route] = []
    while len(lanes) < n_lanes:
        a = cat[int(rng.integers(len(cat)))]
        near = tree.query_ball_point(to_unit_xyz([a.lat], [a.lon])[0], reach)
        if len(near) < 2:
            continue
        b = cat[int(rng.choice(sorted(near)))]
        if b is a:
            continue
        r = w.route((a.lat, a.lon), (b.lat, b.lon))
        if r is not None and 100_000 < r.length_m < 1_500_000:
            lanes.append(r)
    return lanes


def _plan(n: int, days: int, lanes: list[Route], ref: ReferenceData,
          rng: np.random.Generator) -> dict[str, Any]:
    """Per-vessel parameters (lane, speed, port stay, pause, phase, class, dark window)."""
    lane = rng.integers(len(lanes), size=n)
    length = np.array([r.length_m for r in lanes])[lane]
    speed = rng.uniform(10, 20, n) * KN
    port_s = rng.uniform(6, 30, n) * 3600
    pause_at = np.zeros(n)
    pause_s = np.zeros(n)
    phase = rng.uniform(0, 1, n)
    is_b = rng.random(n) < 0.25
    dark0 = np.full(n, np.inf)
    dark1 = np.full(n, np.inf)
    g = np.flatnonzero(rng.random(n) < 0.005)  # dark gaps of 8-20 h
    dark0[g] = rng.uniform(0.1, 0.7, g.size) * days * 86400
    dark1[g] = dark0[g] + rng.uniform(8, 20, g.size) * 3600
    # encounter pairs: vessel i and i+1 (i even) share lane, speed, stays and phase
    pairs = np.flatnonzero((np.arange(n) % 2 == 0) & (np.arange(n) + 1 < n)
                           & (rng.random(n) < 0.004))
    for i in pairs:
        r = lanes[int(lane[i])]
        d = np.linspace(0.2, 0.8, 13) * r.length_m
        la, lo, _ = r.at(d)
        ok = (np.asarray(ref.distance_from_shore_km(la, lo)) > 40) & (
            ref.distance_to_port_km(la, lo) > 15)
        k = int(np.flatnonzero(ok)[0]) if ok.any() else 6
        j = i + 1
        lane[j], length[j], speed[j], port_s[j], phase[j] = (lane[i], length[i], speed[i],
                                                             port_s[i], phase[i])
        is_b[i] = is_b[j] = False
        dark0[j] = dark1[j] = dark0[i] = dark1[i] = np.inf
        pause_at[i] = pause_at[j] = d[k]
        pause_s[i] = pause_s[j] = rng.uniform(4, 8) * 3600
    sail = length / speed
    cycle = 2 * (sail + port_s) + pause_s
    return {"lane": lane, "length": length, "speed": speed, "port_s": port_s,
            "pause_at": pause_at, "pause_s": pause_s, "phase": phase * cycle, "cycle": cycle,
            "is_b": is_b, "dark0": dark0, "dark1": dark1, "pairs": pairs}


def _state(p: dict[str, Any], v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distance along the lane, speed (kn), course sign and moored/paused flags at ``t``."""
    speed, port_s, pause_at, pause_s = (p[k][v] for k in ("speed", "port_s", "pause_at",
                                                          "pause_s"))
    length = p["length"][v]
    tau = (t + p["phase"][v]) % p["cycle"][v]
    t_pause = pause_at / speed
    s1 = t_pause + pause_s  # end of the pause on the outbound leg
    s2 = length / speed + pause_s  # arrival at the far end
    s3 = s2 + port_s
    s4 = s3 + length / speed
    out1 = tau < t_pause
    paused = (tau >= t_pause) & (tau < s1)
    out2 = (tau >= s1) & (tau < s2)
    far = (tau >= s2) & (tau < s3)
    back = (tau >= s3) & (tau < s4)
    d = np.select([out1, paused, out2, far, back],
                  [tau * speed, pause_at, pause_at + (tau - s1) * speed, length,
                   length - (tau - s3) * speed], 0.0)
    moving = out1 | out2 | back
    sog = np.where(moving, speed / KN, np.where(paused, 0.3, 0.0))
    return d, sog, back, paused, ~moving & ~paused


def write_scale(seed: int, out: Path, vessels: int, days: int) -> dict[str, Any]:
    """Write ``ais-NNNNN.parquet`` files (one per ``BLOCK`` vessels) and ``labels.parquet``."""
    ref = ReferenceData.default()
    rng = np.random.default_rng([seed, 11])
    lanes = _lanes(ref, rng, max(MIN_LANES, -(-vessels // VESSELS_PER_LANE)))
    p = _plan(vessels, days, lanes, ref, rng)
    end_s = days * 86400
    mmsi = np.array(sorted(rng.choice(np.arange(100_000, 999_999), vessels, replace=False)))
    mids = np.array(sorted(MID_ISO2))[rng.integers(len(MID_ISO2), size=vessels)]
    mmsi = mids * 1_000_000 + mmsi
    names = np.char.add(np.char.add(_WORDS[rng.integers(len(_WORDS), size=vessels)], " "),
                        _WORDS[rng.integers(len(_WORDS), size=vessels)])
    flags = np.array([MID_ISO2[int(m)] for m in mids])
    imo = np.array([imo_with_check(100_000 + i) for i in range(vessels)], dtype=np.int64)
    files: list[Path] = []
    n_pos = 0
    labels: list[dict[str, Any]] = []
    t0_us = int(START.timestamp()) * 1_000_000
    for b, lo_v in enumerate(range(0, vessels, BLOCK)):
        brng = np.random.default_rng([seed, 13, b])
        v_ids = np.arange(lo_v, min(vessels, lo_v + BLOCK))
        # reporting interval per vessel when moving (ITU ratios, decimated)
        fast = p["speed"][v_ids] / KN > 14
        iv = np.where(p["is_b"][v_ids], 30.0, np.where(fast, 6.0, 10.0)) * DECIMATION
        iv_slow = np.where(p["is_b"][v_ids], 30.0, 180.0) * DECIMATION / 4  # moored
        # sample on the moving interval, thin while moored/paused to the slow interval
        counts = np.ceil(end_s / iv).astype(np.int64)
        v = np.repeat(v_ids, counts)
        starts = np.cumsum(counts) - counts
        k = np.arange(v.size) - np.repeat(starts, counts)
        t = k * np.repeat(iv, counts) + brng.uniform(0, 1, v.size) * np.repeat(iv, counts) * 0.5
        t = np.floor(t).astype(np.int64)
        d, sog, back, paused, moored = _state(p, v, t.astype(np.float64))
        ratio = np.repeat(np.maximum(1, np.round(iv_slow / iv)).astype(np.int64), counts)
        keep = (~(moored | paused)) | (k % ratio == 0)
        keep &= ~((t >= p["dark0"][v]) & (t < p["dark1"][v])) & (t < end_s)
        v, t, d, sog, back, paused, moored = (x[keep] for x in (v, t, d, sog, back, paused,
                                                                  moored))
        lat = np.empty(v.size)
        lon = np.empty(v.size)
        cog = np.empty(v.size)
        lane = p["lane"][v]
        for li in np.unique(lane):
            m = lane == li
            la, lo, c = lanes[int(li)].at(d[m])
            lat[m], lon[m], cog[m] = la, lo, c
        cog = np.where(back, (cog + 180.0) % 360.0, cog)
        # pair partners lie 100 m east of the leader; GNSS noise ~10 m
        partner = np.isin(v - 1, p["pairs"])
        lat, lon = offset(lat, lon, brng.normal(0, 10, v.size),
                          brng.normal(0, 10, v.size) + np.where(partner, 100.0, 0.0))
        status = np.where(moored, 5, 0).astype(np.int8)
        df = pl.DataFrame({
            "mmsi": mmsi[v], "timestamp": t * 1_000_000 + t0_us,
            "lat": np.round(lat, 6), "lon": np.round(lon, 6),
            "sog_knots": np.round(sog + np.where(sog > 1, brng.normal(0, 0.1, v.size), 0), 1)
            .astype(np.float32),
            "cog_deg": np.round(cog, 1).astype(np.float32),
            "heading_deg": np.where(p["is_b"][v], 511.0, np.round(cog) % 360).astype(np.float32),
            "nav_status": status, "msg_type": np.where(p["is_b"][v], 18, 1).astype(np.int8),
            "ais_class": np.where(p["is_b"][v], "B", "A"), "receiver": "sim",
            "imo": np.where(p["is_b"][v], 0, imo[v]), "name": names[v],
            "callsign": np.char.add("SC", (v % 100_000).astype(str)),
            "ship_type": np.where(p["is_b"][v], 30, 70).astype(np.int16),
            "draught_m": np.where(p["is_b"][v], 0.0, 8.0).astype(np.float32),
            "destination": "", "length_m": np.where(p["is_b"][v], 40.0, 180.0)
            .astype(np.float32), "width_m": np.where(p["is_b"][v], 8.0, 28.0).astype(np.float32),
            "flag": flags[v],
        }).with_columns(
            pl.col("timestamp").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            pl.col("imo").replace(0, None), pl.col("draught_m").replace(0.0, None),
            pl.col("destination").replace("", None))
        path = out / f"ais-{b:05d}.parquet"
        df.write_parquet(path, row_group_size=500_000)
        files.append(path)
        n_pos += df.height
        labels += _gap_labels(df)
        del df
    labels += _pair_labels(p, mmsi, lanes, ref, end_s)
    lab = frame(labels)
    lab.write_parquet(out / "labels.parquet")
    return {"files": files, "positions": n_pos, "labels": lab}


def _gap_labels(df: pl.DataFrame) -> list[dict[str, Any]]:
    """Exact ``ais_gap`` labels (>= 6 h between consecutive positions) of one block."""
    g = df.select("mmsi", "timestamp", "lat", "lon").sort(["mmsi", "timestamp"]).with_columns(
        pl.col("timestamp").shift(-1).over("mmsi").alias("t1"),
        pl.col("lat").shift(-1).over("mmsi").alias("lat1"),
        pl.col("lon").shift(-1).over("mmsi").alias("lon1"),
    ).filter((pl.col("t1") - pl.col("timestamp")) >= timedelta(hours=6))
    return [label("ais_gap", r["mmsi"], r["timestamp"], r["t1"], lat=r["lat"], lon=r["lon"],
                  planted=True, behaviour="dark", end_lat=r["lat1"], end_lon=r["lon1"])
            for r in g.iter_rows(named=True)]


def _pair_labels(p: dict[str, Any], mmsi: np.ndarray, lanes: list[Route], ref: ReferenceData,
                 end_s: int) -> list[dict[str, Any]]:
    """Encounter (and loitering, when >= 20 nm offshore and 10 km from ports) labels of the
    planted pauses, from the plan (edges approximate to the reporting interval)."""
    rows: list[dict[str, Any]] = []
    for i in p["pairs"]:
        i = int(i)
        first = p["pause_at"][i] / p["speed"][i] - p["phase"][i]
        la, lo, _ = lanes[int(p["lane"][i])].at(np.array([p["pause_at"][i]]))
        shore = float(ref.distance_from_shore_km(la, lo)[0])
        port = float(ref.distance_to_port_km(la, lo)[0])
        c = p["cycle"][i]
        for kc in range(-1, int(end_s / c) + 2):
            a, b = first + kc * c, first + kc * c + p["pause_s"][i]
            a, b = max(a, 0.0), min(b, float(end_s))
            if b - a < 2 * 3600:
                continue
            t0, t1 = START + timedelta(seconds=a), START + timedelta(seconds=b)
            if port < 10:
                continue
            rows.append(label("encounter", int(mmsi[i]), t0, t1, other=int(mmsi[i + 1]),
                              lat=float(la[0]), lon=float(lo[0]), planted=True,
                              behaviour="scale_pair", distance_m=100.0))
            if shore >= 37.04 and b - a >= 4 * 3600:
                for m in (mmsi[i], mmsi[i + 1]):
                    rows.append(label("loitering", int(m), t0, t1, lat=float(la[0]),
                                      lon=float(lo[0]), planted=True, behaviour="scale_pair"))
    return rows
