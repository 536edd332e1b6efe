"""Read crypto transfers, UTXO transactions, TagPack labels and OFAC address seeds.

Every reader returns its good records and the rejected ones (:class:`BadRow`: file, line,
reason, detail); nothing is silently dropped. Layouts and what each lacks: docs/crypto.md.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import yaml

TRANSFER_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "time": pl.Datetime("us", "UTC"), "tx_hash": pl.String, "from": pl.String, "to": pl.String,
    "value": pl.Float64, "asset": pl.String, "line": pl.Int64,
}
"""Columns of a transfer table: one row per value movement from one address to another."""

LAYOUTS = ("generic", "dune-lazarus")
"""Transfer CSV layouts :func:`read_transfers` knows."""

GENERIC_COLUMNS = ("time", "tx_hash", "from", "to", "value", "asset")
DUNE_COLUMNS = ("block_time", "from", "to", "total_eth")

SATOSHI_PER_BTC = 100_000_000
"""bitcoin-etl writes values in satoshi."""

SERVICE_CATEGORIES = ("exchange", "mixer", "bridge")
"""Label categories where a trace stops: funds there are pooled with other users' funds."""

_HEX = re.compile(r"^0x[0-9a-fA-F]{40}$")
_DENOM = re.compile(r"^Tornado\.Cash: ([\d,.]+) (\w+)$")


class CryptoFormatError(ValueError):
    """A file whose header or structure no reader understands (names the file)."""


@dataclass(frozen=True)
class BadRow:
    """A rejected record: where it is and why."""

    path: str
    line: int
    reason: str
    detail: str = ""


@dataclass
class TransferRead:
    """Transfers read from one file: the table, rejected rows, the layout and what it lacks."""

    path: str
    layout: str
    frame: pl.DataFrame
    bad_rows: list[BadRow] = field(default_factory=list)
    lacks: list[str] = field(default_factory=list)


def normalise_address(raw: str) -> str:
    """An address as compared everywhere: ``\\x`` (Postgres/Dune bytea) becomes ``0x``, and
    hex account addresses are lower-cased (their checksum case carries no identity). Base58
    and other case-sensitive forms are kept as written."""
    a = raw.strip()
    if a.startswith("\\x"):
        a = "0x" + a[2:]
    return a.lower() if _HEX.match(a) else a


def _parse_time(raw: str) -> datetime:
    s = raw.strip()
    if re.fullmatch(r"\d+", s):  # epoch seconds (bitcoin-etl block_timestamp)
        return datetime.fromtimestamp(int(s), UTC)
    dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def _parse_value(raw: str) -> float:
    v = float(raw)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"value {raw!r} is not a finite amount >= 0")
    return v


def _detect_layout(header: list[str]) -> str:
    cols = [c.strip().lower() for c in header]
    if all(c in cols for c in DUNE_COLUMNS):
        return "dune-lazarus"
    if all(c in cols for c in ("time", "from", "to", "value")):
        return "generic"
    raise CryptoFormatError(
        f"header {header!r} is neither the generic layout ({', '.join(GENERIC_COLUMNS)}; "
        f"tx_hash and asset optional) nor the Dune Lazarus export ({', '.join(DUNE_COLUMNS)})")


