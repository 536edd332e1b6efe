"""identity_change events: renames, IMO / call sign / type / flag changes, MID vs flag (the
identity_change detector) and one IMO on several MMSIs (the shared_imo detector)."""

from __future__ import annotations

import json
from datetime import timedelta

import polars as pl
import pytest

from sanctionwatch.detectors import identity_change as ic
from sanctionwatch.detectors.base import registry
from sanctionwatch.detectors.shared_imo import SharedImoParams
from sanctionwatch.schema import EVENTS
from tests.factory import T0, detection_input, reports, track

MMSI = 412_000_001
H = timedelta(hours=1)


def _run(rows: list[dict[str, object]], *frames: pl.DataFrame,
         params: ic.Params | None = None, shared: SharedImoParams | None = None
         ) -> pl.DataFrame:
    """The events of type identity_change: both detectors that write it."""
    if not frames:
        frames = (track(MMSI, 30.0, 125.0, hours=12),)
    data = detection_input(*frames, vessel_reports=reports(rows))
    return pl.concat([registry()["identity_change"].run(data, params),
                      registry()["shared_imo"].run(data, shared)])


def _changes(ev: pl.DataFrame) -> list[tuple[str, str, str]]:
    return list(ev.select("subtype", "old_value", "new_value").iter_rows())


def test_rename_imo_callsign_and_type_changes() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "RICH GLORY", "imo": 9074729,
         "callsign": "3EAB4", "ship_type": 80},
        {"mmsi": MMSI, "timestamp": T0 + 6 * H, "name": "YU JONG 2", "imo": 8987187,
         "callsign": "HMYF", "ship_type": 70},
    ])
    assert sorted(_changes(ev)) == [
        ("callsign", "3EAB4", "HMYF"),
        ("imo", "9074729", "8987187"),
        ("name", "RICH GLORY", "YU JONG 2"),
        ("ship_type", "80", "70"),
    ]
    row = ev.filter(pl.col("subtype") == "name").row(0, named=True)
    assert row["start_time"] == row["end_time"] == T0 + 6 * H
    assert row["evidence"] == ["test.csv:1", "test.csv:2"]
    assert (row["lat"], row["lon"]) == (30.0, 125.0)
    assert json.loads(row["details"])["hours_since_old_report"] == pytest.approx(6.0)
    assert ev["event_id"].n_unique() == 4


def test_data_entry_noise_is_not_an_identity_change() -> None:
    """Read as false identity changes on the real samples (docs/real-review.md): the same IMO
    written with two zeros appended, a type code revised within its category, two letters of a
    call sign swapped. A type moved to another category still is a change."""
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "TINTIN", "imo": 9144665,
         "callsign": "WDM3715", "ship_type": 52},
        {"mmsi": MMSI, "timestamp": T0 + 6 * H, "name": "TINITN", "imo": 914466500,
         "callsign": "WMD3715", "ship_type": 57},
        {"mmsi": MMSI, "timestamp": T0 + 7 * H, "imo": 9144665, "ship_type": 31},
    ])
    assert _changes(ev) == [("ship_type", "57", "31")]


def test_case_whitespace_and_null_transitions_are_not_changes() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "OCEAN STAR", "callsign": "HMXY",
         "ship_type": 80, "imo": 9074729},
        {"mmsi": MMSI, "timestamp": T0 + H, "name": " ocean  star", "callsign": "hmxy "},
        {"mmsi": MMSI, "timestamp": T0 + 2 * H, "name": None, "ship_type": 0, "imo": 0},
        {"mmsi": MMSI, "timestamp": T0 + 3 * H, "name": "OCEAN-STAR", "ship_type": 80,
         "imo": 9074729},
    ])
    assert ev.height == 0


def test_changes_are_per_mmsi() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "name": "A"},
        {"mmsi": MMSI + 1, "timestamp": T0 + H, "name": "B"},
    ])
    assert ev.height == 0


def test_one_imo_on_two_mmsis() -> None:
    ev = _run(
        [
            {"mmsi": MMSI, "timestamp": T0, "imo": 9074729, "name": "A"},
            {"mmsi": 667_000_002, "timestamp": T0 + 2 * H, "imo": 9074729, "name": "B"},
            {"mmsi": MMSI, "timestamp": T0 + 5 * H, "imo": 9074729, "name": "A"},
        ],
        track(MMSI, 30.0, 125.0, hours=12),
        track(667_000_002, 31.0, 125.0, hours=12, source="other.csv"),
    )
    shared = ev.filter(pl.col("subtype") == "shared_imo")
    assert shared.height == 1
    row = shared.row(0, named=True)
    assert (row["mmsi"], row["other_mmsi"], row["new_value"]) == (MMSI, 667_000_002, "9074729")
    assert row["start_time"] == T0 + 2 * H  # when the second MMSI first used it
    assert row["end_time"] == T0 + 5 * H
    assert row["distance_km"] == pytest.approx(111.2, abs=0.5)
    details = json.loads(row["details"])
    assert details["overlapping"] is True
    assert row["evidence"] == ["test.csv:1", "test.csv:2"]


def test_shared_imo_ignores_invalid_and_placeholder_imos() -> None:
    rows: list[dict[str, object]] = [
        {"mmsi": m, "timestamp": T0, "imo": imo}
        for imo in (1234568, 1234567) for m in (MMSI, MMSI + 1)
    ]
    assert "shared_imo" not in ev_subtypes(_run(rows))


