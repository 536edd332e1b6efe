"""Receiver coverage and input continuity on the real samples (tests/data/ais/PROVENANCE.md).

- The MarineCadastre 2022-01-03 extract holds its rows in the first 25 minutes of the day, a
  few at 14:xx and a few hundred at 23:xx: the feed heard nobody for most of the day, so no
  silence across that time is an ``ais_gap``.
- All real files read together span 2012-2023: no track, gap or visit may bridge two files
  years apart.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.detectors.ais_gap import Params as GapParams
from sanctionwatch.pipeline import detect
from sanctionwatch.tracks.continuity import input_blocks

AIS = Path(__file__).parent / "data" / "ais"
MC = AIS / "marinecadastre-20220103" / "AIS_2022_01_03_first99999.parquet"
CMA_CGM_LYRA = 215131000
"""Its silence 00:19-23:59, 146 km offshore, was the sample's one "likely intentional" gap."""


def _all_events(out: Path) -> pl.DataFrame:
    return pl.concat([pl.read_parquet(out / "events.parquet"),
                      pl.read_parquet(out / "quality.parquet")], how="diagonal_relaxed")


@pytest.fixture(scope="module")
def marinecadastre(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mc")
    detect([MC], out, engine="memory")
    return out


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("all")
    detect([AIS], out, engine="memory")
    return out


def test_marinecadastre_no_ais_gap_inside_the_feed_wide_silence(marinecadastre: Path) -> None:
    heard = pl.read_parquet(marinecadastre / "positions.parquet", columns=["timestamp"])
    heard_hours = set(heard["timestamp"].dt.truncate("1h").unique())
    assert len(heard_hours) == 3  # 00:xx, 14:xx, 23:xx: the rest of the day the feed is silent
    ev = _all_events(marinecadastre)
    gaps = ev.filter(pl.col("event_type") == "ais_gap")
    min_gap = GapParams().min_gap_h
    for start, end in gaps.select("start_time", "end_time").iter_rows():
        # every gap left must have been heard (by the feed, at all) for a gap's length
        hours = pl.datetime_range(start, end, "1h", eager=True).dt.truncate("1h")
        assert sum(h in heard_hours for h in hours) >= min_gap
    cov = ev.filter(pl.col("event_type") == "coverage_gap")
    across = cov.filter((pl.col("start_time").dt.hour() == 0)
                        & (pl.col("end_time").dt.hour() >= 14))
    assert across.height >= 320  # the issue counted 323, non-ship stations included
    assert set(across["subtype"]) == {"feed"}
    lyra = ev.filter(pl.col("mmsi") == CMA_CGM_LYRA, pl.col("event_type").is_in(["ais_gap",
                                                                                  "coverage_gap"]))
    assert lyra.select("event_type", "subtype").rows() == [("coverage_gap", "feed")]
    assert not ev.filter(pl.col("event_type") == "ais_gap")["likely_intentional"].any()
    summary = json.loads((marinecadastre / "summary.json").read_text())
    assert "coverage_gap" in json.dumps(summary)


def test_all_real_files_nothing_outlasts_its_input_block(everything: Path) -> None:
    pos = pl.read_parquet(everything / "positions.parquet",
                          columns=["source", "timestamp", "track_id"])
    spans = pos.group_by("source").agg(pl.col("timestamp").min().alias("start"),
                                       pl.col("timestamp").max().alias("end"))
    blocks = input_blocks(spans, 1.0)
    assert blocks.height >= 5  # 2012, 2014, 2016, 2018, 2021, 2022, 2023 ...

    def outlasting(frame: pl.DataFrame, start: str, end: str) -> pl.DataFrame:
        placed = frame.sort(start).join_asof(blocks.rename({"start": "_bs", "end": "_be"}),
                                             left_on=start, right_on="_bs",
                                             strategy="backward")
        return placed.filter(pl.col(end) > pl.col("_be"))

    tracks = pos.group_by("track_id").agg(pl.col("timestamp").min().alias("s"),
                                          pl.col("timestamp").max().alias("e"))
    assert outlasting(tracks, "s", "e").height == 0
    ev = _all_events(everything)
    built_on_tracks = ev.filter(pl.col("event_type").is_in(
        ["ais_gap", "coverage_gap", "port_call", "loitering", "encounter", "zone_entry",
         "draught_change"]))
    assert built_on_tracks.height > 1000
    assert outlasting(built_on_tracks, "start_time", "end_time").height == 0
    # nor any other event or data-quality finding: identity changes compare two reports and
    # span the break by design (below); every other row is one observation in one block
    # (instants, e.g. a static report in a file without positions, outlast nothing)
    single = ev.filter((pl.col("event_type") != "identity_change")
                       & (pl.col("end_time") > pl.col("start_time")))
    assert outlasting(single, "start_time", "end_time").height == 0
    # an identity change between two years is still reported, and says so
    changes = ev.filter(pl.col("event_type") == "identity_change",
                        pl.col("subtype") != "mid_flag_mismatch")
    across = changes.filter(pl.col("details").str.contains('"across_input_break":true'))
    assert across.height > 0
    assert (across["details"].map_elements(
        lambda d: json.loads(d)["hours_since_old_report"], return_dtype=pl.Float64) > 24).all()
