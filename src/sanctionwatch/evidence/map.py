"""The dossier's track map as inline SVG: no script, no network, no external file.

Drawn in an equirectangular projection whose x axis is shortened by the cosine of the
middle latitude (distances look right near the middle of the map): the shipped land
polygons (Natural Earth, ``data/land.geojson``), the built-in zones (DPRK waters, the Panel's
STS areas), the vessel's track (a line broken where positions stop for ``break_gap_h``), the
partners' tracks around each encounter, the events as markers (encounters in
:data:`ENCOUNTER_COLOUR`, dark gaps as dashed lines from where the signal stopped to where
it came back), a graticule with degree labels, a scale bar and a legend. Every marker's
tooltip names its provenance row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from markupsafe import escape
from shapely.geometry import Polygon, box, shape

from sanctionwatch.evidence.dossier import Dossier, EventRow, Track

ENCOUNTER_COLOUR = "#e6007e"
"""Fill of encounter (STS) markers: a magenta used by nothing else on the map, so that a
rendered picture can be checked for it."""
TRACK_COLOUR = "#1f4e9c"
PARTNER_COLOUR = "#f08c00"
GAP_COLOUR = "#c0392b"
SEA_COLOUR = "#dcecf7"
LAND_COLOUR = "#e4dcc2"
FRAME_COLOUR = "#123456"
"""The map's frame: a colour used nowhere else, so that the map can be found in a picture."""
FOCUS_FRAME_COLOUR = "#6b4a00"
"""The frame of the detail maps of encounters (another colour found nowhere else)."""
MARKERS: dict[str, tuple[str, str]] = {
    "encounter": (ENCOUNTER_COLOUR, "circle"),
    "loitering": ("#7b3fa0", "square"),
    "port_call": ("#0b7d3e", "triangle"),
    "zone_entry": ("#5d6d7e", "diamond"),
    "spoofing": ("#000000", "cross"),
    "ais_gap": (GAP_COLOUR, "ring"),
    "fishing": ("#1a9641", "square"),
    "pair_trawling": ("#1a9641", "circle"),
}
"""Colour and shape of each event type's marker (other types: grey diamonds)."""


@dataclass(frozen=True)
class MapParams:
    """Layout of the map."""

    width_px: int = 960
    """Width of the SVG (fits an A4 page at 96 dpi with margins)."""
    max_height_px: int = 720
    """Tallest the map may be; a taller box is widened to fit."""
    min_height_px: int = 360
    """Flattest the map may be; a flatter box is heightened to fit."""
    margin_share: float = 0.12
    """Margin around the track and events, as a share of their extent."""
    min_span_deg: float = 0.5
    """Smallest latitude span shown (a vessel at anchor still gets a readable map)."""
    break_gap_h: float = 6.0
    """A pause of positions at least this long breaks the track line (default: the
    ``ais_gap`` detector's ``min_gap_h``, so that a reported dark gap is never drawn as if
    the ship had been seen along it)."""
    focus_margin_h: float = 2.0
    """Detail map of an encounter: hours of track shown before and after it (the approach and
    the departure; the same 2 h as the partner's track the dossier loads)."""
    focus_min_span_deg: float = 0.1
    """Detail map: smallest latitude span (0.1° ≈ 11 km)."""
    min_step_px: float = 0.75
    """A position closer than this to the last one drawn is skipped (keeps the SVG small)."""

    def __post_init__(self) -> None:
        if self.width_px < 200 or not 100 <= self.min_height_px <= self.max_height_px:
            raise ValueError("map width_px must be >= 200 and 100 <= min_height_px <= "
                             "max_height_px")
        if not 0 <= self.margin_share < 1 or min(self.min_span_deg, self.break_gap_h,
                                                 self.focus_min_span_deg) <= 0:
            raise ValueError("map margin_share must be in [0, 1); min_span_deg, "
                             "focus_min_span_deg and break_gap_h > 0")
        if self.focus_margin_h < 0:
            raise ValueError("map focus_margin_h must be >= 0")


