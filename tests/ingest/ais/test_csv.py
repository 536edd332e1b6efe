"""The CSV reader (``csv.py``): streaming, line numbers, delimiters, gzip, BOM, batches."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from sanctionwatch.ingest.ais.csv import (
    ISO_SECONDS,
    all_iso_seconds,
    line_numbers,
    read_csv,
    read_header,
    unique_names,
)
from tests.ingest.ais.helpers import AISDB_CSV, DMA, SOLENT, Collected, collect


def test_trailing_bad_rows_after_the_last_good_row(tmp_path: Path) -> None:
    f = tmp_path / "tail.csv"
    f.write_text("mmsi,timestamp,lat,lon\n211000001,2024-01-01T00:00:00,1,2\n1,2\n3\n")
    pos, _, rej, _ = collect(read_csv(f, batch_rows=1))
    assert pos["record"].to_list() == [2]
    assert rej["record"].to_list() == [3, 4] and set(rej["reason"]) == {"bad_row"}


def _same(a: Collected, b: Collected) -> None:
    for x, y in zip(a[:3], b[:3], strict=True):
        assert x.equals(y)


@pytest.mark.parametrize(("path", "rows"), [(DMA, 7), ("malformed", 7), (SOLENT, 7_000),
                                           (AISDB_CSV, 250)])
def test_batch_split_gives_the_same_result(path: Path | str, rows: int,
                                           malformed: Path) -> None:
    p = malformed if path == "malformed" else path
    one = collect(read_csv(p))
    split = collect(read_csv(p, batch_rows=rows))
    assert one[3] == 1 and split[3] > 1
    _same(one, split)


def test_gzip_csv(tmp_path: Path) -> None:
    gz = tmp_path / "solent.csv.gz"
    with SOLENT.open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    pos, _, _, _ = collect(read_csv(gz))
    assert pos.height == 18_623 and pos.filter(pl.col("record") == 8209)["mmsi"][0] == 245188000


def test_semicolon_and_unnamed_columns(tmp_path: Path) -> None:
    f = tmp_path / "semi.csv"
    f.write_text(";;Time;MMSI;Latitude_degrees;Longitude_degrees;COG_degrees;SOG_knots\n"
                 "0;x;2016-01-12 13:02:11;235070762;50.5;-1.2;10;3\n")
    pos, _, _, _ = collect(read_csv(f))
    assert pos.select("mmsi", "lat", "lon").row(0) == (235070762, 50.5, -1.2)


def test_bom_and_crlf(tmp_path: Path) -> None:
    f = tmp_path / "bom.csv"
    f.write_bytes("\ufeffMMSI,BaseDateTime,LAT,LON\r\n367752440,2023-01-11T00:00:00,43.1,-70.7\r\n"
                  "bad,2023-01-11T00:00:00,43.1,-70.7\r\n".encode())
    pos, _, rej, _ = collect(read_csv(f))
    assert pos.select("record", "mmsi").rows() == [(2, 367752440)]
    assert rej.select("record", "reason", "raw").rows() == [
        (3, "bad_mmsi", "bad,2023-01-11T00:00:00,43.1,-70.7")]


def test_all_iso_seconds_matches_the_regex() -> None:
    good = "2019-06-01T00:00:00"
    values = [good, "2019-06-01 23:59:59", "9999-99-99T99:99:99", "2019-06-01x00:00:00",
              "2019-06-01T00:00:0a", "2019-06-01T00:00:00Z", "2019-6-01T00:00:00",
              "\uff12019-06-01T00:00:0", "2019/06/01T00:00:00", "2019-06-01T00-00:00",
              "/019-06-01T00:00:00", ":019-06-01T00:00:00", "", " 2019-06-01T00:00:0"]
    for v in values:
        for arr in (pa.chunked_array([pa.array([good, v])]),
                    pa.chunked_array([pa.array(["x", good, v]).slice(1), pa.array([good])]),
                    pa.chunked_array([pa.array([good, v, None])])):
            expected = pc.all(pc.match_substring_regex(arr, ISO_SECONDS)).as_py()
            assert all_iso_seconds(arr) == expected, v
    assert all_iso_seconds(pa.chunked_array([], pa.string()))


def test_line_numbers_skip_the_invalid_lines() -> None:
    assert line_numbers(0, 3, []).tolist() == [2, 3, 4]
    # lines 3 and 4 skipped: valid rows 0.. are lines 2, 5, 6, ...
    assert line_numbers(0, 4, [4, 3]).tolist() == [2, 5, 6, 7]
    assert line_numbers(2, 2, [3, 4]).tolist() == [6, 7]


def test_header_names_and_delimiter(tmp_path: Path) -> None:
    f = tmp_path / "h.csv"
    f.write_text("a|b|a||\n1|2|3|4|5\n")
    header, delimiter = read_header(f)
    assert (header, delimiter) == (["a", "b", "a", "", ""], "|")
    assert unique_names(header) == ["a", "b", "a_dup", "_col3", "_col4"]
