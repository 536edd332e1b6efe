"""Opening the store file when several processes share it.

DuckDB lets one process at a time open a file read-write, or several processes open it
read-only, never both at once; a process that cannot get the file's lock fails at once with
``Could not set lock``. :func:`connect` waits instead: it retries with a bounded back-off
(``SANCTIONWATCH_STORE_WAIT`` seconds in all), says once on stderr that it is waiting, and
raises :class:`StoreBusy` when the time is up. So writers (``detect``, ``lists load``)
serialise, and readers (``events``, ``screen``, ``lists show``, a run's sanctions
screening) share the file and only wait while a writer holds it. Every command keeps the
store open only while it reads or writes it, never during the work before.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from sanctionwatch.settings import settings

_MAGIC = b"DUCK"
_MAGIC_AT = 8  # a DuckDB file starts with an 8-byte checksum, then the magic bytes


class StoreBusy(RuntimeError):
    """The store stayed locked by another process for longer than the allowed wait."""


class StoreNotWritable(ValueError):
    """The store cannot be written (permissions, a folder, not a DuckDB file)."""


def _notify(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB refusing a file another process holds."""
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)


def connect(
    path: str | Path,
    *,
    read_only: bool,
    wait_s: float | None = None,
    notify: Callable[[str], None] = _notify,
) -> duckdb.DuckDBPyConnection:
    """A connection to the store at ``path`` (UTC session), waiting while another process
    holds the file: at most ``wait_s`` seconds (default: the ``SANCTIONWATCH_STORE_WAIT``
    setting), then :class:`StoreBusy`. ``notify`` gets one message when waiting starts."""
    limit = settings().store_wait_s if wait_s is None else wait_s
    deadline = time.monotonic() + limit
    pause = 0.05
    told = False
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not is_lock_conflict(exc):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreBusy(
                    f"{path}: store busy: another process still holds it after {limit:g} s "
                    "(raise SANCTIONWATCH_STORE_WAIT to wait longer)"
                ) from exc
            if not told:
                notify(f"store busy: {path} is in use by another process; waiting "
                       f"(up to {limit:g} s)...")
                told = True
            time.sleep(min(pause, left))
            pause = min(pause * 2, 1.0)
            continue
        con.execute("SET TimeZone = 'UTC'")
        return con


def check_store_writable(path: str | Path) -> None:
    """Raise :class:`StoreNotWritable` naming the cause when ``path`` cannot be written as a
    store: checked before a run's work, so that a bad ``--store`` fails at once."""
    p = Path(path)
    if p.is_dir():
        raise StoreNotWritable(f"{p}: --store is a folder, not a store file")
    folder = p.parent if str(p.parent) else Path(".")
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise StoreNotWritable(f"{p}: cannot create the store: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise StoreNotWritable(f"{p}: cannot write the store: permission denied on {probe}")
    if p.exists():
        if not os.access(p, os.R_OK | os.W_OK):
            raise StoreNotWritable(f"{p}: cannot write the store: permission denied")
        if p.stat().st_size:
            with p.open("rb") as fh:
                head = fh.read(_MAGIC_AT + len(_MAGIC))
            if head[_MAGIC_AT:] != _MAGIC:
                raise StoreNotWritable(f"{p}: not a sanctionwatch store (not a DuckDB file)")


__all__ = ["StoreBusy", "StoreNotWritable", "check_store_writable", "connect",
           "is_lock_conflict"]
