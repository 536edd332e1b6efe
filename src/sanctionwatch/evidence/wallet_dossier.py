"""The evidence dossier of one crypto address (``sanctionwatch report wallet``): holder and
designation, paths to designated entities, the alert score, taint and hops from each seed of
every stored trace, the transfers in and out, and the detectors' findings; every value cited
``[n]`` to a provenance row (input file and line with the transaction hash, SDN list record or
address-list row, stored trace row), as in the vessel dossier.

>>> from sanctionwatch.evidence.wallet_dossier import wallet_dossier, write_wallet_dossier
>>> d = wallet_dossier("sw.duckdb", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96")  # doctest: +SKIP
>>> write_wallet_dossier(d, Path("exploiter.html"))                               # doctest: +SKIP
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sanctionwatch.evidence.dossier import Cited, Fact, Provenance, cited

if TYPE_CHECKING:
    from sanctionwatch.finance.alerts import FinanceAlertParams
    from sanctionwatch.linking.graph import EntityGraph, Link

MAX_FLOWS = 500
"""Transfers listed in or out (newest first); a note says how many more there are. The Ronin
exploiter has 70 tainted transfers in the excerpt's trace."""


class WalletNotFound(LookupError):
    """No stored trace and no loaded list knows the address asked for."""


@dataclass(frozen=True)
class CitedPath:
    """A path to a designated entity in words, cited to the source of each of its links."""

    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class SeedRow:
    """How the address was reached from one seed of one stored trace run."""

    run: Cited
    seed: Cited
    hops: Cited
    path: tuple[Cited, ...]
    """The transfers from the seed to the address, each cited to its input line."""


@dataclass(frozen=True)
class WalletDossier:
    """Everything shown in a wallet dossier, each value :class:`Cited`."""

    address: str
    node: str
    title: Cited
    generated_at: str
    designation: list[CitedPath]
    """One sentence per path to a designated entity (fewest links first), cited to each
    link."""
    score: Cited | None
    indicators: list[tuple[Cited, Cited, Cited]]
    """(name, weight x score, explanation) of each indicator that scored."""
    traces: list[dict[str, Cited]]
    """One row per stored trace run that reached the address."""
    seeds: list[SeedRow]
    flows: list[dict[str, Cited]]
    findings: list[Cited]
    facts: list[Fact]
    notes: list[str] = field(default_factory=list)


def _time(v: Any) -> str:
    return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(v, datetime) else ""


def _link_source(lk: Link) -> tuple[str, str]:
    """(source, record) of a graph link for the provenance table."""
    if lk.origin in ("list", "list_remark") and lk.dataset:
        return f"{lk.dataset} list of {lk.list_date}", str(lk.source_record)
    if lk.source_file:
        return str(lk.source_file), f"line {lk.line}" if lk.line is not None else lk.origin
    return lk.origin, lk.event_id or lk.detail


def _flow_record(r: dict[str, Any]) -> str:
    tx = f", tx {r['tx_hash']}" if r.get("tx_hash") else ", no tx hash in the input"
    return f"line {r['line']}{tx}"


