"""Synthetic time: findings that need real message times are withheld for vessels whose times
were assumed.

``--assume-time`` (``IngestOptions.assume_time``) gives every NMEA message that carries no time
one and the same instant. Positions and reports are still where and what the messages said,
but their order in time and the time between them are made up: any movement looks like an
impossible speed, every stay lasts 0 h, every gap and encounter is an artefact. For the vessels
with such records the run keeps what does not depend on time (identity and static-data checks,
positions on land, invalid identifiers and positions, zone membership) and withholds the rest,
with a warning (``summary.json`` ``warnings``, the run record's counts, the CLI's stderr).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import polars as pl

TIME_BASED_TYPES: Final = frozenset({
    "ais_gap", "encounter", "loitering", "port_call", "draught_change",
    "coverage_gap", "stale_record", "duplicate_transponder",
})
"""Event and finding types whose every row depends on the time between messages: silences,
speeds, durations (stays, encounters, port calls) and the order of static reports in time."""

TIME_BASED_SUBTYPES: Final[dict[str, frozenset[str]]] = {
    "spoofing": frozenset({"impossible_speed", "simultaneous_positions", "sustained_teleport"}),
}
"""Subtypes of otherwise time-free types that compare times (implied speed, overlap in time);
the other spoofing subtypes (on land, invalid identifiers or positions) are kept."""


def time_based(events: pl.DataFrame) -> pl.Expr:
    """True for the rows of ``events`` whose type (or type and subtype) needs real times."""
    expr = pl.col("event_type").is_in(sorted(TIME_BASED_TYPES))
    for etype, subtypes in TIME_BASED_SUBTYPES.items():
        expr = expr | ((pl.col("event_type") == etype)
                       & pl.col("subtype").is_in(sorted(subtypes)).fill_null(False))
    return expr


def withhold(events: pl.DataFrame, mmsis: Iterable[int]) -> tuple[pl.DataFrame, dict[str, int]]:
    """``events`` without the time-based rows of which a party is one of ``mmsis``, and the
    counts withheld by type (``type/subtype`` for a time-based subtype)."""
    ids = sorted(set(mmsis))
    if not ids or events.height == 0:
        return events, {}
    party = pl.col("mmsi").is_in(ids) | pl.col("other_mmsi").is_in(ids).fill_null(False)
    drop = (time_based(events) & party).fill_null(False)
    gone = events.filter(drop)
    label = pl.when(pl.col("event_type").is_in(sorted(TIME_BASED_TYPES))).then(
        pl.col("event_type")).otherwise(pl.format("{}/{}", "event_type", "subtype"))
    counts = dict(gone.group_by(label.alias("k")).len().sort("k").iter_rows()) \
        if gone.height else {}
    return events.filter(~drop), counts


def warnings_for(inputs: Sequence[dict[str, Any]], n_vessels: int,
                 withheld: dict[str, int]) -> list[str]:
    """The run's warnings about assumed times (none when no time was assumed)."""
    files = [i for i in inputs if i.get("assumed_time_records")]
    if not files:
        return []
    names = ", ".join(f"{i['path']} ({i['assumed_time_records']:,} records)" for i in files)
    kept = ", ".join(f"{k} {v:,}" for k, v in withheld.items()) or "none were found"
    return [
        f"times were assumed (--assume-time) for {names}: every such message has the same "
        f"time, so speed- and time-based findings ({', '.join(sorted(TIME_BASED_TYPES))}; "
        f"spoofing {', '.join(sorted(TIME_BASED_SUBTYPES['spoofing']))}) are not reported for "
        f"the {n_vessels:,} vessel(s) concerned (withheld: {kept}); identity, data-quality, "
        "on-land and zone findings are kept"
    ]


__all__ = ["TIME_BASED_SUBTYPES", "TIME_BASED_TYPES", "time_based", "warnings_for", "withhold"]
