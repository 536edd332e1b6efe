"""The memory engine: every position in one frame, every detector on all of it at once.

The reference the other engines are tested against, and the fastest while the input fits in
memory (``benchmarks/results/scale.md``). Scopes do not matter here: each detector sees the
whole fleet, which is what every scope's contract is defined against.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import wait
from pathlib import Path

import polars as pl

from sanctionwatch.detectors import DetectionInput, Params, detectors, select
from sanctionwatch.detectors.schedule import run_scheduled
from sanctionwatch.engines.base import (
    EVENT_ORDER,
    OUTPUT_PARQUET,
    EngineRun,
    Job,
    in_background,
    load_reference,
)
from sanctionwatch.ingest.files import IngestResult, Progress, ingest
from sanctionwatch.schema import EVENTS
from sanctionwatch.settings import settings
from sanctionwatch.stations import position_summary
from sanctionwatch.tracks.context import context_inputs, prepare_run


def run_detectors(
    data: DetectionInput,
    params: Mapping[str, Params] | None = None,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> pl.DataFrame:
    """Run the detectors (all, or ``only`` these names or event types) on ``data`` and return
    all events sorted.

    Detectors that do not read each other's events run concurrently on ``workers`` threads
    (default: the ``SANCTIONWATCH_THREADS`` setting, as the lake engines; the events are the
    same whatever the number). Not one thread per detector: on few cores they only take
    turns, and each running detector holds its working frames at once, so more of them
    raise the peak memory and the time spent mapping fresh pages.
    """
    names = select(only)
    if not names:
        return EVENTS.empty()
    by_name = run_scheduled(
        detectors(),
        data,
        dict(params or {}),
        run=names,
        workers=workers if workers is not None else settings().threads,
        on_done=(lambda name: progress(name, 1)) if progress else None,
    )
    return pl.concat(list(by_name.values()), how="vertical").sort(list(EVENT_ORDER))


class MemoryEngine:
    """Ingest into memory, prepare every track, run every detector on the whole input."""

    name = "memory"

    def run(self, job: Job) -> EngineRun:
        """Run ``job`` (see :class:`~sanctionwatch.engines.base.Engine`)."""
        laps = _Laps()
        ing = ingest(job.inputs, job.work / "spool", job.ingest, job.progress, in_memory=True)
        laps.lap("ingest")
        # Loaded while the tracks are prepared (NumPy and Polars work), not during ingest,
        # whose readers it would slow down by as much as it saved.
        reference = load_reference(job.reference)
        raw = [ing.take_positions()]
        summary = position_summary(raw[0].lazy())
        # handed over (popped, no reference left here): prepare_run frees the raw batches
        # once copied
        context, prepared = prepare_run(raw.pop(), ing.input_spans(), job.prepare)
        laps.lap("prepare")
        reports = ing.reports().sort(["mmsi", "timestamp", "source", "record"])
        data = DetectionInput(
            tracks=prepared.tracks, reports=reports, reference=reference.result(),
            removed=prepared.removed, **context_inputs(context),
        )
        # The cleaned tables do not depend on the events: written while detecting.
        tables = None if job.tables is None else in_background(
            _write_tables, job.tables, ing, prepared.tracks, reports, prepared.removed)
        try:
            events = run_detectors(data, job.params, job.detectors, job.progress)
        except BaseException:
            if tables is not None:
                wait([tables])  # the caller removes the folder it writes into
            raise
        laps.lap("detect")
        return EngineRun(
            events=events,
            ingest=ing,
            n_tracks=prepared.tracks["track_id"].n_unique() if prepared.tracks.height else 0,
            removed_by_reason=prepared.removed_counts(),
            reports=lambda: reports,
            position_summary=summary,
            timings=laps.seconds,
            tables=tables,
        )


def _write_tables(folder: Path, ing: IngestResult, tracks: pl.DataFrame,
                  reports: pl.DataFrame, removed: pl.DataFrame) -> None:
    tracks.write_parquet(folder / "positions.parquet", **OUTPUT_PARQUET)
    reports.write_parquet(folder / "vessel_reports.parquet")
    removed.write_parquet(folder / "removed.parquet", **OUTPUT_PARQUET)
    ing.rejects().write_parquet(folder / "rejects.parquet")


class _Laps:
    """Wall time of consecutive stages."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._last
        self._last = now


__all__ = ["MemoryEngine", "run_detectors"]