class Projection:
    """Degrees to SVG pixels over a lon/lat box."""

    def __init__(self, bbox: tuple[float, float, float, float], width_px: int) -> None:
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = bbox
        self.kx = math.cos(math.radians((self.min_lat + self.max_lat) / 2))
        self.scale = width_px / ((self.max_lon - self.min_lon) * self.kx)
        self.width = width_px
        self.height = round((self.max_lat - self.min_lat) * self.scale)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel position of a point."""
        return ((lon - self.min_lon) * self.kx * self.scale, (self.max_lat - lat) * self.scale)


@cache
def land() -> list[Polygon]:
    """The shipped land polygons (Natural Earth via world-atlas; see PROVENANCE.md)."""
    text = resources.files("sanctionwatch.data").joinpath("land.geojson").read_text()
    polys: list[Polygon] = []
    for f in json.loads(text)["features"]:
        g = shape(f["geometry"])
        polys += list(getattr(g, "geoms", [g]))
    return polys


@cache
def zones() -> list[tuple[dict[str, Any], Any]]:
    """The built-in zones as (properties, geometry)."""
    text = resources.files("sanctionwatch.data").joinpath("zones.geojson").read_text()
    return [(f["properties"], shape(f["geometry"])) for f in json.loads(text)["features"]]


def bbox_for(tracks: Sequence[Track], events: Sequence[EventRow], p: MapParams,
             min_span_deg: float | None = None) -> tuple[float, float, float, float] | None:
    """Box around the tracks and the events' positions, with margin (None: nothing to map)."""
    lons: list[float] = []
    lats: list[float] = []
    for t in tracks:
        if t.lat.size:
            lons += [float(t.lon.min()), float(t.lon.max())]
            lats += [float(t.lat.min()), float(t.lat.max())]
    for e in events:
        for lo, la in ((e.lon, e.lat), (e.end_lon, e.end_lat)):
            if lo is not None and la is not None:
                lons.append(lo)
                lats.append(la)
    if not lons:
        return None
    span = p.min_span_deg if min_span_deg is None else min_span_deg
    lo0, lo1, la0, la1 = min(lons), max(lons), min(lats), max(lats)
    mid = (la0 + la1) / 2
    kx = math.cos(math.radians(mid))
    span_lat = max(la1 - la0, span) * (1 + 2 * p.margin_share)
    span_lon = max(lo1 - lo0, span / kx) * (1 + 2 * p.margin_share)
    # never taller than max_height_px: widen the longitude span instead
    span_lon = max(span_lon, span_lat * p.width_px / p.max_height_px / kx)
    # nor flatter than min_height_px: heighten the latitude span
    span_lat = max(span_lat, span_lon * kx * p.min_height_px / p.width_px)
    cx, cy = (lo0 + lo1) / 2, mid
    return (cx - span_lon / 2, cy - span_lat / 2, cx + span_lon / 2, cy + span_lat / 2)


def _clip(t: Track, start: np.datetime64, end: np.datetime64) -> Track:
    keep = (t.time >= start) & (t.time <= end)
    return replace(t, time=t.time[keep], lat=t.lat[keep], lon=t.lon[keep],
                   track_id=t.track_id[keep])


def _path(pr: Projection, ring: Sequence[tuple[float, float]]) -> str:
    pts = [pr.xy(x, y) for x, y in ring]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z"


def _polygons_d(pr: Projection, geoms: Sequence[Any]) -> str:
    clip = box(pr.min_lon, pr.min_lat, pr.max_lon, pr.max_lat)
    out = []
    for g in geoms:
        if not g.intersects(clip):
            continue
        c = g.intersection(clip)
        for poly in getattr(c, "geoms", [c]):
            if isinstance(poly, Polygon) and not poly.is_empty:
                out.append(_path(pr, list(poly.exterior.coords)))
                out += [_path(pr, list(r.coords)) for r in poly.interiors]
    return "".join(out)


