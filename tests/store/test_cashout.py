"""Stored ATM cash-out alerts (``cashout --store``): rows as the alerts file has them, and the
alerted accounts in the relationship graph linked to their BIN, on a generated log with two
planted cash-outs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.linking.graph import EntityGraph
from sanctionwatch.simulate.authlog import write_authlog


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[Path, Path, pl.DataFrame]:
    work = tmp_path_factory.mktemp("cashout_store")
    log = write_authlog(work, 5, 20_000, n_cashouts=2)
    store = work / "sw.duckdb"
    res = CliRunner().invoke(app, ["cashout", "--input", str(log.path), "--out",
                                   str(work / "alerts.csv"), "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "stored as run" in res.output
    return store, log.path, pl.read_csv(log.planted_path, infer_schema=False)


def test_alerts_are_stored_as_written(stored):
    store, log, _ = stored
    alerts = pl.read_csv(store.parent / "alerts.csv", infer_schema=False)
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("SELECT alert_id, bin, len(accounts), n_transactions, source_file "
                           "FROM cashout_alerts ORDER BY alert_id").fetchall()
    finally:
        con.close()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (a["alert_id"], a["bin"], len(a["accounts"].split(";")), int(a["n_transactions"]))
        for a in alerts.sort("alert_id").iter_rows(named=True)]
    assert {r[4] for r in rows} == {str(log)}


def test_planted_accounts_are_graph_nodes_linked_to_their_bin(stored):
    store, log, planted = stored
    g = EntityGraph.from_store(store)
    alerts = pl.read_csv(store.parent / "alerts.csv", infer_schema=False)
    for p in planted.filter(pl.col("kind") == "cashout").iter_rows(named=True):
        issuer = f"bin:{p['bin']}"
        assert g.graph.nodes[issuer]["kind"] == "card_issuer"
        accounts = {u for u, _, d in g.graph.in_edges(issuer, data=True)
                    if d["link"].relation == "issuer"}
        alerted = {f"account:{p['bin']}:{a}" for x in alerts.filter(pl.col("bin") == p["bin"])
                   ["accounts"].to_list() for a in x.split(";")}
        assert accounts == alerted  # every alerted account of the BIN, nothing else
        # the alerts cover the planted cash-outs' accounts (29 of 30 and 12 of 12 here: an
        # account with too few withdrawals in a window is below the burst rule)
        assert int(p["accounts"]) - 1 <= len(accounts) <= int(p["accounts"])
        u = sorted(accounts)[0]
        assert g.graph.nodes[u]["kind"] == "bank_account"
        link = next(d["link"] for _, t, d in g.graph.out_edges(u, data=True) if t == issuer)
        assert link.origin == "cashout_alert" and link.source_file == str(log)
        assert link.provenance().startswith("cash-out alert CO-")
    assert g.counts()["relations"].get("holder", 0) == 0  # no lists loaded: nothing designated


def test_bad_store_fails_before_detecting(tmp_path):
    res = CliRunner().invoke(app, ["cashout", "--input", str(tmp_path / "none.csv"), "--out",
                                   str(tmp_path / "a.csv"), "--store", str(tmp_path)])
    assert res.exit_code != 0 and "is a folder" in res.output
