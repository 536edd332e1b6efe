"""The cheaper typed path: Parquet row groups converted at once, columns already canonical
passed through, text fields compared by code, and its helpers; always the same rows, reports
and rejects as the text path."""

from __future__ import annotations

import random
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import sanctionwatch.ingest.ais.tabular as tabular
from sanctionwatch.ingest.ais.base import Batch, IngestError

T0 = datetime(2019, 6, 1, tzinfo=UTC)


def _table(n: int, seed: int, *, by_vessel: bool, bad: bool = False) -> pa.Table:
    """Canonical-typed rows, mostly valid, with text that parses alike (" x", "X") or to
    null, repeated static data with changes, and (``bad``) rejected rows."""
    rng = random.Random(seed)
    mmsi = [rng.choice([201, 202, 203, 204]) for _ in range(n)]
    if by_vessel:
        mmsi.sort()
    names = ["ALPHA", " alpha ", "BETA", "", None, "@@"]
    rows = {
        "mmsi": mmsi,
        "timestamp": [T0 + timedelta(seconds=i) for i in range(n)],
        "lat": [1.0 + i / 1000 for i in range(n)],
        "lon": [2.0] * n,
        "sog_knots": [rng.choice([0.0, 1.5, 102.3]) for _ in range(n)],
        "nav_status": [rng.choice([0, 5, 15]) for _ in range(n)],
        "ais_class": [rng.choice(["A", "A", "B", "class b"]) for _ in range(n)],
        "receiver": ["rx"] * n,
        "name": [rng.choice(names[:2]) if rng.random() < 0.9 else rng.choice(names)
                 for _ in range(n)],
        "imo": [9340348 if rng.random() < 0.95 else rng.choice([None, 0, 9340349])
                for _ in range(n)],
        "ship_type": [80 if rng.random() < 0.95 else rng.choice([0, 70, None])
                      for _ in range(n)],
        "draught_m": [4.2 if rng.random() < 0.9 else rng.choice([4.5, 0.0, None])
                      for _ in range(n)],
    }
    if bad:
        for i in range(3, n, 97):
            rows["mmsi"][i] = -1
        for i in range(5, n, 89):
            rows["lat"][i] = float("nan")
        for i in range(7, n, 101):
            rows["nav_status"][i] = 99  # out of range: null, not a reject
    return pa.table({
        "mmsi": pa.array(rows["mmsi"], pa.int64()),
        "timestamp": pa.array(rows["timestamp"], pa.timestamp("us", "UTC")),
        "lat": pa.array(rows["lat"], pa.float64()),
        "lon": pa.array(rows["lon"], pa.float64()),
        "sog_knots": pa.array(rows["sog_knots"], pa.float32()),
        "nav_status": pa.array(rows["nav_status"], pa.int8()),
        "ais_class": pa.array(rows["ais_class"], pa.string()),
        "receiver": pa.array(rows["receiver"], pa.string()),
        "name": pa.array(rows["name"], pa.string()),
        "imo": pa.array(rows["imo"], pa.int64()),
        "ship_type": pa.array(rows["ship_type"], pa.int16()),
        "draught_m": pa.array(rows["draught_m"], pa.float32()),
    })


def _read(path: Path, batch_rows: int, *, typed: bool, monkeypatch: pytest.MonkeyPatch,
          strict: bool = False) -> list[Batch]:
    with monkeypatch.context() as m:
        if not typed:
            m.setattr(tabular.RowConverter, "typed_columns", lambda self, schema: {})
        return list(tabular.read_parquet(path, batch_rows=batch_rows, strict=strict))


