"""Streaming reader for NMEA 0183 AIS logs (``!AIVDM`` / ``!AIVDO`` sentences).

The file is read line by line (plain or ``.gz``) and turned into :class:`Batch` es of
canonical POSITIONS, VESSEL_REPORTS and REJECTS rows. Supported wrappers: NMEA 4.x tag
blocks (``c:`` time, ``s:`` source, ``g:`` groups), Gatehouse ``$PGHP`` headers, a leading
ISO or unix-epoch timestamp, and a trailing receiver block after the checksum
(``...*hh,d-109,...,r003669946,1325394060,1325394001``). The AIS payloads of a batch are
decoded together by :mod:`~sanctionwatch.ingest.ais.fastdecode` (NumPy, pyais' values); pyais
itself decodes the messages too short for their type, to give the same ``decode_error``. See
``docs/ingest-nmea.md`` for the rules (time sources, reject reasons).

Use :func:`read_nmea` for batches only, or :class:`NmeaReader` to also get :class:`NmeaStats`
(ignored message types, other NMEA sentences, ...).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import reduce
from operator import xor
from pathlib import Path
from typing import IO, Any, Final, cast

import numpy as np
import polars as pl
from pyais.bit_vector import bit_vector
from pyais.messages import (
    MessageType1,
    MessageType2,
    MessageType3,
    MessageType5,
    MessageType18,
    MessageType19,
    MessageType24,
    MessageType27,
)

from sanctionwatch.ingest.ais.base import Batch, Rejects, RowBuffer
from sanctionwatch.ingest.ais.fastdecode import decode_payloads
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS

__all__ = ["NmeaReader", "NmeaStats", "looks_like_nmea", "read_nmea"]

# --- sentence layout -------------------------------------------------------------------------

# One regex match both parses and validates a sentence: talker, fragment count, fragment
# number, sequential message id, channel, payload (6-bit armoured characters only), fill
# bits, checksum, and an optional vendor trailer after the checksum.
_SENTENCE: Final = re.compile(
    rb"[!$]([A-Z]{2})VD[MO],([1-9]),([1-9]),([0-9]?),([^,*]{0,2}),([0-W`-w]*),([0-5])"
    rb"\*([0-9A-Fa-f]{2})(,.*)?"
)
_TALKER: Final = re.compile(rb"[!$][A-Z]{2}VD[MO]")
_OTHER_SENTENCE: Final = re.compile(rb"[!$]([A-Z0-9]{2,8})[,*]")
_PAYLOAD_CHARS: Final = bytes(range(48, 88)) + bytes(range(96, 120))

_TS_PATTERN: Final = (
    r"(?:(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?"
    r"|(\d{10})(?:\.(\d+))?|(\d{13}))[ \t,;|]*(?=[!$\\])"
)
_PREFIX: Final = re.compile(_TS_PATTERN.encode())
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
_TRAILER_EPOCH: Final = re.compile(rb",(\d{10}(?:\.\d+)?|\d{13})(?=,|$)")
# The same network writes the station as tag block `s:r003669945` (pyais-nmea/sample.ais), so
# the field is kept whole, 'r' included, to give one receiver id across both layouts.
_TRAILER_RECEIVER: Final = re.compile(rb",(r[^,]+)")
_PGHP: Final = re.compile(
    rb"\$PGHP,1,(\d{4}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,3}),[^*]*"
    rb"\*([0-9A-Fa-f]{2})"
)

_BANG, _DOLLAR, _BACKSLASH, _HASH = 33, 36, 92, 35
_BOM: Final = b"\xef\xbb\xbf"

# --- time ------------------------------------------------------------------------------------

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US = 1_000_000
# Times outside this window are corrupt (AIS did not exist before 1995); reject, don't guess.
_MIN_US: Final = int((datetime(1995, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * _US
_MAX_US: Final = int((datetime(2100, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds()) * _US
_MS_THRESHOLD: Final = 100_000_000_000  # larger epoch values are milliseconds (1e11 s is AD 5138)

# --- AIS message types -----------------------------------------------------------------------

_POS_A, _POS_B, _POS_19, _POS_27, _STATIC_5, _STATIC_24 = range(6)
_KIND: Final[dict[int, tuple[int, Any, str]]] = {
    1: (_POS_A, MessageType1, "A"),
    2: (_POS_A, MessageType2, "A"),
    3: (_POS_A, MessageType3, "A"),
    5: (_STATIC_5, MessageType5, "A"),
    18: (_POS_B, MessageType18, "B"),
    19: (_POS_19, MessageType19, "B"),
    24: (_STATIC_24, MessageType24, "B"),
    27: (_POS_27, MessageType27, "A"),
}
# Bits needed to reach the end of the last field we read. Shorter payloads would give
# silently truncated values, so they are a decode_error. Type 5 is often sent with 420
# instead of 424 bits; the missing bits are padding of the destination.
_MIN_BITS: Final[dict[int, int]] = {1: 137, 2: 137, 3: 137, 18: 133, 19: 301, 27: 94, 5: 420}
_MIN_BITS_24: Final = (160, 162)  # part A (name), part B (dimensions)
_TYPE_OF: Final = tuple((c - 56 if c > 87 else c - 48) for c in range(256))

# Column order of the row tuples built below (matched to the tables by name at flush).
_POS_FIELDS: Final = ("mmsi", "timestamp", "lat", "lon", "sog_knots", "cog_deg", "heading_deg",
                      "nav_status", "msg_type", "ais_class", "receiver", "source", "record")
_REP_FIELDS: Final = ("mmsi", "timestamp", "imo", "name", "callsign", "ship_type", "draught_m",
                      "destination", "length_m", "width_m", "ais_class", "source", "record")

# Whether complete messages are decoded in bulk by fastdecode (False: one by one with pyais,
# kept to check that both give the same batches).
_FAST_DECODE = True

_DECODED: Final = frozenset({
    "mmsi", "lat", "lon", "speed", "course", "heading", "status", "imo", "shipname", "callsign",
    "ship_type", "draught", "destination", "to_bow", "to_stern", "to_port", "to_starboard",
    "partno"})

_TAG_CACHE_MAX = 4096
_GROUP_MAX = 10_000


@dataclass
class NmeaStats:
    """What a read saw besides the rows. Complete once :meth:`NmeaReader.batches` is exhausted.

    Lines that are neither rows nor rejects are counted here: ``skipped_lines`` (blank and
    ``#`` comment lines), ``ignored_types`` (complete AIS messages of types without position
    or vessel data, 4, 8, 21, ..., by type), ``other_sentences`` (well-formed non-AIS NMEA
    sentences such as ``GPGGA``, by formatter) and ``unused_headers`` (Gatehouse ``$PGHP``
    headers that no AIS sentence followed).
    """

    lines: int = 0
    """Lines in the file."""
    skipped_lines: int = 0
    messages: int = 0
    """Complete AIS messages (after reassembly), whatever became of them."""
    positions: int = 0
    reports: int = 0
    rejects: dict[str, int] = field(default_factory=dict)
    """Reject rows by reason."""
    ignored_types: dict[int, int] = field(default_factory=dict)
    other_sentences: dict[str, int] = field(default_factory=dict)
    unused_headers: int = 0


class _TimeError(ValueError):
    """A time field that cannot be read or lies outside 1995-2100."""


class _Fragments:
    """The sentences received so far of one multi-sentence message."""

    __slots__ = ("count", "lines", "next", "payloads", "raws", "receiver", "time")

    def __init__(self, count: int, lineno: int, raw: bytes, payload: bytes,
                 time: int | None, receiver: str | None) -> None:
        self.count = count
        self.next = 2
        self.lines = [lineno]
        self.raws = [raw]
        self.payloads = [payload]
        self.time = time
        self.receiver = receiver


class NmeaReader:
    """Reads one NMEA file: :meth:`batches` yields batches, :attr:`stats` fills up as it goes.

    ``assume_time`` is the time given to messages that carry none (files with no times at
    all); without it such messages are rejected as ``no_timestamp``. Naive datetimes are UTC.
    """

    def __init__(self, path: str | Path, *, strict: bool = False, batch_rows: int = 100_000,
                 assume_time: datetime | None = None) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.path = path
        self.source = str(path)
        self.strict = strict
        self.batch_rows = batch_rows
        self.assume_us = None if assume_time is None else _datetime_us(assume_time)
        self.stats = NmeaStats()
        self._rejects = Rejects(path, strict)
        self._n_rejects = 0
        self._pos_rows: list[tuple[Any, ...]] = []
        self._rep_rows: list[tuple[Any, ...]] = []
        # Messages waiting for the bulk decode at the next batch: payloads and fill bits. Their
        # rows hold (job, msg_type, what, t_us, receiver, record) until then.
        self._jobs: list[bytes] = []
        self._job_fills: list[int] = []
        self._fragments: dict[tuple[bytes, bytes, str | None], _Fragments] = {}
        self._latest_start: dict[tuple[bytes, bytes], tuple[bytes, bytes, str | None]] = {}
        self._groups: dict[str, tuple[int | None, str | None]] = {}
        self._tag_cache: dict[bytes, tuple[int | None, str | None, tuple[int, int, str] | None]]
        self._tag_cache = {}
        self._header_us: int | None = None
        self._started = False

    # --- driving loop --------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """Yield a batch every ``batch_rows`` positions (or reports or rejects), then the rest.

        A reader reads its file once; make a new reader to read it again.
        """
        if self._started:
            raise RuntimeError("NmeaReader.batches() can be iterated only once")
        self._started = True
        stats = self.stats
        limit = self.batch_rows
        pos_rows, rep_rows = self._pos_rows, self._rep_rows
        handle = self._handle
        yielded = False
        lineno = 0
        with _open(self.path) as fh:
            for lineno, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line or line[0] == _HASH:
                    stats.skipped_lines += 1
                elif lineno == 1 and line.startswith(_BOM):
                    line = line[len(_BOM):].strip()
                    if line and line[0] != _HASH:
                        handle(lineno, line)
                    else:
                        stats.skipped_lines += 1
                else:
                    handle(lineno, line)
                if len(pos_rows) >= limit or len(rep_rows) >= limit or self._n_rejects >= limit:
                    yielded = True
                    yield self._take()
        stats.lines = lineno
        self._finish()
        if pos_rows or rep_rows or self._n_rejects or not yielded:
            yield self._take()

    def _finish(self) -> None:
        """End of file: unfinished multi-sentence messages are rejects."""
        for frags in self._fragments.values():
            for lineno, raw in zip(frags.lines, frags.raws, strict=True):
                self._reject(lineno, "incomplete_multipart",
                             f"end of file before fragment {frags.next}/{frags.count}", raw)
        self._fragments.clear()
        self._latest_start.clear()
        if self._header_us is not None:
            self.stats.unused_headers += 1
            self._header_us = None

    def _take(self) -> Batch:
        pos_columns = self._decode_jobs() if self._jobs else None
        self.stats.positions += len(self._pos_rows)
        self.stats.reports += len(self._rep_rows)
        self._n_rejects = 0
        if pos_columns is not None:
            self._pos_rows.clear()
            positions = _frame_columns(RowBuffer(POSITIONS), pos_columns)
        else:
            positions = _frame(RowBuffer(POSITIONS), _POS_FIELDS, self._pos_rows)
        return Batch(
            positions,
            _frame(RowBuffer(VESSEL_REPORTS), _REP_FIELDS, self._rep_rows),
            self._rejects.take(),
        )

    def _reject(self, record: int, reason: str, detail: str, raw: bytes) -> None:
        counts = self.stats.rejects
        counts[reason] = counts.get(reason, 0) + 1
        self._n_rejects += 1
        self._rejects.add(record, reason, detail, raw.decode("ascii", "replace"))

    # --- one line ------------------------------------------------------------------------

    def _handle(self, lineno: int, line: bytes) -> None:
        """Parse one non-blank line; complete messages are decoded, bad lines rejected."""
        orig = line
        first = line[0]
        prefix_us: int | None = None
        if first != _BANG and first != _BACKSLASH and first != _DOLLAR:
            m = _PREFIX.match(line)
            if m is None:
                self._reject(lineno, "unsupported_line", "not an NMEA sentence", orig)
                return
            try:
                prefix_us = _prefix_us(m)
            except _TimeError as e:
                self._reject(lineno, "bad_timestamp", str(e), orig)
                return
            line = line[m.end():]
            first = line[0]

        tag_us: int | None = None
        receiver: str | None = None
        while first == _BACKSLASH:
            end = line.find(b"\\", 1)
            if end < 0:
                self._reject(lineno, "malformed_sentence", "unterminated tag block", orig)
                return
            tag = line[1:end]
            parsed = self._tag_cache.get(tag)  # receivers repeat the same tag block a lot
            if parsed is None:
                try:
                    parsed = _parse_tag(tag)
                except _TimeError as e:
                    self._reject(lineno, "bad_timestamp", f"tag block: {e}", orig)
                    return
                except _BadTag as e:
                    self._reject(lineno, e.reason, str(e), orig)
                    return
                if len(self._tag_cache) >= _TAG_CACHE_MAX:
                    self._tag_cache.clear()
                self._tag_cache[tag] = parsed
            t, s, group = parsed
            if tag_us is None:
                tag_us = t
            if receiver is None:
                receiver = s
            if group is not None and group[1] > 1:
                tag_us, receiver = self._group_meta(group, tag_us, receiver)
            line = line[end + 1:]
            if not line:
                self._reject(lineno, "malformed_sentence", "tag block without a sentence", orig)
                return
            first = line[0]

        m = _SENTENCE.fullmatch(line)
        if m is None:
            self._not_ais(lineno, line, orig)
            return
        # A Gatehouse header belongs to the sentence right after it, whatever becomes of it.
        header_us = self._header_us
        if header_us is not None:
            self._header_us = None

        _talker, count, num, seq, channel, payload, fill, check, trailer = m.groups()
        computed = reduce(xor, line[1:m.start(8) - 1], 0)
        if computed != int(check, 16):
            self._reject(lineno, "bad_checksum",
                         f"computed {computed:02X}, sentence says {check.decode()}", orig)
            return

        # Time sources in order of precedence; the first one found is used.
        t_us = tag_us
        if t_us is None:
            t_us = header_us if header_us is not None else prefix_us
        if trailer is not None and (t_us is None or receiver is None):
            if t_us is None:
                em = _TRAILER_EPOCH.search(trailer)
                if em is not None:
                    try:
                        t_us = _epoch_us(em[1])
                    except _TimeError as e:
                        self._reject(lineno, "bad_timestamp", f"trailer: {e}", orig)
                        return
            if receiver is None:
                rm = _TRAILER_RECEIVER.search(trailer)
                if rm is not None:
                    receiver = rm[1].decode("ascii", "replace")

        if count == b"1":
            if num != b"1":
                self._reject(lineno, "malformed_sentence",
                             f"fragment {num.decode()} of a 1-sentence message", orig)
                return
            self._message(lineno, (orig,), payload, int(fill), t_us, receiver)
        else:
            self._fragment(lineno, orig, int(count), int(num), seq, channel, payload, int(fill),
                           t_us, receiver)

    def _group_meta(self, group: tuple[int, int, str], t_us: int | None,
                    receiver: str | None) -> tuple[int | None, str | None]:
        """Share ``c:`` and ``s:`` across a tag-block group (often only sentence 1 has them)."""
        n, total, gid = group
        groups = self._groups
        meta = groups.get(gid)
        if meta is None:
            if t_us is not None or receiver is not None:
                if len(groups) >= _GROUP_MAX:
                    del groups[next(iter(groups))]
                groups[gid] = (t_us, receiver)
        else:
            if t_us is None:
                t_us = meta[0]
            if receiver is None:
                receiver = meta[1]
        if n >= total:
            groups.pop(gid, None)
        return t_us, receiver

    def _fragment(self, lineno: int, raw: bytes, count: int, num: int, seq: bytes,
                  channel: bytes, payload: bytes, fill: int, t_us: int | None,
                  receiver: str | None) -> None:
        """Collect one sentence of a multi-sentence message; decode when the last arrives."""
        if num > count:
            self._reject(lineno, "malformed_sentence", f"fragment {num} of {count}", raw)
            return
        pending = self._fragments
        key = (seq, channel, receiver)
        if num == 1:
            old = pending.pop(key, None)
            if old is not None:
                self._reject_fragments(
                    old, f"a new message with the same sequence id started at line {lineno} "
                    f"before fragment {old.next}/{old.count}")
            pending[key] = _Fragments(count, lineno, raw, payload, t_us, receiver)
            self._latest_start[(seq, channel)] = key
            return
        frags = pending.get(key)
        if frags is None and receiver is None:
            # Feeds that put the tag block on the first sentence only.
            alt = self._latest_start.get((seq, channel))
            if alt is not None:
                key = alt
                frags = pending.get(key)
        if frags is None:
            self._reject(lineno, "incomplete_multipart",
                         f"fragment {num}/{count} without the fragments before it", raw)
            return
        if frags.count != count or frags.next != num:
            del pending[key]
            self._reject_fragments(
                frags, f"fragment {num}/{count} at line {lineno} where "
                f"{frags.next}/{frags.count} was expected")
            self._reject(lineno, "out_of_order_fragment",
                         f"fragment {num}/{count} where {frags.next}/{frags.count} was expected",
                         raw)
            return
        frags.lines.append(lineno)
        frags.raws.append(raw)
        frags.payloads.append(payload)
        if frags.time is None:
            frags.time = t_us
        if frags.receiver is None:
            frags.receiver = receiver
        if num < count:
            frags.next = num + 1
            return
        del pending[key]
        if self._latest_start.get((seq, channel)) == key:
            del self._latest_start[(seq, channel)]
        self._message(lineno, tuple(frags.raws), b"".join(frags.payloads), fill, frags.time,
                      frags.receiver)

    def _reject_fragments(self, frags: _Fragments, detail: str) -> None:
        for lineno, raw in zip(frags.lines, frags.raws, strict=True):
            self._reject(lineno, "incomplete_multipart", detail, raw)

    # --- one message ---------------------------------------------------------------------

    def _message(self, record: int, raws: tuple[bytes, ...], payload: bytes, fill: int,
                 t_us: int | None, receiver: str | None) -> None:
        """Decode one complete AIS message into position and/or report rows."""
        self.stats.messages += 1
        if not payload:
            self._reject(record, "empty_payload", "sentence has no AIS payload", b"\n".join(raws))
            return
        msg_type = _TYPE_OF[payload[0]]
        kind = _KIND.get(msg_type)
        if kind is None:
            ignored = self.stats.ignored_types
            ignored[msg_type] = ignored.get(msg_type, 0) + 1
            return
        if t_us is None:
            t_us = self.assume_us
            if t_us is None:
                self._reject(record, "no_timestamp", "no time in tag block, header, prefix or "
                             "trailer", b"\n".join(raws))
                return
        what, cls, ais_class = kind
        if _FAST_DECODE:
            nbits = len(payload) * 6 - fill
            # Only messages that decode without error are deferred; the rest take the pyais
            # path below, which gives their decode_error with its usual detail.
            if what == _STATIC_24:
                ok = nbits >= 162 and _TYPE_OF[payload[6]] & 8 == 0  # part number 0 or 1
            else:
                ok = nbits >= _MIN_BITS[msg_type]
            if ok:
                job = len(self._jobs)
                self._jobs.append(payload)
                self._job_fills.append(fill)
                pending = (job, msg_type, what, t_us, receiver, record)
                if what <= _POS_27:
                    self._pos_rows.append(pending)
                if what == _POS_19 or what >= _STATIC_5:
                    self._rep_rows.append(pending)
                return
        try:
            bv = bit_vector(payload, fill)
            nbits = len(bv)
            need = _MIN_BITS_24[bv.get(38, 2) & 1] if what == _STATIC_24 else _MIN_BITS[msg_type]
            if nbits < need:
                raise ValueError(f"payload of {nbits} bits, type {msg_type} needs {need}")
            msg: Any = cls.from_vector(bv)
            source = self.source
            if what == _POS_A:
                self._pos_rows.append((
                    msg.mmsi, t_us, msg.lat, msg.lon, msg.speed, msg.course, msg.heading,
                    int(msg.status), msg_type, ais_class, receiver, source, record))
            elif what == _POS_B:
                self._pos_rows.append((
                    msg.mmsi, t_us, msg.lat, msg.lon, msg.speed, msg.course, msg.heading,
                    None, msg_type, ais_class, receiver, source, record))
            elif what == _POS_27:
                # Type 27 codes 'not available' as speed 63 and course 511; use the Class A
                # codes (102.3, 360) so that one cleaning rule fits every message type.
                sog = 102.3 if msg.speed == 63 else msg.speed
                cog = 360.0 if msg.course == 511 else msg.course
                self._pos_rows.append((
                    msg.mmsi, t_us, msg.lat, msg.lon, sog, cog, None, int(msg.status),
                    msg_type, ais_class, receiver, source, record))
            elif what == _STATIC_5:
                self._rep_rows.append((
                    msg.mmsi, t_us, msg.imo or None, _text(msg.shipname), _text(msg.callsign),
                    int(msg.ship_type), msg.draught or None, _text(msg.destination),
                    (msg.to_bow + msg.to_stern) or None, (msg.to_port + msg.to_starboard) or None,
                    ais_class, source, record))
            elif what == _POS_19:
                self._pos_rows.append((
                    msg.mmsi, t_us, msg.lat, msg.lon, msg.speed, msg.course, msg.heading,
                    None, msg_type, ais_class, receiver, source, record))
                self._rep_rows.append((
                    msg.mmsi, t_us, None, _text(msg.shipname), None, int(msg.ship_type), None,
                    None, (msg.to_bow + msg.to_stern) or None,
                    (msg.to_port + msg.to_starboard) or None, ais_class, source, record))
            elif msg.partno == 0:
                self._rep_rows.append((
                    msg.mmsi, t_us, None, _text(msg.shipname), None, None, None, None, None,
                    None, ais_class, source, record))
            else:
                # Auxiliary craft (MMSI 98xxxxxxx) send the mothership MMSI instead of sizes.
                dims = hasattr(msg, "to_bow")
                self._rep_rows.append((
                    msg.mmsi, t_us, None, None, _text(msg.callsign), int(msg.ship_type), None,
                    None, ((msg.to_bow + msg.to_stern) or None) if dims else None,
                    ((msg.to_port + msg.to_starboard) or None) if dims else None,
                    ais_class, source, record))
        except Exception as e:  # any decoder failure is a reject, not a crash
            self._reject(record, "decode_error", f"{type(e).__name__}: {e}", b"\n".join(raws))

    def _decode_jobs(self) -> dict[str, list[Any]] | None:
        """Decode the deferred messages in bulk: report placeholders become rows, and the
        positions are returned as columns."""
        dec = decode_payloads(self._jobs, self._job_fills, _DECODED)
        self._jobs, self._job_fills = [], []
        fields = dec.fields
        # Positions are never made by the pyais path while deferring (types 1-3, 18, 19 and 27
        # take it only to be rejected), so they are all placeholders.
        pos_columns = self._position_columns(fields) if self._pos_rows else None

        def col(name: str) -> list[Any]:
            return fields[name].tolist() if name in fields else []

        source = self.source
        if self._rep_rows:
            mmsi = col("mmsi")
            names, callsign, ship_type = col("shipname"), col("callsign"), col("ship_type")
            imo, draught, destination = col("imo"), col("draught"), col("destination")
            partno = col("partno")
            length: list[int] = []
            width: list[int] = []
            if "to_bow" in fields:
                dims = dec.present["to_bow"]  # auxiliary craft send no dimensions
                length = np.where(dims, fields["to_bow"] + fields["to_stern"], 0).tolist()
                width = np.where(dims, fields["to_port"] + fields["to_starboard"], 0).tolist()
            rows = self._rep_rows
            for i, row in enumerate(rows):
                if len(row) != 6:
                    continue
                j, _, what, t_us, _, record = row
                if what == _STATIC_5:
                    rows[i] = (mmsi[j], t_us, imo[j] or None, _text(names[j]),
                               _text(callsign[j]), ship_type[j], draught[j] or None,
                               _text(destination[j]), length[j] or None, width[j] or None,
                               "A", source, record)
                elif what == _POS_19:
                    rows[i] = (mmsi[j], t_us, None, _text(names[j]), None, ship_type[j], None,
                               None, length[j] or None, width[j] or None, "B", source, record)
                elif partno[j] == 0:
                    rows[i] = (mmsi[j], t_us, None, _text(names[j]), None, None, None, None,
                               None, None, "B", source, record)
                else:
                    rows[i] = (mmsi[j], t_us, None, None, _text(callsign[j]), ship_type[j],
                               None, None, length[j] or None, width[j] or None, "B", source,
                               record)
        return pos_columns

    def _position_columns(self, fields: dict[str, Any]) -> dict[str, list[Any]]:
        """The (all deferred) positions as columns, the values the per-row path gives."""
        job, msg_type, what, t_us, receiver, record = zip(*self._pos_rows, strict=True)
        rows = np.array(job, dtype=np.int64)
        kind = np.array(what, dtype=np.int64)
        is_27 = kind == _POS_27
        class_b = (kind == _POS_B) | (kind == _POS_19)
        sog = fields["speed"][rows]
        cog = fields["course"][rows]
        heading = fields["heading"][rows].tolist() if "heading" in fields else [None] * len(rows)
        status = fields["status"][rows].tolist() if "status" in fields else [None] * len(rows)
        for i in np.flatnonzero(is_27).tolist():
            heading[i] = None
        for i in np.flatnonzero(class_b).tolist():
            status[i] = None
        return {
            "mmsi": fields["mmsi"][rows].tolist(), "timestamp": list(t_us),
            "lat": fields["lat"][rows].tolist(), "lon": fields["lon"][rows].tolist(),
            # Type 27 'not available' as the Class A codes, see _message.
            "sog_knots": np.where(is_27 & (sog == 63), 102.3, sog).tolist(),
            "cog_deg": np.where(is_27 & (cog == 511), 360.0, cog).tolist(),
            "heading_deg": heading, "nav_status": status, "msg_type": list(msg_type),
            "ais_class": np.where(class_b, "B", "A").tolist(), "receiver": list(receiver),
            "source": [self.source] * len(rows), "record": list(record),
        }

    # --- lines that are not AIS sentences -------------------------------------------------

    def _not_ais(self, lineno: int, line: bytes, orig: bytes) -> None:
        if line.startswith(b"$PGHP,1,"):
            self._gatehouse(lineno, line, orig)
            return
        formatter = line[3:6]
        if formatter == b"VDM" or formatter == b"VDO":
            self._header_us = None
            self._reject(lineno, "malformed_sentence", _diagnose(line), orig)
            return
        om = _OTHER_SENTENCE.match(line)
        if om is None:
            self._reject(lineno, "unsupported_line", "not an NMEA sentence", orig)
            return
        name = om[1].decode()
        other = self.stats.other_sentences
        other[name] = other.get(name, 0) + 1

    def _gatehouse(self, lineno: int, line: bytes, orig: bytes) -> None:
        """``$PGHP,1,yyyy,m,d,H,M,S,ms,...*hh``: the time of the next AIS sentence."""
        m = _PGHP.match(line)
        if m is None:
            self._reject(lineno, "malformed_sentence", "unreadable Gatehouse $PGHP header", orig)
            return
        computed = reduce(xor, line[1:m.start(8) - 1], 0)
        if computed != int(m[8], 16):
            self._reject(lineno, "bad_checksum",
                         f"computed {computed:02X}, header says {m[8].decode()}", orig)
            return
        try:
            y, mo, d, hh, mi, ss, ms = (int(v) for v in m.groups()[:7])
            t_us = _datetime_us(datetime(y, mo, d, hh, mi, ss, ms * 1000, tzinfo=UTC))
            _check_range(t_us)
        except (ValueError, _TimeError) as e:
            self._reject(lineno, "bad_timestamp", f"Gatehouse header: {e}", orig)
            return
        if self._header_us is not None:
            self.stats.unused_headers += 1
        self._header_us = t_us


def read_nmea(path: str | Path, *, strict: bool = False, batch_rows: int = 100_000,
              assume_time: datetime | None = None) -> Iterator[Batch]:
    """Stream an NMEA 0183 AIS file (plain or ``.gz``) as batches of canonical rows.

    ``strict`` raises :class:`IngestError` at the first bad record instead of rejecting it;
    ``assume_time`` dates messages that carry no time (for files without any times).
    Use :class:`NmeaReader` to also get :class:`NmeaStats`.
    """
    return NmeaReader(path, strict=strict, batch_rows=batch_rows,
                      assume_time=assume_time).batches()


def looks_like_nmea(sample: str) -> bool:
    """Whether the first few KB of a file look like an NMEA AIS log.

    True when at least one line is an AIS sentence (possibly behind a tag block or a leading
    timestamp) and at most one in five of the other non-blank, non-comment lines is not NMEA.
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


