"""An input's bytes: gzip recognised by its content, text encodings detected or declared.

:func:`open_bytes` gives a file's bytes, decompressed on the fly when they start with the gzip
magic bytes (whatever the file's name); a truncated or corrupt gzip stream ends the bytes
early and sets :attr:`ByteSource.error` instead of raising, so a reader keeps what came
before and rejects the rest with the file named. :func:`text_encoding` picks the encoding of a
text file (declared, else a UTF-8 or UTF-16 byte order mark, else UTF-16 recognised by its
zero bytes, else UTF-8); :func:`utf8_chunks` streams its text as UTF-8 bytes, with any byte
that does not decode marked so that it stays invalid UTF-8 (its row is rejected, not
guessed). Time and memory are linear in the bytes read and bounded by one chunk.
"""

from __future__ import annotations

import codecs
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from sanctionwatch.ingest.ais.base import FormatError, UnknownInput

GZIP_MAGIC: Final = b"\x1f\x8b"
_READ: Final = 1 << 16
"""Compressed bytes fed to zlib at a time (bounds one step's output)."""
_MARK: Final = "sanctionwatch-undecodable"


def _mark_undecodable(err: UnicodeError) -> tuple[str, int]:
    # A lone surrogate per undecodable unit: encoded back with "surrogatepass" it is bytes
    # that no UTF-8 decoder accepts, so the row holding it is rejected as bad_encoding.
    assert isinstance(err, UnicodeDecodeError)
    return "\udcff" * (err.end - err.start), err.end


codecs.register_error(_MARK, _mark_undecodable)


class ByteSource(io.RawIOBase):
    """A file's bytes, gunzipped when they start with the gzip magic bytes (concatenated
    members too). A truncated or corrupt stream ends early: :attr:`error` says why."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh = self.path.open("rb")
        self.gzip = self._fh.read(2) == GZIP_MAGIC
        self._fh.seek(0)
        self.error: str | None = None
        self._z = zlib.decompressobj(wbits=31)
        self._out = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._fh.close()
        super().close()

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        if not self.gzip:
            return self._fh.readinto(b)
        while not self._out and not self._done:
            self._step()
        n = min(len(b), len(self._out))
        b[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _step(self) -> None:
        z = self._z
        data = z.unconsumed_tail or self._fh.read(_READ)
        if not data:
            if not z.eof:
                self.error = "the gzip stream ends before its end: the file is truncated"
            self._done = True
            return
        saved = z.copy()
        try:
            self._out = z.decompress(data, _READ * 64)
        except zlib.error as exc:
            self._out = _salvage(saved, data)
            self.error = f"corrupt gzip data: {exc}"
            self._done = True
            return
        if z.eof:
            rest = z.unused_data
            if len(rest) < 2:
                rest += self._fh.read(_READ)
            if not rest:
                self._done = True
            elif rest[:2] == GZIP_MAGIC:  # another member
                self._z = zlib.decompressobj(wbits=31)
                self._out += self._decompress_more(rest)
            else:
                if rest.strip(b"\x00") or self._fh.read().strip(b"\x00"):
                    self.error = "data after the end of the gzip stream is not gzip"
                self._done = True

    def _decompress_more(self, data: bytes) -> bytes:
        try:
            return self._z.decompress(data, _READ * 64)
        except zlib.error as exc:
            self.error = f"corrupt gzip data: {exc}"
            self._done = True
            return b""


def _salvage(z: zlib._Decompress, data: bytes) -> bytes:
    """What decompresses of ``data`` before the corruption that stopped it (fed in small
    pieces, so only the bytes after the corrupt point are lost)."""
    out = []
    for i in range(0, len(data), 256):
        try:
            out.append(z.decompress(data[i:i + 256]))
        except zlib.error:
            break
    return b"".join(out)


def open_bytes(path: str | Path, buffer: int = 1 << 20) -> tuple[io.BufferedReader, ByteSource]:
    """The file's (decompressed) bytes, buffered, and its :class:`ByteSource` (whose
    ``error`` tells, once read to the end, whether the stream broke off)."""
    try:
        raw = ByteSource(path)
    except OSError as exc:
        raise UnknownInput(f"{path}: cannot be read: {exc.strerror or exc}") from exc
    return io.BufferedReader(raw, buffer), raw


def head_bytes(path: str | Path, n: int) -> bytes:
    """The first ``n`` (decompressed) bytes of a file."""
    fh, _ = open_bytes(path)
    with fh:
        return fh.read(n)


def text_encoding(head: bytes, declared: str | None = None) -> tuple[str, int]:
    """The codec of a text file whose first bytes are ``head``, and the length of its byte
    order mark (skipped). ``declared`` wins (an unknown name is a :class:`FormatError`)."""
    boms = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
            (codecs.BOM_UTF16_BE, "utf-16-be"))
    if declared is not None:
        try:
            name = codecs.lookup(declared).name
        except LookupError:
            raise FormatError(f"unknown text encoding {declared!r}") from None
        if name in ("utf-16", "utf-32"):
            name = "utf-16-le" if head[:2] != codecs.BOM_UTF16_BE else "utf-16-be"
        for bom, codec in boms:
            if codec == name and head.startswith(bom):
                return name, len(bom)
        return name, 0
    for bom, codec in boms:
        if head.startswith(bom):
            return codec, len(bom)
    if len(head) >= 4 and head[0] and not head[1] and head[2] and not head[3]:
        return "utf-16-le", 0
    if len(head) >= 4 and not head[0] and head[1] and not head[2] and head[3]:
        return "utf-16-be", 0
    return "utf-8", 0


def is_utf8(codec: str) -> bool:
    """Whether ``codec`` (a :func:`codecs.lookup` name) reads bytes as they are (UTF-8 or
    ASCII)."""
    return codec in ("utf-8", "ascii")


def utf8_chunks(fh: io.BufferedReader, codec: str, skip: int, size: int) -> Iterator[bytes]:
    """The text of ``fh`` (after ``skip`` bytes of byte order mark) as UTF-8 bytes, in
    chunks of about ``size`` bytes. Bytes that do not decode in ``codec`` come out as
    invalid UTF-8 (never replaced by a guess)."""
    if skip:
        fh.read(skip)
    if is_utf8(codec):
        while chunk := fh.read(size):
            yield chunk
        return
    dec = codecs.getincrementaldecoder(codec)(errors=_MARK)
    while True:
        chunk = fh.read(size)
        text = dec.decode(chunk, final=not chunk)
        if text:
            yield text.encode("utf-8", "surrogatepass")
        if not chunk:
            return


__all__ = ["GZIP_MAGIC", "ByteSource", "head_bytes", "is_utf8", "open_bytes", "text_encoding",
           "utf8_chunks"]
