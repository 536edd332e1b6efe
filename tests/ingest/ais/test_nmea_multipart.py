"""Multi-sentence messages and tag-block groups (``nmea_multipart.py``), through the reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctionwatch.ingest.ais.base import IngestError
from sanctionwatch.ingest.ais.nmea import read_nmea
from sanctionwatch.ingest.ais.nmea_multipart import Reassembler, TagGroups
from tests.ingest.ais.helpers import (
    TYPE1,
    TYPE5_1,
    TYPE5_2,
    decode,
    read_all,
    sentence,
    tag,
    ts,
    write,
)


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


def test_strict_raises_for_an_incomplete_message_at_eof(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('c:1600000000')}{TYPE1}", f"{tag('c:1600000000')}{TYPE5_1}")
    with pytest.raises(IngestError, match=r":2: incomplete_multipart"):
        list(read_nmea(p, strict=True))


def test_tag_group_shares_time_with_later_sentences(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('g:1-2-77,c:1635731887,s:rx')}{TYPE1}", f"{tag('g:2-2-77')}{TYPE1}",
              f"{tag('s:rx')}{TYPE1}")
    pos, _, rej, _ = read_all(p)
    assert pos["timestamp"].to_list() == [ts(1635731887)] * 2
    assert pos["receiver"].to_list() == ["rx", "rx"]
    # a tag block time never carries over to the next, ungrouped message
    assert rej.select("record", "reason").rows() == [(3, "no_timestamp")]


def test_reassembler_hands_on_complete_messages_and_rejects_the_rest() -> None:
    rejects: list[tuple[int, str]] = []
    messages: list[tuple[int, bytes, int, int | None, str | None]] = []
    parts = Reassembler(lambda rec, reason, detail, raw: rejects.append((rec, reason)),
                        lambda rec, raws, payload, fill, t, rx: messages.append(
                            (rec, payload, fill, t, rx)))
    parts.fragment(1, b"a1", 2, 1, b"1", b"A", b"ab", 0, 5, "rx")
    parts.fragment(2, b"a2", 2, 2, b"1", b"A", b"cd", 2, None, None)  # no source: latest start
    assert messages == [(2, b"abcd", 2, 5, "rx")] and rejects == []
    parts.fragment(3, b"b1", 3, 1, b"2", b"B", b"x", 0, None, None)
    parts.fragment(4, b"b3", 3, 3, b"2", b"B", b"z", 0, None, None)  # 2/3 missing
    parts.fragment(5, b"c1", 2, 1, b"3", b"B", b"y", 0, None, None)
    parts.finish()
    assert rejects == [(3, "incomplete_multipart"), (4, "out_of_order_fragment"),
                       (5, "incomplete_multipart")]


def test_tag_groups_share_time_and_source_within_a_group_only() -> None:
    groups = TagGroups()
    assert groups.share((1, 2, "g"), 10, "rx") == (10, "rx")
    assert groups.share((2, 2, "g"), None, None) == (10, "rx")
    assert groups.share((2, 2, "g"), None, None) == (None, None)  # the group is closed