def _concat(batches: list[Batch]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return (pl.concat([b.positions for b in batches]), pl.concat([b.reports for b in batches]),
            pl.concat([b.rejects for b in batches]))


@pytest.mark.parametrize("by_vessel", [True, False])
@pytest.mark.parametrize("bad", [False, True])
@pytest.mark.parametrize("batch_rows", [50, 130, 1000])
def test_row_groups_match_the_text_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        by_vessel: bool, bad: bool, batch_rows: int) -> None:
    path = tmp_path / "t.parquet"
    # Row groups below, at and beyond 4 x batch_rows: converted whole or batch by batch.
    pq.write_table(_table(1500, 1, by_vessel=by_vessel, bad=bad), path, row_group_size=520)
    fast = _read(path, batch_rows, typed=True, monkeypatch=monkeypatch)
    slow = _read(path, batch_rows, typed=False, monkeypatch=monkeypatch)
    for a, b in zip(_concat(fast), _concat(slow), strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert all(b.positions.height + b.rejects.height <= batch_rows for b in fast)
    records = [r for b in fast for r in b.positions["record"].to_list()
               + b.rejects["record"].to_list()]
    assert sorted(records) == list(range(1, 1501))  # every row once, nothing lost


def test_strict_row_group_yields_the_batches_before_the_bad_record(tmp_path: Path) -> None:
    table = _table(400, 2, by_vessel=True)
    mmsi = table.column("mmsi").to_pylist()
    mmsi[250] = -1
    table = table.set_column(0, "mmsi", pa.array(mmsi, pa.int64()))
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)  # one row group, converted whole (400 <= 4 x 100)
    seen = []
    with pytest.raises(IngestError) as err:
        for b in tabular.read_parquet(path, batch_rows=100, strict=True):
            seen.append(b.positions.height)
    assert seen == [100, 100]
    assert err.value.record == 251 and err.value.reason == "bad_mmsi"
    assert str(path) in str(err.value) and "mmsi='-1'" in str(err.value)


def _f32_nan(payload: int) -> float:
    return float(np.frombuffer(struct.pack("<I", 0x7F800000 | payload), dtype=np.float32)[0])


def test_canonical_columns_pass_through_only_when_exact(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table(60, 3, by_vessel=True)
    table = table.set_column(table.schema.get_field_index("ship_type"), "ship_type",
                             pa.array([80] * 60, pa.int16()))
    path = tmp_path / "t.parquet"
    lay = tabular.resolve_layout(str(path), table.schema.names, None)
    conv = tabular.RowConverter(lay, table.schema.names, str(path), strict=False)
    typed = conv.typed_columns(table.schema)
    df = tabular._as_text(table.select(list(typed)), keep=typed)
    assert conv._same(df, typed) == {"mmsi", "nav_status", "sog_knots", "ship_type"}
    # NaN (payloads included) and values the parsers null are not passed through.
    sog = table.column("sog_knots").to_pylist()
    sog[1] = _f32_nan(1)
    odd = table.set_column(table.schema.get_field_index("sog_knots"), "sog_knots",
                           pa.array(sog, pa.float32()))
    odd = odd.set_column(table.schema.get_field_index("nav_status"), "nav_status",
                         pa.array([16] + [0] * 59, pa.int8()))
    df = tabular._as_text(odd.select(list(typed)), keep=typed)
    assert conv._same(df, typed) == {"mmsi", "ship_type"}
    pq.write_table(odd, path)
    fast = _read(path, 7, typed=True, monkeypatch=monkeypatch)
    (plain,) = _read(path, 100, typed=True, monkeypatch=monkeypatch)
    for a, b in zip(_concat(fast), (plain.positions, plain.reports, plain.rejects), strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert plain.positions["nav_status"][0] is None


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
            expected = pc.all(pc.match_substring_regex(arr, tabular._ISO_SECONDS)).as_py()
            assert tabular._all_iso_seconds(arr) == expected, v
    assert tabular._all_iso_seconds(pa.chunked_array([], pa.string()))


@pytest.mark.parametrize("high", [3, 2**30, 2**62])
def test_stable_order(high: int) -> None:
    rng = np.random.default_rng(high % 1000)
    for n in (0, 1, 2, 17, 5000):
        keys = rng.integers(0, high, n, dtype=np.int64)
        assert (tabular._stable_order(keys) == np.argsort(keys, kind="stable")).all()
    keys = np.array([-5, 3, -5, 2, 3])
    assert (tabular._stable_order(keys) == np.argsort(keys, kind="stable")).all()
