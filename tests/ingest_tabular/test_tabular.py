"""Tabular AIS readers (CSV layouts, Parquet, GeoPackage) on the real test files."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from sanctionwatch.ingest.ais.base import Batch, IngestError, reject_counts
from sanctionwatch.ingest.ais.gpkg import decode_points, looks_like_gpkg, read_gpkg
from sanctionwatch.ingest.ais.tabular import (
    LAYOUTS,
    REASONS,
    FormatError,
    read_csv,
    read_parquet,
    sniff_layout,
)
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "ais"
MC_PARQUET = DATA / "marinecadastre-20220103" / "AIS_2022_01_03_first99999.parquet"
NOAA_CSV = DATA / "aisdb-testdata" / "test_data_noaa_20230101.csv"
AISDB_CSV = DATA / "aisdb-testdata" / "test_data_20210701.csv"
SOLENT = DATA / "solent-stonesoup" / "SolentAIS_20160112_130211.csv"
DMA = DATA / "dma-aisdk-header-sample" / "test_aisdk_20180208_sample.csv"
GOTHENBURG = DATA / "dma-gothenburg-cpa" / "ais_dk_cpa.gpkg"
BOSTON = DATA / "marinecadastre-boston-2014" / "ais.gpkg"


def collect(batches) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    bs: list[Batch] = list(batches)
    for b in bs:
        assert b.positions.schema == POSITIONS.polars_schema()
        assert b.reports.schema == VESSEL_REPORTS.polars_schema()
        assert b.rejects.schema == REJECTS.polars_schema()
    pos = pl.concat([b.positions for b in bs]) if bs else POSITIONS.empty()
    rep = pl.concat([b.reports for b in bs]) if bs else VESSEL_REPORTS.empty()
    rej = pl.concat([b.rejects for b in bs]) if bs else REJECTS.empty()
    return pos, rep, rej, len(bs)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ counts on every real file

@pytest.mark.parametrize(
    ("path", "reader", "n_pos", "n_mmsi", "n_rep", "rejects"),
    [
        (MC_PARQUET, read_parquet, 99_999, 10_631, 10_643, {}),
        (NOAA_CSV, read_csv, 1_000, 1_000, 998, {}),
        (SOLENT, read_csv, 18_623, 91, 0, {}),
        (AISDB_CSV, read_csv, 2_372, 2_243, 105, {"not_vessel_data": 62}),
        (DMA, read_csv, 10, 10, 0, {}),
        (GOTHENBURG, read_gpkg, 255, 2, 2, {}),
        (BOSTON, read_gpkg, 972, 4, 0, {}),
    ],
    ids=["marinecadastre-parquet", "noaa-csv", "solent", "aisdb", "dma", "gothenburg", "boston"],
)
def test_real_file_counts(path, reader, n_pos, n_mmsi, n_rep, rejects):
    pos, rep, rej, _ = collect(reader(path))
    assert pos.height == n_pos
    assert pos["mmsi"].n_unique() == n_mmsi
    assert rep.height == n_rep
    assert reject_counts([Batch(POSITIONS.empty(), VESSEL_REPORTS.empty(), rej)]) == rejects
    assert set(pos["source"].unique()) <= {str(path)}
    # every record appears once among positions, or only among reports / rejects
    assert pos["record"].is_unique().all()


def test_aisdb_every_message_is_accounted_for():
    pos, rep, rej, _ = collect(read_csv(AISDB_CSV))
    static_only = rep.filter(~pl.col("record").is_in(pos["record"].implode()))
    assert pos.height + static_only.height + rej.height == 2_498
    assert dict(pos["msg_type"].value_counts().sort("msg_type").rows()) == {
        1: 1062, 3: 206, 18: 85, 19: 41, 27: 978}
    # "not available" sentinels are kept for the cleaning step
    assert pos.filter((pl.col("lat") == 91) & (pl.col("lon") == 181)).height == 11


# ------------------------------------------------------------------------ field values

def test_marinecadastre_parquet_values():
    pos, rep, _, _ = collect(read_parquet(MC_PARQUET))
    row = pos.filter(pl.col("record") == 2).row(0, named=True)
    assert row["mmsi"] == 367379190
    assert row["timestamp"] == utc(2022, 1, 3)
    assert (row["lat"], row["lon"]) == (30.3706, -88.56408)
    assert row["sog_knots"] == 0.0 and row["heading_deg"] == 511.0  # sentinel kept
    assert row["nav_status"] == 0 and row["ais_class"] == "A"
    r = rep.filter(pl.col("record") == 2).row(0, named=True)
    assert (r["imo"], r["name"], r["callsign"], r["ship_type"]) == (8207721, "EAGLE", "WTD4583", 31)
    assert (r["length_m"], r["width_m"]) == (28.0, 11.0)
    assert r["draught_m"] == pytest.approx(3.3)
    # a draught change re-emits the static tuple; an unchanged one does not
    chem = rep.filter(pl.col("mmsi") == 271045704).sort("record")
    assert chem["record"].to_list() == [11602, 87096]
    assert chem["draught_m"].round(1).to_list() == pytest.approx([7.6, 8.9])
    assert pos.filter(pl.col("sog_knots") == np.float32(102.3)).height == 173  # kept as given
    assert rep.filter(pl.col("imo") == 0).height == 0  # IMO0000000 -> null


def test_noaa_csv_values():
    pos, rep, _, _ = collect(read_csv(NOAA_CSV))
    row = pos.filter(pl.col("record") == 3).row(0, named=True)
    assert (row["mmsi"], row["nav_status"], row["heading_deg"]) == (636021061, 8, 270.0)
    assert row["sog_knots"] == pytest.approx(8.8)
    r = rep.filter(pl.col("record") == 3).row(0, named=True)
    assert (r["imo"], r["name"], r["callsign"], r["ship_type"]) == (
        9307839, "MSC NAISHA III", "5LCB4", 70)
    assert r["timestamp"] == utc(2023, 1, 11)
    first = rep.filter(pl.col("record") == 2).row(0, named=True)
    assert first["imo"] is None and first["draught_m"] is None  # empty IMO and Draft


def test_solent_corrupt_row_is_ingested_not_rejected():
    pos, _, rej, _ = collect(read_csv(SOLENT))
    assert rej.height == 0
    row = pos.filter(pl.col("record") == 8209).row(0, named=True)
    assert row["mmsi"] == 245188000 and row["lon"] == 54.83172 and row["lat"] == 50.8141
    assert row["timestamp"] == utc(2016, 1, 12, 13, 41, 20, 973000)
    assert pos["timestamp"].min() == utc(2016, 1, 12, 13, 2, 11, 218000)
    assert pos["timestamp"].max() == utc(2016, 1, 12, 14, 26, 41, 924000)


def test_aisdb_values():
    pos, rep, rej, _ = collect(read_csv(AISDB_CSV))
    zonda = rep.filter(pl.col("mmsi") == 538007407).row(0, named=True)
    assert zonda["record"] == 105  # a type 5 message: report only, no position
    assert zonda["timestamp"] == utc(2021, 7, 1, 5, 20, 52)
    assert (zonda["imo"], zonda["name"], zonda["callsign"], zonda["destination"]) == (
        9436472, "GH ZONDA", "V7MF3", "BLUFF")
    assert (zonda["length_m"], zonda["width_m"]) == (231.0, 32.0)  # 182+49, 24+8
    assert zonda["draught_m"] == pytest.approx(8.7)  # decimetres in the file
    assert zonda["ais_class"] == "A"
    assert pos.filter(pl.col("mmsi") == 538007407).height == 0
    # type 19: a position and a report from the same row
    p19 = pos.filter(pl.col("record") == 102).row(0, named=True)
    assert (p19["mmsi"], p19["msg_type"], p19["ais_class"]) == (416084600, 19, "B")
    assert p19["heading_deg"] is None  # "None" in the file
    assert rep.filter(pl.col("record") == 102)["name"].to_list() == ["SHIN SHING SHENGNO23"]
    first = pos.row(0, named=True)
    assert (first["record"], first["mmsi"], first["msg_type"]) == (2, 432905000, 1)
    assert first["timestamp"] == utc(2021, 7, 1, 18, 51, 51)
    bs = rej.filter(pl.col("record") == 49).row(0, named=True)
    assert bs["reason"] == "not_vessel_data" and "type 25" in bs["detail"]
    assert bs["raw"].startswith("548642400,25,3,20210701_143207")


def test_dma_values():
    pos, rep, _, _ = collect(read_csv(DMA))
    assert rep.height == 0  # IMO "Unknown", ship type "Undefined", everything else empty
    first = pos.row(0, named=True)
    assert first["record"] == 2
    assert (first["mmsi"], first["lat"], first["lon"]) == (265177000, 57.602225, 11.644943)
    assert first["timestamp"] == utc(2018, 2, 8)
    assert (first["nav_status"], first["ais_class"]) == (0, "A")
    assert (first["sog_knots"], first["heading_deg"]) == (pytest.approx(15.7), 63.0)
    status = dict(zip(pos["mmsi"].to_list(), pos["nav_status"].to_list(), strict=True))
    assert status[244678000] == 1  # At anchor
    assert status[266065000] == 9  # Reserved for future amendment [HSC]
    assert status[265550210] == 15  # Unknown value
    assert status[265778450] == 7  # Engaged in fishing
    assert pos["timestamp"].max() == utc(2018, 2, 8, 0, 0, 2)


def test_gothenburg_values():
    pos, rep, _, _ = collect(read_gpkg(GOTHENBURG))
    assert dict(zip(rep["mmsi"].to_list(), rep["name"].to_list(), strict=True)) == {
        265410000: "STENA JUTLANDICA", 265550210: "TANKSKAR"}
    assert dict(zip(rep["mmsi"].to_list(), rep["ship_type"].to_list(), strict=True)) == {
        265410000: 60, 265550210: 80}  # Passenger, Tanker
    first = pos.filter(pl.col("record") == 1).row(0, named=True)
    assert first["mmsi"] == 265550210 and first["timestamp"] == utc(2017, 7, 5, 19, 0, 5)
    assert first["lat"] == pytest.approx(57.693498, abs=1e-6)
    assert first["lon"] == pytest.approx(11.845277, abs=1e-6)
    assert first["nav_status"] == 15  # "Unknown value"
    assert pos["timestamp"].min() == utc(2017, 7, 5, 19, 0, 1)
    assert pos["timestamp"].max() == utc(2017, 7, 5, 19, 13, 53)
    assert pos["lon"].min() == pytest.approx(11.804965) and pos["lat"].max() == pytest.approx(
        57.693732)


def test_boston_values():
    pos, _, _, _ = collect(read_gpkg(BOSTON))
    first = pos.row(0, named=True)
    assert (first["record"], first["mmsi"], first["heading_deg"]) == (1, 240000208, 268.0)
    assert first["timestamp"] == utc(2014, 1, 1, 4, 43, 53)
    assert first["sog_knots"] == pytest.approx(1.3)
    assert pos["timestamp"].max() == utc(2014, 1, 7, 17, 18, 14)
    assert pos["lat"].min() == pytest.approx(42.2368, abs=1e-4)
    assert dict(pos["nav_status"].value_counts().rows()) == {0: 910, 1: 62}


@pytest.mark.parametrize("path", [GOTHENBURG, BOSTON])
def test_gpkg_decoder_matches_shapely(path):
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


# ------------------------------------------------------------------------------ sniffing

def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


def test_sniff_real_headers():
    assert sniff_layout(pq.ParquetFile(MC_PARQUET).schema_arrow.names) == "marinecadastre"
    assert sniff_layout(_header(NOAA_CSV)) == "marinecadastre"
    assert sniff_layout([h.strip('"') for h in _header(AISDB_CSV)]) == "aisdb_messages"
    assert sniff_layout(_header(SOLENT)) == "solent"
    assert sniff_layout(_header(DMA)) == "dma_aisdk"


def test_sniff_is_case_and_space_insensitive_and_tolerates_extras():
    assert sniff_layout(["  mmsi ", "BASEDATETIME", "Lat", "lon", "extra"]) == "marinecadastre"
    assert sniff_layout(["#Timestamp", "typeofmobile", "mmsi", "LATITUDE", "longitude"]) == (
        "dma_aisdk")
    assert sniff_layout(POSITIONS.names) == "canonical"
    assert sniff_layout(["mmsi", "timestamp", "lat", "lon", "imo", "name", "flag"]) == "canonical"
    assert sniff_layout(["id", "x", "y"]) is None
    assert sniff_layout(["MMSI", "Time", "Latitude", "Longitude"]) is None  # no Message_ID


def test_unknown_header_is_a_clear_error(tmp_path):
    f = tmp_path / "odd.csv"
    f.write_text("ship,when,y,x\n1,2,3,4\n")
    with pytest.raises(FormatError) as exc:
        read_csv(f)
    msg = str(exc.value)
    assert str(f) in msg
    for name in LAYOUTS:
        assert name in msg


def test_forced_layout_missing_columns(tmp_path):
    with pytest.raises(FormatError, match="BaseDateTime"):
        read_csv(SOLENT, layout="marinecadastre")
    with pytest.raises(FormatError, match="unknown layout 'nope'"):
        read_csv(SOLENT, layout="nope")


# --------------------------------------------------------------------- malformed input

MALFORMED = """mmsi,timestamp,lat,lon,sog_knots,name
211000001,2024-01-01T00:00:00Z,54.0,10.0,5.5,alpha
211000001,2024-01-01 00:10:00,54.1,10.1,5.0,ALPHA
211000001,not-a-time,54.2,10.2,5.0,ALPHA
211000002,2024-01-01T00:00:00,,10.0,1.0,

