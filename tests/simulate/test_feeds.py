"""The realistic throughput feeds (``sanctionwatch.simulate.feeds``): what the benchmark's
inputs must be for its figures to mean anything, checked at a small size."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.simulate.feeds import (
    CORRUPT_KINDS,
    DMA_COLUMNS,
    STATIC_EVERY_S,
    Fleet,
    write_dma_feed,
    write_marinecadastre_feed,
    write_nmea_feed,
)
from sanctionwatch.simulate.writers import MC_COLUMNS

REAL_MC_PARQUET = (Path(__file__).resolve().parents[1] / "data" / "ais"
                   / "marinecadastre-20220103" / "AIS_2022_01_03_first99999.parquet")
READER_REASON = {"bad_checksum": "bad_checksum", "truncated": "malformed_sentence",
                 "garbage": "unsupported_line", "missing_part": "incomplete_multipart"}
SENTENCE = re.compile(r"\\s:(\w+),c:(\d+)\*[0-9A-F]{2}\\!AIVDM,(\d),(\d),(\d?),([AB]),([^,]*),")


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("feeds")
    fleet = Fleet(seed=4, vessels=14, days=2)
    nmea = write_nmea_feed(fleet, out / "a.nmea")
    mc = write_marinecadastre_feed(fleet, out / "mc.csv", out / "mc.parquet")
    dma = write_dma_feed(fleet, out / "dma.csv")
    return {"dir": out, "fleet": fleet, "nmea": nmea, "mc": mc, "dma": dma}


def _read(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    batches = list(read_ais(path))
    return (pl.concat([b.positions for b in batches]), pl.concat([b.reports for b in batches]),
            pl.concat([b.rejects for b in batches]))


def test_nmea_multipart_interleaved_between_other_sentences_and_channels(feeds: dict) -> None:
    lines = (feeds["dir"] / "a.nmea").read_text().splitlines()
    parsed = [SENTENCE.match(x) for x in lines]
    first = {}
    gaps = []
    other_channel_between = 0
    corrupt = {n for v in feeds["nmea"]["corrupt"].values() for n in v}
    for i, m in enumerate(parsed):
        if m is None or m[3] != "2" or i + 1 in corrupt:
            continue
        key = (m[1], m[5], m[6])
        if m[4] == "1":
            first[key] = i
        else:
            j = first.pop(key)
            gaps.append(i - j)
            between = [p[6] for p in parsed[j + 1:i] if p is not None]
            other_channel_between += any(c != m[6] for c in between)
    assert len(gaps) == feeds["nmea"]["type5"]
    assert min(gaps) >= 2  # never adjacent: another vessel's sentence always comes between
    assert max(gaps) <= 9  # 1-4 lines, plus other messages' second sentences in between
    assert other_channel_between > len(gaps) / 4
    assert {m[6] for m in parsed if m is not None and m[3] == "2"} == {"A", "B"}
    assert set(range(10)) == {int(m[5]) for m in parsed if m is not None and m[3] == "2"}


def test_nmea_type5_every_6_minutes_per_class_a_vessel(feeds: dict) -> None:
    _, reports, _ = _read(feeds["dir"] / "a.nmea")
    a = reports.filter(pl.col("ais_class") == "A").sort(["mmsi", "timestamp"])
    step = a.select(pl.col("timestamp").diff().over("mmsi").dt.total_seconds()).to_series()
    step = step.drop_nulls()
    share = (step == STATIC_EVERY_S).mean()
    assert share is not None and share > 0.99  # the rest: dark gaps, multiples of 6 min
    assert (step % STATIC_EVERY_S == 0).all()
    fleet = feeds["fleet"]
    assert a["mmsi"].n_unique() == int((~fleet.is_b).sum())
    b = reports.filter(pl.col("ais_class") == "B")
    assert b["mmsi"].n_unique() == int(fleet.is_b.sum())


def test_nmea_corrupt_share_and_kinds(feeds: dict) -> None:
    m = feeds["nmea"]
    n_bad = sum(len(v) for v in m["corrupt"].values())
    assert 0.015 <= n_bad / m["lines"] <= 0.025
    assert all(len(m["corrupt"][k]) >= n_bad // 5 for k in CORRUPT_KINDS)
    assert m["type4"] > 0 and m["type24"] > 0


def test_nmea_reader_rejects_exactly_the_corrupt_lines(feeds: dict) -> None:
    m = feeds["nmea"]
    positions, _, rejects = _read(feeds["dir"] / "a.nmea")
    expect = sorted((n, READER_REASON[k]) for k, v in m["corrupt"].items() for n in v)
    got = sorted(zip(rejects["record"].cast(pl.Int64).to_list(), rejects["reason"].to_list(),
                     strict=True))
    assert got == expect
    counts = dict(positions.group_by("msg_type").len().iter_rows())
    assert {1, 2, 3, 18} <= set(counts)
    assert sum(counts.get(t, 0) for t in (1, 2, 3, 18)) == m["positions"]


def test_nmea_deterministic_by_seed(feeds: dict, tmp_path: Path) -> None:
    fleet = feeds["fleet"]
    again = Fleet(seed=fleet.seed, vessels=fleet.vessels, days=fleet.days)
    write_nmea_feed(again, tmp_path / "b.nmea")
    assert (tmp_path / "b.nmea").read_bytes() == (feeds["dir"] / "a.nmea").read_bytes()


def test_marinecadastre_every_column_filled_and_read_whole(feeds: dict) -> None:
    path = feeds["dir"] / "mc.csv"
    with path.open() as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == MC_COLUMNS
    assert len(rows) - 1 == feeds["mc"]["rows"]
    assert all(len(r) == len(MC_COLUMNS) and all(c != "" for c in r) for r in rows[1:])
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r[1]) for r in rows[1:])
    positions, reports, rejects = _read(path)
    assert rejects.height == 0
    assert positions.height == feeds["mc"]["rows"]
    assert reports.height > 0


def test_marinecadastre_parquet_has_the_real_files_types_and_the_csv_rows(feeds: dict) -> None:
    path = feeds["dir"] / "mc.parquet"
    real = pq.read_schema(REAL_MC_PARQUET)
    mine = pq.read_schema(path)
    assert [(f.name, f.type) for f in mine] == [(f.name, f.type) for f in real]
    assert pl.read_parquet(path).null_count().sum_horizontal().item() == 0
    from_parquet, _, rejects = _read(path)
    from_csv, _, _ = _read(feeds["dir"] / "mc.csv")
    assert rejects.height == 0
    cols = ["mmsi", "timestamp", "lat", "lon", "sog_knots", "cog_deg", "nav_status"]
    assert from_parquet.select(cols).equals(from_csv.select(cols))


def test_days_continue_without_jumps(feeds: dict) -> None:
    """Consecutive days are one simulation: no vessel moves faster than it sails."""
    pos, _, _ = _read(feeds["dir"] / "mc.csv")
    pos = pos.sort(["mmsi", "timestamp"])
    lat, lon = np.radians(pos["lat"].to_numpy()), np.radians(pos["lon"].to_numpy())
    t = pos["timestamp"].dt.epoch("s").to_numpy()
    same = pos["mmsi"].to_numpy()[1:] == pos["mmsi"].to_numpy()[:-1]
    a = (np.sin((lat[1:] - lat[:-1]) / 2) ** 2
         + np.cos(lat[1:]) * np.cos(lat[:-1]) * np.sin((lon[1:] - lon[:-1]) / 2) ** 2)
    metres = 2 * 6_371_000 * np.arcsin(np.sqrt(a))
    knots = metres / np.maximum(t[1:] - t[:-1], 1) / (1852 / 3600)
    assert pos["timestamp"].dt.date().n_unique() == 2
    assert knots[same].max() < 25  # the fleet sails at 10-20 kn (+ GNSS noise, whole seconds)
    assert (pos.group_by("mmsi").len()["len"] > 1000).all()  # present all along


def test_fleet_has_anchorages_moorings_and_lanes(feeds: dict) -> None:
    pos, _, _ = _read(feeds["dir"] / "mc.csv")
    status = dict(pos.group_by("nav_status").len().iter_rows())
    assert {0, 1, 5} <= set(status)
    anchored = pos.filter(pl.col("nav_status") == 1)
    assert anchored["mmsi"].n_unique() >= 3
    assert anchored["sog_knots"].max() < 1


def test_dma_every_column_and_reader_rejects_only_base_stations(feeds: dict) -> None:
    path = feeds["dir"] / "dma.csv"
    with path.open() as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == DMA_COLUMNS
    base = set(feeds["dma"]["base_station_rows"])
    vessel_rows = [r for i, r in enumerate(rows[1:], start=1) if i not in base]
    assert all(all(c != "" for c in r) for r in vessel_rows)
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", r[0]) for r in rows[1:])
    positions, _, rejects = _read(path)
    assert positions.height == feeds["dma"]["positions"]
    assert set(rejects["reason"]) == {"not_vessel_data"}
    assert rejects.height == len(base)
    assert {"Class A", "Class B", "Base Station"} == {r[1] for r in rows[1:]}
