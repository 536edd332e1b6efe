"""The local and Dask engines give exactly the events of the in-memory pipeline, with events
that cross day partitions, grid-time pairing ranges, the old tile edges and MMSI partitions
found once."""

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
OPTS = EngineOptions(partition_rows=400, pair_sample_rows=5, pair_batch_rows=50)
"""Small partitions (a vessel or two each), a few grid times per pairing task, one track per
encounter batch."""


def _scenario(folder: Path) -> list[Path]:
    """Two input files (day 1, then day 2-3) holding:

    - an encounter 23:00-04:00 of two drifting ships crossing 30 N (a 10-degree cell edge) and
      midnight;
    - a ship dark from day 1 06:00 to day 3 12:00 (a gap over three day partitions), while a
      ship drifting nearby (another MMSI partition) is heard all along: the run's coverage
      must reach the dark ship's partition for the silence to be a gap;
    - a ship alone far out at sea, silent for 10 h with nobody heard around it (a coverage gap,
      a data-quality finding);
    - a ship moored at Nampo from day 1 20:00 to day 2 08:00 (port call, DPRK zone stay);
    - ships in transit across 10-degree cells all along, so the inputs cover the whole time;
    - four ships moored in a small harbour no port list knows, day 1 18:00 to day 2 06:00, two
      of them 40 m apart: a place learnt over the whole run (every engine the same), so no
      encounter, and their port calls are at the learnt place.
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
        # heard around the dark ship all along
        track(414000006, 25.3, 140.4, start=DAY1, hours=66, interval_s=1800, first_record=5000),
        # alone at sea: its silence is the feed's (nobody heard around it)
        track(416000007, -10.0, 170.0, start=DAY1 + timedelta(hours=2), hours=2,
              first_record=6000),
        track(416000007, -10.0, 170.01, start=DAY1 + timedelta(hours=14), hours=2,
              first_record=7000),
        # moored at Nampo
        track(445000004, 38.7167, 125.4, start=DAY1 + timedelta(hours=20), hours=12,
              first_record=4000),
    ]
    for i in range(4):  # the small harbour, at 33 N 128 E
        frames.append(
            track(441000010 + i, 33.0 + (0.0009 if i == 3 else 0.0), 128.0 + 0.00043 * min(i, 2),
                  start=DAY1 + timedelta(hours=18), hours=12, interval_s=180,
                  first_record=5000 + 1000 * i)
        )
    # not ships: a UK aid to navigation and a test identity at Nampo (never a port call)
    frames += [track(992351234, 38.7, 125.38, start=DAY1, hours=30, interval_s=3600,
                     first_record=7000),
               track(123456789, 38.7167, 125.4, start=DAY1 + timedelta(hours=2), hours=12,
                     first_record=8000)]
    # a sustained teleport: 416000005 reports 330 km north for 2 h on day 2, then comes back
    frames += [track(416000005, 21.0, 150.0, start=DAY2, hours=3, first_record=9000),
               track(416000005, 24.0, 150.0, start=DAY2 + timedelta(hours=3, minutes=10),
                     hours=2, first_record=9100),
               track(416000005, 21.0, 150.0, start=DAY2 + timedelta(hours=5, minutes=20),
                     hours=3, first_record=9200)]
    for i in range(6):  # transits: 15 kn eastwards for three days, crossing 10-degree cells
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
        # one partition, one pairing task, one encounter batch
        ("local-wide", EngineOptions(**{**OPTS.__dict__, "partition_rows": 10_000_000,
                                         "pair_sample_rows": 10_000_000,
                                         "pair_batch_rows": 10_000_000})),
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
    assert_frame_equal(_events(runs[engine]), expected, check_exact=True)
    for table in ("positions", "vessel_reports", "removed", "rejects", "quality", "stations"):
        assert_frame_equal(
            pl.read_parquet(runs[engine] / f"{table}.parquet"),
            pl.read_parquet(runs["memory"] / f"{table}.parquet"),
            check_exact=True,
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
    assert json.loads(gaps["details"][0])["nearby_heard_h"] == pytest.approx(54.0)
    quality = pl.read_parquet(runs[engine] / "quality.parquet")
    lone = quality.filter(pl.col("mmsi") == 416000007)
    assert lone.select("event_type", "subtype").rows() == [("coverage_gap", "area")]
    assert not ev.filter(pl.col("mmsi") == 416000007)["event_type"].is_in(["ais_gap"]).any()
    moored = ev.filter(pl.col("mmsi") == 445000004)
    calls = moored.filter(pl.col("event_type") == "port_call")
    assert calls.height == 1
    assert calls["start_time"][0] <= DAY2 <= calls["end_time"][0]
    stays = moored.filter(pl.col("event_type") == "zone_entry")
    assert stays.height >= 1
    assert stays.select("details").is_unique().all()
    harbour = ev.filter(pl.col("mmsi").is_between(441000010, 441000013))
    assert harbour.filter(pl.col("event_type").is_in(["encounter", "loitering"])).height == 0
    calls = harbour.filter(pl.col("event_type") == "port_call")
    assert calls.height == 4 and calls["port_name"].is_null().all()
    assert calls["details"].str.json_path_match("$.learnt_place").n_unique() == 1


def test_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        detect([], tmp_path, engine="spark")


def test_auto_engine_picks_by_estimated_footprint(tmp_path: Path) -> None:
    from sanctionwatch.ingest.files import estimate_positions

    inputs = _scenario(tmp_path)
    n = sum(pl.read_parquet(p).height for p in inputs)
    assert estimate_positions(inputs) == n  # Parquet: exact, from the metadata
    per = OPTS.memory_engine_bytes_per_position
    fits = EngineOptions(**{**OPTS.__dict__, "memory_budget_gb": n * per / 1e9})
    too_big = EngineOptions(**{**OPTS.__dict__, "memory_budget_gb": (n * per - 1) / 1e9})
    small = detect(inputs, tmp_path / "a", engine="auto", engine_options=fits)
    large = detect(inputs, tmp_path / "b", engine="auto", engine_options=too_big)
    assert (small.engine, large.engine) == ("memory", "local")
    assert_frame_equal(_events(tmp_path / "a"), _events(tmp_path / "b"))
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["engine"] == "local"
    choice = summary["engine_choice"]
    assert choice["requested"] == "auto" and choice["estimated_positions"] == n
    assert choice["estimated_peak_bytes"] == n * per
    assert "exceeds" in choice["reason"]


def test_auto_engine_follows_the_memory_available(tmp_path: Path) -> None:
    from sanctionwatch.engines import choose_engine

    inputs = _scenario(tmp_path)
    n = sum(pl.read_parquet(p).height for p in inputs)
    per = OPTS.memory_engine_bytes_per_position
    share = OPTS.memory_available_share
    enough = int(n * per / share) + 1
    assert choose_engine("auto", inputs, OPTS, available_bytes=enough).engine == "memory"
    assert choose_engine("auto", inputs, OPTS, available_bytes=enough // 2).engine == "local"
    # an explicit budget wins over what is available; a position cap still applies
    budget = EngineOptions(**{**OPTS.__dict__, "memory_budget_gb": 1000.0})
    assert choose_engine("auto", inputs, budget, available_bytes=1).engine == "memory"
    capped = EngineOptions(**{**OPTS.__dict__, "memory_budget_gb": 1000.0,
                              "memory_max_positions": n - 1})
    assert choose_engine("auto", inputs, capped).engine == "local"
    # an engine named is an engine run, whatever the memory
    assert choose_engine("memory", inputs, OPTS, available_bytes=1).engine == "memory"


def test_cgroup_limit_lowers_the_memory_available(tmp_path: Path) -> None:
    from sanctionwatch.engines.choice import cgroup_free_bytes

    v2, v1 = tmp_path / "v2", tmp_path / "v1"
    v2.mkdir()
    v1.mkdir()
    assert cgroup_free_bytes(v2, v1) is None  # no controller files: no limit
    (v2 / "memory.max").write_text("max\n")
    assert cgroup_free_bytes(v2, v1) is None  # v2 without a limit
    (v2 / "memory.max").write_text("4000000000\n")
    (v2 / "memory.current").write_text("1500000000\n")
    assert cgroup_free_bytes(v2, v1) == 2_500_000_000
    (v2 / "memory.max").unlink()
    (v1 / "memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1: "unlimited"
    assert cgroup_free_bytes(v2, v1) is None
    (v1 / "memory.limit_in_bytes").write_text("2000000000\n")
    (v1 / "memory.usage_in_bytes").write_text("2500000000\n")
    assert cgroup_free_bytes(v2, v1) == 0  # over the limit already: nothing left


def test_engine_options_reject_a_bad_memory_share() -> None:
    with pytest.raises(ValueError, match="memory_available_share"):
        EngineOptions(memory_available_share=0)
    with pytest.raises(ValueError, match="memory_available_share"):
        EngineOptions(memory_available_share=1.5)


def test_key_chunks_cut_pairing_keys_within_the_budget() -> None:
    from sanctionwatch.engines.stages import key_chunks

    a = pl.DataFrame({"k": [1, 2, 3, 5], "n": [2, 2, 2, 9]})
    b = pl.DataFrame({"k": [2, 6], "n": [1, 1]})
    empty = pl.DataFrame(schema={"k": pl.Int64, "n": pl.UInt32})
    chunks = key_chunks([a, empty, b], max_rows=5)
    # every key in exactly one range; a range over budget only for one heavy key
    assert chunks == [(1, 3), (3, 5), (5, 6), (6, 7)]
    assert key_chunks([empty], 5) == []


def test_pair_batches_keep_connected_tracks_together() -> None:
    from sanctionwatch.engines.stages import pair_batches

    # groups {1, 2, 3} (a chain) and {7, 8}; 10 positions per track
    pairs = pl.DataFrame({"track_a": [1, 2, 7], "track_b": [2, 3, 8]})
    rows = {t: 10 for t in (1, 2, 3, 7, 8)}
    small = pair_batches(pairs, rows, max_rows=25)
    assert sorted(map(sorted, small)) == [[1, 2, 3], [7, 8]]
    assert pair_batches(pairs, rows, max_rows=1000) == [(1, 2, 3, 7, 8)]
    assert pair_batches(pairs.clear(), rows, 10) == []


def test_stage_plan_follows_scopes_and_reads() -> None:
    from sanctionwatch.detectors import detectors
    from sanctionwatch.engines.stages import plan_stages

    plan = plan_stages(list(detectors()))
    # the pair and fleet detectors run in stage 2, by their declared scope
    assert plan.cross == ("encounter", "pair_trawling", "shared_imo")
    assert plan.pair == ("encounter", "pair_trawling")
    assert "loitering" in plan.unlinked  # its link step reads encounters
    assert "draught_change" in plan.later  # reads every event, including the pair ones
    assert {"ais_gap", "spoofing", "identity_change", "port_call", "zone_entry",
            "fishing"} <= set(
        plan.now)
    assert plan_stages(["loitering"]).now == ("loitering",)


def test_stage_plan_refuses_a_cross_detector_reading_late_events() -> None:
    from sanctionwatch.detectors import Detector, Params, detectors
    from sanctionwatch.engines.stages import plan_stages

    regs = dict(detectors())
    regs["late_fleet"] = Detector("late_fleet", Params, lambda d, p: pl.DataFrame(), "",
                                  reads=("draught_change",), scope="fleet")
    with pytest.raises(ValueError, match=r"late_fleet.*draught_change"):
        plan_stages([*regs], regs)


def test_task_keywords_do_not_collide_with_dask_map_options() -> None:
    """Client.map takes ``workers=``, ``resources=``… as scheduling options: a task keyword of
    that name would be swallowed (``workers=1`` pinned every task to the worker named 1)."""
    import inspect

    from distributed import Client

    from sanctionwatch.engines import stages

    reserved = set(inspect.signature(Client.map).parameters) - {"self", "func", "iterables",
                                                                 "kwargs"}
    for fn in (stages.vessel_partition, stages.pair_candidates, stages.pair_batch,
               stages.fleet_run, stages.finish_partition):
        assert not reserved & set(inspect.signature(fn).parameters), fn.__name__


@pytest.mark.parametrize("engine", ["memory", "local", "local-wide", "dask"])
def test_stations_kept_from_detectors_and_teleport_found(runs: dict[str, Path],
                                                         engine: str) -> None:
    ev = _events(runs[engine])
    assert not ev["mmsi"].is_in([992351234, 123456789]).any()
    tele = ev.filter(pl.col("subtype") == "sustained_teleport")
    assert tele["mmsi"].to_list() == [416000005]
    st = pl.read_parquet(runs[engine] / "stations.parquet")
    types = dict(zip(st["mmsi"].to_list(), st["station_type"].to_list(), strict=True))
    assert types[992351234] == "aid_to_navigation"
    assert types[123456789] == "invalid_identity"
    assert types[412000001] == "ship"  # the test tracks state no class
    quality = pl.read_parquet(runs[engine] / "quality.parquet")
    assert quality.filter(pl.col("event_type") == "invalid_mmsi")["mmsi"].to_list() == [
        123456789]
    summary = json.loads((runs[engine] / "summary.json").read_text())
    assert summary["counts"]["stations"]["aid_to_navigation"] == 1
