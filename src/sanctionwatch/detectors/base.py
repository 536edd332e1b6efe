"""The detector contract: frozen parameters, a pure ``detect`` function, a registry.

Every detector is a module exposing ``Params`` (a frozen dataclass whose field names carry their
units and whose defaults cite the published definition) and ``detect(data, params) -> events``.
Detectors never touch files, the store or an engine: they take Polars frames and return a frame
conforming to :data:`sanctionwatch.schema.EVENTS`, so the local and distributed engines can
run them unchanged.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, TypeVar, cast

import numpy as np
import polars as pl

from sanctionwatch.reference import ReferenceData
from sanctionwatch.schema import EVENTS


@dataclass(frozen=True)
class Params:
    """Base of every detector's parameters: frozen, validated, serialisable.

    Subclasses declare fields whose names end in their unit (``_m``, ``_km``, ``_nm``, ``_h``,
    ``_min``, ``_knots``, ``_deg``) and call :meth:`check` for ranges in ``__post_init__``.
    """

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{type(self).__qualname__}.{f.name} must be >= 0, got {value}")

    def to_dict(self) -> dict[str, Any]:
        """Parameters as a plain dict (for run records and documentation)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


T = TypeVar("T")


class DerivedCache:
    """Views derived from one input (e.g. the resampled grid), built once and shared by the
    detectors that ask for them, also when they run at the same time on threads: the first
    asker builds, the others wait for its result. Not sent to other processes (a pickled
    cache arrives empty)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value under ``key``, from ``build()`` if nobody has built it yet."""
        with self._lock:
            fut = self._items.get(key)
            owner = fut is None
            if fut is None:
                fut = self._items[key] = Future()
        if owner:
            try:
                fut.set_result(build())
            except BaseException as exc:
                with self._lock:  # a later asker tries again
                    del self._items[key]
                fut.set_exception(exc)
                raise
        return cast(T, fut.result())

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


@dataclass(frozen=True)
class DetectionInput:
    """What a detector sees.

    ``tracks``: positions after :func:`sanctionwatch.tracks.prepare_tracks`, i.e. the
    POSITIONS columns plus ``track_id`` (Int64, unique per plausible track of one MMSI), sorted
    by ``track_id, timestamp``.
    ``reports``: VESSEL_REPORTS rows sorted by ``mmsi, timestamp``.
    ``removed``: positions taken out during preparation, with a ``reason`` column (sentinel
    coordinates, duplicates); spoofing uses it.
    ``reference``: ports, anchorages, coastline distance and zones.
    ``prior_events``: events of the detectors that ran before this one (EVENTS schema), for
    detectors that link to others (``draught_change`` links to gaps and encounters).
    ``input_spans``: the time each input file covers over the whole run (columns ``source``,
    ``start``, ``end``), for detectors that reason about coverage (``ais_gap``) when they see
    only part of the data (an engine partition); None means "derive it from ``tracks``".
    ``derived``: views of ``tracks`` several detectors use, built once (:meth:`grid`); kept by
    :func:`dataclasses.replace`, so the copies the scheduler makes share it.
    ``threads``: threads a view may be built on (None: the machine's cores); the Dask engine
    gives 1, its workers being the parallelism.
    """

    tracks: pl.DataFrame
    reports: pl.DataFrame
    reference: ReferenceData
    removed: pl.DataFrame | None = None
    prior_events: pl.DataFrame | None = None
    input_spans: pl.DataFrame | None = None
    derived: DerivedCache = field(default_factory=DerivedCache, repr=False, compare=False)
    threads: int | None = None

    def grid(self, interval_min: float, max_gap_h: float) -> pl.DataFrame:
        """``tracks`` resampled onto the absolute time grid
        (:func:`sanctionwatch.tracks.resample.resample_tracks`), built once per
        ``(interval_min, max_gap_h)``: the encounter and loitering detectors share it. Built
        on ``threads`` threads: every detector waiting for it, it is the run's critical path."""
        from sanctionwatch.tracks.resample import resample_tracks

        return self.derived.get(
            ("grid", float(interval_min), float(max_gap_h)),
            lambda: resample_tracks(self.tracks, interval_min=interval_min, max_gap_h=max_gap_h,
                                    workers=self.threads),
        )


