"""Environment settings (``SANCTIONWATCH_*``), read once, in one place.

These are the machine's and the user's standing choices; what one run does (engine, detector
parameters, inputs) is its run configuration (:mod:`sanctionwatch.config`), which a setting
never overrides. Every setting is documented in ``docs/configuration.md`` (a test checks it).

- ``SANCTIONWATCH_STORE`` (default ``./sanctionwatch.duckdb``): the store file of commands
  given no ``--store``.
- ``SANCTIONWATCH_THREADS`` (default twice the cores, at most 8): threads that read files and
  run detectors at once.
- ``SANCTIONWATCH_SCHEDULER`` (default none: a local Dask cluster): the Dask scheduler of
  ``--engine dask`` when the run configuration names none.
- ``SANCTIONWATCH_TUNING`` (default ``1``): ``0`` turns off the batch tuning the
  ``sanctionwatch`` command applies (:mod:`sanctionwatch.tuning`).
- ``SANCTIONWATCH_STORE_WAIT`` (default ``600``): seconds a command waits for a store another
  process is using before it gives up (exit code 3).
- ``SANCTIONWATCH_LOG`` (default ``$XDG_STATE_HOME/sanctionwatch/errors.log``, that is
  ``~/.local/state/sanctionwatch/errors.log``): the file the ``sanctionwatch`` command appends
  the traceback of an error to.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PREFIX = "SANCTIONWATCH_"
DEFAULT_STORE = "sanctionwatch.duckdb"
DEFAULT_STORE_WAIT_S = 600.0

_FALSE = ("0", "false", "no", "off")


def default_threads() -> int:
    """Twice the machine's cores, at most 8: a detector spends part of its time holding the
    GIL or waiting for a view another is building, so more threads than cores keep the cores
    busy, and 8 is about the number of detectors that can run at once."""
    return min(8, 2 * (os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    """The ``SANCTIONWATCH_*`` environment, parsed (see the module docstring)."""

    store: Path = Path(DEFAULT_STORE)
    threads: int = 1
    scheduler: str | None = None
    tuning: bool = True
    store_wait_s: float = DEFAULT_STORE_WAIT_S
    log: Path | None = None
    """None: :func:`default_log_path`."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from an environment mapping; a malformed value is an error naming it."""
        threads_text = environ.get(f"{PREFIX}THREADS", "").strip()
        if threads_text:
            try:
                threads = int(threads_text)
            except ValueError:
                threads = 0
            if threads < 1:
                raise ValueError(f"{PREFIX}THREADS must be a whole number >= 1, "
                                 f"got {threads_text!r}")
        else:
            threads = default_threads()
        wait_text = environ.get(f"{PREFIX}STORE_WAIT", "").strip()
        wait_s = DEFAULT_STORE_WAIT_S
        if wait_text:
            try:
                wait_s = float(wait_text)
            except ValueError:
                wait_s = -1.0
            if not wait_s >= 0 or wait_s == float("inf"):
                raise ValueError(f"{PREFIX}STORE_WAIT must be a number of seconds >= 0, "
                                 f"got {wait_text!r}")
        log_text = environ.get(f"{PREFIX}LOG", "").strip()
        return cls(
            store=Path(environ.get(f"{PREFIX}STORE") or DEFAULT_STORE),
            threads=threads,
            scheduler=environ.get(f"{PREFIX}SCHEDULER") or None,
            tuning=environ.get(f"{PREFIX}TUNING", "1").strip().lower() not in _FALSE,
            store_wait_s=wait_s,
            log=Path(log_text).expanduser() if log_text else None,
        )

    def log_path(self) -> Path:
        """Where errors are logged: ``log``, else :func:`default_log_path`."""
        return self.log if self.log is not None else default_log_path(os.environ)


def default_log_path(environ: Mapping[str, str]) -> Path:
    """``$XDG_STATE_HOME/sanctionwatch/errors.log`` (``~/.local/state`` when unset)."""
    state = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sanctionwatch" / "errors.log"


@cache
def settings() -> Settings:
    """The settings of this process, read from the environment on first use."""
    return Settings.from_env(os.environ)


NAMES = ("STORE", "THREADS", "SCHEDULER", "TUNING", "STORE_WAIT", "LOG")
"""The settings' variable names without the prefix (documented in docs/configuration.md)."""

__all__ = [
    "DEFAULT_STORE",
    "DEFAULT_STORE_WAIT_S",
    "NAMES",
    "PREFIX",
    "Settings",
    "default_log_path",
    "default_threads",
    "settings",
]
