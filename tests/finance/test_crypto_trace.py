"""Taint methods, limits and detectors on small hand-made graphs whose answers are worked out
by hand in each test; UTXO clustering and change; the ``trace`` command."""

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.finance.crypto_ingest import TRANSFER_SCHEMA, Label, UtxoRead, read_utxo
from sanctionwatch.finance.crypto_utxo import change_outputs, cluster_multi_input
from sanctionwatch.finance.trace import DetectParams, TraceParams, detect, trace

T0 = datetime(2022, 4, 1, tzinfo=UTC)
POOL = "0x" + "9" * 40
HUOBI = "0x" + "8" * 40
LABELS = {POOL: Label(POOL, "Tornado.Cash: 100 ETH", "mixer", "t", "ETH", 100.0),
          HUOBI: Label(HUOBI, "Huobi 10", "exchange", "t", "ETH")}


def frame(rows):
    """Transfers from (minutes after T0, from, to, value)."""
    return pl.DataFrame(
        {"time": [T0 + timedelta(minutes=m) for m, *_ in rows], "tx_hash": [None] * len(rows),
         "from": [r[1] for r in rows], "to": [r[2] for r in rows],
         "value": [float(r[3]) for r in rows], "asset": ["ETH"] * len(rows),
         "line": list(range(2, len(rows) + 2))}, schema=TRANSFER_SCHEMA)


def tainted_at(res, address):
    row = res.addresses.filter(pl.col("address") == address)
    return row["tainted_in"].item() if row.height else 0.0


# C pays A 10 clean, then the seed S pays A 10, then A pays B 5 and D 15.
MIXED = frame([(1, "c", "a", 10), (2, "s", "a", 10), (3, "a", "b", 5), (4, "a", "d", 15)])


def test_poison_haircut_and_fifo_on_a_hand_graph():
    got = {m: trace(MIXED, ["s"], TraceParams(method=m)) for m in ("poison", "haircut", "fifo")}
    # poison: A is tainted after t=2, so all it sends is tainted.
    assert (tainted_at(got["poison"], "b"), tainted_at(got["poison"], "d")) == (5, 15)
    # haircut: A holds 20 of which 10 tainted: both payments carry half.
    assert tainted_at(got["haircut"], "b") == pytest.approx(2.5)
    assert tainted_at(got["haircut"], "d") == pytest.approx(7.5)
    # FIFO: B's 5 come out of the older clean 10; D's 15 are the other clean 5 + tainted 10.
    assert tainted_at(got["fifo"], "b") == 0.0
    assert tainted_at(got["fifo"], "d") == pytest.approx(10.0)
    for a in ("a", "b", "d"):
        assert tainted_at(got["poison"], a) >= tainted_at(got["haircut"], a)
    assert got["haircut"].addresses.filter(pl.col("address") == "a")["taint"].item() == 0.5
    assert "b" not in got["fifo"].addresses["address"].to_list()  # nothing tainted reached B


def test_value_unseen_arriving_counts_as_clean():
    # A sends 10 having been seen receiving only 4 tainted: 6 of unknown origin are clean.
    res = trace(frame([(1, "s", "a", 4), (2, "a", "b", 10)]), ["s"])
    assert tainted_at(res, "b") == pytest.approx(4.0)


def test_hop_time_and_value_limits():
    chain = frame([(1, "s", "a", 10), (2, "a", "b", 10), (3, "b", "c", 10)])
    res = trace(chain, ["s"], TraceParams(max_hops=2))
    assert dict(res.addresses.select("address", "hops").iter_rows()) == {"s": 0, "a": 1, "b": 2}
    res = trace(chain, ["s"], TraceParams(since=T0 + timedelta(minutes=2)))
    assert res.flows.height == 0  # the seed's payment is before the window
    res = trace(chain, ["s"], TraceParams(until=T0 + timedelta(minutes=2)))
    assert set(res.addresses["address"]) == {"s", "a", "b"}
    dust = frame([(1, "s", "a", 0.0005), (2, "a", "b", 0.0005)])
    assert trace(dust, ["s"]).flows.height == 0
    assert trace(dust, ["s"], TraceParams(min_amount_coins=0.0)).flows.height == 2
    with pytest.raises(ValueError, match="method"):
        TraceParams(method="tiho")


