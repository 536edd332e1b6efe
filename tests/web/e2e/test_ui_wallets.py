"""The alert queue's *Kind* filter in headless Chromium over a store holding the real Ronin
excerpt traced from the exploiter (two real OFAC SDN 2021-07 rows, the real SDN address list):
the wallets are listed with their reasons, a wallet alert is confirmed and stays confirmed
after a reload, and its dossier link opens the wallet's dossier. Screenshots in
``out/test-artifacts/web/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.evidence.test_wallet_dossier import DEPOSITOR
from tests.evidence.test_wallet_dossier import store as store  # the fixture
from tests.web.e2e.test_ui import (
    ARTEFACTS,
    Browser,
    Site,
    _chromium,
    _open,
    _settled,
    _shot,
    served,
)
from tests.web.e2e.test_ui import chromium_browser as chromium_browser  # the fixture
from tests.web.e2e.test_ui import ui as ui  # the fixture

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def site(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _chromium()
    copy = tmp_path_factory.mktemp("web-wallets") / "sw.duckdb"
    copy.write_bytes(store.read_bytes())  # the browser writes reviews
    with served(copy) as url:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        yield Site(url, copy, {})


def _rows(ui: Browser) -> Any:
    return ui.page.locator("#alerts tbody tr")


def test_wallet_alerts_in_the_queue(site: Site, ui: Browser) -> None:
    _open(ui, site, "#/alerts")
    ui.page.select_option("#alert-kind", "wallet")
    ui.page.wait_for_selector("#alerts tr[data-subject^='wallet:']")
    first = _rows(ui).first
    assert first.get_attribute("data-subject") == \
        "wallet:0x35fb6f6db4fb05e6a4ce86f2c93691425626d4b1"  # 33,568 ETH, held by Lazarus
    assert "LAZARUS GROUP" in (first.text_content() or "")
    row = ui.page.locator(f"#alerts tr[data-subject='wallet:{DEPOSITOR}']")
    row.locator("input.note").fill("tayvano: Tornado Cash depositor, 35 deposits")
    row.locator("button.confirm").click()
    row.wait_for(state="detached")
    ui.page.reload()
    _settled(ui)
    ui.page.select_option("#alert-kind", "wallet")
    ui.page.select_option("#alert-status", "confirmed")
    done = ui.page.locator(f"#alerts tr[data-subject='wallet:{DEPOSITOR}']")
    done.wait_for()
    assert done.get_attribute("data-status") == "confirmed"
    assert _rows(ui).count() == 1
    _shot(ui, "wallet-alert-confirmed")
    href = done.locator("a", has_text="dossier").get_attribute("href")
    assert href == f"/api/wallets/{DEPOSITOR}/dossier"
    assert [r["status"] for r in site.get(f"/api/alerts/wallet/{DEPOSITOR}/reviews")] == [
        "confirmed"]
    ui.page.goto(site.url + href)
    assert "Wallet dossier" in (ui.page.locator("h1").text_content() or "")
