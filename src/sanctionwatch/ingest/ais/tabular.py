"""Tabular AIS readers: CSV and Parquet exports mapped to the canonical tables by layouts.

A :class:`Layout` declares, for one export format, which source column feeds which canonical
column and how its text is parsed. The layout of a file is recognised from its header
(case- and whitespace-insensitive). Every value is read as text first and parsed per batch with
Polars expressions, so a bad value becomes a reject of its row instead of failing the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, partial
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sanctionwatch.ingest.ais.base import RAW_MAX_CHARS, Batch, IngestError
from sanctionwatch.schema import POSITIONS, REJECTS, VESSEL_REPORTS, Table

_T = TypeVar("_T")

Parser = Callable[..., pl.Expr]
"""Turns one cleaned text expression per source column into a typed canonical expression.

Parsers are elementwise (a row's value depends on that row alone): the typed path evaluates
them once per distinct value of a text column (:meth:`RowConverter._parse_by_value`)."""

CORE = ("mmsi", "timestamp", "lat", "lon")
"""Canonical columns every layout must provide; a row without them is a reject."""

STATIC = ("imo", "name", "callsign", "ship_type", "draught_m", "destination", "length_m",
          "width_m", "flag")
"""Static columns: a row with any of them set carries a vessel report."""

KIND = "_kind"
"""Internal target: set to a description when a row is not vessel data (base station, AtoN)."""

MISSING_TOKENS = ("none", "null", "nan", "na", "n/a")
"""Texts that mean 'no value' in a required field (missing_field rather than a bad value)."""

REASONS = {
    "empty_row": "CSV line with every field empty.",
    "bad_row": "CSV line with the wrong number of fields (detail: expected and found).",
    "missing_field": "MMSI, time, latitude or longitude empty (or a row with neither a "
                      "position nor static data).",
    "bad_mmsi": "MMSI not an integer in 0 .. 2^30-1.",
    "bad_timestamp": "Time not in the layout's format (nor ISO 8601).",
    "bad_coordinate": "Latitude or longitude not a number.",
    "bad_geometry": "GeoPackage geometry blob that is not a valid point.",
    "not_vessel_data": "A record of a base station, aid to navigation, SAR aircraft or a "
                       "non-vessel AIS message type.",
}
"""Reject reasons of the tabular readers (REJECTS.reason) and their meaning."""

_MMSI_MAX = 2**30 - 1  # the AIS MMSI field is 30 bits wide
_VESSEL_MSG_TYPES = (1, 2, 3, 5, 18, 19, 24, 27)


class FormatError(ValueError):
    """A file whose structure cannot be read: no known layout, unsupported SRS, no header."""


# ---------------------------------------------------------------------------------- parsers


_TYPED_INT: weakref.WeakSet[Parser] = weakref.WeakSet()
"""Parsers whose result on a numeric column equals their result on its text (the typed
Parquet fast path, :meth:`RowConverter.typed_columns`). Integer parsers go through Float64
either way, so they are exact on integer and Float64 columns. Weak: closures made while
building one file's expressions must not pile up."""
_TYPED_FLOAT: dict[Parser, Parser] = {}
"""Float parsers: exact on integer and Float64 columns, and on Float32 columns whose canonical
column is Float32 too (Float32 -> text -> Float64 -> Float32 gives the same value back)."""
_TYPED_TIME: dict[Parser, Parser] = {}
"""Time parsers (ISO 8601 text) and their form on a timestamp column."""
_KEEPS_INT: weakref.WeakKeyDictionary[Parser, tuple[int, int]] = weakref.WeakKeyDictionary()
"""Integer parsers and the bounds within which their typed form gives an integer column's
values back (:meth:`RowConverter._same`)."""


def _float(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Float64, strict=False)


_EXACT_FLOAT_INT = 2**53
"""Integers up to this magnitude are exact in a Float64."""


def _int_series(s: pl.Series, lo: int | None = None, hi: int | None = None) -> pl.Series:
    if s.dtype.is_integer():
        low, high = s.min(), s.max()
        if not isinstance(low, int) or not isinstance(high, int):
            return s.cast(pl.Int64)  # no values
        if low >= -_EXACT_FLOAT_INT and high <= _EXACT_FLOAT_INT:
            # The Float64 round trip below would give every value back: skip it.
            x = s.cast(pl.Int64)
            if lo is None or (low >= lo and (hi is None or high <= hi)):
                return x  # no value to null (typed canonical columns)
            return _inside(x, lo, hi)
    f = s.cast(pl.Float64, strict=False)
    x = pl.select(pl.when(f == f.floor()).then(f).otherwise(None)
                  .cast(pl.Int64, strict=False)).to_series()
    return x if lo is None else _inside(x, lo, hi)


def _inside(x: pl.Series, lo: int, hi: int | None) -> pl.Series:
    """``x`` with the values outside lo .. hi null."""
    inside = x >= lo if hi is None else x.is_between(lo, hi)
    return pl.select(pl.when(inside).then(x).otherwise(None)).to_series()


def _int(e: pl.Expr, lo: int | None = None, hi: int | None = None) -> pl.Expr:
    # Through Float64 so that "12.0" (exports that went through a float column) is 12; exact
    # for every integer field here (all far below 2**53). "12.5" is not an integer: null.
    # With ``lo`` (and ``hi``), values outside lo .. hi are null too. Evaluated on the
    # materialised column: as one expression, the text parse under it would run once per use
    # of the number (Polars does not share the common subexpressions).
    return e.map_batches(lambda s: _int_series(s, lo, hi), return_dtype=pl.Int64,
                         is_elementwise=True)


def _int_in(lo: int, hi: int) -> Parser:
    def parse(e: pl.Expr) -> pl.Expr:
        return _int(e, lo, hi)

    _TYPED_INT.add(parse)
    _KEEPS_INT[parse] = (lo, hi)
    return parse


def _positive(e: pl.Expr) -> pl.Expr:
    x = _float(e)
    return pl.when(x > 0).then(x).otherwise(None)


def _decimetres(e: pl.Expr) -> pl.Expr:
    return _positive(e) / 10.0


def _dimension_sum(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    s = _float(a).fill_null(0.0) + _float(b).fill_null(0.0)
    return pl.when(s > 0).then(s).otherwise(None)


def _ts_typed(e: pl.Expr) -> pl.Expr:
    # Only naive or UTC timestamps of s/ms/us come here: no precision to lose.
    return e.dt.cast_time_unit("us").dt.replace_time_zone("UTC")


def _imo_typed(e: pl.Expr) -> pl.Expr:
    # The text parser strips '-' (a separator after an ``IMO`` prefix), so "-5" reads as 5.
    return _int(e.abs(), 1)


def _nonempty(e: pl.Expr) -> pl.Expr:
    return pl.when(e.str.len_bytes() > 0).then(e).otherwise(None)


def _text(e: pl.Expr) -> pl.Expr:
    return _nonempty(e.str.replace_all("@", "", literal=True).str.strip_chars())


def _upper(e: pl.Expr) -> pl.Expr:
    return _text(e).str.to_uppercase()


def _imo(e: pl.Expr) -> pl.Expr:
    return _int(e.str.to_uppercase().str.strip_prefix("IMO").str.strip_chars(" :-"), 1)


def _ais_class(e: pl.Expr) -> pl.Expr:
    x = e.str.to_uppercase().str.strip_prefix("CLASS").str.strip_chars()
    return pl.when(x.is_in(["A", "B"])).then(x).otherwise(None)


def _ship_type(e: pl.Expr) -> pl.Expr:
    return _int_in(1, 32767)(e)  # 0 is "not available" (ITU-R M.1371 table 53)


def _ts_iso(e: pl.Expr) -> pl.Expr:
    s = e.str.replace(" ", "T", literal=True)
    return pl.coalesce(
        s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
        .dt.replace_time_zone("UTC"),
        s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us")
        .dt.convert_time_zone("UTC"),
    )


def _ts(fmt: str) -> Parser:
    """Naive times in ``fmt`` are UTC; ISO 8601 is accepted as a fallback."""

    def parse(e: pl.Expr) -> pl.Expr:
        return pl.coalesce(
            e.str.to_datetime(fmt, strict=False, time_unit="us").dt.replace_time_zone("UTC"),
            _ts_iso(e),
        )

    _TYPED_TIME[parse] = _ts_typed
    return parse


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _text_code(mapping: dict[str, int], lo: int, hi: int) -> Parser:
    """Map a label to its code (case, spaces and punctuation ignored); numbers pass through."""
    keyed = {_key(k): v for k, v in mapping.items()}

    def parse(e: pl.Expr) -> pl.Expr:
        key = e.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
        mapped = key.replace_strict(keyed, default=None, return_dtype=pl.Int64)
        return pl.coalesce(mapped, _int_in(lo, hi)(e))

    return parse


_TYPED_INT.add(_ship_type)
_TYPED_SPECIAL: dict[Parser, Parser] = {_imo: _imo_typed}
"""Integer parsers that read text (an ``IMO`` prefix) and their numeric form."""
_KEEPS_INT.update({_ship_type: (1, 32767), _imo: (1, _EXACT_FLOAT_INT)})
_TYPED_FLOAT.update({_float: _float, _positive: _positive, _decimetres: _decimetres})
_TYPED_TIME[_ts_iso] = _ts_typed

DMA_NAV_STATUS = {
    "Under way using engine": 0,
    "At anchor": 1,
    "Not under command": 2,
    "Restricted maneuverability": 3,
    "Restricted manoeuvrability": 3,
    "Restricted manoeuverability": 3,
    "Constrained by her draught": 4,
    "Moored": 5,
    "Aground": 6,
    "Engaged in fishing": 7,
    "Under way sailing": 8,
    "Reserved for future amendment [HSC]": 9,
    "Reserved for future amendment [WIG]": 10,
    "Power-driven vessel towing astern": 11,
    "Power-driven vessel pushing ahead or towing alongside": 12,
    "Reserved for future use": 13,
    "AIS-SART": 14,
    "AIS-SART (active)": 14,
    "Unknown value": 15,
    "Undefined": 15,
}
"""DMA navigational status text -> ITU-R M.1371 code (table 45)."""

DMA_SHIP_TYPE = {
    "WIG": 20,
    "Fishing": 30,
    "Towing": 31,
    "Towing long/wide": 32,
    "Dredging": 33,
    "Diving": 34,
    "Military": 35,
    "Sailing": 36,
    "Pleasure": 37,
    "Reserved": 38,
    "HSC": 40,
    "Pilot": 50,
    "SAR": 51,
    "Search and rescue": 51,
    "Tug": 52,
    "Port tender": 53,
    "Anti-pollution": 54,
    "Law enforcement": 55,
    "Spare 1": 56,
    "Spare 2": 57,
    "Medical": 58,
    "Not party to conflict": 59,
    "Passenger": 60,
    "Cargo": 70,
    "Tanker": 80,
    "Other": 90,
}
"""DMA ship type text -> a representative ITU-R M.1371 ship type code (table 53).

Category labels map to the category's base code (Cargo 70, Tanker 80, Passenger 60, HSC 40,
WIG 20, Other 90): the hazard-category digit is not in the text. ``Undefined`` is null.
"""

_DMA_NON_VESSEL = {"basestation": "base station", "aton": "aid to navigation",
                   "sarairborne": "SAR aircraft"}

_MSG_LABELS = {
    4: "base station report", 6: "binary addressed message", 7: "binary acknowledge",
    8: "binary broadcast message", 9: "SAR aircraft position", 10: "UTC/date inquiry",
    11: "UTC/date response", 12: "addressed safety message", 13: "safety acknowledge",
    14: "safety broadcast message", 15: "interrogation", 16: "assignment mode command",
    17: "DGNSS broadcast", 20: "data link management", 21: "aid-to-navigation report",
    22: "channel management", 23: "group assignment command", 25: "single slot binary message",
    26: "multiple slot binary message",
}


def _msg_kind(e: pl.Expr) -> pl.Expr:
    t = _int(e)
    label = t.replace_strict(_MSG_LABELS, default="not a vessel report", return_dtype=pl.String)
    return (
        pl.when(t.is_not_null() & ~t.is_in(_VESSEL_MSG_TYPES))
        .then(pl.format("AIS message type {} ({})", t, label))
        .otherwise(None)
    )


def _msg_class(e: pl.Expr) -> pl.Expr:
    classes = {1: "A", 2: "A", 3: "A", 5: "A", 18: "B", 19: "B", 24: "B"}
    return _int(e).replace_strict(classes, default=None, return_dtype=pl.String)


def _dma_kind(e: pl.Expr) -> pl.Expr:
    key = e.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    label = key.replace_strict(_DMA_NON_VESSEL, default=None, return_dtype=pl.String)
    return pl.when(label.is_not_null()).then(pl.format("Type of mobile '{}'", e)).otherwise(None)


# ---------------------------------------------------------------------------------- layouts


def _norm(name: str) -> str:
    return "".join(name.split()).lower()


@dataclass(frozen=True)
class Field:
    """One canonical column of a layout: the source column(s) it is parsed from, and how."""

    target: str
    sources: tuple[str, ...]
    parse: Parser
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
        req = {_norm(self.core_source(t)) for t in CORE if t not in skip}
        return req | {_norm(c) for c in self.identify}

    def sources(self) -> set[str]:
        """All normalised source columns the layout reads."""
        return {_norm(s) for f in self.fields for s in f.sources} | {
            _norm(c) for c in self.identify
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


def _f(target: str, source: str | tuple[str, ...], parse: Parser, note: str) -> Field:
    return Field(target, (source,) if isinstance(source, str) else source, parse, note)


_NUM = "number"
_KEEP = "number, kept as given (sentinels too)"
_MMSI = "integer 0 .. 2^30-1"
_DMA_TIME = "%d/%m/%Y %H:%M:%S"
_DMA_TIME_NOTE = "`dd/mm/YYYY HH:MM:SS` (or ISO 8601), UTC"

MARINECADASTRE = Layout(
    "marinecadastre",
    "US MarineCadastre / NOAA AIS exports (`AIS_YYYY_MM_DD.csv`, and the lower-case column "
    "names of older extracts and GeoPackages).",
    (
        _f("mmsi", "MMSI", _int_in(0, _MMSI_MAX), _MMSI),
        _f("timestamp", "BaseDateTime", _ts_iso, "ISO 8601, naive = UTC"),
        _f("lat", "LAT", _float, _KEEP),
        _f("lon", "LON", _float, _KEEP),
        _f("sog_knots", "SOG", _float, _KEEP),
        _f("cog_deg", "COG", _float, _KEEP),
        _f("heading_deg", "Heading", _float, _KEEP),
        _f("name", "VesselName", _upper, "trimmed, upper case, `@` removed, empty = null"),
        _f("imo", "IMO", _imo, "`IMO` prefix stripped, 0 = null"),
        _f("callsign", "CallSign", _upper, "trimmed, upper case"),
        _f("ship_type", "VesselType", _ship_type, "integer, 0 = null"),
        _f("nav_status", "Status", _int_in(0, 15), "integer 0-15 (`5.0` accepted)"),
        _f("length_m", "Length", _positive, "metres, 0 = null"),
        _f("width_m", "Width", _positive, "metres, 0 = null"),
        _f("draught_m", "Draft", _positive, "metres, 0 = null"),
        _f("ais_class", "TransceiverClass", _ais_class, "`A` / `B`"),
    ),
)

DMA_AISDK = Layout(
    "dma_aisdk",
    "Danish Maritime Authority daily files (`aisdk-YYYY-MM-DD.csv`). Unnamed extra columns "
    "(a pandas index) are ignored.",
    (
        _f("timestamp", "# Timestamp", _ts(_DMA_TIME), _DMA_TIME_NOTE),
        _f("ais_class", "Type of mobile", _ais_class, "`Class A` -> `A`, `Class B` -> `B`"),
        _f(KIND, "Type of mobile", _dma_kind,
           "`Base Station`, `AtoN`, `SAR Airborne` rows are rejected as `not_vessel_data`"),
        _f("mmsi", "MMSI", _int_in(0, _MMSI_MAX), _MMSI),
        _f("lat", "Latitude", _float, _KEEP),
        _f("lon", "Longitude", _float, _KEEP),
        _f("nav_status", "Navigational status", _text_code(DMA_NAV_STATUS, 0, 15),
           "text -> ITU code (table below)"),
        _f("sog_knots", "SOG", _float, _KEEP),
        _f("cog_deg", "COG", _float, _KEEP),
        _f("heading_deg", "Heading", _float, _KEEP),
        _f("imo", "IMO", _imo, "`Unknown` and 0 = null"),
        _f("callsign", "Callsign", _upper, "trimmed, upper case"),
        _f("name", "Name", _upper, "trimmed, upper case"),
        _f("ship_type", "Ship type", _text_code(DMA_SHIP_TYPE, 1, 32767),
           "text -> representative ITU code (table below), `Undefined` = null"),
        _f("width_m", "Width", _positive, "metres, 0 = null"),
        _f("length_m", "Length", _positive, "metres, 0 = null"),
        _f("draught_m", "Draught", _positive, "metres, 0 = null"),
        _f("destination", "Destination", _text, "trimmed"),
    ),
    identify=("Type of mobile",),
)

MOVINGPANDAS_DMA = Layout(
    "movingpandas_dma",
    "DMA data as saved by MovingPandas / QGIS Trajectools (e.g. the Gothenburg GeoPackage); "
    "in a GeoPackage the position comes from the point geometry.",
    (
        _f("timestamp", "Timestamp", _ts(_DMA_TIME), _DMA_TIME_NOTE),
        _f("mmsi", "MMSI", _int_in(0, _MMSI_MAX), _MMSI),
        _f("lat", "Latitude", _float, _KEEP + " (GeoPackage: point y)"),
        _f("lon", "Longitude", _float, _KEEP + " (GeoPackage: point x)"),
        _f("nav_status", "NavStatus", _text_code(DMA_NAV_STATUS, 0, 15), "text -> ITU code"),
        _f("sog_knots", "SOG", _float, _KEEP),
        _f("cog_deg", "COG", _float, _KEEP),
        _f("name", "Name", _upper, "trimmed, upper case"),
        _f("ship_type", "ShipType", _text_code(DMA_SHIP_TYPE, 1, 32767), "text -> ITU code"),
    ),
    identify=("NavStatus",),
)

AISDB_MESSAGES = Layout(
    "aisdb_messages",
    "Decoded message-level CSV as in AISViz/AISdb test data (about 120 columns, one row per AIS "
    "message). Rows of message types 5 and 24 carry no position and give vessel reports "
    "only; types other than 1, 2, 3, 5, 18, 19, 24, 27 are rejected as `not_vessel_data`.",
    (
        _f("mmsi", "MMSI", _int_in(0, _MMSI_MAX), _MMSI),
        _f("msg_type", "Message_ID", _int_in(1, 27), "integer 1-27"),
        _f("ais_class", "Message_ID", _msg_class, "types 1, 2, 3, 5 -> `A`; 18, 19, 24 -> `B`"),
        _f(KIND, "Message_ID", _msg_kind, "non-vessel message types are rejected"),
        _f("timestamp", "Time", _ts("%Y%m%d_%H%M%S"), "`YYYYmmdd_HHMMSS` (or ISO 8601), UTC"),
        _f("lat", "Latitude", _float, _KEEP),
        _f("lon", "Longitude", _float, _KEEP),
        _f("sog_knots", "SOG", _float, _KEEP),
        _f("cog_deg", "COG", _float, _KEEP + " (`None` = null)"),
        _f("heading_deg", "Heading", _float, _KEEP + " (`None` = null)"),
        _f("nav_status", "Navigational_status", _int_in(0, 15), "integer 0-15"),
        _f("name", "Vessel_Name", _upper, "trimmed, upper case, `@` removed"),
        _f("callsign", "Call_sign", _upper, "trimmed, upper case"),
        _f("imo", "IMO", _imo, "0 = null"),
        _f("ship_type", "Ship_Type", _ship_type, "integer, 0 = null"),
        _f("length_m", ("Dimension_to_Bow", "Dimension_to_stern"), _dimension_sum,
           "bow + stern, metres, 0 = null"),
        _f("width_m", ("Dimension_to_port", "Dimension_to_starboard"), _dimension_sum,
           "port + starboard, metres, 0 = null"),
        _f("draught_m", "Draught", _decimetres, "decimetres (raw AIS units) / 10, 0 = null"),
        _f("destination", "Destination", _text, "trimmed, `@` removed"),
    ),
    identify=("Message_ID",),
)

SOLENT = Layout(
    "solent",
    "Dstl Stone Soup Solent recording (`SolentAIS_20160112_130211.csv`): positions only.",
    (
        _f("timestamp", "Time", _ts_iso, "ISO 8601 with milliseconds, UTC"),
        _f("mmsi", "MMSI", _int_in(0, _MMSI_MAX), _MMSI),
        _f("lat", "Latitude_degrees", _float, _KEEP),
        _f("lon", "Longitude_degrees", _float, _KEEP),
        _f("cog_deg", "COG_degrees", _float, _KEEP),
        _f("sog_knots", "SOG_knots", _float, _KEEP),
    ),
)

CANONICAL = Layout(
    "canonical",
    "sanctionwatch's own column names: the `positions` columns, optionally with the static "
    "`vessel_reports` columns in the same file. `source` and `record` columns, if present, "
    "are ignored (provenance is always this file).",
    (
        _f("mmsi", "mmsi", _int_in(0, _MMSI_MAX), _MMSI),
        _f("timestamp", "timestamp", _ts_iso, "ISO 8601; naive = UTC, offsets converted"),
        _f("lat", "lat", _float, _KEEP),
        _f("lon", "lon", _float, _KEEP),
        _f("sog_knots", "sog_knots", _float, _KEEP),
        _f("cog_deg", "cog_deg", _float, _KEEP),
        _f("heading_deg", "heading_deg", _float, _KEEP),
        _f("nav_status", "nav_status", _int_in(0, 15), "integer 0-15"),
        _f("msg_type", "msg_type", _int_in(1, 27), "integer 1-27"),
        _f("ais_class", "ais_class", _ais_class, "`A` / `B`"),
        _f("receiver", "receiver", _text, "trimmed"),
        _f("imo", "imo", _imo, "0 = null"),
        _f("name", "name", _upper, "trimmed, upper case"),
        _f("callsign", "callsign", _upper, "trimmed, upper case"),
        _f("ship_type", "ship_type", _ship_type, "integer, 0 = null"),
        _f("draught_m", "draught_m", _positive, "metres, 0 = null"),
        _f("destination", "destination", _text, "trimmed"),
        _f("length_m", "length_m", _positive, "metres, 0 = null"),
        _f("width_m", "width_m", _positive, "metres, 0 = null"),
        _f("flag", "flag", _upper, "ISO 3166-1 alpha-2, upper case"),
    ),
)

LAYOUTS: dict[str, Layout] = {
    lay.name: lay
    for lay in (MARINECADASTRE, DMA_AISDK, MOVINGPANDAS_DMA, AISDB_MESSAGES, SOLENT, CANONICAL)
}
"""Known layouts by name."""


def _sniff(columns: Iterable[str], provided: Iterable[str] = ()) -> Layout | None:
    have = {_norm(c) for c in columns}
    prov = tuple(provided)
    best: tuple[int, Layout] | None = None
    for lay in LAYOUTS.values():
        if lay.required(prov) <= have:
            score = len(lay.sources() & have)
            if best is None or score > best[0]:
                best = (score, lay)
    return best[1] if best else None


def sniff_layout(columns: Sequence[str]) -> str | None:
    """Name of the layout a header belongs to, or None when no layout fits.

    A layout fits when all its identifying columns are present (case and whitespace are
    ignored, extra columns are allowed); when several fit, the one reading most columns wins.
    """
    lay = _sniff(columns)
    return lay.name if lay else None


def resolve_layout(source: str, columns: Sequence[str], layout: str | None,
                   provided: Iterable[str] = ()) -> Layout:
    """The layout to read ``source`` with: ``layout`` if given (checked), else sniffed."""
    prov = tuple(provided)
    known = ", ".join(LAYOUTS)
    if layout is None:
        lay = _sniff(columns, prov)
        if lay is None:
            raise FormatError(
                f"{source}: the header matches no known AIS layout (known: {known}); "
                f"columns: {', '.join(columns)[:300]}"
            )
        return lay
    if layout not in LAYOUTS:
        raise FormatError(f"{source}: unknown layout {layout!r} (known: {known})")
    lay = LAYOUTS[layout]
    missing = lay.required(prov) - {_norm(c) for c in columns}
    if missing:
        names = {_norm(s): s for f in lay.fields for s in f.sources} | {
            _norm(c): c for c in lay.identify}
        raise FormatError(
            f"{source}: layout {layout!r} needs columns that are missing: "
            + ", ".join(sorted(names[m] for m in missing))
        )
    return lay


# ------------------------------------------------------------------------------- conversion


_SRC = "__sw_src:"  # prefixes keep internal columns apart from any source column name
_REC = "__sw_record"
_GEOM = "__sw_geom_"
_PRE = "__sw_pre:"
_VALUE = "__sw_value"
_ENGINE: Final = "in-memory"
"""Polars engine of the typed path's queries and of those on a few rows: it starts a query
at a fraction of the streaming engine's cost, which is most of theirs. (The text path's
string parsing keeps the default engine, which costs less there.)"""


def _dictionary(arr: pa.Array | pa.ChunkedArray) -> tuple[pl.Series, pa.Array]:
    """Codes (null for null) and distinct values of a text column."""
    if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 1:
        arr = arr.chunk(0)
    if isinstance(arr, pa.ChunkedArray):
        if pa.types.is_dictionary(arr.type):
            arr = arr.cast(arr.type.value_type)  # chunks may have different dictionaries
        arr = arr.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    return pl.Series(arr.indices), arr.dictionary


_EXPRESSIONS: dict[Hashable, Any] = {}


def _cached(key: Hashable, build: Callable[[], _T]) -> _T:
    """``build()``, kept by ``key``: the configuration (layout, header, typed columns) that
    the expressions depend on. Building them costs more than evaluating them on a batch,
    and the files of one export share them."""
    built: _T | None = _EXPRESSIONS.get(key)
    if built is None:
        if len(_EXPRESSIONS) >= 256:
            _EXPRESSIONS.clear()
        built = _EXPRESSIONS[key] = build()
    return built


_BEFORE = "__sw_before"


def _differs(cols: Sequence[str], suffix: str = "") -> pl.Expr:
    """Whether any of ``cols`` differs (nulls equal) from its counterpart: the column shifted
    by a row, or the column named with ``suffix``."""
    def other(c: str) -> pl.Expr:
        return pl.col(c + suffix) if suffix else pl.col(c).shift(1)

    return pl.any_horizontal([pl.col(c).ne_missing(other(c)) for c in cols]) if cols else (
        pl.lit(False))


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """The stable sort order of integer ``keys``."""
    shift = max(len(keys) - 1, 1).bit_length()
    if len(keys) and keys.min() >= 0 and keys.max() < 1 << (62 - shift):
        # Keys made unique by their position sort in the same order with any sort, and the
        # default one is several times faster than the stable one.
        return np.argsort((keys.astype(np.int64) << shift) | np.arange(len(keys)))
    return np.argsort(keys, kind="stable")


@cache
def _schema(table: Table) -> Mapping[str, pl.DataType]:
    """``table.polars_schema()``, built once (it costs a conversion from Arrow)."""
    return table.polars_schema()


def _spell(values: pl.Series, codes: pl.Series) -> pl.Series:
    """The texts of ``codes`` (null for null) in their distinct ``values``."""
    if values.len() == 1 and not codes.has_nulls():
        return values.new_from_index(0, codes.len())  # one text: no gather
    return values.gather(codes)


def _is_text(atype: pa.DataType) -> bool:
    if pa.types.is_dictionary(atype):
        atype = atype.value_type
    return bool(pa.types.is_string(atype) or pa.types.is_large_string(atype)
                or pa.types.is_string_view(atype))


_EXACT_TIME_UNITS = ("s", "ms", "us")


def _typed_parser(parse: Parser) -> Parser:
    if parse in _TYPED_SPECIAL:
        return _TYPED_SPECIAL[parse]
    return _TYPED_TIME.get(parse, parse)


def _typed_ok(parse: Parser, atype: pa.DataType, target: pl.DataType | None) -> bool:
    """Whether ``parse`` has a typed form that is exact on a column of arrow type ``atype``
    (whose canonical column is ``target``)."""
    is_int = pa.types.is_integer(atype)
    is_f64 = pa.types.is_float64(atype)
    if parse in _TYPED_INT or parse in _TYPED_SPECIAL:
        return bool(is_int or is_f64)
    if parse in _TYPED_FLOAT:
        f32_ok = (pa.types.is_float32(atype) and target == pl.Float32
                  and parse is not _decimetres)
        return bool(is_int or is_f64 or f32_ok)
    if parse in _TYPED_TIME:
        return bool(pa.types.is_timestamp(atype) and atype.unit in _EXACT_TIME_UNITS
                    and atype.tz in (None, "UTC"))
    return False


def _present(e: pl.Expr) -> pl.Expr:
    return e.is_not_null() & ~e.str.to_lowercase().is_in(MISSING_TOKENS)


class RowConverter:
    """Turns batches of text rows of one file into canonical batches.

    Keeps the last emitted static tuple per MMSI, so vessel reports are emitted only when a
    vessel's static data first appears or changes, across batches.
    """

    def __init__(self, layout: Layout, columns: Sequence[str], source: str, *, strict: bool,
                 provided: Iterable[str] = ()) -> None:
        self.layout = layout
        self.source = source
        self.strict = strict
        self.provided = frozenset(provided)
        by_norm: dict[str, str] = {}
        for c in columns:
            by_norm.setdefault(_norm(c), c)
        self._col = by_norm
        self.fields = [
            f for f in layout.fields
            if f.target not in self.provided and any(_norm(s) in by_norm for s in f.sources)
        ]
        self.used = sorted({by_norm[_norm(s)] for f in self.fields for s in f.sources
                            if _norm(s) in by_norm})
        self.targets = {f.target for f in self.fields} | self.provided
        self.static = [t for t in STATIC if t in self.targets]
        report_cols = [*self.static, *(["ais_class"] if "ais_class" in self.targets else [])]
        self.report_cols = report_cols
        rschema = _schema(VESSEL_REPORTS)
        self._last = pl.DataFrame(schema={c: rschema[c] for c in ["mmsi", *report_cols]})
        self._gpkg = "lat" in self.provided
        self._readers: dict[str, list[Field]] = {name: [] for name in self.used}
        for f in self.fields:  # the fields reading each used column
            for name in dict.fromkeys(by_norm[n] for n in map(_norm, f.sources) if n in by_norm):
                self._readers[name].append(f)
        core = {self._src(t) for t in CORE if t not in self.provided}
        self._by_value = {name for name, fs in self._readers.items()
                          if name not in core and all(len(f.sources) == 1 for f in fs)}
        self._config = (layout, tuple(columns), self.provided)
        self._empty_expr: tuple[tuple[tuple[str, ...], frozenset[str]], pl.Expr] | None = None
        self._values: dict[str, tuple[pa.Array, list[tuple[str, pl.Series, pl.Series | None]]]]
        self._values = {}
        self._pending: tuple[pl.DataFrame, Mapping[str, pl.Series]] | None = None

    @cached_property
    def _stages(self) -> list[list[pl.Expr]]:
        """The expressions of the text path (built when first needed: files read typed
        need them only for rejected rows)."""
        return _cached(("text", self._config), self._build_stages)

    def _src(self, target: str) -> str:
        return self._col[_norm(self.layout.core_source(target))]

    @staticmethod
    def _value_stages(fields: Sequence[Field]) -> tuple[pl.Expr, list[pl.Expr]]:
        """Cleaning and parsing of a text column's distinct values (column ``_VALUE``) into
        the fields that read it (columns ``_PRE + target``), see :meth:`_parse_by_value`."""
        clean = _nonempty(pl.col(_VALUE).cast(pl.String).str.strip_chars()).alias(_VALUE)
        return clean, [f.parse(pl.col(_VALUE)).alias(_PRE + f.target) for f in fields]

    def _parse_by_value(self, batch: pa.RecordBatch | pa.Table, names: Iterable[str]
                        ) -> tuple[list[pl.Series], dict[str, pl.Series]]:
        """The fields read from the text columns ``names`` of ``batch`` (keys of
        ``_by_value``), parsed once per distinct value and spread back to the rows.

        Text columns repeat few values (names, call signs, classes over a vessel's many
        positions); parsers are elementwise, so this gives what parsing every row gives.
        Fields parsed to text come as codes (null for null) into their distinct parsed
        values, returned by target: rows compare by code, and only the emitted rows are
        spelled out (:meth:`_decode`).
        """
        out: list[pl.Series] = []
        coded: dict[str, pl.Series] = {}
        for name in names:
            codes, values = _dictionary(batch.column(name))
            last = self._values.get(name)
            if last is None or not last[0].equals(values):
                # The batches of a Parquet row group share its dictionary: parsed once.
                last = self._values[name] = (values, self._parse_values(name, values))
            for target, parsed, recode in last[1]:
                if recode is None:
                    out.append(parsed.gather(codes))
                    continue
                # Empty codes: the column's codes serve as they are.
                out.append((recode.gather(codes) if recode.len() else codes)
                           .alias(_PRE + target))
                coded[target] = parsed
        return out, coded

    def _parse_values(self, name: str, values: pa.Array
                      ) -> list[tuple[str, pl.Series, pl.Series | None]]:
        """The fields reading text column ``name`` on its distinct ``values``: per field its
        target, and its values, or (text fields) its distinct texts and the code of each of
        ``values`` in them (empty when distinct values parse to distinct texts)."""
        fields = tuple(self._readers[name])
        clean, parse = _cached(("value", fields), partial(self._value_stages, fields))
        # one chunk: gathering from a chunked column is many times slower
        parsed = (pl.DataFrame({_VALUE: pl.Series(values)}).lazy().select(clean).select(parse)
                  .collect(engine=_ENGINE).rechunk())
        out: list[tuple[str, pl.Series, pl.Series | None]] = []
        for f, s in zip(fields, parsed.iter_columns(), strict=True):
            if s.dtype != pl.String:
                out.append((f.target, s, None))
            elif s.null_count() == 0 and s.n_unique() == s.len():
                out.append((f.target, s, pl.Series([], dtype=pl.Int32)))
            else:
                # Values parsing to the same text (" abc", "ABC") share a code.
                enc = pc.dictionary_encode(s.to_arrow())
                out.append((f.target, pl.Series(enc.dictionary), pl.Series(enc.indices)))
        return out

    @staticmethod
    def _decode(df: pl.DataFrame, coded: Mapping[str, pl.Series]) -> pl.DataFrame:
        """``df`` with its coded text columns (:meth:`_parse_by_value`) spelled out."""
        cols = [_spell(coded[c], df[c]).alias(c) for c in df.columns if c in coded]
        return df.with_columns(cols) if cols else df

    def _same(self, df: pl.DataFrame, typed: Mapping[str, pl.DataType]) -> frozenset[str]:
        """Targets whose typed parser gives back the values of its column of ``df`` (the
        column is already canonical): integers within the parser's bounds, floats without
        NaN (whose payload a Float32 -> Float64 -> Float32 round trip may change), and, for
        positive-only fields, above 0."""
        same = set()
        for f in self.fields:
            name = self._col.get(_norm(f.sources[0])) if len(f.sources) == 1 else None
            if name not in typed or name not in df.columns:
                continue
            col = df[name]
            if f.parse in _KEEPS_INT and col.dtype.is_integer():
                lo, hi = _KEEPS_INT[f.parse]
                low, high = col.min(), col.max()
                ok = low is None or (isinstance(low, int) and isinstance(high, int)
                                     and lo <= low and high <= hi)
            elif f.parse is _float and col.dtype == pl.Float32:
                ok = not col.is_nan().any()
            elif f.parse is _positive and col.dtype.is_float():
                low = col.min()
                ok = not col.is_nan().any() and (
                    low is None or (isinstance(low, float) and low > 0))
            else:
                ok = False  # Float64 under ``_float``: its cast costs nothing anyway
            if ok:
                same.add(f.target)
        return frozenset(same)

    def _build_stages(self, typed: Mapping[str, pl.DataType] | None = None,
                      by_value: Iterable[str] = (), same: Iterable[str] = ()
                      ) -> list[list[pl.Expr]]:
        """The per-batch expressions, built once per file (building them costs more than
        evaluating them on a small batch).

        ``typed``: source columns read with their own (numeric or timestamp) type rather than
        as text, see :meth:`typed_columns`; their fields use the typed form of their parser.
        ``by_value``: text columns whose fields come parsed (:meth:`_parse_by_value`).
        ``same``: targets that are their typed column as it is (:meth:`_same`).
        The last stage gives the reject rule (``_rule``, :meth:`_rule_expr`); the reasons and
        details of the rejected rows come from their text parse (:meth:`_reject_exprs`).
        """
        typed = typed or {}
        pre = set(by_value)
        keep = set(same)

        def col(name: str) -> pl.Expr:
            n = _norm(name)
            return pl.col(_SRC + self._col[n]) if n in self._col else pl.lit(None, pl.String)

        def parse_field(f: Field) -> pl.Expr:
            if len(f.sources) == 1 and self._col.get(_norm(f.sources[0])) in pre:
                return pl.col(_PRE + f.target)
            if len(f.sources) == 1 and self._col.get(_norm(f.sources[0])) in typed:
                return col(f.sources[0]) if f.target in keep else (
                    _typed_parser(f.parse)(col(f.sources[0])))
            return f.parse(*[col(s) for s in f.sources])

        parse: list[pl.Expr] = [pl.col(_REC).alias("record"), pl.col("_empty")]
        parse += [parse_field(f).alias(f.target) for f in self.fields]
        for t in CORE:
            if t not in self.provided:
                name = self._src(t)
                src = pl.col(_SRC + name)
                if name in typed:
                    # The text of a NaN is "nan", a missing token; no other number or time
                    # has an empty or missing-token text. No raw text (it only feeds reject
                    # details, which come from the text parse of the rejected rows).
                    has = src.is_not_null()
                    if typed[name].is_float():
                        has = has & ~src.is_nan()
                    parse += [has.alias(f"_has_{t}")]
                else:
                    parse += [_present(src).alias(f"_has_{t}"), src.alias(f"_raw_{t}")]
        if self._gpkg:
            parse += [pl.col(_GEOM + "lat").alias("lat"), pl.col(_GEOM + "lon").alias("lon"),
                      pl.col(_GEOM + "has").alias("_has_lat"),
                      pl.col(_GEOM + "has").alias("_has_lon"),
                      pl.col(_GEOM + "error").alias("_geom_error")]
        else:
            parse += [pl.lit(None, pl.String).alias("_geom_error")]
        if KIND not in self.targets:
            parse += [pl.lit(None, pl.String).alias(KIND)]
        has_static = (pl.any_horizontal([pl.col(t).is_not_null() for t in self.static])
                      if self.static else pl.lit(False))
        flags = [has_static.alias("_has_static"),
                 (pl.col("_has_lat") | pl.col("_has_lon")).alias("_is_pos")]
        return [parse, flags, [self._rule_expr().alias("_rule")]]

    def _empty(self, columns: Sequence[str], typed: Iterable[str] = ()) -> pl.Expr:
        keep = frozenset(typed)
        key = (tuple(columns), keep)
        if self._empty_expr is None or self._empty_expr[0] != key:
            expr = pl.all_horizontal(
                [pl.col(c).is_null() if c in keep else
                 pl.col(c).is_null() | (pl.col(c).cast(pl.String).str.strip_chars() == "")
                 for c in columns]
            ) if columns and not self._gpkg else pl.lit(False)
            self._empty_expr = (key, expr.alias("_empty"))
        return self._empty_expr[1]

    def typed_columns(self, schema: pa.Schema) -> dict[str, pl.DataType]:
        """Source columns of ``schema`` that can be parsed in their own type: every field
        reading them has a typed parser that gives exactly what it gives on their text.

        Used by the Parquet reader to skip the number -> text -> number round trip.
        """
        targets = {**_schema(POSITIONS), **_schema(VESSEL_REPORTS)}
        out: dict[str, pl.DataType] = {}
        if self._gpkg:
            return out
        for name in self.used:
            if name not in schema.names:
                continue
            atype = schema.field(name).type
            readers = self._readers[name]
            ok = bool(readers) and all(
                len(f.sources) == 1 and _typed_ok(f.parse, atype, targets.get(f.target))
                for f in readers
            )
            if ok:
                out[name] = pl.Series(pa.array([], atype)).dtype
        return out

    def text_columns(self, schema: pa.Schema) -> list[str]:
        """Text columns of ``schema`` that the typed path parses once per distinct value
        (:meth:`_parse_by_value`); the Parquet reader reads them dictionary-encoded."""
        return [c for c in self.used if c in self._by_value
                and c in schema.names and _is_text(schema.field(c).type)]

    def csv_typed_candidates(self) -> tuple[list[str], list[str]]:
        """Source columns a CSV batch may pass typed (see :func:`_csv_typed`): those whose
        every reader is exact on a Float64 column, and those read only by the ISO 8601 time
        parser."""
        targets = {**_schema(POSITIONS), **_schema(VESSEL_REPORTS)}
        numeric: list[str] = []
        times: list[str] = []
        if self._gpkg:
            return numeric, times
        for name in self.used:
            readers = self._readers[name]
            if not readers or any(len(f.sources) != 1 for f in readers):
                continue
            if all(_typed_ok(f.parse, pa.float64(), targets.get(f.target)) for f in readers):
                numeric.append(name)
            elif all(f.parse is _ts_iso for f in readers):
                times.append(name)
        return numeric, times

    def convert_typed(self, batch: pa.RecordBatch | pa.Table, record: pl.Series,
                      typed: Mapping[str, pl.DataType],
                      extra_rejects: pl.DataFrame | None = None,
                      text: pa.RecordBatch | pa.Table | None = None) -> Batch | None:
        """Convert one batch with ``typed`` columns (:meth:`typed_columns`) in their
        own type and the rest as text; None when any row would be rejected, for the caller to
        redo the batch as text, which gives rejects their raw text and details.
        ``extra_rejects`` as in :meth:`convert`.

        ``text``: the batch as read, all text (CSV) or with its own types (Parquet). Rows are
        converted independently, so with it the rejected rows alone are redone as text (for
        their raw text and details); None only if their reasons were to differ.

        Text columns read by single-source fields are parsed once per distinct value
        (:meth:`_parse_by_value`); reject details are left to the text redo."""
        names = batch.schema.names
        by_value = frozenset(c for c in self.text_columns(batch.schema) if c not in typed)
        # A typed column without nulls (a number or time in every row): no row is empty.
        no_empty = any(batch.column(c).null_count == 0 for c in typed if c in names)
        if no_empty:
            # Only the columns parsed here are needed (every row is accepted, or the
            # rejected ones are redone from ``text``, so no raw text comes from ``df``).
            df = _as_text(batch.select([c for c in names if c in self.used
                                        and c not in by_value]), keep=typed)
            empty = pl.lit(False).alias("_empty")
        else:
            df = _as_text(batch, keep=typed)
            empty = self._empty(df.columns, typed)
        same = self._same(df, typed)
        key = ("typed", self._config, frozenset((k, str(v)) for k, v in typed.items()),
               by_value, same)
        stages = _cached(key, lambda: self._build_stages(typed, by_value, same))
        pre, coded = self._parse_by_value(batch, sorted(by_value))
        lf = (
            df.lazy()
            .with_columns(record.cast(pl.Int64).alias(_REC), *pre)
            .select(pl.col(_REC), *[pl.col(s.name) for s in pre],
                    *[(pl.col(c) if c in typed else
                       _nonempty(pl.col(c).cast(pl.String).str.strip_chars())).alias(_SRC + c)
                      for c in self.used if c not in by_value],
                    empty)
            .select(stages[0])
            .with_columns(stages[1])
            .with_columns(stages[2])
        )
        p = lf.collect(engine=_ENGINE)
        if p["_rule"].null_count() == p.height:
            return self._emit(p, None, None, extra_rejects, coded)
        if text is None:
            return None
        mask = p["_rule"].is_not_null()
        rows = _as_text(text.filter(pa.array(mask.to_arrow())))
        sub = self._text_parse(rows, record.filter(mask))
        if not sub["_rule"].equals(p["_rule"].filter(mask)):
            return None  # cannot happen (typed columns parse as their text); be safe
        return self._emit(p, rows, sub, extra_rejects, coded)

    def convert(self, df: pl.DataFrame, record: pl.Series,
                geometry: pl.DataFrame | None = None,
                extra_rejects: pl.DataFrame | None = None) -> Batch:
        """Convert one batch.

        ``df`` holds the source columns as text, ``record`` the 1-based record numbers.
        ``geometry`` (GeoPackage) supplies ``lat``, ``lon``, ``_has_pos`` and ``_geom_error``.
        ``extra_rejects`` (REJECTS rows found while reading) are merged in record order.
        """
        if self._gpkg != (geometry is not None):
            raise ValueError("geometry must be given exactly when lat/lon are provided")
        inputs = [record.cast(pl.Int64).alias(_REC)]
        if geometry is not None:
            inputs += [geometry["lat"].alias(_GEOM + "lat"), geometry["lon"].alias(_GEOM + "lon"),
                       geometry["_has_pos"].alias(_GEOM + "has"),
                       geometry["_geom_error"].alias(_GEOM + "error")]
        clean = [_nonempty(pl.col(c).cast(pl.String).str.strip_chars()).alias(_SRC + c)
                 for c in self.used]
        lf = (
            df.lazy()
            .with_columns(inputs)
            .select(pl.col(_REC), pl.col(f"^{_GEOM}.*$"), *clean, self._empty(df.columns))
            .select(self._stages[0])
            .with_columns(self._stages[1])
            .with_columns(self._stages[2])
        )
        p = lf.collect()
        if p["_rule"].null_count() == p.height:
            return self._emit(p, None, None, extra_rejects)
        mask = p["_rule"].is_not_null()
        return self._emit(p, df.filter(mask), p.filter(mask), extra_rejects)

    def _text_parse(self, df: pl.DataFrame, record: pl.Series) -> pl.DataFrame:
        """The parsed rows of a text batch (no geometry), before :meth:`_emit`."""
        clean = [_nonempty(pl.col(c).cast(pl.String).str.strip_chars()).alias(_SRC + c)
                 for c in self.used]
        return (
            df.lazy()
            .with_columns(record.cast(pl.Int64).alias(_REC))
            .select(pl.col(_REC), *clean, self._empty(df.columns))
            .select(self._stages[0])
            .with_columns(self._stages[1])
            .with_columns(self._stages[2])
            .collect(engine=_ENGINE)
        )

    def _emit(self, p: pl.DataFrame, rows: pl.DataFrame | None, rejected: pl.DataFrame | None,
              extra_rejects: pl.DataFrame | None,
              coded: Mapping[str, pl.Series] | None = None) -> Batch:
        """The canonical batch of the parsed rows ``p``. ``rows`` and ``rejected``: the source
        rows (text) and the text parse of the rejected rows of ``p``, None when there are
        none. ``coded``: the coded text columns of ``p`` (:meth:`_parse_by_value`)."""
        coded = coded or {}
        ok = pl.col("_rule").is_null()
        every = rejected is None
        positions = self._conform(
            p, POSITIONS, None if every and p["_is_pos"].all() else ok & pl.col("_is_pos"),
            coded)
        schema = _schema(VESSEL_REPORTS)
        # Compared in their report type (as emitted), text by code.
        rep = p.select(pl.col(c) if c in coded else pl.col(c).cast(schema[c])
                       for c in ["mmsi", "timestamp", *self.report_cols, "record"])
        if not (every and p["_has_static"].all()):
            rep = rep.filter(p.select(ok & pl.col("_has_static")).to_series())
        reports = self._dedup(rep, coded)
        return Batch(positions, reports, self._rejects(rows, rejected, extra_rejects))

    def _conform(self, p: pl.DataFrame, table: Table, keep: pl.Expr | None,
                 coded: Mapping[str, pl.Series]) -> pl.DataFrame:
        """The rows of ``p`` where ``keep`` holds (None: all rows) as rows of ``table``
        (:meth:`Table.conform`), with this file as their source."""
        schema = _schema(table)
        have = [c for c in table.names if c in self.targets or c == "record"]
        if keep is not None:
            p = p.lazy().filter(keep).select(have).collect(engine=_ENGINE)
        cols = [(_spell(coded[c], p[c]) if c in coded else p[c]).cast(schema[c]).alias(c)
                for c in have]
        return pl.DataFrame(cols).select(
            pl.col(c) if c in have else
            pl.lit(self.source if c == "source" else None, schema[c]).alias(c)
            for c in table.names)

    def _rules(self, gpkg: bool) -> list[tuple[pl.Expr, str, pl.Expr]]:
        """The reject rules, in order: condition, reason and detail."""
        def name(t: str) -> str:
            return "geometry" if t in self.provided else self._src(t)

        def bad(t: str) -> pl.Expr:
            return pl.concat_str([pl.lit(f"{name(t)}='"), pl.col(f"_raw_{t}"), pl.lit("'")])

        no_pos = pl.col("_is_pos").not_()
        pos_words = "geometry is null or empty" if gpkg else (
            f"{name('lat')} and {name('lon')} are empty")
        rules: list[tuple[pl.Expr, str, pl.Expr]] = [
            (pl.col("_empty"), "empty_row", pl.lit("every field is empty")),
            (~pl.col("_has_mmsi"), "missing_field", pl.lit(f"{name('mmsi')} is empty")),
            (pl.col("mmsi").is_null(), "bad_mmsi", bad("mmsi")),
            (~pl.col("_has_timestamp"), "missing_field",
             pl.lit(f"{name('timestamp')} is empty")),
            (pl.col("timestamp").is_null(), "bad_timestamp", bad("timestamp")),
            (pl.col(KIND).is_not_null(), "not_vessel_data", pl.col(KIND)),
            (no_pos & ~pl.col("_has_static"), "missing_field",
             pl.lit(f"{pos_words} and there is no static data")),
            (pl.col("_geom_error").is_not_null(), "bad_geometry", pl.col("_geom_error")),
        ]
        if not gpkg:
            for t in ("lat", "lon"):
                rules.append((~pl.col(f"_has_{t}") & ~no_pos, "missing_field",
                              pl.lit(f"{name(t)} is empty")))
            for t in ("lat", "lon"):
                rules.append((pl.col(t).is_null() & ~no_pos, "bad_coordinate", bad(t)))
        return rules

    def _rule_expr(self) -> pl.Expr:
        """The index of the first reject rule that holds (its reason is the row's), null for
        an accepted row."""
        return pl.coalesce([pl.when(c).then(pl.lit(i, pl.UInt8))
                            for i, (c, _, _) in enumerate(self._rules(self._gpkg))])

    @cached_property
    def _reject_exprs(self) -> list[pl.Expr]:
        """Reason and detail of the rejected rows of a text parse."""
        rules = self._rules(self._gpkg)
        idx = pl.col("_rule")
        reason = idx.replace_strict({i: r[1] for i, r in enumerate(rules)}, default=None,
                                    return_dtype=pl.String)
        detail = pl.coalesce([pl.when(idx == i).then(r[2]) for i, r in enumerate(rules)])
        return [reason.alias("reason"), detail.alias("detail")]

    def _dedup(self, rep: pl.DataFrame, coded: Mapping[str, pl.Series]) -> pl.DataFrame:
        """The rows of ``rep`` whose static tuple differs from their vessel's row before
        (the carried tuple before its first row), as vessel reports. Text columns in
        ``coded`` come as codes (:meth:`_parse_by_value`)."""
        if rep.height == 0:
            return self._conform(rep, VESSEL_REPORTS, None, coded)
        self._carry()
        mmsi = rep["mmsi"].to_numpy()
        keep = self._changes(rep)
        # Runs of one vessel's consecutive rows: within a run, a row's row before is the row
        # above; a run's first row compares with the last row of the vessel's run before, or
        # with the carried tuple.
        start = np.ones(len(mmsi), dtype=bool)
        start[1:] = mmsi[1:] != mmsi[:-1]
        first = np.flatnonzero(start)
        last = np.append(first[1:], len(mmsi)) - 1
        order = _stable_order(mmsi[first])  # runs by vessel, in file order
        by_vessel = mmsi[first][order]
        again = by_vessel[1:] == by_vessel[:-1]  # run order[k + 1] follows run order[k]
        later = first[order[1:][again]]
        if len(later):
            keep[later] = self._differ(rep[later], rep[last[order[:-1][again]]])
        firsts = first[order[np.append(True, ~again)]]
        keep[firsts] = self._differ(self._decode(rep[firsts], coded), self._last) if (
            self._last.height) else True
        # Each vessel's last row, carried to the next batch (spelled out when needed).
        self._pending = (rep[last[order[np.append(~again, True)]]], coded)
        return self._conform(rep[np.flatnonzero(keep)], VESSEL_REPORTS, None, coded)

    @property
    def _carried(self) -> tuple[pl.DataFrame, Any]:
        """The state carried from batch to batch (the vessels' last static tuples), to go
        back to."""
        return self._last, self._pending

    @_carried.setter
    def _carried(self, state: tuple[pl.DataFrame, Any]) -> None:
        self._last, self._pending = state

    def _carry(self) -> None:
        """Fold the last rows of the batch before into the carried tuples (``_last``)."""
        if self._pending is None:
            return
        rows, coded = self._pending
        self._pending = None
        latest = self._decode(rows.select("mmsi", *self.report_cols), coded)
        self._last = pl.concat([self._last.join(latest, on="mmsi", how="anti"), latest],
                               how="vertical")

    def _changes(self, rep: pl.DataFrame) -> np.ndarray:
        """Whether each row of ``rep`` differs in ``report_cols`` from the row above (nulls
        equal; the first row: any value)."""
        out = np.zeros(rep.height, dtype=bool)
        rest = []
        for c in self.report_cols:
            s = rep[c]
            if s.null_count() == s.len():
                continue
            if s.null_count() == 0 and (s.dtype.is_integer() or (
                    s.dtype.is_float() and not s.is_nan().any())):
                # NumPy compares as Polars does here (no nulls; no NaN, -0.0 == 0.0), and
                # faster.
                v = s.to_numpy()
                out[1:] |= v[1:] != v[:-1]
            else:
                rest.append(c)
        if rest:
            out |= rep.select(_differs(rest)).to_series().to_numpy()
        return out

    def _differ(self, rows: pl.DataFrame, before: pl.DataFrame) -> np.ndarray:
        """Whether each of ``rows`` differs in ``report_cols`` from the row of ``before`` of
        its MMSI: ``before`` aligned with ``rows``, or (``_last``) one row per MMSI, where an
        MMSI without a row differs."""
        cols = self.report_cols
        if before is self._last:
            both = rows.join(before.with_columns(pl.lit(True).alias(_BEFORE)), on="mmsi",
                             how="left", suffix=_BEFORE, maintain_order="left")
            new = pl.col(_BEFORE).is_null()
        else:
            both = pl.concat([rows.select(cols),
                              before.select(pl.col(cols).name.suffix(_BEFORE))],
                             how="horizontal")
            new = pl.lit(False)
        return both.select(new | _differs(cols, _BEFORE)).to_series().to_numpy()

    def _rejects(self, rows: pl.DataFrame | None, rejected: pl.DataFrame | None,
                 extra: pl.DataFrame | None) -> pl.DataFrame:
        """The REJECTS rows of the ``rejected`` rows (text parse) of source rows ``rows``,
        and ``extra``; raises at the first when strict."""
        if rows is not None and rejected is not None and rejected.height:
            raw = rows.select(
                pl.concat_str([pl.col(c).cast(pl.String).fill_null("") for c in rows.columns],
                              separator=",").str.slice(0, RAW_MAX_CHARS).alias("raw")
            ).to_series() if rows.width else pl.Series("raw", [None] * rows.height,
                                                       dtype=pl.String)
            rej = REJECTS.conform(rejected.lazy().select(
                pl.lit(self.source).alias("source"), pl.col("record"), *self._reject_exprs,
            ).collect(engine=_ENGINE).with_columns(raw))
        else:
            rej = pl.DataFrame(schema=_schema(REJECTS))
        if extra is not None and extra.height:
            rej = pl.concat([rej, REJECTS.conform(extra)], how="vertical").sort("record")
        if self.strict and rej.height:
            first = rej.row(0, named=True)
            raise IngestError(self.source, first["record"], first["reason"],
                              first["detail"] or "")
        return rej


# ------------------------------------------------------------------------------------ CSV


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    if gz:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def _read_header(path: Path) -> tuple[list[str], str]:
    with _open_text(path) as fh:
        line = fh.readline()
    if not line.strip():
        raise FormatError(f"{path}: empty file or empty header line")
    delimiter = max(",;\t|", key=line.count)
    header = next(csv.reader([line], delimiter=delimiter))
    return header, delimiter


def _unique_names(header: Sequence[str]) -> list[str]:
    """Column names as given, with unnamed columns named `_colN` and duplicates suffixed."""
    out: list[str] = []
    seen: set[str] = set()
    for i, h in enumerate(header):
        name = h.strip() or f"_col{i}"
        while name in seen:
            name += "_dup"
        seen.add(name)
        out.append(name)
    return out


def _rebatch(batches: Iterable[pa.RecordBatch], n: int) -> Iterator[pa.Table]:
    buf: list[pa.RecordBatch] = []
    size = 0
    for b in batches:
        while b.num_rows:
            take = min(n - size, b.num_rows)
            buf.append(b.slice(0, take))
            size += take
            b = b.slice(take)
            if size == n:
                yield pa.Table.from_batches(buf)
                buf, size = [], 0
    if size:
        yield pa.Table.from_batches(buf)


_ISO_SECONDS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}$"
_ISO_DIGITS = [i for i, c in enumerate("dddd-dd-dd dd:dd:dd") if c == "d"]


def _all_iso_seconds(arr: pa.ChunkedArray) -> bool:
    """Whether every value of a text column matches ``_ISO_SECONDS`` (nulls aside)."""
    for chunk in arr.chunks:
        if chunk.null_count or not pa.types.is_string(chunk.type):
            if not pc.all(pc.match_substring_regex(chunk, _ISO_SECONDS)).as_py():
                return False
            continue
        # Without nulls, the values of 19 bytes each are the rows of a byte matrix: checked
        # at a fraction of the regular expression's cost.
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int32)[chunk.offset:][:len(chunk) + 1]
        if len(chunk) == 0:
            continue
        if not (np.diff(bounds) == 19).all():
            return False
        text = np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]].reshape(-1, 19)
        if not (((text[:, _ISO_DIGITS] - ord("0")) < 10).all()
                and (text[:, [4, 7]] == ord("-")).all() and (text[:, [13, 16]] == ord(":")).all()
                and np.isin(text[:, 10], [ord("T"), ord(" ")]).all()):
            return False
    return True


