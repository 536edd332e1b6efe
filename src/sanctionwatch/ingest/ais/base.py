"""Shared pieces of the AIS readers: batches, rejects, errors, row buffers."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import polars as pl

from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS, Table

_T = TypeVar("_T")

RAW_MAX_CHARS = 500
"""Raw text kept with a reject, characters."""


EARLIEST_TIME: Final = datetime(1998, 1, 1, tzinfo=UTC)
"""Times before this are impossible for AIS and rejected as ``impossible_time``: AIS was
first specified in 1998, by Recommendation ITU-R M.1371 (its first edition, M.1371-0) and
the IMO performance standard of resolution MSC.74(69), annex 3; ships carried it from 2002
(SOLAS chapter V, regulation 19). A 1970 or 0001 time is a zeroed or broken clock."""
FUTURE_MARGIN: Final = timedelta(days=1)
"""Times later than the moment of reading plus this are impossible (no receiver records the
future) and rejected as ``impossible_time``. The margin covers local times labelled UTC (the
largest offset, UTC+14) and receiver clock error; the cutoff used is in each reject's
detail, so a rerun can tell why a row was refused."""


def latest_time(now: datetime | None = None) -> datetime:
    """The latest possible time of a record read at ``now`` (default: the current time),
    from the start of its hour (so that the reads of one hour share their cutoff)."""
    return (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0) + FUTURE_MARGIN


class IngestError(ValueError):
    """A bad input record in strict mode: names the file, the record and the reason."""

    def __init__(self, source: str | Path, record: int, reason: str, detail: str = "") -> None:
        self.source = str(source)
        self.record = record
        self.reason = reason
        self.detail = detail
        super().__init__(f"{self.source}:{record}: {reason}" + (f": {detail}" if detail else ""))


class FormatError(ValueError):
    """A file whose structure cannot be read: no known layout, unsupported SRS, no header,
    a corrupt Parquet file. The message names the file."""


class UnknownInput(FormatError):
    """A file that is not AIS input these readers know (empty, unreadable, not NMEA, CSV,
    Parquet or GeoPackage, or a header that matches no layout): skipped with a warning when
    other inputs are read (:func:`sanctionwatch.ingest.files.ingest`)."""


@dataclass
class Batch:
    """A chunk of parsed input: canonical positions, vessel reports and rejects, and the
    account of the input rows it covers.

    Over a whole file, ``rows`` = positions + ``reports_only`` + rejects + the values of
    ``ignored``: every row read is a position, a report only, a reject or ignored by kind
    (a row may also give a report besides its position; reports are deduplicated, so they
    are counted here as rows, not as reports emitted). A reader may account for a row in a
    later batch than the one it read it in (a multi-sentence message), never in none.
    """

    positions: pl.DataFrame
    reports: pl.DataFrame
    rejects: pl.DataFrame
    rows: int = 0
    """Input rows accounted for: CSV records (a blank line is one), NMEA lines, Parquet rows,
    GeoPackage features."""
    reports_only: int = 0
    """Accepted rows with static data and no position."""
    ignored: dict[str, int] = field(default_factory=dict)
    """Rows that carry neither a position nor static data and are not errors, by kind."""

    def unaccounted(self) -> int:
        """Rows not accounted for (0 when the account balances)."""
        return (self.rows - self.positions.height - self.reports_only - self.rejects.height
                - sum(self.ignored.values()))

    @classmethod
    def empty(cls) -> Batch:
        """A batch with no rows."""
        return cls(POSITIONS.empty(), VESSEL_REPORTS.empty(), REJECTS.empty())


@dataclass
class RowBuffer:
    """Accumulates rows of one canonical table as column lists (cheaper than dicts per row)."""

    table: Table
    columns: dict[str, list[Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = {name: [] for name in self.table.names}

    def __len__(self) -> int:
        return len(self.columns[self.table.names[0]])

    def append(self, **values: Any) -> None:
        """Append one row; columns not given are null."""
        for name, col in self.columns.items():
            col.append(values.get(name))

    def take(self) -> pl.DataFrame:
        """Return the buffered rows as a frame with the table's schema, and clear the buffer."""
        schema = self.table.polars_schema()
        df = pl.DataFrame(self.columns, schema=schema, strict=False)
        self.columns = {name: [] for name in self.table.names}
        return df


class Rejects:
    """Collects rejected records; raises :class:`IngestError` at the first one when strict."""

    def __init__(self, source: str | Path, strict: bool) -> None:
        self.source = str(source)
        self.strict = strict
        self.buffer = RowBuffer(REJECTS)

    def add(self, record: int, reason: str, detail: str = "", raw: str = "") -> None:
        """Record a reject (or raise in strict mode)."""
        if self.strict:
            raise IngestError(self.source, record, reason, detail)
        self.buffer.append(
            source=self.source, record=record, reason=reason, detail=detail or None,
            raw=raw[:RAW_MAX_CHARS] if raw else None,
        )

    def __len__(self) -> int:
        return len(self.buffer)

    def take(self) -> pl.DataFrame:
        """Buffered rejects as a REJECTS frame (buffer cleared)."""
        return self.buffer.take()


def reject_counts(batches: Iterator[Batch] | list[Batch]) -> dict[str, int]:
    """Count rejects by reason over batches (for tests and summaries)."""
    counts: dict[str, int] = {}
    for b in batches:
        for reason in b.rejects["reason"].to_list():
            counts[reason] = counts.get(reason, 0) + 1
    return counts


_END = object()


def prefetch(items: Iterator[_T], depth: int = 1) -> Iterator[_T]:
    """``items``, produced on a thread of their own up to ``depth`` ahead of the consumer.

    For a reader's input stage (Arrow reading and parsing, which release the GIL) to run
    beside its conversion (Polars, likewise). The items and their order are those of
    ``items``; an exception raised by it is raised here, at its place in the order. Closing
    this generator early stops the thread and closes ``items`` there.
    """
    box: queue.Queue[tuple[object, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[object, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    break
        except BaseException as exc:  # handed to the consumer, raised there
            put((_END, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        put((_END, None))

    thread = threading.Thread(target=produce, name="sw-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = box.get()
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