def ev_subtypes(ev: pl.DataFrame) -> set[str]:
    return set(ev["subtype"].to_list())


def test_dprk_mid_broadcasting_sierra_leone_flag() -> None:
    dprk = 445_123_000
    ev = _run(
        [
            {"mmsi": dprk, "timestamp": T0, "flag": "SL"},
            {"mmsi": dprk, "timestamp": T0 + 3 * H, "flag": "sl"},
            {"mmsi": MMSI, "timestamp": T0, "flag": "CN"},  # consistent
            {"mmsi": 319_000_001, "timestamp": T0, "flag": "GB"},  # Cayman MID, British flag
            {"mmsi": 477_000_001, "timestamp": T0, "flag": "CN"},  # Hong Kong MID
        ],
        track(dprk, 39.0, 124.0, hours=4),
    )
    mm = ev.filter(pl.col("subtype") == "mid_flag_mismatch")
    assert _changes(mm) == [("mid_flag_mismatch", "KP", "SL")]
    row = mm.row(0, named=True)
    assert row["mmsi"] == dprk
    assert row["end_time"] == T0 + 3 * H
    assert json.loads(row["details"])["mid_country"] == "Democratic People's Republic of Korea"
    assert (row["lat"], row["lon"]) == (39.0, 124.0)


def test_flag_change() -> None:
    ev = _run([
        {"mmsi": MMSI, "timestamp": T0, "flag": "CN"},
        {"mmsi": MMSI, "timestamp": T0 + H, "flag": "TG"},
    ])
    assert ("flag", "CN", "TG") in _changes(ev)
    assert ("mid_flag_mismatch", "CN", "TG") in _changes(ev)
    no_flag = _run(
        [{"mmsi": MMSI, "timestamp": T0, "flag": "CN"},
         {"mmsi": MMSI, "timestamp": T0 + H, "flag": "TG"}],
        params=ic.Params(fields=("name",), mid_flag_mismatch=False),
    )
    assert no_flag.height == 0


def test_report_without_any_position_gets_nan_coordinates() -> None:
    ev = _run(
        [{"mmsi": 273_000_001, "timestamp": T0, "name": "A"},
         {"mmsi": 273_000_001, "timestamp": T0 + H, "name": "B"}],
    )
    assert ev.height == 1 and ev["lat"].is_nan().all()


def test_output_conforms() -> None:
    rows: list[dict[str, object]] = [
        {"mmsi": MMSI, "timestamp": T0, "name": "A", "imo": 9074729, "flag": "KP"},
        {"mmsi": MMSI + 1, "timestamp": T0 + H, "name": "B", "imo": 9074729},
        {"mmsi": MMSI, "timestamp": T0 + 2 * H, "name": "C"},
    ]
    data = detection_input(track(MMSI, 30.0, 125.0, hours=3), vessel_reports=reports(rows))
    ev = ic.detect(data, ic.Params())
    assert set(ev.columns) <= set(EVENTS.names)
    assert ev_subtypes(ev) == {"name", "mid_flag_mismatch"}
    assert ev["event_id"].to_list() == ic.detect(data, ic.Params())["event_id"].to_list()
    shared = registry()["shared_imo"].run(data)
    assert ev_subtypes(shared) == {"shared_imo"}
    assert set(shared["event_type"]) == {"identity_change"}
    with pytest.raises(ValueError):
        ic.Params(fields=("colour",))


def test_imo_on_many_mmsis_is_treated_as_a_default() -> None:
    rows: list[dict[str, object]] = [
        {"mmsi": MMSI + i, "timestamp": T0 + i * H, "imo": 9074729} for i in range(11)
    ]
    assert "shared_imo" not in ev_subtypes(_run(rows))
    ev = _run(rows, shared=SharedImoParams(max_mmsi_count=11))
    assert ev.filter(pl.col("subtype") == "shared_imo").height == 55


def test_tuple_parameter_accepts_comma_separated_text() -> None:
    assert ic.Params(fields="name, imo").fields == ("name", "imo")  # type: ignore[arg-type]


def test_mistyped_second_mmsi_is_not_a_shared_imo() -> None:
    """GRAN FINALE on the real samples: one name, call sign and IMO on 377039000 and
    377039001. Another ship under a one-digit-apart MMSI and another name still counts."""
    rows = [
        {"mmsi": 377039000, "timestamp": T0, "name": "GRAN FINALE", "imo": 9022180,
         "callsign": "J8Y2969"},
        {"mmsi": 377039001, "timestamp": T0 + H, "name": "Gran Finale", "imo": 9022180,
         "callsign": "J8Y2969"},
        {"mmsi": 377039002, "timestamp": T0 + 2 * H, "name": "OTHER SHIP", "imo": 9022180,
         "callsign": "J8Y2969"},
    ]
    frames = [track(m, 13.0, -61.0, hours=3) for m in (377039000, 377039001, 377039002)]
    ev = _run(rows, *frames).filter(pl.col("subtype") == "shared_imo")
    assert sorted(ev.select("mmsi", "other_mmsi").iter_rows()) == [
        (377039000, 377039002), (377039001, 377039002)]
