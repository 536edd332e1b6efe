"""The main job: AIS files in, behaviour events out (Parquet, GeoJSON, DuckDB store).

``ingest`` streams every input into canonical Parquet parts (so no input is ever held whole in
memory), ``detect`` prepares tracks over *all* inputs together — which is why an encounter that
crosses midnight or a file boundary is found whole — runs the detectors, and writes the outputs
atomically: every output file is written to a temporary name and renamed into place only when
complete, so an interrupted run leaves nothing half-written behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.detectors import DetectionInput, Params, detectors
from sanctionwatch.detectors.schedule import DEFAULT_WORKERS, run_scheduled
from sanctionwatch.engines import (
    ENGINES,
    EngineOptions,
    EngineResult,
    Lake,
    LakeWriter,
    MmsiRange,
)
from sanctionwatch.engines.lake import SCRATCH_COMPRESSION
from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS, POSITIONS, REJECTS, VESSEL_REPORTS
from sanctionwatch.tracks import PrepareParams, prepare_tracks

INPUT_SUFFIXES = (".nmea", ".nm4", ".ais", ".txt", ".log", ".csv", ".parquet", ".gpkg", ".gz")
"""File suffixes picked up when a directory is given as input."""

Progress = Callable[[str, int], None]
"""Progress callback: (what, units done since the last call)."""


@dataclass(frozen=True)
class IngestOptions:
    """How inputs are read (see :func:`sanctionwatch.ingest.ais.read_ais`)."""

    fmt: str | None = None
    layout: str | None = None
    strict: bool = False
    batch_rows: int = 200_000
    assume_time: datetime | None = None


@dataclass
class IngestResult:
    """Canonical tables of a set of inputs (held as Parquet parts in ``spool``)."""

    spool: Path
    inputs: list[dict[str, Any]] = field(default_factory=list)
    lake: Path | None = None
    """Root of the partitioned lake when positions and reports went there (engines)."""
    n_positions: int = 0
    n_reports: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    spans: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    """Per input file with positions: its source name and first and last valid time."""
    frames: dict[str, list[pl.DataFrame]] | None = None
    """With ``ingest(..., in_memory=True)``: the tables' batches in input order, instead of
    parts in ``spool``."""

    def input_spans(self) -> pl.DataFrame:
        """The time each input file covers: ``source, start, end``, the first and last time
        of its positions with valid coordinates (``DetectionInput.input_spans``)."""
        rows = self.spans
        return pl.DataFrame(
            {"source": [r[0] for r in rows], "start": [r[1] for r in rows],
             "end": [r[2] for r in rows]},
            schema={"source": pl.String, "start": pl.Datetime("us", "UTC"),
                    "end": pl.Datetime("us", "UTC")},
        )

    def positions(self) -> pl.DataFrame:
        """All positions read."""
        if self.lake is not None:
            return _read_parts(self.lake / "positions", POSITIONS.empty(), "day=*/*.parquet")
        return self._table("positions", POSITIONS.empty())

    def reports(self) -> pl.DataFrame:
        """All vessel reports read."""
        if self.lake is not None:
            return _read_parts(self.lake / "reports", VESSEL_REPORTS.empty())
        return self._table("vessel_reports", VESSEL_REPORTS.empty())

    def take_positions(self) -> pl.DataFrame:
        """All positions read, handed over: with in-memory batches, this result holds them no
        longer (``positions()`` is empty after this), so they are freed as soon as the
        caller's frame is (:func:`~sanctionwatch.tracks.prepare_tracks` drops its input once
        it has copied it)."""
        out = self.positions()
        if self.frames is not None:
            self.frames["positions"] = []
        return out

    def rejects(self) -> pl.DataFrame:
        """All rejected records with reasons."""
        return self._table("rejects", REJECTS.empty())

    def _table(self, name: str, empty: pl.DataFrame) -> pl.DataFrame:
        if self.frames is None:
            return _read_parts(self.spool / name, empty)
        parts = [df for df in self.frames[name] if df.height]
        # no rechunk: the consumers sort or filter, which copies anyway
        return pl.concat(parts, how="vertical", rechunk=False) if parts else empty


@dataclass
class DetectResult:
    """What a detection run produced."""

    run_id: str
    events: pl.DataFrame
    ingest: IngestResult
    n_tracks: int
    removed_by_reason: dict[str, int]
    out_dir: Path | None
    events_new_in_store: int | None = None
    engine: str = "memory"
    """The engine that ran (``auto`` resolved)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each stage, in order (also ``timings_s`` in ``summary.json``)."""

    def counts(self) -> dict[str, Any]:
        """Summary counts (positions, reports, rejects, removed, events by type)."""
        by_type = (
            dict(self.events.group_by("event_type").len().sort("event_type").iter_rows())
            if self.events.height
            else {}
        )
        return {
            "positions": self.ingest.n_positions,
            "vessel_reports": self.ingest.n_reports,
            "rejects": self.ingest.rejects_by_reason,
            "removed_in_cleaning": self.removed_by_reason,
            "tracks": self.n_tracks,
            "events": by_type,
        }


class Laps:
    """Wall time of consecutive stages, for ``summary.json`` (where a run's time went)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the time since the previous lap as ``name``."""
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 3)
        self._last = now

    def add(self, seconds: Mapping[str, float]) -> None:
        """Record stages timed elsewhere (an engine's), ending now."""
        for name, s in seconds.items():
            self.seconds[name] = round(s, 3)
        self._last = time.perf_counter()


