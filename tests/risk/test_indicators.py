"""Each risk indicator on hand-made facts: what scores, how much, and what it says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from sanctionwatch.risk import INDICATORS, RiskParams
from sanctionwatch.risk.facts import IdentityPeriod, PartnerRisk
from sanctionwatch.risk.indicators import (
    dark_near_dprk,
    designated,
    dprk_port_call,
    draught_dark,
    fishing_dprk,
    identity_changes,
    ownership,
    spoofing,
    sts_area_loitering,
    sts_partner,
)
from tests.factory import T0
from tests.risk.builders import (
    EAST_CHINA_SEA_STS,
    EAST_SEA_DPRK,
    OFF_JAPAN,
    WEST_SEA_DPRK,
    event,
    facts,
    match,
    period,
)

P = RiskParams()
M = 412000001


def test_every_indicator_has_a_weight_and_a_name_of_its_own() -> None:
    for name, fn in INDICATORS.items():
        r = fn(facts(M), P)
        assert r.name == name
        assert r.weight == getattr(P, f"weight_{name}")
        assert r.score == 0.0 and r.explanation  # nothing in the facts: nothing found, said


# -- designated ------------------------------------------------------------------------------

def test_designated_by_imo_scores_one_with_the_match_and_the_identity_period() -> None:
    f = facts(M, matches=(match(),), identities=(period(M, name="JI SONG 6", imo=8898740,
                                                        record=74),))
    r = designated(f, P)
    assert r.score == 1.0
    assert "IMO 8898740" in r.explanation and "JI SONG 6" in r.explanation
    assert r.evidence == ("vessel_matches:un1718-8898740 (un_1718_vessels)", "test.csv:74")


def test_a_name_only_match_is_weaker_than_an_imo_match() -> None:
    by_name = designated(facts(M, matches=(match(imo=None, score=0.9, listed_imos=()),),
                               identities=(period(M, imo=9074729),)), P)
    assert by_name.score == pytest.approx(P.name_match_factor * 0.9)
    assert "name only" in by_name.explanation
    listed_mmsi = designated(facts(M, matches=(match(imo=None, matched_on="mmsi"),)), P)
    assert by_name.score < listed_mmsi.score < 1.0


def test_a_match_below_the_threshold_does_not_count() -> None:
    assert designated(facts(M, matches=(match(is_match=False, score=0.6),)), P).score == 0.0


# -- ownership -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FakeLink:
    relation: str


@dataclass(frozen=True)
class FakePath:
    hops: int
    target: str
    nodes: tuple[str, ...]
    links: tuple[FakeLink, ...] = ()

    def explain(self) -> str:
        return " -> ".join(self.nodes)


class FakeGraph:
    """A graph in which IMO 9000001's owner is one hop, and IMO 9000002's two hops, from a
    designated company; IMO 9000004 is only listed as a designated ship (no ownership)."""

    def vessel_node(self, *, imo: int | None = None, mmsi: int | None = None) -> str | None:
        return {9000001: "vessel:9000001", 9000002: "vessel:9000002",
                9000004: "vessel:9000004"}.get(imo or 0)

    def paths_to_designated(self, node: str, max_hops: int = 3) -> list[FakePath]:
        owner, manager, listed = FakeLink("owner"), FakeLink("manager"), FakeLink("listed_as")
        paths = {"vessel:9000001": [FakePath(1, "co:A", (node, "co:A"), (owner,))],
                 "vessel:9000002": [FakePath(2, "co:A", (node, "co:B", "co:A"),
                                             (manager, owner))],
                 "vessel:9000004": [FakePath(1, "ship:X", (node, "ship:X"), (listed,))]}[node]
        return [p for p in paths if p.hops <= max_hops]


def test_without_ownership_data_the_indicator_says_so() -> None:
    r = ownership(facts(M, identities=(period(M, imo=9000001),)), P)
    assert (r.score, r.explanation) == (0.0, "No ownership data.")


@pytest.mark.parametrize(("imo", "score"),
                         [(9000001, 1.0), (9000002, 0.6), (9000003, 0.0), (9000004, 0.0)])
def test_ownership_decays_with_each_hop(imo: int, score: float) -> None:
    r = ownership(facts(M, identities=(period(M, imo=imo),), ownership=FakeGraph()), P)
    assert r.score == pytest.approx(score)
    if score:
        assert r.evidence and r.evidence[0].startswith(f"graph:vessel:{imo}")


def test_ownership_follows_no_path_longer_than_max_hops() -> None:
    f = facts(M, identities=(period(M, imo=9000002),), ownership=FakeGraph())
    assert ownership(f, RiskParams(max_hops=1)).score == 0.0


# -- STS -------------------------------------------------------------------------------------

def _encounter(other: int) -> dict[str, object]:
    return event("encounter", M, other_mmsi=other, hours=5.5, at=EAST_CHINA_SEA_STS,
                 median_distance_m=110.0)


def test_sts_with_a_designated_partner_scores_the_partner_risk() -> None:
    partner = PartnerRisk(445165870, "JI SONG 6", 1.0, "listed", "JI SONG 6 (un_1718_vessels)")
    r = sts_partner(facts(M, _encounter(445165870), partners={445165870: partner}), P)
    assert r.score == 1.0
    assert "JI SONG 6" in r.explanation and "designated" in r.explanation
    assert "STS area" in r.explanation and "110 m" in r.explanation


def test_sts_with_an_ordinary_partner_scores_nothing() -> None:
    partner = PartnerRisk(412999999, "ORDINARY", 0.1, "one draught change")
    assert sts_partner(facts(M, _encounter(412999999), partners={412999999: partner}),
                       P).score == 0.0


def test_loitering_beside_a_dark_high_risk_vessel_is_a_possible_dark_transfer() -> None:
    loiter = event("loitering", M, hours=7.0, at=EAST_CHINA_SEA_STS)
    gap = event("ais_gap", 445268114, hours=17.5, start=T0 - timedelta(hours=5),
                at=EAST_CHINA_SEA_STS)
    partner = PartnerRisk(445268114, "SAM MA 2", 1.0, "listed", "SAM MA 2 (un_1718_vessels)")
    r = sts_partner(facts(M, loiter, partners={445268114: partner},
                          dark_partners=((loiter, gap),)), P)
    assert r.score == pytest.approx(P.dark_partner_factor)
    assert "dark transfer" in r.explanation
    assert set(r.evidence) == {loiter["event_id"], gap["event_id"]}


def test_loitering_in_a_panel_sts_area_scores_by_duration() -> None:
    full = sts_area_loitering(facts(M, event("loitering", M, hours=8.0, at=EAST_CHINA_SEA_STS)), P)
    half = sts_area_loitering(facts(M, event("loitering", M, hours=4.0, at=EAST_CHINA_SEA_STS)), P)
    away = sts_area_loitering(facts(M, event("loitering", M, hours=8.0, at=OFF_JAPAN)), P)
    assert (full.score, half.score, away.score) == (1.0, 0.5, 0.0)
    assert "East China Sea" in full.explanation


def test_a_fishing_vessel_loitering_in_an_sts_area_is_fishing() -> None:
    f = facts(M, event("loitering", M, hours=8.0, at=EAST_CHINA_SEA_STS),
              identities=(period(M, ship_type=30),))
    assert sts_area_loitering(f, P).score == 0.0


# -- dark periods ----------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "hours", "score"), [
    (WEST_SEA_DPRK, 24.0, 1.0),          # inside DPRK waters, a day
    (WEST_SEA_DPRK, 12.0, 0.5),          # half a day
    (EAST_CHINA_SEA_STS, 24.0, 1.0),     # in a Panel STS area
    ((37.5, 123.6), 24.0, 1.0),          # outside, 61 km from DPRK waters
    (OFF_JAPAN, 48.0, 0.0),              # far from both
    (WEST_SEA_DPRK, 5.0, 0.0),           # shorter than min_gap_h
])
def test_dark_near_dprk(at: tuple[float, float], hours: float, score: float) -> None:
    r = dark_near_dprk(facts(M, event("ais_gap", M, hours=hours, at=OFF_JAPAN, end_at=at)), P)
    assert r.score == pytest.approx(score)
    if score:
        assert "reappeared" in r.explanation and f"{hours:.1f} h" in r.explanation


def test_the_distance_to_dprk_waters_is_a_parameter() -> None:
    f = facts(M, event("ais_gap", M, hours=24.0, at=(37.5, 123.6)))
    d, _ = f.places.dprk_distance_km(37.5, 123.6)
    assert 0 < d < 100
    assert dark_near_dprk(f, RiskParams(dark_near_dprk_max_distance_km=d / 2)).score == 0.0


def test_draught_change_across_a_silence() -> None:
    def gap(before: float, after: float, changed: bool) -> dict[str, object]:
        return event("ais_gap", M, hours=30.0, at=WEST_SEA_DPRK, draught_before_m=before,
                     draught_after_m=after, draught_changed=changed)

    laden = draught_dark(facts(M, gap(5.8, 11.2, True)), P)
    assert laden.score == 1.0 and "5.8 m -> 11.2 m (laden)" in laden.explanation
    assert draught_dark(facts(M, gap(5.8, 6.8, True)), P).score == pytest.approx(0.5)
    assert draught_dark(facts(M, gap(5.8, 5.8, False)), P).score == 0.0


# -- DPRK ports and waters -------------------------------------------------------------------

def test_a_dprk_port_call_scores_and_names_the_port() -> None:
    call = event("port_call", M, hours=20.0, is_dprk=True, port_name="NAMPO")
    other = event("port_call", M, hours=20.0, is_dprk=False, port_name="DALIAN")
    r = dprk_port_call(facts(M, call, other), P)
    assert r.score == 1.0 and "NAMPO" in r.explanation and r.evidence == (call["event_id"],)
    assert dprk_port_call(facts(M, other), P).score == 0.0


def _stay(hours: float, zone: str, at: tuple[float, float]) -> dict[str, object]:
    return event("zone_entry", M, hours=hours, at=at, subtype="stay", is_dprk=True,
                 zone_id=zone, zone_name=zone)


def test_fishing_in_dprk_waters_counts_hours_once_across_nested_zones() -> None:
    f = facts(M, _stay(24.0, "prk_eez_east_sea", EAST_SEA_DPRK),
              _stay(24.0, "prk_military_zone_east_sea", EAST_SEA_DPRK),
              identities=(period(M, ship_type=30),))
    r = fishing_dprk(f, P)
    assert r.score == 1.0 and "24.0 h in DPRK waters" in r.explanation
    half = facts(M, _stay(12.0, "prk_eez_east_sea", EAST_SEA_DPRK),
                 identities=(period(M, ship_type=30),))
    assert fishing_dprk(half, P).score == pytest.approx(0.5)


def test_hours_in_the_approximate_west_sea_zone_count_half() -> None:
    f = facts(M, _stay(24.0, "prk_waters_west_sea_approx", WEST_SEA_DPRK),
              identities=(period(M, ship_type=30),))
    assert fishing_dprk(f, P).score == pytest.approx(P.approximate_zone_factor)


def test_a_merchant_ship_in_dprk_waters_is_not_fishing_there() -> None:
    f = facts(M, _stay(48.0, "prk_eez_east_sea", EAST_SEA_DPRK),
              identities=(period(M, ship_type=70),))
    assert fishing_dprk(f, P).score == 0.0


# -- identity --------------------------------------------------------------------------------

def test_a_rename_scores_and_is_told() -> None:
    e = event("identity_change", M, subtype="name", old_value="SHUN JIN 58",
              new_value="RICH HAPPY 24")
    r = identity_changes(facts(M, e), P)
    assert r.score == P.rename_score
    assert "renamed SHUN JIN 58 -> RICH HAPPY 24" in r.explanation


def test_an_imo_kept_under_a_new_mmsi_and_a_flag_of_convenience_is_a_flag_hop() -> None:
    other = 671264769
    e = event("identity_change", M, other_mmsi=other, subtype="shared_imo", new_value="8706698")
    f = facts(M, e, identities=(period(M, flag="CN"),),
              related_identities={other: (period(other, flag="TG", record=9),)})
    r = identity_changes(f, P)
    assert r.score == P.flag_of_convenience_hop_score
    assert "under flag TG" in r.explanation and "test.csv:9" in r.evidence
    same_flag = facts(M, e, identities=(period(M, flag="CN"),),
                      related_identities={other: (period(other, flag="CN"),)})
    assert identity_changes(same_flag, P).score == P.shared_imo_score


def test_several_identity_changes_add_up_but_stay_below_one() -> None:
    es = [event("identity_change", M, subtype=s, old_value="A", new_value="B")
          for s in ("name", "callsign", "imo")]
    r = identity_changes(facts(M, *es), P)
    expect = 1 - (1 - P.rename_score) * (1 - P.callsign_change_score) * (1 - P.imo_change_score)
    assert r.score == pytest.approx(expect) and r.score < 1.0


# -- spoofing --------------------------------------------------------------------------------

def test_one_position_jump_is_a_glitch_a_long_cloned_track_is_spoofing() -> None:
    jump = event("spoofing", M, subtype="impossible_speed", at=OFF_JAPAN)
    assert spoofing(facts(M, jump), P).score == pytest.approx(1 / 9)
    jumps = [event("spoofing", M, subtype="impossible_speed", at=OFF_JAPAN,
                   start=T0 + timedelta(hours=i)) for i in range(3)]
    assert spoofing(facts(M, *jumps), P).score == 1.0
    clone = event("spoofing", M, subtype="simultaneous_positions", hours=167.9, at=OFF_JAPAN,
                  end_at=WEST_SEA_DPRK)
    r = spoofing(facts(M, clone), P)
    assert r.score == 1.0 and "167.9 h" in r.explanation
    land = event("spoofing", M, subtype="position_on_land", hours=3.3, at=(36.79, 120.66))
    assert spoofing(facts(M, land), P).score == pytest.approx(0.8)


def test_a_hop_between_two_flags_of_convenience_is_an_ordinary_reflagging() -> None:
    other = 538006973
    e = event("identity_change", M, other_mmsi=other, subtype="shared_imo", new_value="9442718")
    f = facts(M, e, identities=(period(M, flag="PA"),),
              related_identities={other: (period(other, flag="MH"),)})
    assert identity_changes(f, P).score == P.flag_hop_score


def test_a_name_only_match_without_or_against_the_listed_imo_counts_less() -> None:
    no_imo = designated(facts(M, matches=(match(imo=None),), identities=(period(M),)), P)
    assert no_imo.score == pytest.approx(P.name_match_factor * P.unconfirmed_name_factor)
    assert "no IMO broadcast to confirm it, the list gives IMO 8898740" in no_imo.explanation
    other = designated(facts(M, matches=(match(imo=None),),
                             identities=(period(M, imo=9074729),)), P)
    assert other.score == pytest.approx(P.name_match_factor * P.conflicting_imo_factor)
    assert "it broadcast IMO 9074729" in other.explanation


def test_identity_periods_of_separate_runs_show_changes_no_event_reports() -> None:
    later = T0 + timedelta(days=30)
    a = period(M, name="SHUN JIN 58", flag="CN", record=5)
    b = IdentityPeriod(**{**a.__dict__, "name": "RICH HAPPY 24", "first_seen": later,
                          "last_seen": later, "source": "march.csv", "record": 7})
    r = identity_changes(facts(M, identities=(a, b)), P)
    assert r.score == P.rename_score  # the flag comes from the MID in both: not a change
    assert "SHUN JIN 58 -> RICH HAPPY 24" in r.explanation
    assert {"test.csv:5", "march.csv:7"} <= set(r.evidence)
    # the same rename reported by an event is counted once
    e = event("identity_change", M, subtype="name", old_value="SHUN JIN 58",
              new_value="RICH HAPPY 24")
    assert identity_changes(facts(M, e, identities=(a, b)), P).score == P.rename_score
    stated = [IdentityPeriod(**{**p.__dict__, "flag_source": "report"}) for p in (a, b)]
    hop = IdentityPeriod(**{**stated[1].__dict__, "flag": "TG"})
    r = identity_changes(facts(M, identities=(stated[0], hop)), P)
    assert r.score == pytest.approx(1 - (1 - P.rename_score)
                                    * (1 - P.flag_of_convenience_hop_score))


def test_a_name_written_with_other_spacing_is_no_rename() -> None:
    e = event("identity_change", M, subtype="name", old_value="RJ PFEIFFER",
              new_value="R J PFEIFFER")
    assert identity_changes(facts(M, e), P).score == 0.0


def test_a_name_only_match_with_no_imo_on_either_side_is_unconfirmed() -> None:
    r = designated(facts(M, matches=(match(imo=None, score=0.87, listed_imos=()),)), P)
    assert r.score == pytest.approx(P.name_match_factor * 0.87 * P.unconfirmed_name_factor)
    assert "no IMO on either side" in r.explanation
