"""The typed Parquet fast path gives exactly what reading every column as text gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import sanctionwatch.ingest.ais.tabular as tabular
from sanctionwatch.ingest.ais.base import Batch


def _read(path: Path, *, typed: bool, monkeypatch: pytest.MonkeyPatch,
          batch_rows: int = 3) -> list[Batch]:
    with monkeypatch.context() as m:
        if not typed:
            m.setattr(tabular.RowConverter, "typed_columns", lambda self, schema: {})
        return list(tabular.read_parquet(path, batch_rows=batch_rows))


def _assert_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _read(path, typed=True, monkeypatch=monkeypatch)
    slow = _read(path, typed=False, monkeypatch=monkeypatch)
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


def test_typed_path_is_used_and_falls_back(tmp_path: Path) -> None:
    table = pa.table({
        "mmsi": pa.array([1, -1], pa.int64()),
        "timestamp": pa.array([datetime(2019, 6, 1, tzinfo=UTC)] * 2, pa.timestamp("us", "UTC")),
        "lat": pa.array([1.0, 2.0]), "lon": pa.array([1.0, 2.0]),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    lay = tabular.resolve_layout(str(path), table.schema.names, None)
    conv = tabular.RowConverter(lay, table.schema.names, str(path), strict=False)
    typed = conv.typed_columns(table.schema)
    assert set(typed) == {"mmsi", "timestamp", "lat", "lon"}
    record = tabular.pl.Series("record", [1, 2])
    assert conv.convert_typed(table.to_batches()[0], record, typed) is None  # a reject: redo
    ok = conv.convert_typed(table.slice(0, 1).to_batches()[0], record[:1], typed)
    assert ok is not None and ok.positions.height == 1
    (batch,) = tabular.read_parquet(path)
    assert batch.rejects["record"].to_list() == [2]
    assert batch.rejects["detail"].to_list() == ["mmsi='-1'"]
