"""The embedded DuckDB store: one file holding events and the record of every run.

Events are keyed by their deterministic ``event_id``; adding the same events again replaces
them in place, so re-running a detection on the same input adds nothing twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import polars as pl

from sanctionwatch.schema import EVENTS

STORE_ENV = "SANCTIONWATCH_STORE"
"""Environment variable naming the default store file."""
DEFAULT_STORE = "sanctionwatch.duckdb"

_RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  command VARCHAR,
  inputs VARCHAR,      -- JSON list of {path, sha256, bytes}
  params VARCHAR,      -- JSON object of detector parameters
  counts VARCHAR,      -- JSON object: positions, reports, rejects by reason, events by type
  events_new BIGINT,
  events_total BIGINT
)
"""


def default_store_path() -> Path:
    """``$SANCTIONWATCH_STORE`` if set, else ``./sanctionwatch.duckdb``."""
    return Path(os.environ.get(STORE_ENV, DEFAULT_STORE))


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


class DuckDBStore:
    """Events and runs in one DuckDB file."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise FileNotFoundError(
                f"{self.path}: no store here (run `sanctionwatch detect` first)"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(self.path), read_only=read_only)
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            self.con.execute(EVENTS.duckdb_ddl())
            self.con.execute(_RUNS_DDL)

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def add_events(self, events: pl.DataFrame) -> int:
        """Insert or replace events by ``event_id``; return how many ids were new."""
        if events.height == 0:
            return 0
        df = EVENTS.conform(events).unique("event_id", keep="last")
        arrow = df.to_arrow()
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("_new_events", arrow)
            new = self._scalar(
                "SELECT count(*) FROM _new_events n WHERE NOT EXISTS "
                "(SELECT 1 FROM events e WHERE e.event_id = n.event_id)"
            )
            cols = ", ".join(f'"{c}"' for c in EVENTS.names)
            self.con.execute(
                f"INSERT OR REPLACE INTO events ({cols}) SELECT {cols} FROM _new_events"
            )
            self.con.unregister("_new_events")
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return new

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
        sql = "SELECT * FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY start_time, event_type, mmsi, event_id"
        if f.limit is not None:
            sql += f" LIMIT {int(f.limit)}"
        table = self.con.sql(sql, params=args).to_arrow_table()
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
        return EVENTS.conform(df) if df.height else EVENTS.empty()

    def record_run(
        self,
        run_id: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        command: str,
        inputs: list[dict[str, Any]],
        params: dict[str, Any],
        counts: dict[str, Any],
        events_new: int,
    ) -> None:
        """Record one detection run."""
        self.con.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                started_at,
                finished_at,
                command,
                json.dumps(inputs),
                json.dumps(params, default=str),
                json.dumps(counts, default=str),
                events_new,
                self.count_events(),
            ],
        )

    def replace_vessel_matches(self, matches: pl.DataFrame) -> None:
        """Store the latest screening of AIS vessels against the lists (replaces the previous
        screening of the same MMSIs, in one transaction)."""
        if matches.height == 0:
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.register("_matches", matches.to_arrow())
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS vessel_matches AS SELECT * FROM _matches LIMIT 0"
            )
            self.con.execute(
                "DELETE FROM vessel_matches WHERE mmsi IN (SELECT DISTINCT mmsi FROM _matches)"
            )
            self.con.execute("INSERT INTO vessel_matches BY NAME SELECT * FROM _matches")
            self.con.unregister("_matches")
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise

    def vessel_matches(self) -> pl.DataFrame:
        """AIS vessels that matched a sanctions-list entity, best score first."""
        exists = self._scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'vessel_matches'"
        )
        if not exists:
            return pl.DataFrame()
        df = pl.from_arrow(
            self.con.sql("SELECT * FROM vessel_matches ORDER BY score DESC, mmsi").to_arrow_table()
        )
        assert isinstance(df, pl.DataFrame)
        return df

    def runs(self) -> pl.DataFrame:
        """All recorded runs, newest first."""
        table = self.con.sql("SELECT * FROM runs ORDER BY started_at DESC").to_arrow_table()
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
        return df
