"""The streaming NMEA 0183 AIS reader: the real corpora in tests/data/ais and crafted lines."""

from __future__ import annotations

import gzip
import math
from datetime import UTC, datetime
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import polars as pl
import pyais
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.ingest.ais.base import IngestError
from sanctionwatch.ingest.ais.nmea import NmeaReader, looks_like_nmea, read_nmea
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS

DATA = Path(__file__).resolve().parents[1] / "data" / "ais"
PYAIS = DATA / "pyais-nmea"
NM4 = DATA / "aisdb-testdata" / "test_data_20211101.nm4"
SAT = DATA / "aisdb-testdata" / "test_data_201201.nmea"
ASSUMED = datetime(2020, 1, 1, tzinfo=UTC)

# Real sentences (checksums valid) used to build crafted files.
TYPE1 = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"
TYPE5_1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
TYPE5_2 = "!AIVDM,2,2,1,A,88888888880,2*25"


def ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


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


# --- every corpus, exact counts ----------------------------------------------------------------

CORPORA = [
    # file, assume_time, positions, reports, rejects by reason, ignored types
    (PYAIS / "gatehouse.nmea", None, 1, 0, {"bad_checksum": 1, "no_timestamp": 3}, {}),
    (PYAIS / "gatehouse.nmea", ASSUMED, 4, 0, {"bad_checksum": 1}, {}),
    (PYAIS / "timestamped.ais", None, 1, 0, {"bad_checksum": 1, "no_timestamp": 3}, {}),
    (PYAIS / "messages.ais", None, 0, 0, {"no_timestamp": 6}, {}),
    (PYAIS / "messages.ais", ASSUMED, 6, 0, {}, {}),
    (PYAIS / "mixed.txt", None, 1, 1,
     {"bad_checksum": 4, "no_timestamp": 8, "unsupported_line": 2}, {}),
    (PYAIS / "mixed.txt", ASSUMED, 8, 2, {"bad_checksum": 4, "unsupported_line": 2}, {}),
    (PYAIS / "sample.ais", None, 0, 1,
     {"bad_checksum": 5, "no_timestamp": 8, "unsupported_line": 1}, {}),
    (PYAIS / "sample.ais", ASSUMED, 8, 1, {"bad_checksum": 5, "unsupported_line": 1}, {}),
    (PYAIS / "nmea_data_sample.txt", None, 0, 0,
     {"empty_payload": 100, "incomplete_multipart": 20, "no_timestamp": 764},
     {4: 6, 15: 7, 20: 1}),
    (PYAIS / "nmea_data_sample.txt", ASSUMED, 762, 2,
     {"empty_payload": 100, "incomplete_multipart": 20}, {4: 6, 15: 7, 20: 1}),
    (SAT, None, 5, 2, {}, {t: 1 for t in (4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21,
                                          22, 23, 25, 26)}),
    (NM4, None, 917, 46, {}, {4: 5, 6: 1, 8: 1, 21: 11, 25: 2}),
]


@pytest.mark.parametrize(("path", "assume", "n_pos", "n_rep", "rejects", "ignored"), CORPORA,
                         ids=[f"{c[0].name}{'-assumed' if c[1] else ''}" for c in CORPORA])
def test_corpus_counts(path: Path, assume: datetime | None, n_pos: int, n_rep: int,
                       rejects: dict[str, int], ignored: dict[int, int]) -> None:
    pos, rep, rej, reader = read_all(path, assume_time=assume)
    assert pos.height == n_pos
    assert rep.height == n_rep
    got = dict(zip(*rej.group_by("reason").len().sort("reason").to_dict(as_series=False).values(),
                   strict=True)) if rej.height else {}
    assert got == rejects
    assert reader.stats.rejects == rejects
    assert reader.stats.ignored_types == ignored
    assert reader.stats.positions == n_pos and reader.stats.reports == n_rep
    assert pos.schema == POSITIONS.polars_schema()
    assert rep.schema == VESSEL_REPORTS.polars_schema()
    assert rej.schema == REJECTS.polars_schema()
    assert (pos["source"] == str(path)).all()


