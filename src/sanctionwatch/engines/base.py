"""The engine interface: a :class:`Job` in, an :class:`EngineRun` out.

An engine reads the job's inputs, prepares the tracks, runs the selected detectors and writes
the cleaned tables; the pipeline (:func:`sanctionwatch.pipeline.detect`) then writes the
events, screens the vessels and records the run. Engines differ only in where the data lives
while they work: one frame in memory (``memory``), or a partitioned Parquet lake processed
piece by piece in this process (``local``) or on a Dask cluster (``dask``). They partition by
the scope each detector declares (:mod:`sanctionwatch.detectors.base`) and import no
particular detector, and all give the same events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

import polars as pl

from sanctionwatch.detectors import Params
from sanctionwatch.ingest.files import IngestOptions, IngestResult, Progress
from sanctionwatch.reference import ReferenceData
from sanctionwatch.tracks import PrepareParams

T = TypeVar("T")

EVENT_ORDER: Final = ("start_time", "event_type", "mmsi", "event_id")
"""How every engine sorts the events it returns."""

OUTPUT_PARQUET: Final[dict[str, Any]] = {"compression": "zstd", "compression_level": 1}
"""How the large cleaned tables (positions, removed) are written: zstd at its fastest level,
whose files are a little larger than the default level's for much less CPU time."""


@dataclass(frozen=True)
class EngineOptions:
    """How the lake engines partition the work, and where Dask runs.

    partition_rows: positions (and reports) per MMSI-range partition: the memory knob of the
        lake engines (a partition is prepared and run through every vessel-scope detector at
        once, so its memory grows with it; measured: ``benchmarks/results/design-notes.md``).
    pair_sample_rows: at most the samples one pairing task of a pair-scope detector reads (a
        range of pairing keys; more only when one key holds more). Also cut so that there
        are at least as many tasks as cores (or Dask threads).
    pair_batch_rows: at most the positions of the candidate tracks one batch task runs a
        pair-scope detector on (unless one connected group of candidates holds more); the
        size of a partition, for the same memory.
    memory_budget_gb: the memory the ``auto`` engine lets the ``memory`` engine use (GB);
        None (default): ``memory_available_share`` of the memory available when the run
        starts (the OS's available memory, or the container's remaining allowance if lower;
        ``sanctionwatch.engines.choice``).
    memory_available_share: that share (default 0.75: the rest is left to the page cache
        that reads the inputs and to the other processes of a shared machine; the estimate
        below is a measured peak, not an average).
    memory_engine_bytes_per_position: the memory engine's peak resident memory per input
        position as estimated before reading, to estimate its footprint (default: the
        largest peak per estimated position of the ``memory`` runs in
        ``benchmarks/results/throughput.md``, rounded up; small inputs carry the interpreter's
        fixed memory, so the largest is the smallest input's).
    memory_max_positions: an optional hard cap on the positions ``auto`` gives to ``memory``
        (default None: no cap, the memory estimate alone decides).
    scheduler: Dask scheduler address (``dask`` engine); a LocalCluster when None.
    n_workers: workers of that LocalCluster (None: Dask's default).
    processes: whether that LocalCluster's workers are processes (else threads).
    """

    partition_rows: int = 5_000_000
    pair_sample_rows: int = 20_000_000
    pair_batch_rows: int = 5_000_000
    memory_budget_gb: float | None = None
    memory_available_share: float = 0.75
    memory_engine_bytes_per_position: int = 650
    memory_max_positions: int | None = None
    scheduler: str | None = None
    n_workers: int | None = None
    processes: bool = True

    def __post_init__(self) -> None:
        for name in ("partition_rows", "pair_sample_rows", "pair_batch_rows"):
            if getattr(self, name) < 1:
                raise ValueError(f"engine option {name} must be >= 1")
        if not 0 < self.memory_available_share <= 1:
            raise ValueError("engine option memory_available_share must be in (0, 1]")
        if self.memory_budget_gb is not None and self.memory_budget_gb < 0:
            raise ValueError("engine option memory_budget_gb must be >= 0")
        if self.memory_engine_bytes_per_position < 1:
            raise ValueError("engine option memory_engine_bytes_per_position must be >= 1")
        if self.n_workers is not None and self.n_workers < 1:
            raise ValueError("engine option n_workers must be >= 1")