def _lines(pr: Projection, t: Track, p: MapParams) -> list[str]:
    """Polyline point lists of a track, broken at new track ids and long pauses."""
    if t.lat.size == 0:
        return []
    gap = np.timedelta64(int(p.break_gap_h * 3600), "s")
    brk = np.zeros(t.lat.size, dtype=bool)
    brk[1:] = (np.diff(t.time) >= gap) | (np.diff(t.track_id) != 0)
    lines: list[list[tuple[float, float]]] = []
    for i in range(t.lat.size):
        xy = pr.xy(float(t.lon[i]), float(t.lat[i]))
        if brk[i] or not lines:
            lines.append([xy])
            continue
        lx, ly = lines[-1][-1]
        if math.hypot(xy[0] - lx, xy[1] - ly) >= p.min_step_px or i == t.lat.size - 1:
            lines[-1].append(xy)
    return [" ".join(f"{x:.1f},{y:.1f}" for x, y in ln) for ln in lines]


def _nice_step(span: float, target: int) -> float:
    raw = span / target
    for s in (0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 30):
        if s >= raw:
            return s
    return 45.0


def _graticule(pr: Projection) -> list[str]:
    out = []
    step = _nice_step(max(pr.max_lon - pr.min_lon, pr.max_lat - pr.min_lat), 8)
    lon = math.ceil(pr.min_lon / step) * step
    while lon <= pr.max_lon:
        x, _ = pr.xy(lon, pr.max_lat)
        label = f"{abs(lon):g}°{'E' if lon >= 0 else 'W'}"
        out.append(f'<line class="grid" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{pr.height}"/>'
                   f'<text class="axis" x="{x + 3:.1f}" y="{pr.height - 4}">{label}</text>')
        lon += step
    lat = math.ceil(pr.min_lat / step) * step
    while lat <= pr.max_lat:
        _, y = pr.xy(pr.min_lon, lat)
        label = f"{abs(lat):g}°{'N' if lat >= 0 else 'S'}"
        out.append(f'<line class="grid" x1="0" y1="{y:.1f}" x2="{pr.width}" y2="{y:.1f}"/>'
                   f'<text class="axis" x="{pr.width - 4}" y="{y - 3:.1f}" '
                   f'text-anchor="end">{label}</text>')  # right: the legend is bottom left
        lat += step
    return out


def _scale_bar(pr: Projection) -> str:
    km_per_px = 111.32 / pr.scale  # along the mid latitude, x scale = y scale by construction
    target = km_per_px * pr.width / 5
    length = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000)
                   if s >= target), 5000)
    px = length / km_per_px
    x0, y0 = pr.width - px - 20, 20
    return (f'<g class="scale"><rect x="{x0 - 6:.1f}" y="{y0 - 14}" width="{px + 12:.1f}" '
            f'height="26" fill="white" opacity="0.8"/>'
            f'<line x1="{x0:.1f}" y1="{y0 + 6}" x2="{x0 + px:.1f}" y2="{y0 + 6}" '
            f'stroke="black" stroke-width="3"/>'
            f'<text class="axis" x="{x0:.1f}" y="{y0}">{length:g} km</text></g>')


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "circle":
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{colour}" stroke="white" '
                f'stroke-width="2"/>')
    if kind == "square":
        return (f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" '
                f'fill="{colour}" stroke="white"/>')
    if kind == "triangle":
        return (f'<path d="M{x:.1f},{y - 8:.1f}L{x + 7:.1f},{y + 6:.1f}L{x - 7:.1f},'
                f'{y + 6:.1f}Z" fill="{colour}" stroke="white"/>')
    if kind == "cross":
        return (f'<path d="M{x - 6:.1f},{y - 6:.1f}L{x + 6:.1f},{y + 6:.1f}M{x - 6:.1f},'
                f'{y + 6:.1f}L{x + 6:.1f},{y - 6:.1f}" stroke="{colour}" stroke-width="3"/>')
    if kind == "ring":
        return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="white" stroke="{colour}" '
                f'stroke-width="2"/>')
    return (f'<path d="M{x:.1f},{y - 6:.1f}L{x + 6:.1f},{y:.1f}L{x:.1f},{y + 6:.1f}L'
            f'{x - 6:.1f},{y:.1f}Z" fill="{colour}" stroke="white"/>')


