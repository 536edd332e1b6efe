"""Shared state of one simulation: random generator, reference data, ports, identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from sanctionwatch.reference import Port, ReferenceData
from sanctionwatch.simulate.traffic import (
    SHIP_TYPE_CODE,
    Route,
    ShipBuilder,
    Static,
    route_ok,
    sea_route,
)

MID_ISO2 = {412: "CN", 413: "CN", 414: "CN", 416: "TW", 431: "JP", 440: "KR", 441: "KR",
            445: "KP", 477: "HK", 563: "SG", 273: "RU", 667: "SL", 671: "TG", 457: "MN",
            674: "TZ", 352: "PA", 636: "LR", 538: "MH"}
CALL_PREFIX = {"CN": "BQ", "TW": "BR", "JP": "JD", "KR": "DS", "KP": "HM", "HK": "VR",
               "SG": "9V", "RU": "UB", "SL": "9L", "TG": "5V", "MN": "JV", "TZ": "5I",
               "PA": "3E", "LR": "A8", "MH": "V7"}
_WORDS = ("OCEAN", "PACIFIC", "GOLDEN", "STAR", "GRACE", "HAPPY", "FORTUNE", "EAST", "SEA",
          "BRIGHT", "NEW", "GLORY", "RICH", "JIN", "HAI", "XIN", "HUA", "DONG", "YU", "SHUN",
          "KUM", "PYONG", "CHON", "MA", "SAM", "PAEK", "RYONG", "WISDOM", "LUCKY", "UNITY")

REGION = (117.0, 22.0, 142.0, 46.0)  # lon/lat box of the scenario's ports


def imo_with_check(base6: int) -> int:
    """A 7-digit IMO number whose last digit is the correct check digit."""
    digits = [int(c) for c in f"{base6:06d}"]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return base6 * 10 + check


_CATALOGUE: dict[tuple[int, tuple[float, float, float, float] | None], tuple[Port, ...]] = {}


def port_catalogue(
    ref: ReferenceData, region: tuple[float, float, float, float] | None = REGION
) -> tuple[Port, ...]:
    """World Port Index ports in ``region`` (lon/lat box; None: the world) whose neighbours
    within 6 km share their name (so the port a detector names is the one the ship called at)."""
    key = (id(ref), region)
    if key in _CATALOGUE:
        return _CATALOGUE[key]
    out = []
    for p in ref.ports:
        if p.kind != "port" or (region is not None and not (
                region[0] <= p.lon <= region[2] and region[1] <= p.lat <= region[3])):
            continue
        near = ref.ports_within(p.lat, p.lon, 6.0)
        if all((ref.ports[i].name, ref.ports[i].country_iso3) == (p.name, p.country_iso3)
               for i in near):
            out.append(p)
    _CATALOGUE[key] = tuple(sorted(out, key=lambda q: (q.name, q.country_iso3, q.lat, q.lon)))
    return _CATALOGUE[key]


def find_port(ref: ReferenceData, name: str, country: str) -> Port:
    """A named port (first point with that name and country)."""
    for p in ref.ports:
        if p.name == name and p.country_iso3 == country:
            return p
    raise KeyError(f"no port {name} ({country})")


@dataclass
class World:
    """Everything the behaviours share while a scenario is built."""

    rng: np.random.Generator
    ref: ReferenceData
    start: datetime
    end_min: int
    ships: list[ShipBuilder] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    behaviour_of_mmsi: dict[int, str] = field(default_factory=dict)
    spoofs: list[dict[str, Any]] = field(default_factory=list)
    clones: list[tuple[int, int]] = field(default_factory=list)  # (ship_id, copies ship_id)
    hard_negatives: list[dict[str, Any]] = field(default_factory=list)
    sts_count: int = 0  # planted STS transfers so far (picks the designated identity)
    sts_transfers: list[dict[str, Any]] = field(default_factory=list)
    """Planted STS transfers of petroleum (DPRK tanker, supplier, end, mechanism): the
    ground truth of the petroleum deliveries (:func:`labels.delivery_labels`)."""
    mess: Any = None  # the messy scenario's plan (simulate.messy.Mess)
    _mmsis: set[int] = field(default_factory=set)
    _imos: set[int] = field(default_factory=set)

    def time(self, minute: float) -> datetime:
        """Scenario minute -> UTC datetime."""
        return self.start + timedelta(minutes=float(minute))

    def mmsi(self, mid: int) -> int:
        """A fresh MMSI under ``mid``."""
        while True:
            m = mid * 1_000_000 + int(self.rng.integers(100_000, 999_999))
            if m not in self._mmsis:
                self._mmsis.add(m)
                return m

    def imo(self) -> int:
        """A fresh, check-digit-valid IMO number."""
        while True:
            i = imo_with_check(int(self.rng.integers(800_000, 999_999)))
            if i not in self._imos:
                self._imos.add(i)
                return i

    def name(self) -> str:
        """A plausible ship name."""
        a, b = self.rng.choice(len(_WORDS), 2, replace=False)
        return f"{_WORDS[a]} {_WORDS[b]}" + (f" {int(self.rng.integers(1, 99))}"
                                             if self.rng.random() < 0.5 else "")

    def static(self, kind: str, mid: int, draught: float, *, imo: int | None = None,
               name: str | None = None, flag: str | None = None) -> Static:
        """Static data for a new ship of ``kind`` under MID ``mid``."""
        size = {"tanker": (110, 180), "bulk": (150, 200), "container": (170, 300),
                "general": (90, 130), "fishing": (30, 60), "pilot": (15, 20)}[kind]
        length = float(int(self.rng.integers(*size)))
        iso = MID_ISO2.get(mid, "CN")
        callsign = CALL_PREFIX.get(iso, "XX") + "".join(
            chr(int(c)) for c in self.rng.integers(65, 91, size=3))
        return Static(
            name=name or self.name(),
            imo=imo if imo is not None else (None if kind in ("fishing", "pilot")
                                             else self.imo()),
            callsign=callsign, ship_type=SHIP_TYPE_CODE[kind], draught_m=round(draught, 1),
            length_m=length, width_m=float(round(length / 6.5)), flag=flag or iso,
        )

    def ship(self, kind: str, mid: int, draught: float, ais_class: str = "A",
             behaviour: str = "background", **kw: Any) -> ShipBuilder:
        """Register a new ship."""
        m = self.mmsi(mid)
        b = ShipBuilder(len(self.ships), kind, m, [self.static(kind, mid, draught, **kw)],
                        ais_class=ais_class)
        self.ships.append(b)
        self.behaviour_of_mmsi[m] = behaviour
        b.behaviour = behaviour
        return b

    def route(self, a: tuple[float, float], b: tuple[float, float]) -> Route | None:
        """Sea route between two (lat, lon) points, None when it cuts across land."""
        r = sea_route(round(a[0], 5), round(a[1], 5), round(b[0], 5), round(b[1], 5))
        return r if route_ok(r, self.ref) else None

    def berth(self, port: Port) -> tuple[float, float]:
        """A berth within ~300 m of a port point."""
        la, lo = port.lat, port.lon
        n, e = self.rng.normal(0, 150, 2)
        from sanctionwatch.simulate.traffic import offset

        a, b = offset(la, lo, float(n), float(e))
        return float(a), float(b)
