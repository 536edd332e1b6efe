"""Places learnt from the data: berths and anchorages where many distinct ships stop for long.

Global Fishing Watch finds the world's anchorages this way, whether or not the World Port Index
knows them (pipe-anchorages, DETECTION.md 1.4): cut the sea into cells of about 0.5 km, find
where vessels were stationary (within 0.5 km) for long, and call a cell an anchorage when
enough distinct vessels were stationary in it; name it after a WPI port within 4 km. The same
here, over the positions of one run (:class:`~sanctionwatch.tracks.prepare.PrepareParams`
holds the thresholds):

1. A **stay** is a run of consecutive slow positions (SOG below ``place_speed_knots``, or no
   SOG) of one ship MMSI, without a silence of :data:`MAX_SILENCE_H` or more, whose positions
   all lie within ``place_cell_m`` of their median position and whose first and last
   positions are at least ``place_min_stationary_h`` apart.
2. Each stay falls in the cell of its median position (cells ``place_cell_m`` high, and as
   wide at that latitude). A cell where at least ``place_min_vessels`` distinct MMSIs stayed
   is a **place cell**.
3. Place cells within :data:`NAMING_RADIUS_KM` of one another form one **place**. Where
   detectors use it (:func:`with_places`), it takes the name and country of the nearest
   shipped port (World Port Index or GFW anchorage) within that radius, or stays unnamed: a
   harbour the port list does not know.
4. What the place is (``kind``): ``berth`` when most of its stays reported "moored"
   (navigational status 5, ITU-R M.1371), ``anchorage`` when most reported "at anchor" (1),
   else ``stopping_place`` (the feed carries no status).

Computed once per run from every raw position (:func:`sanctionwatch.tracks.context.run_context`),
so every engine, whatever its partitioning, learns the same places.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.geo import EARTH_RADIUS_M, haversine_m_expr
from sanctionwatch.stations import unique_inverse
from sanctionwatch.tracks.prepare import mmsi_time_order, row_index
from sanctionwatch.units import US_PER_H

if TYPE_CHECKING:
    from sanctionwatch.reference import ReferenceData
    from sanctionwatch.tracks.prepare import PrepareParams

NAMING_RADIUS_KM = 4.0
"""Place cells this close form one place, and a place this close to a shipped port takes its
name: GFW names an anchorage after a World Port Index port within 4 km (DETECTION.md 1.4)."""

MAX_SILENCE_H = 6.0
"""A stay does not bridge a silence this long: GFW's naive AIS gap (DETECTION.md 1.7), after
which where the ship was is unknown."""

NAV_MOORED, NAV_AT_ANCHOR = 5, 1
"""Navigational status codes "moored" and "at anchor" (ITU-R M.1371 table 45)."""

PLACES_SCHEMA: dict[str, pl.DataType] = {
    "place_id": pl.String(),
    "kind": pl.String(),
    "lat": pl.Float64(),
    "lon": pl.Float64(),
    "n_vessels": pl.UInt32(),
    "n_stays": pl.UInt32(),
    "stationary_h": pl.Float64(),
}
"""Columns of :attr:`RunContext.places <sanctionwatch.tracks.context.RunContext.places>`: one
row per place cell. ``place_id`` names the place the cell belongs to (``"lat,lon"`` of its
busiest cell, 3 decimals); ``kind`` what it is (module docstring, step 4); ``lat``/``lon``
the mean of its stays' positions; ``n_vessels`` distinct MMSIs that stayed, ``n_stays``
their stays, ``stationary_h`` their total time."""

IntArray = npt.NDArray[np.int64]

_DEG_M = math.pi * EARTH_RADIUS_M / 180.0


def _stays(positions: pl.LazyFrame, p: PrepareParams) -> pl.DataFrame:
    """One row per stay (module docstring, step 1): ``mmsi, lat, lon, hours, moored,
    anchored``."""
    pos = positions.select("mmsi", "timestamp", "lat", "lon", "sog_knots", "nav_status"
                           ).collect()
    if pos.height == 0 or pos["mmsi"].null_count() or pos["timestamp"].null_count():
        return _stays_lazy(pos.lazy(), p)
    uniq, inverse = unique_inverse(pos["mmsi"].to_numpy())
    order = mmsi_time_order(inverse, uniq.size, pos["timestamp"].dt.epoch("us").to_numpy(), None)
    return stays_sorted(pos, order, slow_mask(pos["sog_knots"], p), p)


def slow_mask(sog_knots: pl.Series, p: PrepareParams) -> npt.NDArray[np.bool_]:
    """Per position: slow enough for a stay (SOG below ``place_speed_knots``, or no SOG)."""
    return (sog_knots.is_null() | (sog_knots < p.place_speed_knots)).fill_null(False
                                                                               ).to_numpy()


def stays_sorted(pos: pl.DataFrame, order: IntArray, slow: npt.NDArray[np.bool_],
                 p: PrepareParams, m_sorted: IntArray | None = None,
                 t_sorted: IntArray | None = None) -> pl.DataFrame:
    """:func:`_stays` of the rows ``order`` of ``pos`` (``mmsi, timestamp, lat, lon,
    nav_status``; no null MMSI or time), ``order`` sorting them by MMSI and time, ``slow``
    (:func:`slow_mask`) per row of ``pos``; ``m_sorted``, ``t_sorted``: the MMSI and time
    (µs) of the rows ``order`` when the caller has them.

    Runs are cut on the MMSI's distinct instants (slow only when every position at that
    instant is): the order of rows tied on MMSI and time does not matter, so every engine,
    whatever order its rows come in, finds the same stays.
    """
    empty = pl.DataFrame(schema={"mmsi": pl.Int64, "lat": pl.Float64, "lon": pl.Float64,
                                 "hours": pl.Float64, "moored": pl.UInt32,
                                 "anchored": pl.UInt32})
    n = order.size
    if n == 0:
        return empty
    m = pos["mmsi"].to_numpy()[order] if m_sorted is None else m_sorted
    t = pos["timestamp"].dt.epoch("us").to_numpy()[order] if t_sorted is None else t_sorted
    new_inst = np.ones(n, dtype=bool)
    new_inst[1:] = (m[1:] != m[:-1]) | (t[1:] != t[:-1])
    first = np.flatnonzero(new_inst)
    inst_slow = np.logical_and.reduceat(slow[order], first)
    im, it = m[first], t[first]
    # a run breaks at a new MMSI, after a silence, or after an instant that was not slow
    brk = np.ones(first.size, dtype=bool)
    brk[1:] = ((im[1:] != im[:-1]) | (it[1:] - it[:-1] >= int(MAX_SILENCE_H * US_PER_H))
               | ~inst_slow[:-1])
    run = np.cumsum(brk)
    size = np.diff(np.r_[first, n])
    # the rows of slow instants, with their run
    keep = np.flatnonzero(np.repeat(inst_slow, size))
    if keep.size == 0:
        return empty
    rows = order[keep]
    run_r = np.repeat(run[inst_slow], size[inst_slow])
    nav = pos["nav_status"][row_index(rows)]
    runs = pl.DataFrame({"_run": run_r, "lat": _values(pos["lat"])[rows],
                         "lon": _values(pos["lon"])[rows]}).with_columns(
        pl.Series("_is_moored", nav == NAV_MOORED),
        pl.Series("_is_anchored", nav == NAV_AT_ANCHOR))
    medians = runs.group_by("_run").agg(pl.col("lat").median().alias("_clat"),
                                        pl.col("lon").median().alias("_clon")).sort("_run")
    # rows are grouped by run, in run order: each run's centre spread over its rows
    starts = np.flatnonzero(np.r_[True, run_r[1:] != run_r[:-1]])
    counts = np.diff(np.r_[starts, keep.size])
    centre = runs.with_columns(
        pl.Series("_clat", np.repeat(medians["_clat"].to_numpy(), counts)),
        pl.Series("_clon", np.repeat(medians["_clon"].to_numpy(), counts)),
    ).select(
        haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("_clat"), pl.col("_clon"))
        .alias("_d"),
        pl.col("_is_moored").fill_null(False).cast(pl.Int64),
        pl.col("_is_anchored").fill_null(False).cast(pl.Int64),
    )
    ends = np.r_[starts[1:], keep.size] - 1
    tr = t[keep]
    min_us = int(p.place_min_stationary_h * 3_600_000_000)
    stays = pl.DataFrame({
        "mmsi": m[keep][starts],
        "lat": medians["_clat"], "lon": medians["_clon"],
        "_us": tr[ends] - tr[starts],
        "_extent_m": np.maximum.reduceat(centre["_d"].to_numpy(), starts),
        "moored": np.add.reduceat(centre["_is_moored"].to_numpy(), starts).astype(np.uint32),
        "anchored": np.add.reduceat(centre["_is_anchored"].to_numpy(), starts
                                    ).astype(np.uint32),
    })
    return stays.filter((pl.col("_us") >= min_us) & (pl.col("_extent_m") <= p.place_cell_m)
                        ).select("mmsi", "lat", "lon",
                                 (pl.col("_us") / 3_600_000_000).alias("hours"),
                                 "moored", "anchored")


def _values(column: pl.Series) -> npt.NDArray[np.float64]:
    """A float column's values (NaN for null; no copy for one chunk without nulls)."""
    return column.to_numpy()


