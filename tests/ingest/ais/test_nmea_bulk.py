"""The NMEA reader's column-wise framing (nmea_bulk): plain lines and two-sentence messages
taken in bulk, everything else line by line, with the rows, rejects, line numbers and batches
of reading every line in turn."""

from __future__ import annotations

from pathlib import Path

import pyais
import pytest

from sanctionwatch.ingest.ais import nmea
from sanctionwatch.ingest.ais.nmea import NmeaReader
from sanctionwatch.ingest.ais.nmea_bulk import (
    FRAGMENT,
    IGNORED,
    PAIR,
    PLAIN,
    SKIPPED,
    SLOW,
    frame_block,
)
from tests.ingest.ais.helpers import (
    TYPE1,
    TYPE5_1,
    TYPE5_2,
    collect,
    read_all,
    sentence,
    tag,
    ts,
    write,
)

T0 = 1_600_000_000


def _type5(mmsi: int, name: str, seq: int, channel: str) -> list[str]:
    return pyais.encode_dict({"msg_type": 5, "mmsi": mmsi, "shipname": name, "callsign": "CS1",
                              "imo": 9_000_000 + mmsi % 1000, "draught": 4.2, "to_bow": 50,
                              "to_stern": 30, "to_port": 5, "to_starboard": 6,
                              "ship_type": 70, "destination": "NAMPO"},
                             seq_id=seq, radio_channel=channel)


def _type1(mmsi: int) -> str:
    return pyais.encode_dict({"msg_type": 1, "mmsi": mmsi, "lat": 38.5, "lon": 125.25,
                              "speed": 7.5, "course": 180.0, "heading": 181})[0]


def test_lines_are_classified(tmp_path: Path) -> None:
    lines = [f"{tag(f'c:{T0},s:rx')}{TYPE1}",  # plain
             "",  # blank
             f"{tag(f'c:{T0}')}{TYPE5_1}", f"{tag(f'c:{T0}')}{TYPE5_2}",  # a pair
             TYPE5_1,  # a fragment whose next line is not its second
             TYPE1[:-2] + "00",  # bad checksum
             f"{tag(f'c:{T0}')}" + sentence("AIVDM,1,1,,A,D,0"),  # type 20: only counted
             ]
    block = ("\n".join(lines) + "\n").encode()
    framed = frame_block(block, header_clear=True, latest_us=(T0 + 10**6) * 10**6,
                         assume_us=None)
    assert framed.kind.tolist() == [PLAIN, SKIPPED, PAIR, PLAIN, FRAGMENT, SLOW, IGNORED]
    assert framed.line.tolist() == [0, 3]  # the pair's message is at its second line


def test_interleaved_multipart_across_channels(tmp_path: Path) -> None:
    a1, a2 = _type5(111_000_001, "ALPHA", 1, "A")
    b1, b2 = _type5(111_000_002, "BRAVO", 1, "B")
    c1, c2 = _type5(111_000_003, "CHARLIE", 2, "A")
    p = write(tmp_path, *(f"{tag(f'c:{T0 + i}')}{s}"
                          for i, s in enumerate([a1, b1, a2, b2, c1, c2, _type1(222_000_001)])))
    pos, rep, rej, _ = read_all(p)
    assert rej.height == 0
    assert rep.select("record", "name", "mmsi").rows() == [
        (3, "ALPHA", 111_000_001), (4, "BRAVO", 111_000_002), (6, "CHARLIE", 111_000_003)]
    # a message's time is its first sentence's
    assert rep["timestamp"].to_list() == [ts(T0), ts(T0 + 1), ts(T0 + 4)]
    assert rep.row(0, named=True) | {"source": None} == {
        "mmsi": 111_000_001, "timestamp": ts(T0), "imo": 9_000_001, "name": "ALPHA",
        "callsign": "CS1", "ship_type": 70, "draught_m": pytest.approx(4.2),
        "destination": "NAMPO", "length_m": 80.0, "width_m": 11.0, "flag": None,
        "ais_class": "A", "source": None, "record": 3}
    assert pos.select("record", "mmsi", "sog_knots", "heading_deg").rows() == [
        (7, 222_000_001, 7.5, 181.0)]


def test_tag_block_group_shares_time_and_receiver(tmp_path: Path) -> None:
    p = write(tmp_path,
              f"{tag(f'g:1-2-77,c:{T0},s:rx9')}{_type1(1)}",
              f"{tag('g:2-2-77')}{_type1(2)}",
              f"{tag(f'c:{T0 + 5}')}{_type1(3)}")
    pos, _, rej, _ = read_all(p)
    assert rej.height == 0
    assert pos.select("mmsi", "timestamp", "receiver", "record").rows() == [
        (1, ts(T0), "rx9", 1), (2, ts(T0), "rx9", 2), (3, ts(T0 + 5), None, 3)]


