"""The partition tasks both engines run: pure functions of the lake, parameters and reference.

Stages (see ``docs/engines.md``):

1. :func:`vessel_partition` per MMSI range: ``prepare_tracks`` (it only ever compares
   positions of one MMSI), every per-vessel detector, and the encounter search's sampled grid
   points; the tracks and samples are stored in the lake. Detectors whose ``link`` step reads
   cross-vessel events return their events unlinked.
2. The cross-vessel searches: :func:`encounter_candidates` per range of grid times (pairs of
   tracks that can have an encounter, from the samples of every partition), then
   :func:`encounter_batch` per group of connected candidate tracks (the encounter detector on
   those tracks whole); :func:`shared_imo_events` once.
3. :func:`finish_partition` per MMSI range: the pending ``link`` steps with the cross-vessel
   events, and any detector that reads cross-vessel events without a link step (plug-ins).

Every event is found by exactly one task: per-vessel events by the MMSI range of their
vessel, encounters by the batch holding their two tracks (a candidate pair's tracks are
always in one batch), shared IMOs by the one task.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import polars as pl

from sanctionwatch.detectors import DetectionInput, Params, detectors
from sanctionwatch.detectors.encounter import candidate_pairs, encounter_sample
from sanctionwatch.detectors.schedule import prerequisites, run_scheduled
from sanctionwatch.engines.lake import Lake, MmsiRange
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS, VESSEL_REPORTS
from sanctionwatch.tracks import PrepareParams, prepare_tracks
from sanctionwatch.tracks.prepare import TRACKS_PER_MMSI, PreparedTracks

T = TypeVar("T")

CROSS_VESSEL = ("encounter",)
"""Detectors that pair vessels and so cannot run per MMSI range."""

ENCOUNTER_COLUMNS = ("track_id", "mmsi", "timestamp", "lat", "lon", "source", "record")
"""Track columns the encounter detector reads (resampling and evidence)."""


@dataclass(frozen=True)
class StagePlan:
    """Which detectors run when, from their declared reads (see :func:`plan_stages`).

    now: run completely in stage 1 (they read no cross-vessel events, directly or through
        another detector).
    unlinked: detect in stage 1, link in stage 3 (a ``link`` step that reads cross-vessel
        events).
    later: run whole in stage 3, on the partition's tracks read again (no ``link`` step and
        they read cross-vessel events: plug-ins).
    """

    now: tuple[str, ...]
    unlinked: tuple[str, ...]
    later: tuple[str, ...]


def plan_stages(names: Sequence[str], cross: Sequence[str]) -> StagePlan:
    """Split the per-vessel detectors ``names`` (registry order) by what they read; ``cross``:
    the detectors whose events are complete only after stage 2 (``encounter``, and
    ``identity_change`` when its shared-IMO search runs)."""
    regs = detectors()
    order = [n for n in regs if n in names or n in cross]
    needs = prerequisites(order, regs)
    final: set[str] = set()
    now: list[str] = []
    unlinked: list[str] = []
    later: list[str] = []
    for name in order:
        if name not in names:
            continue
        complete = all(d in final for d in needs[name])
        if regs[name].link is None and not complete:
            later.append(name)
            continue
        (now if complete else unlinked).append(name)
        if complete and name not in cross:
            final.add(name)
    return StagePlan(tuple(now), tuple(unlinked), tuple(later))


@dataclass(frozen=True)
class PartitionResult:
    """What stage 1 found in one MMSI range."""

    part: MmsiRange
    n_tracks: int
    removed: dict[str, int]
    found: dict[str, pl.DataFrame]
    """Events by detector (those of :attr:`StagePlan.unlinked` not linked yet)."""
    track_rows: dict[int, int] = field(default_factory=dict)
    """Positions of each track that has encounter samples (batching the encounter stage)."""
    sample_counts: pl.DataFrame | None = None
    """``k, n``: encounter samples per grid time (planning the encounter stage)."""


def vessel_partition(
    part: MmsiRange,
    *,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    prepare: PrepareParams | None,
    plan: StagePlan,
    encounter: bool,
    spans: pl.DataFrame | None,
    threads: int | None = None,
) -> PartitionResult:
    """Stage 1: prepare one MMSI range's tracks, store them, run the per-vessel detectors
    (independent ones concurrently on ``threads`` threads, see
    :func:`~sanctionwatch.detectors.schedule.run_scheduled`; not ``workers``, which Dask's
    ``Client.map`` takes as worker restrictions) and, with ``encounter``, store the
    partition's encounter samples.

    ``spans``: the whole run's input spans (``DetectionInput.input_spans``).
    """
    prepared = prepare_tracks(lake.positions(part), prepare)
    # Storing the tracks and sampling the grid do not depend on the detectors: with threads
    # to spare, they run beside them (the grid is built once, by whoever asks first).
    side = ThreadPoolExecutor(max_workers=2, thread_name_prefix="partition") \
        if threads is None or threads > 1 else None
    jobs: list[Future[Any]] = []

    def later(fn: Callable[..., T], *args: Any) -> Callable[[], T]:
        if side is None:
            value = fn(*args)
            return lambda: value
        fut = side.submit(fn, *args)
        jobs.append(fut)
        return fut.result

    try:
        return _vessel_partition(part, prepared, later, lake=lake, params=params,
                                 reference=reference, plan=plan, encounter=encounter,
                                 spans=spans, threads=threads)
    finally:
        if side is not None:
            wait(jobs)  # never leave a writer running on an error
            side.shutdown()


def _vessel_partition(
    part: MmsiRange,
    prepared: PreparedTracks,
    later: Callable[..., Callable[[], Any]],
    *,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    plan: StagePlan,
    encounter: bool,
    spans: pl.DataFrame | None,
    threads: int | None,
) -> PartitionResult:
    tracks = prepared.tracks
    stored = later(lake.write_tracks, part, tracks, prepared.removed)
    reports = lake.reports(part)
    reports = (
        reports.sort(["mmsi", "timestamp", "source", "record"], maintain_order=True)
        if reports.height
        else VESSEL_REPORTS.empty()
    )
    data = DetectionInput(tracks=tracks, reports=reports, reference=reference,
                          removed=prepared.removed, input_spans=spans, threads=threads)
    sampled = later(_sample_partition, part, data, lake, params["encounter"], reference) \
        if encounter else (lambda: (None, {}))
    found = run_scheduled(
        detectors(), data, _vessel_params(params), run=[*plan.now, *plan.unlinked],
        workers=threads, unlinked=plan.unlinked,
    )
    counts, track_rows = sampled()
    stored()
    return PartitionResult(
        part=part,
        n_tracks=tracks["track_id"].n_unique() if tracks.height else 0,
        removed=prepared.removed_counts(),
        found=found,
        track_rows=track_rows,
        sample_counts=counts,
    )


def _sample_partition(
    part: MmsiRange, data: DetectionInput, lake: Lake, params: Params, reference: ReferenceData,
) -> tuple[pl.DataFrame, dict[int, int]]:
    """Store a partition's encounter samples; their count per grid time, and the rows of
    each sampled track."""
    p = cast(Any, params)
    samples = encounter_sample(data.grid(p.resample_interval_min, p.max_interpolation_gap_h),
                               reference, p)
    lake.write_samples(part, samples)
    sampled = samples["track_id"].unique().implode()
    rows = data.tracks.filter(pl.col("track_id").is_in(sampled)).group_by("track_id").len()
    return (samples.group_by("k").len("n"),
            dict(zip(rows["track_id"].to_list(), rows["len"].to_list(), strict=True)))


def _vessel_params(params: Mapping[str, Params]) -> dict[str, Params | None]:
    """Parameters of the per-vessel stage: ``identity_change`` without its shared-IMO search
    (a global search, :func:`shared_imo_events`)."""
    out: dict[str, Params | None] = dict(params)
    p = out.get("identity_change")
    if p is not None and hasattr(p, "shared_imo"):
        out["identity_change"] = dataclasses.replace(cast(Any, p), shared_imo=False)
    return out


# ---------------------------------------------------------------------------- encounters


def sample_chunks(counts: Sequence[pl.DataFrame | None], max_rows: int) -> list[tuple[int, int]]:
    """Ranges ``[k0, k1)`` of grid times holding at most ``max_rows`` samples each (unless
    one grid time holds more), from the partitions' sample counts."""
    frames = [c for c in counts if c is not None and c.height]
    if not frames:
        return []
    per_k = pl.concat(frames).group_by("k").agg(pl.col("n").sum()).sort("k")
    k = per_k["k"].to_numpy()
    n = per_k["n"].to_numpy()
    chunks: list[tuple[int, int]] = []
    start, total = int(k[0]), 0
    for ki, ni in zip(k.tolist(), n.tolist(), strict=True):
        if total and total + ni > max_rows:
            chunks.append((start, ki))
            start, total = ki, 0
        total += ni
    chunks.append((start, int(k[-1]) + 1))
    return chunks


