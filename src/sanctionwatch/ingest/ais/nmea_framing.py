"""NMEA 0183 framing of AIS logs: sentences, tag blocks, vendor headers and time fields.

Everything about one line of text that does not depend on the lines around it: the regular
expressions that parse and validate an ``!AIVDM`` / ``!AIVDO`` sentence, a leading timestamp,
a trailer after the checksum and a Gatehouse ``$PGHP`` header; the NMEA 4.x tag-block parser;
the conversions of the time fields to microseconds since the epoch; the diagnosis of a
malformed sentence; and the format sniffer :func:`looks_like_nmea`. Each costs time linear in
the line's length. The reader (:mod:`~sanctionwatch.ingest.ais.nmea`) combines them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import reduce
from operator import xor
from pathlib import Path
from typing import IO, Final, cast

from sanctionwatch.ingest.ais.base import EARLIEST_TIME
from sanctionwatch.ingest.ais.source import ByteSource, open_bytes

# --- sentence layout -------------------------------------------------------------------------

# One regex match both parses and validates a sentence: talker, fragment count, fragment
# number, sequential message id, channel, payload (6-bit armoured characters only), fill
# bits, checksum, and an optional vendor trailer after the checksum.
SENTENCE: Final = re.compile(
    rb"[!$]([A-Z]{2})VD[MO],([1-9]),([1-9]),([0-9]?),([^,*]{0,2}),([0-W`-w]*),([0-5])"
    rb"\*([0-9A-Fa-f]{2})(,.*)?"
)
TALKER: Final = re.compile(rb"[!$][A-Z]{2}VD[MO]")
OTHER_SENTENCE: Final = re.compile(rb"[!$]([A-Z0-9]{2,8})[,*]")
PAYLOAD_CHARS: Final = bytes(range(48, 88)) + bytes(range(96, 120))

_TS_PATTERN: Final = (
    r"(?:(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?"
    r"|(\d{10})(?:\.(\d+))?|(\d{13}))[ \t,;|]*(?=[!$\\])"
)
PREFIX: Final = re.compile(_TS_PATTERN.encode())
"""A leading timestamp (ISO, unix seconds or milliseconds) before a sentence or tag block."""
_SNIFF: Final = re.compile(
    r"(?:" + _TS_PATTERN + r")?(?:\\[^\\]*\\)*[!$][A-Z]{2}VD[MO],\d,\d,"
)
# Satellite-provider trailer after the checksum (aisdb-testdata/test_data_201201.nmea):
#   *30,d-080,S2118,t050056.00,T56.4837741,r003669946,1325394060,1325394001
# d: signal dBm, S: slot, t: receiver time of day hhmmss.ss, T: second of the minute,
# r: receiving station, then two unix times. The FIRST is the receive time: in all 26 lines
# it lies 0-4 s after the receiver's own `t` time of day (stamped on arrival), while the
# second lies 27-60 s *before* it, which no receive time can, and that lead drifts over the
# week like an unsynchronised clock. So the first all-digit epoch field is used.
TRAILER_EPOCH: Final = re.compile(rb",(\d{10}(?:\.\d+)?|\d{13})(?=,|$)")
# The same network writes the station as tag block `s:r003669945` (pyais-nmea/sample.ais), so
# the field is kept whole, 'r' included, to give one receiver id across both layouts.
TRAILER_RECEIVER: Final = re.compile(rb",(r[^,]+)")
PGHP: Final = re.compile(
    rb"\$PGHP,1,(\d{4}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,3}),[^*]*"
    rb"\*([0-9A-Fa-f]{2})"
)

BANG, DOLLAR, BACKSLASH, HASH = 33, 36, 92, 35
"""First bytes of a line: ``!``, ``$``, ``\\`` (tag block), ``#`` (comment)."""
BOM: Final = b"\xef\xbb\xbf"