211000003,2024-01-01T00:00:00,54.0
abc,2024-01-01T00:00:00,54.0,10.0,1,
211000004,2024-01-01T00:00:00,north,10.0,1,
211000005,2024-01-01T00:00:00,,,,BRAVO
211000001,2024-01-01T00:20:00+01:00,54.3,10.3,5.0,ALPHA II
,2024-01-01T00:00:00,54.0,10.0,1,
211000006,,54.0,10.0,1,
211000007,2024-01-01T00:00:00,,,,
"""


@pytest.fixture
def malformed(tmp_path) -> Path:
    f = tmp_path / "malformed.csv"
    f.write_text(MALFORMED)
    return f


def test_malformed_csv_rejects_with_line_numbers(malformed):
    pos, rep, rej, _ = collect(read_csv(malformed))
    assert pos["record"].to_list() == [2, 3, 11]
    assert pos["timestamp"].to_list() == [
        utc(2024, 1, 1), utc(2024, 1, 1, 0, 10), utc(2023, 12, 31, 23, 20)]
    assert rep["record"].to_list() == [2, 10, 11]  # first, static-only, changed name
    assert rep["name"].to_list() == ["ALPHA", "BRAVO", "ALPHA II"]
    assert dict(zip(rej["record"].to_list(), rej["reason"].to_list(), strict=True)) == {
        4: "bad_timestamp", 5: "missing_field", 6: "empty_row", 7: "bad_row", 8: "bad_mmsi",
        9: "bad_coordinate", 12: "missing_field", 13: "missing_field", 14: "missing_field"}
    by_line = {r["record"]: r for r in rej.iter_rows(named=True)}
    assert by_line[4]["detail"] == "timestamp='not-a-time'"
    assert by_line[4]["raw"] == "211000001,not-a-time,54.2,10.2,5.0,ALPHA"
    assert by_line[5]["detail"] == "lat is empty"
    assert by_line[7]["detail"] == "expected 6 fields, found 3"
    assert by_line[7]["raw"] == "211000003,2024-01-01T00:00:00,54.0"
    assert by_line[9]["detail"] == "lat='north'"
    assert by_line[12]["detail"] == "mmsi is empty"
    assert by_line[13]["detail"] == "timestamp is empty"
    assert "no static data" in by_line[14]["detail"]
    assert rej["source"].unique().to_list() == [str(malformed)]


def test_strict_raises_with_file_and_line(malformed):
    with pytest.raises(IngestError) as exc:
        list(read_csv(malformed, strict=True))
    assert str(exc.value).startswith(f"{malformed}:4: bad_timestamp")
    assert (exc.value.record, exc.value.reason) == (4, "bad_timestamp")


def test_strict_raises_on_bad_row_first_when_it_comes_first(tmp_path):
    f = tmp_path / "short.csv"
    f.write_text("Time,MMSI,Latitude_degrees,Longitude_degrees,COG_degrees,SOG_knots\n"
                 "2016-01-12 13:02:11.218,235070762,50.77,-1.09,157.8,5.9\n"
                 "2016-01-12 13:02:11.218,235070762\n"
                 "bad,235070762,50.77,-1.09,157.8,5.9\n")
    with pytest.raises(IngestError, match=r"short.csv:3: bad_row"):
        list(read_csv(f, strict=True))


def test_trailing_bad_rows_after_the_last_good_row(tmp_path):
    f = tmp_path / "tail.csv"
    f.write_text("mmsi,timestamp,lat,lon\n211000001,2024-01-01T00:00:00,1,2\n1,2\n3\n")
    pos, _, rej, _ = collect(read_csv(f, batch_rows=1))
    assert pos["record"].to_list() == [2]
    assert rej["record"].to_list() == [3, 4] and set(rej["reason"]) == {"bad_row"}


def _same(a: tuple, b: tuple) -> None:
    for x, y in zip(a[:3], b[:3], strict=True):
        assert x.equals(y)


@pytest.mark.parametrize(("path", "rows"), [(DMA, 7), ("malformed", 7), (SOLENT, 7_000),
                                           (AISDB_CSV, 250)])
def test_batch_split_gives_the_same_result(path, rows, malformed):
    p = malformed if path == "malformed" else path
    one = collect(read_csv(p))
    split = collect(read_csv(p, batch_rows=rows))
    assert one[3] == 1 and split[3] > 1
    _same(one, split)


def test_batch_split_parquet_and_gpkg():
    _same(collect(read_parquet(MC_PARQUET)), collect(read_parquet(MC_PARQUET, batch_rows=7_000)))
    one, seven = collect(read_gpkg(GOTHENBURG)), collect(read_gpkg(GOTHENBURG, batch_rows=7))
    assert seven[3] == 37
    _same(one, seven)


# ----------------------------------------------------------------------- other formats

def test_gzip_csv(tmp_path):
    gz = tmp_path / "solent.csv.gz"
    with SOLENT.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    pos, _, _, _ = collect(read_csv(gz))
    assert pos.height == 18_623 and pos.filter(pl.col("record") == 8209)["mmsi"][0] == 245188000


def test_semicolon_and_unnamed_columns(tmp_path):
    f = tmp_path / "semi.csv"
    f.write_text(";;Time;MMSI;Latitude_degrees;Longitude_degrees;COG_degrees;SOG_knots\n"
                 "0;x;2016-01-12 13:02:11;235070762;50.5;-1.2;10;3\n")
    pos, _, _, _ = collect(read_csv(f))
    assert pos.select("mmsi", "lat", "lon").row(0) == (235070762, 50.5, -1.2)


def test_dma_non_vessel_rows(tmp_path):
    header = DMA.read_text().splitlines()[0]
    f = tmp_path / "dma.csv"
    f.write_text(header + "\n"
                 "1,08/02/2018 00:00:00,Base Station,2190047,57.1,11.1,Unknown value,,,,,"
                 "Unknown,,,Undefined,,,,GPS,,,,AIS\n"
                 "2,08/02/2018 00:00:00,Class B,219000001,57.1,11.1,Unknown value,,1.0,,,"
                 "9074729,OXYZ2,  My Boat ,Tanker,,10,50,GPS,4.5,SKAGEN,,AIS\n"
                 "3,31/02/2018 00:00:00,Class A,219000002,57.1,11.1,Moored,,,,,"
                 "Unknown,,,Cargo,,,,GPS,,,,AIS\n")
    pos, rep, rej, _ = collect(read_csv(f))
    assert rej.select("record", "reason").rows() == [(2, "not_vessel_data"), (4, "bad_timestamp")]
    assert pos.select("mmsi", "ais_class").rows() == [(219000001, "B")]
    r = rep.row(0, named=True)
    assert (r["imo"], r["name"], r["callsign"], r["ship_type"]) == (9074729, "MY BOAT", "OXYZ2", 80)
    assert (r["width_m"], r["length_m"], r["draught_m"], r["destination"]) == (
        10.0, 50.0, 4.5, "SKAGEN")


def test_canonical_parquet_with_typed_columns(tmp_path):
    f = tmp_path / "canon.parquet"
    t = pa.table({
        "mmsi": pa.array([211000001, 211000001, None], pa.int64()),
        "timestamp": pa.array([utc(2024, 1, 1), utc(2024, 1, 1, 1), utc(2024, 1, 1, 2)],
                              pa.timestamp("us", tz="UTC")),
        "lat": [54.0, 54.1, 54.2], "lon": [10.0, 10.1, 10.2],
        "nav_status": pa.array([0, 1, 1], pa.int8()),
        "name": ["ALPHA", "ALPHA", "ALPHA"], "imo": [9074729, 9074729, 9074729],
        "flag": ["de", "de", "de"],
        "tags": [[1], [2], [3]],  # nested: ignored
    })
    pq.write_table(t, f, row_group_size=2)
    pos, rep, rej, n = collect(read_parquet(f, batch_rows=1))
    assert n == 3
    assert pos.select("record", "nav_status").rows() == [(1, 0), (2, 1)]
    assert pos["timestamp"].to_list() == [utc(2024, 1, 1), utc(2024, 1, 1, 1)]
    assert rep.select("record", "imo", "flag").rows() == [(1, 9074729, "DE")]
    assert rej.select("record", "reason", "detail").rows() == [
        (3, "missing_field", "mmsi is empty")]


# -------------------------------------------------------------------------- GeoPackage

def _gp_point(lon: float, lat: float, *, srs: int = 4326, big_endian: bool = False,
              envelope: bool = False, empty: bool = False) -> bytes:
    order = ">" if big_endian else "<"
    flags = (0 if big_endian else 1) | ((1 << 1) if envelope else 0) | ((1 << 4) if empty else 0)
    head = b"GP" + bytes([0, flags]) + struct.pack(order + "i", srs)
    if envelope:
        head += struct.pack(order + "4d", lon, lon, lat, lat)
    wkb = struct.pack(order + "BI2d", 0 if big_endian else 1, 1, lon, lat)
    return head + wkb


def _make_gpkg(path: Path, rows: list[tuple], *, srs: int = 4326, org: str = "EPSG") -> None:
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


def test_gpkg_geometry_variants_and_rejects(tmp_path):
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


def test_gpkg_other_srs_is_an_error_naming_file_and_layer(tmp_path):
    f = tmp_path / "merc.gpkg"
    _make_gpkg(f, [(1, _gp_point(1, 2, srs=3857), 1, "2024-01-01T00:00:00")], srs=3857)
    with pytest.raises(FormatError) as exc:
        read_gpkg(f)
    assert str(f) in str(exc.value) and "'pts'" in str(exc.value)
    assert "EPSG:4326" in str(exc.value)


def test_gpkg_layer_selection_and_non_gpkg(tmp_path):
    with pytest.raises(FormatError, match=r"no point layer 'nope'.*ais_dk_cpa"):
        read_gpkg(GOTHENBURG, layer="nope")
    assert collect(read_gpkg(GOTHENBURG, layer="ais_dk_cpa"))[0].height == 255
    assert not looks_like_gpkg(SOLENT)
    assert not looks_like_gpkg(tmp_path / "missing.gpkg")
    with pytest.raises(FormatError, match="not a GeoPackage"):
        read_gpkg(SOLENT)


def test_gpkg_strict(tmp_path):
    f = tmp_path / "s.gpkg"
    _make_gpkg(f, [(1, _gp_point(1, 2), 1, "2024-01-01T00:00:00"),
                   (7, _gp_point(1, 2), 1, "nope")])
    with pytest.raises(IngestError, match=r"s.gpkg:7: bad_timestamp"):
        list(read_gpkg(f, strict=True))


# -------------------------------------------------------------------------------- docs

def test_doc_lists_every_layout_and_reason():
    text = (ROOT / "docs" / "ingest-tabular.md").read_text()
    for layout in LAYOUTS.values():
        assert layout.markdown() in text, f"docs/ingest-tabular.md: stale table for {layout.name}"
    for reason in REASONS:
        assert f"`{reason}`" in text


def _num(text, cast):
    """Reference parsing of an optional MarineCadastre number: empty or 0 is null."""
    return cast(text) if text and float(text) else None


def test_report_dedup_matches_a_row_by_row_reference():
    """A plain Python loop over the rows gives the same report records as the reader."""
    _, rep, _, _ = collect(read_parquet(MC_PARQUET, batch_rows=30_000))
    last: dict[int, tuple] = {}
    expected = []
    raw = pl.read_parquet(MC_PARQUET).with_row_index("record", offset=1)
    for r in raw.iter_rows(named=True):
        static = (
            _num(r["IMO"] and r["IMO"].removeprefix("IMO"), int),
            (r["VesselName"] or "").strip() or None,
            r["CallSign"] or None,
            _num(r["VesselType"], int),
            r["Draft"] or None,
            _num(r["Length"], float),
            _num(r["Width"], float),
        )
        if all(v is None for v in static):
            continue
        key = (*static, r["TransceiverClass"])
        if last.get(r["MMSI"]) != key:
            expected.append(r["record"])
            last[r["MMSI"]] = key
    assert rep["record"].to_list() == expected


def test_bom_and_crlf(tmp_path):
    f = tmp_path / "bom.csv"
    f.write_bytes("\ufeffMMSI,BaseDateTime,LAT,LON\r\n367752440,2023-01-11T00:00:00,43.1,-70.7\r\n"
                  "bad,2023-01-11T00:00:00,43.1,-70.7\r\n".encode())
    pos, _, rej, _ = collect(read_csv(f))
    assert pos.select("record", "mmsi").rows() == [(2, 367752440)]
    assert rej.select("record", "reason", "raw").rows() == [
        (3, "bad_mmsi", "bad,2023-01-11T00:00:00,43.1,-70.7")]
