"""Wallet and card-account alerts: the addresses of stored crypto traces and the accounts of
stored ATM cash-out alerts, scored and ranked beside the vessels (``sanctionwatch alerts
--kind wallet|account``).

A subject's score is the noisy-OR of its weighted indicators, exactly as a vessel's
(:func:`sanctionwatch.risk.model.combine`): ``1 - prod(1 - weight_i * score_i)``, one strong
indicator deciding alone (a wallet held by a designated entity scores 1), several weak ones
adding up. Every indicator states its figures in one sentence and cites the stored rows behind
it (``crypto_addresses`` run, input ``file:line``, list record, cash-out alert id).

Wallet indicators (one row per address over every stored trace run):

- ``designated``: the wallet's graph node is designated, or reaches a designated entity through
  list and address-list links only (holder, linked, ...; never through a traced transfer),
  ``path_decay_per_hop`` per link past the first;
- ``taint``: the share of the value it received that was stolen, times how much of
  ``taint_full_coins`` it received, halved (``undesignated_seed_factor``) when none of the run's
  seeds is held by a designated entity;
- ``mixer``: a Tornado-style batch of fixed-denomination deposits (``mixer_batch``) or transfers
  staged for them (``mixer_staging``), or a mixer pool itself;
- ``exchange``: an exchange deposit address or a labelled exchange the stolen funds reached:
  where they can be frozen;
- ``laundering``: peel chain, fan-out to fresh addresses, or a recipient of a fan-out.

Account indicators (one row per BIN and account over every stored cash-out run): ``burst``,
``balance`` and ``ledger``, one per rule of :mod:`sanctionwatch.finance.cashout`, each scoring
the share of ``alerts_full_count`` alerts of that rule naming the account.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sanctionwatch.risk.model import IndicatorResult, combine

if TYPE_CHECKING:
    from sanctionwatch.linking.graph import EntityGraph, GraphPath

KINDS = ("wallet", "account")
"""Kinds of finance alert subjects."""


@dataclass(frozen=True)
class FinanceAlertParams:
    """Weights (unitless, 0..1) and thresholds (units in the names) of the wallet and account
    alerts; every default says where it comes from."""

    weight_designated: float = 1.0
    """As ``RiskParams.weight_designated``: an address an SDN entry holds is the finding an
    investigator wants first (OFAC lists the Ronin exploiter's address under LAZARUS GROUP)."""
    weight_taint: float = 0.8
    """Chosen by us: funds traced from a designated holder's address are the laundering an
    investigator follows (Ronin: intermediaries, then Tornado Cash, then exchanges; Elliptic,
    tayvano's ronin_bridge.md); below a listing because taint rules (docs/crypto.md) are a
    model of the money, not a fact."""
    weight_mixer: float = 0.6
    """Chosen by us: batches of 100-ETH deposits are the Ronin laundering's signature (tayvano,
    ronin_bridge.md: 1,750 deposits), but mixers also serve ordinary privacy."""
    weight_exchange: float = 0.6
    """Chosen by us: an exchange deposit address reached by stolen funds is where they can be
    frozen (Elliptic on Ronin: FTX, Huobi, Crypto.com); it names the exchange's customer, not
    the thief, hence below a listing."""
    weight_laundering: float = 0.5
    """Chosen by us: peel chains (Meiklejohn et al. 2013) and fan-outs to fresh addresses are
    laundering patterns, but wallets also split funds for ordinary reasons."""
    weight_burst: float = 0.9
    """Chosen by us: a burst of withdrawals over many countries on one BIN is the FASTCash
    cash-out itself (Cosmos Bank 2018: 14,000 withdrawals in 28 countries, as the Panel reports)."""
    weight_balance: float = 0.7
    """Chosen by us: approvals on a zero-balance account are FASTCash's forged responses
    (CISA AA20-239A), but a bank's overdraft rules can show the same."""
    weight_ledger: float = 0.7
    """Chosen by us: approvals with no ledger debit are the switch bypass of CISA AA20-239A;
    a delayed ledger posting can show the same."""

    taint_full_coins: float = 100.0
    """Tainted value received (units of the traced asset) at which ``taint`` scores its full
    share. 100: the largest Tornado Cash ETH pool, the unit the Ronin funds were laundered in;
    smaller receipts score pro rata (dust of a poisoning transfer scores next to nothing)."""
    undesignated_seed_factor: float = 0.5
    """``taint`` is multiplied by this when none of the run's seeds is held by a designated
    entity. Chosen by us: a seed an analyst typed is a suspicion, a listed address a fact."""
    path_decay_per_hop: float = 0.6
    """``designated`` scores 1 at one link (the holder) and this times less per further link,
    as ``RiskParams.ownership_decay_per_hop``."""
    graph_max_hops: int = 2
    """Links followed from a wallet to a designated entity: the holder, and an entity the list
    links to it. Chosen by us: further links say more about the list than about the wallet."""
    staging_score: float = 0.8
    """``mixer`` score of transfers staged for fixed-denomination deposits whose deposits the
    data does not show (``mixer_staging``); 1 for the deposits themselves. Chosen by us."""
    fan_out_recipient_score: float = 0.6
    """``laundering`` score of a recipient of a fan-out (1 for a peel chain, 0.8 for the
    fanning address). Chosen by us: one of many fresh addresses, each holding a slice."""
    alerts_full_count: int = 1
    """Cash-out alerts of one rule naming an account for that rule's full score. Chosen by us:
    one FASTCash alert is the finding; more add nothing but evidence."""

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.startswith("weight_") or f.name in ("undesignated_seed_factor",
                                                       "path_decay_per_hop", "staging_score",
                                                       "fan_out_recipient_score"):
                if not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
                    raise ValueError(f"{f.name} must be between 0 and 1, got {v!r}")
            elif isinstance(v, float) and (not math.isfinite(v) or v <= 0.0):
                raise ValueError(f"{f.name} must be a positive number, got {v!r}")
            elif isinstance(v, int) and v < 1:
                raise ValueError(f"{f.name} must be at least 1, got {v!r}")

    def to_dict(self) -> dict[str, Any]:
        """Every parameter, as plain data."""
        return asdict(self)

    @classmethod
    def from_toml(cls, path: str | Path) -> FinanceAlertParams:
        """The ``[finance_alerts]`` table of a TOML file (defaults when it has none); an
        unknown key or a wrong type is a ``ValueError`` naming the file and key."""
        from sanctionwatch.config import ConfigError, _build, read_toml_table

        table = read_toml_table(path, "finance_alerts", "the alert parameters")
        try:
            params: FinanceAlertParams = _build(cls, table, "finance_alerts")
        except ConfigError as exc:
            raise ValueError(f"{Path(path)}: {exc}") from None
        return params


@dataclass(frozen=True)
class FinanceAlert:
    """One wallet's or card account's alert: its score and why."""

    kind: str
    """``wallet`` or ``account``."""
    subject: str
    """The graph node id: ``wallet:<address>`` (a listed wallet's own id when a list names it)
    or ``account:<bin>:<account>``."""
    key: str
    """What a person types: the address, or ``<bin>:<account>``."""
    label: str
    score: float
    indicators: list[IndicatorResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    """Explanations of the indicators that scored, largest contribution first."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The figures behind it (wallet: role, taint, hops, tainted_in_coins, asset, runs, holder;
    account: bin, alerts, rules, alert_transactions and alert_amount_usd (of its alerts, all
    their accounts together: the stored alerts do not split them by account), countries)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {"kind": self.kind, "subject": self.subject, "key": self.key,
                "label": self.label, "score": round(self.score, 4),
                "reasons": list(self.reasons), "facts": dict(self.facts),
                "indicators": [i.to_dict() for i in self.indicators]}


def _alert(kind: str, subject: str, key: str, label: str, found: list[IndicatorResult],
           facts: dict[str, Any]) -> FinanceAlert:
    scored = sorted((i for i in found if i.score > 0), key=lambda i: -i.contribution)
    return FinanceAlert(kind, subject, key, label, combine(found), found,
                        [i.explanation for i in scored], facts)


# -- wallets ----------------------------------------------------------------------------------


def designated_paths(graph: EntityGraph, node: str, max_hops: int) -> list[GraphPath]:
    """Paths from ``node`` to designated entities that follow no traced transfer
    (``funded_by``): what the lists say about the wallet, fewest links first."""
    return [p for p in graph.paths_to_designated(node, max_hops)
            if all(lk.relation != "funded_by" for lk in p.links)]


def _designated(paths: list[GraphPath], p: FinanceAlertParams) -> IndicatorResult:
    if not paths:
        return IndicatorResult("designated", 0.0, p.weight_designated,
                               "No list links it to a designated entity.")
    best = paths[0]
    score = p.path_decay_per_hop ** max(best.hops - 1, 0)
    return IndicatorResult("designated", score, p.weight_designated, best.explain(),
                           tuple(lk.provenance() for lk in best.links))


def _where(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(f"crypto_addresses run {r['run_id']}" for r in rows)


def wallet_alerts(
    addresses: pl.DataFrame,
    graph: EntityGraph,
    params: FinanceAlertParams | None = None,
) -> list[FinanceAlert]:
    """Every address of the stored traces (``crypto_addresses`` rows, every run) scored,
    highest first (ties by address)."""
    p = params or FinanceAlertParams()
    by_address: dict[str, list[dict[str, Any]]] = {}
    for r in addresses.sort("run_id", "address").iter_rows(named=True):
        by_address.setdefault(r["address"].casefold(), []).append(r)
    seeds_held: dict[str, bool] = {}
    for rows in by_address.values():
        for r in rows:
            if r["role"] == "seed":
                seeds_held[r["run_id"]] = seeds_held.get(r["run_id"], False) or bool(
                    r["holder_entity_id"]) or _held(graph, r["address"], p)
    out = []
    for rows in by_address.values():
        out.append(_wallet_alert(rows, graph, p, seeds_held))
    out.sort(key=lambda a: (-a.score, -a.facts["tainted_in_coins"], a.key))
    return out


def _held(graph: EntityGraph, address: str, p: FinanceAlertParams) -> bool:
    node = graph.wallet_node(address)
    return node is not None and bool(designated_paths(graph, node, p.graph_max_hops))


def _wallet_alert(rows: list[dict[str, Any]], graph: EntityGraph, p: FinanceAlertParams,
                  seeds_held: dict[str, bool]) -> FinanceAlert:
    address = rows[-1]["address"]
    node = graph.wallet_node(address) or f"wallet:{address}"
    attrs = graph.graph.nodes[node] if node in graph.graph else {}
    paths = designated_paths(graph, node, p.graph_max_hops) if node in graph.graph else []
    best = max(rows, key=lambda r: (r["taint"] * r["tainted_in_coins"], r["run_id"]))
    asset = best["asset"]
    roles = sorted({r["role"] for r in rows})
    findings = sorted({f for r in rows for f in r["findings"].split(";") if f})
    categories = {r["category"] for r in rows if r["category"]}
    found = [_designated(paths, p)]

    # taint: only addresses that received something; a seed's own taint is the premise
    tainted_in = float(best["tainted_in_coins"])
    if "seed" in roles or tainted_in <= 0:
        found.append(IndicatorResult("taint", 0.0, p.weight_taint,
                                     "A seed of the trace (taint is what it sent)."
                                     if "seed" in roles else "No tainted value received."))
    else:
        held = seeds_held.get(best["run_id"], False)
        amount = min(1.0, tainted_in / p.taint_full_coins)
        score = best["taint"] * amount * (1.0 if held else p.undesignated_seed_factor)
        found.append(IndicatorResult(
            "taint", score, p.weight_taint,
            f"Received {tainted_in:,.4f} {asset} of stolen funds ({best['taint']:.0%} of what "
            f"it received), {best['hops']} hop{'s' if best['hops'] != 1 else ''} from "
            + ("a seed held by a designated entity" if held else "an unlisted seed")
            + f" (run {best['run_id']}).",
            _where([best])))
    # mixer
    mixer = 0.0
    if "mixer_batch" in findings or "mixer" in categories:
        mixer = 1.0
        why = ("Made a batch of fixed-denomination mixer deposits." if "mixer_batch" in findings
               else f"A mixer ({best['label'] or 'labelled mixer'}) the stolen funds reached.")
    elif "mixer_staging" in findings:
        mixer = p.staging_score
        why = "Received stolen funds in amounts staged for fixed-denomination mixer deposits."
    else:
        why = "No mixer pattern."
    found.append(IndicatorResult("mixer", mixer, p.weight_mixer, why,
                                 _where(rows) if mixer else ()))
    # exchange
    exch = 1.0 if ("exchange_deposit" in roles or "exchange_deposit" in findings
                   or "exchange" in categories) else 0.0
    found.append(IndicatorResult(
        "exchange", exch, p.weight_exchange,
        ("An exchange deposit endpoint of the stolen funds"
         + (f" ({best['label']})" if best["label"] else "") + ": where they can be frozen.")
        if exch else "No exchange endpoint.", _where(rows) if exch else ()))
    # laundering patterns
    pattern = ""
    laund = 0.0
    if "peel_chain" in findings or "peel_chain" in roles:
        laund, pattern = 1.0, "peel chain"
    elif "fan_out" in findings:
        laund, pattern = 0.8, "fan-out to fresh addresses"
    elif "fan_out_recipient" in findings:
        laund, pattern = p.fan_out_recipient_score, "recipient of a fan-out"
    found.append(IndicatorResult(
        "laundering", laund, p.weight_laundering,
        f"Laundering pattern: {pattern}." if laund else "No laundering pattern.",
        _where(rows) if laund else ()))
    holder = next((r["holder_entity_id"] for r in rows if r["holder_entity_id"]), None)
    facts = {"address": address, "roles": roles, "findings": findings,
             "label": best["label"], "taint": round(float(best["taint"]), 4),
             "hops": min(int(r["hops"]) for r in rows),
             "tainted_in_coins": round(tainted_in, 6), "asset": asset,
             "runs": sorted({r["run_id"] for r in rows}), "holder_entity_id": holder,
             "designated": [p_.labels[-1] for p_ in paths]}
    label = ", ".join(roles) + (f": {best['label']}" if best["label"] else "")
    if node in graph.graph and graph.graph.nodes[node].get("entity_ids"):
        label += f" (listed wallet {attrs.get('label') or node})"
    return _alert("wallet", node, address, label, found, facts)


# -- card accounts ----------------------------------------------------------------------------

_RULE_WEIGHT = {"burst": "weight_burst", "balance": "weight_balance", "ledger": "weight_ledger"}
_RULE_WHAT = {"burst": "burst of withdrawals across countries",
              "balance": "approvals above the ledger balance",
              "ledger": "approvals with no ledger debit"}


def account_alerts(alerts: pl.DataFrame,
                   params: FinanceAlertParams | None = None) -> list[FinanceAlert]:
    """Every card account of the stored cash-out alerts (``cashout_alerts`` rows, every run)
    scored, highest first (ties by BIN and account)."""
    p = params or FinanceAlertParams()
    by_account: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in alerts.sort("run_id", "alert_id").iter_rows(named=True):
        for account in r["accounts"]:
            by_account.setdefault((r["bin"], account), []).append(r)
    out = []
    for (bin_, account), rows in by_account.items():
        found = []
        for rule, wname in _RULE_WEIGHT.items():
            hit = [r for r in rows if r["rule"] == rule]
            score = min(1.0, len(hit) / p.alerts_full_count)
            if hit:
                n_tx = sum(int(r["n_transactions"]) for r in hit)
                countries = sorted({c for r in hit for c in r["countries"]})
                n_acc = len({a for r in hit for a in r["accounts"]})
                why = (f"Named in {len(hit)} {rule} alert{'s' if len(hit) > 1 else ''} "
                       f"({_RULE_WHAT[rule]}) of {n_tx:,} authorisations on {n_acc} "
                       f"account{'s' if n_acc > 1 else ''} in {len(countries)} "
                       f"countr{'ies' if len(countries) != 1 else 'y'}, first "
                       f"{_iso(hit[0]['start_time'])}.")
            else:
                why = f"No {rule} alert."
            found.append(IndicatorResult(
                rule, score, float(getattr(p, wname)), why,
                tuple(f"cashout_alerts {r['run_id']} {r['alert_id']} ({r['source_file']})"
                      for r in hit)))
        facts = {"bin": bin_, "account": account,
                 "alerts": [f"{r['run_id']}:{r['alert_id']}" for r in rows],
                 "rules": sorted({r["rule"] for r in rows}),
                 "alert_transactions": sum(int(r["n_transactions"]) for r in rows),
                 "alert_amount_usd": round(sum(float(r["amount_usd"]) for r in rows), 2),
                 "countries": sorted({c for r in rows for c in r["countries"]})}
        out.append(_alert("account", f"account:{bin_}:{account}", f"{bin_}:{account}",
                          f"account {account} (BIN {bin_})", found, facts))
    out.sort(key=lambda a: (-a.score, -a.facts["alert_transactions"], a.key))
    return out


def _iso(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if hasattr(value, "strftime") else str(value)


# -- from a store -----------------------------------------------------------------------------


def rank_finance(
    store_path: str | Path,
    kinds: Iterable[str] = KINDS,
    params: FinanceAlertParams | None = None,
    graph: EntityGraph | None = None,
) -> list[FinanceAlert]:
    """The wallet and/or account alerts of the store, highest score first (ties: wallets by
    tainted value received, accounts by their alerts' authorisations, largest first; the
    store's entity graph built when not given and needed)."""
    from sanctionwatch.linking.graph_build import read_crypto

    want = set(kinds)
    unknown = want - set(KINDS)
    if unknown:
        raise ValueError(f"unknown alert kind {sorted(unknown)[0]!r}: choose from "
                         f"{', '.join(KINDS)}")
    path = Path(store_path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no store here")
    addresses, _, cashout = read_crypto(path, None)
    out: list[FinanceAlert] = []
    if "wallet" in want and addresses.height:
        if graph is None:
            from sanctionwatch.findings import entity_graph

            graph = entity_graph(path)
        out += wallet_alerts(addresses, graph, params)
    if "account" in want and cashout.height:
        out += account_alerts(cashout, params)
    out.sort(key=lambda a: -a.score)  # stable: ties keep each kind's own order
    return out


__all__ = ["KINDS", "FinanceAlert", "FinanceAlertParams", "account_alerts", "designated_paths",
           "rank_finance", "wallet_alerts"]
