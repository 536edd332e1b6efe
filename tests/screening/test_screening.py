"""Matcher, screening index, CLI helpers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from followthemoney import model

from sanctionwatch.screening import (
    DEFAULT_THRESHOLD,
    Screener,
    ScreeningIndex,
    score_pair,
    score_pairs_file,
)
from sanctionwatch.screening.korean import korean_key, romanize_name

UN_VESSELS = (
    Path(__file__).resolve().parents[1]
    / "data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
)


def matches(a: str, b: str, schema: str = "Person") -> bool:
    return score_pair(a, b, schema).score >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    "name",
    [
        "김정은",
        "金正恩",
        "Kim Jong-un",
        "KIM JONG UN",
        "Kim Chong Un",
        "Kim Chŏng-ŭn",
        "kim jongun",
    ],
)
def test_kim_jong_un_variants(name):
    assert matches(name, "Kim Jong Un")


def test_romanisation_tables():
    assert romanize_name("김정은", "dprk") == "kim jong un"
    assert romanize_name("김정은", "rr") == "gim jeong eun"
    assert romanize_name("김정은", "mr") == "kim chŏng ŭn"
    for a, b in [
        ("Ri", "Lee"),
        ("Rhee", "Yi"),
        ("Pak", "Park"),
        ("Bak", "Pak"),
        ("Choe", "Choi"),
        ("Ryu", "Yu"),
        ("Kang", "Gang"),
    ]:
        assert korean_key(a) == korean_key(b)


def test_list_spellings_of_same_person():
    # KPi.001: UN "YUN HO-JIN" (alias "Yun Ho-chin"), UK "YUN HO-JIN", EU "Ho-chin Yun"
    assert matches("Ho-chin Yun", "YUN HO-JIN")
    assert matches("Yun Ho-chin", "YUN HO-JIN")


def test_sister_ships_differ():
    s = score_pair("KUM SONG 3", "KUM SONG 7", "Vessel")
    assert s.score < DEFAULT_THRESHOLD
    assert "number_mismatch" in s.explain()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Samsung Electronics Co., Ltd.", "SAMSUNG ELECTRONICS"),
        ("JSC TACTICAL MISSILES CORPORATION", "TACTICAL MISSILES CORPORATION JOINT STOCK COMPANY"),
        ("Korea Mining Development Trading Corp.", "KOREA MINING DEVELOPMENT TRADING CORPORATION"),
        ("ООО Ромашка", "Romashka LLC"),
    ],
)
def test_company_suffix_variants(a, b):
    assert matches(a, b, "Company")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Barack Obama", "Kim Jong Un"),
        ("Olaf Scholz", "Angela Merkel"),
        ("Korea Mining Development Trading Corporation", "Green Pine Associated Corporation"),
    ],
)
def test_unrelated_names(a, b):
    assert not matches(a, b)


def test_explanation_names_features():
    s = score_pair("Kim Chong Un", "KIM JONG UN", "Person")
    assert s.best is not None and s.best.name.startswith("name_")
    assert s.features and all(f.to_dict()["feature"] for f in s.features)


def _vessel_index() -> tuple[ScreeningIndex, list[dict[str, str]]]:
    with UN_VESSELS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ents = []
    for r in rows:
        e = model.make_entity("Vessel")
        e.id = "un1718-" + (r["imo"] or r["name"])
        e.add("name", r["name"])
        for other in r["other_names"].split(";"):
            if other.strip():
                e.add("previousName", other.strip())
        e.add("imoNumber", r["imo"])
        ents.append(e)
    p = model.make_entity("Person")
    p.id = "kpi-x"
    p.add("name", "KIM JONG UN")
    ents.append(p)
    return ScreeningIndex.from_entities(ents), rows


def test_vessel_found_by_imo_under_each_name():
    index, rows = _vessel_index()
    screener = Screener(index)
    multi = [r for r in rows if r["other_names"].strip() and r["imo"]]
    assert multi
    for r in multi:
        for name in [r["name"], *r["other_names"].split(";")]:
            hits = screener.screen(name.strip(), schema="Vessel", imo=int(r["imo"]))
            assert hits and hits[0].entity_id == "un1718-" + r["imo"], name
            assert hits[0].is_match
    # a renamed ship is still found by IMO alone
    hit = screener.screen("SOME NEW NAME", schema="Vessel", imo=int(multi[0]["imo"]))
    assert hit and hit[0].entity_id == "un1718-" + multi[0]["imo"]
    assert "imo_match" in hit[0].explanation.explain()


def test_batch_rows_order_and_empty():
    index, _ = _vessel_index()
    rows = [
        {"name": "김정은"},
        {"name": "Jennifer Smith"},
        {"name": ""},
        {"name": "CHON MA SAN", "schema": "Vessel"},
    ]
    out = list(Screener(index).screen_rows(rows))
    assert [o["name"] for o in out] == ["김정은", "Jennifer Smith", "", "CHON MA SAN"]
    assert out[0]["match_id"] == "kpi-x" and out[0]["is_match"] == "true"
    assert out[1]["match_id"] == "" and out[2]["score"] == ""
    assert out[3]["match_id"] == "un1718-8660313"


def test_score_pairs_round_trip(tmp_path):
    src = tmp_path / "pairs.csv"
    src.write_text(
        "name1,name2,schema\nKim Jong-un,KIM JONG UN,Person\nKUM SONG 3,KUM SONG 7,Vessel\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    assert score_pairs_file(src, out) == 2
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name1"] for r in rows] == ["Kim Jong-un", "KUM SONG 3"]
    assert rows[0]["is_match"] == "true" and rows[1]["is_match"] == "false"
    assert 0 <= float(rows[1]["score"]) <= 1 and rows[0]["explanation"]


def test_initials_never_match_alone_and_count_for_little():
    assert score_pair("D. M.", "Dmitri Muller", "Person").score == 0.0
    # a listed initial only half-confirms the query's family name; the listed family name
    # (before the comma) is missing from the query
    assert not matches("Dmitri Muller", "TOLCHINSKIY, Dmitri M.")
    assert matches("Dmitri Tolchinskiy", "TOLCHINSKIY, Dmitri M.")


def test_short_names_need_near_exact_parts():
    assert matches("Pak Un", "PAK UN") and matches("Ri Un", "Rhee Un")
    assert not matches("Pak Un", "Pak On")  # o/u-merged Korean keys are not near-exact
    assert not matches("Li Na", "Li Ma")


def test_conflicting_part_outweighs_shared_common_parts():
    a = "AYMAN SABAWI IBRAHIM HASAN AL-DULAIMI"
    assert not matches(a, "AYMAN SABAWI IBRAHIM HASAN AL-TIKRITI")
    assert not matches("Kim Jong Un", "Kim Jong Il")


def test_common_tokens_weigh_less():
    from sanctionwatch.screening.rarity import rarity

    assert rarity("mohammed") < rarity("kim") < rarity("tolchinskiy") == 1.0


def test_prescore_keeps_the_exhaustive_best():
    from sanctionwatch.screening import Query

    index, rows = _vessel_index()
    for r in rows[:30]:
        q = Query(r["name"], "Vessel")
        fast, full = index.search(q), index.search_exhaustive(q)
        assert fast[0][0].id == full[0][0].id and fast[0][1].score == full[0][1].score


def test_query_schemata_are_the_index_compatibility_table():
    from sanctionwatch.screening.index import COMPATIBLE
    from sanctionwatch.screening.table_input import SCHEMATA

    assert set(SCHEMATA) == set(COMPATIBLE)
