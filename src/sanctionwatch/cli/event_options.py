"""The event filters `events` and `export events` share: their options and the query."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    import polars as pl

EventTypeOpt = Annotated[
    list[str] | None, typer.Option("--type", "-t", help="Event type (repeatable).")
]
MmsiOpt = Annotated[int | None, typer.Option(help="Vessel MMSI (either party).")]
SinceOpt = Annotated[str | None, typer.Option(help="Events ending at/after this UTC time.")]
UntilOpt = Annotated[str | None, typer.Option(help="Events starting at/before this UTC time.")]
BboxOpt = Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")]
DprkOpt = Annotated[bool, typer.Option("--dprk", help="Only DPRK ports and waters.")]
MinHoursOpt = Annotated[float | None, typer.Option(help="Minimum duration, hours.")]


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time from the command line; without a zone, UTC (``Z`` accepted)."""
    if value is None:
        return None
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``--bbox min_lon,min_lat,max_lon,max_lat``; anything else is a ``ValueError``."""
    if not value:
        return None
    nums = [float(x) for x in value.split(",")]
    if len(nums) != 4:
        raise ValueError("--bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
    return (nums[0], nums[1], nums[2], nums[3])


def read_events(
    store: Path | None,
    *,
    event_type: list[str] | None,
    mmsi: int | None,
    since: str | None,
    until: str | None,
    bbox: str | None,
    dprk: bool,
    min_hours: float | None,
    limit: int | None = None,
    zone_id: str | None = None,
    designated_only: bool = False,
) -> pl.DataFrame:
    """The store's events matching the options (``--type`` values checked against the
    installed detectors and the stored types). Bad values are a ``ValueError``, a missing
    store a ``FileNotFoundError``."""
    from sanctionwatch.cli.choices import event_types
    from sanctionwatch.store import DuckDBStore, EventFilter, default_store_path

    f = EventFilter(
        event_types=tuple(event_type or ()), mmsi=mmsi, since=parse_time(since),
        until=parse_time(until), bbox=parse_bbox(bbox), dprk_only=dprk,
        min_duration_h=min_hours, limit=limit, zone_id=zone_id, designated_only=designated_only,
    )
    with DuckDBStore(store or default_store_path(), read_only=True) as st:
        if event_type:
            f = replace(f, event_types=event_types(event_type, st.event_types()))
        return st.events(f)


__all__ = [
    "BboxOpt", "DprkOpt", "EventTypeOpt", "MinHoursOpt", "MmsiOpt", "SinceOpt", "UntilOpt",
    "parse_bbox", "parse_time", "read_events",
]
