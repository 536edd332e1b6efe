"""Complete messages -> rows (``nmea_messages.py``): values against pyais' own decode, the
canonical cleaning, and the bulk fast decode against the per-message pyais path."""

from __future__ import annotations

import math
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyais
import pytest

from sanctionwatch.ingest.ais.base import IngestError
from sanctionwatch.ingest.ais.fastdecode import SUPPORTED_TYPES
from sanctionwatch.ingest.ais.nmea import NmeaReader
from tests.ingest.ais.helpers import (
    NM4,
    NMEA_CORPORA,
    SIXBIT,
    decode,
    random_fields,
    read_all,
    sentence,
    tag,
    ts,
    write,
)

# --- values against pyais' own decode -----------------------------------------------------------




def _pyais_decode(lines: list[str], record: int) -> Any:
    """pyais' decode of the message that ends at line ``record`` (1-based)."""

    def strip(line: str) -> str:
        return line.rsplit("\\", 1)[-1] if line.startswith("\\") else line

    last = strip(lines[record - 1])
    parts = [last]
    count, num = int(last.split(",")[1]), int(last.split(",")[2])
    for back in range(1, num):
        parts.insert(0, strip(lines[record - 1 - back]))
    assert len(parts) == count
    return decode(*parts)


def test_all_nm4_positions_match_pyais() -> None:
    pos, _, _, _ = read_all(NM4)
    lines = NM4.read_text().splitlines()
    for row in pos.iter_rows(named=True):
        msg = _pyais_decode(lines, row["record"])
        assert row["mmsi"] == msg.mmsi
        assert row["msg_type"] == msg.msg_type
        assert row["lat"] == msg.lat and row["lon"] == msg.lon
        if msg.msg_type in (4, 21):  # base stations, aids to navigation: a position only
            assert row["sog_knots"] is None and row["ais_class"] is None
            continue
        speed = 102.3 if msg.msg_type == 27 and msg.speed == 63 else msg.speed
        course = 360.0 if msg.msg_type == 27 and msg.course == 511 else msg.course
        assert math.isclose(row["sog_knots"], speed, abs_tol=1e-4)
        assert math.isclose(row["cog_deg"], course, abs_tol=1e-4)
        if msg.msg_type == 27:
            assert row["heading_deg"] is None
        else:
            assert row["heading_deg"] == msg.heading
        if msg.msg_type in (18, 19):
            assert row["nav_status"] is None and row["ais_class"] == "B"
        else:
            assert row["nav_status"] == int(msg.status) and row["ais_class"] == "A"


def test_all_nm4_reports_match_pyais() -> None:
    _, rep, _, _ = read_all(NM4)
    lines = NM4.read_text().splitlines()
    seen_parts = set()
    for row in rep.iter_rows(named=True):
        msg = _pyais_decode(lines, row["record"])
        assert row["mmsi"] == msg.mmsi
        if msg.msg_type == 24:
            seen_parts.add(msg.partno)
        if hasattr(msg, "shipname"):
            assert row["name"] == (msg.shipname.rstrip("@ ").strip().upper() or None)
        else:
            assert row["name"] is None
        if hasattr(msg, "callsign"):
            assert row["callsign"] == (msg.callsign.rstrip("@ ").strip().upper() or None)
        if hasattr(msg, "to_bow"):
            assert row["length_m"] == ((msg.to_bow + msg.to_stern) or None)
            assert row["width_m"] == ((msg.to_port + msg.to_starboard) or None)
        if msg.msg_type == 5:
            assert row["imo"] == (msg.imo or None)
            assert row["ship_type"] == int(msg.ship_type)
            assert row["draught_m"] == pytest.approx(msg.draught or None)
            assert row["ais_class"] == "A"
        else:
            assert row["imo"] is None and row["draught_m"] is None
            assert row["ais_class"] == "B"
    assert seen_parts == {0, 1}


