"""The property every sanctions-list and reference loader must keep on any input.

Assumed contract: a list loader (:func:`sanctionwatch.sanctions.loaders.read_list`) returns a
``ParsedList`` whose statements build a frame, or raises
:class:`~sanctionwatch.sanctions.model.ListFormatError` naming the file; the zone loader
(:func:`sanctionwatch.reference.shipped.load_zones_geojson`) returns zones or raises
:class:`~sanctionwatch.reference.shipped.ReferenceDataError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

from sanctionwatch.reference.shipped import ReferenceDataError, load_zones_geojson
from sanctionwatch.sanctions.loaders import read_list
from sanctionwatch.sanctions.model import ListFormatError
from tests.fuzz.ais_property import raise_unraisable


def check_list(path: Path, fmt: str | None = None) -> int | None:
    """Statements read from ``path``, or None after a ListFormatError naming it."""
    try:
        with raise_unraisable():
            parsed = read_list(path, fmt=fmt)
            n = parsed.frame().height
    except ListFormatError as exc:
        assert path.name in str(exc) or path.parent.name in str(exc), str(exc)
        return None
    assert parsed.meta.path
    return n


def check_zones(path: Path) -> int | None:
    """Zones read from ``path``, or None after a ReferenceDataError naming it."""
    try:
        zones = load_zones_geojson(path)
    except ReferenceDataError as exc:
        assert path.name in str(exc), str(exc)
        return None
    for z in zones:
        assert z.geometry.is_valid and not z.geometry.is_empty
    return len(zones)
