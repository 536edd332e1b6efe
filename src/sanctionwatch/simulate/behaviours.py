"""Background traffic and the planted behaviours modelled on the UN Panel of Experts reports.

Each function adds ships to a :class:`~sanctionwatch.simulate.world.World` and the labels that
only the plan knows (encounters, loitering, spoofed tracks); everything a definition catches
mechanically (gaps, port calls, zones, identity and draught edits) is labelled from the data
(:mod:`sanctionwatch.simulate.labels`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np

from sanctionwatch.geo import KNOT_M_PER_S, haversine_m
from sanctionwatch.reference import Port
from sanctionwatch.simulate.labels import label
from sanctionwatch.simulate.traffic import SPEEDS_KN, Route, ShipBuilder, offset, route_ok
from sanctionwatch.simulate.world import World, find_port, port_catalogue

FOREIGN_MIDS = (412, 413, 414, 416, 431, 440, 441, 477, 563, 273, 352, 636, 538)
DPRK_PORTS = ("NAMPO", "SONGNIM", "TAEAN")

# DPRK tankers the UN Security Council 1718 Committee designated for ship-to-ship transfers of
# oil (designated vessels list of 2020-06-04: name, IMO). The planted DPRK tankers broadcast
# these identities, as designated ships did in the Panel's cases, so that screening the AIS
# vessels against the UN list finds them.
DESIGNATED_DPRK_TANKERS = (
    ("CHON MYONG 1", 8712362),
    ("JI SONG 6", 8898740),
    ("KUM UN SAN 3", 8705539),
    ("NAM SAN 8", 8122347),
    ("SAM MA 2", 8106496),
    ("AN SAN 1", 7303803),
)
STS_POINTS = {  # (lat, lon) centres inside the Panel's STS areas, > 20 nm from shore
    "east_china_sea": ((30.9, 123.6), (31.3, 123.9), (30.3, 123.5)),
    "korea_bay": ((38.55, 124.25), (38.8, 124.45), (38.35, 124.2)),
}


def _pick_port(w: World, exclude: Port | None = None) -> Port:
    cat = port_catalogue(w.ref)
    while True:
        p = cat[int(w.rng.integers(len(cat)))]
        if exclude is None or haversine_m(p.lat, p.lon, exclude.lat, exclude.lon) > 100_000:
            return p


def _voyage(w: World, s: ShipBuilder, to: tuple[float, float], speed: float) -> bool:
    r = w.route(s.pos, to)
    if r is None:
        return False
    s.sail(r, speed)
    return True


def merchant(w: World, kind: str) -> ShipBuilder:
    """A merchant ship calling at ports of the region: sail, berth for hours, sail on."""
    lo, hi = SPEEDS_KN[kind]
    laden = w.rng.random() < 0.5
    s = w.ship(kind, int(w.rng.choice(FOREIGN_MIDS)), 0.0)
    s.statics[0] = replace(s.statics[0], draught_m=round(s.statics[0].length_m / 20
                                                         * (1.6 if laden else 1.0), 1))
    port = _pick_port(w)
    s.stay(1, *w.berth(port))
    s.t = 0
    s.parts.clear()
    if w.rng.random() < 0.5:  # starts in port
        s.stay(int(w.rng.integers(60, 20 * 60)), *w.berth(port))
    else:  # starts at sea: begin part-way along a voyage
        s.stay(1, *w.berth(port))
        dest = _pick_port(w, port)
        r = w.route(s.pos, w.berth(dest))
        if r is not None:
            cut = w.rng.uniform(0.2, 0.8) * r.length_m
            lat, lon, _ = r.at(np.array([cut]))
            s.parts.clear()
            s.t = 0
            s.stay(1, float(lat[0]), float(lon[0]), status=0)
            _voyage(w, s, w.berth(dest), w.rng.uniform(lo, hi))
            port = dest
            s.stay(int(w.rng.integers(6 * 60, 30 * 60)), *s.pos)
    fails = 0
    while s.t < w.end_min:
        dest = _pick_port(w, port)
        if not _voyage(w, s, w.berth(dest), w.rng.uniform(lo, hi)):
            fails += 1
            if fails > 8:  # a berth no sea route leaves cleanly from: stay
                s.stay(w.end_min - s.t + 1, *s.pos)
            continue
        port = dest
        st = s.statics[s.static_now]
        s.set_static(replace(st, draught_m=round(st.length_m / 20 * (
            1.6 if w.rng.random() < 0.5 else 1.0), 1), destination=port.name[:20]))
        s.stay(int(w.rng.integers(6 * 60, 30 * 60)), *s.pos)
    return s


def fishing_ground(w: World, box: tuple[float, float, float, float]) -> tuple[float, float]:
    """A point of ``box`` (lon0, lat0, lon1, lat1) 40-75 km offshore, 20 km from ports: inside
    terrestrial coverage, where the dense fixes show the trawling speed (sparse satellite
    fixes would cut the meanders short and read as loitering)."""
    while True:
        lat = w.rng.uniform(box[1], box[3])
        lon = w.rng.uniform(box[0], box[2])
        sh = float(w.ref.distance_from_shore_km(lat, lon))
        if 40 < sh < 75 and float(w.ref.distance_to_port_km(lat, lon)[0]) > 20:
            return lat, lon


def fishing(w: World, box: tuple[float, float, float, float], mid: int = 412,
            behaviour: str = "background", home: Port | None = None,
            pair: bool | None = None) -> list[ShipBuilder]:
    """A fishing boat (class B) or a pair of pair trawlers ~500 m apart trawling at 3-4 kn:
    not an encounter (too fast), a hard negative for that detector. ``pair`` forces the kind
    (random, 30 % pairs, when None)."""
    draw = w.rng.random() < 0.3
    pair = draw if pair is None else pair
    boats = [w.ship("fishing", mid, 3.5, ais_class="B", behaviour=behaviour)
             for _ in range(2 if pair else 1)]
    ground = fishing_ground(w, box)
    sep = w.rng.uniform(440, 520)
    brg = w.rng.uniform(0, 2 * np.pi)
    for k, b in enumerate(boats):
        la, lo = offset(ground[0], ground[1], k * sep * np.cos(brg), k * sep * np.sin(brg))
        b.stay(1, float(la), float(lo), status=7)
    fished: list[list[tuple[int, int]]] = [[] for _ in boats]  # each boat's fish() minutes
    together: list[tuple[int, int]] = []  # both boats of a pair on one shared pattern
    while boats[0].t < w.end_min:
        minutes = int(w.rng.integers(12 * 60, 3 * 24 * 60))
        pattern = None
        t0 = boats[0].t
        # together only while the shared pattern keeps them within Park et al.'s 535 m (after
        # a move the catch-up trawl may have left them further apart)
        close = pair and _apart_m(boats) <= PAIR_TRAWL_MAX_M
        for k, b in enumerate(boats):
            fished[k].append((b.t, b.t + minutes))
            pattern = b.fish(minutes, w.rng, speed_kn=(3.0, 4.0) if pair else (2.6, 4.5),
                             pattern=pattern if k else None)
        if close:
            together.append((t0, t0 + minutes))
        # move on to another ground nearby, still fishing-speed transit
        nxt = fishing_ground(w, box)
        stayed = []
        for k, b in enumerate(boats):
            la, lo = offset(nxt[0], nxt[1], k * sep * np.cos(brg), k * sep * np.sin(brg))
            r = w.route(b.pos, (float(la), float(lo)))
            if r is None or r.length_m > 300_000:
                fished[k].append((b.t, b.t + 60))
                stayed.append(b.t)
                b.fish(60, w.rng, pattern=pattern)
                continue
            b.sail(r, 9.0, slow_last_m=0.0)
        if close and len(stayed) == 2 and stayed[0] == stayed[1]:  # one more hour together
            together.append((stayed[0], stayed[0] + 60))
        t = max(b.t for b in boats)
        for k, b in enumerate(boats):
            if b.t < t:
                fished[k].append((b.t, t))
                b.fish(t - b.t, w.rng)
    _fishing_labels(w, boats, fished, together)
    return boats


PAIR_TRAWL_MAX_M = 535.0
"""Pair trawlers are labelled as trawling together within this distance (Park et al. 2020
counted pairs in SAR imagery within 535 m)."""


def _apart_m(boats: list[ShipBuilder]) -> float:
    """Distance between the current positions of two boats, metres."""
    (la0, lo0), (la1, lo1) = boats[0].pos, boats[1].pos
    return float(haversine_m(la0, lo0, la1, lo1))


def _fishing_labels(w: World, boats: list[ShipBuilder], fished: list[list[tuple[int, int]]],
                    together: list[tuple[int, int]]) -> None:
    """Ground truth of :func:`fishing` (no random draw): a ``fishing`` label per boat and
    stretch of consecutive ``fish()`` minutes, a ``pair_trawling`` label per stretch both boats
    of a pair trawl on one shared pattern; cut to the scenario's end."""
    def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        for a, b in sorted(spans):
            if out and a <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        return [(a, min(b, w.end_min)) for a, b in out if a < w.end_min and b > a]

    gear = "pair_trawler" if len(boats) == 2 else "trawler"
    for b, spans in zip(boats, fished, strict=True):
        for a, e in merged(spans):
            w.labels.append(label("fishing", b.mmsi, w.time(a), w.time(e - 1),
                                  behaviour=b.behaviour, gear=gear))
    if len(boats) == 2:
        for a, e in merged(together):
            w.labels.append(label("pair_trawling", boats[0].mmsi, w.time(a), w.time(e - 1),
                                  other=boats[1].mmsi, behaviour=boats[0].behaviour,
                                  gear=gear))


