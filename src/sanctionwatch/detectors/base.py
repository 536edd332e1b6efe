"""The detector contract: frozen parameters, a pure ``detect`` function, a declared scope, a
registry.

Every detector is a module exposing ``Params`` (a frozen dataclass whose field names carry their
units and whose defaults cite the published definition) and ``detect(data, params) -> events``,
registered with :func:`register`. Detectors never touch files, the store or an engine: they take
Polars frames and return a frame conforming to :data:`sanctionwatch.schema.EVENTS`.

A detector also declares how it must be run (its :data:`Scope`), which is all an engine needs
to partition the data for it correctly:

- ``vessel``: its events each concern one MMSI and depend only on that MMSI's tracks and
  reports, so any set of whole MMSIs can be given to it at once (engines cut by MMSI range);
- ``pair``: its events concern two vessels. It provides a :class:`PairSearch`: a sample of
  each vessel (computed with the vessel's MMSI range), a search for candidate pairs among the
  samples of every range, and the track columns its ``detect`` reads; an engine runs
  ``detect`` on groups of candidate tracks, each group whole;
- ``fleet``: it needs every vessel at once. It may provide a :class:`FleetSearch` that names
  the vessels it needs from a scan of all reports, so an engine loads only those.

Whatever the scope, ``detect`` on all the data is the reference: an engine must give the same
events (``tests/engines/test_plugins.py`` checks it for plug-ins of every scope).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol, TypeVar, cast, get_args

import polars as pl

from sanctionwatch.detectors.details import Details
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
            if isinstance(f.default, tuple) and isinstance(value, (str, list)):
                # "a,b" from a command-line override, ["a", "b"] from a TOML run file
                items = value.split(",") if isinstance(value, str) else value
                value = tuple(str(x).strip() for x in items if str(x).strip())
                object.__setattr__(self, f.name, value)
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
    ``reports``: VESSEL_REPORTS rows sorted by ``mmsi, timestamp``, of ships only: the
    reports of other stations (:func:`sanctionwatch.stations.ship_reports`) are dropped here,
    as their positions are in track preparation.
    ``removed``: positions taken out during preparation, with a ``reason`` column (sentinel
    coordinates, duplicates); spoofing uses it.
    ``reference``: ports, anchorages, coastline distance and zones.
    ``prior_events``: events of the detectors that ran before this one (EVENTS schema), for
    detectors that link to others (``draught_change`` links to gaps and encounters).
    ``input_spans``: the time each input file covers over the whole run (columns ``source``,
    ``start``, ``end``, and ``block``: its continuous input block), for detectors that
    reason about coverage (``ais_gap``) when they see only part of the data (an engine
    partition); None means "derive it from ``tracks``".
    ``coverage``: when and where the run's inputs heard ships
    (:attr:`sanctionwatch.tracks.context.RunContext.coverage`), over the whole run; None when
    the caller has none.
    ``places``: berths and anchorages learnt from where many ships stopped over the whole run
    (:attr:`sanctionwatch.tracks.context.RunContext.places`); detectors see them beside the
    shipped ports through :meth:`ports_and_places`. None when the caller has none.
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
    coverage: pl.DataFrame | None = None
    places: pl.DataFrame | None = None
    derived: DerivedCache = field(default_factory=DerivedCache, repr=False, compare=False)
    threads: int | None = None

    def __post_init__(self) -> None:
        from sanctionwatch.stations import ship_reports

        object.__setattr__(self, "reports", ship_reports(self.reports))

    def ports_and_places(self) -> ReferenceData:
        """``reference`` with the learnt ``places`` among its ports
        (:func:`sanctionwatch.tracks.places.with_places`), built once: port calls, encounters
        and loitering treat a learnt berth or anchorage as they treat a shipped port."""
        from sanctionwatch.tracks.places import with_places

        return self.derived.get("ports_and_places",
                                lambda: with_places(self.reference, self.places))

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


Scope = Literal["vessel", "pair", "fleet"]
"""How a detector must be run: on whole vessels, on pairs of vessels, or on the whole fleet
(see the module docstring)."""

SCOPES: tuple[Scope, ...] = get_args(Scope)

Category = Literal["behaviour", "quality"]
"""What a detector's rows are: ``behaviour`` events (what a ship did: the ``events`` table) or
``quality`` findings (what is wrong with the data: the ``quality_findings`` table). Both are
EVENTS-shaped and run the same way; only where they are written and counted differs, so a
data-quality problem is never reported as behaviour."""

CATEGORIES: tuple[Category, ...] = get_args(Category)

PAIR_COLUMNS = ("track_a", "track_b")
"""Columns of a candidate-pairs frame (:attr:`PairSearch.pairs`): two ``track_id`` s."""


@dataclass(frozen=True)
class PairSearch:
    """How engines find the pairs of a ``pair``-scope detector without holding every vessel.

    sample: ``sample(data, params) -> frame`` on the tracks of some whole MMSIs (one engine
        partition): rows with at least ``track_id``, ``mmsi`` and ``k`` (Int64), any other
        columns the search needs. ``k`` is the pairing key, e.g. a grid time.
    pairs: ``pairs(samples, params) -> frame`` of ``track_a, track_b`` (Int64 track ids): the
        candidate pairs among samples of any number of partitions. It must pair only rows
        with the same ``k`` (engines cut the samples into ranges of ``k``, with no overlap)
        and must return every pair of tracks ``detect`` can report an event for.
    columns: the track columns ``detect`` reads (None: all); an engine loads only those.
    reports: whether ``detect`` reads the vessels' reports (else it gets none).

    ``detect`` then runs on groups of candidate tracks, each with every track it may pair
    with, and must give for them the events it gives on all the data.
    """

    sample: Callable[[DetectionInput, Any], pl.DataFrame]
    pairs: Callable[[pl.DataFrame, Any], pl.DataFrame]
    columns: Sequence[str] | None = None
    reports: bool = False


@dataclass(frozen=True)
class FleetSearch:
    """What a ``fleet``-scope detector needs of the fleet, so an engine loads only that.

    vessels: ``vessels(reports, params) -> frame`` with an ``mmsi`` column: the MMSIs whose
        tracks, reports and removed positions ``detect`` needs, given a lazy scan of every
        vessel report; its events must be those it finds on all the data.
    """

    vessels: Callable[[pl.LazyFrame, Any], pl.LazyFrame]


@dataclass(frozen=True)
class Detector:
    """A registered detector: its name, the event type it writes, parameters, function, scope."""

    name: str
    params_type: type[Params]
    detect: Callable[[DetectionInput, Any], pl.DataFrame]
    doc: str
    reads: tuple[str, ...] | None = None
    """Detectors whose events this one reads in ``prior_events``: it runs after those and
    sees only their events. None (the default, and what plug-ins get unless they declare it):
    it runs after every detector before it in the run order and sees all their events."""
    link: Callable[[pl.DataFrame, pl.DataFrame, Any], pl.DataFrame] | None = None
    """``link(events, prior_events, params)``: when set, ``detect`` does not read
    ``prior_events`` and runs at once; only this (cheap) step waits for the ``reads`` events,
    e.g. to fill ``related_event_ids``."""
    scope: Scope = "vessel"
    pair_search: PairSearch | None = None
    fleet_search: FleetSearch | None = None
    event_type: str = ""
    """The ``event_type`` of its events (default: ``name``); two detectors may write one type
    (``identity_change`` per vessel, ``shared_imo`` over the fleet)."""
    details: tuple[Details, ...] = ()
    """The shapes its events' ``details`` take (documented and tested)."""
    category: Category = "behaviour"
    """Behaviour events or data-quality findings (:data:`Category`)."""

    def __post_init__(self) -> None:
        if not self.event_type:
            object.__setattr__(self, "event_type", self.name)
        if self.scope not in SCOPES:
            raise ValueError(f"detector {self.name!r}: scope must be one of {SCOPES}")
        if self.category not in CATEGORIES:
            raise ValueError(f"detector {self.name!r}: category must be one of {CATEGORIES}")
        if self.scope == "pair" and self.pair_search is None:
            raise ValueError(f"detector {self.name!r}: a pair-scope detector needs a PairSearch")
        if self.pair_search is not None and self.scope != "pair":
            raise ValueError(f"detector {self.name!r}: a PairSearch is for pair scope only")
        if self.fleet_search is not None and self.scope != "fleet":
            raise ValueError(f"detector {self.name!r}: a FleetSearch is for fleet scope only")

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


