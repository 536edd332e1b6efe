"""UTXO heuristics: multi-input clustering and change outputs.

* Multi-input (common-input-ownership): addresses spent together as inputs of one transaction
  belong to one wallet (Nakamoto 2008, §10; Meiklejohn et al. 2013, heuristic 1). CoinJoin
  transactions break it; nothing here detects them.
* Change: an output paid back to one of the transaction's input addresses is change; otherwise,
  when exactly one output goes to an address never seen before in the data while every other
  output's address was seen earlier, that fresh output is the one-time change address
  (Meiklejohn et al. 2013, heuristic 2, "A Fistful of Bitcoins", IMC).
"""

from __future__ import annotations

import polars as pl

from sanctionwatch.finance.crypto_ingest import UtxoRead


def cluster_multi_input(utxo: UtxoRead) -> dict[str, str]:
    """Wallet cluster of every address in ``utxo`` (inputs and outputs), by union-find over
    co-spent inputs; a cluster is named by its smallest address."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for addrs in utxo.inputs.group_by("tx_hash").agg(pl.col("address").unique())["address"]:
        members = addrs.to_list()
        root = find(members[0])
        for m in members[1:]:
            r = find(m)
            if r != root:
                lo, hi = sorted((root, r))
                parent[hi] = lo
                root = lo
    for a in utxo.outputs["address"].to_list():
        find(a)
    return {a: find(a) for a in parent}


def change_outputs(utxo: UtxoRead) -> pl.DataFrame:
    """Outputs judged to be change: ``tx_hash, index, address, value, reason`` (``self`` or
    ``one-time``)."""
    first_seen: dict[str, tuple[object, str]] = {}
    for t, tx, a in pl.concat([
        utxo.inputs.select("time", "tx_hash", "address"),
        utxo.outputs.select("time", "tx_hash", "address"),
    ]).sort("time").iter_rows():
        first_seen.setdefault(a, (t, tx))
    ins = dict(utxo.inputs.group_by("tx_hash").agg(pl.col("address").unique()).iter_rows())
    rows: list[tuple[str, int, str, float, str]] = []
    for (tx,), g in utxo.outputs.group_by("tx_hash", maintain_order=True):
        spenders = set(ins.get(tx, []) or [])
        if not spenders or g.height < 2:
            continue
        outs = list(g.select("index", "address", "value").iter_rows())
        own = [o for o in outs if o[1] in spenders]
        if own:
            rows += [(str(tx), int(i), str(a), float(v), "self") for i, a, v in own]
            continue
        fresh = [o for o in outs if first_seen.get(o[1], (None, ""))[1] == tx]
        if len(fresh) == 1:
            i, a, v = fresh[0]
            rows.append((str(tx), int(i), str(a), float(v), "one-time"))
    return pl.DataFrame(rows, schema={"tx_hash": pl.String, "index": pl.Int64,
                                      "address": pl.String, "value": pl.Float64,
                                      "reason": pl.String}, orient="row")


__all__ = ["change_outputs", "cluster_multi_input"]