@contextmanager
def own_rng(w: World, rng: np.random.Generator) -> Iterator[None]:
    """Draw every number of the block from ``rng`` instead of the scenario's generator (so
    ships added at the end leave every existing ship's draws unchanged)."""
    main = w.rng
    w.rng = rng
    try:
        yield
    finally:
        w.rng = main


JIGGER_DAY_SPEED_KN = (7.0, 10.0)
"""Daytime speed of a squid jigger searching for squid or moving to new grounds: Chinese
jiggers of 40-70 m cruise at about 8-10 kn; searching with the sonar they go a little slower.
Above the trawling band, so a jigger's day reads as transit."""
JIGGER_DRIFT_KN = (0.2, 0.6)
"""Night drift on a sea (parachute) anchor with the lamps on: the boat goes with the surface
current, a few tenths of a knot (the Tsushima Warm Current and the Yellow Sea currents run at
0.2-0.8 kn)."""

JIGGER_CLEAR_OF_PORT_KM = 30.0
"""Where a jigger's day ends (and its night drift starts): this far from ports and
anchorages. A boat lying to a sea anchor with its lamps on keeps clear of anchored ships and
port approaches, and a night's drift (up to 0.6 kn for 13 h, ~14 km) must not carry it
among them; the trawlers' grounds keep 20 km (:func:`fishing_ground`)."""


