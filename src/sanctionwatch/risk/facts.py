"""Everything the store knows about one vessel, gathered for the risk indicators.

:func:`load_facts` reads the store once (events, data-quality findings, vessel matches with
the listed IMO numbers, identity periods) and returns one :class:`VesselFacts` per MMSI that
has events, matches or identity periods, in MMSI order. The indicators read nothing else, so
a score is reproducible from the store.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sanctionwatch.reference.core import Zone
from sanctionwatch.risk.ownership import OwnershipLookup

Event = Mapping[str, Any]
"""One row of ``events`` or ``quality_findings`` (``details`` parsed into a dict)."""


@dataclass(frozen=True)
class Places:
    """The areas the indicators measure against: DPRK waters and the Panel's STS areas."""

    dprk: tuple[Zone, ...]
    sts_areas: tuple[Zone, ...]

    @classmethod
    def from_zones(cls, zones: Iterable[Zone]) -> Places:
        """DPRK zones (``is_dprk``) and STS areas (``kind == "sts_area"``) of ``zones``."""
        zs = list(zones)
        return cls(tuple(z for z in zs if z.is_dprk),
                   tuple(z for z in zs if z.kind == "sts_area"))

    @classmethod
    def default(cls) -> Places:
        """From the shipped ``zones.geojson`` (loaded once)."""
        return _default_places()

    def is_approximate(self, zone_id: str | None) -> bool:
        """Whether the zone's own source calls its geometry APPROXIMATE."""
        return any(z.zone_id == zone_id and "APPROXIMATE" in z.source.upper()
                   for z in (*self.dprk, *self.sts_areas))

    def dprk_zone(self, lat: float | None, lon: float | None) -> Zone | None:
        """The DPRK zone holding the point, if any."""
        return _containing(self.dprk, lat, lon)

    def sts_area(self, lat: float | None, lon: float | None) -> Zone | None:
        """The Panel STS area holding the point, if any."""
        return _containing(self.sts_areas, lat, lon)

    def dprk_distance_km(self, lat: float | None, lon: float | None) -> tuple[float, Zone | None]:
        """Great-circle distance from the point to the nearest DPRK zone (0 inside), and the
        zone; ``inf`` and None without a point or zones."""
        if lat is None or lon is None or not _finite(lat, lon) or not self.dprk:
            return math.inf, None
        from shapely import Point
        from shapely.ops import nearest_points

        from sanctionwatch.geo import haversine_m

        best: tuple[float, Zone | None] = (math.inf, None)
        p = Point(lon, lat)
        for z in self.dprk:
            if z.geometry.contains(p):
                return 0.0, z
            q = nearest_points(z.geometry, p)[0]
            d = float(haversine_m(lat, lon, q.y, q.x)) / 1000.0
            if d < best[0]:
                best = (d, z)
        return best


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _containing(zones: Sequence[Zone], lat: float | None, lon: float | None) -> Zone | None:
    if lat is None or lon is None or not _finite(lat, lon):
        return None
    from shapely import Point

    p = Point(lon, lat)
    for z in zones:
        if z.geometry.contains(p):
            return z
    return None


@cache
def _default_places() -> Places:
    from sanctionwatch.reference.shipped import ZONES_FILE, data_path, load_zones_geojson

    return Places.from_zones(load_zones_geojson(data_path(ZONES_FILE)))


@dataclass(frozen=True)
class ListMatch:
    """One ``vessel_matches`` row, with the IMO numbers the list gives the listed vessel."""

    match_id: str
    match_name: str
    datasets: tuple[str, ...]
    score: float
    is_match: bool
    matched_on: str
    imo: int | None
    """The broadcast IMO behind the match."""
    ais_name: str | None
    explanation: str
    listed_imos: tuple[int, ...] = ()

    @property
    def imo_agrees(self) -> bool:
        """The broadcast IMO is the listed vessel's (whatever feature scored best)."""
        return self.matched_on == "imo" or (self.imo is not None and self.imo in self.listed_imos)

    @property
    def ref(self) -> str:
        """Evidence reference: ``vessel_matches:<match id> (<datasets>)``."""
        return f"vessel_matches:{self.match_id} ({', '.join(self.datasets)})"


@dataclass(frozen=True)
class IdentityPeriod:
    """One ``vessel_identities`` row."""

    mmsi: int
    first_seen: datetime
    last_seen: datetime
    imo: int | None
    name: str | None
    callsign: str | None
    ship_type: int | None
    flag: str | None
    flag_source: str | None
    source: str
    record: int

    @property
    def ref(self) -> str:
        """Evidence reference: ``source:record`` of the period's first report."""
        return f"{self.source}:{self.record}"


