"""Simulated AIS traffic with planted, labelled sanctions-evasion behaviour (issue 3).

``simulate(scenario, seed, out_dir)`` writes positions/reports in a reader format and
``labels.parquet``; ``generate(...)`` returns the in-memory frames. See ``docs/simulate.md``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sanctionwatch.simulate.labels import LABEL_SCHEMA
from sanctionwatch.simulate.nmea import write_nmea
from sanctionwatch.simulate.scenarios import DEFAULTS, SCENARIOS, Frames, generate
from sanctionwatch.simulate.writers import FORMATS, write_marinecadastre, write_parquet


@dataclass
class SimulationResult:
    """What :func:`simulate` wrote."""

    scenario: str
    seed: int
    out_dir: Path
    files: list[Path]
    labels_path: Path
    n_positions: int
    n_reports: int
    n_corrupt: int
    n_ships: int
    seconds: float
    label_counts: dict[str, int] = field(default_factory=dict)


def simulate(scenario: str, seed: int, out_dir: str | Path, vessels: int | None = None,
             days: int | None = None, fmt: str = "marinecadastre") -> SimulationResult:
    """Generate a scenario and write it to ``out_dir`` (deterministic for a seed)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if scenario not in (*SCENARIOS, "scale"):
        raise ValueError(f"unknown scenario {scenario!r}; expected one of "
                         f"{', '.join(SCENARIOS)}, scale")
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if scenario == "scale":
        return _simulate_scale(seed, out, vessels, days, fmt, t0)
    frames = generate(scenario, seed, vessels, days, fmt)
    rng = np.random.default_rng([seed, 7])
    corrupt = max(1, frames.positions.height // 20_000)
    if fmt == "marinecadastre":
        path = out / "ais.csv"
        write_marinecadastre(frames.positions, frames.reports, path, corrupt, rng)
    elif fmt == "nmea":
        path = out / "ais.nmea"
        write_nmea(frames.positions, frames.reports, path, corrupt, rng)
    elif fmt == "parquet":
        path = out / "ais.parquet"
        write_parquet(frames.positions, frames.reports, path)
        corrupt = 0
    else:  # pragma: no cover - FORMATS guards this
        raise ValueError(fmt)
    labels_path = out / "labels.parquet"
    frames.labels.write_parquet(labels_path)
    frames.negatives.write_parquet(out / "negatives.parquet")
    frames.deliveries.write_parquet(out / "deliveries.parquet")
    counts = dict(frames.labels.group_by("event_type").len().sort("event_type").iter_rows())
    res = SimulationResult(scenario, seed, out, [path], labels_path, frames.positions.height,
                           frames.reports.height, corrupt, frames.n_ships,
                           time.perf_counter() - t0, counts)
    (out / "simulation.json").write_text(json.dumps(
        {"scenario": scenario, "seed": seed, "vessels": frames.n_ships, "format": fmt,
         "positions": res.n_positions, "reports": res.n_reports, "corrupt_records": corrupt,
         "labels": counts, "hard_negatives": frames.hard_negatives}, indent=2, sort_keys=True,
        default=str) + "\n")
    return res


def _simulate_scale(seed: int, out: Path, vessels: int | None, days: int | None, fmt: str,
                    t0: float) -> SimulationResult:
    """The ``scale`` scenario: Parquet only, streamed in blocks of vessels."""
    from sanctionwatch.simulate.scale import GENERATION, write_scale

    if fmt != "parquet":
        raise ValueError("the scale scenario writes Parquet only (--format parquet)")
    dv, dd = DEFAULTS["scale"]
    n, d = vessels or dv, days or dd
    res = write_scale(seed, out, n, d)
    lab = res["labels"]
    counts = dict(lab.group_by("event_type").len().sort("event_type").iter_rows())
    secs = time.perf_counter() - t0
    (out / "simulation.json").write_text(json.dumps(
        {"scenario": "scale", "generation": GENERATION, "seed": seed, "vessels": n, "days": d,
         "format": fmt,
         "positions": res["positions"], "reports": 0, "corrupt_records": 0, "labels": counts,
         "files": [p.name for p in res["files"]],
         "labels_complete": False,
         "labels_note": "encounter/loitering from plan windows, ais_gap exact; port calls, "
                        "zone stays and static edits not labelled"}, indent=2,
        sort_keys=True) + "\n")
    return SimulationResult("scale", seed, out, res["files"], out / "labels.parquet",
                            res["positions"], 0, 0, n, secs, counts)


__all__ = ["FORMATS", "LABEL_SCHEMA", "SCENARIOS", "Frames", "SimulationResult", "generate",
           "simulate"]
