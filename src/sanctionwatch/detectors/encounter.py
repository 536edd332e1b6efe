"""Encounters: two vessels close together, slow, at sea, for hours (ship-to-ship transfer proxy).

Follows the published GFW definition (DETECTION.md §1.1, Miller et al. 2018; thresholds in
§1.7): two vessels within 500 m for at least 2 h, median speed below 2 kn, at least 10 km from
a port or anchorage and not inland. The algorithm is GFW pipe-encounters' (resample onto a
10-minute grid, find neighbours per grid time, take runs of consecutive close grid times, merge
runs of one pair less than 4 h apart), with these improvements:

- The grid is aligned to absolute UTC time and the whole input is processed at once, so an
  encounter crossing midnight or an input-file boundary is one event (GFW loses short ones,
  PIPELINE-2137).
- Interpolation bridges reception gaps up to ``max_interpolation_gap_h`` (1.5 h rather than
  GFW's 1 h, so satellite reporting every 30-70 min still yields the encounter) but never a
  longer, dark, gap, and every event must have a minimum share of real, not interpolated,
  support from each vessel.
- Tracks, not MMSIs, are paired: two ships sharing an MMSI are different tracks, and an MMSI is
  never "in an encounter" with itself.
- The neighbour search has no cap on neighbours (GFW keeps 100 per timestamp): a k-d tree per
  grid time over the points' positions on the sphere, first on a sample of grid times (every
  ``sample_stride``-th), then only around the pairs found there (:func:`_candidate_pairs`).
  With n grid points and p close pairs the search is O(n log n + p).

A pair-scope detector: its :class:`~sanctionwatch.detectors.base.PairSearch` gives engines the
sample (:func:`encounter_sample`, per vessel partition) and the candidate pairs
(:func:`candidate_pairs`, per range of grid times), so a fleet larger than memory is paired
without ever holding it whole.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.detectors.base import DetectionInput, PairSearch, Params, register
from sanctionwatch.detectors.common import finite_or_null, ordered_sums, unique_event_ids
from sanctionwatch.detectors.details import Details, Key
from sanctionwatch.geo import EARTH_RADIUS_M, arc_m_to_chord, haversine_m, to_unit_xyz
from sanctionwatch.reference import ReferenceData
from sanctionwatch.tracks.resample import (
    grid_timestamp,
    interval_us,
    positions_in_windows,
    unit_to_lat_lon,
    xyz_exprs,
)
from sanctionwatch.units import US_PER_H

EVENT_TYPE = "encounter"

DETAILS = Details(
    {
        "close_steps": Key(pl.Int64(), "grid times at which the two were close"),
        "merged_runs": Key(pl.Int64(), "runs of consecutive close grid times merged into it"),
        "min_distance_m": Key(pl.Float64(), "smallest distance between the two, metres"),
        "median_speed_knots": Key(pl.Float64(), "`mmsi`'s median grid speed"),
        "other_median_speed_knots": Key(pl.Float64(), "`other_mmsi`'s median grid speed"),
        "real_share": Key(pl.Float64(), "share of grid times with a real position of `mmsi`"),
        "other_real_share": Key(pl.Float64(), "the same for `other_mmsi`"),
        "track_id": Key(pl.Int64(), "`mmsi`'s track"),
        "other_track_id": Key(pl.Int64(), "`other_mmsi`'s track"),
        "resample_interval_min": Key(pl.Float64(), "the grid step"),
    }
)

TRACK_COLUMNS = ("track_id", "mmsi", "timestamp", "lat", "lon", "source", "record")
"""The track columns :func:`detect` reads (resampling and evidence)."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EncounterParams(Params):
    """Encounter parameters; defaults from DETECTION.md §1.1 and §1.7 unless stated.

    max_distance_m: two vessels are *close* at a grid time within this distance. 500 m, GFW
        (``max_encounter_dist_km = 0.5``, Miller et al. 2018).
    min_duration_h: minimum duration of a merged encounter. 2 h, GFW (120 min).
    min_run_duration_h: minimum duration of a run of consecutive close grid times before runs
        are merged. 1 h, GFW pipe-encounters README raw examples (60 min); it keeps brief
        passes from being merged into an encounter.
    max_median_speed_knots: each vessel's median speed over the encounter must be below this.
        2 kn, GFW ``product_events_encounter``.
    min_distance_to_port_km: grid times where either vessel is nearer than this to a port or
        anchorage are not close times, and the encounter's mean position must be at least this
        far from any. 10 km, GFW (applied there to raw encounters' positions).
    merge_gap_h: runs of the same pair less than this apart are merged. 4 h, GFW
        (``min_hours_between_encounters``).
    resample_interval_min: the grid step. 10 min, GFW (``RESAMPLE_INCREMENT_MINUTES``).
    max_interpolation_gap_h: positions further apart in time are not interpolated between
        (the vessel is treated as unseen). GFW uses 1 h; 1.5 h here so that satellite-only
        reporting every 30-70 min (DETECTION.md §4) still gives a continuous track, while any
        multi-hour dark gap stays a gap: proximity is never invented across it.
    min_real_share: each vessel must have a real position within half a grid step of at least
        this share of the encounter's grid times. 0.1 is one real position every 100 min on a
        10 min grid, just below what ``max_interpolation_gap_h`` allows (1 per 90 min), so it
        rejects events that are mostly interpolation or held mostly across dark gaps.
    """

    max_distance_m: float = 500.0
    min_duration_h: float = 2.0
    min_run_duration_h: float = 1.0
    max_median_speed_knots: float = 2.0
    min_distance_to_port_km: float = 10.0
    merge_gap_h: float = 4.0
    resample_interval_min: float = 10.0
    max_interpolation_gap_h: float = 1.5
    min_real_share: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_distance_m <= 0 or self.resample_interval_min <= 0:
            raise ValueError("max_distance_m and resample_interval_min must be > 0")
        if self.max_interpolation_gap_h * 60 < self.resample_interval_min:
            raise ValueError("max_interpolation_gap_h must be at least resample_interval_min")
        if self.min_real_share > 1:
            raise ValueError("min_real_share must be <= 1")


