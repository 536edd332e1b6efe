"""Fishing days in DPRK waters by flag and gear, beside Park et al. 2020's estimates.

From the ``fishing`` and ``pair_trawling`` events (:mod:`sanctionwatch.detectors.fishing`,
:mod:`sanctionwatch.detectors.pair_trawling`) whose position lies in a DPRK zone of the
reference data (``prk_eez_east_sea``, ``prk_military_zone_east_sea`` and the APPROXIMATE
``prk_waters_west_sea_approx``):

- ``vessel_days``: per vessel, the UTC days with any fishing there, summed. This is the unit of
  Park et al.'s "days of fishing" (vessels detected per day, summed over days), so it is the
  figure set beside theirs;
- ``fishing_days``: per vessel, the union of its fishing hours there / 24 (a vessel fishing
  10 h on a day counts 0.42), the time actually spent fishing.

A vessel-hour counts once, under one gear: ``pair_trawler`` (a pair-trawling event) before
``trawler``, ``squid_jigger`` and ``unknown`` (the fishing event's gear guess). An event is in
the zone holding its position (the mean of its fishing positions); nested zones each count it.
Flag: the country of the MMSI's MID (ITU), which is what AIS says, not a registry.

**Caveat.** Park et al. estimated the fleets from radar, optical and night-light imagery
because most of them do not broadcast AIS: AIS sees a small and unrepresentative share of a
mostly dark fleet. ``ais_share`` (AIS vessel-days / estimated days) is a lower bound of
visibility, never an estimate of the fishing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.ids import mid_country
from sanctionwatch.reference import ReferenceData
from sanctionwatch.reference.core import Zone

FISHING_TYPES = ("fishing", "pair_trawling")
"""The event types counted."""

GEAR_ORDER = ("pair_trawler", "trawler", "squid_jigger", "unknown")
"""Gears in order of precedence: an hour in events of two gears counts under the first."""

PARK_CLASS = {"pair_trawler": "trawler", "trawler": "trawler", "squid_jigger": "lighting"}
"""Park et al. 2020's vessel class of each gear (their ``trawler`` rows are pair trawlers;
``lighting`` rows are lighting squid jiggers)."""

PARK_FLAGS = {"chn": "CN", "prk": "KP"}
"""ISO 3166 alpha-3 of Park et al.'s rows to the alpha-2 the MID table gives."""

PARK_ZONES = ("prk_eez_east_sea", "prk_military_zone_east_sea")
"""The zones Park et al.'s "DPRK waters" rows cover (their East Sea study area)."""

CAVEAT = ("Park et al. 2020 estimated these fleets from satellite radar, optical and "
          "night-light imagery because most of the vessels do not broadcast AIS: AIS sees a "
          "small share of a mostly dark fleet, so ais_share is a lower bound of visibility, "
          "not an estimate of the fishing.")

NO_ESTIMATE = ("no Park et al. 2020 estimate for this year, flag and gear (they estimate "
               "Chinese pair trawlers and lighting vessels in 2017 and 2018)")

COLUMNS: dict[str, pl.DataType] = {
    "year": pl.Int32(),
    "zone_id": pl.Utf8(),
    "zone_name": pl.Utf8(),
    "approximate": pl.Boolean(),
    "flag": pl.Utf8(),
    "gear": pl.Utf8(),
    "vessels": pl.Int64(),
    "events": pl.Int64(),
    "vessel_days": pl.Int64(),
    "fishing_days": pl.Float64(),
    "park_vessel_class": pl.Utf8(),
    "park_estimated_days": pl.Float64(),
    "ais_share": pl.Float64(),
    "note": pl.Utf8(),
}
"""Columns of :func:`fishing_days`: one row per year, DPRK zone, flag and gear.
``park_estimated_days`` is Park et al.'s estimate for the year, flag and class (East Sea zones
only; null where they give none), ``ais_share`` = ``vessel_days / park_estimated_days``."""


def park_estimates() -> pl.DataFrame:
    """Park et al. 2020's estimated fishing days (``data/fishing``, GFW; CC BY-NC 4.0 paper,
    repository without licence: research use), as shipped."""
    text = resources.files("sanctionwatch").joinpath(
        "data", "fishing", "gfw_nk_estimated_fishing_days.csv").read_text(encoding="utf-8")
    from io import StringIO

    return pl.read_csv(StringIO(text), schema_overrides={"year": pl.Int32})


