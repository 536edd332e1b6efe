"""ATM cash-out alerts in the store: the ``cashout_alerts`` table (:mod:`sanctionwatch.schema`).

:func:`store_cashout_alerts` writes the alerts of one detection
(:class:`sanctionwatch.finance.cashout.DetectionResult`) as a new run, in one transaction; the
relationship graph reads them back (:func:`sanctionwatch.linking.graph_build.read_cashout`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.schema import CASHOUT_ALERTS
from sanctionwatch.store.crypto import new_trace_run_id
from sanctionwatch.store.duck import replace_rows


def alert_rows(alerts: pl.DataFrame, source_file: str, run_id: str) -> pl.DataFrame:
    """``cashout_alerts`` rows of the alerts frame (``ALERT_COLUMNS``; ``;``-joined accounts
    and countries become lists, ISO times timestamps)."""
    return CASHOUT_ALERTS.conform(alerts.with_columns(
        pl.lit(run_id).alias("run_id"), pl.lit(source_file).alias("source_file"),
        pl.col("accounts").str.split(";"), pl.col("countries").str.split(";"),
        pl.col("start_time").str.to_datetime(time_zone="UTC", time_unit="us"),
        pl.col("end_time").str.to_datetime(time_zone="UTC", time_unit="us"),
    ))


def store_cashout_alerts(alerts: pl.DataFrame, source_file: str,
                         store_path: str | Path | None = None, run_id: str | None = None,
                         *, started_at: datetime | None = None,
                         params: Mapping[str, Any] | None = None,
                         counts: Mapping[str, Any] | None = None) -> str:
    """Store the alerts of one detection as a new run (:func:`alert_rows`) with its ``runs``
    row (command ``cashout``; ``params`` and ``counts`` as given, plus alerts by rule), in one
    transaction; its run id."""
    from sanctionwatch.schema import RUNS
    from sanctionwatch.store.duck import default_store_path
    from sanctionwatch.store.finance_runs import events_in_store, finance_run_row, input_record

    started = started_at or datetime.now(UTC)
    rid = run_id or new_trace_run_id(started)
    rows = alert_rows(alerts, source_file, rid)
    by_rule = {str(r): int(n) for r, n in rows.group_by("rule").len().sort("rule").iter_rows()}
    path = store_path if store_path is not None else default_store_path()
    run = finance_run_row(rid, "cashout", started, [input_record(source_file)],
                          dict(params or {}),
                          {**dict(counts or {}), "cashout_alerts": rows.height,
                           "alerts_by_rule": by_rule}, events_in_store(path))
    replace_rows(path, [(CASHOUT_ALERTS, rows), (RUNS, run)], "run_id", rid)
    return rid


__all__ = ["alert_rows", "store_cashout_alerts"]
