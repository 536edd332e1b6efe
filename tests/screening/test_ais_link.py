"""AIS linkage: broadcast identities screened against listed vessels, matches put on events."""

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from followthemoney import model

from sanctionwatch.schema import EVENTS, VESSEL_REPORTS
from sanctionwatch.screening import (
    Screener,
    ScreeningIndex,
    enrich_events,
    screen_vessels,
    vessel_identities,
)


def _vessel(eid: str, name: str, imo: str, previous: list[str]) -> object:
    e = model.make_entity("Vessel")
    e.id = eid
    e.add("name", name)
    for p in previous:
        e.add("previousName", p)
    e.add("imoNumber", imo)
    return e


@pytest.fixture(scope="module")
def screener() -> Screener:
    # UN 1718 list entries (names, former names and IMOs as in the June 2020 list)
    ents = [
        _vessel("un1718-8909575", "BLUE NOUVELLE", "8909575", ["GREENLIGHT", "CHONG BONG"]),
        _vessel("un1718-7937317", "CHONG CHON GANG", "7937317", ["TONG HUNG SAN"]),
        _vessel("un1718-8705539", "KUM UN SAN 3", "8705539", []),
    ]
    p = model.make_entity("Person")
    p.id = "kpi-x"
    p.add("name", "KIM JONG UN")
    return Screener(ScreeningIndex.from_entities([*ents, p]))


def _t(h: int) -> datetime:
    return datetime(2024, 3, 1, h, tzinfo=UTC)


def _reports() -> pl.DataFrame:
    rows = [
        # IMO of BLUE NOUVELLE under a new, unlisted name (and an earlier one)
        {"mmsi": 677000001, "timestamp": _t(1), "imo": 8909575, "name": "SEA STAR"},
        {"mmsi": 677000001, "timestamp": _t(5), "imo": 8909575, "name": "OCEAN PEARL"},
        # former name of CHONG CHON GANG, no IMO broadcast
        {"mmsi": 511000002, "timestamp": _t(2), "imo": None, "name": "TONG HUNG SAN"},
        # an unlisted vessel
        {"mmsi": 477000003, "timestamp": _t(3), "imo": 9321483, "name": "EVER GIVEN"},
        {"mmsi": 477000003, "timestamp": _t(4), "imo": 9321483, "name": "EVER GIVEN"},
    ]
    return pl.DataFrame(rows, schema=VESSEL_REPORTS.polars_schema(), strict=False)


def test_identities_collect_every_imo_and_name():
    ids = vessel_identities(_reports())
    assert ids["mmsi"].to_list() == [477000003, 511000002, 677000001]
    row = ids.filter(pl.col("mmsi") == 677000001).row(0, named=True)
    assert row["imos"] == [8909575] and row["names"] == ["SEA STAR", "OCEAN PEARL"]
    assert ids.filter(pl.col("mmsi") == 511000002)["imos"].to_list() == [[]]
    assert ids.filter(pl.col("mmsi") == 477000003)["n_reports"].item() == 2


def test_imo_under_new_name_matched_by_imo(screener):
    m = screen_vessels(vessel_identities(_reports()), screener)
    hit = m.filter((pl.col("mmsi") == 677000001) & pl.col("is_match"))
    assert hit["match_id"].to_list() == ["un1718-8909575"]
    assert hit["matched_on"].item() == "imo" and hit["imo"].item() == 8909575
    assert "imo_match" in hit["explanation"].item()


def test_former_name_without_imo_matched_by_name(screener):
    m = screen_vessels(vessel_identities(_reports()), screener)
    hit = m.filter((pl.col("mmsi") == 511000002) & pl.col("is_match")).row(0, named=True)
    assert hit["match_id"] == "un1718-7937317" and hit["matched_on"] == "name"
    assert hit["ais_name"] == "TONG HUNG SAN" and hit["imo"] is None
    assert "name_literal" in hit["explanation"] and "TONG HUNG SAN" in hit["explanation"]


def test_unlisted_vessel_gets_nothing(screener):
    m = screen_vessels(vessel_identities(_reports()), screener)
    assert m.filter((pl.col("mmsi") == 477000003) & pl.col("is_match")).height == 0
    gap = _events().filter(pl.col("event_type") == "ais_gap")
    assert enrich_events(gap, m).equals(gap)


def _events() -> pl.DataFrame:
    rows = [
        {
            "event_id": "e1",
            "event_type": "encounter",
            "mmsi": 477000003,
            "other_mmsi": 511000002,
            "start_time": _t(6),
            "end_time": _t(9),
            "details": json.dumps({"min_distance_m": 40.0}),
        },
        {
            "event_id": "e2",
            "event_type": "ais_gap",
            "mmsi": 477000003,
            "start_time": _t(10),
            "end_time": _t(20),
        },
    ]
    return pl.DataFrame(rows, schema=EVENTS.polars_schema(), strict=False)


def test_encounter_with_designated_vessel_gets_match(screener):
    m = screen_vessels(vessel_identities(_reports()), screener)
    ev = _events()
    out = enrich_events(ev, m)
    assert out.schema == ev.schema and out["event_id"].to_list() == ["e1", "e2"]
    d = json.loads(out["details"][0])
    assert d["min_distance_m"] == 40.0  # existing keys kept
    (hit,) = d["sanctions_matches"]
    assert hit["party"] == "other_mmsi" and hit["mmsi"] == 511000002
    assert hit["match_id"] == "un1718-7937317" and hit["matched_on"] == "name"
    assert out["details"][1] is None  # the gap of the unlisted vessel is untouched
    assert out.drop("details").equals(ev.drop("details"))


def test_listed_mmsi_is_matched():
    e = _vessel("ofac-1", "CHON MA SAN", "8660313", [])
    e.add("mmsi", "445101000")  # type: ignore[attr-defined]
    scr = Screener(ScreeningIndex.from_entities([e]))
    ids = pl.DataFrame(
        {"mmsi": [445101000], "timestamp": [_t(1)], "imo": [None], "name": ["HAPPY DAY"]},
        schema={k: VESSEL_REPORTS.polars_schema()[k] for k in ("mmsi", "timestamp", "imo", "name")},
    )
    m = screen_vessels(vessel_identities(ids), scr)
    assert m["matched_on"].to_list() == ["mmsi"] and m["is_match"].to_list() == [True]
