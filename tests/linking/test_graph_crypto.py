"""Crypto addresses in the relationship graph, on the real data: the OFAC SDN 2021-07
digital-currency addresses as wallets held by their SDN entries, and a trace of the real Ronin
excerpt stored in the store (``trace --store``) linking the laundering addresses to LAZARUS
GROUP through the exploiter's and the intermediaries' SDN-listed wallets."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.finance.crypto_ingest import (
    read_ofac_seeds,
    read_transfers,
    shipped_service_labels,
)
from sanctionwatch.finance.trace import TraceParams, detect, trace
from sanctionwatch.linking.graph import EntityGraph
from sanctionwatch.sanctions import ListStore
from sanctionwatch.store.crypto import store_trace

TESTS = Path(__file__).resolve().parents[1]
OFAC = TESTS / "data" / "sanctions" / "ofac_sdn_2021-07"
DUNE = TESTS / "data" / "crypto" / "eth_ronin_lazarus_dune" / "LazarusTabularTxs1322519.csv"
SDN_CRYPTO = TESTS / "data" / "crypto" / "dprk_ofac_crypto_addresses.csv"
EXPLOITER = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
# tayvano (ronin_bridge.md): an "Intermediary to TC" (OFAC-listed 2022-05-06), a Tornado Cash
# depositor it paid (35 deposits of 100 ETH), an "Intermediary to CEX" (not listed)
INTERMEDIARY_TC = "0x08723392ed15743cc38513c4925f5e6be5c17243"
DEPOSITOR = "0xf945fa5b71cfaa2736b427b7213cff14cc83279c"
INTERMEDIARY_CEX = "0x776b80e3fd97516ae3a2579cf4eae5ff5867d0f3"
LAZARUS = "us-ofac-27307"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crypto_graph") / "sw.duckdb"
    with ListStore(path) as lists:
        lists.load_many([OFAC])
    read = read_transfers(DUNE)
    labels = shipped_service_labels()
    res = trace(read.frame, [EXPLOITER], TraceParams(method="haircut"), labels)
    detect(res, read.frame, labels)
    seeds, _ = read_ofac_seeds(SDN_CRYPTO)
    store_trace(res, str(DUNE), path, holders=seeds, holders_file=str(SDN_CRYPTO),
                run_id="ronin-test")
    return path


@pytest.fixture(scope="module")
def graph(store) -> EntityGraph:
    return EntityGraph.from_store(store)


def test_ofac_wallet_is_a_node_held_by_its_designated_entry(graph):
    # TIAN Yinyin (DPRK3, CYBER2) laundered Lazarus exchange-hack proceeds; the address is
    # found however it is cased
    node = graph.wallet_node("134R8IHV69XDT6P5QVKTSHRCUEUBVZAYAK")
    assert node == "us-ofac-28263-wallet-xbt-134r8ihv69xdt6p5qvktshrcueubvzayak"
    assert graph.find("134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak") == node
    assert graph.graph.nodes[node]["kind"] == "wallet"
    assert not graph.graph.nodes[node]["designated"]
    p = graph.paths_to_designated(node, 1)
    assert [(x.target, x.links[0].relation) for x in p] == [("us-ofac-28263", "holder")]
    assert p[0].links[0].provenance() == (
        "us_ofac_sdn 2021-07-01, sdn.csv line 7925 (ent_num 28263)")
    assert "held by → TIAN, Yinyin (designated: OFAC SDN 28263" in p[0].explain()
    assert graph.counts()["nodes"]["wallet"] >= 97


def test_the_exploiter_is_held_by_lazarus_group_per_the_sdn_address_list(graph):
    node = graph.wallet_node(EXPLOITER)
    assert node == "wallet:" + EXPLOITER.lower()
    p = graph.paths_to_designated(node, 1)
    assert [x.target for x in p] == [LAZARUS]
    link = p[0].links[0]
    assert (link.relation, link.origin, link.source_file, link.line) == (
        "holder", "address_list", str(SDN_CRYPTO), 92)
    assert p[0].labels[-1] == "LAZARUS GROUP"


def test_a_tornado_depositor_reaches_lazarus_through_the_intermediary(graph):
    p = graph.paths_to_designated(graph.wallet_node(DEPOSITOR), 3)
    first = next(x for x in p if x.target == LAZARUS)
    assert first.hops == 2
    assert first.nodes[1] == "wallet:" + INTERMEDIARY_TC
    funded, held = first.links
    assert (funded.relation, funded.origin, funded.source_file, funded.line) == (
        "funded_by", "trace", str(DUNE), 200)  # 3,582.1 ETH on 2022-05-19, checked in the CSV
    assert funded.start == date(2022, 5, 19)
    # haircut: the intermediary held a little value the excerpt never shows arriving (clean)
    assert funded.detail.startswith("3,582.0999 of 3,582.1000 ETH tainted (haircut, hop 2")
    assert (held.relation, held.origin) == ("holder", "address_list")


def test_an_unlisted_intermediary_reaches_lazarus_through_the_exploiter(graph):
    p = graph.paths_to_designated(graph.wallet_node(INTERMEDIARY_CEX), 3)
    first = next(x for x in p if x.target == LAZARUS)
    assert first.nodes == ("wallet:" + INTERMEDIARY_CEX, "wallet:" + EXPLOITER.lower(),
                           LAZARUS)
    # 1,250 ETH from the exploiter on 2022-03-28 in two transfers (500 + 750): both are links
    funded = [d["link"] for _, _, d in graph.graph.out_edges(first.nodes[0], data=True)
              if d["link"].target == first.nodes[1]]
    assert sorted((lk.line, lk.detail.split(" ETH")[0]) for lk in funded) == [
        (386, "750.0000 of 750.0000"), (437, "500.0000 of 500.0000")]


def test_stored_tables_hold_the_trace(store):
    con = duckdb.connect(str(store), read_only=True)
    try:
        flows = con.execute("SELECT count(*), sum(tainted_coins) FROM crypto_flows").fetchone()
        row = con.execute(
            "SELECT role, hops, holder_entity_id, holder_line FROM crypto_addresses "
            "WHERE address = ?", [INTERMEDIARY_TC]).fetchone()
        dep = con.execute("SELECT role FROM crypto_addresses WHERE address = ?",
                          [DEPOSITOR]).fetchone()
    finally:
        con.close()
    assert flows is not None and flows[0] > 0
    assert row is not None and row[1:] == (1, LAZARUS, 91)
    assert dep == ("mixer_depositor",)


def test_as_of_before_the_theft_leaves_the_transfers_out(store):
    g = EntityGraph.from_store(store, as_of=date(2022, 3, 1))
    assert g.counts()["relations"].get("funded_by", 0) == 0
    assert g.counts()["relations"]["holder"] >= 97


def test_cli_trace_store_then_graph_paths_from_an_address(store, tmp_path):
    runner = CliRunner()
    store = Path(shutil.copy(store, tmp_path / "sw.duckdb"))  # OFAC 2021-07 loaded
    res = runner.invoke(app, ["trace", "--transfers", str(DUNE), "--ofac", str(SDN_CRYPTO),
                              "--out", str(tmp_path / "out"), "--no-png", "--store",
                              str(store)])
    assert res.exit_code == 0, res.output
    assert "stored as run" in res.output
    res = runner.invoke(app, ["graph", "paths", DEPOSITOR.upper().replace("0X", "0x"),
                              "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["node"] == "wallet:" + DEPOSITOR
    lazarus = [p for p in out["paths"] if p["target"] == LAZARUS]
    assert lazarus and lazarus[0]["hops"] == 2
    assert [lk["relation"] for lk in lazarus[0]["links"]] == ["funded_by", "holder"]
    res = runner.invoke(app, ["graph", "paths", "0xnothere", "--store", str(store)])
    assert res.exit_code != 0 and "no crypto address" in res.output


def test_cli_trace_store_refuses_a_bad_store_before_tracing(tmp_path):
    res = CliRunner().invoke(app, ["trace", EXPLOITER, "--transfers", str(DUNE), "--out",
                                   str(tmp_path / "out"), "--no-png", "--store", str(tmp_path)])
    assert res.exit_code != 0 and "is a folder" in res.output
    assert not (tmp_path / "out").exists()
