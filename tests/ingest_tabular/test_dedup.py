"""Vessel report dedup and the typed fast paths on data shaped to reach every branch:
files ordered by vessel (long runs) and by time (vessels interleaved), changes back and forth,
nulls, batch boundaries inside runs, integers beyond 2**53, dictionary-encoded text."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import sanctionwatch.ingest.ais.tabular as tabular
from sanctionwatch.ingest.ais.base import Batch

T0 = datetime(2019, 6, 1, tzinfo=UTC)
NAMES = ["ALPHA", " alpha ", "BETA", "", None, "al@pha"]
IMOS = [9340348, 9340349, None, 0]


def _rows(order: str, seed: int, n: int = 600) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        static = rng.random() < 0.8
        rows.append({
            "mmsi": rng.choice([1001, 1002, 1003, 1004, 1005]),
            "timestamp": T0 + timedelta(seconds=i),
            "lat": 1.0 + i / 1000, "lon": 2.0,
            # a vessel's static data mostly repeats, and changes now and then (A -> B -> A)
            "name": rng.choice(NAMES[:2] if rng.random() < 0.9 else NAMES) if static else None,
            "imo": (IMOS[0] if rng.random() < 0.9 else rng.choice(IMOS)) if static else None,
            "ais_class": rng.choice(["A", "A", "A", "B"]),
        })
    if order == "vessel":
        rows.sort(key=lambda r: r["mmsi"])  # type: ignore[arg-type,return-value]
    return rows


def _reference(rows: list[dict[str, object]]) -> list[int]:
    """Records whose static tuple differs from the vessel's previous one (plain Python)."""
    last: dict[object, tuple[object, ...]] = {}
    out = []
    for record, r in enumerate(rows, start=1):
        name = r["name"]
        clean = (name.replace("@", "").strip().upper() or None) if isinstance(name, str) else None
        imo = r["imo"] or None
        if clean is None and imo is None:
            continue  # no static data: no report
        key = (imo, clean, r["ais_class"])
        if last.get(r["mmsi"]) != key:
            out.append(record)
            last[r["mmsi"]] = key
    return out


def _table(rows: list[dict[str, object]]) -> pa.Table:
    return pa.table({
        "mmsi": pa.array([r["mmsi"] for r in rows], pa.int64()),
        "timestamp": pa.array([r["timestamp"] for r in rows], pa.timestamp("us", "UTC")),
        "lat": pa.array([r["lat"] for r in rows], pa.float64()),
        "lon": pa.array([r["lon"] for r in rows], pa.float64()),
        "name": pa.array([r["name"] for r in rows], pa.string()),
        "imo": pa.array([r["imo"] for r in rows], pa.int64()),
        "ais_class": pa.array([r["ais_class"] for r in rows], pa.string()),
    })


def _read_parquet(path: Path, batch_rows: int, *, typed: bool,
                  monkeypatch: pytest.MonkeyPatch) -> list[Batch]:
    with monkeypatch.context() as m:
        if not typed:
            m.setattr(tabular.RowConverter, "typed_columns", lambda self, schema: {})
        return list(tabular.read_parquet(path, batch_rows=batch_rows))


def _same(a: list[Batch], b: list[Batch]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert_frame_equal(x.positions, y.positions)
        assert_frame_equal(x.reports, y.reports)
        assert_frame_equal(x.rejects, y.rejects)


@pytest.mark.parametrize("order", ["vessel", "time"])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("batch_rows", [7, 64, 100_000])
def test_reports_match_a_row_by_row_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              order: str, seed: int, batch_rows: int) -> None:
    rows = _rows(order, seed)
    path = tmp_path / "t.parquet"
    pq.write_table(_table(rows), path)
    fast = _read_parquet(path, batch_rows, typed=True, monkeypatch=monkeypatch)
    reports = [r for b in fast for r in b.reports["record"].to_list()]
    assert reports == _reference(rows)
    _same(fast, _read_parquet(path, batch_rows, typed=False, monkeypatch=monkeypatch))


@pytest.mark.parametrize("order", ["vessel", "time"])
def test_csv_reports_match_a_row_by_row_reference(tmp_path: Path, order: str) -> None:
    rows = _rows(order, 7)
    path = tmp_path / "t.csv"
    lines = ["mmsi,timestamp,lat,lon,name,imo,ais_class"]
    for r in rows:
        ts = r["timestamp"].strftime("%Y-%m-%dT%H:%M:%S")  # type: ignore[attr-defined]
        lines.append(f"{r['mmsi']},{ts},{r['lat']},{r['lon']},{r['name'] or ''},"
                     f"{'' if r['imo'] is None else r['imo']},{r['ais_class']}")
    path.write_text("\n".join(lines) + "\n")
    for batch_rows in (5, 100, 100_000):
        reports = [r - 1 for b in tabular.read_csv(path, batch_rows=batch_rows)
                   for r in b.reports["record"].to_list()]  # line numbers: header is line 1
        assert reports == _reference(rows)


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
            _same(_read_parquet(path, batch_rows, typed=True, monkeypatch=monkeypatch),
                  _read_parquet(path, batch_rows, typed=False, monkeypatch=monkeypatch))


def test_dictionary_encoded_parquet_text(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows("time", 3, n=50)
    table = _table(rows)
    # One column stored as an Arrow dictionary, one with all values null.
    table = table.set_column(table.schema.get_field_index("name"), "name",
                             table.column("name").dictionary_encode())
    table = table.append_column("callsign", pa.nulls(table.num_rows, pa.string()))
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    for batch_rows in (4, 100):
        _same(_read_parquet(path, batch_rows, typed=True, monkeypatch=monkeypatch),
              _read_parquet(path, batch_rows, typed=False, monkeypatch=monkeypatch))
