"""``sanctionwatch fishing-days``: fishing days in DPRK waters (docs/fishing.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.consoles import StoreOpt, data_text, err_console, fail, out_console


def fishing_days(
    store: StoreOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="CSV file to write the "
                                             "table to.")] = None,
    year: Annotated[int | None, typer.Option("--year", help="Only this UTC year.")] = None,
) -> None:
    """Fishing days inside the DPRK zones by flag and gear, beside Park et al. 2020's
    estimates (from the store's fishing and pair_trawling events)."""
    from sanctionwatch.atomic import atomic_path
    from sanctionwatch.export.inert import write_csv
    from sanctionwatch.fishing_days import CAVEAT, fishing_days_from_store
    from sanctionwatch.store import default_store_path

    try:
        table = fishing_days_from_store(store or default_store_path(), year=year)
        if out is not None:
            with atomic_path(out) as tmp:  # every CSV of the CLI goes through the inert writer
                write_csv(tmp, table.columns, table.iter_rows())
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from exc
    if table.height == 0:
        out_console.print("No fishing or pair_trawling events inside the DPRK zones.")
        return
    t = Table("year", "zone", "flag", "gear", "vessels", "vessel-days", "fishing days",
              "Park et al. days", "AIS share")
    for r in table.iter_rows(named=True):
        zone = r["zone_id"] + (" (APPROXIMATE)" if r["approximate"] else "")
        park = r["park_estimated_days"]
        share = r["ais_share"]
        t.add_row(str(r["year"]), data_text(zone), data_text(r["flag"]), data_text(r["gear"]),
                  str(r["vessels"]), str(r["vessel_days"]), f"{r['fishing_days']:.2f}",
                  "" if park is None else f"{park:,.0f}",
                  "" if share is None else f"{share:.2%}")
    out_console.print(t)
    err_console.print(f"Caveat: {CAVEAT}", highlight=False)
    if out is not None:
        err_console.print(f"written {out}", highlight=False)
