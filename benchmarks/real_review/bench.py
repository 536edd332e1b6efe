"""Precision on real AIS: detect on every real sample in ``tests/data/ais`` and score the events
against the committed review set (``benchmarks/real_review/labels.csv``, rules in
docs/real-review.md). Writes ``benchmarks/results/real_review.md`` and the events no label
covers to ``--unlabelled`` (to be read and added to the set).

    make bench-real        # = .venv/bin/python benchmarks/real_review/bench.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _common import git_commit

from sanctionwatch.pipeline import detect
from sanctionwatch.review import label_precision, load_labels, match, precision

ROOT = Path(__file__).resolve().parents[2]
INPUT = ROOT / "tests" / "data" / "ais"
LABELS = ROOT / "benchmarks" / "real_review" / "labels.csv"
RESULT = ROOT / "benchmarks" / "results" / "real_review.md"
COMMAND = "make bench-real"
TARGET_PRECISION = 0.9
"""Issue 13: precision on the review set at least 0.9 for every event type that fires."""


def _table(df: pl.DataFrame) -> str:
    cols = df.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.iter_rows():
        cells = [f"{v:.3f}" if isinstance(v, float) else ("" if v is None else str(v))
                 for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run(out: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Detect on the real samples into ``out``; return (events, labels, precision table)."""
    res = detect([INPUT], out, store_path=None)
    labels = load_labels(LABELS)
    return res.events, labels, precision(res.events, labels)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--unlabelled", type=Path, default=Path("/tmp/sanctionwatch-unlabelled.csv"),
                    help="where to write the events no label covers")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        events, labels, now = run(Path(tmp) / "run")
    before = label_precision(labels)
    todo = match(events, labels).filter(pl.col("verdict").is_null()).join(
        events, on="event_id", how="left", suffix="_e")
    todo.select([c for c in todo.columns if not c.endswith("_e")]).with_columns(
        pl.col(c).list.join(" ") for c, t in todo.schema.items()
        if isinstance(t, pl.List) and c in todo.columns and not c.endswith("_e")
    ).write_csv(args.unlabelled)
    fails = now.filter(pl.col("precision").is_not_null()
                       & (pl.col("precision") < TARGET_PRECISION))
    text = "\n".join([
        "# Precision on real AIS (the review set)",
        "",
        f"Command: `{COMMAND}` (`benchmarks/real_review/bench.py`). Input: every file in "
        "`tests/data/ais` detected together with the default configuration. Review set: "
        f"`benchmarks/real_review/labels.csv`, {labels.height} labelled events of the run on "
        "commit e27c4d7, rules in `docs/real-review.md`.",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on commit {git_commit()}.",
        "",
        "## Before: the run the labels were made on",
        "",
        _table(before),
        "",
        "## Now",
        "",
        "`labelled`: events matched to a label (same type and vessels, overlapping time, same "
        "subtype for spoofing and identity changes). `unlabelled`: events no label covers, "
        f"written to `{args.unlabelled}` for review. `labels_unmatched`: labelled events no "
        "longer made (`true_labels_unmatched` of them were true).",
        "",
        _table(now),
        "",
        f"Types below the {TARGET_PRECISION} target: "
        + (", ".join(fails["event_type"].to_list()) if fails.height else "none") + ".",
        "",
    ])
    print(text)
    if not args.no_write:
        RESULT.write_text(text)
    return 1 if fails.height else 0


if __name__ == "__main__":
    raise SystemExit(main())