def _event_svg(pr: Projection, e: EventRow) -> str:
    if e.lat is None or e.lon is None:
        return ""
    colour, kind = MARKERS.get(e.event_type, ("#808080", "diamond"))
    title = escape(f"{e.event_type} {e.start.text}: {e.explanation.text} [{e.ref}]")
    attrs = (f'class="event ev-{e.event_type}" data-event-id="{escape(e.event_id)}" '
             f'data-ref="{e.ref}"')
    x, y = pr.xy(e.lon, e.lat)
    parts = [f"<title>{title}</title>"]
    if e.event_type == "ais_gap" and e.end_lat is not None and e.end_lon is not None:
        x2, y2 = pr.xy(e.end_lon, e.end_lat)
        parts.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="8 5"/>')
        parts.append(_marker("ring", x2, y2, colour))
    parts.append(_marker(kind, x, y, colour))
    if e.event_type == "encounter":
        parts.append(f'<text class="label" x="{x + 12:.1f}" y="{y - 10:.1f}">STS [{e.ref}]'
                     f"</text>")
    return f'<g {attrs} data-x="{x:.1f}" data-y="{y:.1f}">' + "".join(parts) + "</g>"


def _legend(pr: Projection, types: Sequence[str], has_partner: bool) -> str:
    rows: list[str] = [
        f'<line x1="0" y1="0" x2="22" y2="0" stroke="{TRACK_COLOUR}" stroke-width="2"/>'
        '<text x="30" y="4">vessel track</text>'
    ]
    if has_partner:
        rows.append(f'<line x1="0" y1="0" x2="22" y2="0" stroke="{PARTNER_COLOUR}" '
                    'stroke-width="2"/><text x="30" y="4">partner near encounter</text>')
    for t in types:
        colour, kind = MARKERS.get(t, ("#808080", "diamond"))
        sym = _marker(kind, 11, 0, colour).replace('r="9"', 'r="6"')
        if t == "ais_gap":
            sym = (f'<line x1="0" y1="0" x2="22" y2="0" stroke="{colour}" stroke-width="2.5" '
                   f'stroke-dasharray="6 4"/>')
        rows.append(sym + f'<text x="30" y="4">{escape(t.replace("_", " "))}</text>')
    rows.append('<rect x="0" y="-6" width="22" height="12" fill="#f7d9d9" '
                'stroke="#c0392b"/><text x="30" y="4">DPRK waters / STS area</text>')
    h = 18 * len(rows) + 10
    y0 = pr.height - h - 24
    body = "".join(f'<g transform="translate(10,{12 + 18 * i})">{r}</g>'
                   for i, r in enumerate(rows))
    return (f'<g class="legend" transform="translate(10,{y0})"><rect width="230" height="{h}" '
            f'fill="white" opacity="0.88" stroke="#999"/>{body}</g>')


