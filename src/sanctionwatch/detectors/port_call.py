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

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, Params, register
from sanctionwatch.detectors.common import unique_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.geo import KNOT_M_PER_S, chord_to_arc_m, haversine_m, to_unit_xyz
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS
from sanctionwatch.units import US_PER_H, US_PER_MIN, US_PER_S

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DPRK_NOTE = (
    "DPRK port. A call is an indicator, not proof, of a violation: UN Security Council "
    "resolutions ban most DPRK exports (coal, iron, seafood: UNSCR 2371; textiles: UNSCR 2375) "
    "and cap its refined-petroleum imports (UNSCR 2397). Under US Executive Order 13810 s.2, a "
    "vessel that called at a DPRK port in the previous 180 days may not call at a US port."
)

_HOURS = pl.Float64()
DETAILS = Details(
    {
        "confidence": Key(pl.Int64(), "GFW visit confidence 1-4 (entry, exit, stop or gap)"),
        "dprk_port": Key(pl.Boolean(), "present (true) for a DPRK port", optional=True),
        "dprk_note": Key(pl.Utf8(), "present for a DPRK port: what a call there means",
                         optional=True),
        "entry_seen": Key(pl.Boolean(), "the track was seen outside before the visit"),
        "exit_seen": Key(pl.Boolean(), "the track was seen outside after it"),
        "has_port_gap": Key(pl.Boolean(), "the longest silence in port exceeds `port_gap_h`"),
        "last_position_in_port": Key(pl.Utf8(), "time of the last position inside"),
        "learnt_place": Key(pl.Utf8(), "present when the nearest point is a place learnt from "
                            "the data: its `place_id` (`port_name` is null when no shipped "
                            "port is within 4 km of it)", optional=True),
        "n_stops": Key(pl.Int64(), "stops in the visit"),
        "port_gap_h": Key(_HOURS, "the longest silence in port, hours"),
        "port_point_kind": Key(pl.Utf8(), "kind of the nearest port point (port, anchorage)"),
        "stop_duration_h": Key(_HOURS, "total time stopped, hours"),
        "stop_start": Key(pl.Utf8(), "start of the first stop (null: none)"),
        "stop_end": Key(pl.Utf8(), "end of the first stop (null: none)"),
        "stop_position": Key(pl.List(pl.Float64()), "[lat, lon] of the first stop (null: none)"),
        "stopped": Key(pl.Boolean(), "the vessel stopped in port"),
        "unobserved_at_entry_h": Key(_HOURS, "hours between the last position outside and "
                                     "the entry (null when not seen outside)"),
        "unobserved_at_exit_h": Key(_HOURS, "hours between the last position inside and the "
                                    "first outside (null when not seen outside)"),
    }
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
    min_positions: a visit needs at least this many positions in port. Not a GFW parameter
        (GFW's dense inputs rarely lack them): one or two positions say a ship was near a
        port, not that it called there, and sparse feeds (a position an hour, or one per ship
        per file) give many such. 3: the fewest that show a stay rather than a sighting; a
        moored or anchored class A ship reports every 3 min (ITU-R M.1371 table 1), so any
        call of 6 min or more on a dense feed has them.
    min_observed_min: a visit needs its first and last positions in port at least this far
        apart. 3 min: one class A reporting interval at anchor (ITU-R M.1371), so positions
        stamped at one instant (duplicates, a mis-stamped batch) are no stay.
    """

    entry_radius_km: float = 3.0
    exit_radius_km: float = 4.0
    stop_speed_knots: float = 0.2
    restart_speed_knots: float = 0.5
    port_gap_h: float = 4.0
    min_duration_h: float = 2.0
    min_positions: int = 3
    min_observed_min: float = 3.0

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
    code = np.full(on.size, -1, dtype=np.int8)
    code[off] = 0
    code[on] = 1
    code[reset & (code < 0)] = 0
    return code


@register("port_call", PortCallParams, reads=(), details=(DETAILS,))
def detect(data: DetectionInput, params: PortCallParams) -> pl.DataFrame:
    """Port calls: one event per visit to a port or anchorage (GFW, DETECTION.md 1.4).

    Entry within 3 km, exit beyond 4 km, stops between 0.2 and 0.5 kn, port gaps over 4 h,
    confidence 1-4 as GFW; subtype ``stop`` (the vessel stopped) or ``visit``.
    """
    tr = data.tracks
    ref = data.ports_and_places()
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
    group_of_port, group_keys = ref.port_groups()
    in_port = _hold(
        _band_code(d_near <= params.entry_radius_km, d_near > params.exit_radius_km, new_track)
    )
    if not in_port.any():
        return EVENTS.empty()

    at_port = np.flatnonzero(in_port)
    label = np.full(n, -1, dtype=np.int64)
    label[at_port] = group_of_port[p_near[at_port]]
    dist, point = d_near, p_near  # updated in place
    _resolve_shared_runs(lat, lon, at_port, new_track, last_of_track, label, dist, point, ref,
                         group_of_port, params)

    # Only positions in a visit matter from here on. A visit is a run of them starting at a
    # new track or port, where the stop hysteresis resets, so it never looks outside them.
    idx = np.flatnonzero(label >= 0)
    starts_v = new_track[idx] | (label[idx] != label[idx - 1])  # idx 0 starts a track
    first_v = new_track[idx]
    last_v = last_of_track[idx]
    t_v = t[idx]
    speed = _speed_knots(tr, lat, lon, t, new_track, last_of_track, idx)
    stop_code = _band_code(
        speed < params.stop_speed_knots, speed > params.restart_speed_knots, starts_v
    )
    stopped = _hold(stop_code)
    stop_begins = stopped & (starts_v | ~np.r_[False, stopped[:-1]])
    t_next = np.where(last_v, t_v, t[np.minimum(idx + 1, n - 1)])
    t_prev = np.where(first_v, t_v, t[idx - 1])

    rows = pl.DataFrame(
        {
            "i": idx,
            "visit": np.cumsum(starts_v) - 1,
            "group": label[idx],
            "t": t_v,
            "t_next": t_next,
            "t_prev": t_prev,
            "dist_km": dist[idx],
            "point": point[idx],
            "speed": pl.Series(speed, nan_to_null=True),
            "stopped": stopped,
            "stop_begins": stop_begins,
            "new_track": first_v,
            "last_of_track": last_v,
        }
    )

    stopped_col = pl.col("stopped")
    visits = rows.group_by("visit", maintain_order=True).agg(
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
        pl.col("i").first().alias("i_first"),
        pl.col("i").filter(stopped_col).first().alias("i_stop"),
        pl.col("i").last().alias("i_last"),
    )
    visits = visits.with_columns(
        ((pl.col("end_us") - pl.col("start_us")) / US_PER_H).alias("duration_h")
    ).filter(
        (pl.col("stopped_any") | (pl.col("duration_h") >= params.min_duration_h))
        & (pl.col("n_positions") >= params.min_positions)
        & (pl.col("last_us") - pl.col("start_us") >= params.min_observed_min * US_PER_MIN)
    )
    if visits.height == 0:
        return EVENTS.empty()
    return _events(visits, tr, ref, group_keys, params)


def _resolve_shared_runs(
    lat: FloatArray,
    lon: FloatArray,
    at_port: IntArray,
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
    # at_port: the in-port positions; a run starts at a new track or after one out of port
    n = label.size
    before, after = np.maximum(at_port - 1, 0), np.minimum(at_port + 1, n - 1)
    run_start = new_track[at_port] | (label[before] < 0)
    run_end = last_of_track[at_port] | (label[after] < 0)
    starts = at_port[run_start]
    ends = at_port[run_end] + 1
    changed = at_port[~run_start & (label[at_port] != label[before])]
    run_of_change = np.searchsorted(starts, changed, side="right") - 1
    shared = np.unique(run_of_change)
    if shared.size == 0:
        return
    from scipy.spatial import cKDTree  # loaded with the reference data (see ReferenceData)

    order = np.argsort(group_of_port, kind="stable")
    bounds = np.searchsorted(group_of_port[order], np.arange(group_of_port.max() + 2))
    port_xyz = to_unit_xyz(*ref.port_coordinates())
    # One column per (shared run, candidate port), each the run's positions in order; columns
    # of a run are in ascending group order, as np.unique gave them.
    s_run, e_run = starts[shared], ends[shared]
    length = e_run - s_run
    pos = np.repeat(s_run - np.cumsum(length) + length, length) + np.arange(length.sum())
    run_of_pos = np.repeat(np.arange(shared.size), length)
    n_groups = int(group_of_port.max()) + 1
    pair = np.unique(run_of_pos * n_groups + label[pos])
    col_run, col_group = pair // n_groups, pair % n_groups
    col_len = length[col_run]
    col_start = np.cumsum(col_len) - col_len
    n_rows = int(col_len.sum())
    col = np.repeat(np.arange(col_run.size), col_len)
    local = np.arange(n_rows) - col_start[col]
    row_pos = s_run[col_run][col] + local
    # each position once (``pos``), then one row per candidate: the unit vectors are the
    # same values whichever row asks, and a run has several candidates
    slot = (np.cumsum(length) - length)[col_run][col] + local
    xyz = to_unit_xyz(lat[pos], lon[pos])[slot]
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
    # Per position: the candidate entered first, then the nearest, then the lowest group
    # (the lowest column: a run's columns are in ascending group order). A run has few
    # candidates, so its columns are compared one rank at a time rather than all rows sorted.
    rank = col - np.searchsorted(col_run, col_run)[col]  # the column's rank in its run
    pick = np.flatnonzero(rank == 0)  # one row per position, in position order
    for r in range(1, int(rank.max()) + 1):
        rows_r = np.flatnonzero(rank == r)
        cur = pick[slot[rows_r]]
        k_new, k_cur = key[rows_r], key[cur]
        d_new, d_cur = d[rows_r], d[cur]
        # NaN distances lose, as they sort last
        nearer = (d_new < d_cur) | (np.isnan(d_cur) & ~np.isnan(d_new))
        better = (k_new < k_cur) | ((k_new == k_cur) & nearer)
        pick[slot[rows_r[better]]] = rows_r[better]
    any_active = np.zeros(label.size, dtype=bool)
    any_active[row_pos[active]] = True
    at = row_pos[pick]
    label[at] = np.where(any_active[at], group_of_row[pick], -1)
    dist[at] = d[pick]
    point[at] = pt[pick]


def _speed_knots(
    tr: pl.DataFrame,
    lat: FloatArray,
    lon: FloatArray,
    t: IntArray,
    new_track: BoolArray,
    last_of_track: BoolArray,
    idx: IntArray,
) -> FloatArray:
    """Speed at positions ``idx``: SOG where reported, else implied speed (from the previous
    position of the track, or else the next one)."""
    speed = tr["sog_knots"].gather(idx).cast(pl.Float64).fill_null(np.nan).to_numpy(writable=True)
    need = np.flatnonzero(np.isnan(speed))
    if need.size == 0:
        return speed
    at = idx[need]
    prev = np.maximum(at - 1, 0)
    nxt = np.minimum(at + 1, t.size - 1)
    before = _segment_knots(lat, lon, t, prev, at, ~new_track[at])
    after = _segment_knots(lat, lon, t, at, nxt, ~last_of_track[at])
    speed[need] = np.where(np.isnan(before), after, before)
    return speed


def _segment_knots(
    lat: FloatArray, lon: FloatArray, t: IntArray, a: IntArray, b: IntArray, ok: BoolArray
) -> FloatArray:
    """Implied speed from position ``a`` to ``b`` (NaN where not ``ok`` or no time passes)."""
    seg_m = haversine_m(lat[a], lon[a], lat[b], lon[b])
    seg_s = (t[b] - t[a]) / US_PER_S
    ok = ok & (seg_s > 0)
    out = np.full(seg_m.size, np.nan)
    np.divide(seg_m, seg_s * KNOT_M_PER_S, out=out, where=ok)
    return out


def _events(
    visits: pl.DataFrame,
    tr: pl.DataFrame,
    ref: ReferenceData,
    group_keys: list[tuple[str, str]],
    params: PortCallParams,
) -> pl.DataFrame:
    """EVENTS rows (a subset of its columns) from the per-visit aggregates."""
    ports = ref.ports
    port_lat, port_lon = ref.port_coordinates()
    groups = visits["group"].to_numpy()
    points = visits["point"].to_numpy()
    stopped = visits["stopped_any"].to_numpy()
    exit_seen = visits["exit_seen"].to_numpy()
    i_first = visits["i_first"].to_numpy()
    i_stop = visits["i_stop"].fill_null(0).to_numpy()
    i_last = visits["i_last"].to_numpy()
    # evidence: the visit's first, first stopped and last positions, and the one after it
    at = {"first": i_first, "stop": i_stop, "last": i_last,
          "exit": np.where(exit_seen, i_last + 1, 0)}
    evidence = pl.DataFrame(
        {
            k: tr.select("source", "record")[v].select(
                pl.concat_str([pl.col("source"), pl.col("record").cast(pl.Utf8)], separator=":")
            ).to_series()
            for k, v in at.items()
        }
    ).select(
        pl.concat_list(
            "first",
            pl.when(pl.Series(stopped)).then(pl.col("stop")),
            "last",
            pl.when(pl.Series(exit_seen)).then(pl.col("exit")),
        ).list.drop_nulls().list.unique(maintain_order=True)
    ).to_series()
    stop_lat = np.where(stopped, tr["lat"].to_numpy()[i_stop], np.nan)
    stop_lon = np.where(stopped, tr["lon"].to_numpy()[i_stop], np.nan)
    ts = {
        c: pl.from_epoch(visits[c], time_unit="us").dt.replace_time_zone("UTC")
        for c in ("start_us", "end_us", "last_us", "stop_start_us", "stop_end_us")
    }
    iso = {c: s.dt.strftime("%Y-%m-%dT%H:%M:%SZ") for c, s in ts.items()}
    is_dprk = [ports[p].is_dprk for p in points]
    kinds = [ports[p].kind for p in points]
    place_ids = [ports[p].place_id for p in points]
    # a learnt place no shipped port names: its group key is (place_id, "")
    unnamed = [ports[p].place_id is not None and not ports[p].country_iso3 for p in points]
    details = _details(visits, stop_lat, stop_lon, iso, kinds, place_ids, is_dprk, params)
    out = pl.DataFrame(
        {
            "event_type": "port_call",
            "mmsi": tr["mmsi"].gather(i_first),
            "track_id": tr["track_id"].gather(i_first),
            "start_time": ts["start_us"],
            "end_time": ts["end_us"],
            "lat": port_lat[points],
            "lon": port_lon[points],
            "duration_h": visits["duration_h"],
            "subtype": pl.Series(np.where(stopped, "stop", "visit")),
            "median_speed_knots": visits["median_speed_knots"],
            "distance_to_port_km": visits["distance_to_port_km"],
            "port_name": pl.Series([None if u else group_keys[g][0]
                                    for g, u in zip(groups, unnamed, strict=True)],
                                   dtype=pl.Utf8),
            "port_country": pl.Series([None if u else group_keys[g][1]
                                       for g, u in zip(groups, unnamed, strict=True)],
                                      dtype=pl.Utf8),
            "is_dprk": pl.Series(is_dprk, dtype=pl.Boolean),
            "n_positions": visits["n_positions"],
            "evidence": evidence,
            "details": details,
        }
    )
    # two ships sharing an MMSI (two tracks) entering one port at one instant: tie on the track;
    # the port's group key names an unnamed learnt place by its place_id
    out = out.with_columns(pl.Series("_port_key", [group_keys[g][0] for g in groups],
                                     dtype=pl.Utf8))
    keys = ["_port_key", "port_country"]
    return unique_event_ids(out, keys, pl.col("track_id")).drop("track_id", "_port_key")


def _details(
    visits: pl.DataFrame,
    stop_lat: FloatArray,
    stop_lon: FloatArray,
    iso: dict[str, pl.Series],
    kinds: list[str],
    place_ids: list[str | None],
    is_dprk: list[bool],
    params: PortCallParams,
) -> pl.Series:
    """``details`` JSON of each visit (:data:`DETAILS`)."""
    entry = visits["entry_seen"].to_numpy()
    exit_ = visits["exit_seen"].to_numpy()
    stopped = visits["stopped_any"].to_numpy()
    gap_h = visits["gap_us"].to_numpy() / US_PER_H
    has_gap = gap_h > params.port_gap_h
    stop_or_gap = stopped | has_gap
    # GFW visit confidence (pipe-anchorages ``compute_confidence``), extended to 1 for a visit
    # with neither entry, exit, stop nor gap (a track entirely inside port, always moving)
    conf = np.select(
        [stop_or_gap & entry & exit_, stop_or_gap & (entry | exit_), stop_or_gap], [4, 3, 2], 1
    )
    start = visits["start_us"].to_numpy()
    cols = pl.DataFrame({
        "confidence": conf,
        "dprk": np.asarray(is_dprk, dtype=bool),
        "entry": entry, "exit": exit_, "stopped": stopped, "has_gap": has_gap,
        "last": iso["last_us"], "stop_start": iso["stop_start_us"], "stop_end": iso["stop_end_us"],
        "n_stops": visits["n_stops"],
        "gap_h": gap_h,
        "kind": pl.Series(kinds, dtype=pl.Utf8),
        "place": pl.Series(place_ids, dtype=pl.Utf8),
        "stop_h": visits["stopped_us"].to_numpy() / US_PER_H,
        "at_entry": (start - visits["before_us"].to_numpy()) / US_PER_H,
        "at_exit": (visits["end_us"].to_numpy() - visits["last_us"].to_numpy()) / US_PER_H,
        "stop_lat": stop_lat, "stop_lon": stop_lon,
    })
    dprk = pl.col("dprk")
    return cols.select(DETAILS.expr(
        confidence=pl.col("confidence"),
        dprk_note=pl.when(dprk).then(pl.lit(DPRK_NOTE)),
        dprk_port=pl.when(dprk).then(pl.lit(True)),
        entry_seen=pl.col("entry"),
        exit_seen=pl.col("exit"),
        has_port_gap=pl.col("has_gap"),
        last_position_in_port=pl.col("last"),
        learnt_place=pl.col("place"),
        n_stops=pl.col("n_stops"),
        port_gap_h=pl.col("gap_h").round(4),
        port_point_kind=pl.col("kind"),
        stop_duration_h=pl.col("stop_h").round(4),
        stop_end=pl.col("stop_end"),
        stop_position=pl.when(pl.col("stopped")).then(
            pl.concat_list(pl.col("stop_lat").round(6), pl.col("stop_lon").round(6))),
        stop_start=pl.col("stop_start"),
        stopped=pl.col("stopped"),
        unobserved_at_entry_h=pl.when(pl.col("entry")).then(pl.col("at_entry").round(4)),
        unobserved_at_exit_h=pl.when(pl.col("exit")).then(pl.col("at_exit").round(4)),
    ).alias("details")).to_series()
