"""Shared pieces of the AIS readers: batches, rejects, errors, row buffers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS, Table

RAW_MAX_CHARS = 500
"""Raw text kept with a reject, characters."""


class IngestError(ValueError):
    """A bad input record in strict mode: names the file, the record and the reason."""

    def __init__(self, source: str | Path, record: int, reason: str, detail: str = "") -> None:
        self.source = str(source)
        self.record = record
        self.reason = reason
        self.detail = detail
        super().__init__(f"{self.source}:{record}: {reason}" + (f": {detail}" if detail else ""))


class FormatError(ValueError):
    """A file whose structure cannot be read: no known layout, unsupported SRS, no header."""


@dataclass
class Batch:
    """A chunk of parsed input: canonical positions, vessel reports and rejects."""

    positions: pl.DataFrame
    reports: pl.DataFrame
    rejects: pl.DataFrame

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
