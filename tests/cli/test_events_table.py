"""The console's events table: a missing value is a blank cell, never `None` or `nan`."""

from datetime import UTC, datetime, timedelta

import polars as pl
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.schema import EVENTS
from sanctionwatch.store import DuckDBStore

T0 = datetime(2019, 3, 1, tzinfo=UTC)


def test_events_with_missing_values_print_blank_cells(tmp_path):
    ev = EVENTS.conform(pl.DataFrame({
        "event_id": ["a", "b"], "event_type": ["identity_change", "draught_change"],
        "subtype": ["imo", "laden"], "mmsi": [412000001, 412000002],
        "other_mmsi": [None, None], "start_time": [T0, T0 + timedelta(hours=1)],
        "end_time": [T0, T0 + timedelta(hours=2)], "duration_h": [float("nan"), 1.0],
        "lat": [None, float("nan")], "lon": [None, float("nan")],
        "old_value": [None, None], "new_value": ["9074729", None],
        "draught_changed": [None, True], "draught_before_m": [None, None],
        "draught_after_m": [None, 9.5], "median_distance_m": [None, float("nan")],
    }, strict=False))
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as st:
        st.add_events(ev)
    res = CliRunner().invoke(app, ["events", "--store", str(path)])
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert "412000001" in text and "412000002" in text
    assert "None" not in text and "nan" not in text.lower()
    assert "-> 9074729" in text and "draught -> 9.5 m" in text
