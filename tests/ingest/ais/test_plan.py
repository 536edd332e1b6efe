"""Which columns a file is read with, and in which type (``plan.py``)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.ingest.ais.convert import RowConverter, as_text
from sanctionwatch.ingest.ais.sniff import resolve_layout
from tests.ingest.ais.helpers import canonical_table, concat_batches, read_parquet_batches


def _f32_nan(payload: int) -> float:
    return float(np.frombuffer(struct.pack("<I", 0x7F800000 | payload), dtype=np.float32)[0])


def test_canonical_columns_pass_through_only_when_exact(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    table = canonical_table(60, 3, by_vessel=True)
    table = table.set_column(table.schema.get_field_index("ship_type"), "ship_type",
                             pa.array([80] * 60, pa.int16()))
    path = tmp_path / "t.parquet"
    lay = resolve_layout(str(path), table.schema.names, None)
    conv = RowConverter(lay, table.schema.names, str(path), strict=False)
    typed = conv.typed_columns(table.schema)
    df = as_text(table.select(list(typed)), keep=typed)
    assert conv.plan.unchanged(df, typed) == {"mmsi", "nav_status", "sog_knots", "ship_type"}
    # NaN (payloads included) and values the parsers null are not passed through.
    sog = table.column("sog_knots").to_pylist()
    sog[1] = _f32_nan(1)
    odd = table.set_column(table.schema.get_field_index("sog_knots"), "sog_knots",
                           pa.array(sog, pa.float32()))
    odd = odd.set_column(table.schema.get_field_index("nav_status"), "nav_status",
                         pa.array([16] + [0] * 59, pa.int8()))
    df = as_text(odd.select(list(typed)), keep=typed)
    assert conv.plan.unchanged(df, typed) == {"mmsi", "ship_type"}
    pq.write_table(odd, path)
    fast = read_parquet_batches(path, 7, typed=True, monkeypatch=monkeypatch)
    (plain,) = read_parquet_batches(path, 100, typed=True, monkeypatch=monkeypatch)
    for a, b in zip(concat_batches(fast), (plain.positions, plain.reports, plain.rejects),
                    strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert plain.positions["nav_status"][0] is None
