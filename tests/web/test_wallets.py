"""Crypto wallets in the web workspace: a store with two real OFAC SDN 2021-07 rows (LAZARUS
GROUP and TIAN Yinyin, copied from tests/data/sanctions) and the real Ronin excerpt traced
from the exploiter into it; ``/api/entities`` and ``/api/wallets`` for listed and traced
addresses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sanctionwatch.finance.crypto_ingest import (
    read_ofac_seeds,
    read_transfers,
    shipped_service_labels,
)
from sanctionwatch.finance.trace import TraceParams, detect, trace
from sanctionwatch.sanctions import ListStore
from sanctionwatch.store.crypto import store_trace
from sanctionwatch.web import create_app

DATA = Path(__file__).resolve().parents[1] / "data"
OFAC_SDN = DATA / "sanctions" / "ofac_sdn_2021-07" / "sdn.csv"
DUNE = DATA / "crypto" / "eth_ronin_lazarus_dune" / "LazarusTabularTxs1322519.csv"
SDN_CRYPTO = DATA / "crypto" / "dprk_ofac_crypto_addresses.csv"
EXPLOITER = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
DEPOSITOR = "0xf945fa5b71cfaa2736b427b7213cff14cc83279c"
TIAN_XBT = "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:
    work = tmp_path_factory.mktemp("wallets")
    lists = work / "ofac_sdn_2021-07"
    lists.mkdir()
    rows = [r for r in OFAC_SDN.read_bytes().split(b"\r\n")
            if r.startswith((b"27307,", b"28263,"))]
    assert len(rows) == 2
    (lists / "sdn.csv").write_bytes(b"\r\n".join(rows) + b"\r\n")
    store = work / "sw.duckdb"
    with ListStore(store) as ls:
        ls.load_many([lists])
    read = read_transfers(DUNE)
    labels = shipped_service_labels()
    res = trace(read.frame, [EXPLOITER], TraceParams(), labels)
    detect(res, read.frame, labels)
    seeds, _ = read_ofac_seeds(SDN_CRYPTO)
    store_trace(res, str(DUNE), store, holders=seeds, holders_file=str(SDN_CRYPTO))
    return TestClient(create_app(store))


def test_listed_wallet_entity_and_graph(client: TestClient) -> None:
    wid = "us-ofac-28263-wallet-xbt-" + TIAN_XBT.lower()
    e = client.get(f"/api/entities/{wid}").json()
    assert e["schema"] == "CryptoWallet" and e["caption"] == TIAN_XBT
    assert e["properties"]["holder"] == ["us-ofac-28263"]
    assert {s["source_record"] for s in e["statements"]} == {"sdn.csv line 2 (ent_num 28263)"}
    assert e["trace"] == []  # not in the Ronin excerpt
    g = client.get(f"/api/entities/{wid}/graph").json()
    assert {n["id"]: n["kind"] for n in g["nodes"]}[wid] == "wallet"
    held = [lk for lk in g["links"] if lk["relation"] == "holder"]
    assert [(lk["source"], lk["target"]) for lk in held] == [(wid, "us-ofac-28263")]


def test_traced_wallet_entity_and_graph(client: TestClient) -> None:
    e = client.get(f"/api/entities/{DEPOSITOR.upper().replace('0X', '0x')}").json()
    assert e["id"] == "wallet:" + DEPOSITOR and e["schema"] == "CryptoWallet"
    assert [(r["role"], r["hops"]) for r in e["trace"]] == [("mixer_depositor", 2)]
    g = client.get(f"/api/entities/wallet:{DEPOSITOR}/graph", params={"hops": 2}).json()
    kinds = {n["id"]: n["kind"] for n in g["nodes"]}
    assert kinds["wallet:" + DEPOSITOR] == "wallet"
    assert {"funded_by", "holder"} <= {lk["relation"] for lk in g["links"]}
    assert "us-ofac-27307" in kinds  # LAZARUS GROUP, two links away
    assert client.get("/api/entities/0xnothere").status_code == 404


def test_wallet_endpoint_paths_to_lazarus(client: TestClient) -> None:
    w = client.get(f"/api/wallets/{DEPOSITOR}").json()
    assert w["node"] == "wallet:" + DEPOSITOR and not w["listed"]
    assert w["flows"] and all(DEPOSITOR in (f["from_address"], f["to_address"])
                              for f in w["flows"])
    lazarus = [p for p in w["paths"] if p["target"] == "us-ofac-27307"]
    assert lazarus[0]["hops"] == 2
    assert lazarus[0]["labels"][-1] == "LAZARUS GROUP"
    assert [lk["origin"] for lk in lazarus[0]["links"]] == ["trace", "address_list"]
    ex = client.get(f"/api/wallets/{EXPLOITER}").json()
    assert [p["hops"] for p in ex["paths"] if p["target"] == "us-ofac-27307"] == [1]
    assert client.get("/api/wallets/0xnothere").status_code == 404
