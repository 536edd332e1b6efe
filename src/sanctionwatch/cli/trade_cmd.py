"""``sanctionwatch shipments``: screen bill-of-lading / customs records (docs/trade.md)."""

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
                     "screened only when it holds lists)."),
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
