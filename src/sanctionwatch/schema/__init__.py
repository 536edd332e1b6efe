"""Canonical tables, declared once: Arrow and Polars schemas, DuckDB DDL and documentation."""

from sanctionwatch.schema.base import UTC_TS, Column, Table
from sanctionwatch.schema.store_tables import (
    ALERT_REVIEWS,
    CASHOUT_ALERTS,
    CRYPTO_ADDRESSES,
    CRYPTO_FLOWS,
    ENTITY_DECISIONS,
    PETROLEUM_DELIVERIES,
    PETROLEUM_EVIDENCE,
    REGISTRY_FACTS,
    RUNS,
    SANCTION_LIST_VERSIONS,
    SANCTION_STATEMENTS,
    STORE_TABLES,
    VESSEL_IDENTITIES,
    VESSEL_MATCHES,
)
from sanctionwatch.schema.tables import (
    EVENTS,
    POSITIONS,
    QUALITY_FINDINGS,
    REJECTS,
    TABLES,
    VESSEL_REPORTS,
)

__all__ = [
    "ALERT_REVIEWS",
    "CASHOUT_ALERTS",
    "CRYPTO_ADDRESSES",
    "CRYPTO_FLOWS",
    "ENTITY_DECISIONS",
    "EVENTS",
    "PETROLEUM_DELIVERIES",
    "PETROLEUM_EVIDENCE",
    "POSITIONS",
    "QUALITY_FINDINGS",
    "REGISTRY_FACTS",
    "REJECTS",
    "RUNS",
    "SANCTION_LIST_VERSIONS",
    "SANCTION_STATEMENTS",
    "STORE_TABLES",
    "TABLES",
    "UTC_TS",
    "VESSEL_IDENTITIES",
    "VESSEL_MATCHES",
    "VESSEL_REPORTS",
    "Column",
    "Table",
]
