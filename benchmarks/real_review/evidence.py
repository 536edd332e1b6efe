"""What an analyst reads before judging an event of a run on real AIS: one row of evidence per
event, from the run's own output folder (events, cleaned positions, vessel reports).

    python benchmarks/real_review/evidence.py RUN_DIR --out evidence.csv [--events ids.txt]

The columns (documented in docs/real-review.md) are facts, not verdicts: how many ships the
same feed heard during a gap, how far the ship was from where it went silent, how many
positions a port call rests on, whether a draught flaps, which files and years an event spans.
The verdicts in ``labels.csv`` were given by reading them (rules in docs/real-review.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl

from sanctionwatch.ids import imo_is_valid, mmsi_kind

SHIP_MMSI = (pl.col("mmsi") >= 200_000_000) & (pl.col("mmsi") <= 799_999_999)


def _src(col: str = "evidence") -> pl.Expr:
    """Base name of the file of an event's first evidence record."""
    return pl.col(col).list.first().str.split(":").list.first().str.split("/").list.last()


def _sources(col: str = "evidence") -> pl.Expr:
    return (pl.col(col).list.eval(pl.element().str.split(":").list.first().str.split("/")
                                  .list.last()).list.unique().list.sort().list.join("|"))


def gap_evidence(gaps: pl.DataFrame, pos: pl.DataFrame) -> pl.DataFrame:
    """Per gap: ships the same file heard during the silence (all, and within 1 degree of where
    the ship went silent), the file's usual number of ships per hour, the ship's positions in
    the file, its speed before and after and the distance it covered."""
    ships = pos.filter(SHIP_MMSI)
    hourly = (ships.group_by("src", pl.col("timestamp").dt.truncate("1h").alias("h"))
              .agg(pl.col("mmsi").n_unique().alias("n")))
    usual = hourly.group_by("src").agg(pl.col("n").median().alias("src_ships_per_hour_median"),
                                       pl.col("h").n_unique().alias("src_hours_with_data"))
    rows = []
    for g in gaps.iter_rows(named=True):
        s = ships.filter((pl.col("src") == g["src"]) & (pl.col("timestamp") > g["start_time"])
                         & (pl.col("timestamp") < g["end_time"]) & (pl.col("mmsi") != g["mmsi"]))
        near = s.filter(((pl.col("lat") - g["lat"]).abs() <= 1)
                        & ((pl.col("lon") - g["lon"]).abs() <= 1))
        hours_heard = s["timestamp"].dt.truncate("1h").n_unique() if s.height else 0
        near_hours = near["timestamp"].dt.truncate("1h").n_unique() if near.height else 0
        own = pos.filter(pl.col("mmsi") == g["mmsi"]).sort("timestamp")
        before = own.filter(pl.col("timestamp") <= g["start_time"]).tail(1)
        after = own.filter(pl.col("timestamp") >= g["end_time"]).head(1)
        rows.append({
            "event_id": g["event_id"],
            "feed_ships_during": s["mmsi"].n_unique(),
            "feed_hours_heard_during": hours_heard,
            "nearby_ships_during": near["mmsi"].n_unique(),
            "nearby_hours_heard_during": near_hours,
            "ship_positions_in_src": own.filter(pl.col("src") == g["src"]).height,
            "sog_before_knots": before["sog_knots"].item() if before.height else None,
            "sog_after_knots": after["sog_knots"].item() if after.height else None,
        })
    out = gaps.join(pl.DataFrame(rows), on="event_id").join(usual, on="src", how="left")
    return out.with_columns(
        (pl.col("duration_h").ceil()).alias("gap_hours"),
        (((pl.col("sog_before_knots") + pl.col("sog_after_knots")) / 2) * pl.col("duration_h")
         * 1.852).alias("distance_at_reported_speed_km"),
    )


def _extent_km(w: pl.DataFrame) -> float | None:
    """Largest distance of a position from the median position (how far the ship moved)."""
    if not w.height:
        return None
    lat0, lon0 = float(w["lat"].median()), float(w["lon"].median())  # type: ignore[arg-type]
    dy = (w["lat"].to_numpy() - lat0) * 111.2
    dx = (w["lon"].to_numpy() - lon0) * 111.2 * np.cos(np.radians(lat0))
    return float(np.hypot(dx, dy).max())


def _longest_silence(w: pl.DataFrame) -> tuple[float | None, float | None]:
    """The longest time between consecutive positions (h) and how far apart (km) the two
    positions either side of it are: whether the ship stayed put while unheard."""
    if w.height < 2:
        return None, None
    dt = w["timestamp"].diff().dt.total_seconds().to_numpy()[1:] / 3600
    i = int(np.argmax(dt)) + 1
    a, b = w.row(i - 1, named=True), w.row(i, named=True)
    dy = (b["lat"] - a["lat"]) * 111.2
    dx = (b["lon"] - a["lon"]) * 111.2 * np.cos(np.radians(a["lat"]))
    return float(dt[i - 1]), float(np.hypot(dx, dy))


