"""Write a trace to a folder: the flow graph (CSV and JSON), the addresses, the findings and a
report a person can read (HTML with an inline SVG flow diagram, and a PNG of it)."""

from __future__ import annotations

import html
import json
from datetime import datetime
from pathlib import Path

import polars as pl

from sanctionwatch.atomic import atomic_path
from sanctionwatch.finance.crypto_ingest import UtxoRead
from sanctionwatch.finance.crypto_utxo import change_outputs, cluster_multi_input
from sanctionwatch.finance.trace import TraceResult

ROLE_COLOURS = {
    "seed": "#b2182b", "intermediary": "#ef8a62", "mixer_depositor": "#7b3294",
    "mixer": "#542788", "exchange_deposit": "#1b7837", "exchange": "#00441b",
    "bridge": "#2166ac", "peel_chain": "#e08214", "endpoint": "#878787",
}
MAX_EDGES_COUNT = 80
"""Edges drawn in the diagram (largest tainted value first); every flow stays in flows.csv."""


def short(address: str) -> str:
    """``0x098b…2f96``: enough to tell addresses apart in a diagram."""
    return address if len(address) <= 14 else f"{address[:6]}…{address[-4:]}"


def _iso(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%SZ"))


def edges(res: TraceResult) -> pl.DataFrame:
    """Flows summed per (from, to): tainted and total value, count, first and last time."""
    return (res.flows.group_by("from", "to")
            .agg(pl.col("tainted_value").sum(), pl.col("value").sum(), pl.len().alias("count"),
                 pl.col("time").min().alias("first_time"), pl.col("time").max().alias("last_time"))
            .sort("tainted_value", descending=True))


def graph_json(res: TraceResult) -> dict[str, object]:
    """The flow graph as JSON-ready nodes (addresses) and edges (summed flows)."""
    e = _iso(edges(res))
    return {
        "seeds": res.seeds, "asset": res.asset,
        "params": {k: (v.isoformat() if isinstance(v, datetime) else v)
                   for k, v in res.params.__dict__.items()},
        "nodes": _iso(res.addresses).to_dicts(), "edges": e.to_dicts(),
        "findings": [{**f.__dict__, "time": f.time.isoformat(), "related": list(f.related)}
                     for f in res.findings],
    }


def flow_svg(res: TraceResult, max_edges: int = MAX_EDGES_COUNT) -> tuple[str, int]:
    """An SVG of the largest flows, one column per hop, edge width by tainted value; and its
    height in pixels."""
    e = edges(res).head(max_edges)
    roles = dict(zip(res.addresses["address"].to_list(), res.addresses["role"].to_list(),
                     strict=True))
    hops = dict(zip(res.addresses["address"].to_list(), res.addresses["hops"].to_list(),
                    strict=True))
    tin = dict(zip(res.addresses["address"].to_list(), res.addresses["tainted_in"].to_list(),
                   strict=True))
    nodes = set(e["from"].to_list()) | set(e["to"].to_list()) | set(res.seeds)
    cols: dict[int, list[str]] = {}
    for a in nodes:
        cols.setdefault(hops.get(a, 0), []).append(a)
    col_w, row_h, box_w, box_h, top = 330, 24, 200, 18, 40
    pos: dict[str, tuple[float, float]] = {}
    rows = 0
    for h, members in sorted(cols.items()):
        members.sort(key=lambda a: (-tin.get(a, 0.0), a))
        for i, a in enumerate(members):
            pos[a] = (20 + h * col_w, top + i * row_h)
        rows = max(rows, len(members))
    width = 40 + (max(cols) + 1) * col_w
    height = top + rows * row_h + 20
    vmax = float(e["tainted_value"].max() or 1.0) if e.height else 1.0  # type: ignore[arg-type]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="monospace" font-size="11">']
    for h in sorted(cols):
        parts.append(f'<text x="{20 + h * col_w}" y="20" font-weight="bold">'
                     f'{"seed" if h == 0 else f"hop {h}"}</text>')
    for r in e.iter_rows(named=True):
        x1, y1 = pos[r["from"]]
        x2, y2 = pos[r["to"]]
        x1 += box_w
        y1 += box_h / 2
        y2 += box_h / 2
        w = max(1.0, 12.0 * r["tainted_value"] / vmax)
        mid = (x1 + x2) / 2
        tip = html.escape(f'{r["from"]} → {r["to"]}: {r["tainted_value"]:,.4f} {res.asset} '
                          f'tainted in {r["count"]} transfer(s)')
        parts.append(f'<path d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}" fill="none" '
                     f'stroke="#4575b4" stroke-opacity="0.35" stroke-width="{w:.1f}">'
                     f'<title>{tip}</title></path>')
    for a, (x, y) in pos.items():
        role = roles.get(a, "seed" if a in res.seeds else "endpoint")
        colour = ROLE_COLOURS.get(role, "#878787")
        parts.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="3" '
                     f'fill="{colour}"><title>{html.escape(a)}</title></rect>')
        parts.append(f'<text x="{x + 4}" y="{y + 13}" fill="white">{html.escape(short(a))} '
                     f'{html.escape(role)}</text>')
        parts.append(f'<text x="{x + box_w + 4}" y="{y + 13}" fill="#333">'
                     f'{tin.get(a, 0.0):,.0f}</text>')
    parts.append("</svg>")
    return "\n".join(parts), height


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.iter_rows():
        cells = "".join(
            f"<td>{html.escape(f'{v:,.4f}' if isinstance(v, float) else str(v or ''))}</td>"
            for v in row)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_html(res: TraceResult, max_edges: int = MAX_EDGES_COUNT) -> tuple[str, int]:
    """The HTML report (flow diagram, endpoints, findings) and the diagram's height."""
    svg, height = flow_svg(res, max_edges)
    a = res.addresses
    ends = _iso(a.filter(~pl.col("role").is_in(["seed", "intermediary"]))
                .sort("tainted_in", descending=True)
                .select("address", "role", "label", "hops", "tainted_in", "first_time",
                        "last_time", "findings"))
    finds = pl.DataFrame(
        [{"detector": f.detector, "address": f.address, "time": f.time.isoformat(),
          "amount": f.amount, "detail": f.detail} for f in res.findings],
        schema={"detector": pl.String, "address": pl.String, "time": pl.String,
                "amount": pl.Float64, "detail": pl.String})
    p = res.params
    total = float(res.flows.filter(pl.col("hop") == 1)["tainted_value"].sum())
    title = html.escape(f"Trace from {', '.join(res.seeds)}")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:20px}} table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}} .note{{color:#555}}</style>
</head><body><h1>{title}</h1>
<p class="note">{html.escape(p.direction)} trace, {html.escape(p.method)} taint, at most
{p.max_hops} hops, amounts below {p.min_amount_coins:g} {html.escape(res.asset)} not followed;
{res.flows.height} tainted transfers, {a.height} addresses, {total:,.4f}
{html.escape(res.asset)} tainted out of the seeds. Diagram: the {max_edges} largest flows;
the number right of a box is the tainted value it received.</p>
{svg}
<h2>Endpoints ({ends.height})</h2>{_table(ends)}
<h2>Findings ({finds.height})</h2>{_table(finds)}
</body></html>"""
    return page, height


def write_trace(res: TraceResult, out: Path | str, png: bool = False,
                max_edges: int = MAX_EDGES_COUNT) -> list[Path]:
    """Write ``flows.csv``, ``addresses.csv``, ``findings.csv``, ``graph.json`` and
    ``report.html`` (and ``report.png`` with ``png``: needs headless Chromium) to ``out``."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    written = [d / "flows.csv", d / "addresses.csv", d / "findings.csv", d / "graph.json",
               d / "report.html"]
    findings = pl.DataFrame(
        [{**f.__dict__, "time": f.time.isoformat(), "related": ";".join(f.related)}
         for f in res.findings],
        schema={"detector": pl.String, "address": pl.String, "time": pl.String,
                "amount": pl.Float64, "asset": pl.String, "detail": pl.String,
                "related": pl.String})
    page, height = report_html(res, max_edges)
    for path, write in (
        (written[0], lambda p: _iso(res.flows).write_csv(p)),
        (written[1], lambda p: _iso(res.addresses).write_csv(p)),
        (written[2], lambda p: findings.write_csv(p)),
        (written[3], lambda p: p.write_text(json.dumps(graph_json(res), indent=1, default=str),
                                            encoding="utf-8")),
        (written[4], lambda p: p.write_text(page, encoding="utf-8")),
    ):
        with atomic_path(path) as tmp:  # each file whole or not at all
            write(tmp)
    if png:
        from sanctionwatch.evidence.render import render_png

        written.append(render_png(written[4], d / "report.png", width_px=1400,
                                  height_px=min(height + 160, 4000)))
    return written


def write_utxo_heuristics(utxo: UtxoRead, out: Path | str) -> list[Path]:
    """Write ``clusters.csv`` (address, cluster: multi-input heuristic) and ``change.csv``
    (change outputs and why) for UTXO input."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    clusters = cluster_multi_input(utxo)
    pl.DataFrame({"address": list(clusters), "cluster": list(clusters.values())},
                 schema={"address": pl.String, "cluster": pl.String}
                 ).sort("cluster", "address").write_csv(d / "clusters.csv")
    change_outputs(utxo).write_csv(d / "change.csv")
    return [d / "clusters.csv", d / "change.csv"]


__all__ = [
    "MAX_EDGES_COUNT",
    "edges",
    "flow_svg",
    "graph_json",
    "report_html",
    "short",
    "write_trace",
    "write_utxo_heuristics",
]
