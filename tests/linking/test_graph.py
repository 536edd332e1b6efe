"""The relationship graph on the real lists (UN consolidated 2026, UN 1718 vessels 2020, OFAC SDN
2021-07, the OpenSanctions ZALA sample), the illustrative registry CSV, and behaviour events
and vessel matches written to the store: paths to designated entities with their sources."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.ingest.registry import read_registry
from sanctionwatch.linking.graph import EntityGraph, entities_with_provenance
from sanctionwatch.linking.remarks import VesselNames, company_remark_facts, vessel_remark_facts
from sanctionwatch.sanctions import ListStore, read_list
from sanctionwatch.schema import EVENTS, VESSEL_MATCHES
from sanctionwatch.store import DuckDBStore
from sanctionwatch.store.registry import store_registry

TESTS = Path(__file__).resolve().parents[1]
LISTS = TESTS / "data" / "sanctions"
UN = LISTS / "un_consolidated" / "un_consolidated_2026-02-27.xml"
UN_1718 = LISTS / "un_1718_vessels" / "un_1718_vessels_2020-06-04.csv"
OFAC = LISTS / "ofac_sdn_2021-07"
ZALA = LISTS / "opensanctions_ftm" / "zala_entities.ftm.json"
REGISTRY = TESTS / "data" / "registry" / "registry_illustrative.csv"

BLUE_MMSI = 445114000  # one of the MMSIs the UN 1718 list gives for BLUE NOUVELLE
PARTNER_MMSI = 412000001  # an AIS vessel in an encounter with it (made up)
TWIN_MMSI = 412000002  # broadcasts the IMO of BLUE NOUVELLE too (made up)
T0 = datetime(2019, 5, 1, 10, tzinfo=UTC)


def _events() -> pl.DataFrame:
    base = {"start_time": T0, "end_time": T0.replace(hour=14)}
    return EVENTS.conform(pl.DataFrame([
        {"event_id": "enc-1", "event_type": "encounter", "mmsi": PARTNER_MMSI,
         "other_mmsi": BLUE_MMSI, **base},
        {"event_id": "imo-1", "event_type": "identity_change", "subtype": "shared_imo",
         "mmsi": TWIN_MMSI, "other_mmsi": BLUE_MMSI, "details": json.dumps({"imo": 8909575}),
         **base},
        {"event_id": "gap-1", "event_type": "ais_gap", "mmsi": BLUE_MMSI, **base},
    ]))


def _matches() -> pl.DataFrame:
    return VESSEL_MATCHES.conform(pl.DataFrame([
        {"mmsi": BLUE_MMSI, "imo": 8909575, "ais_name": "BLUE NOUVELLE",
         "match_id": "un1718-8909575", "match_name": "Blue Nouvelle",
         "datasets": ["un_1718_vessels"], "score": 1.0, "is_match": True,
         "explanation": "imo_match", "matched_on": "imo"},
        {"mmsi": PARTNER_MMSI, "imo": None, "ais_name": "SOMETHING",
         "match_id": "un1718-8909575", "match_name": "Blue Nouvelle",
         "datasets": ["un_1718_vessels"], "score": 0.55, "is_match": False,
         "explanation": "weak name", "matched_on": "name"},
    ]))


@pytest.fixture(scope="session")
def store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "sw.duckdb"
    with ListStore(path) as lists:
        lists.load_many([UN, UN_1718, OFAC, ZALA])
    store_registry(read_registry(REGISTRY), path)
    with DuckDBStore(path) as s:
        s.add_events(_events())
        s.replace_vessel_matches(_matches())
    return path


@pytest.fixture(scope="session")
def graph(store) -> EntityGraph:
    return EntityGraph.from_store(store)


def _path_to(g: EntityGraph, start: str, target: str, max_hops: int = 3):
    found = [p for p in g.paths_to_designated(start, max_hops) if p.target == target]
    assert found, f"no path from {start} to {target}"
    return found[0]


def test_un_vessel_reaches_ocean_maritime_management_through_its_un_remark(graph):
    node = graph.vessel_node(imo=8909575)
    assert node == "un1718-8909575"
    p = _path_to(graph, node, "un-sc-KPe.020")
    assert p.hops == 1 and p.links[0].relation == "operator"
    lk = p.links[0]
    assert (lk.origin, lk.dataset, lk.list_date) == ("list_remark", "un_1718_vessels",
                                                     date(2020, 6, 4))
    assert lk.source_record == "line 5 (IMO 8909575)"
    text = p.explain()
    assert text.startswith("IMO 8909575 Blue Nouvelle")
    assert "— operated by → OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)" in text
    assert "UN KPe.020" in text and "[un_1718_vessels 2020-06-04, line 5 (IMO 8909575)" in text
    # the vessel is designated itself: a 0-hop path comes first
    first = graph.paths_to_designated(node)[0]
    assert first.hops == 0 and first.target == node and "itself designated" in first.explain()


def test_un_company_comment_names_its_vessel(graph):
    # KPe.058 HAPJANGGANG SHIPPING CORP: "Registered owner of the DPRK tanker NAM SAN 8"
    p = _path_to(graph, "un1718-8122347", "un-sc-KPe.058")
    assert p.hops == 1 and p.links[0].relation == "owner"
    assert p.links[0].dataset == "un_sc" and "KPe.058" in p.links[0].source_record
    assert "Registered owner of the DPRK tanker NAM SAN 8" in p.links[0].detail


def test_sts_partners_named_in_un_remarks(graph):
    # KOTI (9417115): "engaged in a ship-to-ship transfer … with M/V KUM UN SAN 3 on 9 December"
    sts = [d["link"] for _, v, d in graph.graph.out_edges("un1718-9417115", data=True)
           if d["link"].relation == "sts_partner"]
    # (its UN 1718 and OFAC entries, one IMO)
    assert {(lk.target, lk.origin) for lk in sts} == {("un1718-8705539", "list_remark"),
                                                      ("us-ofac-23163", "list_remark")}
    # an STS partner is not a route to designated owners: KOTI's own paths do not use it
    assert all("sts_partner" not in {lk.relation for lk in p.links}
               for p in graph.paths_to_designated("un1718-9417115"))
    # a partner on no loaded list is a name node of kind vessel
    assert graph.graph.nodes["name:MYONG RYU 1"]["kind"] == "vessel"


def test_ofac_vessel_reaches_the_entry_it_is_linked_to(graph):
    # OFAC NAM SAN 8 (ent_num 23727): "Linked To: HAPJANGGANG SHIPPING CORP."
    p = _path_to(graph, "us-ofac-23727", "us-ofac-23706")
    assert p.hops == 1 and p.links[0].relation == "linked"
    assert p.links[0].source_record == "sdn.csv line 6194 (ent_num 23727)"
    assert "OFAC SDN 23706" in p.explain()
    # one IMO on two lists: the entries are tied by same_imo with both records cited
    same = [lk for _, _, d in graph.graph.edges("un1718-8122347", data=True)
            if (lk := d["link"]).relation == "same_imo"]
    assert [lk.target for lk in same] == ["us-ofac-23727"]
    assert "sdn.csv line 6194" in same[0].detail and "un_1718_vessels" in same[0].detail


def test_list_vessels_sharing_an_imo_on_two_lists(graph):
    # tests/data/sanctions/PROVENANCE.md: UN-1718 IMOs overlap OFAC-2021 IMOs in 50 of 58 cases
    assert graph.stats["list:same_imo"] == 50


def test_ftm_ownership_and_directorship_edges(graph):
    owned = [d["link"] for _, _, d in graph.graph.out_edges("NK-abdzbEBkqyT29GyREbiURZ",
                                                            data=True)]
    kalashnikov = [lk for lk in owned if lk.target == "NK-nR5AXM9AVPq4pQaSPSaVam"]
    assert {lk.relation for lk in kalashnikov} == {"owner"}
    assert any(lk.detail == "subsidiary of" for lk in kalashnikov)
    directors = {lk.target for lk in owned if lk.relation == "director"}
    assert "NK-aU5ybkbRFJucf8YMwsJvDw" in directors  # Zakharov, "Leader or official of"
    dated = [lk for lk in owned if lk.start == date(2022, 1, 17)]
    assert dated and dated[0].source_record.startswith("line 70")
    assert graph.graph.nodes["NK-nR5AXM9AVPq4pQaSPSaVam"]["designated"]


def test_registry_links_a_non_listed_imo_to_designated_companies(graph):
    node = graph.vessel_node(imo=9999905)
    assert node == "imo:9999905" and not graph.graph.nodes[node]["designated"]
    p = _path_to(graph, node, "un-sc-KPe.061", max_hops=2)
    lk = p.links[0]
    assert (p.hops, lk.relation, lk.origin, lk.line) == (1, "owner", "registry", 2)
    assert (lk.start, lk.end) == (date(2019, 3, 1), date(2020, 1, 31))
    assert "(2019-03-01 to 2020-01-31)" in p.explain() and "registry_illustrative.csv:2" in \
        p.explain()
    # the shared (unlisted) manager is a name node tying it to CHON MA SAN within 2 hops
    near = graph.neighbourhood(node, hops=2).graph
    assert "name:EXAMPLE SHIP MANAGEMENT LTD" in near and "un1718-8660313" in near
    # operator named by a variant of OMM's name, resolved by the matcher
    dawn = graph.paths_to_designated("imo:9999917", max_hops=2)
    assert any(p.target == "us-ofac-17068" and p.hops == 1 for p in dawn)
    # a ship whose only owner is on no list reaches nothing
    assert graph.paths_to_designated("imo:9999929") == []


def test_behaviour_edges_from_the_store(graph):
    g = graph.graph
    sts = [d["link"] for u, v, d in g.edges(data=True) if d["link"].relation == "sts_partner"
           and d["link"].origin == "event"]
    assert [(lk.source, lk.target, lk.event_id) for lk in sts] == [
        (f"mmsi:{PARTNER_MMSI}", f"mmsi:{BLUE_MMSI}", "enc-1")]
    assert sts[0].start == date(2019, 5, 1)
    # the AIS vessel that matched the listed ship reaches OMM through listed_as
    assert graph.vessel_node(mmsi=BLUE_MMSI) == f"mmsi:{BLUE_MMSI}"
    p = _path_to(graph, f"mmsi:{BLUE_MMSI}", "un-sc-KPe.020")
    assert [lk.relation for lk in p.links] == ["listed_as", "operator"]
    # a second MMSI broadcasting the same IMO: same_imo with the first and the listed ship
    twin = graph.paths_to_designated(f"mmsi:{TWIN_MMSI}", max_hops=1)
    assert {p.target for p in twin} >= {"un1718-8909575"}
    assert all(p.links[0].event_id == "imo-1" for p in twin)
    # an STS partner is not an owner: no path from the partner (its match was below threshold)
    assert graph.paths_to_designated(f"mmsi:{PARTNER_MMSI}") == []


def test_as_of_keeps_the_lists_and_facts_known_then(store):
    g = EntityGraph.from_store(store, as_of=date(2021, 1, 1))
    ids = set(g.graph.nodes)
    assert "un1718-8909575" in ids  # 2020-06-04 list
    assert "un-sc-KPe.020" not in ids and "us-ofac-23727" not in ids  # lists dated later
    assert g.vessel_node(imo=9999917) is None  # its registry row starts 2021-05-01


def test_canonical_merges_entries_into_one_node():
    stmts = read_list(UN_1718).statements + read_list(UN).statements
    clusters = {"un1718-8909575": "ship-blue", "un-sc-KPe.020": "co-omm"}
    g = EntityGraph.from_parts(entities_with_provenance(stmts),
                               canonical=lambda i: clusters.get(i, i))
    a = g.graph.nodes["ship-blue"]
    assert a["entity_ids"] == ["un1718-8909575"] and a["imos"] == [8909575]
    assert g.vessel_node(imo=8909575) == "ship-blue"
    assert [p.target for p in g.paths_to_designated("ship-blue", 1)][:2] == ["ship-blue",
                                                                               "co-omm"]


def test_to_dict_is_json(graph):
    near = graph.neighbourhood("un-sc-KPe.061", hops=1)
    d = json.loads(json.dumps(near.to_dict()))
    assert {n["id"] for n in d["nodes"]} >= {"un-sc-KPe.061", "un1718-8660313", "imo:9999905"}
    assert all(lk["provenance"] for lk in d["links"])
    assert next(n for n in d["nodes"] if n["id"] == "un-sc-KPe.061")["designated"] is True


def test_remark_phrases():
    facts = vessel_remark_facts(
        "DPRK cargo vessel M/V JI SONG 8 is owned by Phyongchon Shipping & Marine and is believed "
        "to have been involved. Designated as economic resources of Phyongchon Shipping & Marine "
        "(Kpe.070). It engaged in a ship-to- ship transfer with the DPRK vessel MYONG RYU 1 on "
        "June 2, 2018.")
    assert [(f.relation, f.name, f.ref) for f in facts] == [
        ("owner", "Phyongchon Shipping & Marine", None),
        ("owner", "Phyongchon Shipping & Marine", "KPe.070"),
        ("sts_partner", "MYONG RYU 1", None)]
    names = VesselNames([("SAM JONG 1", "a"), ("SAM JONG 2", "b"), ("YU JONG 2", "c")])
    got = company_remark_facts(
        "Registered owner of DPRK tankers SAM JONG 1 and SAM JONG 2. The master of YU JONG 2 "
        "reported a storm.", names)
    assert [(f.relations, f.vessel_names) for f in got] == [(("owner",), ("SAM JONG 1",
                                                                          "SAM JONG 2"))]


def test_cli_graph_paths_and_neighbours(tmp_path):
    store = tmp_path / "small.duckdb"  # the UN lists only: each command builds its graph
    runner = CliRunner()
    for args in (["lists", "load", str(UN), str(UN_1718)], ["registry", "load", str(REGISTRY)]):
        res = runner.invoke(app, [*args, "--store", str(store)])
        assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["graph", "paths", "IMO8909575", "--store", str(store),
                              "--max-hops", "1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["node"] == "un1718-8909575"
    assert "un-sc-KPe.020" in {p["target"] for p in out["paths"]}
    res = runner.invoke(app, ["graph", "neighbours", "un-sc-KPe.061", "--store", str(store),
                              "--json"])
    assert res.exit_code == 0, res.output
    assert "imo:9999905" in {n["id"] for n in json.loads(res.stdout)["nodes"]}
    res = runner.invoke(app, ["graph", "paths", "9999993", "--store", str(store)])
    assert res.exit_code == 2 and "no vessel 9999993" in res.output
