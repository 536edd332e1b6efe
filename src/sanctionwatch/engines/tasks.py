"""The partition tasks both engines run: pure functions of the lake, parameters and reference.

Stages (see ``docs/engines.md``):

1. :func:`prepare_partition` per MMSI range: ``prepare_tracks`` (it only ever compares
   positions of one MMSI) and store the tracks per day with a spatial tile.
2. :func:`encounter_window` per day (time halo) and tile (spatial halo), and
   :func:`shared_imo_events` once: the two cross-vessel searches.
3. :func:`vessel_partition` per MMSI range: every other detector in registry order, with the
   cross-vessel events of stage 2 as ``prior_events``.

Each task keeps only the events it *owns*, so concatenating the results is the whole answer
with no event twice.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import polars as pl

from sanctionwatch.detectors import DetectionInput, Params, detectors
from sanctionwatch.detectors.schedule import run_scheduled
from sanctionwatch.engines.lake import DEFAULT_TILE_DEG, Lake, MmsiRange
from sanctionwatch.geo import KNOT_M_PER_S
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS
from sanctionwatch.tracks import PrepareParams, prepare_tracks

CROSS_VESSEL = ("encounter",)
"""Detectors that pair vessels and so cannot run per MMSI range."""

ENCOUNTER_COLUMNS = ("track_id", "mmsi", "timestamp", "lat", "lon", "source", "record", "tile")
"""Track columns the encounter detector reads (resampling and evidence)."""

KM_PER_DEG = 111.19


@dataclass(frozen=True)
class PartitionStats:
    """What stage 1 learnt about one MMSI range."""

    n_tracks: int
    removed: dict[str, int]
    source_spans: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)


def prepare_partition(
    part: MmsiRange, *, lake: Lake, prepare: PrepareParams | None, tile_deg: float
) -> PartitionStats:
    """Stage 1: prepare one MMSI range's tracks and store them in the lake."""
    prepared = prepare_tracks(lake.positions(part), prepare)
    lake.write_tracks(part, prepared.tracks, prepared.removed, tile_deg)
    t = prepared.tracks
    spans: dict[str, tuple[datetime, datetime]] = {}
    if t.height:
        agg = t.group_by("source").agg(pl.col("timestamp").min().alias("a"),
                                       pl.col("timestamp").max().alias("b"))
        spans = {s: (a, b) for s, a, b in agg.iter_rows()}
    return PartitionStats(
        n_tracks=t["track_id"].n_unique() if t.height else 0,
        removed=prepared.removed_counts(),
        source_spans=spans,
    )


def merge_spans(stats: Sequence[PartitionStats]) -> dict[str, tuple[datetime, datetime]]:
    """Per input file: the earliest and latest cleaned position over all partitions."""
    out: dict[str, tuple[datetime, datetime]] = {}
    for s in stats:
        for src, (a, b) in s.source_spans.items():
            if src in out:
                out[src] = (min(out[src][0], a), max(out[src][1], b))
            else:
                out[src] = (a, b)
    return out


# ---------------------------------------------------------------------------- encounters


@dataclass(frozen=True)
class EncounterHalo:
    """Halos of the encounter stage, derived from the parameters.

    left_h: data kept before a window. An event that really started before the cut shows up
        in the window's view starting within one run plus one merge gap (plus interpolation)
        after the cut, so with this halo its start stays outside the owned window.
    right_h: data kept after a window at first; doubled while an owned event ends near the
        view's edge (so no event is cut short, however long it lasts).
    space_km: a track joins a tile's view when it has a position this close to the tile. The
        two vessels of an encounter are within ``max_distance_m`` at the start grid time, and
        each one's nearest real position in time is at most one interpolation gap of movement
        (at the preparation's top speed) from its grid position.
    """

    left_h: float
    right_h: float
    edge_h: float
    space_km: float

    @classmethod
    def of(cls, p: Params, prepare: PrepareParams | None, horizon_h: float) -> EncounterHalo:
        """Halos for encounter parameters ``p`` (``horizon_h``: first right halo)."""
        pp = prepare or PrepareParams()
        step_h = float(getattr(p, "resample_interval_min", 10.0)) / 60
        interp_h = float(getattr(p, "max_interpolation_gap_h", 1.5))
        run_h = float(getattr(p, "min_run_duration_h", 1.0))
        merge_h = float(getattr(p, "merge_gap_h", 4.0))
        dist_km = float(getattr(p, "max_distance_m", 500.0)) / 1000
        edge = interp_h + 2 * step_h
        reach_km = pp.noise_m / 1000 + pp.max_speed_knots * KNOT_M_PER_S * interp_h * 3.6
        return cls(
            left_h=run_h + merge_h + edge + step_h,
            right_h=max(horizon_h, merge_h) + edge,
            edge_h=edge,
            space_km=(2 * reach_km + dist_km) * 1.02,
        )


