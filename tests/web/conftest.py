"""One store for the web tests, built once per session (about 12 s on 2 cores): dprk-2019
seed 1 simulated, the UN 1718 vessel list loaded, detection run into the store, with three
planted evasion vessels renamed half-way through the simulation to hostile names (markup, SQL,
a spreadsheet formula), so that they reach events, identities, alerts and dossiers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from sanctionwatch.web import create_app

ROOT = Path(__file__).resolve().parents[2]
UN_1718 = ROOT / "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
EVIL = "<img src=x onerror=alert(1)>"
SQLI = "'; DROP TABLE events;--"
FORMULA = '=HYPERLINK("http://example.invalid","x")'
TOKEN = "s3cret-token-for-tests"


def stored(name: str) -> str:
    """A broadcast name as the store holds it: AIS text is upper case (ITU-R M.1371 six-bit
    characters), so ingest upper-cases it; markup and SQL survive that unchanged in effect."""
    return name.upper()


@dataclass(frozen=True)
class WebStore:
    store: Path
    reports: Path
    outside: Path
    hostile: dict[str, int]  # hostile name -> the MMSI that broadcasts it
    partner: int  # the encounter partner of the EVIL vessel


def _rename(csv: Path, labels: Path) -> tuple[dict[str, int], int]:
    enc = pl.read_parquet(labels).filter(
        (pl.col("event_type") == "encounter") & pl.col("planted")
        & pl.col("other_mmsi").is_not_null()).sort("start_time")
    first = enc.row(0, named=True)
    chosen = [int(first["mmsi"]), int(first["other_mmsi"])]
    chosen += [int(m) for m in enc["mmsi"].unique().sort().to_list() if int(m) not in chosen][:1]
    hostile = dict(zip((EVIL, SQLI, FORMULA), chosen, strict=True))
    df = pl.read_csv(csv, infer_schema=False)
    mid = df["BaseDateTime"].sort()[df.height // 2]
    for name, mmsi in hostile.items():
        df = df.with_columns(pl.when((pl.col("MMSI") == str(mmsi)) & (pl.col("BaseDateTime")
                                                                      >= mid))
                             .then(pl.lit(name)).otherwise(pl.col("VesselName"))
                             .alias("VesselName"))
    df.write_csv(csv)
    return hostile, chosen[1]


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> WebStore:
    from sanctionwatch.pipeline import detect
    from sanctionwatch.sanctions import ListStore
    from sanctionwatch.simulate import simulate

    work = tmp_path_factory.mktemp("web")
    sim = simulate("dprk-2019", 1, work / "scenario")
    hostile, partner = _rename(sim.files[0], sim.labels_path)
    store = work / "store.duckdb"
    with ListStore(store) as ls:
        ls.load_many([UN_1718])
    detect([str(f) for f in sim.files], work / "detect", store_path=store, engine="memory")
    reports = work / "reports"
    (reports / "sub").mkdir(parents=True)
    (reports / "brief.html").write_text("<html><body>brief</body></html>")
    (reports / "sub" / "note.txt").write_text("note")
    outside = work / "secret.txt"
    outside.write_text("outside the reports folder")
    os.symlink(outside, reports / "link.txt")
    return WebStore(store, reports, outside, hostile, partner)


@pytest.fixture(scope="session")
def client(web_store: WebStore) -> TestClient:
    return TestClient(create_app(web_store.store, reports_dir=web_store.reports))


@pytest.fixture(scope="session")
def token_client(web_store: WebStore) -> TestClient:
    return TestClient(create_app(web_store.store, token=TOKEN, token_user="alice",
                                 reports_dir=web_store.reports))
