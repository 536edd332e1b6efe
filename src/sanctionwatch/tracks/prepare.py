"""Clean positions and split each MMSI into physically plausible tracks.

Two ships broadcasting one MMSI, or a spoofed/corrupt position, show up as jumps no ship can
make. Following GFW's segmenter (gpsdio-segment / pipe-segment, see DETECTION.md 1.6), each
MMSI's positions are assigned in time order to the open track they can plausibly continue
(implied speed within ``max_speed_knots``), opening a new track when none fits. The common case
-- an MMSI without any impossible jump -- is handled vectorised; only MMSIs with a jump take the
sequential path.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.geo import EARTH_RADIUS_M, KNOT_M_PER_S, POINT_BLOCK, haversine_m
from sanctionwatch.schema import POSITIONS
from sanctionwatch.stations import split_stations, station_frame, station_types
from sanctionwatch.tracks.continuity import DEFAULT_JOIN_H, block_index, input_blocks
from sanctionwatch.units import US_PER_S

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

TRACKS_PER_MMSI = 1000
"""``track_id = mmsi * TRACKS_PER_MMSI + k`` for the k-th track of an MMSI."""


@dataclass(frozen=True)
class PrepareParams:
    """Track preparation parameters.

    max_speed_knots: fastest plausible speed between two positions. 50 kn is AISdb's default
        per-type ceiling (DETECTION.md 1.6); merchant ships rarely exceed 25 kn.
    noise_m: distance always allowed between consecutive positions whatever the time between
        them, absorbing GPS noise and receiver time-stamping jitter (a few hundred metres at
        most for class A GNSS, ITU-R M.1371 position accuracy flag).

    coverage_bin_min: time bin of the run's receiver coverage
        (:attr:`~sanctionwatch.tracks.context.RunContext.coverage`). 60 min: class A ships
        under way report every 2-10 s and at anchor every 3 min (ITU-R M.1371 table 1), so an
        hour in which a receiver hears no ship of a busy cell is the receiver's silence, not
        theirs; the gaps it must explain are 6 h and more (``ais_gap.min_gap_h``).
    coverage_cell_deg: side of the coverage cells, 1 degree: the cell of Welch et al. 2022's
        satellite reception-quality term (positions per day per 1-degree cell).
    input_join_h: input files whose time spans are less than this apart form one continuous
        block (:mod:`~sanctionwatch.tracks.continuity`); a track never spans two blocks. 1 h:
        consecutive daily or hourly files abut within minutes, and 1 h is the same join as
        ``ais_gap.coverage_join_h``.

    Places learnt from the data (:mod:`sanctionwatch.tracks.places`; GFW's anchorage method,
    DETECTION.md 1.4):

    place_cell_m: side of a place cell, and the radius a stationary ship stays within, 500 m:
        GFW's S2 level-14 cells (about 0.5 km) and "stationary" (within 0.5 km).
    place_min_vessels: distinct ships that must have stayed in a cell, 3. GFW asks 20 over
        years of global data, one run holds hours or days; 3 is more than the pair an
        encounter is about, so two ships stopped together at sea never make a place.
    place_min_stationary_h: the shortest stay, 1 h. GFW asks 12 h over years; 1 h is GFW's
        shortest raw encounter or loitering run (DETECTION.md 1.7) and fits short inputs.
    place_speed_knots: slower is stationary, 0.5 kn: GFW's port-visit restart speed (a port
        stop ends above 0.5 kn, DETECTION.md 1.4).
    """

    max_speed_knots: float = 50.0
    noise_m: float = 1000.0
    coverage_bin_min: float = 60.0
    coverage_cell_deg: float = 1.0
    place_cell_m: float = 500.0
    place_min_vessels: int = 3
    place_min_stationary_h: float = 1.0
    place_speed_knots: float = 0.5
    input_join_h: float = DEFAULT_JOIN_H

    def __post_init__(self) -> None:
        if self.max_speed_knots <= 0 or self.noise_m < 0:
            raise ValueError("max_speed_knots must be > 0 and noise_m >= 0")
        if self.coverage_bin_min <= 0 or self.coverage_cell_deg <= 0:
            raise ValueError("coverage_bin_min and coverage_cell_deg must be > 0")
        if self.place_cell_m <= 0 or self.place_min_vessels < 1 or self.place_speed_knots < 0 \
                or self.place_min_stationary_h < 0:
            raise ValueError("place_cell_m must be > 0, place_min_vessels >= 1, and "
                             "place_speed_knots and place_min_stationary_h >= 0")
        if self.input_join_h < 0:
            raise ValueError("input_join_h must be >= 0")


@dataclass(frozen=True)
class PreparedTracks:
    """Result of :func:`prepare_tracks`.

    tracks: POSITIONS columns + ``track_id``, sorted by ``track_id, timestamp``.
    removed: POSITIONS columns + ``reason``: positions taken out (sentinels, duplicates).
    """

    tracks: pl.DataFrame
    removed: pl.DataFrame

    def removed_counts(self) -> dict[str, int]:
        """Removed positions counted by reason."""
        if self.removed.height == 0:
            return {}
        counts = self.removed.group_by("reason").len().sort("reason")
        return dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))


def prepare_tracks(positions: pl.DataFrame, params: PrepareParams | None = None,
                   spans: pl.DataFrame | None = None) -> PreparedTracks:
    """Clean ``positions`` (POSITIONS schema) and assign ``track_id``.

    - positions of stations other than ships (coast stations, aids to navigation, SAR
      aircraft, craft associated with a parent ship, SART/MOB/EPIRB, invalid or placeholder
      identities: :mod:`sanctionwatch.stations`) are removed as ``station:<type>``.
    ``spans``: the time span of every input file of the run (``source, start, end``, and
    ``block`` when known: :attr:`~sanctionwatch.tracks.context.RunContext.spans`). A track
    never spans two continuous input blocks (:func:`~sanctionwatch.tracks.continuity.
    input_blocks`): an MMSI heard in files years apart gets one track per block. None: the
    input is taken as one block (every engine passes the run's spans).

    - lat 91 / lon 181 ("not available") and out-of-range coordinates are removed (reason
      ``position_not_available`` / ``position_out_of_range``); 0,0 is removed as
      ``null_island`` (a GNSS fault, never a real ship position in practice).
    - sog 102.3 (and above), cog >= 360 and heading 511 become null.
    - exact duplicates (same MMSI, time and position, e.g. heard by two receivers) are removed
      as ``duplicate``.
    - remaining positions are split into plausible tracks.
    """
    p = params or PrepareParams()
    df = POSITIONS.conform(positions)
    # Drop this frame's reference to the input: when the caller handed over its only one
    # (``IngestResult.take_positions``), the raw chunks are freed as soon as ``df`` is
    # rechunked below rather than after the whole preparation.
    del positions
    return prepare_conforming(cleaned_codes(df), p, spans)


def cleaned_codes(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` (POSITIONS) in one chunk, with the "not available" SOG, COG and heading codes
    null (see :func:`prepare_tracks`)."""
    # One contiguous chunk: a row gather on it indexes one array, where on the chunks of the
    # files read every row must first be found in its chunk (measured:
    # benchmarks/results/design-notes.md), and NumPy views of its columns need no copy.
    if df.n_chunks() > 1:
        df = df.rechunk()
    return df.with_columns(
        pl.when(pl.col("sog_knots") >= 102.25)
        .then(None)
        .otherwise(pl.col("sog_knots"))
        .alias("sog_knots"),
        pl.when(pl.col("cog_deg") >= 360).then(None).otherwise(pl.col("cog_deg")).alias("cog_deg"),
        pl.when(pl.col("heading_deg") >= 360)
        .then(None)
        .otherwise(pl.col("heading_deg"))
        .alias("heading_deg"),
    )


def prepare_conforming(df: pl.DataFrame, p: PrepareParams, spans: pl.DataFrame | None,
                       presorted: tuple[IntArray, IntArray, IntArray] | None = None,
                       stations: tuple[IntArray, npt.NDArray[np.str_]] | None = None
                       ) -> PreparedTracks:
    """:func:`prepare_tracks` of ``df`` (POSITIONS, :func:`cleaned_codes`).

    ``presorted``: rows of ``df`` in MMSI, time, row order (:func:`mmsi_time_order`) among
    which are all the rows kept, with their MMSI and time (µs), and ``stations``:
    :func:`~sanctionwatch.stations.station_types` of ``df``, when the caller has them.

    Row indices, not frames, until the end: one gather of the wide frame instead of a filter,
    a sort and another filter.
    """
    if df.height == 0 or df["mmsi"].null_count() or df["timestamp"].null_count():
        return _prepare_null_keys(df, p, spans)
    mmsi = df["mmsi"].to_numpy()
    t = _epoch_us(df["timestamp"])
    lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
    inverse, kind = stations if stations is not None else station_types(df)
    other_of = kind != "ship"
    other = other_of[inverse] if other_of.any() else None
    reason = _bad_position_reasons(lat, lon)
    good = reason < 0
    if other is not None:
        good &= ~other
    if presorted is None:
        order = mmsi_time_order(inverse, kind.size, t, None if good.all() else
                                np.flatnonzero(good))
        m_s, t_s = mmsi[order], t[order]
    else:
        order, m_s, t_s = presorted
        sel = good[order]
        if not sel.all():
            order, m_s, t_s = order[sel], m_s[sel], t_s[sel]
    tied_order = _ties_by_source_record(df, order, m_s, t_s)
    if tied_order is None:  # rows tied on all four keys: the full sort decides
        order = _sorted_good_rows(df, good)
        m_s, t_s = mmsi[order], t[order]
    else:
        order = tied_order
    pos = df.select("lat", "lon")[row_index(order)]
    lat_s, lon_s = pos["lat"].to_numpy(), pos["lon"].to_numpy()
    dup_mask = _duplicate_rows(m_s, t_s, lat_s, lon_s)
    bad_rows = np.flatnonzero(~good if other is None else ~good & ~other)
    bad = df[row_index(bad_rows)].with_columns(
        pl.Series("reason", np.asarray(BAD_POSITION_REASONS)[reason[bad_rows]], dtype=pl.String)
    )
    dups = df[row_index(order[dup_mask])].with_columns(pl.lit("duplicate").alias("reason"))
    station_rows = df.clear().with_columns(pl.lit(None, dtype=pl.String).alias("reason")) \
        if other is None else station_frame(df, other, kind[inverse[other]])
    removed = pl.concat([station_rows, bad, dups], how="vertical").sort(["source", "record"])
    if dup_mask.any():
        keep = ~dup_mask
        order, m_s, t_s, lat_s, lon_s = (a[keep] for a in (order, m_s, t_s, lat_s, lon_s))
    block = _block_index_us(t_s, None if spans is None else input_blocks(spans, p.input_join_h))
    tracks = _assign_sorted(df, order, m_s, t_s, lat_s, lon_s, p, block)
    return PreparedTracks(tracks=tracks, removed=removed)


def row_index(rows: IntArray) -> pl.Series:
    """``rows`` as Polars row indices: a frame indexed by them gathers without the checks
    and conversions of a NumPy index."""
    return pl.Series(rows, dtype=pl.Int64).cast(pl.get_index_type())


def _epoch_us(timestamp: pl.Series) -> IntArray:
    """Microseconds since the epoch of ``timestamp`` (no copy for a µs column in one chunk)."""
    return timestamp.dt.epoch("us").to_numpy()


def mmsi_time_order(mmsi_index: IntArray, n_mmsi: int, t: IntArray, rows: IntArray | None
                    ) -> IntArray:
    """``rows`` (ascending; None: every row) sorted by MMSI, time and row: ``mmsi_index`` is
    the rank of each row's MMSI among the ``n_mmsi`` distinct ones (:func:`~sanctionwatch.stations.
    unique_inverse`), ``t`` its time.

    Ingested files come in time order, or vessel by vessel: a stable sort on the MMSI alone
    then leaves each MMSI's rows in time order, which is checked; NumPy sorts indices of up to
    65,536 distinct values by radix. Anything else takes the sort on both keys.
    """
    ids = mmsi_index if rows is None else mmsi_index[rows]
    pos = np.argsort(ids.astype(np.uint16) if n_mmsi <= 1 << 16 else ids, kind="stable")
    order = pos if rows is None else rows[pos]
    ts = t if rows is None else t[rows]
    if ts.size > 1 and not bool(np.all(ts[1:] >= ts[:-1])):
        # not in time order overall; each MMSI's rows may still be
        ts, ids = ts[pos], ids[pos]
        if not bool(np.all((ids[1:] != ids[:-1]) | (ts[1:] >= ts[:-1]))):
            sub = slice(None) if rows is None else rows
            lex = np.lexsort((t[sub], mmsi_index[sub]))
            order = lex if rows is None else rows[lex]
    return order


def _ties_by_source_record(df: pl.DataFrame, order: IntArray, m_s: IntArray, t_s: IntArray
                           ) -> IntArray | None:
    """``order`` (rows sorted by MMSI, time and row; ``m_s``, ``t_s`` their MMSI and time)
    with the rows tied on MMSI and time put in source, record order; None when rows are tied
    on all four (never in ingested data, where source and record identify a row)."""
    same_prev = np.zeros(order.size, dtype=bool)
    same_prev[1:] = (m_s[1:] == m_s[:-1]) & (t_s[1:] == t_s[:-1])
    tied = same_prev.copy()
    tied[:-1] |= same_prev[1:]
    ti = np.flatnonzero(tied)
    if ti.size == 0:
        return order
    ties = df.select("source", "record")[order[ti]].with_columns(
        pl.Series("_g", np.cumsum(~same_prev[ti])), pl.Series("_i", order[ti])
    )
    if ties.select(pl.struct("_g", "source", "record").is_duplicated().any()).item():
        return None
    out = order.copy()
    out[ti] = ties.sort(["_g", "source", "record"])["_i"].to_numpy()
    return out


BAD_POSITION_REASONS = ("position_not_available", "position_out_of_range", "null_island")
"""Reasons a position is removed before track assignment, in the order they are tested."""


def _bad_position_reasons(lat: FloatArray, lon: FloatArray) -> npt.NDArray[np.int8]:
    """Index into :data:`BAD_POSITION_REASONS` of the first reason that holds, -1 for none:
    lat 91 / lon 181 (AIS "not available"), outside [-90, 90] x [-180, 180] or NaN, 0,0."""
    out = np.full(lat.size, -1, dtype=np.int8)
    island = (lat == 0) & (lon == 0)
    out[island] = 2
    out_of_range = (np.abs(lat) > 90) | (np.abs(lon) > 180) | np.isnan(lat) | np.isnan(lon)
    out[out_of_range] = 1
    out[(lat == 91) | (lon == 181)] = 0
    return out


def _sorted_good_rows(df: pl.DataFrame, good: npt.NDArray[np.bool_]) -> IntArray:
    """Indices of the ``good`` rows of ``df`` in ``mmsi, timestamp, source, record`` order.

    When each MMSI's rows are in time order already (ingested files are written in time
    order, or vessel by vessel), a stable sort on the MMSI alone is enough, and the few rows
    tied on MMSI and time are then put in source, record order. Other inputs, rows tied on
    all four keys (never in ingested data, where source and record identify a row) and null
    keys take the full four-key sort, whose order among exact ties is its own.
    """
    key = ["mmsi", "timestamp", "source", "record"]
    in_time_order = False
    if df["mmsi"].null_count() == 0 and df["timestamp"].null_count() == 0:
        mmsi = df["mmsi"].to_numpy()
        t = df["timestamp"].dt.epoch("us").to_numpy()
        # worth trying only on rows laid out like ingested files (mostly in time order, or
        # mostly vessel by vessel); anything else goes straight to the full sort
        n_switch = min(np.count_nonzero(mmsi[1:] != mmsi[:-1]), np.count_nonzero(t[1:] < t[:-1]))
        if n_switch < mmsi.size // 4:
            if bool(np.all(mmsi[1:] >= mmsi[:-1])):  # vessel by vessel already
                order = np.flatnonzero(good).astype(np.int64)
            else:
                order = np.argsort(mmsi, kind="stable")
                order = order[good[order]].astype(np.int64)
            mmsi, t = mmsi[order], t[order]
            same_mmsi = mmsi[1:] == mmsi[:-1]
            in_time_order = bool(np.all(~same_mmsi | (t[1:] >= t[:-1])))
    if in_time_order:
        tied_in_order = _ties_by_source_record(df, order, mmsi, t)
        if tied_in_order is not None:
            return tied_in_order
    idx = df.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"), *key).filter(
        pl.Series(good)
    )
    return idx.sort(key)["_i"].to_numpy()


