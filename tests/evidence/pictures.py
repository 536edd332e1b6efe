"""Read what a person would see: the pixels of a Chromium screenshot, the references of a
rendered dossier. (PNG decoding with the standard library and NumPy: no image library is a
dependency of sanctionwatch.)"""

from __future__ import annotations

import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import numpy.typing as npt


def read_png(path: Path) -> npt.NDArray[np.uint8]:
    """The RGB pixels (height, width, 3) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    i, idat = 8, []
    width = height = colour = 0
    while i < len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        kind, body = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        i += 12 + n
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
        elif kind == b"IDAT":
            idat.append(body)
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((np.frombuffer(line, np.uint8)
                              + np.frombuffer(prev, np.uint8)).tobytes())
        elif f == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 0xFF
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        out[y] = np.frombuffer(line, np.uint8)
        prev = line
    return out.reshape(height, width, bpp)[:, :, :3]


def colour_mask(img: npt.NDArray[np.uint8], hex_colour: str,
                tolerance: int = 12) -> npt.NDArray[np.bool_]:
    """Pixels within ``tolerance`` of ``#rrggbb`` on every channel."""
    rgb = np.array([int(hex_colour[k:k + 2], 16) for k in (1, 3, 5)], dtype=np.int16)
    return bool_all(np.abs(img.astype(np.int16) - rgb) <= tolerance)


def bool_all(a: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    return np.asarray(a.all(axis=-1))


class Cells(HTMLParser):
    """The table cells and list items of a dossier outside the provenance table: their text
    (reference marks left out) and the references they carry; the provenance row ids; the
    references in the map's tooltips."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[str, list[int]]] = []
        self.fact_ids: set[int] = set()
        self.map_refs: list[int] = []
        self._stack: list[list[object]] = []
        self._in_prov = False
        self._in_ref = False
        self._in_title = False
        self._title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id") == "provenance":
            self._in_prov = True
        if tag == "tr" and (a.get("id") or "").startswith("fact-"):
            self.fact_ids.add(int(str(a["id"])[5:]))
        if self._in_prov:
            return
        if tag in ("td", "li"):
            self._stack.append(["", []])
        if tag == "a" and a.get("class") == "ref":
            self._in_ref = True
            if self._stack:
                refs = self._stack[-1][1]
                assert isinstance(refs, list)
                refs.append(int(str(a["href"]).removeprefix("#fact-")))
        if tag == "title":
            self._in_title, self._title = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._in_prov:
            self._in_prov = False
        if self._in_prov:
            return
        if tag in ("td", "li") and self._stack:
            text, refs = self._stack.pop()
            assert isinstance(text, str) and isinstance(refs, list)
            self.cells.append((text, refs))
        if tag == "a":
            self._in_ref = False
        if tag == "title" and self._in_title:
            self._in_title = False
            self.map_refs += [int(m) for m in re.findall(r"\[(\d+)\]\s*$", self._title)]

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title += data
        if self._stack and not self._in_ref and not self._in_prov:
            self._stack[-1][0] = str(self._stack[-1][0]) + data


def cells_of(html: str) -> Cells:
    """Parse a rendered dossier."""
    p = Cells()
    p.feed(html)
    p.close()
    return p


def require_chromium() -> str:
    """The Chromium executable; a test failure (never a skip) saying how to install it."""
    import pytest

    from sanctionwatch.evidence.render import ChromiumMissing, chromium

    try:
        return chromium()
    except ChromiumMissing as exc:
        pytest.fail(f"{exc}. `make install` installs it (CI installs it through the Makefile).")


def check_provenance(html: str) -> Cells:
    """Assert that every table cell or list item showing a number carries a reference, that
    every reference (cells and map tooltips) resolves to a provenance row, and that every
    provenance row is referenced; returns the parse."""
    c = cells_of(html)
    assert c.fact_ids, "no provenance table"
    assert c.fact_ids == set(range(1, len(c.fact_ids) + 1))
    used: set[int] = set(c.map_refs)
    for text, refs in c.cells:
        if re.search(r"\d", text):
            assert refs, f"a cell shows a number without a provenance reference: {text!r}"
        unknown = set(refs) - c.fact_ids
        assert not unknown, f"{text!r} cites {sorted(unknown)}, not in the provenance table"
        used |= set(refs)
    assert set(c.map_refs) <= c.fact_ids
    assert c.fact_ids - used == set(), "provenance rows that nothing shown cites"
    return c
