"""Reading crypto inputs: transfer CSV layouts, bitcoin-etl UTXO JSON lines, TagPacks, OFAC seeds;
bad rows are counted with their line and reason."""

import json
from pathlib import Path

import pytest

from sanctionwatch.finance.crypto_ingest import (
    CryptoFormatError,
    match_seed,
    normalise_address,
    read_ofac_seeds,
    read_tagpacks,
    read_transfers,
    read_utxo,
    shipped_service_labels,
    utxo_transfers,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "crypto"
DUNE = DATA / "eth_ronin_lazarus_dune" / "LazarusTabularTxs1322519.csv"
A = "0x" + "a" * 40
B = "0x" + "B" * 40


def test_generic_layout_keeps_good_rows_and_names_each_bad_one(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(
        "time,tx_hash,from,to,value,asset\n"
        f"2022-04-01T00:00:00Z,0x01,{A},{B},1.5,ETH\n"          # line 2 good
        f"not-a-time,0x02,{A},{B},1,ETH\n"                       # line 3 bad time
        f"2022-04-01T01:00:00Z,0x03,{A},{B},-2,ETH\n"            # line 4 negative
        f"2022-04-01T02:00:00Z,0x04,,{B},1,ETH\n"                # line 5 no sender
        f"2022-04-01T03:00:00Z,0x05,{A},{B},1\n"                 # line 6 field count
        f"2022-04-01T04:00:00Z,0x06,{A},{B},abc,ETH\n"           # line 7 value
        f"1648771200,,{B},{A},2,\n")                             # line 8 good, epoch, no asset
    r = read_transfers(f)
    assert r.layout == "generic"
    assert r.frame.height == 2
    assert [(b.line, b.reason) for b in r.bad_rows] == [
        (3, "bad time"), (4, "bad value"), (5, "missing address"), (6, "field count"),
        (7, "bad value")]
    assert r.frame["from"].to_list() == [A, B.lower()]  # hex compared lower-cased
    assert r.frame["asset"].to_list() == ["ETH", "ETH"]
    assert r.frame["tx_hash"].to_list() == ["0x01", None]


def test_dune_lazarus_layout_reads_the_real_export_and_says_what_it_lacks():
    r = read_transfers(DUNE)
    assert r.layout == "dune-lazarus"
    assert r.frame.height == 436 and not r.bad_rows
    assert r.frame["from"].str.starts_with("0x").all()  # \x… bytea written as 0x…
    assert r.frame["tx_hash"].null_count() == 436
    assert any("tx_hash" in x for x in r.lacks) and any("internal" in x for x in r.lacks)
    assert str(r.frame["time"].min()) .startswith("2022-03-23")


def test_dune_layout_bad_rows(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("block_time,from,to,total_eth\n"
                 "2022-03-23T13:16:14+00:00,\\x4976a4a02f38326660d17bf34b431dc6e2eb2327,"
                 "\\x098b716b8aaf21512996dc57eb0615e2383e2f96,1.0569\n"
                 "2022-03-23T13:16:14+00:00,\\x4976,\\x098b,nan\n")
    r = read_transfers(f)
    assert r.frame.height == 1 and [(b.line, b.reason) for b in r.bad_rows] == [(3, "bad value")]


def test_unknown_header_is_a_clear_error(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CryptoFormatError, match="neither the generic layout"):
        read_transfers(f)


def _tx(h, t, ins, outs):
    return json.dumps({
        "hash": h, "block_timestamp": t,
        "inputs": [{"index": i, "addresses": [a], "value": v, "spent_transaction_hash": "p",
                    "spent_output_index": 0} for i, (a, v) in enumerate(ins)],
        "outputs": [{"index": i, "addresses": [a], "value": v} for i, (a, v) in enumerate(outs)],
    })


def test_bitcoin_etl_transactions_become_inputs_outputs_and_proportional_transfers(tmp_path):
    f = tmp_path / "tx.jsonl"
    f.write_text("\n".join([
        _tx("t1", 1600000000, [("1A", 300_000_000), ("1B", 100_000_000)],
            [("1C", 250_000_000), ("1D", 150_000_000)]),
        "{not json",
        json.dumps({"block_timestamp": 1600000100, "inputs": [], "outputs": []}),
        _tx("t2", 1600000200, [("1C", 250_000_000)], []),
        _tx("t3", 1600000300, [], [("1E", 625_000_000)]),  # coinbase
    ]) + "\n")
    u = read_utxo(f)
    assert [(b.line, b.reason) for b in u.bad_rows] == [
        (2, "bad JSON"), (3, "no transaction hash"), (4, "no outputs")]
    assert u.inputs.height == 2 and u.outputs.height == 3
    assert u.outputs.filter(u.outputs["address"] == "1C")["value"].item() == 2.5  # BTC
    t = utxo_transfers(u)
    # 1A put in 3/4 of t1, so 3/4 of each output comes from it.
    a_to_c = t.filter((t["from"] == "1A") & (t["to"] == "1C"))["value"].item()
    assert a_to_c == pytest.approx(2.5 * 0.75)
    assert t.filter(t["tx_hash"] == "t1")["value"].sum() == pytest.approx(4.0)
    assert t.filter(t["tx_hash"] == "t3")["from"].item() == "coinbase"


def test_tagpacks_inherit_the_pack_header_and_shipped_labels_know_tornado_pools(tmp_path):
    labels, bad = read_tagpacks([DATA / "graphsense_tagpacks" / "ronin_bridge.yaml"])
    assert not bad and len(labels) == 6
    exploiter = labels["0x098b716b8aaf21512996dc57eb0615e2383e2f96"]
    assert exploiter.label == "Ronin bridge exploiter" and exploiter.category == "hack"
    shipped = shipped_service_labels()
    pool = shipped["0xa160cdab225685da1d56aa342ad8841c3b53f291"]
    assert (pool.category, pool.denomination, pool.currency) == ("mixer", 100.0, "ETH")
    assert shipped["0x910cbd523d972eb0a6f4cae4618ad62622b39dbf"].denomination == 10.0
    assert {lab.category for lab in shipped.values()} == {"mixer", "exchange", "bridge"}
    f = tmp_path / "p.yaml"
    f.write_text("title: t\ncategory: exchange\ntags:\n- address: '0xAB'\n  label: X\n- label: Y\n")
    labels, bad = read_tagpacks([f])
    assert labels["0xAB"].category == "exchange"
    assert [(b.line, b.reason) for b in bad] == [(2, "tag without address")]
    f.write_text("just: text\n")
    with pytest.raises(CryptoFormatError, match="not a TagPack"):
        read_tagpacks([f])


def test_ofac_seeds_match_case_insensitively_only_where_the_case_is_unknown():
    seeds, bad = read_ofac_seeds(DATA / "dprk_ofac_crypto_addresses.csv")
    assert len(seeds) == 125 and not bad
    assert sum(not s.case_known for s in seeds) == 56
    lazarus = [s for s in seeds if s.entity == "LAZARUS GROUP" and s.currency == "ETH"]
    assert len(lazarus) == 8
    assert match_seed("0x098B716B8Aaf21512996dC57EB0615e2383E2f96", seeds) is not None
    unknown = next(s for s in seeds if not s.case_known)
    assert match_seed(unknown.address.upper(), seeds) == unknown
    known = next(s for s in seeds if s.case_known and not s.address.startswith("0x")
                 and s.address != s.address.lower())
    assert match_seed(known.address, seeds) == known
    assert match_seed(known.address.lower(), seeds) is None  # base58: case is identity


def test_normalise_address():
    assert normalise_address("\\x098B716B8Aaf21512996dC57EB0615e2383E2f96") == (
        "0x098b716b8aaf21512996dc57eb0615e2383e2f96")
    assert normalise_address(" 1PfwHNxUnkpfkK9MKjMqzR3Xq3KCtq9u17 ") == (
        "1PfwHNxUnkpfkK9MKjMqzR3Xq3KCtq9u17")