def sun_hours(lat_deg: float, when: datetime) -> tuple[float, float]:
    """Sunrise and sunset in local mean solar hours (UTC + longitude / 15) at ``lat_deg`` on
    ``when``'s date: solar declination (Cooper 1969) and the hour angle of the sun at -0.833°
    (refraction and the solar disc); the equation of time (< 17 min) is ignored."""
    doy = when.timetuple().tm_yday
    decl = np.radians(-23.44) * np.cos(2 * np.pi / 365.0 * (doy + 10))
    phi = np.radians(lat_deg)
    cos_h = (np.sin(np.radians(-0.833)) - np.sin(phi) * np.sin(decl)) / (
        np.cos(phi) * np.cos(decl))
    h = float(np.degrees(np.arccos(np.clip(cos_h, -1.0, 1.0)))) / 15.0
    return 12.0 - h, 12.0 + h


def _minutes_to_local(w: World, t: int, lon: float, hour: float) -> int:
    """Minutes from scenario minute ``t`` to the next local solar ``hour`` at ``lon``."""
    utc = w.time(t)
    local_min = (utc.hour * 60 + utc.minute + lon * 4.0) % 1440.0
    return round((hour * 60.0 - local_min) % 1440.0)


def _at_sea_leg(w: World, s: ShipBuilder, box: tuple[float, float, float, float],
                length_m: float) -> Route | None:
    """A straight leg of ``length_m`` from the ship's position towards a fishing ground of
    ``box``, clear of land, ending 25 km or more offshore and :data:`JIGGER_CLEAR_OF_PORT_KM`
    from ports and anchorages."""
    la0, lo0 = s.pos
    for _ in range(20):
        tgt = fishing_ground(w, box)
        d = float(haversine_m(la0, lo0, tgt[0], tgt[1]))
        f = min(1.0, length_m / d) if d > 0 else 0.0
        la1 = la0 + f * (tgt[0] - la0)
        lo1 = lo0 + f * (tgt[1] - lo0)
        if (float(w.ref.distance_from_shore_km(la1, lo1)) < 25
                or float(w.ref.distance_to_port_km(la1, lo1)[0]) < JIGGER_CLEAR_OF_PORT_KM):
            continue
        r = Route.of(np.array([la0, la1]), np.array([lo0, lo1]))
        if r.length_m > 100 and route_ok(r, w.ref):
            return r
    return None


