"""``sanctionwatch cashout`` and ``cashout-simulate``: ATM cash-out (FASTCash) detection."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli.consoles import data_markup, err_console, fail, out_console


def cashout(
    input_path: Annotated[Path, typer.Option("--input", "-i", help="Authorisation log (CSV "
                                             "or ISO 8583-like JSON lines), in time order.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Alerts CSV to write.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the suffix).")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Override a parameter: GROUP.FIELD=VALUE, groups "
                     "burst, balance, ledger, scope, stream (repeatable; docs/cashout.md)."),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Where bad and out-of-order rows are listed with their "
                     "line (default: OUT with .rejects.csv; written when there are any)."),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Also store the alerts in this DuckDB store (table "
                     "cashout_alerts): the relationship graph then shows each alerted account "
                     "linked to its BIN."),
    ] = None,
) -> None:
    """Detect ATM cash-out bursts (FASTCash) in card authorisations, as a stream."""
    from sanctionwatch.finance.cashout import CashoutParams, detect_file
    from sanctionwatch.store.access import StoreBusy, check_store_writable
    from sanctionwatch.store.cashout import store_cashout_alerts

    if fmt is None:
        fmt = "jsonl" if input_path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv"
    run_id = None
    try:
        if store is not None:
            check_store_writable(store)  # a bad --store fails before the work
        if not input_path.is_file():
            raise ValueError(f"{input_path}: no such file")
        params = CashoutParams().with_overrides(param or [])
        started = datetime.now(UTC)
        res = detect_file(input_path, out, fmt, params, rejects)
        if store is not None:
            run_id = store_cashout_alerts(
                res.alerts, str(input_path), store, started_at=started,
                params={"format": fmt, **asdict(params)},
                counts={"rows_read": res.rows_read, "rows_used": res.rows_used,
                        "rejects": res.rejects_total, "out_of_order": res.out_of_order})
    except (ValueError, OSError, StoreBusy) as exc:
        raise fail(str(exc)) from exc
    rpath = rejects or out.with_suffix(".rejects.csv")
    err_console.print(
        f"{res.rows_read:,} authorisations read, {res.rows_used:,} used in "
        f"{res.seconds:.1f} s ({res.rows_read / max(res.seconds, 1e-9):,.0f}/s)"
        + (f", {res.skipped:,} non-response messages skipped" if res.skipped else ""),
        highlight=False)
    if res.rejects_total or res.out_of_order:
        why = ", ".join(f"{data_markup(k)} {v:,}" for k, v in
                        sorted(res.rejects_by_reason.items()))
        err_console.print(f"[bold yellow]warning:[/] {res.rejects_total:,} rows rejected, "
                          f"{res.out_of_order:,} out of time order ({why}); listed with "
                          f"their lines in {data_markup(rpath)}", highlight=False)
    by_rule = res.alerts.group_by("rule").len().sort("rule").iter_rows()
    out_console.print(f"{res.alerts.height:,} alerts ("
                      + (", ".join(f"{r} {n}" for r, n in by_rule) or "none")
                      + f") in {data_markup(out)}", highlight=False)
    for row in res.alerts.head(10).iter_rows(named=True):
        out_console.print(f"  {row['alert_id']} {row['rule']}: "
                          f"{data_markup(row['explanation'])}", highlight=False)
    if run_id is not None:
        out_console.print(f"stored as run {run_id} in {data_markup(store)} "
                          f"({res.alerts.height:,} cashout_alerts rows)", highlight=False)


def cashout_simulate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")]
    = 1,
    transactions: Annotated[
        int, typer.Option("--transactions", "-n", help="Ordinary authorisations to generate.")
    ] = 200_000,
    cashouts: Annotated[int, typer.Option("--cashouts", help="Cash-outs to plant.")] = 2,
    days: Annotated[int, typer.Option("--days", help="Days of traffic.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "csv",
) -> None:
    """Write a labelled authorisation log with planted FASTCash cash-outs and hard negatives."""
    from sanctionwatch.simulate.authlog import write_authlog

    try:
        res = write_authlog(out, seed, transactions, days=days, n_cashouts=cashouts, fmt=fmt)
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    out_console.print(f"{res.n_transactions:,} authorisations in {data_markup(res.path)}; "
                      f"labels in {data_markup(res.labels_path)}, planted cash-outs and hard "
                      f"negatives in {data_markup(res.planted_path)}", highlight=False)
    for p in res.planted:
        if p["kind"] == "cashout":
            out_console.print(f"  {p['label']}: BIN {p['bin']}, {p['transactions']:,} "
                              f"withdrawals, {p['accounts']} accounts, {p['countries']} "
                              f"countries, {p['start']} - {p['end']}", highlight=False)
