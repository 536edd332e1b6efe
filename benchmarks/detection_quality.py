"""Detection-quality benchmark: simulate, detect, evaluate; write a Markdown table.

Runs scenario ``dprk-2019`` with seeds 1, 2, 3 and ``baseline`` with seed 1 through
``sanctionwatch.simulate.simulate`` (AIS files plus ``labels.parquet``), detects events with
``sanctionwatch.pipeline.detect`` on the written AIS files and scores them with
``sanctionwatch.evaluate.evaluate``. Writes ``benchmarks/results/detection_quality.md``.

Regenerate with::

    .venv/bin/python benchmarks/detection_quality.py
"""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from _common import git_commit

from sanctionwatch.evaluate import EvaluationReport, evaluate
from sanctionwatch.ingest.files import INPUT_SUFFIXES
from sanctionwatch.pipeline import detect

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "detection_quality.md"
DOC = ROOT / "docs" / "evaluation.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
COMMAND = ".venv/bin/python benchmarks/detection_quality.py"
SCENARIO = "dprk-2019"
SEEDS = (1, 2, 3)
BASELINE = ("baseline", 1)
TARGETS = {  # issue 3: recall >= 0.95 and precision >= 0.90 on every seed
    "encounter": (0.95, 0.90),
    "ais_gap": (0.95, 0.90),
    "port_call": (0.95, 0.90),
    "identity_change": (0.95, 0.90),
    "spoofing": (0.95, 0.90),
}


def simulate_to(scenario: str, seed: int, out: Path) -> tuple[list[Path], Path]:
    """Simulate into ``out``; return the AIS files written and the labels file."""
    from sanctionwatch.simulate import simulate

    kwargs: dict[str, Any] = {}
    if "fmt" in inspect.signature(simulate).parameters:
        kwargs["fmt"] = "marinecadastre"
    res = simulate(scenario, seed, out, **kwargs)
    files = getattr(res, "files", None)
    labels_path = getattr(res, "labels_path", None)
    if files and labels_path:
        return [Path(f) for f in files if Path(f) != Path(labels_path)], Path(labels_path)
    labels = out / "labels.parquet"
    if not labels.is_file():
        found = sorted(out.rglob("labels.parquet"))
        if not found:
            raise FileNotFoundError(f"simulate wrote no labels.parquet under {out}")
        labels = found[0]
    inputs = sorted(
        p
        for p in out.rglob("*")
        if p.is_file()
        and p.suffix.lower() in INPUT_SUFFIXES
        and not p.name.startswith(".")
        and "label" not in p.name
        and p.suffix.lower() != ".json"
    )
    return inputs, labels


