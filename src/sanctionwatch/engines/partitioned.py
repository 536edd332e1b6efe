"""The lake engines' common run: ingest into the partitioned lake, then the stages of
:mod:`sanctionwatch.engines.stages`, each a list of tasks given to a mapper.

``local`` and ``dask`` differ only in their mappers (one after the other or on threads in this
process; Dask futures); memory is bounded by one partition (``partition_rows``) or one
core's worth of pair batches, whatever the size of the input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.detectors import Params, detectors
from sanctionwatch.detectors.schedule import prerequisites
from sanctionwatch.engines.base import (
    OUTPUT_PARQUET,
    EngineOptions,
    EngineRun,
    Job,
    Mapper,
    in_background,
    load_reference,
)
from sanctionwatch.engines.lake import Lake, LakeWriter, MmsiRange
from sanctionwatch.engines.stages import (
    PartitionResult,
    StagePlan,
    combine,
    finish_partition,
    fleet_run,
    key_chunks,
    pair_batch,
    pair_batches,
    pair_candidates,
    plan_stages,
    vessel_partition,
)
from sanctionwatch.ingest.files import ingest
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS, POSITIONS, REJECTS, VESSEL_REPORTS
from sanctionwatch.stations import position_summary
from sanctionwatch.tracks import prepare_tracks
from sanctionwatch.tracks.context import RunContext, run_context


def run_lake(job: Job, *, mapper: Mapper[Any], cross_mapper: Mapper[Any] | None = None,
             parallel_tasks: int = 1, task_threads: int | None = None,
             share: Callable[[ReferenceData], Any] | None = None) -> EngineRun:
    """Ingest ``job``'s inputs into a lake and run every stage. ``mapper`` schedules the
    partition tasks, ``cross_mapper`` (default ``mapper``) those of the pair and fleet stage,
    of which about ``parallel_tasks`` run at once (the pairing is cut into at least that many
    tasks). ``task_threads``: threads a partition task runs its detectors on (None: the
    ``SANCTIONWATCH_THREADS`` setting); 1 where the mapper is the parallelism (Dask).
    ``share``: turns the loaded reference data into what the tasks get (the Dask engine
    scatters it to every worker once)."""
    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now - clock[0]
        clock[0] = now

    plan = plan_stages(job.detectors)  # a plan the stages cannot run fails before any work
    ing = ingest(job.inputs, job.work / "spool", job.ingest, job.progress,
                 sink=LakeWriter(job.work / "lake"))
    lap("ingest")
    loaded = load_reference(job.reference)
    lake = Lake(job.work / "lake")
    ref = share(loaded.result()) if share is not None else loaded.result()
    opts = job.options
    context = run_context(pl.scan_parquet(lake.position_files()), ing.input_spans(), job.prepare) \
        if lake.position_files() else RunContext.empty()
    parts = lake.partitions(opts.partition_rows)
    params = {n: p for n, p in job.params.items() if n in job.detectors}
    results: list[PartitionResult] = mapper(
        vessel_partition, parts,
        {"lake": lake, "params": params, "reference": ref, "prepare": job.prepare,
         "plan": plan, "context": context, "threads": task_threads},
    )
    lap("partitions")
    # The cleaned tables do not depend on the events: written while the later stages run.
    tables: Future[None] | None = None
    if job.tables is not None:
        tables = in_background(_write_tables, lake, parts, job.tables, job.work / "spool")
    try:
        regs = detectors()
        cross_events: dict[str, pl.DataFrame] = {}
        for name in plan.cross:
            p = regs[name].params_or_default(params.get(name))
            prior = _prior(name, plan, results, cross_events)
            if regs[name].scope == "pair":
                cross_events[name] = _pair_stage(name, results, parts, lake, p, ref, prior, context,
                                                 opts, cross_mapper or mapper, parallel_tasks)
            else:
                (cross_events[name],) = mapper(fleet_run, [name], {
                    "lake": lake, "params": p, "reference": ref, "prior": prior,
                    "context": context})
            lap(name)
        if job.progress:
            job.progress("detectors", 1)
        if plan.unlinked or plan.later:
            per_vessel = mapper(
                finish_partition, results,
                {"lake": lake, "params": params, "reference": ref, "plan": plan,
                 "global_events": cross_events, "context": context, "threads": task_threads},
            )
        else:  # nothing pending: the events are complete
            per_vessel = [pl.concat(list(r.found.values())) if r.found else EVENTS.empty()
                          for r in results]
    except BaseException:
        if tables is not None:
            wait([tables])  # the caller removes the folder it writes into
        raise
    lap("finish")
    removed: dict[str, int] = {}
    for r in results:
        for k, v in r.removed.items():
            removed[k] = removed.get(k, 0) + v
    return EngineRun(
        events=combine([*cross_events.values(), *per_vessel]),
        ingest=ing,
        n_tracks=sum(r.n_tracks for r in results),
        removed_by_reason=dict(sorted(removed.items())),
        reports=lake.reports,
        position_summary=position_summary(pl.scan_parquet(lake.position_files()))
        if lake.position_files() else None,
        timings=timings,
        tables=tables,
    )


def _prior(name: str, plan: StagePlan, results: Sequence[PartitionResult],
           cross: dict[str, pl.DataFrame]) -> pl.DataFrame | None:
    """The events a pair or fleet detector reads (:func:`plan_stages` made sure they are
    complete: stage-1 ones of every partition, earlier pair and fleet ones)."""
    regs = detectors()
    order = [n for n in regs if n in plan.now or n in plan.cross]
    needs = prerequisites(order, regs)[name]
    if not needs:
        return None
    frames = [cross[d] if d in cross else pl.concat([r.found[d] for r in results] or
                                                    [EVENTS.empty()]) for d in needs]
    return pl.concat(frames, how="vertical")


def _pair_stage(name: str, results: Sequence[PartitionResult], parts: Sequence[MmsiRange],
                lake: Lake, params: Params, reference: Any, prior: pl.DataFrame | None,
                context: RunContext, opts: EngineOptions, mapper: Mapper[Any],
                parallel: int) -> pl.DataFrame:
    """A pair-scope detector's stage 2: candidate pairs per range of keys, then the detector
    on batches of connected candidate tracks."""
    stats = [r.samples[name] for r in results if name in r.samples]
    total = sum(int(s.counts["n"].sum()) for s in stats)
    # Pairs never join two keys, so more, smaller ranges cost nothing but their reads.
    chunks = key_chunks([s.counts for s in stats],
                        max(1, min(opts.pair_sample_rows, -(-total // max(1, parallel)))))
    found = mapper(pair_candidates, chunks, {"lake": lake, "detector": name, "params": params})
    pairs = (pl.concat(found).unique() if found
             else pl.DataFrame(schema={"track_a": pl.Int64, "track_b": pl.Int64}))
    rows = {t: n for s in stats for t, n in s.track_rows.items()}
    batches = pair_batches(pairs, rows, opts.pair_batch_rows)
    events = mapper(pair_batch, batches,
                    {"lake": lake, "parts": list(parts), "detector": name, "params": params,
                     "reference": reference, "prior": prior, "context": context})
    return combine(events)


def _write_tables(lake: Lake, partitions: Sequence[MmsiRange], folder: Path,
                  spool: Path) -> None:
    """Cleaned positions, reports and removed rows, streamed partition by partition (MMSI
    ranges in order, so concatenation is already the memory engine's global sort), and the
    rejects from the spool."""
    tracks = [f for f in (lake.track_file(p) for p in partitions) if f.exists()]
    if tracks:
        pl.scan_parquet(tracks).sink_parquet(folder / "positions.parquet", **OUTPUT_PARQUET)
    else:
        prepare_tracks(POSITIONS.empty()).tracks.write_parquet(folder / "positions.parquet")
    reports = [lake.reports(p).sort(["mmsi", "timestamp", "source", "record"])
               for p in partitions]
    reports = [r for r in reports if r.height]
    (pl.concat(reports) if reports else VESSEL_REPORTS.empty()).write_parquet(
        folder / "vessel_reports.parquet")
    files = lake.removed_files()
    if files:
        pl.scan_parquet(files).sort(["source", "record"]).sink_parquet(
            folder / "removed.parquet", **OUTPUT_PARQUET)
    else:
        prepare_tracks(POSITIONS.empty()).removed.write_parquet(folder / "removed.parquet")
    parts = sorted((spool / "rejects").glob("*.parquet"))
    if parts:
        pl.scan_parquet(parts).sink_parquet(folder / "rejects.parquet")
    else:
        REJECTS.empty().write_parquet(folder / "rejects.parquet")


__all__ = ["run_lake"]
