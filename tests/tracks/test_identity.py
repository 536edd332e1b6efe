"""Identity periods from static reports, and their place in the store and `detect`."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from sanctionwatch.schema import VESSEL_IDENTITIES, VESSEL_REPORTS
from sanctionwatch.store import DuckDBStore
from sanctionwatch.tracks.identity import identity_history
from tests.factory import T0


def reports(rows: list[dict[str, object]]) -> pl.DataFrame:
    full = []
    for i, r in enumerate(rows):
        base: dict[str, object] = {"source": "feed.nmea", "record": i + 1}
        base.update(r)
        base["timestamp"] = T0 + timedelta(hours=float(r["h"]))  # type: ignore[arg-type]
        base.pop("h")
        full.append(base)
    return VESSEL_REPORTS.conform(pl.DataFrame(full))


def test_a_rename_starts_a_period_and_repeats_do_not():
    df = identity_history(reports([
        {"mmsi": 445000001, "h": 0, "imo": 9000001, "name": "KUM UN SAN", "callsign": "HMAA"},
        {"mmsi": 445000001, "h": 1, "imo": 9000001, "name": "KUM UN SAN", "callsign": "HMAA"},
        {"mmsi": 445000001, "h": 5, "imo": 9000001, "name": "NEW NAME", "callsign": "HMAA"},
        {"mmsi": 445000001, "h": 6, "imo": 9000001, "name": "NEW NAME", "callsign": "HMAA"},
    ]))
    assert df.columns == VESSEL_IDENTITIES.names
    assert df["name"].to_list() == ["KUM UN SAN", "NEW NAME"]
    assert df["n_reports"].to_list() == [2, 2]
    assert df["first_seen"].to_list() == [T0, T0 + timedelta(hours=5)]
    assert df["last_seen"].to_list() == [T0 + timedelta(hours=1), T0 + timedelta(hours=6)]
    # each period names the file and line of its first report
    assert df["record"].to_list() == [1, 3]
    # no flag in the reports: the MMSI's MID (445 = DPRK) gives it
    assert df["flag"].to_list() == ["KP", "KP"]
    assert df["flag_source"].to_list() == ["mid", "mid"]


def test_class_b_parts_a_and_b_are_one_identity_not_flapping_changes():
    df = identity_history(reports([
        {"mmsi": 412000002, "h": 0, "name": "ZHE DAI YU 1"},
        {"mmsi": 412000002, "h": 0.1, "callsign": "BZAB", "ship_type": 30},
        {"mmsi": 412000002, "h": 1, "name": "ZHE DAI YU 1"},
        {"mmsi": 412000002, "h": 1.1, "callsign": "BZAB", "ship_type": 30},
    ]))
    assert df.height == 1
    row = df.row(0, named=True)
    assert (row["name"], row["callsign"], row["ship_type"], row["n_reports"]) == (
        "ZHE DAI YU 1", "BZAB", 30, 4)


def test_a_stated_flag_wins_over_the_mid_and_a_reflagging_is_a_new_period():
    df = identity_history(reports([
        {"mmsi": 352000003, "h": 0, "imo": 9000003, "name": "SHIP", "flag": "PA"},
        {"mmsi": 352000003, "h": 2, "imo": 9000003, "name": "SHIP", "flag": "sl"},
        {"mmsi": 990000004, "h": 0, "name": "BUOY"},  # not a ship MMSI: no MID flag
    ]))
    ship = df.filter(pl.col("mmsi") == 352000003)
    assert ship["flag"].to_list() == ["PA", "SL"]
    assert ship["flag_source"].to_list() == ["report", "report"]
    buoy = df.filter(pl.col("mmsi") == 990000004).row(0, named=True)
    assert buoy["flag"] is None and buoy["flag_source"] is None


def test_imo_zero_and_blank_names_are_empty_not_identities():
    df = identity_history(reports([
        {"mmsi": 445000005, "h": 0, "imo": 0, "name": "  "},
        {"mmsi": 445000005, "h": 1, "imo": 9000005, "name": "REAL"},
    ]))
    assert df.height == 1
    assert (df["imo"][0], df["name"][0], df["n_reports"][0]) == (9000005, "REAL", 2)


def test_empty_reports_give_an_empty_declared_frame():
    df = identity_history(VESSEL_REPORTS.empty())
    assert df.height == 0 and df.columns == VESSEL_IDENTITIES.names


def test_the_store_keeps_periods_once_and_reads_one_vessel(tmp_path):
    df = identity_history(reports([
        {"mmsi": 445000001, "h": 0, "name": "A"},
        {"mmsi": 445000001, "h": 3, "name": "B"},
        {"mmsi": 445000009, "h": 0, "name": "C"},
    ]))
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        assert store.add_vessel_identities(df) == 3
        assert store.add_vessel_identities(df) == 0  # a rerun adds nothing twice
        one = store.vessel_identities(445000001)
        assert one["name"].to_list() == ["A", "B"]
        assert store.vessel_identities().height == 3
