"""Wallet alerts, their reviews and the wallet dossier in the web workspace, on the real Ronin
excerpt traced from the exploiter into a store with two real OFAC SDN 2021-07 rows
(``/api/alerts?kind=wallet``, ``/api/alerts/wallet/{address}/reviews``,
``/api/wallets/{address}/dossier``, ``/api/runs``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sanctionwatch.web import create_app
from sanctionwatch.web.security import DOSSIER_CSP
from tests.evidence.pictures import check_provenance
from tests.evidence.test_wallet_dossier import DEPOSITOR
from tests.evidence.test_wallet_dossier import store as store  # the fixture
from tests.finance.test_crypto_ronin import EXPLOITER, INTERMEDIARIES_TO_TC


@pytest.fixture(scope="module")
def client(store: Path, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    copy = tmp_path_factory.mktemp("web-wallet-alerts") / "sw.duckdb"
    copy.write_bytes(store.read_bytes())  # reviews are written: not into the shared store
    return TestClient(create_app(copy))


def test_wallet_alerts_ranked_with_reasons(client: TestClient) -> None:
    got = client.get("/api/alerts", params={"kind": "wallet", "limit": 8}).json()
    assert len(got) == 8 and {a["kind"] for a in got} == {"wallet"}
    assert got[0]["key"] == "0x35fb6f6db4fb05e6a4ce86f2c93691425626d4b1"
    assert {a["key"] for a in got} == set(INTERMEDIARIES_TO_TC) | {EXPLOITER.lower()}
    assert all(a["status"] == "open" and a["score"] == 1.0 for a in got)
    assert "LAZARUS GROUP" in got[0]["reasons"][0]
    # the default queue is still the vessels': this store has none
    assert client.get("/api/alerts").json() == []
    every = client.get("/api/alerts", params={"kind": "all", "limit": 1000}).json()
    assert {a["kind"] for a in every} == {"wallet"}
    assert client.get("/api/alerts", params={"kind": "account"}).json() == []
    assert client.get("/api/alerts", params={"kind": "ship"}).status_code == 422


def test_a_wallet_alert_is_reviewed_like_a_vessel_alert(client: TestClient) -> None:
    url = f"/api/alerts/wallet/{DEPOSITOR.upper().replace('0X', '0x')}/reviews"
    r = client.post(url, json={"status": "confirmed", "note": "tayvano: TC depositor"})
    assert r.status_code == 201, r.text
    assert r.json()["subject"] == "wallet:" + DEPOSITOR and r.json()["user"] == "local"
    assert [x["status"] for x in client.get(url).json()] == ["confirmed"]
    open_keys = {a["key"] for a in client.get("/api/alerts", params={
        "kind": "wallet", "limit": 1000}).json()}
    assert DEPOSITOR not in open_keys
    confirmed = client.get("/api/alerts", params={"kind": "wallet",
                                                  "status": "confirmed"}).json()
    assert [(a["key"], a["last_review"]["note"]) for a in confirmed] == [
        (DEPOSITOR, "tayvano: TC depositor")]
    assert client.post("/api/alerts/wallet/0xnothere/reviews",
                       json={"status": "open"}).status_code == 404


def test_wallet_dossier_served_without_scripts(client: TestClient) -> None:
    r = client.get(f"/api/wallets/{EXPLOITER}/dossier")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == DOSSIER_CSP
    assert "held by → LAZARUS GROUP" in r.text
    check_provenance(r.text)
    assert client.get("/api/wallets/0xnothere/dossier").status_code == 404


def test_trace_run_listed_in_runs(client: TestClient) -> None:
    runs = client.get("/api/runs").json()
    assert [r["command"] for r in runs] == ["trace"]
    assert runs[0]["counts"]["crypto_flows"] == 70


def test_wallet_dossier_link_takes_the_token(store: Path) -> None:
    c = TestClient(create_app(store, token="s3cret", token_user="alice"))
    url = f"/api/wallets/{EXPLOITER}/dossier"
    assert c.get(url).status_code == 401
    assert c.get(url, params={"token": "s3cret"}).status_code == 200  # opened as a link
    assert c.get("/api/alerts", params={"kind": "wallet", "token": "s3cret"}).status_code == 401
