"""Wallet and card-account alerts (``sanctionwatch alerts --kind``) on a store holding two real
OFAC SDN 2021-07 rows (LAZARUS GROUP, TIAN Yinyin; tests/data/sanctions) and the real Ronin
excerpt traced from the exploiter with the real SDN crypto-address list (``trace --ofac
--store``), and on a generated authorisation log with planted FASTCash cash-outs (``cashout
--store``). The figures pinned are the ones checked by hand in tests/finance/test_crypto_ronin.py.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import polars as pl
import pytest

from sanctionwatch.cli import EXIT_INPUT, EXIT_OK, run
from sanctionwatch.finance.alerts import (
    FinanceAlertParams,
    account_alerts,
    rank_finance,
    wallet_alerts,
)
from sanctionwatch.linking.graph import EntityGraph
from sanctionwatch.sanctions import ListStore
from sanctionwatch.schema import CRYPTO_ADDRESSES
from sanctionwatch.simulate.authlog import write_authlog
from sanctionwatch.store import DuckDBStore
from tests.finance.test_crypto_ronin import DUNE, EXPLOITER, INTERMEDIARIES_TO_TC, TC_DEPOSITS

DATA = Path(__file__).resolve().parents[1] / "data"
OFAC_SDN = DATA / "sanctions" / "ofac_sdn_2021-07" / "sdn.csv"
SDN_CRYPTO = DATA / "crypto" / "dprk_ofac_crypto_addresses.csv"
SWAPPER = "0xe708f17240732bbfa1baa8513f66b665fbc7ce10"  # 1 ETH in the excerpt


def two_sdn_rows(work: Path) -> Path:
    """A store with the LAZARUS GROUP and TIAN Yinyin rows of the real SDN list loaded."""
    lists = work / "ofac_sdn_2021-07"
    lists.mkdir()
    rows = [r for r in OFAC_SDN.read_bytes().split(b"\r\n")
            if r.startswith((b"27307,", b"28263,"))]
    assert len(rows) == 2
    (lists / "sdn.csv").write_bytes(b"\r\n".join(rows) + b"\r\n")
    store = work / "sw.duckdb"
    with ListStore(store) as ls:
        ls.load_many([lists])
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wallet-alerts")
    path = two_sdn_rows(work)
    assert run(["trace", EXPLOITER, "--transfers", str(DUNE), "--ofac", str(SDN_CRYPTO),
                "--out", str(work / "trace"), "--no-png", "--store", str(path)]) == EXIT_OK
    return path


@pytest.fixture(scope="module")
def wallets(store: Path) -> dict[str, object]:
    return {a.key: a for a in rank_finance(store, ["wallet"])}


def test_the_exploiter_is_an_alert_held_by_lazarus(wallets: dict) -> None:
    a = wallets[EXPLOITER.lower()]
    assert a.score == 1.0 and a.kind == "wallet"
    designated = a.indicators[0]
    assert designated.name == "designated" and designated.score == 1.0
    assert "held by → LAZARUS GROUP (designated: OFAC SDN 27307" in designated.explanation
    assert any(re.search(r"dprk_ofac_crypto_addresses\.csv:\d+$", e)
               for e in designated.evidence)
    assert a.facts["holder_entity_id"] == "us-ofac-27307"


def test_intermediaries_rank_first_with_the_amounts_checked_by_hand(wallets: dict) -> None:
    ranked = sorted(wallets.values(), key=lambda a: (-a.score, -a.facts["tainted_in_coins"]))
    top7 = [a.key for a in ranked[:7]]
    assert set(top7) == set(INTERMEDIARIES_TO_TC)  # listed 2022-05-06, each held by Lazarus
    for addr, eth in INTERMEDIARIES_TO_TC.items():
        a = wallets[addr]
        assert a.score == 1.0
        assert a.facts["tainted_in_coins"] == pytest.approx(eth, abs=1e-3)
        taint = next(i for i in a.indicators if i.name == "taint")
        assert f"{eth:,.4f} ETH" in taint.explanation
        assert "from a seed held by a designated entity" in taint.explanation


def test_tornado_depositors_alert_on_taint_and_mixer_staging(wallets: dict) -> None:
    deps = [wallets[a] for a in TC_DEPOSITS if a in wallets]
    assert len(deps) == len(TC_DEPOSITS)
    for a in deps:
        names = {i.name: i for i in a.indicators}
        assert names["designated"].score == 0  # not on the 2021-07 lists
        assert names["mixer"].score == pytest.approx(0.8)  # staged, the deposits not in it
        assert "mixer_depositor" in a.facts["roles"]
        assert a.score > 0.8  # taint at full weight: the 100-ETH lots far exceed 100 ETH


def test_dust_is_no_alert(wallets: dict) -> None:
    a = wallets[SWAPPER]
    assert a.facts["tainted_in_coins"] == pytest.approx(1.0)
    assert a.score < 0.05


def test_unlisted_seed_halves_the_taint() -> None:
    rows = CRYPTO_ADDRESSES.conform(pl.DataFrame({
        "run_id": ["r1", "r1", "r1"], "address": ["0xseed", "0xdep", "0xx"],
        "role": ["seed", "exchange_deposit", "peel_chain"], "label": ["", "Huobi", ""],
        "category": ["", "", ""], "taint": [1.0, 0.5, 1.0], "hops": [0, 2, 1],
        "tainted_in_coins": [0.0, 400.0, 50.0], "tainted_out_coins": [500.0, 0.0, 50.0],
        "first_time": [datetime(2022, 4, 1, tzinfo=UTC)] * 3,
        "last_time": [datetime(2022, 4, 1, tzinfo=UTC)] * 3,
        "findings": ["", "exchange_deposit", "peel_chain"], "asset": ["ETH"] * 3,
    }))
    got = {a.key: a for a in wallet_alerts(rows, EntityGraph(nx.MultiDiGraph()))}
    dep = {i.name: i for i in got["0xdep"].indicators}
    assert dep["taint"].score == pytest.approx(0.5 * 1.0 * 0.5)  # share x amount x unlisted
    assert "an unlisted seed" in dep["taint"].explanation
    assert dep["exchange"].score == 1.0 and "(Huobi)" in dep["exchange"].explanation
    peel = {i.name: i for i in got["0xx"].indicators}
    assert peel["laundering"].score == 1.0
    assert peel["taint"].score == pytest.approx(0.5 * 0.5)  # 50 of 100 ETH, unlisted seed
    assert next(iter(got)) == "0xdep"  # exchange + taint beat the peel chain's
    with pytest.raises(ValueError, match="weight_taint"):
        FinanceAlertParams(weight_taint=1.5)


def test_trace_run_is_recorded(store: Path) -> None:
    with DuckDBStore(store, read_only=True) as st:
        runs = st.runs()
    assert runs["command"].to_list() == ["trace"]
    r = runs.row(0, named=True)
    inputs = json.loads(r["inputs"])
    assert [Path(i["path"]).name for i in inputs] == [DUNE.name, SDN_CRYPTO.name]
    assert all(len(i["sha256"]) == 64 for i in inputs)
    counts = json.loads(r["counts"])
    assert counts["crypto_flows"] == 70 and counts["crypto_addresses"] == 62
    assert json.loads(r["params"])["trace"]["seeds"] == [EXPLOITER.lower()]


def test_cli_alerts_kind_wallet(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["alerts", "--store", str(store), "--kind", "wallet", "--json",
                "--limit", "8"]) == EXIT_OK
    got = json.loads(capsys.readouterr().out)
    assert len(got) == 8 and {g["kind"] for g in got} == {"wallet"}
    assert got[0]["key"] == "0x35fb6f6db4fb05e6a4ce86f2c93691425626d4b1"  # 33,568 ETH
    assert EXPLOITER.lower() in {g["key"] for g in got}
    assert run(["alerts", "--store", str(store), "--kind", "wallet", "--limit", "2"]) == EXIT_OK
    assert "LAZARUS GROUP" in capsys.readouterr().out
    # the default is still the vessel ranking: this store holds no vessel
    assert run(["alerts", "--store", str(store)]) == EXIT_INPUT
    assert "holds no events and no vessels" in capsys.readouterr().err
    assert run(["alerts", "--store", str(store), "--kind", "ships"]) == EXIT_INPUT
    capsys.readouterr()


def test_cli_alerts_config(store: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    toml = tmp_path / "alerts.toml"
    toml.write_text("[finance_alerts]\ntaint_full_coins = 5000\nweight_mixer = 0\n")
    assert run(["alerts", "--store", str(store), "--kind", "wallet", "--json", "--limit", "62",
                "--config", str(toml)]) == EXIT_OK
    got = {g["key"]: g for g in json.loads(capsys.readouterr().out)}
    dep = got["0x15e270175f4f2347153d4d113b459590888613e7"]  # 3,003.3 ETH, staged for Tornado
    assert dep["score"] == pytest.approx(1 - (1 - 0.8 * 3003.3 / 5000) * (1 - 0.5 * 0.6),
                                         abs=1e-3)
    toml.write_text("[finance_alerts]\nweight_taint = 2\n")
    assert run(["alerts", "--store", str(store), "--kind", "wallet", "--config",
                str(toml)]) == EXIT_INPUT
    assert "weight_taint must be between 0 and 1" in capsys.readouterr().err


def test_wallet_reviews_are_kept_apart_from_vessel_reviews(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "sw.duckdb"
    copy.write_bytes(store.read_bytes())
    with DuckDBStore(copy) as st:
        st.add_subject_review(f"wallet:{SWAPPER}", "dismissed", "1 ETH swap gas", "ana")
        st.add_subject_review(f"wallet:{SWAPPER}", "open", "reopened", "bo")
        st.add_review(412345678, "confirmed", "", "ana")
        latest = st.latest_subject_reviews()
        assert latest[f"wallet:{SWAPPER}"]["status"] == "open"
        assert list(st.latest_reviews()) == [412345678]
        assert st.reviews()["mmsi"].to_list() == [412345678]


# -- card accounts ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cashout_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    work = tmp_path_factory.mktemp("account-alerts")
    res = write_authlog(work / "log", 5, 30_000, n_cashouts=2)
    store = work / "sw.duckdb"
    assert run(["cashout", "--input", str(res.path), "--out", str(work / "alerts.csv"),
                "--store", str(store)]) == EXIT_OK
    return store, [p for p in res.planted if p["kind"] == "cashout"]


def test_planted_cashout_accounts_rank_first(cashout_store: tuple[Path, list[dict]]) -> None:
    store, planted = cashout_store
    got = rank_finance(store, ["account"])
    assert got and {a.kind for a in got} == {"account"}
    bins = {str(p["bin"]) for p in planted}
    top = got[0]
    assert top.facts["bin"] in bins and "burst" in top.facts["rules"]
    assert top.score >= FinanceAlertParams().weight_burst
    burst = next(i for i in top.indicators if i.name == "burst")
    assert "burst of withdrawals across countries" in burst.explanation
    assert all(e.startswith("cashout_alerts ") for e in burst.evidence)
    with DuckDBStore(store, read_only=True) as st:
        runs = st.runs()
    assert runs["command"].to_list() == ["cashout"]
    counts = json.loads(runs["counts"][0])
    assert counts["cashout_alerts"] == sum(counts["alerts_by_rule"].values()) > 0


def test_account_alerts_count_alerts_per_rule() -> None:
    t = datetime(2018, 8, 11, 6, tzinfo=UTC)
    alerts = pl.DataFrame({
        "run_id": ["r"] * 3, "alert_id": ["CO-1", "CO-2", "CO-3"],
        "rule": ["burst", "balance", "burst"], "start_time": [t] * 3, "end_time": [t] * 3,
        "bin": ["411111"] * 3, "accounts": [["A1", "A2"], ["A1"], ["A3"]],
        "countries": [["US", "GB"], ["US"], ["TH"]], "n_transactions": [40, 5, 30],
        "amount_usd": [20000.0, 2500.0, 15000.0], "transaction_ids": ["x", "y", "z"],
        "explanation": ["", "", ""], "source_file": ["log.csv"] * 3})
    got = {a.key: a for a in account_alerts(alerts)}
    p = FinanceAlertParams()
    assert got["411111:A1"].score == pytest.approx(1 - (1 - p.weight_burst)
                                                    * (1 - p.weight_balance))
    assert got["411111:A2"].score == pytest.approx(p.weight_burst)
    assert got["411111:A1"].facts["alert_transactions"] == 45
    assert got["411111:A1"].indicators[0].explanation.startswith(
        "Named in 1 burst alert (burst of withdrawals across countries) of 40 authorisations "
        "on 2 accounts in 2 countries, first 2018-08-11 06:00 UTC")
    assert next(iter(got)) == "411111:A1"
