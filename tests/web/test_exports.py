"""Exports through the API and the CLI: GeoJSON, GeoParquet (WKB + ``geo`` metadata), KML
(escaped), CSV (formula-safe) and FtM JSON lines."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.export.kml import KML_NS
from tests.web.conftest import EVIL, FORMULA, SQLI, WebStore, stored

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
K = f"{{{KML_NS}}}"


def _download(client: TestClient, url: str, **params: str) -> bytes:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith("attachment; filename=")
    return r.content


def test_events_geojson_export_is_every_matching_event(client: TestClient) -> None:
    total = client.get("/api/events", params={"type": "encounter"}).json()["total"]
    fc = json.loads(_download(client, "/api/export/events.geojson", type="encounter"))
    assert len(fc["features"]) == total
    assert {f["properties"]["event_type"] for f in fc["features"]} == {"encounter"}


def test_geoparquet_has_wkb_geometry_and_geo_metadata(client: TestClient) -> None:
    data = _download(client, "/api/export/events.parquet", type="ais_gap")
    table = pq.read_table(io.BytesIO(data))
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    geoms = shapely.from_wkb(table.column("geometry").to_pylist())
    lon, lat = table.column("lon").to_pylist(), table.column("lat").to_pylist()
    assert len(geoms) == table.num_rows > 0
    for g, x, y in zip(geoms, lon, lat, strict=True):
        assert g.geom_type == "LineString" and g.coords[0] == (x, y)
    minx, miny, maxx, maxy = geo["columns"]["geometry"]["bbox"]
    assert minx <= min(lon) and maxx >= max(lon) and miny <= min(lat) and maxy >= max(lat)


def test_kml_escapes_the_names(client: TestClient, web_store: WebStore) -> None:
    mmsi = web_store.hostile[EVIL]
    data = _download(client, "/api/export/events.kml", mmsi=str(mmsi))
    assert b"<IMG" not in data and b"&lt;IMG SRC=X ONERROR=ALERT(1)&gt;" in data
    root = ET.fromstring(data)
    marks = root.findall(f"{K}Document/{K}Placemark")
    assert marks and all(stored(EVIL) in (m.findtext(f"{K}name") or "") for m in marks)
    for m in marks:
        assert m.find(f"{K}TimeSpan/{K}begin") is not None
        assert m.find(f".//{K}coordinates") is not None


def test_csv_neutralises_formulas_and_keeps_names_literal(client: TestClient,
                                                          web_store: WebStore) -> None:
    text = _download(client, "/api/export/events.csv", type="identity_change").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    values = {r["new_value"] for r in rows}
    assert stored(SQLI) in values and stored(EVIL) in values
    assert "'" + stored(FORMULA) in values  # quoted: a spreadsheet shows it as text
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_track_exports(client: TestClient, web_store: WebStore) -> None:
    mmsi = web_store.hostile[EVIL]
    fc = json.loads(_download(client, f"/api/export/track/{mmsi}.geojson"))
    n = sum(len(f["geometry"]["coordinates"]) for f in fc["features"])
    table = pq.read_table(io.BytesIO(_download(client, f"/api/export/track/{mmsi}.parquet")))
    assert sum(table.column("n_positions").to_pylist()) == n
    assert {g.geom_type for g in shapely.from_wkb(table.column("geometry").to_pylist())} == {
        "LineString"}
    root = ET.fromstring(_download(client, f"/api/export/track/{mmsi}.kml"))
    coords = [c.text or "" for c in root.iter(f"{K}coordinates")]
    assert sum(len(c.split()) for c in coords) == n
    assert client.get("/api/export/track/999999999.kml").status_code == 404


def test_ftm_lines_reference_only_exported_entities(client: TestClient) -> None:
    lines = _download(client, "/api/export/entities.ftm.json").decode().splitlines()
    ents = [json.loads(x) for x in lines]
    ids = {e["id"] for e in ents}
    assert len(ids) == len(ents)
    links = [e for e in ents if e["schema"] in ("Ownership", "Directorship", "UnknownLink")]
    assert links and any(e["schema"] == "Vessel" and "un_1718_vessels" in e.get("datasets", [])
                         for e in ents)
    refs = {"Ownership": ("owner", "asset"), "Directorship": ("director", "organization"),
            "UnknownLink": ("subject", "object")}
    for lk in links:
        for prop in refs[lk["schema"]][:2]:
            assert set(lk["properties"][prop]) <= ids
        assert lk["properties"]["role"]


def test_cli_exports_match_the_api(client: TestClient, web_store: WebStore,
                                   tmp_path: Path) -> None:
    run = CliRunner().invoke
    out = tmp_path / "enc.geojson"
    res = run(app, ["export", "events", "--store", str(web_store.store), "--format",
                    "geojson", "--type", "encounter", "--out", str(out)])
    assert res.exit_code == 0, res.output
    api = json.loads(_download(client, "/api/export/events.geojson", type="encounter"))
    assert json.loads(out.read_text()) == api
    mmsi = str(web_store.hostile[EVIL])
    kml = tmp_path / "t.kml"
    res = run(app, ["export", "track", mmsi, "--store", str(web_store.store), "--format", "kml",
                    "--out", str(kml)])
    assert res.exit_code == 0 and kml.read_bytes() == _download(
        client, f"/api/export/track/{mmsi}.kml")
    ftm = tmp_path / "e.ftm.json"
    res = run(app, ["export", "entities", "--store", str(web_store.store), "--out", str(ftm)])
    assert res.exit_code == 0, res.output
    assert len(ftm.read_text().splitlines()) > 100
    bad = run(app, ["export", "events", "--store", str(web_store.store), "--format", "shp",
                    "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "geoparquet" in bad.output
