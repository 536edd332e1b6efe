"""Vendor code tables and their parsers (``codes.py``)."""

from __future__ import annotations

import polars as pl

from sanctionwatch.ingest.ais.codes import (
    DMA_KIND,
    DMA_NAV_STATUS,
    DMA_SHIP,
    DMA_SHIP_TYPE,
    DMA_STATUS,
    MSG_CLASS,
    MSG_KIND,
)
from sanctionwatch.ingest.ais.parsers import Parser


def _parse(parser: Parser, *values: str | None) -> list[object]:
    return pl.DataFrame({"x": list(values)}, schema={"x": pl.String}).select(
        parser.text(pl.col("x"))).to_series().to_list()


def test_every_dma_label_maps_to_its_code() -> None:
    assert _parse(DMA_STATUS, *DMA_NAV_STATUS) == list(DMA_NAV_STATUS.values())
    assert _parse(DMA_SHIP, *DMA_SHIP_TYPE) == list(DMA_SHIP_TYPE.values())
    assert _parse(DMA_SHIP, "Undefined", "70", "0", "tanker") == [None, 70, None, 80]


def test_message_types_and_dma_mobiles_that_are_not_vessels() -> None:
    assert _parse(MSG_KIND, "1", "5", "27", "4", "25", "99", None) == [
        None, None, None, "AIS message type 4 (base station report)",
        "AIS message type 25 (single slot binary message)",
        "AIS message type 99 (not a vessel report)", None]
    assert _parse(MSG_CLASS, "1", "5.0", "18", "24", "27") == ["A", "A", "B", "B", None]
    assert _parse(DMA_KIND, "Base Station", "AtoN", "SAR Airborne", "Class A") == [
        "Type of mobile 'Base Station'", "Type of mobile 'AtoN'",
        "Type of mobile 'SAR Airborne'", None]
