"""Detectors of behaviour events and data-quality findings. Each module registers itself;
:func:`detectors` returns them in run order.

Third-party detectors register through the ``sanctionwatch.detectors`` entry-point group: the
entry point names a module that calls :func:`sanctionwatch.detectors.base.register` (with the
scope the detector must be run at; see :mod:`sanctionwatch.detectors.base`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points

import polars as pl

from sanctionwatch.detectors.base import (
    CATEGORIES,
    SCOPES,
    Category,
    DetectionInput,
    Detector,
    FleetSearch,
    PairSearch,
    Params,
    Scope,
    register,
    registry,
)
from sanctionwatch.detectors.details import Details, Key

BUILTIN = (
    "encounter",
    "pair_trawling",  # after encounter: the same pair search at trawling speed
    "loitering",
    "fishing",
    "ais_gap",
    "coverage_gap",
    "spoofing",
    "identity_change",
    "shared_imo",
    "port_call",
    "zone_entry",
    # before draught_change, which drops the turns of two transponders it finds
    "duplicate_transponder",
    "draught_change",  # last behaviour detector: it links to the gaps, encounters and loitering
    # data-quality checks (category "quality"): their findings are never behaviour events
    "invalid_mmsi",
    "invalid_imo",
    "stale_record",
    "stray_position",
    "impossible_value",
)
"""Built-in detectors in the order they run."""

ENTRY_POINT_GROUP = "sanctionwatch.detectors"

_loaded_plugins: set[str] = set()


def _load() -> None:
    for name in BUILTIN:
        importlib.import_module(f"sanctionwatch.detectors.{name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.value not in _loaded_plugins:  # a module registers once per process
            ep.load()
            _loaded_plugins.add(ep.value)


def detectors() -> dict[str, Detector]:
    """All detectors by name: built-ins in :data:`BUILTIN` order, then plug-ins (the
    ``sanctionwatch.detectors`` entry points installed now)."""
    _load()
    reg = registry()
    ordered = {name: reg[name] for name in BUILTIN}
    ordered.update({k: v for k, v in reg.items() if k not in ordered})
    return ordered


def select(names: Iterable[str] | None) -> list[str]:
    """The detectors to run, in run order: all for None or nothing given; else each name is a
    detector or an event type (every detector writing it, e.g. ``identity_change`` is the
    ``identity_change`` and ``shared_imo`` detectors). An unknown name is an error."""
    regs = detectors()
    wanted = set(names or ())
    if not wanted:
        return list(regs)
    known = set(regs) | {d.event_type for d in regs.values()}
    unknown = wanted - known
    if unknown:
        raise ValueError(f"unknown detector(s): {', '.join(sorted(unknown))}; "
                         f"detectors: {', '.join(regs)}")
    return [n for n, d in regs.items() if n in wanted or d.event_type in wanted]


def split_findings(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``rows`` (EVENTS-shaped, from any detectors) as ``(behaviour events, data-quality
    findings)``, by the category of the detector that writes each event type."""
    quality = {d.event_type for d in detectors().values() if d.category == "quality"}
    is_quality = pl.col("event_type").is_in(sorted(quality))
    return rows.filter(~is_quality), rows.filter(is_quality)


__all__ = [
    "BUILTIN",
    "CATEGORIES",
    "ENTRY_POINT_GROUP",
    "SCOPES",
    "Category",
    "Details",
    "DetectionInput",
    "Detector",
    "FleetSearch",
    "Key",
    "PairSearch",
    "Params",
    "Scope",
    "detectors",
    "register",
    "select",
    "split_findings",
]
