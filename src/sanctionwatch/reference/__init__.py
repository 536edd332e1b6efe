"""Reference geography: ports and anchorages, distance from shore, land, areas of interest.

Shipped data lives in ``sanctionwatch/data/`` with its provenance (``data/PROVENANCE.md``).
Detectors receive a :class:`ReferenceData` so tests can give them a small hand-made one.
"""

from sanctionwatch.reference.core import (
    Port,
    ReferenceData,
    ShoreDistance,
    Zone,
)

__all__ = ["Port", "ReferenceData", "ShoreDistance", "Zone"]
