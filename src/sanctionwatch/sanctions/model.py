"""Statements with provenance, the builder loaders use, and rebuilding entities from statements.

A *statement* is one fact: entity ``entity_id`` (of ``schema``) has ``prop`` = ``value``, as
published in list ``dataset`` dated ``list_date``, in the source record ``source_record``.
This follows FollowTheMoney / nomenklatura statements; ``prop == "id"`` marks that the entity
exists (FtM's ``BASE_ID``), so an entity with no other property still survives a round trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
from followthemoney import model
from followthemoney.proxy import EntityProxy
from followthemoney.schema import Schema

from sanctionwatch.schema import SANCTION_STATEMENTS

BASE_PROP = "id"

STATEMENT_SCHEMA: dict[str, pl.DataType] = SANCTION_STATEMENTS.polars_schema()
"""The Polars schema of statement frames: the stored table ``sanction_statements``."""


class ListFormatError(ValueError):
    """A list file that cannot be read: names the file, the record and the reason."""

    def __init__(self, path: str | Path, record: str, reason: str) -> None:
        self.path = str(path)
        self.record = record
        self.reason = reason
        super().__init__(f"{self.path}: {record}: {reason}")


def read_text(path: Path) -> str:
    """The whole of a UTF-8 list file (a BOM is dropped); a byte that is not UTF-8 raises
    :class:`ListFormatError` naming its line, never ``UnicodeDecodeError``."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ListFormatError(
            path, f"line {line}", f"not UTF-8 text (byte 0x{data[exc.start]:02x}: {exc.reason})"
        ) from None


def json_entries(path: Path) -> list[Any]:
    """The ``entries`` list of a JSON list transcription (the UK and EU files); a file that is
    not JSON, or has no such list, raises :class:`ListFormatError` naming the line or part."""
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise ListFormatError(path, f"line {exc.lineno}", f"not JSON: {exc.msg}") from None
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ListFormatError(path, "top level", "expected an object with an 'entries' list")
    return entries


class Statement(NamedTuple):
    """One fact with its provenance (see the module docstring)."""

    entity_id: str
    schema: str
    prop: str
    value: str
    dataset: str
    list_date: date
    source_record: str
    first_seen: date


@dataclass(frozen=True)
class ListMeta:
    """What a loader learned about the list file: name, version date and how it was dated."""

    dataset: str
    list_date: date
    list_date_source: str
    format: str
    path: str


@dataclass
class ParsedList:
    """A whole list file read into statements (nothing is stored yet)."""

    meta: ListMeta
    statements: list[Statement] = field(default_factory=list)

    def frame(self) -> pl.DataFrame:
        """The statements as a Polars frame (``STATEMENT_SCHEMA``), duplicates dropped."""
        df = pl.DataFrame(self.statements, schema=STATEMENT_SCHEMA, orient="row")
        return df.unique(["entity_id", "prop", "value"], keep="first", maintain_order=True)

    def entities(self) -> list[EntityProxy]:
        """The entities rebuilt from the statements, in file order."""
        return entities_from_statements(self.statements)

    def counts(self) -> dict[str, int]:
        """Entities per schema."""
        out: dict[str, int] = {}
        for st in self.statements:
            if st.prop == BASE_PROP:
                out[st.schema] = out.get(st.schema, 0) + 1
        return dict(sorted(out.items()))


