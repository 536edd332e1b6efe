"""KML 2.2 (OGC 07-147r2) of events and tracks, for Google Earth briefings.

Built with :mod:`xml.etree.ElementTree`, which escapes every text and attribute, so an AIS
name such as ``<img src=x onerror=alert(1)>`` is text in the file, never markup; characters
XML 1.0 cannot hold (C0 controls but tab and newline) are dropped first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

KML_NS = "http://www.opengis.net/kml/2.2"
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def _when(t: datetime) -> str:
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{KML_NS}}}{tag}")
    if text is not None:
        el.text = _text(text)
    return el


def _document(name: str) -> tuple[ET.Element, ET.Element]:
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(root, "Document")
    _sub(doc, "name", name)
    return root, doc


def _serialise(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def events_kml(events: pl.DataFrame, names: Mapping[int, str] | None = None,
               title: str = "sanctionwatch events") -> str:
    """Events as KML: one Placemark per event (a Point, or a LineString from start to end
    for a gap), with a TimeSpan and the event's facts in ExtendedData."""
    names = names or {}
    root, doc = _document(title)
    keep = ("event_id", "event_type", "subtype", "mmsi", "other_mmsi", "duration_h",
            "port_name", "zone_name", "is_dprk")
    for r in events.iter_rows(named=True):
        if r["lat"] is None or r["lon"] is None:
            continue
        pm = _sub(doc, "Placemark", None)
        pm.set("id", _text(r["event_id"]))
        who = [f"{m} {names[m]}" if m in names else str(m)
               for m in (r["mmsi"], r["other_mmsi"]) if m is not None]
        _sub(pm, "name", f"{r['event_type']}: " + " / ".join(who))
        span = _sub(pm, "TimeSpan")
        _sub(span, "begin", _when(r["start_time"]))
        _sub(span, "end", _when(r["end_time"]))
        data = _sub(pm, "ExtendedData")
        for k in keep:
            if r.get(k) is not None:
                d = _sub(data, "Data")
                d.set("name", k)
                _sub(d, "value", r[k])
        ends = r.get("end_lat") is not None and r.get("end_lon") is not None and (
            r["end_lat"], r["end_lon"]) != (r["lat"], r["lon"])
        if ends:
            ls = _sub(pm, "LineString")
            _sub(ls, "coordinates", f"{r['lon']},{r['lat']} {r['end_lon']},{r['end_lat']}")
        else:
            pt = _sub(pm, "Point")
            _sub(pt, "coordinates", f"{r['lon']},{r['lat']}")
    return _serialise(root)


def tracks_kml(tracks: Iterable[Mapping[str, Any]], title: str = "sanctionwatch track") -> str:
    """Tracks as KML: one Placemark per track (``mmsi``, ``track_id``, ``name``, ``times`` and
    ``coordinates`` as [lon, lat] pairs), a LineString with the track's TimeSpan."""
    root, doc = _document(title)
    for t in tracks:
        coords: Sequence[Sequence[float]] = t["coordinates"]
        if not coords:
            continue
        pm = _sub(doc, "Placemark")
        label = f"MMSI {t['mmsi']}" + (f" {t['name']}" if t.get("name") else "")
        _sub(pm, "name", f"{label}, track {t['track_id']}")
        times: Sequence[str] = t.get("times") or ()
        if times:
            span = _sub(pm, "TimeSpan")
            _sub(span, "begin", times[0])
            _sub(span, "end", times[-1])
        if len(coords) == 1:
            _sub(_sub(pm, "Point"), "coordinates", f"{coords[0][0]},{coords[0][1]}")
        else:
            _sub(_sub(pm, "LineString"), "coordinates",
                 " ".join(f"{lon},{lat}" for lon, lat in coords))
    return _serialise(root)


__all__ = ["events_kml", "tracks_kml"]