def encounter_candidates(chunk: tuple[int, int], *, lake: Lake, params: Params) -> pl.DataFrame:
    """Stage 2a: pairs of tracks (``track_a, track_b``, the lower MMSI first) that can have an
    encounter, from the samples of every partition with a grid time in ``chunk`` (see
    :func:`~sanctionwatch.detectors.encounter.candidate_pairs`)."""
    samples = lake.samples(*chunk)
    empty = pl.DataFrame(schema={"track_a": pl.Int64, "track_b": pl.Int64})
    if samples.height < 2:
        return empty
    a, b = candidate_pairs(samples, cast(Any, params))
    tid = samples["track_id"]
    return pl.DataFrame({"track_a": tid.gather(a), "track_b": tid.gather(b)}).unique()


def encounter_batches(
    pairs: pl.DataFrame, track_rows: Mapping[int, int], max_rows: int
) -> list[tuple[int, ...]]:
    """Candidate tracks in batches of whole connected groups (a track with all the tracks it
    may meet, and theirs), of at most ``max_rows`` positions each unless one group holds more.
    Encounters of two tracks do not depend on the other tracks given to the detector, so each
    batch finds exactly the encounters of its groups."""
    if pairs.height == 0:
        return []
    # imported on first use: SciPy is slow to load, and only the lake engines need this
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ids, inverse = np.unique(
        np.concatenate([pairs["track_a"].to_numpy(), pairs["track_b"].to_numpy()]),
        return_inverse=True,
    )
    half = pairs.height
    graph = coo_matrix((np.ones(half), (inverse[:half], inverse[half:])),
                       shape=(ids.size, ids.size))
    _, comp = connected_components(graph, directed=False)
    rows = np.array([track_rows.get(int(t), 0) for t in ids], dtype=np.int64)
    order = np.argsort(comp, kind="stable")
    cuts = np.flatnonzero(np.diff(comp[order])) + 1
    batches: list[tuple[int, ...]] = []
    current: list[int] = []
    size = 0
    for members in np.split(order, cuts):
        n = int(rows[members].sum())
        if current and size + n > max_rows:
            batches.append(tuple(current))
            current, size = [], 0
        current += [int(t) for t in ids[members]]
        size += n
    if current:
        batches.append(tuple(current))
    return batches


