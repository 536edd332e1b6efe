"""Crypto traces in the store: the ``crypto_flows`` and ``crypto_addresses`` tables
(:mod:`sanctionwatch.schema`).

:func:`store_trace` writes one trace (:class:`sanctionwatch.finance.trace.TraceResult`) as a new
run, in one transaction; the relationship graph reads every stored run back
(:func:`sanctionwatch.linking.graph_build.read_crypto`) and makes the addresses wallet nodes
linked to the addresses that funded them and to their SDN holders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from sanctionwatch.schema import CRYPTO_ADDRESSES, CRYPTO_FLOWS
from sanctionwatch.store.duck import replace_rows

if TYPE_CHECKING:
    from sanctionwatch.finance.crypto_ingest import Seed
    from sanctionwatch.finance.trace import TraceResult


def new_trace_run_id(now: datetime | None = None) -> str:
    """A run id as the detection runs have them: compact UTC start time and a random suffix."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def trace_tables(
    res: TraceResult,
    source_file: str,
    run_id: str,
    holders: Iterable[Seed] = (),
    holders_file: str | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ``crypto_flows`` and ``crypto_addresses`` rows of one trace. ``holders``: the SDN
    crypto-address rows (:func:`read_ofac_seeds`) read from ``holders_file``; an address one
    of them names (as :func:`match_seed` matches) gets its holder ``us-ofac-<uid>``."""
    from sanctionwatch.finance.crypto_ingest import match_seed

    f = res.flows
    flows = pl.DataFrame({
        "run_id": [run_id] * f.height,
        "seeds": [list(res.seeds)] * f.height,
        "direction": [res.params.direction] * f.height,
        "method": [res.params.method] * f.height,
        "time": f["time"], "tx_hash": f["tx_hash"], "from_address": f["from"],
        "to_address": f["to"], "value_coins": f["value"], "tainted_coins": f["tainted_value"],
        "taint_share": f["taint_share"], "hop": f["hop"], "asset": f["asset"],
        "source_file": [source_file] * f.height, "line": f["line"],
    }, schema=CRYPTO_FLOWS.polars_schema())
    listed = list(holders)
    a = res.addresses
    found = [match_seed(addr, listed) if listed else None for addr in a["address"].to_list()]
    addresses = pl.DataFrame({
        "run_id": [run_id] * a.height, "address": a["address"], "role": a["role"],
        "label": a["label"], "category": a["category"], "taint": a["taint"],
        "hops": a["hops"], "tainted_in_coins": a["tainted_in"],
        "tainted_out_coins": a["tainted_out"], "first_time": a["first_time"],
        "last_time": a["last_time"], "findings": a["findings"],
        "asset": [res.asset] * a.height,
        "holder_entity_id": [f"us-ofac-{s.uid}" if s else None for s in found],
        "holder_source_file": [holders_file if s else None for s in found],
        "holder_line": [s.line if s else None for s in found],
    }, schema=CRYPTO_ADDRESSES.polars_schema())
    return flows, addresses


def store_trace(
    res: TraceResult,
    source_file: str,
    store_path: str | Path | None = None,
    *,
    holders: Iterable[Seed] = (),
    holders_file: str | None = None,
    run_id: str | None = None,
    started_at: datetime | None = None,
) -> str:
    """Store one trace as a new run (:func:`trace_tables`) with its ``runs`` row (command
    ``trace``), in one transaction; its run id."""
    from dataclasses import asdict

    from sanctionwatch.schema import RUNS
    from sanctionwatch.store.duck import default_store_path
    from sanctionwatch.store.finance_runs import events_in_store, finance_run_row, input_record

    started = started_at or datetime.now(UTC)
    rid = run_id or new_trace_run_id(started)
    flows, addresses = trace_tables(res, source_file, rid, holders, holders_file)
    inputs = [input_record(source_file, tainted_transfers=flows.height)]
    if holders_file is not None:
        inputs.append(input_record(holders_file))
    by_detector: dict[str, int] = {}
    for f in res.findings:
        by_detector[f.detector] = by_detector.get(f.detector, 0) + 1
    params = {**asdict(res.params), "seeds": list(res.seeds), "asset": res.asset}
    path = store_path if store_path is not None else default_store_path()
    run = finance_run_row(rid, "trace", started, inputs, params,
                          {"crypto_flows": flows.height, "crypto_addresses": addresses.height,
                           "findings": dict(sorted(by_detector.items()))},
                          events_in_store(path))
    replace_rows(path, [(CRYPTO_FLOWS, flows), (CRYPTO_ADDRESSES, addresses), (RUNS, run)],
                 "run_id", rid)
    return rid


__all__ = ["new_trace_run_id", "store_trace", "trace_tables"]