def squid_jigger(w: World, box: tuple[float, float, float, float], *, mid: int = 412,
                 behaviour: str = "background", declared: bool = True,
                 nights: int | None = None) -> ShipBuilder:
    """A lighting squid jigger (class B, MID ``mid``): by day it steams at 7-10 kn in legs
    across the grounds of ``box`` (searching, moving to new grounds); from sunset to sunrise
    (local solar time, :func:`sun_hours`) it lies to a sea anchor with its lamps on and
    drifts with the current at 0.2-0.6 kn while it jigs. ``declared``: AIS ship type 30
    (fishing), else 0 (not available). ``nights``: jigging nights before it steams home to
    the nearest Chinese port of the catalogue and stays (None: every night of the run).
    One ``fishing`` label (``gear=squid_jigger``) per jigging night."""
    s = w.ship("fishing", mid, 3.8, ais_class="B", behaviour=behaviour)
    length = float(int(w.rng.integers(40, 70)))
    s.statics[0] = replace(s.statics[0], ship_type=30 if declared else 0, length_m=length,
                           width_m=float(round(length / 6.5)))
    start = fishing_ground(w, box)
    s.stay(1, *start, status=0)
    speed = w.rng.uniform(*JIGGER_DAY_SPEED_KN)
    current_deg = w.rng.uniform(0, 360)
    done = 0
    while s.t < w.end_min and (nights is None or done < nights):
        lat, lon = s.pos
        rise, sset = sun_hours(lat, w.time(s.t))
        dusk = s.t + _minutes_to_local(w, s.t, lon, sset + w.rng.uniform(-0.3, 0.3))
        dawn_in = _minutes_to_local(w, s.t, lon, rise)
        if dawn_in < dusk - s.t:  # night now (the run starts at night): lights on until dawn
            dusk = s.t
        while dusk - s.t > 20:  # day: legs of 1-3 h at cruising speed until dusk
            leg_min = min(dusk - s.t, int(w.rng.integers(60, 180)))
            r = _at_sea_leg(w, s, box, speed * KNOT_M_PER_S * 60.0 * leg_min)
            if r is None:
                s.stay(dusk - s.t, *s.pos, status=0)
                break
            s.sail(r, speed, slow_last_m=0.0)
        if s.t >= w.end_min:
            break
        if dusk > s.t:
            s.stay(dusk - s.t, *s.pos, status=0)
        lat, lon = s.pos
        rise, _ = sun_hours(lat, w.time(s.t))
        night = _minutes_to_local(w, s.t, lon, rise + w.rng.uniform(-0.3, 0.3))
        t0 = s.t
        s.stay(night, lat, lon, status=7, drift_kn=w.rng.uniform(*JIGGER_DRIFT_KN),
               drift_deg=float((current_deg + w.rng.normal(0, 30)) % 360))
        if t0 < w.end_min:
            w.labels.append(label("fishing", s.mmsi, w.time(t0),
                                  w.time(min(s.t, w.end_min) - 1), behaviour=behaviour,
                                  gear="squid_jigger"))
        done += 1
        s.stay(int(w.rng.integers(20, 45)), *s.pos, status=0)  # lamps off, anchor in
    if s.t < w.end_min:  # home: the nearest Chinese port, then in port to the end
        cat = [p for p in port_catalogue(w.ref) if p.country_iso3 == "CHN"]
        la, lo = s.pos
        home = min(cat, key=lambda p: float(haversine_m(la, lo, p.lat, p.lon)))
        if not _voyage(w, s, w.berth(home), speed):
            s.stay(1, *s.pos, status=0)
        s.stay(max(60, w.end_min - s.t), *s.pos)
    return s


