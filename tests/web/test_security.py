"""Security: hostile vessel names are data, never markup or SQL; the token; the security
headers on every response; no download outside the reports folder; the bind rule."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.store import DuckDBStore
from sanctionwatch.web.security import CSP, check_bind, is_loopback
from tests.web.conftest import EVIL, SQLI, TOKEN, WebStore, stored

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_hostile_names_come_back_literally_in_json(client: TestClient,
                                                   web_store: WebStore) -> None:
    for name in (EVIL, SQLI):
        mmsi = web_store.hostile[name]
        v = client.get(f"/api/vessels/{mmsi}").json()
        assert v["name"] == stored(name)
        items = client.get("/api/events", params={"mmsi": mmsi, "limit": 1000}).json()["items"]
        assert stored(name) in [i["names"].get(str(mmsi)) for i in items]
        changes = [i for i in items if i["event_type"] == "identity_change"]
        assert any(stored(name) in i["explanation"] for i in changes)
    alerts = client.get("/api/alerts", params={"status": "all", "limit": 1000}).json()
    assert stored(EVIL) in [a["name"] for a in alerts]


@pytest.mark.parametrize("path", [
    "/api/vessels", "/api/events", "/api/events.geojson", "/api/screen", "/api/quality",
    "/api/alerts"])
def test_hostile_strings_as_query_parameters_harm_nothing(client: TestClient,
                                                          web_store: WebStore,
                                                          path: str) -> None:
    with DuckDBStore(web_store.store, read_only=True) as st:
        before = st.count_events()
    for value in (SQLI, EVIL, "1; DELETE FROM events", "' OR '1'='1"):
        for key in ("q", "type", "zone", "status", "since", "bbox", "mmsi"):
            r = client.get(path, params={key: value})
            assert r.status_code < 500, (path, key, value, r.text)
    for value in (SQLI, "x' OR 1=1 --"):
        assert client.get(f"/api/entities/{value}").status_code == 404
        assert client.get(f"/api/vessels/{value}").status_code == 400
    with DuckDBStore(web_store.store, read_only=True) as st:
        assert st.count_events() == before  # the table is still there, with every row
    hits = client.get("/api/vessels", params={"q": SQLI}).json()
    assert [h["mmsi"] for h in hits] == [web_store.hostile[SQLI]]


def test_dossier_escapes_the_names_and_runs_no_script(client: TestClient,
                                                      web_store: WebStore) -> None:
    r = client.get(f"/api/vessels/{web_store.hostile[EVIL]}/dossier")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "&lt;IMG SRC=X ONERROR=ALERT(1)&gt;" in r.text
    assert "<IMG SRC" not in r.text.upper().replace("&LT;IMG SRC", "")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/api/health", "/api/events?limit=1", "/api/nowhere",
                                  "/openapi.json", "/", "/static/nothing.js",
                                  "/api/vessels/12", "/api/reports/../store.duckdb"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


def test_token_is_required_when_configured(token_client: TestClient,
                                           web_store: WebStore) -> None:
    for path in ("/api/health", "/api/events", "/api/alerts", "/api/export/events.csv"):
        r = token_client.get(path)
        assert r.status_code == 401 and r.json()["detail"]
        assert r.headers["content-security-policy"] == CSP
        assert token_client.get(path, headers={"Authorization": "Bearer wrong"}
                                ).status_code == 401
        assert token_client.get(path, headers={"Authorization": f"Bearer {TOKEN}"}
                                ).status_code == 200
    body = {"queries": {"q": {"schema": "Vessel", "properties": {"name": ["JI SONG 6"]}}}}
    assert token_client.post("/match/default", json=body).status_code == 401
    assert token_client.post("/match/default", json=body,
                             headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    # a link or an iframe cannot send a header: documents take ?token=, the API does not
    mmsi = web_store.hostile[EVIL]
    assert token_client.get(f"/api/vessels/{mmsi}/dossier",
                            params={"token": TOKEN}).status_code == 200
    assert token_client.get("/api/export/events.csv", params={"token": TOKEN}
                            ).status_code == 200
    assert token_client.get("/api/events", params={"token": TOKEN}).status_code == 401
    r = token_client.post(f"/api/alerts/{mmsi}/reviews", json={"status": "confirmed"},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 201 and r.json()["user"] == "alice"


@pytest.mark.parametrize("name", ["../store.duckdb", "..%2Fstore.duckdb", "sub/../../secret.txt",
                                  "%2Fetc%2Fpasswd", "link.txt", "sub", "missing.html",
                                  "sub%2F..%2F..%2Fsecret.txt", "sub/..%2F..%2Fsecret.txt"])
def test_reports_never_leave_the_folder(client: TestClient, name: str) -> None:
    r = client.get(f"/api/reports/{name}")
    assert r.status_code == 404 and "outside" not in r.text


def test_reports_serve_files_inside(client: TestClient) -> None:
    r = client.get("/api/reports/brief.html")
    assert r.status_code == 200 and "brief" in r.text
    assert "script-src" not in r.headers["content-security-policy"]
    assert client.get("/api/reports/sub/note.txt").text == "note"


def test_serve_refuses_a_public_bind_without_a_token(web_store: WebStore,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SANCTIONWATCH_TOKEN", raising=False)
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.org"):
        res = CliRunner().invoke(app, ["serve", "--store", str(web_store.store), "--host", host])
        assert res.exit_code == 2, res.output
        assert "without an access token" in res.output
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.5.5.5", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org"))
    check_bind("0.0.0.0", "a-token")  # with a token any interface is allowed
    check_bind("127.0.0.1", None)
