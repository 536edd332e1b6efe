"""``sanctionwatch petroleum``: refined-petroleum deliveries vs the UN cap (docs/petroleum.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli.consoles import data_markup, err_console, fail, out_console


def petroleum(
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Store with the detected events (default: "
                     "$SANCTIONWATCH_STORE or ./sanctionwatch.duckdb); the deliveries are "
                     "stored back into it (table petroleum_deliveries)."),
    ] = None,
    registry: Annotated[
        Path | None,
        typer.Option("--registry", help="Registry CSV: imo, deadweight_t (optional "
                     "design_draught_m, ship_type)."),
    ] = None,
    notifications: Annotated[
        Path | None,
        typer.Option("--notifications", help="Supplier notifications to the 1718 Committee: "
                     "CSV of year, supplier_state, barrels."),
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only deliveries arriving in "
                                             "this year.")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for deliveries.csv and summary.csv."),
    ] = None,
) -> None:
    """Estimate refined-petroleum deliveries to DPRK ports and compare them with the cap."""
    from sanctionwatch.store import default_store_path
    from sanctionwatch.trade.petroleum import (
        read_notifications,
        read_registry,
        store_deliveries,
        track_deliveries,
        write_outputs,
    )

    path = store or default_store_path()
    if not Path(path).exists():
        raise fail(f"{path}: no store here (run `sanctionwatch detect --store` first)")
    try:
        reg = read_registry(registry) if registry else None
        notes = read_notifications(notifications) if notifications else None
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    rep = track_deliveries(path, registry=reg, notifications=notes, year=year)
    store_deliveries(rep, path)
    if out is not None:
        d, s = write_outputs(rep, out)
        err_console.print(f"Wrote {data_markup(str(d))} and {data_markup(str(s))}.")
    _print(rep)


def _print(rep: object) -> None:
    from rich.table import Table

    from sanctionwatch.trade.petroleum import CapReport

    assert isinstance(rep, CapReport)
    t = Table(title=f"Refined-petroleum deliveries to DPRK ports ({len(rep.deliveries)})")
    for col in ("arrival (UTC)", "vessel", "port", "mechanism", "supplier", "dwt t",
                "bbl 1/3", "bbl 1/2", "bbl 90 %", "bbl draught"):
        t.add_column(col)
    for d in rep.deliveries:
        t.add_row(f"{d.arrival_time:%Y-%m-%d %H:%M}",
                  data_markup(f"{d.name or ''} ({d.mmsi})"), data_markup(d.port), d.mechanism,
                  data_markup(f"{d.supplier_name or ''} ({d.supplier_mmsi})")
                  if d.supplier_mmsi else "", f"{d.deadweight_t:,.0f}",
                  f"{d.barrels['third']:,.0f}", f"{d.barrels['half']:,.0f}",
                  f"{d.barrels['ninety']:,.0f}",
                  f"{d.draught_barrels:,.0f}" if d.draught_barrels is not None else "")
    out_console.print(t)
    y = Table(title=f"Per year vs the cap of {rep.cap_barrels:,.0f} barrels "
                    f"({data_markup(rep.cap_citation)})")
    for col in ("year", "deliveries", "bbl 1/3", "bbl 1/2", "bbl 90 %", "x cap at 1/3",
                "bbl draught", "notified bbl"):
        y.add_column(col)
    for s in rep.years:
        y.add_row(str(s.year), str(s.deliveries), f"{s.barrels['third']:,.0f}",
                  f"{s.barrels['half']:,.0f}", f"{s.barrels['ninety']:,.0f}",
                  f"{s.share_of_cap('third'):.2f}",
                  f"{s.draught_barrels:,.0f} ({s.draught_deliveries})",
                  "" if s.notified_barrels is None else f"{s.notified_barrels:,.0f}")
    out_console.print(y)
    if not rep.deliveries:
        err_console.print("No tanker arrival at a DPRK port in the store's events.")
