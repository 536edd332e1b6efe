"""The Parquet reader (``parquet.py``): typed columns, row groups converted whole, strict mode;
always the same rows, reports and rejects as reading every column as text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.ingest.ais.base import IngestError
from sanctionwatch.ingest.ais.parquet import read_parquet
from tests.ingest.ais.helpers import (
    MC_PARQUET,
    Collected,
    canonical_table,
    collect,
    concat_batches,
    read_parquet_batches,
    utc,
)


def test_canonical_parquet_with_typed_columns(tmp_path: Path) -> None:
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


def _same(a: Collected, b: Collected) -> None:
    for x, y in zip(a[:3], b[:3], strict=True):
        assert x.equals(y)


def test_batch_split_parquet() -> None:
    _same(collect(read_parquet(MC_PARQUET)), collect(read_parquet(MC_PARQUET, batch_rows=7_000)))


def _assert_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = read_parquet_batches(path, typed=True, monkeypatch=monkeypatch)
    slow = read_parquet_batches(path, typed=False, monkeypatch=monkeypatch)
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert_frame_equal(a.positions, b.positions)
        assert_frame_equal(a.reports, b.reports)
        assert_frame_equal(a.rejects, b.rejects)


NAN = float("nan")


INF = float("inf")


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "+09:00"])
def test_typed_canonical_matches_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      unit: str, tz: str | None) -> None:
    ts = [datetime(2019, 6, 1, 0, 3, i, tzinfo=UTC if tz else None) for i in range(9)]
    table = pa.table({
        "mmsi": pa.array([1, 2, 2**30, -1, 5, 6, None, 8, 9], pa.int64()),
        "timestamp": pa.array(ts, pa.timestamp(unit, tz=tz)),
        "lat": pa.array([1.5, NAN, 3.0, 4.0, 1e-7, 91.0, 7.0, INF, 9.0], pa.float64()),
        "lon": pa.array([1.0, 2.0, 3.0, None, 5.0, 181.0, 7.0, 8.0, -0.0], pa.float64()),
        "sog_knots": pa.array([12.3, NAN, INF, 0.1, None, 102.3, 1e30, 3.3, 4.4], pa.float32()),
        "heading_deg": pa.array([511, 0, 1, 2, 3, None, 5, 6, 7], pa.int32()),
        "nav_status": pa.array([5.0, 2.5, 16.0, 1.0, None, 0.0, 15.0, 3.0, 4.0], pa.float64()),
        "imo": pa.array([9340348, 0, -3, None, 9340348, 1, 2, 3, 4], pa.int64()),
        "ship_type": pa.array([70, 0, 32768, None, 80, 80, 80, 80, 80], pa.int32()),
        "draught_m": pa.array([4.2, 0.0, -1.0, NAN, 4.2, 4.3, 4.3, 4.3, 4.4], pa.float32()),
        "length_m": pa.array([134.0, 0.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], pa.float64()),
        "name": pa.array(["a b@", "", None, " X ", "Y", "Y", "Y", "Y", "Z"], pa.string()),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    _assert_same(path, monkeypatch)
    clean = table.filter(pa.array([True, False, False, False, True, True, False, False, True]))
    pq.write_table(clean, path)
    _assert_same(path, monkeypatch)


@pytest.mark.parametrize("by_vessel", [True, False])
@pytest.mark.parametrize("bad", [False, True])
@pytest.mark.parametrize("batch_rows", [50, 130, 1000])
@pytest.mark.parametrize("group_rows", [520, 97])
def test_row_groups_match_the_text_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        by_vessel: bool, bad: bool, batch_rows: int,
                                        group_rows: int) -> None:
    path = tmp_path / "t.parquet"
    # Row groups below, at and beyond 4 x batch_rows: converted whole (several small ones
    # read together) or batch by batch.
    pq.write_table(canonical_table(1500, 1, by_vessel=by_vessel, bad=bad), path,
                   row_group_size=group_rows)
    fast = read_parquet_batches(path, batch_rows, typed=True, monkeypatch=monkeypatch)
    slow = read_parquet_batches(path, batch_rows, typed=False, monkeypatch=monkeypatch)
    for a, b in zip(concat_batches(fast), concat_batches(slow), strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert all(b.positions.height + b.rejects.height <= batch_rows for b in fast)
    records = [r for b in fast for r in b.positions["record"].to_list()
               + b.rejects["record"].to_list()]
    assert sorted(records) == list(range(1, 1501))  # every row once, nothing lost


@pytest.mark.parametrize("group_rows", [None, 50])
def test_strict_row_group_yields_the_batches_before_the_bad_record(
        tmp_path: Path, group_rows: int | None) -> None:
    table = canonical_table(400, 2, by_vessel=True)
    mmsi = table.column("mmsi").to_pylist()
    mmsi[250] = -1
    table = table.set_column(0, "mmsi", pa.array(mmsi, pa.int64()))
    path = tmp_path / "t.parquet"
    # one row group, or eight read together: converted whole (400 <= 4 x 100)
    pq.write_table(table, path, row_group_size=group_rows)
    seen = []
    with pytest.raises(IngestError) as err:
        for b in read_parquet(path, batch_rows=100, strict=True):
            seen.append(b.positions.height)
    assert seen == [100, 100]
    assert err.value.record == 251 and err.value.reason == "bad_mmsi"
    assert str(path) in str(err.value) and "mmsi='-1'" in str(err.value)