def test_trace_stops_and_labels_at_services():
    g = frame([(1, "s", POOL, 100), (2, POOL, "w", 100), (3, "s", HUOBI, 5), (4, HUOBI, "x", 5)])
    res = trace(g, ["s"], labels=LABELS)
    detect(res, g, LABELS)
    roles = dict(res.addresses.select("address", "role").iter_rows())
    assert roles == {"s": "seed", POOL: "mixer", HUOBI: "exchange"}
    assert res.addresses.filter(pl.col("address") == POOL)["label"].item() == (
        "Tornado.Cash: 100 ETH")


def test_backward_trace_finds_the_sources():
    g = frame([(1, "p1", "s", 3), (2, "p2", "s", 1), (3, "q", "p1", 3), (4, "s", "z", 4)])
    res = trace(g, ["s"], TraceParams(direction="backward"))
    assert dict(res.addresses.select("address", "hops").iter_rows()) == {
        "s": 0, "p1": 1, "p2": 1}  # q paid p1 only after p1 paid s: not a source
    assert tainted_at(res, "p1") == pytest.approx(3.0)
    assert "z" not in res.addresses["address"].to_list()


def test_mixer_batches_of_fixed_denomination_are_flagged():
    rows = [(0, "s", "dep", 1300)] + [(10 + i, "dep", POOL, 100) for i in range(12)]
    g = frame(rows)
    res = trace(g, ["s"], labels=LABELS)
    found = detect(res, g, LABELS)
    batch = [f for f in found if f.detector == "mixer_batch"]
    assert len(batch) == 1 and batch[0].address == "dep" and batch[0].amount == 1200
    assert "12 deposits of 100 ETH" in batch[0].detail
    assert res.addresses.filter(pl.col("address") == "dep")["role"].item() == "mixer_depositor"
    few = frame([(0, "s", "dep", 1000)] + [(10 + i, "dep", POOL, 100) for i in range(9)])
    r2 = trace(few, ["s"], labels=LABELS)
    assert not [f for f in detect(r2, few, LABELS) if f.detector == "mixer_batch"]


def test_staging_for_mixer_deposits_needs_a_gas_remainder_and_no_onward_flow():
    g = frame([(0, "s", "d1", 3003.3), (1, "s", "d2", 3000), (2, "s", "d3", 1250),
               (3, "s", "d4", 3003.3), (4, "d4", "e", 3000)])
    res = trace(g, ["s"], labels=LABELS)
    staged = {f.address: f for f in detect(res, g, LABELS) if f.detector == "mixer_staging"}
    assert set(staged) == {"d1"}  # d2 round, d3 4 % over 12 x 100, d4 passes it on
    assert "30 x 100" in staged["d1"].detail


def test_fan_out_to_fresh_addresses():
    g = frame([(60 * i, "s", f"f{i}", 10) for i in range(5)] + [(10_000, "s", "late", 10)])
    res = trace(g, ["s"], labels=LABELS)
    fan = [f for f in detect(res, g, LABELS) if f.detector == "fan_out"]
    assert len(fan) == 1 and set(fan[0].related) == {f"f{i}" for i in range(5)}
    assert fan[0].amount == 50
    three = frame([(60 * i, "s", f"f{i}", 10) for i in range(3)])
    r3 = trace(three, ["s"])
    assert not [f for f in detect(r3, three, LABELS, DetectParams()) if f.detector == "fan_out"]


def test_exchange_deposit_address_sweeping_to_an_exchange():
    g = frame([(0, "s", "dep", 10), (5, "dep", HUOBI, 9.99), (6, "s", "keep", 10)])
    res = trace(g, ["s"], labels=LABELS)
    found = detect(res, g, LABELS)
    ex = [f for f in found if f.detector == "exchange_deposit"]
    assert [f.address for f in ex] == ["dep"] and "Huobi 10" in ex[0].detail
    roles = dict(res.addresses.select("address", "role").iter_rows())
    assert roles["dep"] == "exchange_deposit" and roles["keep"] == "endpoint"