@pytest.mark.parametrize("path", [PYAIS / "nmea_data_sample.txt", SAT, NM4], ids=lambda p: p.name)
def test_every_message_pyais_decodes_is_used_or_counted(path: Path) -> None:
    # PROVENANCE: pyais decodes 778 of 878, 26 of 26 and 979 of 979.
    decoded = 0
    for msg in pyais.FileReaderStream(str(path)):
        try:
            msg.decode()
        except pyais.exceptions.MissingPayloadException:
            continue
        decoded += 1
    pos, rep, _, reader = read_all(path, assume_time=ASSUMED)
    static_only = rep.filter(pl.col("record").is_in(pos["record"].implode()).not_()).height
    assert pos.height + static_only + sum(reader.stats.ignored_types.values()) == decoded


def test_other_nmea_sentences_are_counted_not_rejected() -> None:
    _, _, rej, reader = read_all(PYAIS / "mixed.txt")
    assert reader.stats.other_sentences == {"GPGGA": 1, "GPRTE": 1, "GPR00": 1, "IIMWV": 1}
    assert sorted(rej.filter(pl.col("reason") == "unsupported_line")["raw"]) == [
        "IamNotAnAisMessage1111", "foobar"]


def test_comments_and_blank_lines_are_skipped() -> None:
    _, _, rej, reader = read_all(PYAIS / "messages.ais", assume_time=ASSUMED)
    assert rej.height == 0
    assert reader.stats.skipped_lines == 5
    assert reader.stats.lines == 11


# --- values against pyais' own decode -----------------------------------------------------------


def decode(*parts: str) -> Any:
    """pyais' decode, untyped (its result is a union of ~60 message classes)."""
    return pyais.decode(*parts)


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


# --- multi-sentence reassembly -------------------------------------------------------------------


def test_multipart_reassembly_and_record_is_last_line(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('c:1600000000,s:rx1')}{TYPE5_1}", f"{tag('s:rx1')}{TYPE5_2}")
    pos, rep, rej, _ = read_all(p)
    assert rej.height == 0 and pos.height == 0
    row = rep.row(0, named=True)
    assert row["record"] == 2
    assert row["timestamp"] == ts(1600000000)
    expected = decode(TYPE5_1, TYPE5_2)
    assert row["mmsi"] == expected.mmsi and row["name"] == expected.shipname


def test_multipart_interleaved_by_channel_and_receiver(tmp_path: Path) -> None:
    a1 = TYPE5_1
    b1 = sentence(TYPE5_1[1:-3].replace(",1,A,", ",1,B,"))
    a2 = TYPE5_2
    b2 = sentence(TYPE5_2[1:-3].replace(",1,A,", ",1,B,"))
    p = write(tmp_path, *(f"{tag('c:1600000000')}{s}" for s in (a1, b1, a2, b2)))
    _, rep, rej, _ = read_all(p)
    assert rej.height == 0
    assert rep["record"].to_list() == [3, 4]


def test_tag_block_on_first_fragment_only(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('c:1600000000,s:rx1')}{TYPE5_1}", TYPE5_2)
    _, rep, rej, _ = read_all(p)
    assert rej.height == 0
    assert rep["timestamp"].to_list() == [ts(1600000000)]


def test_incomplete_multipart_at_eof(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('c:1600000000')}{TYPE5_1}")
    _, rep, rej, _ = read_all(p)
    assert rep.height == 0
    assert rej.select("record", "reason").rows() == [(1, "incomplete_multipart")]
    assert "end of file" in rej["detail"][0]


