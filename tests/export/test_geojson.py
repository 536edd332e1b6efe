"""events.geojson, built column-wise, says exactly what a per-event reference builder says."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from sanctionwatch.export.geojson import events_geojson, geojson_text
from sanctionwatch.schema import EVENTS


def _reference(events: pl.DataFrame) -> dict[str, object]:
    """The straightforward per-row builder (the former implementation) as the oracle."""

    def finite(v: object) -> bool:
        return isinstance(v, (int, float)) and math.isfinite(v)

    def value(v: object) -> object:
        if isinstance(v, datetime):
            return v.isoformat()
        if isinstance(v, float) and not math.isfinite(v):
            return None
        return v

    features = []
    for row in events.iter_rows(named=True):
        geom: dict[str, object] | None = None
        if finite(row["lat"]) and finite(row["lon"]):
            if (finite(row["end_lat"]) and finite(row["end_lon"])
                    and abs(row["end_lon"] - row["lon"]) > 180):
                side = 180.0 if row["lon"] > 0 else -180.0
                frac = (side - row["lon"]) / (row["end_lon"] + 2 * side - row["lon"])
                at = row["lat"] + frac * (row["end_lat"] - row["lat"])
                geom = {"type": "MultiLineString", "coordinates": [
                    [[row["lon"], row["lat"]], [side, at]],
                    [[-side, at], [row["end_lon"], row["end_lat"]]]]}
            elif (finite(row["end_lat"]) and finite(row["end_lon"])
                    and (row["end_lat"] != row["lat"] or row["end_lon"] != row["lon"])):
                geom = {"type": "LineString", "coordinates": [[row["lon"], row["lat"]],
                                                              [row["end_lon"], row["end_lat"]]]}
            else:
                geom = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
        features.append({"type": "Feature", "id": row["event_id"], "geometry": geom,
                         "properties": {k: value(v) for k, v in row.items()}})
    return {"type": "FeatureCollection", "features": features}


def _events() -> pl.DataFrame:
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    nan, inf = float("nan"), float("inf")
    rows = {
        "event_id": ["g1", "p1", "n1", "z1", "q\"1"],
        "event_type": ["ais_gap", "port_call", "identity_change", "ais_gap", "spoofing"],
        "mmsi": [1, 2, 3, 4, 5],
        "other_mmsi": [None, None, None, 7, None],
        "start_time": [t0, t0 + timedelta(microseconds=123456), t0, t0, t0],
        "end_time": [t0 + timedelta(hours=9), None, t0, t0, t0],
        "lat": [30.0, 38.7, None, 10.0, nan],
        "lon": [125.0, 125.4, None, -179.5, 1.0],
        "end_lat": [31.5, 38.7, None, 10.0, 2.0],
        "end_lon": [126.25, 125.4, None, 179.5, 2.0],
        "distance_to_port_km": [inf, 0.25, None, 1e-5, 123456789.125],
        "evidence": [["a.csv:1", "a.csv:9"], [], None, ["b:2"], ["c:3"]],
        "details": ['{"k": 1}', "{}", '{"s": "x\\"y"}', "{}", "{}"],
    }
    return EVENTS.conform(pl.DataFrame(rows, strict=False))


def test_geojson_equals_the_per_event_reference():
    ev = _events()
    got = json.loads(geojson_text(ev))
    assert got == _reference(ev)
    kinds = [f["geometry"] and f["geometry"]["type"] for f in got["features"]]
    assert kinds == ["LineString", "Point", None, "MultiLineString", None]
    assert events_geojson(ev) == got


def test_a_gap_across_the_antimeridian_is_split_at_180_degrees():
    t0 = datetime(2019, 3, 1, tzinfo=UTC)
    ev = EVENTS.conform(pl.DataFrame({
        "event_id": ["east-west", "west-east", "near"], "event_type": ["ais_gap"] * 3,
        "mmsi": [1, 2, 3], "start_time": [t0] * 3, "end_time": [t0 + timedelta(hours=8)] * 3,
        "lat": [50.0, -10.0, 0.0], "lon": [179.0, -178.0, 170.0],
        "end_lat": [52.0, -13.0, 1.0], "end_lon": [-179.0, 179.0, -170.0],
    }, strict=False))
    geoms = [f["geometry"] for f in events_geojson(ev)["features"]]
    assert geoms[0] == {"type": "MultiLineString", "coordinates": [
        [[179.0, 50.0], [180.0, 51.0]], [[-180.0, 51.0], [-179.0, 52.0]]]}
    # 2 degrees west of 180 on the way from -178 to 179 is two thirds of the way
    (a, b), (c, d) = geoms[1]["coordinates"]
    assert a == [-178.0, -10.0] and d == [179.0, -13.0]
    assert b[0] == -180.0 and c[0] == 180.0 and b[1] == c[1] == pytest.approx(-12.0)
    # 340 degrees apart eastwards is 20 degrees apart across 180: still split
    assert geoms[2]["type"] == "MultiLineString"
    # no half ever spans more than 180 degrees of longitude
    for g in geoms:
        for (lon0, _), (lon1, _) in g["coordinates"]:
            assert abs(lon1 - lon0) <= 180


def test_empty_events_give_an_empty_collection():
    assert json.loads(geojson_text(EVENTS.empty())) == {"type": "FeatureCollection",
                                                         "features": []}
