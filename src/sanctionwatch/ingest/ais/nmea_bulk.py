"""Column-wise framing of a block of NMEA lines: which lines the reader may take in bulk.

:func:`frame_block` looks at every line of a block of complete lines at once (one Polars
regular expression over the lines, NumPy over the bytes) and picks out:

- the *plain* lines: an ``!AIVDM`` / ``!AIVDO`` sentence of one fragment, optionally behind a
  unix-time prefix and one NMEA 4.x tag block of one-letter keys (``c:``, ``s:``, ...; no
  group), optionally followed by a vendor trailer, with both checksums right, a usable time
  and a message that the bulk decoder takes as it is (see :mod:`.nmea_messages`). For those
  it gives the payload's place in the block, the fill bits, the time and the receiver,
  computed exactly as the per-line reader (:mod:`.nmea`) computes them;
- the *fragments* of multi-sentence messages with the same framing, parsed as the per-line
  reader parses them (for its reassembler), and among them the two-sentence messages whose
  sentences follow each other, which are decoded in bulk like a plain line;
- blank and comment lines, which are counted.

Every other line (Gatehouse headers, bad checksums, unusual time fields, tag-block groups,
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
SKIPPED, PLAIN, IGNORED, SLOW, FRAGMENT, PAIR = 0, 1, 2, 3, 4, 5
"""Blank or ``#`` comment; a plain message taken in bulk; a plain message of a type that is
only counted; a line for the per-line reader; a fragment of a multi-sentence message, framed
here and reassembled by the per-line reader's reassembler in file order; the first line of a
two-sentence message decoded in bulk (its second line is :data:`PLAIN` or :data:`IGNORED`)."""

_DIGITS: Final = r"(?:[0-9]{10}|[0-9]{13})"
# The layouts read here (the sentence part is the per-line SENTENCE, unchanged), with the
# line's end: a line that does not match goes to the per-line reader.
_PLAIN: Final = (
    r"^(?:" + _DIGITS + r"[ \t,;|]*)?"
    r"(?:\\[a-z]:[^,*\\]*(?:,[a-z]:[^,*\\]*)*\*[0-9A-Fa-f]{2}\\)?"
    r"[!$][A-Z]{2}VD[MO],[1-9],[1-9],[0-9]?,[^,*]{0,2},[0-W`-w]+,[0-5]"
    r"\*[0-9A-Fa-f]{2}(?:,.*)?\r?\n$"
)
_TRAILER_EPOCH: Final = r",([0-9]{10}(?:\.[0-9]+)?|[0-9]{13})(?:,|$)"
"""The per-line TRAILER_EPOCH (its look-ahead as a consumed group: the first match is the
same)."""
_TRAILER_RECEIVER: Final = r",(r[^,]+)"

# Message types (first payload character) and the bits a message needs to be decoded in
# bulk, as nmea_messages decides it (type 24 also needs part number 0 or 1); 0: a type whose
# messages are only counted; -1: a station type, left to the per-line reader.
_NEED_BITS: Final = np.zeros(64, dtype=np.int64)
for _t, _bits in {1: 137, 2: 137, 3: 137, 18: 133, 19: 301, 27: 94, 5: 420, 24: 162}.items():
    _NEED_BITS[_t] = _bits
_NEED_BITS[[4, 9, 21]] = -1
_SIX: Final = np.array([(c - 56 if c > 87 else c - 48) & 63 for c in range(256)], dtype=np.int64)


@dataclass
class Framed:
    """What :func:`frame_block` found in a block of ``n`` lines.

    ``kind[i]`` is the kind of line ``i`` (:data:`SKIPPED` ...); the plain messages (kind
    :data:`PLAIN`, at the last line of a two-sentence one), in line order, have their line
    index ``line``, payload start and length in ``data``, ``fill`` bits, time ``t_us`` and
    ``receiver``; ``msg_type`` holds the type of every :data:`PLAIN` and :data:`IGNORED` line
    (by line, 0 elsewhere).
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
    fragments: list[Fragment]
    """The fields of the fragment lines (:data:`FRAGMENT`, :data:`PAIR` and the second lines
    of pairs), in line order."""
    frag_index: IntArray
    """By line: its place in :attr:`fragments` (-1: not a fragment line)."""


