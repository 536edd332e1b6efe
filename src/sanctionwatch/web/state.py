"""What the app keeps between requests: the store's path, its access lock, and the derived
data that is expensive to build (entity graph, risk ranking, screening index), cached per
version of the store file.

The store is opened read-only when a request needs it and each request reads through its own
cursor on that connection (opening the file costs tens of milliseconds, a cursor almost
nothing). The file is closed again once no request has used it for :data:`IDLE_CLOSE_S`, so
that other processes (``detect``, ``lists load``), which cannot write while any process holds
the file, get in whenever the workspace is idle. Inside this process a readers-writer lock
keeps a read-write opening (an alert review) apart from the read-only one, which DuckDB
refuses to mix on one file in one process.

The derived data is built lazily on first use and kept while the store file's modification
time and size stay the same; a write by another process changes them and the next request
builds afresh. A review written by this app changes the file too, but no derived data
depends on reviews: the cache adopts the new file version when it was current before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sanctionwatch.store import DuckDBStore

if TYPE_CHECKING:
    from followthemoney.proxy import EntityProxy

    from sanctionwatch.finance.alerts import FinanceAlert
    from sanctionwatch.linking.graph import EntityGraph
    from sanctionwatch.risk.model import VesselRisk
    from sanctionwatch.screening.screen import Screener

T = TypeVar("T")
Version = tuple[int, int]

IDLE_CLOSE_S = 1.0
"""Seconds without a request after which the read-only store is closed (a writer waiting
for the file, e.g. ``detect``, gets it then; the next request opens it again, a cost paid
only after a pause)."""


class ReadWriteLock:
    """Many readers or one writer (writers wait for readers to finish; new readers wait for a
    waiting writer, so writes are not starved)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._waiting_writers:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting_writers += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class StoreHandle:
    """One store file as this process reads and writes it: the readers-writer lock, and the
    read-only connection shared by concurrent requests (each gets its own cursor), closed
    after :data:`IDLE_CLOSE_S` without use. One per file per process (:func:`store_handle`),
    so several apps over one store in one process never mix read-only and read-write
    openings, which DuckDB refuses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = ReadWriteLock()
        self._shared: DuckDBStore | None = None
        self._active = 0
        self._last_use = 0.0
        self._mutex = threading.Lock()
        self._closer: threading.Thread | None = None

    @contextmanager
    def read(self) -> Iterator[DuckDBStore]:
        """A read-only cursor on the store for one reader (``FileNotFoundError`` when there
        is no store)."""
        with self.lock.read():
            with self._mutex:
                if self._shared is None:
                    self._shared = DuckDBStore(self.path, read_only=True)
                    self._start_closer()
                self._active += 1
                cur = self._shared.cursor()
            try:
                yield cur
            finally:
                cur.close()
                with self._mutex:
                    self._active -= 1
                    self._last_use = time.monotonic()

    @contextmanager
    def write(self) -> Iterator[DuckDBStore]:
        """The store read-write, no reader in this process meanwhile."""
        with self.lock.write():
            self.close()  # no reader is active under the write lock
            with DuckDBStore(self.path) as st:
                yield st

    def close(self) -> None:
        """Close the read-only connection now if no reader uses it (reopened when needed)."""
        with self._mutex:
            if self._shared is not None and not self._active:
                self._shared.close()
                self._shared = None

    def _start_closer(self) -> None:
        if self._closer is None or not self._closer.is_alive():
            # Not a daemon: the process waits (at most IDLE_CLOSE_S) for it to close DuckDB
            # before the interpreter finalizes. A daemon thread stopped inside DuckDB's close
            # at exit is unwound through C++ frames and aborts the process.
            self._closer = threading.Thread(target=self._close_when_idle, daemon=False,
                                            name="sanctionwatch-store-closer")
            self._closer.start()

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(IDLE_CLOSE_S / 4)
            with self._mutex:
                if self._shared is None:
                    return
                if not self._active and time.monotonic() - self._last_use >= IDLE_CLOSE_S:
                    self._shared.close()
                    self._shared = None
                    return


_HANDLES: dict[Path, StoreHandle] = {}
_HANDLES_LOCK = threading.Lock()


def store_handle(path: Path) -> StoreHandle:
    """The process's :class:`StoreHandle` of the store file at ``path``."""
    key = path.resolve()
    with _HANDLES_LOCK:
        if key not in _HANDLES:
            _HANDLES[key] = StoreHandle(path)
        return _HANDLES[key]


@dataclass
class ListIndex:
    """The loaded lists' entities by id and the screener over them."""

    screener: Screener
    entities: dict[str, EntityProxy]