def test_corrupt_lines_are_rejected_with_their_line_numbers(tmp_path: Path) -> None:
    good = f"{tag(f'c:{T0}')}{TYPE1}"
    p = write(tmp_path,
              good,
              "# a comment",
              good[:-2] + "00",  # line 3: bad sentence checksum
              f"\\c:{T0}*00\\{TYPE1}",  # line 4: bad tag-block checksum
              good[:40],  # line 5: cut short
              good,
              f"{tag(f'c:9{T0}')}{TYPE1}",  # line 7: too late to be true
              TYPE1,  # line 8: no time
              "garbage",  # line 9
              good)
    pos, _, rej, reader = read_all(p)
    assert pos["record"].to_list() == [1, 6, 10]
    assert rej.select("record", "reason").rows() == [
        (3, "bad_checksum"), (4, "bad_checksum"), (5, "malformed_sentence"),
        (7, "impossible_time"), (8, "no_timestamp"), (9, "unsupported_line")]
    assert rej["detail"][0] == "computed 23, sentence says 00"
    assert reader.stats.skipped_lines == 1 and reader.stats.lines == 10


def test_fast_and_slow_lines_alternate_with_gatehouse_headers(tmp_path: Path) -> None:
    header = "$PGHP,1,2020,9,13,12,26,40,0,338,2,,1,09"
    header_line = f"{header}*{_xor(header[1:])}"
    header_t = ts(T0)  # 2020-09-13 12:26:40 UTC
    lines = []
    for i in range(6):
        if i % 2:
            lines.append(header_line)  # the next sentence takes the header's time ...
        lines.append(f"{T0 + 100 + i} {_type1(10 + i)}")  # ... over its own prefix
    p = write(tmp_path, *lines)
    pos, _, rej, reader = read_all(p)
    assert rej.height == 0
    assert pos.select("mmsi", "timestamp").rows() == [
        (10, ts(T0 + 100)), (11, header_t), (12, ts(T0 + 102)), (13, header_t),
        (14, ts(T0 + 104)), (15, header_t)]
    assert pos["record"].to_list() == [1, 3, 4, 6, 7, 9]
    assert reader.stats.headers == 3 and reader.stats.unused_headers == 0


def test_a_pair_on_a_key_with_a_pending_message_goes_through_the_reassembler(
        tmp_path: Path) -> None:
    a1, _ = _type5(111_000_001, "ALPHA", 3, "A")
    b1, b2 = _type5(111_000_002, "BRAVO", 3, "A")
    p = write(tmp_path, f"{tag(f'c:{T0}')}{a1}", f"{tag(f'c:{T0}')}{_type1(5)}",
              f"{tag(f'c:{T0}')}{b1}", f"{tag(f'c:{T0}')}{b2}")
    pos, rep, rej, reader = read_all(p)
    assert rej.select("record", "reason", "detail").rows() == [
        (1, "incomplete_multipart",
         "a new message with the same sequence id started at line 3 before fragment 2/2")]
    assert rep.select("record", "name").rows() == [(4, "BRAVO")]
    assert pos["record"].to_list() == [2]
    assert reader.stats.messages == 2 and reader.stats.fragments == 1


@pytest.mark.parametrize("block_bytes", [64, 1000, 1 << 23])
@pytest.mark.parametrize("batch_rows", [2, 3, 100])
def test_blocks_and_batches_cut_where_lines_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                block_bytes: int, batch_rows: int) -> None:
    monkeypatch.setattr(nmea, "_BLOCK_BYTES", block_bytes)
    lines = []
    for i in range(12):
        lines.append(f"{tag(f'c:{T0 + i}')}{_type1(100 + i)}")
        if i % 4 == 1:
            lines += [f"{tag(f'c:{T0 + i}')}{s}" for s in _type5(200 + i, f"V{i}", i % 10, "B")]
        if i % 5 == 2:
            lines.append("!AIVDM,1,1,,A,bad*00")
    p = write(tmp_path, *lines)
    reader = NmeaReader(p, batch_rows=batch_rows)
    batches = list(reader.batches())
    pos, rep, rej, _ = collect(batches)
    assert pos["mmsi"].to_list() == list(range(100, 112))
    assert rep["name"].to_list() == ["V1", "V5", "V9"]
    assert rej["record"].to_list() == [6, 14]
    assert sum(b.rows for b in batches) == len(lines)
    # every batch but the last is cut at the line where it fills up
    for b in batches[:-1]:
        assert max(b.positions.height, b.reports.height, b.rejects.height) == batch_rows


def test_crlf_and_trailing_blanks(tmp_path: Path) -> None:
    p = tmp_path / "crlf.nmea"
    good = f"{tag(f'c:{T0}')}{TYPE1}"
    p.write_bytes(f"{good}\r\n{good} \r\n{good}\t\n{good}".encode())
    pos, _, rej, reader = read_all(p)
    assert rej.height == 0
    assert pos["record"].to_list() == [1, 2, 3, 4]
    assert reader.stats.lines == 4


def test_trailer_time_and_receiver(tmp_path: Path) -> None:
    body = TYPE1 + ",d-109,S2105,t050056.00,T56.13,r003669946,1325394060,1325394001"
    p = write(tmp_path, body, TYPE1 + ",d-109,r1,1325394060.5")
    pos, _, _, _ = read_all(p)
    assert pos.select("timestamp", "receiver").rows() == [
        (ts(1325394060), "r003669946"), (ts(1325394060.5), "r1")]


def _xor(body: str) -> str:
    out = 0
    for c in body.encode():
        out ^= c
    return f"{out:02X}"
