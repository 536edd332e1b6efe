"""The embedded DuckDB store: one file holding events, vessel matches and the record of every run.

Events are keyed by their deterministic ``event_id``; adding the same events again replaces
them in place, so re-running a detection on the same input adds nothing twice.

Every table is created from its declaration in :mod:`sanctionwatch.schema` (``events``,
``vessel_matches``, ``vessel_identities``, ``runs``, ``alert_reviews`` here; the sanctions lists in
:mod:`sanctionwatch.sanctions.store`).
A store written by an older version opens read-write all the same: the declared columns its
tables lack are added (as nullable columns) when it is opened; read-only opening changes
nothing, and the readers fill the missing nullable columns with nulls.

Several processes share one store: readers open it read-only, writers one at a time, each
waiting for the other (:mod:`sanctionwatch.store.access`). A run's whole write (events,
findings, vessel matches, identities, run record) is one transaction
(:meth:`DuckDBStore.transaction`): a run killed while writing leaves none of its rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar

import duckdb
import polars as pl

from sanctionwatch.schema import (
    ALERT_REVIEWS,
    EVENTS,
    QUALITY_FINDINGS,
    RUNS,
    VESSEL_IDENTITIES,
    VESSEL_MATCHES,
    Table,
)
from sanctionwatch.settings import settings
from sanctionwatch.store.access import connect


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns of ``table`` in the connection's current schema, in order (empty: no table)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_catalog = current_database() AND table_schema = current_schema() "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def ensure_tables(con: duckdb.DuckDBPyConnection, tables: Iterable[Table]) -> None:
    """Create each of ``tables`` from its declaration; add the declared columns that a table
    created by an older version lacks (nullable: DuckDB adds no column with a constraint).
    Columns the declaration does not have are left alone. One transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            con.execute(table.duckdb_ddl())
            have = set(table_columns(con, table.name))
            for name in table.names:
                if name not in have:
                    con.execute(table.duckdb_add_column(name))
            _relax_not_null(con, table)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _relax_not_null(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Drop the NOT NULL of the columns a declaration has since made nullable (a store whose
    ``alert_reviews.mmsi`` predates wallet and account reviews)."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND "
        "table_catalog = current_database() AND table_schema = current_schema() AND "
        "is_nullable = 'NO'", [table.name]).fetchall()
    for (name,) in rows:
        if name in table.names and table.column(name).nullable \
                and name not in (table.primary_key or ()):
            con.execute(f'ALTER TABLE {table.name} ALTER COLUMN "{name}" DROP NOT NULL')


def read_table(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    order_by: str = "",
    params: Sequence[Any] = (),
    where: str = "",
) -> pl.DataFrame:
    """The rows of a declared table, conformed to its declaration (columns in declared order;
    declared nullable columns an older store lacks are null; no table: an empty frame).
    ``where`` is an SQL condition whose ``?`` placeholders take ``params``."""
    have = set(table_columns(con, table.name))
    if not have:
        return table.empty()
    cols = ", ".join(f'"{c}"' for c in table.names if c in have)
    sql = f"SELECT {cols} FROM {table.name}" + (f" WHERE {where}" if where else "")
    sql += f" ORDER BY {order_by}" if order_by else ""
    df = pl.from_arrow(con.sql(sql, params=list(params)).to_arrow_table())
    assert isinstance(df, pl.DataFrame)
    return table.conform(df)


def replace_rows(
    store_path: str | Path | None,
    frames: Sequence[tuple[Table, pl.DataFrame]],
    key: str,
    value: object,
) -> None:
    """In one transaction of the store file (the ``SANCTIONWATCH_STORE`` default when None;
    tables created when missing): for each ``(table, frame)``, delete the rows whose ``key``
    column equals ``value`` and insert the frame's rows (conformed to the table). Loading the
    same file or run again replaces what it stored before."""
    path = Path(store_path) if store_path is not None else default_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect(path, read_only=False)
    try:
        ensure_tables(con, [t for t, _ in frames])
        con.execute("BEGIN TRANSACTION")
        try:
            for table, frame in frames:
                con.execute(f'DELETE FROM {table.name} WHERE "{key}" = ?', [value])
                df = table.conform(frame)
                if df.height:
                    cols = ", ".join(f'"{c}"' for c in table.names)
                    con.register("_rows", df.to_arrow())
                    con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM _rows")
                    con.unregister("_rows")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()


