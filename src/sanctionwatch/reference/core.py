"""Reference data container and its spatial queries (ports, shore distance, land, zones)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
import polars as pl
from shapely import Geometry, contains_xy, prepare

from sanctionwatch.geo import (
    EARTH_RADIUS_M,
    POINT_BLOCK,
    arc_m_to_chord,
    chord_to_arc_m,
    to_unit_xyz,
)

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MASK_CELL_DEG = 0.1
"""Cell size of the port-proximity masks used by bounded :meth:`ReferenceData.nearest_port`."""
MASK_MAX_RADIUS_KM = 20.0
"""Bounded queries with a larger radius skip the mask (it would mark too many cells per port)."""
_MASK_PAD_DEG = 1e-6


@dataclass(frozen=True)
class Port:
    """A port or anchorage point."""

    name: str
    country_iso3: str
    lat: float
    lon: float
    kind: str = "port"  # "port" (World Port Index) or "anchorage" (GFW named anchorage point)
    place_id: str | None = None  # a place learnt from the data (sanctionwatch.tracks.places)

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
    _near_cells: dict[float, BoolArray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _groups: tuple[IntArray, list[tuple[str, str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _coords: tuple[FloatArray, FloatArray] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.ports:
            # imported here, not with the module: SciPy is slow to load,
            # and detect loads the reference data on a thread while it prepares the tracks
            from scipy.spatial import cKDTree

            self._tree = cKDTree(
                to_unit_xyz([p.lat for p in self.ports], [p.lon for p in self.ports])
            )
        for z in self.zones:
            prepare(z.geometry)

    def __getstate__(self) -> dict[str, Any]:
        # the caches are rebuilt on demand: not worth shipping to workers
        state = dict(self.__dict__)
        state["_near_cells"] = {}
        state["_groups"] = None
        state["_coords"] = None
        return state

    def port_coordinates(self) -> tuple[FloatArray, FloatArray]:
        """Latitudes and longitudes of ``ports`` as arrays (cached; do not modify)."""
        if self._coords is None:
            self._coords = (
                np.array([p.lat for p in self.ports], dtype=np.float64),
                np.array([p.lon for p in self.ports], dtype=np.float64),
            )
        return self._coords

    def port_groups(self) -> tuple[IntArray, list[tuple[str, str]]]:
        """Group id of every port point (same name and country = one port, ids in order of
        first appearance) and the ``(name, country_iso3)`` of each group (cached)."""
        if self._groups is None:
            keys: dict[tuple[str, str], int] = {}
            group = np.fromiter(
                (keys.setdefault((p.name, p.country_iso3), len(keys)) for p in self.ports),
                dtype=np.int64,
                count=len(self.ports),
            )
            self._groups = (group, list(keys))
        return self._groups

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
        if la.ndim == 1 and la.size > POINT_BLOCK:
            dist_all = np.empty(la.size)
            index_all = np.empty(la.size, dtype=np.int64)
            for s in range(0, la.size, POINT_BLOCK):
                e = s + POINT_BLOCK
                dist_all[s:e], index_all[s:e] = self.nearest_port(la[s:e], lo[s:e], within_km)
            return dist_all, index_all
        dist = np.full(la.shape, np.inf)
        index = np.full(la.shape, -1, dtype=np.int64)
        ok = np.isfinite(la) & np.isfinite(lo)
        if ok.any():
            if within_km is None:
                chord, idx = self._tree.query(to_unit_xyz(la[ok], lo[ok]), k=1)
            else:
                # Points in no cell near a port are beyond within_km of every port: only the
                # others need the (same, exact) tree query.
                if la.size > len(self.ports) and 0 < within_km <= MASK_MAX_RADIUS_KM:
                    ok &= self._near_port_cells(within_km)[_mask_cell(la, lo)] | (np.abs(la) > 90)
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

    def _near_port_cells(self, within_km: float) -> BoolArray:
        """Flat mask over the :data:`MASK_CELL_DEG` grid (see :func:`_mask_cell`): True for every
        cell holding a point within ``within_km`` of some port (cached per radius).

        Conservative: it covers each port's exact latitude/longitude bounding box for that
        radius, widened by a relative margin and :data:`_MASK_PAD_DEG`, far more than rounding
        in the cell arithmetic, so no point the tree would find is left out.
        """
        mask = self._near_cells.get(within_km)
        if mask is not None:
            return mask
        n_lat, n_lon = _mask_shape()
        plat, plon = self.port_coordinates()
        arc = within_km * 1000.0 / EARTH_RADIUS_M * (1 + 1e-6) + 1e-9  # radians
        dlat = np.degrees(arc) + _MASK_PAD_DEG
        # Widest longitude offset of a spherical cap: sin(dlon) = sin(arc) / cos(lat); a cap
        # reaching a pole spans every longitude.
        cos_lat = np.cos(np.radians(plat))
        reaches_pole = np.abs(plat) + dlat >= 89.999
        ratio = np.where(reaches_pole, 1.0, np.sin(arc) / np.maximum(cos_lat, 1e-12))
        dlon = np.degrees(np.arcsin(np.minimum(ratio, 1.0))) + _MASK_PAD_DEG
        i0 = np.clip(np.floor((plat - dlat + 90.0) / MASK_CELL_DEG), 0, n_lat - 1)
        i1 = np.clip(np.floor((plat + dlat + 90.0) / MASK_CELL_DEG), 0, n_lat - 1)
        j0 = np.floor((plon - dlon + 180.0) / MASK_CELL_DEG)
        j1 = np.floor((plon + dlon + 180.0) / MASK_CELL_DEG)
        full = reaches_pole | (j1 - j0 + 1 >= n_lon)
        j0 = np.where(full, 0, j0).astype(np.int64)
        n_i = (i1 - i0 + 1).astype(np.int64)
        n_j = np.where(full, n_lon, j1 - j0 + 1).astype(np.int64)
        # every (port, cell) of the boxes, flattened: port k owns n_i[k] * n_j[k] cells
        size = n_i * n_j
        k = np.repeat(np.arange(plat.size), size)
        local = np.arange(int(size.sum())) - np.repeat(np.cumsum(size) - size, size)
        rows = i0.astype(np.int64)[k] + local // n_j[k]
        cols = (j0[k] + local % n_j[k]) % n_lon
        mask = np.zeros(n_lat * n_lon, dtype=bool)
        mask[rows * n_lon + cols] = True
        self._near_cells[within_km] = mask
        return mask

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


def _mask_shape() -> tuple[int, int]:
    """Rows (latitude) and columns (longitude) of the port-proximity mask grid."""
    return round(180.0 / MASK_CELL_DEG), round(360.0 / MASK_CELL_DEG)


def _mask_cell(lat: FloatArray, lon: FloatArray) -> IntArray:
    """Flat mask-grid cell of each point (non-finite coordinates: cell 0; latitude clipped)."""
    n_lat, n_lon = _mask_shape()
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        lat, lon = np.nan_to_num(lat), np.nan_to_num(lon)
    x = lon + 180.0
    if not ((x >= 0.0) & (x <= 360.0)).all():
        x = np.mod(x, 360.0)
    x *= 1.0 / MASK_CELL_DEG
    # non-negative, so truncation is floor; 180 (or a rounded-up 360) goes to the last column
    j = np.minimum(x.astype(np.int64), n_lon - 1)
    y = lat + 90.0
    y *= 1.0 / MASK_CELL_DEG
    i = np.clip(y, 0, n_lat - 1).astype(np.int64)
    i *= n_lon
    i += j
    return i
