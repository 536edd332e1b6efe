"""The vessel dossier as data: every section a list of rows, every shown value cited.

:func:`build_dossier` gathers one vessel's identity history, list matches, risk, timeline,
track, STS partners and ownership chain from the store (and the run's ``positions.parquet``)
into a :class:`Dossier`. Every value shown is a :class:`Cited`: its text and the number of a
row of the provenance table (:class:`Provenance`), which names the source file or list and
the record (line, list record, or event id with the event's own evidence). Rendering
(:mod:`sanctionwatch.evidence.render`) only lays this out; it computes nothing.

Risk and ownership come from other layers through plain callables (``risk``, ``ownership``),
so the dossier does not depend on how they are computed: :func:`risk_lookup` adapts the
results of a risk scorer, :func:`ownership_from_graph` an entity graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from sanctionwatch.ids import imo_is_valid


class VesselNotFound(LookupError):
    """The store knows nothing of the vessel asked for."""


# -- provenance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """One row of the provenance table."""

    ref: int
    """Number shown as ``[ref]`` next to every value the row supports (1-based)."""
    fact: str
    """What is claimed, in words."""
    source: str
    """Source file, list file or store table the fact comes from."""
    record: str
    """Where in the source: line or row, list record, or event id."""
    evidence: tuple[str, ...] = ()
    """Further source records behind the fact (``file:line`` strings of an event)."""


class Provenance:
    """The provenance table being built: :meth:`cite` adds a fact (once) and returns its ref."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self._index: dict[tuple[str, str, str], int] = {}

    def cite(self, fact: str, source: str, record: str, evidence: Iterable[str] = ()) -> int:
        """The ref of this fact, added to the table if new."""
        key = (fact, source, record)
        if key not in self._index:
            ref = len(self.facts) + 1
            self.facts.append(Fact(ref, fact, source, record, tuple(evidence)))
            self._index[key] = ref
        return self._index[key]


@dataclass(frozen=True)
class Cited:
    """A value as shown, with the provenance row behind it (``None``: nothing to cite, e.g.
    an empty cell)."""

    text: str
    ref: int | None = None


def cited(value: object, ref: int | None, spec: str = "") -> Cited:
    """``value`` formatted (empty for None / NaN) and cited with ``ref``."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return Cited("")
    if isinstance(value, datetime):
        return Cited(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"), ref)
    if spec and isinstance(value, (int, float)):
        return Cited(format(value, spec), ref)
    return Cited(str(value), ref)


# -- sections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityRow:
    """One identity period of one MMSI (``vessel_identities``)."""

    mmsi: Cited
    first_seen: Cited
    last_seen: Cited
    imo: Cited
    name: Cited
    callsign: Cited
    flag: Cited
    ship_type: Cited
    n_reports: Cited


@dataclass(frozen=True)
class MatchRow:
    """One screening match of the vessel against a listed vessel (``vessel_matches``)."""

    mmsi: Cited
    broadcast: Cited
    listed_name: Cited
    listed_id: str
    datasets: Cited
    score: Cited
    matched_on: Cited
    explanation: Cited


@dataclass(frozen=True)
class StatementRow:
    """One published fact of a listed vessel (``sanction_statements``)."""

    entity_id: Cited
    prop: Cited
    value: Cited
    dataset: Cited
    list_date: Cited
    source_record: Cited


@dataclass(frozen=True)
class ShipmentFlagRow:
    """One flag of a shipment the vessel carried (``shipment_flags``, by IMO or name)."""

    shipment_id: Cited
    date: Cited
    rule: Cited
    severity: Cited
    explanation: Cited
    citation: Cited


@dataclass(frozen=True)
class IndicatorRow:
    """One risk indicator as scored."""

    name: Cited
    score: Cited
    weight: Cited
    explanation: Cited


@dataclass(frozen=True)
class RiskIndicator:
    """An indicator result as a risk scorer gives it (input of :class:`RiskSection`)."""

    name: str
    score: float
    weight: float
    explanation: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class RiskSection:
    """A vessel's risk as a scorer gives it: what ``risk(mmsi)`` returns."""

    mmsi: int
    score: float
    confidence: float
    indicators: tuple[RiskIndicator, ...]
    reasons: tuple[str, ...] = ()
    source: str = "risk scoring (sanctionwatch.risk)"
    """Where the score comes from, named in the provenance table."""