@dataclass
class _Cached:
    version: Version | None = None
    values: dict[str, Any] = field(default_factory=dict)


class AppState:
    """The store behind the app and its cached derived data (thread-safe)."""

    def __init__(self, store_path: str | Path, *, token: str | None = None,
                 token_user: str = "analyst", reports_dir: Path | None = None) -> None:
        self.store_path = Path(store_path)
        self.token = token or None
        self.user = token_user if self.token else "local"
        self.reports_dir = reports_dir
        self.handle = store_handle(self.store_path)
        self.lock = self.handle.lock
        self._cache = _Cached()
        self._cache_lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}

    def version(self) -> Version | None:
        """The store file's (mtime ns, size), None when there is no store."""
        try:
            st = self.store_path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    @contextmanager
    def read(self) -> Iterator[DuckDBStore]:
        """The store, read-only, for one request (``FileNotFoundError`` when absent)."""
        with self.handle.read() as st:
            yield st

    @contextmanager
    def write(self) -> Iterator[DuckDBStore]:
        """The store, read-write, for one write; the derived data stays valid."""
        before = self.version()
        with self.handle.write() as st:
            yield st
        with self._cache_lock:
            if self._cache.version == before:
                self._cache.version = self.version()

    def _derived(self, name: str, build: Callable[[], T]) -> T:
        """``build()``, cached per store version; one build at a time per ``name``."""
        with self._cache_lock:
            now = self.version()
            if self._cache.version != now:
                self._cache = _Cached(now)
            if name in self._cache.values:
                return self._cache.values[name]  # type: ignore[no-any-return]
            lock = self._build_locks.setdefault(name, threading.Lock())
        with lock:
            with self._cache_lock:
                if name in self._cache.values and self._cache.version == self.version():
                    return self._cache.values[name]  # type: ignore[no-any-return]
            with self.lock.read():
                version = self.version()
                value = build()
            with self._cache_lock:
                if self._cache.version == version:
                    self._cache.values[name] = value
            return value

    def cached(self) -> set[str]:
        """Names of the derived data built for the current store version."""
        with self._cache_lock:
            fresh = self._cache.version == self.version()
            return set(self._cache.values) if fresh else set()

    def graph(self) -> EntityGraph:
        """The store's entity graph (:func:`sanctionwatch.findings.entity_graph`)."""
        from sanctionwatch.findings import entity_graph

        return self._derived("graph", lambda: entity_graph(self.store_path))

    def risks(self) -> list[VesselRisk]:
        """Every vessel scored, highest risk first (:func:`sanctionwatch.findings.rank_vessels`
        with the default parameters and the cached graph)."""
        from sanctionwatch.findings import rank_vessels

        graph = self.graph()
        return self._derived("risks", lambda: rank_vessels(self.store_path, graph=graph))

    def risk_by_mmsi(self) -> dict[int, VesselRisk]:
        """:meth:`risks` by MMSI."""
        risks = self.risks()
        return self._derived("risk_by_mmsi", lambda: {r.mmsi: r for r in risks})

    def finance_alerts(self) -> list[FinanceAlert]:
        """Every traced wallet and cash-out card account scored, highest first
        (:func:`sanctionwatch.finance.alerts.rank_finance` with the cached graph)."""
        from sanctionwatch.finance.alerts import rank_finance

        if not self.store_path.exists():
            return []
        graph = self.graph()
        return self._derived("finance_alerts",
                             lambda: rank_finance(self.store_path, graph=graph))

    def lists(self) -> ListIndex:
        """The screener and entities of the loaded lists (``NoListsLoaded`` when none)."""
        return self._derived("lists", self._build_lists)

    def _build_lists(self) -> ListIndex:
        from sanctionwatch.sanctions.store import VERSIONS_TABLE, ListStore
        from sanctionwatch.screening.index import ScreeningIndex
        from sanctionwatch.screening.screen import NoListsLoaded, Screener
        from sanctionwatch.store import table_columns

        if not self.store_path.exists():
            raise NoListsLoaded()
        with ListStore(self.store_path, read_only=True) as ls:
            if not table_columns(ls.con, VERSIONS_TABLE):
                raise NoListsLoaded()
            entities = ls.entities()
        index = ScreeningIndex.from_entities(entities)
        if len(index) == 0:
            raise NoListsLoaded()
        return ListIndex(Screener(index), {str(e.id): e for e in entities if e.id})


__all__ = ["IDLE_CLOSE_S", "AppState", "ListIndex", "ReadWriteLock", "StoreHandle",
           "store_handle"]