def split_lines(block: bytes) -> tuple[npt.NDArray[np.uint8], IntArray, IntArray, BoolArray,
                                       IntArray]:
    """The lines of ``block`` (complete lines, each ending in ``\\n``): its bytes (those
    outside ASCII replaced by NUL), where each line starts, where its text ends (before the
    ``\\n`` and one ``\\r`` before it), which lines hold a byte outside ASCII, and where each
    ``\\n`` is."""
    data = np.frombuffer(block, dtype=np.uint8)
    nl = np.flatnonzero(data == 10)
    n = len(nl)
    starts = np.empty(n, dtype=np.int64)
    starts[0:1] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.copy()
    cr = (ends > starts) & (data[np.maximum(ends - 1, 0)] == 13)
    ends[cr] -= 1
    high = data >= 128
    odd = np.zeros(n, dtype=np.bool_)
    if high.any():
        where = np.flatnonzero(high)
        odd[np.searchsorted(starts, where, side="right") - 1] = True
        data = data.copy()
        data[high] = 0
    return data, starts, ends, odd, nl.astype(np.int64)


def frame_block(block: bytes, *, header_clear: bool, latest_us: int,
                assume_us: int | None, bulk: bool = True) -> Framed:
    """Classify the lines of ``block`` (see the module docstring).

    ``header_clear``: no Gatehouse header is waiting at the block's start; ``latest_us``:
    later times are impossible (those lines are left to the per-line reader, which rejects
    them); ``assume_us``: the time of messages that carry none (None: such lines are left to
    the per-line reader, which rejects them). ``bulk=False`` leaves every line to the
    per-line reader.
    """
    data, starts, ends, odd, nl = split_lines(block)
    n = len(starts)
    lens = ends - starts
    kind = np.full(n, SLOW, dtype=np.int8)
    first = np.where(lens > 0, data[np.minimum(starts, max(len(data) - 1, 0))], 0)
    skipped = (lens == 0) | (first == 35)
    kind[skipped] = SKIPPED
    # Lines that may be plain: they start like one, hold ASCII only and end in a non-blank.
    last = np.where(lens > 0, data[np.maximum(ends - 1, 0)], 32)
    blank_end = (last == 32) | ((last >= 9) & (last <= 13))
    maybe = ~skipped & ~odd & ~blank_end & (
        (first == 33) | (first == 36) | (first == 92) | ((first >= 48) & (first <= 57)))
    idx = np.flatnonzero(maybe)
    empty = np.zeros(0, dtype=np.int64)
    msg_type = np.zeros(n, dtype=np.int64)
    none = Framed(n, nl, kind, msg_type, data, empty, empty, empty, empty, empty,
                  pl.Series("receiver", [], dtype=pl.String), [], np.full(n, -1, np.int64))
    if not bulk:
        kind[:] = SLOW
        return none
    if not len(idx):
        return none
    # The lines with their line ends, as strings (the regex allows those ends).
    offsets = np.append(starts, len(data))
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    lines = pl.Series("line", arr)
    cand = lines.gather(idx)
    ok = cand.str.contains(_PLAIN).to_numpy()
    if not ok.any():
        return none
    idx = idx[ok]
    cand = cand.filter(pl.Series(ok))
    m = len(idx)
    base = starts[idx]
    end = ends[idx]
    # The line's parts, found from the places of the delimiters (the regex vouches for the
    # layout): prefix, tag block, sentence, checksum, trailer.
    cuts = np.flatnonzero((data == 33) | (data == 36) | (data == 92))  # '!' '$' '\'
    stars = np.flatnonzero(data == 42)
    commas = np.flatnonzero(data == 44)
    after_pre = cuts[np.searchsorted(cuts, base)]
    pre_len = after_pre - base
    has_tag = data[after_pre] == 92
    tag_star = stars[np.searchsorted(stars, after_pre)]
    sent_start = np.where(has_tag, tag_star + 4, after_pre) + 1  # after '*hh\' and '!'
    star = stars[np.searchsorted(stars, sent_start)]
    fill = data[star - 1].astype(np.int64) - 48
    pay_start = commas[np.searchsorted(commas, star - 2) - 1] + 1
    pay_len = star - 2 - pay_start
    good = _xor(data, sent_start, star) == _hex2(data, star + 1)
    body_start = after_pre + 1
    tag_ok = np.zeros(m, dtype=np.bool_)
    tag_ok[has_tag] = (_xor(data, body_start[has_tag], tag_star[has_tag])
                       == _hex2(data, tag_star[has_tag] + 1))
    good &= ~has_tag | tag_ok
    single = (data[sent_start + 6] == 49) & (data[sent_start + 8] == 49)  # fragment 1 of 1
    multi = data[sent_start + 6] != 49

    # Tag block: at most one c: (whole seconds or milliseconds), at most one s:, no g:.
    keys = _keys(data, has_tag, body_start, tag_star)
    (c_n, c_at), (s_n, s_at), (g_n, _) = keys[99], keys[115], keys[103]
    good &= (c_n <= 1) & (s_n <= 1) & (g_n == 0)
    has_c = c_n == 1
    tag_t = np.full(m, -1, dtype=np.int64)
    if has_c.any():
        c_end = _value_end(commas, c_at[has_c], tag_star[has_c])
        tag_t[has_c] = _epoch_us(data, c_at[has_c], c_end - c_at[has_c])
    good &= ~has_c | (tag_t >= 0)
    has_pre = pre_len > 0
    pre_t = np.full(m, -1, dtype=np.int64)
    if has_pre.any():
        run = _digit_run(data, base[has_pre], np.minimum(pre_len[has_pre], 13))
        pre_t[has_pre] = _epoch_us(data, base[has_pre], np.where(run >= 13, 13, 10))
    good &= ~has_pre | (pre_t >= 0)
    t = np.where(has_c, tag_t, np.where(has_pre, pre_t, -1))

    # The receiver (tag block s:, else a trailer's r...) and a trailer's time.
    s_end = _value_end(commas, s_at, tag_star)
    has_s = s_n == 1
    trailer = end > star + 3
    need_tr = trailer & ((t < 0) | ~has_s)
    frame = pl.DataFrame({"line": cand, "s_at": s_at - base, "s_len": s_end - s_at,
                          "tr_at": star + 3 - base, "tr_len": end - star - 3,
                          "has_s": has_s, "need_tr": need_tr})
    parts = frame.select(
        s=pl.when("has_s").then(pl.col("line").str.slice("s_at", "s_len")),
        tr=pl.when("need_tr").then(pl.col("line").str.slice("tr_at", "tr_len")),
    )
    tr = parts["tr"]
    receiver = parts["s"].replace("", None)
    if need_tr.any():
        receiver = receiver.fill_null(tr.str.extract(_TRAILER_RECEIVER, 1))
        epoch = tr.str.extract(_TRAILER_EPOCH, 1)
        from_trailer = (t < 0) & epoch.is_not_null().to_numpy()
        # Fractional seconds are rounded as floats: left to the per-line reader.
        tr_t = _epoch_text_us(epoch)
        good &= ~from_trailer | (tr_t >= 0)
        t = np.where(from_trailer, tr_t, t)
    own = t >= 0
    good &= ~own | (t <= latest_us)
    t_own = t
    if assume_us is not None:
        t = np.where(own, t, assume_us)

    # The message: its type, and whether the bulk decoder takes it as it is.
    mtype = _SIX[data[pay_start]]
    need = _NEED_BITS[mtype]
    nbits = pay_len * 6 - fill
    part_ok = np.ones(m, dtype=np.bool_)
    is24 = mtype == 24
    if is24.any():
        p6 = data[np.minimum(pay_start + 6, len(data) - 1)]
        part_ok[is24] = (_SIX[p6[is24]] & 8) == 0
    decodable = (need > 0) & (nbits >= need) & part_ok
    ignored = need == 0
    # A message of a counted type needs no time; the others do (else: no_timestamp).
    message_ok = (decodable & (own | (assume_us is not None))) | ignored

    # A Gatehouse header waits for the next AIS sentence: take a line in bulk only after one.
    sentence_line = np.zeros(n, dtype=np.bool_)
    sentence_line[idx] = (~has_tag | (tag_ok & (c_n <= 1) & (g_n == 0)
                                      & (~has_c | (tag_t >= 0)))) & (~has_pre | (pre_t >= 0))
    counted = np.flatnonzero(~skipped)
    prev_ok = np.empty(len(counted), dtype=np.bool_)
    prev_ok[1:] = sentence_line[counted[:-1]]
    prev_ok[:1] = header_clear
    after = np.zeros(n, dtype=np.bool_)
    after[counted] = prev_ok
    good &= after[idx]
    frag = good & multi
    good &= single & message_ok

    take = good & decodable
    kind[idx[take]] = PLAIN
    kind[idx[good & ignored]] = IGNORED
    kind[idx[frag]] = FRAGMENT
    msg_type[idx[good]] = mtype[good]
    receivers = receiver.filter(pl.Series(frag))
    fragments = _fragments(block, data, base[frag], end[frag], sent_start[frag],
                           pay_start[frag], pay_len[frag], fill[frag], t_own[frag], receivers)
    frag_index = np.full(n, -1, dtype=np.int64)
    frag_index[idx[frag]] = np.arange(int(frag.sum()))

    # Two-sentence messages whose sentences follow each other (blank and comment lines
    # aside) on one channel, sequence id and receiver: decoded in bulk like a plain line
    # (at their second line), unless the reassembler holds state they would touch (see
    # nmea.NmeaReader._block).
    line, start, length = idx[take], pay_start[take], pay_len[take]
    fills, times, recv = fill[take], t[take], receiver.filter(pl.Series(take))
    pair_data = np.zeros(0, dtype=np.uint8)
    fi = idx[frag]
    if len(fi) > 1:
        nxt = np.full(n, -1, dtype=np.int64)
        nxt[counted[:-1]] = counted[1:]
        a = np.flatnonzero((data[sent_start[frag] + 6] == 50) & (data[sent_start[frag] + 8] == 49))
        b = frag_index[np.maximum(nxt[fi[a]], 0)]
        a = a[(nxt[fi[a]] >= 0) & (b >= 0)]
        b = frag_index[nxt[fi[a]]]
        fs = sent_start[frag]
        same = (data[fs[b] + 6] == 50) & (data[fs[b] + 8] == 50)
        pairs = [(x, y) for x, y, ok in zip(a.tolist(), b.tolist(), same.tolist(), strict=True)
                 if ok and fragments[x][3] == fragments[y][3]
                 and fragments[x][4] == fragments[y][4] and fragments[x][8] == fragments[y][8]]
        if pairs:
            line, start, length, fills, times, recv, pair_data = _pairs(
                pairs, fragments, fi, kind, msg_type, assume_us, len(data),
                (line, start, length, fills, times, recv))
    return Framed(n, nl, kind, msg_type, np.concatenate([data, pair_data]), line, start,
                  length, fills, times, recv, fragments, frag_index)