def drifting_offshore(w: World, box: tuple[float, float, float, float]) -> ShipBuilder:
    """Hard negative for squid jigging: a fishing vessel (type 30, class B) lying stopped at
    sea day and night for 2-3 days (waiting out weather or for a carrier), drifting at
    0.1-0.4 kn, then steaming home: slow at night, but slow by day too, so not jigging.
    Behaviour ``background`` (ordinary traffic, neither planted nor evasion); the hard
    negative ``drifting_offshore`` names it."""
    s = w.ship("fishing", 412, 3.5, ais_class="B")
    s.stay(1, *fishing_ground(w, box), status=0)
    dur = int(w.rng.integers(2 * 24 * 60 + 8 * 60, 3 * 24 * 60))
    s.stay(dur, *s.pos, status=0, drift_kn=w.rng.uniform(0.1, 0.4),
           drift_deg=w.rng.uniform(0, 360))
    w.hard_negatives.append({"kind": "drifting_offshore", "not": "fishing", "mmsi": s.mmsi,
                             "other_mmsi": None, "start_time": w.time(0),
                             "end_time": w.time(dur)})
    cat = [p for p in port_catalogue(w.ref) if p.country_iso3 == "CHN"]
    la, lo = s.pos
    home = min(cat, key=lambda p: float(haversine_m(la, lo, p.lat, p.lon)))
    if not _voyage(w, s, w.berth(home), w.rng.uniform(8.0, 10.0)):
        s.stay(1, *s.pos, status=0)
    s.stay(max(60, w.end_min - s.t), *s.pos)
    return s


