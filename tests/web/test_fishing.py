"""Fishing events in the web API and ``/api/fishing-days`` (on the shared dprk-2019 store)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_fishing_events_are_ordinary_events(client: TestClient) -> None:
    page = client.get("/api/events", params={"type": ["fishing", "pair_trawling"],
                                             "limit": 500}).json()
    kinds = {e["event_type"] for e in page["items"]}
    assert kinds == {"fishing", "pair_trawling"}
    pair = next(e for e in page["items"] if e["event_type"] == "pair_trawling")
    assert pair["other_mmsi"] is not None
    assert pair["explanation"].startswith("Pair trawling with MMSI ")
    fishing = next(e for e in page["items"] if e["event_type"] == "fishing")
    assert fishing["explanation"].startswith("Apparent fishing (trawler)")


def test_fishing_days_endpoint(client: TestClient) -> None:
    body = client.get("/api/fishing-days").json()
    assert "mostly dark fleet" in body["caveat"]
    zones = {r["zone_id"] for r in body["items"]}
    assert "prk_eez_east_sea" in zones  # the simulated Chinese fleet in the DPRK East Sea
    assert {r["flag"] for r in body["items"] if r["zone_id"] == "prk_eez_east_sea"} == {"CN"}
    assert all(r["vessel_days"] >= 1 for r in body["items"])
    assert client.get("/api/fishing-days", params={"year": 2017}).json()["items"] == []
