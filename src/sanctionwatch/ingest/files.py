"""Reading many AIS files into the canonical tables: a folder of Parquet parts (the spool), a
partitioned lake, or frames kept in memory.

Files are read concurrently on threads (the readers spend their time in Polars and Arrow,
which release the GIL); what is read never depends on the order the threads finish in. Each
file's batches stream through: no input is ever held whole unless the caller keeps the frames.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

import polars as pl

from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.ingest.ais.base import UnknownInput, latest_time
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS
from sanctionwatch.settings import settings

SCRATCH_COMPRESSION: Final = "lz4"
"""Compression of the spool's (temporary) files: cheap to write, and they are deleted with the
run's work folder."""

Progress = Callable[[str, int], None]
"""Progress callback: (what, units done since the last call)."""


class BatchSink(Protocol):
    """Where positions and reports go instead of the spool (e.g. the engines' lake writer):
    ``add`` is called once per batch, from any reading thread; ``close`` once at the end."""

    def add(self, positions: pl.DataFrame, reports: pl.DataFrame) -> None: ...

    def close(self) -> Any: ...


INPUT_SUFFIXES = (".nmea", ".nm4", ".ais", ".txt", ".log", ".csv", ".parquet", ".gpkg", ".gz")
"""File suffixes picked up when a directory is given as input."""



@dataclass(frozen=True)
class IngestOptions:
    """How inputs are read (see :func:`sanctionwatch.ingest.ais.read_ais`)."""

    fmt: str | None = None
    layout: str | None = None
    strict: bool = False
    batch_rows: int = 200_000
    assume_time: datetime | None = None
    encoding: str | None = None
    """Text encoding of the CSV inputs (a Python codec name, e.g. ``latin-1``, ``cp1252``);
    None: a UTF-8 or UTF-16 byte order mark, else UTF-16 recognised by its zero bytes, else
    UTF-8. A line that does not decode is rejected (``bad_encoding``), not the file."""


@dataclass
class IngestResult:
    """Canonical tables of a set of inputs (held as Parquet parts in ``spool``)."""

    spool: Path
    inputs: list[dict[str, Any]] = field(default_factory=list)
    n_positions: int = 0
    n_reports: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    spans: list[tuple[str, datetime, datetime]] = field(default_factory=list)
    """Per input file with positions: its source name and first and last valid time."""
    assumed_time_mmsis: set[int] = field(default_factory=set)
    """MMSIs with a position or report whose time was assumed (``IngestOptions.assume_time``:
    the NMEA reader dates messages that carry no time with it)."""
    warnings: list[str] = field(default_factory=list)
    """What the user must know about the inputs: files skipped as not AIS input (empty,
    unreadable, unknown format or layout), rows not accounted for."""
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
        return self._table("positions", POSITIONS.empty())

    def reports(self) -> pl.DataFrame:
        """All vessel reports read."""
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


