"""GeoPackage AIS reader: point layers read with stdlib ``sqlite3``, attributes via layouts.

A GeoPackage is an SQLite database. Feature layers are listed in ``gpkg_contents`` and
``gpkg_geometry_columns``; each geometry is a GeoPackage binary blob: a header (magic ``GP``,
version, flags, SRS id, optional envelope) followed by standard WKB. The position comes from
the point geometry; the other columns are mapped by the same layouts as CSV and Parquet
(:class:`~sanctionwatch.ingest.ais.convert.RowConverter`).

Features are fetched in batches of ``batch_rows`` in primary-key order; the point blobs of a
batch are decoded together with NumPy (:func:`decode_points`, linear in the blob bytes).
Memory is bounded by one batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from sanctionwatch.ingest.ais.base import Batch, FormatError
from sanctionwatch.ingest.ais.convert import RowConverter
from sanctionwatch.ingest.ais.layouts import Layout
from sanctionwatch.ingest.ais.sniff import resolve_layout

_SQLITE_MAGIC = b"SQLite format 3\x00"
_GPKG_APP_IDS = (b"GPKG", b"GP10", b"GP11")
_ENVELOPE_BYTES = np.array([0, 32, 48, 48, 64, -1, -1, -1], dtype=np.int64)
_PAD = 8 + 64 + 21  # header + largest envelope + a 2D WKB point: gathers never run past data
_WGS84 = ("EPSG", 4326)


@dataclass(frozen=True)
class PointLayer:
    """A point feature layer of a GeoPackage."""

    table: str
    geometry_column: str
    srs_id: int
    organization: str | None
    organization_coordsys_id: int | None


def looks_like_gpkg(path: str | Path) -> bool:
    """Whether ``path`` is a GeoPackage: an SQLite file with the GeoPackage application id, or
    (older writers leave the id at 0) with a ``gpkg_contents`` table."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(100)
    except OSError:
        return False
    if len(head) < 100 or head[:16] != _SQLITE_MAGIC:
        return False
    if head[68:72] in _GPKG_APP_IDS:
        return True
    try:
        with _connect(path) as con:
            row = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gpkg_contents'"
            ).fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def _connect(path: str | Path) -> sqlite3.Connection:
    con = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    con.text_factory = lambda b: b.decode("utf-8", errors="replace")
    return con


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def point_layers(con: sqlite3.Connection) -> list[PointLayer]:
    """The point feature layers listed in ``gpkg_geometry_columns``."""
    rows = con.execute(
        """
        SELECT g.table_name, g.column_name, g.srs_id, s.organization, s.organization_coordsys_id
        FROM gpkg_geometry_columns g
        JOIN gpkg_contents c ON c.table_name = g.table_name
        LEFT JOIN gpkg_spatial_ref_sys s ON s.srs_id = g.srs_id
        WHERE lower(c.data_type) = 'features' AND upper(g.geometry_type_name) = 'POINT'
        ORDER BY g.table_name
        """
    ).fetchall()
    return [PointLayer(r[0], r[1], int(r[2]), r[3], None if r[4] is None else int(r[4]))
            for r in rows]


def _choose_layer(source: str, con: sqlite3.Connection, layer: str | None) -> PointLayer:
    try:
        layers = point_layers(con)
    # SQLite reports a damaged schema with its bytes in the message, which may not decode
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise FormatError(f"{source}: not a readable GeoPackage: {exc}") from exc
    names = [lay.table for lay in layers]
    if layer is None:
        if len(layers) != 1:
            raise FormatError(
                f"{source}: {len(layers)} point layers ({', '.join(names) or 'none'}); "
                "choose one with layer="
            )
        chosen = layers[0]
    else:
        match = [lay for lay in layers if lay.table == layer]
        if not match:
            raise FormatError(
                f"{source}: no point layer {layer!r} (point layers: {', '.join(names) or 'none'})"
            )
        chosen = match[0]
    org = (chosen.organization or "").upper()
    if (org, chosen.organization_coordsys_id) != _WGS84:
        raise FormatError(
            f"{source}: layer {chosen.table!r} uses SRS {chosen.srs_id} "
            f"({chosen.organization}:{chosen.organization_coordsys_id}); only EPSG:4326 "
            "(WGS 84 longitude/latitude) is supported"
        )
    return chosen


def _gather(data: np.ndarray, pos: np.ndarray, nbytes: int, little: np.ndarray) -> np.ndarray:
    """Bytes ``pos .. pos+nbytes`` of every row, reordered to little-endian."""
    b = data[pos[:, None] + np.arange(nbytes)]
    return np.where(little[:, None], b, b[:, ::-1])


