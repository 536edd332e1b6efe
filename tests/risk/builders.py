"""Hand-made events, matches and identity periods for the risk tests."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from sanctionwatch.risk.facts import IdentityPeriod, ListMatch, VesselFacts
from sanctionwatch.schema import EVENTS
from tests.factory import T0

# Points inside the shipped zones (src/sanctionwatch/data/zones.geojson)
WEST_SEA_DPRK = (38.60, 124.55)  # DPRK waters, West Sea (approximate polygon)
EAST_SEA_DPRK = (40.07, 129.71)  # DPRK claimed EEZ and military zone, East Sea
EAST_CHINA_SEA_STS = (30.30, 123.46)  # STS area off Shanghai / Zhoushan
OFF_JAPAN = (34.20, 135.13)  # far from every zone


def event(event_type: str, mmsi: int, *, hours: float = 0.0, start: datetime = T0,
          at: tuple[float, float] | None = None, end_at: tuple[float, float] | None = None,
          details: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    """One event as the risk facts hold it (every ``events`` column; ``details`` a dict)."""
    row: dict[str, Any] = dict.fromkeys(EVENTS.names)
    key = json.dumps([event_type, mmsi, str(start), sorted(values.items())], default=str)
    row.update(event_id=hashlib.sha1(key.encode()).hexdigest()[:16], event_type=event_type,
               mmsi=mmsi, start_time=start, end_time=start + timedelta(hours=hours),
               duration_h=hours, details=details or {})
    if at is not None:
        row["lat"], row["lon"] = at
    if end_at is not None:
        row["end_lat"], row["end_lon"] = end_at
    row.update(values)
    return row


def events_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Event dicts as an ``events`` frame (details as JSON text) for a store."""
    out = [{**r, "details": json.dumps(r["details"]), "related_event_ids": [],
            "evidence": []} for r in rows]
    return EVENTS.conform(pl.DataFrame(out, schema=EVENTS.polars_schema(), orient="row"))


def match(match_id: str = "un1718-8898740", name: str = "JI SONG 6", *, imo: int | None = 8898740,
          listed_imos: tuple[int, ...] = (8898740,), matched_on: str = "name",
          score: float = 1.0, is_match: bool = True, ais_name: str | None = "JI SONG 6"
          ) -> ListMatch:
    """A vessel match against the UN 1718 list."""
    return ListMatch(match_id=match_id, match_name=name, datasets=("un_1718_vessels",),
                     score=score, is_match=is_match, matched_on=matched_on, imo=imo,
                     ais_name=ais_name, explanation="test", listed_imos=listed_imos)


def period(mmsi: int, *, name: str | None = "TEST SHIP", imo: int | None = None,
           ship_type: int | None = 80, flag: str | None = "CN", record: int = 1,
           start: datetime = T0) -> IdentityPeriod:
    """One identity period read from ``test.csv``."""
    return IdentityPeriod(mmsi=mmsi, first_seen=start, last_seen=start + timedelta(hours=1),
                          imo=imo, name=name, callsign=None, ship_type=ship_type, flag=flag,
                          flag_source="mid", source="test.csv", record=record)


def facts(mmsi: int = 412000001, *events: dict[str, Any], **kw: Any) -> VesselFacts:
    """Facts of one vessel with ``events``."""
    return VesselFacts(mmsi=mmsi, events=tuple(events), **kw)
