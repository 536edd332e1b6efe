"""A ship-registry CSV: IMO number → name, flag, registered owner, ship manager, operator over time.

The Equasis-style facts an analyst collects, one row per IMO number and period. Columns (a
header row is required; order free; names case-insensitive):

``imo, date_from, date_to, name, flag, registered_owner, ship_manager, operator, source``

``imo`` (7 digits, check digit valid; ``IMO 8909575`` is accepted) is required; dates are ISO
``YYYY-MM-DD`` (``date_from`` empty: unknown, ``date_to`` empty: still current); a row must state
at least one of name, flag, owner, manager, operator. Every row that breaks a rule is rejected
with its reason and the line it starts on (a quoted cell may span lines); blank lines are not
rows. A file that cannot be read as such a CSV at all (not UTF-8, no header, a missing or unknown
column) raises :class:`RegistryFormatError` naming the file and line. Rows are stored in the
``registry_facts`` table (:mod:`sanctionwatch.store.registry`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from sanctionwatch.ids import imo_is_valid
from sanctionwatch.schema import REGISTRY_FACTS

COLUMNS = ("imo", "date_from", "date_to", "name", "flag", "registered_owner", "ship_manager",
           "operator", "source")
"""The columns of a registry CSV, all required in the header."""
FACT_COLUMNS = ("name", "flag", "registered_owner", "ship_manager", "operator")
"""A row must fill at least one of these."""
RAW_CHARS = 500
"""A rejected row's raw text is kept up to this many characters (as for AIS rejects)."""


class RegistryFormatError(ValueError):
    """A registry file that cannot be read at all: names the file, the line and the reason."""

    def __init__(self, path: str | Path, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}: line {line}: {reason}")


@dataclass(frozen=True)
class RegistryReject:
    """A row that was not stored, and why."""

    source_file: str
    line: int
    reason: str  # missing_imo, invalid_imo, invalid_date, date_order, no_facts, wrong_cell_count
    detail: str
    raw: str


@dataclass
class RegistryRead:
    """A registry file read: the good rows (``registry_facts`` columns) and the rejects."""

    path: str
    facts: pl.DataFrame
    rejects: list[RegistryReject] = field(default_factory=list)


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _imo(value: str) -> int | None:
    text = value.upper().replace("IMO", "").strip()
    return int(text) if text.isdigit() else None


def read_registry(path: str | Path) -> RegistryRead:
    """Read a registry CSV into its good rows and its rejected rows (see the module docstring)."""
    source = str(path)
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{source}: no such file")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RegistryFormatError(source, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x})"
                                  ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise RegistryFormatError(source, 1, f"not CSV: {exc}") from None
    if not header or not any(h.strip() for h in header):
        raise RegistryFormatError(source, 1, "no header row (expected " + ", ".join(COLUMNS) + ")")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [h for h in names if h not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(repr(u) for u in unknown))
        if len(set(names)) != len(names):
            parts.append("a column named twice")
        raise RegistryFormatError(source, 1, "; ".join(parts) + " (expected "
                                  + ", ".join(COLUMNS) + ")")
    # split as the csv reader splits, so that line numbers and raw text agree
    lines = [ln.rstrip("\r\n") for ln in io.StringIO(text, newline="").readlines()]
    rows: list[dict[str, object]] = []
    rejects: list[RegistryReject] = []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise RegistryFormatError(source, start, f"not CSV: {exc}") from None
        end = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        raw = "\n".join(lines[start - 1:end])[:RAW_CHARS]

        def reject(reason: str, detail: str, start: int = start, raw: str = raw) -> None:
            rejects.append(RegistryReject(source, start, reason, detail, raw))

        if len(cells) != len(names):
            reject("wrong_cell_count", f"{len(cells)} cells, header has {len(names)}")
            continue
        row = {n: c.strip() for n, c in zip(names, cells, strict=True)}
        if not row["imo"]:
            reject("missing_imo", "empty imo")
            continue
        imo = _imo(row["imo"])
        if imo is None or not imo_is_valid(imo):
            reject("invalid_imo", f"imo {row['imo']!r} is not a 7-digit IMO number with a "
                   "valid check digit")
            continue
        try:
            start_day, end_day = _date(row["date_from"]), _date(row["date_to"])
        except ValueError:
            reject("invalid_date", f"date_from {row['date_from']!r} / date_to "
                   f"{row['date_to']!r}: dates are YYYY-MM-DD")
            continue
        if start_day and end_day and end_day < start_day:
            reject("date_order", f"date_to {end_day} is before date_from {start_day}")
            continue
        if not any(row[c] for c in FACT_COLUMNS):
            reject("no_facts", "none of " + ", ".join(FACT_COLUMNS) + " is given")
            continue
        rows.append({
            "imo": imo, "date_from": start_day, "date_to": end_day,
            **{c: " ".join(row[c].split()) or None for c in (*FACT_COLUMNS, "source")},
            "source_file": source, "line": start,
        })
    facts = pl.DataFrame(rows, schema=REGISTRY_FACTS.polars_schema(), orient="row")
    return RegistryRead(source, facts, rejects)


__all__ = ["COLUMNS", "RegistryFormatError", "RegistryRead", "RegistryReject", "read_registry"]