def test_peel_chain():
    g = frame([(0, "s", "p1", 100), (1, "p1", "p2", 90), (2, "p1", "x1", 10),
               (3, "p2", "p3", 80), (4, "p2", "x2", 10), (5, "p3", "p4", 70),
               (6, "p3", "x3", 10)])
    res = trace(g, ["s"])
    peel = [f for f in detect(res, g, LABELS) if f.detector == "peel_chain"]
    assert len(peel) == 1 and peel[0].address == "p1"
    assert peel[0].related == ("p2", "p3", "p4") and peel[0].amount == pytest.approx(30)


def _utxo(tmp_path, txs):
    f = tmp_path / "u.jsonl"
    f.write_text("\n".join(json.dumps(t) for t in txs) + "\n")
    return read_utxo(f)


def _t(h, ts, ins, outs):
    return {"hash": h, "block_timestamp": ts,
            "inputs": [{"index": i, "addresses": [a], "value": v} for i, (a, v) in enumerate(ins)],
            "outputs": [{"index": i, "addresses": [a], "value": v}
                        for i, (a, v) in enumerate(outs)]}


def test_multi_input_clustering_and_change(tmp_path):
    u: UtxoRead = _utxo(tmp_path, [
        _t("t0", 100, [("z", 10)], [("a1", 5), ("a2", 5)]),
        _t("t1", 200, [("a1", 5), ("a2", 5)], [("b", 4), ("a1", 6)]),      # self change
        _t("t2", 300, [("a2", 1), ("a3", 1)], [("shop", 2)]),
        _t("t3", 400, [("b", 4)], [("fresh", 3), ("a1", 1)]),              # one-time change
    ])
    cl = cluster_multi_input(u)
    assert cl["a1"] == cl["a2"] == cl["a3"] != cl["b"]
    ch = {(r["tx_hash"], r["address"]): r["reason"] for r in change_outputs(u).to_dicts()}
    assert ch == {("t1", "a1"): "self", ("t3", "fresh"): "one-time"}


def _write(path, rows):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["time", "tx_hash", "from", "to", "value", "asset"])
        w.writerows(rows)


def test_trace_command_writes_graph_addresses_and_report(tmp_path):
    f = tmp_path / "t.csv"
    seed = "0x" + "1" * 40
    _write(f, [["2022-04-01T00:00:00Z", "0xa", seed, "0x" + "2" * 40, "3003.3", "ETH"],
               ["2022-04-01T01:00:00Z", "0xb", seed, "0x" + "3" * 40, "10", "ETH"],
               ["oops", "0xc", seed, "0x" + "3" * 40, "10", "ETH"]])
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["trace", seed.upper().replace("0X", "0x"), "--transfers",
                                   str(f), "--out", str(out), "--method", "fifo", "--no-png"])
    assert res.exit_code == 0, res.output
    addrs = list(csv.DictReader((out / "addresses.csv").open()))
    assert {"address", "taint", "hops", "label", "role"} <= set(addrs[0])
    assert {a["address"]: a["role"] for a in addrs}["0x" + "2" * 40] == "mixer_depositor"
    g = json.loads((out / "graph.json").read_text())
    assert len(g["edges"]) == 2 and g["params"]["method"] == "fifo"
    assert "<svg" in (out / "report.html").read_text()
    assert (out / "flows.csv").is_file() and (out / "findings.csv").is_file()
    assert "rejected" in res.output and ":4: bad time" in res.output


def test_trace_command_bad_input_is_a_message_not_a_traceback(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a,b\n1,2\n")
    res = CliRunner().invoke(app, ["trace", "0x1", "--transfers", str(f), "--out",
                                   str(tmp_path / "o"), "--no-png"])
    assert res.exit_code == 2 and "neither the generic layout" in res.output
    assert "Traceback" not in res.output


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")
                         or shutil.which("google-chrome")), reason="no headless Chromium")
def test_trace_command_renders_the_png(tmp_path):
    f = tmp_path / "t.csv"
    seed = "0x" + "1" * 40
    _write(f, [["2022-04-01T00:00:00Z", "0xa", seed, "0x" + "2" * 40, "5", "ETH"]])
    res = CliRunner().invoke(app, ["trace", seed, "--transfers", str(f), "--out",
                                   str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "report.png").read_bytes()[:4] == b"\x89PNG"