def test_out_of_order_and_orphan_fragments(tmp_path: Path) -> None:
    t = tag("c:1600000000")
    p = write(tmp_path, f"{t}{TYPE5_2}", f"{t}{TYPE5_1}", f"{t}{TYPE5_1}", f"{t}{TYPE5_2}")
    _, rep, rej, _ = read_all(p)
    # line 1: fragment 2 with nothing before it; line 2: superseded by line 3; 3+4 complete.
    assert rej.select("record", "reason").sort("record").rows() == [
        (1, "incomplete_multipart"), (2, "incomplete_multipart")]
    assert rep["record"].to_list() == [4]
    # fragment 3/3 straight after 1/3
    one = sentence(TYPE5_1[1:-3].replace("AIVDM,2,1,", "AIVDM,3,1,"))
    three = sentence(TYPE5_2[1:-3].replace("AIVDM,2,2,", "AIVDM,3,3,"))
    p = write(tmp_path, t + one, t + three, name="y.nmea")
    _, _, rej, _ = read_all(p)
    assert rej.select("record", "reason").sort("record").rows() == [
        (1, "incomplete_multipart"), (2, "out_of_order_fragment")]


# --- time sources --------------------------------------------------------------------------------


def test_tag_block_time_seconds_and_milliseconds_and_source(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('s:station-7,c:1635731887')}{TYPE1}",
              f"{tag('c:1635731887123,s:other')}{TYPE1}")
    pos, _, rej, _ = read_all(p)
    assert rej.height == 0
    assert pos["timestamp"].to_list() == [ts(1635731887), ts(1635731887.123)]
    assert pos["receiver"].to_list() == ["station-7", "other"]


def test_tag_group_shares_time_with_later_sentences(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('g:1-2-77,c:1635731887,s:rx')}{TYPE1}", f"{tag('g:2-2-77')}{TYPE1}",
              f"{tag('s:rx')}{TYPE1}")
    pos, _, rej, _ = read_all(p)
    assert pos["timestamp"].to_list() == [ts(1635731887)] * 2
    assert pos["receiver"].to_list() == ["rx", "rx"]
    # a tag block time never carries over to the next, ungrouped message
    assert rej.select("record", "reason").rows() == [(3, "no_timestamp")]


@pytest.mark.parametrize(("prefix", "expected"), [
    ("2021-11-01 01:58:07 ", ts(1635731887)),
    ("2021-11-01 01:58:07.25,", ts(1635731887.25)),
    ("2021-11-01T01:58:07.123456Z\t", ts(1635731887.123456)),
    ("2021-11-01T03:58:07+02:00 ", ts(1635731887)),
    ("2021-10-31T22:58:07-03:00;", ts(1635731887)),
    ("1635731887 ", ts(1635731887)),
    ("1635731887.5,", ts(1635731887.5)),
    ("1635731887250 ", ts(1635731887.25)),
    ("1635731887", ts(1635731887)),
])
def test_leading_timestamps(tmp_path: Path, prefix: str, expected: datetime) -> None:
    p = write(tmp_path, prefix + TYPE1, prefix + tag("s:rx") + TYPE1)
    pos, _, rej, _ = read_all(p)
    assert rej.height == 0
    assert pos["timestamp"].to_list() == [expected, expected]
    assert pos["receiver"].to_list() == [None, "rx"]


def test_satellite_trailer_first_epoch_and_receiver() -> None:
    pos, rep, _, _ = read_all(SAT)
    first = pos.row(0, named=True)
    # ...*30,d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001
    assert first["record"] == 2
    assert first["timestamp"] == ts(1325394060)
    assert first["receiver"] == "r003669946"
    assert rep.filter(pl.col("record") == 3)["timestamp"].to_list() == [ts(1325394065)]


def test_gatehouse_header_dates_the_next_sentence_only() -> None:
    pos, _, rej, reader = read_all(PYAIS / "gatehouse.nmea")
    assert pos.select("record", "timestamp").rows() == [
        (2, datetime(2008, 5, 9, 0, 0, 0, 10_000, tzinfo=UTC))]
    assert rej.filter(pl.col("reason") == "no_timestamp")["record"].to_list() == [6, 8, 9]
    assert rej.filter(pl.col("reason") == "bad_checksum")["record"].to_list() == [7]
    assert reader.stats.unused_headers == 2