def encounter_batch(
    tracks: tuple[int, ...],
    *,
    lake: Lake,
    parts: Sequence[MmsiRange],
    params: Params,
    reference: ReferenceData,
) -> pl.DataFrame:
    """Stage 2b: the encounter detector on some tracks, whole (read from the partitions that
    hold them)."""
    mmsi = np.asarray(tracks, dtype=np.int64) // TRACKS_PER_MMSI
    frames = []
    for part in parts:
        mine = [t for t, m in zip(tracks, mmsi.tolist(), strict=True) if part.lo <= m <= part.hi]
        if mine:
            frames.append(lake.tracks(part, ENCOUNTER_COLUMNS, mine))
    if not frames:
        return EVENTS.empty()
    sub = pl.concat(frames, how="vertical")
    # one thread: the batches themselves run one per core (or per Dask worker thread)
    return detectors()["encounter"].run(
        DetectionInput(tracks=sub, reports=VESSEL_REPORTS.empty(), reference=reference,
                       threads=1), params
    )


def shared_imo_events(params: Params, *, lake: Lake, reference: ReferenceData) -> pl.DataFrame:
    """Stage 2: ``identity_change`` ``shared_imo`` events (one IMO broadcast by several MMSIs),
    reading only the reports and tracks of MMSIs that share an IMO."""
    max_mmsis = int(getattr(params, "max_imo_mmsi_count", 10))
    files = lake.report_files()
    if not files or not getattr(params, "shared_imo", False):
        return EVENTS.empty()
    cand = (
        pl.scan_parquet(files)
        .select("imo", "mmsi")
        .filter(pl.col("imo") > 0)
        .unique()
        .filter(pl.col("mmsi").len().over("imo").is_between(2, max_mmsis))
        .select("mmsi")
        .unique()
        .collect()["mmsi"]
        .to_list()
    )
    if not cand:
        return EVENTS.empty()
    reports = (
        pl.scan_parquet(files).filter(pl.col("mmsi").is_in(cand)).collect()
        .sort(["mmsi", "timestamp", "source", "record"], maintain_order=True)
    )
    only_shared = dataclasses.replace(cast(Any, params), fields=(), mid_flag_mismatch=False)
    data = DetectionInput(tracks=lake.all_tracks(cand), reports=reports, reference=reference)
    return detectors()["identity_change"].run(data, only_shared)


