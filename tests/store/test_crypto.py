"""Stored crypto traces (``crypto_flows``, ``crypto_addresses``) from the real Ronin excerpt:
one run per store call, rows as the trace found them, holders from the SDN address CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sanctionwatch.finance.crypto_ingest import read_ofac_seeds, read_transfers
from sanctionwatch.finance.trace import TraceParams, trace
from sanctionwatch.schema import CRYPTO_ADDRESSES, CRYPTO_FLOWS
from sanctionwatch.store.crypto import store_trace, trace_tables
from sanctionwatch.store.duck import read_table

DATA = Path(__file__).resolve().parents[1] / "data" / "crypto"
DUNE = DATA / "eth_ronin_lazarus_dune" / "LazarusTabularTxs1322519.csv"
SDN_CRYPTO = DATA / "dprk_ofac_crypto_addresses.csv"
EXPLOITER = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"


@pytest.fixture(scope="module")
def ronin():
    res = trace(read_transfers(DUNE).frame, [EXPLOITER], TraceParams(max_hops=1))
    return res, read_ofac_seeds(SDN_CRYPTO)[0]


def test_tables_mirror_the_trace(ronin):
    res, seeds = ronin
    flows, addresses = trace_tables(res, str(DUNE), "r1", seeds, str(SDN_CRYPTO))
    assert flows.height == res.flows.height and addresses.height == res.addresses.height
    assert flows["tainted_coins"].sum() == pytest.approx(res.flows["tainted_value"].sum())
    assert set(flows["line"].to_list()) == set(res.flows["line"].to_list())
    held = addresses.filter(addresses["holder_entity_id"].is_not_null())
    # the exploiter (line 92 of the SDN CSV) and the listed intermediaries it paid
    ex = held.filter(held["address"] == EXPLOITER.lower()).row(0, named=True)
    assert (ex["holder_entity_id"], ex["holder_line"], ex["hops"]) == ("us-ofac-27307", 92, 0)
    assert set(held["holder_entity_id"].to_list()) == {"us-ofac-27307"}


def test_each_store_call_is_a_run_and_reruns_replace(ronin, tmp_path):
    res, seeds = ronin
    store = tmp_path / "sw.duckdb"
    a = store_trace(res, str(DUNE), store, holders=seeds, holders_file=str(SDN_CRYPTO))
    b = store_trace(res, str(DUNE), store)
    store_trace(res, str(DUNE), store, run_id=b)  # the same run again: replaced, not doubled
    assert a != b
    con = duckdb.connect(str(store), read_only=True)
    try:
        flows = read_table(con, CRYPTO_FLOWS, "run_id, line")
        addresses = read_table(con, CRYPTO_ADDRESSES, "run_id, address")
    finally:
        con.close()
    assert flows.group_by("run_id").len().sort("run_id")["len"].to_list() == [
        res.flows.height] * 2
    assert addresses.filter(addresses["run_id"] == b)["holder_entity_id"].null_count() == (
        res.addresses.height)
    assert flows["seeds"][0].to_list() == [EXPLOITER.lower()]