@dataclass(frozen=True)
class ShipmentFlagFact:
    """One ``shipment_flags`` row naming the vessel (by IMO, or by name without an IMO)."""

    source_file: str
    line: int
    shipment_id: str
    rule: str
    severity: str
    explanation: str
    citation: str
    vessel_imo: int | None
    vessel_name: str

    @property
    def ref(self) -> str:
        """Evidence reference: ``source_file:line`` of the shipment."""
        return f"{self.source_file}:{self.line}"


def _vessel_name_key(name: object) -> str:
    return " ".join(str(name or "").upper().split())


@dataclass(frozen=True)
class PartnerRisk:
    """What the STS indicator knows of an encounter partner (from the first pass)."""

    mmsi: int
    name: str | None
    score: float
    """The partner's score without its own STS indicator."""
    reason: str
    """Its strongest reason."""
    designated: str | None = None
    """'NAME (datasets)' when the partner matches a sanctions list."""


@dataclass(frozen=True)
class VesselFacts:
    """One vessel's rows in the store, and the context the indicators need."""

    mmsi: int
    events: tuple[Event, ...] = ()
    """Behaviour events in which it is a party (``mmsi`` or ``other_mmsi``), by time."""
    quality: tuple[Event, ...] = ()
    """Its data-quality findings, by time."""
    matches: tuple[ListMatch, ...] = ()
    identities: tuple[IdentityPeriod, ...] = ()
    related_identities: Mapping[int, tuple[IdentityPeriod, ...]] = field(default_factory=dict)
    """Identity periods of the other MMSIs it shares an IMO with (``shared_imo`` events)."""
    partners: Mapping[int, PartnerRisk] = field(default_factory=dict)
    """Risk of its encounter partners and dark partners (filled by the scorer's first
    pass)."""
    dark_partners: tuple[tuple[Event, Event], ...] = ()
    """(its loitering event, another vessel's ``ais_gap``) pairs: the other vessel was silent
    during the loitering and went dark or reappeared nearby (filled by the scorer)."""
    petroleum: tuple[Any, ...] = ()
    """Estimated refined-petroleum deliveries fed by a ship-to-ship transfer that it received
    or supplied (:class:`sanctionwatch.trade.petroleum.Delivery`, filled by the scorer)."""
    ownership: OwnershipLookup | None = None
    places: Places = field(default_factory=Places.default)
    shipment_flags: tuple[ShipmentFlagFact, ...] = ()
    """Stored shipment flags whose declared vessel is this one: its IMO, or, for a flag
    declaring a name but no IMO, one of its broadcast names."""

    def of_type(self, *types: str) -> list[Event]:
        """Its events of these types, by time."""
        return [e for e in self.events if e["event_type"] in types]

    def _latest(self, attr: str) -> Any:
        for p in reversed(self.identities):
            v = getattr(p, attr)
            if v is not None:
                return v
        return None

    @property
    def imo(self) -> int | None:
        """Latest broadcast IMO (else the IMO behind a list match)."""
        v = self._latest("imo")
        if v is None:
            v = next((m.imo for m in self.matches if m.is_match and m.imo is not None), None)
        return None if v is None else int(v)

    @property
    def name(self) -> str | None:
        """Latest broadcast name (else the name behind a list match)."""
        v = self._latest("name")
        if v is None:
            v = next((m.ais_name for m in self.matches if m.is_match and m.ais_name), None)
        return None if v is None else str(v)

    @property
    def flag(self) -> str | None:
        """Latest flag (stated, else from the MMSI's MID)."""
        v = self._latest("flag")
        return None if v is None else str(v)

    @property
    def ship_type(self) -> int | None:
        """The ship type reported in most periods (ties: the latest)."""
        types = [p.ship_type for p in self.identities if p.ship_type is not None]
        if not types:
            return None
        counts = Counter(types)
        top = max(counts.values())
        return next(t for t in reversed(types) if counts[t] == top)

    def label(self) -> str:
        """'NAME (MMSI n)' or 'MMSI n'."""
        return f"{self.name} (MMSI {self.mmsi})" if self.name else f"MMSI {self.mmsi}"