_REGISTRY: dict[str, Detector] = {}


def register(
    name: str,
    params_type: type[Params],
    doc: str = "",
    *,
    reads: tuple[str, ...] | None = None,
    link: Callable[[pl.DataFrame, pl.DataFrame, Any], pl.DataFrame] | None = None,
    scope: Scope = "vessel",
    pair_search: PairSearch | None = None,
    fleet_search: FleetSearch | None = None,
    event_type: str = "",
    details: Sequence[Details] = (),
    category: Category = "behaviour",
) -> Callable[
    [Callable[[DetectionInput, Any], pl.DataFrame]], Callable[[DetectionInput, Any], pl.DataFrame]
]:
    """Decorator registering a detect function as the detector ``name``.

    ``reads``: the detectors whose events the function looks at in ``prior_events`` (``()``
    for none), which lets it run concurrently with the detectors it does not depend on; None:
    all events of the detectors before it (sequential). ``link``: see :attr:`Detector.link`.
    ``scope``, ``pair_search``, ``fleet_search``: how engines run it (module docstring).
    ``event_type``: the type of its events, when not ``name``. ``details``: the shapes of its
    events' ``details`` (:class:`~sanctionwatch.detectors.details.Details`). ``category``:
    behaviour events or data-quality findings (:data:`Category`).
    """

    def deco(
        fn: Callable[[DetectionInput, Any], pl.DataFrame],
    ) -> Callable[[DetectionInput, Any], pl.DataFrame]:
        if name in _REGISTRY:
            raise ValueError(f"detector {name!r} registered twice")
        _REGISTRY[name] = Detector(
            name, params_type, fn, doc or (fn.__doc__ or "").strip(), reads, link, scope,
            pair_search, fleet_search, event_type, tuple(details), category,
        )
        return fn

    return deco


def unregister(name: str) -> None:
    """Remove a detector from the registry (for tests that register their own)."""
    _REGISTRY.pop(name, None)


def registry() -> dict[str, Detector]:
    """The registered detectors by name, in registration order."""
    return dict(_REGISTRY)
