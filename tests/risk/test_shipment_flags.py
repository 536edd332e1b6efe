"""The ``shipment_flags`` indicator on hand-built facts."""

import pytest

from sanctionwatch.risk import RiskParams
from sanctionwatch.risk.facts import ShipmentFlagFact, VesselFacts
from sanctionwatch.risk.indicators import shipment_flags

P = RiskParams()


def _flag(rule: str, severity: str, line: int = 2, sid: str = "S1") -> ShipmentFlagFact:
    return ShipmentFlagFact("ships.csv", line, sid, rule, severity, f"{rule} found.",
                            "UNSCR 2371 (2017) para 8", 9111113, "RICH GLORY")


def test_worst_severity_decides_and_is_explained() -> None:
    f = VesselFacts(mmsi=1, shipment_flags=(
        _flag("transshipment_routing", "low", 2, "S1"), _flag("hs_coal", "high", 3, "S2")))
    r = shipment_flags(f, P)
    assert r.score == 1.0 and r.weight == P.weight_shipment_flags
    assert "shipment S2 (ships.csv:3) flagged hs_coal (high)" in r.explanation
    assert "1 more flag(s) on 2 shipment(s)" in r.explanation
    assert r.evidence == ("ships.csv:2", "ships.csv:3")


@pytest.mark.parametrize(("severity", "score"), [
    ("medium", P.shipment_flag_medium_score), ("low", P.shipment_flag_low_score)])
def test_lower_severities_score_less(severity: str, score: float) -> None:
    r = shipment_flags(VesselFacts(mmsi=1, shipment_flags=(_flag("misdeclared_coal",
                                                                 severity),)), P)
    assert r.score == pytest.approx(score)


def test_flags_restating_list_matches_and_ais_are_not_counted_twice() -> None:
    f = VesselFacts(mmsi=1, shipment_flags=(
        _flag("listed_vessel", "high"), _flag("vessel_dprk_port_call", "high"),
        _flag("vessel_ais_gap", "medium"), _flag("vessel_encounter", "medium")))
    r = shipment_flags(f, P)
    assert r.score == 0.0 and r.explanation == "No flagged shipment."