def _stays_lazy(positions: pl.LazyFrame, p: PrepareParams) -> pl.DataFrame:
    """:func:`_stays` in Polars alone: for null MMSIs or times."""
    silence = pl.duration(microseconds=int(MAX_SILENCE_H * 3_600_000_000))
    slow = pl.col("sog_knots").is_null() | (pl.col("sog_knots") < p.place_speed_knots)
    pos = positions.select("mmsi", "timestamp", "lat", "lon", "sog_knots", "nav_status"
                           ).with_columns(slow.alias("_slow"))
    instants = (
        pos.group_by("mmsi", "timestamp").agg(pl.col("_slow").all())
        .sort("mmsi", "timestamp")
    )
    breaks = (
        (pl.col("mmsi") != pl.col("mmsi").shift(1))
        | (pl.col("timestamp") - pl.col("timestamp").shift(1) >= silence)
        | ~pl.col("_slow").shift(1)
    ).fill_null(True)
    run_of = instants.with_columns(breaks.cum_sum().alias("_run")).filter(pl.col("_slow")
                                                                          ).drop("_slow")
    runs = pos.filter(pl.col("_slow")).join(run_of, on=["mmsi", "timestamp"])
    medians = runs.group_by("_run").agg(pl.col("lat").median().alias("_clat"),
                                        pl.col("lon").median().alias("_clon"))
    centre = runs.join(medians, on="_run")
    min_us = int(p.place_min_stationary_h * 3_600_000_000)
    stays = (
        centre.group_by("_run")
        .agg(
            pl.col("mmsi").first(),
            pl.col("_clat").first().alias("lat"),
            pl.col("_clon").first().alias("lon"),
            ((pl.col("timestamp").max() - pl.col("timestamp").min()).dt.total_microseconds()
             ).alias("_us"),
            haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("_clat"), pl.col("_clon"))
            .max().alias("_extent_m"),
            (pl.col("nav_status") == NAV_MOORED).sum().alias("moored"),
            (pl.col("nav_status") == NAV_AT_ANCHOR).sum().alias("anchored"),
        )
        .filter((pl.col("_us") >= min_us) & (pl.col("_extent_m") <= p.place_cell_m))
        .select("mmsi", "lat", "lon", (pl.col("_us") / 3_600_000_000).alias("hours"),
                "moored", "anchored")
    )
    return stays.collect()


