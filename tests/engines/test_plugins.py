"""A third-party detector of each scope, installed through the entry-point group, gives the same
events under every engine: pairs found across MMSI-range partitions and across day
partitions of the lake, a fleet search over every partition, and a vessel detector per range.

The plug-in is a real distribution on ``sys.path`` (a module and its ``.dist-info`` with
``entry_points.txt``), found the way an installed one is; the Dask run uses worker processes,
which find it through ``PYTHONPATH`` as a cluster's workers would find an installed package.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from textwrap import dedent

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.detectors import ENTRY_POINT_GROUP, detectors
from sanctionwatch.detectors.base import unregister
from sanctionwatch.engines import EngineOptions
from sanctionwatch.pipeline import detect
from tests.factory import track

PLUGINS = ("fast_leg", "rendezvous", "name_twins")

PLUGIN_MODULE = dedent('''
    """Three plug-in detectors, one per scope."""
    from dataclasses import dataclass

    import polars as pl

    from sanctionwatch.detectors import (
        Details, FleetSearch, Key, PairSearch, Params, register)
    from sanctionwatch.detectors.common import evidence_expr, with_event_ids
    from sanctionwatch.geo import haversine_m_expr

    H_US = 3_600_000_000


    @dataclass(frozen=True)
    class FastParams(Params):
        min_speed_knots: float = 12.0


    @register("fast_leg", FastParams, reads=(),
              details=(Details({"track_id": Key(pl.Int64(), "the track")}),))
    def fast_leg(data, p):
        """Vessel scope: the first position of each track faster than min_speed_knots."""
        fast = data.tracks.filter(pl.col("sog_knots") > p.min_speed_knots)
        if fast.height == 0:
            return pl.DataFrame()
        first = fast.group_by("track_id").first()
        ev = first.select(
            pl.lit("fast_leg").alias("event_type"), "mmsi",
            pl.col("timestamp").alias("start_time"), pl.col("timestamp").alias("end_time"),
            "lat", "lon", pl.concat_list(evidence_expr()).alias("evidence"),
            pl.struct("track_id").struct.json_encode().alias("details"), "track_id")
        return with_event_ids(ev, ["track_id"]).drop("track_id")


    @dataclass(frozen=True)
    class RendezvousParams(Params):
        max_distance_m: float = 2000.0
        min_hours_count: int = 2


    def _hourly(tracks):
        return (tracks.with_columns((pl.col("timestamp").dt.epoch("us") // H_US).alias("k"))
                .group_by("track_id", "mmsi", "k").agg(pl.col("lat").mean(), pl.col("lon").mean(),
                                                      pl.col("source").first(),
                                                      pl.col("record").min())
                .sort("track_id", "k"))


    def _close(hourly, p):
        pairs = hourly.join(hourly, on="k", suffix="_b").filter(
            pl.col("mmsi") < pl.col("mmsi_b"))
        return pairs.filter(haversine_m_expr(pl.col("lat"), pl.col("lon"), pl.col("lat_b"),
                                             pl.col("lon_b")) <= p.max_distance_m)


    def _sample(data, p):
        return _hourly(data.tracks)


    def _pairs(samples, p):
        return _close(samples, p).select(pl.col("track_id").alias("track_a"),
                                         pl.col("track_id_b").alias("track_b")).unique()


    @register("rendezvous", RendezvousParams, reads=("fast_leg",), scope="pair",
              pair_search=PairSearch(_sample, _pairs,
                                     columns=("track_id", "mmsi", "timestamp", "lat", "lon",
                                              "source", "record"), reports=True))
    def rendezvous(data, p):
        """Pair scope: two vessels within max_distance_m on average over at least
        min_hours_count consecutive clock hours; details count their fast legs."""
        close = _close(_hourly(data.tracks), p).sort("track_id", "track_id_b", "k")
        if close.height == 0:
            return pl.DataFrame()
        close = close.with_columns(
            ((pl.col("k") - pl.col("k").shift(1)).over("track_id", "track_id_b")
             .fill_null(2) != 1).cum_sum().alias("run"))
        runs = close.group_by("run").agg(
            pl.col("mmsi").first(), pl.col("mmsi_b").first().alias("other_mmsi"),
            pl.col("k").min().alias("k0"), pl.col("k").max().alias("k1"), pl.len().alias("n"),
            pl.col("lat").mean(), pl.col("lon").mean(),
            pl.concat_str([pl.col("source"), pl.lit(":"), pl.col("record").cast(pl.Utf8)])
            .first().alias("ev"))
        runs = runs.filter(pl.col("n") >= p.min_hours_count)
        if runs.height == 0:
            return pl.DataFrame()
        # the batch's reports (reports=True): only those of its vessels
        assert set(data.reports["mmsi"]) <= set(data.tracks["mmsi"])
        prior = data.prior_events
        fast = (prior.filter(pl.col("event_type") == "fast_leg")["mmsi"].to_list()
                if prior is not None and prior.height else [])
        ev = runs.select(
            pl.lit("rendezvous").alias("event_type"), "mmsi", "other_mmsi",
            pl.from_epoch(pl.col("k0") * H_US, time_unit="us").dt.replace_time_zone("UTC")
            .alias("start_time"),
            pl.from_epoch((pl.col("k1") + 1) * H_US, time_unit="us").dt.replace_time_zone("UTC")
            .alias("end_time"),
            "lat", "lon", pl.concat_list("ev").alias("evidence"),
            pl.struct(fast_legs=(pl.col("mmsi").is_in(fast).cast(pl.Int64)
                                 + pl.col("other_mmsi").is_in(fast).cast(pl.Int64)))
            .struct.json_encode().alias("details"))
        return with_event_ids(ev).sort("event_id")


    @dataclass(frozen=True)
    class TwinParams(Params):
        max_mmsi_count: int = 5


    def _named(reports, p):
        return (reports.select("mmsi", "name").drop_nulls().unique()
                .filter(pl.len().over("name").is_between(2, p.max_mmsi_count))
                .select("mmsi").unique())


    @register("name_twins", TwinParams, reads=(), scope="fleet",
              fleet_search=FleetSearch(_named))
    def name_twins(data, p):
        """Fleet scope: two MMSIs broadcasting the same name (one event per pair)."""
        per = (data.reports.drop_nulls("name").group_by("name", "mmsi")
               .agg(pl.col("timestamp").min().alias("t"),
                    pl.concat_str([pl.col("source"), pl.lit(":"), pl.col("record").cast(pl.Utf8)])
                    .first().alias("ev"), pl.len().alias("n")))
        pairs = per.join(per, on="name", suffix="_b").filter(pl.col("mmsi") < pl.col("mmsi_b"))
        if pairs.height == 0:
            return pl.DataFrame()
        ev = pairs.select(
            pl.lit("name_twins").alias("event_type"), "mmsi",
            pl.col("mmsi_b").alias("other_mmsi"),
            pl.max_horizontal("t", "t_b").alias("start_time"),
            pl.max_horizontal("t", "t_b").alias("end_time"),
            pl.col("name").alias("new_value"), pl.concat_list("ev", "ev_b").alias("evidence"),
            (pl.col("n") + pl.col("n_b")).cast(pl.Int64).alias("n_positions"))
        return with_event_ids(ev, ["new_value"])
''')

DAY1 = datetime(2019, 3, 1, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
OPTS = EngineOptions(partition_rows=300, pair_sample_rows=3, pair_batch_rows=40)
"""A vessel or two per MMSI-range partition, a few pairing keys per task, small batches."""


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plug-in distribution, installed on ``sys.path`` for this module's tests."""
    root = tmp_path_factory.mktemp("site")
    (root / "swplugins.py").write_text(PLUGIN_MODULE)
    info = root / "swplugins-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: swplugins\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nswplugins = swplugins\n")
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in PLUGINS:
            unregister(name)
        sys.modules.pop("swplugins", None)