def read_transfers(path: Path | str, layout: str | None = None,
                   default_asset: str = "ETH") -> TransferRead:
    """Read account-model transfers from a CSV in the ``generic`` layout
    (``time, tx_hash, from, to, value, asset``; ``tx_hash`` and ``asset`` optional) or the
    ``dune-lazarus`` layout (``block_time, from, to, total_eth``; the DspytDAO Dune export).

    ``default_asset`` is the asset of rows that name none (Dune: always ETH). Bad rows (bad
    time, address or value, wrong field count) are returned with their line and reason.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    rows: dict[str, list[Any]] = {k: [] for k in TRANSFER_SCHEMA}
    bad: list[BadRow] = []
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise CryptoFormatError(f"{p}: empty file (no header)") from None
        found = layout or _detect_layout(header)
        if found not in LAYOUTS:
            raise CryptoFormatError(f"{p}: unknown layout {found!r} (known: {', '.join(LAYOUTS)})")
        cols = {c.strip().lower(): i for i, c in enumerate(header)}
        tcol, vcol = ("block_time", "total_eth") if found == "dune-lazarus" else ("time", "value")
        for need in (tcol, "from", "to", vcol):
            if need not in cols:
                raise CryptoFormatError(f"{p}: layout {found} needs column {need!r}")
        for rec in reader:
            line = reader.line_num
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                bad.append(BadRow(str(p), line, "field count",
                                  f"{len(rec)} fields, header has {len(header)}"))
                continue
            try:
                t = _parse_time(rec[cols[tcol]])
            except ValueError:
                bad.append(BadRow(str(p), line, "bad time", rec[cols[tcol]]))
                continue
            src, dst = (normalise_address(rec[cols[k]]) for k in ("from", "to"))
            if not src or not dst:
                bad.append(BadRow(str(p), line, "missing address", f"from={src!r} to={dst!r}"))
                continue
            try:
                v = _parse_value(rec[cols[vcol]])
            except ValueError as exc:
                bad.append(BadRow(str(p), line, "bad value", str(exc)))
                continue
            tx = rec[cols["tx_hash"]].strip() if "tx_hash" in cols else ""
            asset = rec[cols["asset"]].strip() if "asset" in cols else ""
            rows["time"].append(t)
            rows["tx_hash"].append(tx or None)
            rows["from"].append(src)
            rows["to"].append(dst)
            rows["value"].append(v)
            rows["asset"].append(asset or default_asset)
            rows["line"].append(line)
    lacks = []
    if found == "dune-lazarus":
        lacks = ["tx_hash (no transaction hashes)",
                 "internal transfers (contract-to-address value, e.g. the bridge payout itself)",
                 "token amounts (an ERC-20 transfer shows as a 0-ETH call to the token contract)",
                 "transfers not touching the 8 OFAC-listed addresses (deposits to Tornado Cash "
                 "by the next hop, exchange deposits)"]
    elif "tx_hash" not in cols:
        lacks = ["tx_hash"]
    return TransferRead(str(p), found, pl.DataFrame(rows, schema=TRANSFER_SCHEMA), bad, lacks)


@dataclass
class UtxoRead:
    """UTXO transactions as an inputs table and an outputs table (values in BTC)."""

    path: str
    inputs: pl.DataFrame
    outputs: pl.DataFrame
    bad_rows: list[BadRow] = field(default_factory=list)


INPUT_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "tx_hash": pl.String, "time": pl.Datetime("us", "UTC"), "index": pl.Int64,
    "address": pl.String, "value": pl.Float64, "spent_tx_hash": pl.String,
    "spent_output_index": pl.Int64}
OUTPUT_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "tx_hash": pl.String, "time": pl.Datetime("us", "UTC"), "index": pl.Int64,
    "address": pl.String, "value": pl.Float64}


def _utxo_address(part: dict[str, Any]) -> str:
    addrs = part.get("addresses") or []
    if not isinstance(addrs, list) or not addrs:
        raise ValueError("no address")
    # Bare multisig outputs list several keys; bitcoin-etl joins them the same way.
    return ",".join(str(a) for a in addrs)


def read_utxo(path: Path | str) -> UtxoRead:
    """Read bitcoin-etl ``transactions`` JSON lines (``hash``, ``block_timestamp``,
    ``inputs``/``outputs`` arrays with ``addresses`` and ``value`` in satoshi) into inputs and
    outputs tables. Coinbase transactions have no inputs. Bad lines are returned with reasons."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    ins: dict[str, list[Any]] = {k: [] for k in INPUT_SCHEMA}
    outs: dict[str, list[Any]] = {k: [] for k in OUTPUT_SCHEMA}
    bad: list[BadRow] = []
    with p.open(encoding="utf-8") as fh:
        for line, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            try:
                tx = json.loads(text)
            except json.JSONDecodeError as exc:
                bad.append(BadRow(str(p), line, "bad JSON", exc.msg))
                continue
            if not isinstance(tx, dict) or not tx.get("hash"):
                bad.append(BadRow(str(p), line, "no transaction hash"))
                continue
            try:
                t = _parse_time(str(tx["block_timestamp"]))
                staged_in = [(int(i.get("index", n)), _utxo_address(i),
                              int(i["value"]) / SATOSHI_PER_BTC, i.get("spent_transaction_hash"),
                              i.get("spent_output_index"))
                             for n, i in enumerate(tx.get("inputs") or [])]
                staged_out = [(int(o.get("index", n)), _utxo_address(o),
                               int(o["value"]) / SATOSHI_PER_BTC)
                              for n, o in enumerate(tx.get("outputs") or [])]
            except (KeyError, ValueError, TypeError) as exc:
                bad.append(BadRow(str(p), line, "bad transaction", f"{tx.get('hash')}: {exc}"))
                continue
            if not staged_out:
                bad.append(BadRow(str(p), line, "no outputs", str(tx["hash"])))
                continue
            if any(v < 0 for *_, v in staged_out) or any(r[2] < 0 for r in staged_in):
                bad.append(BadRow(str(p), line, "negative value", str(tx["hash"])))
                continue
            for idx, addr, v, sh, so in staged_in:
                for k, x in zip(INPUT_SCHEMA, (tx["hash"], t, idx, addr, v, sh, so), strict=True):
                    ins[k].append(x)
            for idx, addr, v in staged_out:
                for k, x in zip(OUTPUT_SCHEMA, (tx["hash"], t, idx, addr, v), strict=True):
                    outs[k].append(x)
    return UtxoRead(str(p), pl.DataFrame(ins, schema=INPUT_SCHEMA),
                    pl.DataFrame(outs, schema=OUTPUT_SCHEMA), bad)


