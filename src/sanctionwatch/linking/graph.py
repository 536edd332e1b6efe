"""The relationship graph: vessels, companies, people and addresses, linked by ownership,
management, operation, directorship and behaviour, every link with its source.

>>> from sanctionwatch.linking.graph import EntityGraph
>>> g = EntityGraph.from_store("sw.duckdb")                         # doctest: +SKIP
>>> for p in g.paths_to_designated(g.vessel_node(imo=8909575)):     # doctest: +SKIP
...     print(p.explain())

A :class:`networkx.MultiDiGraph` (``EntityGraph.graph``). Nodes:

- list entities (FtM ``Thing``\\ s: vessels, companies, organisations, people, addresses…),
  keyed by ``canonical(entity_id)`` (the cross-list resolver's cluster id; the entity id itself
  when no resolver is given), so the entries of one ship or company on several lists are one
  node once they are resolved;
- ``imo:<n>``: a ship known only from the registry (or a behaviour event) by its IMO number;
- ``mmsi:<n>``: a ship seen in AIS;
- ``name:<normalised name>``: a party named by a registry row or a list remark that matches no
  listed entity;
- ``wallet:<address>``: a crypto address a stored trace reached (``sanctionwatch trace
  --store``) that no list names (a listed address is its list ``CryptoWallet`` node);
- ``account:<bin>:<account>`` and ``bin:<bin>``: a card account of a stored ATM cash-out
  alert (``sanctionwatch cashout --store``) and its issuer BIN.

Node attributes: ``kind`` (vessel, company, organisation, legal_entity, person, address,
aircraft, wallet, bank_account, card_issuer, ais_vessel, party, other), ``label``,
``designated`` (a target of a sanction on a loaded list, not merely mentioned),
``designations`` (e.g. ``UN KPe.020``), ``datasets``,
``entity_ids``, ``imos``, ``mmsis``, ``addresses`` (a wallet's, as written).

Edges carry one :class:`Link` each (attribute ``link``), directed from the vessel or company
to the party that owns, manages, operates, directs it or that it is linked to (the relations
and their directions: :data:`RELATIONS`). Sources and how each becomes links: docs/graph.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

if TYPE_CHECKING:
    import polars as pl
    from followthemoney.proxy import EntityProxy

RELATIONS: dict[str, tuple[str, str, str]] = {
    "owner": ("owned by", "owner of", "source is owned by target"),
    "manager": ("managed by", "manager of", "source (a ship) is managed by target"),
    "operator": ("operated by", "operator of", "source is operated or controlled by target"),
    "director": ("has director", "director of", "source (an organisation) has director target"),
    "linked": ("linked to", "linked from", "the list links source to target (OFAC 'Linked "
               "To', FtM UnknownLink and other interests)"),
    "family": ("relative of", "relative of", "source and target are family (FtM Family)"),
    "associate": ("associate of", "associate of", "source and target are associates"),
    "address": ("at address", "address of", "source is registered at address target"),
    "sts_partner": ("STS with", "STS with", "ship-to-ship transfer between source and target "
                    "(an encounter event or a list remark)"),
    "same_imo": ("shares IMO with", "shares IMO with", "source and target use one IMO number"),
    "listed_as": ("broadcasts as listed", "listed vessel broadcast by",
                  "the AIS vessel source matched the listed vessel target"),
    "holder": ("held by", "holder of", "source (a crypto wallet) is held by target (FtM "
               "CryptoWallet holder: an OFAC digital-currency address of an SDN entry)"),
    "funded_by": ("funded by", "funded", "source (a traced address) received tainted funds "
                  "from target in a stored trace (`sanctionwatch trace --store`)"),
    "issuer": ("card issued under", "BIN of", "source (a card account in a stored ATM "
               "cash-out alert, `sanctionwatch cashout --store`) belongs to the BIN target"),
}
"""relation → (phrase along the edge, phrase against it, meaning of its direction)."""

PATH_RELATIONS: tuple[str, ...] = ("owner", "operator", "manager", "director", "listed_as",
                                   "same_imo", "holder", "linked", "funded_by")
"""Relations :meth:`EntityGraph.paths_to_designated` follows (either way), strongest first: a
path prefers the first of several links between the same two nodes."""

Canonical = Callable[[str], str]


@dataclass(frozen=True)
class Link:
    """One edge and where it comes from.

    ``origin``: ``list`` (a structured list fact: FtM relationship entity, OFAC ``Linked To``,
    shared IMO of two entries, a wallet's holder), ``list_remark`` (read from a list's prose),
    ``registry``, ``event``, ``vessel_match``, ``cashout_alert`` (``event_id`` the alert,
    ``source_file`` its log), ``trace`` (a tainted transfer of a stored crypto trace) or
    ``address_list`` (an SDN crypto-address CSV row naming a traced address's
    holder). List facts carry ``dataset``, ``list_date`` and ``source_record``; registry,
    trace and address-list facts ``source_file`` and ``line``; behaviour ``event_id``.
    ``start`` / ``end``: when the relationship held, when known. ``detail``: the words of the
    source, a name match's score, or the like.
    """

    source: str
    target: str
    relation: str
    origin: str
    dataset: str | None = None
    list_date: date | None = None
    source_record: str | None = None
    source_file: str | None = None
    line: int | None = None
    event_id: str | None = None
    start: date | None = None
    end: date | None = None
    detail: str = ""

    def provenance(self) -> str:
        """Where the link comes from, in a few words."""
        if self.origin in ("list", "list_remark") and self.dataset:
            where = f"{self.dataset} {self.list_date}, {self.source_record}"
            return where + (" (remark)" if self.origin == "list_remark" else "")
        if self.origin in ("registry", "trace", "address_list"):
            return f"{self.origin.replace('_', ' ')} {self.source_file}:{self.line}"
        if self.origin == "event":
            return f"event {self.event_id}"
        if self.origin == "cashout_alert":
            return f"cash-out alert {self.event_id} ({self.source_file})"
        return f"{self.origin}: {self.detail}" if self.detail else self.origin

    def key(self) -> str:
        """Identity of the link among the edges between two nodes."""
        return "|".join((self.relation, self.origin, self.provenance(), self.detail,
                         str(self.start), str(self.end)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able fields (dates as ISO strings) plus ``provenance``."""
        d = asdict(self)
        for k in ("list_date", "start", "end"):
            d[k] = d[k].isoformat() if d[k] is not None else None
        d["provenance"] = self.provenance()
        return d