# --- helpers -------------------------------------------------------------------------------


class _BadTag(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _frame(buf: RowBuffer, names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> pl.DataFrame:
    """Move row tuples into ``buf``'s column lists (one transpose in C) and take the frame."""
    if rows:
        columns = buf.columns
        for name in columns:
            columns[name] = [None] * len(rows)  # columns NMEA never fills (e.g. flag)
        for name, col in zip(names, zip(*rows, strict=True), strict=True):
            columns[name] = list(col)
        rows.clear()
    return buf.take()


def _frame_columns(buf: RowBuffer, columns: dict[str, list[Any]]) -> pl.DataFrame:
    """Like :func:`_frame`, from columns."""
    n = len(next(iter(columns.values())))
    for name in buf.columns:
        buf.columns[name] = columns[name] if name in columns else [None] * n
    return buf.take()


def _open(path: str | Path) -> IO[bytes]:
    if str(path).endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb", buffering=1 << 20)


def _parse_tag(tag: bytes) -> tuple[int | None, str | None, tuple[int, int, str] | None]:
    """Parse a tag block body ``c:...,s:...,g:...*hh``: (time µs, source, group)."""
    star = tag.rfind(b"*")
    if star < 0:
        raise _BadTag("malformed_sentence", "tag block without checksum")
    try:
        expected = int(tag[star + 1:], 16)
    except ValueError:
        raise _BadTag("malformed_sentence", "unreadable tag block checksum") from None
    body = tag[:star]
    computed = reduce(xor, body, 0)
    if computed != expected:
        raise _BadTag("bad_checksum",
                      f"tag block: computed {computed:02X}, tag says {tag[star + 1:].decode()}")
    t_us: int | None = None
    source: str | None = None
    group: tuple[int, int, str] | None = None
    for item in body.split(b","):
        key, _, value = item.partition(b":")
        if key == b"c":
            t_us = _epoch_us(value)
        elif key == b"s":
            source = value.decode("ascii", "replace") or None
        elif key == b"g":
            parts = value.split(b"-")
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
                raise _BadTag("malformed_sentence", f"tag block group {value.decode()!r}")
            group = (int(parts[0]), int(parts[1]), parts[2].decode("ascii", "replace"))
        elif len(key) == 3 and key[1:2] == b"G" and key[:1].isdigit() and key[2:].isdigit():
            group = (int(key[:1]), int(key[2:]), value.decode("ascii", "replace"))  # 1G2:id
    return t_us, source, group


def _epoch_us(value: bytes) -> int:
    """Unix time in seconds (optionally fractional) or milliseconds -> µs."""
    try:
        if b"." in value:
            us = round(float(value) * _US)
        else:
            v = int(value)
            us = v * 1000 if v >= _MS_THRESHOLD else v * _US
    except ValueError:
        raise _TimeError(f"unreadable time {value.decode('ascii', 'replace')!r}") from None
    return _check_range(us)


def _check_range(us: int) -> int:
    if not _MIN_US <= us < _MAX_US:
        raise _TimeError(f"time {us / _US:.0f} s is outside 1995-2100")
    return us


def _prefix_us(m: re.Match[bytes]) -> int:
    """Leading ``YYYY-mm-dd[T ]HH:MM:SS[.f][Z|±hh:mm]`` (naive = UTC) or unix epoch -> µs."""
    stamp, frac, offset, secs, secs_frac, millis = m.groups()
    if millis is not None:
        return _epoch_us(millis)
    if secs is not None:
        return _epoch_us(secs + b"." + secs_frac if secs_frac else secs)
    try:
        dt = datetime(int(stamp[:4]), int(stamp[5:7]), int(stamp[8:10]), int(stamp[11:13]),
                      int(stamp[14:16]), int(stamp[17:19]), tzinfo=UTC)
    except ValueError as e:
        raise _TimeError(f"{stamp.decode()}: {e}") from None
    us = _datetime_us(dt)
    if frac:
        us += int(frac[:6].ljust(6, b"0"))
    if offset and offset != b"Z":
        hhmm = offset[1:].replace(b":", b"")
        shift_us = (int(hhmm[:2]) * 3600 + int(hhmm[2:]) * 60) * _US
        us += shift_us if offset[:1] == b"-" else -shift_us  # local = UTC + offset
    return _check_range(us)


def _datetime_us(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _text(value: str | None) -> str | None:
    """AIS text: '@' padding and blanks removed, upper case, empty -> None."""
    if not value:
        return None
    return value.rstrip("@ ").strip().upper() or None


def _diagnose(line: bytes) -> str:
    """Why an AIVDM/AIVDO sentence did not parse (for the reject's detail)."""
    star = line.find(b"*")
    if star < 0:
        return "no checksum ('*hh') in sentence"
    fields = line[:star].split(b",")
    if not _TALKER.fullmatch(fields[0]):
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
    bad = payload.translate(None, _PAYLOAD_CHARS)
    if bad:
        return f"payload has invalid characters {bad[:10].decode('ascii', 'replace')!r}"
    if not (fill.isdigit() and int(fill) <= 5):
        return f"fill bits {fill.decode('ascii', 'replace')!r} are not 0-5"
    tail = line[star + 1:]
    if len(tail) < 2 or not all(c in b"0123456789ABCDEFabcdef" for c in tail[:2]):
        return f"checksum {tail[:2].decode('ascii', 'replace')!r} is not two hex digits"
    return f"unexpected text after the checksum: {tail[2:20].decode('ascii', 'replace')!r}"
