"""Every event's ``details`` has one of the shapes its detector declares, every declared shape
is written by some input, and every declared key is documented on the detector's page."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.detectors import Details, DetectionInput, Key, detectors
from sanctionwatch.detectors.details import details_text
from sanctionwatch.engines.memory import run_detectors
from sanctionwatch.reference import ReferenceData
from sanctionwatch.tracks import prepare_tracks
from tests.factory import T0, positions, reports, track

DOCS = Path(__file__).resolve().parents[2] / "docs" / "detectors"


def _shapes() -> dict[str, list[tuple[str, Details]]]:
    """Declared shapes by event type, with the detector declaring each."""
    out: dict[str, list[tuple[str, Details]]] = {}
    for name, det in detectors().items():
        out.setdefault(det.event_type, []).extend((name, d) for d in det.details)
    return out


def _handmade() -> pl.DataFrame:
    """Positions for the shapes a short scenario rarely holds: a track that jumps
    impossibly far without overlapping another (spoofing track_jump), a (0, 0) position
    (impossible_value), an invalid MMSI, two ships drifting together at sea for three hours
    (an encounter), a sustained teleport, a stale record stamped at midnight, a ship heard
    twice, 8 h apart (a coverage gap: too rarely heard for its silence to be noticed) and a
    stray fix an ocean away."""
    first = track(412000009, 30.0, 123.0, hours=1)
    jumped = track(412000009, 36.0, 123.0, start=T0 + timedelta(hours=2), hours=1,
                   first_record=100)
    null_island = positions([{"mmsi": 412000009, "timestamp": T0 + timedelta(minutes=5),
                              "lat": 0.0, "lon": 0.0, "source": "test.csv", "record": 999}])
    invalid = track(123456789, 31.0, 124.0, hours=1, first_record=2000)
    pair = [track(412000010, 31.5, 124.5, hours=3, speed_knots=0.5, first_record=3000),
            track(412000011, 31.5, 124.501, hours=3, speed_knots=0.5, first_record=4000)]
    # a sustained teleport: 412000012 reports 330 km north for 1.5 h, then comes back
    teleport = [track(412000012, 30.0, 122.0, hours=2, first_record=5000),
                track(412000012, 33.0, 122.0, start=T0 + timedelta(hours=2, minutes=10),
                      hours=1.5, first_record=5100),
                track(412000012, 30.0, 122.0, start=T0 + timedelta(hours=4), hours=2,
                      first_record=5200)]
    # a stale record: stamped 00:00:00, 200 km from the track that starts a minute later
    stale = [track(412000013, 31.0, 121.0, start=T0 + timedelta(minutes=1), hours=1,
                   first_record=6000),
             positions([{"mmsi": 412000013, "timestamp": T0, "lat": 32.8, "lon": 121.0,
                         "source": "test.csv", "record": 6999}])]
    sparse = positions([{"mmsi": 412000014, "timestamp": T0 + timedelta(hours=h), "lat": 31.0,
                         "lon": 125.0, "source": "test.csv", "record": 8000 + h}
                        for h in (0, 8)])
    # a stray fix: one position of 412000016 2,500 km off its track
    stray = track(412000016, 30.0, 126.0, hours=2, first_record=8100).with_columns(
        pl.when(pl.col("record") == 8105).then(pl.col("lat") + 22.5).otherwise(pl.col("lat"))
        .alias("lat"))
    return pl.concat([first, jumped, null_island, invalid, *pair, *teleport, *stale, sparse,
                      stray])


def _handmade_reports() -> pl.DataFrame:
    """Two transponders on 412000010 (draught 11.2 / 8.6 m every 3 minutes) and an
    impossible draught on 412000011."""
    rows = [{"mmsi": 412000010, "timestamp": T0 + timedelta(minutes=3 * i),
             "draught_m": 11.2 if i % 2 == 0 else 8.6, "record": 7000 + i} for i in range(6)]
    rows.append({"mmsi": 412000011, "timestamp": T0, "draught_m": 25.5, "record": 7100})
    return reports(rows)


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    from sanctionwatch.simulate.scenarios import generate

    frames = generate("dprk-2019", 1, None, 3, "parquet")  # Parquet states flags
    prepared = prepare_tracks(pl.concat([frames.positions, _handmade()], how="vertical_relaxed"))
    rep = pl.concat([frames.reports, _handmade_reports()], how="vertical_relaxed")
    data = DetectionInput(prepared.tracks, rep.sort("mmsi", "timestamp"),
                          ReferenceData.default(), prepared.removed)
    return run_detectors(data)


def test_every_event_has_exactly_one_declared_shape(events: pl.DataFrame) -> None:
    shapes = _shapes()
    assert events.height > 100
    for event_type, subtype, text in events.select("event_type", "subtype",
                                                   "details").iter_rows():
        keys = set(json.loads(text))
        fits = [d for _, d in shapes[event_type] if d.matches(subtype, keys)]
        assert len(fits) == 1, (event_type, subtype, sorted(keys))
        assert details_text(json.loads(text)) == text  # the one format


def test_every_declared_shape_is_written(events: pl.DataFrame) -> None:
    shapes = _shapes()
    seen = set()
    for event_type, subtype, text in events.select("event_type", "subtype",
                                                   "details").iter_rows():
        keys = set(json.loads(text))
        seen |= {(n, d.label()) for n, d in shapes[event_type] if d.matches(subtype, keys)}
    declared = {(n, d.label()) for v in shapes.values() for n, d in v}
    assert declared - seen == set()


@pytest.mark.parametrize("name", [n for n, d in detectors().items() if d.details])
def test_every_details_key_is_documented(name: str) -> None:
    page = (DOCS / f"{name}.md").read_text()
    for shape in detectors()[name].details:
        for key in shape.keys:
            assert f"`{key}`" in page, f"{name}.md does not document details key {key}"


def test_builder_refuses_undeclared_or_missing_keys_and_casts() -> None:
    shape = Details({"n": Key(pl.Int64(), "a count"), "note": Key(pl.Utf8(), "x", optional=True)})
    frame = pl.DataFrame({"n": [1.0, 2.0], "note": ["a", None]})
    out = frame.select(shape.expr(n=pl.col("n"), note=pl.col("note"))).to_series().to_list()
    assert out == ['{"n":1,"note":"a"}', '{"n":2}']  # cast to the declared type; optional
    with pytest.raises(ValueError, match="missing"):
        shape.expr(n=pl.col("n"))
    with pytest.raises(ValueError, match="undeclared"):
        shape.expr(n=pl.col("n"), note=pl.col("note"), extra=pl.col("n"))
    assert shape.keys["n"].json_type() == "integer"
    assert details_text({"b": float("nan"), "a": "김"}) == '{"a":"김","b":null}'
