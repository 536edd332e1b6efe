"""The property every AIS reader must keep on any input, checked by the fuzz tests and the
corpus replay.

Assumed contract (from ``sanctionwatch.ingest.ais``): a reader either yields canonical batches,
or raises :class:`~sanctionwatch.ingest.ais.base.IngestError` (a bad record in strict mode) or
:class:`~sanctionwatch.ingest.ais.base.FormatError` (a file whose structure cannot be read),
both ``ValueError`` subclasses whose message names the file. Any other exception is a crash.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.ingest.ais.base import FormatError, IngestError
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS

INPUT_ERRORS = (IngestError, FormatError)


def check_reader(path: Path, *, fmt: str | None = None) -> dict[str, int] | None:
    """Read ``path`` whole; return row counts, or None when it raised a documented input
    error naming the file. Any other exception propagates (the test fails)."""
    try:
        with raise_unraisable():
            batches = list(read_ais(path, fmt=fmt, batch_rows=64))
    except INPUT_ERRORS as exc:
        assert path.name in str(exc), f"input error does not name the file: {exc}"
        return None
    counts = {"positions": 0, "reports": 0, "rejects": 0}
    lines = _physical_records(path)
    # The row account (rows = positions + reports only + rejects + ignored) balances over the
    # file, once the readers keep one (Batch.unaccounted, issue 14 item 1).
    accounted = all(hasattr(b, "unaccounted") for b in batches)
    if accounted:
        assert sum(b.unaccounted() for b in batches) == 0, "row account does not balance"
        rows = sum(b.rows for b in batches)
        assert lines is None or rows <= lines, f"{rows} rows read from {lines} lines"
    for b in batches:
        for frame, table, key in ((b.positions, POSITIONS, "positions"),
                                  (b.reports, VESSEL_REPORTS, "reports"),
                                  (b.rejects, REJECTS, "rejects")):
            assert isinstance(frame, pl.DataFrame)
            assert set(table.names) <= set(frame.columns), f"{key}: columns {frame.columns}"
            counts[key] += frame.height
            if lines is not None and frame.height:
                rec = frame["record"].drop_nulls().to_list()
                assert all(1 <= r <= lines for r in rec), (
                    f"{key}: record outside lines 1..{lines}: {min(rec)}..{max(rec)}")
    return counts


def _physical_records(path: Path) -> int | None:
    """Lines of a plain text file (an upper bound for any ``record`` a text reader gives)."""
    data = path.read_bytes()
    if data[:4] == b"PAR1" or data[:6] == b"SQLite" or data[:2] == b"\x1f\x8b":
        return None
    return data.count(b"\n") + data.count(b"\r") + 1


class UnraisableError(AssertionError):
    """An exception swallowed in a callback (e.g. pyarrow's invalid-row handler): Python only
    prints it, and the row it concerned is lost."""


@contextmanager
def raise_unraisable() -> Iterator[None]:
    """Turn an exception Python could not raise (printed as "Exception ignored in") into a
    test failure once the block ends."""
    seen: list[Any] = []
    old = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield
    finally:
        sys.unraisablehook = old
    if seen:
        u = seen[0]
        raise UnraisableError(f"{type(u.exc_value).__name__} ignored in {u.object!r}: "
                              f"{u.exc_value}") from u.exc_value
