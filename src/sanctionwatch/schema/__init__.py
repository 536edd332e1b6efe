"""Canonical tables, declared once: Arrow and Polars schemas, DuckDB DDL and documentation."""

from sanctionwatch.schema.tables import (
    EVENTS,
    POSITIONS,
    REJECTS,
    TABLES,
    VESSEL_REPORTS,
    Column,
    Table,
)

__all__ = ["EVENTS", "POSITIONS", "REJECTS", "TABLES", "VESSEL_REPORTS", "Column", "Table"]