def close_pairs(
    grid: pl.DataFrame, max_distance_m: float, unit: FloatArray | None = None
) -> tuple[IntArray, IntArray]:
    """Pairs of grid points at the same grid time, of different MMSIs, within the distance.

    A k-d tree per grid time over the points' (x, y, z) on the Earth sphere in metres: the
    chord search is exact for the great-circle threshold (chord <= arc), and :func:`_close`
    then decides as the haversine distance does. One small tree per grid time rather than one
    tree over all times (each time's globe shifted apart) gives the same pairs and keeps each
    tree in cache (measured: ``benchmarks/results/design-notes.md``). O(n log n + p) for n
    points and p pairs.
    ``unit``: the grid points' unit vectors when already computed. Returns row indices
    ``a, b`` into ``grid``, ``a`` the lower MMSI.
    """
    from scipy.spatial import cKDTree  # loaded with the reference data (see ReferenceData)

    none = np.empty(0, dtype=np.int64)
    if grid.height < 2:
        return none, none
    k = grid["k"].to_numpy()
    lat = grid["lat"].to_numpy()
    lon = grid["lon"].to_numpy()
    mmsi = grid["mmsi"].to_numpy()
    if unit is None:
        unit = to_unit_xyz(lat, lon)
    order = (np.arange(k.size) if bool(np.all(k[1:] >= k[:-1]))
             else np.argsort(k, kind="stable"))
    ks = k[order]
    pts = unit[order] * EARTH_RADIUS_M
    # Widened by more than the rounding of the coordinates (the exact test below decides, so
    # a wider search changes nothing else).
    radius = arc_m_to_chord(max_distance_m) * EARTH_RADIUS_M * (1 + 1e-9) + 1e-3
    cuts = np.flatnonzero(ks[1:] != ks[:-1]) + 1
    found = []
    for lo_, hi_ in itertools.pairwise([0, *cuts.tolist(), ks.size]):
        if hi_ - lo_ < 2:
            continue
        # fastest build, same answer
        tree = cKDTree(pts[lo_:hi_], balanced_tree=False, compact_nodes=False)
        ij = tree.query_pairs(radius, output_type="ndarray")
        if ij.shape[0]:
            found.append(ij.astype(np.int64) + lo_)
    if not found:
        return none, none
    ij = np.concatenate(found)
    i, j = order[ij[:, 0]], order[ij[:, 1]]
    keep = mmsi[i] != mmsi[j]
    i, j = i[keep], j[keep]
    keep = _close(unit, lat, lon, i, j, max_distance_m)
    i, j = i[keep], j[keep]
    swap = mmsi[i] > mmsi[j]
    return np.where(swap, j, i), np.where(swap, i, j)


def _close(
    unit: FloatArray, lat: FloatArray, lon: FloatArray, i: IntArray, j: IntArray,
    max_distance_m: float,
) -> npt.NDArray[np.bool_]:
    """Whether points ``i`` and ``j`` are within ``max_distance_m`` (haversine) of each other.

    The unit-sphere chord agrees with the haversine arc to ~1e-14; only pairs within a (much
    wider) margin of the threshold need the haversine itself to decide exactly as it.
    """
    chord = np.sqrt(((unit[i] - unit[j]) ** 2).sum(axis=1))
    limit = arc_m_to_chord(max_distance_m)
    margin = limit * 1e-7 + 1e-12
    near = np.abs(chord - limit) <= margin
    keep = chord < limit
    if near.any():
        ni, nj = i[near], j[near]
        keep[near] = haversine_m(lat[ni], lon[ni], lat[nj], lon[nj]) <= max_distance_m
    return np.asarray(keep)