class EntityBuilder:
    """Collects the statements of one entity, cleaning each value with its FtM property type."""

    def __init__(
        self, schema: str, entity_id: str, meta: ListMeta, source_record: str
    ) -> None:
        self.schema: Schema = model.get(schema)  # type: ignore[assignment]  # name is ours
        if self.schema is None:
            raise ValueError(f"unknown FtM schema {schema!r}")
        self.id = entity_id
        self.meta = meta
        self.source_record = source_record
        self.statements: list[Statement] = []
        self._seen: set[tuple[str, str]] = set()
        self._emit(BASE_PROP, entity_id, source_record)

    def _emit(self, prop: str, value: str, record: str) -> None:
        if (prop, value) in self._seen:
            return
        self._seen.add((prop, value))
        m = self.meta
        self.statements.append(
            Statement(self.id, self.schema.name, prop, value, m.dataset, m.list_date, record,
                      m.list_date)
        )

    def add(
        self, prop: str, value: str | None, record: str | None = None, quiet: bool = False
    ) -> bool:
        """Add ``value`` (cleaned; blank or invalid values are dropped); True when kept.

        An unknown property is an error unless ``quiet`` (then the value is dropped).
        """
        if value is None:
            return False
        value = " ".join(value.split())
        if not value or value == "-0-":
            return False
        p = self.schema.get(prop)
        if p is None:
            if quiet:
                return False
            raise ValueError(f"{self.schema.name} has no property {prop!r}")
        cleaned = p.type.clean(value)
        if cleaned is None:
            return False
        self._emit(prop, cleaned, record or self.source_record)
        return True

    def has(self, prop: str) -> bool:
        """True when ``prop`` already has a value."""
        return any(p == prop for p, _ in self._seen)


def entities_from_statements(statements: Iterable[Statement]) -> list[EntityProxy]:
    """Rebuild FtM entities (one per entity id, in first-seen order) from statements."""
    props: dict[str, dict[str, list[str]]] = {}
    schemata: dict[str, str] = {}
    datasets: dict[str, list[str]] = {}
    for st in statements:
        schemata.setdefault(st.entity_id, st.schema)
        ds = datasets.setdefault(st.entity_id, [])
        if st.dataset not in ds:
            ds.append(st.dataset)
        entity_props = props.setdefault(st.entity_id, {})
        if st.prop != BASE_PROP:
            values = entity_props.setdefault(st.prop, [])
            if st.value not in values:
                values.append(st.value)
    out = []
    for eid, p in props.items():
        proxy = model.get_proxy({"id": eid, "schema": schemata[eid], "properties": p}, cleaned=True)
        # the lists an entity comes from travel with it (screening reports them)
        proxy.context["datasets"] = datasets[eid]
        out.append(proxy)
    return out


def rows_to_statements(rows: Iterable[tuple[object, ...]]) -> Iterator[Statement]:
    """Statements from rows in ``STATEMENT_SCHEMA`` column order (e.g. a DuckDB fetch)."""
    for r in rows:
        yield Statement(*r)  # type: ignore[arg-type]  # column order is STATEMENT_SCHEMA


_SLUG_RE = re.compile(r"[^0-9a-z]+")


def slug(text: str) -> str:
    """Lower-case ASCII slug for entity ids: ``'Blue Nouvelle'`` → ``'blue-nouvelle'``."""
    return _SLUG_RE.sub("-", text.lower()).strip("-")


_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")


def date_from_name(path: Path) -> tuple[date, str] | None:
    """A list date written in the file or folder name (``…_2020-06-04.csv``, ``…_2019-01/``).

    A year-month name gives the first of the month; the second item says so.
    """
    for part in (path.name, path.parent.name):
        m = _DATE_IN_NAME.search(part)
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), m.group(3)
            try:
                if d is None:
                    return date(y, mo, 1), f"name {part!r} (year-month only, day 1 assumed)"
                return date(y, mo, int(d)), f"name {part!r}"
            except ValueError:
                continue
    return None


def resolve_list_date(
    path: Path, given: date | None, from_file: tuple[date, str] | None = None
) -> tuple[date, str]:
    """The list date: given by the caller, else from the file content, else from its name."""
    if given is not None:
        return given, "given"
    if from_file is not None:
        return from_file
    named = date_from_name(path)
    if named is not None:
        return named
    raise ListFormatError(
        path, "list date", "no list date in the file or its name; pass list_date / --list-date"
    )
