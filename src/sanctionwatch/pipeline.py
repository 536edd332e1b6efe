"""The main job: AIS files in, behaviour events out (Parquet, GeoJSON, DuckDB store).

:func:`detect` resolves the engine, runs it (:mod:`sanctionwatch.engines`: ingest, prepare the
tracks over *all* inputs together, run the detectors, write the cleaned tables), screens the
vessels against the loaded sanctions lists, writes the outputs and records the run in the
store. Outputs are written into a work folder inside the output directory and renamed into
place only when complete, and the store is written in one transaction, so an interrupted run
leaves nothing half-written behind; the work folders of killed runs are removed when the next
run starts (:mod:`sanctionwatch.workdir`). An output folder or store that cannot be written
is an error before any work is done.
:func:`run` does the same from a :class:`~sanctionwatch.config.RunConfig`.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.config import RunConfig, build_params
from sanctionwatch.detectors import Params, select, split_findings
from sanctionwatch.engines import EngineChoice, EngineOptions, choose_engine, get_engine
from sanctionwatch.engines.base import Job, ReferenceSource
from sanctionwatch.export.geojson import write_geojson
from sanctionwatch.ingest.files import IngestOptions, IngestResult, Progress, expand_inputs
from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import QUALITY_FINDINGS
from sanctionwatch.screening.ais_link import link_sanctions
from sanctionwatch.stations import STATIONS_SCHEMA, classify_stations, station_counts
from sanctionwatch.timing import warnings_for, withhold
from sanctionwatch.tracks import PrepareParams
from sanctionwatch.tracks.identity import identity_history
from sanctionwatch.workdir import check_out_dir, clean_stale_work_dirs, make_work_dir


@dataclass
class DetectResult:
    """What a detection run produced."""

    run_id: str
    events: pl.DataFrame
    """Behaviour events (``events`` table)."""
    ingest: IngestResult
    n_tracks: int
    removed_by_reason: dict[str, int]
    out_dir: Path | None
    events_new_in_store: int | None = None
    engine: str = "memory"
    """The engine that ran (``auto`` resolved)."""
    engine_choice: EngineChoice | None = None
    """Why that engine ran (for ``auto``: the estimated footprint and the memory available)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds of each stage, in order (also ``timings_s`` in ``summary.json``)."""
    config: RunConfig | None = None
    """The effective configuration (also in ``run.toml``, ``summary.json`` and the store)."""
    quality: pl.DataFrame = field(default_factory=QUALITY_FINDINGS.empty)
    """Data-quality findings (``quality_findings`` table): never counted as behaviour."""
    quality_new_in_store: int | None = None
    warnings: list[str] = field(default_factory=list)
    """What the user must know about the run's results (e.g. findings withheld because
    times were assumed: :mod:`sanctionwatch.timing`); ``summary.json`` ``warnings``."""
    stations: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STATIONS_SCHEMA))
    """Every MMSI of the run with its station type (``stations.parquet``)."""

    def counts(self) -> dict[str, Any]:
        """Summary counts (positions, reports, rejects, removed, events and data-quality
        findings by type)."""

        def by_type(rows: pl.DataFrame) -> dict[str, int]:
            if not rows.height:
                return {}
            return dict(rows.group_by("event_type").len().sort("event_type").iter_rows())

        return {
            "positions": self.ingest.n_positions,
            "vessel_reports": self.ingest.n_reports,
            "rejects": self.ingest.rejects_by_reason,
            "removed_in_cleaning": self.removed_by_reason,
            "tracks": self.n_tracks,
            "stations": station_counts(self.stations),
            "events": by_type(self.events),
            "data_quality": by_type(self.quality),
        }


def run(config: RunConfig, *, reference: ReferenceData | None = None,
        progress: Progress | None = None, command: str = "detect") -> DetectResult:
    """:func:`detect` as ``config`` says (its zones added to the shipped reference data,
    unless ``reference`` is given)."""
    if not config.inputs:
        raise ValueError("no inputs: give AIS files or folders (or `inputs` in the run file)")
    if reference is None and config.zones:
        from sanctionwatch.reference.shipped import load_zones_geojson

        default = ReferenceData.default()
        extra = [z for path in config.zones for z in load_zones_geojson(Path(path))]
        reference = ReferenceData(list(default.ports), default.shore, [*default.zones, *extra])
    return detect(
        config.inputs, config.out, store_path=config.store, options=config.ingest,
        params=config.params, only=config.detectors or None, reference=reference,
        prepare=config.tracks, progress=progress, command=command, engine=config.engine,
        engine_options=config.engine_options, config=config,
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
    config: RunConfig | None = None,
) -> DetectResult:
    """Ingest ``inputs``, detect events, write ``out_dir`` and the store (both optional).

    Outputs in ``out_dir``: ``events.parquet``, ``events.geojson``, ``positions.parquet``
    (cleaned, with ``track_id``), ``quality.parquet`` (data-quality findings, apart from the
    behaviour events), ``vessel_reports.parquet``, ``vessel_identities.parquet`` (identity
    periods: :func:`~sanctionwatch.tracks.identity.identity_history`),
    ``vessel_matches.parquet`` (when sanctions lists are loaded in the store: every AIS
    vessel screened, see :func:`~sanctionwatch.screening.ais_link.link_sanctions`),
    ``rejects.parquet``, ``removed.parquet`` (positions taken out in cleaning),
    ``stations.parquet`` (every MMSI with its station type: ships only reach the vessel
    detectors), ``summary.json`` and ``run.toml`` (the effective configuration:
    ``sanctionwatch detect --config run.toml`` repeats the run).

    ``params``: parameters of some detectors (the others keep their defaults); ``only``:
    detector names or event types to run (all when None). ``engine``: ``memory``, ``local``,
    ``dask`` or ``auto`` (default: ``memory`` when its footprint, estimated before reading,
    fits the memory available, else ``local``: :mod:`sanctionwatch.engines.choice`; the
    figures are ``engine_choice`` in ``summary.json``); all give the same events and outputs.
    ``config``: the configuration to record, when the caller has one (:func:`run`).
    """
    opts = engine_options or EngineOptions()
    ingest_opts = options or IngestOptions()
    choice = choose_engine(engine, inputs, opts)
    engine_name = choice.engine
    names = select(only)
    all_params = build_params({n: p.to_dict() for n, p in (params or {}).items()})
    effective = (config or RunConfig(
        inputs=tuple(str(p) for p in inputs), out=None if out_dir is None else str(out_dir),
        engine=engine, store=None if store_path is None else str(store_path),
        detectors=tuple(only or ()), ingest=ingest_opts, engine_options=opts,
        tracks=prepare or PrepareParams(), params=all_params,
    )).absolute()
    files = expand_inputs(inputs)
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    out = Path(out_dir) if out_dir is not None else None
    work_parent = out if out is not None else Path.cwd()
    check_out_dir(work_parent)
    if store_path is not None:
        from sanctionwatch.store import check_store_writable

        check_store_writable(store_path)
    clean_stale_work_dirs(work_parent)
    work = make_work_dir(work_parent, run_id)
    staged = work / "out"
    source: ReferenceSource = reference if reference is not None else ReferenceData.default
    job = Job(inputs=files, work=work, params=all_params, detectors=names, reference=source,
              ingest=ingest_opts, prepare=prepare, options=opts,
              tables=staged if out is not None else None, progress=progress)
    tables = None
    try:
        if out is not None:
            staged.mkdir(parents=True)
        result = get_engine(engine_name).run(job)
        tables = result.tables
        timings = dict(result.timings)
        clock = datetime.now(UTC)
        found, withheld = withhold(result.events, result.ingest.assumed_time_mmsis)
        warnings = [*result.ingest.warnings, *warnings_for(
            result.ingest.inputs, len(result.ingest.assumed_time_mmsis), withheld)]
        behaviour, quality = split_findings(found)
        events, matches = link_sanctions(behaviour, result.reports(), store_path, progress)
        timings["sanctions"] = (datetime.now(UTC) - clock).total_seconds()
        identities = (
            identity_history(result.reports())
            if out is not None or store_path is not None else None
        )
        res = DetectResult(
            run_id=run_id, events=events, ingest=result.ingest, n_tracks=result.n_tracks,
            removed_by_reason=result.removed_by_reason, out_dir=out, engine=engine_name,
            engine_choice=choice,
            config=effective, quality=quality, warnings=warnings,
        )
        if result.position_summary is not None:
            res.stations = classify_stations(result.position_summary, result.reports())
        if out is not None:
            clock = datetime.now(UTC)
            events.write_parquet(staged / "events.parquet")
            QUALITY_FINDINGS.conform(quality).write_parquet(staged / "quality.parquet")
            res.stations.write_parquet(staged / "stations.parquet")
            write_geojson(events, staged / "events.geojson")
            if matches is not None:
                matches.write_parquet(staged / "vessel_matches.parquet")
            if identities is not None:
                identities.write_parquet(staged / "vessel_identities.parquet")
            if tables is not None:
                tables.result()
            timings["outputs"] = (datetime.now(UTC) - clock).total_seconds()
            res.timings = {k: round(v, 3) for k, v in timings.items()}
            summary = {
                "run_id": run_id,
                "started_at": started.isoformat(),
                "engine": engine_name,
                "engine_choice": choice.to_dict(),
                "inputs": res.ingest.inputs,
                "counts": res.counts(),
                "warnings": res.warnings,
                "timings_s": res.timings,
                "params": {k: v.to_dict() for k, v in all_params.items()},
                "config": effective.to_dict(),
            }
            (staged / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
            (staged / "run.toml").write_text(effective.to_toml())
            for f in staged.iterdir():
                os.replace(f, out / f.name)
        else:
            res.timings = {k: round(v, 3) for k, v in timings.items()}
        if store_path is not None:
            _record(store_path, res, started, command, all_params, matches, identities)
        return res
    finally:
        if tables is not None:
            wait([tables])  # never remove the work folder under a running writer
        shutil.rmtree(work, ignore_errors=True)


def _record(store_path: str | Path, res: DetectResult, started: datetime, command: str,
            params: Mapping[str, Params], matches: pl.DataFrame | None,
            identities: pl.DataFrame | None) -> None:
    """Add the run's events, findings, vessel matches, identity periods and run record to the
    store, in one
    transaction (the store lock is taken only now, waiting while another process holds it)."""
    from sanctionwatch.store import DuckDBStore

    with DuckDBStore(store_path) as store, store.transaction():
        res.events_new_in_store = store.add_events(res.events)
        res.quality_new_in_store = store.add_events(res.quality, QUALITY_FINDINGS)
        if matches is not None:
            store.replace_vessel_matches(matches)
        if identities is not None:
            store.add_vessel_identities(identities)
        store.record_run(
            res.run_id,
            started_at=started,
            finished_at=datetime.now(UTC),
            command=command,
            inputs=res.ingest.inputs,
            params={k: v.to_dict() for k, v in params.items()},
            counts={**res.counts(), "warnings": res.warnings} if res.warnings else res.counts(),
            events_new=res.events_new_in_store,
            engine=res.engine,
            config=res.config.to_dict() if res.config is not None else None,
        )


__all__ = ["DetectResult", "detect", "run"]
