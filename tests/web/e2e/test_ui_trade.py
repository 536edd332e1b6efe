"""The *Trade & fishing* view in headless Chromium (issue 19, part 6).

The shared web store (tests/web/conftest.py: dprk-2019 seed 1, the UN 1718 list, detection,
three vessels renamed to hostile names) is copied and given what the CLI stores:
``sanctionwatch petroleum --store`` (the planted deliveries to Nampo), ``shipments --store`` on
the hand-made ``tests/data/trade/shipments_cases.csv`` (its S15 is carried by the listed JI SONG
6, IMO 8898740, which seed 1 also simulates) and ``mirror --store`` on
``tests/data/trade/mirror_flows.csv``; the fishing days come from the detected fishing events.
A second server over an untouched copy shows the empty states. Checked against the API: the
rows, the share of the cap, the caveat, the APPROXIMATE zone, the filters, links to the vessel
view and to the event on the map; and no console error. Screenshots in
``out/test-artifacts/web/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sanctionwatch.cli import run
from tests.web.conftest import SQLI, WebStore, stored
from tests.web.e2e.test_ui import ARTEFACTS, Browser, Site, _chromium, _open, _shot, served
from tests.web.e2e.test_ui import chromium_browser as chromium_browser  # the fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROOT = Path(__file__).resolve().parents[3]
SHIPMENTS = ROOT / "tests/data/trade/shipments_cases.csv"
FLOWS = ROOT / "tests/data/trade/mirror_flows.csv"
JI_SONG_6 = 8898740  # IMO of the UN-listed tanker (tests/data/sanctions, UN 1718 list)
WEST_SEA = "prk_waters_west_sea_approx"  # the APPROXIMATE zone (docs/fishing.md)


@dataclass
class Sites:
    full: Site
    empty: Site


@pytest.fixture(scope="module")
def sites(web_store: WebStore, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sites]:
    _chromium()
    work = tmp_path_factory.mktemp("web-trade")
    full = work / "trade.duckdb"
    empty = work / "empty.duckdb"
    shutil.copyfile(web_store.store, full)
    shutil.copyfile(web_store.store, empty)
    assert run(["petroleum", "--store", str(full)]) == 0
    assert run(["shipments", "--input", str(SHIPMENTS), "--out", str(work / "flags.csv"),
                "--store", str(full)]) == 0
    assert run(["mirror", "--input", str(FLOWS), "--store", str(full)]) == 0
    with served(full) as full_url, served(empty) as empty_url:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        yield Sites(Site(full_url, full, {}), Site(empty_url, empty, {}))


@pytest.fixture(scope="module")
def site(sites: Sites) -> Site:
    return sites.full


@pytest.fixture
def ui(chromium_browser: Any) -> Iterator[Browser]:
    """As test_ui's ``ui``, and any console error (a CSP violation is one) fails the test."""
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    b = Browser(page, [], [])

    def on_dialog(d: Any) -> None:
        b.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda e: b.problems.append(f"page error: {e}"))
    page.on("console", lambda m: b.problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    yield b
    context.close()
    assert not b.dialogs, f"a dialog fired: {b.dialogs}"
    assert not b.problems, b.problems


def _cells(b: Browser, rows: str) -> list[list[str]]:
    return b.page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
                     .map((tr) => [...tr.cells].map((td) => td.textContent.trim()))""", rows)


def _pct(share: float) -> str:
    return f"{round(share * 100)} %"


def test_petroleum_years_share_of_the_cap_and_deliveries(site: Site, ui: Browser) -> None:
    api = site.get("/api/petroleum")
    (year,) = api["years"]
    assert year["year"] == 2019 and year["deliveries"] >= 4  # seed 1 plants 4
    _open(ui, site, "#/trade")
    assert ui.page.locator("nav a.active").text_content() == "Trade & fishing"
    row = ui.page.locator("#p-years tr[data-year='2019']")
    cells = _cells(ui, "#p-years tbody tr")[0]
    assert cells[0] == "2019" and cells[1].startswith(str(year["deliveries"]))
    for name, n in year["by_mechanism"].items():
        assert f"{n} {name.replace('_sts', ' STS').replace('_', ' ')}" in cells[1]
    assert cells[2:5] == [f"{year['barrels'][k]:,.0f}" for k in ("third", "half", "ninety")]
    share = year["share_of_cap"]
    text = row.locator(".share-text").text_content() or ""
    assert text.startswith(f"{_pct(share['third'])} to {_pct(share['ninety'])} of the cap "
                           f"(half laden {_pct(share['half'])})"), text
    assert row.locator("svg.cap-bar").get_attribute("aria-label") == text
    # seed 1's deliveries exceed the cap at 90 % laden: the bar draws the part over the cap
    assert share["ninety"] > 1 and row.locator("svg .cap-over").count() == 1
    assert "UNSCR 2397 (2017) para 5" in (ui.page.text_content("#p-cap") or "")
    assert "500,000 barrels" in (ui.page.text_content("#p-cap") or "")
    assert ui.page.text_content("#p-note") == api["note"]

    rows = ui.page.locator("#p-deliveries tbody tr")
    assert rows.count() == len(api["deliveries"])
    d = next(x for x in api["deliveries"] if x["imo"] == JI_SONG_6)
    tr = ui.page.locator(f"#p-deliveries tr[data-delivery-id='{d['delivery_id']}']")
    cells = _cells(ui, f"#p-deliveries tr[data-delivery-id='{d['delivery_id']}']")[0]
    assert cells[2] == "NAMPO" and cells[3] == "visible STS"
    assert cells[5].startswith(f"{d['deadweight_t']:,.0f} t") and d["deadweight_source"] in cells[5]
    assert cells[6] == " – ".join(f"{d[k]:,.0f}" for k in ("barrels_third", "barrels_half",
                                                          "barrels_ninety"))
    evidence = tr.locator("ul.evidence li")
    assert evidence.count() == len(d["evidence"])
    assert [(evidence.nth(i).locator(".role").text_content() or "").rstrip(": ")
            for i in range(evidence.count())] == [e["role"] for e in d["evidence"]]
    _shot(ui, "trade-1-petroleum")
    # the supplier links to its vessel view
    tr.locator("td:nth-child(5) a").click()
    ui.page.wait_for_selector("body[data-view=vessel][data-ready=true]", state="attached")
    assert ui.page.url.endswith(f"#/vessel/{d['supplier_mmsi']}")
    ui.page.wait_for_selector(f"#v-ids:has-text('{d['supplier_mmsi']}')")


def test_evidence_links_to_the_event_on_the_map(site: Site, ui: Browser) -> None:
    d = next(x for x in site.get("/api/petroleum")["deliveries"] if x["imo"] == JI_SONG_6)
    transfer = next(e for e in d["evidence"] if e["role"] == "transfer")
    _open(ui, site, "#/trade")
    tr = ui.page.locator(f"#p-deliveries tr[data-delivery-id='{d['delivery_id']}']")
    tr.locator("ul.evidence a", has_text=transfer["event_id"]).click()
    ui.page.wait_for_selector(f"body[data-selected-event='{transfer['event_id']}']",
                              state="attached")
    ui.page.wait_for_selector(f"#event-list tr.selected[data-event-id='{transfer['event_id']}']")
    assert f"mmsi={transfer['mmsi']}" in ui.page.url
    assert ui.page.input_value("#filters input[name=mmsi]") == str(transfer["mmsi"])
    _shot(ui, "trade-2-evidence-on-map")


def test_the_tanker_link_opens_its_vessel_view(site: Site, ui: Browser) -> None:
    d = next(x for x in site.get("/api/petroleum")["deliveries"] if x["imo"] == JI_SONG_6)
    _open(ui, site, "#/trade")
    link = ui.page.locator(f"#p-deliveries tr[data-delivery-id='{d['delivery_id']}'] "
                           "td:nth-child(2) a")
    # the shared store renamed the listed tanker to a hostile name: shown literally
    assert d["name"] == stored(SQLI)
    assert link.text_content() == d["name"]
    link.click()
    ui.page.wait_for_selector("body[data-view=vessel][data-ready=true]", state="attached")
    assert ui.page.url.endswith(f"#/vessel/{d['mmsi']}")
    assert ui.page.text_content("#v-name") == d["name"]
    assert ui.page.locator("#v-matches tr.match").count() >= 1  # the UN 1718 listing


def test_shipment_flags_filter_and_vessel_link(site: Site, ui: Browser) -> None:
    api = site.get("/api/shipments/flags?limit=500")
    assert api["total"] > 10
    _open(ui, site, "#/trade")
    assert ui.page.locator("#flags tbody tr").count() == api["total"]
    assert ui.page.text_content("#flag-count") == f"{api['total']} flags"
    first = api["items"][0]
    cells = _cells(ui, "#flags tbody tr")[0]
    assert cells[0].startswith(first["shipment_id"]) and cells[2] == first["rule"]
    assert cells[3] == first["severity"] and cells[4] == first["explanation"]
    assert cells[5] == first["citation"]
    assert cells[6] == f"{first['source_file']}:{first['line']}"
    high = site.get("/api/shipments/flags?severity=high&limit=500")["total"]
    assert 0 < high < api["total"]
    ui.page.select_option("#flag-severity", "high")
    ui.page.wait_for_selector(f"#flag-count:text-is('{high} flags')")
    assert {c[3] for c in _cells(ui, "#flags tbody tr")} == {"high"}
    assert "severity=high" in ui.page.url
    # the tanker on the UN list: its declared IMO links to its vessel view
    ui.page.select_option("#flag-severity", "")
    ui.page.fill("#flag-imo", str(JI_SONG_6))
    ui.page.click("#flag-filters button[type=submit]")
    listed = [i for i in api["items"] if i["vessel_imo"] == JI_SONG_6]
    assert listed and all(i["vessel_known"] for i in listed)
    ui.page.wait_for_selector(f"#flag-count:text-is('{len(listed)} flag"
                              f"{'' if len(listed) == 1 else 's'}')")
    assert {r[0][:3] for r in _cells(ui, "#flags tbody tr")} == {"S15"}
    assert "listed_vessel" in {r[2] for r in _cells(ui, "#flags tbody tr")}
    _shot(ui, "trade-3-flags")
    ui.page.locator("#flags tbody tr").first.locator("a", has_text=str(JI_SONG_6)).click()
    ui.page.wait_for_selector("body[data-view=vessel][data-ready=true]", state="attached")
    assert ui.page.url.endswith(f"#/vessel/{JI_SONG_6}")
    assert ui.page.text_content("#v-name") == site.get(f"/api/vessels/{JI_SONG_6}")["name"]


def test_mirror_findings_by_kind(site: Site, ui: Browser) -> None:
    api = site.get("/api/trade/mirror?limit=500")
    _open(ui, site, "#/trade?kind=unit_value")
    unit = site.get("/api/trade/mirror?kind=unit_value")["items"]
    assert unit and len(unit) < api["total"]
    assert ui.page.input_value("#mirror-kind") == "unit_value"
    rows = _cells(ui, "#mirror tbody tr")
    assert [r[0] for r in rows] == [f["finding_id"] for f in unit]
    assert {r[1] for r in rows} == {"unit value"}
    u = unit[0]
    assert f"USD {u['unit_value_usd']:.3f} per {u['quantity_unit']}" in rows[0][5]
    assert rows[0][8] == u["citation"]
    ui.page.select_option("#mirror-kind", "")
    ui.page.wait_for_selector(f"#mirror-count:text-is('{api['total']} findings')")
    assert ui.page.locator("#mirror tbody tr").count() == api["total"]
    asym = next(f for f in api["items"] if f["kind"] == "mirror_asymmetry")
    cells = _cells(ui, f"#mirror tr[data-finding-id='{asym['finding_id']}']")[0]
    assert f"value USD {asym['value_usd']:,.0f}" in cells[5]
    assert f"mirror USD {asym['mirror_value_usd']:,.0f}" in cells[5]
    assert cells[9].endswith(", ".join(str(n) for n in asym["lines"]))
    _shot(ui, "trade-4-mirror")


def test_fishing_days_with_the_caveat(site: Site, ui: Browser) -> None:
    api = site.get("/api/fishing-days")
    assert api["items"]
    _open(ui, site, "#/trade")
    ui.page.locator("#h-fishing").scroll_into_view_if_needed()
    caveat = ui.page.locator("#fishing-caveat")
    assert caveat.is_visible() and caveat.text_content() == api["caveat"]
    assert "mostly dark fleet" in api["caveat"]
    rows = _cells(ui, "#fishing tbody tr")
    assert len(rows) == len(api["items"])
    for r, item in zip(rows, api["items"], strict=True):
        assert r[0] == str(item["year"]) and r[2] == item["flag"]
        assert r[5] == str(item["vessel_days"]) and r[6] == f"{item['fishing_days']:.1f}"
        assert ("APPROXIMATE" in r[1]) == item["approximate"]
    west = ui.page.locator(f"#fishing tr[data-zone='{WEST_SEA}']")
    assert west.count() >= 1 and west.first.locator(".badge.approximate").is_visible()
    _shot(ui, "trade-5-fishing")


def test_empty_store_says_how_to_fill_it(sites: Sites, ui: Browser) -> None:
    _open(ui, sites.empty, "#/trade")
    note = "No stored estimate: run `sanctionwatch petroleum --store STORE`."
    assert ui.page.text_content("#p-note") == note
    assert _cells(ui, "#p-years tbody tr") == [[note]]
    assert ui.page.locator("#p-deliveries tbody tr").count() == 0
    assert "sanctionwatch shipments" in (ui.page.text_content("#flag-count") or "")
    assert "sanctionwatch mirror" in (ui.page.text_content("#mirror-count") or "")
