"""Fuzzing the sanctions-list loaders (UN XML, OFAC CSV, UN 1718 CSV, FtM JSON lines) and the
zone GeoJSON loader with mutations of the committed real files (see lists_property)."""

from __future__ import annotations

import copy
import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from tests.fuzz.lists_property import check_list, check_zones
from tests.fuzz.mutate import DATA, FUZZ, ROOT, mutated

LISTS = DATA / "sanctions"


def _un_seed() -> bytes:
    """The real 2021 UN consolidated list cut to its first three individuals and entities."""
    tree = ET.parse(LISTS / "un_consolidated" / "un_consolidated_2021-01-18.xml")
    root = tree.getroot()
    for group in root:
        for child in list(group)[3:]:
            group.remove(child)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _ofac_seed() -> dict[str, bytes]:
    """The real 2019-01 OFAC set cut to its first 15 SDN records and their rows elsewhere."""
    src = LISTS / "ofac_sdn_2019-01"
    sdn = (src / "sdn.csv").read_bytes().split(b"\n")[:15]
    ids = {ln.split(b",", 1)[0] for ln in sdn}
    out = {"sdn.csv": b"\n".join(sdn) + b"\n"}
    for name in ("alt.csv", "add.csv", "sdn_comments.csv"):
        lines = (src / name).read_bytes().split(b"\n")
        kept = [ln for ln in lines if ln.split(b",", 1)[0] in ids]
        out[name] = b"\n".join(kept or lines[:3]) + b"\n"
    return out


UN_SEED = _un_seed()
OFAC_SEED = _ofac_seed()
UN1718_SEED = (LISTS / "un_1718_vessels" / "un_1718_vessels_2020-06-04.csv").read_bytes()
FTM_SEED = (LISTS / "opensanctions_ftm" / "t1_entities.ftm.json").read_bytes()
ZONES = ROOT / "src" / "sanctionwatch" / "data" / "zones.geojson"


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-lists")


def test_seeds_read_cleanly(work: Path) -> None:
    for name, seed in (("un_2021-01-18.xml", UN_SEED), ("un1718_2020-06-04.csv", UN1718_SEED),
                       ("t1_2024-01-01.ftm.json", FTM_SEED)):
        (work / name).write_bytes(seed)
        assert check_list(work / name), name
    folder = work / "ofac_2019-01-15"
    folder.mkdir(exist_ok=True)
    for name, blob in OFAC_SEED.items():
        (folder / name).write_bytes(blob)
    assert check_list(folder)
    assert check_zones(ZONES)


@FUZZ
@given(data=mutated(UN_SEED))
def test_un_xml_mutations(work: Path, data: bytes) -> None:
    note(repr(data[:3000]))
    p = work / "un_2021-01-18.xml"
    p.write_bytes(data)
    check_list(p, fmt="un_xml")


@FUZZ
@given(data=mutated(UN1718_SEED, delimiter=b","))
def test_un1718_csv_mutations(work: Path, data: bytes) -> None:
    p = work / "un1718_2020-06-04.csv"
    p.write_bytes(data)
    check_list(p, fmt="un1718_csv")


@FUZZ
@given(data=mutated(FTM_SEED))
def test_ftm_json_mutations(work: Path, data: bytes) -> None:
    p = work / "t1_2024-01-01.ftm.json"
    p.write_bytes(data)
    check_list(p, fmt="ftm_json")


@FUZZ
@given(st.data())
def test_ofac_csv_mutations(work: Path, data: st.DataObject) -> None:
    """One or more of the four OFAC files mutated (the others kept), read as a folder."""
    folder = work / "ofac_2019-01-15"
    folder.mkdir(exist_ok=True)
    files = dict(OFAC_SEED)
    for name in data.draw(st.lists(st.sampled_from(sorted(files)), min_size=1, max_size=2,
                                   unique=True), label="files"):
        files[name] = data.draw(mutated(files[name], delimiter=b","), label=name)
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    check_list(folder / "sdn.csv")


@FUZZ
@given(data=mutated(ZONES.read_bytes(), max_edits=3))
def test_zones_byte_mutations(work: Path, data: bytes) -> None:
    p = work / "zones.geojson"
    p.write_bytes(data)
    check_zones(p)


_ODD_VALUES: list[Any] = [None, "", "x", 0, -1, 1e308, math.nan, True, [], {}, [[]], [[[]]],
                          [[[0, 0], [1, 1]]], [[["a", "b"]]], [[[0, 0, 0, 0, 0]]]]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            out += _paths(v, (*prefix, i))
    return out


@pytest.fixture(scope="module")
def zones_doc() -> dict[str, Any]:
    doc = json.loads(ZONES.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:3]
    return doc


@FUZZ
@given(st.data())
def test_zones_structure_mutations(work: Path, zones_doc: dict[str, Any],
                                   data: st.DataObject) -> None:
    """Any node of the GeoJSON (feature, property, geometry, coordinate) replaced by a value of
    another type, or deleted."""
    doc = copy.deepcopy(zones_doc)
    paths = _paths(doc)[1:]
    for _ in range(data.draw(st.integers(1, 3), label="n_edits")):
        path = data.draw(st.sampled_from(paths), label="path")
        node = doc
        try:
            for k in path[:-1]:
                node = node[k]
            if data.draw(st.booleans(), label="delete"):
                del node[path[-1]]
            else:
                node[path[-1]] = data.draw(st.sampled_from(_ODD_VALUES), label="value")
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this node's parent
    p = work / "zones-structure.geojson"
    p.write_text(json.dumps(doc), encoding="utf-8")
    check_zones(p)
