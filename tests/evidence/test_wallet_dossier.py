"""The wallet dossier (``sanctionwatch report wallet``) on the real Ronin excerpt traced from the
exploiter into a store with two real OFAC SDN 2021-07 rows and the real SDN crypto-address
list: what an investigator reads in it, and that every number in it cites a provenance row
(the same check as the vessel dossier's, tests/evidence/pictures.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sanctionwatch.cli import EXIT_INPUT, EXIT_OK, run
from sanctionwatch.evidence.wallet_dossier import (
    WalletDossier,
    WalletNotFound,
    render_wallet_html,
    wallet_dossier,
)
from sanctionwatch.finance.crypto_ingest import (
    read_ofac_seeds,
    read_transfers,
    shipped_service_labels,
)
from sanctionwatch.finance.trace import TraceParams, detect, trace
from sanctionwatch.findings import entity_graph
from sanctionwatch.linking.graph import EntityGraph
from sanctionwatch.store.crypto import store_trace
from tests.evidence.pictures import check_provenance
from tests.finance.test_crypto_ronin import DUNE, EXPLOITER, INTERMEDIARIES_TO_TC
from tests.finance.test_wallet_alerts import SDN_CRYPTO, two_sdn_rows

DEPOSITOR = "0xf945fa5b71cfaa2736b427b7213cff14cc83279c"  # tayvano: TC depositor, 35 deposits
TIAN_XBT = "134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak"  # on the 2021-07 list, not in the excerpt


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = two_sdn_rows(tmp_path_factory.mktemp("wallet-dossier"))
    read = read_transfers(DUNE)
    labels = shipped_service_labels()
    res = trace(read.frame, [EXPLOITER], TraceParams(), labels)
    detect(res, read.frame, labels)
    seeds, _ = read_ofac_seeds(SDN_CRYPTO)
    store_trace(res, str(DUNE), path, holders=seeds, holders_file=str(SDN_CRYPTO))
    return path


@pytest.fixture(scope="module")
def graph(store: Path) -> EntityGraph:
    return entity_graph(store)


@pytest.fixture(scope="module")
def exploiter(store: Path, graph: EntityGraph) -> WalletDossier:
    return wallet_dossier(store, EXPLOITER, graph=graph)


def test_exploiter_held_by_lazarus_with_its_address_list_row(exploiter: WalletDossier) -> None:
    assert exploiter.address == EXPLOITER.lower()
    first = exploiter.designation[0]
    assert "held by → LAZARUS GROUP (designated: OFAC SDN 27307" in first.text
    fact = exploiter.facts[first.refs[0] - 1]
    assert fact.source == str(SDN_CRYPTO) and re.fullmatch(r"line \d+", fact.record)
    assert len(exploiter.designation) == 1 and first.refs == (first.refs[0],)
    assert exploiter.score is not None and exploiter.score.text == "1.000"
    assert [t["role"].text for t in exploiter.traces] == ["seed"]
    assert exploiter.traces[0]["holder"].text == "us-ofac-27307"


def test_exploiter_pays_each_intermediary_the_amount_checked_by_hand(
        exploiter: WalletDossier) -> None:
    out = {f["other"].text: f for f in exploiter.flows if f["dir"].text == "out"}
    for addr, eth in INTERMEDIARIES_TO_TC.items():
        f = out[addr]
        assert f["value"].text == f"{eth:,.4f}" and f["asset"].text == "ETH"
        fact = exploiter.facts[f["value"].ref - 1]  # type: ignore[operator]
        assert fact.source == str(DUNE) and re.fullmatch(r"line \d+, no tx hash in the input",
                                                         fact.record)
    assert any("no transaction hashes" in n for n in exploiter.notes)


def test_depositor_two_hops_from_the_exploiter(store: Path, graph: EntityGraph) -> None:
    d = wallet_dossier(store, DEPOSITOR.upper().replace("0X", "0x"), graph=graph)
    assert [t["role"].text for t in d.traces] == ["mixer_depositor"]
    assert [f.text.split(" ")[0] for f in d.findings] == ["fan_out_recipient", "mixer_staging"]
    (seed,) = d.seeds
    assert seed.seed.text == EXPLOITER.lower() and seed.hops.text == "2"
    assert seed.path[0].text.startswith(EXPLOITER.lower() + " → ")
    assert seed.path[-1].text.split(" ")[2] == DEPOSITOR
    # through the trace: paid by an intermediary that Lazarus holds; both links cited
    (path,) = [p for p in d.designation if "LAZARUS GROUP" in p.text]
    assert "funded by" in path.text and "held by" in path.text
    assert [Path(d.facts[r - 1].source).name for r in path.refs] == [DUNE.name,
                                                                     SDN_CRYPTO.name]
    assert {name.text for name, _, _ in d.indicators} >= {"taint", "mixer"}


def test_every_number_cites_a_provenance_row(exploiter: WalletDossier, store: Path,
                                             graph: EntityGraph) -> None:
    for d in (exploiter, wallet_dossier(store, DEPOSITOR, graph=graph)):
        html = render_wallet_html(d)
        c = check_provenance(html)
        assert len(c.fact_ids) == len(d.facts)
        assert all(f.source and f.record for f in d.facts)
        assert "<script" not in html


def test_a_listed_wallet_no_trace_reached(store: Path, graph: EntityGraph) -> None:
    d = wallet_dossier(store, TIAN_XBT.lower(), graph=graph)
    assert d.traces == [] and d.flows == [] and d.score is None
    assert "TIAN, Yinyin" in d.designation[0].text
    assert any("No stored trace reached" in n for n in d.notes)
    check_provenance(render_wallet_html(d))
    with pytest.raises(WalletNotFound, match="0xnothere"):
        wallet_dossier(store, "0xnothere", graph=graph)


def test_cli_report_wallet(store: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "exploiter.html"
    assert run(["report", "wallet", EXPLOITER, "--out", str(out), "--store",
                str(store)]) == EXIT_OK
    assert "LAZARUS GROUP" in out.read_text()
    assert "facts in the provenance table" in capsys.readouterr().err
    assert run(["report", "wallet", "0xnothere", "--out", str(out), "--store",
                str(store)]) == EXIT_INPUT
    assert "no crypto address '0xnothere'" in capsys.readouterr().err
    assert run(["report", "wallet", EXPLOITER, "--out", str(out), "--store",
                str(tmp_path / "none.duckdb")]) == EXIT_INPUT
