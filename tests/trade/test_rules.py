import csv
from pathlib import Path

import pytest

from sanctionwatch.trade.rules import (
    DIRECTIONS,
    MEASURE_TYPES,
    hs_nomenclature,
    load_rules,
    parse_hs_codes,
    read_rules,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_HS = ROOT / "src/sanctionwatch/data/trade/harmonized-system.csv"


def test_every_rule_cites_a_resolution_and_a_paragraph() -> None:
    rules = load_rules().rules
    assert len(rules) == 22
    for r in rules:
        assert r.direction in DIRECTIONS and r.measure_type in MEASURE_TYPES, r.rule_id
        assert r.resolutions and r.paragraphs, r.rule_id
        for res in r.resolutions:
            assert res.split()[0].isdigit() and res.endswith(")"), (r.rule_id, res)
        assert "para " in r.citation, r.rule_id


def test_every_hs_code_of_the_rules_is_in_the_shipped_nomenclature() -> None:
    with SHIPPED_HS.open(encoding="utf-8") as fh:
        codes = {row["hscode"] for row in csv.DictReader(fh)}
    assert hs_nomenclature().keys() == codes
    used = [(r.rule_id, p) for r in load_rules().rules for p in r.hs_prefixes]
    assert len(used) > 60
    assert [u for u in used if u[1] not in codes] == []


def test_the_verified_paragraphs_and_caps() -> None:
    rs = load_rules()
    assert rs.by_id("coal").citation.endswith("UNSCR 2371 (2017) para 8")
    assert "UNSCR 2270 (2016) para 29" in rs.by_id("iron").citation
    assert rs.by_id("seafood").citation == "UNSCR 2371 (2017) para 9"
    assert rs.by_id("textiles").citation == "UNSCR 2375 (2017) para 16"
    assert rs.by_id("arms_supply").citation.endswith("UNSCR 2270 (2016) para 6")
    petrol = rs.by_id("refined_petroleum_supply")
    assert (petrol.measure_type, petrol.cap_amount, petrol.cap_unit) == (
        "cap", 500_000, "barrels_per_year")
    assert "UNSCR 2397 (2017) para 5" in petrol.citation
    crude = rs.by_id("crude_oil_supply")
    assert (crude.cap_amount, crude.cap_unit) == (4_000_000, "barrels_per_year")
    assert rs.by_id("export_ban_2397").hs_prefixes == ("12", "08", "07", "84", "85", "25",
                                                      "44", "89")
    assert rs.by_id("supply_ban_2397").citation == "UNSCR 2397 (2017) para 7"
    assert "261690" in rs.by_id("gold_ores").hs_prefixes


def test_matching_by_direction() -> None:
    rs = load_rules()
    assert {r.rule_id for r, _ in rs.matching("270112", "from_dprk")} == {"coal"}
    assert rs.matching("270112", "to_dprk") == []
    assert {r.rule_id for r, _ in rs.matching("620342", "from_dprk")} == {"textiles"}
    assert {r.rule_id for r, _ in rs.matching("271019", "to_dprk")} == {
        "refined_petroleum_supply", "aviation_fuel_supply"}


def test_hs_code_syntax() -> None:
    assert parse_hs_codes("50-53; 8703.10;03") == ("50", "51", "52", "53", "870310", "03")
    for bad in ("7", "87031", "60-50", "coal"):
        with pytest.raises(ValueError):
            parse_hs_codes(bad)


NATIONAL = (
    "measure_id,direction,goods_as_named,hs_codes,resolution,paragraph,measure_type,notes\n"
    "eu_luxury_spirits,to_dprk,spirits and spirituous beverages,2208,EU Reg. 2017/1509,"
    "Annex VIII item 4,ban,\n"
)


def test_a_national_rule_file_adds_rules(tmp_path: Path) -> None:
    f = tmp_path / "eu.csv"
    f.write_text(NATIONAL, encoding="utf-8")
    rs = load_rules([f])
    rule = rs.by_id("eu_luxury_spirits")
    assert rule.citation == "EU Reg. 2017/1509, Annex VIII item 4"
    assert [r.rule_id for r, _ in rs.matching("220860", "to_dprk")] == ["eu_luxury_spirits"]
    with pytest.raises(ValueError, match="defined twice"):
        load_rules([f, f])


@pytest.mark.parametrize(("cell", "message"), [
    ("x,sideways,goods,2208,R,1,ban", "direction"),
    ("x,to_dprk,goods,2208,R,1,quota", "measure_type"),
    ("x,to_dprk,goods,2208,,1,ban", "no resolution"),
    ("x,to_dprk,goods,22.0,R,1,ban", "not an HS"),
])
def test_a_bad_rule_names_file_and_line(tmp_path: Path, cell: str, message: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(NATIONAL.splitlines()[0] + "\n" + cell + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad.csv, line 2: .*{message}"):
        read_rules(f, "bad.csv")


def test_every_rule_has_its_dates_in_order() -> None:
    from datetime import date

    rules = load_rules().rules
    for r in rules:
        assert r.restricted_from is not None, r.rule_id
        if r.measure_type == "ban":
            assert r.banned_from is not None and r.restricted_from <= r.banned_from, r.rule_id
            # the resolution that made the ban outright is one the rule cites
            assert r.ban_citation.startswith("UNSCR "), r.rule_id
            assert f"({r.banned_from.year})" in r.ban_citation, r.rule_id
        else:
            assert r.banned_from is None, r.rule_id
    coal = load_rules().by_id("coal")
    # 2270 restricted coal with a livelihood exemption, 2321 capped it, 2371 banned it
    assert coal.restricted_from == date(2016, 3, 2)
    assert coal.banned_from == date(2017, 8, 5)
    assert coal.ban_citation == "UNSCR 2371 (2017) para 8"
    assert coal.status_on(date(2015, 12, 31)) == "not_yet"
    assert coal.status_on(date(2016, 6, 1)) == "restricted"
    assert coal.status_on(date(2017, 8, 5)) == "banned"
    assert coal.status_on(None) == "banned"
    assert load_rules().by_id("refined_petroleum_supply").status_on(date(2019, 1, 1)) == "capped"


def test_a_rule_file_with_a_bad_date_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "national.csv"
    path.write_text(
        "measure_id,direction,goods_as_named,hs_codes,resolution,paragraph,measure_type,"
        "banned_from\n"
        "eu_wine,to_dprk,wine,2204,EU Reg. 2017/1509,Annex VIII item 3,ban,2017-13-01\n",
        encoding="utf-8")
    with pytest.raises(ValueError, match=r"national.csv, line 2: banned_from '2017-13-01'"):
        load_rules([path])