ReferenceSource = ReferenceData | Callable[[], ReferenceData]
"""The reference data, or a function loading it (called on a thread while the engine reads)."""


@dataclass(frozen=True)
class Job:
    """One detection job for an engine.

    inputs: the AIS files (folders already expanded). work: a scratch folder the engine owns
    for the run (deleted by the caller). params: every selected detector's parameters.
    detectors: the selected detectors' names, in run order. tables: the folder to write the
    cleaned tables into (``positions``, ``vessel_reports``, ``removed``, ``rejects`` as
    Parquet), or None to write none.
    """

    inputs: Sequence[Path]
    work: Path
    params: Mapping[str, Params]
    detectors: Sequence[str]
    reference: ReferenceSource
    ingest: IngestOptions = field(default_factory=IngestOptions)
    prepare: PrepareParams | None = None
    options: EngineOptions = field(default_factory=EngineOptions)
    tables: Path | None = None
    progress: Progress | None = None


@dataclass
class EngineRun:
    """What an engine produced."""

    events: pl.DataFrame
    ingest: IngestResult
    n_tracks: int
    removed_by_reason: dict[str, int]
    reports: Callable[[], pl.DataFrame]
    """Every vessel report read, sorted by MMSI and time (for the sanctions screening)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each stage, in order."""
    position_summary: pl.DataFrame | None = None
    """Per MMSI of the raw positions, how many and of which transceiver class
    (:func:`sanctionwatch.stations.position_summary`): the run's station list is built from
    it and the reports."""
    tables: Future[None] | None = None
    """Done when the cleaned tables are written (they may still be being written when the
    engine returns, so the caller's own outputs overlap them)."""


class Engine(Protocol):
    """An engine: runs a :class:`Job`."""

    name: str

    def run(self, job: Job) -> EngineRun:
        """Ingest, prepare, detect, write the cleaned tables."""
        ...


Mapper = Callable[[Callable[..., T], Sequence[Any], dict[str, Any]], list[T]]
"""``mapper(fn, items, kwargs)``: ``[fn(item, **kwargs) for item in items]``, however it is
scheduled (Dask resolves futures among the ``kwargs``)."""


def local_map(fn: Callable[..., T], items: Sequence[Any], kwargs: dict[str, Any]) -> list[T]:
    """One task after the other in this process."""
    return [fn(x, **kwargs) for x in items]


def threaded_map(workers: int) -> Mapper[Any]:
    """A mapper running up to ``workers`` tasks at once on threads, results in order (for
    tasks whose work is in NumPy, SciPy and Polars, which release the GIL)."""

    def mapper(fn: Callable[..., T], items: Sequence[Any], kwargs: dict[str, Any]) -> list[T]:
        if workers <= 1 or len(items) <= 1:
            return local_map(fn, items, kwargs)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="task") as pool:
            return list(pool.map(lambda x: fn(x, **kwargs), items))

    return mapper


def in_background(fn: Callable[..., None], *args: Any) -> Future[None]:
    """``fn(*args)`` on a thread of its own; its future."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outputs")
    try:
        return pool.submit(fn, *args)
    finally:
        pool.shutdown(wait=False)


def load_reference(source: ReferenceSource) -> Future[ReferenceData]:
    """The reference data: at once when given, else loading on a thread (its loading holds the
    GIL, so it overlaps best with NumPy and Polars work such as track preparation)."""
    if isinstance(source, ReferenceData):
        done: Future[ReferenceData] = Future()
        done.set_result(source)
        return done
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reference")
    try:
        return pool.submit(source)
    finally:
        pool.shutdown(wait=False)


__all__ = [
    "EVENT_ORDER",
    "OUTPUT_PARQUET",
    "Engine",
    "EngineOptions",
    "EngineRun",
    "Job",
    "Mapper",
    "ReferenceSource",
    "in_background",
    "load_reference",
    "local_map",
    "threaded_map",
]