# --- time ------------------------------------------------------------------------------------

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000
"""Microseconds per second: times are int microseconds since the epoch."""
# Times outside this window are corrupt (AIS did not exist before EARLIEST_TIME; the reader
# also refuses times after the moment of reading); reject, don't guess.
_MIN_US: Final = int((EARLIEST_TIME - _EPOCH).total_seconds()) * US
_MAX_US: Final = int((datetime(2100, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * US
_MS_THRESHOLD: Final = 100_000_000_000  # larger epoch values are milliseconds (1e11 s is AD 5138)


class TimeError(ValueError):
    """A time field that cannot be read (``reason`` ``bad_timestamp``) or lies outside
    1998-2100 (``impossible_time``)."""

    def __init__(self, detail: str, reason: str = "bad_timestamp") -> None:
        super().__init__(detail)
        self.reason = reason


class BadTag(ValueError):
    """A tag block that cannot be used; ``reason`` is the reject reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def open_log(path: str | Path) -> tuple[IO[bytes], ByteSource]:
    """The file as bytes, decompressed on the fly when they are gzip (by content, not by
    name), and its :class:`~sanctionwatch.ingest.ais.source.ByteSource` (``error``: the
    stream broke off)."""
    fh, src = open_bytes(path)
    return cast(IO[bytes], fh), src


def parse_tag(tag: bytes) -> tuple[int | None, str | None, tuple[int, int, str] | None]:
    """Parse a tag block body ``c:...,s:...,g:...*hh``: (time µs, source, group)."""
    star = tag.rfind(b"*")
    if star < 0:
        raise BadTag("malformed_sentence", "tag block without checksum")
    try:
        expected = int(tag[star + 1:], 16)
    except ValueError:
        raise BadTag("malformed_sentence", "unreadable tag block checksum") from None
    body = tag[:star]
    computed = reduce(xor, body, 0)
    if computed != expected:
        said = tag[star + 1:].decode("ascii", "replace")
        raise BadTag("bad_checksum", f"tag block: computed {computed:02X}, tag says {said}")
    t_us: int | None = None
    source: str | None = None
    group: tuple[int, int, str] | None = None
    for item in body.split(b","):
        key, _, value = item.partition(b":")
        if key == b"c":
            t_us = epoch_us(value)
        elif key == b"s":
            source = value.decode("ascii", "replace") or None
        elif key == b"g":
            parts = value.split(b"-")
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
                group_text = value.decode("ascii", "replace")
                raise BadTag("malformed_sentence", f"tag block group {group_text!r}")
            group = (int(parts[0]), int(parts[1]), parts[2].decode("ascii", "replace"))
        elif len(key) == 3 and key[1:2] == b"G" and key[:1].isdigit() and key[2:].isdigit():
            group = (int(key[:1]), int(key[2:]), value.decode("ascii", "replace"))  # 1G2:id
    return t_us, source, group


def epoch_us(value: bytes) -> int:
    """Unix time in seconds (optionally fractional) or milliseconds -> µs."""
    try:
        if b"." in value:
            us = round(float(value) * US)
        else:
            v = int(value)
            us = v * 1000 if v >= _MS_THRESHOLD else v * US
    except ValueError:
        raise TimeError(f"unreadable time {value.decode('ascii', 'replace')!r}") from None
    return check_range(us)


def check_range(us: int) -> int:
    """``us``, or :class:`TimeError` when it is before
    :data:`~sanctionwatch.ingest.ais.base.EARLIEST_TIME` or from 2100 on."""
    if not _MIN_US <= us < _MAX_US:
        raise TimeError(f"time {us / US:.0f} s is before AIS existed "
                        f"({EARLIEST_TIME:%Y-%m-%d}) or from 2100 on", "impossible_time")
    return us


def prefix_us(m: re.Match[bytes]) -> int:
    """Leading ``YYYY-mm-dd[T ]HH:MM:SS[.f][Z|±hh:mm]`` (naive = UTC) or unix epoch -> µs."""
    stamp, frac, offset, secs, secs_frac, millis = m.groups()
    if millis is not None:
        return epoch_us(millis)
    if secs is not None:
        return epoch_us(secs + b"." + secs_frac if secs_frac else secs)
    try:
        dt = datetime(int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]),
                      int(stamp[14:16]), int(stamp[17:19]), tzinfo=UTC)
    except ValueError as e:
        raise TimeError(f"{stamp.decode('ascii', 'replace')}: {e}") from None
    us = datetime_us(dt)
    if frac:
        us += int(frac[:6].ljust(6, b"0"))
    if offset and offset != b"Z":
        hhmm = offset[1:].replace(b":", b"")
        shift_us = (int(hhmm[:2]) * 3600 + int(hhmm[2:]) * 60) * US
        us += shift_us if offset[:1] == b"-" else -shift_us  # local = UTC + offset
    return check_range(us)


def datetime_us(dt: datetime) -> int:
    """A datetime (naive = UTC) as µs since the epoch."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def gatehouse_us(m: re.Match[bytes]) -> int:
    """The time of a matched ``$PGHP,1,...`` header -> µs (:class:`TimeError` or
    ``ValueError`` when it cannot be used)."""
    y, mo, d, hh, mi, ss, ms = (int(v) for v in m.groups()[:7])
    return check_range(datetime_us(datetime(y, mo, d, hh, mi, ss, ms * 1000, tzinfo=UTC)))


def diagnose(line: bytes) -> str:
    """Why an AIVDM/AIVDO sentence did not parse (for the reject's detail)."""
    star = line.find(b"*")
    if star < 0:
        return "no checksum ('*hh') in sentence"
    fields = line[:star].split(b",")
    if not TALKER.fullmatch(fields[0]):
        return f"sentence tag {fields[0].decode('ascii', 'replace')!r}"
    if len(fields) != 7:
        return f"expected 7 fields before the checksum, found {len(fields)}"
    _, count, num, seq, channel, payload, fill = fields
    if not (count.isdigit() and 1 <= int(count) <= 9):
        return f"fragment count {count.decode('ascii', 'replace')!r} is not 1-9"
    if not (num.isdigit() and 1 <= int(num) <= 9):
        return f"fragment number {num.decode('ascii', 'replace')!r} is not 1-9"
    if len(seq) > 1 or (seq and not seq.isdigit()):
        return f"sequential message id {seq.decode('ascii', 'replace')!r} is not 0-9"
    if len(channel) > 2:
        return f"channel {channel.decode('ascii', 'replace')!r}"
    bad = payload.translate(None, PAYLOAD_CHARS)
    if bad:
        return f"payload has invalid characters {bad[:10].decode('ascii', 'replace')!r}"
    if not (fill.isdigit() and int(fill) <= 5):
        return f"fill bits {fill.decode('ascii', 'replace')!r} are not 0-5"
    tail = line[star + 1:]
    if len(tail) < 2 or not all(c in b"0123456789ABCDEFabcdef" for c in tail[:2]):
        return f"checksum {tail[:2].decode('ascii', 'replace')!r} is not two hex digits"
    return f"unexpected text after the checksum: {tail[2:20].decode('ascii', 'replace')!r}"


def looks_like_nmea(sample: str) -> bool:
    """Whether the first few KB of a file look like an NMEA AIS log.

    True when at least one line is an AIS sentence (possibly behind a tag block or a leading
    timestamp) and at most one in five of the other non-blank, non-comment lines is not NMEA.
    Looks at the first 500 lines at most.
    """
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines.pop()  # cut off mid-line
    ais = other = bad = 0
    for text in lines[:500]:
        s = text.strip()
        if not s or s[0] == "#":
            continue
        if _SNIFF.match(s):
            ais += 1
        elif s[0] in "!$":
            other += 1
        else:
            bad += 1
    return ais > 0 and bad * 4 <= ais + other


__all__ = [
    "BACKSLASH", "BANG", "BOM", "DOLLAR", "HASH", "OTHER_SENTENCE", "PAYLOAD_CHARS", "PGHP",
    "PREFIX", "SENTENCE", "TALKER", "TRAILER_EPOCH", "TRAILER_RECEIVER", "US", "BadTag",
    "TimeError", "check_range", "datetime_us", "diagnose", "epoch_us", "gatehouse_us",
    "looks_like_nmea", "open_log", "parse_tag", "prefix_us",
]
