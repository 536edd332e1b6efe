"""Command-line interface (``sanctionwatch``); the commands are in :mod:`sanctionwatch.cli.app`.

Importing this package does nothing process-wide. :func:`main`, the ``sanctionwatch``
command, first applies the batch tuning (:mod:`sanctionwatch.tuning`; off with
``SANCTIONWATCH_TUNING=0``), which must happen before Polars is loaded, then runs the app.

No traceback reaches the user: an error that a command does not report itself becomes one
line on stderr (naming the file when it is known) and its traceback is appended to the error
log (``SANCTIONWATCH_LOG``). Exit codes (``docs/errors.md``): :data:`EXIT_OK`,
:data:`EXIT_INTERNAL`, :data:`EXIT_INPUT`, :data:`EXIT_STORE_BUSY`, :data:`EXIT_INTERRUPTED`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

EXIT_OK = 0
"""The command did what was asked (findings or none)."""
EXIT_INTERNAL = 1
"""An unexpected error: a defect of sanctionwatch or of its environment (see the log)."""
EXIT_INPUT = 2
"""A usage or input error: a bad option, an unreadable or invalid input, an output or store
that cannot be written."""
EXIT_STORE_BUSY = 3
"""The store stayed in use by another process longer than ``SANCTIONWATCH_STORE_WAIT``."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C)."""

_INPUT_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, ValueError, UnicodeError)
"""Errors that come from what the user gave (files, values), not from a defect."""

_FILE_LOCALS = ("path", "source", "file", "filename", "src")


def main() -> None:
    """Console entry point."""
    raise SystemExit(run(sys.argv[1:]))


def run(argv: Sequence[str]) -> int:
    """Run the ``sanctionwatch`` command line on ``argv``; the exit code."""
    from sanctionwatch import tuning
    from sanctionwatch.settings import settings

    try:
        settings()  # read once, here: a malformed SANCTIONWATCH_* value stops every command
    except ValueError as exc:
        _say(f"error: {exc}")
        return EXIT_INPUT
    applied = tuning.prepare_batch(list(argv))
    try:
        import typer
        from typer._click.exceptions import ClickException  # Typer's own copy of Click

        from sanctionwatch.cli.app import app  # loads Polars, which reads the allocator setting
    finally:
        tuning.restore_environment(applied)
    try:
        rv = typer.main.get_command(app).main(
            args=list(argv), prog_name="sanctionwatch", standalone_mode=False
        )
    except typer.Abort as exc:
        if exc.__cause__ is None:
            _say("Aborted.")
            return EXIT_INTERNAL
        return report(exc.__cause__, argv)
    except ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:
        return report(exc, argv)
    finally:
        sys.stdout.flush()
    return rv if isinstance(rv, int) else EXIT_OK


def report(exc: BaseException, argv: Sequence[str] = ()) -> int:
    """Print ``exc`` as one line on stderr, log its traceback; the exit code it deserves."""
    from sanctionwatch.store.access import StoreBusy

    log = _log(exc, argv)
    where = _file_of(exc)
    record = getattr(exc, "record", None)
    if where and isinstance(record, int) and not isinstance(record, bool):
        where = f"{where}:{record}"
    text = str(exc).strip() or type(exc).__name__
    if where and where not in text:
        text = f"{where}: {text}"
    notes = [str(n) for n in getattr(exc, "__notes__", ())]
    if notes:
        text += " (" + "; ".join(notes) + ")"
    if isinstance(exc, StoreBusy):
        code, kind = EXIT_STORE_BUSY, "error"
    elif isinstance(exc, _INPUT_ERRORS):
        code, kind = EXIT_INPUT, "error"
    else:
        code, kind = EXIT_INTERNAL, "internal error"
        text = f"{type(exc).__name__}: {text}"
    tail = f" (traceback in {log})" if log else " (the traceback could not be logged)"
    _say(f"{kind}: {_printable(text)}{tail}")
    return code


def log_path() -> Path:
    """The error log: the ``SANCTIONWATCH_LOG`` setting."""
    from sanctionwatch.settings import settings

    return settings().log_path()


def _log(exc: BaseException, argv: Sequence[str]) -> Path | None:
    from sanctionwatch import __version__

    entry = (
        f"--- {datetime.now(UTC).isoformat(timespec='seconds')} sanctionwatch {__version__} "
        f"pid {os.getpid()}: sanctionwatch {' '.join(argv)}\n"
        + "".join(traceback.format_exception(exc))
    )
    for path in (log_path(), Path(tempfile.gettempdir()) / "sanctionwatch-errors.log"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(entry)
            return path
        except OSError:
            continue
    return None


def _file_of(exc: BaseException) -> str | None:
    """The input file an error is about, when it says or its frames show it."""
    for attr in ("filename", "source", "path"):
        value = getattr(exc, attr, None)
        if isinstance(value, (str, Path)) and str(value):
            return str(value)
    tb: TracebackType | None = exc.__traceback__
    found: str | None = None
    while tb is not None:
        frame = tb.tb_frame
        if f"{os.sep}sanctionwatch{os.sep}" in frame.f_code.co_filename:
            for name in _FILE_LOCALS:
                value = frame.f_locals.get(name)
                if isinstance(value, (str, Path)) and str(value) and _is_file(value):
                    found = str(value)  # the innermost frame that names a file wins
                    break
        tb = tb.tb_next
    return found


def _is_file(value: str | Path) -> bool:
    try:
        return Path(value).is_file()
    except (OSError, ValueError):
        return False


def _printable(text: str) -> str:
    """``text`` on one line, without control characters (terminal escapes)."""
    return "".join(c if c.isprintable() else " " for c in text)


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


__all__ = [
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_STORE_BUSY",
    "log_path",
    "main",
    "report",
    "run",
]