def _prepare_null_keys(df: pl.DataFrame, p: PrepareParams, spans: pl.DataFrame | None
                       ) -> PreparedTracks:
    """:func:`prepare_conforming` of a frame with null MMSIs or times (never from ingest, whose
    columns are not nullable) or no rows: its rows are compared with Polars' null semantics."""
    df, stations = split_stations(df)
    reason = _bad_position_reasons(df["lat"].to_numpy(), df["lon"].to_numpy())
    good = reason < 0
    order = _sorted_good_rows(df, good)
    keys = df.select("mmsi", "timestamp", "lat", "lon")[order]
    dup_mask = _duplicates(keys).to_numpy()
    bad_rows = np.flatnonzero(~good)
    bad = df[bad_rows].with_columns(
        pl.Series("reason", np.asarray(BAD_POSITION_REASONS)[reason[bad_rows]], dtype=pl.String)
    )
    dups = df[order[dup_mask]].with_columns(pl.lit("duplicate").alias("reason"))
    removed = pl.concat([stations, bad, dups], how="vertical").sort(["source", "record"])
    kept = order[~dup_mask]
    keys = keys.filter(pl.Series(~dup_mask))
    blocks = None if spans is None else input_blocks(spans, p.input_join_h)
    block = block_index(keys["timestamp"], blocks) \
        if blocks is not None and blocks.height > 1 else None
    tracks = _assign_tracks(df, kept, keys, p, block)
    return PreparedTracks(tracks=tracks, removed=removed)