def _flag(mmsi: int) -> str:
    hit = mid_country(int(mmsi))
    return hit[0] if hit else "unknown"


def _gear(event_type: str, details: Any) -> str:
    if event_type == "pair_trawling":
        return "pair_trawler"
    if isinstance(details, str) and details:
        details = json.loads(details)
    g = details.get("gear") if isinstance(details, dict) else None
    return str(g) if g in GEAR_ORDER else "unknown"


def _dprk_zones(reference: ReferenceData | None) -> list[Zone]:
    ref = reference if reference is not None else ReferenceData.default()
    return [z for z in ref.zones if z.is_dprk]


def _is_approximate(z: Zone) -> bool:
    return "APPROXIMATE" in z.source.upper()


def _spans_by_day(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end]`` cut at UTC midnights."""
    out = []
    s = start
    while s < end:
        midnight = datetime(s.year, s.month, s.day, tzinfo=UTC) + timedelta(days=1)
        e = min(end, midnight)
        out.append((s, e))
        s = e
    return out or [(start, end)]


def _union_hours(spans: list[tuple[datetime, datetime]]) -> float:
    total, cur = 0.0, None
    for s, e in sorted(spans):
        if cur is None or s > cur[1]:
            if cur is not None:
                total += (cur[1] - cur[0]).total_seconds()
            cur = (s, e)
        else:
            cur = (cur[0], max(cur[1], e))
    if cur is not None:
        total += (cur[1] - cur[0]).total_seconds()
    return total / 3600.0


def _subtract(spans: list[tuple[datetime, datetime]], taken: list[tuple[datetime, datetime]]
              ) -> list[tuple[datetime, datetime]]:
    """The parts of ``spans`` outside every span of ``taken``."""
    out = []
    for s, e in spans:
        pieces = [(s, e)]
        for ts, te in taken:
            nxt = []
            for ps, pe in pieces:
                if te <= ps or ts >= pe:
                    nxt.append((ps, pe))
                    continue
                if ps < ts:
                    nxt.append((ps, ts))
                if te < pe:
                    nxt.append((te, pe))
            pieces = nxt
        out.extend(pieces)
    return out


def fishing_days(events: pl.DataFrame, *, year: int | None = None,
                 reference: ReferenceData | None = None) -> pl.DataFrame:
    """Fishing days in each DPRK zone by year, flag and gear (:data:`COLUMNS`), from EVENTS
    rows (any types: only :data:`FISHING_TYPES` are read). ``year``: only that UTC year."""
    zones = _dprk_zones(reference)
    ev = events.filter(pl.col("event_type").is_in(FISHING_TYPES)) if events.height else events
    if ev.height == 0 or not zones:
        return _finish([], year)
    lat = ev["lat"].to_numpy().astype(float)
    lon = ev["lon"].to_numpy().astype(float)
    ok = np.isfinite(lat) & np.isfinite(lon)
    inside = np.zeros((ev.height, len(zones)), dtype=bool)
    if ok.any():
        import shapely

        for j, z in enumerate(zones):
            inside[ok, j] = shapely.contains_xy(z.geometry, lon[ok], lat[ok])
    # per (zone, vessel, gear): the event spans cut at UTC midnights
    spans: dict[tuple[int, int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    n_events: dict[tuple[int, int, str], int] = defaultdict(int)
    cols = ev.select("event_type", "mmsi", "other_mmsi", "start_time", "end_time", "details")
    for i, (etype, mmsi, other, s, e, details) in enumerate(cols.iter_rows()):
        where = np.flatnonzero(inside[i])
        if not where.size or s is None or e is None:
            continue
        gear = _gear(etype, details)
        vessels = [v for v in (mmsi, other) if v is not None]
        for zj in where.tolist():
            for v in vessels:
                spans[(zj, int(v), gear)].extend(_spans_by_day(s, e))
                n_events[(zj, int(v), gear)] += 1
    rows: list[dict[str, Any]] = []
    by_zone_vessel: dict[tuple[int, int], list[str]] = defaultdict(list)
    for j, v, g in spans:
        by_zone_vessel[(j, v)].append(g)
    acc: dict[tuple[int, int, str, str], dict[str, Any]] = {}
    for (j, v), gears in by_zone_vessel.items():
        taken: list[tuple[datetime, datetime]] = []
        for g in sorted(set(gears), key=GEAR_ORDER.index):
            own = _subtract(spans[(j, v, g)], taken)
            taken = taken + spans[(j, v, g)]
            per_day: dict[tuple[int, int, int], list[tuple[datetime, datetime]]] = defaultdict(list)
            for s, e in own:
                if e > s:
                    per_day[(s.year, s.month, s.day)].append((s, e))
            for (y, _m, _d), day_spans in per_day.items():
                if year is not None and y != year:
                    continue
                key = (y, j, _flag(v), g)
                a = acc.setdefault(key, {"vessels": set(), "events": 0, "vessel_days": 0,
                                         "hours": 0.0})
                a["vessels"].add(v)
                a["vessel_days"] += 1
                a["hours"] += _union_hours(day_spans)
            for y in {s.year for s, _ in own}:
                if (year is None or y == year) and (y, j, _flag(v), g) in acc:
                    acc[(y, j, _flag(v), g)]["events"] += n_events[(j, v, g)]
    for (y, j, flag, g), a in acc.items():
        z = zones[j]
        rows.append({"year": y, "zone_id": z.zone_id, "zone_name": z.name,
                     "approximate": _is_approximate(z), "flag": flag, "gear": g,
                     "vessels": len(a["vessels"]), "events": a["events"],
                     "vessel_days": a["vessel_days"], "fishing_days": round(a["hours"] / 24, 3)})
    return _finish(rows, year)


def _finish(rows: list[dict[str, Any]], year: int | None) -> pl.DataFrame:
    base = {k: v for k, v in COLUMNS.items()
            if k not in ("park_vessel_class", "park_estimated_days", "ais_share", "note")}
    df = pl.DataFrame(rows, schema=base, orient="row") if rows else pl.DataFrame(schema=base)
    park = (park_estimates().filter(pl.col("zone_per_notebook_readme") == "DPRK waters")
            .group_by("flag_of_state_iso3", "year", "vessel_class")
            .agg(pl.col("estimated_total_days_of_fishing").sum().alias("park_estimated_days"))
            .with_columns(pl.col("flag_of_state_iso3").replace_strict(PARK_FLAGS, default=None)
                          .alias("flag"))
            .rename({"vessel_class": "park_vessel_class"}))
    df = df.with_columns(
        pl.col("gear").replace_strict(PARK_CLASS, default=None, return_dtype=pl.Utf8)
        .alias("park_vessel_class"))
    df = df.join(park.select("year", "flag", "park_vessel_class", "park_estimated_days"),
                 on=["year", "flag", "park_vessel_class"], how="left")
    df = df.with_columns(
        pl.when(pl.col("zone_id").is_in(PARK_ZONES)).then(pl.col("park_estimated_days"))
        .otherwise(None).alias("park_estimated_days"))
    df = df.with_columns(
        (pl.col("vessel_days") / pl.col("park_estimated_days")).alias("ais_share"),
        pl.when(pl.col("approximate"))
        .then(pl.lit("APPROXIMATE zone: digitised West Sea waters, not a legal boundary"))
        .when(pl.col("park_estimated_days").is_not_null()).then(pl.lit(CAVEAT))
        .when(pl.col("zone_id").is_in(PARK_ZONES)).then(pl.lit(NO_ESTIMATE))
        .otherwise(pl.lit("")).alias("note"),
    )
    return df.select([pl.col(c).cast(t) for c, t in COLUMNS.items()]).sort(
        "year", "zone_id", "flag", "gear")


def fishing_days_from_store(store_path: str | Path, *, year: int | None = None,
                            reference: ReferenceData | None = None) -> pl.DataFrame:
    """:func:`fishing_days` of the ``fishing`` and ``pair_trawling`` events in a store. A
    missing store is a ``FileNotFoundError``."""
    from sanctionwatch.store import DuckDBStore, EventFilter

    path = Path(store_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such store")
    with DuckDBStore(path, read_only=True) as st:
        events = st.events(EventFilter(event_types=FISHING_TYPES))
    return fishing_days(events, year=year, reference=reference)


__all__ = [
    "CAVEAT",
    "COLUMNS",
    "FISHING_TYPES",
    "GEAR_ORDER",
    "NO_ESTIMATE",
    "PARK_CLASS",
    "fishing_days",
    "fishing_days_from_store",
    "park_estimates",
]