def sts_pair(w: World, area: str, idx: int, dark: bool) -> None:
    """Ship-to-ship transfer of refined petroleum (S/2018/171, S/2019/171, S/2020/151).

    A foreign tanker sails from a regional port to a point in a Panel STS area; a DPRK tanker
    (MID 445) comes from Nampo. Alongside at ~50-150 m, drifting under 1 kn, for 4-9 h; the
    foreign tanker's draught drops, the DPRK tanker's rises. ``dark``: the DPRK tanker's AIS
    is off from 4-8 h before until 4-8 h after the transfer (one-sided, S/2019/171 §§
    "AIS switched off"), so the visible tanker only loiters.
    """
    beh = f"sts_{'dark' if dark else 'visible'}"
    centre = STS_POINTS[area][idx % len(STS_POINTS[area])]
    meet_lat, meet_lon = offset(centre[0], centre[1], *w.rng.normal(0, 3000, 2))
    meet = (float(meet_lat), float(meet_lon))
    foreign = w.ship("tanker", int(w.rng.choice((477, 416, 563, 667, 671))), 9.0, behaviour=beh)
    dprk = w.ship("tanker", 445, 4.2, behaviour=beh)
    # replaced after the fact so the random stream (and so every other ship) is unchanged
    name, imo = DESIGNATED_DPRK_TANKERS[w.sts_count % len(DESIGNATED_DPRK_TANKERS)]
    w.sts_count += 1
    dprk.statics[0] = replace(dprk.statics[0], name=name, imo=imo)
    nampo = find_port(w.ref, "NAMPO", "PRK")
    origin = _pick_port(w)
    foreign.stay(1, *w.berth(origin))
    dprk.stay(1, *w.berth(nampo))
    r_f = w.route(foreign.pos, meet)
    r_d = w.route(dprk.pos, meet)
    while r_f is None:
        origin = _pick_port(w)
        foreign.parts.clear()
        foreign.t = 0
        foreign.stay(1, *w.berth(origin))
        r_f = w.route(foreign.pos, meet)
    assert r_d is not None
    sp_f, sp_d = w.rng.uniform(11, 13), w.rng.uniform(9, 11)
    tf = r_f.length_m / (sp_f * 0.5144 * 60)
    td = r_d.length_m / (sp_d * 0.5144 * 60)
    meet_t = int(w.rng.uniform(0.25, 0.55) * w.end_min)
    wait_f = int(w.rng.uniform(60, 240))  # the foreign tanker arrives first and waits
    foreign.t = dprk.t = 0
    foreign.parts.clear()
    dprk.parts.clear()
    foreign.stay(max(1, int(meet_t - wait_f - tf)), *w.berth(origin))
    foreign.sail(r_f, sp_f, slow_last_m=2000, slow_kn=4)
    # waits hove to without drift, so the partner comes alongside where it arrives (a drift
    # of km before it would make the partner jump > 50 kn: a spurious track_jump)
    foreign.stay(max(1, meet_t - foreign.t), *meet, status=0)
    dprk.stay(max(1, int(meet_t - td - 5)), *w.berth(nampo))
    dprk.sail(r_d, sp_d, slow_last_m=2000, slow_kn=3)
    start = max(foreign.t, dprk.t)
    for s in (foreign, dprk):
        if s.t < start:
            s.stay(start - s.t, *s.pos, status=0)
    dur = int(w.rng.uniform(4 * 60, 9 * 60))
    f_lat, f_lon = foreign.pos
    gap_m = w.rng.uniform(50, 150)
    foreign.stay(dur, f_lat, f_lon, status=0, drift_kn=0.4, drift_deg=45)
    d_lat, d_lon = offset(f_lat, f_lon, 0.0, gap_m)
    dprk.stay(dur, float(d_lat), float(d_lon), status=0, drift_kn=0.4, drift_deg=45)
    end = start + dur
    # draughts change as the crews update them after the transfer
    foreign.set_static(replace(foreign.statics[-1], draught_m=5.6))
    dprk.set_static(replace(dprk.statics[-1], draught_m=6.8))
    wait_after = int(w.rng.uniform(20, 60))
    foreign.stay(wait_after, *foreign.pos, status=0, drift_kn=0.4, drift_deg=45)
    dest = _pick_port(w, origin)
    for _ in range(20):
        if _voyage(w, foreign, w.berth(dest), sp_f):
            break
        dest = _pick_port(w, origin)
    foreign.stay(max(60, w.end_min - foreign.t), *foreign.pos)
    _voyage(w, dprk, w.berth(nampo), sp_d)
    dprk.stay(max(60, w.end_min - dprk.t), *dprk.pos)
    shore = float(w.ref.distance_from_shore_km(*meet))
    port_km = float(w.ref.distance_to_port_km(*meet)[0])
    w.sts_transfers.append({"mmsi": dprk.mmsi, "supplier_mmsi": foreign.mmsi,
                            "transfer_end": w.time(end), "mechanism": beh.replace("sts_", "")
                            + "_sts"})
    common: dict[str, Any] = {"area": area, "cargo": "refined petroleum", "report": "S/2019/171",
              "distance_m": round(gap_m, 1)}
    if dark:
        off0 = start - int(w.rng.uniform(4 * 60, 8 * 60))
        off1 = end + int(w.rng.uniform(4 * 60, 8 * 60))
        dprk.go_dark(off0, off1)
        f_arrive = meet_t - wait_f + 5
        if shore >= 20 * 1.852 and port_km >= 10:
            w.labels.append(label("loitering", foreign.mmsi, w.time(f_arrive),
                                  w.time(end + wait_after), lat=meet[0], lon=meet[1],
                                  planted=True, behaviour=beh, dark_partner=dprk.mmsi,
                                  **common))
    else:
        w.labels.append(label("encounter", foreign.mmsi, w.time(start), w.time(end),
                              other=dprk.mmsi, lat=meet[0], lon=meet[1], planted=True,
                              behaviour=beh, **common))
        if shore >= 20 * 1.852 and port_km >= 10:
            for s, t0 in ((foreign, meet_t - wait_f + 5), (dprk, start)):
                w.labels.append(label("loitering", s.mmsi, w.time(t0),
                                      w.time(end + (wait_after if s is foreign else 0)),
                                      lat=meet[0], lon=meet[1], planted=True, behaviour=beh,
                                      **common))


