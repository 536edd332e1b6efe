"""Vendor layouts (``layouts.py``, with the parsers and code tables they use) on the real test
files, the docs tables, and a layout declared outside the module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sanctionwatch.ingest.ais import layouts, read_ais
from sanctionwatch.ingest.ais.base import Batch, FormatError, reject_counts
from sanctionwatch.ingest.ais.csv import read_csv
from sanctionwatch.ingest.ais.gpkg import read_gpkg
from sanctionwatch.ingest.ais.layouts import LAYOUTS, Layout, field
from sanctionwatch.ingest.ais.parquet import read_parquet
from sanctionwatch.ingest.ais.parsers import NUMBER, UPPER, Parser, int_in, time_format
from sanctionwatch.ingest.ais.rules import REASONS
from sanctionwatch.ingest.ais.sniff import sniff_layout
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS
from tests.ingest.ais.helpers import (
    AISDB_CSV,
    BOSTON,
    DMA,
    GOTHENBURG,
    MC_PARQUET,
    NOAA_CSV,
    ROOT,
    SOLENT,
    collect,
    utc,
)

# --------------------------------------------------------------- counts on every real file


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
def test_real_file_counts(path: Path, reader: Callable[..., Iterator[Batch]], n_pos: int,
                          n_mmsi: int, n_rep: int, rejects: dict[str, int]) -> None:
    pos, rep, rej, _ = collect(reader(path))
    assert pos.height == n_pos
    assert pos["mmsi"].n_unique() == n_mmsi
    assert rep.height == n_rep
    assert reject_counts([Batch(POSITIONS.empty(), VESSEL_REPORTS.empty(), rej)]) == rejects
    assert set(pos["source"].unique()) <= {str(path)}
    # every record appears once among positions, or only among reports / rejects
    assert pos["record"].is_unique().all()


def test_aisdb_every_message_is_accounted_for() -> None:
    pos, rep, rej, _ = collect(read_csv(AISDB_CSV))
    static_only = rep.filter(~pl.col("record").is_in(pos["record"].implode()))
    assert pos.height + static_only.height + rej.height == 2_498
    assert dict(pos["msg_type"].value_counts().sort("msg_type").rows()) == {
        1: 1062, 3: 206, 18: 85, 19: 41, 27: 978}
    # "not available" sentinels are kept for the cleaning step
    assert pos.filter((pl.col("lat") == 91) & (pl.col("lon") == 181)).height == 11


# ---------------------------------------------------------------------------- field values

def test_marinecadastre_parquet_values() -> None:
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


def test_noaa_csv_values() -> None:
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


def test_solent_corrupt_row_is_ingested_not_rejected() -> None:
    pos, _, rej, _ = collect(read_csv(SOLENT))
    assert rej.height == 0
    row = pos.filter(pl.col("record") == 8209).row(0, named=True)
    assert row["mmsi"] == 245188000 and row["lon"] == 54.83172 and row["lat"] == 50.8141
    assert row["timestamp"] == utc(2016, 1, 12, 13, 41, 20, 973000)
    assert pos["timestamp"].min() == utc(2016, 1, 12, 13, 2, 11, 218000)
    assert pos["timestamp"].max() == utc(2016, 1, 12, 14, 26, 41, 924000)


def test_aisdb_values() -> None:
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


def test_dma_values() -> None:
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


def test_dma_non_vessel_rows(tmp_path: Path) -> None:
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


def test_gothenburg_values() -> None:
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


def test_boston_values() -> None:
    pos, _, _, _ = collect(read_gpkg(BOSTON))
    first = pos.row(0, named=True)
    assert (first["record"], first["mmsi"], first["heading_deg"]) == (1, 240000208, 268.0)
    assert first["timestamp"] == utc(2014, 1, 1, 4, 43, 53)
    assert first["sog_knots"] == pytest.approx(1.3)
    assert pos["timestamp"].max() == utc(2014, 1, 7, 17, 18, 14)
    assert pos["lat"].min() == pytest.approx(42.2368, abs=1e-4)
    assert dict(pos["nav_status"].value_counts().rows()) == {0: 910, 1: 62}


# ------------------------------------------------------------------------------------ docs


def test_doc_lists_every_layout_and_reason() -> None:
    text = (ROOT / "docs" / "ingest-tabular.md").read_text()
    for layout in LAYOUTS.values():
        assert layout.markdown() in text, f"docs/ingest-tabular.md: stale table for {layout.name}"
    for reason in REASONS:
        assert f"`{reason}`" in text


# ----------------------------------------------------------------- a layout of a new vendor


def _kmh(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Float64, strict=False) / 1.852


ACME = Layout(
    "acme_tracker",
    "Acme Tracker exports (a made-up vendor): semicolons, day-first times, speed in km/h.",
    (
        field("mmsi", "ShipId", int_in(0, 2**30 - 1), "integer 0 .. 2^30-1"),
        field("timestamp", "FixTime", time_format("%d.%m.%Y %H:%M:%S"),
              "`dd.mm.YYYY HH:MM:SS` (or ISO 8601), UTC"),
        field("lat", "Lat", NUMBER, "number"),
        field("lon", "Lon", NUMBER, "number"),
        field("sog_knots", "Speed_kmh", Parser(_kmh), "km/h -> knots"),
        field("name", "Vessel", UPPER, "trimmed, upper case"),
    ),
    identify=("Speed_kmh",),
)
"""Declared exactly as the layouts of layouts.py are: fields, parsers (one written here), the
identifying column. No reader or converter code knows about it."""

ACME_CSV = (
    "ShipId;FixTime;Lat;Lon;Speed_kmh;Vessel\n"
    "211000001;01.03.2024 12:00:00;54.5;10.25;18.52;alpha\n"
    "211000001;01.03.2024 12:01:00;54.6;10.3;;Alpha \n"
    "211000002;2024-03-01T13:02:00+01:00;54.7;10.35;3.704;\n"
    "211000003;yesterday;54.7;10.35;1;\n"
)


def test_a_new_vendor_layout_is_declared_as_data_and_read(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "acme.csv"
    f.write_text(ACME_CSV)
    pos, rep, rej, _ = collect(read_csv(f, layout=ACME))
    assert pos.select("record", "mmsi", "timestamp", "lat", "lon", "sog_knots").rows() == [
        (2, 211000001, utc(2024, 3, 1, 12), 54.5, 10.25, 18.52 / 1.852),
        (3, 211000001, utc(2024, 3, 1, 12, 1), 54.6, 10.3, None),
        (4, 211000002, utc(2024, 3, 1, 12, 2), 54.7, 10.35, 3.704 / 1.852),
    ]
    assert rep.select("record", "mmsi", "name").rows() == [(2, 211000001, "ALPHA")]
    assert rej.select("record", "reason", "detail").rows() == [
        (5, "bad_timestamp", "FixTime='yesterday'")]
    assert collect(read_ais(f, layout=ACME))[0].equals(pos)
    # Not listed in LAYOUTS, it is not sniffed; listed, it is.
    with pytest.raises(FormatError, match="matches no known AIS layout"):
        read_csv(f)
    monkeypatch.setattr(layouts, "LAYOUTS", {**LAYOUTS, ACME.name: ACME})
    assert sniff_layout(["ShipId", "FixTime", "Lat", "Lon", "Speed_kmh"]) == "acme_tracker"
    assert collect(read_ais(f))[0].equals(pos)
    assert collect(read_csv(f, layout="acme_tracker"))[0].equals(pos)
    assert "| `Speed_kmh` | `sog_knots` | km/h -> knots |" in ACME.markdown()


def test_a_new_layout_reads_typed_parquet_columns(tmp_path: Path) -> None:
    f = tmp_path / "acme.parquet"
    pl.DataFrame({
        "ShipId": [211000001, 211000002], "FixTime": ["01.03.2024 12:00:00", "bad"],
        "Lat": [54.5, 54.6], "Lon": [10.25, 10.3], "Speed_kmh": [18.52, None],
        "Vessel": ["alpha", None],
    }).write_parquet(f)
    pos, rep, rej, _ = collect(read_parquet(f, layout=ACME))
    assert pos.select("record", "mmsi", "timestamp", "sog_knots").rows() == [
        (1, 211000001, utc(2024, 3, 1, 12), 18.52 / 1.852)]
    assert rep.select("record", "name").rows() == [(1, "ALPHA")]
    assert rej.select("record", "reason", "detail").rows() == [
        (2, "bad_timestamp", "FixTime='bad'")]


def test_a_layout_needs_single_source_core_fields() -> None:
    with pytest.raises(ValueError, match="lat needs exactly one single-source field"):
        Layout("broken", "no latitude", (
            field("mmsi", "m", int_in(0, 9), ""), field("timestamp", "t", NUMBER, ""),
            field("lon", "x", NUMBER, "")))
