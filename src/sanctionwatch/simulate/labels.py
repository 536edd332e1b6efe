"""Ground-truth labels: the events the detectors' documented definitions say happened.

Planted behaviours add their own labels (encounters, loitering, spoofed tracks). Everything a
definition catches mechanically is derived here from the generated data itself, so incidental
truth (background port calls, zone stays, reception gaps, draught edits) is labelled too:

- ``ais_gap``: consecutive positions of one ship and MMSI at least 6 h apart;
- ``port_call``: within 3 km of a port/anchorage point until beyond 4 km, kept when the ship
  stopped (SOG < 0.2 kn, restart above 0.5 kn) or stayed 2 h;
- ``zone_entry``: stays in an area of interest, runs shorter than 30 min debounced;
- ``spoofing`` ``position_on_land`` (runs of <= 3 positions > 5 km inland, > 10 km from a
  port, of an MMSI also seen at sea); ``invalid_imo`` (a data-quality finding);
- ``loitering`` (:func:`loitering_labels`, the GFW definition on the received positions);
- ``identity_change`` (field changes, ``shared_imo``, ``mid_flag_mismatch``) and
  ``draught_change`` from the static reports as a reader of the chosen format sees them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.ids import imo_valid_array
from sanctionwatch.reference import ReferenceData

LABEL_SCHEMA: dict[str, pl.DataType] = {
    "event_type": pl.Utf8(),
    "mmsi": pl.Int64(),
    "other_mmsi": pl.Int64(),
    "start_time": pl.Datetime("us", "UTC"),
    "end_time": pl.Datetime("us", "UTC"),
    "subtype": pl.Utf8(),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "planted": pl.Boolean(),
    "behaviour": pl.Utf8(),
    "details": pl.Utf8(),
}
"""Columns of ``labels.parquet``."""

NEGATIVE_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.Utf8(),
    "event_type": pl.Utf8(),
    "subtype": pl.Utf8(),
    "mmsi": pl.Int64(),
    "other_mmsi": pl.Int64(),
    "start_time": pl.Datetime("us", "UTC"),
    "end_time": pl.Datetime("us", "UTC"),
    "min_lon": pl.Float64(),
    "min_lat": pl.Float64(),
    "max_lon": pl.Float64(),
    "max_lat": pl.Float64(),
    "expected": pl.Utf8(),
}
"""Columns of ``negatives.parquet``: where an event would be wrong (``expected`` ``none``: a
false positive, counted as one inside a hard negative) or neither right nor wrong
(``optional``: not scored). A null ``event_type``, ``subtype``, ``mmsi`` or box is a wildcard:
any type, any subtype, any vessel, anywhere."""

DELIVERY_SCHEMA: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "supplier_mmsi": pl.Int64(),
    "arrival_time": pl.Datetime("us", "UTC"),
    "port_name": pl.Utf8(),
    "mechanism": pl.Utf8(),
    "planted": pl.Boolean(),
    "behaviour": pl.Utf8(),
    "transfer_end": pl.Datetime("us", "UTC"),
}
"""Columns of ``deliveries.parquet``: the petroleum deliveries to DPRK ports
(:func:`delivery_labels`, docs/petroleum.md)."""

US_PER_H = 3_600_000_000
HARD_NEGATIVE_BEHAVIOURS = frozenset({"pilot_boat", "coastal_gap", "bunkering"})
"""Behaviours of hard-negative ships: their labels (port calls, ...) have ``planted=False``."""
BoolArray = npt.NDArray[np.bool_]


def label(event_type: str, mmsi: int, start: datetime, end: datetime, *, other: int | None = None,
          subtype: str | None = None, lat: float | None = None, lon: float | None = None,
          planted: bool = False, behaviour: str = "background", **details: Any) -> dict[str, Any]:
    """One label row (pairs are ordered so that ``mmsi < other_mmsi``; hard-negative ships'
    rows are never ``planted`` and say so in ``details``)."""
    if other is not None and other < mmsi:
        mmsi, other = other, mmsi
    if behaviour in HARD_NEGATIVE_BEHAVIOURS:  # what such ships do is context, not planted
        planted = False
        details["hard_negative"] = behaviour
    return {"event_type": event_type, "mmsi": mmsi, "other_mmsi": other, "start_time": start,
            "end_time": end, "subtype": subtype, "lat": lat, "lon": lon, "planted": planted,
            "behaviour": behaviour, "details": json.dumps(details, sort_keys=True, default=str)}


def frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Label rows as a frame sorted deterministically."""
    if not rows:
        return pl.DataFrame(schema=LABEL_SCHEMA)
    df = pl.DataFrame(list(rows), schema=LABEL_SCHEMA, orient="row")
    return df.sort(["event_type", "mmsi", "start_time", "subtype", "other_mmsi"],
                   nulls_last=True)