def test_time_precedence_tag_over_prefix_over_trailer(tmp_path: Path) -> None:
    p = write(tmp_path, f"1500000000 {tag('c:1600000000')}{TYPE1},1400000000",
              f"1500000000 {TYPE1},1400000000", f"{TYPE1},1400000000")
    pos, _, _, _ = read_all(p)
    assert pos["timestamp"].to_list() == [ts(1600000000), ts(1500000000), ts(1400000000)]


def test_no_timestamp_unless_assumed(tmp_path: Path) -> None:
    p = write(tmp_path, TYPE1)
    pos, _, rej, _ = read_all(p)
    assert pos.height == 0 and rej["reason"].to_list() == ["no_timestamp"]
    pos, _, rej, _ = read_all(p, assume_time=datetime(2020, 1, 1))  # naive = UTC
    assert rej.height == 0 and pos["timestamp"].to_list() == [ASSUMED]


def test_impossible_times_are_rejected(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('c:12415440354')}{TYPE1}", f"{tag('c:abc')}{TYPE1}",
              f"2021-13-01 00:00:00 {TYPE1}")
    _, _, rej, _ = read_all(p)
    assert rej["reason"].to_list() == ["bad_timestamp"] * 3


# --- rejects and strict mode ---------------------------------------------------------------------


def test_bad_checksum_reject_and_strict(tmp_path: Path) -> None:
    bad = TYPE1[:-2] + "00"
    p = write(tmp_path, "# header", f"{tag('c:1600000000')}{TYPE1}", f"{tag('c:1600000000')}{bad}")
    pos, _, rej, _ = read_all(p)
    assert pos.height == 1
    row = rej.row(0, named=True)
    assert (row["record"], row["reason"]) == (3, "bad_checksum")
    assert row["raw"].endswith(bad) and "23" in row["detail"]
    with pytest.raises(IngestError, match=rf"{p}:3: bad_checksum") as err:
        list(read_nmea(p, strict=True))
    assert (err.value.record, err.value.reason) == (3, "bad_checksum")


@pytest.mark.parametrize(("line", "reason", "detail"), [
    ("!AIVDM,1,1,,B,15N4cJ005Jrek0H@9nDW5608EP,013", "malformed_sentence", "no checksum"),
    (sentence("AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,7"), "malformed_sentence", "fill bits"),
    (sentence("AIVDM,0,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0"), "malformed_sentence",
     "fragment count"),
    (sentence("AIVDM,1,1,,A,13HOI:0P0000VOH|CnHQKwvL05Ip,0"), "malformed_sentence", "invalid"),
    (sentence("AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip"), "malformed_sentence", "7 fields"),
    (sentence("AIVDM,1,1,,A,,0"), "empty_payload", "no AIS payload"),
    (sentence("AIVDM,1,1,,A,13HOI:0P0000VOHL,0"), "decode_error", "96 bits"),
    (sentence("AIVDM,1,1,,A,H>WikQlO000000012ij0007Ft,0"), "decode_error", "bits"),
    ("\\c:1600000000\\" + TYPE1, "malformed_sentence", "without checksum"),
    ("\\c:1600000000*00" + TYPE1, "malformed_sentence", "unterminated"),
    (tag("c:1600000000"), "malformed_sentence", "without a sentence"),
    ("hello world", "unsupported_line", "not an NMEA"),
])
def test_reject_reasons(tmp_path: Path, line: str, reason: str, detail: str) -> None:
    p = write(tmp_path, f"{tag('c:1600000000')}{line}" if line.startswith("!") else line)
    pos, rep, rej, _ = read_all(p)
    assert pos.height == rep.height == 0
    assert rej.select("record", "reason").rows() == [(1, reason)]
    assert detail in rej["detail"][0]
    with pytest.raises(IngestError, match=f":1: {reason}"):
        list(read_nmea(p, strict=True))


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


# --- streaming -----------------------------------------------------------------------------------