def expand_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files given, plus the AIS files inside directories given (sorted, recursive)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                sorted(
                    q
                    for q in p.rglob("*")
                    if q.is_file()
                    and q.suffix.lower() in INPUT_SUFFIXES
                    and not q.name.startswith(".")
                )
            )
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")
    return out


BYTES_PER_POSITION = {".csv": 80, ".gz": 20, ".gpkg": 120}
"""Rough bytes per record of text inputs, for :func:`estimate_positions` (MarineCadastre CSV
rows are ~90 bytes, NMEA sentences ~60-80, gzip compresses them ~4x); other suffixes: 64."""


def estimate_positions(paths: Sequence[Path]) -> int:
    """Rough number of records in ``paths`` before reading them: exact for Parquet (its
    metadata), file size over :data:`BYTES_PER_POSITION` otherwise. Used to pick an engine."""
    import pyarrow.parquet as pq

    total = 0
    for p in paths:
        if p.suffix.lower() == ".parquet":
            try:
                total += pq.ParquetFile(p).metadata.num_rows
                continue
            except Exception:  # unreadable here: the reader reports it with the file name
                pass
        total += p.stat().st_size // BYTES_PER_POSITION.get(p.suffix.lower(), 64)
    return total


def resolve_engine(
    engine: str, inputs: Sequence[str | Path], options: EngineOptions | None = None
) -> str:
    """The engine ``engine`` stands for: ``auto`` becomes ``memory`` up to
    ``options.memory_max_positions`` :func:`estimate_positions`, else ``local``."""
    if engine != "auto":
        return engine
    limit = (options or EngineOptions()).memory_max_positions
    return "memory" if estimate_positions(expand_inputs(inputs)) <= limit else "local"


