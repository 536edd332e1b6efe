"""What the ownership indicator needs from a relationship graph, as a Protocol.

The entity graph (``sanctionwatch.linking.graph.EntityGraph``) satisfies it; any object with
the same two methods does (tests use a small fake). ``score_vessels(..., ownership=None)``
scores the indicator 0 with the explanation "no ownership data".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class PathLink(Protocol):
    """One link of a path."""

    @property
    def relation(self) -> str:
        """What the link says, e.g. ``owner``, ``manager``, ``listed_as``, ``same_imo``."""
        ...


class OwnershipPath(Protocol):
    """A path from a vessel's node to a designated entity."""

    @property
    def links(self) -> Sequence[PathLink]:
        """The links from the vessel to the target, in order."""
        ...

    @property
    def hops(self) -> int:
        """Links on the path (1: the vessel's owner or manager is designated)."""
        ...

    @property
    def target(self) -> str:
        """The designated entity's node."""
        ...

    @property
    def nodes(self) -> Sequence[str]:
        """The nodes from the vessel to the target."""
        ...

    def explain(self) -> str:
        """The path in words, e.g. 'vessel X -owner-> company Y (designated UN)'."""
        ...


class OwnershipLookup(Protocol):
    """Finds a vessel in a relationship graph and its paths to designated entities."""

    def vessel_node(self, *, imo: int | None = None, mmsi: int | None = None) -> str | None:
        """The vessel's node, by IMO number or MMSI (None: not in the graph)."""
        ...

    def paths_to_designated(self, node: str, max_hops: int = 3) -> Sequence[OwnershipPath]:
        """Paths of at most ``max_hops`` links from ``node`` to designated entities."""
        ...


__all__ = ["OwnershipLookup", "OwnershipPath", "PathLink"]
