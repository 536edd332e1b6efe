"""Loaders on the real lists: exact counts, DPRK facts, provenance, and format errors."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from sanctionwatch.sanctions import ListFormatError, detect_format, read_list
from tests.sanctions.conftest import (
    FTM_T1,
    FTM_ZALA,
    OFAC_2019,
    OFAC_2021,
    UN_1718,
    UN_2021,
    UN_2026,
    parsed,
)


@cache
def by_id(path: Path) -> dict[str, object]:
    return {e.id: e for e in parsed(path).entities()}


@pytest.mark.parametrize(
    ("path", "fmt", "dataset", "list_date", "counts"),
    [
        (UN_2026, "un_xml", "un_sc", date(2026, 2, 27),
         {"Organization": 273, "Person": 730, "Sanction": 1003}),
        (UN_2021, "un_xml", "un_sc", date(2021, 1, 18),
         {"Organization": 293, "Person": 710, "Sanction": 1003}),
        (UN_1718, "un1718_csv", "un_1718_vessels", date(2020, 6, 4),
         {"Sanction": 59, "Vessel": 59}),
        (OFAC_2019, "ofac_csv", "us_ofac_sdn", date(2019, 1, 1),
         {"Airplane": 217, "CryptoWallet": 2, "Organization": 2994, "Ownership": 9, "Person": 3845,
          "Sanction": 7379, "UnknownLink": 2427, "Vessel": 323}),
        (OFAC_2021, "ofac_csv", "us_ofac_sdn", date(2021, 7, 1),
         {"Airplane": 277, "CryptoWallet": 97, "Organization": 3673, "Ownership": 10,
          "Person": 4620,
          "Sanction": 8976, "UnknownLink": 3408, "Vessel": 406}),
        (FTM_ZALA, "ftm_json", "opensanctions", date(2026, 4, 29),
         {"Address": 11, "Company": 11, "Directorship": 3, "Family": 4, "Ownership": 14,
          "Passport": 1, "Person": 6, "Sanction": 41}),
        (FTM_T1, "ftm_json", "opensanctions", date(2024, 6, 1),
         {"Address": 1, "Organization": 2, "Person": 4}),
    ],
)
def test_counts_per_schema(path, fmt, dataset, list_date, counts):
    p = parsed(path)
    assert detect_format(path) == fmt
    assert (p.meta.format, p.meta.dataset, p.meta.list_date) == (fmt, dataset, list_date)
    assert p.counts() == counts


def test_un_dprk_entries():
    ents = by_id(UN_2026).values()
    dprk = [e for e in ents if "DPRK" in e.get("program") and e.schema.name != "Sanction"]
    assert sum(e.schema.name == "Person" for e in dprk) == 80
    assert sum(e.schema.name == "Organization" for e in dprk) == 75


def test_un_other_script_aliases_kept():
    ents = by_id(UN_2026)
    assert "Jin Tiesan (金铁三)" in ents["un-sc-KPi.035"].get("alias")
    # reference number "KPe.055 " has a trailing space in the file
    assert "長安海連技術有限公司" in ents["un-sc-KPe.055"].get("alias")
    assert "Cho Ch’o’l" in ents["un-sc-KPi.040"].get("alias") + ents["un-sc-KPi.040"].get(
        "weakAlias")


def test_un_person_facts_and_sanction():
    ents = by_id(UN_2026)
    ri = ents["un-sc-KPi.033"]
    assert ri.get("birthDate") == ["1964-07-17"]
    assert ri.get("passportNumber") == ["381310014"]
    assert ri.get("nationality") == ["kp"]
    s = ents["un-sc-KPi.033-sanction"]
    assert s.get("entity") == ["un-sc-KPi.033"]
    assert s.get("unscId") == ["KPi.033"]
    assert s.get("program") == ["DPRK"]
    assert s.get("listingDate") == ["2016-11-30"]


def test_un_alias_quality():
    ents = by_id(UN_2026)
    weak = sum(len(e.get("weakAlias", quiet=True)) for e in ents.values())
    previous = sum(len(e.get("previousName", quiet=True)) for e in ents.values())
    assert weak > 500  # QUALITY "Low" → weakAlias (615 in the file, some duplicates)
    assert previous > 0  # "f.k.a."


def test_un1718_vessel_imo_and_former_names():
    v = by_id(UN_1718)["un1718-8909575"]
    assert v.get("name") == ["Blue Nouvelle"]
    assert v.get("previousName") == ["Greenlight", "Chong Bong"]
    assert v.get("imoNumber") == ["IMO8909575"]
    assert v.get("mmsi") == ["529734000", "515721000", "445114000", "445528000"]
    assert v.get("flag") == ["ki"] and v.get("pastFlags") == ["kh", "kp"]
    assert v.get("callSign") == ["T3NM2", "XUJX6", "HMXW"]
    vessels = [e for e in by_id(UN_1718).values() if e.schema.name == "Vessel"]
    assert sum(bool(e.get("imoNumber")) for e in vessels) == 58
    assert sum(bool(e.get("previousName")) for e in vessels) == 15
    assert sum(bool(e.get("mmsi")) for e in vessels) == 26
    assert "un1718-min-ning-de-you-078" in by_id(UN_1718)


def test_ofac_vessel_from_remarks():
    ents = by_id(OFAC_2021)
    chong = ents["us-ofac-17069"]
    assert chong.get("imoNumber") == ["IMO7937317"] and chong.get("program") == ["DPRK"]
    artavil = ents["us-ofac-15036"]
    assert artavil.get("imoNumber") == ["IMO9187629"]
    assert artavil.get("mmsi") == ["572469210"]
    assert artavil.get("callSign") == ["T2EU4"]
    assert artavil.get("flag") == ["ir"]
    assert sorted(artavil.get("pastFlags")) == ["mt", "tv", "tz"]  # "None Identified" dropped
    assert "ALPHA" in artavil.get("previousName")  # f.k.a. in the remarks and alt.csv


@pytest.mark.parametrize(
    ("path", "persons", "orgs", "vessels", "with_imo", "aircraft"),
    [(OFAC_2019, 125, 146, 101, 100, 16), (OFAC_2021, 130, 162, 106, 105, 16)],
)
def test_ofac_dprk_programs(path, persons, orgs, vessels, with_imo, aircraft):
    dprk = [e for e in by_id(path).values() if e.schema.is_a("Thing")
            and any(p.startswith("DPRK") for p in e.get("program"))]
    n = {s: sum(e.schema.name == s for e in dprk)
         for s in ("Person", "Organization", "Vessel", "Airplane")}
    assert n == {"Person": persons, "Organization": orgs, "Vessel": vessels, "Airplane": aircraft}
    assert sum(bool(e.get("imoNumber", quiet=True)) for e in dprk
               if e.schema.name == "Vessel") == with_imo


def test_ofac_linked_to_remarks_become_unknown_links():
    ents = by_id(OFAC_2021)
    # NAM SAN 8: "Linked To: HAPJANGGANG SHIPPING CORP." → the SDN entry of that name
    link = ents["us-ofac-23727-linked-hapjanggang-shipping-corp"]
    assert link.schema.name == "UnknownLink"
    assert link.get("subject") == ["us-ofac-23727"]
    assert ents[link.get("object")[0]].caption == "HAPJANGGANG SHIPPING CORP"
    assert link.get("role") == ["Linked To"]
    assert link.get("namesMentioned") == ["HAPJANGGANG SHIPPING CORP"]
    # PAEK MA is linked to two owners; both kept
    paek = sorted(e.get("namesMentioned")[0] for e in ents.values()
                  if e.schema.name == "UnknownLink" and e.get("subject") == ["us-ofac-23737"])
    assert paek == ["FIRST OIL JV CO LTD", "PAEKMA SHIPPING CO"]
    # two entries are called MINISTRY OF STATE SECURITY: each link names the one under the
    # programme of the entry that states it (DPRK3 for KANG Song Nam, CAATSA - RUSSIA for BASOV)
    def linked(subject):
        return [e for e in ents.values() if e.schema.name == "UnknownLink"
                and e.get("subject") == [subject]]

    assert [e.get("object") for e in linked("us-ofac-20130")] == [["us-ofac-20129"]]
    assert [e.get("object") for e in linked("us-ofac-25436")] == [["us-ofac-25437"]]
    # still ambiguous (two SDNTK entries of that name): kept unresolved, the name kept
    smile = [e for e in linked("us-ofac-26402")
             if e.get("namesMentioned") == ["SMILE PROPERTY & TRAVEL LTD"]]
    assert len(smile) == 1 and smile[0].get("object") == []


def test_ofac_vessel_owner_column_becomes_ownership():
    ents = by_id(OFAC_2021)
    owned = [e for e in ents.values() if e.schema.name == "Ownership"]
    assert len(owned) == 10  # the 10 rows with a Vess_owner (none of them DPRK)
    starla = next(e for e in owned if e.get("asset") == ["us-ofac-15902"])
    assert starla.get("namesMentioned") == ["NITC"] and starla.get("role") == ["Vessel owner"]
    # "NITC" is an alt.csv name of NATIONAL IRANIAN TANKER COMPANY
    assert ents[starla.get("owner")[0]].caption == "NATIONAL IRANIAN TANKER COMPANY"
    # provenance: the row of the vessel that states it
    st = next(s for s in parsed(OFAC_2021).statements
              if s.entity_id == starla.id and s.prop == "owner")
    assert st.source_record.startswith("sdn.csv line ") and "(ent_num 15902)" in st.source_record


def test_ofac_person_and_programs():
    o = by_id(OFAC_2019)["us-ofac-15771"]
    assert o.get("program") == ["NPWMD", "DPRK2"]
    assert o.get("birthDate") == ["1930-01-07"]
    assert o.get("lastName") == ["O"]
    kim = by_id(OFAC_2019)["us-ofac-12211"]
    assert sorted(kim.get("birthDate")) == ["1946", "1947"]


def test_provenance_of_a_fact():
    p = parsed(OFAC_2021)
    [st] = [s for s in p.statements if s.entity_id == "us-ofac-17069" and s.prop == "imoNumber"]
    assert (st.dataset, st.list_date) == ("us_ofac_sdn", date(2021, 7, 1))
    assert st.source_record.startswith("sdn.csv line ") and "ent_num 17069" in st.source_record
    alt = [s for s in p.statements if s.entity_id == "us-ofac-15036" and s.prop == "previousName"]
    assert any(s.source_record.startswith("alt.csv line") for s in alt)
    [un] = [s for s in parsed(UN_2026).statements
            if s.entity_id == "un-sc-KPi.033" and s.prop == "passportNumber"]
    assert un.source_record == "DATAID 6908555 (KPi.033)"
    assert un.list_date == date(2026, 2, 27)


def test_ftm_sample_round_trip():
    ents = by_id(FTM_T1)
    e = ents["NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert "RAB „Inter Tobacco“" in e.get("name") and e.get("country") == ["by"]
    st = next(s for s in parsed(FTM_T1).statements if s.entity_id == e.id)
    assert st.source_record == "line 1 (datasets: eu_fsf)"


# --- malformed files ---------------------------------------------------------------------


def test_bad_xml_names_file_and_line(tmp_path):
    f = tmp_path / "un_2020-01-01.xml"
    f.write_text('<CONSOLIDATED_LIST dateGenerated="2020-01-01">\n<INDIVIDUALS>\n<INDIV')
    with pytest.raises(ListFormatError) as exc:
        read_list(f, fmt="un_xml")
    assert exc.value.path == str(f) and exc.value.record.startswith("line 3")


def test_xml_declaring_an_unknown_encoding_is_a_list_error(tmp_path):
    # found by the list fuzzer: a mutated declaration raised LookupError from the parser
    f = tmp_path / "un_2020-01-01.xml"
    f.write_bytes(b"<?xml version='1.0' encoding='utg-8'?>\n<CONSOLIDATED_LIST/>")
    with pytest.raises(ListFormatError) as exc:
        read_list(f, fmt="un_xml")
    assert exc.value.record.startswith("line 1") and "utg-8" in exc.value.reason


def test_un_record_without_reference(tmp_path):
    f = tmp_path / "un.xml"
    f.write_text('<CONSOLIDATED_LIST dateGenerated="2020-01-01"><INDIVIDUALS>'
                 "<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>A</FIRST_NAME>"
                 "<REFERENCE_NUMBER>KPi.1</REFERENCE_NUMBER></INDIVIDUAL>"
                 "<INDIVIDUAL><DATAID>2</DATAID><FIRST_NAME>B</FIRST_NAME></INDIVIDUAL>"
                 "</INDIVIDUALS></CONSOLIDATED_LIST>")
    with pytest.raises(ListFormatError, match=r"un\.xml: <INDIVIDUAL> #2 \(DATAID 2\): missing"):
        read_list(f)


def test_bad_1718_row(tmp_path):
    lines = UN_1718.read_text(encoding="utf-8").splitlines()
    lines[10] = "1234568," + lines[10].split(",", 1)[1]  # check digit wrong
    f = tmp_path / "un_1718_vessels_2020-06-04.csv"
    f.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"line 11: invalid IMO number '1234568'"):
        read_list(f)


def test_bad_ofac_row(tmp_path):
    folder = tmp_path / "ofac_sdn_2020-02-03"
    folder.mkdir()
    rows = (OFAC_2019 / "sdn.csv").read_bytes().splitlines(keepends=True)
    rows[49] = b'99999,"BROKEN","vessel"\n'
    (folder / "sdn.csv").write_bytes(b"".join(rows[:60]))
    with pytest.raises(ListFormatError) as exc:
        read_list(folder)
    assert exc.value.path.endswith("sdn.csv") and exc.value.record == "line 50"


def test_ofac_alt_for_unknown_entity(tmp_path):
    folder = tmp_path / "ofac"
    folder.mkdir()
    head = (OFAC_2019 / "sdn.csv").read_bytes()[:5000].rsplit(b"\n", 1)[0]
    (folder / "sdn.csv").write_bytes(head)
    (folder / "alt.csv").write_text('1,2,"aka","X",-0- \n')
    with pytest.raises(ListFormatError, match="list date"):
        read_list(folder)
    with pytest.raises(ListFormatError, match=r"alt\.csv: line 1: ent_num '1' is not in sdn"):
        read_list(folder, list_date=date(2020, 1, 1))


def test_bad_json_line(tmp_path):
    lines = FTM_T1.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3][:40]
    f = tmp_path / "x.ftm.json"
    f.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"x\.ftm\.json: line 4: not JSON"):
        read_list(f)


def test_unknown_format(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hello")
    with pytest.raises(ListFormatError, match="unknown list format"):
        detect_format(f)


def test_ofac_passport_number_with_a_space_is_kept_whole():
    # "Passport PS 472330208 (Korea, North) expires 04 Jul 2017": the UN and the EU list
    # the same number for KANG Mun-kil; only the first word ("PS") used to be kept
    kang = by_id(OFAC_2021)["us-ofac-19499"]
    assert kang.get("passportNumber") == ["PS 472330208"]


def test_ofac_digital_currency_addresses_become_crypto_wallets():
    ents = by_id(OFAC_2021)
    # TIAN Yinyin laundered Lazarus Group exchange-hack proceeds (OFAC, March 2020): 8 bitcoin
    # addresses in the remarks, each a wallet held by the SDN entry, cited to its row
    tian = [e for e in ents.values() if e.schema.name == "CryptoWallet"
            and e.get("holder") == ["us-ofac-28263"]]
    assert len(tian) == 8
    w = ents["us-ofac-28263-wallet-xbt-134r8ihv69xdt6p5qvktshrcueubvzayak"]
    assert w.get("publicKey") == ["134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"]  # case as written
    assert w.get("currency") == ["XBT"]
    records = {s.source_record for s in parsed(OFAC_2021).statements
               if s.entity_id == w.id}
    assert records == {"sdn.csv line 7925 (ent_num 28263)"}
    # an address in the continued remarks is cited to its sdn_comments.csv row
    ltc = "us-ofac-29703-wallet-ltc-lwnbjlyufqeokfbwm4fcu7uk2fp2dsxuws"
    assert ents[ltc].get("holder") == ["us-ofac-29703"]
    assert {s.source_record for s in parsed(OFAC_2021).statements if s.entity_id == ltc} == {
        "sdn_comments.csv line 4 (ent_num 29703)"}
    eth = [e for e in ents.values() if e.schema.name == "CryptoWallet"
           and e.get("currency") == ["ETH"]]
    assert len(eth) == 10
