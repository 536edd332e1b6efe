"""Building the relationship graph (:mod:`sanctionwatch.linking.graph`) from its sources.

List entities become nodes; FtM relationship entities, the lists' remarks, registry rows,
encounter and shared-IMO events and vessel matches become links. Names (a registry owner, a
remark's company, an unresolved OFAC ``Linked To``) are resolved to listed entities with the
screening matcher (:class:`sanctionwatch.screening.Screener`, its default threshold): the best
match of each list above the threshold; a name that matches nothing becomes a ``name:`` node.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import polars as pl

from sanctionwatch.linking.graph import Canonical, Link, entities_with_provenance
from sanctionwatch.linking.remarks import VesselNames, company_remark_facts, vessel_remark_facts

if TYPE_CHECKING:
    from followthemoney.proxy import EntityProxy

    from sanctionwatch.screening.screen import Match, Screener

_KIND = {"Vessel": "vessel", "Company": "company", "Organization": "organisation",
         "PublicBody": "organisation", "LegalEntity": "legal_entity", "Person": "person",
         "Address": "address", "Airplane": "aircraft", "CryptoWallet": "wallet"}

# FtM relationship schema → (relation, property of the link's source, property of its target)
_EDGES: dict[str, tuple[str, str, str]] = {
    "Ownership": ("owner", "asset", "owner"),
    "Directorship": ("director", "organization", "director"),
    "UnknownLink": ("linked", "subject", "object"),
    "Family": ("family", "person", "relative"),
    "Associate": ("associate", "person", "associate"),
    "Representation": ("linked", "client", "agent"),
    "Employment": ("linked", "employer", "employee"),
    "Membership": ("linked", "organization", "member"),
}
# entity props → relation: a Vessel's owner and operator, a CryptoWallet's holder
_ENTITY_PROPS = (("owner", "owner"), ("operator", "operator"), ("holder", "holder"))
_NAME_RE = re.compile(r"[^0-9A-Z]+")
AMBIGUOUS_SCORE_GAP = 0.02
"""Two entries of one list matching a name within this score of each other are both as likely:
the name is left unresolved rather than linked to either (sanctionwatch choice: the matcher's
scores differ by at least this for a better name)."""


def name_node(name: str) -> str:
    """The node id of a party known only by name: ``name:`` and the name upper-cased with
    every run of other characters as one space."""
    return "name:" + _NAME_RE.sub(" ", name.upper()).strip()


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _imo(value: object) -> int | None:
    from sanctionwatch.screening.matcher import normalize_imo

    return normalize_imo(value)


class _Builder:
    def __init__(self, canonical: Canonical) -> None:
        self.g = nx.MultiDiGraph()
        self.canon = canonical
        self.stats: Counter[str] = Counter()
        self.unresolved: list[str] = []
        self._screener: Screener | None = None
        self._legal: list[EntityProxy] = []
        self._resolved: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.prov: dict[str, tuple[str, date, str] | None] = {}
        self.by_ref: dict[str, str] = {}
        self.imo_index: dict[int, list[str]] = {}  # IMO → vessel nodes carrying it

    # -- nodes ---------------------------------------------------------------------------------

    def node(self, node: str, *, kind: str, label: str, designated: bool = False,
             datasets: Iterable[str] = (), entity_ids: Iterable[str] = (),
             imos: Iterable[int] = (), mmsis: Iterable[str] = (),
             designations: Iterable[str] = (), addresses: Iterable[str] = ()) -> str:
        g = self.g
        if node not in g:
            g.add_node(node, kind=kind, label=label, designated=False, datasets=[],
                       entity_ids=[], imos=[], mmsis=[], designations=[], addresses=[])
        a = g.nodes[node]
        if a["kind"] in ("other", "party") and kind not in ("other", "party"):
            a["kind"] = kind
        if designated and not a["designated"]:
            a["label"] = label  # a merged node reads as its designated entry
        a["designated"] = a["designated"] or designated
        for key, values in (("datasets", datasets), ("entity_ids", entity_ids), ("imos", imos),
                            ("mmsis", mmsis), ("designations", designations),
                            ("addresses", addresses)):
            for v in values:
                if v not in a[key]:
                    a[key].append(v)
        if a["kind"] == "vessel":
            for imo in a["imos"]:
                held = self.imo_index.setdefault(imo, [])
                if node not in held:
                    held.append(node)
        return node

    def edge(self, link: Link) -> None:
        if link.source == link.target:
            return  # one node after resolution (two entries of one ship, say)
        self.g.add_edge(link.source, link.target, key=link.key(), link=link)
        self.stats[f"{link.origin}:{link.relation}"] += 1

    # -- name resolution -----------------------------------------------------------------------

    def resolve(self, name: str, schema: str = "Organization") -> list[tuple[str, str]]:
        """(node, how) of the listed entities ``name`` matches: the best of each list."""
        key = (name, schema)
        if key in self._resolved:
            return self._resolved[key]
        if self._screener is None:
            from sanctionwatch.screening.index import ScreeningIndex
            from sanctionwatch.screening.screen import Screener

            self._screener = Screener(ScreeningIndex.from_entities(self._legal))
        per_list: dict[str, list[Match]] = {}
        for m in self._screener.screen(name, schema=schema, limit=10):
            if m.is_match:
                per_list.setdefault(m.datasets[0] if m.datasets else "", []).append(m)
        out_set: set[tuple[str, str]] = set()
        for ms in per_list.values():
            if len(ms) > 1 and ms[0].score - ms[1].score < AMBIGUOUS_SCORE_GAP:
                self.stats["ambiguous_names"] += 1
                self.unresolved.append(f"{name}: {ms[0].name} / {ms[1].name} in one list")
                continue
            out_set.add((self.canon(ms[0].entity_id),
                         f"name {name!r} matched {ms[0].name!r} (score {ms[0].score:.2f})"))
        out = sorted(out_set)
        self._resolved[key] = out
        return out

    def party(self, name: str, schema: str = "Organization") -> list[tuple[str, str]]:
        """The listed nodes ``name`` resolves to, else its ``name:`` node."""
        found = self.resolve(name, schema)
        if found:
            return found
        self.stats["name_nodes"] += 1
        node = self.node(name_node(name), kind="party", label=name)
        return [(node, f"name {name!r}: no listed entity matches")]

    # -- lists ---------------------------------------------------------------------------------

    def lists(self, entities: list[EntityProxy]) -> None:
        sanctioned: dict[str, list[str]] = {}
        by_ref: dict[str, str] = {}
        things: list[EntityProxy] = []
        links: list[EntityProxy] = []
        for e in entities:
            if e.schema.name == "Sanction":
                for target in e.get("entity"):
                    sanctioned.setdefault(target, []).append(_designation(e))
                    for ref in e.get("unscId"):
                        by_ref[ref.upper()] = target
            elif e.schema.is_a("Thing"):
                things.append(e)
            elif e.schema.name in _EDGES:
                links.append(e)
        self.prov = {_id(e): e.context.get("provenance") for e in entities}
        for e in things:
            eid = _id(e)
            designated = eid in sanctioned or "sanction" in e.get("topics", quiet=True)
            imos = [i for i in (_imo(v) for v in e.get("imoNumber", quiet=True)) if i]
            self.node(self.canon(eid), kind=_KIND.get(e.schema.name, "other"),
                      label=e.caption, designated=designated,
                      datasets=e.context.get("datasets", []), entity_ids=[eid],
                      imos=imos if e.schema.name == "Vessel" else [],
                      mmsis=e.get("mmsi", quiet=True),
                      designations=sanctioned.get(eid, []),
                      addresses=e.get("publicKey", quiet=True))
            if e.schema.is_a("LegalEntity"):
                self._legal.append(e)
        self.by_ref = {ref: self.canon(eid) for ref, eid in by_ref.items()}
        for e in links:
            self._ftm_link(e)
        for e in things:
            for prop, relation in _ENTITY_PROPS:
                for target in e.get(prop, quiet=True):
                    self.edge(self._list_link(e, self.canon(_id(e)), self._ref(target),
                                              relation))
            for target in e.get("addressEntity", quiet=True):
                self.edge(self._list_link(e, self.canon(_id(e)), self._ref(target), "address"))
        self._remarks(things)
        self._shared_list_imos()

    def _ref(self, entity_id: str) -> str:
        node = self.canon(entity_id)
        if node not in self.g:  # referred to, not in the loaded lists
            self.node(node, kind="other", label=entity_id, entity_ids=[entity_id])
        return node

    def _list_link(self, e: EntityProxy, source: str, target: str, relation: str,
                   origin: str = "list", detail: str = "") -> Link:
        p = self.prov.get(_id(e))
        datasets: list[str] = e.context.get("datasets") or []
        return Link(source, target, relation, origin,
                    dataset=p[0] if p else (datasets[0] if datasets else None),
                    list_date=p[1] if p else None, source_record=p[2] if p else None,
                    start=_first_day(e, "startDate"), end=_first_day(e, "endDate"),
                    detail=detail)

    def _ftm_link(self, e: EntityProxy) -> None:
        relation, src_prop, dst_prop = _EDGES[e.schema.name]
        sources, targets = e.get(src_prop), e.get(dst_prop)
        role = "; ".join(e.get("role", quiet=True) + e.get("relationship", quiet=True))
        named = e.get("namesMentioned", quiet=True)
        if sources and not targets and named:
            for name in named:  # e.g. an OFAC "Linked To" naming no entry of its own list
                for node, how in self.party(name, "LegalEntity"):
                    for s in sources:
                        self.edge(self._list_link(e, self._ref(s), node, relation,
                                                  detail="; ".join(filter(None, (role, how)))))
            return
        for s in sources:
            for t in targets:
                self.edge(self._list_link(e, self._ref(s), self._ref(t), relation,
                                          detail=role))

    def _remarks(self, things: list[EntityProxy]) -> None:
        vessels = [e for e in things if e.schema.name == "Vessel"]
        names = VesselNames((n, self.canon(_id(v))) for v in vessels
                            for n in v.get("name") + v.get("previousName") + v.get("alias"))
        for v in vessels:
            node = self.canon(_id(v))
            for note in v.get("notes"):
                for f in vessel_remark_facts(note):
                    if f.relation == "sts_partner":
                        found = self._vessels_named(names, f.name, v)
                        if not found:
                            self.stats["name_nodes"] += 1
                            found = [self.node(name_node(f.name), kind="vessel", label=f.name)]
                        targets = [(t, f"“{f.excerpt}”") for t in found if t != node]
                    elif f.ref and f.ref.upper() in self.by_ref:
                        targets = [(self.by_ref[f.ref.upper()], f"“{f.excerpt}”; UN reference")]
                    else:
                        targets = [(t, f"“{f.excerpt}”; {how}") for t, how in self.party(f.name)]
                    for t, how in targets:
                        self.edge(self._list_link(v, node, t, f.relation, "list_remark", how))
        for e in things:
            if e.schema.name == "Vessel" or not e.schema.is_a("LegalEntity"):
                continue
            for note in e.get("notes", quiet=True):
                for cf in company_remark_facts(note, names):
                    for vname in cf.vessel_names:
                        for vnode in self._vessels_named(names, vname, e):
                            for relation in cf.relations:
                                self.edge(self._list_link(e, vnode, self.canon(_id(e)), relation,
                                                          "list_remark", f"“{cf.excerpt}”"))

    def _vessels_named(self, names: VesselNames, name: str, by: EntityProxy) -> list[str]:
        """The listed vessels ``name`` names; when they carry different IMOs, those of the
        lists ``by`` comes from; none when still ambiguous (counted)."""
        found = sorted(names.lookup(name))
        if len({tuple(self.g.nodes[n]["imos"]) for n in found}) > 1:
            mine = set(by.context.get("datasets", []))
            found = [n for n in found if mine & set(self.g.nodes[n]["datasets"])]
            if len({tuple(self.g.nodes[n]["imos"]) for n in found}) > 1:
                self.stats["ambiguous_vessel_names"] += 1
                self.unresolved.append(f"{name} (named by {by.id}): several listed ships")
                return []
        return found

    def _shared_list_imos(self) -> None:
        for imo, nodes in sorted(self.imo_index.items()):
            nodes = sorted(nodes)
            for other in nodes[1:]:
                where = " and ".join(self._where(n) for n in (nodes[0], other))
                self.edge(Link(nodes[0], other, "same_imo", "list",
                               detail=f"IMO {imo} in {where}"))

    def _where(self, node: str) -> str:
        p = self.prov.get(self.g.nodes[node]["entity_ids"][0])
        return f"{p[0]} {p[1]} {p[2]}" if p else node

    # -- registry ------------------------------------------------------------------------------

    def registry(self, rows: pl.DataFrame) -> None:
        for r in rows.sort("imo", "date_from", "line", nulls_last=False).iter_rows(named=True):
            imo = int(r["imo"])
            vessel = self._imo_nodes(imo, r["name"])[0]
            for col, relation in (("registered_owner", "owner"), ("ship_manager", "manager"),
                                  ("operator", "operator")):
                if not r[col]:
                    continue
                for node, how in self.party(r[col]):
                    self.edge(Link(vessel, node, relation, "registry",
                                   source_file=r["source_file"], line=int(r["line"]),
                                   start=r["date_from"], end=r["date_to"],
                                   detail="; ".join(filter(None, (
                                       f"source: {r['source']}" if r["source"] else "", how)))))

    def _imo_nodes(self, imo: int, name: str | None = None) -> list[str]:
        """The listed vessels with this IMO (designated first), else its ``imo:`` node."""
        found = sorted(self.imo_index.get(imo, ()),
                       key=lambda n: (not self.g.nodes[n]["designated"], n.startswith("imo:"), n))
        if found:
            if name and found[0].startswith("imo:"):
                self.g.nodes[found[0]]["label"] = name  # the latest name read so far
            return found
        return [self.node(f"imo:{imo}", kind="vessel", label=name or f"IMO {imo}", imos=[imo])]

    # -- behaviour -----------------------------------------------------------------------------

    def ais(self, mmsi: int, name: str | None = None) -> str:
        node = self.node(f"mmsi:{mmsi}", kind="ais_vessel", label=f"MMSI {mmsi}",
                         mmsis=[str(mmsi)])
        if name and self.g.nodes[node]["label"] == f"MMSI {mmsi}":
            self.g.nodes[node]["label"] = f"MMSI {mmsi} {name}"
        return node

    def events(self, events: pl.DataFrame) -> set[tuple[int, int]]:
        pairs: set[tuple[int, int]] = set()
        cols = ("event_id", "event_type", "subtype", "mmsi", "other_mmsi", "start_time",
                "end_time", "details")
        for r in events.select(cols).iter_rows(named=True):
            if r["other_mmsi"] is None:
                continue
            a, b = int(r["mmsi"]), int(r["other_mmsi"])
            start, end = _as_date(r["start_time"]), _as_date(r["end_time"])
            if r["event_type"] == "encounter":
                self.edge(Link(self.ais(a), self.ais(b), "sts_partner", "event",
                               event_id=r["event_id"], start=start, end=end))
            elif r["event_type"] == "identity_change" and r["subtype"] == "shared_imo":
                imo = json.loads(r["details"] or "{}").get("imo")
                detail = f"both broadcast IMO {imo}" if imo else ""
                self.edge(Link(self.ais(a), self.ais(b), "same_imo", "event",
                               event_id=r["event_id"], detail=detail, start=start, end=end))
                pairs.add((min(a, b), max(a, b)))
                if imo and _imo(imo):
                    for m in (a, b):
                        for v in self._imo_nodes(int(imo)):
                            self.edge(Link(self.ais(m), v, "same_imo", "event",
                                           event_id=r["event_id"], detail=detail,
                                           start=start, end=end))
        return pairs

    def matches(self, matches: pl.DataFrame, pairs: set[tuple[int, int]]) -> None:
        by_imo: dict[int, set[int]] = {}
        for r in matches.filter(pl.col("is_match")).iter_rows(named=True):
            mmsi = int(r["mmsi"])
            node = self.ais(mmsi, r["ais_name"])
            self.edge(Link(node, self._ref(r["match_id"]), "listed_as", "vessel_match",
                           detail=f"matched on {r['matched_on']}, score {r['score']:.2f}: "
                           f"{r['explanation']}"))
            if r["imo"] is not None:
                by_imo.setdefault(int(r["imo"]), set()).add(mmsi)
        for imo, mmsis in sorted(by_imo.items()):
            ordered = sorted(mmsis)
            for other in ordered[1:]:
                if (ordered[0], other) not in pairs:
                    self.edge(Link(f"mmsi:{ordered[0]}", f"mmsi:{other}", "same_imo",
                                   "vessel_match", detail=f"both broadcast IMO {imo}"))

    # -- crypto traces -------------------------------------------------------------------------

    def crypto(self, addresses: pl.DataFrame, flows: pl.DataFrame) -> None:
        """Traced addresses as wallet nodes (the listed wallet with that address when there is
        one), each linked to its SDN holder and to the addresses that paid it tainted funds."""
        wallets: dict[str, list[str]] = {}
        for n, a in self.g.nodes(data=True):
            if a["kind"] == "wallet":
                for addr in a["addresses"]:
                    wallets.setdefault(addr.casefold(), []).append(str(n))
        nodes: dict[str, str] = {}

        def wallet(address: str, label: str = "") -> str:
            if address not in nodes:
                listed = sorted(wallets.get(address.casefold(), ()),
                                key=lambda n: (not self.g.nodes[n]["designated"], n))
                nodes[address] = listed[0] if listed else self.node(
                    f"wallet:{address}", kind="wallet",
                    label=f"{address} ({label})" if label else address, addresses=[address])
            node = nodes[address]
            if label and self.g.nodes[node]["label"] == address:
                self.g.nodes[node]["label"] = f"{address} ({label})"
            return node

        for r in addresses.sort("run_id", "address").iter_rows(named=True):
            node = wallet(r["address"], r["label"])
            if r["holder_entity_id"]:
                self.edge(Link(node, self._ref(r["holder_entity_id"]), "holder", "address_list",
                               source_file=r["holder_source_file"], line=r["holder_line"],
                               detail=r["label"]))
        for r in flows.sort("run_id", "time", "line").iter_rows(named=True):
            day = _as_date(r["time"])
            self.edge(Link(wallet(r["to_address"]), wallet(r["from_address"]), "funded_by",
                           "trace", source_file=r["source_file"], line=int(r["line"]),
                           start=day, end=day,
                           detail=f"{r['tainted_coins']:,.4f} of {r['value_coins']:,.4f} "
                           f"{r['asset']} tainted ({r['method']}, hop {r['hop']}, "
                           f"run {r['run_id']})"))


    # -- ATM cash-out alerts -------------------------------------------------------------------

    def cashout(self, alerts: pl.DataFrame) -> None:
        """Each alerted card account as a ``bank_account`` node linked to its BIN's
        ``card_issuer`` node, citing the alert."""
        for r in alerts.sort("run_id", "alert_id").iter_rows(named=True):
            issuer = self.node(f"bin:{r['bin']}", kind="card_issuer", label=f"BIN {r['bin']}")
            for account in r["accounts"]:
                node = self.node(f"account:{r['bin']}:{account}", kind="bank_account",
                                 label=f"account {account} (BIN {r['bin']})")
                self.edge(Link(node, issuer, "issuer", "cashout_alert",
                               source_file=r["source_file"], event_id=r["alert_id"],
                               start=_as_date(r["start_time"]), end=_as_date(r["end_time"]),
                               detail=f"{r['rule']} alert, run {r['run_id']}: "
                               f"{r['explanation']}"))


def _id(e: EntityProxy) -> str:
    if e.id is None:  # entities from statements always have one
        raise ValueError(f"{e.schema.name} entity without an id")
    return e.id


def _first_day(e: EntityProxy, prop: str) -> date | None:
    values = e.get(prop, quiet=True)
    return _day(values[0]) if values else None


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _designation(sanction: EntityProxy) -> str:
    """A sanction in a few words: ``UN KPe.020``, ``OFAC SDN 17068 [DPRK]``…"""
    un = sanction.get("unscId")
    if un:
        return f"UN {un[0]}"
    authority = (sanction.get("authority") or [""])[0]
    ident = (sanction.get("authorityId") or [""])[0]
    programs = sanction.get("program")
    listed = (sanction.get("listingDate") or [""])[0]
    if "1718" in authority:
        return "UN 1718 Committee" + (f", listed {listed}" if listed else "")
    short = "OFAC SDN" if "Foreign Assets Control" in authority else (authority or "listed")
    return " ".join(filter(None, (short, ident, f"[{', '.join(programs)}]" if programs else "")))


def build(
    entities: list[EntityProxy],
    registry: pl.DataFrame | None,
    events: pl.DataFrame | None,
    matches: pl.DataFrame | None,
    canonical: Canonical,
    crypto_addresses: pl.DataFrame | None = None,
    crypto_flows: pl.DataFrame | None = None,
    cashout_alerts: pl.DataFrame | None = None,
) -> tuple[nx.MultiDiGraph, dict[str, Any]]:
    """The graph and how it was built (links by ``origin:relation``, name nodes, ambiguous
    vessel names with examples)."""
    b = _Builder(canonical)
    b.lists(entities)
    if registry is not None and registry.height:
        b.registry(registry)
    pairs: set[tuple[int, int]] = set()
    if events is not None and events.height:
        pairs = b.events(events)
    if matches is not None and matches.height:
        b.matches(matches, pairs)
    if crypto_addresses is not None or crypto_flows is not None:
        from sanctionwatch.schema import CRYPTO_ADDRESSES, CRYPTO_FLOWS

        b.crypto(crypto_addresses if crypto_addresses is not None else CRYPTO_ADDRESSES.empty(),
                 crypto_flows if crypto_flows is not None else CRYPTO_FLOWS.empty())
    if cashout_alerts is not None and cashout_alerts.height:
        b.cashout(cashout_alerts)
    stats: dict[str, Any] = dict(sorted(b.stats.items()))
    stats["unresolved"] = b.unresolved
    return b.g, stats


def read_store(
    path: Path, as_of: date | None
) -> tuple[list[EntityProxy], pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """What the graph is built from, read from the store (read-only, closed before building)."""
    from sanctionwatch.sanctions.model import rows_to_statements
    from sanctionwatch.schema import EVENTS, SANCTION_STATEMENTS, VESSEL_MATCHES
    from sanctionwatch.store.access import connect
    from sanctionwatch.store.duck import read_table, table_columns
    from sanctionwatch.store.registry import registry_facts

    if not path.exists():
        raise FileNotFoundError(f"{path}: no store here (run `sanctionwatch lists load`)")
    con = connect(path, read_only=True)
    try:
        rows: list[tuple[object, ...]] = []
        if table_columns(con, "sanction_list_versions"):
            sql = "SELECT dataset, max(list_date) FROM sanction_list_versions"
            args: list[object] = []
            if as_of is not None:
                sql += " WHERE list_date <= ?"
                args.append(as_of)
            cols = ", ".join(f'"{c}"' for c in SANCTION_STATEMENTS.names)
            for ds, day in con.execute(sql + " GROUP BY dataset ORDER BY dataset",
                                       args).fetchall():
                rows += con.execute(
                    f"SELECT {cols} FROM sanction_statements WHERE dataset = ? AND "
                    "list_date = ? ORDER BY entity_id, prop, value", [ds, day]).fetchall()
        registry = registry_facts(con)
        events = EVENTS.empty()
        if table_columns(con, EVENTS.name):
            events = read_table(con, EVENTS, "start_time, event_id").filter(
                pl.col("event_type").is_in(["encounter", "identity_change"]))
        matches = read_table(con, VESSEL_MATCHES, "mmsi, match_id")
    finally:
        con.close()
    if as_of is not None:
        registry = registry.filter(pl.col("date_from").is_null()
                                   | (pl.col("date_from") <= as_of))
        events = events.filter(pl.col("start_time").dt.date() <= as_of)
    return entities_with_provenance(rows_to_statements(rows)), registry, events, matches


def read_crypto(
    path: Path, as_of: date | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The stored crypto traces (``crypto_addresses``, ``crypto_flows``) and ATM cash-out
    alerts (``cashout_alerts``), empty when none; transfers and alerts after ``as_of`` left
    out."""
    from sanctionwatch.schema import CASHOUT_ALERTS, CRYPTO_ADDRESSES, CRYPTO_FLOWS
    from sanctionwatch.store.access import connect
    from sanctionwatch.store.duck import read_table

    con = connect(path, read_only=True)
    try:
        addresses = read_table(con, CRYPTO_ADDRESSES, "run_id, address")
        flows = read_table(con, CRYPTO_FLOWS, "run_id, time, line")
        alerts = read_table(con, CASHOUT_ALERTS, "run_id, alert_id")
    finally:
        con.close()
    if as_of is not None:
        flows = flows.filter(pl.col("time").dt.date() <= as_of)
        alerts = alerts.filter(pl.col("start_time").dt.date() <= as_of)
    return addresses, flows, alerts
