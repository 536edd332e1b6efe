"""Cross-list resolution: the resolver's rules, and real merges on the DPRK entries of the
UN, UN 1718, OFAC 2021-07, UK and EU lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from followthemoney.proxy import EntityProxy
from typer import Typer
from typer.testing import CliRunner

from sanctionwatch.cli.lists_cmd import lists_app
from sanctionwatch.linking import (
    Decision,
    Resolver,
    load_resolver,
    resolved_entities,
    save_decisions,
    xref,
)
from sanctionwatch.linking.resolve import NEGATIVE, POSITIVE, UNSURE, make_decision
from sanctionwatch.sanctions import Statement
from sanctionwatch.schema import ENTITY_DECISIONS
from tests.sanctions.conftest import EU_PRK, OFAC_2021, UK_DPRK, UN_1718, UN_2026, parsed
from tests.schema.columns import declared_columns, stored_columns

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _d(a: str, b: str, judgement: str, minutes: int, by: str = "xref") -> Decision:
    return make_decision(a, b, judgement, by, "", None, T0 + timedelta(minutes=minutes))


# --- the resolver ---------------------------------------------------------------------------


def test_positive_pairs_make_clusters_with_a_deterministic_canonical_id() -> None:
    r = Resolver([_d("b", "c", POSITIVE, 1), _d("a", "b", POSITIVE, 2), _d("x", "y", UNSURE, 3)])
    assert r.cluster("c") == frozenset({"a", "b", "c"})
    assert r.canonical("c") == r.canonical("a") == "sw-a"
    assert r.canonical("x") == "x" and r.cluster("x") == frozenset({"x"})
    assert r.clusters() == [frozenset({"a", "b", "c"})]
    # the same decisions in another order give the same clusters and ids
    r2 = Resolver(reversed(r.decisions()))
    assert r2.clusters() == r.clusters() and r2.canonical("b") == "sw-a"


def test_a_later_negative_decision_reverses_a_merge_and_history_is_kept() -> None:
    r = Resolver([_d("a", "b", POSITIVE, 1)])
    assert r.cluster("a") == {"a", "b"}
    d = r.decide("b", "a", NEGATIVE, "analyst", "different owners")
    assert (d.left_id, d.right_id, d.decided_by) == ("a", "b", "analyst")
    assert r.cluster("a") == {"a"} and r.clusters() == []
    assert [x.judgement for x in r.decisions()] == [POSITIVE, NEGATIVE]
    assert r.latest("b", "a") == d
    r.decide("a", "b", POSITIVE, "analyst")
    assert r.cluster("b") == {"a", "b"}


def test_a_negative_pair_is_never_joined_through_a_third_entity() -> None:
    r = Resolver([_d("a", "b", NEGATIVE, 1), _d("a", "c", POSITIVE, 2), _d("b", "c", POSITIVE, 3)])
    assert "b" not in r.cluster("a")
    assert r.cluster("a") == {"a", "c"}  # the earlier positive wins the third entity


def test_decisions_are_checked() -> None:
    r = Resolver()
    with pytest.raises(ValueError, match="judgement"):
        r.decide("a", "b", "maybe", "me")
    with pytest.raises(ValueError, match="itself"):
        r.decide("a", "a", POSITIVE, "me")


# --- the real lists -------------------------------------------------------------------------


def _dprk(entities: list[EntityProxy]) -> list[EntityProxy]:
    """DPRK-programme entities and their Sanction records."""

    def is_dprk(e: EntityProxy) -> bool:
        return any("DPRK" in p or "Korea" in p or p == "PRK" for p in e.get("program", quiet=True))

    keep = {e.id for e in entities if e.schema.name != "Sanction" and is_dprk(e)}
    return [e for e in entities
            if e.id in keep or (e.schema.name == "Sanction" and set(e.get("entity")) & keep)]


@pytest.fixture(scope="module")
def entities() -> list[EntityProxy]:
    out: list[EntityProxy] = []
    for path in (UN_2026, UN_1718, OFAC_2021, UK_DPRK, EU_PRK):
        out += _dprk(parsed(path).entities())
    return out


@pytest.fixture(scope="module")
def decisions(entities: list[EntityProxy]) -> list[Decision]:
    return xref(entities)


@pytest.fixture(scope="module")
def resolver(decisions: list[Decision]) -> Resolver:
    return Resolver(decisions)


def _decision(decisions: list[Decision], a: str, b: str) -> Decision:
    return next(d for d in decisions if d.pair == tuple(sorted((a, b))))


def test_a_dprk_vessel_is_merged_across_un_1718_and_ofac_by_its_imo(decisions, resolver) -> None:
    # UN 1718 lists IMO 8914934 as FAN KE, OFAC as EVER BRIGHT 88: only the IMO joins them;
    # the UK lists FAN KE without an IMO and joins by name
    assert resolver.cluster("un1718-8914934") == {"un1718-8914934", "us-ofac-19570",
                                                  "uk-DPR0118"}
    d = _decision(decisions, "un1718-8914934", "us-ofac-19570")
    assert d.judgement == POSITIVE and "imo_match" in d.explanation and "8914934" in d.explanation
    assert "uk-DPR0118" not in {x for d in decisions if d.judgement == POSITIVE
                                and "us-ofac-19570" in d.pair for x in d.pair}


def test_omm_is_one_company_across_un_ofac_uk_and_eu(resolver) -> None:
    assert resolver.cluster("un-sc-KPe.020") == {
        "un-sc-KPe.020", "us-ofac-17068", "uk-DPR0181", "eu-7490"}
    assert resolver.canonical("us-ofac-17068") == "sw-eu-7490"


def test_a_uk_ship_without_imo_joins_un_1718_and_ofac_by_name(resolver) -> None:
    assert resolver.cluster("uk-DPR0105") == {"uk-DPR0105", "un1718-8660313", "us-ofac-23729"}


def test_a_person_is_joined_by_un_reference_and_by_birth_date(decisions, resolver) -> None:
    # UK: KIM CHOL SAM aka Jin Tiesan (金铁三), UN reference KPi.035
    d = _decision(decisions, "uk-DPR0226", "un-sc-KPi.035")
    assert d.judgement == POSITIVE and "UN reference KPi.035" in d.explanation
    # EU: Chun Sik Choe, born as the UN's CHOE CHUN-SIK (KPi.013)
    d = _decision(decisions, "eu-107804", "un-sc-KPi.013")
    assert d.judgement == POSITIVE and "born the same day" in d.explanation


def test_identifier_conflicts_never_merge(decisions, resolver) -> None:
    # PAEK MA (IMO 9066978) and BAEK MA KANG (IMO 7944683): near names, two ships
    d = _decision(decisions, "un1718-9066978", "us-ofac-17085")
    assert d.judgement == NEGATIVE and "IMO" in d.explanation
    assert "us-ofac-17085" not in resolver.cluster("un1718-9066978")
    # two men named Choe Chun-sik: the EU's born 1963 is not the UN's KPi.013 born 1954
    d = _decision(decisions, "eu-105411", "un-sc-KPi.013")
    assert d.judgement == NEGATIVE and "born" in d.explanation
    assert "eu-105411" not in resolver.cluster("un-sc-KPi.013")


def test_no_cluster_holds_two_entries_of_one_list(resolver, entities) -> None:
    dataset = {e.id: e.context["datasets"][0] for e in entities}
    for c in resolver.clusters():
        lists = [dataset[x] for x in c]
        assert len(lists) == len(set(lists)), sorted(c)


def test_a_merge_is_reversed_by_a_negative_decision(decisions) -> None:
    r = Resolver(decisions)
    r.decide("uk-DPR0181", "un-sc-KPe.020", NEGATIVE, "analyst", "test reversal")
    assert "uk-DPR0181" not in r.cluster("un-sc-KPe.020")
    assert len(r.decisions()) == len(decisions) + 1


def test_resolved_entity_keeps_every_source_statement(resolver) -> None:
    statements: list[Statement] = []
    for path in (UN_2026, OFAC_2021, UK_DPRK, EU_PRK):
        statements += parsed(path).statements
    omm = next(e for e in resolved_entities(statements, resolver) if e.id == "sw-eu-7490")
    assert omm.members == ("eu-7490", "uk-DPR0181", "un-sc-KPe.020", "us-ofac-17068")
    assert omm.datasets == ("eu_fsf", "gb_fcdo_sanctions", "un_sc", "us_ofac_sdn")
    assert omm.schema == "Organization"
    assert "OCEAN MARITIME MANAGEMENT COMPANY LIMITED" in omm.names
    by_list = {s.dataset for s in omm.statements if s.prop == "name"}
    assert by_list == set(omm.datasets)
    assert all(s.source_record for s in omm.statements)


# --- the store and the CLI ------------------------------------------------------------------


def test_store_is_append_only_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "sw.duckdb"
    assert load_resolver(path).decisions() == []
    first = [_d("a", "b", POSITIVE, 1)]
    save_decisions(path, first)
    save_decisions(path, [_d("a", "b", NEGATIVE, 2, by="analyst")])
    r = load_resolver(path)
    assert [d.judgement for d in r.decisions()] == [POSITIVE, NEGATIVE]
    assert r.decisions()[0] == first[0]
    assert r.cluster("a") == {"a"}
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM entity_decisions").fetchone() == (2,)
        assert stored_columns(con, "entity_decisions") == declared_columns(ENTITY_DECISIONS)


def _cli() -> Typer:
    app = Typer()
    app.add_typer(lists_app, name="lists")

    @app.command()
    def noop() -> None:
        """Keeps typer from collapsing the single sub-app."""

    return app


def test_cli_resolve_merges_decide(tmp_path: Path) -> None:
    store = str(tmp_path / "sw.duckdb")
    runner, app = CliRunner(), _cli()
    r = runner.invoke(app, ["lists", "load", str(UN_1718), str(UK_DPRK), "--store", store])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["lists", "resolve", "--store", store, "--json"])
    assert r.exit_code == 0, r.output
    run = json.loads(r.output)
    assert run["new_decisions"]["positive"] > 20
    assert any({m["id"] for m in c["members"]} == {"uk-DPR0105", "un1718-8660313"}
               for c in run["merges"])
    # running again adds nothing
    r = runner.invoke(app, ["lists", "resolve", "--store", store, "--json"])
    assert json.loads(r.output)["new_decisions"] == {"positive": 0, "negative": 0, "unsure": 0}
    r = runner.invoke(app, ["lists", "decide", "uk-DPR0105", "un1718-8660313", "--negative",
                            "--by", "analyst", "--note", "checked", "--store", store])
    assert r.exit_code == 0, r.output
    assert "cluster of 1" in r.output
    r = runner.invoke(app, ["lists", "merges", "--store", store, "--json"])
    merged = [{m["id"] for m in c["members"]} for c in json.loads(r.output)]
    assert {"uk-DPR0105", "un1718-8660313"} not in merged
    r = runner.invoke(app, ["lists", "decide", "uk-DPR0105", "nope", "--positive",
                            "--store", store])
    assert r.exit_code != 0 and "no entity 'nope'" in r.output
    r = runner.invoke(app, ["lists", "decide", "uk-DPR0105", "un1718-8660313", "--store", store])
    assert r.exit_code != 0 and "exactly one of" in r.output


def test_a_shared_alias_does_not_pull_an_entity_into_the_wrong_cluster(resolver) -> None:
    # the UK's entry for the Academy of National Defence Science (KPe.021) lists the Second
    # Academy of Natural Sciences (KPe.018) among its aliases; each EU entry must still join
    # the UN entry of its own name
    assert resolver.cluster("un-sc-KPe.021") == {"un-sc-KPe.021", "uk-DPR0124", "eu-107838"}
    assert resolver.cluster("un-sc-KPe.018") == {"un-sc-KPe.018", "uk-DPR0189", "eu-7236"}