def _block_index_us(t_us: IntArray, blocks: pl.DataFrame | None) -> IntArray | None:
    """:func:`~sanctionwatch.tracks.continuity.block_index` of times in microseconds; None
    for one block or none."""
    if blocks is None or blocks.height <= 1:
        return None
    return block_index(pl.Series(t_us, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")), blocks)


def _duplicate_rows(m: IntArray, t: IntArray, lat: FloatArray, lon: FloatArray
                    ) -> npt.NDArray[np.bool_]:
    """:func:`_duplicates` of rows sorted by MMSI and time given as arrays (no null)."""
    same = np.zeros(m.size + 1, dtype=bool)  # same[i]: row i ties row i - 1
    same[1:-1] = (m[1:] == m[:-1]) & (t[1:] == t[:-1])
    tied = same[:-1] | same[1:]
    out = np.zeros(m.size, dtype=bool)
    if not tied.any():
        return out
    idx = np.flatnonzero(tied)
    sub = pl.DataFrame({"mmsi": m[idx], "timestamp": t[idx], "lat": lat[idx], "lon": lon[idx]},
                       schema={"mmsi": pl.Int64, "timestamp": pl.Int64, "lat": pl.Float64,
                               "lon": pl.Float64})
    out[idx] = sub.select(pl.struct(["mmsi", "timestamp", "lat", "lon"]).is_first_distinct()
                          .not_()).to_series().to_numpy()
    return out


def _assign_sorted(df: pl.DataFrame, rows: IntArray, mmsi: IntArray, t_us: IntArray,
                   lat: FloatArray, lon: FloatArray, p: PrepareParams,
                   block: IntArray | None) -> pl.DataFrame:
    """:func:`_assign_tracks` with the MMSI, time (µs) and position of ``rows`` as arrays (no
    null)."""
    if rows.size == 0:
        return df.clear().with_columns(pl.lit(None, dtype=pl.Int64).alias("track_id"))
    track_id, order = _track_ids(mmsi, t_us, lat, lon, p, block)
    take = rows if order is None else rows[order]
    # every row, already in order: no gather
    in_place = take.size == df.height and bool(np.all(take[1:] > take[:-1]))
    out = df if in_place else df[row_index(take)]
    return out.with_columns(pl.Series("track_id", track_id if order is None else
                                      track_id[order], dtype=pl.Int64))


def _track_ids(mmsi: IntArray, t_us: npt.NDArray[np.int64] | FloatArray, lat: FloatArray,
               lon: FloatArray, p: PrepareParams, block: IntArray | None
               ) -> tuple[IntArray, IntArray | None]:
    """The ``track_id`` of each row (sorted by MMSI, time, source, record; ``t_us`` in
    microseconds), and the stable order that sorts them by track (None: they are already)."""
    same = np.zeros(len(mmsi), dtype=bool)
    same[1:] = mmsi[1:] == mmsi[:-1]
    # a new block within an MMSI: the rows before and after never share a track
    new_block = None
    if block is not None:
        new_block = np.zeros(len(mmsi), dtype=bool)
        new_block[1:] = same[1:] & (block[1:] != block[:-1])
        if new_block.any():
            same &= ~new_block
        else:
            new_block = None
    jump = _jumps(same, t_us, lat, lon, p)
    # the k-th track of an MMSI: 0 unless it has several blocks or an impossible jump
    track = None
    if new_block is not None:
        # k-th block of the MMSI: a running count of block changes, restarted at each MMSI
        count = np.cumsum(new_block)
        mmsi_start = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]])
        run = np.repeat(count[mmsi_start], np.diff(np.r_[mmsi_start, len(mmsi)]))
        track = count - run
    jumpy = np.unique(mmsi[jump])
    starts = np.searchsorted(mmsi, jumpy, side="left")
    ends = np.searchsorted(mmsi, jumpy, side="right")
    if jumpy.size:
        if track is None:
            track = np.zeros(len(mmsi), dtype=np.int64)
        no_block = np.zeros(0, dtype=bool)
        for s, e in zip(starts, ends, strict=True):
            track[s:e] = _segments_by_block(
                _seconds(t_us[s:e]), lat[s:e], lon[s:e],
                no_block if new_block is None else new_block[s:e], p)
    track_id = mmsi.astype(np.int64) * TRACKS_PER_MMSI
    if track is not None:
        track_id += np.minimum(track, TRACKS_PER_MMSI - 1)
    # rows are sorted by MMSI, time, source, record, and track_id orders as (MMSI, track):
    # only the rows of MMSIs split into several tracks move, by a stable sort on the track.
    order = None
    for s, e in zip(starts, ends, strict=True):
        tid = track_id[s:e]
        if (tid[1:] < tid[:-1]).any():
            if order is None:
                order = np.arange(len(mmsi))
            order[s:e] = s + np.argsort(tid, kind="stable")
    return track_id, order


