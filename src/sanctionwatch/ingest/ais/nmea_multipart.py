"""Multi-sentence AIS messages and tag-block groups: the state an NMEA log carries across
lines.

:class:`Reassembler` collects the fragments of multi-sentence messages, keyed by (sequential
message id, channel, source), and hands each complete message on; broken or unfinished ones
become rejects. :class:`TagGroups` shares the ``c:`` time and ``s:`` source of a tag-block
group (``g:1-2-3454`` ...) with its later sentences. Both keep a dict of pending entries: each
sentence costs O(1).
"""

from __future__ import annotations

from collections.abc import Callable

Reject = Callable[[int, str, str, bytes], None]
"""Records a reject: line number, reason, detail, raw line."""
Message = Callable[[int, tuple[bytes, ...], bytes, int, int | None, str | None], None]
"""Handles a complete message: last line, raw sentences, payload, fill bits, time µs,
receiver."""

_GROUP_MAX = 10_000


class Fragments:
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


class Reassembler:
    """Reassembles multi-sentence messages; ``message`` gets each complete one, ``reject``
    every line of a broken or unfinished one."""

    def __init__(self, reject: Reject, message: Message) -> None:
        self._reject = reject
        self._message = message
        self._pending: dict[tuple[bytes, bytes, str | None], Fragments] = {}
        self._latest_start: dict[tuple[bytes, bytes], tuple[bytes, bytes, str | None]] = {}

    def fragment(self, lineno: int, raw: bytes, count: int, num: int, seq: bytes,
                 channel: bytes, payload: bytes, fill: int, t_us: int | None,
                 receiver: str | None) -> None:
        """Collect one sentence of a multi-sentence message; hand the message on when the
        last arrives."""
        if num > count:
            self._reject(lineno, "malformed_sentence", f"fragment {num} of {count}", raw)
            return
        pending = self._pending
        key = (seq, channel, receiver)
        if num == 1:
            old = pending.pop(key, None)
            if old is not None:
                self._reject_fragments(
                    old, f"a new message with the same sequence id started at line {lineno} "
                    f"before fragment {old.next}/{old.count}")
            pending[key] = Fragments(count, lineno, raw, payload, t_us, receiver)
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

    def passes(self, seq: bytes, channel: bytes, receiver: str | None) -> bool:
        """Whether a two-sentence message whose sentences come one right after the other, on
        this sequence id, channel and receiver, can be decoded without this reassembler:
        nothing is pending on its key. Then its one lasting effect, forgetting the latest
        start on its sequence id and channel, is applied, and True returned."""
        if (seq, channel, receiver) in self._pending:
            return False
        self._latest_start.pop((seq, channel), None)
        return True

    def finish(self) -> None:
        """End of file: unfinished multi-sentence messages are rejects."""
        for frags in self._pending.values():
            for lineno, raw in zip(frags.lines, frags.raws, strict=True):
                self._reject(lineno, "incomplete_multipart",
                             f"end of file before fragment {frags.next}/{frags.count}", raw)
        self._pending.clear()
        self._latest_start.clear()

    def _reject_fragments(self, frags: Fragments, detail: str) -> None:
        for lineno, raw in zip(frags.lines, frags.raws, strict=True):
            self._reject(lineno, "incomplete_multipart", detail, raw)


class TagGroups:
    """The ``c:`` time and ``s:`` source of open tag-block groups (at most 10,000; the oldest
    is dropped first)."""

    def __init__(self) -> None:
        self._groups: dict[str, tuple[int | None, str | None]] = {}

    def share(self, group: tuple[int, int, str], t_us: int | None,
              receiver: str | None) -> tuple[int | None, str | None]:
        """Share ``c:`` and ``s:`` across a tag-block group (often only sentence 1 has them):
        a sentence's own values, else those of an earlier sentence of its group."""
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


__all__ = ["Fragments", "Reassembler", "TagGroups"]
