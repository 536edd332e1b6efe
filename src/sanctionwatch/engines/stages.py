"""The tasks of the lake engines: pure functions of the lake, the parameters and the reference
data, dispatched by each detector's declared scope (never by its name).

Stages (``docs/engines.md``):

1. :func:`vessel_partition` per MMSI range: ``prepare_tracks`` (it only ever compares positions
   of one MMSI), the vessel-scope detectors whose inputs are complete, and each pair-scope
   detector's sample; tracks and samples are stored in the lake. Vessel-scope detectors whose
   ``link`` step reads events of pair- or fleet-scope ones return their events unlinked.
2. For each pair- and fleet-scope detector, in run order: :func:`pair_candidates` per range
   of pairing keys (candidate pairs from the samples of every partition), then
   :func:`pair_batch` per group of connected candidate tracks (the detector on those tracks,
   whole); or :func:`fleet_run` once, on the vessels its search names.
3. :func:`finish_partition` per MMSI range: the pending ``link`` steps, and any vessel-scope
   detector that reads pair or fleet events without a link step.

Every event is found by exactly one task: a vessel-scope event by the MMSI range of its
vessel, a pair-scope event by the batch holding its two tracks (a candidate pair's tracks are
always in one batch), a fleet-scope event by its one task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import polars as pl

from sanctionwatch.detectors import DetectionInput, Detector, Params, detectors
from sanctionwatch.detectors.base import PAIR_COLUMNS
from sanctionwatch.detectors.schedule import prerequisites, run_scheduled
from sanctionwatch.engines.base import EVENT_ORDER
from sanctionwatch.engines.lake import Lake, MmsiRange
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS, VESSEL_REPORTS
from sanctionwatch.tracks import PrepareParams, prepare_tracks
from sanctionwatch.tracks.context import RunContext, context_inputs
from sanctionwatch.tracks.prepare import TRACKS_PER_MMSI, PreparedTracks

T = TypeVar("T")

REPORT_ORDER = ["mmsi", "timestamp", "source", "record"]
"""``DetectionInput.reports`` order."""


@dataclass(frozen=True)
class StagePlan:
    """Which detectors run when, from their scopes and declared reads (:func:`plan_stages`).

    now: vessel scope, run whole in stage 1 (they read nothing that is complete only later).
    unlinked: vessel scope, detected in stage 1 and linked in stage 3 (a ``link`` step that
        reads pair or fleet events).
    later: vessel scope, run whole in stage 3 on the partition's tracks read again (no
        ``link`` step, and they read pair or fleet events: plug-ins, ``draught_change``).
    cross: pair and fleet scope, run in stage 2 in this order.
    pair: the pair-scope ones among ``cross`` (their samples are taken in stage 1).
    """

    now: tuple[str, ...]
    unlinked: tuple[str, ...]
    later: tuple[str, ...]
    cross: tuple[str, ...]
    pair: tuple[str, ...]


def plan_stages(names: Sequence[str], regs: Mapping[str, Detector] | None = None) -> StagePlan:
    """Plan the detectors ``names`` (any order; run order is the registry's).

    A pair- or fleet-scope detector must read only events that are complete after stage 1
    (vessel-scope detectors of ``now``) or of pair/fleet detectors before it; anything else
    has no place in the stages and is an error naming it.
    """
    regs = regs if regs is not None else detectors()
    order = [n for n in regs if n in names]
    needs = prerequisites(order, regs)
    cross = [n for n in order if regs[n].scope != "vessel"]
    final: set[str] = set()  # complete when stage 2 starts
    now: list[str] = []
    unlinked: list[str] = []
    later: list[str] = []
    for name in order:
        if name in cross:
            continue
        complete = all(d in final for d in needs[name])
        if regs[name].link is None and not complete:
            later.append(name)
            continue
        if complete:
            now.append(name)
            final.add(name)
        else:
            unlinked.append(name)
    done_before = set(final)
    for name in cross:
        missing = [d for d in needs[name] if d not in done_before]
        if missing:
            raise ValueError(
                f"detector {name!r} ({regs[name].scope} scope) reads events of "
                f"{', '.join(missing)}, which the lake engines complete only after the "
                f"pair and fleet stage: declare reads=() or run it with --engine memory")
        done_before.add(name)
    pair = [n for n in cross if regs[n].scope == "pair"]
    return StagePlan(tuple(now), tuple(unlinked), tuple(later), tuple(cross), tuple(pair))


@dataclass(frozen=True)
class SampleStats:
    """What planning a pair-scope detector's stage 2 needs of one partition's sample."""

    counts: pl.DataFrame
    """``k, n``: samples per pairing key."""
    track_rows: dict[int, int] = field(default_factory=dict)
    """Positions of each sampled track (to size the batches)."""


@dataclass(frozen=True)
class PartitionResult:
    """What stage 1 found in one MMSI range."""

    part: MmsiRange
    n_tracks: int
    removed: dict[str, int]
    found: dict[str, pl.DataFrame]
    """Events by detector (those of :attr:`StagePlan.unlinked` not linked yet)."""
    samples: dict[str, SampleStats] = field(default_factory=dict)
    """Sample statistics by pair-scope detector."""


def _sorted_reports(reports: pl.DataFrame) -> pl.DataFrame:
    if reports.height == 0:
        return VESSEL_REPORTS.empty()
    return reports.sort(REPORT_ORDER, maintain_order=True)


def vessel_partition(
    part: MmsiRange,
    *,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    prepare: PrepareParams | None,
    plan: StagePlan,
    context: RunContext | None,
    threads: int | None = None,
) -> PartitionResult:
    """Stage 1: prepare one MMSI range's tracks, store them, run the vessel-scope detectors
    of the plan (independent ones concurrently on ``threads`` threads, see
    :func:`~sanctionwatch.detectors.schedule.run_scheduled`; not ``workers``, which Dask's
    ``Client.map`` takes as worker restrictions) and store each pair-scope detector's sample.

    ``context``: what the whole run knows (:class:`~sanctionwatch.tracks.context.RunContext`).
    """
    prepared = prepare_tracks(lake.positions(part), prepare,
                              context.spans if context is not None else None)
    # Storing the tracks and sampling do not depend on the detectors: with threads to spare,
    # they run beside them (a view such as the grid is built once, by whoever asks first).
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
                                 reference=reference, plan=plan, context=context, threads=threads)
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
    context: RunContext | None,
    threads: int | None,
) -> PartitionResult:
    tracks = prepared.tracks
    stored = later(lake.write_tracks, part, tracks, prepared.removed)
    data = DetectionInput(tracks=tracks, reports=_sorted_reports(lake.reports(part)),
                          reference=reference, removed=prepared.removed, **context_inputs(context),
                          threads=threads)
    regs = detectors()
    sampled = {name: later(_sample, name, part, data, lake, params.get(name), regs)
               for name in plan.pair}
    found = run_scheduled(regs, data, params, run=[*plan.now, *plan.unlinked],
                          workers=threads, unlinked=plan.unlinked)
    samples = {name: get() for name, get in sampled.items()}
    stored()
    return PartitionResult(
        part=part,
        n_tracks=tracks["track_id"].n_unique() if tracks.height else 0,
        removed=prepared.removed_counts(),
        found=found,
        samples=samples,
    )


def _sample(name: str, part: MmsiRange, data: DetectionInput, lake: Lake,
            params: Params | None, regs: Mapping[str, Detector]) -> SampleStats:
    """Store a pair-scope detector's sample of one partition; its statistics."""
    det = regs[name]
    assert det.pair_search is not None  # a pair-scope detector always has one
    samples = det.pair_search.sample(data, det.params_or_default(params))
    lake.write_samples(name, part, samples)
    sampled = samples["track_id"].unique().implode()
    rows = data.tracks.filter(pl.col("track_id").is_in(sampled)).group_by("track_id").len()
    return SampleStats(samples.group_by("k").len("n"),
                       dict(zip(rows["track_id"].to_list(), rows["len"].to_list(), strict=True)))


# ---------------------------------------------------------------------------- pair scope


def key_chunks(counts: Sequence[pl.DataFrame], max_rows: int) -> list[tuple[int, int]]:
    """Ranges ``[k0, k1)`` of pairing keys holding at most ``max_rows`` samples each (unless
    one key holds more), from the partitions' sample counts."""
    frames = [c for c in counts if c.height]
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


def pair_candidates(chunk: tuple[int, int], *, lake: Lake, detector: str,
                    params: Params) -> pl.DataFrame:
    """Stage 2a: candidate pairs of tracks (``track_a, track_b``) of a pair-scope detector,
    from the samples of every partition with a key in ``chunk``."""
    det = detectors()[detector]
    assert det.pair_search is not None
    samples = lake.samples(detector, *chunk)
    empty = pl.DataFrame(schema=dict.fromkeys(PAIR_COLUMNS, pl.Int64))
    if samples.height == 0:
        return empty
    pairs = det.pair_search.pairs(samples, params)
    return pairs.select(*(pl.col(c).cast(pl.Int64) for c in PAIR_COLUMNS)) if pairs.height \
        else empty


def pair_batches(
    pairs: pl.DataFrame, track_rows: Mapping[int, int], max_rows: int
) -> list[tuple[int, ...]]:
    """Candidate tracks in batches of whole connected groups (a track with all the tracks it
    may pair with, and theirs), of at most ``max_rows`` positions each unless one group holds
    more. A pair's events do not depend on the other tracks given to the detector, so each
    batch finds exactly the events of its groups. Union-find by SciPy's connected
    components: O(t + p) for t tracks and p pairs."""
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


def pair_batch(
    tracks: tuple[int, ...],
    *,
    lake: Lake,
    parts: Sequence[MmsiRange],
    detector: str,
    params: Params,
    reference: ReferenceData,
    prior: pl.DataFrame | None,
    context: RunContext | None,
) -> pl.DataFrame:
    """Stage 2b: a pair-scope detector on some tracks, whole (read from the partitions that
    hold them; only the columns its search declares)."""
    det = detectors()[detector]
    assert det.pair_search is not None
    mmsi = np.asarray(tracks, dtype=np.int64) // TRACKS_PER_MMSI
    frames = []
    for part in parts:
        mine = [t for t, m in zip(tracks, mmsi.tolist(), strict=True) if part.lo <= m <= part.hi]
        if mine:
            frames.append(lake.tracks(part, det.pair_search.columns, mine))
    if not frames:
        return EVENTS.empty()
    reports = (_sorted_reports(lake.reports_of(mmsi.tolist())) if det.pair_search.reports
               else VESSEL_REPORTS.empty())
    # one thread: the batches themselves run one per core (or per Dask worker thread)
    data = DetectionInput(tracks=pl.concat(frames, how="vertical"), reports=reports,
                          reference=reference, prior_events=prior, **context_inputs(context),
                          threads=1)
    return det.run(data, params)


# ---------------------------------------------------------------------------- fleet scope


def fleet_run(detector: str, *, lake: Lake, params: Params, reference: ReferenceData,
              prior: pl.DataFrame | None, context: RunContext | None) -> pl.DataFrame:
    """Stage 2: a fleet-scope detector on the vessels its search names (all without one)."""
    det = detectors()[detector]
    files = lake.report_files()
    scan = pl.scan_parquet(files) if files else VESSEL_REPORTS.empty().lazy()
    mmsis: list[int] | None = None
    if det.fleet_search is not None:
        mmsis = det.fleet_search.vessels(scan, params).collect()["mmsi"].to_list()
        scan = scan.filter(pl.col("mmsi").is_in(mmsis))
    data = DetectionInput(
        tracks=lake.all_tracks(mmsis), reports=_sorted_reports(scan.collect()),
        reference=reference, removed=lake.all_removed(mmsis), prior_events=prior,
        **context_inputs(context), threads=1,
    )
    return det.run(data, params)


# ---------------------------------------------------------------------------- stage 3


def finish_partition(
    result: PartitionResult,
    *,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    plan: StagePlan,
    global_events: Mapping[str, pl.DataFrame],
    context: RunContext | None,
    threads: int | None = None,
) -> pl.DataFrame:
    """Stage 3: one MMSI range's events, complete. Each pending link gets, as its prior
    events, those of the detectors it reads, as in one run over everything: pair and fleet
    ones whole (``global_events``, all partitions), vessel ones of this range (they only ever
    link events of the same vessel). Detectors of :attr:`StagePlan.later` run on the range's
    tracks read again."""
    regs = detectors()
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
        own[name] = regs[name].finish(result.found[name], prior, params.get(name))
    if plan.later:
        data = DetectionInput(
            tracks=lake.tracks(result.part),
            reports=_sorted_reports(lake.reports(result.part)),
            reference=reference, removed=lake.removed(result.part), **context_inputs(context),
            threads=threads,
        )
        given = {n: ev for n in order if n not in plan.later and (ev := seen(n)) is not None}
        own |= run_scheduled(regs, data, params, run=list(plan.later), given=given,
                             workers=threads)
    frames = [own[n] for n in regs if n in own]
    return pl.concat(frames, how="vertical") if frames else EVENTS.empty()


def combine(frames: Sequence[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate owned events, drop any id seen twice, sort as every engine does."""
    frames = [f for f in frames if f.height]
    if not frames:
        return EVENTS.empty()
    ev = pl.concat(frames, how="vertical").unique("event_id", keep="first", maintain_order=True)
    return ev.sort(list(EVENT_ORDER))


__all__ = [
    "PartitionResult",
    "SampleStats",
    "StagePlan",
    "combine",
    "finish_partition",
    "fleet_run",
    "key_chunks",
    "pair_batch",
    "pair_batches",
    "pair_candidates",
    "plan_stages",
    "vessel_partition",
]
