"""``sanctionwatch serve``: the web workspace and HTTP API over a store (registered in
``cli/app.py``). The bind rule is checked before anything listens; uvicorn is started here,
at the program's entry point, since it takes over the process (signals, logging)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli.consoles import StoreOpt, data_markup, err_console, fail

DEFAULT_HOST = "127.0.0.1"
"""Loopback: only this machine can connect (issue 17: loopback unless a token is given)."""
DEFAULT_PORT = 8765
"""An unassigned port in the IANA registry's user range, clear of the usual development
servers (8000, 8080, 8888)."""


def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback "
                                      "needs --token.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = DEFAULT_PORT,
    token: Annotated[
        str | None, typer.Option(help="Access token: every API request must send "
                                 "'Authorization: Bearer TOKEN'.", envvar="SANCTIONWATCH_TOKEN",
                                 show_envvar=True)
    ] = None,
    token_user: Annotated[
        str, typer.Option("--token-user", help="Name recorded on the alert reviews made "
                          "with the token (without a token: local).")
    ] = "analyst",
    reports: Annotated[
        Path | None, typer.Option("--reports", help="Folder whose files /api/reports/NAME "
                                  "serves (nothing outside it).")
    ] = None,
) -> None:
    """Serve the web workspace and the HTTP API (OpenAPI at /docs) over the store."""
    from sanctionwatch.store import default_store_path
    from sanctionwatch.web.security import UnsafeBind, check_bind

    try:
        check_bind(host, token)
    except UnsafeBind as exc:
        raise fail(str(exc)) from exc
    path = store or default_store_path()
    if not Path(path).is_file():
        raise fail(f"{path}: no store here (run `sanctionwatch detect --store {path}` first, "
                   "or give --store)")
    if reports is not None and not reports.is_dir():
        raise fail(f"{reports}: --reports is not a folder")
    if token is not None and not token.strip():
        raise fail("--token is empty")

    import uvicorn

    from sanctionwatch.web import create_app

    app = create_app(path, token=token, reports_dir=reports, token_user=token_user)
    shown = f"[{host}]" if ":" in host else host
    err_console.print(f"serving {data_markup(path)} on http://{data_markup(shown)}:{port}/ "
                      f"({'token required' if token else 'loopback, no token'})",
                      soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
