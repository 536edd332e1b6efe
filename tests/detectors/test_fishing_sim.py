"""Fishing and pair-trawling detectors against the simulator's labels (dprk-2019, seed 1).

Floors slightly under what ``benchmarks/fishing_eval.py`` measures (benchmarks/results/
fishing.md: seed 1 fishing F1 0.982 with the squid jiggers, pair_trawling F1 0.947,
encounter 1.0)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.evaluate import EvaluationReport, evaluate
from sanctionwatch.pipeline import detect
from sanctionwatch.simulate import simulate

TYPES = ("fishing", "pair_trawling", "encounter")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> EvaluationReport:
    work: Path = tmp_path_factory.mktemp("fishing-sim")
    sim = simulate("dprk-2019", 1, work / "scenario")
    detect([str(f) for f in sim.files], work / "det", only=list(TYPES), engine="memory")
    return evaluate(pl.read_parquet(work / "det" / "events.parquet"),
                    pl.read_parquet(sim.labels_path),
                    negatives=pl.read_parquet(work / "scenario" / "negatives.parquet"),
                    types=TYPES)


def test_the_simulated_fishing_fleets_are_found(report: EvaluationReport) -> None:
    s = report.per_type["fishing"]
    assert s.n_labels >= 30
    assert (s.recall or 0) >= 0.97 and (s.precision or 0) >= 0.88 and (s.f1 or 0) >= 0.93


def test_the_simulated_pair_trawlers_are_found(report: EvaluationReport) -> None:
    s = report.per_type["pair_trawling"]
    assert s.n_labels >= 5
    assert (s.recall or 0) >= 0.95 and (s.precision or 0) >= 0.85 and (s.f1 or 0) >= 0.9


def test_pair_trawlers_are_never_encounters(report: EvaluationReport) -> None:
    assert report.hard_negative_hits.get("pair_trawl", {}).get("encounter", 0) == 0
    assert report.per_type["encounter"].f1 == 1.0
