"""Layout sniffing and forcing (``sniff.py``)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sanctionwatch.ingest.ais.base import FormatError
from sanctionwatch.ingest.ais.csv import read_csv
from sanctionwatch.ingest.ais.layouts import CANONICAL, LAYOUTS, MARINECADASTRE
from sanctionwatch.ingest.ais.sniff import resolve_layout, sniff_layout
from sanctionwatch.schema import POSITIONS
from tests.ingest.ais.helpers import AISDB_CSV, DMA, MC_PARQUET, NOAA_CSV, SOLENT


def _header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


def test_sniff_real_headers() -> None:
    assert sniff_layout(pq.ParquetFile(MC_PARQUET).schema_arrow.names) == "marinecadastre"
    assert sniff_layout(_header(NOAA_CSV)) == "marinecadastre"
    assert sniff_layout([h.strip('"') for h in _header(AISDB_CSV)]) == "aisdb_messages"
    assert sniff_layout(_header(SOLENT)) == "solent"
    assert sniff_layout(_header(DMA)) == "dma_aisdk"


def test_sniff_is_case_and_space_insensitive_and_tolerates_extras() -> None:
    assert sniff_layout(["  mmsi ", "BASEDATETIME", "Lat", "lon", "extra"]) == "marinecadastre"
    assert sniff_layout(["#Timestamp", "typeofmobile", "mmsi", "LATITUDE", "longitude"]) == (
        "dma_aisdk")
    assert sniff_layout(POSITIONS.names) == "canonical"
    assert sniff_layout(["mmsi", "timestamp", "lat", "lon", "imo", "name", "flag"]) == "canonical"
    assert sniff_layout(["id", "x", "y"]) is None
    assert sniff_layout(["MMSI", "Time", "Latitude", "Longitude"]) is None  # no Message_ID


def test_unknown_header_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "odd.csv"
    f.write_text("ship,when,y,x\n1,2,3,4\n")
    with pytest.raises(FormatError) as exc:
        read_csv(f)
    msg = str(exc.value)
    assert str(f) in msg
    for name in LAYOUTS:
        assert name in msg


def test_forced_layout_missing_columns(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="BaseDateTime"):
        read_csv(SOLENT, layout="marinecadastre")
    with pytest.raises(FormatError, match="unknown layout 'nope'"):
        read_csv(SOLENT, layout="nope")


def test_a_forced_layout_object_is_checked_like_a_name(tmp_path: Path) -> None:
    assert resolve_layout("f.csv", ["mmsi", "timestamp", "lat", "lon"], CANONICAL) is CANONICAL
    with pytest.raises(FormatError, match="layout 'marinecadastre' needs columns that are "
                                          "missing: BaseDateTime, LAT, LON"):
        resolve_layout("f.csv", ["MMSI", "Time"], MARINECADASTRE)


def test_geometry_supplies_the_position_columns() -> None:
    assert resolve_layout("f.gpkg", ["mmsi", "basedatetime"], None,
                          provided=("lat", "lon")).name == "marinecadastre"
    with pytest.raises(FormatError, match="matches no known AIS layout"):
        resolve_layout("f.gpkg", ["mmsi", "basedatetime"], None)
