"""Engines: run the pure detectors over the partitioned lake, locally or on Dask.

An engine only partitions, calls the detectors and concatenates; the partition tasks are in
:mod:`sanctionwatch.engines.tasks`, the lake in :mod:`sanctionwatch.engines.lake`. Both
engines run :func:`run_lake` and differ only in how a list of tasks is mapped: one after the
other in this process (``local``) or as Dask futures (``dask``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl

from sanctionwatch.detectors import Params, detectors
from sanctionwatch.engines.lake import Lake, LakeWriter, MmsiRange
from sanctionwatch.engines.tasks import (
    CROSS_VESSEL,
    PartitionResult,
    combine,
    encounter_batch,
    encounter_batches,
    encounter_candidates,
    finish_partition,
    plan_stages,
    sample_chunks,
    shared_imo_events,
    vessel_partition,
)
from sanctionwatch.reference import ReferenceData
from sanctionwatch.tracks import PrepareParams

ENGINES = ("auto", "local", "dask", "memory")
"""Engine names: ``memory`` is the single-frame reference path of ``pipeline.detect``;
``auto`` is ``memory`` for inputs of up to ``EngineOptions.memory_max_positions`` positions
(estimated before reading), else ``local``."""

T = TypeVar("T")
Mapper = Callable[[Callable[..., T], Sequence[Any], dict[str, Any]], list[T]]
"""``mapper(fn, items, kwargs)``: ``[fn(item, **kwargs) for item in items]``, however it is
scheduled (Dask resolves futures among the ``kwargs``)."""


@dataclass(frozen=True)
class EngineOptions:
    """How the lake is partitioned.

    partition_rows: positions (and reports) per MMSI-range partition; the memory knob of the
        lake engines (a partition is prepared and run through every per-vessel detector at
        once, at about 0.5 GB per million positions, docs/engines.md).
    encounter_sample_rows: at most the encounter samples paired by one task (a range of grid
        times; more only when one grid time holds more). 20 M samples take about 2 GB with the
        k-d trees; the 49 M-position ``scale`` day has 3.2 M. The engines also cut the
        pairing into at least one task per core (``parallel_tasks`` of :func:`run_lake`).
    encounter_batch_rows: at most the positions of the candidate tracks one encounter task
        runs the detector on (unless one connected group of candidates holds more): 5 M, the
        size of a partition, for the same memory.
    memory_max_positions: the ``auto`` engine runs ``memory`` up to this many (estimated)
        input positions and ``local`` above. 8 M: the memory engine peaked at 5.3 GB on
        9.9 M positions, where ``local`` took 12.6 s against 9.1 s in 4.0 GB
        (benchmarks/results/scale.md), so this keeps it well under 8 GB.
    scheduler: Dask scheduler address (``dask`` engine); a LocalCluster when None.
    n_workers: workers of that LocalCluster (None: Dask's default).
    processes: whether that LocalCluster's workers are processes (else threads).
    """

    partition_rows: int = 5_000_000
    encounter_sample_rows: int = 20_000_000
    encounter_batch_rows: int = 5_000_000
    memory_max_positions: int = 8_000_000
    scheduler: str | None = None
    n_workers: int | None = None
    processes: bool = True


@dataclass
class EngineResult:
    """Events of a lake run plus what the outputs need."""

    events: pl.DataFrame
    partitions: list[MmsiRange]
    n_tracks: int
    removed_by_reason: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each stage."""


def local_map(fn: Callable[..., T], items: Sequence[Any], kwargs: dict[str, Any]) -> list[T]:
    """The local engine's mapper: one task after the other (memory = one partition)."""
    return [fn(x, **kwargs) for x in items]


def threaded_map(workers: int) -> Mapper[Any]:
    """A mapper running up to ``workers`` tasks at once on threads, results in order. The
    local engine's cross-vessel tasks are NumPy and SciPy work that releases the GIL, and
    each is small (``encounter_batch_rows``), so two at once use both cores of a laptop."""

    def mapper(fn: Callable[..., T], items: Sequence[Any], kwargs: dict[str, Any]) -> list[T]:
        if workers <= 1 or len(items) <= 1:
            return local_map(fn, items, kwargs)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cross") as pool:
            return list(pool.map(lambda x: fn(x, **kwargs), items))

    return mapper


def run_lake(
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData | Any,
    *,
    only: Sequence[str] | None = None,
    prepare: PrepareParams | None = None,
    options: EngineOptions | None = None,
    mapper: Mapper[Any] = local_map,
    cross_mapper: Mapper[Any] | None = None,
    parallel_tasks: int = 1,
    task_threads: int | None = None,
    input_spans: pl.DataFrame | None = None,
    on_partitions: Callable[[list[MmsiRange]], None] | None = None,
) -> EngineResult:
    """Prepare, detect and combine over the lake; ``mapper`` schedules each stage's tasks,
    ``cross_mapper`` (default ``mapper``) those of the cross-vessel stage, which runs about
    ``parallel_tasks`` at once (the pairing is cut into at least that many tasks).

    ``task_threads``: threads a per-vessel task runs its detectors on (None: the machine's
    cores, :data:`~sanctionwatch.detectors.schedule.DEFAULT_WORKERS`). The Dask engine passes
    1: there, Dask's own workers and threads are the parallelism, and tasks that started
    threads of their own would oversubscribe the cores Dask hands out. ``input_spans``: the
    time each input file covers (``DetectionInput.input_spans``). ``on_partitions(parts)``
    is called once every partition's tracks are stored (e.g. to write the outputs while the
    cross-vessel stage runs).
    """
    opts = options or EngineOptions()
    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now - clock[0]
        clock[0] = now

    parts = lake.partitions(opts.partition_rows)
    names = [n for n in detectors() if not only or n in only]
    encounter = "encounter" in names
    shared = "identity_change" in names and bool(
        getattr(params.get("identity_change"), "shared_imo", False))
    cross = [n for n in CROSS_VESSEL if n in names] + (["identity_change"] if shared else [])
    plan = plan_stages([n for n in names if n not in CROSS_VESSEL], cross)
    results: list[PartitionResult] = mapper(
        vessel_partition, parts,
        {"lake": lake, "params": params, "reference": reference, "prepare": prepare,
         "plan": plan, "encounter": encounter, "spans": input_spans, "threads": task_threads},
    )
    lap("partitions")
    if on_partitions is not None:
        on_partitions(parts)
    global_events: dict[str, pl.DataFrame] = {}
    if encounter:
        global_events["encounter"] = _encounters(
            results, parts, lake, params["encounter"], reference, opts,
            cross_mapper or mapper, parallel_tasks, lap)
    if shared:
        (found,) = mapper(
            shared_imo_events, [params["identity_change"]], {"lake": lake, "reference": reference}
        )
        global_events["identity_change"] = found
        lap("shared_imo")
    if plan.unlinked or plan.later:
        per_vessel = mapper(
            finish_partition, results,
            {"lake": lake, "params": params, "reference": reference, "plan": plan,
             "global_events": global_events, "spans": input_spans, "threads": task_threads},
        )
    else:  # nothing pending: the events are complete
        per_vessel = [pl.concat(list(r.found.values())) if r.found else pl.DataFrame()
                      for r in results]
    lap("finish")
    removed: dict[str, int] = {}
    for r in results:
        for k, v in r.removed.items():
            removed[k] = removed.get(k, 0) + v
    return EngineResult(
        events=combine([*global_events.values(), *per_vessel]),
        partitions=parts,
        n_tracks=sum(r.n_tracks for r in results),
        removed_by_reason=dict(sorted(removed.items())),
        timings=timings,
    )


def _encounters(
    results: Sequence[PartitionResult], parts: Sequence[MmsiRange], lake: Lake, params: Params,
    reference: Any, opts: EngineOptions, mapper: Mapper[Any], parallel: int,
    lap: Callable[[str], None],
) -> pl.DataFrame:
    """Stage 2 encounters: candidate pairs per range of grid times, then the detector on
    batches of connected candidate tracks."""
    counts = [r.sample_counts for r in results]
    total = sum(int(c["n"].sum()) for c in counts if c is not None)
    # Pairs never join two grid times, so more, smaller ranges cost nothing but their reads.
    chunks = sample_chunks(counts, max(1, min(opts.encounter_sample_rows,
                                              -(-total // max(1, parallel)))))
    found = mapper(encounter_candidates, chunks, {"lake": lake, "params": params})
    pairs = (pl.concat(found).unique() if found
             else pl.DataFrame(schema={"track_a": pl.Int64, "track_b": pl.Int64}))
    rows = {t: n for r in results for t, n in r.track_rows.items()}
    batches = encounter_batches(pairs, rows, opts.encounter_batch_rows)
    lap("encounter_candidates")
    events = mapper(encounter_batch, batches,
                    {"lake": lake, "parts": list(parts), "params": params,
                     "reference": reference})
    lap("encounter_batches")
    return combine(events)


__all__ = [
    "ENGINES",
    "EngineOptions",
    "EngineResult",
    "Lake",
    "LakeWriter",
    "Mapper",
    "MmsiRange",
    "local_map",
    "run_lake",
    "threaded_map",
]
