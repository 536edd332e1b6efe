"""Reference data container and its spatial queries (ports, shore distance, land, zones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.spatial import cKDTree
from shapely import Geometry, contains_xy, prepare

from sanctionwatch.geo import arc_m_to_chord, chord_to_arc_m, to_unit_xyz

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Port:
    """A port or anchorage point."""

    name: str
    country_iso3: str
    lat: float
    lon: float
    kind: str = "port"  # "port" (World Port Index) or "anchorage" (GFW named anchorage point)

    @property
    def is_dprk(self) -> bool:
        """True for ports of the Democratic People's Republic of Korea."""
        return self.country_iso3 == "PRK"


@dataclass(frozen=True)
class Zone:
    """An area of interest: a (multi)polygon in WGS84 lon/lat with its provenance."""

    zone_id: str
    name: str
    geometry: Geometry
    source: str
    is_dprk: bool = False
    kind: str = "area_of_interest"  # e.g. "eez", "sts_area", "military_zone"


class ShoreDistance(Protocol):
    """Distance from the nearest coastline in km: positive at sea, negative on land."""

    def distance_km(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray: ...


@dataclass(frozen=True)
class ConstantShoreDistance:
    """A shore distance that is the same everywhere: for tests of open-sea behaviour only."""

    km: float

    def distance_km(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        """Return ``km`` for every point."""
        return np.full(np.shape(np.asarray(lat, dtype=np.float64)), self.km, dtype=np.float64)


@dataclass
class ReferenceData:
    """Ports/anchorages (nearest-neighbour index), shore distance and zones.

    Build the default, shipped set with :meth:`default`; tests build small ones directly.
    """

    ports: Sequence[Port]
    shore: ShoreDistance
    zones: Sequence[Zone] = ()
    _tree: cKDTree | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.ports:
            self._tree = cKDTree(
                to_unit_xyz([p.lat for p in self.ports], [p.lon for p in self.ports])
            )
        for z in self.zones:
            prepare(z.geometry)

    @classmethod
    def default(cls) -> ReferenceData:
        """The reference data shipped with the package (cached after the first call)."""
        from sanctionwatch.reference.shipped import load_default

        return load_default()

    def nearest_port(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, within_km: float | None = None
    ) -> tuple[FloatArray, IntArray]:
        """Distance in km to the nearest port/anchorage, and its index in ``ports`` (-1: none).

        With ``within_km``, points farther than that from every port get ``inf`` and -1: the
        search stops early for them, much faster when most points are at sea.
        """
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if self._tree is None or la.size == 0:
            return np.full(la.shape, np.inf), np.full(la.shape, -1, dtype=np.int64)
        lo = np.broadcast_to(np.atleast_1d(np.asarray(lon, dtype=np.float64)), la.shape)
        dist = np.full(la.shape, np.inf)
        index = np.full(la.shape, -1, dtype=np.int64)
        ok = np.isfinite(la) & np.isfinite(lo)
        if ok.any():
            if within_km is None:
                chord, idx = self._tree.query(to_unit_xyz(la[ok], lo[ok]), k=1)
            else:
                bound = arc_m_to_chord(within_km * 1000.0) * (1 + 1e-9) + 1e-12
                chord, idx = self._tree.query(
                    to_unit_xyz(la[ok], lo[ok]), k=1, distance_upper_bound=bound
                )
                found = np.isfinite(chord)
                idx = np.where(found, idx, -1)
                chord = np.where(found, chord, 0.0)
            km = chord_to_arc_m(chord) / 1000.0
            dist[ok] = km if within_km is None else np.where(found, km, np.inf)
            index[ok] = idx
        return dist, index

    def distance_to_port_km(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        """Distance in km to the nearest port or anchorage (inf when none are loaded)."""
        return self.nearest_port(lat, lon)[0]

    def ports_within(self, lat: float, lon: float, radius_km: float) -> list[int]:
        """Indices of ports within ``radius_km`` of a point."""
        if self._tree is None:
            return []
        found = self._tree.query_ball_point(
            to_unit_xyz([lat], [lon])[0], arc_m_to_chord(radius_km * 1000.0)
        )
        return [int(i) for i in found]

    def distance_from_shore_km(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        """Distance from the nearest coast in km: positive at sea, negative on land."""
        return self.shore.distance_km(lat, lon)

    def zone_membership(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> BoolArray:
        """Boolean matrix (n_points, n_zones): point i lies inside zone j."""
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        out = np.zeros((la.size, len(self.zones)), dtype=bool)
        for j, z in enumerate(self.zones):
            out[:, j] = contains_xy(z.geometry, lo, la)
        return out

    def ports_frame(self) -> pl.DataFrame:
        """Ports as a Polars frame (index order kept)."""
        return pl.DataFrame(
            {
                "port_index": list(range(len(self.ports))),
                "name": [p.name for p in self.ports],
                "country_iso3": [p.country_iso3 for p in self.ports],
                "lat": [p.lat for p in self.ports],
                "lon": [p.lon for p in self.ports],
                "kind": [p.kind for p in self.ports],
            },
            schema={
                "port_index": pl.Int64,
                "name": pl.Utf8,
                "country_iso3": pl.Utf8,
                "lat": pl.Float64,
                "lon": pl.Float64,
                "kind": pl.Utf8,
            },
        )