def test_batch_split_gives_the_same_rows() -> None:
    whole = list(read_nmea(NM4))
    assert len(whole) == 1
    parts = list(read_nmea(NM4, batch_rows=10))
    assert [b.positions.height for b in parts[:-1]] == [10] * (len(parts) - 1)
    assert 0 < parts[-1].positions.height <= 10
    assert_frame_equal(pl.concat([b.positions for b in parts]), whole[0].positions)
    assert_frame_equal(pl.concat([b.reports for b in parts]), whole[0].reports)
    parts = list(read_nmea(PYAIS / "nmea_data_sample.txt", batch_rows=7, assume_time=ASSUMED))
    whole = list(read_nmea(PYAIS / "nmea_data_sample.txt", assume_time=ASSUMED))
    for table in ("positions", "reports", "rejects"):
        assert_frame_equal(pl.concat([getattr(b, table) for b in parts]).sort("record"),
                           getattr(whole[0], table).sort("record"))


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    gz = tmp_path / "ais.nm4.gz"
    gz.write_bytes(gzip.compress(NM4.read_bytes()))
    plain = next(iter(read_nmea(NM4)))
    packed = next(iter(read_nmea(gz)))
    assert (packed.positions["source"] == str(gz)).all()
    assert_frame_equal(packed.positions.drop("source"), plain.positions.drop("source"))
    assert_frame_equal(packed.reports.drop("source"), plain.reports.drop("source"))


def test_empty_file_gives_one_empty_batch(tmp_path: Path) -> None:
    p = write(tmp_path, "", "# nothing")
    batches = list(read_nmea(p))
    assert len(batches) == 1
    assert batches[0].positions.height == 0
    assert batches[0].positions.schema == POSITIONS.polars_schema()


# --- sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*sorted(PYAIS.iterdir()), SAT, NM4], ids=lambda p: p.name)
def test_sniffs_every_nmea_corpus(path: Path) -> None:
    assert looks_like_nmea(path.read_bytes()[:4096].decode("ascii", "replace"))


@pytest.mark.parametrize("path", sorted(DATA.glob("*/*.csv")), ids=lambda p: p.name)
def test_does_not_sniff_csv(path: Path) -> None:
    assert not looks_like_nmea(path.read_bytes()[:4096].decode("utf-8", "replace"))


def test_sniffs_prefixed_lines() -> None:
    sample = "\n".join(f"2021-11-01 01:58:{i:02d} {TYPE1}" for i in range(20))
    assert looks_like_nmea(sample)
    assert not looks_like_nmea("")
    assert not looks_like_nmea("mmsi,lat,lon\n1,2,3\n")


# --- odds and ends -------------------------------------------------------------------------------


def test_old_style_group_bom_and_other_gatehouse_kinds(tmp_path: Path) -> None:
    p = tmp_path / "odd.nmea"
    p.write_bytes(
        b"\xef\xbb\xbf# comment after a byte order mark\n"
        + f"{tag('1G2:9,c:1635731887.5,s:rx')}{TYPE5_1}\n{tag('2G2:9')}{TYPE5_2}\n".encode()
        + f"${'PGHP,2,foo'}*{checksum('PGHP,2,foo')}\n".encode()
    )
    _, rep, rej, reader = read_all(p)
    assert rej.height == 0
    assert rep["timestamp"].to_list() == [ts(1635731887.5)]
    assert reader.stats.other_sentences == {"PGHP": 1}
    assert reader.stats.skipped_lines == 1


def test_strict_raises_for_an_incomplete_message_at_eof(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('c:1600000000')}{TYPE1}", f"{tag('c:1600000000')}{TYPE5_1}")
    with pytest.raises(IngestError, match=r":2: incomplete_multipart"):
        list(read_nmea(p, strict=True))


def test_a_reader_reads_once() -> None:
    reader = NmeaReader(NM4)
    list(reader.batches())
    assert reader.stats.lines == 1000 and reader.stats.messages == 979
    with pytest.raises(RuntimeError):
        list(reader.batches())