def utxo_transfers(utxo: UtxoRead, asset: str = "BTC") -> pl.DataFrame:
    """Address-to-address transfers from UTXO transactions, in :data:`TRANSFER_SCHEMA`: each
    output's value is split over the transaction's input addresses in proportion to what each
    put in (so that taint methods see the transaction as one mixing step, as in Möser et al.
    2014). Coinbase outputs come ``from`` the pseudo-address ``coinbase``."""
    ins = utxo.inputs.group_by("tx_hash", "address").agg(pl.col("value").sum().alias("in_v"))
    tot = ins.group_by("tx_hash").agg(pl.col("in_v").sum().alias("in_total"))
    ins = ins.join(tot, on="tx_hash").with_columns(
        share=pl.when(pl.col("in_total") > 0).then(pl.col("in_v") / pl.col("in_total"))
        .otherwise(1.0 / pl.len().over("tx_hash")))
    outs = utxo.outputs.join(ins.select("tx_hash", pl.col("address").alias("from"), "share"),
                             on="tx_hash", how="left")
    return outs.select(
        "time", "tx_hash", pl.col("from").fill_null("coinbase"), pl.col("address").alias("to"),
        (pl.col("value") * pl.col("share").fill_null(1.0)).alias("value"),
        pl.lit(asset).alias("asset"), pl.col("index").cast(pl.Int64).alias("line"),
    ).sort("time", "tx_hash", "line")


@dataclass(frozen=True)
class Label:
    """What a TagPack says about an address."""

    address: str
    label: str
    category: str
    source: str
    currency: str = ""
    denomination: float | None = None


def _category(tag: dict[str, Any], pack: dict[str, Any]) -> str:
    for key in ("category", "abuse"):
        v = tag.get(key) or pack.get(key)
        if v:
            return {"service_hack": "hack", "sanction": "sanctioned"}.get(str(v), str(v))
    return "unknown"


def read_tagpacks(paths: Iterable[Path | str]) -> tuple[dict[str, Label], list[BadRow]]:
    """Labels from GraphSense TagPack YAML files, keyed by :func:`normalise_address`.

    A tag inherits ``label``, ``category`` (else ``abuse``) and ``currency`` from its pack
    header. Mixer tags of the form ``Tornado.Cash: 100 ETH`` (or with a ``denomination``
    field) carry their pool denomination. When two packs label one address, the one with a
    service category (exchange, mixer, bridge) wins, else the first read."""
    out: dict[str, Label] = {}
    bad: list[BadRow] = []
    for path in paths:
        p = Path(path)
        try:
            pack = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CryptoFormatError(f"{p}: not YAML ({exc})") from None
        if not isinstance(pack, dict) or not isinstance(pack.get("tags"), list):
            raise CryptoFormatError(f"{p}: not a TagPack (no 'tags' list)")
        for n, tag in enumerate(pack["tags"], start=1):
            if not isinstance(tag, dict) or not tag.get("address"):
                bad.append(BadRow(str(p), n, "tag without address", str(tag)[:80]))
                continue
            label = str(tag.get("label") or pack.get("label") or pack.get("title") or "")
            m = _DENOM.match(label)
            denom = tag.get("denomination")
            lab = Label(normalise_address(str(tag["address"])), label, _category(tag, pack),
                        p.name, str(tag.get("denomination_asset") or tag.get("currency")
                                    or pack.get("currency") or ""),
                        float(denom) if denom is not None else
                        float(m.group(1).replace(",", "")) if m else None)
            prev = out.get(lab.address)
            if prev is None or (lab.category in SERVICE_CATEGORIES
                                and prev.category not in SERVICE_CATEGORIES):
                out[lab.address] = lab
    return out, bad


