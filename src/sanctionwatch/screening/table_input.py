"""Reading the CSV files that ``screen --input`` and ``score-pairs`` take.

A file either yields every row with its columns found, or raises :class:`ScreeningInputError`
naming the file, the line and the columns it has: a screening input is never read as empty.

- **Encoding**: UTF-8, with or without the byte-order mark Excel writes ("CSV UTF-8"); UTF-16
  with a byte-order mark (Excel's "Unicode Text"); or the ``encoding`` given.
- **Separator**: comma, or the one of ``;``, tab and ``|`` that the header line uses
  (Excel writes ``;`` in locales with a decimal comma).
- **Columns** are found by name, ignoring case, surrounding spaces and the difference between
  space, hyphen and underscore (``Name``, ``NAME``, ``Birth Date``), under the aliases of
  :data:`NAME_ALIASES` and :data:`FACT_ALIASES`; a name column may also be chosen exactly.
- **A file with one column** is a list of names: a row is its whole line, so an unquoted
  ``KIM, Jong Un`` stays one name. With several columns, a row with more fields than the header
  is an error (a name with an unquoted separator would otherwise be cut).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sanctionwatch.ingest.ais.base import FormatError
from sanctionwatch.ingest.ais.source import text_encoding

NAME_ALIASES = ("name", "full_name", "fullname")
"""Name column of ``screen --input``, in order of preference (after normalising the header)."""

FACT_ALIASES: dict[str, tuple[str, ...]] = {
    "schema": ("schema",),
    "imo": ("imo", "imo_number"),
    "country": ("country", "country_code"),
    "birth_date": ("birth_date", "birthdate", "date_of_birth", "dob"),
}
"""Optional columns of ``screen --input``: canonical name → accepted headers."""

PAIR_COLUMNS: dict[str, tuple[str, ...]] = {
    "name1": ("name1", "name_1"),
    "name2": ("name2", "name_2"),
}
"""Required columns of ``score-pairs`` (``schema`` is optional, as in :data:`FACT_ALIASES`)."""

SCHEMATA = ("Person", "Organization", "Company", "LegalEntity", "Vessel")
"""Schemata a query may give (any case): the keys of the index's compatibility table."""

_SEPARATORS = (";", "\t", "|")
# 9004700, IMO 9004700, IMO9004700, and Excel's 9004700.0
_IMO_CELL = re.compile(r"^\s*(?:IMO\s*)?(\d{7})(?:\.0+)?\s*$", re.IGNORECASE)


class ScreeningInputError(ValueError):
    """A screening input that cannot be read as asked; the message names file and columns."""


@dataclass(frozen=True, slots=True)
class InputTable:
    """A screening input: its header as written and its rows keyed by canonical column."""

    path: Path
    header: tuple[str, ...]
    rows: list[dict[str, str]]
    """Per row: every canonical column found (``name``, ``schema``...) → its text."""
    raw: list[list[str]]
    """Per row: the fields as written, padded to the header's width."""
    columns: dict[str, str]
    """Canonical column → the header it was found under."""
    warnings: tuple[str, ...] = ()
    """Cells that were not used, for the user to see."""


def normalise_header(text: str) -> str:
    """``' Birth-Date '`` → ``'birth_date'``: how column names are compared."""
    return "_".join(text.strip().casefold().replace("-", " ").replace("_", " ").split())


def read_screening_input(
    path: Path, name_column: str | None = None, encoding: str | None = None
) -> InputTable:
    """The rows of a ``screen --input`` file, each with ``name`` and the facts it has."""
    header, raw = _read(path, encoding)
    columns = {"name": _name_column(path, header, name_column)}
    columns.update(_optional(header, FACT_ALIASES, exclude=columns["name"]))
    return _table(path, header, raw, columns)


def read_pairs_input(path: Path, encoding: str | None = None) -> InputTable:
    """The rows of a ``score-pairs`` file, each with ``name1``, ``name2`` and maybe ``schema``."""
    header, raw = _read(path, encoding)
    columns = _optional(header, PAIR_COLUMNS)
    missing = [c for c in PAIR_COLUMNS if c not in columns]
    if missing:
        raise ScreeningInputError(
            f"{path}: no {' or '.join(missing)} column; expected columns name1, name2 "
            f"(schema optional), found: {_show(header)}"
        )
    columns.update(_optional(header, {"schema": FACT_ALIASES["schema"]}))
    return _table(path, header, raw, columns)


def canonical_schema(value: str) -> str | None:
    """``'vessel'`` → ``'Vessel'``; ``None`` for an empty value; ValueError if not screenable."""
    text = value.strip()
    if not text:
        return None
    for schema in SCHEMATA:
        if schema.casefold() == text.casefold():
            return schema
    raise ValueError(f"schema {value!r} is not one of {', '.join(SCHEMATA)}")


