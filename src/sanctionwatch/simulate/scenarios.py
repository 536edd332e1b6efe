"""Named scenarios and the in-memory generator (positions, reports, labels)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS
from sanctionwatch.simulate import behaviours as bv
from sanctionwatch.simulate import messy
from sanctionwatch.simulate.coverage import Coverage, noisy, received
from sanctionwatch.simulate.labels import (
    DELIVERY_SCHEMA,
    delivery_labels,
    frame,
    label,
    loitering_labels,
    negatives_frame,
    report_labels,
    track_labels,
    visible_reports,
)
from sanctionwatch.simulate.traffic import ShipBuilder, Track
from sanctionwatch.simulate.world import World, find_port, imo_with_check

SCENARIOS = ("dprk-2019", "baseline", "messy")
DEFAULTS: dict[str, tuple[int, int]] = {"dprk-2019": (80, 7), "baseline": (60, 7),
                                        "messy": (60, 7), "scale": (20_000, 7)}
START = {"dprk-2019": datetime(2019, 3, 1, tzinfo=UTC), "baseline": datetime(2019, 3, 1,
                                                                             tzinfo=UTC),
         "messy": datetime(2019, 3, 1, tzinfo=UTC),
         "scale": datetime(2019, 6, 1, tzinfo=UTC)}
YELLOW_SEA = (119.5, 33.0, 124.5, 38.5)
EAST_CHINA_SEA = (121.5, 27.5, 126.0, 32.5)
DPRK_EAST_SEA = (129.0, 38.8, 132.5, 41.5)


@dataclass
class Frames:
    """The in-memory outputs: canonical positions and reports, and the labels."""

    positions: pl.DataFrame
    reports: pl.DataFrame
    labels: pl.DataFrame
    n_ships: int
    hard_negatives: list[dict[str, Any]] = field(default_factory=list)
    negatives: pl.DataFrame = field(default_factory=lambda: negatives_frame([]))
    """Hard-negative windows (``negatives.parquet``: :func:`labels.negatives_frame`)."""
    deliveries: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema=DELIVERY_SCHEMA))
    """Petroleum deliveries to DPRK ports (``deliveries.parquet``:
    :func:`labels.delivery_labels`)."""


def _background(w: World, n: int) -> list[ShipBuilder]:
    out: list[ShipBuilder] = []
    kinds = ("tanker", "bulk", "container", "general")
    while len(out) < n:
        r = w.rng.random()
        if r < 0.6:
            out.append(bv.merchant(w, kinds[int(w.rng.integers(len(kinds)))]))
        else:
            box = YELLOW_SEA if w.rng.random() < 0.6 else EAST_CHINA_SEA
            out.extend(bv.fishing(w, box))
    return out


def _identity(w: World, merchants: list[ShipBuilder]) -> None:
    """Identity laundering (S/2019/171, S/2020/151): a rename, a false IMO, a flag hop to a
    new MMSI keeping the IMO, a false flag (MID vs stated flag) and a cloned MMSI."""
    half = w.end_min // 2

    def at_port_stay(s: ShipBuilder) -> int:
        # a minute in the middle of the run when the ship is moored (a port stay)
        tr = s.build(w.end_min)
        moored = np.flatnonzero((tr.status == 5) & (tr.t > w.end_min // 4)
                                & (tr.t < 3 * w.end_min // 4))
        return int(tr.t[moored[len(moored) // 2]]) if moored.size else half

    renamed = bv.merchant(w, "tanker")
    renamed.behaviour = "identity_rename"
    w.behaviour_of_mmsi[renamed.mmsi] = renamed.behaviour
    t_r = at_port_stay(renamed)
    new_name = w.name()
    _static_from(renamed, t_r, lambda st: replace(st, name=new_name, callsign=st.callsign[:2]
                                                  + "ZZ" + st.callsign[-1]))
    bad_imo = bv.merchant(w, "tanker")
    bad_imo.behaviour = "identity_false_imo"
    w.behaviour_of_mmsi[bad_imo.mmsi] = bad_imo.behaviour
    good = bad_imo.statics[0].imo or imo_with_check(900001)
    false_imo = good - good % 10 + (good % 10 + 3) % 10
    bad_imo.statics[:] = [replace(st, imo=false_imo) for st in bad_imo.statics]
    hop = bv.merchant(w, "bulk")
    hop.behaviour = "identity_flag_hop"
    w.behaviour_of_mmsi[hop.mmsi] = hop.behaviour
    t_h = at_port_stay(hop)
    new_mmsi = w.mmsi(671)
    w.behaviour_of_mmsi[new_mmsi] = hop.behaviour
    hop.change_mmsi(t_h, new_mmsi)
    hop_name = w.name()
    _static_from(hop, t_h, lambda st: replace(st, name=hop_name, callsign="5VAB" + st.callsign[-1],
                                              flag="TG"))
    false_flag = w.ship("tanker", 667, 6.5, behaviour="identity_false_flag", flag="KP")
    dest = bv._pick_port(w)
    false_flag.stay(int(w.rng.integers(60, 600)), *w.berth(dest))
    for _ in range(30):
        if false_flag.t >= w.end_min:
            break
        nxt = bv._pick_port(w, dest)
        if bv._voyage(w, false_flag, w.berth(nxt), 11.0):
            dest = nxt
            false_flag.stay(int(w.rng.integers(6 * 60, 20 * 60)), *false_flag.pos)
    false_flag.stay(max(1, w.end_min - false_flag.t), *false_flag.pos)
    # a DPRK tanker broadcasting the MMSI and identity of a legitimate Chinese tanker
    victim = merchants[0]
    victim.statics[:] = [victim.statics[0]] * len(victim.statics)
    clone = ShipBuilder(len(w.ships), "tanker", victim.mmsi, list(victim.statics),
                        behaviour="identity_cloned_mmsi")
    w.ships.append(clone)
    home = find_port(w.ref, "NAMPO", "PRK")
    clone.stay(int(w.rng.integers(60, 12 * 60)), *w.berth(home))
    for centre in bv.STS_POINTS["korea_bay"][:2]:
        bv._voyage(w, clone, centre, 10.0)
        clone.stay(int(w.rng.integers(60, 180)), *clone.pos, status=0, drift_kn=0.0)
    bv._voyage(w, clone, w.berth(home), 10.0)
    clone.stay(max(60, w.end_min - clone.t), *clone.pos)
    w.clones.append((clone.ship_id, victim.ship_id))


def _static_from(s: ShipBuilder, t: int, change: Any) -> None:
    """Apply ``change`` to the static data of every sample from minute ``t`` on."""
    for part in s.parts:
        idx = part["static"]
        later = np.asarray(part["t"]) >= t
        if not later.any():
            continue
        for k in np.unique(idx[later]):
            s.statics.append(change(s.statics[int(k)]))
            idx[later & (idx == k)] = len(s.statics) - 1


def _on_land_spoof(w: World) -> None:
    """Positions spoofed across the Shandong peninsula: a straight track over land."""
    s = w.ship("general", 413, 5.0, behaviour="spoof_on_land")
    from sanctionwatch.simulate.traffic import Route

    a, b = (35.95, 120.75), (37.75, 120.55)
    r = Route.of(np.array([a[0], b[0]]), np.array([a[1], b[1]]))
    s.stay(int(w.rng.uniform(0.2, 0.5) * w.end_min), *a, status=0)
    s.parts.clear()
    s.t = 0
    t0 = int(w.rng.uniform(0.2, 0.5) * w.end_min)
    hub = find_port(w.ref, "LIANYUNGANG", "CHN")
    s.stay(1, *w.berth(hub))
    if not bv._voyage(w, s, a, 11.0):
        s.stay(1, *a, status=0)
    if s.t < t0:
        s.stay(t0 - s.t, *s.pos, status=1)
    s.sail(r, 11.0, slow_last_m=0)
    bv._voyage(w, s, (38.2, 121.2), 11.0)
    bv._voyage(w, s, w.berth(find_port(w.ref, "DALIAN", "CHN")), 11.0)
    s.stay(max(60, w.end_min - s.t), *s.pos)


def _thin_on_land(w: World, pos: pl.DataFrame) -> pl.DataFrame:
    """The on-land spoofer is heard only 3 times while its false track crosses the peninsula
    (its transponder mostly silent): a short inland excursion of a track seen at sea, which
    is what ``position_on_land`` reports (longer inland runs are river traffic)."""
    own = (pos["behaviour"] == "spoof_on_land").to_numpy()
    idx = np.flatnonzero(own)
    if idx.size == 0:
        return pos
    lat, lon = pos["lat"].to_numpy()[idx], pos["lon"].to_numpy()[idx]
    inland = ((np.asarray(w.ref.distance_from_shore_km(lat, lon)) < -5.0)
              & (w.ref.distance_to_port_km(lat, lon) > 10.0))
    if inland.sum() <= 3:
        return pos
    j = np.flatnonzero(inland)
    keep_in = j[np.linspace(j.size * 0.25, j.size * 0.75, 3).astype(np.int64)]
    drop = np.ones(pos.height, dtype=bool)
    drop[idx[j]] = False
    drop[idx[keep_in]] = True
    return pos.filter(pl.Series(drop))


def build_world(scenario: str, seed: int, vessels: int, days: int) -> World:
    """Plan every ship of a scenario."""
    ref = ReferenceData.default()
    w = World(np.random.default_rng(seed), ref, START[scenario], days * 24 * 60)
    if scenario == "baseline":
        _background(w, vessels)
        _squid_jiggers(w, seed, dprk=False)
        return w
    if scenario == "messy":
        w.mess = messy.plan(w, vessels, _background)
        return w
    planted_budget = 30
    merchants = [bv.merchant(w, "tanker") for _ in range(2)]
    for i in range(3):
        bv.sts_pair(w, "east_china_sea" if i % 2 == 0 else "korea_bay", i, dark=False)
    for i in range(2):
        bv.sts_pair(w, "korea_bay" if i == 0 else "east_china_sea", i + 1, dark=True)
    for i in range(3):
        bv.coal_run(w, i)
    _identity(w, merchants)
    _on_land_spoof(w)
    for k in range(4):  # Chinese fishing fleet in DPRK East Sea waters (Park et al. 2020)
        boats = bv.fishing(w, DPRK_EAST_SEA, mid=412, behaviour="fishing_dprk_waters",
                           pair=True if k == 0 else None)
        if len(boats) == 2:  # hard negative: pair trawlers ~500 m apart at 3-4 kn
            w.hard_negatives.append({"kind": "pair_trawl", "not": "encounter",
                                     "mmsi": boats[0].mmsi, "other_mmsi": boats[1].mmsi,
                                     "start_time": w.time(0), "end_time": w.time(w.end_min)})
    _bunkering(w)
    bv.pilot_boat(w)
    bv.coastal_gap(w)
    _background(w, max(0, vessels - len(w.ships) - planted_budget + 30))
    _squid_jiggers(w, seed, dprk=True)
    return w


SQUID_STREAM = 19
"""The jiggers' generator is ``default_rng((seed, SQUID_STREAM))`` (issue 19)."""


