"""A small hand-made store for the dossier tests: one listed tanker whose broadcast name is
markup, one STS partner, an encounter, a dark gap, a data-quality finding, a detection run
whose output folder holds the positions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from sanctionwatch.sanctions.store import ListStore
from sanctionwatch.schema import EVENTS, QUALITY_FINDINGS, SANCTION_STATEMENTS
from sanctionwatch.store import DuckDBStore

SUBJECT = 445000001
PARTNER = 416000002
IMO = 8898740  # valid check digit
EVIL = "<img src=x onerror=alert(1)>"
T0 = datetime(2019, 3, 3, 0, 0, tzinfo=UTC)
ENCOUNTER = (38.80, 124.50)
GAP = ((38.90, 124.30), (38.70, 125.00))


@dataclass(frozen=True)
class SmallStore:
    """Paths of the hand-made store and its run's output folder."""

    store: Path
    out: Path
    ais: str


def _track(mmsi: int, start: datetime, hours: float, lat: float, lon: float,
           dlat_per_h: float, dlon_per_h: float, first_record: int, track_id: int,
           ais: str) -> list[dict[str, object]]:
    return [
        {"mmsi": mmsi, "timestamp": start + timedelta(minutes=10 * i),
         "lat": lat + dlat_per_h * i / 6, "lon": lon + dlon_per_h * i / 6,
         "source": ais, "record": first_record + i, "track_id": track_id}
        for i in range(int(hours * 6) + 1)
    ]


def small_store(base: Path, *, with_run: bool = True) -> SmallStore:
    """Write the store (and ``base/out/positions.parquet``) under ``base``."""
    ais = str(base / "ais.csv")
    out = base / "out"
    out.mkdir(parents=True, exist_ok=True)
    store = base / "sw.duckdb"
    rows = (
        # west to the gap start, silent 12 h, then from the gap end to the meeting point
        _track(SUBJECT, T0 - timedelta(hours=12), 12, 38.90, 124.00, 0.0, 0.025, 100, 1, ais)
        + _track(SUBJECT, T0 + timedelta(hours=12), 6, 38.70, 125.00, 0.0167, -0.0833, 200,
                 2, ais)
        + _track(SUBJECT, T0 + timedelta(hours=18), 6, 38.80, 124.50, 0.0, 0.0, 300, 2, ais)
        + _track(PARTNER, T0 + timedelta(hours=14), 10, 38.60, 124.10, 0.05, 0.1, 400, 3, ais)
    )
    pl.DataFrame(rows).with_columns(pl.col("timestamp").dt.cast_time_unit("us")).write_parquet(
        out / "positions.parquet")
    enc = {
        "event_id": "enc-1", "event_type": "encounter", "mmsi": PARTNER, "other_mmsi": SUBJECT,
        "start_time": T0 + timedelta(hours=18), "end_time": T0 + timedelta(hours=23, minutes=30),
        "lat": ENCOUNTER[0], "lon": ENCOUNTER[1], "duration_h": 5.5,
        "median_distance_m": 110.0, "median_speed_knots": 0.4, "distance_to_port_km": 79.0,
        "evidence": [f"{ais}:{300 + i}" for i in range(6)] + [f"{ais}:{424 + i}"
                                                            for i in range(6)],
        "details": json.dumps({"min_distance_m": 83.0}),
    }
    gap = {
        "event_id": "gap-1", "event_type": "ais_gap", "mmsi": SUBJECT,
        "start_time": T0, "end_time": T0 + timedelta(hours=12), "lat": GAP[0][0],
        "lon": GAP[0][1], "end_lat": GAP[1][0], "end_lon": GAP[1][1], "duration_h": 12.0,
        "distance_km": 64.4, "implied_speed_knots": 2.9, "likely_intentional": True,
        "draught_changed": True, "draught_before_m": 4.2, "draught_after_m": 6.8,
        "evidence": [f"{ais}:172", f"{ais}:200"], "details": "{}",
    }
    finding = {
        "event_id": "q-1", "event_type": "invalid_imo", "mmsi": SUBJECT,
        "start_time": T0, "end_time": T0, "duration_h": 0.0,
        "evidence": [f"{ais}:7"], "details": json.dumps({"imo": 1234567}),
    }
    ident = pl.DataFrame([
        {"mmsi": SUBJECT, "first_seen": T0 - timedelta(hours=12), "last_seen": T0,
         "imo": IMO, "name": "JI SONG 6", "callsign": "HMGXT", "ship_type": 80, "flag": "KP",
         "flag_source": "mid", "n_reports": 3, "source": ais, "record": 101},
        {"mmsi": SUBJECT, "first_seen": T0 + timedelta(hours=12),
         "last_seen": T0 + timedelta(hours=24), "imo": IMO, "name": EVIL,
         "callsign": "HMGXT", "ship_type": 80, "flag": "KP", "flag_source": "mid",
         "n_reports": 2, "source": ais, "record": 201},
        {"mmsi": PARTNER, "first_seen": T0 + timedelta(hours=14),
         "last_seen": T0 + timedelta(hours=24), "imo": 8622141, "name": "UNITY PYONG 24",
         "callsign": "BROWF", "ship_type": 80, "flag": "TW", "flag_source": "mid",
         "n_reports": 2, "source": ais, "record": 401},
    ])
    with DuckDBStore(store) as s:
        s.add_events(EVENTS.conform(pl.DataFrame([enc, gap]).with_columns(
            pl.col("start_time", "end_time").dt.cast_time_unit("us"))))
        s.add_events(QUALITY_FINDINGS.conform(pl.DataFrame([finding]).with_columns(
            pl.col("start_time", "end_time").dt.cast_time_unit("us"))), QUALITY_FINDINGS)
        s.add_vessel_identities(ident)
        s.replace_vessel_matches(pl.DataFrame([{
            "mmsi": SUBJECT, "imo": IMO, "ais_name": "JI SONG 6", "match_id": f"un1718-{IMO}",
            "match_name": "JI SONG 6", "datasets": ["un_1718_vessels"], "score": 1.0,
            "is_match": True, "explanation": "imo +1.00 (8898740 = 8898740)",
            "matched_on": "imo"}]))
        if with_run:
            s.record_run("20190303T000000-test", started_at=T0, finished_at=T0,
                         command="detect", inputs=[{"path": ais}], params={}, counts={},
                         events_new=2, config={"out": str(out)})
    with ListStore(store) as ls:
        st = SANCTION_STATEMENTS.conform(pl.DataFrame([
            {"entity_id": f"un1718-{IMO}", "schema": "Vessel", "prop": p, "value": v,
             "dataset": "un_1718_vessels", "list_date": datetime(2020, 6, 4).date(),
             "source_record": f"line 20 (IMO {IMO})"}
            for p, v in (("id", f"un1718-{IMO}"), ("name", "JI SONG 6"),
                         ("imoNumber", f"IMO{IMO}"), ("notes", "STS transfers in 2018."))
        ]))
        ls.con.register("_st", st.to_arrow())
        ls.con.execute("INSERT INTO sanction_statements SELECT * FROM _st")
        ls.con.execute(
            "INSERT INTO sanction_list_versions (dataset, list_date, path) VALUES "
            "('un_1718_vessels', DATE '2020-06-04', 'lists/un_1718_vessels_2020-06-04.csv')")
    return SmallStore(store, out, ais)