def _pairs(pairs: list[tuple[int, int]], fragments: list[Fragment], lines: IntArray,
           kind: npt.NDArray[np.int8], msg_type: IntArray, assume_us: int | None,
           offset: int, plain: tuple[IntArray, IntArray, IntArray, IntArray, IntArray,
                                     pl.Series]
           ) -> tuple[IntArray, IntArray, IntArray, IntArray, IntArray, pl.Series,
                      npt.NDArray[np.uint8]]:
    """Mark the two-sentence messages that decode in bulk (:data:`PAIR` at the first line,
    :data:`PLAIN` or :data:`IGNORED` at the second) and add them to the plain messages:
    line, payload start (in the block's bytes followed by the joined payloads), length, fill
    bits, time, receiver, in line order; and the joined payloads."""
    joined = [fragments[x][5] + fragments[y][5] for x, y in pairs]
    x_i = np.array([x for x, _ in pairs], dtype=np.int64)
    y_i = np.array([y for _, y in pairs], dtype=np.int64)
    lens = np.fromiter(map(len, joined), dtype=np.int64, count=len(joined))
    buf = np.frombuffer(b"".join(joined), dtype=np.uint8)
    starts = np.zeros(len(lens), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    fill = np.array([fragments[y][6] for y in y_i.tolist()], dtype=np.int64)
    t_x = np.array([-1 if fragments[x][7] is None else fragments[x][7] for x in x_i.tolist()],
                   dtype=np.int64)
    t_y = np.array([-1 if fragments[y][7] is None else fragments[y][7] for y in y_i.tolist()],
                   dtype=np.int64)
    t = np.where(t_x >= 0, t_x, t_y)
    own = t >= 0
    if assume_us is not None:
        t = np.where(own, t, assume_us)
    mtype = _SIX[buf[starts]]
    need = _NEED_BITS[mtype]
    nbits = lens * 6 - fill
    part_ok = np.ones(len(lens), dtype=np.bool_)
    is24 = mtype == 24
    if is24.any():
        part_ok[is24] = (_SIX[buf[np.minimum(starts + 6, len(buf) - 1)][is24]] & 8) == 0
    decodable = (need > 0) & (nbits >= need) & part_ok & (own | (assume_us is not None))
    ignored = need == 0
    ok = decodable | ignored
    first, last = lines[x_i[ok]], lines[y_i[ok]]
    kind[first] = PAIR
    kind[last] = np.where(decodable[ok], PLAIN, IGNORED)
    msg_type[last] = mtype[ok]
    take = decodable
    p_line, p_start, p_len, p_fill, p_t, p_recv = plain
    line = np.concatenate([p_line, lines[y_i[take]]])
    order = np.argsort(line, kind="stable")
    recv = pl.concat([p_recv, pl.Series([fragments[y][8] for y in y_i[take].tolist()],
                                        dtype=pl.String)])
    return (line[order], np.concatenate([p_start, starts[take] + offset])[order],
            np.concatenate([p_len, lens[take]])[order],
            np.concatenate([p_fill, fill[take]])[order],
            np.concatenate([p_t, t[take]])[order], recv.gather(order), buf)


Fragment = tuple[bytes, int, int, bytes, bytes, bytes, int, int | None, str | None]
"""A fragment of a multi-sentence message as the reassembler takes it: the line, fragment
count and number, sequential message id, channel, payload, fill bits, time µs, receiver."""


def _fragments(block: bytes, data: npt.NDArray[np.uint8], base: IntArray, end: IntArray,
               sent_start: IntArray, pay_start: IntArray, pay_len: IntArray, fill: IntArray,
               t_us: IntArray, receiver: pl.Series) -> list[Fragment]:
    """The fields of fragment lines (of a valid layout), as the per-line reader parses them."""
    seq_at = sent_start + 10
    seq_end = seq_at + (data[seq_at] != 44)
    return [
        (block[b:e], count, num, block[sa:se], block[se + 1:ps - 1], block[ps:ps + pn], f,
         None if t < 0 else t, r)
        for b, e, count, num, sa, se, ps, pn, f, t, r in zip(
            base.tolist(), end.tolist(), (data[sent_start + 6] - 48).tolist(),
            (data[sent_start + 8] - 48).tolist(), seq_at.tolist(), seq_end.tolist(),
            pay_start.tolist(), pay_len.tolist(), fill.tolist(), t_us.tolist(),
            receiver.to_list(), strict=True)
    ]


_HEX: Final = np.full(256, 1 << 10, dtype=np.int64)
for _c in b"0123456789":
    _HEX[_c] = _c - 48
for _c in b"abcdef":
    _HEX[_c] = _HEX[_c - 32] = _c - 87


def _xor(data: npt.NDArray[np.uint8], start: IntArray, stop: IntArray) -> IntArray:
    """XOR of the bytes ``start[i]:stop[i]`` (ascending, disjoint, non-empty ranges)."""
    if not len(start):
        return np.zeros(0, dtype=np.int64)
    bounds = np.empty(2 * len(start), dtype=np.int64)
    bounds[0::2] = start
    bounds[1::2] = stop
    return np.bitwise_xor.reduceat(data, bounds)[0::2].astype(np.int64)


def _hex2(data: npt.NDArray[np.uint8], at: IntArray) -> IntArray:
    """The two hex digits at ``at`` as a number (the regex vouches for them)."""
    return _HEX[data[at]] * 16 + _HEX[data[at + 1]]


_TAG_CHARS: Final = 120
"""Longest tag-block body read here (longer ones: per line); bounds the matrix of bodies."""


def _keys(data: npt.NDArray[np.uint8], has_tag: BoolArray, body_start: IntArray,
          tag_star: IntArray) -> dict[int, tuple[IntArray, IntArray]]:
    """For the keys ``c``, ``s`` and ``g``: how often each starts an item of each line's tag
    block, and where the value of (one of) them starts."""
    m = len(has_tag)
    out = {key: (np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64))
           for key in (99, 115, 103)}
    rows = np.flatnonzero(has_tag)
    long = tag_star[rows] - body_start[rows] > _TAG_CHARS
    out[103][0][rows[long]] = 1  # counted as a group: left to the per-line reader
    rows = rows[~long]
    if not len(rows):
        return out
    start, length = body_start[rows], tag_star[rows] - body_start[rows]
    width = int(length.max())
    # The tag bodies as a matrix, one row each, NUL past a body's end.
    cols = np.arange(width + 1)
    mat = data[np.minimum(start[:, None] + cols, len(data) - 1)]
    mat[cols >= length[:, None]] = 0
    item = np.ones((len(rows), width), dtype=np.bool_)
    item[:, 1:] = mat[:, :width - 1] == 44  # an item starts at the body's start or after ','
    item &= mat[:, 1:] == 58
    for key, (count, where) in out.items():
        hit = item & (mat[:, :width] == key)
        count[rows] = hit.sum(axis=1)
        where[rows] = start + hit.argmax(axis=1) + 2
    return out


