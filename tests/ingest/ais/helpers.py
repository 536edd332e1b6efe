"""Shared test data paths and helpers of the AIS reader tests."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import polars as pl
import pyais
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.ingest.ais.base import Batch
from sanctionwatch.ingest.ais.convert import RowConverter
from sanctionwatch.ingest.ais.nmea import NmeaReader
from sanctionwatch.ingest.ais.parquet import read_parquet
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "ais"

# Tabular files.
MC_PARQUET = DATA / "marinecadastre-20220103" / "AIS_2022_01_03_first99999.parquet"
NOAA_CSV = DATA / "aisdb-testdata" / "test_data_noaa_20230101.csv"
AISDB_CSV = DATA / "aisdb-testdata" / "test_data_20210701.csv"
SOLENT = DATA / "solent-stonesoup" / "SolentAIS_20160112_130211.csv"
DMA = DATA / "dma-aisdk-header-sample" / "test_aisdk_20180208_sample.csv"
GOTHENBURG = DATA / "dma-gothenburg-cpa" / "ais_dk_cpa.gpkg"
BOSTON = DATA / "marinecadastre-boston-2014" / "ais.gpkg"

# A canonical CSV with good rows and one of each kind of reject (see test_rules.py).
MALFORMED = """mmsi,timestamp,lat,lon,sog_knots,name
211000001,2024-01-01T00:00:00Z,54.0,10.0,5.5,alpha
211000001,2024-01-01 00:10:00,54.1,10.1,5.0,ALPHA
211000001,not-a-time,54.2,10.2,5.0,ALPHA
211000002,2024-01-01T00:00:00,,10.0,1.0,

211000003,2024-01-01T00:00:00,54.0
abc,2024-01-01T00:00:00,54.0,10.0,1,
211000004,2024-01-01T00:00:00,north,10.0,1,
211000005,2024-01-01T00:00:00,,,,BRAVO
211000001,2024-01-01T00:20:00+01:00,54.3,10.3,5.0,ALPHA II
,2024-01-01T00:00:00,54.0,10.0,1,
211000006,,54.0,10.0,1,
211000007,2024-01-01T00:00:00,,,,
"""

# NMEA files.
PYAIS = DATA / "pyais-nmea"
NM4 = DATA / "aisdb-testdata" / "test_data_20211101.nm4"
SAT = DATA / "aisdb-testdata" / "test_data_201201.nmea"
NMEA_CORPORA = [*sorted(PYAIS.iterdir()), *sorted((DATA / "aisdb-testdata").glob("*.nm4")),
                *sorted((DATA / "aisdb-testdata").glob("*.nmea"))]
ASSUMED = datetime(2020, 1, 1, tzinfo=UTC)

# Real sentences (checksums valid) used to build crafted files.
TYPE1 = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"
TYPE5_1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
TYPE5_2 = "!AIVDM,2,2,1,A,88888888880,2*25"

SIXBIT = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"
TEXT = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


Collected = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]
"""Positions, reports, rejects and the number of batches (:func:`collect`)."""


def collect(batches: Iterable[Batch]) -> Collected:
    """Positions, reports and rejects of all batches (schemas checked, rows all accounted
    for), and the batch count."""
    bs: list[Batch] = list(batches)
    assert sum(b.unaccounted() for b in bs) == 0, "rows read but not accounted for"
    for b in bs:
        assert b.positions.schema == POSITIONS.polars_schema()
        assert b.reports.schema == VESSEL_REPORTS.polars_schema()
        assert b.rejects.schema == REJECTS.polars_schema()
    pos = pl.concat([b.positions for b in bs]) if bs else POSITIONS.empty()
    rep = pl.concat([b.reports for b in bs]) if bs else VESSEL_REPORTS.empty()
    rej = pl.concat([b.rejects for b in bs]) if bs else REJECTS.empty()
    return pos, rep, rej, len(bs)


def checksum(body: str) -> str:
    return f"{reduce(xor, body.encode(), 0):02X}"


def tag(body: str) -> str:
    """A tag block with a valid checksum."""
    return f"\\{body}*{checksum(body)}\\"


def sentence(body: str) -> str:
    """``!body*hh`` with a valid checksum."""
    return f"!{body}*{checksum(body)}"


def read_all(path: Path | str, **kw: object) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame,
                                                        NmeaReader]:
    """Every batch of an NMEA file concatenated, and the reader (for its stats)."""
    reader = NmeaReader(path, **kw)  # type: ignore[arg-type]
    batches = list(reader.batches())
    return (
        pl.concat([b.positions for b in batches]),
        pl.concat([b.reports for b in batches]),
        pl.concat([b.rejects for b in batches]),
        reader,
    )


def write(tmp_path: Path, *lines: str, name: str = "x.nmea") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def random_fields(rng: random.Random, t: int) -> dict[str, Any]:
    """Fields of a message of type ``t`` for ``pyais.encode_dict``, with extremes."""
    def text(n: int) -> str:
        return "".join(rng.choice(TEXT + "  @@") for _ in range(rng.randrange(n)))

    lat = rng.choice([90, -90, 91, -91, 0, rng.uniform(-90, 90), -1e-6])
    lon = rng.choice([180, -180, 181, -181, 0, rng.uniform(-180, 180), -1e-6])
    d: dict[str, Any] = {"msg_type": t, "mmsi": rng.choice([0, 2**30 - 1, rng.randrange(10**9),
                                                          rng.randrange(980_000_000, 990_000_000)]),
                         "repeat": rng.randrange(4)}
    if t in (1, 2, 3, 18, 19):
        d.update(lat=lat, lon=lon, speed=rng.choice([102.3, 0, rng.randrange(1024) / 10]),
                 course=rng.choice([360, 0, rng.randrange(4096) / 10]),
                 heading=rng.choice([511, 0, rng.randrange(512)]), second=rng.randrange(64),
                 status=rng.randrange(16), turn=rng.choice([-128, 127, -127, 0,
                                                            rng.uniform(-720, 720)]),
                 accuracy=rng.random() < 0.5, raim=rng.random() < 0.5, radio=rng.randrange(2**19),
                 maneuver=rng.randrange(3))
    if t in (5, 19, 24):
        d.update(shipname=text(25), callsign=text(9), ship_type=rng.randrange(256),
                 to_bow=rng.randrange(512), to_stern=rng.randrange(512), to_port=rng.randrange(64),
                 to_starboard=rng.randrange(64), epfd=rng.randrange(16), dte=rng.random() < 0.5,
                 partno=rng.randrange(2), vendorid=text(4), model=rng.randrange(16),
                 serial=rng.randrange(2**20), mothership_mmsi=rng.randrange(10**9))
    if t == 5:
        d.update(imo=rng.choice([0, 2**30 - 1, rng.randrange(10**7)]), destination=text(25),
                 draught=rng.choice([0, 25.5, rng.randrange(256) / 10]), month=rng.randrange(13),
                 day=rng.randrange(32), hour=rng.randrange(25), minute=rng.randrange(61),
                 ais_version=rng.randrange(4))
    if t == 27:
        d.update(lat=lat, lon=lon, speed=rng.choice([63, 0, rng.randrange(64)]),
                 course=rng.choice([511, 0, rng.randrange(512)]), status=rng.randrange(16),
                 gnss=rng.random() < 0.5)
    return d


def decode(*parts: str) -> Any:
    """pyais' decode, untyped (its result is a union of ~60 message classes)."""
    return pyais.decode(*parts)


