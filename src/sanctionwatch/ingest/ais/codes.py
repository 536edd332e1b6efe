"""Code tables of the vendor layouts and the parsers that read them.

DMA exports spell navigational status and ship type as text; message-level exports (AISdb)
carry the AIS message type, which says whether a row is vessel data at all. The tables map
them to ITU-R M.1371 codes (one hash lookup per value, vectorised by Polars); the parsers
are used by :mod:`~sanctionwatch.ingest.ais.layouts`.
"""

from __future__ import annotations

import polars as pl

from sanctionwatch.ingest.ais.parsers import Parser, key_expr, text_code, to_int

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

DMA_NON_VESSEL = {"basestation": "base station", "aton": "aid to navigation",
                  "sarairborne": "SAR aircraft"}
"""DMA ``Type of mobile`` values (as :func:`~.parsers.code_key` spells them) that are not
vessels."""

VESSEL_MSG_TYPES = (1, 2, 3, 5, 18, 19, 24, 27)
"""AIS message types that carry a vessel's position or static data."""

MSG_CLASSES = {1: "A", 2: "A", 3: "A", 5: "A", 18: "B", 19: "B", 24: "B"}
"""Transceiver class of the AIS message types that imply one."""

MSG_LABELS = {
    4: "base station report", 6: "binary addressed message", 7: "binary acknowledge",
    8: "binary broadcast message", 9: "SAR aircraft position", 10: "UTC/date inquiry",
    11: "UTC/date response", 12: "addressed safety message", 13: "safety acknowledge",
    14: "safety broadcast message", 15: "interrogation", 16: "assignment mode command",
    17: "DGNSS broadcast", 20: "data link management", 21: "aid-to-navigation report",
    22: "channel management", 23: "group assignment command", 25: "single slot binary message",
    26: "multiple slot binary message",
}
"""The other AIS message types, for reject details."""


def _msg_kind(e: pl.Expr) -> pl.Expr:
    t = to_int(e)
    label = t.replace_strict(MSG_LABELS, default="not a vessel report", return_dtype=pl.String)
    return (
        pl.when(t.is_not_null() & ~t.is_in(VESSEL_MSG_TYPES))
        .then(pl.format("AIS message type {} ({})", t, label))
        .otherwise(None)
    )


def _msg_class(e: pl.Expr) -> pl.Expr:
    return to_int(e).replace_strict(MSG_CLASSES, default=None, return_dtype=pl.String)


def _dma_kind(e: pl.Expr) -> pl.Expr:
    label = key_expr(e).replace_strict(DMA_NON_VESSEL, default=None, return_dtype=pl.String)
    return pl.when(label.is_not_null()).then(pl.format("Type of mobile '{}'", e)).otherwise(None)


DMA_STATUS = text_code(DMA_NAV_STATUS, 0, 15)
"""DMA navigational status text (or a code 0-15) -> code."""

DMA_SHIP = text_code(DMA_SHIP_TYPE, 1, 32767)
"""DMA ship type text (or a code) -> code; ``Undefined`` and 0 = null."""

MSG_KIND = Parser(_msg_kind)
"""Row filter: a description of a non-vessel AIS message type (null for vessel data)."""

MSG_CLASS = Parser(_msg_class)
"""Transceiver class implied by an AIS message type."""

DMA_KIND = Parser(_dma_kind)
"""Row filter: a description of a DMA base station, AtoN or SAR aircraft row."""

__all__ = [
    "DMA_KIND", "DMA_NAV_STATUS", "DMA_NON_VESSEL", "DMA_SHIP", "DMA_SHIP_TYPE", "DMA_STATUS",
    "MSG_CLASS", "MSG_CLASSES", "MSG_KIND", "MSG_LABELS", "VESSEL_MSG_TYPES",
]