def run_one(scenario: str, seed: int, work: Path) -> tuple[EvaluationReport, dict[str, float]]:
    """Simulate, detect and evaluate one scenario and seed; also return timings."""
    sim = work / f"{scenario}-{seed}" / "sim"
    det = work / f"{scenario}-{seed}" / "detect"
    t0 = time.perf_counter()
    inputs, labels_path = simulate_to(scenario, seed, sim)
    t1 = time.perf_counter()
    result = detect(inputs, det, store_path=None)
    t2 = time.perf_counter()
    labels = pl.read_parquet(labels_path)
    report = evaluate(
        pl.concat([result.events, result.quality], how="diagonal_relaxed"),
        labels,
        events_name=str(det / "events.parquet"),
        labels_name=str(labels_path),
        types=sorted(set(labels["event_type"].to_list()) | set(TARGETS)),
    )
    t3 = time.perf_counter()
    return report, {"simulate_s": t1 - t0, "detect_s": t2 - t1, "evaluate_s": t3 - t2}


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def markdown(
    reports: dict[int, EvaluationReport],
    baseline: EvaluationReport,
    timings: dict[str, dict[str, float]],
) -> str:
    """The results page."""
    types = sorted({t for r in reports.values() for t in r.per_type} | set(baseline.per_type))
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    tol = next(iter(reports.values())).time_tolerance_min
    lines = [
        "# Detection quality on simulated data",
        "",
        f"Generated {now} on top of commit `{git_commit()}` (Python {platform.python_version()}) "
        "by:",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        f"Scenario `{SCENARIO}`, seeds {', '.join(map(str, SEEDS))}; `baseline` seed "
        f"{BASELINE[1]}. Matching rule (docs/evaluation.md): "
        + next(iter(reports.values())).matching_rule
        + ".",
        "",
        "Targets (issue 3): recall ≥ 0.95 and precision ≥ 0.90 for "
        + ", ".join(f"`{t}`" for t in TARGETS)
        + " on every seed.",
        "",
        "## Precision / recall / F1 per event type and seed",
        "",
        "| event type | "
        + " | ".join(f"seed {s} P / R / F1 (TP, FP, FN)" for s in reports)
        + " | mean P / R / F1 | target met |",
        "|---|" + "---|" * (len(reports) + 2),
    ]
    for t in types:
        cells = []
        ps: list[float] = []
        rs: list[float] = []
        fs: list[float] = []
        met = t in TARGETS
        for r in reports.values():
            s = r.per_type.get(t)
            if s is None:
                cells.append("–")
                continue
            cells.append(
                f"{_fmt(s.precision)} / {_fmt(s.recall)} / {_fmt(s.f1)} ({s.tp}, {s.fp}, {s.fn})"
            )
            if s.precision is not None:
                ps.append(s.precision)
            if s.recall is not None:
                rs.append(s.recall)
            if s.f1 is not None:
                fs.append(s.f1)
            if t in TARGETS:
                rmin, pmin = TARGETS[t]
                met = met and (s.recall or 0) >= rmin and (s.precision or 0) >= pmin
        mean = " / ".join(_fmt(statistics.fmean(v) if v else None) for v in (ps, rs, fs))
        flag = ("yes" if met else "**no**") if t in TARGETS else "–"
        lines.append(f"| `{t}` | " + " | ".join(cells) + f" | {mean} | {flag} |")
    lines += ["", "Micro totals over the evaluated types:", ""]
    for seed, r in reports.items():
        m = r.micro
        lines.append(
            f"- seed {seed}: P {_fmt(m.precision)}, R {_fmt(m.recall)}, F1 {_fmt(m.f1)} "
            f"(TP {m.tp}, FP {m.fp}, FN {m.fn})"
        )
    unl = sorted({t for r in reports.values() for t in r.unlabelled_types})
    if unl:
        lines += [
            "",
            "Event types without labels (not scored): " + ", ".join(f"`{t}`" for t in unl) + ".",
        ]
    lines += [
        "",
        f"## False positives on `baseline` (seed {BASELINE[1]})",
        "",
        "| event type | labels | events | false positives |",
        "|---|---|---|---|",
    ]
    for t, s in baseline.per_type.items():
        lines.append(f"| `{t}` | {s.n_labels} | {s.n_events} | {s.fp} |")
    for t, n in baseline.unlabelled_types.items():
        lines.append(f"| `{t}` (no labels) | 0 | {n} | {n} (unscored) |")
    lines += [
        "",
        "## Run time",
        "",
        "| run | simulate s | detect s | evaluate s |",
        "|---|---|---|---|",
    ]
    for k, v in timings.items():
        lines.append(
            f"| {k} | {v['simulate_s']:.1f} | {v['detect_s']:.1f} | {v['evaluate_s']:.1f} |"
        )
    lines += ["", f"Time tolerance around instants: ±{tol:g} min.", ""]
    return "\n".join(lines)


def update_doc(text: str, doc: Path = DOC) -> bool:
    """Copy the results page between the markers of ``docs/evaluation.md`` (headings one
    level down); False when the markers are missing."""
    if not doc.is_file():
        return False
    page = doc.read_text()
    if BEGIN not in page or END not in page:
        return False
    body = "\n".join(
        ("#" + line if line.startswith("#") else line) for line in text.splitlines()[1:]
    ).strip()
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the results page."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=RESULT, help="Markdown file to write.")
    ap.add_argument("--keep", type=Path, help="Keep simulated and detected files here.")
    ap.add_argument("--json", type=Path, help="Also write the reports as JSON.")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sw-bench-") as tmp:
        work = args.keep or Path(tmp)
        reports: dict[int, EvaluationReport] = {}
        timings: dict[str, dict[str, float]] = {}
        for seed in SEEDS:
            reports[seed], timings[f"{SCENARIO} seed {seed}"] = run_one(SCENARIO, seed, work)
            print(
                f"{SCENARIO} seed {seed}: {json.dumps(reports[seed].micro.to_dict())}",
                file=sys.stderr,
            )
        base, timings[f"{BASELINE[0]} seed {BASELINE[1]}"] = run_one(*BASELINE, work)
    text = markdown(reports, base, timings)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.out == RESULT and not update_doc(text):
        print(f"note: {DOC} has no results markers; not updated", file=sys.stderr)
    if args.json:
        payload = {
            **{f"{SCENARIO}-{s}": r.to_dict() for s, r in reports.items()},
            f"{BASELINE[0]}-{BASELINE[1]}": base.to_dict(),
        }
        args.json.write_text(json.dumps(payload, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
