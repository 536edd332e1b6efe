"""Vessel motion: sea-lane routes between real ports, dense one-minute true tracks.

A :class:`ShipBuilder` strings segments together (sail a polyline, stay moored or at anchor,
fish, drift alongside another ship) into a *true track* sampled every minute. Reception,
noise and reporting come later (:mod:`sanctionwatch.simulate.coverage`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sanctionwatch.geo import EARTH_RADIUS_M, KNOT_M_PER_S, haversine_m
from sanctionwatch.reference import ReferenceData

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

M_PER_DEG = np.pi * EARTH_RADIUS_M / 180.0

SPEEDS_KN: dict[str, tuple[float, float]] = {
    "tanker": (11.0, 14.0),
    "bulk": (12.0, 14.0),
    "container": (16.0, 22.0),
    "general": (10.0, 13.0),
    "fishing": (8.0, 10.0),  # transit; fishing itself is 2.5-4.5 kn
    "pilot": (12.0, 18.0),
}
SHIP_TYPE_CODE = {"tanker": 80, "bulk": 70, "container": 71, "general": 70, "fishing": 30,
                  "pilot": 50}


@dataclass(frozen=True)
class Static:
    """Static and voyage data a ship broadcasts (AIS message 5 / 24)."""

    name: str
    imo: int | None
    callsign: str
    ship_type: int
    draught_m: float
    length_m: float
    width_m: float
    destination: str = ""
    flag: str | None = None


def offset(lat: FloatArray | float, lon: FloatArray | float, north_m: FloatArray | float,
           east_m: FloatArray | float) -> tuple[FloatArray, FloatArray]:
    """Shift positions by metres north and east (flat-earth, fine below a few tens of km)."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    new_lat = la + np.asarray(north_m) / M_PER_DEG
    new_lon = lo + np.asarray(east_m) / (M_PER_DEG * np.cos(np.radians(la)))
    return new_lat, new_lon


def bearing_deg(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
                ) -> FloatArray:
    """Initial great-circle bearing, degrees true."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(y, x)) % 360.0)


@dataclass
class Route:
    """A sea-lane polyline (lat, lon arrays) with its cumulative length in metres."""

    lat: FloatArray
    lon: FloatArray
    cum_m: FloatArray

    @classmethod
    def of(cls, lat: FloatArray, lon: FloatArray) -> Route:
        """A route through the points (consecutive duplicates removed)."""
        la, lo = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        keep = np.r_[True, (np.diff(la) != 0) | (np.diff(lo) != 0)]
        la, lo = la[keep], lo[keep]
        seg = haversine_m(la[:-1], lo[:-1], la[1:], lo[1:])
        return cls(la, lo, np.r_[0.0, np.cumsum(seg)])

    @property
    def length_m(self) -> float:
        """Total length."""
        return float(self.cum_m[-1])

    def at(self, d_m: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Positions and course at distances along the route."""
        d = np.clip(d_m, 0.0, self.length_m)
        i = np.clip(np.searchsorted(self.cum_m, d, side="right") - 1, 0, self.lat.size - 2)
        span = self.cum_m[i + 1] - self.cum_m[i]
        f = np.divide(d - self.cum_m[i], span, out=np.zeros_like(d), where=span > 0)
        lat = self.lat[i] + f * (self.lat[i + 1] - self.lat[i])
        lon = self.lon[i] + f * (self.lon[i + 1] - self.lon[i])
        cog = bearing_deg(self.lat[i], self.lon[i], self.lat[i + 1], self.lon[i + 1])
        return lat, lon, cog

    def reversed(self) -> Route:
        """The same route sailed the other way."""
        return Route.of(self.lat[::-1], self.lon[::-1])


