"""Fishing-detector benchmark: precision, recall and F1 of ``fishing`` and ``pair_trawling``
(and ``encounter``, which must not fire on the pair trawlers) against the simulator's labels.

Runs scenario ``dprk-2019`` with seeds 1, 2, 3 and ``baseline`` with seed 1 through
``sanctionwatch.simulate.simulate``, detects with ``sanctionwatch.pipeline.detect`` (only the
three detectors: none of them reads another's events, so the events are those of a full run)
and scores with ``sanctionwatch.evaluate.evaluate`` against ``labels.parquet`` and
``negatives.parquet``. Writes ``benchmarks/results/fishing.md``.

Regenerate with::

    PYTHONPATH=src .venv/bin/python benchmarks/fishing_eval.py
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import polars as pl
from _common import ROOT, git_commit

from sanctionwatch.evaluate import evaluate
from sanctionwatch.pipeline import detect
from sanctionwatch.simulate import simulate

TYPES = ("fishing", "pair_trawling", "encounter")
RUNS = (("dprk-2019", 1), ("dprk-2019", 2), ("dprk-2019", 3), ("baseline", 1))


def run(scenario: str, seed: int, work: Path) -> list[dict[str, object]]:
    """Scores of one scenario and seed, one row per event type."""
    sim = simulate(scenario, seed, work / "scenario")
    detect([str(f) for f in sim.files], work / "det", only=list(TYPES), engine="memory")
    events = pl.read_parquet(work / "det" / "events.parquet")
    report = evaluate(events, pl.read_parquet(sim.labels_path),
                      negatives=pl.read_parquet(work / "scenario" / "negatives.parquet"),
                      types=TYPES)
    hits = report.hard_negative_hits
    rows = []
    for t in TYPES:
        s = report.per_type[t]
        rows.append({"scenario": scenario, "seed": seed, "type": t, "labels": s.n_labels,
                     "events": s.n_events, "tp": s.tp, "fp": s.fp, "fn": s.fn,
                     "precision": s.precision, "recall": s.recall, "f1": s.f1,
                     "hard_negative_fp": s.fp_hard_negative,
                     "pair_trawl_hits": hits.get("pair_trawl", {}).get(t, 0)})
    return rows


def _fmt(x: object) -> str:
    return "—" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "fishing.md"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scenario, seed in RUNS:
            rows.extend(run(scenario, seed, Path(tmp) / f"{scenario}-{seed}"))
    cols = ["scenario", "seed", "type", "labels", "events", "tp", "fp", "fn", "precision",
            "recall", "f1", "hard_negative_fp", "pair_trawl_hits"]
    lines = [
        "# Fishing and pair-trawling detectors against the simulator's labels",
        "",
        f"Commit `{git_commit()}`. Regenerate with "
        "`PYTHONPATH=src .venv/bin/python benchmarks/fishing_eval.py`.",
        "",
        "Labels: `fishing` is each simulated fishing boat's stretches of `fish()` minutes; "
        "`pair_trawling` the stretches both boats of a pair trawl on one shared pattern "
        "within 535 m (`simulate/behaviours.py` `_fishing_labels`). Matching rule: "
        "`docs/evaluation.md` (same type and vessel(s), overlapping time, one to one). "
        "`pair_trawl_hits`: events inside the pair-trawl hard-negative windows (which must "
        "hold no `encounter`).",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in cols) + " |" for r in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