def default_store_path() -> Path:
    """The ``SANCTIONWATCH_STORE`` setting: ``$SANCTIONWATCH_STORE`` if set, else
    ``./sanctionwatch.duckdb`` (:mod:`sanctionwatch.settings`)."""
    return settings().store


@dataclass(frozen=True)
class EventFilter:
    """Filters for :meth:`DuckDBStore.events` (all optional, combined with AND)."""

    event_types: tuple[str, ...] = ()
    mmsi: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    dprk_only: bool = False
    min_duration_h: float | None = None
    limit: int | None = None
    offset: int = 0
    zone_id: str | None = None
    designated_only: bool = False
    """Only events involving a vessel that matched a listed vessel (``vessel_matches`` row
    with ``is_match``), on either side of an encounter."""


REVIEW_STATUSES = ("open", "confirmed", "dismissed")
"""The statuses an alert review can set (``alert_reviews.status``)."""


def event_where(f: EventFilter) -> tuple[str, list[Any]]:
    """The SQL condition on ``events`` (``TRUE`` when ``f`` filters nothing) and the values
    of its ``?`` placeholders: every value is a parameter, never text in the SQL."""
    where: list[str] = []
    args: list[Any] = []
    if f.event_types:
        where.append("event_type IN (" + ", ".join("?" for _ in f.event_types) + ")")
        args.extend(f.event_types)
    if f.mmsi is not None:
        where.append("(mmsi = ? OR other_mmsi = ?)")
        args.extend([f.mmsi, f.mmsi])
    if f.since is not None:
        where.append("end_time >= ?")
        args.append(f.since)
    if f.until is not None:
        where.append("start_time <= ?")
        args.append(f.until)
    if f.bbox is not None:
        where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        args.extend([f.bbox[0], f.bbox[2], f.bbox[1], f.bbox[3]])
    if f.dprk_only:
        where.append("is_dprk")
    if f.min_duration_h is not None:
        where.append("duration_h >= ?")
        args.append(f.min_duration_h)
    if f.zone_id is not None:
        where.append("zone_id = ?")
        args.append(f.zone_id)
    if f.designated_only:
        where.append("(mmsi IN (SELECT mmsi FROM vessel_matches WHERE is_match) OR other_mmsi IN "
                     "(SELECT mmsi FROM vessel_matches WHERE is_match))")
    return (" AND ".join(where) or "TRUE"), args


