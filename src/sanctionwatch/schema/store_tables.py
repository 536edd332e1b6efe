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

VESSEL_IDENTITIES = Table(
    "vessel_identities",
    "Identity history of the AIS vessels: one row per period in which an MMSI broadcast the "
    "same IMO, name, call sign, ship type and flag. A field a report leaves empty (a class B "
    "part A carries the name only, part B the call sign and type) is taken from the vessel's "
    "neighbouring reports, so only a real change starts a new period. Each row names the "
    "input file and line of the period's first report. Written by `sanctionwatch detect` (also "
    "as `vessel_identities.parquet`); rows of earlier runs are kept.",
    (
        Column("mmsi", pa.int64(), "MMSI the reports were broadcast under.", False),
        Column("first_seen", UTC_TS, "Time of the period's first report, UTC.", False),
        Column("last_seen", UTC_TS, "Time of the period's last report, UTC.", False),
        Column("imo", pa.int64(), "IMO number as broadcast (may fail its check digit)."),
        Column("name", pa.string(), "Vessel name as broadcast."),
        Column("callsign", pa.string(), "Radio call sign as broadcast."),
        Column("ship_type", pa.int16(), "AIS ship and cargo type code (ITU-R M.1371 table 53)."),
        Column("flag", pa.string(), "Flag state, ISO 3166-1 alpha-2: as the source states it, "
               "else the country of the MMSI's MID (ITU)."),
        Column("flag_source", pa.string(), "`report` (stated by the source) or `mid` (from the "
               "MMSI's Maritime Identification Digits); null when neither gives a flag."),
        Column("n_reports", pa.int64(), "Static reports in the period.", False),
        Column("source", pa.string(), "Input file of the period's first report.", False),
        Column("record", pa.int64(), "1-based line or row of that report in `source`.", False),
    ),
    primary_key=("mmsi", "first_seen", "source", "record"),
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

REGISTRY_FACTS = Table(
    "registry_facts",
    "Ship registry facts an analyst collected (Equasis-style): one row per IMO number and "
    "period, with the name, flag, registered owner, ship manager and operator over that period, "
    "as given in a registry CSV (`sanctionwatch registry load`, docs/graph.md). Loading a file "
    "again replaces the rows from that file (same `source_file`). Rows that fail validation are "
    "reported with their reason and line, never stored.",
    (
        Column("imo", pa.int64(), "IMO ship number (check digit valid).", False),
        Column("date_from", pa.date32(), "First day the facts held; null when unknown."),
        Column("date_to", pa.date32(), "Last day the facts held; null when still current."),
        Column("name", pa.string(), "Ship name over the period."),
        Column("flag", pa.string(), "Flag state over the period, as given."),
        Column("registered_owner", pa.string(), "Registered owner, as named in the source."),
        Column("ship_manager", pa.string(), "Ship manager (ISM / commercial), as named."),
        Column("operator", pa.string(), "Operator, as named."),
        Column("source", pa.string(), "Where the analyst took the facts from (the CSV's "
               "`source` column, e.g. `Equasis 2021-03-01`)."),
        Column("source_file", pa.string(), "The registry CSV loaded (path as given).", False),
        Column("line", pa.int64(), "1-based line in `source_file` where the row starts.",
               False),
    ),
    primary_key=("source_file", "line"),
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

ALERT_REVIEWS = Table(
    "alert_reviews",
    "The analysts' reviews of risk alerts, an audit trail: one row per review (who marked which "
    "vessel's, wallet's or card account's alert confirmed, dismissed or open again, when, and "
    "why). Append-only: a new "
    "review never changes or removes an earlier one; a vessel's status is its latest review "
    "(`open` when it has none). Written by `POST /api/alerts/{mmsi}/reviews` and, for a wallet "
    "or card account, `POST /api/alerts/{kind}/{key}/reviews` (`sanctionwatch serve`, "
    "docs/web.md).",
    (
        Column("review_id", pa.string(), "Random id of the review (UUID 4, hex).", False),
        Column("mmsi", pa.int64(), "The vessel whose alert was reviewed; null for a wallet or "
               "card-account alert (`subject`)."),
        Column("status", pa.string(), "`confirmed`, `dismissed` or `open`.", False),
        Column("note", pa.string(), "The analyst's note, as typed (may be empty).", False),
        Column("user", pa.string(), "Who reviewed: the name of the access token "
               "(`serve --token-user`), or `local` on loopback without a token.", False),
        Column("at", UTC_TS, "When the review was stored, UTC.", False),
        Column("subject", pa.string(), "The wallet or card account whose alert was reviewed "
               "(`wallet:<address>`, a listed wallet's entity id, or `account:<bin>:<account>`; "
               "`sanctionwatch alerts --kind`, docs/crypto.md); null for a vessel's."),
    ),
    primary_key=("review_id",),
)

CRYPTO_FLOWS = Table(
    "crypto_flows",
    "Stored crypto traces (`sanctionwatch trace --store`, docs/crypto.md): one row per transfer "
    "that carried stolen (tainted) value, in the data's own orientation, with the run that "
    "traced it and the input file and line it was read from. Every run is kept.",
    (
        Column("run_id", pa.string(), "The trace run: start time (UTC, compact ISO 8601) and a "
               "random suffix.", False),
        Column("seeds", pa.list_(pa.string()), "The run's seed addresses (hex lower-cased).",
               False),
        Column("direction", pa.string(), "`forward` or `backward`.", False),
        Column("method", pa.string(), "Taint method: `poison`, `haircut` or `fifo`.", False),
        Column("time", UTC_TS, "Time of the transfer, UTC.", False),
        Column("tx_hash", pa.string(), "Transaction hash, when the input has one."),
        Column("from_address", pa.string(), "Sending address (hex lower-cased).", False),
        Column("to_address", pa.string(), "Receiving address (hex lower-cased).", False),
        Column("value_coins", pa.float64(), "Amount transferred, in units of `asset`.", False),
        Column("tainted_coins", pa.float64(), "Part of it that was tainted, in units of "
               "`asset`.", False),
        Column("taint_share", pa.float64(), "`tainted_coins / value_coins`, 0-1.", False),
        Column("hop", pa.int64(), "Hops from the nearest seed to the receiving side (1: paid "
               "by a seed).", False),
        Column("asset", pa.string(), "Asset traced, e.g. `ETH`.", False),
        Column("source_file", pa.string(), "The transfers file traced (path as given).", False),
        Column("line", pa.int64(), "1-based line (or JSON line) of the transfer in "
               "`source_file`.", False),
    ),
)

CRYPTO_ADDRESSES = Table(
    "crypto_addresses",
    "The addresses a stored crypto trace reached (`sanctionwatch trace --store`): one row per "
    "run and address with its role, label and taint, and, for an address on an SDN "
    "crypto-address list (`trace --ofac`), the SDN entity holding it and the row that says "
    "so. The relationship graph makes each a wallet node (docs/graph.md).",
    (
        Column("run_id", pa.string(), "The trace run (`crypto_flows.run_id`).", False),
        Column("address", pa.string(), "The address (hex lower-cased).", False),
        Column("role", pa.string(), "`seed`, `intermediary`, `mixer_depositor`, "
               "`exchange_deposit`, `service`, ... (docs/crypto.md).", False),
        Column("label", pa.string(), "Label from the tag packs or the SDN list; empty when "
               "none.", False),
        Column("category", pa.string(), "Label category (`exchange`, `mixer`, `bridge`, "
               "`sanctioned`, ...); empty when none.", False),
        Column("taint", pa.float64(), "Share of the value it received that was tainted, 0-1 "
               "(1 for a seed).", False),
        Column("hops", pa.int64(), "Hops from the nearest seed (0: a seed).", False),
        Column("tainted_in_coins", pa.float64(), "Tainted value received, in units of "
               "`asset`.", False),
        Column("tainted_out_coins", pa.float64(), "Tainted value sent on, in units of "
               "`asset`.", False),
        Column("first_time", UTC_TS, "First tainted transfer in, UTC; null when none."),
        Column("last_time", UTC_TS, "Last tainted transfer in, UTC; null when none."),
        Column("findings", pa.string(), "Detectors that flagged it, `;`-separated.", False),
        Column("asset", pa.string(), "Asset traced.", False),
        Column("holder_entity_id", pa.string(), "Entity id of the SDN entry holding the "
               "address (`us-ofac-<uid>`), when an SDN crypto-address list names it."),
        Column("holder_source_file", pa.string(), "That list file (path as given)."),
        Column("holder_line", pa.int64(), "1-based line of its row in `holder_source_file`."),
    ),
    primary_key=("run_id", "address"),
)

CASHOUT_ALERTS = Table(
    "cashout_alerts",
    "ATM cash-out alerts stored by `sanctionwatch cashout --store` (docs/cashout.md): one row "
    "per alert and run, as in the alerts CSV, with the authorisation log it came from. The "
    "relationship graph makes each alerted account a `bank_account` node linked to its BIN "
    "(docs/graph.md). Every run is kept.",
    (
        Column("run_id", pa.string(), "The detection run: start time (UTC, compact ISO 8601) "
               "and a random suffix.", False),
        Column("alert_id", pa.string(), "Alert id within the run (`CO-000001`).", False),
        Column("rule", pa.string(), "`burst`, `balance` or `ledger`.", False),
        Column("start_time", UTC_TS, "First flagged authorisation, UTC.", False),
        Column("end_time", UTC_TS, "Last flagged authorisation, UTC.", False),
        Column("bin", pa.string(), "Issuer BIN (first digits of the card number).", False),
        Column("accounts", pa.list_(pa.string()), "Accounts of the flagged authorisations.",
               False),
        Column("countries", pa.list_(pa.string()), "Terminal countries, ISO 3166-1 alpha-2.",
               False),
        Column("n_transactions", pa.int64(), "Flagged authorisations.", False),
        Column("amount_usd", pa.float64(), "Their amount, US dollars.", False),
        Column("transaction_ids", pa.string(), "Their transaction ids, `;`-separated.", False),
        Column("explanation", pa.string(), "The alert in one sentence.", False),
        Column("source_file", pa.string(), "The authorisation log (path as given).", False),
    ),
    primary_key=("run_id", "alert_id"),
)

SHIPMENT_FLAGS = Table(
    "shipment_flags",
    "Shipment flags stored by `sanctionwatch shipments --store` (docs/trade.md): one row per "
    "flag, as in the flags CSV, with the shipments file and line it came from and the carrying "
    "vessel as declared. Screening the same file again replaces its rows. The risk indicator "
    "`shipment_flags` and the vessel dossier read them by IMO (else by name).",
    (
        Column("source_file", pa.string(), "The shipments file screened (path as given).",
               False),
        Column("line", pa.int64(), "1-based first line of the shipment's row in "
               "`source_file`.", False),
        Column("shipment_id", pa.string(), "The shipment's id as declared.", False),
        Column("date", pa.date32(), "The shipment's date as declared; null when empty."),
        Column("vessel_name", pa.string(), "Carrying vessel's name as declared (may be empty).",
               False),
        Column("vessel_imo", pa.int64(), "Carrying vessel's IMO number as declared; null when "
               "empty or not a number."),
        Column("rule", pa.string(), "The flag's rule (`hs_coal`, `listed_party`, ...).", False),
        Column("severity", pa.string(), "`high`, `medium` or `low`.", False),
        Column("explanation", pa.string(), "The flag in one sentence.", False),
        Column("citation", pa.string(), "Resolution and paragraph, list or event ids.", False),
    ),
)

MIRROR_FINDINGS = Table(
    "mirror_findings",
    "Mirror-statistics findings stored by `sanctionwatch mirror --store` (docs/trade.md): one "
    "row per finding, as in the findings CSV, with the flows file it came from. Comparing the "
    "same file again replaces its rows.",
    (
        Column("source_file", pa.string(), "The flows file compared (path as given).", False),
        Column("finding_id", pa.string(), "Finding id within the file (`M-000001`).", False),
        Column("kind", pa.string(), "`mirror_asymmetry`, `banned_trade`, `petroleum_cap`, "
               "`unit_value` or `ban_year_jump`.", False),
        Column("reporter", pa.string(), "Reporting country as given (ISO alpha-3 or M49; the "
               "importer for an asymmetry; `;`-joined for a cap).", False),
        Column("partner", pa.string(), "Partner country (`PRK` for the DPRK).", False),
        Column("flow", pa.string(), "`import` or `export`, as reported.", False),
        Column("hs_code", pa.string(), "HS code (digits).", False),
        Column("year", pa.int64(), "Reference year.", False),
        Column("value_usd", pa.float64(), "The reporter's value, US dollars."),
        Column("mirror_value_usd", pa.float64(), "The other side's value raised by the CIF/FOB "
               "margin, US dollars (asymmetries)."),
        Column("quantity", pa.float64(), "Quantity in `quantity_unit`."),
        Column("quantity_unit", pa.string(), "Unit of the quantity (`kg` for masses)."),
        Column("unit_value_usd", pa.float64(), "US dollars per `quantity_unit`."),
        Column("median_unit_value_usd", pa.float64(), "Median unit value of the HS code, year "
               "and unit in the input, US dollars per `quantity_unit`."),
        Column("ratio", pa.float64(), "The kind's ratio: value over mirror value, unit value "
               "over median, barrels over the cap, or value over the previous year's."),
        Column("rule", pa.string(), "Rule ids of the trade rules involved, `;`-separated.",
               False),
        Column("citation", pa.string(), "Resolution(s) and paragraph(s).", False),
        Column("severity", pa.string(), "`high`, `medium` or `low`.", False),
        Column("explanation", pa.string(), "The finding in one sentence, with its figures.",
               False),
        Column("lines", pa.list_(pa.int64()), "1-based lines of the input rows behind it.",
               False),
    ),
    primary_key=("source_file", "finding_id"),
)

PETROLEUM_DELIVERIES = Table(
    "petroleum_deliveries",
    "Refined-petroleum deliveries to DPRK ports estimated by `sanctionwatch petroleum --store` "
    "with the UN Panel's method (docs/petroleum.md): one row per tanker arrival at a DPRK "
    "port, fed by a visible or dark ship-to-ship transfer or a direct call, with the volume at "
    "the Panel's load assumptions. An estimate, not proof. A new estimate by the same method "
    "replaces the rows of the earlier one (same `method`).",
    (
        Column("delivery_id", pa.string(), "`pd-` and a hash of the arrival's event id.",
               False),
        Column("mmsi", pa.int64(), "The tanker that arrived.", False),
        Column("imo", pa.int64(), "Its latest broadcast IMO number."),
        Column("name", pa.string(), "Its latest broadcast name."),
        Column("port", pa.string(), "The DPRK port.", False),
        Column("arrival_time", UTC_TS, "Start of the DPRK port call, UTC.", False),
        Column("mechanism", pa.string(), "`visible_sts`, `dark_sts` or `direct_port_call`.",
               False),
        Column("supplier_mmsi", pa.int64(), "The STS partner that supplied it, if any."),
        Column("supplier_name", pa.string(), "Its latest broadcast name."),
        Column("deadweight_t", pa.float64(), "Deadweight used, tonnes.", False),
        Column("deadweight_source", pa.string(), "Registry, typical for the length, or "
               "default.", False),
        Column("barrels_third", pa.float64(), "Barrels at one third laden.", False),
        Column("barrels_half", pa.float64(), "Barrels at one half laden.", False),
        Column("barrels_ninety", pa.float64(), "Barrels at 90 % laden.", False),
        Column("draught_change_m", pa.float64(), "Laden draught change reported, metres."),
        Column("draught_barrels", pa.float64(), "Barrels estimated from the draught change."),
        Column("draught_basis", pa.string(), "How the draught estimate was made."),
        Column("evidence_event_ids", pa.string(), "`role:event_id` of the events it rests "
               "on, `;`-separated."),
        Column("evidence_times", pa.string(), "Their start/end times (ISO 8601 UTC), "
               "`;`-separated."),
        Column("method", pa.string(), "Estimation method (`un_panel_2019`).", False),
    ),
    primary_key=("method", "delivery_id"),
)

PETROLEUM_EVIDENCE = Table(
    "petroleum_evidence",
    "The events each stored petroleum delivery rests on (`petroleum_deliveries`): one row per "
    "delivery and event, with its role (`arrival`, `transfer`, `partner_loitering`, "
    "`dark_gap`, `draught`).",
    (
        Column("delivery_id", pa.string(), "The delivery.", False),
        Column("event_id", pa.string(), "The event (`events.event_id`).", False),
        Column("event_type", pa.string(), "Its type.", False),
        Column("role", pa.string(), "What it shows for the delivery.", False),
        Column("mmsi", pa.int64(), "The event's vessel.", False),
        Column("start_time", UTC_TS, "Event start, UTC.", False),
        Column("end_time", UTC_TS, "Event end, UTC.", False),
        Column("method", pa.string(), "Estimation method (`un_panel_2019`).", False),
    ),
    primary_key=("method", "delivery_id", "event_id", "role"),
)

STORE_TABLES: tuple[Table, ...] = (
    VESSEL_MATCHES,
    VESSEL_IDENTITIES,
    RUNS,
    SANCTION_STATEMENTS,
    SANCTION_LIST_VERSIONS,
    REGISTRY_FACTS,
    ENTITY_DECISIONS,
    ALERT_REVIEWS,
    CRYPTO_FLOWS,
    CRYPTO_ADDRESSES,
    CASHOUT_ALERTS,
    SHIPMENT_FLAGS,
    MIRROR_FINDINGS,
    PETROLEUM_DELIVERIES,
    PETROLEUM_EVIDENCE,
)
"""The tables declared here, in documentation order."""