def _outside_ports(grid: pl.DataFrame, ref: ReferenceData, min_km: float) -> pl.DataFrame:
    """Grid points at least ``min_km`` from every port or anchorage (see :func:`_at_sea`)."""
    if grid.height == 0 or min_km <= 0:
        return grid
    return grid.filter(pl.Series(_at_sea(grid["lat"].to_numpy(), grid["lon"].to_numpy(),
                                         ref, min_km)))


def _at_sea(lat: FloatArray, lon: FloatArray, ref: ReferenceData, min_km: float
            ) -> npt.NDArray[np.bool_]:
    """Whether each point is at least ``min_km`` from every port or anchorage.

    GFW drops raw encounters whose position is within 10 km of a port (DETECTION.md §1.1,
    ``merge_pipeline``); here the rule is applied per grid time, before pairing, so a vessel
    in port is never a pairing candidate. Ships moored together in port are nearly all close
    pairs in busy waters (98 % of 7 M pairs on a 1 M-position ``scale`` day), and they grow
    with the square of the ships in a port: excluding them keeps the pair search linear in
    positions. The event's mean position is still checked against the same distance.
    """
    if lat.size == 0 or min_km <= 0:
        return np.ones(lat.size, dtype=bool)
    dist, _ = ref.nearest_port(lat, lon, within_km=min_km)
    return np.asarray(dist >= min_km)