def coal_run(w: World, idx: int) -> None:
    """Coal loaded at a DPRK port with AIS off (S/2019/171, S/2020/151): a bulk carrier
    goes dark ~60-100 km out, loads for 1-2 days, reappears deep-laden, and delivers to a
    Chinese port directly or by STS to another bulk carrier in the Liaoning area."""
    beh = "coal_export"
    mid = (445, 667, 671)[idx % 3]
    ship = w.ship("bulk", mid, 5.8, behaviour=beh)
    port = find_port(w.ref, DPRK_PORTS[idx % 3], "PRK")
    approach = (38.6 + w.rng.normal(0, 0.05), 124.6 + w.rng.normal(0, 0.05))
    origin = find_port(w.ref, "DALIAN", "CHN") if idx % 2 else _pick_port(w)
    ship.stay(int(w.rng.uniform(2 * 60, 20 * 60)), *w.berth(origin))
    while not _voyage(w, ship, approach, w.rng.uniform(11, 13)):
        origin = _pick_port(w)
        ship.parts.clear()
        ship.t = 0
        ship.stay(int(w.rng.uniform(2 * 60, 20 * 60)), *w.berth(origin))
    dark0 = ship.t
    _voyage(w, ship, w.berth(port), 10.0)
    ship.stay(int(w.rng.uniform(24 * 60, 48 * 60)), *ship.pos)
    ship.set_static(replace(ship.statics[-1], draught_m=11.2))
    _voyage(w, ship, approach, 10.0)
    dark1 = ship.t
    ship.go_dark(dark0, dark1)
    if idx % 2 == 0:
        dest = find_port(w.ref, "LIANYUNGANG", "CHN")
        _voyage(w, ship, w.berth(dest), 11.5)
        ship.stay(max(60, w.end_min - ship.t), *ship.pos)
        return
    # STS to a receiving bulk carrier in the Liaoning / Korea Bay waters (S/2019/171)
    for _ in range(100):  # >= 12 km from ports: an encounter by definition (>= 10 km)
        meet = (38.85 + w.rng.normal(0, 0.05), 123.2 + w.rng.normal(0, 0.05))
        if (float(w.ref.distance_to_port_km(*meet)[0]) >= 12
                and float(w.ref.distance_from_shore_km(*meet)) > 3):
            break
    _voyage(w, ship, meet, 11.0)
    recv = w.ship("bulk", 412, 6.0, behaviour=beh)
    home = find_port(w.ref, "DALIAN", "CHN")
    recv.stay(1, *w.berth(home))
    r = w.route(recv.pos, meet)
    assert r is not None
    travel = int(r.length_m / (10 * 0.5144 * 60)) + 2
    recv.parts.clear()
    recv.t = 0
    recv.stay(max(1, ship.t - travel), *w.berth(home))
    recv.sail(r, 10.0, slow_last_m=1500, slow_kn=3)
    start = max(ship.t, recv.t)
    for s in (ship, recv):
        if s.t < start:
            s.stay(start - s.t, *s.pos, status=0)
    dur = int(w.rng.uniform(5 * 60, 10 * 60))
    la, lo = ship.pos
    ship.stay(dur, la, lo, status=0, drift_kn=0.3, drift_deg=200)
    la2, lo2 = offset(la, lo, 90.0, 0.0)
    recv.stay(dur, float(la2), float(lo2), status=0, drift_kn=0.3, drift_deg=200)
    ship.set_static(replace(ship.statics[-1], draught_m=6.0))
    recv.set_static(replace(recv.statics[-1], draught_m=10.9))
    if float(w.ref.distance_to_port_km(la, lo)[0]) >= 10:
        w.labels.append(label("encounter", ship.mmsi, w.time(start), w.time(start + dur),
                              other=recv.mmsi, lat=la, lon=lo, planted=True, behaviour=beh,
                              cargo="coal", report="S/2019/171", distance_m=90.0))
    shore = float(w.ref.distance_from_shore_km(la, lo))
    if shore >= 37.04 and float(w.ref.distance_to_port_km(la, lo)[0]) >= 10:
        for s in (ship, recv):
            w.labels.append(label("loitering", s.mmsi, w.time(start), w.time(start + dur),
                                  lat=la, lon=lo, planted=True, behaviour=beh))
    _voyage(w, recv, w.berth(home), 10.0)
    recv.stay(max(60, w.end_min - recv.t), *recv.pos)
    _voyage(w, ship, w.berth(origin), 11.0)
    ship.stay(max(60, w.end_min - ship.t), *ship.pos)