def _squid_jiggers(w: World, seed: int, dprk: bool) -> None:
    """Lighting squid jiggers, added after every other ship and drawing only from their own
    generator (plan, reception and noise), so no earlier ship, label or draw changes. Park et
    al. 2020 found the Chinese fleet in DPRK East Sea waters mostly lighting vessels and pair
    trawlers: ``dprk`` adds five there (behaviour ``fishing_dprk_waters``, staying every
    night); every scenario gets three ordinary jiggers in the East China and Yellow Seas that
    go home after 3-5 nights, and one fishing vessel drifting day and night (hard negative)."""
    rng = np.random.default_rng((seed, SQUID_STREAM))
    first = len(w.ships)
    with bv.own_rng(w, rng):
        if dprk:
            for k in range(5):  # type 30 on 3 of 5: type is supporting evidence only
                bv.squid_jigger(w, DPRK_EAST_SEA, behaviour="fishing_dprk_waters",
                                declared=k % 2 == 0)
        for k in range(3):
            bv.squid_jigger(w, EAST_CHINA_SEA if k % 2 == 0 else YELLOW_SEA,
                            declared=k != 1, nights=int(rng.integers(3, 6)))
        bv.drifting_offshore(w, YELLOW_SEA)
    for s in w.ships[first:]:
        s.rng = rng


