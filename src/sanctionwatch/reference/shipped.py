"""The reference data shipped in ``sanctionwatch/data/`` and loaders for user-supplied files.

``load_default()`` gives ports and anchorages (World Port Index, GFW named anchorages, hand-added
DPRK ports), the shore-distance raster and the built-in zones; ``data/PROVENANCE.md`` records
where each file comes from. ``load_ports_csv`` and ``load_zones_geojson`` read a user's own lists
in the same shapes (see ``docs/reference-data.md``).
"""

from __future__ import annotations

import csv
import functools
import json
import math
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity

from sanctionwatch.reference.core import Port, ReferenceData, Zone
from sanctionwatch.reference.shore import RasterShoreDistance

PORTS_FILE = "ports.parquet"
SHORE_FILE = "shore_distance.npz"
ZONES_FILE = "zones.geojson"
PORT_KINDS = ("port", "anchorage")
ZONE_PROPERTIES = ("zone_id", "name", "kind", "is_dprk", "source")
_ISO3 = re.compile(r"^[A-Z]{3}$")


class ReferenceDataError(ValueError):
    """A reference file (ports, zones, raster) is missing, malformed or inconsistent."""


def data_path(name: str) -> Path:
    """Filesystem path of a file shipped in ``sanctionwatch/data/``."""
    p = Path(str(files("sanctionwatch") / "data" / name))
    if not p.is_file():
        raise ReferenceDataError(f"shipped reference file missing: {p}")
    return p


@functools.lru_cache(maxsize=1)
def load_default() -> ReferenceData:
    """The shipped reference data, loaded once per process and shared: do not mutate it.

    The shore-distance raster is read on its first query, not here.
    """
    return ReferenceData(
        ports=load_ports_parquet(data_path(PORTS_FILE)),
        shore=RasterShoreDistance(data_path(SHORE_FILE)),
        zones=load_zones_geojson(data_path(ZONES_FILE)),
    )


def load_ports_parquet(path: str | Path) -> list[Port]:
    """Ports from a Parquet file with columns ``name, country_iso3, lat, lon, kind``."""
    try:
        df = pl.read_parquet(path, columns=["name", "country_iso3", "lat", "lon", "kind"])
    except (OSError, pl.exceptions.PolarsError) as e:
        raise ReferenceDataError(f"{path}: cannot read ports ({e})") from e
    df = df.with_columns(pl.col("name", "country_iso3", "kind").cast(pl.Utf8))
    return [
        Port(name=n, country_iso3=c, lat=la, lon=lo, kind=k)
        for n, c, la, lo, k in zip(
            df["name"].to_list(), df["country_iso3"].to_list(), df["lat"].to_list(),
            df["lon"].to_list(), df["kind"].to_list(), strict=True,
        )
    ]