@dataclass(frozen=True)
class GraphPath:
    """A shortest path from a node to a designated node, with the link behind every hop."""

    nodes: tuple[str, ...]
    links: tuple[Link, ...]
    labels: tuple[str, ...]  # how each node reads (``IMO 8909575 Blue Nouvelle``)
    designations: tuple[tuple[str, ...], ...]  # of each node; empty: not designated

    @property
    def hops(self) -> int:
        """Number of links."""
        return len(self.links)

    @property
    def target(self) -> str:
        """The designated node reached."""
        return self.nodes[-1]

    def _node(self, i: int) -> str:
        d = self.designations[i]
        return self.labels[i] + (f" (designated: {', '.join(d)})" if d else "")

    def explain(self) -> str:
        """One sentence: each hop with its relation and source."""
        if not self.links:
            return f"{self._node(0)} is itself designated."
        parts = [self._node(0)]
        for i, link in enumerate(self.links):
            forward = link.source == self.nodes[i]
            phrase = RELATIONS[link.relation][0 if forward else 1]
            when = _period(link)
            parts.append(f" — {phrase}{when} → {self._node(i + 1)} [{link.provenance()}]")
        return "".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: nodes, labels, hops, target, links and the sentence."""
        return {"nodes": list(self.nodes), "labels": list(self.labels), "hops": self.hops,
                "target": self.target, "target_designations": list(self.designations[-1]),
                "links": [lk.to_dict() for lk in self.links], "explanation": self.explain()}


def _period(link: Link) -> str:
    if link.start is None and link.end is None:
        return ""
    return f" ({link.start or '…'} to {link.end or 'now'})"


def node_label(attrs: dict[str, Any], node: str) -> str:
    """How a node reads in a sentence: ships with their IMO or MMSI."""
    label = str(attrs.get("label") or node)
    if attrs.get("kind") == "vessel" and attrs.get("imos"):
        return f"IMO {attrs['imos'][0]} {label}"
    return label


class EntityGraph:
    """The relationship graph (``graph``, a :class:`networkx.MultiDiGraph`) and its queries."""

    def __init__(self, graph: nx.MultiDiGraph, stats: dict[str, Any] | None = None) -> None:
        self.graph = graph
        self.stats: dict[str, Any] = stats or {}
        """How the graph was built: links by origin and relation, unresolved mentions."""
        self._index: tuple[int, dict[int, list[str]], dict[str, list[str]]] | None = None
        self._wallets: tuple[int, dict[str, list[str]]] | None = None

    # -- building ------------------------------------------------------------------------------

    @classmethod
    def from_parts(
        cls,
        entities: Iterable[EntityProxy],
        registry: pl.DataFrame | None = None,
        events: pl.DataFrame | None = None,
        matches: pl.DataFrame | None = None,
        canonical: Canonical | None = None,
        crypto_addresses: pl.DataFrame | None = None,
        crypto_flows: pl.DataFrame | None = None,
        cashout_alerts: pl.DataFrame | None = None,
    ) -> EntityGraph:
        """Build from list entities (e.g. :func:`entities_with_provenance`), registry rows
        (``registry_facts`` columns), events (``events`` columns), vessel matches
        (``vessel_matches`` columns), stored crypto traces (``crypto_addresses`` and
        ``crypto_flows`` columns) and ATM cash-out alerts (``cashout_alerts`` columns).
        ``canonical`` maps an entity id to its node id."""
        from sanctionwatch.linking.graph_build import build

        g, stats = build(list(entities), registry, events, matches, canonical or _identity,
                         crypto_addresses, crypto_flows, cashout_alerts)
        return cls(g, stats)

    @classmethod
    def from_store(
        cls,
        store_path: str | Path,
        *,
        canonical: Canonical | None = None,
        as_of: date | None = None,
    ) -> EntityGraph:
        """Build from the store: the latest version of every loaded list (dated on or before
        ``as_of``), the registry facts starting on or before it, the encounter and shared-IMO
        events starting on or before it, the vessel matches, the stored crypto traces
        (their transfers up to ``as_of``) and ATM cash-out alerts (starting up to it)."""
        from sanctionwatch.linking.graph_build import read_crypto, read_store

        entities, registry, events, matches = read_store(Path(store_path), as_of)
        addresses, flows, alerts = read_crypto(Path(store_path), as_of)
        return cls.from_parts(entities, registry, events, matches, canonical, addresses, flows,
                              alerts)

    # -- queries -------------------------------------------------------------------------------

    def vessel_node(self, *, imo: int | None = None, mmsi: int | None = None) -> str | None:
        """The node of a ship: by IMO, a listed vessel carrying it (designated first) or its
        ``imo:<n>`` node; by MMSI, its AIS node ``mmsi:<n>``, else a listed vessel with that
        MMSI. None when the graph has no such ship."""
        g = self.graph
        imos, mmsis = self._vessel_index()
        if imo is not None and imos.get(imo):
            return min(imos[imo], key=lambda n: (not g.nodes[n]["designated"],
                                                 n.startswith("imo:"), n))
        if mmsi is not None:
            if f"mmsi:{mmsi}" in g:
                return f"mmsi:{mmsi}"
            if mmsis.get(str(mmsi)):
                return min(mmsis[str(mmsi)], key=lambda n: (not g.nodes[n]["designated"], n))
        return None

    def wallet_node(self, address: str) -> str | None:
        """The node of a crypto address: the listed wallet (designated first) whose address is
        ``address`` as written, else one whose address equals it case-insensitively (hex
        addresses carry no identity in their case; the SDN copies of some addresses are
        lower-cased), else the ``wallet:`` node of a stored trace. None when absent."""
        size = self.graph.number_of_nodes()
        if self._wallets is None or self._wallets[0] != size:
            index: dict[str, list[str]] = {}
            for n, a in self.graph.nodes(data=True):
                for addr in a.get("addresses") or ():
                    index.setdefault(addr.casefold(), []).append(str(n))
            self._wallets = (size, index)
        found = self._wallets[1].get(address.strip().casefold(), [])
        if not found:
            return None
        g = self.graph
        return min(found, key=lambda n: (address.strip() not in g.nodes[n]["addresses"],
                                         not g.nodes[n]["designated"],
                                         n.startswith("wallet:"), n))

    def _vessel_index(self) -> tuple[dict[int, list[str]], dict[str, list[str]]]:
        """IMO → vessel nodes and MMSI → listed vessel nodes (rebuilt when nodes change)."""
        size = self.graph.number_of_nodes()
        if self._index is None or self._index[0] != size:
            imos: dict[int, list[str]] = {}
            mmsis: dict[str, list[str]] = {}
            for n, a in self.graph.nodes(data=True):
                if a.get("kind") == "vessel":
                    for i in a.get("imos") or ():
                        imos.setdefault(i, []).append(str(n))
                    for m in a.get("mmsis") or ():
                        mmsis.setdefault(m, []).append(str(n))
            self._index = (size, imos, mmsis)
        return self._index[1], self._index[2]

    def _neighbours(self, node: str) -> Iterator[tuple[str, Link]]:
        """(neighbour, link) over the path relations, either direction, in a fixed order."""
        rank = {r: i for i, r in enumerate(PATH_RELATIONS)}
        found: list[tuple[int, str, str, Link]] = []
        for _, v, d in self.graph.out_edges(node, data=True):
            lk: Link = d["link"]
            if lk.relation in rank:
                found.append((rank[lk.relation], v, lk.key(), lk))
        for u, _, d in self.graph.in_edges(node, data=True):
            lk = d["link"]
            if lk.relation in rank:
                found.append((rank[lk.relation], u, lk.key(), lk))
        for _, other, _, lk in sorted(found, key=lambda t: (t[0], t[1], t[2])):
            yield other, lk

    def paths_to_designated(self, node: str, max_hops: int = 3) -> list[GraphPath]:
        """A shortest path to every designated node within ``max_hops`` links (owner,
        manager, operator, director, linked, listed_as, same_imo, holder, funded_by; either
        direction), fewest
        hops first. A designated ``node`` gives a 0-hop path. ``max_hops`` default 3: the
        vessel → AIS identity → company → parent chains the Panel's annexes draw."""
        if node not in self.graph:
            raise KeyError(f"no node {node!r} in the graph")
        parent: dict[str, tuple[str, Link] | None] = {node: None}
        frontier = [node]
        for _ in range(max_hops):
            nxt: list[str] = []
            for u in frontier:
                for v, link in self._neighbours(u):
                    if v not in parent:
                        parent[v] = (u, link)
                        nxt.append(v)
            frontier = nxt
        out = []
        for v in parent:
            if not self.graph.nodes[v].get("designated"):
                continue
            nodes, links = [v], []
            step = parent[v]
            while step is not None:
                u, link = step
                nodes.append(u)
                links.append(link)
                step = parent[u]
            out.append(self._path(nodes[::-1], links[::-1]))
        out.sort(key=lambda p: (p.hops, p.labels[-1], p.target))
        return out

    def _path(self, nodes: list[str], links: list[Link]) -> GraphPath:
        attrs = [self.graph.nodes[n] for n in nodes]
        return GraphPath(
            tuple(nodes), tuple(links),
            tuple(node_label(a, n) for a, n in zip(attrs, nodes, strict=True)),
            tuple(tuple(a.get("designations") or ()) if a.get("designated") else ()
                  for a in attrs),
        )

    def neighbourhood(self, node: str, hops: int = 1) -> EntityGraph:
        """The nodes within ``hops`` links of ``node`` (any relation, either direction) and
        every link among them."""
        if node not in self.graph:
            raise KeyError(f"no node {node!r} in the graph")
        near = nx.single_source_shortest_path_length(
            self.graph.to_undirected(as_view=True), node, cutoff=hops)
        return EntityGraph(nx.MultiDiGraph(self.graph.subgraph(near)))

    def find(self, text: str) -> str | None:
        """A node by id, ``IMO``/MMSI number, crypto address (:meth:`wallet_node`), or exact
        label (case-insensitive)."""
        text = text.strip()
        if text in self.graph:
            return text
        wallet = self.wallet_node(text)
        if wallet is not None:
            return wallet
        digits = text.upper().removeprefix("IMO").strip()
        if digits.isdigit():
            n = int(digits)
            return self.vessel_node(imo=n) if len(digits) == 7 else self.vessel_node(mmsi=n)
        want = text.casefold()
        for n, a in sorted(self.graph.nodes(data=True)):
            if str(a.get("label", "")).casefold() == want:
                return str(n)
        return None

    def to_dict(self) -> dict[str, Any]:
        """Nodes (id and attributes) and links, JSON-able, in a stable order."""
        nodes = [{"id": n, **{k: (list(v) if isinstance(v, (list, tuple, set)) else v)
                              for k, v in a.items()}}
                 for n, a in sorted(self.graph.nodes(data=True))]
        links = sorted((d["link"] for _, _, d in self.graph.edges(data=True)),
                       key=lambda lk: (lk.source, lk.target, lk.key()))
        return {"nodes": nodes, "links": [lk.to_dict() for lk in links]}

    def counts(self) -> dict[str, dict[str, int]]:
        """Nodes by kind, links by relation and by origin."""
        out: dict[str, dict[str, int]] = {"nodes": {}, "relations": {}, "origins": {}}
        for _, a in self.graph.nodes(data=True):
            out["nodes"][a["kind"]] = out["nodes"].get(a["kind"], 0) + 1
        for _, _, d in self.graph.edges(data=True):
            lk = d["link"]
            out["relations"][lk.relation] = out["relations"].get(lk.relation, 0) + 1
            out["origins"][lk.origin] = out["origins"].get(lk.origin, 0) + 1
        return {k: dict(sorted(v.items())) for k, v in out.items()}


def _identity(entity_id: str) -> str:
    return entity_id


def entities_with_provenance(statements: Iterable[Any]) -> list[EntityProxy]:
    """Entities from statements (:class:`sanctionwatch.sanctions.Statement`), each carrying
    ``context["provenance"]`` = (dataset, list_date, source_record) of its record, which the
    graph cites for the facts the entity states."""
    from sanctionwatch.sanctions.model import BASE_PROP, entities_from_statements

    stmts = list(statements)
    where: dict[str, tuple[str, date, str]] = {}
    for st in stmts:
        if st.prop == BASE_PROP and st.entity_id not in where:
            where[st.entity_id] = (st.dataset, st.list_date, st.source_record)
    out = entities_from_statements(stmts)
    for e in out:
        if e.id in where:
            e.context["provenance"] = where[e.id]
    return out


__all__ = ["PATH_RELATIONS", "RELATIONS", "EntityGraph", "GraphPath", "Link",
           "entities_with_provenance"]