def render_map(d: Dossier, p: MapParams | None = None, focus: EventRow | None = None) -> str:
    """The SVG map of ``d`` (an empty string when neither track nor event has a position).

    With ``focus`` (an encounter), a detail map: the tracks within ``focus_margin_h`` of the
    event, and the events of that time."""
    p = p or MapParams()
    tracks = list(d.tracks)
    partner_tracks = [t for pa in d.partners for t in pa.tracks]
    events = list(d.timeline)
    min_span = None
    if focus is not None:
        pad = np.timedelta64(int(p.focus_margin_h * 3600), "s")
        start = np.datetime64(focus.start_time.replace(tzinfo=None), "us") - pad
        end = np.datetime64(focus.end_time.replace(tzinfo=None), "us") + pad
        tracks = [_clip(t, start, end) for t in tracks]
        partner_tracks = [_clip(t, start, end) for t in partner_tracks]
        min_span = p.focus_min_span_deg
    # a detail map is framed on the encounter and the tracks around it; other events of that
    # time are drawn when they fall inside (a long stay elsewhere would zoom it out)
    framed = [focus] if focus is not None else events
    bbox = bbox_for([*tracks, *partner_tracks], framed, p, min_span)
    if bbox is None:
        return ""
    if focus is not None:
        events = [e for e in events if e is focus or (
            e.lat is not None and e.lon is not None
            and bbox[0] <= e.lon <= bbox[2] and bbox[1] <= e.lat <= bbox[3]
            and np.datetime64(e.start_time.replace(tzinfo=None), "us") <= end
            and np.datetime64(e.end_time.replace(tzinfo=None), "us") >= start)]
    pr = Projection(bbox, p.width_px)
    frame = FRAME_COLOUR if focus is None else FOCUS_FRAME_COLOUR
    kind = "map" if focus is None else "map detail"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{kind}" width="{pr.width}" '
        f'height="{pr.height}" viewBox="0 0 {pr.width} {pr.height}" '
        f'data-bbox="{bbox[0]:.5f},{bbox[1]:.5f},{bbox[2]:.5f},{bbox[3]:.5f}" role="img">',
        f'<rect class="sea" width="{pr.width}" height="{pr.height}" fill="{SEA_COLOUR}"/>',
        f'<path class="land" fill="{LAND_COLOUR}" stroke="#9b927a" stroke-width="0.6" '
        f'd="{_polygons_d(pr, land())}"/>',
    ]
    for props, geom in zones():
        d_attr = _polygons_d(pr, list(getattr(geom, "geoms", [geom])))
        if d_attr:
            fill = "#e8a0a0" if props.get("is_dprk") else "#f0b070"
            out.append(f'<path class="zone" fill="{fill}" fill-opacity="0.18" '
                       f'stroke="#c0392b" stroke-width="1" stroke-dasharray="4 3" '
                       f'd="{d_attr}"><title>{escape(props.get("name", ""))}</title></path>')
    out += _graticule(pr)
    for t in partner_tracks:
        for pts in _lines(pr, t, p):
            out.append(f'<polyline class="partner" points="{pts}" fill="none" '
                       f'stroke="{PARTNER_COLOUR}" stroke-width="2"><title>'
                       f'{escape(t.summary.text)} [{t.ref}]</title></polyline>')
    for t in tracks:
        for pts in _lines(pr, t, p):
            out.append(f'<polyline class="track" points="{pts}" fill="none" '
                       f'stroke="{TRACK_COLOUR}" stroke-width="1.6"><title>'
                       f'{escape(t.summary.text)} [{t.ref}]</title></polyline>')
    # encounters last: drawn on top of everything else
    out += [_event_svg(pr, e) for e in sorted(events, key=lambda e: e.event_type == "encounter")]
    types = sorted({e.event_type for e in events if e.lat is not None})
    out.append(_scale_bar(pr))
    if focus is None:  # the detail maps share the overview's legend
        out.append(_legend(pr, types, any(t.lat.size for t in partner_tracks)))
    out.append(f'<rect class="frame" x="1" y="1" width="{pr.width - 2}" '
               f'height="{pr.height - 2}" fill="none" stroke="{frame}" '
               'stroke-width="2"/></svg>')
    return "".join(out)


__all__ = [
    "ENCOUNTER_COLOUR",
    "FOCUS_FRAME_COLOUR",
    "FRAME_COLOUR",
    "MapParams",
    "Projection",
    "bbox_for",
    "land",
    "render_map",
]
