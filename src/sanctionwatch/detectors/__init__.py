"""Behaviour detectors. Each module registers itself; :func:`detectors` returns them in run order.

Third-party detectors register through the ``sanctionwatch.detectors`` entry-point group: the
entry point names a module that calls :func:`sanctionwatch.detectors.base.register`.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from sanctionwatch.detectors.base import DetectionInput, Detector, Params, registry

BUILTIN = (
    "encounter",
    "loitering",
    "ais_gap",
    "spoofing",
    "identity_change",
    "port_call",
    "zone_entry",
    "draught_change",  # last: it links to the gaps, encounters and loitering found before it
)
"""Built-in detectors in the order they run."""

_loaded = False


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for name in BUILTIN:
        importlib.import_module(f"sanctionwatch.detectors.{name}")
    for ep in entry_points(group="sanctionwatch.detectors"):
        ep.load()
    _loaded = True


def detectors() -> dict[str, Detector]:
    """All detectors by name: built-ins in :data:`BUILTIN` order, then plug-ins."""
    _load()
    reg = registry()
    ordered = {name: reg[name] for name in BUILTIN}
    ordered.update({k: v for k, v in reg.items() if k not in ordered})
    return ordered


__all__ = ["BUILTIN", "DetectionInput", "Detector", "Params", "detectors"]