def build_wallet_dossier(
    address: str,
    addresses: pl.DataFrame,
    flows: pl.DataFrame,
    graph: EntityGraph,
    params: FinanceAlertParams | None = None,
    max_hops: int = 3,
) -> WalletDossier:
    """The dossier of ``address`` (any case) from the stored traces' ``crypto_addresses`` and
    ``crypto_flows`` rows and the entity graph; paths to designated entities within
    ``max_hops`` links. :class:`WalletNotFound` when neither a trace nor a list knows it."""
    from sanctionwatch.finance.alerts import wallet_alerts

    key = address.strip().casefold()
    node = graph.wallet_node(address)
    mine = addresses.filter(pl.col("address").str.to_lowercase() == key)
    if node is None and mine.height == 0:
        raise WalletNotFound(f"no crypto address {address!r} in a stored trace or on a loaded "
                             "list (run `sanctionwatch trace ... --store` or `lists load`)")
    node = node or f"wallet:{key}"
    prov = Provenance()
    attrs = graph.graph.nodes[node] if node in graph.graph else {}
    shown = mine["address"][0] if mine.height else address.strip()

    # designation: paths through the lists (holder, links) and through the traces
    designation: list[CitedPath] = []
    if node in graph.graph:
        for p in graph.paths_to_designated(node, max_hops):
            refs = [prov.cite(f"{lk.source} {lk.relation} {lk.target}", *_link_source(lk))
                    for lk in p.links]
            if not p.links:
                refs = [prov.cite(f"{node} designated",
                                  ", ".join(attrs.get("datasets") or ()) or "lists",
                                  ", ".join(attrs.get("designations") or ()))]
            designation.append(CitedPath(p.explain(), tuple(dict.fromkeys(refs))))
    # alert score
    score: Cited | None = None
    indicators: list[tuple[Cited, Cited, Cited]] = []
    if mine.height:
        alert = next(a for a in wallet_alerts(mine, graph, params))
        runs = ", ".join(alert.facts["runs"])
        ref = prov.cite(f"alert score of {shown} (noisy-OR of the indicators, "
                        "sanctionwatch.finance.alerts)", "crypto_addresses (store)",
                        f"runs {runs}", tuple(e for i in alert.indicators for e in i.evidence))
        score = cited(alert.score, ref, ".3f")
        for i in sorted(alert.indicators, key=lambda i: -i.contribution):
            if i.score > 0:
                indicators.append((Cited(i.name, ref), cited(i.contribution, ref, ".3f"),
                                   Cited(i.explanation, ref)))
    # one row per stored trace run
    traces: list[dict[str, Cited]] = []
    findings: list[Cited] = []
    for r in mine.sort("run_id").iter_rows(named=True):
        ref = prov.cite(f"{shown} in trace run {r['run_id']}", "crypto_addresses (store)",
                        f"run {r['run_id']}, address {r['address']}")
        traces.append({
            "run": Cited(r["run_id"], ref), "role": Cited(r["role"], ref),
            "label": Cited(r["label"], ref), "taint": cited(r["taint"], ref, ".4f"),
            "hops": cited(r["hops"], ref), "tainted_in": cited(r["tainted_in_coins"], ref, ",.4f"),
            "tainted_out": cited(r["tainted_out_coins"], ref, ",.4f"),
            "asset": Cited(r["asset"], ref),
            "first": Cited(_time(r["first_time"]), ref), "last": Cited(_time(r["last_time"]), ref),
        })
        if r["holder_entity_id"]:
            href = prov.cite(f"{shown} held by {r['holder_entity_id']}",
                             str(r["holder_source_file"]), f"line {r['holder_line']}")
            traces[-1]["holder"] = Cited(r["holder_entity_id"], href)
        findings += [Cited(f"{f} (run {r['run_id']})", ref)
                     for f in r["findings"].split(";") if f]
    # taint and hops from each seed, over the run's stored tainted transfers
    seeds: list[SeedRow] = []
    run_flows = {rid: flows.filter(pl.col("run_id") == rid)
                 for rid in mine["run_id"].unique().sort().to_list()}
    for r in mine.sort("run_id").iter_rows(named=True):
        f = run_flows[r["run_id"]]
        if f.height == 0:
            continue
        run_ref = prov.cite(f"{shown} in trace run {r['run_id']}", "crypto_addresses (store)",
                            f"run {r['run_id']}, address {r['address']}")
        for seed in f["seeds"][0]:
            path = _path(f, seed, r["address"])
            if path is None:
                continue
            steps = tuple(
                Cited(f"{s['from_address']} → {s['to_address']} {s['value_coins']:,.4f} "
                      f"{s['asset']} ({s['tainted_coins']:,.4f} tainted) {_time(s['time'])}",
                      prov.cite(f"transfer {s['from_address']} → {s['to_address']} at "
                                f"{_time(s['time'])}", s["source_file"], _flow_record(s)))
                for s in path)
            seeds.append(SeedRow(Cited(r["run_id"], run_ref), Cited(seed, run_ref),
                                 cited(len(path), steps[-1].ref if steps else run_ref), steps))
    # transfers in and out
    moves = flows.filter((pl.col("from_address").str.to_lowercase() == key)
                         | (pl.col("to_address").str.to_lowercase() == key)
                         ).sort("time", "line", descending=[True, False])
    notes: list[str] = []
    if moves.height > MAX_FLOWS:
        notes.append(f"{moves.height - MAX_FLOWS} older transfers not listed (the newest "
                     f"{MAX_FLOWS} are).")
    rows: list[dict[str, Cited]] = []
    for m in moves.head(MAX_FLOWS).iter_rows(named=True):
        ref = prov.cite(f"transfer {m['from_address']} → {m['to_address']} at "
                        f"{_time(m['time'])}", m["source_file"], _flow_record(m))
        inbound = m["to_address"].casefold() == key
        rows.append({
            "dir": Cited("in" if inbound else "out"),
            "time": Cited(_time(m["time"]), ref),
            "tx": Cited(m["tx_hash"] or f"line {m['line']}", ref),
            "other": Cited(m["from_address"] if inbound else m["to_address"], ref),
            "value": cited(m["value_coins"], ref, ",.4f"),
            "tainted": cited(m["tainted_coins"], ref, ",.4f"),
            "asset": Cited(m["asset"], ref), "hop": cited(m["hop"], ref),
            "run": Cited(m["run_id"], ref)})
    if mine.height == 0:
        notes.append("No stored trace reached this address: only what the lists say is shown.")
    if moves.height and moves["tx_hash"].is_null().all():
        notes.append("The input has no transaction hashes (the Dune Lazarus export): each "
                     "transfer is cited by its input file and line.")
    label = attrs.get("label") or shown
    title = Cited(str(label), designation[0].refs[0] if designation else
                  (traces[0]["run"].ref if traces else None))
    return WalletDossier(shown, node, title, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                         designation, score, indicators, traces, seeds, rows, findings,
                         prov.facts, notes)