@functools.lru_cache(maxsize=4096)
def sea_route(lat1: float, lon1: float, lat2: float, lon2: float) -> Route:
    """Sea-lane route between two points (searoute's MARNET graph), from point to point."""
    import searoute

    feat = searoute.searoute([lon1, lat1], [lon2, lat2])
    coords = np.asarray(feat["geometry"]["coordinates"], dtype=np.float64)
    lat = np.r_[lat1, coords[:, 1], lat2]
    lon = np.r_[lon1, coords[:, 0], lon2]
    return Route.of(lat, lon)


def route_ok(route: Route, ref: ReferenceData, step_m: float = 2000.0) -> bool:
    """False when the route cuts more than 3 km inland away from ports (it would read as a
    ``position_on_land`` spoof)."""
    d = np.arange(0.0, route.length_m, step_m)
    lat, lon, _ = route.at(d)
    inland = ref.distance_from_shore_km(lat, lon) < -3.0
    if not inland.any():
        return True
    return bool((ref.distance_to_port_km(lat[inland], lon[inland]) <= 10.0).all())


@dataclass
class Track:
    """Dense true track of one physical ship, one row per minute it exists."""

    t: IntArray  # minutes since the scenario start
    lat: FloatArray
    lon: FloatArray
    sog: FloatArray
    cog: FloatArray
    status: IntArray
    mmsi: IntArray
    static: IntArray  # index into ShipBuilder.statics
    dark: npt.NDArray[np.bool_]