def _duplicates(good: pl.DataFrame) -> pl.Series:
    """Rows (of ``good``, sorted by MMSI and time) repeating an earlier row's MMSI, time and
    position. Only rows sharing MMSI and time with a neighbour can be duplicates, so the
    hashing runs on those alone."""
    key = ["mmsi", "timestamp"]
    if good["mmsi"].null_count() == 0 and good["timestamp"].null_count() == 0:
        mmsi = good["mmsi"].to_numpy()
        t = good["timestamp"].dt.epoch("us").to_numpy()
        same = np.zeros(good.height + 1, dtype=bool)  # same[i]: row i ties row i - 1
        same[1:-1] = (mmsi[1:] == mmsi[:-1]) & (t[1:] == t[:-1])
        tied_np = same[:-1] | same[1:]
        if not tied_np.any():
            return pl.Series("mmsi", np.zeros(good.height, dtype=bool), dtype=pl.Boolean)
        idx = pl.Series(np.flatnonzero(tied_np))
    else:
        same_prev = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(1)) for c in key])
        same_next = pl.all_horizontal([pl.col(c).eq_missing(pl.col(c).shift(-1)) for c in key])
        tied = good.select((same_prev.fill_null(False) | same_next.fill_null(False)).alias("t"))
        tied_s = tied.to_series()
        if not tied_s.any():
            return pl.Series("mmsi", [False] * good.height, dtype=pl.Boolean)
        idx = tied_s.arg_true()
    sub = good[idx].select(
        pl.struct(["mmsi", "timestamp", "lat", "lon"]).is_first_distinct().not_()
    ).to_series()
    out = np.zeros(good.height, dtype=bool)
    out[idx.to_numpy()] = sub.to_numpy()
    return pl.Series("mmsi", out, dtype=pl.Boolean)