def _tile_index(
    scan: pl.LazyFrame, space_km: float, tile_deg: float, own0: datetime, own1: datetime
) -> tuple[pl.DataFrame, pl.DataFrame, list[int], dict[int, int]]:
    """What the encounter stage needs to know of a view before reading any of it whole.

    Returns ``members`` (``track_id, tile``: every tile whose box, grown by ``space_km``,
    holds a position of the track; dateline-aware, and near the poles a position reaches every
    tile of its band), ``located`` (``track_id, tile``: the tiles the track's positions are in,
    i.e. the lake folders that hold it), the tiles with a position in ``[own0, own1)`` and
    the rows of each track.
    Only a few columns are scanned and every result is per track, not per position, so this
    takes little memory whatever the size of the day.
    """
    h_lat = space_km / KM_PER_DEG
    n_lat = math.ceil(180 / tile_deg)
    n_lon = math.ceil(360 / tile_deg)
    # longitude degrees shrink with latitude; 1 % covers the chord-versus-parallel difference
    phi = (pl.col("lat").abs() + h_lat).clip(upper_bound=89.9).radians()
    h_lon = (1.01 * space_km / (KM_PER_DEG * phi.cos())).clip(upper_bound=180.0)
    boxes = scan.select(
        "track_id",
        ((pl.col("lat") - h_lat + 90) / tile_deg).floor().clip(0, n_lat - 1).cast(pl.Int32)
        .alias("i0"),
        ((pl.col("lat") + h_lat + 90) / tile_deg).floor().clip(0, n_lat - 1).cast(pl.Int32)
        .alias("i1"),
        ((pl.col("lon") - h_lon + 180) / tile_deg).floor().cast(pl.Int32).alias("j0"),
        ((pl.col("lon") + h_lon + 180) / tile_deg).floor().cast(pl.Int32).alias("j1"),
    ).unique()
    located = scan.select("track_id", "tile").unique()
    owned = (
        scan.filter((pl.col("timestamp") >= own0) & (pl.col("timestamp") < own1))
        .select("tile").unique()
    )
    rows = scan.group_by("track_id").len()
    boxes_df, located_df, owned_df, rows_df = pl.collect_all([boxes, located, owned, rows])
    wide = pl.col("j1") - pl.col("j0") >= n_lon - 1
    cells = (
        boxes_df.with_columns(
            pl.when(wide).then(0).otherwise(pl.col("j0")).alias("j0"),
            pl.when(wide).then(n_lon - 1).otherwise(pl.col("j1")).alias("j1"),
        )
        .unique()
        .with_columns(pl.int_ranges("i0", pl.col("i1") + 1).alias("i"))
        .explode("i")
        .with_columns(pl.int_ranges("j0", pl.col("j1") + 1).alias("j"))
        .explode("j")
    )
    members = cells.select(
        "track_id", (pl.col("i") * n_lon + pl.col("j") % n_lon).cast(pl.Int32).alias("tile")
    ).unique()
    track_rows = dict(zip(rows_df["track_id"].to_list(), rows_df["len"].to_list(), strict=True))
    return members, located_df, sorted(owned_df["tile"].to_list()), track_rows


def _morton(i: int, j: int) -> int:
    """Z-order key of tile row ``i`` and column ``j`` (bits interleaved)."""
    z = 0
    for b in range(max(i.bit_length(), j.bit_length())):
        z |= ((i >> b) & 1) << (2 * b + 1) | ((j >> b) & 1) << (2 * b)
    return z


