"""Parsers (``parsers.py``): typed forms equal to the text parse, and what they keep."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sanctionwatch.ingest.ais.parsers import (
    AIS_CLASS,
    DECIMETRES,
    DIMENSION_SUM,
    IMO,
    NUMBER,
    POSITIVE,
    SHIP_TYPE,
    TEXT,
    TIME_ISO,
    UPPER,
    Parser,
    int_in,
    text_code,
    time_format,
)
from tests.ingest.ais.helpers import assert_same_batches, read_parquet_batches

T0 = datetime(2019, 6, 1, tzinfo=UTC)


def test_typed_imo_matches_text_for_negative_numbers() -> None:
    df = pl.DataFrame({"x": ["-5", "5", "-0", "0", "-5.0", "12.5", "-inf"]})
    text = df.select(IMO.text(pl.col("x"))).to_series()
    assert IMO.typed is not None
    typed = df.select(IMO.typed(pl.col("x").cast(pl.Float64))).to_series()
    assert text.to_list() == typed.to_list()


def test_typed_integers_beyond_float_precision(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    big = 2**53
    n = 8
    table = pa.table({
        "mmsi": pa.array([1, 2, 3, 4, 5, 6, 7, 8], pa.int64()),
        "timestamp": pa.array([T0] * n, pa.timestamp("us", "UTC")),
        "lat": pa.array([1.0] * n), "lon": pa.array([1.0] * n),
        "imo": pa.array([big, big + 1, -(big + 1), 2**62, -1, 0, None, 9340348], pa.int64()),
        "ship_type": pa.array([70, None, 0, 32767, 32768, -5, 1, 2], pa.int64()),
        "nav_status": pa.array([2**64 - 1, 0, 15, 16, 1, 2, 3, None], pa.uint64()),
    })
    path = tmp_path / "t.parquet"
    for rows in (table, table.slice(4)):  # with and without values beyond 2**53
        pq.write_table(rows, path)
        for batch_rows in (3, 100):
            assert_same_batches(
                read_parquet_batches(path, batch_rows, typed=True, monkeypatch=monkeypatch),
                read_parquet_batches(path, batch_rows, typed=False, monkeypatch=monkeypatch))


def _parse(parser: Parser, *values: str | None) -> list[object]:
    return pl.DataFrame({"x": list(values)}, schema={"x": pl.String}).select(
        parser.text(pl.col("x"))).to_series().to_list()


def test_text_parsers() -> None:
    assert _parse(NUMBER, "1.5", "5.", "x", None) == [1.5, 5.0, None, None]
    assert _parse(int_in(0, 15), "5", "5.0", "5.5", "16", "-1", "x") == [5, 5, None, None, None,
                                                                         None]
    assert _parse(SHIP_TYPE, "0", "70", "32768") == [None, 70, None]
    assert _parse(IMO, "IMO 9340348", "imo:9340348", "0", "Unknown") == [9340348, 9340348, None,
                                                                          None]
    assert _parse(POSITIVE, "0", "-1", "2.5") == [None, None, 2.5]
    assert _parse(DECIMETRES, "87", "0") == [pytest.approx(8.7), None]
    assert _parse(UPPER, " grace dong@@ ", "gr@ce", "@@", "") == ["GRACE DONG", "GRCE", None, None]
    assert _parse(TEXT, " suez ") == ["suez"]
    assert _parse(AIS_CLASS, "Class B", "a", "C") == ["B", "A", None]
    codes = text_code({"At anchor": 1, "Moored": 5}, 0, 15)
    assert _parse(codes, "AT-ANCHOR", "moored", "5", "99", "other") == [1, 5, 5, None, None]


def test_time_parsers() -> None:
    assert _parse(TIME_ISO, "2019-03-01 00:00:20", "2019-03-01T01:00:00.5+01:00", "x") == [
        datetime(2019, 3, 1, 0, 0, 20, tzinfo=UTC), datetime(2019, 3, 1, 0, 0, 0, 500_000,
                                                              tzinfo=UTC), None]
    day_first = time_format("%d/%m/%Y %H:%M:%S")
    assert _parse(day_first, "08/02/2018 00:00:01", "2018-02-08T00:00:01") == [
        datetime(2018, 2, 8, 0, 0, 1, tzinfo=UTC)] * 2


def test_dimension_sum_takes_two_columns() -> None:
    df = pl.DataFrame({"a": ["182", None, "0"], "b": ["49", "3", None]})
    got = df.select(DIMENSION_SUM.text(pl.col("a"), pl.col("b"))).to_series().to_list()
    assert got == [231.0, 3.0, None]


def test_typed_forms_are_declared_where_exact() -> None:
    f32, f64, i8, ts_ms = pa.float32(), pa.float64(), pa.int8(), pa.timestamp("ms", "UTC")
    assert NUMBER.exact_on(f64, None) and NUMBER.exact_on(i8, None)
    assert NUMBER.exact_on(f32, pl.Float32()) and not NUMBER.exact_on(f32, pl.Float64())
    assert not DECIMETRES.exact_on(f32, pl.Float32())  # / 10 in Float64 differs
    assert IMO.exact_on(i8, None) and not IMO.exact_on(f32, None)
    assert TIME_ISO.exact_on(ts_ms, None) and not TIME_ISO.exact_on(pa.timestamp("ns"), None)
    assert not TIME_ISO.exact_on(pa.timestamp("s", "+09:00"), None)
    assert not UPPER.exact_on(f64, None) and UPPER.typed is None
    assert TIME_ISO.iso_time and not time_format("%Y").iso_time


def test_keeps_says_which_typed_columns_are_canonical_as_they_are() -> None:
    nav = int_in(0, 15)
    assert nav.keeps(pl.Series([0, 15], dtype=pl.Int8))
    assert not nav.keeps(pl.Series([0, 16], dtype=pl.Int8))
    assert nav.keeps(pl.Series([None], dtype=pl.Int8))
    assert not nav.keeps(pl.Series([0.0], dtype=pl.Float64))
    assert NUMBER.keeps(pl.Series([1.5], dtype=pl.Float32))
    assert not NUMBER.keeps(pl.Series([float("nan")], dtype=pl.Float32))
    assert not NUMBER.keeps(pl.Series([1.5], dtype=pl.Float64))  # casting costs nothing
    assert POSITIVE.keeps(pl.Series([1.5], dtype=pl.Float64))
    assert not POSITIVE.keeps(pl.Series([0.0, 1.5], dtype=pl.Float32))
    assert not TEXT.keeps(pl.Series(["a"]))
