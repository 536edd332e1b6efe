from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from sanctionwatch.detectors.base import with_event_ids
from sanctionwatch.schema import EVENTS
from sanctionwatch.store import DuckDBStore, EventFilter

T = datetime(2019, 3, 1, tzinfo=UTC)


def _events(n: int, event_type: str = "ais_gap", hours: float = 7.0) -> pl.DataFrame:
    df = pl.DataFrame(
        {
            "event_type": [event_type] * n,
            "mmsi": [445000000 + i for i in range(n)],
            "start_time": [T + timedelta(hours=i) for i in range(n)],
            "end_time": [T + timedelta(hours=i + hours) for i in range(n)],
            "lat": [38.0 + i / 10 for i in range(n)],
            "lon": [124.0] * n,
            "duration_h": [hours] * n,
            "evidence": [[f"f.nmea:{i}"] for i in range(n)],
        }
    )
    return EVENTS.conform(with_event_ids(df))


def test_adding_the_same_events_twice_adds_nothing(tmp_path):
    path = tmp_path / "s.duckdb"
    ev = _events(5)
    with DuckDBStore(path) as st:
        assert st.add_events(ev) == 5
        assert st.add_events(ev) == 0
        assert st.count_events() == 5
    with DuckDBStore(path, read_only=True) as st:
        back = st.events()
    assert back.sort("event_id").equals(ev.sort("event_id"))


def test_filters(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.add_events(pl.concat([_events(4), _events(2, "encounter", 3.0)]))
        assert st.events(EventFilter(event_types=("encounter",))).height == 2
        assert st.events(EventFilter(mmsi=445000001)).height == 2
        assert st.events(EventFilter(min_duration_h=5)).height == 4
        assert st.events(EventFilter(since=T + timedelta(hours=9))).height == 2
        assert st.events(EventFilter(until=T + timedelta(minutes=30))).height == 2
        assert st.events(EventFilter(bbox=(123.0, 38.15, 125.0, 39.0))).height == 2
        assert st.events(EventFilter(limit=3)).height == 3


def test_read_only_store_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="no store"):
        DuckDBStore(tmp_path / "missing.duckdb", read_only=True)


def test_failed_insert_leaves_store_unchanged(tmp_path):
    with DuckDBStore(tmp_path / "s.duckdb") as st:
        st.add_events(_events(3))
        bad = _events(2).with_columns(pl.lit(None, dtype=pl.Utf8).alias("event_id"))
        with pytest.raises(Exception):  # noqa: B017 - any DB error; the point is the rollback
            st.add_events(bad)
        assert st.count_events() == 3