def _path(f: pl.DataFrame, seed: str, target: str) -> list[dict[str, Any]] | None:
    """The fewest tainted transfers from ``seed`` to ``target`` in one run's flows (earliest
    transfer first among equals); ``[]`` when the target is the seed, None when unreached."""
    s, t = seed.casefold(), target.casefold()
    if s == t:
        return []
    out: dict[str, list[dict[str, Any]]] = {}
    for r in f.sort("time", "line").iter_rows(named=True):
        out.setdefault(r["from_address"].casefold(), []).append(r)
    prev: dict[str, dict[str, Any] | None] = {s: None}
    queue = deque([s])
    while queue:
        u = queue.popleft()
        for r in out.get(u, ()):
            v = r["to_address"].casefold()
            if v not in prev:
                prev[v] = r
                if v == t:
                    steps = []
                    step: dict[str, Any] | None = r
                    while step is not None:
                        steps.append(step)
                        step = prev[step["from_address"].casefold()]
                    return steps[::-1]
                queue.append(v)
    return None


def wallet_dossier(
    store_path: str | Path,
    address: str,
    *,
    graph: EntityGraph | None = None,
    params: FinanceAlertParams | None = None,
) -> WalletDossier:
    """The dossier of ``address`` from the store (:func:`build_wallet_dossier`), with the
    store's entity graph (built when not given)."""
    from sanctionwatch.linking.graph_build import read_crypto

    path = Path(store_path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no store here")
    addresses, flows, _ = read_crypto(path, None)
    if graph is None:
        from sanctionwatch.findings import entity_graph

        graph = entity_graph(path)
    return build_wallet_dossier(address, addresses, flows, graph, params)


def render_wallet_html(d: WalletDossier) -> str:
    """The wallet dossier as one self-contained HTML document (no script, nothing loaded)."""
    from sanctionwatch import __version__
    from sanctionwatch.evidence.render import _env

    return _env().get_template("wallet_dossier.html.j2").render(d=d, version=__version__)


def write_wallet_dossier(d: WalletDossier, out: Path, *, pdf: bool = False) -> list[Path]:
    """Write ``out`` (HTML) atomically and, with ``pdf``, the PDF beside it (Chromium, looked
    for before anything is written); the paths written."""
    from sanctionwatch.atomic import atomic_path
    from sanctionwatch.evidence.render import chromium, render_pdf

    if pdf:
        chromium()
    with atomic_path(out) as tmp:
        tmp.write_text(render_wallet_html(d), encoding="utf-8")
    written = [Path(out)]
    if pdf:
        written.append(render_pdf(out, Path(out).with_suffix(".pdf")))
    return written


__all__ = ["CitedPath", "SeedRow", "WalletDossier", "WalletNotFound", "build_wallet_dossier",
           "render_wallet_html", "wallet_dossier", "write_wallet_dossier"]