HARD_NEGATIVES = {"pilot_boat": "encounter", "coastal_gap": "ais_gap", "bunkering": "encounter",
                  "pair_trawl": "encounter", "drifting_offshore": "fishing"}
"""Hard-negative kinds and the event type each must not be labelled (or detected) as."""


def pilot_boat(w: World) -> None:
    """Hard negative: a pilot boat runs alongside an inbound ship (~30 m off, at the ship's
    speed) for ~20 min before it berths, then returns: not an encounter (fast, short, near
    port)."""
    for _ in range(10):
        ship = merchant(w, "container")
        ship.behaviour = w.behaviour_of_mmsi[ship.mmsi] = "pilot_boat"
        tr = ship.build(w.end_min)
        sailing = tr.sog >= 8.0
        arrive = np.flatnonzero(sailing[:-1] & ~sailing[1:] & (tr.t[:-1] > 120))
        if arrive.size:
            break
    else:
        return
    # board ~20 min before the ship slows for its last 3 km
    a = int(arrive[0])
    b0, b1 = a - 20 - int(w.rng.integers(0, 5)), a
    port = w.ref.ports[int(w.ref.nearest_port(tr.lat[a], tr.lon[a])[1][0])]
    pilot = w.ship("pilot", 413, 1.5, behaviour="pilot_boat")
    t_meet = int(tr.t[b0])
    home = w.berth(port)
    out = Route.of(np.array([home[0], tr.lat[b0]]), np.array([home[1], tr.lon[b0]]))
    travel = int(np.ceil(out.length_m / (14 * KNOT_M_PER_S * 60))) + 1  # samples of sail()
    if t_meet - travel < 1:
        return
    pilot.stay(t_meet - travel, *home)
    pilot.sail(out, 14.0, slow_last_m=0.0)
    n = b1 - b0
    la, lo = offset(tr.lat[b0:b1], tr.lon[b0:b1], 0.0, 30.0)
    pilot.follow(np.asarray(la), np.asarray(lo), tr.sog[b0:b1], tr.cog[b0:b1], 0)
    back = Route.of(np.array([pilot.pos[0], home[0]]), np.array([pilot.pos[1], home[1]]))
    pilot.sail(back, 14.0, slow_last_m=500.0)
    pilot.stay(max(60, w.end_min - pilot.t), *pilot.pos)
    w.hard_negatives.append({"kind": "pilot_boat", "not": "encounter", "mmsi": pilot.mmsi,
                             "other_mmsi": ship.mmsi, "start_time": w.time(t_meet),
                             "end_time": w.time(t_meet + n), "port": port.name})


def coastal_gap(w: World) -> None:
    """Hard negative: a ship under way within terrestrial coverage goes silent for 1-3 h
    (below the 6 h ``ais_gap`` threshold)."""
    ship = merchant(w, "general")
    ship.behaviour = w.behaviour_of_mmsi[ship.mmsi] = "coastal_gap"
    tr = ship.build(w.end_min)
    shore = np.asarray(w.ref.distance_from_shore_km(tr.lat, tr.lon))
    ok = np.flatnonzero((tr.sog >= 8) & (shore > 5) & (shore < 40) & (tr.t > 60)
                        & (tr.t < w.end_min - 4 * 60))
    if ok.size == 0:
        return
    t0 = int(tr.t[ok[ok.size // 3]])
    t1 = t0 + int(w.rng.integers(60, 180))
    ship.go_dark(t0, t1)
    w.hard_negatives.append({"kind": "coastal_gap", "not": "ais_gap", "mmsi": ship.mmsi,
                             "other_mmsi": None, "start_time": w.time(t0),
                             "end_time": w.time(t1)})
