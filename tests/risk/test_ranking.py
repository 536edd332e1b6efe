"""Issue 16, "what it must show": on dprk-2019 seeds 1-3 the planted evasion vessels rank above
ordinary traffic, and ordinary traffic with only data-quality findings stays out of the top 20.

Each seed is simulated, the UN 1718 vessel list loaded into a fresh store and detection run
into it once per session (about 7-13 s a seed on 2 cores), then scored with the default
parameters. Measured (benchmarks/results/risk_ranking.md): precision@10 1.00 and
precision@20 0.90 on each of the three seeds; the floors leave one vessel of slack at 10 and
two at 20.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctionwatch.findings import rank_vessels
from sanctionwatch.risk import VesselRisk
from sanctionwatch.risk.evaluation import (
    evasion_vessels,
    quality_only_vessels,
    rank_against,
    scenario_store,
)

ROOT = Path(__file__).resolve().parents[2]
UN_1718 = ROOT / "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
SEEDS = (1, 2, 3)
PRECISION_AT_10_FLOOR = 0.9
PRECISION_AT_20_FLOOR = 0.8


@pytest.fixture(scope="session")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[
        list[VesselRisk], set[int], set[int]]]:
    out = {}
    for seed in SEEDS:
        store, labels = scenario_store(seed, tmp_path_factory.mktemp(f"dprk{seed}"), [UN_1718])
        out[seed] = (rank_vessels(store), evasion_vessels(labels), quality_only_vessels(store))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_evasion_vessels_rank_first(ranked, seed: int) -> None:
    risks, evasion, quality_only = ranked[seed]
    score = rank_against(risks, evasion, quality_only)
    assert score.n_evasion >= 20
    assert score.precision_at_10 >= PRECISION_AT_10_FLOOR, score.top
    assert score.precision_at_20 >= PRECISION_AT_20_FLOOR, score.top


@pytest.mark.parametrize("seed", SEEDS)
def test_data_quality_alone_never_reaches_the_top_20(ranked, seed: int) -> None:
    risks, evasion, quality_only = ranked[seed]
    assert rank_against(risks, evasion, quality_only).quality_only_in_top_20 == ()
    for r in risks[:20]:
        assert r.score > 0 and r.reasons  # every alert says why


def test_every_designated_tanker_is_explained_by_its_listing(ranked) -> None:
    risks, _, _ = ranked[1]
    listed = [r for r in risks if r.indicators[0].score == 1.0]
    assert len(listed) == 5  # the five visible-STS and dark-STS DPRK tankers of seed 1
    assert all(r.score == 1.0 and "un_1718_vessels" in r.reasons[0] for r in listed)
