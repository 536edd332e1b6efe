"""The streaming NMEA 0183 AIS reader (``nmea.py``): the real corpora in tests/data/ais and
crafted lines; time sources, rejects, strict mode, streaming."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyais
import pytest
from polars.testing import assert_frame_equal

from sanctionwatch.ingest.ais.base import IngestError
from sanctionwatch.ingest.ais.nmea import NmeaReader, read_nmea
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS
from tests.ingest.ais.helpers import (
    ASSUMED,
    NM4,
    PYAIS,
    SAT,
    TYPE1,
    TYPE5_1,
    TYPE5_2,
    checksum,
    read_all,
    sentence,
    tag,
    ts,
    write,
)

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
    # base stations (4), SAR aircraft (9) and aids to navigation (21) give station positions
    # when they have a time; without one they are counted as before
    (PYAIS / "nmea_data_sample.txt", ASSUMED, 768, 2,
     {"empty_payload": 100, "incomplete_multipart": 20}, {15: 7, 20: 1}),
    (SAT, None, 8, 2, {}, {t: 1 for t in (6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 20,
                                          22, 23, 25, 26)}),
    (NM4, None, 933, 46, {}, {6: 1, 8: 1, 25: 2}),
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


# --- time sources ---------------------------------------------------------------------------------


def test_tag_block_time_seconds_and_milliseconds_and_source(tmp_path: Path) -> None:
    p = write(tmp_path, f"{tag('s:station-7,c:1635731887')}{TYPE1}",
              f"{tag('c:1635731887123,s:other')}{TYPE1}")
    pos, _, rej, _ = read_all(p)
    assert rej.height == 0
    assert pos["timestamp"].to_list() == [ts(1635731887), ts(1635731887.123)]
    assert pos["receiver"].to_list() == ["station-7", "other"]


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
    pos = pos.filter(~pl.col("msg_type").is_in([4, 9, 21]))  # ship positions
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
    assert rej["reason"].to_list() == ["impossible_time", "bad_timestamp", "bad_timestamp"]


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


def test_a_reader_reads_once() -> None:
    reader = NmeaReader(NM4)
    list(reader.batches())
    assert reader.stats.lines == 1000 and reader.stats.messages == 979
    with pytest.raises(RuntimeError):
        list(reader.batches())


def test_station_messages_are_station_positions() -> None:
    pos, _, _, _ = read_all(SAT)
    got = {r["msg_type"]: r for r in pos.filter(pl.col("msg_type").is_in([4, 9, 21]))
           .iter_rows(named=True)}
    assert {t: got[t]["mmsi"] for t in got} == {4: 3669713, 9: 400214919, 21: 852992994}
    lines = SAT.read_text().splitlines()
    for row in got.values():
        msg = pyais.decode(lines[row["record"] - 1].split(",d-")[0] if ",d-" in
                           lines[row["record"] - 1] else lines[row["record"] - 1])
        assert (row["lat"], row["lon"]) == (msg.lat, msg.lon)
        assert row["ais_class"] is None and row["heading_deg"] is None
