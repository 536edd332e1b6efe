"""The tabular readers' fast paths give what the general ones give (issue 15): text times
parsed on a fixed layout first, core text columns parsed once per distinct value, vessels
grouped by a radix sort for the report dedup, and the CSV reader's pipeline of threads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

import sanctionwatch.ingest.ais.csv as csv_mod
from sanctionwatch.ingest.ais.base import prefetch
from sanctionwatch.ingest.ais.csv import read_csv
from sanctionwatch.ingest.ais.dedup import ReportDedup, differs, stable_order, vessel_order
from sanctionwatch.ingest.ais.distinct import DistinctValues
from sanctionwatch.ingest.ais.exprs import HAS, PRE
from sanctionwatch.ingest.ais.layouts import field
from sanctionwatch.ingest.ais.parsers import TIME_ISO, iso_series, time_format
from tests.ingest.ais.helpers import (
    collect,
    concat_batches,
    read_parquet_batches,
)

TIMES = [
    "2019-06-01T00:00:00", "2019-06-01 00:00:01", "2019-06-01T00:00:02.250",
    "2019-06-01T00:00:03Z", "2019-06-01T02:00:04+02:00", "2019-06-01T00:00:05.5Z",
    "2019-06-01 01:00:06.125-01:00", "2019-06-01T24:00:00", "2019-02-29T00:00:00",
    "2019-06-01T00:00", "not a time", "", None, "2019-06-01T23:59:60",
    "2019-6-1T00:00:07", "+2019-06-01T00:00:08",
]


def _general(value: str | None) -> datetime | None:
    """The ISO parse of one value on its own: the layouts with a fraction and with an
    offset, the first that parses (the parser before its fast path)."""
    s = pl.Series([value], dtype=pl.String).str.replace(" ", "T", literal=True)
    naive = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    if naive[0] is not None:
        return naive.dt.replace_time_zone("UTC")[0]  # type: ignore[no-any-return]
    zoned = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us")
    return zoned.dt.convert_time_zone("UTC")[0]  # type: ignore[no-any-return]


def test_times_the_fast_layout_cannot_parse_take_the_general_parse() -> None:
    got = iso_series(pl.Series(TIMES, dtype=pl.String))
    assert got.dtype == pl.Datetime("us", "UTC")
    assert got.to_list() == [_general(v) for v in TIMES]
    # the values only the general layouts read, as ISO 8601 says
    assert got[2] == datetime(2019, 6, 1, 0, 0, 2, 250_000, tzinfo=UTC)
    assert got[4] == datetime(2019, 6, 1, 0, 0, 4, tzinfo=UTC)
    assert got[6] == datetime(2019, 6, 1, 2, 0, 6, 125_000, tzinfo=UTC)
    assert got[7] is None and got[10] is None and got[12] is None


def test_a_batch_of_fast_layout_times_alone_or_of_misses_alone() -> None:
    for values in (TIMES[:2], ["2019-06-01T00:00:03Z", "2019-06-01T00:00:02.5"], [None]):
        got = pl.DataFrame({"t": pl.Series(values, dtype=pl.String)}).select(
            TIME_ISO.text(pl.col("t"))).to_series()
        assert got.to_list() == [_general(v) for v in values]


def test_a_day_first_layout_falls_back_to_iso_on_its_misses() -> None:
    day_first = time_format("%d/%m/%Y %H:%M:%S")
    values = ["08/02/2018 00:00:01", "2018-02-08T00:00:02.5Z", "31/02/2018 00:00:00",
              "2018-02-08 00:00:03", None, "x"]
    got = pl.DataFrame({"t": pl.Series(values, dtype=pl.String)}).select(
        day_first.text(pl.col("t"))).to_series().to_list()
    assert got == [datetime(2018, 2, 8, 0, 0, 1, tzinfo=UTC),
                   datetime(2018, 2, 8, 0, 0, 2, 500_000, tzinfo=UTC), None,
                   datetime(2018, 2, 8, 0, 0, 3, tzinfo=UTC), None, None]


def test_a_core_column_parsed_by_value_says_which_rows_hold_a_value() -> None:
    values = ["2019-06-01T00:00:00", " ", "NaN", None, "n/a", "x", "2019-06-01T00:00:00"]
    distinct = DistinctValues({"t": [field("timestamp", "t", TIME_ISO, "")]}, core=["t"])
    series, coded = distinct.parse(pa.table({"t": pa.array(values, pa.string())}), ["t"])
    got = {s.name: s.to_list() for s in series}
    assert got[HAS + "t"] == [True, False, False, False, False, True, True]
    assert got[PRE + "timestamp"] == [_general(v.strip() if v else v) or None
                                      for v in values]
    assert coded == {}


def _text_time_parquet(path: Path) -> Path:
    """Typed MMSI and position, text times with every kind of bad value, static data that
    changes back and forth, and rows of vessels interleaved."""
    times = [*TIMES, "1990-01-01T00:00:00", "2019-06-01T00:00:09"] * 5
    n = len(times)
    pq.write_table(pa.table({
        "mmsi": pa.array([211000000 + i % 4 for i in range(n)], pa.int64()),
        "timestamp": pa.array(times, pa.string()),
        "lat": pa.array([54.0 + i / 100 if i % 11 else None for i in range(n)], pa.float64()),
        "lon": pa.array([10.0] * n, pa.float64()),
        "name": pa.array([("ALPHA", "BETA", None)[(i // 7) % 3] for i in range(n)],
                         pa.string()),
    }), path, row_group_size=23)
    return path


def test_text_times_by_value_read_as_every_column_as_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = _text_time_parquet(tmp_path / "t.parquet")
    for rows in (3, 10, 1_000):
        typed = read_parquet_batches(f, rows, typed=True, monkeypatch=monkeypatch)
        text = read_parquet_batches(f, rows, typed=False, monkeypatch=monkeypatch)
        # the typed path reads small row groups together, so its batches may be cut
        # elsewhere: the same rows, reports, rejects and row account in the same order
        for x, y in zip(concat_batches(typed), concat_batches(text), strict=True):
            assert_frame_equal(x, y)
        assert [sum(b.rows for b in t) for t in (typed, text)] == [len(TIMES) * 5 + 10] * 2
        assert sum(b.reports_only for b in typed) == sum(b.reports_only for b in text)
        assert all(b.positions.height + b.rejects.height <= rows for b in typed)
    rej = collect(read_parquet_batches(f, 1_000, typed=True,
                                       monkeypatch=monkeypatch))[2]
    # per cycle of 18 times: 4 that no layout reads, 2 empty, 1 before AIS; every 11th
    # row has no latitude
    reasons = dict(rej.group_by("reason").len().iter_rows())
    assert reasons == {"bad_timestamp": 20, "missing_field": 15, "impossible_time": 5}
    assert rej.filter(pl.col("detail") == "timestamp is empty").height == 10
    assert rej.filter(pl.col("reason") == "bad_timestamp")["detail"].str.starts_with(
        "timestamp='").all()


def test_vessel_order_groups_each_vessels_rows_in_file_order() -> None:
    rng = np.random.default_rng(5)
    for n_vessels in (1, 7, 70_000):  # the last beyond a 16-bit radix sort
        mmsi = rng.integers(0, n_vessels, 200_000) * 1_000 + 200_000_000
        order = vessel_order(mmsi)
        assert sorted(order.tolist()) == list(range(len(mmsi)))
        grouped = mmsi[order]
        starts = np.flatnonzero(np.append(True, grouped[1:] != grouped[:-1]))
        assert len(starts) == len(np.unique(mmsi))  # each vessel's rows together
        by_sort = stable_order(mmsi)
        # within each vessel, the rows in file order: as a stable sort by MMSI has them
        assert {int(m): order[grouped == m].tolist() for m in np.unique(mmsi)[:50]} == {
            int(m): by_sort[mmsi[by_sort] == m].tolist() for m in np.unique(mmsi)[:50]}


def test_prefetch_keeps_order_raises_in_place_and_stops_when_closed() -> None:
    assert list(prefetch(iter(range(1_000)), depth=3)) == list(range(1_000))

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("broken")

    got = []
    with pytest.raises(ValueError, match="broken"):
        for x in prefetch(failing()):
            got.append(x)
    assert got == [1]

    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    it = prefetch(endless())
    assert next(it) == 0
    it.close()  # type: ignore[attr-defined]
    assert closed.wait(5)


def test_csv_rejects_keep_their_true_lines_through_the_pipeline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header = "MMSI,BaseDateTime,LAT,LON,SOG,VesselName,IMO,CallSign,TransceiverClass"
    lines = [header]
    for i in range(300):
        name = ("ALPHA", "BETA")[(i // 40) % 2]
        lines.append(f"{211000000 + i % 5},2019-06-01T00:{i // 60:02d}:{i % 60:02d},"
                     f"54.{i:03d},10.0,1.0,{name},IMO9340348,CALL,A")
    lines[20] = '211000009,2019-06-01T01:00:00,54.0,10.0,1.0,"TWO\nLINES",,C,A'
    lines[50] = "211000001,2019-06-01T01:00:00,54.0"  # too few fields
    lines[120] = "211000002,2019-06-01 01:00:00.5Z,54.0,10.0,1.0,BETA,,C,A"
    lines[121] = "211000002,01/06/2019,54.0,10.0,1.0,BETA,,C,A"  # bad time
    lines[200] = '211000003,2019-06-01T01:00:00,54.0,10.0,1.0,"OPEN,,C,A'  # stray quote
    f = tmp_path / "m.csv"
    f.write_text("\n".join(lines) + "\n")
    whole = collect(read_csv(f, batch_rows=1_000_000))
    for rows, block in ((7, 97), (50, 1_000), (1_000, 4_096)):
        monkeypatch.setattr(csv_mod, "BLOCK_BYTES", block)
        small = collect(read_csv(f, batch_rows=rows))
        for a, b in zip(whole[:3], small[:3], strict=True):
            assert a.equals(b)
    pos, rep, rej, _ = whole
    # the quoted value spans lines 21-22, so every later record is one line further down
    assert rej.select("record", "reason").rows() == [
        (52, "bad_row"), (123, "bad_timestamp"), (202, "bad_quoting")]
    assert rep.filter(pl.col("mmsi") == 211000009)["record"].to_list() == [21]
    assert pos.filter(pl.col("record") == 122)["timestamp"].to_list() == [
        datetime(2019, 6, 1, 1, 0, 0, 500_000, tzinfo=UTC)]
    physical = f.read_text().splitlines()
    for rec, mmsi in pos.select("record", "mmsi").rows():
        assert physical[rec - 1].startswith(f"{mmsi},")
    # a vessel's static changes, in order: ALPHA, BETA, ALPHA, ... per vessel
    names = rep.filter(pl.col("mmsi") == 211000000).sort("record")["name"].to_list()
    assert names == ["ALPHA", "BETA"] * 3 + ["ALPHA"] + ["BETA"] * (len(names) - 7)


def test_dedup_compares_packed_columns_as_polars_does() -> None:
    rng = np.random.default_rng(3)
    n = 5_000
    def pick(values: list[object]) -> list[object]:
        return [values[i] for i in rng.integers(0, len(values), n)]

    rep = pl.DataFrame({
        "mmsi": rng.integers(0, 30, n),
        "imo": pl.Series(pick([9340348, None, 1]), dtype=pl.Int64),
        "ship_type": pl.Series(pick([0, 1, None]), dtype=pl.UInt32),
        "draught_m": pl.Series(pick([0.0, -0.0, None, 5.5]), dtype=pl.Float32),
        "length_m": pl.Series(pick([10.0, None]), dtype=pl.Float64),
        "width_m": pl.Series(pick([1.0, float("nan"), None]), dtype=pl.Float64),
        "name": pl.Series(pick(["A", "B", None]), dtype=pl.String),
        "flag": pl.Series(pick([2**64 - 1, 0, None]), dtype=pl.UInt64),
    })
    cols = [c for c in rep.columns if c != "mmsi"]
    dedup = ReportDedup(cols)
    for order in (None, vessel_order(rep["mmsi"].to_numpy())):
        got = dedup._changes(rep, order)
        rows = rep if order is None else rep[order]
        want = rows.select(differs(cols)).to_series().to_numpy()
        assert (got[1:] == want[1:]).all()
