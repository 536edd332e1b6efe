"""Evidence dossiers: everything known of one vessel, each value traced to its source row.

:func:`build_dossier` gathers the data (:mod:`sanctionwatch.evidence.dossier`),
:func:`write_dossier` renders it to one self-contained HTML file (and PDF) with the track map
(:mod:`sanctionwatch.evidence.map`). See ``docs/dossier.md``.
"""

from sanctionwatch.evidence.dossier import (
    Dossier,
    OwnershipPath,
    RiskIndicator,
    RiskSection,
    VesselNotFound,
    build_dossier,
    ownership_from_graph,
    parse_key,
    risk_lookup,
)

__all__ = [
    "Dossier",
    "OwnershipPath",
    "RiskIndicator",
    "RiskSection",
    "VesselNotFound",
    "build_dossier",
    "ownership_from_graph",
    "parse_key",
    "risk_lookup",
]
