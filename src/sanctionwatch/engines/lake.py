"""The partitioned Parquet lake that the engines read: written by ingest, one pass, streamed.

Layout (hive style, under one root)::

    positions/day=2019-03-01/part-000000.parquet   raw positions, each file sorted by mmsi
    reports/part-000000.parquet                     vessel reports, each file sorted by mmsi
    mmsi_counts.parquet                             rows per MMSI (partition planning)
    tracks/part-0003.parquet                        prepared tracks of MMSI partition 3,
                                                    sorted by track and time
    removed/part-0003.parquet                       positions removed in cleaning, partition 3
    samples/encounter/part-0003.parquet             a pair-scope detector's samples of
                                                    partition 3, sorted by pairing key ``k``

Vessel-scope detectors want all of one vessel's positions over the whole time range:
partitions are *MMSI ranges* balanced on ``mmsi_counts`` and read back through Parquet
row-group statistics (raw files are sorted by mmsi, so a range touches few row groups).
Ranges rather than hashes keep every output in global ``mmsi`` order by plain concatenation.
A pair-scope detector pairs samples of equal pairing key ``k`` (e.g. a grid time), which its
pairing stage reads range of ``k`` by range of ``k``: pairs never join two keys, so no range
needs a halo.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

import numpy as np
import polars as pl

from sanctionwatch.schema import POSITIONS, VESSEL_REPORTS
from sanctionwatch.tracks import prepare_tracks


def write_scratch(df: pl.DataFrame, path: Path) -> None:
    """Write a lake file: uncompressed, row groups of :data:`ROW_GROUP_ROWS` with min/max
    statistics (readers prune row groups on ``mmsi`` and ``k``). The lake is scratch, read
    back once or twice and deleted with the run, so it is written for speed rather than size
    (the writers compared: ``benchmarks/results/design-notes.md``)."""
    df.write_parquet(path, compression="uncompressed", statistics=True,
                     row_group_size=ROW_GROUP_ROWS)


ROW_GROUP_ROWS = 65_536
"""Row-group size of lake files: small enough for MMSI-range pruning, large enough to scan."""

def _day_str(d: date) -> str:
    return d.isoformat()


@dataclass(frozen=True)
class MmsiRange:
    """One per-vessel partition: MMSIs ``lo..hi`` inclusive, numbered ``index``."""

    index: int
    lo: int
    hi: int
    rows: int


class LakeWriter:
    """Buffered writer of raw positions and reports (called once per ingest batch, from any
    number of threads).

    Memory is bounded by ``flush_rows`` buffered rows (per writing thread); each flush writes
    one file per day, outside the lock, so readers on other threads go on meanwhile.
    """

    def __init__(self, root: Path, flush_rows: int = 2_000_000) -> None:
        self.root = root
        self.flush_rows = flush_rows
        (root / "positions").mkdir(parents=True, exist_ok=True)
        (root / "reports").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._pos: list[pl.DataFrame] = []
        self._rep: list[pl.DataFrame] = []
        self._n = 0
        self._part = 0
        self._counts: list[pl.DataFrame] = []

    def add(self, positions: pl.DataFrame, reports: pl.DataFrame) -> None:
        """Buffer one batch; flush when the buffer is full."""
        # report-only MMSIs still need a partition (identity_change, draught_change)
        counts = [df.group_by("mmsi").len("n") for df in (positions, reports) if df.height]
        with self._lock:
            self._counts += counts
            if positions.height:
                self._pos.append(positions)
            if reports.height:
                self._rep.append(reports)
            self._n += positions.height + reports.height
            if self._n < self.flush_rows:
                return
            taken = self._take()
        self._write(*taken)

    def _take(self) -> tuple[int, list[pl.DataFrame], list[pl.DataFrame]]:
        """The buffers and a part number for them (under the lock)."""
        taken = (self._part, self._pos, self._rep)
        self._pos, self._rep, self._n = [], [], 0
        self._part += 1
        return taken

    def _write(self, part: int, pos: list[pl.DataFrame], rep: list[pl.DataFrame]) -> None:
        """Positions one file per day, reports one file."""
        if pos:
            df = pl.concat(pos, how="vertical")
            day = df["timestamp"].dt.date()
            first, last = day.min(), day.max()
            if first == last:  # the usual case: no split needed
                by_day = [(first, df.sort("mmsi", maintain_order=True))]
            else:
                df = df.with_columns(day.alias("_day")).sort(["_day", "mmsi"], maintain_order=True)
                by_day = [(d, sub.drop("_day")) for (d,), sub
                          in df.partition_by("_day", as_dict=True, maintain_order=True).items()]
            for d, sub in by_day:
                folder = self.root / "positions" / f"day={_day_str(cast(date, d))}"
                folder.mkdir(exist_ok=True)
                write_scratch(sub, folder / f"part-{part:06d}.parquet")
        if rep:
            write_scratch(pl.concat(rep, how="vertical").sort("mmsi", maintain_order=True),
                          self.root / "reports" / f"part-{part:06d}.parquet")

    def flush(self) -> None:
        """Write what is buffered."""
        with self._lock:
            taken = self._take()
        self._write(*taken)

    def close(self) -> Lake:
        """Flush and write ``mmsi_counts.parquet``; return the reader."""
        self.flush()
        counts = (
            pl.concat(self._counts).group_by("mmsi").agg(pl.col("n").sum().cast(pl.Int64))
            if self._counts else pl.DataFrame(schema={"mmsi": pl.Int64, "n": pl.Int64})
        ).sort("mmsi")
        counts.write_parquet(self.root / "mmsi_counts.parquet")
        return Lake(self.root)


@dataclass(frozen=True)
class Lake:
    """Reader of a lake written by :class:`LakeWriter` (and the engines' prepared tracks)."""

    root: Path

    # ---------------------------------------------------------------- raw tables
    def position_files(self) -> list[Path]:
        """All raw position files, in day then write order."""
        return sorted((self.root / "positions").glob("day=*/*.parquet"))

    def report_files(self) -> list[Path]:
        """All report files, in write order."""
        return sorted((self.root / "reports").glob("*.parquet"))

    def days(self) -> list[date]:
        """Days that hold positions."""
        return sorted(
            date.fromisoformat(p.name.removeprefix("day="))
            for p in (self.root / "positions").glob("day=*")
        )

    def partitions(self, target_rows: int) -> list[MmsiRange]:
        """MMSI ranges of about ``target_rows`` positions each (one MMSI is never split)."""
        counts = pl.read_parquet(self.root / "mmsi_counts.parquet")
        if counts.height == 0:
            return []
        mmsi = counts["mmsi"].to_numpy()
        cum = np.cumsum(counts["n"].to_numpy())
        group = (cum - 1) // max(1, target_rows)
        out: list[MmsiRange] = []
        for g in np.unique(group):
            sel = np.flatnonzero(group == g)
            rows = int(cum[sel[-1]] - (cum[sel[0] - 1] if sel[0] else 0))
            out.append(MmsiRange(len(out), int(mmsi[sel[0]]), int(mmsi[sel[-1]]), rows))
        return out

    def positions(self, part: MmsiRange | None = None) -> pl.DataFrame:
        """Raw positions (of one MMSI range), in lake order."""
        return _scan(self.position_files(), part, POSITIONS.empty())

    def reports(self, part: MmsiRange | None = None) -> pl.DataFrame:
        """Vessel reports (of one MMSI range), in lake order."""
        return _scan(self.report_files(), part, VESSEL_REPORTS.empty())

    def reports_of(self, mmsis: Sequence[int]) -> pl.DataFrame:
        """Vessel reports of some MMSIs, in lake order (row groups outside their range are
        skipped on their statistics)."""
        files = self.report_files()
        if not files or not mmsis:
            return VESSEL_REPORTS.empty()
        wanted = pl.Series("mmsi", sorted(set(mmsis)), dtype=pl.Int64)
        return pl.scan_parquet(files).filter(
            pl.col("mmsi").is_between(wanted.min(), wanted.max())
            & pl.col("mmsi").is_in(wanted.implode())).collect()

    # ---------------------------------------------------------------- prepared tracks
    def write_tracks(self, part: MmsiRange, tracks: pl.DataFrame, removed: pl.DataFrame) -> None:
        """Store one partition's prepared tracks (as sorted) and removed rows."""
        for sub, df in (("tracks", tracks), ("removed", removed)):
            (self.root / sub).mkdir(exist_ok=True)
            write_scratch(df, self._part_file(sub, part.index))

    def _part_file(self, sub: str, index: int) -> Path:
        return self.root / sub / f"part-{index:04d}.parquet"

    def track_file(self, part: MmsiRange) -> Path:
        """The file of one partition's prepared tracks (absent when it has none)."""
        return self._part_file("tracks", part.index)

    def tracks(self, part: MmsiRange, columns: Sequence[str] | None = None,
               track_ids: Sequence[int] | None = None) -> pl.DataFrame:
        """Prepared tracks of one partition (``columns`` of ``track_ids`` only, when given),
        sorted like ``prepare_tracks``."""
        path = self._part_file("tracks", part.index)
        if not path.exists():
            empty = prepare_tracks(POSITIONS.empty()).tracks
            return empty if columns is None else empty.select(columns)
        lf = pl.scan_parquet(path)
        if track_ids is not None:
            ids = pl.Series("track_id", sorted(track_ids), dtype=pl.Int64)
            # the range lets row-group statistics skip what the list cannot hold
            lf = lf.filter(pl.col("track_id").is_between(ids.min(), ids.max())
                           & pl.col("track_id").is_in(ids.implode()))
        if columns is not None:
            lf = lf.select(columns)
        return lf.collect()

    def removed(self, part: MmsiRange) -> pl.DataFrame:
        """Positions removed in cleaning in one partition."""
        return pl.read_parquet(self._part_file("removed", part.index))

    def removed_files(self) -> list[Path]:
        """All removed-position files."""
        return sorted((self.root / "removed").glob("*.parquet"))

    def all_tracks(self, mmsis: Sequence[int] | None) -> pl.DataFrame:
        """Prepared tracks of some MMSIs (None: all) over all partitions, sorted like
        ``prepare_tracks``."""
        files = sorted((self.root / "tracks").glob("*.parquet"))
        if not files or (mmsis is not None and not mmsis):
            return prepare_tracks(POSITIONS.empty()).tracks
        lf = pl.scan_parquet(files)
        if mmsis is not None:
            lf = lf.filter(pl.col("mmsi").is_in(list(mmsis)))
        return lf.collect().sort(["track_id", "timestamp", "source", "record"],
                                 maintain_order=True)

    def all_removed(self, mmsis: Sequence[int] | None) -> pl.DataFrame:
        """Positions removed in cleaning of some MMSIs (None: all), in partition order."""
        files = self.removed_files()
        if not files or (mmsis is not None and not mmsis):
            return prepare_tracks(POSITIONS.empty()).removed
        lf = pl.scan_parquet(files)
        if mmsis is not None:
            lf = lf.filter(pl.col("mmsi").is_in(list(mmsis)))
        return lf.collect()

    # ---------------------------------------------------------------- pair samples
    def write_samples(self, detector: str, part: MmsiRange, samples: pl.DataFrame) -> None:
        """Store a pair-scope detector's samples of one partition, sorted by key ``k``."""
        folder = self.root / "samples" / detector
        folder.mkdir(parents=True, exist_ok=True)
        write_scratch(samples.sort("k", maintain_order=True),
                      folder / f"part-{part.index:04d}.parquet")

    def samples(self, detector: str, k0: int, k1: int) -> pl.DataFrame:
        """A pair-scope detector's samples of every partition with ``k0 <= k < k1`` (row
        groups outside the range are skipped on their statistics), in partition order."""
        files = sorted((self.root / "samples" / detector).glob("*.parquet"))
        if not files:
            return pl.DataFrame()
        return pl.scan_parquet(files).filter(pl.col("k").is_between(k0, k1 - 1)).collect()


def _scan(files: list[Path], part: MmsiRange | None, empty: pl.DataFrame) -> pl.DataFrame:
    if not files:
        return empty
    lf = pl.scan_parquet(files)
    if part is not None:
        lf = lf.filter((pl.col("mmsi") >= part.lo) & (pl.col("mmsi") <= part.hi))
    return lf.collect()


__all__ = ["Lake", "LakeWriter", "MmsiRange", "write_scratch"]
