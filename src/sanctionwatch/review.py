"""Precision on real data: score a run's events against a review set, events of an earlier run
that an analyst labelled true or false with a reason (docs/real-review.md).

A review set outlives the detectors that produced it, so an event is matched to a label by what
it claims, not by its id alone: the same type and vessels, about the same time (their overlap
at least :data:`MIN_OVERLAP_SHARE` of the longer of the two: a 20-minute port call is not the
year-long visit it was cut from), and for the types whose subtype is the claim (``spoofing``,
``identity_change``) the same subtype. Events no label
matches are reported as unlabelled, to be read and added; a label no event matches is an event
the detectors no longer make.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

SUBTYPE_IS_CLAIM = ("spoofing", "identity_change")
"""Event types whose subtype names what is claimed (an impossible speed is not a shared MMSI)."""

MATCH_TOLERANCE_S = 60
"""Slack when comparing times (s): events whose start and end are the same record, re-read by
another detector version, agree to the second; a minute absorbs a boundary record moving."""

MIN_OVERLAP_SHARE = 0.5
"""An event and a label describe the same thing when their overlap is at least half of the
longer of the two (each widened by :data:`MATCH_TOLERANCE_S` at both ends, so instants at the
same time match)."""

LABEL_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(), "event_type": pl.String(), "subtype": pl.String(),
    "mmsi": pl.Int64(), "other_mmsi": pl.Int64(), "start_time": pl.Datetime("us", "UTC"),
    "end_time": pl.Datetime("us", "UTC"), "src": pl.String(), "verdict": pl.String(),
    "rule": pl.String(), "reason": pl.String(), "read_by_hand": pl.Boolean(),
}
"""Columns of a review set (CSV)."""


def load_labels(path: str | Path) -> pl.DataFrame:
    """A review set from its CSV, checked: every verdict ``true`` or ``false`` with a reason."""
    df = pl.read_csv(path, schema_overrides={k: v for k, v in LABEL_SCHEMA.items()
                                             if not isinstance(v, pl.Datetime)})
    df = df.with_columns(pl.col(c).str.to_datetime(time_zone="UTC", time_unit="us")
                         for c in ("start_time", "end_time"))
    missing = set(LABEL_SCHEMA) - set(df.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    bad = df.filter(~pl.col("verdict").is_in(["true", "false"]) | pl.col("reason").is_null())
    if bad.height:
        raise ValueError(f"{path}: {bad.height} labels without a true/false verdict and a reason")
    return df.select(list(LABEL_SCHEMA))


def match(events: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """``events`` with the label each matches (``verdict``, ``reason``, ``rule``, ``label_id``
    = the labelled event's id; null where none does). An event matches the label of the same
    ``event_id``, else the label of its type and vessels whose time overlaps its own by at
    least :data:`MIN_OVERLAP_SHARE` of the longer (within :data:`MATCH_TOLERANCE_S`), the
    closest start first; the subtype must agree for :data:`SUBTYPE_IS_CLAIM` types."""
    ev = events.select("event_id", "event_type", "subtype", "mmsi", "other_mmsi",
                       "start_time", "end_time").with_row_index("_row")
    lab = labels.select(pl.col("event_id").alias("label_id"), "event_type",
                        pl.col("subtype").alias("_lsub"), "mmsi", "other_mmsi",
                        pl.col("start_time").alias("_ls"), pl.col("end_time").alias("_le"),
                        "verdict", "reason", "rule")
    slack = pl.duration(seconds=MATCH_TOLERANCE_S)
    same_id = ev.join(lab, left_on="event_id", right_on="label_id", how="inner",
                      suffix="_l").select("_row", pl.col("event_id").alias("label_id"),
                                          "verdict", "reason", "rule")
    cand = ev.join(lab, on=["event_type", "mmsi"], how="inner", suffix="_l").filter(
        (pl.col("other_mmsi").eq_missing(pl.col("other_mmsi_l")))
        & (pl.col("start_time") <= pl.col("_le") + slack)
        & (pl.col("_ls") <= pl.col("end_time") + slack)
        & (~pl.col("event_type").is_in(SUBTYPE_IS_CLAIM)
           | pl.col("subtype").eq_missing(pl.col("_lsub")))
    ).with_columns((pl.col("start_time") - pl.col("_ls")).abs().alias("_d"))
    overlap = (pl.min_horizontal("end_time", "_le") - pl.max_horizontal("start_time", "_ls")
               + 2 * slack)
    longest = pl.max_horizontal(pl.col("end_time") - pl.col("start_time"),
                                pl.col("_le") - pl.col("_ls")) + 2 * slack
    cand = cand.filter(overlap.dt.total_microseconds()
                       >= MIN_OVERLAP_SHARE * longest.dt.total_microseconds())
    by_time = cand.sort("_row", "_d", "label_id").unique("_row", keep="first", maintain_order=True)
    best = pl.concat([same_id, by_time.select(same_id.columns)]).unique(
        "_row", keep="first", maintain_order=True)
    return ev.join(best, on="_row", how="left").drop("_row")


def precision(events: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """Per event type of ``events`` (and of ``labels``): events fired, labelled, true, false,
    unlabelled, precision on the labelled ones (null when none is labelled), and labels no
    event matches any more."""
    m = match(events, labels)
    fired = m.group_by("event_type").agg(
        pl.len().alias("events"),
        pl.col("verdict").is_not_null().sum().alias("labelled"),
        (pl.col("verdict") == "true").sum().alias("true"),
        (pl.col("verdict") == "false").sum().alias("false"),
    )
    gone = labels.join(m.filter(pl.col("label_id").is_not_null())
                       .select(pl.col("label_id").alias("event_id")).unique(),
                       on="event_id", how="anti")
    lost = gone.group_by("event_type").agg(
        pl.len().alias("labels_unmatched"),
        (pl.col("verdict") == "true").sum().alias("true_labels_unmatched"))
    return (
        fired.join(lost, on="event_type", how="full", coalesce=True)
        .with_columns(pl.col(c).fill_null(0) for c in
                      ("events", "labelled", "true", "false", "labels_unmatched",
                       "true_labels_unmatched"))
        .with_columns(
            (pl.col("events") - pl.col("labelled")).alias("unlabelled"),
            pl.when(pl.col("labelled") > 0).then(pl.col("true") / pl.col("labelled"))
            .otherwise(None).alias("precision"),
        )
        .select("event_type", "events", "labelled", "true", "false", "unlabelled", "precision",
                "labels_unmatched", "true_labels_unmatched")
        .sort("event_type")
    )


def label_precision(labels: pl.DataFrame) -> pl.DataFrame:
    """Precision of the run the labels were made on: per type, labels true / labelled."""
    return labels.group_by("event_type").agg(
        pl.len().alias("labelled"), (pl.col("verdict") == "true").sum().alias("true"),
    ).with_columns((pl.col("true") / pl.col("labelled")).alias("precision")).sort("event_type")


__all__ = ["LABEL_SCHEMA", "MIN_OVERLAP_SHARE", "SUBTYPE_IS_CLAIM", "label_precision",
           "load_labels", "match", "precision"]
