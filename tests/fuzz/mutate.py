"""Mutations of real sample files for the fuzz tests, as Hypothesis strategies.

A mutation is a small edit a broken export, a bad copy or a careless hand makes: a flipped
byte, a cut, an inserted quote, newline or Latin-1 byte, a dropped column, a ragged row.
Every strategy draws a list of edits and applies them to the seed bytes in order, so a failing
example shrinks to the fewest, smallest edits.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CORPUS = Path(__file__).resolve().parent / "corpus"

PROFILE_ENV = "SANCTIONWATCH_FUZZ"
"""Environment variable choosing the fuzz profile: ``ci`` (default, time-boxed for
``make test``) or ``long`` (``make fuzz``)."""

settings.register_profile(
    "fuzz-ci", max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "fuzz-long", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
FUZZ = settings.get_profile(f"fuzz-{os.environ.get(PROFILE_ENV, 'ci')}")
"""Settings of every fuzz test: derandomized in CI (a failure replays on the next run), random
and a thousand examples a test under ``make fuzz``."""

INSERTS = (
    b'"', b'""', b"\n", b"\r\n", b"\r", b"\xe9", b"\xff", b"\xc3", b"\x00", b",", b";",
    b"\t", b"\\", b"*", b"!", b"$", b"<", b">", b"&", b"{", b"}", b"[", b"]", b"-",
    b"\xef\xbb\xbf", b"=HYPERLINK(\"x\")", b"9999", b"0001-01-01T00:00:00", b"NaN", b"1e309",
    b"-0", b"\"a\nb\"", b"!AIVDM,2,1,7,A,", b"\\s:x*00\\", b"<?xml", b"]]>",
)
"""Bytes worth inserting: quotes, line ends, Latin-1 / truncated UTF-8 / NUL, delimiters,
NMEA and XML framing characters, extreme numbers and times."""

Edit = Callable[[bytes], bytes]


@st.composite
def _byte_edit(draw: st.DrawFn) -> Edit:
    kind = draw(st.sampled_from(("flip", "truncate", "insert", "delete", "replace",
                                 "dup_line", "drop_line")))
    frac = draw(st.floats(0.0, 1.0))
    if kind == "flip":
        bit = draw(st.integers(0, 7))
        return lambda b: b if not b else _at(b, frac, lambda i: b[:i] + bytes([b[i] ^ (1 << bit)])
                                                   + b[i + 1:])
    if kind == "truncate":
        return lambda b: b[: int(len(b) * frac)]
    if kind == "insert":
        token = draw(st.sampled_from(INSERTS) | st.binary(min_size=1, max_size=4))
        return lambda b: b[: int(len(b) * frac)] + token + b[int(len(b) * frac):]
    if kind == "delete":
        n = draw(st.integers(1, 64))
        return lambda b: b[: int(len(b) * frac)] + b[int(len(b) * frac) + n:]
    if kind == "replace":
        token = draw(st.sampled_from(INSERTS))
        return lambda b: b if not b else _at(b, frac, lambda i: b[:i] + token + b[i + len(token):])
    lines_edit = _dup_line if kind == "dup_line" else _drop_line
    return lambda b: lines_edit(b, frac)


def _at(b: bytes, frac: float, f: Callable[[int], bytes]) -> bytes:
    return f(min(int(len(b) * frac), len(b) - 1))


def _dup_line(b: bytes, frac: float) -> bytes:
    lines = b.split(b"\n")
    i = min(int(len(lines) * frac), len(lines) - 1)
    return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1:]])


def _drop_line(b: bytes, frac: float) -> bytes:
    lines = b.split(b"\n")
    i = min(int(len(lines) * frac), len(lines) - 1)
    return b"\n".join(lines[:i] + lines[i + 1:])


@st.composite
def _table_edit(draw: st.DrawFn, delimiter: bytes) -> Edit:
    """Column-aware edits of delimited text: drop a column, make a row ragged, blank a cell."""
    kind = draw(st.sampled_from(("drop_column", "drop_header_cell", "ragged", "blank_cell",
                                 "swap_columns")))
    a = draw(st.floats(0.0, 1.0))
    c = draw(st.floats(0.0, 1.0))

    def edit(b: bytes) -> bytes:
        lines = b.split(b"\n")
        rows = [ln.split(delimiter) for ln in lines]
        width = max((len(r) for r in rows), default=1)
        col = min(int(width * c), width - 1)
        row = min(int(len(rows) * a), len(rows) - 1)
        if kind == "drop_column":
            rows = [r[:col] + r[col + 1:] for r in rows]
        elif kind == "drop_header_cell":
            rows[0] = rows[0][:col] + rows[0][col + 1:]
        elif kind == "ragged":
            r = rows[row]
            rows[row] = r[: max(len(r) - 1 - col, 0)] if col % 2 else [*r, *([b"x"] * (col + 1))]
        elif kind == "blank_cell":
            r = rows[row]
            if col < len(r):
                r[col] = b""
        else:
            rows = [[*r[col:], *r[:col]] if i == 0 else r for i, r in enumerate(rows)]
        return b"\n".join(delimiter.join(r) for r in rows)

    return edit


def mutated(seed: bytes, *, delimiter: bytes | None = None, max_edits: int = 4
            ) -> st.SearchStrategy[bytes]:
    """``seed`` after 1 to ``max_edits`` edits (byte edits, and column edits when the seed is
    delimited text with ``delimiter``)."""
    edit = _byte_edit()
    if delimiter is not None:
        edit = edit | _table_edit(delimiter)

    def apply(edits: list[Edit]) -> bytes:
        out = seed
        for e in edits:
            out = e(out)
        return out

    return st.lists(edit, min_size=1, max_size=max_edits).map(apply)


def head_lines(path: Path, n: int, *, skip: int = 0) -> bytes:
    """The first line (header) and the ``n`` lines after ``skip`` more of ``path``, as bytes."""
    with path.open("rb") as fh:
        lines = fh.read().split(b"\n")
    return b"\n".join([lines[0], *lines[1 + skip: 1 + skip + n]]) + b"\n"
