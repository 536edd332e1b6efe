"""Data-quality findings are written apart from behaviour events: their own file, store table
and counts, whatever detector writes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
import pytest

from sanctionwatch.detectors import DetectionInput, detectors, split_findings
from sanctionwatch.detectors.base import Params, register, unregister
from sanctionwatch.detectors.common import with_event_ids
from sanctionwatch.pipeline import detect
from sanctionwatch.schema import EVENTS, QUALITY_FINDINGS
from sanctionwatch.store import DuckDBStore
from tests.factory import T0, track


@dataclass(frozen=True)
class _NoParams(Params):
    pass


@pytest.fixture
def quality_check() -> Iterator[str]:
    """A check flagging every track's first position as ``test_first_seen``."""

    @register("test_first_seen", _NoParams, category="quality")
    def _first(data: DetectionInput, params: _NoParams) -> pl.DataFrame:
        first = data.tracks.group_by("mmsi").agg(pl.all().first())
        out = first.with_columns(pl.lit("test_first_seen").alias("event_type"),
                                 pl.col("timestamp").alias("start_time"),
                                 pl.col("timestamp").alias("end_time"))
        return with_event_ids(out, ["lat", "lon"]).select(
            "event_id", "event_type", "mmsi", "start_time", "end_time", "lat", "lon")

    try:
        yield "test_first_seen"
    finally:
        unregister("test_first_seen")


def test_split_by_category(quality_check):
    assert detectors()[quality_check].category == "quality"
    rows = pl.DataFrame({"event_type": ["ais_gap", quality_check, "spoofing"]})
    behaviour, quality = split_findings(rows)
    assert behaviour["event_type"].to_list() == ["ais_gap", "spoofing"]
    assert quality["event_type"].to_list() == [quality_check]


def test_findings_have_their_own_file_table_and_counts(quality_check, tmp_path):
    csv = tmp_path / "ais.csv"
    positions = pl.concat([track(211000001, 54.0, 7.0, hours=1),
                           track(211000002, 55.0, 8.0, start=T0, hours=1)])
    positions.select("mmsi", "timestamp", "lat", "lon", "sog_knots").write_csv(csv)
    store = tmp_path / "s.duckdb"
    res = detect([csv], tmp_path / "out", store_path=store,
                 only=[quality_check, "ais_gap"])
    assert res.counts()["data_quality"] == {quality_check: 2}
    assert quality_check not in res.counts()["events"]
    on_disk = pl.read_parquet(tmp_path / "out" / "quality.parquet")
    assert on_disk.schema == QUALITY_FINDINGS.empty().schema
    assert sorted(on_disk["mmsi"].to_list()) == [211000001, 211000002]
    events = pl.read_parquet(tmp_path / "out" / "events.parquet")
    assert events.schema == EVENTS.empty().schema and events.height == 0
    with DuckDBStore(store, read_only=True) as st:
        assert st.con.execute("SELECT count(*) FROM quality_findings").fetchall() == [(2,)]
        assert st.con.execute("SELECT count(*) FROM events").fetchall() == [(0,)]