def read_parquet_batches(path: Path, batch_rows: int = 3, *, typed: bool,
                         monkeypatch: pytest.MonkeyPatch, strict: bool = False) -> list[Batch]:
    """Every batch of a Parquet file, read with the typed path or (``typed=False``) with
    every column as text."""
    with monkeypatch.context() as m:
        if not typed:
            m.setattr(RowConverter, "typed_columns", lambda self, schema: {})
        return list(read_parquet(path, batch_rows=batch_rows, strict=strict))


def assert_same_batches(a: list[Batch], b: list[Batch]) -> None:
    """The same batches, frame by frame."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert_frame_equal(x.positions, y.positions)
        assert_frame_equal(x.reports, y.reports)
        assert_frame_equal(x.rejects, y.rejects)


def concat_batches(batches: list[Batch]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return (pl.concat([b.positions for b in batches]), pl.concat([b.reports for b in batches]),
            pl.concat([b.rejects for b in batches]))


_T0 = datetime(2019, 6, 1, tzinfo=UTC)


def canonical_table(n: int, seed: int, *, by_vessel: bool, bad: bool = False) -> pa.Table:
    """Canonical-typed rows, mostly valid, with text that parses alike (" x", "X") or to
    null, repeated static data with changes, and (``bad``) rejected rows."""
    rng = random.Random(seed)
    mmsi = [rng.choice([201, 202, 203, 204]) for _ in range(n)]
    if by_vessel:
        mmsi.sort()
    names = ["ALPHA", " alpha ", "BETA", "", None, "@@"]
    rows: dict[str, list[Any]] = {
        "mmsi": mmsi,
        "timestamp": [_T0 + timedelta(seconds=i) for i in range(n)],
        "lat": [1.0 + i / 1000 for i in range(n)],
        "lon": [2.0] * n,
        "sog_knots": [rng.choice([0.0, 1.5, 102.3]) for _ in range(n)],
        "nav_status": [rng.choice([0, 5, 15]) for _ in range(n)],
        "ais_class": [rng.choice(["A", "A", "B", "class b"]) for _ in range(n)],
        "receiver": ["rx"] * n,
        "name": [rng.choice(names[:2]) if rng.random() < 0.9 else rng.choice(names)
                 for _ in range(n)],
        "imo": [9340348 if rng.random() < 0.95 else rng.choice([None, 0, 9340349])
                for _ in range(n)],
        "ship_type": [80 if rng.random() < 0.95 else rng.choice([0, 70, None])
                      for _ in range(n)],
        "draught_m": [4.2 if rng.random() < 0.9 else rng.choice([4.5, 0.0, None])
                      for _ in range(n)],
    }
    if bad:
        for i in range(3, n, 97):
            rows["mmsi"][i] = -1
        for i in range(5, n, 89):
            rows["lat"][i] = float("nan")
        for i in range(7, n, 101):
            rows["nav_status"][i] = 99  # out of range: null, not a reject
    return pa.table({
        "mmsi": pa.array(rows["mmsi"], pa.int64()),
        "timestamp": pa.array(rows["timestamp"], pa.timestamp("us", "UTC")),
        "lat": pa.array(rows["lat"], pa.float64()),
        "lon": pa.array(rows["lon"], pa.float64()),
        "sog_knots": pa.array(rows["sog_knots"], pa.float32()),
        "nav_status": pa.array(rows["nav_status"], pa.int8()),
        "ais_class": pa.array(rows["ais_class"], pa.string()),
        "receiver": pa.array(rows["receiver"], pa.string()),
        "name": pa.array(rows["name"], pa.string()),
        "imo": pa.array(rows["imo"], pa.int64()),
        "ship_type": pa.array(rows["ship_type"], pa.int16()),
        "draught_m": pa.array(rows["draught_m"], pa.float32()),
    })
