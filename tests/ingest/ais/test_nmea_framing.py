"""NMEA framing (``nmea_framing.py``): the format sniffer, tag blocks and time fields."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sanctionwatch.ingest.ais.nmea_framing import (
    PREFIX,
    SENTENCE,
    US,
    BadTag,
    TimeError,
    datetime_us,
    diagnose,
    epoch_us,
    looks_like_nmea,
    parse_tag,
    prefix_us,
)
from tests.ingest.ais.helpers import DATA, NM4, PYAIS, SAT, TYPE1, checksum


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


def test_parse_tag_fields_checksum_and_groups() -> None:
    body = "g:1-2-77,c:1635731887,s:rx"
    assert parse_tag(f"{body}*{checksum(body)}".encode()) == (1635731887 * US, "rx", (1, 2, "77"))
    body = "1G2:9,c:1635731887123"
    assert parse_tag(f"{body}*{checksum(body)}".encode()) == (
        1635731887123 * 1000, None, (1, 2, "9"))
    with pytest.raises(BadTag) as err:
        parse_tag(b"c:1635731887*00")
    assert err.value.reason == "bad_checksum"
    with pytest.raises(BadTag) as err:
        parse_tag(b"c:1635731887")
    assert err.value.reason == "malformed_sentence"
    with pytest.raises(TimeError):
        parse_tag(f"c:12*{checksum('c:12')}".encode())


@pytest.mark.parametrize(("text", "expected"), [
    (b"1635731887", 1635731887 * US),
    (b"1635731887.25", 1635731887_250_000),
    (b"1635731887250", 1635731887_250_000),
])
def test_epoch_us_seconds_fractions_and_milliseconds(text: bytes, expected: int) -> None:
    assert epoch_us(text) == expected


@pytest.mark.parametrize("text", [b"abc", b"1", b"4102444800"])  # unreadable, 1970, 2100
def test_epoch_us_rejects_unreadable_and_impossible_times(text: bytes) -> None:
    with pytest.raises(TimeError):
        epoch_us(text)


def test_prefix_and_datetime_us() -> None:
    m = PREFIX.match(f"2021-11-01T03:58:07.5+02:00 {TYPE1}".encode())
    assert m is not None and prefix_us(m) == 1635731887_500_000
    assert datetime_us(datetime(2021, 11, 1, 1, 58, 7)) == 1635731887 * US  # naive = UTC
    assert datetime_us(datetime(2021, 11, 1, 1, 58, 7, tzinfo=UTC)) == 1635731887 * US


def test_sentence_regex_and_diagnosis() -> None:
    m = SENTENCE.fullmatch(TYPE1.encode())
    assert m is not None and m[6] == b"13HOI:0P0000VOHLCnHQKwvL05Ip" and m[9] is None
    assert diagnose(b"!AIVDM,1,1,,A,13HOI,0") == "no checksum ('*hh') in sentence"
    assert diagnose(b"!AIVDM,1,1,,A,13HOI,7*00") == "fill bits '7' are not 0-5"
    assert "invalid characters" in diagnose(b"!AIVDM,1,1,,A,13|OI,0*00")
