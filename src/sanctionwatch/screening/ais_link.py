"""AIS linkage: screen the identities vessels broadcast (IMO, names, MMSI) against the lists,
and attach the matches to detected events.

``vessel_identities(reports)`` → one row per MMSI with every IMO and name it used;
``screen_vessels(identities, screener)`` → one row per (MMSI, listed vessel);
``enrich_events(events, matches)`` → the events with ``details.sanctions_matches``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sanctionwatch.detectors.details import details_text
from sanctionwatch.schema import VESSEL_MATCHES

if TYPE_CHECKING:
    from sanctionwatch.screening.screen import Screener

# The matcher and the list store (followthemoney) load on first use, not on import: a
# detection run without lists loaded never needs them.

MATCH_SCHEMA: dict[str, pl.DataType] = VESSEL_MATCHES.polars_schema()
"""The Polars schema of :func:`screen_vessels` frames: the stored table ``vessel_matches``."""

IDENTITY_SCHEMA: dict[str, pl.DataType] = {
    "mmsi": pl.Int64(),
    "imos": pl.List(pl.Int64()),
    "names": pl.List(pl.String()),
    "first_seen": pl.Datetime("us", "UTC"),
    "last_seen": pl.Datetime("us", "UTC"),
    "n_reports": pl.UInt32(),
}


def vessel_identities(reports: pl.DataFrame, positions: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per MMSI: every IMO and every name it broadcast (first-seen order), the time
    span and the number of static reports. MMSIs seen only in ``positions`` get empty lists
    (they can still match a listed MMSI)."""
    r = reports.select("mmsi", "timestamp", "imo", "name").sort("mmsi", "timestamp")
    r = r.with_columns(
        pl.col("name").str.strip_chars().replace("", None),
        pl.col("imo").cast(pl.Int64).replace(0, None),
    )
    out = r.group_by("mmsi", maintain_order=True).agg(
        pl.col("imo").drop_nulls().unique(maintain_order=True).alias("imos"),
        pl.col("name").drop_nulls().unique(maintain_order=True).alias("names"),
        pl.col("timestamp").min().alias("first_seen"),
        pl.col("timestamp").max().alias("last_seen"),
        pl.len().alias("n_reports"),
    )
    if positions is not None and positions.height:
        seen = positions.group_by("mmsi").agg(
            pl.col("timestamp").min().alias("first_seen"),
            pl.col("timestamp").max().alias("last_seen"),
        )
        extra = seen.join(out.select("mmsi"), on="mmsi", how="anti").with_columns(
            pl.lit([], pl.List(pl.Int64)).alias("imos"),
            pl.lit([], pl.List(pl.String)).alias("names"),
            pl.lit(0, pl.UInt32).alias("n_reports"),
        )
        out = pl.concat([out, extra.select(out.columns)], how="vertical_relaxed")
    return out.cast(IDENTITY_SCHEMA).sort("mmsi")  # type: ignore[arg-type]


def _matched_on(feature: str | None) -> str:
    return {"imo_match": "imo", "mmsi_match": "mmsi"}.get(feature or "", "name")


def screen_vessels(
    identities: pl.DataFrame, screener: Screener, threshold: float | None = None
) -> pl.DataFrame:
    """One row per (MMSI, listed vessel) scoring at least 0.5, with the best-scoring
    broadcast name/IMO behind it. ``matched_on`` is ``imo``, ``mmsi`` (a listed MMSI) or
    ``name``; ``is_match`` uses ``threshold`` (the screener's by default)."""
    from sanctionwatch.screening.matcher import normalize_imo

    th = screener.threshold if threshold is None else threshold
    best: dict[tuple[int, str], dict[str, Any]] = {}
    for row in identities.iter_rows(named=True):
        mmsi = int(row["mmsi"])
        imos = [i for i in (normalize_imo(v) for v in row["imos"] or []) if i is not None]
        names = list(row["names"] or [])
        # every name with every valid IMO, and each IMO on its own: a renamed ship is found
        # by its IMO, a ship hiding its IMO by a former name
        opt_imos: list[int | None] = list(imos) or [None]
        combos: list[tuple[str, int | None]] = [(n, i) for n in names for i in opt_imos]
        combos += [("", i) for i in imos]
        if not combos:
            combos = [("", None)]
        for name, imo in combos:
            for m in screener.screen(name, schema="Vessel", imo=imo, mmsi=str(mmsi), limit=5):
                key = (mmsi, m.entity_id)
                if key in best and best[key]["score"] >= m.score:
                    continue
                feature = m.explanation.best.name if m.explanation.best else None
                best[key] = {
                    "mmsi": mmsi,
                    "imo": imo,
                    "ais_name": name or None,
                    "match_id": m.entity_id,
                    "match_name": m.name,
                    "datasets": list(m.datasets),
                    "score": m.score,
                    "is_match": m.score >= th,
                    "explanation": m.explanation.explain(),
                    "matched_on": _matched_on(feature),
                }
    rows = sorted(best.values(), key=lambda d: (d["mmsi"], -d["score"], d["match_id"]))
    return pl.DataFrame(rows, schema=MATCH_SCHEMA)


def enrich_events(events: pl.DataFrame, matches: pl.DataFrame) -> pl.DataFrame:
    """``events`` (EVENTS schema) with ``details`` extended by ``sanctions_matches``: the
    matches (``is_match``) of ``mmsi`` and, for encounters, of ``other_mmsi``, each tagged
    with its ``party``. Other columns and existing details keys are left as they are;
    events without a match are unchanged."""
    by_mmsi: dict[int, list[dict[str, Any]]] = {}
    for m in matches.filter(pl.col("is_match")).iter_rows(named=True):
        by_mmsi.setdefault(int(m["mmsi"]), []).append(
            {
                "match_id": m["match_id"],
                "match_name": m["match_name"],
                "datasets": m["datasets"],
                "score": round(float(m["score"]), 4),
                "matched_on": m["matched_on"],
                "imo": m["imo"],
                "ais_name": m["ais_name"],
                "explanation": m["explanation"],
            }
        )
    if not by_mmsi or events.height == 0:
        return events
    new_details: list[str | None] = []
    for mmsi, other, details in events.select("mmsi", "other_mmsi", "details").iter_rows():
        found = [
            {"party": party, "mmsi": v, **hit}
            for party, v in (("mmsi", mmsi), ("other_mmsi", other))
            if v is not None
            for hit in by_mmsi.get(int(v), [])
        ]
        if not found:
            new_details.append(details)
            continue
        d = json.loads(details) if details else {}
        d["sanctions_matches"] = found
        new_details.append(details_text(d))
    return events.with_columns(pl.Series("details", new_details, dtype=pl.String))


def link_sanctions(
    events: pl.DataFrame,
    reports: pl.DataFrame,
    store_path: str | Path | None,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Screen every vessel seen in AIS (MMSI, every IMO and name it broadcast, from its
    ``reports``) against the sanctions lists loaded in the store, and add the matches to the
    events' ``details`` (:func:`enrich_events`).

    Returns the (enriched) events and the matches, or the events unchanged and ``None`` when
    there is no store or no list has been loaded into it.
    """
    if store_path is None or not Path(store_path).exists():
        return events, None
    from sanctionwatch.screening.screen import NoListsLoaded, load_screener

    try:
        screener = load_screener(Path(store_path))
    except NoListsLoaded:
        return events, None
    matches = screen_vessels(vessel_identities(reports), screener)
    if progress:
        progress("sanctions screening", 1)
    return enrich_events(events, matches), matches