def _csv_typed(table: pa.Table, numeric: Sequence[str], times: Sequence[str]
               ) -> tuple[pa.Table, dict[str, pl.DataType]]:
    """Cast the text columns of one CSV batch that can be parsed typed.

    A column is cast only when every value casts (strict Arrow casts; an empty field becomes
    null), so that its typed parse provably equals the text parse:

    - ``numeric``: Arrow's and Polars' decimal parsers both round correctly and accept the
      same numbers; their spellings of NaN differ (``nan(1)``), so a column holding a NaN
      stays text. Fields like " 1" (which the text path strips) fail the cast: text.
    - ``times``: only when every value is exactly ``YYYY-MM-DD[T ]HH:MM:SS``, on which
      Arrow's ISO 8601 cast and the text path's ``%Y-%m-%dT%H:%M:%S%.f`` agree (a value that
      Arrow refuses, e.g. 24:00:00 or a leap second, leaves the column text).
    """
    typed: dict[str, pl.DataType] = {}
    null = pa.scalar(None, pa.string())
    for name in [*numeric, *times]:
        arr = table.column(name)
        empty = pc.equal(arr, "")
        if pc.any(empty).as_py():
            arr = pc.if_else(empty, null, arr)
        try:
            if name in times:
                if not _all_iso_seconds(arr):
                    continue
                out = pc.cast(arr, pa.timestamp("s"))
                dtype: pl.DataType = pl.Datetime("ms")
            else:
                out = pc.cast(arr, pa.float64())
                if pc.any(pc.is_nan(out)).as_py():
                    continue
                dtype = pl.Float64()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        table = table.set_column(table.schema.get_field_index(name), name, out)
        typed[name] = dtype
    return table, typed


