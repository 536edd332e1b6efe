"""Sanctions screening: an explainable name/identifier matcher and an in-memory index.

``score_pair(name1, name2, schema)`` scores two names; ``Screener(ScreeningIndex.from_entities(
entities)).screen(name, schema=..., imo=...)`` ranks listed entities; ``screen(...)`` does the
same against the list store. Every score carries its explanation (``Score.features``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sanctionwatch.lazy import lazy_exports

if TYPE_CHECKING:
    from sanctionwatch.screening.ais_link import (
        enrich_events,
        link_sanctions,
        screen_vessels,
        vessel_identities,
    )
    from sanctionwatch.screening.features import DEFAULT_THRESHOLD, FeatureResult, Score
    from sanctionwatch.screening.index import ScreeningIndex, record_from_entity
    from sanctionwatch.screening.matcher import (
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

# The names are loaded on first use (PEP 562): the matcher's tables and followthemoney are
# slow to import, which every ``sanctionwatch`` command would otherwise pay.
_WHERE = {
    "enrich_events": "ais_link", "link_sanctions": "ais_link", "screen_vessels": "ais_link",
    "vessel_identities": "ais_link",
    "FeatureResult": "features", "Score": "features",
    "ScreeningIndex": "index", "record_from_entity": "index",
    "DEFAULT_THRESHOLD": "features", "Query": "matcher", "Record": "matcher",
    "compare_names": "matcher", "score_pair": "matcher",
    "Match": "screen", "NoListsLoaded": "screen", "Screener": "screen",
    "load_screener": "screen", "score_pairs_file": "screen", "screen": "screen",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())


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
    "link_sanctions",
    "load_screener",
    "record_from_entity",
    "score_pair",
    "score_pairs_file",
    "screen",
    "screen_vessels",
    "vessel_identities",
]
