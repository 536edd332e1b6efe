"""Streaming reader for NMEA 0183 AIS logs (``!AIVDM`` / ``!AIVDO`` sentences).

The file is read in blocks of whole lines (plain or ``.gz``) and turned into :class:`Batch` es
of canonical POSITIONS, VESSEL_REPORTS and REJECTS rows. Supported wrappers: NMEA 4.x tag
blocks (``c:`` time, ``s:`` source, ``g:`` groups), Gatehouse ``$PGHP`` headers, a leading
ISO or unix-epoch timestamp, and a trailing receiver block after the checksum
(``...*hh,d-109,...,r003669946,1325394060,1325394001``). See ``docs/ingest-nmea.md`` for the
rules (time sources, reject reasons).

Each block is framed column-wise first (:mod:`.nmea_bulk`): plain one-sentence lines and
two-sentence messages are decoded in bulk, fragments are parsed there and handed to the
reassembler, and every other line goes through the per-line path here, in file order: strip
the wrappers, verify the checksum, pick the message's time by precedence (tag block,
Gatehouse header, leading timestamp, trailer). The pieces live beside it:
:mod:`.nmea_framing` (regular expressions, tag blocks, time fields), :mod:`.nmea_multipart`
(multi-sentence messages, tag-block groups) and :mod:`.nmea_messages` (complete messages ->
rows, decoded in bulk by :mod:`~sanctionwatch.ingest.ais.fastdecode`). Rows, rejects and
batch boundaries are those of reading every line in turn. Time is linear in the file size;
memory is bounded by a block, one batch and the pending multi-sentence messages.

Use :func:`read_nmea` for batches only, or :class:`NmeaReader` to also get :class:`NmeaStats`
(ignored message types, other NMEA sentences, ...).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from sanctionwatch.ingest.ais.base import Batch, Rejects, RowBuffer, latest_time
from sanctionwatch.ingest.ais.nmea_bulk import (
    FRAGMENT,
    IGNORED,
    PAIR,
    PLAIN,
    SKIPPED,
    SLOW,
    Framed,
    frame_block,
)
from sanctionwatch.ingest.ais.nmea_framing import (
    BACKSLASH,
    BANG,
    BOM,
    DOLLAR,
    HASH,
    OTHER_SENTENCE,
    PGHP,
    PREFIX,
    SENTENCE,
    TRAILER_EPOCH,
    TRAILER_RECEIVER,
    US,
    BadTag,
    TimeError,
    datetime_us,
    diagnose,
    epoch_us,
    gatehouse_us,
    looks_like_nmea,
    open_log,
    parse_tag,
    prefix_us,
)
from sanctionwatch.ingest.ais.nmea_messages import (
    ONLY_REP_TYPES,
    POS_TYPES,
    REP_TYPES,
    MessageRows,
    plain_frames,
)
from sanctionwatch.ingest.ais.nmea_multipart import Reassembler, TagGroups
from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS

__all__ = ["NmeaReader", "NmeaStats", "looks_like_nmea", "read_nmea"]

_TAG_CACHE_MAX = 4096


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
    headers: int = 0
    """Gatehouse ``$PGHP`` header lines read (used or not)."""
    fragments: int = 0
    """Sentences of complete multi-sentence messages before their last one (the message is
    accounted for at its last line)."""

    def ignored(self) -> dict[str, int]:
        """Lines that are neither rows nor rejects, by kind (the row account's ``ignored``)."""
        out = {"blank_or_comment": self.skipped_lines, "vendor_header": self.headers,
               "multipart_fragment": self.fragments}
        out |= {f"nmea_{name}": n for name, n in self.other_sentences.items()}
        out |= {f"message_type_{t}": n for t, n in self.ignored_types.items()}
        return {k: v for k, v in out.items() if v}


class NmeaReader:
    """Reads one NMEA file: :meth:`batches` yields batches, :attr:`stats` fills up as it goes.

    ``assume_time`` is the time given to messages that carry none (files with no times at
    all); without it such messages are rejected as ``no_timestamp``. Naive datetimes are UTC.
    ``latest``: times after it are impossible (default:
    :func:`~sanctionwatch.ingest.ais.base.latest_time`).
    ``fast_decode=False`` reads every line by the per-line path and decodes every message with
    pyais, one at a time, instead of framing plain lines in bulk (:mod:`.nmea_bulk`) and
    decoding with :mod:`~sanctionwatch.ingest.ais.fastdecode` (the same batches, more
    slowly; kept to check exactly that).
    """

    def __init__(self, path: str | Path, *, strict: bool = False, batch_rows: int = 100_000,
                 assume_time: datetime | None = None, fast_decode: bool = True,
                 latest: datetime | None = None) -> None:
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.path = path
        self.source = str(path)
        self.strict = strict
        self.batch_rows = batch_rows
        self.assume_us = None if assume_time is None else datetime_us(assume_time)
        self.stats = NmeaStats()
        self._rejects = Rejects(path, strict)
        self._n_rejects = 0
        self._rows = MessageRows(self.source, self._reject, self.stats, self.assume_us,
                                 fast=fast_decode)
        self._multipart = Reassembler(self._reject, self._rows.message)
        # Bound once: called per sentence.
        self._message = self._rows.message
        self._fragment = self._multipart.fragment
        self._group_meta = TagGroups().share
        self._tag_cache: dict[bytes, tuple[int | None, str | None, tuple[int, int, str] | None]]
        self._tag_cache = {}
        self._header_us: int | None = None
        self._started = False
        self.latest_us = datetime_us(latest or latest_time())
        """Times after it are impossible (``impossible_time``)."""
        self._taken = self._taken_reports_only = 0
        self._taken_ignored: dict[str, int] = {}
        self._bulk = fast_decode
        # Rows of plain lines read in bulk (see nmea_bulk), waiting for the next batch.
        self._plain_frames: list[tuple[pl.DataFrame, pl.DataFrame]] = []
        self._plain_pos = self._plain_rep = 0
        self._block_plain: _PlainLines | None = None

    # --- driving loop --------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        """Yield a batch every ``batch_rows`` positions (or reports or rejects), then the rest.

        A reader reads its file once; make a new reader to read it again.
        """
        if self._started:
            raise RuntimeError("NmeaReader.batches() can be iterated only once")
        self._started = True
        yielded = False
        lineno = 0
        ended = True
        fh, src = open_log(self.path)
        with fh:
            carry = b""
            while chunk := fh.read(_BLOCK_BYTES):
                block = carry + chunk
                cut = block.rfind(b"\n") + 1
                carry = block[cut:]
                if cut:
                    for batch in self._block(block[:cut], lineno):
                        yielded = True
                        yield batch
                    lineno += block.count(b"\n", 0, cut)
            if carry:  # the last line has no line end
                lineno += 1
                ended = False
                self._line(lineno, carry, src.error)
                if self._full():
                    yielded = True
                    yield self._take(lineno)
        if src.error is not None and ended:
            lineno += 1  # broke off at a line end: the lines after it are lost
            self._reject(lineno, "truncated_file", f"{src.error} after line {lineno - 1}", b"")
        self.stats.lines = lineno
        self._finish()
        if (self._rows.pos_rows or self._rows.rep_rows or self._n_rejects or self._plain_pos
                or self._plain_rep or not yielded or self._taken < lineno):
            yield self._take(lineno)

    def _full(self) -> bool:
        """Whether the rows so far make a batch."""
        limit = self.batch_rows
        return (len(self._rows.pos_rows) + self._plain_pos >= limit
                or len(self._rows.rep_rows) + self._plain_rep >= limit
                or self._n_rejects >= limit)

    def _line(self, lineno: int, raw: bytes, error: str | None = None) -> None:
        """One line (with its line end, if any) the per-line way; ``error``: the file broke
        off in this (last) line."""
        line = raw.strip()
        if error is not None:
            self._reject(lineno, "truncated_file", f"{error}; line {lineno} is incomplete", raw)
        elif not line or line[0] == HASH:
            self.stats.skipped_lines += 1
        elif lineno == 1 and line.startswith(BOM):
            line = line[len(BOM):].strip()
            if line and line[0] != HASH:
                self._handle(lineno, line)
            else:
                self.stats.skipped_lines += 1
        else:
            self._handle(lineno, line)

    def _block(self, block: bytes, lineno: int) -> Iterator[Batch]:
        """The complete lines of ``block`` (after line ``lineno``): plain ones in bulk, the
        rest one by one in file order, batches cut after the lines where reading line by line
        cuts them."""
        framed = frame_block(block, header_clear=self._header_us is None,
                             latest_us=self.latest_us, assume_us=self.assume_us,
                             bulk=self._bulk)
        plain = _PlainLines(framed, lineno, self.source, self.stats, self._rows)
        self._block_plain = plain
        cp, cr = plain.cum_pos, plain.cum_rep
        n = framed.n
        limit = self.batch_rows
        pos_rows, rep_rows = self._rows.pos_rows, self._rows.rep_rows
        ends = framed.line_end.tolist()
        kinds = framed.kind
        fragments, frag_index = framed.fragments, framed.frag_index
        frag_lines = np.flatnonzero(frag_index >= 0).tolist()
        fragment = self._fragment
        passes = self._multipart.passes
        cur = 0
        events = np.flatnonzero((kinds == SLOW) | (kinds == FRAGMENT) | (kinds == PAIR))
        for s in (*events.tolist(), n):
            while cur < s:
                # Rows pending, less those of the block's plain lines not yet handed over.
                base_p = len(pos_rows) + self._plain_pos - cp[plain.done] - plain.drop_pos
                base_r = len(rep_rows) + self._plain_rep - cr[plain.done] - plain.drop_rep
                if base_p + cp[s] < limit and base_r + cr[s] < limit:
                    break
                # A batch fills up in the plain lines before s: cut after the line where it does.
                j = min(bisect_left(cp, limit - base_p, cur) if base_p + cp[s] >= limit else n,
                        bisect_left(cr, limit - base_r, cur) if base_r + cr[s] >= limit else n)
                self._advance(j)
                yield self._take(lineno + j)
                cur = j
            if s == n:
                break
            k = kinds[s]
            if k == PAIR:
                f = fragments[frag_index[s]]
                if passes(f[3], f[4], f[8]):
                    cur = s + 1
                    continue
                # Pending state on its key: both sentences go through the reassembler.
                second = frag_lines[frag_index[s] + 1]
                rows = plain.unpair(s, second)
                fragment(lineno + s + 1, *f)
                if self._full_at(s + 1):
                    self._advance(s + 1)
                    yield self._take(lineno + s + 1)
                plain.drop(second, rows)
                s = second
                fragment(lineno + s + 1, *fragments[frag_index[s]])
            elif k == FRAGMENT:
                fragment(lineno + s + 1, *fragments[frag_index[s]])
            else:
                self._line(lineno + s + 1, block[ends[s - 1] + 1 if s else 0:ends[s] + 1])
            cur = s + 1
            if self._full_at(cur):
                self._advance(cur)
                yield self._take(lineno + cur)
        self._advance(n)
        self._block_plain = None

    def _full_at(self, cur: int) -> bool:
        """Whether the rows so far and those of the block's plain lines before ``cur`` make a
        batch."""
        plain = self._block_plain
        assert plain is not None
        limit = self.batch_rows
        return (len(self._rows.pos_rows) + self._plain_pos + plain.cum_pos[cur]
                - plain.cum_pos[plain.done] - plain.drop_pos >= limit
                or len(self._rows.rep_rows) + self._plain_rep + plain.cum_rep[cur]
                - plain.cum_rep[plain.done] - plain.drop_rep >= limit
                or self._n_rejects >= limit)

    def _advance(self, upto: int) -> None:
        """Account for the block's plain lines before line index ``upto`` (their rows wait for
        the next batch, their counts go to the stats)."""
        plain = self._block_plain
        if plain is None or upto <= plain.done:
            return
        pos, rep = plain.take(upto)
        if pos.height or rep.height:
            self._plain_frames.append((pos, rep))
            self._plain_pos += pos.height
            self._plain_rep += rep.height

    def _finish(self) -> None:
        """End of file: unfinished multi-sentence messages are rejects."""
        self._multipart.finish()
        if self._header_us is not None:
            self.stats.unused_headers += 1
            self._header_us = None

    def _take(self, lineno: int) -> Batch:
        """The batch of the rows so far; it accounts for lines up to ``lineno`` (and those
        of earlier batches still pending then)."""
        positions, reports = self._rows.take()
        if self._plain_frames:
            positions = _merged(positions, [p for p, _ in self._plain_frames])
            reports = _merged(reports, [r for _, r in self._plain_frames])
            self._plain_frames = []
            self._plain_pos = self._plain_rep = 0
        self.stats.positions += positions.height
        self.stats.reports += reports.height
        self._n_rejects = 0
        ignored = self.stats.ignored()
        batch = Batch(positions, reports, self._rejects.take(), rows=lineno - self._taken,
                      reports_only=self._rows.reports_only - self._taken_reports_only,
                      ignored={k: v - self._taken_ignored.get(k, 0) for k, v in ignored.items()
                               if v != self._taken_ignored.get(k, 0)})
        self._taken, self._taken_reports_only = lineno, self._rows.reports_only
        self._taken_ignored = ignored
        return batch

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
        prefix: int | None = None
        if first != BANG and first != BACKSLASH and first != DOLLAR:
            m = PREFIX.match(line)
            if m is None:
                self._reject(lineno, "unsupported_line", "not an NMEA sentence", orig)
                return
            try:
                prefix = prefix_us(m)
            except TimeError as e:
                self._reject(lineno, e.reason, str(e), orig)
                return
            line = line[m.end():]
            first = line[0]

        tag_us: int | None = None
        receiver: str | None = None
        while first == BACKSLASH:
            end = line.find(b"\\", 1)
            if end < 0:
                self._reject(lineno, "malformed_sentence", "unterminated tag block", orig)
                return
            tag = line[1:end]
            parsed = self._tag_cache.get(tag)  # receivers repeat the same tag block a lot
            if parsed is None:
                try:
                    parsed = parse_tag(tag)
                except TimeError as e:
                    self._reject(lineno, e.reason, f"tag block: {e}", orig)
                    return
                except BadTag as e:
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

        m = SENTENCE.fullmatch(line)
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
            t_us = header_us if header_us is not None else prefix
        if trailer is not None and (t_us is None or receiver is None):
            if t_us is None:
                em = TRAILER_EPOCH.search(trailer)
                if em is not None:
                    try:
                        t_us = epoch_us(em[1])
                    except TimeError as e:
                        self._reject(lineno, e.reason, f"trailer: {e}", orig)
                        return
            if receiver is None:
                rm = TRAILER_RECEIVER.search(trailer)
                if rm is not None:
                    receiver = rm[1].decode("ascii", "replace")

        if t_us is not None and t_us > self.latest_us:
            self._reject(lineno, "impossible_time",
                         f"time {t_us // US} s is after the time of reading plus a day", orig)
            return
        if count == b"1":
            if num != b"1":
                self._reject(lineno, "malformed_sentence",
                             f"fragment {num.decode()} of a 1-sentence message", orig)
                return
            self._message(lineno, (orig,), payload, int(fill), t_us, receiver)
        else:
            self._fragment(lineno, orig, int(count), int(num), seq, channel, payload, int(fill),
                           t_us, receiver)

    # --- lines that are not AIS sentences -------------------------------------------------

    def _not_ais(self, lineno: int, line: bytes, orig: bytes) -> None:
        if line.startswith(b"$PGHP,1,"):
            self._gatehouse(lineno, line, orig)
            return
        formatter = line[3:6]
        if formatter == b"VDM" or formatter == b"VDO":
            self._header_us = None
            self._reject(lineno, "malformed_sentence", diagnose(line), orig)
            return
        om = OTHER_SENTENCE.match(line)
        if om is None:
            self._reject(lineno, "unsupported_line", "not an NMEA sentence", orig)
            return
        name = om[1].decode()
        other = self.stats.other_sentences
        other[name] = other.get(name, 0) + 1

    def _gatehouse(self, lineno: int, line: bytes, orig: bytes) -> None:
        """``$PGHP,1,yyyy,m,d,H,M,S,ms,...*hh``: the time of the next AIS sentence."""
        m = PGHP.match(line)
        if m is None:
            self._reject(lineno, "malformed_sentence", "unreadable Gatehouse $PGHP header", orig)
            return
        computed = reduce(xor, line[1:m.start(8) - 1], 0)
        if computed != int(m[8], 16):
            self._reject(lineno, "bad_checksum",
                         f"computed {computed:02X}, header says {m[8].decode()}", orig)
            return
        try:
            t_us = gatehouse_us(m)
        except (ValueError, TimeError) as e:
            self._reject(lineno, e.reason if isinstance(e, TimeError) else "bad_timestamp",
                         f"Gatehouse header: {e}", orig)
            return
        if self._header_us is not None:
            self.stats.unused_headers += 1
        self.stats.headers += 1
        self._header_us = t_us


class _PlainLines:
    """The plain lines of one block (:func:`~.nmea_bulk.frame_block`): their rows, built in
    bulk, handed out in line order; their counts added to the stats as they are."""

    def __init__(self, framed: Framed, lineno: int, source: str, stats: NmeaStats,
                 rows: MessageRows) -> None:
        self.framed = framed
        self.lineno = lineno
        self.source = source
        self.stats = stats
        self.rows = rows
        self.done = 0
        """Line index (in the block) up to which the lines are accounted for."""
        n = framed.n
        is_plain = framed.kind == PLAIN
        types = np.where(is_plain, framed.msg_type, 0)
        cum_pos = np.zeros(n + 1, dtype=np.int64)
        cum_rep = np.zeros(n + 1, dtype=np.int64)
        if len(framed.line):
            np.cumsum(POS_TYPES[types] & is_plain, out=cum_pos[1:])
            np.cumsum(REP_TYPES[types] & is_plain, out=cum_rep[1:])
        self.cum_pos: list[int] = cum_pos.tolist()
        self.cum_rep: list[int] = cum_rep.tolist()
        self._frames: tuple[pl.DataFrame, pl.DataFrame] | None = None
        self._pos_rec = self._rep_rec = np.zeros(0, dtype=np.int64)
        self._dropped: list[int] = []
        self.drops: list[tuple[int, int, int]] = []
        """Dropped messages whose lines are not yet handed over: line index, positions,
        reports (:attr:`cum_pos` and :attr:`cum_rep` still count them)."""
        self.drop_pos = self.drop_rep = 0

    def unpair(self, first: int, line: int) -> tuple[int, int]:
        """The two-sentence message on line indices ``first`` and ``line`` goes through the
        reassembler after all: its lines are fragments now and its bulk rows are left out.
        Returns the positions and reports it had (see :meth:`drop`)."""
        f = self.framed
        rows = (0, 0)
        if f.kind[line] == PLAIN:
            t = f.msg_type[line]
            rows = (int(POS_TYPES[t]), int(REP_TYPES[t]))
            self._dropped.append(self.lineno + line + 1)
        f.kind[line] = f.kind[first] = FRAGMENT
        return rows

    def drop(self, line: int, rows: tuple[int, int]) -> None:
        """Leave the rows of an :meth:`unpair` ed message at line index ``line`` out of the
        counts too (from when the reader is past its first line)."""
        if rows != (0, 0):
            self.drops.append((line, *rows))
            self.drop_pos += rows[0]
            self.drop_rep += rows[1]

    def take(self, upto: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The rows of the plain lines from :attr:`done` to ``upto`` (line indices); their
        counts go to the stats."""
        f = self.framed
        lo, hi = self.done, upto
        self.done = upto
        if self.drops:
            self.drops = [d for d in self.drops if d[0] >= upto]
            self.drop_pos = sum(d[1] for d in self.drops)
            self.drop_rep = sum(d[2] for d in self.drops)
        kind = f.kind[lo:hi]
        stats = self.stats
        stats.skipped_lines += int(np.count_nonzero(kind == SKIPPED))
        counted = (kind == PLAIN) | (kind == IGNORED)
        stats.messages += int(np.count_nonzero(counted))
        stats.fragments += int(np.count_nonzero(kind == PAIR))
        ignored = f.msg_type[lo:hi][kind == IGNORED]
        if len(ignored):
            by_type = stats.ignored_types
            for t, k in zip(*np.unique(ignored, return_counts=True), strict=True):
                by_type[int(t)] = by_type.get(int(t), 0) + int(k)
        self.rows.reports_only += int(
            np.count_nonzero(ONLY_REP_TYPES[f.msg_type[lo:hi]] & (kind == PLAIN)))
        if self.cum_pos[hi] == self.cum_pos[lo] and self.cum_rep[hi] == self.cum_rep[lo]:
            return _EMPTY_POS, _EMPTY_REP
        pos, rep = self._all()
        first, last = self.lineno + lo + 1, self.lineno + hi
        pos = _between(pos, self._pos_rec, first, last)
        rep = _between(rep, self._rep_rec, first, last)
        if self._dropped:
            dropped = pl.col("record").is_in(self._dropped)
            pos, rep = pos.filter(~dropped), rep.filter(~dropped)
        return pos, rep

    def _all(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        if self._frames is None:
            f = self.framed
            self._frames = plain_frames(self.source, f.data, f.start, f.length, f.fill,
                                        f.msg_type[f.line], f.t_us, f.receiver,
                                        f.line + self.lineno + 1)
            self._pos_rec = self._frames[0]["record"].to_numpy()
            self._rep_rec = self._frames[1]["record"].to_numpy()
        return self._frames


_EMPTY_POS: Final = RowBuffer(POSITIONS).take()
_EMPTY_REP: Final = RowBuffer(VESSEL_REPORTS).take()
_BLOCK_BYTES: Final = 1 << 23
"""Bytes of the file framed at a time (whole lines; memory is a few times this)."""


def _between(df: pl.DataFrame, record: npt.NDArray[np.int64], first: int, last: int
             ) -> pl.DataFrame:
    """The rows of ``df`` (whose ``record`` column, sorted, is ``record``) with a record in
    ``first..last``."""
    lo = int(np.searchsorted(record, first, side="left"))
    return df.slice(lo, int(np.searchsorted(record, last, side="right")) - lo)


def _merged(rows: pl.DataFrame, plain: list[pl.DataFrame]) -> pl.DataFrame:
    """The rows of the per-line path and those of plain lines, in line order."""
    parts = [df for df in (rows, *plain) if df.height]
    if not parts:
        return rows
    if len(parts) == 1:
        return parts[0]
    return pl.concat(parts).sort("record", maintain_order=True)


def read_nmea(path: str | Path, *, strict: bool = False, batch_rows: int = 100_000,
              assume_time: datetime | None = None, latest: datetime | None = None
              ) -> Iterator[Batch]:
    """Stream an NMEA 0183 AIS file (plain or ``.gz``) as batches of canonical rows.

    ``strict`` raises :class:`IngestError` at the first bad record instead of rejecting it;
    ``assume_time`` dates messages that carry no time (for files without any times).
    Use :class:`NmeaReader` to also get :class:`NmeaStats`.
    """
    return NmeaReader(path, strict=strict, batch_rows=batch_rows,
                      assume_time=assume_time, latest=latest).batches()
