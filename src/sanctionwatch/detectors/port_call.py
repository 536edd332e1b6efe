"""Port calls: visits to ports and anchorages, with stops and port gaps.

Follows Global Fishing Watch's port-visit definition (DETECTION.md 1.4, pipe-anchorages):

- a visit begins when the vessel comes within ``entry_radius_km`` (3 km) of a port or anchorage
  point and lasts until it is beyond ``exit_radius_km`` (4 km): the band in between is
  hysteresis, so a ship anchored 3.5 km out does not enter and leave at every report;
- all points sharing a port name and country form one port, so moving between the anchorage
  points of one harbour stays one visit; the nearest point decides the port at entry, and a
  vessel moving on to a neighbouring port switches only once beyond ``exit_radius_km`` of the
  first (the same hysteresis, applied per port);
- inside a visit, a stop begins below ``stop_speed_knots`` (0.2 kn) and ends above
  ``restart_speed_knots`` (0.5 kn), on SOG when reported and implied speed otherwise;
- a port gap is the longest AIS silence in port; above ``port_gap_h`` (4 h) it counts like a
  stop for the visit confidence (1-4, as GFW's ``compute_confidence``).

Unlike GFW's daily pipeline, visits are found on whole tracks, so visits that cross midnight or
input-file boundaries come out whole. See ``docs/detectors/port_call.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree

from sanctionwatch.detectors.base import (
    DetectionInput,
    Params,
    details_json,
    register,
    unique_event_ids,
)
from sanctionwatch.geo import KNOT_M_PER_S, chord_to_arc_m, haversine_m, to_unit_xyz
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

US_PER_H = 3_600_000_000

DPRK_NOTE = (
    "DPRK port. A call is an indicator, not proof, of a violation: UN Security Council "
    "resolutions ban most DPRK exports (coal, iron, seafood: UNSCR 2371; textiles: UNSCR 2375) "
    "and cap its refined-petroleum imports (UNSCR 2397). Under US Executive Order 13810 s.2, a "
    "vessel that called at a DPRK port in the previous 180 days may not call at a US port."
)


@dataclass(frozen=True)
class PortCallParams(Params):
    """Port-call parameters (defaults: GFW port visits, DETECTION.md 1.4 and 1.7).

    entry_radius_km: a visit starts within this distance of a port/anchorage point (GFW 3 km).
    exit_radius_km: a visit ends beyond this distance of the visit's port (GFW 4 km).
    stop_speed_knots: a stop starts below this speed (GFW 0.2 kn).
    restart_speed_knots: a stop ends above this speed (GFW 0.5 kn).
    port_gap_h: a silence in port longer than this is a port gap (GFW 4 h).
    min_duration_h: visits shorter than this without any stop are dropped as passages. Not a
        GFW parameter (GFW keeps them at confidence 1 and its products drop confidence < 2):
        a ship passing through the 8 km exit circle at more than about 2 kn leaves it within
        2 h, and 2 h is the shortest duration GFW accepts for its other events (encounters,
        raw loitering, DETECTION.md 1.7). Set 0 to keep every passage.
    """

    entry_radius_km: float = 3.0
    exit_radius_km: float = 4.0
    stop_speed_knots: float = 0.2
    restart_speed_knots: float = 0.5
    port_gap_h: float = 4.0
    min_duration_h: float = 2.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.entry_radius_km <= 0:
            raise ValueError("entry_radius_km must be > 0")
        if self.exit_radius_km < self.entry_radius_km:
            raise ValueError("exit_radius_km must be >= entry_radius_km (hysteresis)")
        if self.restart_speed_knots < self.stop_speed_knots:
            raise ValueError("restart_speed_knots must be >= stop_speed_knots (hysteresis)")


def _hold(code: npt.NDArray[np.int8]) -> BoolArray:
    """Hysteresis state: 1 sets, 0 clears, -1 keeps the previous state (False before any)."""
    idx = np.where(code >= 0, np.arange(code.size), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.asarray((idx >= 0) & (code[np.maximum(idx, 0)] == 1))


def _band_code(on: BoolArray, off: BoolArray, reset: BoolArray) -> npt.NDArray[np.int8]:
    """Codes for :func:`_hold`: 1 where ``on``, 0 where ``off`` or an undecided ``reset`` row."""
    code = np.where(on, 1, np.where(off, 0, -1)).astype(np.int8)
    code[reset & (code < 0)] = 0
    return code


@register("port_call", PortCallParams)
def detect(data: DetectionInput, params: PortCallParams) -> pl.DataFrame:
    """Port calls: one event per visit to a port or anchorage (GFW, DETECTION.md 1.4).

    Entry within 3 km, exit beyond 4 km, stops between 0.2 and 0.5 kn, port gaps over 4 h,
    confidence 1-4 as GFW; subtype ``stop`` (the vessel stopped) or ``visit``.
    """
    tr = data.tracks
    ref = data.reference
    if tr.height == 0 or len(ref.ports) == 0:
        return EVENTS.empty()
    lat = tr["lat"].to_numpy()
    lon = tr["lon"].to_numpy()
    tid = tr["track_id"].to_numpy()
    t = tr["timestamp"].dt.epoch("us").to_numpy()
    n = tid.size
    new_track = np.ones(n, dtype=bool)
    new_track[1:] = tid[1:] != tid[:-1]
    last_of_track = np.ones(n, dtype=bool)
    last_of_track[:-1] = new_track[1:]

    # Beyond the exit radius only "out of port" matters, not the exact distance.
    d_near, p_near = ref.nearest_port(lat, lon, within_km=params.exit_radius_km)
    group_of_port, group_keys = _port_groups(ref)
    in_port = _hold(
        _band_code(d_near <= params.entry_radius_km, d_near > params.exit_radius_km, new_track)
    )
    if not in_port.any():
        return EVENTS.empty()

    label = np.where(in_port, group_of_port[np.maximum(p_near, 0)], -1)
    dist = d_near.copy()
    point = p_near.copy()
    _resolve_shared_runs(lat, lon, in_port, new_track, last_of_track, label, dist, point, ref,
                         group_of_port, params)

    valid = label >= 0
    prev_label = np.r_[-1, label[:-1]]
    visit_start = valid & (new_track | (label != prev_label))
    visit = np.cumsum(visit_start) - 1

    speed = _speed_knots(tr, lat, lon, t, new_track)
    stop_code = _band_code(
        speed < params.stop_speed_knots, speed > params.restart_speed_knots, visit_start
    )
    stopped = _hold(stop_code) & valid
    stop_begins = stopped & (visit_start | ~np.r_[False, stopped[:-1]])
    t_next = np.where(last_of_track, t, np.r_[t[1:], 0])
    t_prev = np.where(new_track, t, np.r_[0, t[:-1]])

    rows = tr.select(
        "mmsi",
        "track_id",
        "lat",
        "lon",
        pl.concat_str([pl.col("source"), pl.col("record").cast(pl.Utf8)], separator=":")
        .alias("ev"),
    ).with_columns(
        pl.Series("visit", visit),
        pl.Series("group", label),
        pl.Series("t", t),
        pl.Series("t_next", t_next),
        pl.Series("t_prev", t_prev),
        pl.Series("dist_km", dist),
        pl.Series("point", point),
        pl.Series("speed", speed, nan_to_null=True),
        pl.Series("stopped", stopped),
        pl.Series("stop_begins", stop_begins),
        pl.Series("new_track", new_track),
        pl.Series("last_of_track", last_of_track),
    ).with_columns(
        pl.when(pl.col("last_of_track")).then(None).otherwise(pl.col("ev").shift(-1))
        .alias("ev_next")
    ).filter(pl.Series(valid))

    stopped_col = pl.col("stopped")
    visits = rows.group_by("visit", maintain_order=True).agg(
        pl.col("mmsi").first(),
        pl.col("track_id").first(),
        pl.col("group").first(),
        pl.col("t_prev").first().alias("before_us"),
        pl.col("t").first().alias("start_us"),
        pl.col("t").last().alias("last_us"),
        pl.col("t_next").last().alias("end_us"),
        pl.col("new_track").first().not_().alias("entry_seen"),
        pl.col("last_of_track").last().not_().alias("exit_seen"),
        pl.len().cast(pl.Int64).alias("n_positions"),
        pl.col("dist_km").min().alias("distance_to_port_km"),
        pl.col("point").sort_by("dist_km").first(),
        pl.col("speed").median().alias("median_speed_knots"),
        stopped_col.any().alias("stopped_any"),
        ((pl.col("t_next") - pl.col("t")) * stopped_col.cast(pl.Int64)).sum().alias("stopped_us"),
        pl.col("t").filter(stopped_col).min().alias("stop_start_us"),
        pl.col("t_next").filter(stopped_col).max().alias("stop_end_us"),
        pl.col("stop_begins").sum().cast(pl.Int64).alias("n_stops"),
        (pl.col("t_next") - pl.col("t")).max().alias("gap_us"),
        pl.col("lat").filter(stopped_col).first().alias("stop_lat"),
        pl.col("lon").filter(stopped_col).first().alias("stop_lon"),
        pl.col("ev").first().alias("ev_first"),
        pl.col("ev").filter(stopped_col).first().alias("ev_stop"),
        pl.col("ev").last().alias("ev_last"),
        pl.col("ev_next").last().alias("ev_exit"),
    )
    visits = visits.with_columns(
        ((pl.col("end_us") - pl.col("start_us")) / US_PER_H).alias("duration_h")
    ).filter(pl.col("stopped_any") | (pl.col("duration_h") >= params.min_duration_h))
    if visits.height == 0:
        return EVENTS.empty()
    return _events(visits, ref, group_keys, params)


def _port_groups(ref: ReferenceData) -> tuple[IntArray, list[tuple[str, str]]]:
    """Group id of every port point (same name and country = one port), and the group keys."""
    keys: dict[tuple[str, str], int] = {}
    group = np.empty(len(ref.ports), dtype=np.int64)
    for i, p in enumerate(ref.ports):  # one pass over the reference list, not over positions
        group[i] = keys.setdefault((p.name, p.country_iso3), len(keys))
    return group, list(keys)


def _resolve_shared_runs(
    lat: FloatArray,
    lon: FloatArray,
    in_port: BoolArray,
    new_track: BoolArray,
    last_of_track: BoolArray,
    label: IntArray,
    dist: FloatArray,
    point: IntArray,
    ref: ReferenceData,
    group_of_port: IntArray,
    params: PortCallParams,
) -> None:
    """Split in-port runs that come near more than one port, in place.

    A run (consecutive positions within the exit radius of some port) whose nearest port never
    changes is one visit, and the nearest-point distance is the distance to its port. Where the
    nearest port does change (neighbouring harbours), each candidate port gets its own
    entry/exit hysteresis, and a position belongs to the candidate the vessel entered first
    (ties: the nearest), so a ship only moves on to the next port once beyond the exit radius
    of the first. Such runs are few; they are resolved together, one k-d tree query per
    candidate port.
    """
    run_start = in_port & (new_track | ~np.r_[False, in_port[:-1]])
    run_end = in_port & (last_of_track | ~np.r_[in_port[1:], False])
    starts = np.flatnonzero(run_start)
    ends = np.flatnonzero(run_end) + 1
    changed = in_port & ~run_start & (label != np.r_[-1, label[:-1]])
    run_of_change = np.searchsorted(starts, np.flatnonzero(changed), side="right") - 1
    shared = np.unique(run_of_change)
    if shared.size == 0:
        return
    order = np.argsort(group_of_port, kind="stable")
    bounds = np.searchsorted(group_of_port[order], np.arange(group_of_port.max() + 2))
    port_xyz = to_unit_xyz([p.lat for p in ref.ports], [p.lon for p in ref.ports])
    # One column per (shared run, candidate port), each the run's positions in order; columns
    # of a run are in ascending group order, as np.unique gave them.
    s_run, e_run = starts[shared], ends[shared]
    length = e_run - s_run
    pos = np.repeat(s_run - np.cumsum(length) + length, length) + np.arange(length.sum())
    run_of_pos = np.repeat(np.arange(shared.size), length)
    pair = np.unique(np.stack([run_of_pos, label[pos]], axis=1), axis=0)
    col_run, col_group = pair[:, 0], pair[:, 1]
    col_len = length[col_run]
    col_start = np.cumsum(col_len) - col_len
    n_rows = int(col_len.sum())
    col = np.repeat(np.arange(col_run.size), col_len)
    local = np.arange(n_rows) - col_start[col]
    row_pos = s_run[col_run][col] + local
    xyz = to_unit_xyz(lat[row_pos], lon[row_pos])
    d = np.empty(n_rows)
    pt = np.empty(n_rows, dtype=np.int64)
    group_of_row = col_group[col]
    by_group = np.argsort(group_of_row, kind="stable")
    cuts = np.flatnonzero(np.diff(group_of_row[by_group])) + 1
    for rows_g in np.split(by_group, cuts):  # one k-d tree query per candidate port
        g = int(group_of_row[rows_g[0]])
        members = order[bounds[g] : bounds[g + 1]]
        chord, j = cKDTree(port_xyz[members]).query(xyz[rows_g], k=1)
        d[rows_g] = chord_to_arc_m(chord) / 1000.0
        pt[rows_g] = members[np.asarray(j, dtype=np.int64)]
    first = local == 0
    active = _hold(
        _band_code(d <= params.entry_radius_km, d > params.exit_radius_km, first)
    )
    began = active & (first | ~np.r_[False, active[:-1]])
    since = np.where(began, np.arange(n_rows), -1)
    np.maximum.accumulate(since, out=since)
    since = np.where(since >= col_start[col], since - col_start[col], -1)
    key = np.where(active, since, np.iinfo(np.int64).max)
    # Per position: the candidate entered first, then the nearest, then the lowest group.
    best = np.lexsort((col, d, key, row_pos))
    pick = best[np.r_[True, row_pos[best][1:] != row_pos[best][:-1]]]
    any_active = np.zeros(label.size, dtype=bool)
    any_active[row_pos[active]] = True
    at = row_pos[pick]
    label[at] = np.where(any_active[at], group_of_row[pick], -1)
    dist[at] = d[pick]
    point[at] = pt[pick]


def _speed_knots(
    tr: pl.DataFrame, lat: FloatArray, lon: FloatArray, t: IntArray, new_track: BoolArray
) -> FloatArray:
    """SOG where reported, else implied speed (from the previous position, or the next one)."""
    sog = tr["sog_knots"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    seg_m = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    seg_s = (t[1:] - t[:-1]) / 1e6
    ok = ~new_track[1:] & (seg_s > 0)
    seg_kn = np.full(seg_m.size, np.nan)
    np.divide(seg_m, seg_s * KNOT_M_PER_S, out=seg_kn, where=ok)
    before = np.r_[np.nan, seg_kn]
    after = np.r_[seg_kn, np.nan]
    implied = np.where(np.isnan(before), after, before)
    return np.asarray(np.where(np.isnan(sog), implied, sog))


def _events(
    visits: pl.DataFrame,
    ref: ReferenceData,
    group_keys: list[tuple[str, str]],
    params: PortCallParams,
) -> pl.DataFrame:
    """EVENTS rows (a subset of its columns) from the per-visit aggregates."""
    ports = ref.ports
    groups = visits["group"].to_list()
    points = visits["point"].to_list()
    ts = {
        c: pl.from_epoch(visits[c], time_unit="us").dt.replace_time_zone("UTC")
        for c in ("start_us", "end_us", "last_us", "stop_start_us", "stop_end_us")
    }
    iso = {c: s.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_list() for c, s in ts.items()}
    details: list[str] = []
    evidence: list[list[str]] = []
    # one pass over events (not positions) to build their JSON details and evidence lists
    for i, v in enumerate(visits.iter_rows(named=True)):
        gap_h = v["gap_us"] / US_PER_H
        has_gap = gap_h > params.port_gap_h
        conf = _confidence(v["entry_seen"], v["exit_seen"], v["stopped_any"] or has_gap)
        d: dict[str, Any] = {
            "confidence": conf,
            "entry_seen": v["entry_seen"],
            "exit_seen": v["exit_seen"],
            "last_position_in_port": iso["last_us"][i],
            "unobserved_at_entry_h": (
                round((v["start_us"] - v["before_us"]) / US_PER_H, 4) if v["entry_seen"] else None
            ),
            "unobserved_at_exit_h": (
                round((v["end_us"] - v["last_us"]) / US_PER_H, 4) if v["exit_seen"] else None
            ),
            "stopped": v["stopped_any"],
            "stop_start": iso["stop_start_us"][i],
            "stop_end": iso["stop_end_us"][i],
            "stop_duration_h": round(v["stopped_us"] / US_PER_H, 4),
            "n_stops": v["n_stops"],
            "stop_position": (
                None
                if v["stop_lat"] is None
                else [round(v["stop_lat"], 6), round(v["stop_lon"], 6)]
            ),
            "port_gap_h": round(gap_h, 4),
            "has_port_gap": has_gap,
            "port_point_kind": ports[points[i]].kind,
        }
        if ports[points[i]].is_dprk:
            d["dprk_port"] = True
            d["dprk_note"] = DPRK_NOTE
        details.append(details_json(d))
        evidence.append(
            list(dict.fromkeys(e for e in (v["ev_first"], v["ev_stop"], v["ev_last"], v["ev_exit"])
                               if e is not None))
        )
    out = pl.DataFrame(
        {
            "event_type": "port_call",
            "mmsi": visits["mmsi"],
            "track_id": visits["track_id"],
            "start_time": ts["start_us"],
            "end_time": ts["end_us"],
            "lat": [ports[p].lat for p in points],
            "lon": [ports[p].lon for p in points],
            "duration_h": visits["duration_h"],
            "subtype": pl.Series(np.where(visits["stopped_any"].to_numpy(), "stop", "visit")),
            "median_speed_knots": visits["median_speed_knots"],
            "distance_to_port_km": visits["distance_to_port_km"],
            "port_name": [group_keys[g][0] for g in groups],
            "port_country": [group_keys[g][1] for g in groups],
            "is_dprk": [ports[p].is_dprk for p in points],
            "n_positions": visits["n_positions"],
            "evidence": pl.Series(evidence, dtype=pl.List(pl.Utf8)),
            "details": details,
        }
    )
    # two ships sharing an MMSI (two tracks) entering one port at one instant: tie on the track
    keys = ["port_name", "port_country"]
    return unique_event_ids(out, keys, pl.col("track_id")).drop("track_id")


def _confidence(entry_seen: bool, exit_seen: bool, stop_or_gap: bool) -> int:
    """GFW visit confidence (pipe-anchorages ``compute_confidence``), extended to 1 for a visit
    with neither entry, exit, stop nor gap (a track entirely inside port, always moving)."""
    if stop_or_gap and entry_seen and exit_seen:
        return 4
    if stop_or_gap and (entry_seen or exit_seen):
        return 3
    if stop_or_gap:
        return 2
    return 1
