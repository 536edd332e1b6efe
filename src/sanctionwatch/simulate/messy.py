"""The ``messy`` scenario: background traffic with the mess of real feeds planted and labelled.

What real archives hold besides ship behaviour (issue 13; measured on the MarineCadastre,
AISdb and DMA samples in ``tests/data/ais``): the feed falling silent, everywhere or over one
area; a batch of stale records stamped at midnight; USCG documentation numbers in the IMO field
of US vessels; two transponders on one ship whose static data alternate; base stations, aids
to navigation and fishing-gear buoys; a small harbour the port list does not know, where boats
moor together for hours; and one true spoofing case among them, a ship reporting a false
position hundreds of km away for about two hours and then its true one again.

Each mess is either a *planted case* (a label the detectors should find: ``spoofing`` subtype
``sustained_teleport``; data-quality ``invalid_imo``, ``stale_record``,
``duplicate_transponder``) or a *hard negative* (``negatives.parquet``: where an event of a
type would be a false positive; see :func:`sanctionwatch.simulate.labels.negatives_frame`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.ids import imo_valid_array
from sanctionwatch.simulate import behaviours as bv
from sanctionwatch.simulate.labels import label
from sanctionwatch.simulate.traffic import ShipBuilder, Static, offset
from sanctionwatch.simulate.world import World, port_catalogue

US_MIDS = (366, 367, 368, 369)
STATIONS = ("base_station", "aid_to_navigation", "gear_buoy")
"""Behaviours of the non-ship stations."""
YELLOW_SEA_CENTRE = (121.5, 34.5, 123.5, 36.5)
AREA_OUTAGE_BOX = (121.0, 29.5, 123.5, 32.0)
"""lon0, lat0, lon1, lat1 of the area whose receivers fall silent (the approaches to Shanghai
and Ningbo, the busiest waters of the scenario)."""
FLAP_MIN = 3
"""Minutes each transponder of the doubled ship holds the last word (GARDEN STATE's draught
alternated about every 3 minutes in the MarineCadastre sample)."""


@dataclass
class Mess:
    """What the plan decided, for the steps that work on the received positions."""

    uscg: list[int] = field(default_factory=list)
    duplicate: tuple[int, int, int] | None = None  # mmsi, first and last flapping minute
    stations: dict[int, str] = field(default_factory=dict)
    feed_outage: tuple[int, int] = (0, 0)  # minutes
    area_outage: tuple[int, int] = (0, 0)
    midnight_min: int = 0


def _uscg_number(w: World) -> int:
    """A 7-digit USCG official number that fails the IMO check digit (as ~90 % do)."""
    while True:
        n = int(w.rng.integers(1_000_000, 1_300_000))
        if not bool(imo_valid_array(np.array([float(n)]))[0]):
            return n


def _us_ships(w: World, mess: Mess, n: int) -> None:
    for k in range(n):
        s = bv.merchant(w, "general" if k % 2 else "tanker")
        del w.behaviour_of_mmsi[s.mmsi]
        s.mmsi = w.mmsi(US_MIDS[k % len(US_MIDS)])
        s.behaviour = "uscg_number"
        w.behaviour_of_mmsi[s.mmsi] = s.behaviour
        number = _uscg_number(w)
        s.statics[:] = [replace(st, imo=number, flag="US") for st in s.statics]
        mess.uscg.append(s.mmsi)


def _duplicate_transponder(w: World, mess: Mess) -> None:
    """A tanker whose second transponder, configured with another draught, is on for 6-10 h:
    the archive's static data alternate between the two every few minutes."""
    s = bv.merchant(w, "tanker")
    s.behaviour = "duplicate_transponder"
    w.behaviour_of_mmsi[s.mmsi] = s.behaviour
    t0 = int(w.rng.uniform(0.3, 0.6) * w.end_min)
    t1 = t0 + int(w.rng.integers(6 * 60, 10 * 60))
    twins: dict[int, int] = {}
    for part in s.parts:
        t, idx = np.asarray(part["t"]), np.asarray(part["static"])
        on = (t >= t0) & (t < t1) & ((t // FLAP_MIN) % 2 == 1)
        for k in np.unique(idx[on]):
            if int(k) not in twins:
                st = s.statics[int(k)]
                other = st.draught_m - 2.6 if st.draught_m > 5.0 else st.draught_m + 2.6
                s.statics.append(replace(st, draught_m=round(other, 1)))
                twins[int(k)] = len(s.statics) - 1
        part["static"] = np.where(on, np.vectorize(lambda k: twins.get(int(k), int(k)),
                                                   otypes=[np.int64])(idx), idx)
    mess.duplicate = (s.mmsi, t0, t1)


def _harbour_spot(w: World) -> tuple[float, float]:
    """A sheltered spot 0.3-2 km off the coast, more than 12 km from every port and anchorage
    of the port list and outside every zone, with a sea route out: a harbour the list lacks."""
    cat = port_catalogue(w.ref)
    for _ in range(2000):
        p = cat[int(w.rng.integers(len(cat)))]
        d, brg = w.rng.uniform(15_000, 45_000), w.rng.uniform(0, 2 * np.pi)
        la, lo = offset(p.lat, p.lon, d * np.cos(brg), d * np.sin(brg))
        lat, lon = float(la), float(lo)
        shore = float(w.ref.distance_from_shore_km(lat, lon))
        if not 0.3 < shore < 2.0 or float(w.ref.distance_to_port_km(lat, lon)[0]) < 12.0:
            continue
        if w.ref.zone_membership(lat, lon).any():
            continue
        if w.route((lat, lon), w.berth(bv._pick_port(w))) is not None:
            return lat, lon
    raise RuntimeError("no spot for the unlisted harbour")  # pragma: no cover


def _harbour(w: World, n: int) -> None:
    """``n`` small craft moored within ~150 m of each other in the unlisted harbour from the
    start for 14-30 h, then off to a listed port."""
    lat, lon = _harbour_spot(w)
    half = 0.02
    for _ in range(n):
        b = w.ship("fishing", 412, 3.0, ais_class="B", behaviour="unlisted_harbour")
        n_m, e_m = w.rng.normal(0, 60, 2)
        la, lo = offset(lat, lon, float(n_m), float(e_m))
        stay_min = int(w.rng.integers(14 * 60, 30 * 60))
        b.stay(stay_min, float(la), float(lo), status=5)
        w.hard_negatives.extend(
            {"kind": "unlisted_harbour", "not": t, "mmsi": b.mmsi, "start_time": w.time(0),
             "end_time": w.time(stay_min), "expected": exp,
             "bbox": (lon - half, lat - half, lon + half, lat + half)}
            for t, exp in (("encounter", "none"), ("loitering", "none"),
                           ("port_call", "optional")))
        for _ in range(10):
            if bv._voyage(w, b, w.berth(bv._pick_port(w)), 9.0):
                break
        b.stay(max(1, w.end_min - b.t), *b.pos)


def _station(w: World, mmsi: int, kind: str, name: str, lat: float, lon: float,
             drift_kn: float = 0.0) -> None:
    st = Static(name=name, imo=None, callsign="", ship_type=0, draught_m=0.0, length_m=0.0,
                width_m=0.0)
    b = ShipBuilder(len(w.ships), "general", mmsi, [st],
                    ais_class="B" if kind == "gear_buoy" else "A", behaviour=kind)
    w.ships.append(b)
    w.behaviour_of_mmsi[mmsi] = kind
    b.stay(w.end_min + 1, lat, lon, status=15, drift_kn=drift_kn,
           drift_deg=float(w.rng.uniform(0, 360)))
    w.hard_negatives.append({"kind": kind, "not": None, "mmsi": mmsi, "start_time": w.time(0),
                             "end_time": w.time(w.end_min), "expected": "none"})


def _stations(w: World, mess: Mess) -> None:
    """Two base stations (00MID) at ports, two aids to navigation (99MID: a channel buoy
    near a port, an offshore mark) and three drifting fishing-gear buoys (98MID)."""
    cat = port_catalogue(w.ref)

    def serial() -> int:
        return int(w.rng.integers(1000, 9999))

    for mid in (412, 440):
        p = cat[int(w.rng.integers(len(cat)))]
        m = mid * 10_000 + serial()
        mess.stations[m] = "base_station"
        _station(w, m, "base_station", "", p.lat, p.lon)
    near = cat[int(w.rng.integers(len(cat)))]
    for _ in range(500):
        brg = w.rng.uniform(0, 2 * np.pi)
        la, lo = offset(near.lat, near.lon, 3000 * np.cos(brg), 3000 * np.sin(brg))
        if float(w.ref.distance_from_shore_km(float(la), float(lo))) > 0.5:
            break
    points = [(float(la), float(lo)), bv.fishing_ground(w, YELLOW_SEA_CENTRE)]
    for k, (lat, lon) in enumerate(points):
        m = 990_000_000 + 412 * 10_000 + serial()
        mess.stations[m] = "aid_to_navigation"
        _station(w, m, "aid_to_navigation", f"BUOY {k + 1}", lat, lon)
    ground = bv.fishing_ground(w, YELLOW_SEA_CENTRE)
    for k in range(3):
        m = 980_000_000 + 412 * 10_000 + serial()
        mess.stations[m] = "gear_buoy"
        la, lo = offset(ground[0], ground[1], 800.0 * k, 500.0 * k)
        _station(w, m, "gear_buoy", f"NET {k + 1}", float(la), float(lo), drift_kn=0.2)


def plan(w: World, vessels: int, background: Callable[[World, int], Any]) -> Mess:
    """Plan the ships of the messy scenario: background traffic plus the planted mess."""
    mess = Mess()
    day, hour, end = 24 * 60, 60, w.end_min
    a = int(0.15 * end) // hour * hour
    mess.area_outage = (a, a + 10 * hour)
    mess.midnight_min = int(0.45 * end) // day * day
    f = int(0.75 * end) // hour * hour
    mess.feed_outage = (f, f + 8 * hour)
    _us_ships(w, mess, 2)
    _duplicate_transponder(w, mess)
    _harbour(w, 4)
    _stations(w, mess)
    background(w, max(10, vessels - len(w.ships)))  # ships under way to mis-stamp, teleport
    for kind, (a, b), box in (("feed_outage", mess.feed_outage, None),
                              ("area_outage", mess.area_outage, AREA_OUTAGE_BOX)):
        w.hard_negatives.append({"kind": kind, "not": "ais_gap", "mmsi": None,
                                 "start_time": w.time(a), "end_time": w.time(b),
                                 "expected": "none", "bbox": box})
    return mess


def _in_box(box: tuple[float, float, float, float]) -> pl.Expr:
    return pl.col("lon").is_between(box[0], box[2]) & pl.col("lat").is_between(box[1], box[3])


def outages(w: World, mess: Mess, pos: pl.DataFrame) -> pl.DataFrame:
    """The received positions less those of the silent feed (everywhere) and silent area."""
    t = pl.col("timestamp")
    fa, fb = (w.time(m) for m in mess.feed_outage)
    aa, ab = (w.time(m) for m in mess.area_outage)
    silent = t.is_between(fa, fb, closed="left") | (
        t.is_between(aa, ab, closed="left") & _in_box(AREA_OUTAGE_BOX))
    return pos.filter(~silent)


def _quiet(w: World, mess: Mess, t: datetime, margin_h: float) -> bool:
    """Whether ``t`` is at least ``margin_h`` from every outage and the mis-stamped midnight."""
    m = timedelta(hours=margin_h)
    spans = [mess.feed_outage, mess.area_outage, (mess.midnight_min, mess.midnight_min)]
    return all(not (w.time(a) - m <= t <= w.time(b) + m) for a, b in spans)


def teleport(w: World, mess: Mess, pos: pl.DataFrame) -> pl.DataFrame:
    """A ship under way reports, for about two hours, positions shifted 330-500 km (its true
    track moved: plausible speed and course, far out at sea) and none of its true ones."""
    cand = pos.filter((pl.col("behaviour") == "background") & (pl.col("sog_knots") > 8)
                      & (pl.col("ais_class") == "A"))
    mmsis = sorted(set(cand["mmsi"].to_list()))
    for i in w.rng.permutation(len(mmsis)):
        m = mmsis[int(i)]
        own = pos.filter(pl.col("mmsi") == m)
        under = cand.filter(pl.col("mmsi") == m)
        r = under.row(int(w.rng.integers(under.height // 4, 3 * under.height // 4 + 1)),
                      named=True)
        t0 = r["timestamp"]
        t1 = t0 + timedelta(minutes=int(w.rng.integers(105, 135)))
        win = own.filter(pl.col("timestamp").is_between(t0, t1))
        if (win.height < 20 or win["sog_knots"].min() < 5  # type: ignore[operator]
                or not (_quiet(w, mess, t0, 3) and _quiet(w, mess, t1, 3))):
            continue
        for _ in range(200):
            brg, d = w.rng.uniform(0, 2 * np.pi), w.rng.uniform(330_000, 500_000)
            la, lo = offset(win["lat"].to_numpy(), win["lon"].to_numpy(), d * np.cos(brg),
                            d * np.sin(brg))
            if (float(np.min(w.ref.distance_from_shore_km(la, lo))) > 20
                    and float(np.min(w.ref.distance_to_port_km(la, lo))) > 30
                    and not w.ref.zone_membership(la, lo).any()):
                break
        else:
            continue
        fake = win.with_columns(pl.Series("lat", np.round(la, 6)), pl.Series("lon", np.round(
            lo, 6)), pl.lit(True).alias("spoof"), pl.lit("sustained_teleport").alias(
            "behaviour"))
        w.labels.append(label("spoofing", m, fake["timestamp"].min(),  # type: ignore[arg-type]
                              fake["timestamp"].max(),  # type: ignore[arg-type]
                              subtype="sustained_teleport", lat=float(la[0]), lon=float(lo[0]),
                              planted=True, behaviour="sustained_teleport",
                              true_lat=float(win["lat"][0]), true_lon=float(win["lon"][0]),
                              offset_km=round(d / 1000, 1)))
        keep = ~((pl.col("mmsi") == m) & pl.col("timestamp").is_between(t0, t1))
        return pl.concat([pos.filter(keep), fake])
    raise RuntimeError("no ship for the sustained teleport")  # pragma: no cover


def misstamp(w: World, mess: Mess, pos: pl.DataFrame, n: int = 12) -> pl.DataFrame:
    """A batch of stale records stamped at midnight (MarineCadastre-style): for ``n`` ships
    under way, a copy of a position they reported 8-20 h later, dated 00:00:00."""
    midnight = w.time(mess.midnight_min)
    planted = pos.filter(pl.col("spoof"))["mmsi"].unique().implode()
    cand = pos.filter((pl.col("behaviour") == "background") & (pl.col("sog_knots") > 8)
                      & ~pl.col("mmsi").is_in(planted)
                      & pl.col("timestamp").is_between(midnight + timedelta(hours=8),
                                                       midnight + timedelta(hours=20)))
    mmsis = sorted(set(cand["mmsi"].to_list()))
    rows = []
    for i in w.rng.choice(len(mmsis), min(n, len(mmsis)), replace=False):
        m = mmsis[int(i)]
        own = cand.filter(pl.col("mmsi") == m)
        r = own.row(int(w.rng.integers(own.height)), named=True)
        rows.append({**r, "timestamp": midnight, "spoof": True, "behaviour": "misstamped"})
        w.labels.append(label("stale_record", m, midnight, midnight, lat=r["lat"],
                              lon=r["lon"], planted=True, behaviour="misstamped",
                              true_time=r["timestamp"]))
        # whatever the stale record makes of the track (a jump, a zone stay at midnight)
        w.hard_negatives.append({"kind": "misstamped_record", "not": None, "mmsi": m,
                                 "start_time": midnight - timedelta(hours=2),
                                 "end_time": midnight + timedelta(hours=2),
                                 "expected": "none"})
    return pl.concat([pos, pl.DataFrame(rows, schema=pos.schema, orient="row")])


def station_rows(mess: Mess, pos: pl.DataFrame) -> pl.DataFrame:
    """Base stations' positions as message type 4, aids to navigation as type 21."""
    kind = pl.col("mmsi").replace_strict(mess.stations, default=None)
    return pos.with_columns(
        pl.when(kind == "base_station").then(pl.lit(4, pl.Int8))
        .when(kind == "aid_to_navigation").then(pl.lit(21, pl.Int8))
        .otherwise(pl.col("msg_type")).alias("msg_type"))


def fix_labels(w: World, mess: Mess, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mechanical labels corrected by what the plan knows: gaps the outages explain are
    no gaps; a USCG number in the IMO field is a data-quality finding, not spoofing; the
    doubled ship's alternating draught is one ``duplicate_transponder`` finding."""
    fa, fb = (w.time(m) for m in mess.feed_outage)
    aa, ab = (w.time(m) for m in mess.area_outage)
    box = AREA_OUTAGE_BOX

    def inside(lat: Any, lon: Any) -> bool:
        return lat is not None and box[0] <= lon <= box[2] and box[1] <= lat <= box[3]

    out: list[dict[str, Any]] = []
    dup = mess.duplicate
    for r in rows:
        if r["event_type"] == "ais_gap":
            if r["start_time"] < fb and r["end_time"] > fa:
                continue
            d = json.loads(r["details"])
            if r["start_time"] < ab and r["end_time"] > aa and (
                    inside(r["lat"], r["lon"]) or inside(d.get("end_lat"), d.get("end_lon"))):
                continue
        if r["event_type"] == "invalid_imo" and r["mmsi"] in mess.uscg:
            r = {**r, "subtype": "uscg_documentation_number", "planted": True}
        if dup is not None and r["event_type"] == "draught_change" and r["mmsi"] == dup[0] \
                and w.time(dup[1]) <= r["end_time"] <= w.time(dup[2] + 60):
            continue
        out.append(r)
    for m in mess.uscg:
        w.hard_negatives.append({"kind": "uscg_number", "not": "spoofing", "subtype": "invalid_imo",
                                 "mmsi": m, "start_time": w.time(0), "end_time": w.time(w.end_min),
                                 "expected": "none"})
    if dup is not None:
        m, t0, t1 = dup
        out.append(label("duplicate_transponder", m, w.time(t0), w.time(t1), planted=True,
                         behaviour="duplicate_transponder"))
        w.hard_negatives.append({"kind": "duplicate_transponder", "not": "draught_change",
                                 "mmsi": m, "start_time": w.time(t0),
                                 "end_time": w.time(t1 + 60), "expected": "none"})
    return out


__all__ = ["STATIONS", "Mess", "fix_labels", "misstamp", "outages", "plan", "station_rows",
           "teleport"]