def _inputs(folder: Path) -> list[Path]:
    """Two files (day 1, then day 2) holding:

    - a rendezvous from day 1 22:00 to day 2 03:00 of two ships with MMSIs far apart (so in
      different MMSI-range partitions) crossing midnight (two day partitions of the lake);
    - the first of them under way at 15 kn before it (a fast leg);
    - two ships, also in different partitions, broadcasting the same name;
    - ships in transit, so the partitions are many.
    """
    frames = [
        track(412000001, 30.0, 125.0, start=DAY1 + timedelta(hours=22), hours=5, speed_knots=0.5),
        track(667000002, 30.0, 125.01, start=DAY1 + timedelta(hours=22), hours=5,
              speed_knots=0.5, first_record=1000),
        track(412000001, 29.0, 125.0, start=DAY1 + timedelta(hours=12), hours=2, speed_knots=15,
              first_record=2000),
    ]
    for i in range(6):
        frames.append(track(440000100 + i * 37_000_000, 20.0 + 3 * i, 118.0 + i, start=DAY1,
                            hours=48, interval_s=1800, speed_knots=10, course_deg=80,
                            first_record=10_000 * (i + 1)))
    named = {440000100: "TWIN STAR", 440000100 + 4 * 37_000_000: "TWIN STAR"}
    allpos = pl.concat(frames).sort("timestamp").with_columns(
        pl.col("mmsi").replace_strict(named, default=None, return_dtype=pl.Utf8).alias("name"))
    paths = []
    for name, part in (("day1.parquet", allpos.filter(pl.col("timestamp") < DAY2)),
                       ("day2.parquet", allpos.filter(pl.col("timestamp") >= DAY2))):
        part.drop("source", "record").write_parquet(folder / name)
        paths.append(folder / name)
    return paths


