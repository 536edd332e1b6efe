"""Shipment flags and mirror findings into the product: the store tables, the risk indicator,
the vessel dossier and the web endpoints."""

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fastapi.testclient import TestClient

from sanctionwatch.cli import run
from sanctionwatch.evidence import build_dossier
from sanctionwatch.evidence.render import render_html
from sanctionwatch.risk import RiskParams, score_vessels
from sanctionwatch.schema import VESSEL_IDENTITIES
from sanctionwatch.store import DuckDBStore
from sanctionwatch.web import create_app
from tests.evidence.pictures import check_provenance

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests/data/trade/mirror_flows.csv"
COAL_SHIP = (412000111, 9111113)  # invented MMSI and IMO
NAMED_SHIP = 412000222  # broadcasts "HUA FU", the shipment declares "Hua  Fu" without IMO
CLEAN_SHIP = (412000333, 9222223)
T = datetime(2019, 1, 1, tzinfo=UTC)

SHIPMENTS = """shipment_id,date,shipper,consignee,notify_party,hs_code,description,\
origin_country,destination_country,port_of_loading,port_of_discharge,vessel_name,vessel_imo
SA1,2019-05-01,Korea Coal Trading,Longkou Yuanda,,2701.12,anthracite,KP,CN,Nampo,Longkou,\
RICH GLORY,9111113
SA2,2019-06-01,Vostok Ugol,Pohang Import,,2701.12,steam coal,RU,KR,Nakhodka,Pohang,Hua  Fu,
SA3,2019-07-01,Bosch GmbH,Acme Tools,,8467.21,electric drills,DE,US,Hamburg,Baltimore,\
CLEAN ONE,9222223
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("tradestore")
    path = d / "sw.duckdb"
    ids = [(COAL_SHIP[0], COAL_SHIP[1], "RICH GLORY"), (NAMED_SHIP, None, "HUA FU"),
           (CLEAN_SHIP[0], CLEAN_SHIP[1], "CLEAN ONE")]
    with DuckDBStore(path) as st:
        st.add_vessel_identities(VESSEL_IDENTITIES.conform(pl.DataFrame([{
            "mmsi": m, "first_seen": T, "last_seen": T, "imo": imo, "name": name,
            "n_reports": 3, "source": "ais.nmea", "record": i + 1}
            for i, (m, imo, name) in enumerate(ids)])))
    ships = d / "ships.csv"
    ships.write_text(SHIPMENTS)
    for _ in range(2):  # the second screen of the same file replaces the first one's rows
        assert run(["shipments", "--input", str(ships), "--out", str(d / "flags.csv"),
                    "--store", str(path)]) == 0
    assert run(["mirror", "--input", str(FLOWS), "--store", str(path)]) == 0
    return path


def test_flags_are_stored_with_file_and_line(store: Path) -> None:
    with duckdb.connect(str(store), read_only=True) as con:
        rows = con.execute("SELECT shipment_id, line, vessel_imo, vessel_name, rule, severity "
                           "FROM shipment_flags ORDER BY line, rule").fetchall()
    assert ("SA1", 2, 9111113, "RICH GLORY", "hs_coal", "high") in rows
    assert ("SA2", 3, None, "Hua  Fu", "transshipment_routing", "low") in rows
    assert not [r for r in rows if r[0] == "SA3"]
    assert len(rows) == len(set(rows))


def test_risk_indicator_scores_the_worst_flag(store: Path) -> None:
    risks = {r.mmsi: {i.name: i for i in r.indicators} for r in score_vessels(store)}
    coal = risks[COAL_SHIP[0]]["shipment_flags"]
    assert coal.score == 1.0 and coal.weight == RiskParams().weight_shipment_flags
    assert "shipment SA1" in coal.explanation and "hs_coal (high)" in coal.explanation
    assert "UNSCR 2371 (2017) para 8" in coal.explanation
    assert coal.evidence[0].endswith("ships.csv:2")
    named = risks[NAMED_SHIP]["shipment_flags"]  # matched by name: no IMO declared
    assert named.score == RiskParams().shipment_flag_low_score and "SA2" in named.explanation
    assert risks[CLEAN_SHIP[0]]["shipment_flags"].score == 0.0


def test_dossier_shows_the_flags_with_provenance(store: Path) -> None:
    d = build_dossier(store, str(COAL_SHIP[1]))
    first = d.shipment_flags[0]
    assert (first.shipment_id.text, first.rule.text) == ("SA1", "hs_coal")
    fact = d.facts[(d.shipment_flags[0].rule.ref or 0) - 1]
    assert fact.source.endswith("ships.csv") and fact.record == "line 2"
    html = render_html(d)
    assert 'id="shipments"' in html and "SA1" in html
    check_provenance(html)


def test_web_endpoints(store: Path) -> None:
    client = TestClient(create_app(store))
    r = client.get("/api/shipments/flags", params={"imo": COAL_SHIP[1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= 1 and {i["shipment_id"] for i in body["items"]} == {"SA1"}
    assert body["items"][0]["line"] == 2 and body["items"][0]["date"] == "2019-05-01"
    r = client.get("/api/shipments/flags", params={"shipment_id": "SA2"})
    assert [i["rule"] for i in r.json()["items"]] == ["transshipment_routing"]
    r = client.get("/api/trade/mirror", params={"kind": "banned_trade", "reporter": "rus"})
    items = r.json()["items"]
    assert [(i["hs_code"], i["year"], i["severity"]) for i in items] == [("271019", 2018, "low")]
    r = client.get("/api/trade/mirror", params={"kind": "petroleum_cap", "reporter": "RUS"})
    assert r.json()["items"][0]["lines"] == [18, 19]
    assert client.get("/api/trade/mirror", params={"kind": "nonsense"}).status_code == 422


def test_flags_say_whether_the_vessel_is_known(store: Path, tmp_path: Path) -> None:
    # the UI links a flag's IMO to the vessel page only when that page exists
    client = TestClient(create_app(store))
    known = {(i["shipment_id"], i["vessel_imo"], i["vessel_known"])
             for i in client.get("/api/shipments/flags").json()["items"]}
    assert ("SA1", COAL_SHIP[1], True) in known
    assert {k for s, _, k in known if s == "SA2"} == {False}  # no IMO declared
    assert client.get(f"/api/vessels/{COAL_SHIP[1]}").status_code == 200
    bare = tmp_path / "bare.duckdb"  # the same flags, the vessel no longer known
    bare.write_bytes(store.read_bytes())
    with duckdb.connect(str(bare)) as con:
        con.execute("DELETE FROM vessel_identities")
    items = TestClient(create_app(bare)).get("/api/shipments/flags",
                                              params={"imo": COAL_SHIP[1]}).json()["items"]
    assert items and {i["vessel_known"] for i in items} == {False}