def _tile_groups(
    owned: Sequence[int], members: pl.DataFrame, track_rows: Mapping[int, int], max_rows: int,
    tile_deg: float,
) -> list[tuple[list[int], list[int]]]:
    """Owned tiles gathered, in Z (Morton) order so that a group is a compact patch of
    neighbours sharing many halo tracks, into groups whose views together hold at most
    ``max_rows`` positions (a tile larger than that is a group of its own): ``(tiles, member
    tracks)`` per group. The encounters of two tracks do not depend on the other tracks in a
    view, so one run over a group's view finds every tile's events; a day that fits is one
    run, as in the memory engine."""
    agg = members.group_by("tile").agg(pl.col("track_id"))
    by_tile: dict[int, set[int]] = {
        int(t): set(ids) for t, ids in zip(agg["tile"].to_list(), agg["track_id"].to_list(),
                                           strict=True)
    }
    groups: list[tuple[list[int], list[int]]] = []
    tiles: list[int] = []
    tracks: set[int] = set()
    n = 0
    n_lon = math.ceil(360 / tile_deg)
    for tile in sorted(owned, key=lambda t: _morton(*divmod(t, n_lon))):
        new = by_tile.get(tile, set()) - tracks
        extra = sum(track_rows.get(t, 0) for t in new)
        if tiles and n + extra > max_rows:
            groups.append((tiles, sorted(tracks)))
            tiles, tracks, n = [], set(), 0
            new = by_tile.get(tile, set())
            extra = sum(track_rows.get(t, 0) for t in new)
        tiles.append(tile)
        tracks |= new
        n += extra
    if tiles:
        groups.append((tiles, sorted(tracks)))
    return groups


def _owner_tiles(events: pl.DataFrame, view: pl.DataFrame) -> pl.Series:
    """Tile of the first vessel's real position nearest in time to each event's start (the
    same in every view that holds that track, hence one owner)."""
    ev = events.with_row_index("_r").with_columns(
        pl.col("details").str.json_path_match("$.track_id").cast(pl.Int64).alias("_tid")
    )
    pos = view.select(pl.col("track_id").alias("_tid"), pl.col("timestamp").alias("_ts"),
                      "tile").sort("_ts")
    joined = ev.sort("start_time").join_asof(
        pos, left_on="start_time", right_on="_ts", by="_tid", strategy="nearest",
        check_sortedness=False,
    ).sort("_r")
    return joined["tile"]


@dataclass(frozen=True)
class EncounterJob:
    """One encounter task: a group of owned tiles of one day window and the view it reads."""

    day: date
    right_h: float
    """The right time halo this view was planned with (doubled on a redo)."""
    tiles: tuple[int, ...]
    tracks: tuple[int, ...]
    """Member tracks of the group's tiles, read whole over the view's time span."""
    located: tuple[int, ...]
    """The tile folders those tracks are in."""


def _window(day: date, halo: EncounterHalo, right_h: float) -> tuple[datetime, ...]:
    """``w0, w1`` (the owned day) and ``v0, v1`` (the view with its halos)."""
    w0 = datetime(day.year, day.month, day.day, tzinfo=UTC)
    w1 = w0 + timedelta(days=1)
    return w0, w1, w0 - timedelta(hours=halo.left_h), w1 + timedelta(hours=right_h)


def encounter_plan(
    day: date,
    *,
    lake: Lake,
    params: Params,
    prepare: PrepareParams | None = None,
    horizon_h: float = 24.0,
    tile_deg: float = DEFAULT_TILE_DEG,
    view_rows: int = 7_000_000,
    right_h: float | None = None,
) -> list[EncounterJob]:
    """Stage 2a: the encounter tasks of ``day``: owned tiles in groups whose views hold at
    most ``view_rows`` positions (see :func:`_tile_groups`); ``right_h`` overrides the first
    right halo (a redo)."""
    halo = EncounterHalo.of(params, prepare, horizon_h)
    right = halo.right_h if right_h is None else right_h
    w0, w1, v0, v1 = _window(day, halo, right)
    files = lake.track_files_between(v0, v1)
    if not files:
        return []
    members, located, owned_tiles, track_rows = _tile_index(
        pl.scan_parquet(files).filter((pl.col("timestamp") >= v0) & (pl.col("timestamp") < v1)),
        halo.space_km, tile_deg,
        w0 - timedelta(hours=halo.edge_h), w1 + timedelta(hours=halo.edge_h),
    )
    jobs: list[EncounterJob] = []
    for tiles, tracks in _tile_groups(owned_tiles, members, track_rows, view_rows, tile_deg):
        tids = pl.Series("track_id", tracks, dtype=pl.Int64).implode()
        where = located.filter(pl.col("track_id").is_in(tids))["tile"].unique().sort()
        jobs.append(EncounterJob(day, right, tuple(tiles), tuple(tracks), tuple(where.to_list())))
    return jobs


