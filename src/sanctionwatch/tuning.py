"""Process tuning for one-shot batch runs: how the memory allocators behave.

Nothing here runs on import: importing ``sanctionwatch`` or any of its modules changes nothing
process-wide. The ``sanctionwatch`` command (:func:`sanctionwatch.cli.main`) calls
:func:`prepare_batch` first, before Polars is loaded, for the batch commands
(:data:`BATCH_COMMANDS`) only, and the ``detect`` command calls :func:`keep_freed_memory`
when the memory engine runs. ``SANCTIONWATCH_TUNING=0`` turns both off. A long-running
process (a notebook, a service) gets none of it: it keeps the libraries' defaults, which
return freed memory to the system, and so do the processes it starts (the environment is
restored once Polars has read it). The measurements behind each setting are in
``benchmarks/results/design-notes.md``; ``benchmarks/results/scale.md`` runs with them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, cast

from sanctionwatch.settings import settings

BATCH_COMMANDS: Final = frozenset({"detect", "ingest", "simulate"})
"""Commands that read large inputs once and exit: they get the batch tuning."""

JEMALLOC_ENV: Final = "_RJEM_MALLOC_CONF"

JEMALLOC_CONF: Final = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
"""Polars' allocator (jemalloc) hands freed memory back to the system after half a second
(Polars sets ``dirty_decay_ms:500,muzzy_decay_ms:1000`` when imported and appends whatever
the variable holds, so this overrides it), and every page handed back and used again is a page
fault; kept for 30 s, the next partition, table or detector reuses it: faster batch runs, at a
higher peak memory."""

POLARS_JEMALLOC_CONF: Final = "dirty_decay_ms:500,muzzy_decay_ms:1000"
"""What Polars sets when the variable is empty (polars/__init__.py, Polars 1.x-2.x): a parent
that imported Polars passes it on, and it does not count as the user's own setting."""

MALLOC_ARENAS: Final = 1
"""glibc's malloc arenas (``M_ARENA_MAX``), set before the libraries start their thread pools:
with one, memory a thread frees is reused by the others (the readers', the detectors', the
writers' and Arrow's and Polars' pool threads would otherwise each fill an arena of their own,
and freed heap in one would be fresh pages for the rest)."""

_M_ARENA_MAX, _M_TRIM_THRESHOLD, _M_MMAP_MAX = -8, -1, -4  # <malloc.h>


@dataclass(frozen=True)
class Applied:
    """What :func:`prepare_batch` did, so :func:`restore_environment` can undo the part that
    child processes would inherit."""

    env_before: str | None
    env_set: bool
    arenas: bool


def glibc_mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None where the C library is not glibc (e.g. musl, macOS)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return cast(Callable[[int, int], int], libc.mallopt)
    except (OSError, AttributeError):
        return None


def batch_command(argv: Sequence[str]) -> str | None:
    """The batch command among ``argv`` (the command line after the program), if any."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in BATCH_COMMANDS else None
    return None


def prepare_batch(argv: Sequence[str]) -> Applied | None:
    """Tune this process for a batch command, before Polars is imported: Polars' jemalloc
    keeps freed memory (:data:`JEMALLOC_CONF`, unless the user set the variable) and glibc
    uses one arena (:data:`MALLOC_ARENAS`). Nothing when the command is not a batch one or
    the ``SANCTIONWATCH_TUNING`` setting is off. Returns what was done."""
    if batch_command(argv) is None or not settings().tuning:
        return None
    before = os.environ.get(JEMALLOC_ENV)
    env_set = before is None or before == POLARS_JEMALLOC_CONF
    if env_set:
        os.environ[JEMALLOC_ENV] = JEMALLOC_CONF
    mallopt = glibc_mallopt()
    arenas = mallopt is not None and bool(mallopt(_M_ARENA_MAX, MALLOC_ARENAS))
    return Applied(before, env_set, arenas)


def restore_environment(applied: Applied | None) -> None:
    """Once Polars has read its allocator variable (when it is imported): put the variable
    back as it was, so processes this one starts (Dask workers, subprocesses) keep their
    libraries' defaults."""
    if applied is None or not applied.env_set:
        return
    if applied.env_before is None:
        os.environ.pop(JEMALLOC_ENV, None)
    else:
        os.environ[JEMALLOC_ENV] = applied.env_before


def keep_freed_memory() -> bool:
    """For the memory engine's batch run: glibc keeps freed memory for reuse instead of
    returning it to the system, Arrow allocates from glibc too, and NumPy stops advising huge
    pages.

    Large NumPy arrays are otherwise mmap'ed and unmapped one by one, and every fresh page is
    a page fault; Arrow's own allocator (mimalloc) hands freed memory back within milliseconds,
    so the buffers of every Parquet row group read are fresh pages again; NumPy's huge-page
    advice on a heap that is kept and reused costs more in the kernel than it saves. The lake
    engines, whose point is bounded memory, do not use it: with glibc keeping memory their
    peak grows for no time gained. Process-wide and for the rest of the process, hence only
    for a one-shot command. Returns whether glibc's settings were applied (Arrow and NumPy
    are changed only then)."""
    mallopt = glibc_mallopt()
    if mallopt is None:  # not glibc: leave the allocators alone
        return False
    kept = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    if kept:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
        from numpy._core import multiarray

        switch = getattr(multiarray, "_set_madvise_hugepage", None)  # NumPy's own switch
        if switch is not None:  # a NumPy without it: leave its default
            switch(False)
    return kept


__all__ = [
    "BATCH_COMMANDS",
    "JEMALLOC_CONF",
    "MALLOC_ARENAS",
    "POLARS_JEMALLOC_CONF",
    "Applied",
    "batch_command",
    "glibc_mallopt",
    "keep_freed_memory",
    "prepare_batch",
    "restore_environment",
]