def _cells(stays: pl.DataFrame, cell_m: float) -> pl.DataFrame:
    """``stays`` with their cell: ``cell_i`` (latitude row) and ``cell_j`` (column, its width
    ``cell_m`` at the row's central latitude, so cells stay about square at any latitude)."""
    dlat = cell_m / _DEG_M
    row = (pl.col("lat") / dlat).floor()
    centre_lat = (row + 0.5) * dlat
    dlon = dlat / centre_lat.radians().cos().clip(lower_bound=1e-6)
    return stays.with_columns(
        row.cast(pl.Int64).alias("cell_i"),
        (pl.col("lon") / dlon).floor().cast(pl.Int64).alias("cell_j"),
    )


def _cell_sums(stays: pl.DataFrame) -> pl.DataFrame:
    """Per cell (``cell_i, cell_j``, in order): distinct vessels, stays, their total hours,
    mean position and status counts. Sums run over the stays in a fixed order (NumPy
    ``reduceat``), not a Polars group-by whose float sums may differ in the last bit from call
    to call: every engine must learn the very same places."""
    st = stays.sort("cell_i", "cell_j", "mmsi", "lat", "lon", "hours")
    key = st.select("cell_i", "cell_j")
    first = np.flatnonzero(np.r_[True, (key.to_numpy()[1:] != key.to_numpy()[:-1]).any(axis=1)])
    n = np.diff(np.r_[first, st.height])

    def total(col: str) -> npt.NDArray[np.float64]:
        return np.add.reduceat(st[col].cast(pl.Float64).to_numpy(), first)

    vessels = st.select(pl.struct("cell_i", "cell_j", "mmsi").is_first_distinct()).to_series()
    return key[first].with_columns(
        pl.Series("n_vessels", np.add.reduceat(vessels.cast(pl.UInt32).to_numpy(), first),
                  dtype=pl.UInt32),
        pl.Series("n_stays", n, dtype=pl.UInt32),
        pl.Series("stationary_h", total("hours")),
        pl.Series("lat", total("lat") / n),
        pl.Series("lon", total("lon") / n),
        pl.Series("moored", total("moored")),
        pl.Series("anchored", total("anchored")),
    )


