"""Simulated squid jiggers (lighting vessels): added without moving any other ship, jigging
at night and steaming by day, and found by the ``fishing`` detector."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sanctionwatch.evaluate import EvaluationReport, evaluate
from sanctionwatch.pipeline import detect
from sanctionwatch.simulate import generate, scenarios, simulate
from sanctionwatch.simulate.behaviours import sun_hours

RUNS = (("dprk-2019", 1), ("dprk-2019", 2), ("dprk-2019", 3), ("baseline", 1))


def _without(df: pl.DataFrame, mmsis: set[int]) -> pl.DataFrame:
    keep = ~pl.col("mmsi").is_in(sorted(mmsis)).fill_null(False)
    if "other_mmsi" in df.columns:
        keep &= ~pl.col("other_mmsi").is_in(sorted(mmsis)).fill_null(False)
    return df.filter(keep).drop([c for c in ("record",) if c in df.columns])


@pytest.mark.parametrize(("scenario", "seed"), RUNS)
def test_the_jiggers_leave_every_other_ship_and_label_unchanged(
        scenario: str, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    jiggers: set[int] = set()
    original = scenarios._squid_jiggers

    def recording(w: scenarios.World, seed: int, dprk: bool) -> None:
        first = len(w.ships)
        original(w, seed, dprk)
        jiggers.update(s.mmsi for s in w.ships[first:])

    monkeypatch.setattr(scenarios, "_squid_jiggers", recording)
    with_jiggers = generate(scenario, seed)
    assert len(jiggers) == (9 if scenario == "dprk-2019" else 4)
    monkeypatch.setattr(scenarios, "_squid_jiggers", lambda w, seed, dprk: None)
    before = generate(scenario, seed)
    # ``record`` is the row number, which the added rows shift; everything else is identical
    for a, b in ((with_jiggers.positions, before.positions),
                 (with_jiggers.reports, before.reports),
                 (with_jiggers.labels, before.labels),
                 (with_jiggers.negatives, before.negatives)):
        assert _without(a, jiggers).equals(b.drop([c for c in ("record",) if c in b.columns]))
    assert with_jiggers.positions.height > before.positions.height


@pytest.fixture(scope="module")
def seed1() -> scenarios.Frames:
    return generate("dprk-2019", 1)


def _jig_labels(frames: scenarios.Frames) -> pl.DataFrame:
    return frames.labels.filter((pl.col("event_type") == "fishing")
                                & pl.col("details").str.contains('"squid_jigger"'))


def test_jiggers_in_dprk_waters_are_chinese_class_b_some_without_a_fishing_type(
        seed1: scenarios.Frames) -> None:
    lab = _jig_labels(seed1)
    dprk = lab.filter(pl.col("behaviour") == "fishing_dprk_waters")
    assert dprk["mmsi"].n_unique() == 5
    assert lab.filter(pl.col("behaviour") == "background")["mmsi"].n_unique() == 3
    lon0, lat0, lon1, lat1 = scenarios.DPRK_EAST_SEA
    pos = seed1.positions.filter(pl.col("mmsi").is_in(dprk["mmsi"].unique().implode()))
    assert (pos["mmsi"] // 1_000_000 == 412).all() and (pos["ais_class"] == "B").all()
    night = pos.join(dprk.select("mmsi", "start_time", "end_time"), on="mmsi").filter(
        pl.col("timestamp").is_between("start_time", "end_time"))
    assert night["lat"].is_between(lat0 - 0.2, lat1 + 0.2).all()
    assert night["lon"].is_between(lon0 - 0.2, lon1 + 0.2).all()
    types = seed1.reports.filter(pl.col("mmsi").is_in(dprk["mmsi"].unique().implode())
                                 ).group_by("mmsi").agg(pl.col("ship_type").first())
    assert sorted(types["ship_type"].to_list()) == [0, 0, 30, 30, 30]


def test_jiggers_drift_slowly_from_sunset_to_sunrise_and_steam_by_day(
        seed1: scenarios.Frames) -> None:
    lab = _jig_labels(seed1)
    assert lab.height >= 5 * 6  # every night of the week for the DPRK-waters fleet
    pos = seed1.positions.filter(pl.col("mmsi").is_in(lab["mmsi"].unique().implode()))
    inside = pos.join(lab.select("mmsi", "start_time", "end_time"), on="mmsi").filter(
        pl.col("timestamp").is_between("start_time", "end_time"))
    assert inside["sog_knots"].max() < 1.0 and inside["sog_knots"].median() > 0.1  # type: ignore[operator]
    first = inside.sort("timestamp").group_by("mmsi", "start_time").first()
    assert first.height == lab.height
    for r in first.iter_rows(named=True):  # lamps on at sunset, off at sunrise (local solar)
        rise, sset = sun_hours(r["lat"], r["start_time"])
        t = r["start_time"]
        local = (t.hour + t.minute / 60 + r["lon"] / 15) % 24
        assert abs(local - sset) < 0.6
        hours = (r["end_time"] - t) / timedelta(hours=1)
        assert abs(hours - (24 - (sset - rise))) < 1.2
    # by day, away from port, they are under way at cruising speed
    covered = pl.concat([pos.join(lab.select("mmsi", "start_time", "end_time"), on="mmsi")
                         .filter(pl.col("timestamp").is_between(
                             pl.col("start_time") - timedelta(hours=1),
                             pl.col("end_time") + timedelta(hours=1)))
                         .select("mmsi", "timestamp")]).unique()
    day = pos.join(covered, on=["mmsi", "timestamp"], how="anti").filter(
        pl.col("sog_knots") > 1.0)
    assert day.height > 0 and float(np.median(day["sog_knots"].to_numpy())) >= 7.0


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvaluationReport, pl.DataFrame,
                                                               pl.DataFrame]:
    work: Path = tmp_path_factory.mktemp("jiggers")
    sim = simulate("dprk-2019", 1, work / "scenario")
    detect([str(f) for f in sim.files], work / "det", only=["fishing"], engine="memory")
    events = pl.read_parquet(work / "det" / "events.parquet")
    labels = pl.read_parquet(sim.labels_path)
    rep = evaluate(events, labels, negatives=pl.read_parquet(work / "scenario" /
                                                             "negatives.parquet"),
                   types=["fishing"])
    return rep, events, labels


def test_every_jigging_night_is_found_as_squid_jigging(
        report: tuple[EvaluationReport, pl.DataFrame, pl.DataFrame]) -> None:
    rep, events, labels = report
    jig = labels.with_row_index("label_index").filter(
        (pl.col("event_type") == "fishing") & pl.col("details").str.contains('"squid_jigger"'))
    hit = rep.matches.filter(pl.col("label_index").is_in(
        jig["label_index"].cast(pl.Int64).implode()))
    assert hit.height == jig.height >= 40
    gears = [json.loads(events["details"][i])["gear"] for i in hit["event_index"].to_list()]
    assert set(gears) == {"squid_jigger"}
    undeclared = {json.loads(events["details"][i])["declared_fishing"]
                  for i in hit["event_index"].to_list()}
    assert undeclared == {True, False}  # found with and without the fishing ship type


def test_a_fishing_vessel_drifting_day_and_night_is_not_jigging(
        report: tuple[EvaluationReport, pl.DataFrame, pl.DataFrame]) -> None:
    rep = report[0]
    assert rep.hard_negative_hits.get("drifting_offshore", {}).get("fishing", 0) == 0
