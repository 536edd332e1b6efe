"""Scoring a store: every vessel, two passes for STS partners, confidence apart from score,
same store same output."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.risk import RiskParams, score_facts, score_vessels
from sanctionwatch.schema import QUALITY_FINDINGS, VESSEL_IDENTITIES, VESSEL_MATCHES
from sanctionwatch.store import DuckDBStore
from tests.factory import T0
from tests.risk.builders import (
    EAST_CHINA_SEA_STS,
    OFF_JAPAN,
    WEST_SEA_DPRK,
    event,
    events_frame,
    facts,
    match,
    period,
)

DPRK = 445165870  # broadcasts a designated identity
FOREIGN = 667604846  # meets it
BYSTANDER_A, BYSTANDER_B = 412000001, 412000002  # meet each other, nothing else
QUALITY_ONLY = 413000003  # an invalid IMO, nothing else
IDENTITY_ONLY = 414000004  # reported, no event


def _identity(mmsi: int, name: str, imo: int | None = None, record: int = 1) -> dict[str, object]:
    return {"mmsi": mmsi, "first_seen": T0, "last_seen": T0 + timedelta(hours=1), "imo": imo,
            "name": name, "callsign": None, "ship_type": 80, "flag": "CN", "flag_source": "mid",
            "n_reports": 3, "source": "test.csv", "record": record}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("risk") / "store.duckdb"
    evs = [
        event("encounter", DPRK, other_mmsi=FOREIGN, hours=5.5, at=EAST_CHINA_SEA_STS,
              median_distance_m=120.0),
        event("port_call", DPRK, hours=30.0, is_dprk=True, port_name="NAMPO", at=(38.7, 125.4)),
        event("encounter", BYSTANDER_A, other_mmsi=BYSTANDER_B, hours=3.0, at=OFF_JAPAN),
        event("ais_gap", FOREIGN, hours=20.0, at=WEST_SEA_DPRK, end_at=WEST_SEA_DPRK,
              start=T0 + timedelta(days=2), details={"nearby_heard_h": 2.0}),
    ]
    quality = events_frame([event("invalid_imo", QUALITY_ONLY, at=OFF_JAPAN),
                            event("invalid_imo", FOREIGN, at=OFF_JAPAN)]
                           ).with_columns(pl.lit("check_digit").alias("subtype"))
    m = match()
    with DuckDBStore(path) as st:
        st.add_events(events_frame(evs))
        st.add_events(quality, table=QUALITY_FINDINGS)
        st.replace_vessel_matches(VESSEL_MATCHES.conform(pl.DataFrame([{
            "mmsi": DPRK, "imo": m.imo, "ais_name": m.ais_name, "match_id": m.match_id,
            "match_name": m.match_name, "datasets": list(m.datasets), "score": 1.0,
            "is_match": True, "explanation": "name_literal", "matched_on": "name"}])))
        st.add_vessel_identities(VESSEL_IDENTITIES.conform(pl.DataFrame([
            _identity(DPRK, "JI SONG 6", 8898740, 74), _identity(FOREIGN, "EAST FORTUNE"),
            _identity(BYSTANDER_A, "A"), _identity(BYSTANDER_B, "B"),
            _identity(QUALITY_ONLY, "Q"), _identity(IDENTITY_ONLY, "I")])))
        st.con.execute(
            "CREATE TABLE sanction_statements (entity_id VARCHAR, prop VARCHAR, value VARCHAR)")
        st.con.execute("INSERT INTO sanction_statements VALUES "
                       "('un1718-8898740', 'imoNumber', 'IMO8898740')")
    return path


def test_every_vessel_is_scored_highest_first(store: Path) -> None:
    risks = score_vessels(store)
    assert [r.mmsi for r in risks][:2] == [DPRK, FOREIGN]
    assert {r.mmsi for r in risks} == {DPRK, FOREIGN, BYSTANDER_A, BYSTANDER_B, QUALITY_ONLY,
                                       IDENTITY_ONLY}
    top = risks[0]
    assert (top.imo, top.name, top.score) == (8898740, "JI SONG 6", 1.0)
    # the broadcast IMO is the listed one, though the screener's best feature was the name
    assert "broadcast IMO 8898740" in top.reasons[0]
    zeros = [r.mmsi for r in risks if r.score == 0]
    assert zeros == sorted(zeros)  # ties by MMSI


def test_sts_partner_reads_the_partner_s_own_risk(store: Path) -> None:
    by = {r.mmsi: r for r in score_vessels(store)}
    sts = next(i for i in by[FOREIGN].indicators if i.name == "sts_partner")
    assert sts.score == 1.0 and "JI SONG 6" in sts.explanation
    # two ordinary ships that met raise nothing in each other
    assert by[BYSTANDER_A].score == by[BYSTANDER_B].score == 0.0


def test_quality_findings_lower_confidence_never_the_score(store: Path) -> None:
    by = {r.mmsi: r for r in score_vessels(store)}
    q = by[QUALITY_ONLY]
    assert q.score == 0.0 and q.reasons == []
    assert q.confidence == pytest.approx(RiskParams().quality_confidence_factor)
    assert "invalid_imo" in q.confidence_notes[0]
    # FOREIGN: one quality kind, and a scored silence with other ships heard 2 of its 20 h
    f = by[FOREIGN]
    p = RiskParams()
    assert f.confidence == pytest.approx(p.quality_confidence_factor
                                         * p.coverage_confidence_factor)
    assert any("receivers" in n for n in f.confidence_notes)


def test_the_same_store_gives_the_same_output(store: Path) -> None:
    a = [r.to_dict() for r in score_vessels(store)]
    b = [r.to_dict() for r in score_vessels(store)]
    assert a == b


def test_weights_change_the_ranking(store: Path) -> None:
    p = RiskParams(weight_designated=0.0, weight_dprk_port_call=0.0)
    by = {r.mmsi: r for r in score_vessels(store, p)}
    assert by[DPRK].score < by[FOREIGN].score


def test_confidence_has_a_floor() -> None:
    q = [event(f"finding_{k}", 1, at=OFF_JAPAN) for k in range(20)]
    (r,) = score_facts([facts(1, quality=tuple(q))])
    assert r.confidence == RiskParams().min_confidence


def test_a_vessel_loitering_where_a_designated_one_went_dark_is_linked() -> None:
    dprk = facts(445268114, event("ais_gap", 445268114, hours=17.5, at=EAST_CHINA_SEA_STS,
                                  end_at=(31.03, 123.14), start=T0 - timedelta(hours=5)),
                 matches=(match("un1718-8106496", "SAM MA 2", imo=8106496,
                                listed_imos=(8106496,)),),
                 identities=(period(445268114, name="SAM MA 2", imo=8106496),))
    tanker = facts(671966577, event("loitering", 671966577, hours=7.7, at=(30.32, 123.48)))
    far = facts(671966578, event("loitering", 671966578, hours=7.7, at=OFF_JAPAN))
    by = {r.mmsi: r for r in score_facts([dprk, tanker, far])}
    sts = next(i for i in by[671966577].indicators if i.name == "sts_partner")
    assert sts.score == pytest.approx(RiskParams().dark_partner_factor)
    assert "SAM MA 2" in sts.explanation and "silent nearby" in sts.explanation
    assert next(i for i in by[671966578].indicators if i.name == "sts_partner").score == 0.0


def test_one_vessel_by_mmsi_or_imo(store: Path) -> None:
    from sanctionwatch.risk import vessel_risk

    by_imo = vessel_risk(store, imo=8898740)
    assert by_imo is not None and by_imo.mmsi == DPRK
    assert vessel_risk(store, mmsi=FOREIGN) == next(
        r for r in score_vessels(store) if r.mmsi == FOREIGN)
    assert vessel_risk(store, mmsi=999999999) is None
    with pytest.raises(ValueError, match="exactly one"):
        vessel_risk(store)


def test_the_order_of_the_vessels_does_not_matter() -> None:
    dprk = facts(445165870, event("encounter", 445165870, other_mmsi=667604846, hours=5.0,
                                  at=EAST_CHINA_SEA_STS),
                 matches=(match(),), identities=(period(445165870, imo=8898740),))
    foreign = facts(667604846, *dprk.events)
    one = [r.to_dict() for r in score_facts([dprk, foreign])]
    other = [r.to_dict() for r in score_facts([foreign, dprk])]
    assert one == other and one[1]["score"] == pytest.approx(RiskParams().weight_sts_partner)