def learn_places(positions: pl.LazyFrame, params: PrepareParams) -> pl.DataFrame:
    """The places of ``positions`` (raw POSITIONS rows of ship MMSIs at valid coordinates, any
    order): :data:`PLACES_SCHEMA` rows sorted by ``place_id``, ``lat``, ``lon``."""
    return places_of_stays(_stays(positions, params), params)


def places_of_stays(stays: pl.DataFrame, params: PrepareParams) -> pl.DataFrame:
    """:func:`learn_places` from the stays (:func:`stays_sorted`) of the positions."""
    p = params
    if stays.height == 0:
        return pl.DataFrame(schema=PLACES_SCHEMA)
    cells = _cell_sums(_cells(stays, p.place_cell_m)).filter(
        pl.col("n_vessels") >= p.place_min_vessels)
    if cells.height == 0:
        return pl.DataFrame(schema=PLACES_SCHEMA)
    group = _groups(cells["lat"].to_numpy(), cells["lon"].to_numpy(), NAMING_RADIUS_KM)
    cells = cells.with_columns(pl.Series("_group", group))
    per_group = (
        cells.sort("_group", "n_vessels", "stationary_h", "cell_i", "cell_j",
                   descending=[False, True, True, False, False])
        .group_by("_group", maintain_order=True)
        .agg(
            pl.col("lat").first().alias("_id_lat"),
            pl.col("lon").first().alias("_id_lon"),
            pl.col("moored").sum().alias("_moored"),
            pl.col("anchored").sum().alias("_anchored"),
            pl.col("n_stays").sum().alias("_stays"),
        )
    )
    half = pl.col("_stays") / 2
    per_group = per_group.with_columns(
        pl.Series("place_id", [f"{a:.3f},{b:.3f}" for a, b in
                               zip(per_group["_id_lat"], per_group["_id_lon"], strict=True)],
                  dtype=pl.String),
        pl.when(pl.col("_moored") > half).then(pl.lit("berth"))
        .when(pl.col("_anchored") > half).then(pl.lit("anchorage"))
        .otherwise(pl.lit("stopping_place")).alias("kind"),
    )
    out = cells.join(per_group.select("_group", "place_id", "kind"), on="_group")
    return out.select(list(PLACES_SCHEMA)).cast(pl.Schema(PLACES_SCHEMA)).sort(
        "place_id", "lat", "lon")


