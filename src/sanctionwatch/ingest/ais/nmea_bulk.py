"""Column-wise framing of a block of NMEA lines: which lines the reader may take in bulk.

:func:`frame_block` looks at every line of a block of complete lines at once (NumPy over the
bytes, one Polars regular expression over the lines) and picks out the *plain* lines: an
``!AIVDM`` / ``!AIVDO`` sentence of one fragment, optionally behind a unix-time prefix and one
NMEA 4.x tag block of one-letter keys (``c:``, ``s:``, ...; no group), optionally followed by
a vendor trailer, with both checksums right, a usable time and a message that the bulk
decoder takes as it is (see :mod:`.nmea_messages`). For those it gives the payload's place
in the block, the fill bits, the time and the receiver, computed exactly as the per-line
reader (:mod:`.nmea`) computes them. Blank and comment lines are counted. Every other line
(fragments of multi-sentence messages, Gatehouse headers, bad checksums, unusual time fields,
anything malformed) is left to the per-line reader, in file order.

A plain line changes none of the state the per-line reader carries from line to line: it is
complete in itself (no fragments, no tag-block group), and it is taken in bulk only when no
Gatehouse header can be waiting for it (the line before it is an AIS sentence, which uses
up any header). So the two paths can share a block, and the rows of both merged by line
number are the rows of reading every line in turn. Time and memory are linear in the block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from sanctionwatch.ingest.ais.nmea_framing import _MAX_US, _MIN_US, _MS_THRESHOLD, US

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Line kinds.
SKIPPED, PLAIN, IGNORED, SLOW = 0, 1, 2, 3
"""Blank or ``#`` comment; a plain message taken in bulk; a plain message of a type that is
only counted; a line for the per-line reader."""

_DIGITS: Final = r"(?:[0-9]{10}|[0-9]{13})"
# One regex parses a plain line (its sentence part is the per-line SENTENCE, unchanged).
# Groups: 1 prefix (with its separators), 2 tag block (with its backslashes), 3 tag body,
# 4 tag checksum, 5 sentence between '!'/'$' and '*', 6 fragment count, 7 fragment number,
# 8 payload, 9 fill bits, 10 checksum, 11 trailer.
_PLAIN: Final = (
    r"^(" + _DIGITS + r"[ \t,;|]*)?"
    r"(\\([a-z]:[^,*\\]*(?:,[a-z]:[^,*\\]*)*)\*([0-9A-Fa-f]{2})\\)?"
    r"[!$]([A-Z]{2}VD[MO],([1-9]),([1-9]),[0-9]?,[^,*]{0,2},([0-W`-w]+),([0-5]))"
    r"\*([0-9A-Fa-f]{2})(,.*)?$"
)
_GROUPS: Final = ("pre", "tag", "body", "tag_cs", "sent", "count", "num", "payload", "fill",
                  "cs", "trailer")
_TRAILER_EPOCH: Final = r",([0-9]{10}(?:\.[0-9]+)?|[0-9]{13})(?:,|$)"
"""The per-line TRAILER_EPOCH (its look-ahead as a consumed group: the first match is the
same)."""
_TRAILER_RECEIVER: Final = r",(r[^,]+)"

# Message types (first payload character) and the bits a message needs to be decoded in
# bulk, as nmea_messages decides it; 0: a type whose messages are only counted; -1: a type
# (station, or type 24 whose part number needs a look) left to the per-line reader.
_NEED_BITS: Final = np.zeros(64, dtype=np.int64)
for _t, _bits in {1: 137, 2: 137, 3: 137, 18: 133, 19: 301, 27: 94, 5: 420, 24: 162}.items():
    _NEED_BITS[_t] = _bits
_NEED_BITS[[4, 9, 21]] = -1
_SIX: Final = np.array([(c - 56 if c > 87 else c - 48) & 63 for c in range(256)], dtype=np.int64)


@dataclass
class Framed:
    """What :func:`frame_block` found in a block of ``n`` lines.

    ``kind[i]`` is the kind of line ``i`` (:data:`SKIPPED` ...); the plain messages (kind
    :data:`PLAIN`), in line order, have their line index ``line``, payload start and length
    in ``data``, ``fill`` bits, time ``t_us`` and ``receiver``; ``msg_type`` holds the type of
    every :data:`PLAIN` and :data:`IGNORED` line (by line, 0 elsewhere).
    """

    n: int
    line_end: IntArray
    """Offset of each line's ``\\n`` in the block."""
    kind: npt.NDArray[np.int8]
    msg_type: IntArray
    data: npt.NDArray[np.uint8]
    line: IntArray
    start: IntArray
    length: IntArray
    fill: IntArray
    t_us: IntArray
    receiver: pl.Series