def load_facts(store_path: str | Path, *, ownership: OwnershipLookup | None = None,
               places: Places | None = None) -> list[VesselFacts]:
    """One :class:`VesselFacts` per MMSI with events, matches or identity periods in the
    store, by MMSI (partners not yet filled)."""
    from sanctionwatch.schema import QUALITY_FINDINGS
    from sanctionwatch.store import DuckDBStore
    from sanctionwatch.store.duck import read_table, table_columns

    places = places or Places.default()
    ship_flags: list[ShipmentFlagFact] = []
    with DuckDBStore(store_path, read_only=True) as st:
        if table_columns(st.con, "shipment_flags"):
            ship_flags = [ShipmentFlagFact(*r) for r in st.con.execute(
                "SELECT source_file, line, shipment_id, rule, severity, explanation, citation, "
                "vessel_imo, vessel_name FROM shipment_flags ORDER BY source_file, line, "
                "rule").fetchall()]
        events = st.events()
        quality = read_table(st.con, QUALITY_FINDINGS, "start_time, event_type, mmsi, event_id")
        matches = st.vessel_matches()
        identities = st.vessel_identities()
        listed: dict[str, set[int]] = defaultdict(set)
        ids = sorted(set(matches["match_id"].to_list()))
        if ids and table_columns(st.con, "sanction_statements"):
            rows = st.con.execute(
                "SELECT DISTINCT entity_id, value FROM sanction_statements WHERE prop = "
                "'imoNumber' AND entity_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()
            for entity_id, value in rows:
                digits = "".join(c for c in str(value) if c.isdigit())
                if digits:
                    listed[str(entity_id)].add(int(digits))

    by_events: dict[int, list[Event]] = defaultdict(list)
    for row in events.iter_rows(named=True):
        ev = _event(row)
        by_events[int(row["mmsi"])].append(ev)
        other = row.get("other_mmsi")
        if other is not None and int(other) != int(row["mmsi"]):
            by_events[int(other)].append(ev)
    by_quality: dict[int, list[Event]] = defaultdict(list)
    for row in quality.iter_rows(named=True):
        by_quality[int(row["mmsi"])].append(_event(row))
    by_matches: dict[int, list[ListMatch]] = defaultdict(list)
    for row in matches.iter_rows(named=True):
        by_matches[int(row["mmsi"])].append(ListMatch(
            match_id=str(row["match_id"]), match_name=str(row["match_name"]),
            datasets=tuple(row["datasets"] or ()), score=float(row["score"]),
            is_match=bool(row["is_match"]), matched_on=str(row["matched_on"]),
            imo=None if row["imo"] is None else int(row["imo"]), ais_name=row["ais_name"],
            explanation=str(row["explanation"]),
            listed_imos=tuple(sorted(listed.get(str(row["match_id"]), ())))))
    by_identity: dict[int, list[IdentityPeriod]] = defaultdict(list)
    for row in identities.iter_rows(named=True):
        by_identity[int(row["mmsi"])].append(IdentityPeriod(
            mmsi=int(row["mmsi"]), first_seen=row["first_seen"], last_seen=row["last_seen"],
            imo=row["imo"], name=row["name"], callsign=row["callsign"],
            ship_type=row["ship_type"], flag=row["flag"], flag_source=row["flag_source"],
            source=str(row["source"]), record=int(row["record"])))

    flags_by_key: dict[tuple[str, object], list[tuple[int, ShipmentFlagFact]]] = \
        defaultdict(list)
    for i, f in enumerate(ship_flags):
        key = ("imo", f.vessel_imo) if f.vessel_imo is not None else (
            "name", _vessel_name_key(f.vessel_name))
        if key[1]:
            flags_by_key[key].append((i, f))
    out = []
    for mmsi in sorted(set(by_events) | set(by_matches) | set(by_identity)):
        evs = sorted(by_events.get(mmsi, []), key=_event_order)
        related = {}
        for e in evs:
            if e["event_type"] == "identity_change" and e.get("subtype") == "shared_imo":
                other = e["other_mmsi"] if e["mmsi"] == mmsi else e["mmsi"]
                if other is not None:
                    related[int(other)] = tuple(by_identity.get(int(other), ()))
        periods = by_identity.get(mmsi, [])
        keys = {("imo", p.imo) for p in periods if p.imo is not None} | {
            ("name", _vessel_name_key(p.name)) for p in periods if p.name}
        flags = tuple(f for _, f in sorted(
            (i, f) for k in keys for i, f in flags_by_key.get(k, ())))
        out.append(VesselFacts(
            mmsi=mmsi, events=tuple(evs), shipment_flags=flags,
            quality=tuple(sorted(by_quality.get(mmsi, []), key=_event_order)),
            matches=tuple(by_matches.get(mmsi, [])),
            identities=tuple(by_identity.get(mmsi, [])),
            related_identities=related, ownership=ownership, places=places))
    return out


def _event(row: Mapping[str, Any]) -> dict[str, Any]:
    ev = dict(row)
    text = ev.get("details")
    try:
        ev["details"] = json.loads(text) if isinstance(text, str) and text else {}
    except json.JSONDecodeError:
        ev["details"] = {}
    return ev


def _event_order(e: Event) -> tuple[Any, ...]:
    return (e["start_time"], e["event_type"], e["mmsi"], e["event_id"])


__all__ = ["Event", "IdentityPeriod", "ListMatch", "PartnerRisk", "Places", "ShipmentFlagFact",
           "VesselFacts", "load_facts"]