def decode_points(blobs: list[bytes | None], srs_id: int) -> pl.DataFrame:
    """Decode GeoPackage point blobs to ``lat``, ``lon``, ``_has_pos`` and ``_geom_error``.

    Vectorised with NumPy over the concatenated blob bytes rather than one ``shapely``
    object per row: only two doubles per point are needed, at offsets fixed by the header
    flags. x is longitude and y latitude: GeoPackage stores EPSG:4326 in x/y order whatever
    the CRS axis order says.
    """
    n = len(blobs)
    arr = pa.array(blobs, type=pa.large_binary())
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[: n + 1]
    buf = arr.buffers()[2]
    raw = np.frombuffer(buf, dtype=np.uint8) if buf is not None else np.zeros(0, np.uint8)
    data = np.concatenate([raw, np.zeros(_PAD, np.uint8)])
    start = offsets[:-1]
    length = np.diff(offsets)

    magic = (data[start] == 0x47) & (data[start + 1] == 0x50) & (data[start + 2] == 0)
    flags = data[start + 3].astype(np.int64)
    env = _ENVELOPE_BYTES[(flags >> 1) & 7]
    empty = ((flags >> 4) & 1).astype(bool)
    extended = ((flags >> 5) & 1).astype(bool)
    srs = _gather(data, start + 4, 4, (flags & 1).astype(bool)).copy().view("<i4").ravel()
    wkb = start + 8 + np.maximum(env, 0)
    wkb_len = length - 8 - np.maximum(env, 0)
    order = data[wkb]
    little = order == 1
    gtype = _gather(data, wkb + 1, 4, little).copy().view("<u4").ravel().astype(np.int64)
    x = _gather(data, wkb + 5, 8, little).copy().view("<f8").ravel()
    y = _gather(data, wkb + 13, 8, little).copy().view("<f8").ravel()

    errors: list[tuple[np.ndarray, str]] = [
        (length < 8, "geometry blob shorter than a GeoPackage header"),
        (~magic, "not a GeoPackage binary geometry (magic/version)"),
        (env < 0, "invalid envelope indicator in the GeoPackage header"),
        (extended, "extended GeoPackage geometry type is not supported"),
        (~empty & (srs != srs_id), f"geometry SRS id differs from the layer's ({srs_id})"),
        (~empty & (wkb_len < 21), "WKB too short for a point"),
        (~empty & (order > 1), "invalid WKB byte order"),
        # ISO WKB point: 1, 1001 (Z), 2001 (M), 3001 (ZM); x and y come first in all four.
        (~empty & (((gtype & 0x0FFFFFFF) % 1000 != 1) | ((gtype & 0x20000000) != 0)),
         "geometry is not a point"),
        (~empty & (np.isnan(x) != np.isnan(y)), "point with one NaN coordinate"),
    ]
    code = np.full(n, -1, dtype=np.int64)
    for i, (mask, _) in reversed(list(enumerate(errors))):
        code = np.where(mask & valid, i, code)
    bad = code >= 0
    # An empty point is NaN, NaN in WKB: like a null geometry, no position. A malformed blob
    # counts as a position so that it is rejected as bad_geometry rather than ignored.
    ok = valid & ~bad & ~empty & ~(np.isnan(x) & np.isnan(y))
    messages = {i: m for i, (_, m) in enumerate(errors)}
    return pl.DataFrame({
        "lat": pl.Series(np.where(ok, y, np.nan)).fill_nan(None),
        "lon": pl.Series(np.where(ok, x, np.nan)).fill_nan(None),
        "_has_pos": ok | bad,
        "_geom_error": pl.Series(code).replace_strict(messages, default=None,
                                                      return_dtype=pl.String),
    })


def _key_column(con: sqlite3.Connection, table: str) -> str:
    cols = con.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    pks = [c for c in cols if c[5] == 1 and str(c[2]).upper() == "INTEGER"]
    return _quote(pks[0][1]) if len(pks) == 1 and sum(c[5] > 0 for c in cols) == 1 else "rowid"


def read_gpkg(path: str | Path, *, layer: str | None = None,
              layout: str | Layout | None = None, strict: bool = False,
              batch_rows: int = 200_000, latest: datetime | None = None) -> Iterator[Batch]:
    """Stream one point layer of a GeoPackage as canonical batches.

    ``layer`` may be omitted when the file has a single point layer. Only EPSG:4326 layers are
    accepted. ``record`` is the feature id (the layer's integer primary key, as shown by GIS
    tools). The attribute columns are mapped by ``layout`` (sniffed when None), the position is
    the point geometry. A database SQLite cannot read is a :class:`FormatError` naming the
    file.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    source = str(path)
    if not looks_like_gpkg(path):
        raise FormatError(f"{source}: not a GeoPackage")
    con = _connect(path)
    try:
        chosen = _choose_layer(source, con, layer)
        key = _key_column(con, chosen.table)
        info = con.execute(f"PRAGMA table_info({_quote(chosen.table)})").fetchall()
        attrs = [c[1] for c in info
                 if c[1] != chosen.geometry_column and _quote(c[1]) != key]
        lay = resolve_layout(f"{source} (layer {chosen.table})", attrs, layout,
                             provided=("lat", "lon"))
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        con.close()
        raise FormatError(f"{source}: not a readable GeoPackage: {exc}") from exc
    except BaseException:
        con.close()
        raise
    conv = RowConverter(lay, attrs, source, strict=strict, provided=("lat", "lon"),
                        latest=latest)
    return _iter_gpkg(con, chosen, key, attrs, conv, batch_rows, source)


def _iter_gpkg(con: sqlite3.Connection, chosen: PointLayer, key: str, attrs: list[str],
               conv: RowConverter, batch_rows: int, source: str) -> Iterator[Batch]:
    # Values are cast to text in SQL: SQLite columns are dynamically typed, and the layouts
    # parse text, so an odd value becomes a reject of its row like in a CSV.
    select = ", ".join([key, _quote(chosen.geometry_column),
                        *(f"CAST({_quote(a)} AS TEXT)" for a in attrs)])
    try:
        cur = con.execute(f"SELECT {select} FROM {_quote(chosen.table)} ORDER BY {key}")
        while rows := cur.fetchmany(batch_rows):
            cols = list(zip(*rows, strict=True))
            df = pl.DataFrame({a: list(cols[i + 2]) for i, a in enumerate(attrs)},
                              schema={a: pl.String for a in attrs})
            geometry = decode_points(list(cols[1]), chosen.srs_id)
            record = pl.Series("record", list(cols[0]), dtype=pl.Int64)
            yield conv.convert(df, record, geometry=geometry)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise FormatError(f"{source}: cannot read layer {chosen.table!r}: {exc}") from exc
    finally:
        con.close()


__all__ = ["PointLayer", "decode_points", "looks_like_gpkg", "point_layers", "read_gpkg"]