def split_lines(block: bytes) -> tuple[npt.NDArray[np.uint8], IntArray, IntArray, BoolArray,
                                       IntArray]:
    """The lines of ``block`` (complete lines, each ending in ``\\n``) without their line end
    and one ``\\r`` before it, packed end to end: bytes, start offsets (``n + 1``), lengths,
    which lines hold a byte outside ASCII (replaced by NUL in the packed bytes), and where each
    line ends in ``block`` (the offset of its ``\\n``)."""
    raw = np.frombuffer(block, dtype=np.uint8)
    nl = np.flatnonzero(raw == 10)
    n = len(nl)
    starts = np.empty(n, dtype=np.int64)
    starts[0:1] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.copy()
    cr = (ends > starts) & (raw[np.maximum(ends - 1, 0)] == 13)
    ends[cr] -= 1
    keep = np.ones(len(raw), dtype=np.bool_)
    keep[nl] = False
    keep[nl[cr] - 1] = False
    data = raw[keep]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ends - starts, out=offsets[1:])
    high = data >= 128
    odd = np.zeros(n, dtype=np.bool_)
    if high.any():
        where = np.flatnonzero(high)
        odd[np.searchsorted(offsets, where, side="right") - 1] = True
        data = data.copy()
        data[high] = 0
    return data, offsets, offsets[1:] - offsets[:-1], odd, nl.astype(np.int64)


def frame_block(block: bytes, *, header_clear: bool, latest_us: int,
                assume_us: int | None, bulk: bool = True) -> Framed:
    """Classify the lines of ``block`` (see the module docstring).

    ``header_clear``: no Gatehouse header is waiting at the block's start; ``latest_us``:
    later times are impossible (those lines are left to the per-line reader, which rejects
    them); ``assume_us``: the time of messages that carry none (None: such lines are left to
    the per-line reader, which rejects them). ``bulk=False`` leaves every line to the
    per-line reader.
    """
    data, offsets, lens, odd, nl = split_lines(block)
    n = len(lens)
    starts = offsets[:-1]
    kind = np.full(n, SLOW, dtype=np.int8)
    first = np.where(lens > 0, data[np.minimum(starts, max(len(data) - 1, 0))], 0)
    skipped = (lens == 0) | (first == 35)
    kind[skipped] = SKIPPED
    # Lines that may be plain: they start like one, hold ASCII only and end in a non-blank.
    last = np.where(lens > 0, data[np.maximum(offsets[1:] - 1, 0)], 32)
    blank_end = (last == 32) | ((last >= 9) & (last <= 13))
    maybe = ~skipped & ~odd & ~blank_end & (
        (first == 33) | (first == 36) | (first == 92) | ((first >= 48) & (first <= 57)))
    idx = np.flatnonzero(maybe)
    empty = np.zeros(0, dtype=np.int64)
    msg_type = np.zeros(n, dtype=np.int64)
    none = Framed(n, nl, kind, msg_type, data, empty, empty, empty, empty, empty,
                  pl.Series("receiver", [], dtype=pl.String))
    if not bulk:
        kind[:] = SLOW
        return none
    if not len(idx):
        return none
    arr = pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data))
    lines = pl.Series("line", arr).gather(idx)
    g = (pl.DataFrame({"line": lines})
         .select(pl.col("line").str.extract_groups(_PLAIN))
         .unnest("line"))
    g.columns = list(_GROUPS)
    ok = g["sent"].is_not_null().to_numpy()
    if not ok.any():
        return none
    idx = idx[ok]
    g = g.filter(pl.Series(ok))
    base = starts[idx]
    pre_len = g["pre"].str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
    tag_len = g["tag"].str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
    sent_len = g["sent"].str.len_bytes().to_numpy().astype(np.int64)
    pay_len = g["payload"].str.len_bytes().to_numpy().astype(np.int64)
    sent_start = base + pre_len + tag_len + 1
    # Checksums: XOR over byte ranges from a running XOR of the block.
    px = np.zeros(len(data) + 1, dtype=np.uint8)
    np.bitwise_xor.accumulate(data, out=px[1:])
    good = (px[sent_start + sent_len] ^ px[sent_start]) == g["cs"].str.to_integer(base=16) \
        .to_numpy()
    has_tag = tag_len > 0
    body_start = base + pre_len + 1
    body_len = g["body"].str.len_bytes().fill_null(0).to_numpy().astype(np.int64)
    tag_ok = (px[body_start + body_len] ^ px[body_start]) == \
        g["tag_cs"].str.to_integer(base=16, strict=False).fill_null(-1).to_numpy()
    good &= ~has_tag | tag_ok
    single = (g["count"] == "1").to_numpy() & (g["num"] == "1").to_numpy()
    good &= single

    # Tag block: one c: (whole seconds or milliseconds) at most, one s: at most, no group.
    body = g["body"]
    parts = pl.DataFrame({"body": body}).select(
        c_n=pl.col("body").str.count_matches(r"(?:^|,)c:"),
        s_n=pl.col("body").str.count_matches(r"(?:^|,)s:"),
        g_n=pl.col("body").str.count_matches(r"(?:^|,)g:"),
        c=pl.col("body").str.extract(r"(?:^|,)c:([^,]*)", 1),
        s=pl.col("body").str.extract(r"(?:^|,)s:([^,]*)", 1),
    )
    c_text = parts["c"]
    c_ok = c_text.str.contains(r"^[0-9]{1,13}$").fill_null(False).to_numpy()
    c_n = parts["c_n"].fill_null(0).to_numpy()
    good &= (c_n == 0) | ((c_n == 1) & c_ok)
    good &= parts["s_n"].fill_null(0).to_numpy() <= 1
    good &= parts["g_n"].fill_null(0).to_numpy() == 0
    tag_t = _epoch_us(c_text)
    has_c = c_n == 1
    good &= ~has_c | (tag_t >= 0)

    pre_digits = g["pre"].str.strip_chars_end(" \t,;|")
    pre_t = _epoch_us(pre_digits)
    has_pre = pre_len > 0
    good &= ~has_pre | (pre_t >= 0)

    trailer = g["trailer"]
    epoch = trailer.str.extract(_TRAILER_EPOCH, 1)
    tr_t = _epoch_us(epoch)
    has_tr_t = epoch.is_not_null().to_numpy()
    t = np.where(has_c, tag_t, np.where(has_pre, pre_t, -1))
    from_trailer = (t < 0) & has_tr_t
    # Fractional trailer seconds are rounded as floats: left to the per-line reader.
    good &= ~from_trailer | (tr_t >= 0)
    t = np.where(from_trailer, tr_t, t)
    own = t >= 0
    good &= ~own | (t <= latest_us)
    if assume_us is not None:
        t = np.where(own, t, assume_us)

    receiver = parts["s"].replace("", None)
    receiver = receiver.fill_null(trailer.str.extract(_TRAILER_RECEIVER, 1))

    # The message: its type, and whether the bulk decoder takes it as it is.
    pay_start = sent_start + sent_len - 2 - pay_len
    fill = g["fill"].str.to_integer().to_numpy().astype(np.int64)
    mtype = _SIX[data[pay_start]]
    need = _NEED_BITS[mtype]
    nbits = pay_len * 6 - fill
    part_ok = np.ones(len(idx), dtype=np.bool_)
    is24 = mtype == 24
    if is24.any():
        p6 = data[np.minimum(pay_start + 6, len(data) - 1)]
        part_ok[is24] = (_SIX[p6[is24]] & 8) == 0
    decodable = (need > 0) & (nbits >= need) & part_ok
    ignored = need == 0
    # A message of a counted type needs no time; the others do (else: no_timestamp).
    good &= (decodable & (own | (assume_us is not None))) | ignored

    # A Gatehouse header waits for the next AIS sentence: take a line in bulk only after one.
    sentence_line = np.zeros(n, dtype=np.bool_)
    sentence_line[idx] = _sentence_line(has_tag, tag_ok, has_c, c_ok, tag_t, has_pre, pre_t,
                                        c_n, parts["g_n"].fill_null(0).to_numpy())
    counted = np.flatnonzero(~skipped)
    prev_ok = np.empty(len(counted), dtype=np.bool_)
    prev_ok[1:] = sentence_line[counted[:-1]]
    prev_ok[:1] = header_clear
    after = np.zeros(n, dtype=np.bool_)
    after[counted] = prev_ok
    good &= after[idx]

    take = good & decodable
    kind[idx[take]] = PLAIN
    kind[idx[good & ignored]] = IGNORED
    msg_type[idx[good]] = mtype[good]
    return Framed(n, nl, kind, msg_type, data, idx[take], pay_start[take], pay_len[take],
                  fill[take], t[take], receiver.filter(pl.Series(take)))


