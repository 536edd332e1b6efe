"""Command-line interface (``sanctionwatch``); the commands are in :mod:`sanctionwatch.cli.app`.

Importing this package does nothing process-wide. :func:`main`, the ``sanctionwatch``
command, first applies the batch tuning (:mod:`sanctionwatch.tuning`; off with
``SANCTIONWATCH_TUNING=0``), which must happen before Polars is loaded, then runs the app.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Console entry point."""
    from sanctionwatch import tuning
    from sanctionwatch.settings import settings

    try:
        settings()  # read once, here: a malformed SANCTIONWATCH_* value stops every command
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(2) from None
    applied = tuning.prepare_batch(sys.argv[1:])
    try:
        from sanctionwatch.cli.app import app  # loads Polars, which reads the allocator setting
    finally:
        tuning.restore_environment(applied)
    app()


__all__ = ["main"]
