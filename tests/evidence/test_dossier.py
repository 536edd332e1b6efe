"""The dossier's data: what each section holds, where each value comes from, and the risk and
ownership inputs through fakes of the scorer and the entity graph."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from sanctionwatch.evidence import (
    RiskIndicator,
    RiskSection,
    VesselNotFound,
    build_dossier,
    ownership_from_graph,
    parse_key,
    risk_lookup,
)
from tests.evidence.builders import EVIL, IMO, PARTNER, SUBJECT, SmallStore, small_store


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallStore:
    return small_store(tmp_path_factory.mktemp("small"))


def test_parse_key_takes_imo_with_check_digit_or_mmsi() -> None:
    assert parse_key("8898740") == (8898740, None)
    assert parse_key("IMO 8898740") == (8898740, None)
    assert parse_key(" 445000001 ") == (None, 445000001)
    with pytest.raises(ValueError, match="check digit"):
        parse_key("8898741")
    for bad in ("12345", "ABC", "4450000011", ""):
        with pytest.raises(ValueError, match="neither"):
            parse_key(bad)


def test_imo_brings_every_mmsi_and_the_listed_vessel(small: SmallStore) -> None:
    d = build_dossier(small.store, str(IMO))
    assert d.mmsis == (SUBJECT,)
    assert [r.name.text for r in d.identities] == ["JI SONG 6", EVIL]
    assert {s.prop.text: s.value.text for s in d.statements} == {
        "name": "JI SONG 6", "imoNumber": f"IMO{IMO}", "notes": "STS transfers in 2018."}
    assert [m.listed_id for m in d.matches] == [f"un1718-{IMO}"]
    assert d.matches[0].score.text == "1.00"


def test_every_value_cites_a_fact_naming_its_source_row(small: SmallStore) -> None:
    d = build_dossier(small.store, str(SUBJECT))
    facts = {f.ref: f for f in d.facts}
    first = d.identities[0]
    f = facts[first.first_seen.ref or 0]
    assert (f.source, f.record) == (small.ais, "line 101")
    assert "2019-03-02 12:00" in f.fact and "JI SONG 6" in f.fact
    stmt = facts[d.statements[0].value.ref or 0]
    assert stmt.source == "lists/un_1718_vessels_2020-06-04.csv"
    assert stmt.record == f"line 20 (IMO {IMO})"
    enc = next(e for e in d.timeline if e.event_type == "encounter")
    ef = facts[enc.ref]
    assert ef.record == "event_id enc-1" and ef.source == "store table events"
    assert ef.evidence[0] == f"{small.ais}:300" and len(ef.evidence) == 12
    assert enc.duration_h.text == "5.5" and enc.duration_h.ref == enc.ref
    assert "110 m" in enc.explanation.text and str(PARTNER) in enc.explanation.text
    gap = next(e for e in d.timeline if e.event_type == "ais_gap")
    assert "4.2 m before, 6.8 m after" in gap.explanation.text
    track = facts[d.tracks[0].ref]
    assert track.source == str(small.out / "positions.parquet")
    assert "run 20190303T000000-test" in track.record
    assert track.evidence == (f"{small.ais}:100", f"{small.ais}:336")
    assert [q.event_type for q in d.quality] == ["invalid_imo"]


def test_timeline_is_in_time_order_with_both_sides_of_an_encounter(small: SmallStore) -> None:
    d = build_dossier(small.store, str(SUBJECT))
    assert [e.event_type for e in d.timeline] == ["ais_gap", "encounter"]
    starts = [e.start_time for e in d.timeline]
    assert starts == sorted(starts)


def test_partner_with_identity_and_track_around_the_encounter(small: SmallStore) -> None:
    d = build_dossier(small.store, str(SUBJECT))
    (p,) = d.partners
    assert (p.mmsi, p.name.text, p.imo.text, p.flag.text) == (
        PARTNER, "UNITY PYONG 24", "8622141", "TW (from MMSI)")
    assert len(p.encounters) == 1 and p.encounters[0].ref == d.timeline[1].ref
    assert p.listed == ()  # the partner matched no list
    (t,) = p.tracks
    # 2 h either side of the encounter (18:00-23:30), cut by the partner's own 14:00-24:00
    assert str(t.time.min()) == "2019-03-03T16:00:00.000000"
    assert str(t.time.max()) == "2019-03-04T00:00:00.000000"


def test_positions_found_through_the_run_or_given(small: SmallStore, tmp_path: Path) -> None:
    bare = small_store(tmp_path, with_run=False)
    d = build_dossier(bare.store, str(SUBJECT))
    assert d.tracks == () and "no run recorded" in d.track_note
    d = build_dossier(bare.store, str(SUBJECT), positions=bare.out / "positions.parquet")
    assert len(d.tracks) == 1 and "(given)" in d.track_note
    with pytest.raises(FileNotFoundError, match="no positions file"):
        build_dossier(bare.store, str(SUBJECT), positions=tmp_path / "none.parquet")


def test_unknown_vessel_and_missing_store(small: SmallStore, tmp_path: Path) -> None:
    with pytest.raises(VesselNotFound, match="MMSI 123456789"):
        build_dossier(small.store, "123456789")
    with pytest.raises(VesselNotFound, match="IMO 9074729"):
        build_dossier(small.store, "9074729")
    with pytest.raises(FileNotFoundError, match="no store here"):
        build_dossier(tmp_path / "none.duckdb", str(SUBJECT))


@dataclass
class FakeIndicator:
    name: str
    score: float
    weight: float
    explanation: str
    evidence: list[str]


@dataclass
class FakeVesselRisk:
    mmsi: int
    imo: int | None
    name: str
    flag: str
    score: float
    confidence: float
    indicators: list[FakeIndicator]
    reasons: list[str]


def test_risk_of_the_vessel_and_of_its_partner_through_a_scorer(small: SmallStore) -> None:
    scored = [
        FakeVesselRisk(SUBJECT, IMO, "JI SONG 6", "KP", 0.91, 0.8, [
            FakeIndicator("designated", 1.0, 0.4, "IMO 8898740 is on un_1718_vessels",
                          ["un_1718_vessels line 20"]),
            FakeIndicator("sts_with_high_risk", 0.7, 0.2, "STS with MMSI 416000002",
                          ["event enc-1"])], ["designated vessel"]),
        FakeVesselRisk(PARTNER, 8622141, "UNITY PYONG 24", "TW", 0.42, 0.9, [
            FakeIndicator("sts_with_designated", 0.8, 0.3, "STS with JI SONG 6", [])], []),
    ]
    d = build_dossier(small.store, str(SUBJECT), risk=risk_lookup(scored))
    assert d.risk is not None and d.risk_note == ""
    assert (d.risk.score.text, d.risk.confidence.text) == ("0.91", "0.80")
    assert [i.name.text for i in d.risk.indicators] == ["designated", "sts_with_high_risk"]
    facts = {f.ref: f for f in d.facts}
    ind = facts[d.risk.indicators[0].score.ref or 0]
    assert ind.evidence == ("un_1718_vessels line 20",) and "weight 0.40" in ind.fact
    assert d.partners[0].risk is not None and d.partners[0].risk.score.text == "0.42"
    assert build_dossier(small.store, str(SUBJECT)).partners[0].risk_note.startswith("not scored")
    # a scorer that knows nothing of the vessel: said so
    d = build_dossier(small.store, str(SUBJECT), risk=lambda m: None)
    assert d.risk is None and "no score" in d.risk_note


def test_risk_section_given_directly() -> None:
    sec = RiskSection(SUBJECT, 0.5, 0.5, (RiskIndicator("x", 0.5, 1.0, "because"),))
    assert risk_lookup([])(SUBJECT) is None
    assert sec.indicators[0].evidence == ()


class FakePath:
    def __init__(self, text: str) -> None:
        self.text = text

    def explain(self) -> str:
        return self.text


class FakeGraph:
    """Owner of IMO 8898740 is designated; the MMSI node has the same path once more."""

    def __init__(self) -> None:
        self.asked: list[tuple[int | None, int | None]] = []

    def vessel_node(self, *, imo: int | None = None, mmsi: int | None = None) -> str | None:
        self.asked.append((imo, mmsi))
        return f"imo:{imo}" if imo else (f"mmsi:{mmsi}" if mmsi == SUBJECT else None)

    def paths_to_designated(self, node: str, max_hops: int = 3) -> list[FakePath]:
        assert max_hops == 3
        return [FakePath("JI SONG 6 -owner-> KOREA ANSAN SHPG (designated, un_sc KPe.059)")]


def test_ownership_chain_through_an_entity_graph(small: SmallStore) -> None:
    g = FakeGraph()
    d = build_dossier(small.store, str(IMO), ownership=ownership_from_graph(g))
    assert g.asked == [(IMO, None), (None, SUBJECT)]
    assert [o.text for o in d.ownership] == [
        "JI SONG 6 -owner-> KOREA ANSAN SHPG (designated, un_sc KPe.059)"]
    assert d.ownership[0].ref is not None and d.ownership_note == ""
    d = build_dossier(small.store, str(SUBJECT), ownership=lambda imo, mmsis: [])
    assert d.ownership == () and "No path" in d.ownership_note
    d = build_dossier(small.store, str(SUBJECT))
    assert "not searched" in d.ownership_note