def _sentence_line(has_tag: BoolArray, tag_ok: BoolArray, has_c: BoolArray, c_ok: BoolArray,
                   tag_t: IntArray, has_pre: BoolArray, pre_t: IntArray, c_n: IntArray,
                   g_n: IntArray) -> BoolArray:
    """Lines (of those the plain regex matched) that the per-line reader surely reads up to
    its sentence (which uses up a waiting Gatehouse header): their tag block and prefix are
    fine."""
    tag_fine = ~has_tag | (tag_ok & (c_n <= 1) & (g_n == 0) & (~has_c | (c_ok & (tag_t >= 0))))
    return tag_fine & (~has_pre | (pre_t >= 0))


def _epoch_us(text: pl.Series) -> IntArray:
    """Whole unix seconds or milliseconds (at most 13 digits) -> µs as ``epoch_us`` gives them,
    -1 where absent, not such a number or outside the accepted years."""
    ok = text.str.contains(r"^[0-9]{1,13}$").fill_null(False).to_numpy()
    v = text.str.to_integer(strict=False).fill_null(0).to_numpy().astype(np.int64)
    us = np.where(v >= _MS_THRESHOLD, v * 1000, v * US)
    return np.where(ok & (us >= _MIN_US) & (us < _MAX_US), us, -1)


__all__ = ["IGNORED", "PLAIN", "SKIPPED", "SLOW", "Framed", "frame_block", "split_lines"]