def encounter_group(
    job: EncounterJob,
    *,
    lake: Lake,
    params: Params,
    reference: ReferenceData,
    prepare: PrepareParams | None = None,
    horizon_h: float = 24.0,
) -> pl.DataFrame:
    """Stage 2b: the encounters a group of tiles owns: read the group's view (member tracks
    whole, from the tiles they are in: memory is that of the view, not of the day), run the
    detector once, keep the events starting in the day whose owner tile is in the group."""
    halo = EncounterHalo.of(params, prepare, horizon_h)
    w0, w1, v0, v1 = _window(job.day, halo, job.right_h)
    tids = pl.Series("track_id", job.tracks, dtype=pl.Int64).implode()
    sub = (
        pl.scan_parquet(lake.track_files_between(v0, v1, job.located))
        .filter((pl.col("timestamp") >= v0) & (pl.col("timestamp") < v1)
                & pl.col("track_id").is_in(tids))
        .select(ENCOUNTER_COLUMNS)
        .collect()
        .sort(["track_id", "timestamp", "source", "record"], maintain_order=True)
    )
    if sub["mmsi"].n_unique() < 2:
        return EVENTS.empty()
    ev = detectors()["encounter"].run(
        DetectionInput(tracks=sub.drop("tile"), reports=pl.DataFrame(), reference=reference),
        params,
    )
    ev = ev.filter((pl.col("start_time") >= w0) & (pl.col("start_time") < w1))
    return ev.filter(_owner_tiles(ev, sub).is_in(list(job.tiles))) if ev.height else ev


def needs_wider_view(
    job_day: date, events: pl.DataFrame, params: Params, prepare: PrepareParams | None,
    horizon_h: float, right_h: float, data_end: datetime | None,
) -> bool:
    """True when an event the day owns ends near the view's right edge (it may be cut short)
    and there is data beyond: the day is then planned again with ``right_h`` doubled."""
    halo = EncounterHalo.of(params, prepare, horizon_h)
    *_, v1 = _window(job_day, halo, right_h)
    if data_end is not None and v1 > data_end:
        return False
    return events.filter(pl.col("end_time") >= v1 - timedelta(hours=halo.edge_h)).height > 0


def encounter_window(
    day: date,
    *,
    lake: Lake,
    params: Params,
    reference: ReferenceData,
    prepare: PrepareParams | None = None,
    horizon_h: float = 24.0,
    tile_deg: float = DEFAULT_TILE_DEG,
    data_end: datetime | None = None,
    view_rows: int = 7_000_000,
) -> pl.DataFrame:
    """Stage 2 for one day in this process: :func:`encounter_plan`, every
    :func:`encounter_group`, redone wider while :func:`needs_wider_view` (the engines run
    the same steps as separate tasks)."""
    right: float | None = None
    while True:
        jobs = encounter_plan(day, lake=lake, params=params, prepare=prepare,
                              horizon_h=horizon_h, tile_deg=tile_deg, view_rows=view_rows,
                              right_h=right)
        if not jobs:
            return EVENTS.empty()
        found = [encounter_group(j, lake=lake, params=params, reference=reference,
                                 prepare=prepare, horizon_h=horizon_h) for j in jobs]
        events = pl.concat(found, how="vertical")
        right = jobs[0].right_h
        if not needs_wider_view(day, events, params, prepare, horizon_h, right, data_end):
            return events
        right *= 2


