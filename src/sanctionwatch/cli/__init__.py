"""Command-line interface (``sanctionwatch``).

Importing this package sets the allocator options of the libraries below it, so it must run
before Polars is loaded, which the ``sanctionwatch`` command guarantees; a user's own setting of
the variable wins (Polars' own default, which a parent process that imported Polars passes on,
does not count as one).
"""

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable
from typing import cast

JEMALLOC_CONF = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
"""Polars' allocator (jemalloc) hands freed memory back to the system after half a second
(Polars sets ``dirty_decay_ms:500,muzzy_decay_ms:1000`` when imported, and appends whatever
``_RJEM_MALLOC_CONF`` holds, so this overrides it), and every page handed back and used again is
a page fault; kept for 30 s, the next partition, table or detector reuses it. Measured on 2
cores (`scale` scenario, one day): 49.1 M positions with ``--engine local`` in 59.5 s and 5.6 GB
peak against 71.6 s and 4.2 GB (kernel time 20.6 s against 42.0 s); 9.9 M with ``--engine
memory``, three interleaved runs each, 9.2-9.5 s against 9.8-10.9 s, 5.6-5.8 GB against
4.7-4.9 GB. Process-wide, hence the application's choice, not the library's."""

POLARS_JEMALLOC_CONF = "dirty_decay_ms:500,muzzy_decay_ms:1000"
"""What Polars sets when the variable is empty (polars/__init__.py, Polars 1.x-2.x)."""

if os.environ.get("_RJEM_MALLOC_CONF", POLARS_JEMALLOC_CONF) == POLARS_JEMALLOC_CONF:
    os.environ["_RJEM_MALLOC_CONF"] = JEMALLOC_CONF

MALLOC_ARENAS = 1
"""glibc's malloc arenas (``M_ARENA_MAX``), set before the libraries start their thread pools:
with one, memory a thread frees is reused by the others (the readers', the detectors', the
writers' and Arrow's and Polars' pool threads each had an arena of their own, and freed heap in
one was fresh pages for the rest). 9.9 M positions, memory engine, three interleaved runs each:
9.1-10.0 s against 9.6-10.4 s with the same setting made late, once the pools exist (kernel
time 3.1-3.3 s against 3.8-4.4 s, peak 5.0-5.2 GB against 5.2-5.5 GB); made late it had gained
only 9.4-9.5 s against 9.6-9.9 s without."""


def glibc_mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None where the C library is not glibc (e.g. musl, macOS)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return cast(Callable[[int, int], int], libc.mallopt)
    except (OSError, AttributeError):
        return None


_mallopt = glibc_mallopt()
if _mallopt is not None:
    _mallopt(-8, MALLOC_ARENAS)  # M_ARENA_MAX, <malloc.h>
