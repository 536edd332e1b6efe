"""The real sanctions list files shipped for the tests (tests/data/sanctions/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctionwatch.sanctions import ParsedList, read_list

DATA = Path(__file__).resolve().parents[1] / "data" / "sanctions"
UN_2026 = DATA / "un_consolidated" / "un_consolidated_2026-02-27.xml"
UN_2021 = DATA / "un_consolidated" / "un_consolidated_2021-01-18.xml"
UN_1718 = DATA / "un_1718_vessels" / "un_1718_vessels_2020-06-04.csv"
OFAC_2019 = DATA / "ofac_sdn_2019-01"
OFAC_2021 = DATA / "ofac_sdn_2021-07"
FTM_ZALA = DATA / "opensanctions_ftm" / "zala_entities.ftm.json"
FTM_T1 = DATA / "opensanctions_ftm" / "t1_entities.ftm.json"

_CACHE: dict[Path, ParsedList] = {}


def parsed(path: Path) -> ParsedList:
    """Each real file is parsed once per test session."""
    if path not in _CACHE:
        _CACHE[path] = read_list(path)
    return _CACHE[path]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "sw.duckdb"
UK_DPRK = DATA / "uk_dprk" / "uk_dprk_regime.json"
EU_PRK = DATA / "eu_dprk" / "eu_prk_programme.json"
