"""The ``runs`` row of a stored crypto trace or ATM cash-out detection, so that ``trace
--store`` and ``cashout --store`` runs are listed beside the detection runs (``/api/runs``).

:func:`finance_run_row` builds it; :func:`sanctionwatch.store.crypto.store_trace` and
:func:`sanctionwatch.store.cashout.store_cashout_alerts` write it in the same transaction as the
run's rows (``replace_rows`` by ``run_id``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.schema import RUNS


def input_record(path: str | Path, **counts: Any) -> dict[str, Any]:
    """``{path, bytes, mtime, sha256, ...counts}`` of an input file, as detection runs record
    their inputs (``runs.inputs``); ``bytes``/``mtime``/``sha256`` are null when it is gone."""
    p = Path(path)
    rec: dict[str, Any] = {"path": str(path), "bytes": None, "mtime": None, "sha256": None}
    if p.is_file():
        stat = p.stat()
        digest = hashlib.sha256()
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        rec.update(bytes=stat.st_size, sha256=digest.hexdigest(),
                   mtime=datetime.fromtimestamp(stat.st_mtime, UTC).isoformat())
    rec.update(counts)
    return rec


def events_in_store(store_path: str | Path) -> int:
    """Events stored now (``runs.events_total`` of a run that adds none); 0 without a store."""
    from sanctionwatch.store.access import connect
    from sanctionwatch.store.duck import table_columns

    p = Path(store_path)
    if not p.exists():
        return 0
    con = connect(p, read_only=True)
    try:
        if not table_columns(con, "events"):
            return 0
        return int(con.execute("SELECT count(*) FROM events").fetchall()[0][0])
    finally:
        con.close()


def finance_run_row(
    run_id: str,
    command: str,
    started_at: datetime,
    inputs: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    counts: Mapping[str, Any],
    events_total: int,
) -> pl.DataFrame:
    """The one-row ``runs`` frame of a finance run: it adds no event (``events_new`` 0);
    ``engine`` is null (no AIS engine ran); ``config`` holds ``params`` (enough to repeat it)."""
    def js(v: Any) -> str:
        return json.dumps(v, default=str)

    return RUNS.conform(pl.DataFrame({
        "run_id": [run_id], "started_at": [started_at], "finished_at": [datetime.now(UTC)],
        "command": [command], "engine": [None], "inputs": [js([dict(i) for i in inputs])],
        "params": [js({command: dict(params)})], "config": [js(dict(params))],
        "counts": [js(dict(counts))], "events_new": [0], "events_total": [events_total],
    }, schema=RUNS.polars_schema()))


__all__ = ["events_in_store", "finance_run_row", "input_record"]
