"""Sanctions lists in the DuckDB store file (the same file as the events store).

Two tables, created here from their declarations in :mod:`sanctionwatch.schema`
(``SANCTION_STATEMENTS``, ``SANCTION_LIST_VERSIONS``; columns in ``docs/schema.md``):
``sanction_statements`` (one row per fact, per list version) and ``sanction_list_versions``
(one row per loaded list version: dataset + list date, source file, hash, counts). A list
version is identified by (dataset, list_date): loading the same file again adds nothing;
loading different content for the same version replaces it; a newer version is added beside
the older ones, so history is kept and versions can be compared. Every load is one
transaction: a file that fails to parse or store leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import polars as pl
from followthemoney import model
from followthemoney.proxy import EntityProxy

from sanctionwatch.sanctions.diff import ListDiff, diff_entities
from sanctionwatch.sanctions.loaders import read_list
from sanctionwatch.sanctions.model import (
    BASE_PROP,
    ParsedList,
    Statement,
    entities_from_statements,
    rows_to_statements,
)
from sanctionwatch.schema import SANCTION_LIST_VERSIONS, SANCTION_STATEMENTS, Table
from sanctionwatch.store.access import connect
from sanctionwatch.store.duck import default_store_path, ensure_tables

STATEMENTS_TABLE = SANCTION_STATEMENTS.name
VERSIONS_TABLE = SANCTION_LIST_VERSIONS.name

_COLS = ", ".join(f'"{c}"' for c in SANCTION_STATEMENTS.names)  # the order of ``Statement``
_VERSION_COLS = ", ".join(f'"{c}"' for c in SANCTION_LIST_VERSIONS.names)


@dataclass(frozen=True)
class LoadResult:
    """What one :meth:`ListStore.load` did."""

    dataset: str
    list_date: date
    list_date_source: str
    format: str
    path: str
    status: str  # "new", "unchanged" (same version and content already stored) or "replaced"
    entities: int
    statements: int
    new_facts: int  # statements whose (entity, prop, value) no earlier version of the list had
    counts: dict[str, int] = field(default_factory=dict)  # entities per schema
    seconds: float = 0.0


def content_hash(path: Path) -> str:
    """SHA-256 of a file, or of the files of a folder in name order."""
    h = hashlib.sha256()
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(f.name.encode() if path.is_dir() else b"")
        h.update(f.read_bytes())
    return h.hexdigest()


def schema_names(schema: str) -> list[str]:
    """``schema`` and every FtM schema that extends it (``LegalEntity`` → Person, Company…)."""
    s = model.get(schema)
    if s is None:
        raise ValueError(f"unknown FtM schema {schema!r}")
    return sorted({s.name, *(d.name for d in s.descendants)})


class ListStore:
    """Loaded sanctions lists, as statements with provenance, in a DuckDB file."""

    TABLES: ClassVar[tuple[Table, ...]] = (SANCTION_STATEMENTS, SANCTION_LIST_VERSIONS)
    """The tables this store creates (and brings up to date) when opened read-write."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no store here (run `sanctionwatch lists load`)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = connect(self.path, read_only=read_only)
        if not read_only:
            try:
                ensure_tables(self.con, self.TABLES)
            except BaseException:
                self.con.close()
                raise

    def __enter__(self) -> ListStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    # -- loading -----------------------------------------------------------------------------

    def load(
        self,
        path: str | Path,
        dataset: str | None = None,
        list_date: date | None = None,
        fmt: str | None = None,
    ) -> LoadResult:
        """Read one list file (format auto-detected) and store it in one transaction."""
        return self.load_many([path], dataset, list_date, fmt)[0]

    def load_many(
        self,
        paths: Sequence[str | Path],
        dataset: str | None = None,
        list_date: date | None = None,
        fmt: str | None = None,
    ) -> list[LoadResult]:
        """Read every file first, then store them all in one transaction (all or nothing)."""
        parsed = []
        for p in paths:
            t0 = time.perf_counter()
            pl_ = read_list(p, dataset, list_date, fmt)
            parsed.append((pl_, content_hash(Path(p)), time.perf_counter() - t0))
        self.con.execute("BEGIN TRANSACTION")
        try:
            results = [self._store(pl_, sha, secs) for pl_, sha, secs in parsed]
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return results

    def _store(self, parsed: ParsedList, sha: str, parse_seconds: float) -> LoadResult:
        t0 = time.perf_counter()
        m = parsed.meta
        df = SANCTION_STATEMENTS.conform(parsed.frame())
        counts = parsed.counts()
        n_entities = sum(counts.values())
        old = self.con.execute(
            f"SELECT sha256 FROM {VERSIONS_TABLE} WHERE dataset = ? AND list_date = ?",
            [m.dataset, m.list_date],
        ).fetchone()

        def result(status: str, new_facts: int) -> LoadResult:
            return LoadResult(m.dataset, m.list_date, m.list_date_source, m.format, m.path,
                              status, n_entities, df.height, new_facts, counts,
                              parse_seconds + time.perf_counter() - t0)

        if old is not None and old[0] == sha:
            return result("unchanged", 0)
        if old is not None:
            self.con.execute(
                f"DELETE FROM {STATEMENTS_TABLE} WHERE dataset = ? AND list_date = ?",
                [m.dataset, m.list_date],
            )
            self.con.execute(
                f"DELETE FROM {VERSIONS_TABLE} WHERE dataset = ? AND list_date = ?",
                [m.dataset, m.list_date],
            )
        arrow = df.to_arrow()
        self.con.register("_new_statements", arrow)
        try:
            row = self.con.execute(
                f"SELECT count(*) FROM _new_statements n WHERE NOT EXISTS (SELECT 1 FROM "
                f"{STATEMENTS_TABLE} s WHERE s.dataset = n.dataset AND s.entity_id = n.entity_id "
                "AND s.prop = n.prop AND s.value = n.value)"
            ).fetchone()
            new_facts = int(row[0]) if row else 0
            self.con.execute(
                f"INSERT INTO {STATEMENTS_TABLE} ({_COLS}) SELECT {_COLS} FROM _new_statements"
            )
        finally:
            self.con.unregister("_new_statements")
        self.con.execute(
            f"""UPDATE {STATEMENTS_TABLE} s SET first_seen = f.fs
            FROM (SELECT entity_id, prop, value, min(list_date) AS fs FROM {STATEMENTS_TABLE}
                  WHERE dataset = ? GROUP BY entity_id, prop, value) f
            WHERE s.dataset = ? AND s.entity_id = f.entity_id AND s.prop = f.prop
              AND s.value = f.value AND s.first_seen IS DISTINCT FROM f.fs""",
            [m.dataset, m.dataset],
        )
        version = {
            "dataset": m.dataset, "list_date": m.list_date, "list_date_source": m.list_date_source,
            "format": m.format, "path": m.path, "sha256": sha, "loaded_at": datetime.now(UTC),
            "entities": n_entities, "statements": df.height,
        }
        assert list(version) == SANCTION_LIST_VERSIONS.names
        marks = ", ".join("?" for _ in version)
        self.con.execute(
            f"INSERT INTO {VERSIONS_TABLE} ({_VERSION_COLS}) VALUES ({marks})",
            list(version.values()),
        )
        return result("new" if old is None else "replaced", new_facts)

    # -- reading -----------------------------------------------------------------------------

    def datasets(self) -> list[str]:
        """Names of the loaded lists."""
        rows = self.con.execute(
            f"SELECT DISTINCT dataset FROM {VERSIONS_TABLE} ORDER BY dataset"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def versions(self, dataset: str | None = None) -> pl.DataFrame:
        """The loaded list versions (one row per dataset and list date)."""
        sql = f"SELECT {_VERSION_COLS} FROM {VERSIONS_TABLE}"
        args: list[Any] = []
        if dataset is not None:
            sql += " WHERE dataset = ?"
            args.append(dataset)
        df = pl.from_arrow(self.con.sql(sql + " ORDER BY dataset, list_date", params=args)
                           .to_arrow_table())
        assert isinstance(df, pl.DataFrame)
        return df

    def _current(self, dataset: str | None, as_of: date | None) -> list[tuple[str, date]]:
        sql = f"SELECT dataset, max(list_date) FROM {VERSIONS_TABLE} WHERE TRUE"
        args: list[Any] = []
        if dataset is not None:
            sql += " AND dataset = ?"
            args.append(dataset)
        if as_of is not None:
            sql += " AND list_date <= ?"
            args.append(as_of)
        rows = self.con.execute(sql + " GROUP BY dataset ORDER BY dataset", args).fetchall()
        return [(str(r[0]), r[1]) for r in rows]

    def statements(
        self,
        entity_id: str | None = None,
        dataset: str | None = None,
        list_date: date | None = None,
        prop: str | None = None,
    ) -> pl.DataFrame:
        """Statements with provenance, filtered (all versions unless ``list_date``)."""
        where, args = ["TRUE"], []
        for col, val in (("entity_id", entity_id), ("dataset", dataset),
                         ("list_date", list_date), ("prop", prop)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = (f"SELECT {_COLS} FROM {STATEMENTS_TABLE} WHERE {' AND '.join(where)} "
               "ORDER BY dataset, list_date, entity_id, prop, value")
        df = pl.from_arrow(self.con.sql(sql, params=args).to_arrow_table())
        assert isinstance(df, pl.DataFrame)
        return df

    def entities(
        self,
        schema: str | None = None,
        dataset: str | None = None,
        as_of: date | None = None,
    ) -> list[EntityProxy]:
        """Entities of the latest version of every loaded list (or of ``dataset``).

        ``schema`` includes the schemata that extend it (``LegalEntity`` gives people and
        organisations; ``Thing`` gives everything but Sanctions). ``as_of`` picks, per list, the
        latest version dated on or before it. Entities are ordered by dataset and id; ids are
        unique per list, and lists do not share id prefixes.
        """
        out: list[EntityProxy] = []
        for ds, day in self._current(dataset, as_of):
            out.extend(self._entities(ds, day, schema))
        return out

    def current_statements(self, as_of: date | None = None) -> list[Statement]:
        """Every statement of the latest version of every loaded list (as :meth:`entities`
        picks them), with its provenance, ordered by dataset, entity id, prop and value."""
        out: list[Statement] = []
        for ds, day in self._current(None, as_of):
            rows = self.con.execute(
                f"SELECT {_COLS} FROM {STATEMENTS_TABLE} WHERE dataset = ? AND list_date = ? "
                "ORDER BY entity_id, prop, value", [ds, day],
            ).fetchall()
            out.extend(rows_to_statements(rows))
        return out

    def _entities(self, dataset: str, day: date, schema: str | None) -> list[EntityProxy]:
        sql = (f"SELECT {_COLS} FROM {STATEMENTS_TABLE} WHERE dataset = ? AND list_date = ?")
        args: list[Any] = [dataset, day]
        if schema is not None:
            names = schema_names(schema)
            sql += " AND schema IN (" + ", ".join("?" for _ in names) + ")"
            args.extend(names)
        rows = self.con.execute(sql + " ORDER BY entity_id, prop, value", args).fetchall()
        return entities_from_statements(rows_to_statements(rows))

    def entity(self, entity_id: str, dataset: str | None = None) -> EntityProxy | None:
        """One entity, as in the latest loaded version of its list that holds it."""
        sql = (f"SELECT dataset, max(list_date) FROM {STATEMENTS_TABLE} WHERE entity_id = ? "
               f"AND prop = '{BASE_PROP}'")
        args: list[Any] = [entity_id]
        if dataset is not None:
            sql += " AND dataset = ?"
            args.append(dataset)
        row = self.con.execute(sql + " GROUP BY dataset ORDER BY 2 DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        rows = self.con.execute(
            f"SELECT {_COLS} FROM {STATEMENTS_TABLE} WHERE entity_id = ? AND dataset = ? "
            "AND list_date = ? ORDER BY prop, value", [entity_id, row[0], row[1]],
        ).fetchall()
        found = entities_from_statements(rows_to_statements(rows))
        return found[0] if found else None

    def diff(self, dataset: str, old: date, new: date) -> ListDiff:
        """Compare two stored versions of one list."""
        return diff_entities(self._entities(dataset, old, None), self._entities(dataset, new, None))
