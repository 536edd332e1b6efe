"""Matcher fixes for names as the DPRK lists write them (issue 16): joined syllables,
company-form abbreviations, bracketed names in another script, UN references, ship numbers."""

from __future__ import annotations

import pytest

from sanctionwatch.screening import DEFAULT_THRESHOLD, score_pair
from sanctionwatch.screening.normalize import name_forms, split_name


def score(a: str, b: str, schema: str) -> float:
    return score_pair(a, b, schema).score


@pytest.mark.parametrize(
    ("a", "b", "schema"),
    [
        ("NAMCHONGANG", "NAM CHON GANG", "Vessel"),
        ("NAMCHONGANG TRADING", "NAM CHON GANG TRADING CORPORATION", "Organization"),
        ("KOREA RYONGBONG GENERAL CORPORATION", "Korea Ryong Bong General Corp", "Organization"),
        ("Hap Jang Gang 6", "HAPJANGGANG 6", "Vessel"),
    ],
)
def test_syllables_written_together_or_apart_match(a: str, b: str, schema: str) -> None:
    assert score(a, b, schema) >= 0.9


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("PAEKSOL SHPG CO", "Paeksol Shipping Company"),
        ("KOREA ACHIM JV CO", "Korea Achim Joint Venture Company"),
        ("KOREA KWANGSON BANKING CORP", "Korea Kwangson Banking Corporation"),
        ("KOREA SONGI GENL TRDG CORP", "Korea Songi General Trading Corporation"),
        ("OCEAN INTL SHPG MGT CO LTD", "Ocean International Shipping Management Company"),
        ("Siemens Aktiengesellschaft", "Siemens AG"),
        ("OAO Gazprom", "Open Joint Stock Company Gazprom"),
    ],
)
def test_company_form_and_word_abbreviations_are_expanded(a: str, b: str) -> None:
    assert score(a, b, "Organization") == pytest.approx(1.0)


def test_an_abbreviation_expands_only_whole_tokens() -> None:
    # ``CO`` inside ``COSCO`` or ``JV`` inside a word is not touched
    assert score("COSCO SHIPPING", "COMPANY SHIPPING", "Organization") < DEFAULT_THRESHOLD


def test_a_bracketed_name_in_another_script_is_a_name_of_its_own() -> None:
    assert split_name("Jin Tiesan (金铁三)") == ("Jin Tiesan", "金铁三")
    # the Chinese characters read as the Korean name the UN lists
    assert score("Jin Tiesan (金铁三)", "KIM CHOL SAM", "Person") == pytest.approx(1.0)
    assert score("Jin Tiesan (金铁三)", "Jin Tiesan", "Person") == pytest.approx(1.0)
    # without the split the Han reading was glued to the Latin one and scored 0.29
    forms = name_forms("Jin Tiesan (金铁三)", "Person")
    assert {f.original for f in forms} == {"Jin Tiesan", "金铁三"}


def test_a_bracketed_part_in_the_same_script_stays_in_the_name() -> None:
    assert split_name("HUAXIN SHIPPING (HONGKONG) LTD") == ("HUAXIN SHIPPING (HONGKONG) LTD",)


def test_a_bracketed_acronym_is_a_name_and_the_whole_name_stays() -> None:
    assert split_name("OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)") == (
        "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED", "OMM",
        "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)")
    assert score("OMM", "OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)",
                 "Organization") == pytest.approx(1.0)
    # a query that carries the acronym along still matches in full
    assert score("(YMI) YAZD METALLURGY", "YAZD METALLURGY INDUSTRIES (YMI)",
                 "Organization") >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("listed", "plain", "schema"),
    [
        ("KOREA MINING DEVELOPMENT TRADING CORPORATION (KPE.018)",
         "Korea Mining Development Trading Corporation", "Organization"),
        ("RI, Won Ho (KPi.066)", "RI WON HO", "Person"),
        ("Green Pine Associated Corporation KPe.010", "GREEN PINE ASSOCIATED CORPORATION",
         "Organization"),
    ],
)
def test_un_references_appended_to_names_are_dropped(listed: str, plain: str, schema: str) -> None:
    s = score_pair(listed, plain, schema)
    assert s.score == pytest.approx(1.0)
    assert "number_missing" not in s.explain()


def test_a_vessel_number_on_one_side_only_is_a_conflict() -> None:
    s = score_pair("KUM UN SAN 3", "KUM UN SAN", "Vessel")
    assert s.score < DEFAULT_THRESHOLD
    assert "number_missing_vessel" in s.explain()
    # a company number on one side only stays a small penalty, and so does a hull code
    assert score("KUM UN SAN 3", "KUM UN SAN", "Organization") >= DEFAULT_THRESHOLD
    assert score("YANGZHOU DAYANG", "YANGZHOU DAYANG DY905", "Vessel") >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [("KUM UN SAN 3", "KUM UN SAN 3"), ("KUM UN SAN 3", "KUMUNSAN 3"),
     ("Eikoh Maru No.2", "EIKOH MARU NO 2"), ("TONG SAN 2", "Tongsan No. 2")],
)
def test_a_vessel_with_the_same_number_matches(a: str, b: str) -> None:
    assert score(a, b, "Vessel") == pytest.approx(1.0)


def test_different_vessel_numbers_never_fully_match() -> None:
    assert score("KUM UN SAN 3", "KUM UN SAN 7", "Vessel") < DEFAULT_THRESHOLD
