"""Fishing days in DPRK waters by flag and gear, beside Park et al. 2020."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.fishing_days import CAVEAT, fishing_days, park_estimates
from sanctionwatch.schema import EVENTS

EAST = (39.5, 129.5)  # DPRK claimed EEZ and the military zone, East Sea
WEST = (38.9, 124.6)  # the approximate West Sea zone
OUTSIDE = (37.0, 134.5)  # Sea of Japan, outside every DPRK zone
CN, CN2, KP = 412000001, 412000002, 445000001


def ev(kind: str, mmsi: int, start: str, end: str, at: tuple[float, float], *,
       gear: str | None = None, other: int | None = None) -> dict[str, object]:
    return {"event_id": f"{kind}-{mmsi}-{start}", "event_type": kind, "mmsi": mmsi,
            "other_mmsi": other, "start_time": datetime.fromisoformat(start).replace(tzinfo=UTC),
            "end_time": datetime.fromisoformat(end).replace(tzinfo=UTC), "lat": at[0],
            "lon": at[1], "details": json.dumps({"gear": gear} if gear else {})}


def frame(*rows: dict[str, object]) -> pl.DataFrame:
    return EVENTS.conform(pl.DataFrame(list(rows)))


def test_days_by_zone_flag_and_gear_with_the_park_comparison() -> None:
    t = fishing_days(frame(
        # a pair of Chinese pair trawlers, 30 h across two UTC days
        ev("pair_trawling", CN, "2017-07-01T12:00", "2017-07-02T18:00", EAST, other=CN2),
        # the same boat's fishing event at the same time counts under pair_trawler only
        ev("fishing", CN, "2017-07-01T12:00", "2017-07-02T18:00", EAST, gear="trawler"),
        ev("fishing", KP, "2017-07-03T20:00", "2017-07-04T04:00", EAST, gear="squid_jigger"),
        ev("fishing", CN, "2017-07-10T00:00", "2017-07-10T06:00", WEST, gear="trawler"),
        ev("fishing", CN, "2017-07-11T00:00", "2017-07-11T06:00", OUTSIDE, gear="trawler"),
        ev("loitering", CN, "2017-07-12T00:00", "2017-07-12T06:00", EAST),
    ))
    eez = t.filter(pl.col("zone_id") == "prk_eez_east_sea")
    pair = eez.filter(pl.col("gear") == "pair_trawler").row(0, named=True)
    assert pair["flag"] == "CN" and pair["vessels"] == 2 and pair["vessel_days"] == 4
    assert pair["fishing_days"] == pytest.approx(2 * 30 / 24)
    assert eez.filter((pl.col("flag") == "CN") & (pl.col("gear") == "trawler")).height == 0
    park = park_estimates().filter((pl.col("year") == 2017) & (pl.col("flag_of_state_iso3")
                                   == "chn") & (pl.col("vessel_class") == "trawler"))
    assert pair["park_estimated_days"] == park["estimated_total_days_of_fishing"].sum()
    assert pair["ais_share"] == pytest.approx(4 / pair["park_estimated_days"])
    assert pair["note"] == CAVEAT
    jig = eez.filter(pl.col("gear") == "squid_jigger").row(0, named=True)
    assert jig["flag"] == "KP" and jig["vessel_days"] == 2 and jig["park_estimated_days"] is None
    west = t.filter(pl.col("zone_id") == "prk_waters_west_sea_approx").row(0, named=True)
    assert west["approximate"] and "APPROXIMATE" in west["note"]
    assert west["park_estimated_days"] is None
    assert t.filter(pl.col("zone_id") == "prk_military_zone_east_sea").height == 2
    assert t["vessel_days"].sum() == 4 + 2 + 1 + 4 + 2  # the two East Sea zones, the West Sea


def test_year_filter_and_no_events() -> None:
    rows = frame(ev("fishing", CN, "2018-01-01T00:00", "2018-01-01T05:00", EAST, gear="trawler"))
    assert fishing_days(rows, year=2017).height == 0
    assert fishing_days(rows, year=2018)["year"].to_list() == [2018, 2018]
    assert fishing_days(EVENTS.empty()).height == 0


def test_cli_writes_the_table_and_states_the_caveat(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sanctionwatch.cli.app import app
    from sanctionwatch.store import DuckDBStore

    store = tmp_path / "s.duckdb"
    with DuckDBStore(store) as st:
        st.add_events(frame(ev("fishing", CN, "2017-07-01T00:00", "2017-07-01T10:00", EAST,
                                 gear="trawler")))
    out = tmp_path / "days.csv"
    res = CliRunner().invoke(app, ["fishing-days", "--store", str(store), "--out", str(out),
                                   "--year", "2017"])
    assert res.exit_code == 0, res.output
    assert "small share of a mostly dark fleet" in res.output
    assert pl.read_csv(out)["vessel_days"].to_list() == [1, 1]
    bad = CliRunner().invoke(app, ["fishing-days", "--store", str(tmp_path / "none.duckdb")])
    assert bad.exit_code != 0 and "no such store" in bad.output