def with_places(reference: ReferenceData, places: pl.DataFrame | None) -> ReferenceData:
    """``reference`` with the learnt ``places`` (:data:`PLACES_SCHEMA`) added to its ports, so
    the detectors that look for ports and anchorages see them too.

    Each place cell becomes a :class:`~sanctionwatch.reference.Port` of kind ``learnt_`` +
    the place's ``kind``, with its ``place_id``. A place within :data:`NAMING_RADIUS_KM` of a
    shipped port (any of its cells) takes that port's name and country, as GFW names its
    anchorages, so its cells join that port; any other place keeps ``name = place_id`` and an
    empty country: a harbour the port list does not know.
    """
    if places is None or places.height == 0:
        return reference
    key = (id(reference), hash(tuple(places.rows())))
    with _COMBINED_LOCK:
        hit = _COMBINED.get(key)
        if hit is not None and hit[0] is reference:
            return hit[1]
    combined = _combine(reference, places)
    with _COMBINED_LOCK:
        if len(_COMBINED) >= 4:
            _COMBINED.pop(next(iter(_COMBINED)))
        _COMBINED[key] = (reference, combined)
    return combined


_COMBINED: dict[tuple[int, int], tuple[ReferenceData, ReferenceData]] = {}
"""The last few :func:`with_places` results: an engine gives each partition the same reference
and places, and the port index and its proximity masks are worth building once per process."""
_COMBINED_LOCK = threading.Lock()


def _combine(reference: ReferenceData, places: pl.DataFrame) -> ReferenceData:
    """:func:`with_places` without the cache."""
    from sanctionwatch.reference import Port, ReferenceData

    dist, idx = reference.nearest_port(places["lat"].to_numpy(), places["lon"].to_numpy(),
                                       within_km=NAMING_RADIUS_KM)
    named = (
        places.select("place_id").with_columns(pl.Series("_km", dist), pl.Series("_port", idx))
        .filter(pl.col("_km").is_finite())
        .sort("place_id", "_km", "_port")
        .group_by("place_id", maintain_order=True).agg(pl.col("_port").first())
    )
    port_of = dict(zip(named["place_id"], named["_port"], strict=True))
    learnt = []
    for row in places.iter_rows(named=True):
        pid = row["place_id"]
        at = port_of.get(pid)
        near = reference.ports[at] if at is not None else None
        learnt.append(Port(
            name=near.name if near else pid, country_iso3=near.country_iso3 if near else "",
            lat=row["lat"], lon=row["lon"], kind="learnt_" + row["kind"], place_id=pid,
        ))
    return ReferenceData(ports=[*reference.ports, *learnt], shore=reference.shore,
                         zones=reference.zones)


def _groups(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64],
            radius_km: float) -> npt.NDArray[np.int64]:
    """Connected components of the points, two points linked when within ``radius_km``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from sanctionwatch.geo import arc_m_to_chord, to_unit_xyz

    pairs = cKDTree(to_unit_xyz(lat, lon)).query_pairs(
        arc_m_to_chord(radius_km * 1000.0), output_type="ndarray")
    n = lat.size
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


__all__ = ["MAX_SILENCE_H", "NAMING_RADIUS_KM", "PLACES_SCHEMA", "learn_places", "with_places"]
