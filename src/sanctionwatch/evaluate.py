"""Detection quality: match detected events to ground-truth labels, count TP / FP / FN.

Pure functions over Polars frames (plus two small readers that name the file in their errors).
The matching rule, stated once here and in ``docs/evaluation.md``:

1. **Same type.** An event can only match a label of the same ``event_type``.
2. **Same vessel.** A label with ``other_mmsi`` (a two-vessel label: encounter, shared IMO)
   matches an event of the same *unordered* pair ``{mmsi, other_mmsi}``. A label without
   ``other_mmsi`` (a one-vessel label) matches an event in which that vessel is *either*
   party (its ``mmsi`` or its ``other_mmsi``): the label says "this vessel did it", and an
   event that names the vessel and a partner still found it.
3. **Overlapping time.** The closed intervals ``[start_time, end_time]`` of label and event
   must overlap (touching counts). An *instant* (``start_time == end_time``, e.g. an identity
   change) is widened to ``± time_tolerance_min`` first: the detector only sees a change at the
   first report after it, so the two instants rarely coincide.
4. **One to one.** Each label matches at most one event and each event at most one label. The
   assignment maximises first the number of matches, then their quality (same ``subtype``
   when both have one, then temporal intersection-over-union): an exact Hungarian assignment
   (``scipy.optimize.linear_sum_assignment``) per connected group of candidate pairs.

A matched pair is a true positive; an unmatched event a false positive; an unmatched label a
false negative. Only the evaluated types are scored: the ``types`` given, else every type that
occurs in the labels. Events of other types are reported in ``unlabelled_types`` (counts) and
never counted as false positives, since nothing says whether they are right.

Undefined ratios are ``None`` (``null`` in JSON): precision with no events of the type,
recall with no labels of it. F1 is ``2 TP / (2 TP + FP + FN)``, which equals the harmonic mean
of precision and recall when both are defined, is 0 when there are labels but no events (or
events but no labels), and is ``None`` only when there are neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.units import US_PER_MIN

DEFAULT_TIME_TOLERANCE_MIN = 30.0
"""Half-width of the window around instant events and labels, minutes.