def _line_numbers(k0: int, n: int, invalid_lines: list[int]) -> np.ndarray:
    """File line numbers of valid data rows k0 .. k0+n-1 (0-based among valid rows).

    The header is line 1; rows that pyarrow skipped as invalid are at ``invalid_lines``.
    The j-th invalid line L[j] has L[j] - j - 2 valid rows before it, so valid row k is
    pushed down by the number of invalid lines with that count <= k.
    """
    k = np.arange(k0, k0 + n, dtype=np.int64)
    if not invalid_lines:
        return k + 2
    lines = np.asarray(sorted(invalid_lines), dtype=np.int64)
    before = lines - np.arange(len(lines), dtype=np.int64) - 2
    return k + 2 + np.searchsorted(before, k, side="right")


def read_csv(path: str | Path, *, layout: str | None = None, strict: bool = False,
             batch_rows: int = 200_000) -> Iterator[Batch]:
    """Stream a CSV export (optionally gzip-compressed) as canonical batches.

    The layout is sniffed from the header unless given. ``record`` is the line number in the
    file (header = line 1). Rows with a bad MMSI, time or position become REJECTS rows, or
    raise :class:`IngestError` at the first one when ``strict``.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    p = Path(path)
    header, delimiter = _read_header(p)
    names = _unique_names(header)
    lay = resolve_layout(str(path), names, layout)
    conv = RowConverter(lay, names, str(path), strict=strict)
    return _iter_csv(p, str(path), names, delimiter, conv, batch_rows)


def _iter_csv(p: Path, source: str, names: list[str], delimiter: str, conv: RowConverter,
              batch_rows: int) -> Iterator[Batch]:
    invalid: list[tuple[int, str, str]] = []
    invalid_lines: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # Reading is single-threaded, so pyarrow knows the physical line number.
        invalid_lines.append(int(row.number))
        invalid.append((int(row.number),
                        f"expected {row.expected_columns} fields, found {row.actual_columns}",
                        row.text))
        return "skip"

    with p.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    stream = pa.input_stream(str(p), compression="gzip" if gz else None)
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False,
                                       block_size=4 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False),
    )
    done = 0
    emitted = 0

    def take_invalid(upto: int | None) -> pl.DataFrame | None:
        nonlocal emitted
        rows = [r for r in invalid[emitted:] if upto is None or r[0] < upto]
        emitted += len(rows)
        if not rows:
            return None
        return pl.DataFrame(
            {"source": [source] * len(rows), "record": [r[0] for r in rows],
             "reason": ["bad_row"] * len(rows), "detail": [r[1] for r in rows],
             "raw": [r[2][:RAW_MAX_CHARS] for r in rows]},
            schema=_schema(REJECTS),
        )

    numeric, times = conv.csv_typed_candidates()
    try:
        for table in _rebatch(reader, batch_rows):
            lines = _line_numbers(done, table.num_rows, invalid_lines)
            record = pl.Series("record", lines)
            done += table.num_rows
            extra = take_invalid(int(lines[-1]))
            cast, typed = _csv_typed(table, numeric, times)
            out = conv.convert_typed(cast, record, typed, extra, table) if typed else None
            if out is None:
                df = pl.from_arrow(table)
                assert isinstance(df, pl.DataFrame)
                out = conv.convert(df, record, extra_rejects=extra)
            yield out
    except pa.ArrowInvalid as exc:
        raise FormatError(f"{source}: cannot parse as CSV: {exc}") from exc
    extra = take_invalid(None)
    if extra is not None:
        empty = pl.DataFrame(schema={n: pl.String for n in names})
        yield conv.convert(empty, pl.Series("record", [], dtype=pl.Int64), extra_rejects=extra)


# -------------------------------------------------------------------------------- Parquet


def _as_text(batch: pa.RecordBatch | pa.Table, keep: Iterable[str] = ()) -> pl.DataFrame:
    """The batch as text columns, except those in ``keep`` (left in their own type)."""
    kept = set(keep)
    cols = {}
    for name, arr in zip(batch.schema.names, batch.columns, strict=True):
        if name in kept or pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            cols[name] = arr
            continue
        try:
            cols[name] = arr.cast(pa.large_string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            continue  # nested values: no layout maps them
    df = pl.from_arrow(pa.table(cols)) if cols else pl.DataFrame()
    assert isinstance(df, pl.DataFrame)
    return df


def read_parquet(path: str | Path, *, layout: str | None = None, strict: bool = False,
                 batch_rows: int = 200_000) -> Iterator[Batch]:
    """Stream a Parquet export as canonical batches (same layouts as CSV).

    ``record`` is the 1-based row index in the file. Numeric and timestamp columns on which
    a layout's parsers are exact are parsed in their own type, the others as text (text
    columns read dictionary-encoded, and parsed once per distinct value), so that every
    layout parses as it parses a CSV. Read so, a row group of up to 4 x ``batch_rows`` rows
    is read and converted at once; batches still hold ``batch_rows`` rows at most.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    pf = pq.ParquetFile(str(path))
    names = list(pf.schema_arrow.names)
    lay = resolve_layout(str(path), names, layout)
    conv = RowConverter(lay, names, str(path), strict=strict)
    text = conv.text_columns(pf.schema_arrow) if conv.typed_columns(pf.schema_arrow) else []
    if text:
        # The typed path parses text columns by distinct value: read them as dictionaries
        # (cheaper than materialising every row's string).
        pf.close()
        pf = pq.ParquetFile(str(path), read_dictionary=text)
    return _iter_parquet(pf, conv, batch_rows)


