"""What the detectors share to build events: deterministic ids, evidence, positions of
report-based events, and a few constants of the AIS data.

Kept here, not in one detector that others import, so that each detector module depends only
on the contract layer (:mod:`~sanctionwatch.detectors.base`, :mod:`.common`, :mod:`.details`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.units import hours_between

MAX_EVIDENCE = 50
"""At most this many ``source:record`` strings in an event's ``evidence`` when it summarises
many records (the count is in ``n_positions`` or ``details``)."""

MAX_PLAUSIBLE_DRAUGHT_M = 25.0
"""Deepest plausible reported draught: ULCCs draw about 25 m, and the AIS value 25.5 means
"25.5 m or more", i.e. unknown."""


# --------------------------------------------------------------------------- event ids


def event_id(
    event_type: str, mmsi: int, other_mmsi: int | None, start: object, key: str = ""
) -> str:
    """Deterministic event id: 16 hex digits of SHA-1 over the defining keys."""
    raw = f"{event_type}|{mmsi}|{other_mmsi if other_mmsi is not None else ''}|{start}|{key}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def with_event_ids(df: pl.DataFrame, key_cols: Iterable[str] = ()) -> pl.DataFrame:
    """Add ``event_id`` to a frame that has event_type, mmsi, other_mmsi, start_time.

    ``key_cols`` name extra columns that distinguish events of one vessel starting at the same
    instant (e.g. ``subtype``, ``zone_id``).
    """
    keys = list(key_cols)
    parts: list[pl.Expr] = [
        pl.col("event_type"),
        pl.col("mmsi").cast(pl.Utf8),
        pl.col("other_mmsi").cast(pl.Utf8).fill_null(""),
        pl.col("start_time").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"),
        *[pl.col(k).cast(pl.Utf8).fill_null("") for k in keys],
    ]
    joined = pl.concat_str(parts, separator="|")
    if "other_mmsi" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.Int64).alias("other_mmsi"))
    raw = df.select(joined).to_series().to_list()
    sha1 = hashlib.sha1
    ids = [sha1(s.encode()).hexdigest()[:16] for s in raw]
    return df.with_columns(pl.Series("event_id", ids, dtype=pl.Utf8))


def unique_event_ids(df: pl.DataFrame, key_cols: list[str], tie_key: pl.Expr) -> pl.DataFrame:
    """:func:`with_event_ids` over ``key_cols``; rows that would still share an id (same
    vessels and start: two ships broadcasting one MMSI) also hash ``tie_key``."""
    out = with_event_ids(df, key_cols)
    dup = out["event_id"].is_duplicated()
    if not dup.any():
        return out
    tied = with_event_ids(df.with_columns(tie_key.alias("_tie")), [*key_cols, "_tie"])
    return out.with_columns(
        pl.when(dup).then(tied["event_id"]).otherwise(pl.col("event_id")).alias("event_id")
    )


def ordered_sums(frame: pl.DataFrame, key: str, columns: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """Per value of ``key`` (each value's rows consecutive, e.g. a run or event number): the
    number of rows (``n``) and the sum of each expression in ``columns``, in row order.

    Polars' group-by sums floats in partitions whose order can change from one call to the
    next, so the same input could give sums or means differing in the last bit from run to
    run; these always give the same bits. Returns ``key``, ``n`` and one Float64 column per
    name, in key order.
    """
    if frame.height == 0:
        return pl.DataFrame(schema={key: frame.schema[key], "n": pl.Int64,
                                    **{c: pl.Float64 for c in columns}})
    k = frame[key].to_numpy()
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    if np.unique(k[starts]).size != starts.size:
        raise ValueError(f"ordered_sums: the rows of each {key!r} must be consecutive")
    values = frame.select(**columns)
    out: dict[str, Any] = {key: frame[key].gather(starts),
                           "n": np.diff(np.r_[starts, k.size]).astype(np.int64)}
    for name in columns:
        out[name] = np.add.reduceat(values[name].cast(pl.Float64).to_numpy(), starts)
    return pl.DataFrame(out)


# --------------------------------------------------------------------------- columns


def finite_or_null(col: str) -> pl.Expr:
    """The column with infinities (no port loaded at all) as null, which JSON can carry."""
    return pl.when(pl.col(col).is_infinite()).then(None).otherwise(pl.col(col)).alias(col)


def evidence_expr(source: str = "source", record: str = "record") -> pl.Expr:
    """``source:record`` string of a row (the EVENTS ``evidence`` format)."""
    return pl.concat_str([pl.col(source), pl.lit(":"), pl.col(record).cast(pl.Utf8)])


def iso_expr(col: str) -> pl.Expr:
    """A UTC timestamp column as ISO 8601 text (for ``details``)."""
    return pl.col(col).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def nearest_position(
    frame: pl.DataFrame,
    tracks: pl.DataFrame,
    *,
    time_col: str,
    mmsi_col: str = "mmsi",
    lat_col: str = "lat",
    lon_col: str = "lon",
    offset_col: str | None = None,
    nan_when_unknown: bool = True,
) -> pl.DataFrame:
    """Add the position of ``mmsi_col`` nearest in time to ``time_col`` (row order kept).

    Report-based events have no position of their own; this places them where the vessel was
    heard closest to the moment. When the MMSI has no position at all the coordinates are NaN
    (``nan_when_unknown``, for the non-nullable EVENTS ``lat``/``lon``) or null.
    ``offset_col`` receives the absolute time offset in hours.
    """
    # Only the frame's MMSIs can match: filter before sorting (events concern few vessels,
    # tracks hold them all). The stable sort keeps each MMSI's equal-time rows in track order.
    pos = (
        tracks.lazy()
        .filter(pl.col("mmsi").is_in(frame.get_column(mmsi_col).unique().implode()))
        .select(
            pl.col("mmsi").alias("__pos_mmsi"),
            pl.col("timestamp").alias("__pos_ts"),
            pl.col("lat").alias(lat_col),
            pl.col("lon").alias(lon_col),
        )
        .sort("__pos_ts", maintain_order=True)
        .collect()
    )
    left = frame.with_row_index("__row").sort(time_col)
    out = left.join_asof(
        pos,
        left_on=time_col,
        right_on="__pos_ts",
        by_left=mmsi_col,
        by_right="__pos_mmsi",
        strategy="nearest",
        check_sortedness=False,
    )
    extra: list[pl.Expr] = []
    if nan_when_unknown:
        extra += [pl.col(lat_col).fill_null(float("nan")), pl.col(lon_col).fill_null(float("nan"))]
    if offset_col is not None:
        extra.append(
            (hours_between("__pos_ts", time_col).abs()).alias(offset_col)
        )
    out = (out.with_columns(extra) if extra else out).sort("__row")
    return out.drop([c for c in ("__row", "__pos_ts", "__pos_mmsi") if c in out.columns])


# --------------------------------------------------------------------------- tracks


def tracks_in_record_order(tracks: pl.DataFrame) -> pl.DataFrame:
    """``tracks`` sorted by track, time, source and record.

    Prepared tracks are already sorted by track and time; when no two positions of a track
    share a time, that order is this one and the (costly) sort is skipped.
    """
    if tracks.height > 1:
        tid = tracks["track_id"].to_numpy()
        ts = tracks["timestamp"].to_numpy()
        # each row after the one before it: a later track, or the same track at a later time;
        # checked a block at a time, so the temporaries stay in cache
        for b0 in range(0, tid.size - 1, _ORDER_BLOCK):
            a, t = tid[b0 : b0 + _ORDER_BLOCK + 1], ts[b0 : b0 + _ORDER_BLOCK + 1]
            if not ((a[1:] > a[:-1]) | ((a[1:] == a[:-1]) & (t[1:] > t[:-1]))).all():
                break
        else:
            return tracks
    return tracks.sort(["track_id", "timestamp", "source", "record"])


_ORDER_BLOCK = 1 << 20
"""Rows per block of :func:`tracks_in_record_order`'s check."""


__all__ = [
    "MAX_EVIDENCE",
    "MAX_PLAUSIBLE_DRAUGHT_M",
    "event_id",
    "evidence_expr",
    "finite_or_null",
    "iso_expr",
    "nearest_position",
    "ordered_sums",
    "tracks_in_record_order",
    "unique_event_ids",
    "with_event_ids",
]