@pytest.fixture(scope="module")
def runs(plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    assert set(PLUGINS) <= set(detectors())  # found through the entry point
    root = tmp_path_factory.mktemp("plugin-runs")
    inputs = _inputs(root)
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", f"{plugin}:{':'.join(p for p in sys.path if p)}")
    out = {}
    try:
        for engine, opts in (("memory", None), ("local", OPTS),
                             ("dask", EngineOptions(**{**OPTS.__dict__, "n_workers": 2,
                                                       "processes": True}))):
            res = detect(inputs, root / engine, engine=engine, engine_options=opts,
                         only=list(PLUGINS))
            out[engine] = res.events.sort("event_id")
    finally:
        mp.undo()
    return out


def test_each_scope_finds_its_events(runs: dict[str, pl.DataFrame]) -> None:
    ev = runs["memory"]
    meet = ev.filter(pl.col("event_type") == "rendezvous")
    assert meet.height == 1
    row = meet.row(0, named=True)
    assert (row["mmsi"], row["other_mmsi"]) == (412000001, 667000002)
    assert row["start_time"] <= DAY2 <= row["end_time"]  # across the day partitions
    assert row["details"] == '{"fast_legs":1}'  # read the vessel-scope plug-in's events
    twins = ev.filter(pl.col("event_type") == "name_twins")
    assert twins["new_value"].to_list() == ["TWIN STAR"]
    search = detectors()["name_twins"].fleet_search
    assert search is not None
    reports = pl.LazyFrame({"mmsi": [1, 2, 3], "name": ["A", "A", "B"]})
    wanted = search.vessels(reports, detectors()["name_twins"].params_type()).collect()
    assert sorted(wanted["mmsi"]) == [1, 2]  # what the lake engines load for it
    assert ev.filter(pl.col("event_type") == "fast_leg").height >= 1


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_every_engine_gives_the_memory_engines_events(runs: dict[str, pl.DataFrame],
                                                      engine: str) -> None:
    assert_frame_equal(runs[engine], runs["memory"], check_exact=True)


def test_the_pair_spans_partitions(plugin: Path, tmp_path: Path) -> None:
    """The two vessels of the rendezvous are in different MMSI ranges of the lake."""
    from sanctionwatch.engines.lake import Lake, LakeWriter
    from sanctionwatch.ingest.files import ingest

    writer = LakeWriter(tmp_path / "lake")
    ingest(_inputs(tmp_path), tmp_path / "spool", sink=writer)
    parts = Lake(tmp_path / "lake").partitions(OPTS.partition_rows)

    def part_of(mmsi: int) -> int:
        return next(p.index for p in parts if p.lo <= mmsi <= p.hi)

    assert part_of(412000001) != part_of(667000002)
    assert len(Lake(tmp_path / "lake").days()) >= 2  # and the days are partitions of the lake
