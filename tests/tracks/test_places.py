"""Places learnt from the data: a small harbour the port list does not know is found, and ships
moored together there are neither encounters nor loitering; a pair alone at sea stays an
encounter."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.detectors import detectors
from sanctionwatch.detectors.base import DetectionInput
from sanctionwatch.reference import Port
from sanctionwatch.tracks.context import SPANS_SCHEMA, run_context
from sanctionwatch.tracks.places import learn_places
from sanctionwatch.tracks.prepare import PrepareParams
from tests.factory import detection_input, offset, open_sea_reference, track

LAT, LON = 33.0, 128.0
PAIR = (441_000_001, 441_000_002)
OTHERS = (441_000_003, 441_000_004)
SOLENT = Path(__file__).parents[1] / "data" / "ais" / "solent-stonesoup"


def _moored(mmsi: int, north_m: float, east_m: float, hours: float = 8.0) -> pl.DataFrame:
    la, lo = offset(LAT, LON, north_m, east_m)
    return track(mmsi, la, lo, hours=hours, interval_s=180.0, first_record=mmsi % 1000 * 1000
                 ).with_columns(pl.lit(5, dtype=pl.Int8).alias("nav_status"))


def _harbour() -> list[pl.DataFrame]:
    """Two ships moored together (40 m apart) and two more at berths 150 m away, 8 h."""
    return [_moored(PAIR[0], 0, 0), _moored(PAIR[1], 0, 40), _moored(OTHERS[0], 150, 0),
            _moored(OTHERS[1], -150, 0)]


def _with_places(frames: list[pl.DataFrame], reference=None) -> DetectionInput:
    data = detection_input(*frames, reference=reference)
    places = learn_places(pl.concat(frames).lazy(), PrepareParams())
    return dataclasses.replace(data, places=places)


def _run(name: str, data: DetectionInput) -> pl.DataFrame:
    return detectors()[name].run(data)


def test_a_harbour_missing_from_the_port_list_is_learnt() -> None:
    places = learn_places(pl.concat(_harbour()).lazy(), PrepareParams())
    assert places.height == 1
    row = places.row(0, named=True)
    assert row["kind"] == "berth"  # they reported "moored"
    assert row["n_vessels"] >= 3  # those whose stay fell in its 500 m cell
    assert row["lat"] == pytest.approx(LAT, abs=0.002) and row["lon"] == pytest.approx(LON,
                                                                                     abs=0.002)
    # the same places whatever the order the rows come in
    shuffled = pl.concat(_harbour()).sample(fraction=1.0, shuffle=True, seed=3)
    assert learn_places(shuffled.lazy(), PrepareParams()).equals(places)


def test_ships_moored_together_in_a_learnt_place_are_no_encounter_nor_loitering() -> None:
    without = detection_input(*_harbour())
    assert _run("encounter", without).height >= 1  # what the port list alone gives
    assert _run("loitering", without).height >= 1
    data = _with_places(_harbour())
    assert _run("encounter", data).height == 0
    assert _run("loitering", data).height == 0


def test_port_calls_at_a_learnt_place_are_named_as_such() -> None:
    data = _with_places(_harbour())
    calls = _run("port_call", data)
    assert calls.height == 4
    assert calls["port_name"].is_null().all() and calls["port_country"].is_null().all()
    place_id = data.places["place_id"][0]  # type: ignore[index]
    for d in calls["details"]:
        det = json.loads(d)
        assert det["learnt_place"] == place_id and det["port_point_kind"] == "learnt_berth"
    # within 4 km of a shipped port, the place is that port's berth
    near = Port("SMALLPORT", "KOR", *offset(LAT, LON, 2_000, 0))
    named = _run("port_call", _with_places(_harbour(), open_sea_reference([near])))
    assert set(named["port_name"]) == {"SMALLPORT"}


def test_a_pair_alone_at_sea_is_no_place_and_stays_an_encounter() -> None:
    pair = _harbour()[:2]
    assert learn_places(pl.concat(pair).lazy(), PrepareParams()).height == 0
    data = _with_places(pair)
    assert _run("encounter", data).height == 1


def test_short_stops_and_moving_ships_make_no_place() -> None:
    brief = [_moored(m, 30 * i, 0, hours=0.5) for i, m in enumerate((*PAIR, *OTHERS))]
    assert learn_places(pl.concat(brief).lazy(), PrepareParams()).height == 0
    passing = [track(m, LAT, LON + 0.001 * i, hours=3, speed_knots=6, first_record=100 * i)
               for i, m in enumerate((*PAIR, *OTHERS))]
    assert learn_places(pl.concat(passing).lazy(), PrepareParams()).height == 0
    late = [_moored(m, 0, 30 * i).with_columns(
        pl.col("timestamp") + timedelta(hours=i)) for i, m in enumerate((*PAIR, *OTHERS))]
    assert learn_places(pl.concat(late).lazy(), PrepareParams()).height == 1  # not at once: ok


def test_solent_places_are_portsmouth_harbour_berths() -> None:
    from sanctionwatch.ingest.ais import read_ais

    pos = pl.concat([b.positions for b in read_ais(SOLENT / "SolentAIS_20160112_130211.csv")])
    ctx = run_context(pos.lazy(), pl.DataFrame(schema=SPANS_SCHEMA), PrepareParams())
    places = ctx.places
    assert places.height >= 1
    assert places["kind"].unique().to_list() == ["stopping_place"]  # the file has no status
    assert places["n_vessels"].min() >= 3  # type: ignore[operator]
    # all inside Portsmouth Harbour, whose World Port Index point names them
    assert places["lat"].is_between(50.78, 50.82).all()
    assert places["lon"].is_between(-1.13, -1.09).all()
    data = DetectionInput(tracks=pl.DataFrame(), reports=pl.DataFrame(),
                          reference=_shipped(), places=places)
    learnt = [p for p in data.ports_and_places().ports if p.place_id is not None]
    assert {p.name for p in learnt} == {"PORTSMOUTH HARBOUR"}


def _shipped():
    from sanctionwatch.reference import ReferenceData

    return ReferenceData.default()


def test_place_parameters_are_validated() -> None:
    with pytest.raises(ValueError):
        PrepareParams(place_cell_m=0)
    with pytest.raises(ValueError):
        PrepareParams(place_min_vessels=0)
