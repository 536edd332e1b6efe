"""The package entry points (``ingest/ais/__init__.py``): format detection and dispatch."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from sanctionwatch.ingest.ais import FORMATS, UnknownInput, detect_format, read_ais
from sanctionwatch.ingest.ais.layouts import SOLENT as SOLENT_LAYOUT
from tests.ingest.ais.helpers import DATA, NM4, SOLENT, collect

EXPECTED = {".csv": "csv", ".parquet": "parquet", ".gpkg": "gpkg", ".nm4": "nmea",
            ".nmea": "nmea", ".ais": "nmea", ".txt": "nmea"}


@pytest.mark.parametrize("path", sorted(p for p in DATA.glob("*/*") if p.suffix != ".md"),
                         ids=lambda p: p.name)
def test_detect_format_of_every_test_file(path: Path) -> None:
    assert detect_format(path) == EXPECTED[path.suffix]
    assert detect_format(path) in FORMATS


def test_detect_format_reads_gzip_and_refuses_the_unknown(tmp_path: Path) -> None:
    gz = tmp_path / "feed.bin"
    gz.write_bytes(gzip.compress(NM4.read_bytes()))
    assert detect_format(gz) == "nmea"
    odd = tmp_path / "odd.bin"
    odd.write_text("nothing to see here\n")
    with pytest.raises(UnknownInput, match="not AIS input"):
        detect_format(odd)
    with pytest.raises(FileNotFoundError):
        detect_format(tmp_path / "missing.csv")


def test_read_ais_dispatches_and_passes_options() -> None:
    pos, _, _, n = collect(read_ais(SOLENT, layout=SOLENT_LAYOUT, batch_rows=10_000))
    assert pos.height == 18_623 and n == 2
    assert collect(read_ais(SOLENT, fmt="csv", layout="solent"))[0].equals(pos)
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        read_ais(SOLENT, fmt="xml")