def test_known_nm4_messages() -> None:
    pos, rep, _, _ = read_all(NM4)
    # line 4: \s:41925,c:1635731889,...\!AIVDM,1,1,,,15Di=4002i<chWiba2`rPpD:04;`
    row = pos.filter(pl.col("record") == 4).row(0, named=True)
    assert row["mmsi"] == 357322000
    assert row["timestamp"] == ts(1635731889)
    assert row["receiver"] == "41925"
    assert (row["lat"], row["lon"]) == (-37.327088, 177.331613)
    assert row["sog_knots"] == pytest.approx(17.7)
    assert row["heading_deg"] == 266
    # lines 60-61: a two-sentence type 5 grouped with g:1-2-3454 / g:2-2-3454; only the first
    # tag block has c: and s:, the time and source apply to the whole message.
    waimata = rep.filter(pl.col("record") == 61).row(0, named=True)
    assert waimata["name"] == "WAIMATA" and waimata["callsign"] == "ZMG2862"
    assert waimata["imo"] == 9679816 and waimata["destination"] == "GISBORNE"
    assert waimata["draught_m"] == pytest.approx(5.6)
    assert waimata["timestamp"] == ts(1635731893)


# --- canonical values ----------------------------------------------------------------------------


def test_not_available_values_are_kept_as_broadcast(tmp_path: Path) -> None:
    t1 = pyais.encode_dict({"msg_type": 1, "mmsi": 123456789, "speed": 102.3, "course": 360,
                            "lat": 91, "lon": 181, "heading": 511, "status": 15})[0]
    t27 = pyais.encode_dict({"msg_type": 27, "mmsi": 123456789, "speed": 63, "course": 511,
                             "lat": 91, "lon": 181, "status": 15})[0]
    p = write(tmp_path, *(f"{tag('c:1600000000')}{s}" for s in (t1, t27)))
    pos, _, rej, _ = read_all(p)
    assert rej.height == 0
    assert pos.select("lat", "lon", "sog_knots", "cog_deg", "heading_deg", "nav_status",
                      "msg_type", "ais_class").rows() == [
        (91.0, 181.0, pytest.approx(102.3), 360.0, 511.0, 15, 1, "A"),
        (91.0, 181.0, pytest.approx(102.3), 360.0, None, 15, 27, "A"),
    ]
    assert [s.msg_type for s in map(decode, (t1, t27))] == [1, 27]


def test_static_reports_are_cleaned(tmp_path: Path) -> None:
    t5 = pyais.encode_dict({"msg_type": 5, "mmsi": 123456789, "shipname": "ever given",
                            "callsign": "", "imo": 0, "draught": 0, "to_bow": 0, "to_stern": 0,
                            "to_port": 0, "to_starboard": 0, "ship_type": 70,
                            "destination": " suez  "})
    t24a = pyais.encode_dict({"msg_type": 24, "mmsi": 235000001, "partno": 0,
                              "shipname": "little one"})[0]
    t24b = pyais.encode_dict({"msg_type": 24, "mmsi": 235000001, "partno": 1, "ship_type": 37,
                              "callsign": "2abc", "to_bow": 5, "to_stern": 4, "to_port": 1,
                              "to_starboard": 2})[0]
    aux = pyais.encode_dict({"msg_type": 24, "mmsi": 982350001, "partno": 1, "ship_type": 31,
                             "callsign": "AB12", "mothership_mmsi": 235000001})[0]
    t = tag("c:1600000000")
    p = write(tmp_path, *(t + s for s in [*t5, t24a, t24b, aux]))
    _, rep, rej, _ = read_all(p)
    assert rej.height == 0
    cols = ["mmsi", "imo", "name", "callsign", "ship_type", "draught_m", "destination",
            "length_m", "width_m", "ais_class", "record"]
    assert rep.select(cols).rows() == [
        (123456789, None, "EVER GIVEN", None, 70, None, "SUEZ", None, None, "A", 2),
        (235000001, None, "LITTLE ONE", None, None, None, None, None, None, "B", 3),
        (235000001, None, None, "2ABC", 37, None, None, 9.0, 3.0, "B", 4),
        (982350001, None, None, "AB12", 31, None, None, None, None, "B", 5),
    ]