def load_ports_csv(path: str | Path) -> list[Port]:
    """A user's port list: CSV with columns ``name,country_iso3,lat,lon`` (optional ``kind``).

    ``country_iso3`` is an ISO 3166-1 alpha-3 code (``PRK`` marks DPRK ports); ``kind`` is
    ``port`` (default) or ``anchorage``. Raises :class:`ReferenceDataError` naming the file and
    line of the first bad row.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            missing = [c for c in ("name", "country_iso3", "lat", "lon") if c not in header]
            if missing:
                raise ReferenceDataError(f"{path}: missing column(s) {', '.join(missing)} "
                                         f"(found: {', '.join(header) or 'no header'})")
            reader.fieldnames = header
            ports = [_port_row(path, reader.line_num, row) for row in reader]
    except OSError as e:
        raise ReferenceDataError(f"{path}: cannot read ports ({e})") from e
    except UnicodeDecodeError as e:
        raise ReferenceDataError(f"{path}: not UTF-8 text ({e})") from e
    return ports


def _port_row(path: Path, line: int, row: dict[str, str | None]) -> Port:
    where = f"{path}: line {line}"
    name = (row.get("name") or "").strip()
    iso3 = (row.get("country_iso3") or "").strip().upper()
    kind = (row.get("kind") or "").strip() or "port"
    if not name:
        raise ReferenceDataError(f"{where}: empty name")
    if not _ISO3.match(iso3):
        raise ReferenceDataError(f"{where}: country_iso3 {iso3!r} is not a 3-letter code")
    if kind not in PORT_KINDS:
        raise ReferenceDataError(f"{where}: kind {kind!r} is not one of {PORT_KINDS}")
    coords: list[float] = []
    for col, limit in (("lat", 90.0), ("lon", 180.0)):
        raw = (row.get(col) or "").strip()
        try:
            v = float(raw)
        except ValueError:
            raise ReferenceDataError(f"{where}: {col} {raw!r} is not a number") from None
        if not (math.isfinite(v) and -limit <= v <= limit):
            raise ReferenceDataError(f"{where}: {col} {v} outside [-{limit:g}, {limit:g}]")
        coords.append(v)
    return Port(name=name, country_iso3=iso3, lat=coords[0], lon=coords[1], kind=kind)


def load_zones_geojson(path: str | Path) -> list[Zone]:
    """Zones from a GeoJSON FeatureCollection of (Multi)Polygons in WGS84 lon/lat.

    Every feature needs the properties ``zone_id`` (unique), ``name``, ``kind`` (e.g. ``eez``,
    ``sts_area``, ``military_zone``), ``is_dprk`` (true/false) and ``source`` (a citation).
    Raises :class:`ReferenceDataError` naming the file and the feature at fault.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ReferenceDataError(f"{path}: cannot read zones ({e})") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ReferenceDataError(f"{path}: not valid JSON ({e})") from e
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ReferenceDataError(f"{path}: expected a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ReferenceDataError(f"{path}: FeatureCollection has no 'features' list")
    zones: list[Zone] = []
    seen: set[str] = set()
    for i, feat in enumerate(features):
        zone = _zone_feature(path, i, feat)
        if zone.zone_id in seen:
            raise ReferenceDataError(f"{path}: feature {i}: duplicate zone_id {zone.zone_id!r}")
        seen.add(zone.zone_id)
        zones.append(zone)
    return zones


def _zone_feature(path: Path, i: int, feat: Any) -> Zone:
    where = f"{path}: feature {i}"
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        raise ReferenceDataError(f"{where}: not a GeoJSON Feature")
    props = feat.get("properties")
    if not isinstance(props, dict):
        raise ReferenceDataError(f"{where}: no properties (need {', '.join(ZONE_PROPERTIES)})")
    if isinstance(props.get("zone_id"), str) and props["zone_id"]:
        where += f" ({props['zone_id']})"
    missing = [k for k in ZONE_PROPERTIES if k not in props or props[k] is None]
    if missing:
        raise ReferenceDataError(f"{where}: missing propert{'ies' if len(missing) > 1 else 'y'} "
                                 f"{', '.join(missing)}")
    for k in ("zone_id", "name", "kind", "source"):
        if not isinstance(props[k], str) or not props[k].strip():
            raise ReferenceDataError(f"{where}: property {k} must be a non-empty string")
    if not isinstance(props["is_dprk"], bool):
        raise ReferenceDataError(f"{where}: property is_dprk must be true or false")
    geom_json = feat.get("geometry")
    if not isinstance(geom_json, dict):
        raise ReferenceDataError(f"{where}: no geometry")
    if geom_json.get("type") not in ("Polygon", "MultiPolygon"):
        raise ReferenceDataError(f"{where}: geometry type {geom_json.get('type')!r} is not "
                                 "Polygon or MultiPolygon")
    try:
        geom = shape(geom_json)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError,
            shapely.errors.ShapelyError) as e:
        raise ReferenceDataError(f"{where}: malformed geometry ({e})") from e
    if geom.is_empty:
        raise ReferenceDataError(f"{where}: empty geometry")
    if not geom.is_valid:
        raise ReferenceDataError(f"{where}: invalid geometry ({explain_validity(geom)})")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    if min_lon < -180.0 or max_lon > 180.0 or min_lat < -90.0 or max_lat > 90.0:
        raise ReferenceDataError(f"{where}: coordinates outside lon [-180, 180] / lat [-90, 90] "
                                 "(GeoJSON order is lon, lat)")
    return Zone(zone_id=props["zone_id"], name=props["name"], geometry=geom,
                source=props["source"], is_dprk=props["is_dprk"], kind=props["kind"])
