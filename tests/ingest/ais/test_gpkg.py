"""The GeoPackage reader (``gpkg.py``): geometry blobs, layers, SRS, rejects, strict mode."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path

import numpy as np
import pytest
import shapely

from sanctionwatch.ingest.ais.base import FormatError, IngestError
from sanctionwatch.ingest.ais.gpkg import decode_points, looks_like_gpkg, read_gpkg
from tests.ingest.ais.helpers import BOSTON, GOTHENBURG, SOLENT, Collected, collect


@pytest.mark.parametrize("path", [GOTHENBURG, BOSTON])
def test_gpkg_decoder_matches_shapely(path: Path) -> None:
    con = sqlite3.connect(path)
    layer, col = con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchone()
    blobs = [r[0] for r in con.execute(f'SELECT "{col}" FROM "{layer}" ORDER BY fid')]
    con.close()
    env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
    geoms = shapely.from_wkb([b[8 + env[(b[3] >> 1) & 7]:] for b in blobs])
    got = decode_points(blobs, 4326)
    assert got["_geom_error"].null_count() == len(blobs)
    assert np.array_equal(got["lon"].to_numpy(), shapely.get_x(geoms))
    assert np.array_equal(got["lat"].to_numpy(), shapely.get_y(geoms))


def _gp_point(lon: float, lat: float, *, srs: int = 4326, big_endian: bool = False,
              envelope: bool = False, empty: bool = False) -> bytes:
    order = ">" if big_endian else "<"
    flags = (0 if big_endian else 1) | ((1 << 1) if envelope else 0) | ((1 << 4) if empty else 0)
    head = b"GP" + bytes([0, flags]) + struct.pack(order + "i", srs)
    if envelope:
        head += struct.pack(order + "4d", lon, lon, lat, lat)
    wkb = struct.pack(order + "BI2d", 0 if big_endian else 1, 1, lon, lat)
    return head + wkb


def _make_gpkg(path: Path, rows: list[tuple[int, bytes | None, int, str]], *, srs: int = 4326,
               org: str = "EPSG") -> None:
    con = sqlite3.connect(path)
    con.executescript(f"""
        PRAGMA application_id = 1196444487;
        CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
            organization TEXT, organization_coordsys_id INTEGER, definition TEXT,
            description TEXT);
        INSERT INTO gpkg_spatial_ref_sys VALUES ('x', {srs}, '{org}', {srs}, 'x', 'x');
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT,
            identifier TEXT, description TEXT, last_change TEXT, min_x REAL, min_y REAL,
            max_x REAL, max_y REAL, srs_id INTEGER);
        INSERT INTO gpkg_contents VALUES ('pts', 'features', 'pts', '', '', 0, 0, 0, 0, {srs});
        CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT,
            geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);
        INSERT INTO gpkg_geometry_columns VALUES ('pts', 'geom', 'POINT', {srs}, 0, 0);
        CREATE TABLE pts (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, mmsi INTEGER,
            timestamp TEXT);
    """)
    con.executemany("INSERT INTO pts (fid, geom, mmsi, timestamp) VALUES (?, ?, ?, ?)", rows)
    con.commit()
    con.close()


def test_gpkg_geometry_variants_and_rejects(tmp_path: Path) -> None:
    f = tmp_path / "v.gpkg"
    line = _gp_point(1, 2)[:9] + struct.pack("<I", 2) + b"\x00" * 16  # a "linestring"
    _make_gpkg(f, [
        (10, _gp_point(10.5, 55.25), 211000001, "2024-01-01T00:00:00Z"),
        (11, _gp_point(10.5, 55.25, big_endian=True, envelope=True), 211000001,
         "2024-01-01T00:01:00Z"),
        (12, None, 211000001, "2024-01-01T00:02:00Z"),
        (13, _gp_point(0, 0, empty=True)[:8] + struct.pack("<BI2d", 1, 1, np.nan, np.nan),
         211000001, "2024-01-01T00:03:00Z"),
        (14, b"XX" + _gp_point(1, 2)[2:], 211000001, "2024-01-01T00:04:00Z"),
        (15, line, 211000001, "2024-01-01T00:05:00Z"),
        (16, _gp_point(1, 2, srs=3857), 211000001, "2024-01-01T00:06:00Z"),
        (17, _gp_point(-181.0, 91.0), 211000001, "2024-01-01T00:07:00Z"),
        (18, _gp_point(10.5, 55.25), 211000001, "yesterday"),
        (19, _gp_point(np.nan, 55.25), 211000001, "2024-01-01T00:09:00Z"),
    ])
    assert looks_like_gpkg(f)
    pos, _, rej, _ = collect(read_gpkg(f))
    assert pos.select("record", "lat", "lon").rows() == [
        (10, 55.25, 10.5), (11, 55.25, 10.5), (17, 91.0, -181.0)]
    assert rej.select("record", "reason").rows() == [
        (12, "missing_field"), (13, "missing_field"), (14, "bad_geometry"),
        (15, "bad_geometry"), (16, "bad_geometry"), (18, "bad_timestamp"), (19, "bad_geometry")]
    detail = dict(rej.select("record", "detail").rows())
    assert detail[12] == "geometry is null or empty and there is no static data"
    assert "not a point" in detail[15] and "SRS" in detail[16]


def test_gpkg_other_srs_is_an_error_naming_file_and_layer(tmp_path: Path) -> None:
    f = tmp_path / "merc.gpkg"
    _make_gpkg(f, [(1, _gp_point(1, 2, srs=3857), 1, "2024-01-01T00:00:00")], srs=3857)
    with pytest.raises(FormatError) as exc:
        read_gpkg(f)
    assert str(f) in str(exc.value) and "'pts'" in str(exc.value)
    assert "EPSG:4326" in str(exc.value)


def test_gpkg_layer_selection_and_non_gpkg(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"no point layer 'nope'.*ais_dk_cpa"):
        read_gpkg(GOTHENBURG, layer="nope")
    assert collect(read_gpkg(GOTHENBURG, layer="ais_dk_cpa"))[0].height == 255
    assert not looks_like_gpkg(SOLENT)
    assert not looks_like_gpkg(tmp_path / "missing.gpkg")
    with pytest.raises(FormatError, match="not a GeoPackage"):
        read_gpkg(SOLENT)


def test_gpkg_strict(tmp_path: Path) -> None:
    f = tmp_path / "s.gpkg"
    _make_gpkg(f, [(1, _gp_point(1, 2), 1, "2024-01-01T00:00:00"),
                   (7, _gp_point(1, 2), 1, "nope")])
    with pytest.raises(IngestError, match=r"s.gpkg:7: bad_timestamp"):
        list(read_gpkg(f, strict=True))


def _same(a: Collected, b: Collected) -> None:
    for x, y in zip(a[:3], b[:3], strict=True):
        assert x.equals(y)


def test_batch_split_gpkg() -> None:
    one, seven = collect(read_gpkg(GOTHENBURG)), collect(read_gpkg(GOTHENBURG, batch_rows=7))
    assert seven[3] == 37
    _same(one, seven)