def _bunkering(w: World) -> None:
    """Hard negative: two ships alongside for hours at an anchorage (within 10 km of a port:
    bunkering, not an encounter by definition)."""
    cands = [p for p in w.ref.ports if p.kind == "anchorage" and 29.8 < p.lat < 31.0
             and 122.0 < p.lon < 122.6 and float(w.ref.distance_from_shore_km(p.lat, p.lon)) > 1]
    anch = cands[int(w.rng.integers(len(cands)))]
    a = w.ship("tanker", 413, 7.0, behaviour="bunkering")
    b = w.ship("tanker", 413, 4.0, ais_class="A", behaviour="bunkering")
    t0 = int(w.rng.uniform(0.2, 0.6) * w.end_min)
    dur = int(w.rng.uniform(5 * 60, 10 * 60))
    la, lo = anch.lat, anch.lon
    from sanctionwatch.simulate.traffic import offset

    la2, lo2 = offset(la, lo, 0.0, 70.0)
    w.hard_negatives.append({"kind": "bunkering", "not": "encounter", "mmsi": a.mmsi,
                             "other_mmsi": b.mmsi, "start_time": w.time(0),
                             "end_time": w.time(t0 + dur), "anchorage": anch.name})
    for s, pos in ((a, (la, lo)), (b, (float(la2), float(lo2)))):
        s.stay(t0 + dur, *pos, status=1)
        dest = bv._pick_port(w)
        for _ in range(20):
            if bv._voyage(w, s, w.berth(dest), 11.0):
                break
            dest = bv._pick_port(w)
        s.stay(max(60, w.end_min - s.t), *s.pos)