def _value_end(commas: IntArray, at: IntArray, tag_star: IntArray) -> IntArray:
    """Where a tag-block value starting at ``at`` ends (the next ',' or the tag's '*')."""
    nxt = np.searchsorted(commas, at)
    after = commas[np.minimum(nxt, len(commas) - 1)] if len(commas) else tag_star
    return np.where((nxt < len(commas)) & (after < tag_star), after, tag_star)


def _digit_run(data: npt.NDArray[np.uint8], at: IntArray, most: IntArray) -> IntArray:
    """How many digits follow ``at`` (at most ``most``)."""
    run = np.zeros(len(at), dtype=np.int64)
    going = most > 0
    for k in range(int(most.max(initial=0))):
        d = data[np.minimum(at + k, len(data) - 1)]
        going &= (k < most) & (d >= 48) & (d <= 57)
        run += going
    return run


def _epoch_us(data: npt.NDArray[np.uint8], at: IntArray, length: IntArray) -> IntArray:
    """The whole unix seconds or milliseconds of ``length`` (1-13) digits at ``at`` -> µs as
    ``epoch_us`` gives them; -1 where they are not such a number or outside the accepted
    years."""
    ok = (length >= 1) & (length <= 13) & (_digit_run(data, at, np.clip(length, 0, 13))
                                           == length)
    v = np.zeros(len(at), dtype=np.int64)
    for k in range(13):
        d = data[np.minimum(at + k, len(data) - 1)].astype(np.int64) - 48
        v = np.where(k < length, v * 10 + d, v)
    return _checked_us(np.where(ok, v, 0), ok)


def _epoch_text_us(text: pl.Series) -> IntArray:
    """:func:`_epoch_us` of text (null: -1)."""
    ok = text.str.contains(r"^[0-9]{1,13}$").fill_null(False).to_numpy()
    v = text.str.to_integer(strict=False).fill_null(0).to_numpy().astype(np.int64)
    return _checked_us(np.where(ok, v, 0), ok)


def _checked_us(v: IntArray, ok: BoolArray) -> IntArray:
    us = np.where(v >= _MS_THRESHOLD, v * 1000, v * US)
    return np.where(ok & (us >= _MIN_US) & (us < _MAX_US), us, -1)


__all__ = ["FRAGMENT", "IGNORED", "PAIR", "PLAIN", "SKIPPED", "SLOW", "Fragment", "Framed",
           "frame_block", "split_lines"]
