"""Sanctions screening: an explainable name/identifier matcher and an in-memory index.

``score_pair(name1, name2, schema)`` scores two names; ``Screener(ScreeningIndex.from_entities(
entities)).screen(name, schema=..., imo=...)`` ranks listed entities; ``screen(...)`` does the
same against the list store. Every score carries its explanation (``Score.features``).
"""

from sanctionwatch.screening.ais_link import enrich_events, screen_vessels, vessel_identities
from sanctionwatch.screening.features import FeatureResult, Score
from sanctionwatch.screening.index import ScreeningIndex, record_from_entity
from sanctionwatch.screening.matcher import (
    DEFAULT_THRESHOLD,
    Query,
    Record,
    compare_names,
    score_pair,
)
from sanctionwatch.screening.screen import (
    Match,
    NoListsLoaded,
    Screener,
    load_screener,
    score_pairs_file,
    screen,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "FeatureResult",
    "Match",
    "NoListsLoaded",
    "Query",
    "Record",
    "Score",
    "Screener",
    "ScreeningIndex",
    "compare_names",
    "enrich_events",
    "load_screener",
    "record_from_entity",
    "score_pair",
    "score_pairs_file",
    "screen",
    "screen_vessels",
    "vessel_identities",
]
