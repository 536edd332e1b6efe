"""Engines: run the pure detectors over the partitioned lake, locally or on Dask.

An engine only partitions, calls the detectors and concatenates; the partition tasks are in
:mod:`sanctionwatch.engines.tasks`, the lake in :mod:`sanctionwatch.engines.lake`. Both
engines run :func:`run_lake` and differ only in how a list of tasks is mapped: one after the
other in this process (``local``) or as Dask futures (``dask``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

import polars as pl

from sanctionwatch.detectors import Params, detectors
from sanctionwatch.engines.lake import DEFAULT_TILE_DEG, Lake, LakeWriter, MmsiRange
from sanctionwatch.engines.tasks import (
    EncounterJob,
    PartitionStats,
    combine,
    encounter_group,
    encounter_plan,
    merge_spans,
    needs_wider_view,
    prepare_partition,
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

    partition_rows: positions (and reports) per MMSI-range partition of the per-vessel stage;
        with ``encounter_view_rows``, the memory knob (see docs/engines.md).
    encounter_view_rows: at most the positions of one view of the encounter stage (unless a
        single tile holds more). 7 M: views of whole tracks overlap (a track is in every tile
        its positions come near), so fewer, larger views read less (on a 49 M-position day,
        5 M-row views add up to 2.3x the day, 10 M-row ones 1.6x), but each costs memory:
        that day took 200 s / 6.5 GB at 5 M, 190 s / 6.5 GB at 7 M, 178 s / 7.2 GB at 10 M
        (`sanctionwatch detect --engine local`, docs/engines.md).
    encounter_horizon_h: first right-hand time halo of the encounter stage; doubled for a day
        while one of its encounters reaches the edge, so it bounds cost, not event length.
    tile_deg: side of the encounter stage's spatial tiles.
    memory_max_positions: the ``auto`` engine runs ``memory`` up to this many (estimated)
        input positions and ``local`` above. 8 M: the memory engine peaked at 5.0 GB on
        10 M positions (benchmarks/results/scale.md), so this keeps it well under 8 GB.
    scheduler: Dask scheduler address (``dask`` engine); a LocalCluster when None.
    n_workers: workers of that LocalCluster (None: Dask's default).
    """

    partition_rows: int = 5_000_000
    encounter_view_rows: int = 7_000_000
    memory_max_positions: int = 8_000_000
    encounter_horizon_h: float = 24.0
    tile_deg: float = DEFAULT_TILE_DEG
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


def local_map(fn: Callable[..., T], items: Sequence[Any], kwargs: dict[str, Any]) -> list[T]:
    """The local engine's mapper: one task after the other (memory = one partition)."""
    return [fn(x, **kwargs) for x in items]


def run_lake(
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData | Any,
    *,
    only: Sequence[str] | None = None,
    prepare: PrepareParams | None = None,
    options: EngineOptions | None = None,
    mapper: Mapper[Any] = local_map,
    task_threads: int | None = None,
) -> EngineResult:
    """Prepare, detect and combine over the lake; ``mapper`` schedules each stage's tasks.

    ``task_threads``: threads a per-vessel task runs its detectors on (None: the machine's
    cores, :data:`~sanctionwatch.detectors.schedule.DEFAULT_WORKERS`). The Dask engine passes
    1: there, Dask's own workers and threads are the parallelism, and tasks that started
    threads of their own would oversubscribe the cores Dask hands out.
    """
    opts = options or EngineOptions()
    parts = lake.partitions(opts.partition_rows)
    stats: list[PartitionStats] = mapper(
        prepare_partition, parts, {"lake": lake, "prepare": prepare, "tile_deg": opts.tile_deg}
    )
    spans = merge_spans(stats)
    names = [n for n in detectors() if not only or n in only]
    global_events: dict[str, pl.DataFrame] = {}
    days = lake.track_days()
    if "encounter" in names and days:
        global_events["encounter"] = _encounters(
            days, lake, params["encounter"], reference, prepare, opts,
            max(b for _, b in spans.values()) if spans else None, mapper,
        )
    if "identity_change" in names:
        (shared,) = mapper(
            shared_imo_events, [params["identity_change"]], {"lake": lake, "reference": reference}
        )
        global_events["identity_change"] = shared
    per_vessel = mapper(
        vessel_partition,
        parts,
        {
            "lake": lake, "params": params, "reference": reference, "only": only,
            "global_events": global_events, "spans": spans, "threads": task_threads,
        },
    )
    removed: dict[str, int] = {}
    for s in stats:
        for k, v in s.removed.items():
            removed[k] = removed.get(k, 0) + v
    return EngineResult(
        events=combine([*global_events.values(), *per_vessel]),
        partitions=parts,
        n_tracks=sum(s.n_tracks for s in stats),
        removed_by_reason=dict(sorted(removed.items())),
    )


def _encounters(
    days: Sequence[date], lake: Lake, params: Params, reference: Any,
    prepare: PrepareParams | None, opts: EngineOptions, data_end: datetime | None,
    mapper: Mapper[Any],
) -> pl.DataFrame:
    """Stage 2 as two rounds of tasks: plan every day (a cheap scan), then one task per group
    of tiles of every day, so the heavy work spreads over workers; a day whose owned events
    reach the edge of its view is planned again with a doubled right halo."""
    plan_kw: dict[str, Any] = {
        "lake": lake, "params": params, "prepare": prepare,
        "horizon_h": opts.encounter_horizon_h, "tile_deg": opts.tile_deg,
        "view_rows": opts.encounter_view_rows,
    }
    group_kw: dict[str, Any] = {
        "lake": lake, "params": params, "reference": reference, "prepare": prepare,
        "horizon_h": opts.encounter_horizon_h,
    }
    found: list[pl.DataFrame] = []
    todo: list[tuple[date, float | None]] = [(d, None) for d in days]
    while todo:
        plans: list[list[EncounterJob]] = []
        for right, batch in _by_right(todo):
            plans += mapper(encounter_plan, batch, {**plan_kw, "right_h": right})
        jobs = [j for p in plans for j in p]
        results = mapper(encounter_group, jobs, group_kw)
        todo = []
        for day_jobs in plans:
            if not day_jobs:
                continue
            day, right_h = day_jobs[0].day, day_jobs[0].right_h
            events = pl.concat([r for j, r in zip(jobs, results, strict=True)
                                if j.day == day], how="vertical")
            if needs_wider_view(day, events, params, prepare, opts.encounter_horizon_h,
                                right_h, data_end):
                todo.append((day, right_h * 2))
            else:
                found.append(events)
    return combine(found)


def _by_right(todo: list[tuple[date, float | None]]) -> list[tuple[float | None, list[date]]]:
    """Days grouped by the right halo they are to be planned with (in first-seen order)."""
    out: dict[float | None, list[date]] = {}
    for day, right in todo:
        out.setdefault(right, []).append(day)
    return list(out.items())


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
]
