"""The consoles every command prints through (one place for width and stream choices)."""

from __future__ import annotations

import sys

from rich.console import Console

err_console = Console(stderr=True)
"""Progress, messages and errors."""

# Wide tables when the output is not a terminal (make demo, pipes): rich would assume 80 columns.
out_console = Console(width=None if sys.stdout.isatty() else 160)
"""Results."""