class DuckDBStore:
    """Events, vessel matches and runs in one DuckDB file."""

    TABLES: ClassVar[tuple[Table, ...]] = (
        EVENTS, QUALITY_FINDINGS, VESSEL_MATCHES, VESSEL_IDENTITIES, RUNS, ALERT_REVIEWS
    )
    """The tables this store creates (and brings up to date) when opened read-write."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise FileNotFoundError(
                f"{self.path}: no store here (run `sanctionwatch detect` first)"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = connect(self.path, read_only=read_only)
        self._depth = 0
        if not read_only:
            try:
                ensure_tables(self.con, self.TABLES)
            except BaseException:
                self.con.close()
                raise

    def cursor(self) -> DuckDBStore:
        """Another handle on this open store for another thread (a DuckDB cursor: its own
        connection to the same database, opened without touching the file); closing it
        leaves this one open."""
        other = DuckDBStore.__new__(DuckDBStore)
        other.path = self.path
        other.con = self.con.cursor()
        other.con.execute("SET TimeZone = 'UTC'")
        other._depth = 0
        return other

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the writes inside (nested uses join the outermost): all
        of them are stored, or, on an error or a killed process, none."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.con.execute("BEGIN TRANSACTION")
        self._depth = 1
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._depth = 0

    def add_events(self, events: pl.DataFrame, table: Table = EVENTS) -> int:
        """Insert or replace events (or, with ``table=QUALITY_FINDINGS``, data-quality
        findings) by ``event_id``; return how many ids were new."""
        if events.height == 0:
            return 0
        df = table.conform(events).unique("event_id", keep="last")
        arrow = df.to_arrow()
        self.con.register("_new_events", arrow)
        try:
            with self.transaction():
                new = self._scalar(
                    "SELECT count(*) FROM _new_events n WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {table.name} e WHERE e.event_id = n.event_id)"
                )
                cols = ", ".join(f'"{c}"' for c in table.names)
                self.con.execute(
                    f"INSERT OR REPLACE INTO {table.name} ({cols}) SELECT {cols} FROM _new_events"
                )
        finally:
            self._unregister("_new_events")
        return new

    def _unregister(self, name: str) -> None:
        # Inside an aborted transaction DuckDB refuses to unregister: the view goes with the
        # connection then, and the error that aborted the transaction is the one to report.
        with suppress(duckdb.Error):
            self.con.unregister(name)

    def event_types(self) -> list[str]:
        """The event types stored, sorted."""
        if not table_columns(self.con, EVENTS.name):
            return []
        rows = self.con.execute("SELECT DISTINCT event_type FROM events ORDER BY 1").fetchall()
        return [str(r[0]) for r in rows]

    def count_events(self) -> int:
        """Number of events stored."""
        return self._scalar("SELECT count(*) FROM events")

    def _scalar(self, sql: str) -> int:
        # fetchall, not fetchone: DuckDB refuses further statements on a connection whose
        # previous result was not read to the end.
        rows = self.con.execute(sql).fetchall()
        return int(rows[0][0]) if rows else 0

    def events(self, f: EventFilter | None = None) -> pl.DataFrame:
        """Stored events matching ``f``, ordered by start time."""
        f = f or EventFilter()
        if not table_columns(self.con, EVENTS.name):
            return EVENTS.empty()  # a store opened read-only before any run: lists only
        if f.designated_only and not table_columns(self.con, VESSEL_MATCHES.name):
            return EVENTS.empty()  # nothing screened: no event involves a designated vessel
        cond, args = event_where(f)
        order = "start_time, event_type, mmsi, event_id"
        sql = f"SELECT * FROM events WHERE {cond} ORDER BY {order}"
        if f.limit is not None or f.offset:
            # A page: sort the row ids on the order columns only, then read the page's whole
            # rows (sorting every column of a million events to keep 100 costs 2-3x more).
            page = f"SELECT rowid FROM events WHERE {cond} ORDER BY {order}"
            if f.limit is not None:
                page += " LIMIT ?"
                args.append(int(f.limit))
            if f.offset:
                page += " OFFSET ?"
                args.append(int(f.offset))
            sql = f"SELECT * FROM events WHERE rowid IN ({page}) ORDER BY {order}"
        table = self.con.sql(sql, params=args).to_arrow_table()
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
        return EVENTS.conform(df) if df.height else EVENTS.empty()

    def count_matching(self, f: EventFilter) -> int:
        """Number of stored events matching ``f`` (its ``limit`` and ``offset`` ignored)."""
        if not table_columns(self.con, EVENTS.name):
            return 0
        if f.designated_only and not table_columns(self.con, VESSEL_MATCHES.name):
            return 0
        cond, args = event_where(f)
        rows = self.con.execute(f"SELECT count(*) FROM events WHERE {cond}", args).fetchall()
        return int(rows[0][0])

    def add_review(self, mmsi: int, status: str, note: str, user: str) -> dict[str, Any]:
        """Store one review of ``mmsi``'s alert (appended, never replacing one) and return it
        (``alert_reviews`` columns). ``status`` is one of :data:`REVIEW_STATUSES`."""
        import uuid
        from datetime import UTC

        if status not in REVIEW_STATUSES:
            raise ValueError(f"review status must be one of {', '.join(REVIEW_STATUSES)}, "
                             f"got {status!r}")
        row: dict[str, Any] = {"review_id": uuid.uuid4().hex, "mmsi": int(mmsi),
                               "status": status, "note": note, "user": user,
                               "at": datetime.now(UTC), "subject": None}
        assert list(row) == ALERT_REVIEWS.names, "add_review is out of step with ALERT_REVIEWS"
        cols = ", ".join(f'"{c}"' for c in row)
        with self.transaction():
            self.con.execute(
                f"INSERT INTO {ALERT_REVIEWS.name} ({cols}) VALUES "
                f"({', '.join('?' for _ in row)})", list(row.values()))
        return row

    def reviews(self, mmsi: int | None = None) -> pl.DataFrame:
        """Vessel alert reviews, oldest first (``alert_reviews`` columns); one vessel's with
        ``mmsi``."""
        order = "\"at\", review_id"
        if mmsi is None:
            return read_table(self.con, ALERT_REVIEWS, order, where="mmsi IS NOT NULL")
        return read_table(self.con, ALERT_REVIEWS, order, [int(mmsi)], where="mmsi = ?")

    def latest_reviews(self) -> dict[int, dict[str, Any]]:
        """The latest review of every reviewed vessel, by MMSI (its current alert status)."""
        out: dict[int, dict[str, Any]] = {}
        for r in self.reviews().iter_rows(named=True):
            if r["mmsi"] is not None:  # wallet and account reviews have a subject instead
                out[int(r["mmsi"])] = r  # oldest first: the last one written wins
        return out

    def add_subject_review(self, subject: str, status: str, note: str,
                           user: str) -> dict[str, Any]:
        """Store one review of a wallet's or card account's alert (``subject``: its graph node
        id, e.g. ``wallet:<address>``, ``account:<bin>:<account>``), appended as
        :meth:`add_review`; returns it (``alert_reviews`` columns, ``mmsi`` null)."""
        import uuid
        from datetime import UTC

        if status not in REVIEW_STATUSES:
            raise ValueError(f"review status must be one of {', '.join(REVIEW_STATUSES)}, "
                             f"got {status!r}")
        if not subject:
            raise ValueError("a review needs the alert's subject")
        row: dict[str, Any] = {"review_id": uuid.uuid4().hex, "mmsi": None, "status": status,
                               "note": note, "user": user, "at": datetime.now(UTC),
                               "subject": subject}
        assert list(row) == ALERT_REVIEWS.names, "add_subject_review is out of step"
        cols = ", ".join(f'"{c}"' for c in row)
        with self.transaction():
            self.con.execute(
                f"INSERT INTO {ALERT_REVIEWS.name} ({cols}) VALUES "
                f"({', '.join('?' for _ in row)})", list(row.values()))
        return row

    def subject_reviews(self, subject: str | None = None) -> pl.DataFrame:
        """Wallet and account alert reviews, oldest first; one subject's with ``subject``."""
        order = "\"at\", review_id"
        have = set(table_columns(self.con, ALERT_REVIEWS.name))
        if "subject" not in have:
            return ALERT_REVIEWS.empty()
        if subject is None:
            return read_table(self.con, ALERT_REVIEWS, order, where="subject IS NOT NULL")
        return read_table(self.con, ALERT_REVIEWS, order, [subject], where="subject = ?")

    def latest_subject_reviews(self) -> dict[str, dict[str, Any]]:
        """The latest review of every reviewed wallet or account, by subject."""
        return {str(r["subject"]): r for r in self.subject_reviews().iter_rows(named=True)}

    def record_run(
        self,
        run_id: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        command: str,
        inputs: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        counts: Mapping[str, Any],
        events_new: int,
        engine: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        """Record one detection run (a run with the same ``run_id`` is replaced).

        ``inputs``, ``params``, ``counts`` and ``config`` are stored as JSON text (values JSON
        cannot hold, such as paths and datetimes, as strings); see ``docs/schema.md``.
        """
        row: dict[str, Any] = {
            "run_id": run_id,
            "started_at": started_at,
            "finished_at": finished_at,
            "command": command,
            "engine": engine,
            "inputs": _json([dict(i) for i in inputs]),
            "params": _json(dict(params)),
            "config": None if config is None else _json(dict(config)),
            "counts": _json(dict(counts)),
            "events_new": events_new,
            "events_total": self.count_events(),
        }
        assert list(row) == RUNS.names, "record_run is out of step with the RUNS declaration"
        cols = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        with self.transaction():
            self.con.execute(
                f"INSERT OR REPLACE INTO {RUNS.name} ({cols}) VALUES ({marks})",
                list(row.values()),
            )

    def replace_vessel_matches(self, matches: pl.DataFrame) -> None:
        """Store the latest screening of AIS vessels against the lists (replaces the previous
        screening of the same MMSIs, in one transaction).

        ``matches`` is conformed to ``vessel_matches``: a missing nullable column is stored as
        nulls, a missing required or an extra column is a ``ValueError``.
        """
        df = VESSEL_MATCHES.conform(matches)
        if df.height == 0:
            return
        cols = ", ".join(f'"{c}"' for c in VESSEL_MATCHES.names)
        self.con.register("_matches", df.to_arrow())
        try:
            with self.transaction():
                self.con.execute(
                    "DELETE FROM vessel_matches WHERE mmsi IN (SELECT DISTINCT mmsi FROM _matches)"
                )
                self.con.execute(
                    f"INSERT INTO vessel_matches ({cols}) SELECT {cols} FROM _matches"
                )
        finally:
            self._unregister("_matches")

    def vessel_matches(self) -> pl.DataFrame:
        """AIS vessels that matched a sanctions-list entity, best score first
        (``vessel_matches`` columns; empty when nothing was screened)."""
        return read_table(self.con, VESSEL_MATCHES, "score DESC, mmsi, match_id")

    def add_vessel_identities(self, identities: pl.DataFrame) -> int:
        """Add identity periods (``vessel_identities``); a period already stored (same MMSI,
        first report time, file and line) is kept as it is. Returns how many were new."""
        df = VESSEL_IDENTITIES.conform(identities)
        if df.height == 0:
            return 0
        cols = ", ".join(f'"{c}"' for c in VESSEL_IDENTITIES.names)
        before = self._scalar(f"SELECT count(*) FROM {VESSEL_IDENTITIES.name}")
        self.con.register("_identities", df.to_arrow())
        try:
            with self.transaction():
                self.con.execute(
                    f"INSERT OR IGNORE INTO {VESSEL_IDENTITIES.name} ({cols}) "
                    f"SELECT {cols} FROM _identities"
                )
        finally:
            self._unregister("_identities")
        return self._scalar(f"SELECT count(*) FROM {VESSEL_IDENTITIES.name}") - before

    def vessel_identities(self, mmsi: int | None = None) -> pl.DataFrame:
        """Identity periods, by MMSI and time (``vessel_identities`` columns); one vessel's
        with ``mmsi``."""
        order = "mmsi, first_seen, source, record"
        if mmsi is None:
            return read_table(self.con, VESSEL_IDENTITIES, order)
        return read_table(self.con, VESSEL_IDENTITIES, order, [int(mmsi)], where="mmsi = ?")

    def runs(self) -> pl.DataFrame:
        """All recorded runs, newest first (``runs`` columns)."""
        return read_table(self.con, RUNS, "started_at DESC, run_id")


def _json(value: Any) -> str:
    return json.dumps(value, default=str)