def sample_stride(p: EncounterParams) -> int:
    """Grid indices ``k`` that are multiples of this are the first pass's sample.

    A run of close grid times is kept only when it spans at least ``min_run_duration_h``,
    that is ``m = ceil(min_run / interval)`` steps, so ``m + 1`` consecutive grid times; any
    ``m + 1`` consecutive integers hold a multiple of ``m + 1``. So every kept run is close at
    a sampled time.
    """
    iv = interval_us(p.resample_interval_min)
    m = -(-round(p.min_run_duration_h * US_PER_H) // iv)
    return max(1, int(m) + 1)


def _grid_keys(grid: pl.DataFrame) -> tuple[IntArray, int, int] | None:
    """One sorted, unique int64 key per grid row, ``rank(track) * span + (k - k0)``, with
    ``k0`` and ``span``; None when the key would not fit or the rows are not one per
    (track, k) in order (never for :func:`resample_tracks` output)."""
    tid = grid["track_id"].to_numpy()
    k = grid["k"].to_numpy()
    rank = np.zeros(tid.size, dtype=np.int64)
    rank[1:] = np.cumsum(tid[1:] != tid[:-1])
    k0 = int(k.min())
    span = int(k.max()) - k0 + 1
    if (int(rank[-1]) + 1) * span >= 2**62:
        return None
    key = rank * span + (k - k0)
    if not bool(np.all(key[1:] > key[:-1])):
        return None
    return key, k0, span


SAMPLE_SCHEMA: dict[str, pl.DataType] = {
    "track_id": pl.Int64(), "mmsi": pl.Int64(), "k": pl.Int64(),
    "lat": pl.Float64(), "lon": pl.Float64(),
    "dlat": pl.List(pl.Float32()), "dlon": pl.List(pl.Float32()),
}
"""Columns of :func:`encounter_sample`: ``dlat, dlon`` hold the track's grid position at the
:func:`sample_offsets` from the sampled time, relative to it (NaN where it has none)."""

_DEG_M = 111_195.0
"""Metres per degree of arc on the sphere (upper bound of a degree of latitude or longitude)."""

_PAIR_CHUNK = 65_536
"""Pairs per block of :func:`candidate_pairs`' window test: a block's temporaries fit in cache
(the block sizes compared: ``benchmarks/results/design-notes.md``)."""


def sample_offsets(p: EncounterParams) -> IntArray:
    """Grid steps from a sampled time to the neighbours kept with it: ``-(s-1) .. s-1``
    without 0, ``s`` the :func:`sample_stride`."""
    s = sample_stride(p)
    return np.array([d for d in range(-(s - 1), s) if d], dtype=np.int64)


def _sample(
    grid: pl.DataFrame, keys: tuple[IntArray, int, int], ref: ReferenceData, p: EncounterParams
) -> tuple[IntArray, pl.DataFrame]:
    """:func:`encounter_sample` and the grid rows it was taken from."""
    key, k0, span = keys
    k = grid["k"].to_numpy()
    lat = grid["lat"].to_numpy()
    lon = grid["lon"].to_numpy()
    rows = np.flatnonzero(k % sample_stride(p) == 0)
    rows = rows[_at_sea(lat[rows], lon[rows], ref, p.min_distance_to_port_km)]
    d = sample_offsets(p)
    at = _lookup(key, k0, span, k, rows, d).reshape(rows.size, d.size)
    has = at >= 0
    dlat = np.where(has, lat[at] - lat[rows][:, None], np.nan).astype(np.float32)
    dlon = np.where(has, _wrap180(lon[at] - lon[rows][:, None]), np.nan).astype(np.float32)
    cols: dict[str, Any] = {c: grid[c].gather(rows) for c in ("track_id", "mmsi", "k")}
    cols |= {"lat": lat[rows], "lon": lon[rows],
             "dlat": pl.Series(dlat).arr.to_list() if d.size else pl.Series([[]] * rows.size),
             "dlon": pl.Series(dlon).arr.to_list() if d.size else pl.Series([[]] * rows.size)}
    return rows, pl.DataFrame(cols, schema=SAMPLE_SCHEMA)


def _wrap180(x: FloatArray) -> FloatArray:
    return np.asarray((x + 180.0) % 360.0 - 180.0)


def encounter_sample(grid: pl.DataFrame, ref: ReferenceData, p: EncounterParams) -> pl.DataFrame:
    """The first pass's points of a grid (:func:`~sanctionwatch.tracks.resample_tracks`):
    grid points at sampled times (``k`` a multiple of :func:`sample_stride`) at least
    ``min_distance_to_port_km`` from every port, each with its track's grid positions at the
    :func:`sample_offsets` around it. :func:`candidate_pairs` over the samples of any set of
    tracks finds every pair of them that can have an encounter; engines take the samples
    partition by partition and pair them by grid time."""
    keys = _grid_keys(grid) if grid.height else None
    if keys is None:
        return pl.DataFrame(schema=SAMPLE_SCHEMA)
    return _sample(grid, keys, ref, p)[1]


def candidate_pairs(sample: pl.DataFrame, p: EncounterParams) -> tuple[IntArray, IntArray]:
    """Rows ``a, b`` of :func:`encounter_sample` rows (``a`` the lower MMSI): pairs of
    vessels within ``max_distance_m`` at a sampled grid time and at every grid time of some
    ``sample_stride`` consecutive ones around it. A run kept by the detector spans at least
    ``sample_stride`` grid times and holds a sampled one, so every encounter's pair of tracks
    is among these (the detector then decides on whole tracks); pairs of vessels that merely
    cross, or sail together for less than ``min_run_duration_h``, are not.

    The neighbours' positions are stored as float32 offsets, so their distances are tested
    against ``max_distance_m`` plus a bound of that rounding: a candidate may be one the exact
    test refuses, never the reverse."""
    a, b = close_pairs(sample, p.max_distance_m)
    d = sample_offsets(p)
    if a.size == 0 or d.size == 0:
        return a, b
    n = sample.height
    lat, lon = sample["lat"].to_numpy(), sample["lon"].to_numpy()
    # every list holds d.size values (NaN where the track has none)
    dlat = sample["dlat"].explode().to_numpy().reshape(n, d.size)
    dlon = sample["dlon"].explode().to_numpy().reshape(n, d.size)
    close = np.zeros((a.size, d.size), dtype=bool)
    for c0 in range(0, a.size, _PAIR_CHUNK):
        # whole rows of neighbours per pair, a chunk at a time: column-wise gathers over all
        # pairs and whole-size temporaries miss the cache and touch fresh pages
        ia, ib = a[c0 : c0 + _PAIR_CHUNK], b[c0 : c0 + _PAIR_CHUNK]
        la_a, lo_a = dlat[ia].astype(np.float64), dlon[ia].astype(np.float64)
        la_b, lo_b = dlat[ib].astype(np.float64), dlon[ib].astype(np.float64)
        ok = np.isfinite(la_a) & np.isfinite(la_b)
        # float32 keeps 24 bits: each offset is within |offset| * 2^-24 degrees of its value
        slack = (np.abs(la_a) + np.abs(lo_a) + np.abs(la_b) + np.abs(lo_b)) * 2.0**-23 * _DEG_M
        slack += 1e-3
        la1, lo1 = lat[ia][:, None] + la_a, lon[ia][:, None] + lo_a
        la2, lo2 = lat[ib][:, None] + la_b, lon[ib][:, None] + lo_b
        for x in (la1, lo1, la2, lo2):
            x[~ok] = 0.0  # masked below; keeps NaN out of the trigonometry
        close[c0 : c0 + _PAIR_CHUNK] = ok & (
            haversine_m(la1, lo1, la2, lo2) <= p.max_distance_m + slack)
    # the sampled time itself is close; a window of ``stride`` consecutive close times
    # containing it exists when some run of them around it is long enough
    stride = d.size // 2 + 1
    full = np.concatenate([close[:, : stride - 1], np.ones((a.size, 1), dtype=bool),
                           close[:, stride - 1:]], axis=1)
    run = np.zeros((a.size, full.shape[1] + 1), dtype=np.int64)
    run[:, 1:] = np.cumsum(full, axis=1)
    windows = run[:, stride:] - run[:, : full.shape[1] - stride + 1]
    keep = (windows == stride).any(axis=1)
    return a[keep], b[keep]


def _lookup(
    key: IntArray, k0: int, span: int, k: IntArray, rows: IntArray, d: IntArray
) -> IntArray:
    """Grid rows of the tracks of ``rows`` at their grid time + each ``d`` (-1: none), via
    the keys of :func:`_grid_keys`; shape ``(rows.size * d.size,)``."""
    kq = k[rows][:, None] + d[None, :]
    q = key[rows][:, None] + d[None, :]
    # Within a segment the grid is consecutive: the row ``d`` away is nearly always it.
    guess = np.clip(rows[:, None] + d[None, :], 0, key.size - 1)
    found = key[guess] == q
    miss = np.flatnonzero(~found.ravel())
    pos = guess.ravel()
    if miss.size:
        qm = q.ravel()[miss]
        at = np.minimum(np.searchsorted(key, qm), key.size - 1)
        pos[miss] = at
        found.ravel()[miss] = key[at] == qm
    ok = ((kq >= k0) & (kq < k0 + span)).ravel() & found.ravel()
    return np.where(ok, pos, -1)


def _candidate_pairs(
    grid: pl.DataFrame, ref: ReferenceData, p: EncounterParams
) -> tuple[pl.DataFrame, FloatArray, IntArray, IntArray]:
    """Every close pair of grid points that can belong to a run of ``min_run_duration_h``.

    Two passes, so that the k-d tree sees a fraction of the grid:

    1. :func:`candidate_pairs` of the grid's :func:`encounter_sample`: close pairs at the
       grid times that are multiples of :func:`sample_stride` ``s`` (points in the port
       exclusion dropped first, as everywhere) that are close at a neighbouring time too;
       every kept run is close at one of them, so this finds every pair of tracks with a
       kept run, at each sampled time of it;
    2. around each such hit, the same two tracks at the ``s - 1`` grid times either side,
       with the same tests (both at sea, within ``max_distance_m``).

    Every point of a kept run lies within ``s - 1`` steps of a sampled time of that run, so
    pass 2 finds all of it. What else it finds are runs with no sampled time, which lie
    between two consecutive sampled times and, when touched, are found whole too; they are
    shorter than ``min_run_duration_h`` and dropped. So the runs kept downstream are exactly
    those of the one-pass search over the whole grid.

    Returns the rows of ``grid`` the pairs use (still sorted), their unit vectors, and the
    pairs as row indices into them (``a`` the lower MMSI).
    """
    none = np.empty(0, dtype=np.int64)
    stride = sample_stride(p)
    keys = _grid_keys(grid) if grid.height else None
    if stride == 1 or keys is None:
        outside = _outside_ports(grid, ref, p.min_distance_to_port_km)
        unit = to_unit_xyz(outside["lat"].to_numpy(), outside["lon"].to_numpy())
        a, b = close_pairs(outside, p.max_distance_m, unit)
        return outside, unit, a, b
    key, k0, span = keys
    k = grid["k"].to_numpy()
    lat = grid["lat"].to_numpy()
    lon = grid["lon"].to_numpy()
    rows, sample = _sample(grid, keys, ref, p)
    ha, hb = candidate_pairs(sample, p)
    if ha.size == 0:
        return grid.clear(), np.empty((0, 3)), none, none
    ha, hb = rows[ha], rows[hb]
    # The two tracks at the grid times around each hit (the hit itself included).
    d = np.arange(-(stride - 1), stride, dtype=np.int64)
    ca, cb = _lookup(key, k0, span, k, ha, d), _lookup(key, k0, span, k, hb, d)
    both = (ca >= 0) & (cb >= 0)
    pair = np.unique(ca[both] * grid.height + cb[both])  # windows of nearby hits overlap
    ca, cb = pair // grid.height, pair % grid.height
    used, inverse = np.unique(np.concatenate([ca, cb]), return_inverse=True)
    ua, ub = inverse[: ca.size], inverse[ca.size:]
    u_lat, u_lon = lat[used], lon[used]
    sea = _at_sea(u_lat, u_lon, ref, p.min_distance_to_port_km)
    unit = to_unit_xyz(u_lat, u_lon)
    keep = sea[ua] & sea[ub]
    ua, ub = ua[keep], ub[keep]
    keep = _close(unit, u_lat, u_lon, ua, ub, p.max_distance_m)
    return grid[used], unit, ua[keep], ub[keep]


def _pair_order(grid: pl.DataFrame, a: IntArray, b: IntArray) -> IntArray:
    """Order of the close pairs by ``track_a, track_b, k``: one sort of an int64 key when it
    fits (tracks are ranked densely, the grid being sorted by track), a lexsort otherwise."""
    tid = grid["track_id"].to_numpy()
    k = grid["k"].to_numpy()
    rank = np.zeros(tid.size, dtype=np.int64)
    rank[1:] = np.cumsum(tid[1:] != tid[:-1])
    n_tracks = int(rank[-1]) + 1
    k0 = int(k.min())
    span = int(k.max()) - k0 + 1
    if n_tracks * n_tracks * span < 2**62:
        key = (rank[a] * n_tracks + rank[b]) * span + (k[a] - k0)
        return np.asarray(np.argsort(key), dtype=np.int64)  # keys are unique: no ties
    return np.asarray(np.lexsort((k[a], rank[b], rank[a])), dtype=np.int64)


def _runs(
    grid: pl.DataFrame,
    unit: FloatArray,
    a: IntArray,
    b: IntArray,
    p: EncounterParams,
    iv: int,
    ref: ReferenceData,
    *,
    short_runs_bridge: bool = False,
) -> pl.DataFrame:
    """Runs of consecutive close grid times per track pair, merged when < merge_gap_h apart.

    ``short_runs_bridge``: runs shorter than ``min_run_duration_h`` still count when measuring
    the gap between two long runs of the pair (and join the event between them), though they
    never start or end an event on their own; off for encounters (GFW drops them).

    Only the rows of merged runs that can still make an event (runs of at least
    ``min_run_duration_h``, merged events of at least ``min_duration_h``, mean position not
    clearly inside the port exclusion) are kept, so the per-row frame is built for them alone.
    Returns those rows sorted by ``track_a, track_b, k`` with the grid columns of both sides,
    ``distance_m`` and ``run`` and ``event`` ids.
    """
    order = _pair_order(grid, a, b)
    a, b = a[order], b[order]
    tid = grid["track_id"].to_numpy()
    k = grid["k"].to_numpy()
    ta, tb, kk = tid[a], tid[b], k[a]
    new_run = np.ones(a.size, dtype=bool)
    new_run[1:] = (ta[1:] != ta[:-1]) | (tb[1:] != tb[:-1]) | (kk[1:] - kk[:-1] != 1)
    r0 = np.flatnonzero(new_run)
    r1 = np.append(r0[1:], a.size) - 1
    long_run = (kk[r1] - kk[r0]) * iv >= round(p.min_run_duration_h * US_PER_H)
    run_id = np.arange(r0.size)
    if not short_runs_bridge:
        r0, r1, run_id, long_run = r0[long_run], r1[long_run], run_id[long_run], long_run[long_run]
    if not long_run.any():
        return pl.DataFrame()
    new_event = np.ones(r0.size, dtype=bool)
    new_event[1:] = (
        (ta[r0[1:]] != ta[r0[:-1]])
        | (tb[r0[1:]] != tb[r0[:-1]])
        | ((kk[r0[1:]] - kk[r1[:-1]]) * iv >= round(p.merge_gap_h * US_PER_H))
    )
    if short_runs_bridge:
        # keep the short runs lying between two long runs of one merged group only
        group = np.cumsum(new_event) - 1
        n_long = np.cumsum(long_run)
        g_first = np.flatnonzero(new_event)
        g_last = np.append(g_first[1:], r0.size) - 1
        before = n_long - (n_long[g_first] - long_run[g_first])[group]
        after = n_long[g_last][group] - n_long + long_run
        inner = (before > 0) & (after > 0)
        r0, r1, run_id, group = r0[inner], r1[inner], run_id[inner], group[inner]
        new_event = np.ones(r0.size, dtype=bool)
        new_event[1:] = group[1:] != group[:-1]
    event_of_run = np.cumsum(new_event) - 1
    e_first = np.flatnonzero(new_event)
    e_last = np.append(e_first[1:], r0.size) - 1
    long_event = (kk[r1[e_last]] - kk[r0[e_first]]) * iv >= round(p.min_duration_h * US_PER_H)
    lengths = r1 - r0 + 1
    # Grid points in the port exclusion were dropped before pairing, but an event's mean can
    # still fall inside it (a pair skirting a port). The exact port filter runs on the
    # event's mean position after aggregation; this estimate of the same mean (float sums in
    # another order, ~1e-13 relative) only drops events a metre or more inside the exclusion,
    # so it removes nothing the exact filter would keep.
    rows = np.repeat(r0 - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    mid = unit[a[rows]] + unit[b[rows]]
    run_sum = np.add.reduceat(mid, np.cumsum(lengths) - lengths, axis=0)
    ev_sum = np.zeros((e_first.size, 3))
    np.add.at(ev_sum, event_of_run, run_sum)
    ev_lat, ev_lon = unit_to_lat_lon(ev_sum[:, 0], ev_sum[:, 1], ev_sum[:, 2])
    in_port = ref.distance_to_port_km(ev_lat, ev_lon) < p.min_distance_to_port_km - 1e-3
    kept = (long_event & ~in_port)[event_of_run]
    r0, r1, run_id, event_of_run = r0[kept], r1[kept], run_id[kept], event_of_run[kept]
    lengths = r1 - r0 + 1
    rows = np.repeat(r0 - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    a, b = a[rows], b[rows]
    lo, hi = np.minimum(a, b), np.maximum(a, b)  # the k-d tree's (i < j) order, as before
    lat = grid["lat"].to_numpy()
    lon = grid["lon"].to_numpy()
    g = grid.select("track_id", "mmsi", "k", "lat", "lon")
    return (
        pl.concat(
            [
                g[a].rename(lambda c: f"{c}_a"),
                g[b].rename(lambda c: f"{c}_b"),
                pl.DataFrame(
                    {
                        "distance_m": haversine_m(lat[lo], lon[lo], lat[hi], lon[hi]),
                        "run": np.repeat(run_id, lengths),
                        "event": np.repeat(event_of_run, lengths),
                    },
                    schema={"distance_m": pl.Float64, "run": pl.Int64, "event": pl.Int64},
                ),
            ],
            how="horizontal",
        )
        .rename({"k_a": "k", "track_id_a": "track_a", "track_id_b": "track_b"})
        .drop("k_b")
        .with_columns(*xyz_exprs("lat_a", "lon_a", "a"), *xyz_exprs("lat_b", "lon_b", "b"))
    )


def _vessel_stats(grid: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Per event and side (``a``/``b``): median speed and real share over [k0, k1]."""
    long = pl.concat(
        [
            events.select("event", pl.lit(s).alias("side"), pl.col(f"track_{s}").alias("track_id"),
                          "k0", "k1")
            for s in ("a", "b")
        ]
    )
    per_step = long.with_columns(pl.int_ranges("k0", pl.col("k1") + 1).alias("k")).explode("k")
    joined = per_step.join(
        grid.select("track_id", "k", "speed_knots", "real"), on=["track_id", "k"], how="left"
    )
    stats = joined.group_by("event", "side").agg(
        pl.col("speed_knots").median().alias("median_speed"),
        (pl.col("real").fill_null(False).sum() / pl.len()).alias("real_share"),
    )
    return stats.pivot(on="side", index="event", values=["median_speed", "real_share"])


def _sample_hook(data: DetectionInput, p: EncounterParams) -> pl.DataFrame:
    """:class:`PairSearch` sample: :func:`encounter_sample` of the input's grid."""
    return encounter_sample(data.grid(p.resample_interval_min, p.max_interpolation_gap_h),
                            data.ports_and_places(), p)


def _pairs_hook(samples: pl.DataFrame, p: EncounterParams) -> pl.DataFrame:
    """:class:`PairSearch` pairs: the tracks of :func:`candidate_pairs`."""
    if samples.height < 2:
        return pl.DataFrame(schema={"track_a": pl.Int64, "track_b": pl.Int64})
    a, b = candidate_pairs(samples, p)
    tid = samples["track_id"]
    return pl.DataFrame({"track_a": tid.gather(a), "track_b": tid.gather(b)}).unique()


PAIR_SEARCH = PairSearch(sample=_sample_hook, pairs=_pairs_hook, columns=TRACK_COLUMNS)


@register(EVENT_TYPE, EncounterParams, reads=(), scope="pair", pair_search=PAIR_SEARCH,
          details=(DETAILS,))
def detect(data: DetectionInput, params: EncounterParams) -> pl.DataFrame:
    """Encounters between tracks of different MMSIs (GFW definition, DETECTION.md §1.1).

    One event per pair of tracks and merged run: ``mmsi`` is the lower MMSI, ``other_mmsi`` the
    higher; the position is the dateline-safe mean of the pair's midpoints at close grid times;
    ``median_speed_knots`` is the higher of the two vessels' median grid speeds; evidence is
    the first and last real position of each vessel in the event window.
    """
    p = params
    iv = interval_us(p.resample_interval_min)
    grid = data.grid(p.resample_interval_min, p.max_interpolation_gap_h)
    pairs_grid, unit, a, b = _candidate_pairs(grid, data.ports_and_places(), p)
    if a.size == 0:
        return pl.DataFrame()
    close = _runs(pairs_grid, unit, a, b, p, iv, data.ports_and_places())
    if close.height == 0:
        return pl.DataFrame()
    events = (
        close.group_by("event")
        .agg(
            pl.col("track_a", "track_b", "mmsi_a", "mmsi_b").first(),
            pl.col("k").min().alias("k0"),
            pl.col("k").max().alias("k1"),
            pl.col("distance_m").median().alias("median_distance_m"),
            pl.col("distance_m").min().alias("min_distance_m"),
            pl.len().alias("close_steps"),
            pl.col("run").n_unique().alias("runs"),
        )
        .filter((pl.col("k1") - pl.col("k0")) * iv >= round(p.min_duration_h * US_PER_H))
        .sort("event")
    )
    events = placed_pair_events(events, close, grid, data.ports_and_places(),
                                p.min_distance_to_port_km)
    if events.height == 0:
        return pl.DataFrame()
    unknown_is_fast = [pl.col(c).fill_null(np.inf) for c in ("median_speed_a", "median_speed_b")]
    events = events.filter(
        (pl.max_horizontal(unknown_is_fast) < p.max_median_speed_knots)
        & (pl.min_horizontal("real_share_a", "real_share_b") >= p.min_real_share)
    )
    if events.height == 0:
        return pl.DataFrame()
    details = DETAILS.expr(
        close_steps=pl.col("close_steps"),
        merged_runs=pl.col("runs"),
        min_distance_m=pl.col("min_distance_m").round(1),
        median_speed_knots=pl.col("median_speed_a").round(3),
        other_median_speed_knots=pl.col("median_speed_b").round(3),
        real_share=pl.col("real_share_a").round(3),
        other_real_share=pl.col("real_share_b").round(3),
        track_id=pl.col("track_a"),
        other_track_id=pl.col("track_b"),
        resample_interval_min=pl.lit(p.resample_interval_min),
    )
    return pair_event_rows(events, data.tracks, EVENT_TYPE, p.resample_interval_min, details,
                           pl.max_horizontal("median_speed_a", "median_speed_b"))


def placed_pair_events(events: pl.DataFrame, close: pl.DataFrame, grid: pl.DataFrame,
                       ref: ReferenceData, min_distance_to_port_km: float) -> pl.DataFrame:
    """Two-vessel episodes (``encounter``, ``pair_trawling``) with their position (the
    dateline- and pole-safe mean of the pair's 3-D midpoints at the ``close`` grid times), its
    distances to port and shore, and each vessel's speed and real support over its grid times
    at sea (:func:`_vessel_stats`); only episodes at sea and ``min_distance_to_port_km`` or
    more from ports and places."""
    mid = ordered_sums(close, "event",
                       {c: (pl.col(f"{c}_a") + pl.col(f"{c}_b")) / 2 for c in ("x", "y", "z")})
    events = events.join(mid, on="event", how="left", maintain_order="left").with_columns(
        *[pl.col(c) / pl.col("n") for c in ("x", "y", "z")]
    ).drop("n")
    if events.height == 0:
        return events
    lat, lon = unit_to_lat_lon(events["x"].to_numpy(), events["y"].to_numpy(),
                               events["z"].to_numpy())
    events = events.with_columns(
        pl.Series("lat", lat),
        pl.Series("lon", lon),
        pl.Series("distance_to_port_km", ref.distance_to_port_km(lat, lon)),
        pl.Series("distance_from_shore_km", ref.distance_from_shore_km(lat, lon)),
    ).filter(
        (pl.col("distance_to_port_km") >= min_distance_to_port_km)
        & (pl.col("distance_from_shore_km") > 0)
    )
    if events.height == 0:
        return events
    tracks_in = pl.concat([events["track_a"], events["track_b"]]).unique().implode()
    at_sea = _outside_ports(grid.filter(pl.col("track_id").is_in(tracks_in)), ref,
                            min_distance_to_port_km)
    return events.join(_vessel_stats(at_sea, events), on="event", how="left")


def pair_event_rows(events: pl.DataFrame, tracks: pl.DataFrame, event_type: str,
                    resample_interval_min: float, details: pl.Expr, median_speed: pl.Expr
                    ) -> pl.DataFrame:
    """Event rows of two-vessel episodes found on the grid (``encounter``, ``pair_trawling``):
    one row per episode with both vessels' evidence records within half a grid step of it,
    ``details`` and ``median_speed`` computed from the episode columns (``k0``, ``k1``,
    ``track_a/b``, ``mmsi_a/b``, ``lat``, ``lon``, ``median_distance_m``, distances)."""
    iv = interval_us(resample_interval_min)
    half = iv // 2
    windows = pl.concat([
        events.select(
            "event", pl.lit(s).alias("side"), pl.col(f"track_{s}").alias("track_id"),
            (pl.col("k0") * iv - half).alias("w0"), (pl.col("k1") * iv + half).alias("w1"),
        )
        for s in ("a", "b")
    ])
    ev = positions_in_windows(tracks, windows).pivot(
        on="side", index="event", values=["evidence", "n_positions"]
    )
    events = events.join(ev, on="event", how="left")
    out = events.select(
        pl.lit(event_type).alias("event_type"),
        pl.col("mmsi_a").alias("mmsi"),
        pl.col("mmsi_b").alias("other_mmsi"),
        grid_timestamp(pl.col("k0"), resample_interval_min).alias("start_time"),
        grid_timestamp(pl.col("k1"), resample_interval_min).alias("end_time"),
        "lat",
        "lon",
        ((pl.col("k1") - pl.col("k0")) * iv / US_PER_H).alias("duration_h"),
        "median_distance_m",
        median_speed.alias("median_speed_knots"),
        finite_or_null("distance_to_port_km"),
        finite_or_null("distance_from_shore_km"),
        (pl.col("n_positions_a").fill_null(0) + pl.col("n_positions_b").fill_null(0))
        .alias("n_positions"),
        pl.concat_list(pl.col("evidence_a").fill_null([]), pl.col("evidence_b").fill_null([]))
        .alias("evidence"),
        details.alias("details"),
        pl.col("track_a").alias("_track_a"),
        pl.col("track_b").alias("_track_b"),
    ).sort("mmsi", "other_mmsi", "start_time", "_track_a", "_track_b")
    return unique_event_ids(
        out, ["other_mmsi"], pl.format("{}-{}", pl.col("_track_a"), pl.col("_track_b"))
    ).drop("_track_a", "_track_b")