def _spoof_jumps(w: World, pos: pl.DataFrame, n: int) -> list[dict[str, Any]]:
    """Impossible jumps: 1-2 fixes of a ship reported ~300-500 km away, at sea, outside every
    zone and far from ports, then back on its track."""
    rows: list[dict[str, Any]] = []
    own_ids = [s.ship_id for s in w.ships if s.rng is not None]  # not own-generator ships
    cand = pos.filter((pl.col("behaviour") == "background") & (pl.col("sog_knots") > 8)
                      & ~pl.col("ship_id").is_in(own_ids))
    mmsis = sorted(set(cand["mmsi"].to_list()))
    for m in [mmsis[int(i)] for i in w.rng.choice(len(mmsis), min(n, len(mmsis)),
                                                  replace=False)]:
        own = cand.filter(pl.col("mmsi") == m)
        r = own.row(int(w.rng.integers(own.height // 4, 3 * own.height // 4)), named=True)
        for _ in range(200):
            la = r["lat"] + w.rng.uniform(-4, 4)
            lo = r["lon"] + w.rng.uniform(-4, 4)
            d = float(np.hypot(la - r["lat"], lo - r["lon"]))
            if not 2.5 < d < 5:
                continue
            if (float(w.ref.distance_from_shore_km(la, lo)) > 20
                    and float(w.ref.distance_to_port_km(la, lo)[0]) > 30
                    and not w.ref.zone_membership(la, lo).any()):
                break
        else:
            continue
        k = int(w.rng.integers(1, 3))
        times = [r["timestamp"] + np.timedelta64(20 + 40 * j, "s").item() for j in range(k)]
        for t in times:
            rows.append({**r, "timestamp": t, "lat": la + w.rng.normal(0, 1e-4),
                         "lon": lo + w.rng.normal(0, 1e-4), "spoof": True,
                         "behaviour": "spoof_jump"})
        w.labels.append(label("spoofing", m, times[0], times[-1], subtype="impossible_speed",
                              lat=la, lon=lo, planted=True, behaviour="spoof_jump",
                              true_lat=r["lat"], true_lon=r["lon"]))
        w.behaviour_of_mmsi.setdefault(m, "background")
    return rows


def _positions(w: World, tracks: list[Track], cov: Coverage) -> pl.DataFrame:
    frames = []
    for s, tr in zip(w.ships, tracks, strict=True):
        if tr.t.size == 0:
            continue
        rng = s.rng if s.rng is not None else w.rng
        shore = w.ref.distance_from_shore_km(tr.lat, tr.lon)
        keep = received(tr, np.asarray(shore, dtype=np.float64), cov, rng)
        if not keep.any():
            continue
        lat, lon = noisy(tr.lat[keep], tr.lon[keep], cov, rng)
        n = int(keep.sum())
        sec = rng.integers(0, 60, n)
        sog = np.round(tr.sog[keep] + np.where(tr.sog[keep] > 0.5, rng.normal(0, 0.1, n), 0),
                       1)
        cog = np.round(tr.cog[keep] % 360.0, 1)
        frames.append(pl.DataFrame({
            "ship_id": np.full(n, s.ship_id, dtype=np.int64),
            "mmsi": tr.mmsi[keep],
            "ts_s": tr.t[keep] * 60 + sec,
            "lat": np.round(lat, 6), "lon": np.round(lon, 6),
            "sog_knots": np.maximum(sog, 0.0).astype(np.float32),
            "cog_deg": cog.astype(np.float32),
            "heading_deg": (np.round(cog) % 360 if s.ais_class == "A"
                            else np.full(n, 511.0)).astype(np.float32),
            "nav_status": tr.status[keep].astype(np.int8),
            "msg_type": np.full(n, 1 if s.ais_class == "A" else 18, dtype=np.int8),
            "ais_class": [s.ais_class] * n,
            "static": tr.static[keep],
            "behaviour": [s.behaviour] * n,
            "spoof": np.zeros(n, dtype=bool),
        }))
    df = pl.concat(frames)
    start = pl.lit(w.start).cast(pl.Datetime("us", "UTC"))
    return df.with_columns(
        (start + pl.duration(seconds=pl.col("ts_s"))).alias("timestamp")).drop("ts_s")


def _reports(w: World, pos: pl.DataFrame) -> pl.DataFrame:
    """Static reports at received positions: first one, then hourly, and on every change."""
    p = pos.filter(~pl.col("spoof")).sort(["ship_id", "mmsi", "timestamp"])
    hour = pl.col("timestamp").dt.epoch("s") // 3600
    first = (pl.col("ship_id") != pl.col("ship_id").shift(1)) | (
        pl.col("mmsi") != pl.col("mmsi").shift(1))
    p = p.filter((first | (pl.col("static") != pl.col("static").shift(1))
                  | (hour != hour.shift(1))).fill_null(True))
    rows = []
    for r in p.select("ship_id", "mmsi", "timestamp", "static", "ais_class").iter_rows():
        st = w.ships[r[0]].statics[r[3]]
        rows.append({"mmsi": r[1], "timestamp": r[2], "imo": st.imo, "name": st.name,
                     "callsign": st.callsign, "ship_type": st.ship_type,
                     "draught_m": st.draught_m, "destination": st.destination or None,
                     "length_m": st.length_m, "width_m": st.width_m, "flag": st.flag,
                     "ais_class": r[4], "source": "simulated", "record": 0})
    rep = pl.DataFrame(rows, schema=VESSEL_REPORTS.polars_schema(), orient="row")
    return VESSEL_REPORTS.conform(rep.with_columns(pl.int_range(1, pl.len() + 1).alias("record")))


def _clone_labels(w: World, pos: pl.DataFrame) -> None:
    for clone_id, victim_id in w.clones:
        a = pos.filter(pl.col("ship_id") == clone_id)
        b = pos.filter(pl.col("ship_id") == victim_id)
        if a.height < 4 or b.height < 4:
            continue
        t0: Any = max(a["timestamp"].min(), b["timestamp"].min())  # type: ignore[type-var]
        t1: Any = min(a["timestamp"].max(), b["timestamp"].max())  # type: ignore[type-var]
        m = int(a["mmsi"][0])
        w.labels.append(label("spoofing", m, t0, t1, subtype="simultaneous_positions",
                              lat=float(a["lat"][0]), lon=float(a["lon"][0]), planted=True,
                              behaviour="identity_cloned_mmsi"))


def generate(scenario: str, seed: int, vessels: int | None = None, days: int | None = None,
             fmt: str = "marinecadastre") -> Frames:
    """Generate a scenario in memory: positions and reports (canonical tables, duplicates
    included) and the labels true for files written in ``fmt``."""
    if scenario not in DEFAULTS or scenario == "scale":
        raise ValueError(f"unknown in-memory scenario {scenario!r}; use one of "
                         f"{', '.join(SCENARIOS)} (scale streams to Parquet: simulate())")
    dv, dd = DEFAULTS[scenario]
    w = build_world(scenario, seed, vessels or dv, days or dd)
    tracks = [s.build(w.end_min) for s in w.ships]
    cov = Coverage()
    pos = _positions(w, tracks, cov)
    if scenario == "messy":
        pos = messy.outages(w, w.mess, pos)
        pos = messy.teleport(w, w.mess, pos)
        pos = messy.misstamp(w, w.mess, pos)
        pos = messy.station_rows(w.mess, pos)
    elif scenario != "baseline":
        jumps = _spoof_jumps(w, pos, 3)
        if jumps:
            pos = pl.concat([pos, pl.DataFrame(jumps, schema=pos.schema, orient="row")])
    pos = _thin_on_land(w, pos.sort(["ship_id", "mmsi", "timestamp"]))
    _clone_labels(w, pos)
    rep = _reports(w, pos)
    clean = pos.filter(~pl.col("spoof"))
    rep_ships = rep
    if scenario == "messy":  # stations are no ships: base stations send no voyage data
        stations = sorted(w.mess.stations)
        rep = rep.filter(~pl.col("mmsi").is_in(
            [m for m, k in w.mess.stations.items() if k == "base_station"]))
        rep_ships = rep.filter(~pl.col("mmsi").is_in(stations))
        clean = clean.filter(~pl.col("mmsi").is_in(stations))
    # loitering is labelled from the data by definition, not from the plan's windows
    plan = [r for r in w.labels if r["event_type"] != "loitering"]
    rows = plan + track_labels(clean, w.ref) + loitering_labels(clean, w.ref) + report_labels(
        visible_reports(rep_ships, fmt), w.behaviour_of_mmsi)
    if scenario == "messy":
        rows = messy.fix_labels(w, w.mess, rows)
    # occasional exact duplicates (one position heard by two receivers)
    own = [s.ship_id for s in w.ships if s.rng is not None]
    if own:  # the own-generator ships draw their duplicates from their own generator
        mine = pos["ship_id"].is_in(own).to_numpy()
        draw = np.zeros(pos.height)
        draw[~mine] = w.rng.random(int((~mine).sum()))
        g = next(s.rng for s in w.ships if s.rng is not None)
        draw[mine] = g.random(int(mine.sum()))
        dup = pos.filter(pl.Series(draw < 0.002))
    else:
        dup = pos.filter(pl.Series(w.rng.random(pos.height) < 0.002))
    out = pl.concat([pos, dup]).sort(["timestamp", "mmsi", "lat"])
    positions = POSITIONS.conform(out.drop("ship_id", "static", "behaviour", "spoof").with_columns(
        pl.lit("simulated").alias("source"), pl.int_range(1, pl.len() + 1).alias("record"),
        pl.lit("sim").alias("receiver")))
    first_seen = dict(clean.group_by("mmsi").agg(pl.col("timestamp").min()).iter_rows())
    tankers = {s.mmsi for s in w.ships if s.kind == "tanker"}
    deliveries = delivery_labels(rows, first_seen, tankers, w.sts_transfers,
                                 w.behaviour_of_mmsi)
    return Frames(positions, rep.sort(["timestamp", "mmsi"]), frame(rows), len(w.ships),
                  w.hard_negatives, negatives_frame(w.hard_negatives), deliveries)
