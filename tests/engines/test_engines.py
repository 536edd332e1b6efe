"""The local and Dask engines give exactly the events of the in-memory pipeline, with events
that cross day partitions, spatial tiles and MMSI partitions found once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.engines import EngineOptions
from sanctionwatch.pipeline import detect
from tests.factory import track

DAY1 = datetime(2019, 3, 1, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
OPTS = EngineOptions(partition_rows=400, encounter_view_rows=400, tile_deg=10.0,
                     encounter_horizon_h=6.0)
"""Small partitions (a vessel or two each), 10 degree tiles, a short first encounter halo."""


def _scenario(folder: Path) -> list[Path]:
    """Two input files (day 1, then day 2-3) holding:

    - an encounter 23:00-04:00 of two drifting ships crossing 30 N (a tile edge) and midnight;
    - a ship dark from day 1 06:00 to day 3 12:00 (a gap over three day partitions);
    - a ship moored at Nampo from day 1 20:00 to day 2 08:00 (port call, DPRK zone stay);
    - ships in transit across tiles all along, so the inputs cover the whole time.
    """
    frames = [
        # the pair: 0.3 kn north across 30.0 N, 60 m apart
        track(412000001, 29.99, 125.0, start=DAY1 + timedelta(hours=23), hours=5,
              speed_knots=0.3),
        track(412000002, 29.99, 125.0006, start=DAY1 + timedelta(hours=23), hours=5,
              speed_knots=0.3, first_record=1000),
        # dark ship
        track(413000003, 25.0, 140.0, start=DAY1, hours=6, speed_knots=10, course_deg=90,
              first_record=2000),
        track(413000003, 25.0, 141.0, start=DAY1 + timedelta(days=2, hours=12), hours=6,
              speed_knots=10, course_deg=90, first_record=3000),
        # moored at Nampo
        track(445000004, 38.7167, 125.4, start=DAY1 + timedelta(hours=20), hours=12,
              first_record=4000),
    ]
    for i in range(6):  # transits: 15 kn eastwards for three days, crossing 10-degree tiles
        frames.append(
            track(440000100 + i, 20.0 + 3 * i, 118.0 + i, start=DAY1, hours=72,
                  interval_s=1800, speed_knots=15, course_deg=80, first_record=10_000 * (i + 1))
        )
    allpos = pl.concat(frames).sort("timestamp")
    paths = []
    for name, part in (
        ("day1.parquet", allpos.filter(pl.col("timestamp") < DAY2)),
        ("day2on.parquet", allpos.filter(pl.col("timestamp") >= DAY2)),
    ):
        path = folder / name
        part.drop("source", "record").write_parquet(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("engines")
    inputs = _scenario(root)
    out = {}
    for engine, opts in (
        ("memory", None),
        ("local", OPTS),
        # one partition, and every tile of a day in one encounter view
        ("local-wide", EngineOptions(**{**OPTS.__dict__, "partition_rows": 10_000_000,
                                         "encounter_view_rows": 10_000_000})),
        ("dask", EngineOptions(**{**OPTS.__dict__, "n_workers": 2, "processes": False})),
    ):
        detect(inputs, root / engine, engine=engine.split("-")[0], engine_options=opts)
        out[engine] = root / engine
    return out


def _events(folder: Path) -> pl.DataFrame:
    return pl.read_parquet(folder / "events.parquet").sort("event_id")


@pytest.mark.parametrize("engine", ["local", "local-wide", "dask"])
def test_engine_equals_memory(runs: dict[str, Path], engine: str) -> None:
    expected = _events(runs["memory"])
    assert expected.height > 0
    assert_frame_equal(_events(runs[engine]), expected)
    for table in ("positions", "vessel_reports", "removed", "rejects"):
        assert_frame_equal(
            pl.read_parquet(runs[engine] / f"{table}.parquet"),
            pl.read_parquet(runs["memory"] / f"{table}.parquet"),
        )


@pytest.mark.parametrize("engine", ["memory", "local", "local-wide", "dask"])
def test_boundary_events_found_once(runs: dict[str, Path], engine: str) -> None:
    ev = _events(runs[engine])
    assert ev["event_id"].is_unique().all()
    enc = ev.filter(pl.col("event_type") == "encounter")
    assert enc.height == 1
    row = enc.row(0, named=True)
    assert (row["mmsi"], row["other_mmsi"]) == (412000001, 412000002)
    assert row["start_time"] == DAY1 + timedelta(hours=23)
    assert row["end_time"] == DAY2 + timedelta(hours=4)
    gaps = ev.filter((pl.col("event_type") == "ais_gap") & (pl.col("mmsi") == 413000003))
    assert gaps.height == 1
    assert gaps["start_time"][0] == DAY1 + timedelta(hours=6)
    assert gaps["end_time"][0] == DAY1 + timedelta(days=2, hours=12)
    moored = ev.filter(pl.col("mmsi") == 445000004)
    calls = moored.filter(pl.col("event_type") == "port_call")
    assert calls.height == 1
    assert calls["start_time"][0] <= DAY2 <= calls["end_time"][0]
    stays = moored.filter(pl.col("event_type") == "zone_entry")
    assert stays.height >= 1
    assert stays.select("details").is_unique().all()


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        detect([], tmp_path, engine="spark")


def test_auto_engine_picks_by_estimated_size(tmp_path: Path) -> None:
    from sanctionwatch.pipeline import estimate_positions

    inputs = _scenario(tmp_path)
    n = sum(pl.read_parquet(p).height for p in inputs)
    assert estimate_positions(inputs) == n  # Parquet: exact, from the metadata
    small = detect(inputs, tmp_path / "a", engine="auto",
                   engine_options=EngineOptions(**{**OPTS.__dict__, "memory_max_positions": n}))
    large = detect(inputs, tmp_path / "b", engine="auto",
                   engine_options=EngineOptions(**{**OPTS.__dict__,
                                                   "memory_max_positions": n - 1}))
    assert (small.engine, large.engine) == ("memory", "local")
    assert_frame_equal(_events(tmp_path / "a"), _events(tmp_path / "b"))
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["engine"] == "local"


def test_tile_groups_cover_each_owned_tile_once_within_the_budget() -> None:
    from sanctionwatch.engines.tasks import _morton, _tile_groups

    assert [_morton(i, j) for i, j in ((0, 0), (0, 1), (1, 0), (1, 1), (0, 2))] == [0, 1, 2, 3, 4]
    # tiles 0..9 of one row, each with two tracks of its own and one shared with the next
    members = pl.DataFrame(
        {"track_id": [t for k in range(10) for t in (100 + k, 200 + k, 300 + k, 300 + k + 1)],
         "tile": [k for k in range(10) for _ in range(4)]},
        schema={"track_id": pl.Int64, "tile": pl.Int32},
    ).unique()
    rows = {t: 10 for t in members["track_id"].to_list()}
    groups = _tile_groups(list(range(10)), members, rows, 75, 10.0)
    tiles = [t for g, _ in groups for t in g]
    assert sorted(tiles) == list(range(10)) and len(set(tiles)) == 10
    for g, tracks in groups:
        want = set(members.filter(pl.col("tile").is_in(g))["track_id"].to_list())
        assert set(tracks) == want
        assert len(g) == 1 or sum(rows[t] for t in tracks) <= 75
    assert len(groups) > 1


def test_task_keywords_do_not_collide_with_dask_map_options() -> None:
    """Client.map takes ``workers=``, ``resources=``… as scheduling options: a task keyword of
    that name would be swallowed (``workers=1`` pinned every task to the worker named 1)."""
    import inspect

    from distributed import Client

    from sanctionwatch.engines import tasks

    reserved = set(inspect.signature(Client.map).parameters) - {"self", "func", "iterables",
                                                                 "kwargs"}
    for fn in (tasks.prepare_partition, tasks.encounter_plan, tasks.encounter_group,
               tasks.encounter_window, tasks.shared_imo_events,
               tasks.vessel_partition):
        assert not reserved & set(inspect.signature(fn).parameters), fn.__name__
