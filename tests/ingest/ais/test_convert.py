"""The converter (``convert.py``): the typed path and its fallback to text, geometry."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sanctionwatch.ingest.ais.convert import RowConverter, as_text
from sanctionwatch.ingest.ais.parquet import read_parquet
from sanctionwatch.ingest.ais.sniff import resolve_layout


def test_typed_path_is_used_and_falls_back(tmp_path: Path) -> None:
    table = pa.table({
        "mmsi": pa.array([1, -1], pa.int64()),
        "timestamp": pa.array([datetime(2019, 6, 1, tzinfo=UTC)] * 2, pa.timestamp("us", "UTC")),
        "lat": pa.array([1.0, 2.0]), "lon": pa.array([1.0, 2.0]),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    lay = resolve_layout(str(path), table.schema.names, None)
    conv = RowConverter(lay, table.schema.names, str(path), strict=False)
    typed = conv.typed_columns(table.schema)
    assert set(typed) == {"mmsi", "timestamp", "lat", "lon"}
    record = pl.Series("record", [1, 2])
    assert conv.convert_typed(table.to_batches()[0], record, typed) is None  # a reject: redo
    ok = conv.convert_typed(table.slice(0, 1).to_batches()[0], record[:1], typed)
    assert ok is not None and ok.positions.height == 1
    (batch,) = read_parquet(path)
    assert batch.rejects["record"].to_list() == [2]
    assert batch.rejects["detail"].to_list() == ["mmsi='-1'"]


def test_geometry_is_given_exactly_when_the_position_is_provided() -> None:
    columns = ["mmsi", "timestamp"]
    lay = resolve_layout("f.gpkg", columns, None, provided=("lat", "lon"))
    conv = RowConverter(lay, columns, "f.gpkg", strict=False, provided=("lat", "lon"))
    df = pl.DataFrame({"mmsi": ["1"], "timestamp": ["2024-01-01T00:00:00"]})
    with pytest.raises(ValueError, match="geometry must be given"):
        conv.convert(df, pl.Series("record", [1]))
    geometry = pl.DataFrame({"lat": [1.5], "lon": [2.5], "_has_pos": [True],
                             "_geom_error": pl.Series([None], dtype=pl.String)})
    out = conv.convert(df, pl.Series("record", [7]), geometry=geometry)
    assert out.positions.select("record", "mmsi", "lat", "lon").rows() == [(7, 1, 1.5, 2.5)]
    full = [*columns, "lat", "lon"]
    text = RowConverter(lay, full, "f.csv", strict=False)
    with pytest.raises(ValueError, match="geometry must be given"):
        text.convert(df, pl.Series("record", [1]), geometry=geometry)


def test_text_and_typed_paths_give_the_same_batch() -> None:
    table = pa.table({
        "mmsi": pa.array([1, 2, None], pa.int64()),
        "timestamp": pa.array([datetime(2019, 6, 1, tzinfo=UTC)] * 3, pa.timestamp("us", "UTC")),
        "lat": pa.array([1.0, 2.0, 3.0]), "lon": pa.array([1.0, None, 3.0]),
        "name": pa.array(["a", " A ", "b"]),
    })
    lay = resolve_layout("t", table.schema.names, None)
    conv = RowConverter(lay, table.schema.names, "t", strict=False)
    typed = conv.typed_columns(table.schema)
    record = pl.Series("record", [1, 2, 3])
    fast = conv.convert_typed(table, record, typed, text=table)
    slow = RowConverter(lay, table.schema.names, "t", strict=False).convert(
        as_text(table), record)
    assert fast is not None
    for a, b in zip((fast.positions, fast.reports, fast.rejects),
                    (slow.positions, slow.reports, slow.rejects), strict=True):
        assert a.equals(b)
    assert fast.rejects.select("record", "reason", "detail").rows() == [
        (2, "missing_field", "lon is empty"), (3, "missing_field", "mmsi is empty")]