def test_type_19_gives_a_position_and_a_report(tmp_path: Path) -> None:
    t19 = pyais.encode_dict({"msg_type": 19, "mmsi": 244000001, "speed": 5.5, "course": 90,
                             "lat": 52.1, "lon": 4.2, "heading": 91, "shipname": "BARGE",
                             "ship_type": 79, "to_bow": 80, "to_stern": 30, "to_port": 5,
                             "to_starboard": 6})
    p = write(tmp_path, *(tag("c:1600000000") + s for s in t19))
    pos, rep, rej, _ = read_all(p)
    assert rej.height == 0
    assert pos.select("mmsi", "lat", "lon", "heading_deg", "msg_type", "ais_class").rows() == [
        (244000001, 52.1, 4.2, 91.0, 19, "B")]
    assert rep.select("name", "ship_type", "length_m", "width_m", "ais_class").rows() == [
        ("BARGE", 79, 110.0, 11.0, "B")]


# --- bulk fast decode against pyais, message by message -----------------------------------------


def _read(path: Path, fast: bool, **kw: Any) -> Any:
    reader = NmeaReader(path, fast_decode=fast, **kw)
    return list(reader.batches()), reader.stats


def _assert_same(path: Path, **kw: Any) -> None:
    fast, fast_stats = _read(path, True, **kw)
    slow, slow_stats = _read(path, False, **kw)
    assert fast_stats == slow_stats
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        for name in ("positions", "reports", "rejects"):
            assert getattr(a, name).equals(getattr(b, name), null_equal=True), (path, name)


@pytest.mark.parametrize("path", NMEA_CORPORA, ids=lambda p: p.name)
@pytest.mark.parametrize("batch_rows", [7, 100_000])
def test_reader_output_is_the_same_with_and_without_fast_decode(path: Path,
                                                                 batch_rows: int) -> None:
    _assert_same(path, batch_rows=batch_rows,
                 assume_time=datetime(2020, 1, 1) if path.name == "nmea_data_sample.txt" else None)


def test_reader_same_on_generated_and_broken_messages(tmp_path: Path) -> None:
    rng = random.Random(11)
    lines: list[str] = []
    for i in range(1500):
        t = sorted(SUPPORTED_TYPES)[i % len(SUPPORTED_TYPES)]
        sentences = pyais.encode_dict(random_fields(rng, t), seq_id=i % 10)
        if rng.random() < 0.15:  # cut short: a decode_error on the pyais path, same detail
            fields = sentences[-1].split("*")[0][1:].split(",")
            fields[5] = fields[5][:rng.randrange(1, len(fields[5]) + 1)]
            fields[6] = str(rng.randrange(6))
            sentences = [*sentences[:-1], sentence(",".join(fields))]
        lines.extend(tag(f"c:{1_600_000_000 + i}") + s for s in sentences)
    part2 = sentence("AIVDM,1,1,,A,H" + "".join(rng.choice(SIXBIT) for _ in range(5))
                      + "8" + "0" * 22 + ",0")  # type 24, part number 2
    lines += [tag("c:1600000000") + part2]
    path = tmp_path / "gen.nmea"
    path.write_text("\n".join(lines) + "\n")
    _assert_same(path, batch_rows=500)
    batches, stats = _read(path, True)
    assert stats.rejects.get("decode_error", 0) > 50
    messages: list[str] = []
    assert any("Partno 2" in d for b in batches for d in b.rejects["detail"].to_list())
    for fast in (True, False):
        with pytest.raises(IngestError) as err:
            _read(path, fast, strict=True)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
