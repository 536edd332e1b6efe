"""The canonical tables of sanctionwatch.

Every table is declared once: the AIS tables (``positions``, ``vessel_reports``, ``rejects``)
and ``events`` here, the other tables of the store (``vessel_matches``, ``runs`` and the
sanctions lists) in :mod:`sanctionwatch.schema.store_tables`; :data:`TABLES` lists them all.
The Arrow schema, the Polars schema, the DuckDB DDL and the documentation tables in
``docs/schema.md`` are all derived from these declarations (see
:mod:`sanctionwatch.schema.base`), so they cannot drift apart. Units are in the column names
(``sog_knots``, ``draught_m``) and every timestamp is UTC.
"""

from __future__ import annotations

import pyarrow as pa

from sanctionwatch.schema.base import UTC_TS, Column, Table
from sanctionwatch.schema.store_tables import (
    ENTITY_DECISIONS,
    RUNS,
    SANCTION_LIST_VERSIONS,
    SANCTION_STATEMENTS,
    VESSEL_MATCHES,
)

_PROVENANCE = (
    Column("source", pa.string(), "Input file the record came from (path as given).", False),
    Column(
        "record", pa.int64(), "1-based line (NMEA, CSV) or row (Parquet) number in `source`.", False
    ),
)

POSITIONS = Table(
    "positions",
    "One AIS position report (message types 1, 2, 3, 18, 19, 27, or a position row of a CSV / "
    "Parquet export; from NMEA also 4, 9 and 21, the positions of base stations, SAR aircraft "
    "and aids to navigation, which track preparation removes). Ingest keeps values as "
    "broadcast, including the AIS 'not available' codes (lat 91, lon 181, sog 102.3, cog 360, "
    "heading 511); track preparation removes such positions or turns the codes into nulls "
    "(see docs/tracks.md).",
    (
        Column("mmsi", pa.int64(), "Maritime Mobile Service Identity as broadcast.", False),
        Column("timestamp", UTC_TS, "Time of the report, UTC (receiver time).", False),
        Column("lat", pa.float64(), "Latitude, WGS84 decimal degrees.", False),
        Column("lon", pa.float64(), "Longitude, WGS84 decimal degrees.", False),
        Column("sog_knots", pa.float32(), "Speed over ground, knots (102.3 = not available)."),
        Column("cog_deg", pa.float32(), "Course over ground, degrees true (360 = not available)."),
        Column("heading_deg", pa.float32(), "True heading, degrees (511 = not available)."),
        Column("nav_status", pa.int8(), "Navigational status code 0-15 (ITU-R M.1371 table 45)."),
        Column("msg_type", pa.int8(), "AIS message type, when known."),
        Column("ais_class", pa.string(), "Transceiver class 'A' or 'B', when known."),
        Column("receiver", pa.string(), "Receiving station or source tag (NMEA tag block `s:`)."),
        *_PROVENANCE,
    ),
)

VESSEL_REPORTS = Table(
    "vessel_reports",
    "Static and voyage data over time (AIS message types 5, 19, 24, or the static columns of a "
    "CSV / Parquet export). NMEA: one row per static message. Tabular sources repeat the static "
    "columns on every row, so a row is emitted when a vessel's static data first appears or "
    "changes. Identity and draught can be followed in time.",
    (
        Column("mmsi", pa.int64(), "MMSI the report was broadcast under.", False),
        Column("timestamp", UTC_TS, "Time of the report, UTC.", False),
        Column("imo", pa.int64(), "IMO number as broadcast (may fail its check digit)."),
        Column("name", pa.string(), "Vessel name, upper case, trimmed ('@' padding removed)."),
        Column("callsign", pa.string(), "Radio call sign."),
        Column("ship_type", pa.int16(), "AIS ship and cargo type code (ITU-R M.1371 table 53)."),
        Column("draught_m", pa.float32(), "Maximum present static draught, metres (null if 0)."),
        Column("destination", pa.string(), "Destination as typed by the crew."),
        Column("length_m", pa.float32(), "Overall length, metres (bow + stern dimensions)."),
        Column("width_m", pa.float32(), "Beam, metres (port + starboard dimensions)."),
        Column("flag", pa.string(), "Flag state ISO 3166-1 alpha-2, when the source states it."),
        Column("ais_class", pa.string(), "Transceiver class 'A' or 'B', when known."),
        *_PROVENANCE,
    ),
)

REJECTS = Table(
    "rejects",
    "Input records that could not be used, each with the reason; nothing is dropped silently.",
    (
        Column("source", pa.string(), "Input file.", False),
        Column("record", pa.int64(), "1-based line or row number in `source`.", False),
        Column("reason", pa.string(), "Machine-readable reason, e.g. `bad_checksum`.", False),
        Column("detail", pa.string(), "Human-readable detail (exception text, field value)."),
        Column("raw", pa.string(), "The raw line or row, truncated to 500 characters."),
    ),
)