def ingest(
    inputs: Sequence[str | Path],
    spool: Path,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
    lake: LakeWriter | None = None,
    workers: int | None = None,
    in_memory: bool = False,
) -> IngestResult:
    """Stream every input into canonical Parquet parts under ``spool``.

    With ``lake``, positions and vessel reports go to the partitioned lake instead (see
    :mod:`sanctionwatch.engines.lake`); rejects stay in the spool. With ``in_memory`` (for
    the memory engine, which holds every position anyway), the batches stay in memory
    (:attr:`IngestResult.frames`) and nothing is written. Files are read ``workers`` at a
    time (default :data:`~sanctionwatch.detectors.schedule.DEFAULT_WORKERS`; the readers
    spend their time in Polars and Arrow, which release the GIL); parts are named by file and
    batch, so what is read does not depend on the order the threads finish in.
    """
    opts = options or IngestOptions()
    if in_memory and lake is not None:
        raise ValueError("ingest: in_memory and lake are exclusive")
    result = IngestResult(spool=spool, lake=lake.root if lake is not None else None)
    if not in_memory:
        for sub in ("positions", "vessel_reports", "rejects"):
            (spool / sub).mkdir(parents=True, exist_ok=True)
    paths = expand_inputs(inputs)
    lock = threading.Lock()
    spans: dict[int, tuple[str, datetime, datetime]] = {}
    kept: list[dict[str, list[pl.DataFrame]]] = [
        {"positions": [], "vessel_reports": [], "rejects": []} for _ in paths
    ]

    def read_one(index: int, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
        stat = path.stat()
        n_pos = n_rep = n_rej = 0
        reasons: dict[str, int] = {}
        source: str | None = None
        first: datetime | None = None
        last: datetime | None = None
        for part, batch in enumerate(read_ais(
            path,
            fmt=opts.fmt,
            layout=opts.layout,
            strict=opts.strict,
            batch_rows=opts.batch_rows,
            assume_time=opts.assume_time,
        )):
            if lake is not None:
                lake.add(batch.positions, batch.reports)
            for sub, df in (
                ("positions", batch.positions if lake is None else None),
                ("vessel_reports", batch.reports if lake is None else None),
                ("rejects", batch.rejects),
            ):
                if df is None or not df.height:
                    continue
                if in_memory:
                    kept[index][sub].append(df)
                else:
                    df.write_parquet(
                        spool / sub / f"part-{index:06d}-{part:06d}.parquet",
                        compression=SCRATCH_COMPRESSION,
                    )
            span = _valid_span(batch.positions)
            if span is not None:
                source = batch.positions["source"][0]
                first = span[0] if first is None else min(first, span[0])
                last = span[1] if last is None else max(last, span[1])
            n_pos += batch.positions.height
            n_rep += batch.reports.height
            n_rej += batch.rejects.height
            for reason, n in batch.rejects.group_by("reason").len().iter_rows():
                reasons[reason] = reasons.get(reason, 0) + n
            if progress:
                progress(str(path), batch.positions.height + batch.reports.height)
        record = {
            "path": str(path),
            "bytes": stat.st_size,
            "mtime": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
            "positions": n_pos,
            "vessel_reports": n_rep,
            "rejects": n_rej,
        }
        if source is not None and first is not None and last is not None:
            with lock:
                spans[index] = (source, first, last)
        return record, reasons

    n_workers = max(1, min(len(paths), workers if workers is not None else DEFAULT_WORKERS))
    if n_workers == 1:
        done = [read_one(i, p) for i, p in enumerate(paths)]
    else:
        with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="ingest") as pool:
            done = list(pool.map(read_one, range(len(paths)), paths))
    if in_memory:
        result.frames = {
            sub: [df for per_file in kept for df in per_file[sub]]
            for sub in ("positions", "vessel_reports", "rejects")
        }
    result.spans = [spans[i] for i in sorted(spans)]
    for record, reasons in done:  # in input order
        result.inputs.append(record)
        result.n_positions += record["positions"]
        result.n_reports += record["vessel_reports"]
        for reason, n in reasons.items():
            result.rejects_by_reason[reason] = result.rejects_by_reason.get(reason, 0) + n
    if lake is not None:
        lake.close()
    return result


def _valid_span(positions: pl.DataFrame) -> tuple[datetime, datetime] | None:
    """First and last time of the positions whose coordinates track preparation keeps."""
    if positions.height == 0:
        return None
    lat, lon = pl.col("lat"), pl.col("lon")
    ok = (lat.abs() <= 90) & (lon.abs() <= 180) & (lat != 91) & (lon != 181) \
        & ~((lat == 0) & (lon == 0))
    got = positions.lazy().filter(ok).select(
        pl.col("timestamp").min().alias("a"), pl.col("timestamp").max().alias("b")
    ).collect(engine="in-memory")
    a, b = got.row(0)
    return None if a is None else (a, b)


