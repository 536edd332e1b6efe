"""Fishing-detector benchmark: precision, recall and F1 of ``fishing`` and ``pair_trawling``
(and ``encounter``, which must not fire on the pair trawlers) against the simulator's labels,
and of ``fishing`` by gear (trawler, squid jigger).

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

from sanctionwatch.evaluate import EvaluationReport, Score, evaluate
from sanctionwatch.pipeline import detect
from sanctionwatch.simulate import simulate

TYPES = ("fishing", "pair_trawling", "encounter")
RUNS = (("dprk-2019", 1), ("dprk-2019", 2), ("dprk-2019", 3), ("baseline", 1))
GEAR_ROWS = {"trawler": ("trawler", "pair_trawler"), "squid_jigger": ("squid_jigger",)}
"""``fishing`` scored by gear: the labels' gears (each pair trawler's own fishing is trawling)
and the event gear guesses a false positive of that row carries."""
EVENT_GEARS = {"trawler": ("trawler", "unknown"), "squid_jigger": ("squid_jigger",)}


def _gear(df: pl.DataFrame) -> pl.Series:
    """The ``gear`` of each row's ``details`` (a JSON string)."""
    return df["details"].str.json_path_match("$.gear").fill_null("unknown")


def by_gear(events: pl.DataFrame, labels: pl.DataFrame, report: EvaluationReport
            ) -> list[dict[str, object]]:
    """``fishing`` by gear: TP and FN by the label's gear (a match counts under the label's
    gear, whatever the event guessed; ``gear_agree`` counts the TPs whose event guessed the
    same gear), FP by the unmatched event's gear guess."""
    m = report.matches.filter(pl.col("event_type") == "fishing")
    lab = labels.with_row_index("label_index").with_columns(
        pl.col("label_index").cast(pl.Int64), _gear(labels).alias("gear")).filter(
        pl.col("event_type") == "fishing")
    ev_gear = _gear(events)
    fp = report.false_positives.filter(pl.col("event_type") == "fishing")
    fp_gear = _gear(fp) if fp.height else pl.Series([], dtype=pl.Utf8)
    rows: list[dict[str, object]] = []
    for row, gears in GEAR_ROWS.items():
        mine = lab.filter(pl.col("gear").is_in(gears))
        hit = m.filter(pl.col("label_index").is_in(mine["label_index"].implode()))
        tp = hit.height
        agree = sum(1 for i in hit["event_index"].to_list()
                    if (ev_gear[i] == "squid_jigger") == (row == "squid_jigger"))
        n_fp = int(fp_gear.is_in(EVENT_GEARS[row]).sum())
        rows.append({"gear": row, "labels": mine.height, "tp": tp, "fp": n_fp,
                     "fn": mine.height - tp, "gear_agree": agree,
                     **Score(row, mine.height, tp + n_fp, tp, n_fp, mine.height - tp
                             ).to_dict()})
    return rows


def run(scenario: str, seed: int, work: Path) -> list[dict[str, object]]:
    """Scores of one scenario and seed, one row per event type and ``fishing`` gear."""
    sim = simulate(scenario, seed, work / "scenario")
    detect([str(f) for f in sim.files], work / "det", only=list(TYPES), engine="memory")
    events = pl.read_parquet(work / "det" / "events.parquet")
    labels = pl.read_parquet(sim.labels_path)
    report = evaluate(events, labels,
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
                     "pair_trawl_hits": hits.get("pair_trawl", {}).get(t, 0),
                     "drifting_hits": hits.get("drifting_offshore", {}).get(t, 0)})
        if t == "fishing":
            for g in by_gear(events, labels, report):
                rows.append({"scenario": scenario, "seed": seed, "type": f"fishing · {g['gear']}",
                             "labels": g["labels"], "events": g["n_events"], "tp": g["tp"],
                             "fp": g["fp"], "fn": g["fn"], "precision": g["precision"],
                             "recall": g["recall"], "f1": g["f1"],
                             "gear_agree": g["gear_agree"]})
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
            "recall", "f1", "hard_negative_fp", "pair_trawl_hits", "drifting_hits",
            "gear_agree"]
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
        "hold no `encounter`); `drifting_hits`: events on the fishing vessel drifting day "
        "and night (which must hold no `fishing`).",
        "",
        "`fishing · GEAR` rows score the `fishing` events by gear: labels (and true "
        "positives, false negatives) by the label's gear (`trawler` counts trawlers and "
        "each pair trawler's own fishing; `squid_jigger` the lighting vessels' jigging "
        "nights, one label per night), false positives by the unmatched event's gear guess "
        "(`trawler` or `unknown` under `trawler`); `gear_agree`: true positives whose event "
        "guessed the label's gear (squid jigger or not). Squid jiggers: "
        "`simulate/behaviours.py` `squid_jigger` (five in DPRK East Sea waters on `dprk-2019`, "
        "three in the East China and Yellow Seas on `dprk-2019` and `baseline`).",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    lines += ["| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |" for r in rows]
    lines += ["", "Pooled over the `dprk-2019` seeds:", "",
              "| type | precision | recall | f1 |", "|---|---|---|---|"]
    for t in dict.fromkeys(str(r["type"]) for r in rows):
        pool = [r for r in rows if r["type"] == t and r["scenario"] == "dprk-2019"]
        tp, fp, fn = (sum(int(str(r[k])) for r in pool) for k in ("tp", "fp", "fn"))
        sc = Score(t, tp + fn, tp + fp, tp, fp, fn)
        lines.append(f"| {t} | {_fmt(sc.precision)} ({tp} of {tp + fp}) | "
                     f"{_fmt(sc.recall)} ({tp} of {tp + fn}) | {_fmt(sc.f1)} |")
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