def negatives_frame(hard_negatives: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """The hard negatives (the plan's dicts: ``kind``, ``not`` the event type or None for any,
    optional ``subtype``, ``mmsi``, ``other_mmsi``, window, ``bbox`` lon0, lat0, lon1, lat1,
    ``expected``) as a frame of :data:`NEGATIVE_SCHEMA`."""
    rows = []
    for h in hard_negatives:
        if "not" not in h:
            continue
        box = h.get("bbox") or (None, None, None, None)
        rows.append({"kind": h["kind"], "event_type": h["not"], "subtype": h.get("subtype"),
                     "mmsi": h.get("mmsi"), "other_mmsi": h.get("other_mmsi"),
                     "start_time": h["start_time"], "end_time": h["end_time"],
                     "min_lon": box[0], "min_lat": box[1], "max_lon": box[2], "max_lat": box[3],
                     "expected": h.get("expected", "none")})
    if not rows:
        return pl.DataFrame(schema=NEGATIVE_SCHEMA)
    return pl.DataFrame(rows, schema=NEGATIVE_SCHEMA, orient="row").sort(
        ["kind", "mmsi", "start_time", "event_type"], nulls_last=True)


def _runs(mask: BoolArray, new: BoolArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and (exclusive) end indices of runs of True, cut where ``new`` is set."""
    start = mask & (new | ~np.r_[False, mask[:-1]])
    end = mask & (np.r_[new[1:], True] | ~np.r_[mask[1:], False])
    return np.flatnonzero(start), np.flatnonzero(end) + 1


def _hold(code: npt.NDArray[np.int8]) -> BoolArray:
    idx = np.where(code >= 0, np.arange(code.size), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.asarray((idx >= 0) & (code[np.maximum(idx, 0)] == 1))


def _band(on: BoolArray, off: BoolArray, reset: BoolArray) -> npt.NDArray[np.int8]:
    code = np.where(on, 1, np.where(off, 0, -1)).astype(np.int8)
    code[reset & (code < 0)] = 0
    return code


def track_labels(pos: pl.DataFrame, ref: ReferenceData) -> list[dict[str, Any]]:
    """Gap, port call, zone and on-land labels from positions with a ``ship_id`` column.

    ``pos`` holds the received positions without duplicates and spoofed jumps, sorted by
    ``ship_id, mmsi, timestamp``.
    """
    rows: list[dict[str, Any]] = []
    if pos.height == 0:
        return rows
    key = pos["ship_id"].to_numpy() * 1_000_000_000 + pos["mmsi"].to_numpy()
    new = np.r_[True, key[1:] != key[:-1]]
    last = np.r_[new[1:], True]
    t = pos["timestamp"].dt.epoch("us").to_numpy()
    ts = pos["timestamp"].to_list()
    lat = pos["lat"].to_numpy()
    lon = pos["lon"].to_numpy()
    mmsi = pos["mmsi"].to_numpy()
    sog = pos["sog_knots"].cast(pl.Float64).to_numpy()
    behaviour = pos["behaviour"].to_list()

    # ais_gap
    gap = ~last & (np.r_[t[1:], 0] - t >= 6 * US_PER_H)
    for i in np.flatnonzero(gap):
        rows.append(label("ais_gap", int(mmsi[i]), ts[i], ts[i + 1], lat=float(lat[i]),
                          lon=float(lon[i]), planted=behaviour[i] != "background",
                          behaviour=behaviour[i], duration_h=round((t[i + 1] - t[i]) / US_PER_H, 3),
                          end_lat=float(lat[i + 1]), end_lon=float(lon[i + 1])))

    # port_call (GFW: 3 km entry, 4 km exit, stop 0.2 / restart 0.5 kn, else >= 2 h)
    d, p = ref.nearest_port(lat, lon)
    in_port = _hold(_band(d <= 3.0, d > 4.0, new))
    starts, ends = _runs(in_port, new)
    stop = _hold(_band(sog < 0.2, sog > 0.5, np.isin(np.arange(t.size), starts))) & in_port
    for s, e in zip(starts, ends, strict=True):
        end_i = e if e < t.size and not new[e] else e - 1
        stopped = bool(stop[s:e].any())
        if not stopped and (t[end_i] - t[s]) < 2 * US_PER_H:
            continue
        near = p[s + int(np.argmin(d[s:e]))]
        port = ref.ports[int(near)]
        rows.append(label("port_call", int(mmsi[s]), ts[s], ts[end_i],
                          subtype="stop" if stopped else "visit", lat=port.lat, lon=port.lon,
                          planted=behaviour[s] != "background", behaviour=behaviour[s],
                          port_name=port.name, port_country=port.country_iso3,
                          is_dprk=port.is_dprk))

    # zone_entry (stays, runs shorter than 30 min in the middle of a track debounced)
    inside = ref.zone_membership(lat, lon)
    for j, zone in enumerate(ref.zones):
        m = inside[:, j]
        if not m.any():
            continue
        state = _debounce(m, t, new, last, 30 * 60_000_000)
        zs, ze = _runs(state, new)
        for s, e in zip(zs, ze, strict=True):
            end_i = e if e < t.size and not new[e] else e - 1
            rows.append(label("zone_entry", int(mmsi[s]), ts[s], ts[end_i], subtype="stay",
                              lat=float(lat[s]), lon=float(lon[s]),
                              planted=behaviour[s] != "background", behaviour=behaviour[s],
                              zone_id=zone.zone_id, is_dprk=zone.is_dprk))

    # spoofing position_on_land: runs of at most 3 positions > 5 km inland and > 10 km from
    # any port, of an MMSI also seen at sea (longer inland runs are river traffic by definition)
    shore = ref.distance_from_shore_km(lat, lon)
    land = (shore < -5.0) & (d > 10.0)
    at_sea = set(mmsi[shore > 0].tolist())
    ls, le = _runs(land, new)
    for s, e in zip(ls, le, strict=True):
        if e - s > 3 or int(mmsi[s]) not in at_sea:
            continue
        rows.append(label("spoofing", int(mmsi[s]), ts[s], ts[e - 1], subtype="position_on_land",
                          lat=float(lat[s]), lon=float(lon[s]),
                          planted=behaviour[s] != "background", behaviour=behaviour[s]))
    return rows


def _debounce(m: BoolArray, t: npt.NDArray[np.int64], new: BoolArray, last: BoolArray,
              min_us: int) -> BoolArray:
    run_start = new | (m != np.r_[~m[:1], m[:-1]])
    starts = np.flatnonzero(run_start)
    ends = np.r_[starts[1:], m.size]
    long_enough = (t[np.minimum(ends, m.size - 1)] - t[starts]) >= min_us
    kept = new[starts] | last[ends - 1] | long_enough
    src = np.where(kept, np.arange(starts.size), -1)
    np.maximum.accumulate(src, out=src)
    return np.asarray(np.repeat(m[starts][src], ends - starts))


REPORT_FIELDS = ("name", "imo", "callsign", "ship_type", "flag")


def visible_reports(reports: pl.DataFrame, fmt: str) -> pl.DataFrame:
    """The static reports as a reader of ``fmt`` yields them.

    MarineCadastre and Parquet rows repeat the static columns, and the reader keeps a row only
    when a vessel's tuple changes; NMEA carries every report. Only Parquet states a flag.
    """
    rep = reports.sort(["mmsi", "timestamp"])
    if fmt != "parquet":
        rep = rep.with_columns(pl.lit(None, dtype=pl.Utf8).alias("flag"))
    if fmt in ("marinecadastre", "parquet"):
        cols = ["imo", "name", "callsign", "ship_type", "draught_m", "length_m", "width_m"]
        if fmt == "parquet":
            cols += ["destination", "flag"]
        changed = (pl.col("mmsi") != pl.col("mmsi").shift(1)).fill_null(True) | pl.any_horizontal(
            [pl.col(c).ne_missing(pl.col(c).shift(1)) for c in cols])
        rep = rep.filter(changed)
    return rep


def report_labels(rep: pl.DataFrame, behaviour_of: dict[int, str]) -> list[dict[str, Any]]:
    """identity_change, invalid_imo and draught_change labels from static reports."""
    rows: list[dict[str, Any]] = []

    def beh(m: int) -> str:
        return behaviour_of.get(m, "background")

    for f in REPORT_FIELDS:
        col = rep.select("mmsi", "timestamp", pl.col(f).cast(pl.Utf8).alias("v")).filter(
            pl.col("v").is_not_null() & (pl.col("v") != "") & (pl.col("v") != "0"))
        col = col.with_columns(pl.col("v").shift(1).over("mmsi").alias("old"),
                               pl.col("timestamp").shift(1).over("mmsi").alias("old_ts"))
        for r in col.filter(pl.col("old").is_not_null() & (pl.col("old") != pl.col("v"))
                            ).iter_rows(named=True):
            b = beh(r["mmsi"])
            rows.append(label("identity_change", r["mmsi"], r["timestamp"], r["timestamp"],
                              subtype=f, planted=b != "background", behaviour=b,
                              old_value=r["old"], new_value=r["v"]))
    imos = rep.filter(pl.col("imo").is_not_null() & (pl.col("imo") > 0))
    valid = pl.Series(imo_valid_array(imos["imo"].cast(pl.Float64).to_numpy()))
    bad = imos.filter(~valid | (pl.col("imo") == 1234567))
    for r in bad.group_by(["mmsi", "imo"], maintain_order=True).agg(
            pl.col("timestamp").min().alias("t0"), pl.col("timestamp").max().alias("t1")
    ).iter_rows(named=True):
        b = beh(r["mmsi"])
        rows.append(label("invalid_imo", r["mmsi"], r["t0"], r["t1"],
                          subtype="placeholder" if r["imo"] == 1234567 else "check_digit",
                          planted=b != "background", behaviour=b, imo=r["imo"]))
    good = imos.filter(valid & (pl.col("imo") != 1234567)).group_by(["imo", "mmsi"]).agg(
        pl.col("timestamp").min().alias("t0"), pl.col("timestamp").max().alias("t1"))
    pairs = good.join(good, on="imo", suffix="_o").filter(pl.col("mmsi") < pl.col("mmsi_o"))
    for r in pairs.sort(["imo", "mmsi", "mmsi_o"]).iter_rows(named=True):
        b = beh(r["mmsi"]) if beh(r["mmsi"]) != "background" else beh(r["mmsi_o"])
        rows.append(label("identity_change", r["mmsi"], max(r["t0"], r["t0_o"]),
                          max(r["t1"], r["t1_o"]), other=r["mmsi_o"], subtype="shared_imo",
                          planted=b != "background", behaviour=b, imo=r["imo"]))
    if rep["flag"].drop_nulls().len():
        from sanctionwatch.ids import mid_country, sovereign

        fl = rep.filter(pl.col("flag").is_not_null()).group_by(["mmsi", "flag"],
                                                               maintain_order=True).agg(
            pl.col("timestamp").min().alias("t0"), pl.col("timestamp").max().alias("t1"))
        for r in fl.iter_rows(named=True):
            mc = mid_country(r["mmsi"])
            if mc is None or sovereign(mc[0]) == sovereign(r["flag"]):
                continue
            b = beh(r["mmsi"])
            rows.append(label("identity_change", r["mmsi"], r["t0"], r["t1"],
                              subtype="mid_flag_mismatch", planted=b != "background",
                              behaviour=b, old_value=mc[0], new_value=r["flag"]))
    dr = rep.filter(pl.col("draught_m").is_not_null() & (pl.col("draught_m") > 0)).select(
        "mmsi", "timestamp", pl.col("draught_m").cast(pl.Float64).round(2).alias("d"))
    dr = dr.with_columns(pl.col("d").shift(1).over("mmsi").alias("pd"),
                         pl.col("timestamp").shift(1).over("mmsi").alias("pts"))
    ch = dr.filter(pl.col("pd").is_not_null() & ((pl.col("d") - pl.col("pd")).abs() >= 0.5))
    for r in ch.iter_rows(named=True):
        b = beh(r["mmsi"])
        rows.append(label("draught_change", r["mmsi"], r["pts"], r["timestamp"],
                          subtype="laden" if r["d"] > r["pd"] else "unladen",
                          planted=b != "background", behaviour=b, draught_before_m=r["pd"],
                          draught_after_m=r["d"]))
    return rows


def loitering_labels(pos: pl.DataFrame, ref: ReferenceData) -> list[dict[str, Any]]:
    """Loitering by the documented GFW definition (``docs/detectors/loitering.md``) on the
    received positions (``ship_id, mmsi, timestamp, lat, lon, behaviour``, no duplicates or
    spoofed jumps): the track on the absolute 10-min grid (gaps over 1.5 h split it), hourly
    centred path speed below 2 kn for at least 4 h, mean distance from shore at least 20 nm
    and mean position at least 10 km from any port. Whatever the plan intended (drifting
    alongside, slow trawling seen by sparse satellite fixes) the label is what the data show.
    """
    from sanctionwatch.tracks.resample import resample_tracks

    rows: list[dict[str, Any]] = []
    if pos.height == 0:
        return rows
    tracks = pos.select((pl.col("ship_id") * 1_000_000_000 + pl.col("mmsi")).alias("track_id"),
                        "mmsi", "timestamp", "lat", "lon")
    grid = resample_tracks(tracks, interval_min=10.0, max_gap_h=1.5)
    if grid.height == 0:
        return rows
    seg = grid["seg"].to_numpy()
    path = np.cumsum(grid["step_m"].to_numpy())
    n = grid.height
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    lengths = np.diff(np.r_[starts, n])
    i = np.arange(n)
    lo = np.maximum(i - 3, np.repeat(starts, lengths))
    hi = np.minimum(i + 3, np.repeat(starts + lengths - 1, lengths))
    secs = (hi - lo) * 600.0
    speed = np.divide(path[hi] - path[lo], secs, out=np.full(n, np.inf), where=secs > 0)
    slow = speed / 0.514444 < 2.0
    new = np.r_[True, seg[1:] != seg[:-1]]
    rs, re = _runs(slow, new)
    k = grid["k"].to_numpy()
    lat = grid["lat"].to_numpy()
    lon = grid["lon"].to_numpy()
    tid = grid["track_id"].to_numpy()
    beh = dict(zip((pos["ship_id"] * 1_000_000_000 + pos["mmsi"]).to_list(),
                   pos["behaviour"].to_list(), strict=True))
    for s, e in zip(rs, re, strict=True):
        if (k[e - 1] - k[s]) * 600 < 4 * 3600:
            continue
        p1, l1 = np.radians(lat[s:e]), np.radians(lon[s:e])
        x, y, z = (np.cos(p1) * np.cos(l1)).mean(), (np.cos(p1) * np.sin(l1)).mean(), \
            np.sin(p1).mean()
        c_lat = float(np.degrees(np.arctan2(z, np.hypot(x, y))))
        c_lon = float(np.degrees(np.arctan2(y, x)))
        port_km = float(ref.distance_to_port_km(c_lat, c_lon)[0])
        shore_km = float(np.mean(ref.distance_from_shore_km(lat[s:e], lon[s:e])))
        if port_km < 10.0 or shore_km < 20 * 1.852:
            continue
        b = beh[int(tid[s])]
        t0 = datetime.fromtimestamp(int(k[s]) * 600, tz=UTC)
        t1 = datetime.fromtimestamp(int(k[e - 1]) * 600, tz=UTC)
        rows.append(label("loitering", int(grid["mmsi"][int(s)]), t0, t1, lat=c_lat, lon=c_lon,
                          planted=b not in ("background", "fishing_dprk_waters"), behaviour=b,
                          distance_from_shore_km=round(shore_km, 2),
                          distance_to_port_km=round(port_km, 2)))
    return rows


def delivery_labels(rows: Sequence[dict[str, Any]], first_seen: dict[int, datetime],
                    tankers: set[int], transfers: Sequence[dict[str, Any]],
                    behaviour_of_mmsi: dict[int, str]) -> pl.DataFrame:
    """Petroleum deliveries by the Panel's method, from the ``port_call`` labels: every
    arrival of a tanker (``tankers``: MMSIs of simulated tankers) at a DPRK port, the arrival
    observed (the call begins after the MMSI's first received position in ``first_seen``).
    The first such arrival of a planted STS transfer's DPRK tanker after the transfer is that
    transfer's delivery (``visible_sts`` / ``dark_sts``, ``planted``); every other one is a
    ``direct_port_call`` (not planted: ordinary tankers the simulator routes to DPRK ports).
    No random number is drawn."""
    calls = []
    for r in rows:
        if r["event_type"] != "port_call" or r["mmsi"] not in tankers:
            continue
        det = json.loads(r["details"] or "{}")
        if not det.get("is_dprk"):
            continue
        seen = first_seen.get(r["mmsi"])
        # an hour: an MMSI two ships broadcast (a clone) is first heard from either of them
        if seen is None or r["start_time"] <= seen + timedelta(hours=1):
            continue
        calls.append((r["start_time"], r["mmsi"], det.get("port_name")))
    calls.sort()
    used: set[tuple[datetime, int]] = set()
    out = []
    for tr in transfers:
        nxt = next((c for c in calls if c[1] == tr["mmsi"] and c[0] >= tr["transfer_end"]),
                   None)
        if nxt is None:  # the tanker is back after the simulated window closed
            continue
        used.add((nxt[0], nxt[1]))
        out.append({"mmsi": nxt[1], "supplier_mmsi": tr["supplier_mmsi"],
                    "arrival_time": nxt[0], "port_name": nxt[2],
                    "mechanism": tr["mechanism"], "planted": True,
                    "behaviour": behaviour_of_mmsi.get(nxt[1], "background"),
                    "transfer_end": tr["transfer_end"]})
    for t, m, port in calls:
        if (t, m) not in used:
            out.append({"mmsi": m, "supplier_mmsi": None, "arrival_time": t,
                        "port_name": port, "mechanism": "direct_port_call", "planted": False,
                        "behaviour": behaviour_of_mmsi.get(m, "background"),
                        "transfer_end": None})
    if not out:
        return pl.DataFrame(schema=DELIVERY_SCHEMA)
    return pl.DataFrame(out, schema=DELIVERY_SCHEMA, orient="row").sort(["arrival_time",
                                                                          "mmsi"])