@dataclass(frozen=True)
class RiskView:
    """A :class:`RiskSection` as shown: cited values."""

    mmsi: int
    score: Cited
    confidence: Cited
    indicators: tuple[IndicatorRow, ...]
    reasons: Cited


@dataclass(frozen=True)
class EventRow:
    """One event (or data-quality finding) of the timeline."""

    event_id: str
    event_type: str
    subtype: str | None
    start: Cited
    end: Cited
    duration_h: Cited
    place: Cited
    explanation: Cited
    ref: int
    lat: float | None
    lon: float | None
    end_lat: float | None
    end_lon: float | None
    mmsi: int
    other_mmsi: int | None
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class Track:
    """Positions of one MMSI for the map, in time order, with the provenance of the track."""

    mmsi: int
    time: npt.NDArray[np.datetime64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    track_id: npt.NDArray[np.int64]
    ref: int
    summary: Cited


@dataclass(frozen=True)
class Partner:
    """A vessel met in an encounter, with its identity, its risk and its track there."""

    mmsi: int
    mmsi_text: Cited
    name: Cited
    imo: Cited
    flag: Cited
    encounters: tuple[Cited, ...]
    listed: tuple[Cited, ...]
    """Its matches against the lists (listed name, lists, score)."""
    risk: RiskView | None
    risk_note: str = ""
    """Why ``risk`` is None (no scorer given, or no score for this MMSI)."""
    tracks: tuple[Track, ...] = ()


@dataclass(frozen=True)
class OwnershipPath:
    """One path from the vessel to a designated entity, as the entity graph explains it."""

    text: str
    hops: int | None = None
    source: str = "entity graph (sanctionwatch.linking)"
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryRow:
    """A stored refined-petroleum delivery the vessel received or supplied
    (``petroleum_deliveries``, docs/petroleum.md), with the events it rests on."""

    delivery_id: str
    role: Cited
    """``received`` or ``supplied``."""
    arrival: Cited
    port: Cited
    mechanism: Cited
    counterpart: Cited
    deadweight: Cited
    barrels: Cited
    """Barrels at one third, one half and 90 % laden."""
    draught: Cited
    evidence: tuple[Cited, ...]
    """Each evidence event, cited with its own provenance row."""


@dataclass(frozen=True)
class Dossier:
    """Everything the dossier of one vessel shows, with the provenance of each value."""

    key: str
    imo: int | None
    mmsis: tuple[int, ...]
    title: Cited
    generated_at: datetime
    store_path: str
    identities: tuple[IdentityRow, ...]
    matches: tuple[MatchRow, ...]
    statements: tuple[StatementRow, ...]
    risk: RiskView | None
    risk_note: str
    timeline: tuple[EventRow, ...]
    quality: tuple[EventRow, ...]
    tracks: tuple[Track, ...]
    track_note: str
    partners: tuple[Partner, ...]
    ownership: tuple[Cited, ...]
    ownership_note: str
    facts: tuple[Fact, ...] = field(default=())
    shipment_flags: tuple[ShipmentFlagRow, ...] = ()
    """Flags of the shipments declared on this vessel (``sanctionwatch shipments --store``)."""
    deliveries: tuple[DeliveryRow, ...] = ()
    deliveries_note: str = ""


# -- inputs from other layers -----------------------------------------------------------------

RiskFunc = Callable[[int], RiskSection | None]
"""``risk(mmsi)``: the vessel's risk, or None when the scorer has nothing for that MMSI."""

OwnershipFunc = Callable[[int | None, Sequence[int]], Sequence[OwnershipPath]]
"""``ownership(imo, mmsis)``: paths from the vessel to designated entities."""


class IndicatorLike(Protocol):
    """What :func:`risk_lookup` reads of an indicator result."""

    name: str
    score: float
    weight: float
    explanation: str
    evidence: Any


class VesselRiskLike(Protocol):
    """What :func:`risk_lookup` reads of a vessel's risk (``sanctionwatch.risk.VesselRisk``)."""

    @property
    def mmsi(self) -> int: ...
    @property
    def score(self) -> float: ...
    @property
    def confidence(self) -> float: ...
    @property
    def indicators(self) -> Any: ...
    @property
    def reasons(self) -> Any: ...


def risk_lookup(results: Iterable[VesselRiskLike]) -> RiskFunc:
    """A ``risk`` callable over a scorer's results: ``risk_lookup(score_vessels(store, p))``."""
    by_mmsi: dict[int, RiskSection] = {}
    for r in results:
        inds = tuple(
            RiskIndicator(str(i.name), float(i.score), float(i.weight), str(i.explanation),
                          tuple(str(e) for e in (i.evidence or ())))
            for i in r.indicators
        )
        by_mmsi[int(r.mmsi)] = RiskSection(int(r.mmsi), float(r.score), float(r.confidence),
                                           inds, tuple(str(x) for x in (r.reasons or ())))
    return by_mmsi.get


class GraphPathLike(Protocol):
    """What :func:`ownership_from_graph` reads of a graph path."""

    def explain(self) -> str:
        """The path in words, each link with its source."""
        ...


class GraphLike(Protocol):
    """What :func:`ownership_from_graph` uses of ``sanctionwatch.linking.graph.EntityGraph``."""

    def vessel_node(self, *, imo: int | None = None, mmsi: int | None = None) -> Any:
        """The node of a vessel (None when absent)."""
        ...

    def paths_to_designated(self, node: Any, max_hops: int = 3) -> Sequence[GraphPathLike]:
        """Paths from ``node`` to designated entities."""
        ...


def ownership_from_graph(graph: GraphLike, max_hops: int = 3) -> OwnershipFunc:
    """An ``ownership`` callable over an entity graph (``EntityGraph.from_store(store)``):
    the paths to designated entities within ``max_hops`` (default 3, the issue's N) from the
    vessel's IMO node, else from each MMSI's node; duplicates once."""

    def paths(imo: int | None, mmsis: Sequence[int]) -> list[OwnershipPath]:
        nodes = [graph.vessel_node(imo=imo)] if imo is not None else []
        nodes += [graph.vessel_node(mmsi=m) for m in mmsis]
        out: dict[str, OwnershipPath] = {}
        for node in nodes:
            if node is None:
                continue
            for p in graph.paths_to_designated(node, max_hops=max_hops):
                text = p.explain()
                out.setdefault(text, OwnershipPath(text))
        return list(out.values())

    return paths


# -- the key ----------------------------------------------------------------------------------


def parse_key(key: str) -> tuple[int | None, int | None]:
    """``(imo, mmsi)`` from a key: an IMO number (7 digits, valid check digit, ``IMO``
    prefix allowed) or an MMSI (9 digits). ``ValueError`` otherwise."""
    text = key.strip().upper().removeprefix("IMO").strip()
    if not text.isdigit():
        raise ValueError(f"{key!r} is neither an IMO number (7 digits) nor an MMSI (9 digits)")
    if len(text) == 7:
        imo = int(text)
        if not imo_is_valid(imo):
            raise ValueError(f"IMO {text} fails its check digit")
        return imo, None
    if len(text) == 9:
        return None, int(text)
    raise ValueError(f"{key!r} is neither an IMO number (7 digits) nor an MMSI (9 digits)")


def build_dossier(
    store_path: str | Path,
    key: str,
    *,
    positions: Path | None = None,
    risk: RiskFunc | None = None,
    ownership: OwnershipFunc | None = None,
    now: datetime | None = None,
) -> Dossier:
    """The dossier of the vessel ``key`` (IMO or MMSI) from the store at ``store_path``.

    An IMO brings every MMSI that broadcast it and the listed vessels with that IMO. The track
    comes from ``positions`` (a ``positions.parquet``) if given, else from the output folder
    of the newest run in the store that holds the vessel's positions. ``risk`` and
    ``ownership`` fill those sections (see :func:`risk_lookup`, :func:`ownership_from_graph`);
    without them the sections say that they were not computed. ``VesselNotFound`` when the
    store holds nothing on the vessel, ``FileNotFoundError`` when there is no store.
    """
    from sanctionwatch.evidence import loaders

    imo, mmsi = parse_key(key)
    prov = Provenance()
    with loaders.open_store(store_path) as src:
        mmsis = src.mmsis_for(imo, mmsi)
        listed = src.listed_ids(imo, mmsis)
        if not mmsis and not listed:
            what = f"IMO {imo}" if imo is not None else f"MMSI {mmsi}"
            raise VesselNotFound(
                f"{store_path}: no AIS identity, event, match or list entry for {what}"
            )
        identities = loaders.identity_rows(src, mmsis, prov)
        matches = loaders.match_rows(src, mmsis, prov)
        statements = loaders.statement_rows(src, listed, prov)
        timeline = loaders.event_rows(src, mmsis, prov, quality=False)
        quality = loaders.event_rows(src, mmsis, prov, quality=True)
        ship_flags = loaders.shipment_flag_rows(src, imo, mmsis, prov)
        pos_path, run_id, note = loaders.find_positions(src, mmsis, positions)
        partner_ids = sorted({
            (e.other_mmsi if e.mmsi in mmsis else e.mmsi)
            for e in timeline if e.event_type == "encounter" and e.other_mmsi is not None
        } - set(mmsis))
        partner_ident = {p: loaders.latest_identity(src, p, prov) for p in partner_ids}
        deliveries = loaders.delivery_rows(src, mmsis, prov,
                                           {e.event_id: e.ref for e in timeline})
        partner_listed = {
            p: tuple(Cited(f"{m.listed_name.text} ({m.datasets.text}, score {m.score.text})",
                           m.score.ref) for m in loaders.match_rows(src, [p], prov))
            for p in partner_ids
        }
    tracks: tuple[Track, ...] = ()
    partner_tracks: dict[int, list[Track]] = {}
    if pos_path is not None:
        tracks = tuple(loaders.load_tracks(pos_path, run_id, mmsis, prov))
        for e in timeline:
            if e.event_type != "encounter" or e.other_mmsi is None:
                continue
            other = e.other_mmsi if e.mmsi in mmsis else e.mmsi
            if other in mmsis:
                continue
            partner_tracks.setdefault(other, []).extend(loaders.load_tracks(
                pos_path, run_id, [other], prov, window=(e.start_time, e.end_time)))
    risk_view, risk_note = None, "Risk scoring was not run for this dossier (no scorer given)."
    if risk is not None:
        found = [r for r in (risk(m) for m in mmsis) if r is not None]
        if found:
            risk_view = _risk_view(max(found, key=lambda r: r.score), prov)
            risk_note = ""
        else:
            risk_note = "The risk scorer has no score for this vessel's MMSIs."
    partners = tuple(
        _partner(p, partner_ident[p], partner_listed[p], timeline, risk,
                 partner_tracks.get(p, []), prov)
        for p in partner_ids
    )
    own: tuple[Cited, ...] = ()
    own_note = "Ownership paths were not searched for this dossier (no entity graph given)."
    if ownership is not None:
        paths = ownership(imo, mmsis)
        own = tuple(Cited(p.text, prov.cite(
            f"ownership path: {p.text}", p.source,
            f"{p.hops} hops" if p.hops is not None else "graph path", p.evidence))
            for p in paths)
        own_note = "" if own else "No path to a designated entity within the searched hops."
    title = _title(key, imo, mmsis, identities, statements)
    return Dossier(
        key=key, imo=imo, mmsis=tuple(mmsis), title=title,
        generated_at=now or datetime.now(UTC), store_path=str(store_path),
        identities=tuple(identities), matches=tuple(matches), statements=tuple(statements),
        risk=risk_view, risk_note=risk_note, timeline=tuple(timeline), quality=tuple(quality),
        tracks=tracks, track_note=note, partners=partners, ownership=own,
        ownership_note=own_note, facts=tuple(prov.facts), shipment_flags=tuple(ship_flags),
        deliveries=tuple(deliveries),
        deliveries_note="" if deliveries else (
            "No stored refined-petroleum delivery involves this vessel (`sanctionwatch "
            "petroleum --store` stores them)."),
    )


def _title(key: str, imo: int | None, mmsis: Sequence[int], identities: Sequence[IdentityRow],
           statements: Sequence[StatementRow]) -> Cited:
    if identities:
        last = identities[-1]
        return Cited(f"{last.name.text or 'unnamed'} (MMSI {last.mmsi.text})", last.name.ref)
    names = [s for s in statements if s.prop.text == "name"]
    if names:
        return Cited(f"{names[0].value.text} (IMO {imo})", names[0].value.ref)
    return Cited(f"vessel {key}")


def _risk_view(r: RiskSection, prov: Provenance) -> RiskView:
    rows = []
    refs = []
    for ind in r.indicators:
        ref = prov.cite(f"risk indicator {ind.name} of MMSI {r.mmsi}: score {ind.score:.2f}, "
                        f"weight {ind.weight:.2f}: {ind.explanation}", r.source,
                        f"MMSI {r.mmsi}, indicator {ind.name}", ind.evidence)
        refs.append(str(ref))
        rows.append(IndicatorRow(Cited(ind.name, ref), cited(ind.score, ref, ".2f"),
                                 cited(ind.weight, ref, ".2f"), Cited(ind.explanation, ref)))
    ref = prov.cite(f"risk score of MMSI {r.mmsi}: {r.score:.2f} (confidence "
                    f"{r.confidence:.2f})", r.source, f"MMSI {r.mmsi}",
                    tuple(f"indicator [{x}]" for x in refs))
    return RiskView(r.mmsi, cited(r.score, ref, ".2f"), cited(r.confidence, ref, ".2f"),
                    tuple(rows), Cited("; ".join(r.reasons), ref if r.reasons else None))


def _partner(mmsi: int, ident: IdentityRow | None, listed: tuple[Cited, ...],
             timeline: Sequence[EventRow], risk: RiskFunc | None, tracks: list[Track],
             prov: Provenance) -> Partner:
    enc = tuple(
        Cited(f"{e.start.text}, {e.duration_h.text} h", e.ref) for e in timeline
        if e.event_type == "encounter" and mmsi in (e.mmsi, e.other_mmsi)
    )
    ref = enc[0].ref if enc else None
    view, note = None, "not scored (no scorer given)"
    if risk is not None:
        r = risk(mmsi)
        view = _risk_view(r, prov) if r is not None else None
        note = "" if view else "the scorer has no score for this MMSI"
    empty = Cited("")
    return Partner(
        mmsi=mmsi, mmsi_text=Cited(str(mmsi), ref),
        name=ident.name if ident else empty, imo=ident.imo if ident else empty,
        flag=ident.flag if ident else empty, encounters=enc, listed=listed, risk=view,
        risk_note=note,
        tracks=tuple(tracks),
    )


__all__ = [
    "Cited",
    "Dossier",
    "EventRow",
    "Fact",
    "GraphLike",
    "IdentityRow",
    "IndicatorRow",
    "MatchRow",
    "OwnershipFunc",
    "OwnershipPath",
    "Partner",
    "Provenance",
    "RiskFunc",
    "RiskIndicator",
    "RiskSection",
    "RiskView",
    "ShipmentFlagRow",
    "StatementRow",
    "Track",
    "VesselNotFound",
    "build_dossier",
    "cited",
    "ownership_from_graph",
    "parse_key",
    "risk_lookup",
]
