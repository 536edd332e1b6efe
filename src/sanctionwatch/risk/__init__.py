"""Explainable vessel risk: named indicators over the store, combined into a ranked score.

``score_vessels(store_path, params=RiskParams(), ownership=None)`` returns one
:class:`VesselRisk` per vessel, highest risk first; each carries its score, a confidence, every
indicator's :class:`IndicatorResult` (score, weight, one-sentence explanation, evidence) and
the reasons; ``vessel_risk(store_path, mmsi=... | imo=...)`` one vessel's. :data:`INDICATORS`
lists the indicators by name. See ``docs/risk.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch.lazy import lazy_exports

if TYPE_CHECKING:
    from sanctionwatch.risk.evaluation import RankingScore, evasion_vessels, rank_against
    from sanctionwatch.risk.facts import (
        IdentityPeriod,
        ListMatch,
        PartnerRisk,
        Places,
        VesselFacts,
        load_facts,
    )
    from sanctionwatch.risk.indicators import INDICATORS, Indicator
    from sanctionwatch.risk.model import (
        FLAGS_OF_CONVENIENCE,
        IndicatorResult,
        RiskParams,
        VesselRisk,
        combine,
    )
    from sanctionwatch.risk.ownership import OwnershipLookup, OwnershipPath
    from sanctionwatch.risk.score import score_facts, score_vessels, vessel_risk

# Loaded on first use (PEP 562), like sanctionwatch.screening: importing the package is free.
_WHERE = {
    "RankingScore": "evaluation", "evasion_vessels": "evaluation", "rank_against": "evaluation",
    "IdentityPeriod": "facts", "ListMatch": "facts", "PartnerRisk": "facts", "Places": "facts",
    "VesselFacts": "facts", "load_facts": "facts",
    "INDICATORS": "indicators", "Indicator": "indicators",
    "FLAGS_OF_CONVENIENCE": "model", "IndicatorResult": "model", "RiskParams": "model",
    "VesselRisk": "model", "combine": "model",
    "OwnershipLookup": "ownership", "OwnershipPath": "ownership",
    "score_facts": "score", "score_vessels": "score", "vessel_risk": "score",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())


__all__ = [
    "FLAGS_OF_CONVENIENCE",
    "INDICATORS",
    "IdentityPeriod",
    "Indicator",
    "IndicatorResult",
    "ListMatch",
    "OwnershipLookup",
    "OwnershipPath",
    "PartnerRisk",
    "Places",
    "RankingScore",
    "RiskParams",
    "VesselFacts",
    "VesselRisk",
    "combine",
    "evasion_vessels",
    "load_facts",
    "rank_against",
    "score_facts",
    "score_vessels",
    "vessel_risk",
]
