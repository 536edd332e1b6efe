"""Which simulated vessels count as planted evasion, and precision at k."""

from __future__ import annotations

import polars as pl

from sanctionwatch.risk import VesselRisk
from sanctionwatch.risk.evaluation import NOT_EVASION, evasion_vessels, rank_against
from sanctionwatch.simulate.labels import LABEL_SCHEMA


def _labels() -> pl.DataFrame:
    rows = [(1, None, True, "sts_visible"), (2, 1, True, "sts_visible"),
            (3, None, True, "spoof_jump"), (4, None, False, "background"),
            (5, None, False, "pilot_boat"), (6, None, True, "fishing_dprk_waters")]
    return pl.DataFrame([{"event_type": "x", "mmsi": m, "other_mmsi": o, "planted": p,
                          "behaviour": b} for m, o, p, b in rows]).with_columns(
        *[pl.lit(None, LABEL_SCHEMA[c]).alias(c) for c in LABEL_SCHEMA
          if c not in ("event_type", "mmsi", "other_mmsi", "planted", "behaviour")])


def test_planted_behaviours_but_spoof_jumps_are_evasion() -> None:
    assert evasion_vessels(_labels()) == {1, 2, 6}
    assert evasion_vessels(_labels(), NOT_EVASION - {"spoof_jump"}) == {1, 2, 3, 6}


def test_precision_and_first_ordinary_rank() -> None:
    risks = [VesselRisk(m, None, None, None, s, 1.0) for m, s in
             [(1, 1.0), (4, 0.9), (2, 0.8)] + [(100 + i, 0.0) for i in range(20)]]
    sc = rank_against(risks, {1, 2, 6}, quality_only={101})
    assert sc.precision_at_10 == 0.2 and sc.precision_at_20 == 0.1
    assert sc.first_ordinary_rank == 2 and sc.quality_only_in_top_20 == (101,)