An identity change is seen at the first report that carries the new value. ITU-R M.1371 sends
static data every 6 min, but archives thin it (one message per vessel every few minutes) and
offshore, satellite AIS revisits every 30-70 min or more (DETECTION.md §4). 30 min covers
terrestrial and decimated data with room to spare while staying far below the 6 h gap
threshold, so two different changes of one vessel hours apart are never confused."""

EVENT_COLUMNS = ("event_type", "mmsi", "other_mmsi", "start_time", "end_time")
"""Columns an events table must have (``subtype`` and ``event_id`` are used when present)."""
LABEL_COLUMNS = ("event_type", "mmsi", "other_mmsi", "start_time", "end_time")
"""Columns a labels table must have (``subtype`` and ``details`` are optional)."""

MATCHING_RULE = (
    "same event_type; same vessel (two-vessel labels: same unordered pair, one-vessel labels: "
    "either party of the event); closed time intervals overlap, instants widened by "
    "±{tol:g} min; one-to-one assignment maximising matches, then same subtype, then time IoU "
    "(Hungarian)"
)


class EvaluationInputError(ValueError):
    """An events or labels table cannot be evaluated (missing columns, bad types)."""


@dataclass(frozen=True)
class Score:
    """Counts and ratios of one event type (or the micro total over the evaluated types)."""

    event_type: str
    n_labels: int
    n_events: int
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        """TP / (TP + FP); None when there are no events."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """TP / (TP + FN); None when there are no labels."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """2 TP / (2 TP + FP + FN); None when there are neither labels nor events."""
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else None

    def to_dict(self) -> dict[str, Any]:
        """Counts and ratios as a JSON-ready dict."""
        return {
            "event_type": self.event_type,
            "n_labels": self.n_labels,
            "n_events": self.n_events,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Result of :func:`evaluate`.

    ``per_type``: scores by evaluated event type (sorted by name); ``micro``: TP/FP/FN summed
    over them; ``unlabelled_types``: event counts of types that were not evaluated;
    ``matches``: one row per true positive (``label_index``, ``event_index`` into the inputs
    as given, ``event_type``, ``event_id`` when the events have one, ``iou``);
    ``false_positives``/``false_negatives``: the unmatched event and label rows, with their
    ``event_index``/``label_index``.
    """

    per_type: dict[str, Score]
    micro: Score
    unlabelled_types: dict[str, int]
    time_tolerance_min: float
    matches: pl.DataFrame = field(repr=False)
    false_positives: pl.DataFrame = field(repr=False)
    false_negatives: pl.DataFrame = field(repr=False)

    @property
    def matching_rule(self) -> str:
        """The matching rule in one line."""
        return MATCHING_RULE.format(tol=self.time_tolerance_min)

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable summary (no per-row frames)."""
        return {
            "matching_rule": self.matching_rule,
            "time_tolerance_min": self.time_tolerance_min,
            "types": {k: v.to_dict() for k, v in self.per_type.items()},
            "micro": self.micro.to_dict(),
            "unlabelled_types": dict(self.unlabelled_types),
        }


def _check_columns(df: pl.DataFrame, required: Sequence[str], what: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise EvaluationInputError(
            f"{what}: missing column(s) {', '.join(missing)} "
            f"(has: {', '.join(df.columns) or 'none'})"
        )


def read_events(path: str | Path) -> pl.DataFrame:
    """Read ``events.parquet`` (or the one inside a directory, with the directory's
    ``quality.parquet`` data-quality findings when there is one) and check its columns."""
    p = Path(path)
    quality = None
    if p.is_dir():
        quality = p / "quality.parquet"
        p = p / "events.parquet"
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such events file")
    df = pl.read_parquet(p)
    _check_columns(df, EVENT_COLUMNS, str(p))
    if quality is not None and quality.is_file():
        found = pl.read_parquet(quality)
        if found.height:
            df = pl.concat([df, found], how="diagonal_relaxed")
    return df


def read_labels(path: str | Path) -> pl.DataFrame:
    """Read ``labels.parquet`` (or the one inside a directory) and check its columns."""
    p = Path(path)
    if p.is_dir():
        p = p / "labels.parquet"
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such labels file")
    df = pl.read_parquet(p)
    _check_columns(df, LABEL_COLUMNS, str(p))
    return df


def _epoch_us(df: pl.DataFrame, col: str, what: str) -> pl.Expr:
    dtype = df.schema[col]
    if isinstance(dtype, pl.Datetime):
        e = pl.col(col)
        if dtype.time_zone is None:  # naive times are taken as UTC
            e = e.dt.replace_time_zone("UTC")
        return e.dt.epoch("us")
    if dtype == pl.Date:
        return pl.col(col).cast(pl.Datetime("us")).dt.epoch("us")
    if dtype == pl.Utf8:
        return pl.col(col).str.to_datetime(time_zone="UTC").dt.epoch("us")
    raise EvaluationInputError(f"{what}: column {col} is {dtype}, expected a timestamp")


def _normalise(df: pl.DataFrame, what: str, index_name: str) -> pl.DataFrame:
    """Keyed columns: index, type, vessel pair, interval in epoch µs, subtype."""
    _check_columns(df, EVENT_COLUMNS, what)
    subtype = (
        pl.col("subtype").cast(pl.Utf8) if "subtype" in df.columns else pl.lit(None, pl.Utf8)
    )
    out = df.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(index_name),
        pl.col("event_type").cast(pl.Utf8),
        pl.col("mmsi").cast(pl.Int64),
        pl.col("other_mmsi").cast(pl.Int64),
        _epoch_us(df, "start_time", what).alias("t0"),
        _epoch_us(df, "end_time", what).alias("t1"),
        subtype.alias("subtype"),
    )
    if out.height and out["mmsi"].null_count():
        raise EvaluationInputError(f"{what}: {out['mmsi'].null_count()} row(s) without mmsi")
    bad = out.filter(
        pl.col("t0").is_null() | pl.col("t1").is_null() | (pl.col("t1") < pl.col("t0"))
    )
    if bad.height:
        raise EvaluationInputError(
            f"{what}: {bad.height} row(s) with a missing time or end_time before start_time"
        )
    return out


def _widen(tol_us: int) -> list[pl.Expr]:
    instant = pl.col("t1") == pl.col("t0")
    return [
        pl.when(instant).then(pl.col("t0") - tol_us).otherwise(pl.col("t0")).alias("w0"),
        pl.when(instant).then(pl.col("t1") + tol_us).otherwise(pl.col("t1")).alias("w1"),
    ]


def _candidates(lab: pl.DataFrame, ev: pl.DataFrame) -> pl.DataFrame:
    """All (label, event) pairs that satisfy rules 1-3, with their quality."""
    lo = pl.min_horizontal("mmsi", "other_mmsi")
    hi = pl.max_horizontal("mmsi", "other_mmsi")
    lab_pair = lab.filter(pl.col("other_mmsi").is_not_null()).with_columns(
        lo.alias("_lo"), hi.alias("_hi")
    )
    ev_pair = ev.filter(pl.col("other_mmsi").is_not_null()).with_columns(
        lo.alias("_lo"), hi.alias("_hi")
    )
    by_pair = lab_pair.join(ev_pair, on=["event_type", "_lo", "_hi"], suffix="_e").drop(
        "_lo", "_hi"
    )
    lab_one = lab.filter(pl.col("other_mmsi").is_null()).with_columns(pl.col("mmsi").alias("_v"))
    ev_parties = pl.concat(
        [
            ev.with_columns(pl.col("mmsi").alias("_v")),
            ev.filter(pl.col("other_mmsi").is_not_null()).with_columns(
                pl.col("other_mmsi").alias("_v")
            ),
        ]
    )
    by_one = lab_one.join(ev_parties, on=["event_type", "_v"], suffix="_e").drop("_v")
    cand = pl.concat([by_pair.select(sorted(by_pair.columns)),
                      by_one.select(sorted(by_pair.columns))])
    inter = pl.min_horizontal("w1", "w1_e") - pl.max_horizontal("w0", "w0_e")
    union = pl.max_horizontal("w1", "w1_e") - pl.min_horizontal("w0", "w0_e")
    return (
        cand.filter(inter >= 0)
        .with_columns(
            pl.when(union > 0).then(inter / union).otherwise(1.0).alias("iou"),
            (pl.col("subtype") == pl.col("subtype_e")).fill_null(False).alias("same_subtype"),
        )
        .select("label_index", "event_index", "event_type", "iou", "same_subtype")
        .unique(["label_index", "event_index"], maintain_order=True)
    )


def _assign(cand: pl.DataFrame) -> pl.DataFrame:
    """Maximum-cardinality, then maximum-quality, one-to-one subset of ``cand`` (Hungarian)."""
    if cand.height == 0:
        return cand
    # imported here: scipy.optimize is slow to import, which every CLI command would pay
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    li = cand["label_index"].to_numpy()
    ei = cand["event_index"].to_numpy()
    lu, lpos = np.unique(li, return_inverse=True)
    eu, epos = np.unique(ei, return_inverse=True)
    nl = lu.size
    graph = coo_matrix(
        (np.ones(li.size), (lpos, nl + epos)), shape=(nl + eu.size, nl + eu.size)
    )
    _, comp = connected_components(graph, directed=False)
    cand_comp = comp[lpos]
    same = cand["same_subtype"].to_numpy().astype(np.float64)
    iou = cand["iou"].to_numpy()
    keep = np.zeros(cand.height, dtype=bool)
    order = np.argsort(cand_comp, kind="stable")
    bounds = np.flatnonzero(np.diff(cand_comp[order])) + 1
    for rows in np.split(order, bounds):  # one small assignment per connected group
        rl, rl_pos = np.unique(lpos[rows], return_inverse=True)
        re, re_pos = np.unique(epos[rows], return_inverse=True)
        if rows.size == 1:
            keep[rows] = True
            continue
        k = min(rl.size, re.size) + 1  # more than the most matches possible
        # lexicographic weights: a match is worth 1, a same subtype 1/k, IoU at most 1/k^2;
        # over at most k - 1 matches the lower terms sum to less than one unit of the higher
        weight = np.zeros((rl.size, re.size))
        weight[rl_pos, re_pos] = 1.0 + (same[rows] + iou[rows] / k) / k
        r, c = linear_sum_assignment(weight, maximize=True)
        chosen = {(int(a), int(b)) for a, b in zip(r, c, strict=True) if weight[a, b] > 0}
        keep[rows] = [
            (int(a), int(b)) in chosen for a, b in zip(rl_pos, re_pos, strict=True)
        ]
    return cand.filter(pl.Series(keep))


def evaluate(
    events: pl.DataFrame,
    labels: pl.DataFrame,
    *,
    types: Iterable[str] | None = None,
    time_tolerance_min: float = DEFAULT_TIME_TOLERANCE_MIN,
    events_name: str = "events",
    labels_name: str = "labels",
) -> EvaluationReport:
    """Score ``events`` against ``labels`` with the matching rule of this module.

    ``types`` restricts (or extends) the evaluated event types; by default they are the types
    present in ``labels``. ``events_name``/``labels_name`` name the inputs in error messages.
    """
    if time_tolerance_min < 0:
        raise ValueError("time_tolerance_min must be >= 0")
    ev = _normalise(events, events_name, "event_index")
    lab = _normalise(labels, labels_name, "label_index")
    wanted = sorted(set(types)) if types is not None else sorted(set(lab["event_type"].to_list()))
    tol_us = round(time_tolerance_min * US_PER_MIN)
    ev_in = ev.filter(pl.col("event_type").is_in(wanted)).with_columns(_widen(tol_us))
    lab_in = lab.filter(pl.col("event_type").is_in(wanted)).with_columns(_widen(tol_us))
    matches = _assign(_candidates(lab_in, ev_in))

    other = ev.filter(~pl.col("event_type").is_in(wanted))
    unlabelled = (
        dict(sorted(other.group_by("event_type").len().iter_rows())) if other.height else {}
    )

    per: dict[str, Score] = {}
    for t in wanted:
        nl = int((lab_in["event_type"] == t).sum())
        ne = int((ev_in["event_type"] == t).sum())
        tp = int((matches["event_type"] == t).sum()) if matches.height else 0
        per[t] = Score(t, nl, ne, tp, ne - tp, nl - tp)
    micro = Score(
        "all",
        sum(s.n_labels for s in per.values()),
        sum(s.n_events for s in per.values()),
        sum(s.tp for s in per.values()),
        sum(s.fp for s in per.values()),
        sum(s.fn for s in per.values()),
    )
    matched_e = matches["event_index"] if matches.height else pl.Series([], dtype=pl.Int64)
    matched_l = matches["label_index"] if matches.height else pl.Series([], dtype=pl.Int64)
    fp_idx = ev_in.filter(~pl.col("event_index").is_in(matched_e.implode()))["event_index"]
    fn_idx = lab_in.filter(~pl.col("label_index").is_in(matched_l.implode()))["label_index"]
    match_out = matches.select("label_index", "event_index", "event_type", "iou")
    if "event_id" in events.columns and match_out.height:
        match_out = match_out.with_columns(
            events["event_id"].gather(match_out["event_index"]).alias("event_id")
        )
    return EvaluationReport(
        per_type=per,
        micro=micro,
        unlabelled_types=unlabelled,
        time_tolerance_min=time_tolerance_min,
        matches=match_out,
        false_positives=events.with_row_index("event_index")
        .with_columns(pl.col("event_index").cast(pl.Int64))
        .filter(pl.col("event_index").is_in(fp_idx.implode())),
        false_negatives=labels.with_row_index("label_index")
        .with_columns(pl.col("label_index").cast(pl.Int64))
        .filter(pl.col("label_index").is_in(fn_idx.implode())),
    )


__all__ = [
    "DEFAULT_TIME_TOLERANCE_MIN",
    "EVENT_COLUMNS",
    "LABEL_COLUMNS",
    "MATCHING_RULE",
    "EvaluationInputError",
    "EvaluationReport",
    "Score",
    "evaluate",
    "read_events",
    "read_labels",
]