EVENTS = Table(
    "events",
    "Detected behaviour events. Core columns are filled for every type; type-specific columns "
    "are null where they do not apply. `event_id` is a hash of the defining keys, so re-running "
    "on the same input yields the same ids and the store never holds an event twice.",
    (
        Column(
            "event_id", pa.string(), "Deterministic id: hash of type, vessels, start, key.", False
        ),
        Column(
            "event_type",
            pa.string(),
            "encounter, loitering, ais_gap, spoofing, "
            "identity_change, port_call, zone_entry or draught_change.",
            False,
        ),
        Column("mmsi", pa.int64(), "The vessel (the lower MMSI of an encounter pair).", False),
        Column("other_mmsi", pa.int64(), "The other vessel of an encounter; null otherwise."),
        Column("start_time", UTC_TS, "Start of the event, UTC.", False),
        Column("end_time", UTC_TS, "End of the event, UTC (equal to start for instants).", False),
        Column(
            "lat",
            pa.float64(),
            "Representative latitude (start of a gap, centre otherwise); "
            "null for events from vessel reports of an MMSI never seen at a position.",
        ),
        Column("lon", pa.float64(), "Representative longitude (null as for `lat`)."),
        Column("duration_h", pa.float64(), "end_time - start_time in hours."),
        Column(
            "subtype",
            pa.string(),
            "Kind within the type, e.g. spoofing `impossible_speed`, "
            "identity_change `name`, port_call `stop`/`visit`, zone_entry `stay`.",
        ),
        Column("end_lat", pa.float64(), "Latitude at the end (gaps, tracks)."),
        Column("end_lon", pa.float64(), "Longitude at the end."),
        Column("distance_km", pa.float64(), "Distance covered (gap: start to end, great circle)."),
        Column("implied_speed_knots", pa.float64(), "distance / duration, knots."),
        Column("median_distance_m", pa.float64(), "Encounter: median distance between the pair."),
        Column("median_speed_knots", pa.float64(), "Median speed over the event."),
        Column("distance_to_port_km", pa.float64(), "Distance to the nearest port or anchorage."),
        Column("distance_from_shore_km", pa.float64(), "Distance from the nearest coast."),
        Column("draught_before_m", pa.float32(), "Last reported draught before the event."),
        Column("draught_after_m", pa.float32(), "First reported draught after the event."),
        Column("draught_changed", pa.bool_(), "Whether the reported draught changed across it."),
        Column(
            "likely_intentional",
            pa.bool_(),
            "ais_gap: meets the Welch et al. 2022 disabling criteria.",
        ),
        Column("port_name", pa.string(), "port_call: port or anchorage name."),
        Column("port_country", pa.string(), "port_call: ISO 3166-1 alpha-3 country of the port."),
        Column("is_dprk", pa.bool_(), "port_call / zone_entry: a DPRK port or DPRK waters."),
        Column("zone_id", pa.string(), "zone_entry: id of the area of interest."),
        Column("zone_name", pa.string(), "zone_entry: name of the area of interest."),
        Column("old_value", pa.string(), "identity_change: the value before."),
        Column("new_value", pa.string(), "identity_change: the value after."),
        Column("n_positions", pa.int64(), "Positions that support the event."),
        Column(
            "related_event_ids",
            pa.list_(pa.string()),
            "Events this one is linked to (e.g. the gap or encounter around a draught change).",
        ),
        Column(
            "evidence",
            pa.list_(pa.string()),
            "Source records behind the event, as `file:record` strings.",
        ),
        Column("details", pa.string(), "Other type-specific facts, JSON object.", json=True),
    ),
    primary_key=("event_id",),
)

QUALITY_FINDINGS = Table(
    "quality_findings",
    "Data-quality findings: what is wrong with the data rather than what a ship did (identifier "
    "formats, stale or mis-stamped records, two transponders on one MMSI, impossible values, "
    "silences of the feed itself). Written by the checks registered with category `quality`; "
    "the columns are those of `events`, `event_type` holding the check's finding type.",
    EVENTS.columns,
    primary_key=("event_id",),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        POSITIONS,
        VESSEL_REPORTS,
        REJECTS,
        EVENTS,
        QUALITY_FINDINGS,
        VESSEL_MATCHES,
        RUNS,
        SANCTION_STATEMENTS,
        SANCTION_LIST_VERSIONS,
        ENTITY_DECISIONS,
    )
}
"""Every declared table by name, in documentation order."""

__all__ = [
    "EVENTS",
    "POSITIONS",
    "QUALITY_FINDINGS",
    "REJECTS",
    "RUNS",
    "SANCTION_LIST_VERSIONS",
    "SANCTION_STATEMENTS",
    "TABLES",
    "UTC_TS",
    "VESSEL_MATCHES",
    "VESSEL_REPORTS",
    "Column",
    "Table",
]
