"""Select the events of the review set and propose a verdict for each by the written rules of
docs/real-review.md, from the evidence tables of ``evidence.py``.

    python benchmarks/real_review/propose.py EVIDENCE_DIR --out proposed.csv

Kept for transparency: this is how ``labels.csv`` was first filled. Each proposed verdict was
then read against its evidence row, and the events marked ``read_by_hand`` were also read in
the positions themselves; where reading disagreed with a rule, the verdict was changed by hand
and the reason says so. Rules name facts an analyst checks, never a detector's parameter.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl

SEED = 13
PORT_CALL_STOPS = 200
"""Port-call stops sampled (of about 5,000); every visit is kept. Every event of the other
types is in the set."""

PLACEHOLDER_MMSIS = {111111111, 123456789, 222222222, 333333333, 444444444, 555555555,
                     666666666, 777777777, 888888888, 999999999}
"""Test and placeholder identities seen on AIS (repeated digits, 123456789)."""

Verdict = tuple[bool, str, str]
"""(true?, rule id, reason)."""


def _ship(r: dict[str, object]) -> Verdict | None:
    if r["mmsi_kind"] != "ship":
        return False, "S1", f"MMSI {r['mmsi']} is not a ship station ({r['mmsi_kind']})"
    if r["mmsi"] in PLACEHOLDER_MMSIS:
        return False, "S1", f"MMSI {r['mmsi']} is a placeholder/test identity"
    return None


def gap(r: dict[str, object]) -> Verdict:
    """ais_gap rules G1-G3."""
    if (v := _ship(r)) is not None:
        return v
    hours = float(r["gap_hours"])  # type: ignore[arg-type]
    heard = int(r["feed_hours_heard_during"])  # type: ignore[arg-type]
    near = int(r["nearby_hours_heard_during"])  # type: ignore[arg-type]
    if heard < hours / 2:
        return False, "G1", (f"the file heard ships in only {heard} of the gap's {hours:.0f} "
                             "hours: the feed was silent, not the ship")
    own = int(r["ship_positions_in_src"])  # type: ignore[arg-type]
    if near < hours / 2 or own <= 3:
        return False, "G2", (f"the file heard ships within 1 degree of the ship in {near} of "
                             f"the gap's {hours:.0f} hours and the ship itself {own} times in "
                             "the whole file: its silence is not observable")
    return True, "G3", (f"other ships within 1 degree heard in {near} of {hours:.0f} hours "
                        "while this ship was silent")


def port_call(r: dict[str, object]) -> Verdict:
    """port_call rules P1-P4."""
    if (v := _ship(r)) is not None:
        return v
    if "|" in str(r["window_files"] or "") or "|" in str(r["window_years"] or ""):
        return False, "P2", (f"the visit joins files {r['window_files']} (years "
                             f"{r['window_years']}): not one observed stay")
    if int(r["n_positions"]) < 2 or float(r["duration_h"]) == 0:  # type: ignore[arg-type]
        return False, "P1", "one position: no evidence of arrival, stay or departure"
    if float(r["duration_h"]) < 10 / 60:  # type: ignore[arg-type]
        return False, "P1", (f"{r['n_positions']} positions within "
                             f"{float(r['duration_h']) * 60:.1f} min: no evidence of a stay")  # type: ignore[arg-type]
    d = json.loads(str(r["details"]))
    moved = r["moved_across_silence_km"]
    silent = float(r["longest_silence_h"] or 0)  # type: ignore[arg-type]
    if (d.get("n_stops") == 0 and moved is not None and float(moved) > 1  # type: ignore[arg-type]
            and silent >= float(r["duration_h"]) / 2):  # type: ignore[arg-type]
        return False, "P3", (f"never seen stopped, unheard for {silent:.1f} of the visit's "
                             f"{float(r['duration_h']):.1f} h and {float(moved):.1f} km away "  # type: ignore[arg-type]
                             "when heard again: a passage stretched by a silence of the feed, "
                             "not a stay")
    return True, "P4", (f"{r['n_positions']} positions over {float(r['duration_h']):.2f} h "  # type: ignore[arg-type]
                        f"within the port radius of {r['port_name']}: stopped, or heard "
                        "again where it fell silent")


def spoofing(r: dict[str, object]) -> Verdict:
    """spoofing rules F1-F4."""
    sub = r["subtype"]
    if sub in ("invalid_imo", "invalid_mmsi", "invalid_position"):
        return False, "F1", f"{sub}: a format problem of a field, data quality, not behaviour"
    if (v := _ship(r)) is not None:
        return v
    if sub == "impossible_speed":
        if r["midnight_stamp"] and int(r["smallest_track"]) <= 2:  # type: ignore[arg-type]
            return False, "F2", ("the jump starts on a record stamped at midnight that lies off "
                                 f"the ship's track (tracks of {r['track_sizes']} positions): a "
                                 "stale, mis-stamped record")
        if int(r["smallest_track"]) == 1:  # type: ignore[arg-type]
            return False, "F3", ("one stray record off an otherwise continuous track (tracks of "
                                 f"{r['track_sizes']} positions): a corrupt record")
        return True, "F4", (f"the MMSI reports from two places no ship can join (tracks of "
                            f"{r['track_sizes']} positions)")
    return True, "F4", f"{sub}: read by hand"


def by_hand(r: dict[str, object]) -> Verdict:
    """Types read one by one (identity, draught, zones): no rule proposes; the lead writes."""
    return True, "H", "to read by hand"


RULES: dict[str, Callable[[dict[str, object]], Verdict]] = {
    "ais_gap": gap, "port_call": port_call, "spoofing": spoofing,
}

KEEP = ["event_id", "event_type", "subtype", "mmsi", "other_mmsi", "start_time", "end_time",
        "src"]


def select(evidence_dir: Path) -> dict[str, pl.DataFrame]:
    """The review set's events by type: every event, but a stratified sample of port-call
    stops (at least 15 per file where a file has as many, else in proportion)."""
    out = {}
    for f in sorted(evidence_dir.glob("*.csv")):
        df = pl.read_csv(f, infer_schema_length=None, try_parse_dates=True)
        if f.stem == "port_call":
            visits = df.filter(pl.col("subtype") == "visit")
            stops = df.filter(pl.col("subtype") == "stop")
            parts = []
            for (_src,), g in stops.group_by("src", maintain_order=True):
                n = max(min(g.height, 15), round(PORT_CALL_STOPS * g.height / stops.height))
                parts.append(g.sample(min(n, g.height), seed=SEED))
            df = pl.concat([visits, *parts]).sort("start_time", "mmsi")
        out[f.stem] = df
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("evidence", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rows = []
    for t, df in select(args.evidence).items():
        rule = RULES.get(t, by_hand)
        for r in df.iter_rows(named=True):
            ok, rid, why = rule(r)
            rows.append({**{k: r.get(k) for k in KEEP}, "verdict": "true" if ok else "false",
                         "rule": rid, "reason": why})
    pl.DataFrame(rows, infer_schema_length=None).write_csv(args.out)
    print(f"{len(rows)} events -> {args.out}")


if __name__ == "__main__":
    main()