def port_call_evidence(calls: pl.DataFrame, pos: pl.DataFrame) -> pl.DataFrame:
    """Per port call: the ship's positions in the call's window, their files, years and top
    speed, and the station kind of the MMSI."""
    rows = []
    for c in calls.iter_rows(named=True):
        w = pos.filter((pl.col("mmsi") == c["mmsi"]) & (pl.col("timestamp") >= c["start_time"])
                       & (pl.col("timestamp") <= c["end_time"])).sort("timestamp")
        silence = _longest_silence(w)
        rows.append({
            "event_id": c["event_id"],
            "window_positions": w.height,
            "window_files": "|".join(sorted(set(w["src"].to_list()))),
            "window_years": "|".join(sorted({str(y) for y in w["timestamp"].dt.year().to_list()})),
            "window_max_sog_knots": w["sog_knots"].max(),
            "window_extent_km": _extent_km(w),
            "longest_silence_h": silence[0],
            "moved_across_silence_km": silence[1],
        })
    return calls.join(pl.DataFrame(rows), on="event_id")


def spoofing_evidence(ev: pl.DataFrame, pos: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """Per spoofing event: whether it starts on a midnight stamp, how many positions each of the
    MMSI's tracks has and whether they overlap in time (two transmitters) or one is a single
    stray record; for IMO events the number and whether it passes the check digit."""
    tracks = (pos.group_by("mmsi", "track_id")
              .agg(pl.len().alias("n"), pl.col("timestamp").min().alias("t0"),
                   pl.col("timestamp").max().alias("t1")))
    rows = []
    for e in ev.iter_rows(named=True):
        t = tracks.filter(pl.col("mmsi") == e["mmsi"]).sort("t0")
        overlap = False
        if t.height > 1:
            t0, t1 = t["t0"].to_list(), t["t1"].to_list()
            overlap = any(t0[i] < t1[j] and t0[j] < t1[i]
                          for i in range(len(t0)) for j in range(i + 1, len(t0)))
        rep = reports.filter(pl.col("mmsi") == e["mmsi"])
        imos = sorted({i for i in rep["imo"].drop_nulls().to_list()})
        rows.append({
            "event_id": e["event_id"],
            "midnight_stamp": e["start_time"].strftime("%H:%M:%S") in ("00:00:00", "00:00:01"),
            "mmsi_tracks": t.height,
            "track_sizes": "|".join(str(n) for n in t["n"].to_list()),
            "smallest_track": int(t["n"].min()) if t.height else 0,
            "tracks_overlap_in_time": overlap,
            "imos_reported": "|".join(str(i) for i in imos),
            "imo_check_digit_ok": any(imo_is_valid(i) for i in imos) if imos else None,
        })
    return ev.join(pl.DataFrame(rows), on="event_id")


def draught_evidence(ev: pl.DataFrame) -> pl.DataFrame:
    """Per draught change: changes of the same MMSI within an hour (a flapping value), hours
    between the two reports, and whether they come from different files."""
    d = ev.with_columns(
        pl.col("details").map_elements(lambda s: json.loads(s).get("earlier_report"),
                                       return_dtype=pl.String).alias("earlier"),
        _sources().alias("files"),
    )
    rows = []
    for e in d.iter_rows(named=True):
        same = d.filter((pl.col("mmsi") == e["mmsi"])
                        & ((pl.col("start_time") - e["start_time"]).abs()
                           <= pl.duration(hours=1)))
        rows.append({"event_id": e["event_id"], "changes_within_1h": same.height})
    return d.join(pl.DataFrame(rows), on="event_id").with_columns(
        ((pl.col("end_time") - pl.col("earlier").str.to_datetime(time_zone="UTC"))
         .dt.total_seconds() / 3600).alias("hours_between_reports"),
    )


def identity_evidence(ev: pl.DataFrame) -> pl.DataFrame:
    """Per identity change: the files of the two reports compared and the hours between them."""
    return ev.with_columns(
        _sources().alias("files"),
        pl.col("details").map_elements(lambda s: json.loads(s).get("hours_since_old_report"),
                                       return_dtype=pl.Float64).alias("hours_since_old_report"),
    )


def evidence(run: Path) -> dict[str, pl.DataFrame]:
    """Evidence tables by event type for the run in ``run``."""
    ev = pl.read_parquet(run / "events.parquet").with_columns(_src().alias("src"))
    pos = pl.read_parquet(run / "positions.parquet").with_columns(
        pl.col("source").str.split("/").list.last().alias("src"))
    reports = pl.read_parquet(run / "vessel_reports.parquet")
    ev = ev.with_columns(pl.col("mmsi").map_elements(mmsi_kind, return_dtype=pl.String)
                         .alias("mmsi_kind"))
    by = {t: ev.filter(pl.col("event_type") == t) for t in ev["event_type"].unique().to_list()}
    out: dict[str, pl.DataFrame] = {}
    if "ais_gap" in by:
        out["ais_gap"] = gap_evidence(by["ais_gap"], pos)
    if "port_call" in by:
        out["port_call"] = port_call_evidence(by["port_call"], pos)
    if "spoofing" in by:
        out["spoofing"] = spoofing_evidence(by["spoofing"], pos, reports)
    if "draught_change" in by:
        out["draught_change"] = draught_evidence(by["draught_change"])
    if "identity_change" in by:
        out["identity_change"] = identity_evidence(by["identity_change"])
    for t, df in by.items():
        out.setdefault(t, df)
    return out


def flat(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with list columns joined, for CSV."""
    return df.with_columns(
        pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(" ")
        for c, t in df.schema.items() if isinstance(t, pl.List)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run", type=Path, help="a `sanctionwatch detect --out` folder")
    ap.add_argument("--out", type=Path, required=True, help="folder for one CSV per event type")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for t, df in evidence(args.run).items():
        flat(df).write_csv(args.out / f"{t}.csv")
        print(f"{t}: {df.height} events -> {args.out / (t + '.csv')}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
