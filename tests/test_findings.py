"""The findings API as `alerts` and `report vessel` run it: the store's entity graph (the real
UN 1718, UN consolidated and UK DPRK lists, vessels resolved across lists) behind the risk
scores and the dossiers of dprk-2019 seed 1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sanctionwatch.findings import entity_graph, rank_vessels, vessel_dossier
from sanctionwatch.linking.graph import EntityGraph
from sanctionwatch.linking.resolve import load_resolver, save_decisions, xref
from sanctionwatch.pipeline import detect
from sanctionwatch.risk import VesselRisk
from sanctionwatch.sanctions.store import ListStore
from sanctionwatch.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
UN_1718 = ROOT / "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
UN_SC = ROOT / "tests/data/sanctions/un_consolidated/un_consolidated_2026-02-27.xml"
UK = ROOT / "tests/data/sanctions/uk_dprk/uk_dprk_regime.json"
JI_SONG_6 = (445165870, 8898740)  # a planted DPRK tanker of seed 1 broadcasting a listed IMO
UNITY_PYONG_24 = 416407614  # the planted tanker alongside JI SONG 6


@dataclass(frozen=True)
class Case:
    store: Path
    graph: EntityGraph
    risks: list[VesselRisk]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    base = tmp_path_factory.mktemp("findings")
    sim = simulate("dprk-2019", 1, base / "scenario")
    store = base / "sw.duckdb"
    with ListStore(store) as ls:
        ls.load(UN_1718)
        ls.load(UN_SC)
        ls.load(UK)
        vessels = ls.entities(schema="Vessel")
    save_decisions(store, xref(vessels))
    detect(sim.files, base / "out", store_path=store)
    graph = entity_graph(store)
    return Case(store, graph, rank_vessels(store, graph=graph))


def test_resolution_merges_list_entries_in_the_graph(case: Case) -> None:
    resolver = load_resolver(case.store)
    cluster = resolver.cluster("un1718-8898740")
    assert len(cluster) > 1, "the UN 1718 and UK entries of JI SONG 6 were not joined"
    graph = case.graph
    # one node for the ship, under the cluster's id, holding both list entries
    node = graph.vessel_node(imo=JI_SONG_6[1])
    assert node == resolver.canonical("un1718-8898740")
    assert set(graph.graph.nodes[node]["entity_ids"]) >= set(cluster)


def test_alerts_explain_the_ownership_chain_to_a_designated_company(case: Case) -> None:
    ji_song = next(r for r in case.risks if r.mmsi == JI_SONG_6[0])
    own = next(i for i in ji_song.indicators if i.name == "ownership")
    assert own.score == 1.0
    assert "PHYONGCHON" in own.explanation.upper()
    assert case.risks.index(ji_song) < 10


def test_the_dossier_carries_risk_ownership_and_partners(case: Case) -> None:
    d = vessel_dossier(case.store, str(UNITY_PYONG_24), graph=case.graph)
    assert d.risk is not None and float(d.risk.score.text) > 0.5
    partner = next(p for p in d.partners if p.mmsi == JI_SONG_6[0])
    assert partner.risk is not None and partner.risk.score.text.startswith("1.0")
    listed = vessel_dossier(case.store, str(JI_SONG_6[1]), graph=case.graph)
    assert any("PHYONGCHON" in c.text.upper() for c in listed.ownership), listed.ownership_note
    # every ownership line cites its source in the provenance table
    refs = {f.ref for f in listed.facts}
    assert all(c.ref in refs for c in listed.ownership)
