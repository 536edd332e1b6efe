"""Vessel report dedup (``dedup.py``) and the typed fast paths on data shaped to reach every
branch: files ordered by vessel (long runs) and by time (vessels interleaved), changes back and
forth, nulls, batch boundaries inside runs, dictionary-encoded text (integers beyond 2**53:
test_parsers.py)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sanctionwatch.ingest.ais.csv import read_csv
from sanctionwatch.ingest.ais.dedup import stable_order
from sanctionwatch.ingest.ais.parquet import read_parquet
from tests.ingest.ais.helpers import (
    MC_PARQUET,
    assert_same_batches,
    collect,
    read_parquet_batches,
)

T0 = datetime(2019, 6, 1, tzinfo=UTC)
T = TypeVar("T")
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


@pytest.mark.parametrize("order", ["vessel", "time"])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("batch_rows", [7, 64, 100_000])
def test_reports_match_a_row_by_row_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              order: str, seed: int, batch_rows: int) -> None:
    rows = _rows(order, seed)
    path = tmp_path / "t.parquet"
    pq.write_table(_table(rows), path)
    fast = read_parquet_batches(path, batch_rows, typed=True, monkeypatch=monkeypatch)
    reports = [r for b in fast for r in b.reports["record"].to_list()]
    assert reports == _reference(rows)
    assert_same_batches(fast, read_parquet_batches(path, batch_rows, typed=False,
                                                   monkeypatch=monkeypatch))


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
        reports = [r - 1 for b in read_csv(path, batch_rows=batch_rows)
                   for r in b.reports["record"].to_list()]  # line numbers: header is line 1
        assert reports == _reference(rows)


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
        assert_same_batches(
            read_parquet_batches(path, batch_rows, typed=True, monkeypatch=monkeypatch),
            read_parquet_batches(path, batch_rows, typed=False, monkeypatch=monkeypatch))


def _num(text: str | None, cast: Callable[[str], T]) -> T | None:
    """Reference parsing of an optional MarineCadastre number: empty or 0 is null."""
    return cast(text) if text and float(text) else None


def test_report_dedup_matches_a_row_by_row_reference() -> None:
    """A plain Python loop over the rows gives the same report records as the reader."""
    _, rep, _, _ = collect(read_parquet(MC_PARQUET, batch_rows=30_000))
    last: dict[int, tuple[Any, ...]] = {}
    expected = []
    raw = pl.read_parquet(MC_PARQUET).with_row_index("record", offset=1)
    for r in raw.iter_rows(named=True):
        static = (
            _num(r["IMO"] and r["IMO"].removeprefix("IMO"), int),
            (r["VesselName"] or "").strip() or None,
            r["CallSign"] or None,
            _num(r["VesselType"], int),
            r["Draft"] or None,
            _num(r["Length"], float),
            _num(r["Width"], float),
        )
        if all(v is None for v in static):
            continue
        key = (*static, r["TransceiverClass"])
        if last.get(r["MMSI"]) != key:
            expected.append(r["record"])
            last[r["MMSI"]] = key
    assert rep["record"].to_list() == expected


@pytest.mark.parametrize("high", [3, 2**30, 2**62])
def test_stable_order(high: int) -> None:
    rng = np.random.default_rng(high % 1000)
    for n in (0, 1, 2, 17, 5000):
        keys = rng.integers(0, high, n, dtype=np.int64)
        assert (stable_order(keys) == np.argsort(keys, kind="stable")).all()
    keys = np.array([-5, 3, -5, 2, 3])
    assert (stable_order(keys) == np.argsort(keys, kind="stable")).all()