def _jumps(same: npt.NDArray[np.bool_], t_us: npt.NDArray[np.int64] | FloatArray,
           lat: FloatArray, lon: FloatArray, p: PrepareParams) -> npt.NDArray[np.bool_]:
    """``same & (haversine(previous, this) > allowed)`` (element 0 never a jump), ``allowed``
    being ``noise_m`` plus ``max_speed_knots`` for the time since the previous position
    (``t_us``, microseconds).

    Consecutive positions are mostly metres apart: an upper bound of the distance without
    trigonometry (along the meridian, then along a parallel: at most the latitude plus the
    longitude difference, in radians) clears nearly all of them, and the exact distance is
    computed for the rest only. In blocks of :data:`~sanctionwatch.geo.POINT_BLOCK` positions,
    whose temporaries stay in cache instead of being fresh input-sized arrays (measured:
    ``benchmarks/results/design-notes.md``).
    """
    speed = p.max_speed_knots * KNOT_M_PER_S
    jump = np.zeros(lat.size, dtype=bool)
    for s in range(1, lat.size, POINT_BLOCK):
        e = min(s + POINT_BLOCK, lat.size)
        t = _seconds(t_us[s - 1 : e])
        allowed = p.noise_m + speed * (t[1:] - t[:-1])
        dlat = np.abs(lat[s:e] - lat[s - 1 : e - 1])
        dlon = np.abs(lon[s:e] - lon[s - 1 : e - 1])
        np.minimum(dlon, 360.0 - dlon, out=dlon)
        bound = np.radians(dlat + dlon) * EARTH_RADIUS_M
        # margin: the bound must clear the computed distance's rounding as well
        check = np.flatnonzero(same[s:e] & ~(bound * (1 + 1e-9) + 1e-6 < allowed))
        if check.size:
            i = check + s
            d = haversine_m(lat[i - 1], lon[i - 1], lat[i], lon[i])
            jump[i] = d > allowed[check]
    return jump