@dataclass
class ShipBuilder:
    """Builds a ship's true track segment by segment, one sample per minute."""

    ship_id: int
    kind: str
    mmsi: int
    statics: list[Static]
    ais_class: str = "A"
    behaviour: str = "background"
    t: int = 0
    parts: list[dict[str, npt.NDArray[np.generic]]] = field(default_factory=list)
    static_now: int = 0
    dark_windows: list[tuple[int, int]] = field(default_factory=list)
    mmsi_changes: list[tuple[int, int]] = field(default_factory=list)
    rng: np.random.Generator | None = None
    """The generator of the ship's reception and noise (None: the scenario's): ships added
    after the rest draw their own, so every earlier ship's positions stay as they were."""

    @property
    def pos(self) -> tuple[float, float]:
        """Current (last) position."""
        last = self.parts[-1]
        return float(last["lat"][-1]), float(last["lon"][-1])

    def _add(self, n: int, lat: FloatArray, lon: FloatArray, sog: FloatArray, cog: FloatArray,
             status: int) -> None:
        if n <= 0:
            return
        tt = np.arange(self.t, self.t + n, dtype=np.int64)
        self.parts.append({
            "t": tt, "lat": lat, "lon": lon, "sog": sog, "cog": cog,
            "status": np.full(n, status, dtype=np.int64),
            "static": np.full(n, self.static_now, dtype=np.int64),
        })
        self.t += n

    def sail(self, route: Route, speed_kn: float, slow_last_m: float = 3000.0,
             slow_kn: float = 6.0) -> None:
        """Sail a route at ``speed_kn``, slowing to ``slow_kn`` for the last ``slow_last_m``."""
        v_fast = speed_kn * KNOT_M_PER_S * 60.0
        v_slow = min(slow_kn, speed_kn) * KNOT_M_PER_S * 60.0
        fast_len = max(0.0, route.length_m - slow_last_m)
        n_fast = int(np.ceil(fast_len / v_fast))
        d_fast = np.minimum(np.arange(n_fast) * v_fast, fast_len)
        n_slow = int(np.ceil((route.length_m - fast_len) / v_slow))
        d_slow = np.minimum(fast_len + np.arange(n_slow) * v_slow, route.length_m)
        d = np.r_[d_fast, d_slow]
        lat, lon, cog = route.at(d)
        sog = np.r_[np.full(n_fast, speed_kn), np.full(n_slow, min(slow_kn, speed_kn))]
        self._add(d.size, lat, lon, sog, cog, 0)
        self._add(1, np.array([route.lat[-1]]), np.array([route.lon[-1]]),
                  np.array([min(slow_kn, speed_kn)]), cog[-1:], 0)

    def stay(self, minutes: int, lat: float, lon: float, status: int = 5,
             drift_kn: float = 0.0, drift_deg: float = 0.0) -> None:
        """Stay moored/at anchor (optionally drifting slowly) for ``minutes``."""
        k = np.arange(minutes, dtype=np.float64)
        d = k * drift_kn * KNOT_M_PER_S * 60.0
        la, lo = offset(lat, lon, d * np.cos(np.radians(drift_deg)),
                        d * np.sin(np.radians(drift_deg)))
        sog = np.full(minutes, drift_kn if drift_kn > 0 else 0.0)
        self._add(minutes, la, lo, sog, np.full(minutes, drift_deg), status)

    def fish(self, minutes: int, rng: np.random.Generator, speed_kn: tuple[float, float] = (2.5,
             4.5), shift_m: tuple[float, float] = (0.0, 0.0), pattern: FloatArray | None = None
             ) -> FloatArray:
        """Trawl around the current position; returns the heading pattern used (pair trawlers
        share it). ``heading = h0 + 2.405 sin(2 pi t / P)`` has zero mean drift (J0(2.405) = 0),
        so the boat meanders around its ground instead of sailing off."""
        lat0, lon0 = self.pos
        if pattern is None:
            period = rng.uniform(90, 240)
            h0 = rng.uniform(0, 2 * np.pi)
            k = np.arange(minutes)
            head = h0 + 2.405 * np.sin(2 * np.pi * k / period) + np.cumsum(
                rng.normal(0, 0.01, minutes))
            speed = rng.uniform(*speed_kn) + 0.3 * np.sin(2 * np.pi * k / rng.uniform(300, 600))
            pattern = np.stack([head, speed])
        head, speed = pattern[0][:minutes], pattern[1][:minutes]
        step = speed * KNOT_M_PER_S * 60.0
        north = np.cumsum(step * np.cos(head)) + shift_m[0]
        east = np.cumsum(step * np.sin(head)) + shift_m[1]
        la, lo = offset(np.full(minutes, lat0), np.full(minutes, lon0), north, east)
        self._add(minutes, la, lo, speed, np.degrees(head) % 360.0, 7)
        return pattern

    def follow(self, lat: FloatArray, lon: FloatArray, sog: FloatArray, cog: FloatArray,
               status: int) -> None:
        """Append externally computed samples (e.g. alongside another ship)."""
        self._add(lat.size, lat, lon, sog, cog, status)

    def wait(self, minutes: int, status: int = 5) -> None:
        """Stay where the ship is."""
        la, lo = self.pos
        self.stay(minutes, la, lo, status)

    def set_static(self, st: Static) -> None:
        """Broadcast new static data from now on."""
        self.statics.append(st)
        self.static_now = len(self.statics) - 1

    def go_dark(self, t0: int, t1: int) -> None:
        """Transmit nothing in [t0, t1)."""
        self.dark_windows.append((t0, t1))

    def change_mmsi(self, t0: int, mmsi: int) -> None:
        """Broadcast under ``mmsi`` from ``t0`` on."""
        self.mmsi_changes.append((t0, mmsi))

    def build(self, end_min: int) -> Track:
        """The true track cut to [0, end_min)."""
        cat = {k: np.concatenate([p[k] for p in self.parts]) for k in self.parts[0]}
        keep = cat["t"] < end_min
        cat = {k: v[keep] for k, v in cat.items()}
        t = cat["t"].astype(np.int64)
        dark = np.zeros(t.size, dtype=bool)
        for a, b in self.dark_windows:
            dark |= (t >= a) & (t < b)
        mmsi = np.full(t.size, self.mmsi, dtype=np.int64)
        for a, m in sorted(self.mmsi_changes):
            mmsi[t >= a] = m
        return Track(t, cat["lat"].astype(np.float64), cat["lon"].astype(np.float64),
                     cat["sog"].astype(np.float64), cat["cog"].astype(np.float64),
                     cat["status"].astype(np.int64), mmsi, cat["static"].astype(np.int64), dark)
