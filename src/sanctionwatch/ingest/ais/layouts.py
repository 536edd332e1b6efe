"""Vendor layouts: which source column feeds which canonical column, and how it is parsed.

A :class:`Layout` is plain data: a name, a sentence for the docs, its :class:`Field` s and the
columns that identify it. Each field names a canonical target (a POSITIONS or VESSEL_REPORTS
column, or :data:`KIND`, a row filter), its source column(s) and a
:class:`~sanctionwatch.ingest.ais.parsers.Parser`. The readers (CSV, Parquet, GeoPackage)
and the converter know nothing about any vendor: adding an export format means declaring one
more ``Layout`` here and listing it in :data:`LAYOUTS` (see ``docs/ingest-tabular.md``).
A layout can also be passed to a reader directly (``read_csv(path, layout=MY_LAYOUT)``).

Source column names are matched ignoring case and whitespace (:func:`norm_column`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sanctionwatch.ingest.ais.codes import DMA_KIND, DMA_SHIP, DMA_STATUS, MSG_CLASS, MSG_KIND
from sanctionwatch.ingest.ais.parsers import (
    AIS_CLASS,
    DECIMETRES,
    DIMENSION_SUM,
    IMO,
    NUMBER,
    POSITIVE,
    SHIP_TYPE,
    TEXT,
    TIME_ISO,
    UPPER,
    Parser,
    int_in,
    time_format,
)

CORE = ("mmsi", "timestamp", "lat", "lon")
"""Canonical columns every layout must provide; a row without them is a reject."""

STATIC = ("imo", "name", "callsign", "ship_type", "draught_m", "destination", "length_m",
          "width_m", "flag")
"""Static columns: a row with any of them set carries a vessel report."""

KIND = "_kind"
"""Internal target: set to a description when a row is not vessel data (base station, AtoN)."""


def norm_column(name: str) -> str:
    """A column name as layouts match it: whitespace removed, lower case."""
    return "".join(name.split()).lower()


@dataclass(frozen=True)
class Field:
    """One canonical column of a layout: the source column(s) it is parsed from, and how."""

    target: str
    sources: tuple[str, ...]
    parser: Parser
    note: str = ""


@dataclass(frozen=True)
class Layout:
    """A declarative column mapping of one export format.

    ``identify`` lists source columns that must be present, besides those of the core fields
    (MMSI, time, latitude, longitude), for a header to be recognised as this layout.
    """

    name: str
    doc: str
    fields: tuple[Field, ...]
    identify: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for t in CORE:
            fs = [f for f in self.fields if f.target == t]
            if len(fs) != 1 or len(fs[0].sources) != 1:
                raise ValueError(f"layout {self.name}: {t} needs exactly one single-source field")

    def core_source(self, target: str) -> str:
        """The source column of a core target."""
        return next(f.sources[0] for f in self.fields if f.target == target)

    def required(self, provided: Iterable[str] = ()) -> set[str]:
        """Normalised source columns a header must contain (core targets in ``provided`` are
        supplied otherwise, e.g. by a GeoPackage geometry)."""
        skip = set(provided)
        req = {norm_column(self.core_source(t)) for t in CORE if t not in skip}
        return req | {norm_column(c) for c in self.identify}

    def sources(self) -> set[str]:
        """All normalised source columns the layout reads."""
        return {norm_column(s) for f in self.fields for s in f.sources} | {
            norm_column(c) for c in self.identify
        }

    def markdown(self) -> str:
        """A Markdown table of the mapping (used by ``docs/ingest-tabular.md``)."""
        lines = [f"### `{self.name}`", "", self.doc, "",
                 "| source column(s) | canonical column | conversion |", "|---|---|---|"]
        for f in self.fields:
            src = " + ".join(f"`{s}`" for s in f.sources)
            target = "(row filter)" if f.target == KIND else f"`{f.target}`"
            lines.append(f"| {src} | {target} | {f.note} |")
        if self.identify:
            lines += ["", "Recognised by: " + ", ".join(f"`{c}`" for c in self.identify)
                      + " (besides the MMSI, time and position columns)."]
        return "\n".join(lines) + "\n"


def field(target: str, source: str | tuple[str, ...], parser: Parser, note: str) -> Field:
    """A :class:`Field` reading one source column (a name) or several (a tuple)."""
    return Field(target, (source,) if isinstance(source, str) else source, parser, note)


MMSI = int_in(0, 2**30 - 1)  # the AIS MMSI field is 30 bits wide
NAV_STATUS = int_in(0, 15)
MSG_TYPE = int_in(1, 27)

_KEEP = "number, kept as given (sentinels too)"
_MMSI = "integer 0 .. 2^30-1"
_DMA_TIME = time_format("%d/%m/%Y %H:%M:%S")
_DMA_TIME_NOTE = "`dd/mm/YYYY HH:MM:SS` (or ISO 8601), UTC"

MARINECADASTRE = Layout(
    "marinecadastre",
    "US MarineCadastre / NOAA AIS exports (`AIS_YYYY_MM_DD.csv`, and the lower-case column "
    "names of older extracts and GeoPackages).",
    (
        field("mmsi", "MMSI", MMSI, _MMSI),
        field("timestamp", "BaseDateTime", TIME_ISO, "ISO 8601, naive = UTC"),
        field("lat", "LAT", NUMBER, _KEEP),
        field("lon", "LON", NUMBER, _KEEP),
        field("sog_knots", "SOG", NUMBER, _KEEP),
        field("cog_deg", "COG", NUMBER, _KEEP),
        field("heading_deg", "Heading", NUMBER, _KEEP),
        field("name", "VesselName", UPPER, "trimmed, upper case, `@` removed, empty = null"),
        field("imo", "IMO", IMO, "`IMO` prefix stripped, 0 = null"),
        field("callsign", "CallSign", UPPER, "trimmed, upper case"),
        field("ship_type", "VesselType", SHIP_TYPE, "integer, 0 = null"),
        field("nav_status", "Status", NAV_STATUS, "integer 0-15 (`5.0` accepted)"),
        field("length_m", "Length", POSITIVE, "metres, 0 = null"),
        field("width_m", "Width", POSITIVE, "metres, 0 = null"),
        field("draught_m", "Draft", POSITIVE, "metres, 0 = null"),
        field("ais_class", "TransceiverClass", AIS_CLASS, "`A` / `B`"),
    ),
)

DMA_AISDK = Layout(
    "dma_aisdk",
    "Danish Maritime Authority daily files (`aisdk-YYYY-MM-DD.csv`). Unnamed extra columns "
    "(a pandas index) are ignored.",
    (
        field("timestamp", "# Timestamp", _DMA_TIME, _DMA_TIME_NOTE),
        field("ais_class", "Type of mobile", AIS_CLASS, "`Class A` -> `A`, `Class B` -> `B`"),
        field(KIND, "Type of mobile", DMA_KIND,
              "`Base Station`, `AtoN`, `SAR Airborne` rows are rejected as `not_vessel_data`"),
        field("mmsi", "MMSI", MMSI, _MMSI),
        field("lat", "Latitude", NUMBER, _KEEP),
        field("lon", "Longitude", NUMBER, _KEEP),
        field("nav_status", "Navigational status", DMA_STATUS, "text -> ITU code (table below)"),
        field("sog_knots", "SOG", NUMBER, _KEEP),
        field("cog_deg", "COG", NUMBER, _KEEP),
        field("heading_deg", "Heading", NUMBER, _KEEP),
        field("imo", "IMO", IMO, "`Unknown` and 0 = null"),
        field("callsign", "Callsign", UPPER, "trimmed, upper case"),
        field("name", "Name", UPPER, "trimmed, upper case"),
        field("ship_type", "Ship type", DMA_SHIP,
              "text -> representative ITU code (table below), `Undefined` = null"),
        field("width_m", "Width", POSITIVE, "metres, 0 = null"),
        field("length_m", "Length", POSITIVE, "metres, 0 = null"),
        field("draught_m", "Draught", POSITIVE, "metres, 0 = null"),
        field("destination", "Destination", TEXT, "trimmed"),
    ),
    identify=("Type of mobile",),
)

MOVINGPANDAS_DMA = Layout(
    "movingpandas_dma",
    "DMA data as saved by MovingPandas / QGIS Trajectools (e.g. the Gothenburg GeoPackage); "
    "in a GeoPackage the position comes from the point geometry.",
    (
        field("timestamp", "Timestamp", _DMA_TIME, _DMA_TIME_NOTE),
        field("mmsi", "MMSI", MMSI, _MMSI),
        field("lat", "Latitude", NUMBER, _KEEP + " (GeoPackage: point y)"),
        field("lon", "Longitude", NUMBER, _KEEP + " (GeoPackage: point x)"),
        field("nav_status", "NavStatus", DMA_STATUS, "text -> ITU code"),
        field("sog_knots", "SOG", NUMBER, _KEEP),
        field("cog_deg", "COG", NUMBER, _KEEP),
        field("name", "Name", UPPER, "trimmed, upper case"),
        field("ship_type", "ShipType", DMA_SHIP, "text -> ITU code"),
    ),
    identify=("NavStatus",),
)

AISDB_MESSAGES = Layout(
    "aisdb_messages",
    "Decoded message-level CSV as in AISViz/AISdb test data (about 120 columns, one row per AIS "
    "message). Rows of message types 5 and 24 carry no position and give vessel reports "
    "only; types other than 1, 2, 3, 5, 18, 19, 24, 27 are rejected as `not_vessel_data`.",
    (
        field("mmsi", "MMSI", MMSI, _MMSI),
        field("msg_type", "Message_ID", MSG_TYPE, "integer 1-27"),
        field("ais_class", "Message_ID", MSG_CLASS, "types 1, 2, 3, 5 -> `A`; 18, 19, 24 -> `B`"),
        field(KIND, "Message_ID", MSG_KIND, "non-vessel message types are rejected"),
        field("timestamp", "Time", time_format("%Y%m%d_%H%M%S"),
              "`YYYYmmdd_HHMMSS` (or ISO 8601), UTC"),
        field("lat", "Latitude", NUMBER, _KEEP),
        field("lon", "Longitude", NUMBER, _KEEP),
        field("sog_knots", "SOG", NUMBER, _KEEP),
        field("cog_deg", "COG", NUMBER, _KEEP + " (`None` = null)"),
        field("heading_deg", "Heading", NUMBER, _KEEP + " (`None` = null)"),
        field("nav_status", "Navigational_status", NAV_STATUS, "integer 0-15"),
        field("name", "Vessel_Name", UPPER, "trimmed, upper case, `@` removed"),
        field("callsign", "Call_sign", UPPER, "trimmed, upper case"),
        field("imo", "IMO", IMO, "0 = null"),
        field("ship_type", "Ship_Type", SHIP_TYPE, "integer, 0 = null"),
        field("length_m", ("Dimension_to_Bow", "Dimension_to_stern"), DIMENSION_SUM,
              "bow + stern, metres, 0 = null"),
        field("width_m", ("Dimension_to_port", "Dimension_to_starboard"), DIMENSION_SUM,
              "port + starboard, metres, 0 = null"),
        field("draught_m", "Draught", DECIMETRES, "decimetres (raw AIS units) / 10, 0 = null"),
        field("destination", "Destination", TEXT, "trimmed, `@` removed"),
    ),
    identify=("Message_ID",),
)

SOLENT = Layout(
    "solent",
    "Dstl Stone Soup Solent recording (`SolentAIS_20160112_130211.csv`): positions only.",
    (
        field("timestamp", "Time", TIME_ISO, "ISO 8601 with milliseconds, UTC"),
        field("mmsi", "MMSI", MMSI, _MMSI),
        field("lat", "Latitude_degrees", NUMBER, _KEEP),
        field("lon", "Longitude_degrees", NUMBER, _KEEP),
        field("cog_deg", "COG_degrees", NUMBER, _KEEP),
        field("sog_knots", "SOG_knots", NUMBER, _KEEP),
    ),
)

CANONICAL = Layout(
    "canonical",
    "sanctionwatch's own column names: the `positions` columns, optionally with the static "
    "`vessel_reports` columns in the same file. `source` and `record` columns, if present, "
    "are ignored (provenance is always this file).",
    (
        field("mmsi", "mmsi", MMSI, _MMSI),
        field("timestamp", "timestamp", TIME_ISO, "ISO 8601; naive = UTC, offsets converted"),
        field("lat", "lat", NUMBER, _KEEP),
        field("lon", "lon", NUMBER, _KEEP),
        field("sog_knots", "sog_knots", NUMBER, _KEEP),
        field("cog_deg", "cog_deg", NUMBER, _KEEP),
        field("heading_deg", "heading_deg", NUMBER, _KEEP),
        field("nav_status", "nav_status", NAV_STATUS, "integer 0-15"),
        field("msg_type", "msg_type", MSG_TYPE, "integer 1-27"),
        field("ais_class", "ais_class", AIS_CLASS, "`A` / `B`"),
        field("receiver", "receiver", TEXT, "trimmed"),
        field("imo", "imo", IMO, "0 = null"),
        field("name", "name", UPPER, "trimmed, upper case"),
        field("callsign", "callsign", UPPER, "trimmed, upper case"),
        field("ship_type", "ship_type", SHIP_TYPE, "integer, 0 = null"),
        field("draught_m", "draught_m", POSITIVE, "metres, 0 = null"),
        field("destination", "destination", TEXT, "trimmed"),
        field("length_m", "length_m", POSITIVE, "metres, 0 = null"),
        field("width_m", "width_m", POSITIVE, "metres, 0 = null"),
        field("flag", "flag", UPPER, "ISO 3166-1 alpha-2, upper case"),
    ),
)

LAYOUTS: Mapping[str, Layout] = MappingProxyType({
    lay.name: lay
    for lay in (MARINECADASTRE, DMA_AISDK, MOVINGPANDAS_DMA, AISDB_MESSAGES, SOLENT, CANONICAL)
})
"""Known layouts by name, in sniffing order (on a tie the first wins)."""

__all__ = [
    "AISDB_MESSAGES", "CANONICAL", "CORE", "DMA_AISDK", "KIND", "LAYOUTS", "MARINECADASTRE",
    "MOVINGPANDAS_DMA", "SOLENT", "STATIC", "Field", "Layout", "field", "norm_column",
]