P = TypeVar("P", bound=Params, contravariant=True)


class DetectFn(Protocol[P]):
    """Signature of a detector's ``detect`` function."""

    def __call__(self, data: DetectionInput, params: P, /) -> pl.DataFrame: ...


@dataclass(frozen=True)
class Detector:
    """A registered detector: its event type, parameter class and function."""

    name: str
    params_type: type[Params]
    detect: Callable[[DetectionInput, Any], pl.DataFrame]
    doc: str
    reads: tuple[str, ...] | None = None
    """Event types this detector reads in ``prior_events``: it runs after those detectors and
    sees only their events. None (the default, and what plug-ins get unless they declare it):
    it runs after every detector before it in the run order and sees all their events."""
    link: Callable[[pl.DataFrame, pl.DataFrame, Any], pl.DataFrame] | None = None
    """``link(events, prior_events, params)``: when set, ``detect`` does not read
    ``prior_events`` and runs at once; only this (cheap) step waits for the ``reads`` events,
    e.g. to fill ``related_event_ids``."""

    def params_or_default(self, params: Params | None) -> Params:
        """``params``, or the defaults when None (type-checked)."""
        p = params if params is not None else self.params_type()
        if not isinstance(p, self.params_type):
            raise TypeError(f"{self.name}: expected {self.params_type.__name__}, got {type(p)}")
        return p

    def run(self, data: DetectionInput, params: Params | None = None) -> pl.DataFrame:
        """Run with ``params`` (defaults when None) and conform the result to EVENTS."""
        p = self.params_or_default(params)
        return self.finish(self.detect(data, p), data.prior_events, p)

    def finish(
        self, found: pl.DataFrame, prior: pl.DataFrame | None, params: Params | None = None
    ) -> pl.DataFrame:
        """``link`` (if any) the events ``detect`` found to ``prior``; conform to EVENTS."""
        if not found.height:
            return EVENTS.empty()
        if self.link is not None:
            found = self.link(found, prior if prior is not None else EVENTS.empty(),
                              self.params_or_default(params))
        return EVENTS.conform(found)


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


def json_object(fields: dict[str, pl.Expr]) -> pl.Expr:
    """Polars expression: a JSON object per row with sorted keys, like
    :func:`~sanctionwatch.detectors.base.details_json` but vectorised."""
    return pl.struct([fields[k].alias(k) for k in sorted(fields)]).struct.json_encode()


def finite_or_null(col: str) -> pl.Expr:
    """The column with infinities (no port loaded at all) as null, which JSON can carry."""
    return pl.when(pl.col(col).is_infinite()).then(None).otherwise(pl.col(col)).alias(col)


def details_json(values: Mapping[str, Any]) -> str:
    """Serialise type-specific details deterministically (sorted keys)."""
    return json.dumps(values, sort_keys=True, default=str)


_REGISTRY: dict[str, Detector] = {}

D = TypeVar("D", bound=Params)


def register(
    name: str,
    params_type: type[Params],
    doc: str = "",
    *,
    reads: tuple[str, ...] | None = None,
    link: Callable[[pl.DataFrame, pl.DataFrame, Any], pl.DataFrame] | None = None,
) -> Callable[
    [Callable[[DetectionInput, Any], pl.DataFrame]], Callable[[DetectionInput, Any], pl.DataFrame]
]:
    """Decorator registering a detect function under the event type ``name``.

    ``reads``: the event types the function looks at in ``prior_events`` (``()`` for none),
    which lets it run concurrently with the detectors it does not depend on; None: all
    events of the detectors before it (sequential). ``link``: see :attr:`Detector.link`.
    """

    def deco(
        fn: Callable[[DetectionInput, Any], pl.DataFrame],
    ) -> Callable[[DetectionInput, Any], pl.DataFrame]:
        if name in _REGISTRY:
            raise ValueError(f"detector {name!r} registered twice")
        _REGISTRY[name] = Detector(
            name, params_type, fn, doc or (fn.__doc__ or "").strip(), reads, link
        )
        return fn

    return deco


def registry() -> dict[str, Detector]:
    """The registered detectors by event type (built-ins plus entry points)."""
    return dict(_REGISTRY)
