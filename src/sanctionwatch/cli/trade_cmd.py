"""``sanctionwatch shipments`` (screen bill-of-lading / customs records) and ``sanctionwatch
mirror`` (mirror statistics of partner-reported trade): docs/trade.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli.consoles import data_markup, err_console, fail, out_console


def shipments(
    input_path: Annotated[Path, typer.Option("--input", "-i", help="Shipments CSV (columns "
                                             "in docs/trade.md).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Flags CSV to write.")],
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Store with the sanctions lists and AIS events (default: "
                     "$SANCTIONWATCH_STORE or ./sanctionwatch.duckdb; parties and vessels are "
                     "screened only when it holds lists). Given, the flags are also stored "
                     "in its shipment_flags table."),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file (national list, same CSV format as the "
                     "UN table; repeatable)."),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Where bad rows are listed with their line (default: "
                     "OUT with .rejects.csv; written when there are any)."),
    ] = None,
) -> None:
    """Screen shipments against the UN DPRK trade measures, the lists and AIS behaviour."""
    from sanctionwatch.screening import NoListsLoaded, load_screener
    from sanctionwatch.store import default_store_path
    from sanctionwatch.trade.rules import load_rules
    from sanctionwatch.trade.shipments import read_shipments, screen_file

    try:
        if not input_path.is_file():
            raise ValueError(f"{input_path}: no such file")
        rule_set = load_rules(rules or [])
        next(iter(read_shipments(input_path)), None)  # a bad file fails before the lists load
        store_path = store or default_store_path()
        try:
            screener = load_screener(store_path)
        except NoListsLoaded:
            screener = None
            err_console.print(f"[bold yellow]warning:[/] no sanctions lists in "
                              f"{data_markup(store_path)}: parties and vessels not screened",
                              highlight=False)
        res = screen_file(input_path, out, rule_set, screener,
                          store_path if Path(store_path).exists() else None, rejects)
        if store is not None:
            from sanctionwatch.store.trade import store_shipment_flags

            n = store_shipment_flags(res, str(input_path), store)
            err_console.print(f"{n:,} flags stored in table shipment_flags of "
                              f"{data_markup(store)}", highlight=False)
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    rpath = rejects or out.with_suffix(".rejects.csv")
    err_console.print(f"{res.rows_read:,} shipments read in {res.seconds:.1f} s", highlight=False)
    if res.rejects:
        err_console.print(f"[bold yellow]warning:[/] {len(res.rejects):,} rows rejected; listed "
                          f"with their lines in {data_markup(rpath)}", highlight=False)
    by_rule = sorted(res.by_rule.items())
    out_console.print(f"{len(res.flags):,} flags ("
                      + (", ".join(f"{r} {n}" for r, n in by_rule) or "none")
                      + f") in {data_markup(out)}", highlight=False)
    for f in res.flags[:10]:
        out_console.print(f"  {data_markup(f.shipment_id)} {f.rule} ({f.severity}): "
                          f"{data_markup(f.explanation)}", highlight=False)


def mirror(
    input_path: Annotated[Path, typer.Option("--input", "-i", help="Flows CSV: reporter, "
                                             "partner, flow, hs_code, year, value_usd, quantity "
                                             "(or UN Comtrade names; docs/trade.md).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Findings CSV to write.")] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Also store the findings in this store's mirror_findings "
                     "table (replacing those of the same input file)."),
    ] = None,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Extra rule file (same CSV format as the UN table; "
                     "repeatable)."),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Where bad rows are listed with their line (default: "
                     "OUT with .rejects.csv; written when there are any)."),
    ] = None,
) -> None:
    """Compare partner-reported trade with the DPRK: mirror asymmetries, banned goods reported
    after their ban, the petroleum cap, implausible unit values."""
    from sanctionwatch.trade.mirror import mirror_file
    from sanctionwatch.trade.rules import load_rules

    try:
        if not input_path.is_file():
            raise ValueError(f"{input_path}: no such file")
        res = mirror_file(input_path, out, load_rules(rules or []), rejects_path=rejects)
        if store is not None:
            from sanctionwatch.store.trade import store_mirror_findings

            n = store_mirror_findings(res.findings, str(input_path), store)
            err_console.print(f"{n:,} findings stored in table mirror_findings of "
                              f"{data_markup(store)}", highlight=False)
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    err_console.print(f"{res.rows_read:,} rows read from {data_markup(input_path)}",
                      highlight=False)
    if res.rejects:
        where = rejects or (out.with_suffix(".rejects.csv") if out is not None else None)
        first = "; ".join(f"line {ln}: {r}" for ln, r in res.rejects[:3])
        err_console.print(f"[bold yellow]warning:[/] {len(res.rejects):,} rows rejected ("
                          f"{data_markup(first)}" + ("; ..." if len(res.rejects) > 3 else "")
                          + ")" + (f"; all listed in {data_markup(where)}" if where else ""),
                          highlight=False)
    by_kind: dict[str, int] = {}
    for f in res.findings:
        by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
    out_console.print(f"{len(res.findings):,} findings ("
                      + (", ".join(f"{k} {n}" for k, n in by_kind.items()) or "none") + ")"
                      + (f" in {data_markup(out)}" if out is not None else ""), highlight=False)
    for f in res.findings[:20]:
        out_console.print(f"  {f.finding_id} {f.kind} ({f.severity}): "
                          f"{data_markup(f.explanation)}", highlight=False)