def shipped_service_labels() -> dict[str, Label]:
    """The service labels shipped with sanctionwatch (``data/crypto/services.yaml``: Tornado
    Cash pools with their denominations, exchanges, bridges; provenance in the data folder)."""
    ref = resources.files("sanctionwatch") / "data" / "crypto" / "services.yaml"
    with resources.as_file(ref) as p:
        return read_tagpacks([p])[0]


@dataclass(frozen=True)
class Seed:
    """An OFAC SDN digital-currency address used as a trace seed."""

    address: str
    currency: str
    entity: str
    program: str
    uid: str
    case_known: bool
    line: int = 0
    """1-based line of the row in the SDN crypto-address CSV (0: not read from one)."""


def read_ofac_seeds(path: Path | str,
                    program_contains: str = "") -> tuple[list[Seed], list[BadRow]]:
    """Seeds from an SDN crypto-address CSV (``address, currency, sdn_entity, sdn_program,
    sdn_uid, case_status``; the shared ``dprk_ofac_crypto_addresses.csv`` layout), keeping rows
    whose program contains ``program_contains``. ``case_known`` is false for addresses only
    known lower-cased (see :func:`match_seed`)."""
    p = Path(path)
    seeds: list[Seed] = []
    bad: list[BadRow] = []
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        need = {"address", "currency", "sdn_entity", "sdn_program", "sdn_uid"}
        if not need <= set(reader.fieldnames or []):
            raise CryptoFormatError(f"{p}: needs columns {sorted(need)}")
        for row in reader:
            addr = (row.get("address") or "").strip()
            if not addr:
                bad.append(BadRow(str(p), reader.line_num, "missing address"))
                continue
            if program_contains and program_contains not in (row.get("sdn_program") or ""):
                continue
            status = (row.get("case_status") or "").lower()
            seeds.append(Seed(normalise_address(addr), row["currency"].strip(),
                              row["sdn_entity"].strip(), row["sdn_program"].strip(),
                              row["sdn_uid"].strip(), "lower-case only" not in status
                              and "lowercase only" not in status, reader.line_num))
    return seeds, bad


def match_seed(address: str, seeds: Iterable[Seed]) -> Seed | None:
    """The seed naming ``address``: exact for addresses whose case is known (hex is compared
    lower-cased anyway), case-insensitive for those the SDN copy only has in lower case."""
    a = normalise_address(address)
    for s in seeds:
        if s.address == a or (not s.case_known and s.address.lower() == a.lower()):
            return s
    return None


def sdn_labels(addresses: Iterable[str], seeds: Iterable[Seed],
               source: str = "OFAC SDN") -> dict[str, Label]:
    """Labels (category ``sanctioned``) for those of ``addresses`` on the SDN list, naming the
    entity, program and SDN uid; matched as :func:`match_seed` does."""
    listed = list(seeds)
    out: dict[str, Label] = {}
    for a in addresses:
        s = match_seed(a, listed)
        if s is not None:
            out[normalise_address(a)] = Label(
                normalise_address(a), f"OFAC SDN: {s.entity} ({s.program}, uid {s.uid})",
                "sanctioned", source, s.currency)
    return out


__all__ = ["DUNE_COLUMNS", "GENERIC_COLUMNS", "LAYOUTS", "SERVICE_CATEGORIES", "TRANSFER_SCHEMA",
           "BadRow", "CryptoFormatError", "Label", "Seed", "TransferRead", "UtxoRead",
           "match_seed", "normalise_address", "read_ofac_seeds", "read_tagpacks",
           "read_transfers", "read_utxo", "sdn_labels", "shipped_service_labels", "utxo_transfers"]