def _table(
    path: Path, header: Sequence[str], raw: list[list[str]], columns: dict[str, str]
) -> InputTable:
    at = {c: header.index(h) for c, h in columns.items()}
    rows = [{c: fields[i] for c, i in at.items()} for fields in raw]
    if "schema" in at:
        for n, row in enumerate(rows, start=1):
            try:
                row["schema"] = canonical_schema(row["schema"]) or ""
            except ValueError as exc:
                raise ScreeningInputError(f"{path}: data row {n}: {exc}") from exc
    warnings: list[str] = []
    if "imo" in at:
        bad = []
        for n, row in enumerate(rows, start=1):
            m = _IMO_CELL.match(row["imo"])
            if row["imo"].strip() and not m:
                bad.append((n, row["imo"]))
            row["imo"] = m.group(1) if m else ""
        if bad:
            n, value = bad[0]
            warnings.append(
                f"{path}: {len(bad)} {columns['imo']!r} cells are not a 7-digit IMO number and "
                f"were not used (first: data row {n}, {value!r})"
            )
    return InputTable(path, tuple(header), rows, raw, columns, tuple(warnings))


def _name_column(path: Path, header: Sequence[str], chosen: str | None) -> str:
    if chosen is not None:
        exact = [h for h in header if h == chosen]
        loose = [h for h in header if normalise_header(h) == normalise_header(chosen)]
        found = exact or loose
        if len(found) == 1:
            return found[0]
        why = "is ambiguous" if found else "is not a column"
        raise ScreeningInputError(
            f"{path}: --name-column {chosen!r} {why}; columns: {_show(header)}"
        )
    for alias in NAME_ALIASES:
        found = [h for h in header if normalise_header(h) == alias]
        if len(found) > 1:
            raise ScreeningInputError(
                f"{path}: several name columns ({_show(found)}); choose one with --name-column"
            )
        if found:
            return found[0]
    raise ScreeningInputError(
        f"{path}: no name column (looked for {', '.join(NAME_ALIASES)}, any case); "
        f"columns: {_show(header)}; choose one with --name-column"
    )


def _optional(
    header: Sequence[str], aliases: dict[str, tuple[str, ...]], exclude: str | None = None
) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            found = [h for h in header if normalise_header(h) == alias and h != exclude]
            if found:
                out[canonical] = found[0]
                break
    return out


def _show(columns: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in columns) if columns else "none"


def _read(path: Path, encoding: str | None) -> tuple[list[str], list[list[str]]]:
    """Header and rows (padded to the header's width), or :class:`ScreeningInputError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScreeningInputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if data.startswith(b"PK\x03\x04"):
        raise ScreeningInputError(
            f"{path}: is a zip archive (an Excel workbook?), not CSV; save it as 'CSV UTF-8'"
        )
    text = _decode(path, data, encoding)
    first = text.split("\n", 1)[0]
    sep = "," if "," in first else next((s for s in _SEPARATORS if s in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    start = 1  # the line where the record being read begins (a quoted value may span lines)
    try:
        header = next(reader, [])
        if not any(h.strip() for h in header):
            raise ScreeningInputError(f"{path}: empty file or empty header line, no columns")
        header = [h.strip() for h in header]
        rows: list[list[str]] = []
        start = reader.line_num + 1
        for fields in reader:
            if len(header) == 1:
                fields = [sep.join(fields)]
            elif len(fields) > len(header):
                raise ScreeningInputError(
                    f"{path}: line {start} has {len(fields)} fields for {len(header)} "
                    f"columns ({_show(header)}); quote values that contain {sep!r}"
                )
            if any(f.strip() for f in fields):  # else a blank line
                rows.append(fields + [""] * (len(header) - len(fields)))
            start = reader.line_num + 1
    except csv.Error as exc:
        why = (
            "a quoted value is never closed" if "end of data" in str(exc) else str(exc)
        )
        raise ScreeningInputError(f"{path}: line {start}: {why}") from exc
    if not rows:
        raise ScreeningInputError(f"{path}: a header ({_show(header)}) but no rows")
    return header, rows


def _decode(path: Path, data: bytes, encoding: str | None) -> str:
    # the AIS readers' rule: the declared codec, else a byte order mark, else UTF-8
    try:
        encoding, bom = text_encoding(data[:4], encoding)
    except FormatError as exc:
        raise ScreeningInputError(f"{path}: unknown encoding {encoding!r}") from exc
    try:
        return data[bom:].decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScreeningInputError(
            f"{path}: line {line}: byte {data[exc.start]:#04x} is not {encoding}; save the file "
            "as 'CSV UTF-8' or give its encoding with --encoding (e.g. cp1252)"
        ) from exc
