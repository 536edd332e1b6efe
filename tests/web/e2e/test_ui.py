"""Issue 17, "what it must show": the web UI in headless Chromium over the demo store.

dprk-2019 seed 1 is simulated, the UN 1718 vessel list loaded and detection run into a store (as
``make demo`` does); two vessels then broadcast hostile names (markup and SQL). The real app
(:func:`sanctionwatch.web.app.create_app`) is served on a free loopback port and Debian's
Chromium, driven by Playwright, checks what an analyst relies on: the map draws the events, a
filter changes the list, a vessel page opens with its dossier, screening finds the listed
vessel, a dismissed alert stays dismissed after a reload, and hostile names show literally.
Every step leaves a screenshot in ``out/test-artifacts/web/``.

The page runs under the app's strict CSP, so the tests never ask Playwright to evaluate a string
inside the page's own script context on a timer (``wait_for_function`` would need
``unsafe-eval``): they wait on selectors and ``data-*`` attributes the UI sets instead.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from sanctionwatch.pipeline import detect
from sanctionwatch.sanctions.store import ListStore
from sanctionwatch.simulate import simulate
from sanctionwatch.store import DuckDBStore
from tests.evidence.pictures import colour_mask, read_png

ROOT = Path(__file__).resolve().parents[3]
UN_1718 = ROOT / "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
ARTEFACTS = ROOT / "out/test-artifacts/web"
VENDOR = ROOT / "src/sanctionwatch/web/static/vendor"
EVIL = "<img src=x onerror=alert(1)>"
SQL = "'; DROP TABLE events;--"
# Seed 1's planted STS tanker shown by `make demo` (alongside the listed JI SONG 6).
STS_TANKER = 416407614
LAND_COLOUR = "#efe9dc"  # app.js LAND_COLOUR
PORT_CALL_COLOUR = "#225ea8"  # app.js port_call marker colour
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@dataclass
class Site:
    url: str
    store: Path
    renamed: dict[str, int]  # hostile name -> MMSI
    seconds: dict[str, float] = field(default_factory=dict)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())


def _chromium() -> str:
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("Chromium is not installed: `make install` installs Debian's chromium "
                    "(the browser tests drive it with Playwright, never a downloaded browser).")
    if not (VENDOR / "maplibre-gl/maplibre-gl-csp.js").is_file():
        pytest.fail(f"{VENDOR}: the web UI's npm assets are missing: `make install` runs npm ci "
                    "and copies them there.")
    return exe


def _rename(store: Path, mmsi: int, name: str) -> None:
    """``mmsi`` broadcasts ``name`` after its last report (AIS is not authenticated)."""
    with DuckDBStore(store) as s:
        last = s.vessel_identities(mmsi).row(-1, named=True)
        s.add_vessel_identities(pl.DataFrame([{
            **last, "name": name, "first_seen": last["last_seen"] + timedelta(hours=1),
            "last_seen": last["last_seen"] + timedelta(hours=2), "n_reports": 1,
            "source": "injected.csv", "record": 1}]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(store: Path) -> Iterator[str]:
    """The web app over ``store`` on a free local port, up (``/api/health`` answers) for the
    ``with`` block; its base URL."""
    import uvicorn

    from sanctionwatch.web.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1",
                                           port=_free_port(), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.config.port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _chromium()
    base = tmp_path_factory.mktemp("web")
    t0 = time.perf_counter()
    sim = simulate("dprk-2019", 1, base / "scenario")
    store = base / "sw.duckdb"
    with ListStore(store) as ls:
        ls.load(UN_1718)
    detect(sim.files, base / "out", store_path=store)
    with DuckDBStore(store, read_only=True) as s:
        ev = s.events()
    # two vessels with events other than the STS tanker take hostile names
    others = [int(m) for m in ev["mmsi"].unique().sort().to_list() if m != STS_TANKER]
    renamed = {EVIL: others[0], SQL: others[1]}
    for name, mmsi in renamed.items():
        _rename(store, mmsi, name)
    built_s = time.perf_counter() - t0

    with served(store) as url:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        yield Site(url, store, renamed, {"store_build_s": built_s})


@dataclass
class Browser:
    page: Any
    dialogs: list[str]
    problems: list[str]  # page errors and CSP violations


@pytest.fixture(scope="module")
def chromium_browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), headless=True)
        yield browser
        browser.close()


@pytest.fixture
def ui(chromium_browser: Any) -> Iterator[Browser]:
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    b = Browser(page, [], [])

    def on_dialog(d: Any) -> None:
        b.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: b.problems.append(f"page error: {e}"))
    page.on("console", lambda m: b.problems.append(f"console: {m.text}")
            if "Content Security Policy" in m.text else None)
    yield b
    context.close()
    assert not b.dialogs, f"a dialog fired: {b.dialogs}"
    assert not b.problems, b.problems


def _open(b: Browser, site: Site, route: str) -> None:
    b.page.goto(f"{site.url}/{route}")
    _settled(b)


def _settled(b: Browser) -> None:
    b.page.wait_for_selector("body[data-ready=true]", state="attached")


def _shot(b: Browser, name: str) -> Path:
    path = ARTEFACTS / f"{name}.png"
    b.page.screenshot(path=str(path))
    return path


def _map_state(b: Browser) -> dict[str, Any]:
    return b.page.evaluate("""() => {
        const map = window.sanctionwatch.map;
        const ids = new Set(map.queryRenderedFeatures({layers: ["events"]})
                               .map((f) => f.properties.event_id));
        return {loaded: map.loaded(), sourceLoaded: map.isSourceLoaded("events"),
                land: map.getLayer("land") !== undefined,
                zones: map.getLayer("zones") !== undefined,
                features: Number(document.body.dataset.mapEvents), rendered: ids.size};
    }""")


def _wait_map(b: Browser, want_features: int) -> dict[str, Any]:
    b.page.wait_for_selector(f"body[data-map-events='{want_features}']", state="attached")
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        st = _map_state(b)
        if st["loaded"] and st["sourceLoaded"] and st["rendered"] == want_features:
            return st
        if time.monotonic() > deadline:
            return st
        b.page.wait_for_timeout(100)


def _rows(b: Browser, table: str) -> list[list[str]]:
    return b.page.evaluate(
        """(sel) => [...document.querySelectorAll(sel + " tbody tr")]
                     .map((tr) => [...tr.cells].map((td) => td.textContent.trim()))""", table)


def test_the_map_draws_the_demo_events(site: Site, ui: Browser) -> None:
    total = site.get("/api/events?limit=1")["total"]
    t0 = time.perf_counter()
    _open(ui, site, "#/map")
    st = _wait_map(ui, total)
    site.seconds["map_s"] = time.perf_counter() - t0
    assert total > 300, "dprk-2019 seed 1 gives some 366 events"
    assert st["land"] and st["zones"], "the offline basemap and the built-in zones are drawn"
    # every event of the store is a marker, and all of them are on screen after the fit
    assert st == {**st, "loaded": True, "sourceLoaded": True, "features": total,
                  "rendered": total}, st
    assert ui.page.text_content("#event-count") == f"{total} events (showing 100)"
    assert len(_rows(ui, "#event-list")) == 100
    png = read_png(_shot(ui, "1-map"))
    box = ui.page.locator("#map").bounding_box()
    assert box is not None
    x0, y0 = int(box["x"]), int(box["y"])
    canvas = png[y0:y0 + int(box["height"]), x0:x0 + int(box["width"])]
    land = colour_mask(canvas, LAND_COLOUR, 6).mean()
    ports = int(colour_mask(canvas, PORT_CALL_COLOUR, 12).sum())
    assert 0.05 < land < 0.8, f"land covers {land:.0%} of the map"
    assert ports > 200, f"{ports} pixels of port-call markers"


def test_a_filter_changes_the_list_and_the_map(site: Site, ui: Browser) -> None:
    _open(ui, site, "#/map")
    total = site.get("/api/events?limit=1")["total"]
    _wait_map(ui, total)
    encounters = site.get("/api/events?type=encounter")["total"]
    assert 0 < encounters < total
    # leave only "encounter" ticked
    for box in ui.page.locator("#f-types input[name=type]").all():
        if box.get_attribute("value") != "encounter":
            box.uncheck()
    ui.page.wait_for_selector(f"body[data-map-events='{encounters}']", state="attached")
    ui.page.wait_for_selector(f"#event-count:text-is('{encounters} events')")
    rows = _rows(ui, "#event-list")
    assert len(rows) == encounters and {r[1] for r in rows} == {"encounter"}
    assert _wait_map(ui, encounters)["rendered"] == encounters
    assert "type=encounter" in ui.page.url
    # the export links carry the same filter
    href = ui.page.get_attribute("[data-export=kml]", "href")
    assert href == "/api/export/events.kml?type=encounter"
    # a row click flies there and highlights it; the time slider replays the transfer
    first = ui.page.locator("#event-list tbody tr").first
    event_id = first.get_attribute("data-event-id")
    first.locator("td").first.click()
    assert ui.page.get_attribute("body", "data-selected-event") == event_id
    assert "selected" in (first.get_attribute("class") or "")
    first.get_by_role("button", name="Replay").click()
    ui.page.wait_for_selector("#replay:not([hidden])")
    ui.page.wait_for_selector("body[data-replay-positions='2']", state="attached")
    ui.page.wait_for_timeout(700)  # the fly-to
    _shot(ui, "2-filter-encounters-replay")
    before = ui.page.text_content("#replay-time")
    ui.page.locator("#replay-slider").fill("900")
    assert ui.page.text_content("#replay-time") != before
    # a marker click selects its row: click the first marker where the map draws it
    ui.page.locator("#replay-close").click()
    other = ui.page.locator("#event-list tbody tr").nth(1)
    other_id = other.get_attribute("data-event-id")
    ev = next(e for e in site.get("/api/events?type=encounter")["items"]
              if e["event_id"] == other_id)
    # (returns nothing: serialising the map object back to Python takes seconds)
    ui.page.evaluate("""([lon, lat]) => { window.sanctionwatch.map.jumpTo({center: [lon, lat],
                                                                         zoom: 9}); }""",
                     [ev["lon"], ev["lat"]])
    ui.page.wait_for_timeout(300)
    box = ui.page.locator("#map").bounding_box()
    assert box is not None
    ui.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    ui.page.wait_for_selector(f"body[data-selected-event='{other_id}']", state="attached")
    assert "selected" in (other.get_attribute("class") or "")


def test_a_vessel_page_opens_with_its_dossier(site: Site, ui: Browser) -> None:
    _open(ui, site, f"#/map?mmsi={STS_TANKER}&type=encounter")
    link = ui.page.locator(f"#event-list a[href='#/vessel/{STS_TANKER}']").first
    name = site.get(f"/api/vessels/{STS_TANKER}")["name"]
    assert name and link.text_content() == f"{name} ({STS_TANKER})"
    t0 = time.perf_counter()
    link.click()
    _settled(ui)
    assert ui.page.text_content("#v-name") == name
    dossier = ui.page.frame_locator("#v-dossier")
    heading = dossier.locator("h1")
    heading.wait_for()
    site.seconds["vessel_page_s"] = time.perf_counter() - t0
    assert name in (heading.text_content() or "")
    assert ui.page.get_attribute("#v-dossier", "sandbox") == ""
    # the page lists its events, its risk and its relationship graph
    assert _rows(ui, "#v-events") and ui.page.locator("#v-reasons li").count() > 0
    assert ui.page.locator("#v-graph svg .node").count() >= 1
    ui.page.locator("#v-dossier").scroll_into_view_if_needed()
    _shot(ui, "3-vessel-dossier")


def test_screening_finds_the_listed_vessel(site: Site, ui: Browser) -> None:
    _open(ui, site, "#/screen")
    ui.page.fill("#screen-q", "JI SONG 6")
    ui.page.click("#screen-form button[type=submit]")
    ui.page.wait_for_selector("#screen-results tbody tr")
    _settled(ui)
    rows = _rows(ui, "#screen-results")
    _shot(ui, "4-screening")
    name, schema, lists, score, match, _ = rows[0]
    assert (name, schema, lists, match) == ("JI SONG 6", "Vessel", "un_1718_vessels", "match")
    assert float(score) >= 0.95
    assert all(r[4] == "" for r in rows[1:]), "only the exact vessel passes the match threshold"


def test_a_dismissed_alert_stays_dismissed(site: Site, ui: Browser) -> None:
    _open(ui, site, "#/alerts")
    first = ui.page.locator("#alerts tbody tr").first
    mmsi = first.get_attribute("data-mmsi")
    assert mmsi and first.get_attribute("data-status") == "open"
    first.locator("input.note").fill("Checked: the bunkering was licensed.")
    first.locator("button.dismiss").click()
    ui.page.wait_for_selector(f"#alerts tr[data-mmsi='{mmsi}']", state="detached")
    ui.page.reload()
    _settled(ui)
    ui.page.wait_for_selector("#alerts tbody tr")
    assert ui.page.locator(f"#alerts tr[data-mmsi='{mmsi}']").count() == 0
    ui.page.select_option("#alert-status", "dismissed")
    row = ui.page.locator(f"#alerts tr[data-mmsi='{mmsi}']")
    row.wait_for()
    assert row.get_attribute("data-status") == "dismissed"
    assert "Checked: the bunkering was licensed." in (row.text_content() or "")
    row.locator("button.history-button").click()
    history = row.locator("ol.history li")
    history.first.wait_for()
    assert history.count() == 1 and "local: dismissed" in (history.first.text_content() or "")
    _shot(ui, "5-alert-dismissed")
    # the store kept the review (the API's view of it, after the browser's reload)
    reviews = site.get(f"/api/alerts/{mmsi}/reviews")
    assert [r["status"] for r in reviews] == ["dismissed"]


def test_hostile_vessel_names_are_shown_literally(site: Site, ui: Browser) -> None:
    evil_mmsi = site.renamed[EVIL]
    _open(ui, site, f"#/map?mmsi={evil_mmsi}")
    links = ui.page.locator(f"#event-list a[href='#/vessel/{evil_mmsi}']")
    assert links.count() > 0
    assert links.first.text_content() == f"{EVIL} ({evil_mmsi})"
    assert ui.page.locator("img[src=x]").count() == 0
    _shot(ui, "6-hostile-name-list")
    links.first.click()
    _settled(ui)
    assert ui.page.text_content("#v-name") == EVIL
    assert ui.page.locator("img[src=x]").count() == 0
    heading = ui.page.frame_locator("#v-dossier").locator("h1")
    heading.wait_for()
    assert EVIL in (heading.text_content() or "")
    _shot(ui, "7-hostile-name-vessel")
    # the SQL-looking name is found by the search box and harms nothing
    ui.page.fill("#vessel-q", "DROP TABLE")
    ui.page.click("#vessel-search button[type=submit]")
    hit = ui.page.locator("#vessel-hits a")
    hit.first.wait_for()
    assert (hit.first.text_content() or "").startswith(SQL)
    health = site.get("/api/health")
    assert health["events"] == site.get("/api/events?limit=1")["total"] > 300
    print("timings", site.seconds)