def _seconds(t_us: npt.NDArray[np.int64] | FloatArray) -> FloatArray:
    """Microseconds as float seconds."""
    return t_us.astype(np.float64) / US_PER_S


def _assign_tracks(
    df: pl.DataFrame, rows: IntArray, keys: pl.DataFrame, p: PrepareParams,
    block: IntArray | None = None,
) -> pl.DataFrame:
    """``df[rows]`` (rows sorted by MMSI, time, source, record; ``keys``: their MMSI, time and
    position; ``block``: their input block, None for one block) with ``track_id``, sorted by
    track and time. An MMSI's tracks are numbered block by block."""
    if keys["mmsi"].null_count() == 0 and keys["timestamp"].null_count() == 0:
        return _assign_sorted(df, rows, keys["mmsi"].to_numpy(), _epoch_us(keys["timestamp"]),
                              keys["lat"].to_numpy(), keys["lon"].to_numpy(), p, block)
    track_id, _ = _track_ids(keys["mmsi"].to_numpy(), keys["timestamp"].dt.epoch("us").to_numpy(),
                             keys["lat"].to_numpy(),
                             keys["lon"].to_numpy(), p, block)
    out = df[rows].with_columns(pl.Series("track_id", track_id, dtype=pl.Int64))
    return out.sort(["track_id", "timestamp", "source", "record"])