def shared_imo_events(params: Params, *, lake: Lake, reference: ReferenceData) -> pl.DataFrame:
    """Stage 2: ``identity_change`` ``shared_imo`` events (one IMO broadcast by several MMSIs),
    reading only the reports and tracks of MMSIs that share an IMO."""
    max_mmsis = int(getattr(params, "max_imo_mmsi_count", 10))
    files = lake.report_files()
    if not files or not getattr(params, "shared_imo", False):
        return EVENTS.empty()
    cand = (
        pl.scan_parquet(files)
        .select("imo", "mmsi")
        .filter(pl.col("imo") > 0)
        .unique()
        .filter(pl.col("mmsi").len().over("imo").is_between(2, max_mmsis))
        .select("mmsi")
        .unique()
        .collect()["mmsi"]
        .to_list()
    )
    if not cand:
        return EVENTS.empty()
    reports = (
        pl.scan_parquet(files).filter(pl.col("mmsi").is_in(cand)).collect()
        .sort(["mmsi", "timestamp", "source", "record"], maintain_order=True)
    )
    only_shared = dataclasses.replace(cast(Any, params), fields=(), mid_flag_mismatch=False)
    data = DetectionInput(tracks=lake.all_tracks(cand), reports=reports, reference=reference)
    return detectors()["identity_change"].run(data, only_shared)


# ---------------------------------------------------------------------------- per vessel

def _spans_frame(spans: Mapping[str, tuple[datetime, datetime]]) -> pl.DataFrame:
    """The whole run's input spans, for ``DetectionInput.input_spans`` (a partition holding a
    few vessels would otherwise measure shorter spans)."""
    items = sorted(spans.items())
    return pl.DataFrame(
        {
            "source": [k for k, _ in items],
            "start": [a for _, (a, _) in items],
            "end": [b for _, (_, b) in items],
        },
        schema={
            "source": pl.String,
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
        },
    )


def vessel_partition(
    part: MmsiRange,
    *,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    only: Sequence[str] | None,
    global_events: Mapping[str, pl.DataFrame],
    spans: Mapping[str, tuple[datetime, datetime]],
    threads: int | None = None,
) -> pl.DataFrame:
    """Stage 3: every per-vessel detector over one MMSI range (independent ones concurrently
    on ``threads`` threads, see :func:`~sanctionwatch.detectors.schedule.run_scheduled`; not
    ``workers``, which Dask's ``Client.map`` takes as worker restrictions).

    ``global_events``: stage-2 events by detector name (cross-vessel, all partitions); each
    detector gets, as ``prior_events``, the events of the detectors before it — global ones
    whole, per-vessel ones of this partition (they only ever link events of the same vessel).
    """
    tracks = lake.tracks(part)
    reports = lake.reports(part)
    reports = (
        reports.sort(["mmsi", "timestamp", "source", "record"], maintain_order=True)
        if reports.height
        else _empty_reports()
    )
    data = DetectionInput(tracks=tracks, reports=reports, reference=reference,
                          removed=lake.removed(part), input_spans=_spans_frame(spans))
    regs = detectors()
    run = [n for n in regs if (not only or n in only) and n not in CROSS_VESSEL]
    given = {n: ev for n, ev in global_events.items() if n in regs}
    ps: dict[str, Params | None] = {n: params.get(n) for n in run}
    p = ps.get("identity_change")
    if p is not None and hasattr(p, "shared_imo"):
        ps["identity_change"] = dataclasses.replace(cast(Any, p), shared_imo=False)
    own = run_scheduled(regs, data, ps, run=run, given=given, workers=threads)
    return pl.concat(list(own.values()), how="vertical") if own else EVENTS.empty()


def _empty_reports() -> pl.DataFrame:
    from sanctionwatch.schema import VESSEL_REPORTS

    return VESSEL_REPORTS.empty()


def combine(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate owned events, drop any id seen twice, sort like ``run_detectors``."""
    frames = [f for f in frames if f.height]
    if not frames:
        return EVENTS.empty()
    ev = pl.concat(frames, how="vertical").unique("event_id", keep="first", maintain_order=True)
    return ev.sort(["start_time", "event_type", "mmsi", "event_id"])


__all__ = [
    "CROSS_VESSEL",
    "EncounterHalo",
    "EncounterJob",
    "PartitionStats",
    "combine",
    "encounter_group",
    "encounter_plan",
    "encounter_window",
    "merge_spans",
    "needs_wider_view",
    "prepare_partition",
    "shared_imo_events",
    "vessel_partition",
]