def ingest(
    inputs: Sequence[str | Path],
    spool: Path,
    options: IngestOptions | None = None,
    progress: Progress | None = None,
    sink: BatchSink | None = None,
    workers: int | None = None,
    in_memory: bool = False,
) -> IngestResult:
    """Stream every input into canonical Parquet parts under ``spool``.

    With ``sink``, positions and vessel reports go there instead (the engines' lake writer,
    closed at the end); rejects stay in the spool. With ``in_memory`` (for the memory engine,
    which holds every position anyway), the batches stay in memory
    (:attr:`IngestResult.frames`) and nothing is written. Files are read ``workers`` at a
    time (default: the ``SANCTIONWATCH_THREADS`` setting); parts are named by file and batch,
    so what is read does not depend on the order the threads finish in.
    """
    opts = options or IngestOptions()
    if in_memory and sink is not None:
        raise ValueError("ingest: in_memory and sink are exclusive")
    result = IngestResult(spool=spool)
    if not in_memory:
        for sub in ("positions", "vessel_reports", "rejects"):
            (spool / sub).mkdir(parents=True, exist_ok=True)
    paths = expand_inputs(inputs)
    lock = threading.Lock()
    spans: dict[int, tuple[str, datetime, datetime]] = {}
    kept: list[dict[str, list[pl.DataFrame]]] = [
        {"positions": [], "vessel_reports": [], "rejects": []} for _ in paths
    ]

    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    latest = latest_time()  # one cutoff for every file of the run

    def read_one(index: int, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
        stat = path.stat()
        # the file's hash, for the run record: computed beside the parsing (hashlib releases
        # the GIL), from the page cache both fill
        digest = hasher.submit(file_sha256, path)
        n_pos = n_rep = n_rej = n_rows = n_only = 0
        ignored: dict[str, int] = {}
        reasons: dict[str, int] = {}
        source: str | None = None
        n_assumed = 0
        assumed: set[int] = set()
        first: datetime | None = None
        last: datetime | None = None
        try:
            batches = read_ais(path, fmt=opts.fmt, layout=opts.layout, strict=opts.strict,
                               batch_rows=opts.batch_rows, assume_time=opts.assume_time,
                               encoding=opts.encoding, latest=latest)
        except UnknownInput as exc:
            digest.cancel()
            return {"path": str(path), "bytes": stat.st_size, "skipped": str(exc)}, {}
        for part, batch in enumerate(batches):
            if sink is not None:
                sink.add(batch.positions, batch.reports)
            for sub, df in (
                ("positions", batch.positions if sink is None else None),
                ("vessel_reports", batch.reports if sink is None else None),
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
            if opts.assume_time is not None:
                for df in (batch.positions, batch.reports):
                    hit = df.filter(pl.col("timestamp") == opts.assume_time)["mmsi"]
                    n_assumed += hit.len()
                    assumed.update(hit.unique().to_list())
            span = _valid_span(batch.positions)
            if span is not None:
                source = batch.positions["source"][0]
                first = span[0] if first is None else min(first, span[0])
                last = span[1] if last is None else max(last, span[1])
            n_pos += batch.positions.height
            n_rep += batch.reports.height
            n_rej += batch.rejects.height
            n_rows += batch.rows
            n_only += batch.reports_only
            for kind, n in batch.ignored.items():
                ignored[kind] = ignored.get(kind, 0) + n
            for reason, n in batch.rejects.group_by("reason").len().iter_rows():
                reasons[reason] = reasons.get(reason, 0) + n
            if progress:
                progress(str(path), batch.positions.height + batch.reports.height)
        record = {
            "path": str(path),
            "bytes": stat.st_size,
            "mtime": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
            "sha256": digest.result(),
            "positions": n_pos,
            "vessel_reports": n_rep,
            "rejects": n_rej,
            # the row account: rows = positions + reports_only + rejects + sum(ignored)
            "rows": n_rows,
            "reports_only": n_only,
            "ignored": dict(sorted(ignored.items())),
        }
        if opts.assume_time is not None:
            record["assumed_time_records"] = n_assumed
            with lock:
                result.assumed_time_mmsis.update(assumed)
        if source is not None and first is not None and last is not None:
            with lock:
                spans[index] = (source, first, last)
        return record, reasons

    n_workers = max(1, min(len(paths), workers if workers is not None else settings().threads))
    try:
        if n_workers == 1:
            done = [read_one(i, p) for i, p in enumerate(paths)]
        else:
            with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="ingest") as pool:
                done = list(pool.map(read_one, range(len(paths)), paths))
    finally:
        hasher.shutdown(wait=True)
    if in_memory:
        result.frames = {
            sub: [df for per_file in kept for df in per_file[sub]]
            for sub in ("positions", "vessel_reports", "rejects")
        }
    result.spans = [spans[i] for i in sorted(spans)]
    for record, reasons in done:  # in input order
        result.inputs.append(record)
        if "skipped" in record:
            result.warnings.append(f"skipped {record['skipped']}")
            continue
        lost = unaccounted(record)
        if lost:
            result.warnings.append(f"{record['path']}: {lost:,} rows read are not accounted "
                                   "for (a reader bug: please report it)")
        result.n_positions += record["positions"]
        result.n_reports += record["vessel_reports"]
        for reason, n in reasons.items():
            result.rejects_by_reason[reason] = result.rejects_by_reason.get(reason, 0) + n
    if sink is not None:
        sink.close()
    if paths and all("skipped" in r for r in result.inputs):
        raise UnknownInput("no AIS input could be read: "
                           + "; ".join(r["skipped"] for r in result.inputs))
    return result


def unaccounted(record: dict[str, Any]) -> int:
    """Rows of an input record (``IngestResult.inputs``) that the account does not explain:
    rows - positions - reports_only - rejects - ignored (0 for every reader)."""
    return int(record["rows"] - record["positions"] - record["reports_only"]
               - record["rejects"] - sum(record["ignored"].values()))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, hex (O(size), streamed)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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


def _read_parts(folder: Path, empty: pl.DataFrame, pattern: str = "*.parquet") -> pl.DataFrame:
    parts = sorted(folder.glob(pattern))
    if not parts:
        return empty
    return pl.read_parquet(parts)


__all__ = [
    "BYTES_PER_POSITION",
    "INPUT_SUFFIXES",
    "SCRATCH_COMPRESSION",
    "BatchSink",
    "IngestOptions",
    "IngestResult",
    "Progress",
    "estimate_positions",
    "expand_inputs",
    "ingest",
    "unaccounted",
]
