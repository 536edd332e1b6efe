"""GeoParquet 1.1 of events and tracks: Parquet with a WKB ``geometry`` column and the
``geo`` file metadata (https://geoparquet.org/releases/v1.1.0/), readable by GDAL, GeoPandas,
DuckDB spatial and QGIS. Coordinates are longitude, latitude on WGS 84 (``OGC:CRS84``, the
GeoParquet default, so no ``crs`` is written)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

GEOPARQUET_VERSION = "1.1.0"


def _table_with_geometry(table: pa.Table, geoms: list[Any]) -> pa.Table:
    wkb = shapely.to_wkb(geoms, output_dimension=2) if geoms else []
    types = sorted({g.geom_type for g in geoms if g is not None})
    valid = [g for g in geoms if g is not None]
    bounds = list(shapely.total_bounds(valid)) if valid else []
    out = table.append_column("geometry", pa.array(list(wkb), pa.binary()))
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": types}
    if bounds and all(b == b for b in bounds):
        column["bbox"] = [float(b) for b in bounds]
    geo = {"version": GEOPARQUET_VERSION, "primary_column": "geometry",
           "columns": {"geometry": column}}
    return out.replace_schema_metadata({**(out.schema.metadata or {}),
                                        b"geo": json.dumps(geo).encode()})


def event_geometries(events: pl.DataFrame) -> list[Any]:
    """Per event: a LineString from start to end when both are known and differ, else a Point,
    else None."""
    out: list[Any] = []
    for lat, lon, elat, elon in zip(events["lat"], events["lon"], events["end_lat"],
                                    events["end_lon"], strict=True):
        if lat is None or lon is None:
            out.append(None)
        elif elat is not None and elon is not None and (elat, elon) != (lat, lon):
            out.append(shapely.LineString([(lon, lat), (elon, elat)]))
        else:
            out.append(shapely.Point(lon, lat))
    return out


def write_events_geoparquet(events: pl.DataFrame, target: Path | IO[bytes]) -> None:
    """Write events (every column) with their geometry as GeoParquet."""
    table = _table_with_geometry(events.to_arrow(), event_geometries(events))
    pq.write_table(table, target)


def write_tracks_geoparquet(tracks: Iterable[Mapping[str, Any]],
                            target: Path | IO[bytes]) -> None:
    """Write tracks (``mmsi``, ``track_id``, ``times``, ``coordinates``) as GeoParquet: one
    row per track, a LineString (a Point for one position), its first and last time."""
    rows = list(tracks)
    geoms = [shapely.LineString(t["coordinates"]) if len(t["coordinates"]) > 1
             else shapely.Point(t["coordinates"][0]) for t in rows]
    table = pa.table({
        "mmsi": pa.array([int(t["mmsi"]) for t in rows], pa.int64()),
        "track_id": pa.array([int(t["track_id"]) for t in rows], pa.int64()),
        "start_time": pa.array([t["times"][0] if t["times"] else None for t in rows],
                               pa.string()),
        "end_time": pa.array([t["times"][-1] if t["times"] else None for t in rows],
                             pa.string()),
        "n_positions": pa.array([len(t["coordinates"]) for t in rows], pa.int64()),
    })
    pq.write_table(_table_with_geometry(table, geoms), target)


__all__ = ["event_geometries", "write_events_geoparquet", "write_tracks_geoparquet"]
