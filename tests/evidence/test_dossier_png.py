"""Issue 16: the dossier of a planted STS tanker, rendered to PNG, shows the transfer on the
map, and every number in it traces to a source row.

dprk-2019 seed 1 is simulated, the UN 1718 vessel list loaded and detection run into a store,
as ``make demo`` does; then the dossier of a tanker with a planted, detected STS encounter is
built, rendered to HTML and screenshot by Chromium, and the picture is read back.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sanctionwatch.evidence import build_dossier
from sanctionwatch.evidence.dossier import Dossier
from sanctionwatch.evidence.map import (
    ENCOUNTER_COLOUR,
    FOCUS_FRAME_COLOUR,
    FRAME_COLOUR,
    LAND_COLOUR,
)
from sanctionwatch.evidence.render import render_png, write_html
from sanctionwatch.pipeline import detect
from sanctionwatch.sanctions.store import ListStore
from sanctionwatch.simulate import simulate
from sanctionwatch.store import DuckDBStore
from tests.evidence.pictures import check_provenance, colour_mask, read_png, require_chromium

ROOT = Path(__file__).resolve().parents[2]
UN_1718 = ROOT / "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
EVIL = "<img src=x onerror=alert(1)>"


@dataclass(frozen=True)
class Rendered:
    dossier: Dossier
    html: str
    png: Path
    encounter: dict[str, object]
    seconds: dict[str, float]


def _planted_sts(labels: Path, store: Path) -> tuple[int, dict[str, object]]:
    """A planted STS tanker and its detected encounter with the planted partner."""
    planted = pl.read_parquet(labels).filter(
        pl.col("behaviour").is_in(["sts_visible", "sts_dark"])
        & (pl.col("event_type") == "encounter"))
    assert planted.height, "dprk-2019 seed 1 plants STS encounters"
    with DuckDBStore(store, read_only=True) as s:
        found = s.events().filter(pl.col("event_type") == "encounter")
    for lab in planted.sort("start_time").iter_rows(named=True):
        pair = {lab["mmsi"], lab["other_mmsi"]}
        for ev in found.iter_rows(named=True):
            if {ev["mmsi"], ev["other_mmsi"]} == pair and (
                    ev["start_time"] < lab["end_time"] + timedelta(hours=1)
                    and lab["start_time"] < ev["end_time"] + timedelta(hours=1)):
                return int(lab["mmsi"]), ev
    raise AssertionError("no planted STS encounter of seed 1 was detected")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    require_chromium()
    base = tmp_path_factory.mktemp("dprk")
    t: dict[str, float] = {}
    t0 = time.perf_counter()
    sim = simulate("dprk-2019", 1, base / "scenario")
    store = base / "sw.duckdb"
    with ListStore(store) as ls:
        ls.load(UN_1718)
    detect(sim.files, base / "out", store_path=store)
    t["simulate_load_detect_s"] = time.perf_counter() - t0
    mmsi, enc = _planted_sts(sim.labels_path, store)
    # the tanker then broadcasts markup as its name (anyone can: AIS is not authenticated)
    with DuckDBStore(store) as s:
        last = s.vessel_identities(mmsi).row(-1, named=True)
        s.add_vessel_identities(pl.DataFrame([{
            **last, "name": EVIL, "first_seen": last["last_seen"] + timedelta(hours=1),
            "last_seen": last["last_seen"] + timedelta(hours=2), "n_reports": 1,
            "source": "injected.csv", "record": 1}]))
    t0 = time.perf_counter()
    d = build_dossier(store, str(mmsi))
    html_path = write_html(d, base / "dossier.html")
    t["build_and_html_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    png = render_png(html_path, base / "dossier.png", width_px=1100, height_px=1400)
    t["png_s"] = time.perf_counter() - t0
    return Rendered(d, html_path.read_text(), png, enc, t)


def test_the_dossier_is_about_the_planted_tanker(rendered: Rendered) -> None:
    d = rendered.dossier
    enc = rendered.encounter
    assert set(d.mmsis) & {enc["mmsi"], enc["other_mmsi"]}
    assert enc["event_id"] in [e.event_id for e in d.timeline]
    (partner,) = [p for p in d.partners if p.mmsi in (enc["mmsi"], enc["other_mmsi"])]
    assert partner.tracks and partner.name.text
    # one side of each planted transfer is a tanker on the UN 1718 list
    assert d.matches or partner.listed
    assert all("un_1718_vessels" in m.text for m in partner.listed)
    assert d.tracks and d.identities and d.timeline
    print("timings", rendered.seconds)


def test_the_svg_marks_the_encounter_at_its_projected_position(rendered: Rendered) -> None:
    from sanctionwatch.evidence.map import MapParams, Projection

    html = rendered.html
    enc = rendered.encounter
    bbox = [float(x) for x in re.search(r'data-bbox="([^"]+)"', html).group(1).split(",")]  # type: ignore[union-attr]
    pr = Projection((bbox[0], bbox[1], bbox[2], bbox[3]), MapParams().width_px)
    ex, ey = pr.xy(float(enc["lon"]), float(enc["lat"]))  # type: ignore[arg-type]
    m = re.search(rf'<g class="event ev-encounter" data-event-id="{enc["event_id"]}"'
                  r'[^>]*data-x="([\d.]+)" data-y="([\d.]+)">', html)
    assert m is not None
    assert abs(float(m.group(1)) - ex) < 0.1 and abs(float(m.group(2)) - ey) < 0.1
    assert 0 < ex < pr.width and 0 < ey < pr.height


def _frame(img: np.ndarray, colour: str) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(colour_mask(img, colour, 20))
    assert ys.size > 1000, f"no map framed in {colour} in the picture"
    return int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())


def test_the_picture_shows_the_transfer_on_the_map(rendered: Rendered) -> None:
    img = read_png(rendered.png)
    magenta = colour_mask(img, ENCOUNTER_COLOUR, 30)
    sizes = re.findall(r'<svg [^>]*class="map[^"]*" width="(\d+)" height="(\d+)"', rendered.html)
    marks = re.findall(rf'data-event-id="{rendered.encounter["event_id"]}"[^>]*'
                       r'data-x="([\d.]+)" data-y="([\d.]+)"', rendered.html)
    assert len(sizes) >= 2 and len(marks) == 2, "an overview map and a detail map of the STS"
    outside = magenta.copy()
    for colour, (w, h), (sx, sy) in zip((FRAME_COLOUR, FOCUS_FRAME_COLOUR), sizes, marks,
                                        strict=False):
        x0, x1, y0, y1 = _frame(img, colour)
        assert abs((x1 - x0 + 1) - int(w)) <= 4 and abs((y1 - y0 + 1) - int(h)) <= 4
        mx, my = x0 + float(sx), y0 + float(sy)
        near = magenta[int(my) - 12:int(my) + 13, int(mx) - 12:int(mx) + 13]
        assert near.sum() >= 120, f"no encounter marker at ({mx:.0f}, {my:.0f}) in {colour}"
        outside[y0:y1 + 1, x0:x1 + 1] = False
    # the coast of Korea is drawn on the overview
    x0, x1, y0, y1 = _frame(img, FRAME_COLOUR)
    assert colour_mask(img[y0:y1 + 1, x0:x1 + 1], LAND_COLOUR, 6).sum() > 10_000
    # and the marker colour is nowhere outside the maps
    assert outside.sum() == 0


def test_every_number_in_it_traces_to_a_source_row(rendered: Rendered) -> None:
    c = check_provenance(rendered.html)
    d = rendered.dossier
    assert len(c.fact_ids) == len(d.facts)
    for f in d.facts:
        assert f.source and f.record
    event_facts = [f for f in d.facts if f.record.startswith("event_id ")]
    assert event_facts and all(f.evidence for f in event_facts)
    assert all(re.fullmatch(r".+:\d+", e) for f in event_facts for e in f.evidence)


def test_a_broadcast_name_with_markup_stays_text(rendered: Rendered) -> None:
    assert EVIL not in rendered.html and "<img" not in rendered.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered.html
    assert rendered.dossier.identities[-1].name.text == EVIL