_WHOLE_GROUP = 4
"""The typed path converts a row group of up to this many times ``batch_rows`` rows at once:
converting and reading it whole costs less than batch by batch."""


def _iter_parquet(pf: pq.ParquetFile, conv: RowConverter, batch_rows: int) -> Iterator[Batch]:
    done = 0
    typed = conv.typed_columns(pf.schema_arrow)
    for group in range(pf.metadata.num_row_groups):
        rows = pf.metadata.row_group(group).num_rows
        if typed and 0 < rows <= _WHOLE_GROUP * batch_rows:
            yield from _convert_group(pf.read_row_group(group), done, conv, typed, batch_rows)
        else:
            for batch in pf.iter_batches(batch_size=batch_rows, row_groups=[group]):
                yield _convert_batch(batch, done, conv, typed)
                done += batch.num_rows
            continue
        done += rows


def _convert_batch(batch: pa.RecordBatch | pa.Table, done: int, conv: RowConverter,
                   typed: Mapping[str, pl.DataType]) -> Batch:
    """One batch of a Parquet file whose first row is row ``done + 1``."""
    record = pl.Series("record", np.arange(done + 1, done + batch.num_rows + 1))
    out = conv.convert_typed(batch, record, typed, text=batch) if typed else None
    return out if out is not None else conv.convert(_as_text(batch), record)


def _convert_group(table: pa.Table, done: int, conv: RowConverter,
                   typed: Mapping[str, pl.DataType], batch_rows: int) -> Iterator[Batch]:
    """The batches of ``batch_rows`` rows of a row group whose first row is row
    ``done + 1``, converted at once."""
    n = table.num_rows
    carried = conv._carried
    try:
        out = conv.convert_typed(table, pl.Series("record", np.arange(done + 1, done + n + 1)),
                                 typed, text=table)
    except IngestError:
        out = None  # strict: the batches before the bad record come first, as batch by batch
    if out is None:
        conv._carried = carried
        for k in range(0, n, batch_rows):
            yield _convert_batch(table.slice(k, batch_rows), done + k, conv, typed)
        return
    for k in range(0, n, batch_rows):
        bounds = [done + k + 1, done + min(k + batch_rows, n) + 1]
        yield Batch(*[df.slice(a, b - a) for df in (out.positions, out.reports, out.rejects)
                      for a, b in [np.searchsorted(df["record"].to_numpy(), bounds)]])


__all__ = [
    "LAYOUTS", "REASONS", "Field", "FormatError", "Layout", "RowConverter", "read_csv",
    "read_parquet", "resolve_layout", "sniff_layout",
]
