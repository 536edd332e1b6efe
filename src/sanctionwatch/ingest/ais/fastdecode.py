"""Vectorised decoding of AIS payloads (types 1, 2, 3, 5, 18, 19, 24, 27) with NumPy.

The payloads of each message type are turned into a matrix of 6-bit values (zero padded),
and every field is cut out of fixed character columns with integer arithmetic, for all
messages of the type at once: time and memory linear in the number of messages times the
characters read per type (at most 72), with no Python loop over messages. The values are
those of ``pyais`` (the oracle, checked field by field in
``tests/ingest/ais/test_fastdecode.py``): same names, scaling, rounding, text stripping and
"not available" codes, and the same handling of payloads shorter than the layout (a field
that starts past the end is missing, one that runs past it has only the bits present).
See ``docs/ingest-fastdecode.md``.

>>> d = decode_payloads([b"15M67FC000G?ufbE`FepT@3n00Sa"], [0])
>>> d.value("mmsi", 0), d.value("lat", 0), d.value("speed", 0)
(366053209, 37.802118, 0.0)
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["SUPPORTED_TYPES", "DecodedPayloads", "decode_packed", "decode_payloads",
           "payload_bits"]

SUPPORTED_TYPES: Final = frozenset({1, 2, 3, 5, 18, 19, 24, 27})

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Field kinds: unsigned int, signed int, bool, six-bit text, and the float conversions.
_U, _S, _B, _T = "u", "s", "b", "t"
_TENTH = "tenth"  # unsigned / 10 (speed, course, draught)
_LL = "ll"  # signed 1/10000 minute -> degrees, rounded to 6 places
_LL600 = "ll600"  # signed 1/10 minute -> degrees (type 27)
_FLOAT = "float"  # unsigned, as float (type 27 speed and course)
_TURN = "turn"  # signed rate of turn indicator -> deg/min as pyais computes it
_SHIP = "ship"  # ship type through pyais' ShipType enum (unknown codes -> 0)
_EPFD = "epfd"  # position fix type through pyais' EpfdType enum (9-14 -> 0)

_Layout = tuple[tuple[str, int, int, str], ...]
_HEAD: Final[_Layout] = (("msg_type", 0, 6, _U), ("repeat", 6, 2, _U), ("mmsi", 8, 30, _U))
_POS_A: Final[_Layout] = (
    *_HEAD,
    ("status", 38, 4, _U), ("turn", 42, 8, _TURN), ("speed", 50, 10, _TENTH),
    ("accuracy", 60, 1, _B), ("lon", 61, 28, _LL), ("lat", 89, 27, _LL),
    ("course", 116, 12, _TENTH), ("heading", 128, 9, _U), ("second", 137, 6, _U),
    ("maneuver", 143, 2, _U), ("raim", 148, 1, _B), ("radio", 149, 19, _U),
)
_CLASS_B_MOTION: Final[_Layout] = (
    ("reserved_1", 38, 8, _U), ("speed", 46, 10, _TENTH), ("accuracy", 56, 1, _B),
    ("lon", 57, 28, _LL), ("lat", 85, 27, _LL), ("course", 112, 12, _TENTH),
    ("heading", 124, 9, _U), ("second", 133, 6, _U),
)
_POS_B: Final[_Layout] = (
    *_HEAD, *_CLASS_B_MOTION,
    ("reserved_2", 139, 2, _U), ("cs", 141, 1, _B), ("display", 142, 1, _B),
    ("dsc", 143, 1, _B), ("band", 144, 1, _B), ("msg22", 145, 1, _B),
    ("assigned", 146, 1, _B), ("raim", 147, 1, _B), ("radio", 148, 20, _U),
)
_POS_19: Final[_Layout] = (
    *_HEAD, *_CLASS_B_MOTION,
    ("reserved_2", 139, 4, _U), ("shipname", 143, 120, _T), ("ship_type", 263, 8, _SHIP),
    ("to_bow", 271, 9, _U), ("to_stern", 280, 9, _U), ("to_port", 289, 6, _U),
    ("to_starboard", 295, 6, _U), ("epfd", 301, 4, _EPFD), ("raim", 305, 1, _B),
    ("dte", 306, 1, _B), ("assigned", 307, 1, _B),
)
_STATIC_5: Final[_Layout] = (
    *_HEAD,
    ("ais_version", 38, 2, _U), ("imo", 40, 30, _U), ("callsign", 70, 42, _T),
    ("shipname", 112, 120, _T), ("ship_type", 232, 8, _SHIP), ("to_bow", 240, 9, _U),
    ("to_stern", 249, 9, _U), ("to_port", 258, 6, _U), ("to_starboard", 264, 6, _U),
    ("epfd", 270, 4, _EPFD), ("month", 274, 4, _U), ("day", 278, 5, _U), ("hour", 283, 5, _U),
    ("minute", 288, 6, _U), ("draught", 294, 8, _TENTH), ("destination", 302, 120, _T),
    ("dte", 422, 1, _B),
)
_POS_27: Final[_Layout] = (
    *_HEAD,
    ("accuracy", 38, 1, _B), ("raim", 39, 1, _B), ("status", 40, 4, _U),
    ("lon", 44, 18, _LL600), ("lat", 62, 17, _LL600), ("speed", 79, 6, _FLOAT),
    ("course", 85, 9, _FLOAT), ("gnss", 94, 1, _B),
)
_24_A: Final[_Layout] = (*_HEAD, ("partno", 38, 2, _U), ("shipname", 40, 120, _T))
_24_B_HEAD: Final[_Layout] = (
    *_HEAD,
    ("partno", 38, 2, _U), ("ship_type", 40, 8, _U), ("vendorid", 48, 18, _T),
    ("model", 66, 4, _U), ("serial", 70, 20, _U), ("callsign", 90, 42, _T),
)
_24_B: Final[_Layout] = (
    *_24_B_HEAD,
    ("to_bow", 132, 9, _U), ("to_stern", 141, 9, _U), ("to_port", 150, 6, _U),
    ("to_starboard", 156, 6, _U),
)
_24_B_AUX: Final[_Layout] = (*_24_B_HEAD, ("mothership_mmsi", 132, 30, _U))

_LAYOUTS: Final[dict[int, _Layout]] = {
    1: _POS_A, 2: _POS_A, 3: _POS_A, 18: _POS_B, 19: _POS_19, 5: _STATIC_5, 27: _POS_27}

# Start bit of every field in every layout (a large number where the layout lacks it).
_ALL_LAYOUTS: Final = (_POS_A, _POS_B, _POS_19, _STATIC_5, _POS_27, _24_A, _24_B, _24_B_AUX)
_VARIANT: Final = {lay: i for i, lay in enumerate(_ALL_LAYOUTS)}
_NO_VARIANT: Final = len(_ALL_LAYOUTS)
_FIELD_INDEX: Final = {name: i for i, name in enumerate(
    dict.fromkeys(name for lay in _ALL_LAYOUTS for name, _, _, _ in lay))}
_OFFSETS: Final = np.full((_NO_VARIANT + 1, len(_FIELD_INDEX)), 1 << 40, dtype=np.int64)
for _i, _lay in enumerate(_ALL_LAYOUTS):
    for _name, _off, _width, _kind in _lay:
        _OFFSETS[_i, _FIELD_INDEX[_name]] = _off

_TEXT_FIELDS: Final = frozenset(
    name for lay in (*_LAYOUTS.values(), _24_A, _24_B) for name, _, _, k in lay if k == _T)
_FLOAT_KINDS: Final = frozenset({_TENTH, _LL, _LL600, _FLOAT, _TURN})
_FLOAT_FIELDS: Final = frozenset(
    name for lay in _LAYOUTS.values() for name, _, _, k in lay if k in _FLOAT_KINDS)
_BOOL_FIELDS: Final = frozenset(
    name for lay in _LAYOUTS.values() for name, _, _, k in lay if k == _B)

# Armoured ASCII -> 6-bit value, as pyais' bit_vector (bytes outside '0'..'w' give 0).
# Looked up on the characters a layout reads only (not on whole buffers).
_ARMOR: Final = np.array(
    [(c - 56 if c - 48 > 40 else c - 48) if 48 <= c <= 119 else 0 for c in range(256)],
    dtype=np.uint8)
# 6-bit value -> text character (AIS six-bit ASCII).
_SIXBIT: Final = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)
# Ship type as pyais' ShipType enum gives it for types 5 and 19: codes outside 20-99 and
# 38-39 become 0, the reserved codes x6-x8 of a category become its x5 ("reserved"), 57 -> 56.
_SHIP_TYPE: Final = np.arange(256, dtype=np.int64)
_SHIP_TYPE[:20] = 0
_SHIP_TYPE[100:] = 0
_SHIP_TYPE[38:40] = 0
_SHIP_TYPE[57] = 56
for _base in (20, 40, 60, 70, 80, 90):
    _SHIP_TYPE[_base + 6:_base + 9] = _base + 5
_EPFD_TYPE: Final = np.array([v if v <= 8 or v == 15 else 0 for v in range(16)], dtype=np.int64)
_MAX_CHARS: Final = 72  # 432 bits: past the last bit read (type 5 dte, bit 422)
# Characters that hold the last bit read of each type.
_CHARS: Final = {t: (max(o + w for _, o, w, _ in lay) + 5) // 6 for t, lay in _LAYOUTS.items()}
_CHARS[24] = (max(o + w for lay in (_24_A, _24_B, _24_B_AUX) for _, o, w, _ in lay) + 5) // 6


@dataclass(frozen=True)
class DecodedPayloads:
    """Decoded fields of ``n`` payloads, as columns.

    ``fields[name]`` has one entry per payload: int64 (enum fields as their codes), float64
    or bool arrays, and object arrays of ``str``/``None`` for text. ``present[name]`` says
    where the field exists: the message type has it and it starts before the payload's end
    (where pyais gives ``None``, or no attribute at all). ``error`` holds pyais' exception
    text for messages pyais cannot decode (type 24 part numbers 2 and 3), else ``None``.
    """

    msg_type: IntArray
    nbits: IntArray
    fields: dict[str, npt.NDArray[Any]]
    present: Mapping[str, BoolArray]
    error: list[str | None]

    def __len__(self) -> int:
        return len(self.msg_type)

    def value(self, name: str, i: int) -> Any:
        """Field ``name`` of message ``i`` as a Python value (``None`` where absent)."""
        if not self.present[name][i]:
            return None
        return self.fields[name][i].item() if name not in _TEXT_FIELDS else self.fields[name][i]

    def asdict(self, i: int) -> dict[str, Any]:
        """Every present field of message ``i`` (like ``pyais``' ``asdict``, spares left out)."""
        return {name: self.value(name, i) for name in self.fields if self.present[name][i]}


def payload_bits(payloads: Sequence[bytes], width: int = _MAX_CHARS,
                 ) -> tuple[npt.NDArray[np.uint8], IntArray]:
    """6-bit values (``n`` × at most ``width`` ≤ 72 characters, zero padded) and lengths."""
    flat, starts, lens = _joined(payloads)
    group = _Group(flat, starts, lens, width)
    return np.ascontiguousarray(group.by_col.T), lens


def decode_payloads(payloads: Sequence[bytes],
                    fills: Sequence[int] | npt.NDArray[np.integer[Any]],
                    only: Collection[str] | None = None) -> DecodedPayloads:
    """Decode AIS payloads (armoured ASCII, one message each) with their fill-bit counts.

    ``only`` limits the decoded fields to those names (``msg_type`` is always there).
    Messages of unsupported types get only ``msg_type`` and ``nbits``; check
    :data:`SUPPORTED_TYPES`. Empty payloads have type 0 and no fields.
    """
    flat, starts, lens = _joined(payloads)
    return _decode(flat, starts, lens, fills, only)


def decode_packed(data: npt.NDArray[np.uint8], starts: IntArray, lens: IntArray,
                  fills: Sequence[int] | npt.NDArray[np.integer[Any]],
                  only: Collection[str] | None = None) -> DecodedPayloads:
    """:func:`decode_payloads` of the payloads ``data[starts[i]:starts[i] + lens[i]]`` (bytes
    of armoured ASCII, e.g. the lines of a file packed end to end), without copying them out
    one by one."""
    return _decode(_padded(data), np.asarray(starts, dtype=np.int64),
                   np.asarray(lens, dtype=np.int64), fills, only)


def _decode(flat: npt.NDArray[np.uint8], starts: IntArray, lens: IntArray,
            fills: Sequence[int] | npt.NDArray[np.integer[Any]],
            only: Collection[str] | None) -> DecodedPayloads:
    n = len(lens)
    nbits = lens * 6 - np.asarray(fills, dtype=np.int64).reshape(n)
    msg_type = np.zeros(n, dtype=np.int64)
    some = lens > 0
    msg_type[some] = _ARMOR[flat[starts[some]]]
    # The msg_type field is the dispatch type, except that of a payload under 6 bits.
    fields: dict[str, npt.NDArray[Any]] = {"msg_type": msg_type.copy()}
    variant = np.full(n, _NO_VARIANT, dtype=np.int64)  # row of _OFFSETS, for `present`
    error: list[str | None] = [None] * n

    def store(rows: IntArray, group: _Group, layout: _Layout) -> None:
        bits = nbits[rows]
        variant[rows] = _VARIANT[layout]
        for name, off, width, kind in layout:
            if only is not None and name not in only:
                continue
            if name not in fields:
                fields[name] = _empty(name, n)
            fields[name][rows] = _field(group, bits, off, width, kind)

    for t in sorted(SUPPORTED_TYPES):
        rows = np.flatnonzero(msg_type == t)
        if not len(rows):
            continue
        group = _Group(flat, starts[rows], lens[rows], _CHARS[t])
        if t != 24:
            store(rows, group, _LAYOUTS[t])
            continue
        bits = nbits[rows]
        partno = _field(group, bits, 38, 2, _U)
        mmsi = _field(group, bits, 8, 30, _U)
        aux = (mmsi >= 980_000_000) & (mmsi <= 989_999_999)
        for sel, layout in ((partno == 0, _24_A), ((partno == 1) & ~aux, _24_B),
                            ((partno == 1) & aux, _24_B_AUX)):
            if sel.any():
                store(rows[sel], group.take(sel), layout)
        for i, p in zip(rows[partno > 1].tolist(), partno[partno > 1].tolist(), strict=True):
            error[i] = f"UnknownPartNoException: Partno {p} is not allowed!"
    return DecodedPayloads(msg_type, nbits, fields, _Presence(variant, nbits, fields), error)


class _Presence(Mapping[str, BoolArray]):
    """``present[name]``, computed when first asked for: the field starts before the end."""

    def __init__(self, variant: IntArray, nbits: IntArray,
                 fields: dict[str, npt.NDArray[Any]]) -> None:
        self._variant, self._nbits, self._names = variant, nbits, fields
        self._cache: dict[str, BoolArray] = {}

    def __getitem__(self, name: str) -> BoolArray:
        out = self._cache.get(name)
        if out is None:
            if name not in self._names:
                raise KeyError(name)
            if name == "msg_type":
                out = self._nbits > 0
            else:
                out = _OFFSETS[self._variant, _FIELD_INDEX[name]] < self._nbits
            self._cache[name] = out
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _joined(payloads: Sequence[bytes]) -> tuple[npt.NDArray[np.uint8], IntArray, IntArray]:
    """All payloads as one byte array (padded, see :func:`_padded`), with each one's start
    and length."""
    lens = np.fromiter(map(len, payloads), dtype=np.int64, count=len(payloads))
    starts = np.zeros(len(lens), dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    return _padded(np.frombuffer(b"".join(payloads), np.uint8)), starts, lens


def _padded(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The bytes with ``_MAX_CHARS`` zero characters after them: every row of
    :class:`_Group`'s windows stays in bounds. The bytes are armoured (to 6-bit values) only
    where a window takes them."""
    return np.concatenate([data, np.full(_MAX_CHARS, 48, np.uint8)])


class _Group:
    """6-bit values of some payloads, column by column: ``by_col[c]`` is character ``c``."""

    def __init__(self, flat: npt.NDArray[np.uint8], starts: IntArray, lens: IntArray,
                 width: int, by_col: npt.NDArray[np.uint8] | None = None) -> None:
        if by_col is None:
            width = int(min(lens.max(initial=0), width, _MAX_CHARS))
            # Rows of `width` bytes starting anywhere in `flat` (a strided view, no copy):
            # gathering whole rows is far cheaper than gathering byte by byte.
            windows = np.lib.stride_tricks.as_strided(
                flat, shape=(len(flat) - _MAX_CHARS, width), strides=(1, 1), writeable=False)
            by_col = np.ascontiguousarray(_ARMOR[windows[starts]].T)
            for c in range(int(lens.min(initial=width)), width):
                by_col[c, lens <= c] = 0  # past the payload's end
        self.by_col = by_col
        self.width, self.n = by_col.shape
        self._cols: dict[int, IntArray] = {}
        self._min_bits: int | None = None

    def min_bits(self, nbits: IntArray) -> int:
        """The shortest payload's length in bits (``nbits`` are this group's)."""
        if self._min_bits is None:
            self._min_bits = int(nbits.min()) if len(nbits) else 0
        return self._min_bits

    def col(self, c: int) -> IntArray:
        """Character ``c`` as int64 (zeros past the widest payload)."""
        out = self._cols.get(c)
        if out is None:
            if c < self.width:
                out = self.by_col[c].astype(np.int64)
            else:
                out = np.zeros(self.n, dtype=np.int64)
            self._cols[c] = out
        return out

    def take(self, sel: BoolArray) -> _Group:
        """The payloads where ``sel`` is true."""
        return _Group(np.zeros(_MAX_CHARS, np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64),
                      self.width, np.ascontiguousarray(self.by_col[:, sel]))


def _empty(name: str, n: int) -> npt.NDArray[Any]:
    if name in _TEXT_FIELDS:
        return np.full(n, None, dtype=object)
    if name in _FLOAT_FIELDS:
        return np.zeros(n, dtype=np.float64)
    if name in _BOOL_FIELDS:
        return np.zeros(n, dtype=np.bool_)
    return np.zeros(n, dtype=np.int64)


def _bits(group: _Group, nbits: IntArray, off: int, width: int,
          ) -> tuple[IntArray, IntArray | int]:
    """Bits ``off .. off+width`` of every row, and how many of them the payload has.

    A field that runs past the payload's end is the bits that are there, right-aligned (so
    fill bits never leak in); one that starts past it is 0. This is what pyais returns.
    """
    first, last = off // 6, (off + width - 1) // 6
    acc = group.col(first)
    for c in range(first + 1, last + 1):
        acc = (acc << 6) | group.col(c)
    value = (acc >> (6 * (last + 1) - off - width)) & ((1 << width) - 1)
    if group.min_bits(nbits) >= off + width:
        return value, width
    avail = np.clip(nbits - off, 0, width)
    short = avail < width
    value[short] >>= width - avail[short]
    return value, avail


def _field(group: _Group, nbits: IntArray, off: int, width: int,
           kind: str) -> npt.NDArray[Any]:
    """One field of every row, converted as pyais converts it."""
    if kind == _T:
        return _text(group, nbits, off, width)
    value, avail = _bits(group, nbits, off, width)
    if kind in (_S, _LL, _LL600, _TURN):
        # Two's complement on the bits present (a cut-off field's sign bit is its last).
        if isinstance(avail, int):
            value = np.where(value >> (avail - 1) == 1, value - (1 << avail), value)
        else:
            sign = (avail > 0) & (((value >> np.maximum(avail - 1, 0)) & 1) == 1)
            value = np.where(sign, value - (np.int64(1) << avail), value)
    if kind in (_U, _S):
        return value
    if kind == _B:
        flags: BoolArray = value != 0
        return flags
    if kind in (_SHIP, _EPFD):
        coded: IntArray = (_SHIP_TYPE if kind == _SHIP else _EPFD_TYPE)[value]
        return coded
    if kind == _TENTH:
        return value / 10.0
    if kind == _FLOAT:
        return value.astype(np.float64)
    if kind == _LL:
        # pyais: round(v / 600000, 6), computed exactly as round(5v/3) / 1e6
        return ((10 * value + 3) // 6) / 1e6
    if kind == _LL600:
        return ((10000 * value + 3) // 6) / 1e6
    return _turn(value)


def _turn(value: IntArray) -> npt.NDArray[np.float64]:
    """Rate of turn as pyais' ``to_turn``: ±127 and -128 are codes, else sign·round((v/4.733)²)."""
    v = value.astype(np.float64)
    out = np.copysign(np.rint(np.square(v / 4.733)), v)
    codes = (np.abs(value) == 127) | (np.abs(value) == 128)
    out[codes] = np.where(value[codes] == 128, -128.0, v[codes])
    return out


def _text(group: _Group, nbits: IntArray, off: int, width: int) -> npt.NDArray[Any]:
    """Six-bit text, '@' padding cut from the end, then blanks from both ends (as pyais)."""
    slots = width // 6
    first = off // 6
    if off % 6 == 0 and first + slots <= group.width and (nbits >= off + width).all():
        codes = _SIXBIT[group.by_col[first:first + slots]].T
    else:
        codes = np.empty((group.n, slots), dtype=np.uint8)
        for s in range(slots):
            codes[:, s] = _SIXBIT[_bits(group, nbits, off + 6 * s, 6)[0]]
    raw = np.ascontiguousarray(codes).view(f"S{slots}").ravel()
    stripped = np.strings.strip(np.strings.rstrip(raw, b"@"), b" ")
    out: npt.NDArray[Any] = np.array(stripped.astype(f"U{slots}").tolist(), dtype=object)
    return out
