"""What every command shares: the consoles it prints through, the store option, errors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from sanctionwatch.export.inert import terminal_text

err_console = Console(stderr=True)
"""Progress, messages and errors."""

# Wide tables when the output is not a terminal (make demo, pipes): rich would assume 80 columns.
out_console = Console(width=None if sys.stdout.isatty() else 160)
"""Results."""

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="DuckDB store file (default: $SANCTIONWATCH_STORE or ./sanctionwatch.duckdb).",
    ),
]
"""The ``--store`` option of every command that reads or writes the store."""


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error (never markup, no controls) and return exit code 2."""
    err_console.print(f"[bold red]error:[/] {data_markup(message)}", soft_wrap=True)
    return typer.Exit(code=2)


def data_text(value: object) -> Text:
    """A string from data (AIS, lists, input files) to print: no controls, never markup.

    Every table cell and message part that comes from data goes through here, so that a vessel
    or list name cannot send terminal escapes (see :func:`.export.inert.terminal_text`) or
    rich markup (``[red]``, ``[link=...]``) to the console.
    """
    return Text(terminal_text("" if value is None else str(value)))


def data_markup(value: object) -> str:
    """:func:`data_text` for a string that is joined into rich markup (titles, messages)."""
    return escape(terminal_text("" if value is None else str(value)))
