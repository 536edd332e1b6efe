"""The HTTP API on a simulated store: each endpoint returns what the store holds, in the
contract's shapes (docs/web.md)."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from sanctionwatch.store import DuckDBStore, EventFilter
from tests.web.conftest import EVIL, WebStore, stored


def test_health_counts_the_stored_events(client: TestClient, web_store: WebStore) -> None:
    with DuckDBStore(web_store.store, read_only=True) as st:
        n = st.count_events()
    body = client.get("/api/health").json()
    assert body == {"status": "ok", "store": str(web_store.store), "events": n} and n > 100


def test_events_pages_cover_the_store_in_time_order(client: TestClient,
                                                    web_store: WebStore) -> None:
    first = client.get("/api/events", params={"limit": 50}).json()
    second = client.get("/api/events", params={"limit": 50, "offset": 50}).json()
    assert first["total"] == second["total"] > 100
    items = first["items"] + second["items"]
    assert len({i["event_id"] for i in items}) == 100
    times = [datetime.fromisoformat(i["start_time"].replace("Z", "+00:00")) for i in items]
    assert times == sorted(times)
    with DuckDBStore(web_store.store, read_only=True) as st:
        want = st.events(EventFilter(limit=100))["event_id"].to_list()
    assert [i["event_id"] for i in items] == want
    for i in items:
        assert i["explanation"] and isinstance(i["names"], dict)


def test_event_filters_narrow_the_list(client: TestClient, web_store: WebStore) -> None:
    total = client.get("/api/events").json()["total"]
    enc = client.get("/api/events", params={"type": "encounter", "limit": 1000}).json()
    assert 0 < enc["total"] < total
    assert {i["event_type"] for i in enc["items"]} == {"encounter"}
    both = client.get("/api/events", params=[("type", "encounter"), ("type", "ais_gap")]).json()
    assert both["total"] > enc["total"]
    box = client.get("/api/events", params={"bbox": "124,38,126,40", "limit": 1000}).json()
    assert 0 < box["total"] < total
    assert all(124 <= i["lon"] <= 126 and 38 <= i["lat"] <= 40 for i in box["items"])
    evil = web_store.hostile[EVIL]
    mine = client.get("/api/events", params={"mmsi": evil, "limit": 1000}).json()
    assert mine["total"] > 0
    assert all(evil in (i["mmsi"], i["other_mmsi"]) for i in mine["items"])
    listed = client.get("/api/events", params={"designated": "true", "limit": 1000}).json()
    assert 0 < listed["total"] < total and all(i["designated"] for i in listed["items"])
    dprk = client.get("/api/events", params={"dprk": "true", "limit": 1000}).json()
    assert dprk["total"] > 0 and all(i["is_dprk"] for i in dprk["items"])
    late = client.get("/api/events", params={"since": "2019-03-10T00:00:00Z"}).json()
    assert late["total"] < total
    zone = next(i["zone_id"] for i in client.get(
        "/api/events", params={"type": "zone_entry"}).json()["items"])
    inzone = client.get("/api/events", params={"zone": zone, "limit": 1000}).json()
    assert inzone["total"] > 0 and {i["zone_id"] for i in inzone["items"]} == {zone}


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"bbox": "1,2,3"},
                                    {"bbox": "10,0,5,1"}, {"limit": "0"},
                                    {"limit": "100000"}, {"offset": "-1"}])
def test_bad_filters_are_4xx_with_a_detail(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/events", params=params)
    assert r.status_code in (400, 422) and r.json()["detail"]


def test_events_geojson_is_the_same_page(client: TestClient) -> None:
    params = {"type": "ais_gap", "limit": 20}
    page = client.get("/api/events", params=params).json()
    geo = client.get("/api/events.geojson", params=params)
    assert geo.headers["content-type"].startswith("application/geo+json")
    fc = geo.json()
    assert fc["type"] == "FeatureCollection" and fc["total"] == page["total"]
    assert [f["properties"] for f in fc["features"]] == page["items"]
    for f in fc["features"]:
        p = f["properties"]
        assert f["geometry"]["type"] == "LineString"  # a gap from where AIS went off to on
        assert f["geometry"]["coordinates"][0] == [p["lon"], p["lat"]]


def test_zones_are_the_built_in_areas(client: TestClient) -> None:
    fc = client.get("/api/zones").json()
    props = [f["properties"] for f in fc["features"]]
    assert props and all(set(p) == {"zone_id", "name", "kind", "is_dprk"} for p in props)
    assert any(p["is_dprk"] for p in props) and any(not p["is_dprk"] for p in props)


def test_vessel_search_finds_names_ever_broadcast(client: TestClient,
                                                  web_store: WebStore) -> None:
    evil = web_store.hostile[EVIL]
    hits = client.get("/api/vessels", params={"q": "onerror"}).json()
    assert [h["mmsi"] for h in hits] == [evil] and hits[0]["name"] == stored(EVIL)
    assert client.get("/api/vessels", params={"q": str(evil)}).json()[0]["mmsi"] == evil
    top = client.get("/api/vessels", params={"limit": 10}).json()
    scores = [h["score"] or 0 for h in top]
    assert len(top) == 10 and scores == sorted(scores, reverse=True) and scores[0] > 0.5


def test_vessel_detail(client: TestClient, web_store: WebStore) -> None:
    evil = web_store.hostile[EVIL]
    v = client.get(f"/api/vessels/{evil}").json()
    assert v["mmsi"] == [evil] and v["name"] == stored(EVIL)
    names = [i["name"] for i in v["identities"]]
    assert names[-1] == stored(EVIL) and len(set(names)) >= 2
    assert v["risk"]["score"] > 0 and v["risk"]["reasons"]
    assert web_store.partner in [p["mmsi"] for p in v["partners"]]
    assert v["events_total"] == client.get("/api/events", params={"mmsi": evil}).json()["total"]
    if v["imo"] is not None:
        by_imo = client.get(f"/api/vessels/{v['imo']}").json()
        assert evil in by_imo["mmsi"]
    assert client.get("/api/vessels/999999999").status_code == 404
    assert client.get("/api/vessels/12").status_code == 400


def test_track_has_a_time_per_coordinate(client: TestClient, web_store: WebStore) -> None:
    evil = web_store.hostile[EVIL]
    fc = client.get(f"/api/vessels/{evil}/track").json()
    assert fc["features"]
    for f in fc["features"]:
        assert f["properties"]["mmsi"] == evil
        assert len(f["properties"]["times"]) == len(f["geometry"]["coordinates"]) > 1
        assert f["properties"]["times"] == sorted(f["properties"]["times"])
    t = [x for f in fc["features"] for x in f["properties"]["times"]]
    mid = sorted(t)[len(t) // 2]
    later = client.get(f"/api/vessels/{evil}/track", params={"since": mid}).json()
    kept = [x for f in later["features"] for x in f["properties"]["times"]]
    assert kept and min(kept) >= mid and len(kept) < len(t)


def test_alert_queue_and_reviews_are_an_audit_trail(client: TestClient,
                                                    web_store: WebStore) -> None:
    queue = client.get("/api/alerts", params={"limit": 20}).json()
    scores = [a["score"] for a in queue]
    assert len(queue) == 20 and scores == sorted(scores, reverse=True)
    assert all(a["status"] == "open" and a["last_review"] is None and a["reasons"]
               for a in queue)
    mmsi = queue[0]["mmsi"]
    r1 = client.post(f"/api/alerts/{mmsi}/reviews", json={"status": "confirmed",
                                                          "note": "STS with a listed tanker"})
    assert r1.status_code == 201 and r1.json()["user"] == "local"
    r2 = client.post(f"/api/alerts/{mmsi}/reviews", json={"status": "dismissed",
                                                          "note": "known coaster"})
    history = client.get(f"/api/alerts/{mmsi}/reviews").json()
    assert history[-2:] == [r1.json(), r2.json()]  # the first is kept as it was
    assert mmsi not in [a["mmsi"] for a in client.get("/api/alerts").json()]
    dismissed = client.get("/api/alerts", params={"status": "dismissed"}).json()
    assert dismissed[0]["mmsi"] == mmsi
    assert dismissed[0]["last_review"] == {k: v for k, v in r2.json().items() if k != "mmsi"}
    everything = client.get("/api/alerts", params={"status": "all", "limit": 1000}).json()
    assert mmsi in [a["mmsi"] for a in everything]
    client.post(f"/api/alerts/{mmsi}/reviews", json={"status": "open", "note": "reopened"})
    assert mmsi in [a["mmsi"] for a in client.get("/api/alerts").json()]
    bad = client.post(f"/api/alerts/{mmsi}/reviews", json={"status": "deleted"})
    assert bad.status_code == 422
    assert client.post("/api/alerts/999999999/reviews",
                       json={"status": "open"}).status_code == 404


def test_screen_returns_explained_matches(client: TestClient) -> None:
    hits = client.get("/api/screen", params={"q": "JI SONG 6", "schema": "Vessel"}).json()
    assert hits[0]["name"] == "JI SONG 6" and hits[0]["match"] and hits[0]["score"] >= 0.9
    assert set(hits[0]) == {"id", "name", "schema", "datasets", "score", "match",
                            "explanation"}
    assert "un_1718_vessels" in hits[0]["datasets"] and hits[0]["explanation"]


def test_yente_match_shape(client: TestClient) -> None:
    body = {"queries": {"q1": {"schema": "Vessel", "properties": {
        "name": ["Ji Song 6"], "imoNumber": ["IMO8898740"]}},
        "q2": {"schema": "Vessel", "properties": {"name": ["Nothing Like Any Ship"]}}}}
    r = client.post("/match/default", json=body, params={"limit": 3})
    assert r.status_code == 200
    out = r.json()
    assert out["limit"] == 3 and set(out["responses"]) == {"q1", "q2"}
    q1 = out["responses"]["q1"]
    assert q1["status"] == 200 and q1["total"] == {"value": len(q1["results"]), "relation": "eq"}
    assert q1["query"]["properties"]["name"] == ["Ji Song 6"]
    top = q1["results"][0]
    assert top["caption"] == "JI SONG 6" and top["match"] and top["schema"] == "Vessel"
    assert top["properties"]["imoNumber"] == ["IMO8898740"]
    assert "un_1718_vessels" in top["datasets"] and top["features"]
    assert not any(x["match"] for x in out["responses"]["q2"]["results"])
    assert client.post("/match/un_1718_vessels", json=body).status_code == 200
    assert client.post("/match/no_such_list", json=body).status_code == 404
    assert client.post("/match/default", json={"queries": {"q": {"schema": "Vessel",
                                                                 "properties": {}}}}
                       ).status_code == 400


def test_entity_and_its_graph(client: TestClient) -> None:
    hit = client.get("/api/screen", params={"q": "JI SONG 6"}).json()[0]
    e = client.get(f"/api/entities/{hit['id']}").json()
    assert e["id"] == hit["id"] and e["schema"] == "Vessel" and e["caption"] == "JI SONG 6"
    assert {s["dataset"] for s in e["statements"]} == {"un_1718_vessels"}
    assert all(s["source_record"] for s in e["statements"])
    g = client.get(f"/api/entities/{hit['id']}/graph").json()
    ids = {n["id"] for n in g["nodes"]}
    assert hit["id"] in ids or any(n["designated"] for n in g["nodes"])
    assert all(lk["source"] in ids and lk["target"] in ids for lk in g["links"])
    assert client.get("/api/entities/no-such-entity").status_code == 404


def test_vessel_graph_links_the_ais_vessel(client: TestClient, web_store: WebStore) -> None:
    evil = web_store.hostile[EVIL]
    g = client.get(f"/api/vessels/{evil}/graph", params={"hops": 2}).json()
    ids = {n["id"] for n in g["nodes"]}
    assert f"mmsi:{evil}" in ids and g["links"]
    assert {"source", "target", "relation", "origin"} <= set(g["links"][0])


def test_runs_and_quality(client: TestClient) -> None:
    runs = client.get("/api/runs").json()
    assert len(runs) == 1 and runs[0]["command"] == "detect"
    assert isinstance(runs[0]["counts"], dict) and isinstance(runs[0]["inputs"], list)
    q = client.get("/api/quality", params={"limit": 1}).json()
    assert q["total"] >= 1 and len(q["items"]) == 1
    assert isinstance(q["items"][0]["details"], dict)
    t = q["items"][0]["event_type"]
    only = client.get("/api/quality", params={"type": t, "limit": 1000}).json()
    assert 0 < only["total"] <= q["total"] and {i["event_type"] for i in only["items"]} == {t}
    assert client.get("/api/quality", params={"type": "no_such_type"}).json()["total"] == 0
    past = client.get("/api/quality", params={"offset": q["total"]}).json()
    assert past["items"] == [] and past["total"] == q["total"]


def test_openapi_documents_every_endpoint(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/health", "/api/events", "/api/events.geojson", "/api/zones",
              "/api/vessels", "/api/vessels/{key}", "/api/vessels/{key}/track",
              "/api/vessels/{key}/dossier", "/api/vessels/{key}/graph", "/api/alerts",
              "/api/alerts/{mmsi}/reviews", "/api/screen", "/match/{dataset}",
              "/api/entities/{entity_id}", "/api/entities/{entity_id}/graph", "/api/runs",
              "/api/quality", "/api/export/events.{suffix}", "/api/export/track/{key}.{suffix}",
              "/api/export/entities.ftm.json", "/api/reports/{name}"):
        assert p in paths, p
