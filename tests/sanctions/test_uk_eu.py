"""The UK DPRK-regime and EU PRK-programme loaders on the real JSON transcriptions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from sanctionwatch.sanctions import ListFormatError, ListStore, detect_format, read_list
from tests.sanctions.conftest import EU_PRK, UK_DPRK, parsed


def entity(path: Path, eid: str):  # type: ignore[no-untyped-def]
    return next(e for e in parsed(path).entities() if e.id == eid)


def test_uk_counts_date_and_format() -> None:
    p = parsed(UK_DPRK)
    assert detect_format(UK_DPRK) == "uk_json"
    assert p.meta.dataset == "gb_fcdo_sanctions"
    assert p.meta.list_date == date(2026, 2, 13)  # the latest last_updated in the file
    assert p.counts() == {"Organization": 86, "Person": 138, "Sanction": 261, "Vessel": 37}


def test_uk_names_other_script_and_un_reference() -> None:
    kim = entity(UK_DPRK, "uk-DPR0226")
    assert kim.schema.name == "Person"
    assert kim.get("name") == ["KIM CHOL SAM"]
    assert {"Jin Tiesan", "金铁三"} <= set(kim.get("alias"))  # brackets of '(金铁三)' dropped
    sanction = entity(UK_DPRK, "uk-DPR0226-sanction")
    assert sanction.get("unscId") == ["KPi.035"]
    assert sanction.get("entity") == ["uk-DPR0226"]
    ship = entity(UK_DPRK, "uk-DPR0105")
    assert ship.schema.name == "Vessel"
    assert ship.get("name") == ["Chon Ma San"] and ship.get("alias") == ["Go Mal San 4"]


def test_uk_provenance_names_the_record() -> None:
    st = [s for s in parsed(UK_DPRK).statements if s.entity_id == "uk-DPR0181" and s.prop == "name"]
    assert [(s.value, s.source_record) for s in st] == [
        ("OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)", "unique_id DPR0181")
    ]


def test_eu_counts_date_and_facts() -> None:
    p = parsed(EU_PRK)
    assert detect_format(EU_PRK) == "eu_json"
    assert p.meta.dataset == "eu_fsf"
    assert p.meta.list_date == date(2024, 12, 16)  # latest regulation publication date
    assert p.counts() == {"Organization": 96, "Person": 159, "Sanction": 255}
    hwang = entity(EU_PRK, "eu-5468")
    assert hwang.get("birthDate") == ["1943-09-26"]
    assert hwang.get("name") == ["Sok Ha Hwang"] and hwang.get("alias") == ["Sok-hwa Hwang"]
    chon = entity(EU_PRK, "eu-107840")
    assert chon.get("imoNumber") == ["IMO5342883"]  # the company's IMO number
    assert "Chong Chon Gang Shipping Co. Ltd." in chon.get("alias")


def test_eu_alias_provenance_names_the_alias_record() -> None:
    recs = {s.source_record for s in parsed(EU_PRK).statements
            if s.entity_id == "eu-107840" and s.prop == "alias"}
    assert recs and all(r.startswith("logical_id 107840 (EU.4198.83) name_alias ") for r in recs)


def test_all_six_lists_load_into_one_store(tmp_path: Path) -> None:
    from tests.sanctions.conftest import FTM_T1, OFAC_2021, UN_1718, UN_2026

    with ListStore(tmp_path / "sw.duckdb") as s:
        s.load_many([UN_2026, UN_1718, OFAC_2021, UK_DPRK, EU_PRK, FTM_T1])
        assert s.datasets() == ["eu_fsf", "gb_fcdo_sanctions", "opensanctions", "un_1718_vessels",
                                "un_sc", "us_ofac_sdn"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"regime": "x", "entries": [{"unique_id": "DPR1", "individual_entity_ship": "Ship",'
         ' "names": {"names": []}}]}', "no primary name"),
        ('{"regime": "x", "entries": [{"unique_id": "DPR1", "individual_entity_ship": "Plane",'
         ' "names": {"names": []}}]}', "unknown individual_entity_ship"),
    ],
)
def test_uk_bad_entries_name_the_record(tmp_path: Path, text: str, error: str) -> None:
    f = tmp_path / "uk_2026-01-01.json"
    f.write_text(text)
    with pytest.raises(ListFormatError, match=f"unique_id DPR1: {error}|{error}"):
        read_list(f)


def test_eu_entry_without_name(tmp_path: Path) -> None:
    f = tmp_path / "eu_2026-01-01.json"
    f.write_text(json.dumps({"programme": "PRK", "entries": [
        {"logical_id": "9", "eu_reference_number": "EU.1.1", "subject_type": {"code": "person"},
         "name_aliases": []}]}))
    with pytest.raises(ListFormatError, match=r"logical_id 9 \(EU.1.1\): no name"):
        read_list(f)
