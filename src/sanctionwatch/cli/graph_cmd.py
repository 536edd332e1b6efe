"""``sanctionwatch registry`` and ``sanctionwatch graph``: load ship-registry facts; paths from a
vessel to designated entities and the neighbourhood of a node.

Holds no logic: it calls :mod:`sanctionwatch.ingest.registry`, :mod:`sanctionwatch.store.registry`
and :mod:`sanctionwatch.linking.graph`, and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.consoles import (
    StoreOpt,
    data_markup,
    data_text,
    err_console,
    fail,
    out_console,
)

if TYPE_CHECKING:
    from sanctionwatch.linking.graph import EntityGraph

registry_app = typer.Typer(
    name="registry",
    help="Ship-registry facts (IMO → name, flag, owner, manager, operator over time): load a CSV.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
graph_app = typer.Typer(
    name="graph",
    help="The relationship graph of vessels, companies and people: paths to designated "
    "entities, neighbourhoods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output.")]


@registry_app.command("load")
def registry_load(
    path: Annotated[Path, typer.Argument(help="Registry CSV: imo, date_from, date_to, name, "
                                         "flag, registered_owner, ship_manager, operator, "
                                         "source.")],
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Load a registry CSV into the store (replacing an earlier load of the same file); every
    rejected row is listed with its line and reason."""
    from sanctionwatch.ingest.registry import RegistryFormatError, read_registry
    from sanctionwatch.store import StoreNotWritable, check_store_writable, default_store_path
    from sanctionwatch.store.registry import store_registry

    target = store or default_store_path()
    try:
        check_store_writable(target)
        read = read_registry(path)
    except (RegistryFormatError, FileNotFoundError, StoreNotWritable) as exc:
        raise fail(f"{exc} (nothing was loaded)") from None
    stored = store_registry(read, target)
    if as_json:
        out_console.print_json(json.dumps({
            "file": read.path, "stored": stored,
            "rejects": [r.__dict__ for r in read.rejects]}))
        return
    out_console.print(data_text(f"{read.path}: {stored} rows stored, {len(read.rejects)} "
                                "rejected"), highlight=False)
    if read.rejects:
        t = Table("line", "reason", "detail", title="rejected rows")
        for r in read.rejects:
            t.add_row(*map(data_text, (str(r.line), r.reason, r.detail)))
        out_console.print(t)


def _graph(store: Path | None) -> EntityGraph:
    from sanctionwatch.linking.graph import EntityGraph
    from sanctionwatch.store.duck import default_store_path

    path = store or default_store_path()
    try:
        return EntityGraph.from_store(path)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None


@graph_app.command("paths")
def paths(
    vessel: Annotated[str, typer.Argument(help="IMO number (7 digits, `IMO` prefix allowed), "
                                          "MMSI (9 digits) or crypto address (a listed "
                                          "wallet or one a stored trace reached).")],
    store: StoreOpt = None,
    max_hops: Annotated[int, typer.Option("--max-hops", help="Longest path, in links.")] = 3,
    as_json: JsonOpt = False,
) -> None:
    """Shortest paths from a vessel or crypto address to every designated entity within
    --max-hops links, each link with its source."""
    if max_hops < 0:
        raise fail(f"--max-hops must be 0 or more, not {max_hops}")
    digits = vessel.strip().upper().removeprefix("IMO").strip()
    is_ship = digits.isdigit() and len(digits) in (7, 9)
    if not is_ship and (digits.isdigit() or not vessel.strip().isalnum()):
        raise fail(f"not an IMO number (7 digits), MMSI (9 digits) or crypto address: "
                   f"{vessel!r}")
    g = _graph(store)
    if not is_ship:
        node = g.wallet_node(vessel)
        if node is None:
            raise fail(f"no crypto address {vessel} in the graph (not on a loaded list or in "
                       "a stored trace)")
    else:
        node = (g.vessel_node(imo=int(digits)) if len(digits) == 7
                else g.vessel_node(mmsi=int(digits)))
    if node is None:
        raise fail(f"no vessel {vessel} in the graph (not on a loaded list, in the registry or "
                   "in the stored events)")
    found = g.paths_to_designated(node, max_hops)
    if as_json:
        out_console.print_json(json.dumps({"node": node, "paths": [p.to_dict() for p in found]},
                                          ensure_ascii=False))
        return
    if not found:
        err_console.print(data_markup(f"{node}: no designated entity within {max_hops} links"),
                          highlight=False)
        return
    for p in found:
        out_console.print(data_text(f"{p.hops} hop(s): {p.explain()}"), highlight=False)


@graph_app.command("neighbours")
def neighbours(
    node_id: Annotated[str, typer.Argument(help="A node id (`un-sc-KPe.020`, `mmsi:…`, "
                                           "`imo:…`, `name:…`), an IMO number or an MMSI.")],
    store: StoreOpt = None,
    hops: Annotated[int, typer.Option("--hops", help="Radius, in links.")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """The nodes within --hops links of a node and every link among them."""
    if hops < 0:
        raise fail(f"--hops must be 0 or more, not {hops}")
    g = _graph(store)
    node = g.find(node_id)
    if node is None:
        raise fail(f"no node {node_id!r} in the graph")
    near = g.neighbourhood(node, hops)
    if as_json:
        out_console.print_json(json.dumps({"node": node, **near.to_dict()}, ensure_ascii=False,
                                          default=str))
        return
    t = Table("id", "kind", "label", "designated", "datasets",
              title=data_markup(f"{near.graph.number_of_nodes()} nodes within {hops} of {node}"))
    for n, a in sorted(near.graph.nodes(data=True)):
        t.add_row(*map(data_text, (n, a["kind"], a["label"],
                                   ", ".join(a["designations"]) if a["designated"] else "",
                                   ", ".join(a["datasets"]))))
    out_console.print(t)
    links = Table("from", "relation", "to", "source", title="links")
    for lk in near.to_dict()["links"]:
        links.add_row(*map(data_text, (lk["source"], lk["relation"], lk["target"],
                                       lk["provenance"])))
    out_console.print(links)
