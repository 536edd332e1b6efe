"""Inert output: text from data (AIS names, list names, input files) made safe to show or open.

Two rules, each defined once here and used by every output path:

- **Spreadsheet cells** (OWASP CSV injection): a text cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so that a
  spreadsheet shows it as text instead of running it as a formula (``=HYPERLINK(...)``,
  ``+CMD|...``). A cell that is a plain number (``-12.5``, ``+3``) is left as it is: a
  spreadsheet reads it as a number, never as a formula, and quoting it would turn numbers into
  text. Quoting of separators and double quotes is the CSV writer's.
- **Terminal text**: escape sequences (CSI ``ESC [ ... final``, OSC ``ESC ] ... BEL|ST`` and
  the other ``ESC`` forms, and their 8-bit C1 forms) are removed whole, then every remaining
  C0 and C1 control character and DEL, except tab and newline. A name cannot clear the screen,
  move the cursor, set the window title or hide text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import polars as pl

# Rust (Polars) and Python regex syntax alike: both rules also run column-wise on frames.
_FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_FORMULA_RE = re.compile(_FORMULA_START)
_NUMBER_RE = re.compile(_PLAIN_NUMBER)

# Whole escape sequences first (so that no "[2J" residue is left), then lone controls.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: ESC [ or 8-bit CSI, params, final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC, DCS...
    r"|\x1b[ -/]*[0-~]"  # other two-character escapes (ESC c, ESC 7, ESC ( B ...)
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def spreadsheet_cell(value: str) -> str:
    """``value`` that a spreadsheet shows as text: quoted with ``'`` if it would be a formula."""
    if _FORMULA_RE.match(value) and not _NUMBER_RE.match(value):
        return "'" + value
    return value


def spreadsheet_frame(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with :func:`spreadsheet_cell` applied to every text column (others unchanged)."""
    exprs = [
        pl.when(
            pl.col(name).str.contains(_FORMULA_START)
            & ~pl.col(name).str.contains(_PLAIN_NUMBER)
        )
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in df.schema.items()
        if dtype == pl.String
    ]
    return df.with_columns(exprs) if exprs else df


def write_csv(
    target: Path | IO[str], header: Iterable[str], rows: Iterable[Iterable[object]]
) -> int:
    """Write ``header`` and ``rows`` as CSV with every cell made inert; returns the row count.

    ``target`` is a path (written as UTF-8) or an open text stream. ``None`` is an empty cell.
    """
    if isinstance(target, Path):
        with target.open("w", newline="", encoding="utf-8") as fh:
            return write_csv(fh, header, rows)
    writer = csv.writer(target)
    writer.writerow([spreadsheet_cell(str(h)) for h in header])
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else spreadsheet_cell(str(v)) for v in row])
        n += 1
    return n


def terminal_text(value: str) -> str:
    """``value`` without terminal escape sequences or control characters (tab, newline kept)."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", value))


def json_text(text: str) -> str:
    """JSON text with DEL and the C1 controls written as ``\\uXXXX`` escapes.

    ``json.dumps`` escapes C0 controls always but, with ``ensure_ascii=False``, writes C1 ones
    (such as the 8-bit CSI) raw; in JSON text they can only occur inside strings, where the
    escape means the same character.
    """
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)