def parse_overrides(overrides: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Parse ``detector.field=value`` strings into per-detector parameter overrides."""
    regs = detectors()
    out: dict[str, dict[str, Any]] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        name, dot, fname = key.partition(".")
        if not sep or not dot:
            raise ValueError(f"bad parameter {item!r}: expected DETECTOR.FIELD=VALUE")
        if name not in regs:
            raise ValueError(f"bad parameter {item!r}: no detector {name!r}")
        ptype = regs[name].params_type
        defaults = ptype()
        valid = {f.name for f in dataclasses.fields(ptype)}
        if fname not in valid:
            raise ValueError(f"bad parameter {item!r}: {name} has {', '.join(sorted(valid))}")
        current = getattr(defaults, fname)
        typed: Any
        if isinstance(current, bool):
            typed = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            typed = int(value)
        elif isinstance(current, float):
            typed = float(value)
        elif isinstance(current, tuple):
            typed = tuple(v.strip() for v in value.split(",") if v.strip())
        else:
            typed = value
        out.setdefault(name, {})[fname] = typed
    return out


def build_params(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Params]:
    """Parameters for every detector: defaults with ``overrides`` applied (validated)."""
    overrides = overrides or {}
    return {
        name: det.params_type(**dict(overrides.get(name, {}))) for name, det in detectors().items()
    }


def run_detectors(
    data: DetectionInput,
    params: Mapping[str, Params] | None = None,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> pl.DataFrame:
    """Run the detectors (all, or ``only`` these) and return all events sorted.

    Detectors that do not read each other's events run concurrently on ``workers`` threads
    (default: one per detector run, at least
    :data:`~sanctionwatch.detectors.schedule.DEFAULT_WORKERS`); the events are the same
    whatever the number. One thread each, because with fewer a long detector queued behind
    short ones ends the run alone: on 2 cores and 9.9 M positions (memory engine, four
    interleaved runs each) the whole run took 9.0-11.9 s (median 9.6) with 4 threads and
    9.3-9.8 s (median 9.35) with 8, at 0.2 GB more peak memory.
    """
    regs = detectors()
    unknown = set(only or ()) - set(regs)
    if unknown:
        raise ValueError(f"unknown detector(s): {', '.join(sorted(unknown))}")
    names = [n for n in regs if not only or n in only]
    if not names:
        return EVENTS.empty()
    by_name = run_scheduled(
        regs,
        data,
        dict(params or {}),
        run=names,
        workers=workers if workers is not None else max(DEFAULT_WORKERS, len(names)),
        on_done=(lambda name: progress(name, 1)) if progress else None,
    )
    return pl.concat(list(by_name.values()), how="vertical").sort(
        ["start_time", "event_type", "mmsi", "event_id"]
    )


def detect(
    inputs: Sequence[str | Path],
    out_dir: str | Path | None = None,
    *,
    store_path: str | Path | None = None,
    options: IngestOptions | None = None,
    params: Mapping[str, Params] | None = None,
    only: Sequence[str] | None = None,
    reference: ReferenceData | None = None,
    prepare: PrepareParams | None = None,
    progress: Progress | None = None,
    command: str = "detect",
    engine: str = "auto",
    engine_options: EngineOptions | None = None,
) -> DetectResult:
    """Ingest ``inputs``, detect events, write ``out_dir`` and the store (both optional).

    Outputs in ``out_dir``: ``events.parquet``, ``events.geojson``, ``positions.parquet``
    (cleaned, with ``track_id``), ``vessel_reports.parquet``, ``vessel_matches.parquet`` (when
    sanctions lists are loaded in the store: every AIS vessel screened, see
    :func:`link_sanctions`), ``rejects.parquet``,
    ``removed.parquet`` (positions taken out in cleaning) and ``summary.json``.

    ``engine``: ``memory`` (everything in one frame, the reference the others are tested
    against and the fastest as measured), ``local`` (the partitioned lake, one partition at a
    time, ``engine_options.partition_rows``: memory bounded whatever the input size), ``dask``
    (the same partitions on Dask, ``engine_options.scheduler`` or a LocalCluster) or ``auto``
    (default: ``memory`` up to ``engine_options.memory_max_positions`` estimated positions,
    else ``local``). All give the same events and outputs.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    engine = resolve_engine(engine, inputs, engine_options)
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    out = Path(out_dir) if out_dir is not None else None
    work_parent = out if out is not None else Path.cwd()
    work_parent.mkdir(parents=True, exist_ok=True)
    work = work_parent / f".sanctionwatch-work-{run_id}"
    all_params = dict(params) if params else build_params()
    staged = work / "out"
    tables_written: Future[None] | None = None
    laps = Laps()
    try:
        if engine == "memory":
            ing = ingest(inputs, work / "spool", options, progress, in_memory=True)
            laps.lap("ingest")
            # The shipped reference data (ports and their k-d tree, SciPy, the zones: about
            # 0.4 s, mostly holding the GIL) loads while the tracks are prepared, whose work is
            # in NumPy and Polars; started during ingest instead, it slowed the readers down
            # by as much as it saved.
            ref_loaded = _load_reference(reference)
            # The raw batches are not needed again (every output is of the prepared tables):
            # handed over, they are freed inside prepare_tracks as soon as they are copied.
            prepared = prepare_tracks(ing.take_positions(), prepare)
            laps.lap("prepare")
            reports = ing.reports().sort(["mmsi", "timestamp", "source", "record"])
            data = DetectionInput(
                tracks=prepared.tracks, reports=reports, reference=ref_loaded.result(),
                removed=prepared.removed,
                input_spans=ing.input_spans(),
            )
            if out is not None:
                # The cleaned tables do not depend on the events: write them while detecting.
                staged.mkdir(parents=True)
                writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outputs")
                tables_written = writer.submit(
                    _write_tables, staged, prepared.tracks, reports, prepared.removed
                )
                writer.shutdown(wait=False)
            events = run_detectors(data, all_params, only, progress)
            laps.lap("detect")
            n_tracks = prepared.tracks["track_id"].n_unique() if prepared.tracks.height else 0
            removed_counts = prepared.removed_counts()
        else:
            ing = ingest(inputs, work / "spool", options, progress, lake=LakeWriter(work / "lake"))
            laps.lap("ingest")
            ref_loaded = _load_reference(reference)
            lake = Lake(work / "lake")
            _check_only(only)
            on_parts = None
            if out is not None:
                staged.mkdir(parents=True)

                def on_parts(parts: list[MmsiRange]) -> None:
                    # The cleaned tables do not depend on the events: write them while the
                    # cross-vessel stage runs.
                    nonlocal tables_written
                    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outputs")
                    tables_written = writer.submit(_write_lake_outputs, lake, parts, staged)
                    writer.shutdown(wait=False)

            eng = _run_engine(engine, lake, all_params, ref_loaded.result(), only, prepare,
                              engine_options, ing.input_spans(), on_parts)
            if progress:
                progress("detectors", 1)
            events, n_tracks, removed_counts = eng.events, eng.n_tracks, eng.removed_by_reason
            laps.add(eng.timings)
        vessel_reports = reports if engine == "memory" else lake.reports()
        events, matches = link_sanctions(events, vessel_reports, store_path, progress)
        laps.lap("sanctions")
        result = DetectResult(
            run_id=run_id,
            events=events,
            ingest=ing,
            n_tracks=n_tracks,
            removed_by_reason=removed_counts,
            out_dir=out,
            engine=engine,
        )
        if out is not None:
            staged.mkdir(exist_ok=True)
            events.write_parquet(staged / "events.parquet")
            write_geojson(events, staged / "events.geojson")
            if matches is not None:
                matches.write_parquet(staged / "vessel_matches.parquet")
            if tables_written is not None:
                tables_written.result()
            else:
                _write_lake_outputs(lake, eng.partitions, staged)
            if ing.frames is not None:
                ing.rejects().write_parquet(staged / "rejects.parquet")
            else:
                _copy_parts(work / "spool" / "rejects", REJECTS.empty(),
                            staged / "rejects.parquet")
            laps.lap("outputs")
            result.timings = laps.seconds
            summary = {
                "run_id": run_id,
                "started_at": started.isoformat(),
                "engine": engine,
                "inputs": ing.inputs,
                "counts": result.counts(),
                "timings_s": laps.seconds,
                "params": {k: v.to_dict() for k, v in all_params.items()},
            }
            (staged / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
            for f in staged.iterdir():
                os.replace(f, out / f.name)
        if store_path is not None:
            from sanctionwatch.store import DuckDBStore

            with DuckDBStore(store_path) as store:
                result.events_new_in_store = store.add_events(events)
                if matches is not None:
                    store.replace_vessel_matches(matches)
                store.record_run(
                    run_id,
                    started_at=started,
                    finished_at=datetime.now(UTC),
                    command=command,
                    inputs=ing.inputs,
                    params={k: v.to_dict() for k, v in all_params.items()},
                    counts=result.counts(),
                    events_new=result.events_new_in_store,
                )
        return result
    finally:
        if tables_written is not None:
            wait([tables_written])  # never remove the work folder under a running writer
        shutil.rmtree(work, ignore_errors=True)


OUTPUT_PARQUET: dict[str, Any] = {"compression": "zstd", "compression_level": 1}
"""How the large output tables (positions, removed) are written: zstd level 1 wrote 10 M
positions in about half the CPU time of Polars' default level at a 10 % larger file."""


def _load_reference(reference: ReferenceData | None) -> Future[ReferenceData]:
    """``reference``, or the shipped reference data loading on a thread."""
    if reference is not None:
        done: Future[ReferenceData] = Future()
        done.set_result(reference)
        return done
    loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reference")
    try:
        return loader.submit(ReferenceData.default)
    finally:
        loader.shutdown(wait=False)


def _write_tables(
    staged: Path, tracks: pl.DataFrame, reports: pl.DataFrame, removed: pl.DataFrame
) -> None:
    tracks.write_parquet(staged / "positions.parquet", **OUTPUT_PARQUET)
    reports.write_parquet(staged / "vessel_reports.parquet")
    removed.write_parquet(staged / "removed.parquet", **OUTPUT_PARQUET)


def _check_only(only: Sequence[str] | None) -> None:
    unknown = set(only or ()) - set(detectors())
    if unknown:
        raise ValueError(f"unknown detector(s): {', '.join(sorted(unknown))}")


def _run_engine(
    engine: str,
    lake: Lake,
    params: Mapping[str, Params],
    reference: ReferenceData,
    only: Sequence[str] | None,
    prepare: PrepareParams | None,
    options: EngineOptions | None,
    spans: pl.DataFrame,
    on_partitions: Callable[[list[MmsiRange]], None] | None,
) -> EngineResult:
    if engine == "dask":
        from sanctionwatch.engines.dask import run_dask

        return run_dask(lake, params, reference, only=only, prepare=prepare, options=options,
                        input_spans=spans, on_partitions=on_partitions)
    from sanctionwatch.engines.local import run_local

    return run_local(lake, params, reference, only=only, prepare=prepare, options=options,
                     input_spans=spans, on_partitions=on_partitions)


def _write_lake_outputs(lake: Lake, partitions: Sequence[MmsiRange], staged: Path) -> None:
    """Cleaned positions, reports and removed rows, streamed partition by partition (MMSI
    ranges in order, so concatenation is already the memory engine's global sort)."""
    tracks = [lake.track_file(p) for p in partitions]
    tracks = [f for f in tracks if f.exists()]
    if tracks:
        pl.scan_parquet(tracks).sink_parquet(staged / "positions.parquet", **OUTPUT_PARQUET)
    else:
        prepare_tracks(POSITIONS.empty()).tracks.write_parquet(staged / "positions.parquet")
    reports = [lake.reports(p).sort(["mmsi", "timestamp", "source", "record"]) for p in
               partitions]
    reports = [r for r in reports if r.height]
    (pl.concat(reports) if reports else VESSEL_REPORTS.empty()).write_parquet(
        staged / "vessel_reports.parquet")
    files = lake.removed_files()
    if files:
        pl.scan_parquet(files).sort(["source", "record"]).sink_parquet(
            staged / "removed.parquet", **OUTPUT_PARQUET)
    else:
        prepare_tracks(POSITIONS.empty()).removed.write_parquet(staged / "removed.parquet")


def _copy_parts(folder: Path, empty: pl.DataFrame, path: Path) -> None:
    parts = sorted(folder.glob("*.parquet"))
    if parts:
        pl.scan_parquet(parts).sink_parquet(path)
    else:
        empty.write_parquet(path)


def link_sanctions(
    events: pl.DataFrame,
    reports: pl.DataFrame,
    store_path: str | Path | None,
    progress: Progress | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Screen every vessel seen in AIS (MMSI, every IMO and name it broadcast) against the
    sanctions lists loaded in the store, and add the matches to the events' ``details``
    (``sanctions_matches``, for either party of an encounter).

    Returns the (enriched) events and the matches, or the events unchanged and ``None`` when
    there is no store or no list has been loaded into it.
    """
    if store_path is None or not Path(store_path).exists():
        return events, None
    from sanctionwatch.screening import NoListsLoaded, load_screener
    from sanctionwatch.screening.ais_link import enrich_events, screen_vessels, vessel_identities

    try:
        screener = load_screener(Path(store_path))
    except NoListsLoaded:
        return events, None
    matches = screen_vessels(vessel_identities(reports), screener)
    if progress:
        progress("sanctions screening", 1)
    return enrich_events(events, matches), matches


def _read_parts(folder: Path, empty: pl.DataFrame, pattern: str = "*.parquet") -> pl.DataFrame:
    parts = sorted(folder.glob(pattern))
    if not parts:
        return empty
    return pl.read_parquet(parts)


def events_geojson(events: pl.DataFrame) -> dict[str, Any]:
    """Events as a GeoJSON FeatureCollection: gaps as lines from OFF to ON, others as points."""
    result: dict[str, Any] = json.loads(geojson_text(events))
    return result


def geojson_text(events: pl.DataFrame) -> str:
    """:func:`events_geojson` as compact JSON text, built column-wise (no Python per event):
    every column is a property (times in ISO 8601, NaN and infinities as null); the
    geometry is a LineString from ``lat, lon`` to ``end_lat, end_lon`` when both are finite
    and differ, a Point at ``lat, lon`` when that is finite, else null."""
    if events.height == 0:
        return '{"type":"FeatureCollection","features":[]}'

    def finite(c: str) -> pl.Expr:
        return pl.col(c).is_not_null() & pl.col(c).is_finite()

    def pair(lon: str, lat: str) -> pl.Expr:
        return pl.concat_list(lon, lat).list.to_array(2)

    point = finite("lat") & finite("lon")
    line = (
        point & finite("end_lat") & finite("end_lon")
        & ((pl.col("end_lat") != pl.col("lat")) | (pl.col("end_lon") != pl.col("lon")))
    )
    geometry = (
        pl.when(line)
        .then(pl.struct(type=pl.lit("LineString"),
                        coordinates=pl.concat_list(pair("lon", "lat"), pair("end_lon", "end_lat")))
              .struct.json_encode())
        .when(point)
        .then(pl.struct(type=pl.lit("Point"), coordinates=pl.concat_list("lon", "lat"))
              .struct.json_encode())
        .otherwise(pl.lit("null"))
    )
    features = events.select(
        pl.concat_str(
            pl.lit('{"type":"Feature","id":'),
            pl.struct("event_id").struct.json_encode().str.slice(12).str.head(-1),
            pl.lit(',"geometry":'),
            geometry,
            pl.lit(',"properties":'),
            pl.struct(pl.all()).struct.json_encode(),
            pl.lit("}"),
        )
    ).to_series()
    return '{"type":"FeatureCollection","features":[' + ",".join(features.to_list()) + "]}"


def write_geojson(events: pl.DataFrame, path: Path) -> None:
    """Write :func:`events_geojson` to ``path``."""
    path.write_text(geojson_text(events))
