"""``sanctionwatch trace``: follow stolen crypto funds from seed addresses (registered in
``cli/app.py``). Holds no logic: it calls :mod:`sanctionwatch.finance.trace` and prints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.consoles import data_text, err_console, fail, out_console


def trace_cmd(
    seeds: Annotated[
        list[str] | None,
        typer.Argument(help="Seed addresses (the thief's). Hex addresses in any case."),
    ] = None,
    transfers: Annotated[
        Path, typer.Option("--transfers", help="Transfers CSV: generic layout (time, tx_hash, "
                           "from, to, value, asset) or the Dune Lazarus export (block_time, "
                           "from, to, total_eth); or bitcoin-etl transactions JSON lines "
                           "(.jsonl/.json).")
    ] = Path(),
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(),
    method: Annotated[
        str, typer.Option("--method", help="Taint method: poison, haircut or fifo "
                          "(docs/crypto.md). Default: haircut.")
    ] = "haircut",
    backward: Annotated[
        bool, typer.Option("--backward", help="Trace where the seeds' funds came from.")
    ] = False,
    max_hops: Annotated[
        int, typer.Option("--max-hops", help="Do not follow funds past this many hops. "
                          "Default: 6.")
    ] = 6,
    min_amount: Annotated[
        float, typer.Option("--min-amount", help="Do not follow tainted amounts below this "
                            "(asset units, e.g. ETH). Default: 0.001.")
    ] = 0.001,
    since: Annotated[str | None, typer.Option("--since", help="Ignore transfers before "
                                              "this UTC time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Ignore transfers after "
                                              "this UTC time (ISO 8601).")] = None,
    labels: Annotated[
        list[Path] | None,
        typer.Option("--labels", help="GraphSense TagPack YAML (repeatable); added to the "
                     "shipped service labels (Tornado Cash pools, exchanges, bridges)."),
    ] = None,
    ofac: Annotated[
        Path | None,
        typer.Option("--ofac", help="SDN crypto-address CSV (dprk_ofac_crypto_addresses.csv "
                     "layout): every listed address in the transfers is labelled with its SDN "
                     "entity, and with no SEED they are the seeds (matched case-insensitively "
                     "where the case is unknown)."),
    ] = None,
    layout: Annotated[
        str | None, typer.Option("--layout", help="Force a CSV layout: generic or "
                                 "dune-lazarus.")
    ] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="Asset to trace when the file "
                                              "holds several.")] = None,
    png: Annotated[
        bool, typer.Option("--png/--no-png", help="Also render report.png (headless "
                           "Chromium).")
    ] = True,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Also store the trace in this DuckDB store (tables "
                     "crypto_flows and crypto_addresses): the relationship graph then links "
                     "the addresses to the seeds and, with --ofac, to their SDN holders."),
    ] = None,
) -> None:
    """Trace funds from SEED addresses over a transfer file; write flows.csv, graph.json,
    addresses.csv (address, taint, hops, label, role, ...), findings.csv and report.html/png."""
    from sanctionwatch.evidence.render import ChromiumMissing
    from sanctionwatch.finance.crypto_ingest import (
        SERVICE_CATEGORIES,
        CryptoFormatError,
        Seed,
        read_ofac_seeds,
        read_tagpacks,
        read_transfers,
        read_utxo,
        sdn_labels,
        shipped_service_labels,
        utxo_transfers,
    )
    from sanctionwatch.finance.crypto_report import write_trace, write_utxo_heuristics
    from sanctionwatch.finance.trace import TraceParams, detect, trace
    from sanctionwatch.store.access import StoreBusy, StoreNotWritable, check_store_writable
    from sanctionwatch.store.crypto import store_trace

    if transfers == Path() or out == Path():
        raise fail("--transfers FILE and --out DIR are required")
    started = datetime.now(UTC)
    try:
        if store is not None:
            check_store_writable(store)  # a bad --store fails before the work
        since_t = _time(since, "--since")
        until_t = _time(until, "--until")
        params = TraceParams(method=method, direction="backward" if backward else "forward",
                             max_hops=max_hops, min_amount_coins=min_amount, since=since_t,
                             until=until_t)
        utxo = None
        if transfers.suffix.lower() in (".jsonl", ".json"):
            utxo = read_utxo(transfers)
            frame, bad = utxo_transfers(utxo), utxo.bad_rows
        else:
            read = read_transfers(transfers, layout)
            frame, bad = read.frame, read.bad_rows
            for lack in read.lacks:
                err_console.print(data_text(f"note: {read.layout} layout lacks {lack}"),
                                  soft_wrap=True)
        lab = shipped_service_labels()
        if labels:
            extra, bad_tags = read_tagpacks(labels)
            lab.update(extra)
            bad = bad + bad_tags
        all_seeds = list(seeds or [])
        listed: list[Seed] = []
        if ofac is not None:
            listed, bad_seeds = read_ofac_seeds(ofac)
            bad = bad + bad_seeds
            present = set(frame["from"].to_list()) | set(frame["to"].to_list())
            sdn = sdn_labels(present, listed, ofac.name)
            lab.update({a: x for a, x in sdn.items()
                        if a not in lab or lab[a].category not in SERVICE_CATEGORIES})
            if not all_seeds:
                all_seeds = sorted(sdn)
        if not all_seeds:
            raise fail("no seed: give SEED addresses or --ofac with addresses in the transfers")
        res = trace(frame, all_seeds, params, lab, asset)
        detect(res, frame, lab)
        written = write_trace(res, out, png=png)
        if utxo is not None:
            written += write_utxo_heuristics(utxo, out)
        run_id = None
        if store is not None:
            run_id = store_trace(res, str(transfers), store, holders=listed,
                                 holders_file=str(ofac) if ofac is not None else None,
                                 started_at=started)
    except ChromiumMissing as exc:
        raise fail(f"{exc} (use --no-png to skip report.png)") from None
    except (CryptoFormatError, FileNotFoundError, ValueError, StoreBusy,
            StoreNotWritable) as exc:
        raise fail(str(exc)) from None
    for b in bad[:20]:
        err_console.print(data_text(f"rejected {b.path}:{b.line}: {b.reason} {b.detail}"),
                          soft_wrap=True)
    if len(bad) > 20:
        err_console.print(data_text(f"... {len(bad) - 20} more rejected rows"))
    t = Table("address", "role", "hops", "tainted in", "findings",
              title=f"{res.flows.height} tainted transfers, {res.addresses.height} addresses")
    for r in res.addresses.head(25).iter_rows(named=True):
        t.add_row(*map(data_text, (r["address"], r["role"], str(r["hops"]),
                                   f"{r['tainted_in']:,.4f}", r["findings"])))
    out_console.print(t)
    out_console.print(data_text(f"{len(res.findings)} findings; {len(bad)} rejected rows; "
                                f"wrote {', '.join(str(p) for p in written)}"), highlight=False)
    if run_id is not None:
        out_console.print(data_text(f"stored as run {run_id} in {store} ({res.flows.height} "
                                    f"crypto_flows, {res.addresses.height} crypto_addresses "
                                    "rows)"), highlight=False)


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r}: not an ISO 8601 time") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)