def _segments_by_block(t: FloatArray, lat: FloatArray, lon: FloatArray,
                       new_block: npt.NDArray[np.bool_], p: PrepareParams) -> IntArray:
    """:func:`_greedy_segments` of one MMSI, run on each input block apart; the tracks of a
    block are numbered after those of the blocks before it."""
    cuts = np.r_[0, np.flatnonzero(new_block), t.size]
    out = np.empty(t.size, dtype=np.int64)
    offset = 0
    for s, e in itertools.pairwise(cuts):
        seg = _greedy_segments(t[s:e], lat[s:e], lon[s:e], p)
        out[s:e] = seg + offset
        offset += int(seg.max()) + 1
    return out


def _greedy_segments(
    t: np.ndarray, lat: np.ndarray, lon: np.ndarray, p: PrepareParams
) -> np.ndarray:
    # Sequential by nature (each assignment depends on the previous ones); only MMSIs that
    # contain an impossible jump come here, a small minority in real data. Plain-Python math:
    # the open tracks are few, and NumPy's per-call overhead would dominate.
    seg = np.empty(len(t), dtype=np.int64)
    last_t: list[float] = []
    last_lat: list[float] = []
    last_lon: list[float] = []
    max_mps = p.max_speed_knots * KNOT_M_PER_S
    noise = p.noise_m
    order: list[int] = []  # open tracks, most recently updated first
    for i in range(len(t)):
        ti, la, lo = float(t[i]), float(lat[i]), float(lon[i])
        best = -1
        # Prefer the most recently updated reachable track: a ship sharing an MMSI with one
        # that went silent keeps to its own fresh track instead of being absorbed by the
        # silent one, whose reach grows with the silence.
        for k in order:
            reach = noise + max_mps * (ti - last_t[k])
            # The great-circle distance is at least the latitude difference's arc: a track
            # clearly beyond reach by that bound alone needs no trigonometry (the margins
            # exceed the rounding of both, so the answer is the haversine test's). Tracks
            # of an MMSI shared by many craft are mostly far apart, which makes this loop
            # O(tracks) per position with a small constant.
            if abs(la - last_lat[k]) * _M_PER_DEG_LOWER - 1e-6 > reach:
                continue
            if _haversine1(la, lo, last_lat[k], last_lon[k]) <= reach:
                best = k
                break
        if best < 0:
            best = len(last_t)
            last_t.append(ti)
            last_lat.append(la)
            last_lon.append(lo)
        else:
            last_t[best], last_lat[best], last_lon[best] = ti, la, lo
            order.remove(best)
        order.insert(0, best)
        seg[i] = best
    return seg


_M_PER_DEG_LOWER = EARTH_RADIUS_M * math.pi / 180 * (1 - 1e-9)
"""Metres per degree of latitude difference, a lower bound of the arc (see _greedy_segments)."""


def _haversine1(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(
        math.radians(lon2 - lon1) / 2
    ) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, a))))