# ---------------------------------------------------------------------------- stage 3


def finish_partition(
    result: PartitionResult,
    *,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    plan: StagePlan,
    global_events: Mapping[str, pl.DataFrame],
    spans: pl.DataFrame | None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Stage 3: one MMSI range's events, complete. Each pending link gets, as its prior
    events, those of the detectors it reads, as in one run over everything: cross-vessel ones
    whole (``global_events``, all partitions), per-vessel ones of this range (they only ever
    link events of the same vessel). Detectors of :attr:`StagePlan.later` run on the range's
    tracks read again."""
    regs = detectors()
    vp = _vessel_params(params)
    own = {n: ev for n, ev in result.found.items() if n not in plan.unlinked}

    def seen(name: str) -> pl.DataFrame | None:
        """All events of ``name`` so far: the global part first, as the scheduler has it."""
        frames = [f for f in (global_events.get(name), own.get(name)) if f is not None]
        return pl.concat(frames, how="vertical") if frames else None

    order = [n for n in regs if n in own or n in global_events or n in plan.unlinked
             or n in plan.later]
    needs = prerequisites(order, regs)
    for name in plan.unlinked:
        frames = [f for f in map(seen, needs[name]) if f is not None]
        prior = pl.concat(frames, how="vertical") if frames else EVENTS.empty()
        own[name] = regs[name].finish(result.found[name], prior, vp.get(name))
    if plan.later:
        reports = lake.reports(result.part)
        data = DetectionInput(
            tracks=lake.tracks(result.part),
            reports=(reports.sort(["mmsi", "timestamp", "source", "record"], maintain_order=True)
                     if reports.height else VESSEL_REPORTS.empty()),
            reference=reference, removed=lake.removed(result.part), input_spans=spans,
            threads=threads,
        )
        given = {n: ev for n in order if n not in plan.later and (ev := seen(n)) is not None}
        own |= run_scheduled(regs, data, vp, run=list(plan.later), given=given, workers=threads)
    frames = [own[n] for n in regs if n in own]
    return pl.concat(frames, how="vertical") if frames else EVENTS.empty()


def combine(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate owned events, drop any id seen twice, sort like ``run_detectors``."""
    frames = [f for f in frames if f.height]
    if not frames:
        return EVENTS.empty()
    ev = pl.concat(frames, how="vertical").unique("event_id", keep="first", maintain_order=True)
    return ev.sort(["start_time", "event_type", "mmsi", "event_id"])


__all__ = [
    "CROSS_VESSEL",
    "ENCOUNTER_COLUMNS",
    "PartitionResult",
    "StagePlan",
    "combine",
    "encounter_batch",
    "encounter_batches",
    "encounter_candidates",
    "finish_partition",
    "plan_stages",
    "sample_chunks",
    "shared_imo_events",
    "vessel_partition",
]
