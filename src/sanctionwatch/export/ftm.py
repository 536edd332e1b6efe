"""Entities and links as FollowTheMoney JSON lines, for OpenSanctions, Aleph and yente users.

One line per entity: the list entities of the latest loaded version of every list (as the
lists state them), then the ships and parties the relationship graph knows beyond the lists
(AIS vessels, registry ships and companies), then every graph link as an FtM interval:
``owner`` as ``Ownership`` (owner → asset), ``director`` as ``Directorship`` (director →
organisation), every other relation (manager, operator, STS partner, linked, ...) as
``UnknownLink`` with the relation as its ``role``. Each link carries its source
(``publisher``, ``recordId``, ``description``) and its period.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from followthemoney import model

if TYPE_CHECKING:
    from followthemoney.proxy import EntityProxy

    from sanctionwatch.linking.graph import EntityGraph, Link

KIND_SCHEMA = {"vessel": "Vessel", "ais_vessel": "Vessel", "company": "Company",
               "organisation": "Organization", "person": "Person", "address": "Address",
               "aircraft": "Airplane"}
"""Graph node kind → FtM schema of a node that is no list entity (others: LegalEntity)."""


def _node_entity_id(node: str, attrs: dict[str, Any], listed: set[str]) -> str:
    ids = [i for i in attrs.get("entity_ids") or () if i in listed]
    if ids:
        return str(sorted(ids)[0])
    if node in listed:
        return node
    safe = re.sub(r"[^A-Za-z0-9.-]+", "-", node).strip("-")[:60]
    return f"sw-{safe}-{hashlib.sha1(node.encode()).hexdigest()[:8]}"


def _node_proxy(entity_id: str, attrs: dict[str, Any]) -> EntityProxy:
    schema = KIND_SCHEMA.get(str(attrs.get("kind")), "LegalEntity")
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    proxy.add("name", str(attrs.get("label") or entity_id), quiet=True)
    if schema == "Vessel":
        for imo in attrs.get("imos") or ():
            proxy.add("imoNumber", f"IMO{imo}", quiet=True)
        for mmsi in attrs.get("mmsis") or ():
            proxy.add("mmsi", str(mmsi), quiet=True)
    return proxy


def _link_proxy(link: Link, source: str, target: str, kinds: tuple[str, str]) -> EntityProxy:
    key = "|".join((source, target, link.relation, link.key()))
    if link.relation == "owner" and KIND_SCHEMA.get(kinds[0]) in ("Vessel", "Company"):
        proxy = model.make_entity("Ownership")
        proxy.add("asset", source)
        proxy.add("owner", target)
    elif link.relation == "director" and kinds[0] in ("company", "organisation"):
        proxy = model.make_entity("Directorship")
        proxy.add("organization", source)
        proxy.add("director", target)
    else:
        proxy = model.make_entity("UnknownLink")
        proxy.add("subject", source)
        proxy.add("object", target)
    proxy.id = "sw-link-" + hashlib.sha1(key.encode()).hexdigest()[:20]
    proxy.add("role", link.relation)
    proxy.add("description", link.provenance(), quiet=True)
    if link.dataset:
        proxy.add("publisher", link.dataset, quiet=True)
    if link.source_record:
        proxy.add("recordId", link.source_record, quiet=True)
    if link.start:
        proxy.add("startDate", link.start.isoformat(), quiet=True)
    if link.end:
        proxy.add("endDate", link.end.isoformat(), quiet=True)
    return proxy


def ftm_entities(entities: Iterable[EntityProxy], graph: EntityGraph) -> Iterator[dict[str, Any]]:
    """FtM dicts: the list ``entities``, the graph's other nodes, then its links."""
    listed: dict[str, EntityProxy] = {}
    for e in entities:
        if e.id:
            listed[str(e.id)] = e
    for eid in sorted(listed):
        d = listed[eid].to_dict()
        ds = getattr(listed[eid], "datasets", None) or listed[eid].context.get("datasets")
        if ds:
            d["datasets"] = sorted(ds)
        yield d
    ids = set(listed)
    node_id: dict[str, str] = {}
    g = graph.graph
    for node, attrs in sorted(g.nodes(data=True)):
        eid = _node_entity_id(str(node), attrs, ids)
        node_id[str(node)] = eid
        if eid not in ids:
            ids.add(eid)
            yield _node_proxy(eid, attrs).to_dict()
    links = sorted(((str(u), str(v), d["link"]) for u, v, d in g.edges(data=True)),
                   key=lambda t: (t[0], t[1], t[2].key()))
    for u, v, link in links:
        kinds = (str(g.nodes[u].get("kind")), str(g.nodes[v].get("kind")))
        yield _link_proxy(link, node_id[u], node_id[v], kinds).to_dict()


def write_ftm(entities: Iterable[EntityProxy], graph: EntityGraph,
              target: Path | IO[str]) -> int:
    """Write :func:`ftm_entities` as JSON lines; returns the lines written."""
    if isinstance(target, Path):
        with target.open("w", encoding="utf-8") as fh:
            return write_ftm(entities, graph, fh)
    n = 0
    for d in ftm_entities(entities, graph):
        target.write(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n")
        n += 1
    return n


__all__ = ["KIND_SCHEMA", "ftm_entities", "write_ftm"]
