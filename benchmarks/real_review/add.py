"""Label events of a later run that no label of the review set covers, by the same rules, and
append them (docs/real-review.md, "Adding to the set").

    python benchmarks/real_review/add.py RUN_DIR --type port_call --sample 120 --commit SHA

Only types whose verdicts a rule of ``propose.py`` gives are added this way; the others are
read by hand. The reason of each added label ends with the commit the event was first seen on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from propose import KEEP, RULES, SEED

from evidence import evidence, flat
from sanctionwatch.review import load_labels, match

LABELS = Path(__file__).resolve().parent / "labels.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run", type=Path)
    ap.add_argument("--type", required=True, choices=sorted(RULES))
    ap.add_argument("--sample", type=int, default=0, help="at most this many (0: all)")
    ap.add_argument("--commit", required=True, help="the commit the run was made on")
    args = ap.parse_args()
    labels = load_labels(LABELS)
    events = pl.read_parquet(args.run / "events.parquet")
    todo = match(events.filter(pl.col("event_type") == args.type), labels).filter(
        pl.col("verdict").is_null())["event_id"]
    with tempfile.TemporaryDirectory() as tmp:
        # the evidence tables, for the unlabelled events only, through a CSV round trip
        # exactly as propose.py reads them
        ev = evidence(args.run)[args.type].filter(pl.col("event_id").is_in(todo.implode()))
        path = Path(tmp) / "ev.csv"
        flat(ev).write_csv(path)
        ev = pl.read_csv(path, infer_schema_length=None, try_parse_dates=True)
    if args.sample and ev.height > args.sample:
        ev = ev.sample(args.sample, seed=SEED).sort("start_time", "mmsi")
    rows = []
    for r in ev.iter_rows(named=True):
        ok, rid, why = RULES[args.type](r)
        rows.append({**{k: r.get(k) for k in KEEP}, "verdict": "true" if ok else "false",
                     "rule": rid, "reason": f"{why} (added: first seen on {args.commit})",
                     "read_by_hand": False})
    new = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ") for c in ("start_time", "end_time"))
    old = pl.read_csv(LABELS, infer_schema_length=0)  # as written: all text
    out = pl.concat([old, new.select(old.columns).cast(pl.String).with_columns(
        pl.col("read_by_hand").str.to_lowercase())], how="vertical")
    assert out["event_id"].is_unique().all()
    out.write_csv(LABELS)
    load_labels(LABELS)
    print(f"{new.height} labels added ({new['verdict'].value_counts().rows()}) -> {LABELS}")


if __name__ == "__main__":
    main()
