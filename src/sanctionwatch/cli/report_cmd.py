"""``sanctionwatch report vessel``, ``report wallet`` and ``report account``: write a vessel's, a
crypto address's or a card account's evidence dossier (HTML, optionally PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli.consoles import StoreOpt, data_markup, err_console, fail

report_app = typer.Typer(
    name="report",
    help="Evidence dossiers: everything known of one vessel, crypto wallet or card account, "
    "each value traced to its source.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text verbatim, as in cli/app.py
)


@report_app.command("vessel")
def vessel(
    key: Annotated[str, typer.Argument(help="IMO number (7 digits) or MMSI (9 digits).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The dossier's HTML file.")],
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF beside the HTML (Chromium).")
    ] = False,
    store: StoreOpt = None,
    positions: Annotated[
        Path | None,
        typer.Option("--positions", help="positions.parquet to draw the track from (default: "
                     "the output of the newest run in the store that saw the vessel)."),
    ] = None,
) -> None:
    """Write the dossier of vessel KEY: identity history, list matches, risk, timeline, map,
    STS partners, ownership chain and the provenance of every value."""
    from sanctionwatch.evidence import VesselNotFound
    from sanctionwatch.evidence.render import ChromiumMissing, write_dossier
    from sanctionwatch.findings import vessel_dossier
    from sanctionwatch.store import default_store_path

    store_path = store or default_store_path()
    if not Path(store_path).exists():
        raise fail(f"{store_path}: no store here (run `sanctionwatch detect --store "
                   f"{store_path}` first, or give --store)")
    try:
        dossier = vessel_dossier(store_path, key, positions=positions)
        written = write_dossier(dossier, out, pdf=pdf)
    except (VesselNotFound, ChromiumMissing, FileNotFoundError, ValueError) as e:
        raise fail(str(e)) from e
    for p in written:
        err_console.print(f"wrote {data_markup(p)}", soft_wrap=True)
    err_console.print(
        f"{len(dossier.timeline)} events, {len(dossier.partners)} STS partners, "
        f"{len(dossier.facts)} facts in the provenance table"
    )


@report_app.command("wallet")
def wallet(
    address: Annotated[str, typer.Argument(help="Crypto address (any case).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The dossier's HTML file.")],
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF beside the HTML (Chromium).")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Write the dossier of crypto ADDRESS: holder and designation, paths to designated
    entities, alert score, taint and hops from each seed, transfers in and out, detector
    findings, and the provenance of every value (docs/dossier.md)."""
    from sanctionwatch.evidence.render import ChromiumMissing
    from sanctionwatch.evidence.wallet_dossier import (
        WalletNotFound,
        wallet_dossier,
        write_wallet_dossier,
    )
    from sanctionwatch.store import default_store_path

    store_path = store or default_store_path()
    if not Path(store_path).exists():
        raise fail(f"{store_path}: no store here (run `sanctionwatch trace ... --store "
                   f"{store_path}` first, or give --store)")
    try:
        dossier = wallet_dossier(store_path, address)
        written = write_wallet_dossier(dossier, out, pdf=pdf)
    except (WalletNotFound, ChromiumMissing, FileNotFoundError, ValueError, RuntimeError) as e:
        raise fail(str(e)) from e
    for p in written:
        err_console.print(f"wrote {data_markup(p)}", soft_wrap=True)
    err_console.print(
        f"{len(dossier.traces)} stored trace rows, {len(dossier.flows)} transfers, "
        f"{len(dossier.facts)} facts in the provenance table", highlight=False, soft_wrap=True)


@report_app.command("account")
def account(
    key: Annotated[str, typer.Argument(help="Card account of a stored cash-out alert: "
                                       "BIN:ACCOUNT, or ACCOUNT when one BIN's alerts name it.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The dossier's HTML file.")],
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print it to PDF beside the HTML (Chromium).")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Write the dossier of a card account of the stored ATM cash-out alerts: alert score,
    every alert naming it with its transactions, the accounts alerted with it, and the
    provenance of every value (docs/dossier.md)."""
    from sanctionwatch.evidence.account_dossier import (
        AccountNotFound,
        account_dossier,
        write_account_dossier,
    )
    from sanctionwatch.evidence.render import ChromiumMissing
    from sanctionwatch.store import default_store_path

    store_path = store or default_store_path()
    if not Path(store_path).exists():
        raise fail(f"{store_path}: no store here (run `sanctionwatch cashout ... --store "
                   f"{store_path}` first, or give --store)")
    try:
        dossier = account_dossier(store_path, key)
        written = write_account_dossier(dossier, out, pdf=pdf)
    except (AccountNotFound, ChromiumMissing, FileNotFoundError, ValueError,
            RuntimeError) as e:
        raise fail(str(e)) from e
    for p in written:
        err_console.print(f"wrote {data_markup(p)}", soft_wrap=True)
    err_console.print(f"{len(dossier.alerts)} alerts, {len(dossier.co_accounts)} accounts "
                      f"alerted with it, {len(dossier.facts)} facts in the provenance table",
                      highlight=False, soft_wrap=True)
