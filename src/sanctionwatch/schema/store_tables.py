"""The tables of the DuckDB store besides ``events``: vessel matches, runs and sanctions lists.

Declared like the AIS tables (:mod:`sanctionwatch.schema.tables`); the store creates them from
these declarations (:mod:`sanctionwatch.store.duck`, :mod:`sanctionwatch.sanctions.store`), and
the Polars schemas the screening and the list loaders build their frames with derive from them.
"""

from __future__ import annotations

import pyarrow as pa

from sanctionwatch.schema.base import UTC_TS, Column, Table

VESSEL_MATCHES = Table(
    "vessel_matches",
    "The latest screening of the identities AIS vessels broadcast (IMO numbers, names, MMSI) "
    "against the loaded sanctions lists: one row per (MMSI, listed vessel) that scored at "
    "least 0.5, with the broadcast name and IMO that scored best. A screening replaces the "
    "rows of the MMSIs it screened. Written by `sanctionwatch detect` when lists are loaded "
    "(also as `vessel_matches.parquet`).",
    (
        Column("mmsi", pa.int64(), "The AIS vessel.", False),
        Column("imo", pa.int64(), "The broadcast IMO number behind the match, if any."),
        Column("ais_name", pa.string(), "The broadcast name behind the match, if any."),
        Column("match_id", pa.string(), "Entity id of the listed vessel.", False),
        Column("match_name", pa.string(), "Name of the listed vessel.", False),
        Column(
            "datasets", pa.list_(pa.string()), "Lists the listed vessel comes from.", False
        ),
        Column("score", pa.float64(), "Match score, 0-1.", False),
        Column("is_match", pa.bool_(), "Score at or above the screener's threshold.", False),
        Column("explanation", pa.string(), "The features behind the score, one line.", False),
        Column(
            "matched_on", pa.string(), "What matched: `imo`, `mmsi` (a listed MMSI) or `name`.",
            False,
        ),
    ),
)

RUNS = Table(
    "runs",
    "One row per detection run that wrote to the store: what ran, on which inputs, with which "
    "configuration, and what it found. `config` holds enough to repeat the run exactly.",
    (
        Column("run_id", pa.string(), "Start time (UTC, compact ISO 8601) and a random suffix.",
               False),
        Column("started_at", UTC_TS, "When the run started, UTC.", False),
        Column("finished_at", UTC_TS, "When the run finished, UTC.", False),
        Column("command", pa.string(), "The command that ran, e.g. `detect`.", False),
        Column("engine", pa.string(), "The engine that ran (`memory`, `local`, `dask`); null "
               "for runs recorded before the column existed."),
        Column(
            "inputs",
            pa.string(),
            "JSON list, one object per input file in input order: `{path, bytes, mtime, sha256, "
            "positions, vessel_reports, rejects}` (`bytes` the size, `mtime` ISO 8601 UTC, "
            "`sha256` the hex digest of the content, then the rows read from it).",
            False,
            json=True,
        ),
        Column(
            "params",
            pa.string(),
            "JSON object of detector parameters: `{detector: {parameter: value}}`.",
            False,
            json=True,
        ),
        Column(
            "config",
            pa.string(),
            "JSON object: the effective run configuration (engine, store, ingest options and "
            "every detector parameter, defaults included), so the run can be repeated exactly; "
            "null for runs recorded before the column existed.",
            json=True,
        ),
        Column(
            "counts",
            pa.string(),
            "JSON object: positions, vessel reports, rejects by reason, positions removed in "
            "cleaning by reason, tracks, events by type.",
            False,
            json=True,
        ),
        Column("events_new", pa.int64(), "Events the run added to the store (ids not stored "
               "before).", False),
        Column("events_total", pa.int64(), "Events in the store after the run.", False),
    ),
    primary_key=("run_id",),
)

SANCTION_STATEMENTS = Table(
    "sanction_statements",
    "Loaded sanctions lists as statements: one row per fact (entity `entity_id` of `schema` has "
    "`prop` = `value`) per list version, with where in the list file it was published. "
    "`prop = 'id'` marks that the entity exists. Every loaded version is kept.",
    (
        Column("entity_id", pa.string(), "Entity id, unique within the list.", False),
        Column("schema", pa.string(), "FollowTheMoney schema of the entity, e.g. `Vessel`.",
               False),
        Column("prop", pa.string(), "FollowTheMoney property, or `id`.", False),
        Column("value", pa.string(), "The value, cleaned by the property's FtM type.", False),
        Column("dataset", pa.string(), "The list, e.g. `un_sc`, `us_ofac_sdn`.", False),
        Column("list_date", pa.date32(), "Date of the list version.", False),
        Column("source_record", pa.string(), "Where in the list file: XML element, line, row "
               "or id."),
        Column("first_seen", pa.date32(), "Earliest loaded version of this dataset holding the "
               "same fact (entity, prop, value)."),
    ),
)

SANCTION_LIST_VERSIONS = Table(
    "sanction_list_versions",
    "One row per loaded list version. A version is identified by (dataset, list_date): loading "
    "the same file again adds nothing, different content for the same version replaces it, a "
    "newer version is added beside the older ones.",
    (
        Column("dataset", pa.string(), "The list, e.g. `un_sc`.", False),
        Column("list_date", pa.date32(), "Date of the list version.", False),
        Column("list_date_source", pa.string(), "How the date was found: file content, file "
               "name, or given."),
        Column("format", pa.string(), "File format the loader read."),
        Column("path", pa.string(), "The file (or folder of OFAC CSV files) loaded."),
        Column("sha256", pa.string(), "Hex SHA-256 of the file (or of the OFAC CSV set)."),
        Column("loaded_at", UTC_TS, "When it was loaded, UTC."),
        Column("entities", pa.int64(), "Entities in the version."),
        Column("statements", pa.int64(), "Statements in the version."),
    ),
    primary_key=("dataset", "list_date"),
)

ENTITY_DECISIONS = Table(
    "entity_decisions",
    "Cross-list resolution decisions: one row per judgement that two listed entities are (or "
    "are not) the same ship, company or person. Append-only: a later decision on the same pair "
    "wins and the earlier ones stay, so a merge is undone by a later `negative` decision. "
    "Written by `sanctionwatch lists resolve` (decided by `xref`) and `sanctionwatch lists "
    "decide` (decided by a user); see docs/resolution.md.",
    (
        Column("left_id", pa.string(), "Entity id of one side (the smaller id of the pair).",
               False),
        Column("right_id", pa.string(), "Entity id of the other side (the larger id).", False),
        Column("judgement", pa.string(), "`positive` (same entity), `negative` (different) or "
               "`unsure`.", False),
        Column("score", pa.float64(), "Matcher score 0-1 behind an `xref` decision; null for a "
               "user's decision."),
        Column("explanation", pa.string(), "The features behind the score, or the user's note.",
               False),
        Column("decided_by", pa.string(), "`xref` or the name of the user who decided.", False),
        Column("decided_at", UTC_TS, "When it was decided, UTC.", False),
    ),
)

STORE_TABLES: tuple[Table, ...] = (
    VESSEL_MATCHES,
    RUNS,
    SANCTION_STATEMENTS,
    SANCTION_LIST_VERSIONS,
    ENTITY_DECISIONS,
)
"""The tables declared here, in documentation order."""
