"""Trade findings in the store: the ``shipment_flags`` and ``mirror_findings`` tables
(:mod:`sanctionwatch.schema`).

Each write replaces the rows of its input file (``source_file``) in one transaction
(:func:`sanctionwatch.store.duck.replace_rows`), so screening or comparing a file again never
duplicates its rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from sanctionwatch.schema import MIRROR_FINDINGS, SHIPMENT_FLAGS
from sanctionwatch.store.duck import replace_rows

if TYPE_CHECKING:
    from sanctionwatch.trade.mirror import Finding
    from sanctionwatch.trade.shipments import ShipmentResult


def shipment_flag_rows(res: ShipmentResult, source_file: str) -> pl.DataFrame:
    """``shipment_flags`` rows of a screen: each flag with its shipment's line and vessel."""
    imos = [int(imo) if imo.isdigit() else None for _, _, imo, _ in res.sources]
    return pl.DataFrame({
        "source_file": [source_file] * len(res.flags),
        "line": [s[0] for s in res.sources],
        "shipment_id": [f.shipment_id for f in res.flags],
        "date": [s[3] for s in res.sources],
        "vessel_name": [s[1] for s in res.sources],
        "vessel_imo": imos,
        "rule": [f.rule for f in res.flags],
        "severity": [f.severity for f in res.flags],
        "explanation": [f.explanation for f in res.flags],
        "citation": [f.citation for f in res.flags],
    }, schema=SHIPMENT_FLAGS.polars_schema())


def store_shipment_flags(res: ShipmentResult, source_file: str,
                         store_path: str | Path | None = None) -> int:
    """Replace the stored flags of ``source_file`` with those of ``res``; the rows written."""
    rows = shipment_flag_rows(res, source_file)
    replace_rows(store_path, [(SHIPMENT_FLAGS, rows)], "source_file", source_file)
    return rows.height


def mirror_finding_rows(findings: list[Finding], source_file: str) -> pl.DataFrame:
    """``mirror_findings`` rows of a comparison."""
    cols = [c for c in MIRROR_FINDINGS.names if c not in ("source_file", "lines")]
    data: dict[str, list[object]] = {c: [getattr(f, c) for f in findings] for c in cols}
    data["source_file"] = [source_file] * len(findings)
    data["lines"] = [list(f.lines) for f in findings]
    return pl.DataFrame(data, schema=MIRROR_FINDINGS.polars_schema()).select(
        MIRROR_FINDINGS.names)


def store_mirror_findings(findings: list[Finding], source_file: str,
                          store_path: str | Path | None = None) -> int:
    """Replace the stored findings of ``source_file`` with ``findings``; the rows written."""
    rows = mirror_finding_rows(findings, source_file)
    replace_rows(store_path, [(MIRROR_FINDINGS, rows)], "source_file", source_file)
    return rows.height


__all__ = ["mirror_finding_rows", "shipment_flag_rows", "store_mirror_findings",
           "store_shipment_flags"]
