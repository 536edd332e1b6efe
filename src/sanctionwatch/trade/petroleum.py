"""The refined-petroleum cap tracker: deliveries to DPRK ports estimated from AIS events.

The UN Panel of Experts' method (S/2018/171 paras 6-9 and S/2019/171 paras 9-13 and annex 5,
on the 89 tanker deliveries to Nampo of January-May 2018): count the tanker calls at DPRK ports
and the ship-to-ship (STS) transfers that feed them, take each tanker's cargo capacity from its
deadweight, and give the volume at one third, one half and about 90 per cent laden, against
the 500,000-barrel annual cap of resolution 2397 (2017) para 5.

:func:`track_deliveries` reads the store's events (:func:`sanctionwatch.risk.facts.load_facts`):

- an *arrival*: a ``port_call`` at a DPRK port whose entry was observed (``entry_seen``: a
  vessel already in port when the data begins made its delivery before it);
- a *visible STS*: an ``encounter`` of the arriving vessel that ended at most
  ``sts_to_port_max_days`` before the arrival (and after its previous DPRK call);
- a *dark STS*: a ``loitering`` of a tanker in a Panel STS area during one of the arriving
  vessel's ``ais_gap`` silences, the silence starting or ending near it (the risk scorer's
  :func:`sanctionwatch.risk.score.dark_partners` pairs), in the same window;
- a *direct port call*: an arrival of a tanker with neither.

One arrival is one delivery: an STS followed by the receiving tanker's DPRK call is counted
once. A vessel counts when it is a tanker (AIS ship type 80-89, or the registry says so) or
the STS partner of one. Every delivery names the events it rests on (event ids and times). A
count is an estimate from AIS, not proof of a transfer of petroleum (docs/petroleum.md).
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from sanctionwatch.risk.facts import Event, Places, VesselFacts, load_facts

METHOD = "un_panel_2019"
"""The estimation method stored with each delivery (the Panel's, S/2019/171 annex 5)."""

MECHANISMS = ("visible_sts", "dark_sts", "direct_port_call")
"""How the petroleum reached the DPRK port (in the order the tracker prefers them)."""

LOAD_SHARES = (("third", 1 / 3), ("half", 0.5), ("ninety", 0.9))
"""The Panel's load assumptions (S/2019/171 para 10, annex 5): one third, one half and 90 %
laden."""

TANKER_TYPES = range(80, 90)
"""AIS ship and cargo types of tankers (ITU-R M.1371-5, table 53: 80-89)."""


@dataclass(frozen=True)
class PetroleumParams:
    """Parameters of the cap tracker (defaults and sources in docs/petroleum.md)."""

    sts_to_port_max_days: float = 10.0
    """An STS counts for an arrival at most this long before it: the East China Sea STS
    areas are ~500 nm from Nampo, two days at 10 kn; the Panel's cases (S/2019/171 annex 5)
    show tankers calling at Nampo within days of a transfer, so 10 days leaves room for
    waiting at anchor without pairing a transfer with the next voyage's call."""
    barrels_per_tonne: float = 7.46
    """Barrels per tonne of gas oil / diesel, the bulk of the products the Panel traced (BP
    Statistical Review of World Energy, "Approximate conversion factors": gasoil 7.46;
    gasoline 8.53, kerosene 7.88, fuel oil 6.66)."""
    deadweight_t_per_length_m_cubed: float = 0.006
    """Typical deadweight (t) of a tanker of length L (m) is this times L^3, from a block
    hull: displacement 1.025 t/m^3 x Cb 0.8 x L x B x T with B = L/6 and T = L/17, of which
    deadweight is ~75 % (L/B 5-7, B/T 2.5-3, DWT/displacement 0.7-0.8 for tankers: Watson,
    "Practical Ship Design", 1998, ch. 3); used without a registry deadweight."""
    default_deadweight_t: float = 3000.0
    """Deadweight assumed when neither registry nor length is known: a small coastal tanker
    (the order of the DPRK-flagged tankers in the Panel's STS cases, S/2019/171 annex 5)."""
    dark_partner_max_distance_km: float = 50.0
    """A silence pairs with a loitering when it starts or ends this close to it (the risk
    scorer's default, :class:`sanctionwatch.risk.model.RiskParams`)."""
    ballast_draught_base_m: float = 2.0
    """Ballast draught of a tanker, ``base + per_length x L`` metres: the minimum moulded
    ballast draught of MARPOL Annex I reg. 18.2.1 (2.0 + 0.02 L)."""
    ballast_draught_per_length: float = 0.02
    """See ``ballast_draught_base_m``."""


@dataclass(frozen=True)
class Registry:
    """Deadweight (and optionally design draught and type) per IMO from a user's CSV."""

    deadweight_t: Mapping[int, float] = field(default_factory=dict)
    design_draught_m: Mapping[int, float] = field(default_factory=dict)
    tanker: frozenset[int] = frozenset()
    source: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    """One event a delivery rests on."""

    event_id: str
    event_type: str
    role: str
    """``arrival``, ``transfer`` (the encounter), ``partner_loitering``, ``dark_gap`` or
    ``draught``."""
    mmsi: int
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class Delivery:
    """One estimated delivery of refined petroleum to a DPRK port."""

    delivery_id: str
    mmsi: int
    imo: int | None
    name: str | None
    port: str
    arrival_time: datetime
    mechanism: str
    supplier_mmsi: int | None
    supplier_name: str | None
    deadweight_t: float
    deadweight_source: str
    barrels: Mapping[str, float]
    """Barrels at each load share of :data:`LOAD_SHARES` (``third``, ``half``, ``ninety``)."""
    draught_change_m: float | None
    draught_barrels: float | None
    """Barrels from the reported draught change, when there is one (docs/petroleum.md)."""
    draught_basis: str
    evidence: tuple[EvidenceItem, ...]

    @property
    def year(self) -> int:
        """Calendar year of the arrival (the cap runs from 1 January, 2397 para 5)."""
        return self.arrival_time.year


@dataclass(frozen=True)
class YearSummary:
    """Deliveries of one year against the cap and the notified supplies."""

    year: int
    deliveries: int
    by_mechanism: Mapping[str, int]
    barrels: Mapping[str, float]
    draught_barrels: float
    draught_deliveries: int
    cap_barrels: float
    notified_barrels: float | None

    def share_of_cap(self, key: str) -> float:
        """Barrels at load ``key`` over the cap."""
        return self.barrels[key] / self.cap_barrels


@dataclass(frozen=True)
class CapReport:
    """The tracker's result: deliveries by arrival time and the yearly summary."""

    deliveries: tuple[Delivery, ...]
    years: tuple[YearSummary, ...]
    cap_barrels: float
    cap_citation: str
    params: PetroleumParams


def refined_petroleum_cap() -> tuple[float, str]:
    """The annual refined-petroleum cap (barrels) and its citation, from the shipped UN
    rules table (:mod:`sanctionwatch.trade.rules`)."""
    from sanctionwatch.trade.rules import load_rules

    for r in load_rules().rules:
        if (r.measure_type == "cap" and r.direction == "to_dprk" and "2710" in r.hs_prefixes
                and r.cap_unit == "barrels_per_year" and r.cap_amount is not None):
            # several resolutions: 2397 (the latest) sets the cap in force
            return r.cap_amount, f"{r.citation} ({r.cap_text})"
    raise ValueError("the UN rules table has no refined-petroleum cap (HS 2710, "
                     "barrels_per_year)")


def _num(text: str | None, what: str, where: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} {text!r} is not a number") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{where}: {what} {text!r} must be a positive number")
    return v


def read_registry(path: str | Path) -> Registry:
    """A registry CSV: ``imo``, ``deadweight_t``; optional ``design_draught_m`` and
    ``ship_type`` (an AIS code, or text containing "tanker"). Raises ``ValueError`` naming
    the file and line of a bad row."""
    p = Path(path)
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        missing = [c for c in ("imo", "deadweight_t") if c not in cols]
        if missing:
            raise ValueError(f"{p}: missing column(s) {', '.join(missing)}")
        dwt: dict[int, float] = {}
        draught: dict[int, float] = {}
        tankers: set[int] = set()
        for line, row in enumerate(reader, start=2):
            where = f"{p}, line {line}"
            digits = (row.get("imo") or "").strip()
            if not digits.isdigit():
                raise ValueError(f"{where}: imo {digits!r} is not a number")
            imo = int(digits)
            d = _num(row.get("deadweight_t"), "deadweight_t", where)
            if d is None:
                raise ValueError(f"{where}: empty deadweight_t")
            dwt[imo] = d
            t = _num(row.get("design_draught_m"), "design_draught_m", where)
            if t is not None:
                draught[imo] = t
            kind = (row.get("ship_type") or "").strip()
            if (kind.isdigit() and int(kind) in TANKER_TYPES) or "tanker" in kind.lower():
                tankers.add(imo)
    return Registry(dwt, draught, frozenset(tankers), str(p))


def read_notifications(path: str | Path) -> dict[int, float]:
    """Supplier notifications to the 1718 Committee: a CSV of ``year``, ``supplier_state``,
    ``barrels``; barrels summed per year. Raises ``ValueError`` naming file and line."""
    p = Path(path)
    out: dict[int, float] = {}
    with p.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("year", "supplier_state", "barrels")
                   if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{p}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            where = f"{p}, line {line}"
            y = (row.get("year") or "").strip()
            if not (y.isdigit() and len(y) == 4):
                raise ValueError(f"{where}: year {y!r} is not a 4-digit year")
            text = (row.get("barrels") or "").strip()
            try:
                b = float(text)
            except ValueError:
                raise ValueError(f"{where}: barrels {text!r} is not a number") from None
            if not math.isfinite(b) or b < 0:
                raise ValueError(f"{where}: barrels {text!r} must be zero or more")
            out[int(y)] = out.get(int(y), 0.0) + b
    return out


def _is_tanker(f: VesselFacts | None, registry: Registry) -> bool:
    if f is None:
        return False
    if any(p.ship_type is not None and int(p.ship_type) in TANKER_TYPES
           for p in f.identities):
        return True
    return f.imo is not None and f.imo in registry.tanker


def _own(f: VesselFacts, *types: str) -> list[Event]:
    return [e for e in f.of_type(*types) if e["mmsi"] == f.mmsi]


def _dprk_arrivals(f: VesselFacts) -> list[Event]:
    return [e for e in _own(f, "port_call")
            if (e.get("is_dprk") or e.get("port_country") == "PRK")
            and bool(e["details"].get("entry_seen"))]


def _length_m(f: VesselFacts) -> float | None:
    for e in reversed(_own(f, "draught_change")):
        v = e["details"].get("length_m")
        if isinstance(v, (int, float)) and v > 0:
            return float(v)
    return None


def deadweight(f: VesselFacts, registry: Registry, params: PetroleumParams) -> tuple[
        float, str]:
    """The vessel's deadweight (t) and where it comes from: the registry (by its broadcast
    IMO), else the typical deadweight of its length, else the default."""
    if f.imo is not None and f.imo in registry.deadweight_t:
        return registry.deadweight_t[f.imo], f"registry ({registry.source}, IMO {f.imo})"
    length = _length_m(f)
    if length is not None:
        dwt = params.deadweight_t_per_length_m_cubed * length ** 3
        return round(dwt, 0), f"typical for length {length:.0f} m (k x L^3)"
    return params.default_deadweight_t, "default (no registry deadweight, no length)"


def _draught_estimate(f: VesselFacts, change: Event | None, dwt: float, registry: Registry,
                      params: PetroleumParams) -> tuple[float | None, float | None, str]:
    """(draught change m, barrels, basis) from a laden draught change: cargo share =
    change / (design draught - ballast draught), capped at 1."""
    if change is None:
        return None, None, ""
    dd = float(change["details"].get("change_m") or 0.0)
    length = _length_m(f)
    if dd <= 0 or length is None:
        return (dd or None), None, "no length reported: no draught estimate"
    ballast = params.ballast_draught_base_m + params.ballast_draught_per_length * length
    if f.imo is not None and f.imo in registry.design_draught_m:
        design, basis = registry.design_draught_m[f.imo], "registry design draught"
    else:
        reported = [float(v) for e in _own(f, "draught_change")
                    for v in (e.get("draught_before_m"), e.get("draught_after_m"))
                    if v is not None]
        if not reported:
            return dd, None, "no reported draught: no draught estimate"
        design, basis = max(reported), "deepest reported draught as design draught"
    span = design - ballast
    if span <= 0.1:
        return dd, None, (f"design draught {design:.1f} m not above ballast draught "
                          f"{ballast:.1f} m: no draught estimate")
    share = min(1.0, dd / span)
    bbl = dwt * share * params.barrels_per_tonne
    return dd, round(bbl, 0), (f"{dd:.1f} m / ({design:.1f} m {basis} - {ballast:.1f} m "
                               f"ballast, MARPOL I/18.2) = {share:.0%} laden")


def _item(e: Event, role: str) -> EvidenceItem:
    return EvidenceItem(str(e["event_id"]), str(e["event_type"]), role, int(e["mmsi"]),
                        e["start_time"], e["end_time"])


def _delivery_id(arrival: Event) -> str:
    return "pd-" + hashlib.sha1(str(arrival["event_id"]).encode()).hexdigest()[:12]


def _dark_candidates(v: VesselFacts, facts: Mapping[int, VesselFacts],
                     pairs: Mapping[int, Sequence[tuple[Event, Event]]], registry: Registry,
                     places: Places, lo: datetime, hi: datetime) -> list[tuple[
                         float, Event, Event]]:
    """(distance km, loitering, gap) of tankers loitering in an STS area during one of
    ``v``'s silences that ended in [lo, hi], nearest first."""
    from sanctionwatch.geo import haversine_m

    out = []
    for other, plist in pairs.items():
        if other == v.mmsi or not _is_tanker(facts.get(other), registry):
            continue
        of = facts[other]
        for loit, gap in plist:
            if gap["mmsi"] != v.mmsi or not lo <= gap["end_time"] <= hi:
                continue
            if places.sts_area(loit.get("lat"), loit.get("lon")) is None:
                continue
            # a loitering spent alongside a visible partner is that partner's transfer
            if any(e["event_type"] == "encounter" and e["start_time"] <= loit["end_time"]
                   and e["end_time"] >= loit["start_time"] for e in of.events):
                continue
            d = min(float(haversine_m(loit["lat"], loit["lon"], la, ln)) / 1000.0
                    for la, ln in ((gap.get("lat"), gap.get("lon")),
                                   (gap.get("end_lat"), gap.get("end_lon")))
                    if la is not None and ln is not None)
            out.append((d, loit, gap))
    out.sort(key=lambda t: (t[0], str(t[1]["event_id"])))
    return out


def find_deliveries(vessels: Sequence[VesselFacts], registry: Registry | None = None,
                    params: PetroleumParams | None = None) -> list[Delivery]:
    """Deliveries from gathered facts (see the module), by arrival time then MMSI."""
    from sanctionwatch.risk.model import RiskParams
    from sanctionwatch.risk.score import dark_partners

    params = params or PetroleumParams()
    registry = registry or Registry()
    facts = {f.mmsi: f for f in vessels}
    pairs = dark_partners(vessels, RiskParams(
        dark_partner_max_distance_km=params.dark_partner_max_distance_km))
    window = timedelta(days=params.sts_to_port_max_days)
    out: list[Delivery] = []
    arrivals = sorted(((a, v) for v in vessels for a in _dprk_arrivals(v)),
                      key=lambda t: (t[0]["start_time"], t[1].mmsi))
    prev_end: dict[int, datetime] = {}
    claimed: set[str] = set()  # a transfer feeds one delivery: the earliest arrival after it
    for arr, v in arrivals:
        lo = arr["start_time"] - window
        if v.mmsi in prev_end and prev_end[v.mmsi] > lo:
            lo = prev_end[v.mmsi]
        hi = arr["start_time"]
        prev_end[v.mmsi] = arr["end_time"]
        evidence = [_item(arr, "arrival")]
        supplier: int | None = None
        encs = [e for e in v.of_type("encounter") if lo <= e["end_time"] <= hi
                and str(e["event_id"]) not in claimed]
        dark = [] if encs else [c for c in _dark_candidates(
            v, facts, pairs, registry, v.places, lo, hi)
            if str(c[1]["event_id"]) not in claimed]
        if encs:
            enc = encs[-1]
            supplier = int(enc["other_mmsi"] if enc["mmsi"] == v.mmsi else enc["mmsi"])
            mechanism = "visible_sts"
            evidence.insert(0, _item(enc, "transfer"))
            since = enc["start_time"]
            used = str(enc["event_id"])
        elif dark:
            _, loit, gap = dark[0]
            supplier = int(loit["mmsi"])
            mechanism = "dark_sts"
            evidence[:0] = [_item(loit, "partner_loitering"), _item(gap, "dark_gap")]
            since = min(loit["start_time"], gap["start_time"])
            used = str(loit["event_id"])
        else:
            mechanism = "direct_port_call"
            since = lo
            used = ""
        if not (_is_tanker(v, registry) or (supplier is not None
                                            and _is_tanker(facts.get(supplier),
                                                           registry))):
            continue
        changes = [e for e in _own(v, "draught_change")
                   if e.get("subtype") == "laden" and since <= e["end_time"] <= arr["end_time"]]
        change = changes[-1] if changes else None
        if change is not None:
            evidence.append(_item(change, "draught"))
        if used:
            claimed.add(used)
        dwt, dwt_source = deadweight(v, registry, params)
        dd, dbbl, basis = _draught_estimate(v, change, dwt, registry, params)
        sup = facts.get(supplier) if supplier is not None else None
        out.append(Delivery(
            delivery_id=_delivery_id(arr), mmsi=v.mmsi, imo=v.imo, name=v.name,
            port=str(arr.get("port_name") or "DPRK port"), arrival_time=arr["start_time"],
            mechanism=mechanism, supplier_mmsi=supplier,
            supplier_name=sup.name if sup is not None else None,
            deadweight_t=dwt, deadweight_source=dwt_source,
            barrels={k: round(dwt * s * params.barrels_per_tonne, 0)
                     for k, s in LOAD_SHARES},
            draught_change_m=dd, draught_barrels=dbbl, draught_basis=basis,
            evidence=tuple(sorted(evidence, key=lambda i: (i.start_time, i.role)))))
    out.sort(key=lambda d: (d.arrival_time, d.mmsi))
    return out


def summarise(deliveries: Iterable[Delivery], cap_barrels: float,
              notifications: Mapping[int, float] | None = None,
              year: int | None = None) -> list[YearSummary]:
    """One :class:`YearSummary` per arrival year (only ``year`` when given)."""
    by_year: dict[int, list[Delivery]] = {}
    for d in deliveries:
        by_year.setdefault(d.year, []).append(d)
    years = [year] if year is not None else sorted(by_year)
    out = []
    for y in years:
        ds = by_year.get(y, [])
        with_d = [d.draught_barrels for d in ds if d.draught_barrels is not None]
        out.append(YearSummary(
            year=y, deliveries=len(ds),
            by_mechanism={m: sum(1 for d in ds if d.mechanism == m) for m in MECHANISMS},
            barrels={k: float(sum(d.barrels[k] for d in ds)) for k, _ in LOAD_SHARES},
            draught_barrels=float(sum(with_d)), draught_deliveries=len(with_d),
            cap_barrels=cap_barrels,
            notified_barrels=None if notifications is None else notifications.get(y, 0.0)))
    return out


def track_deliveries(store_path: str | Path, *, registry: Registry | None = None,
                     notifications: Mapping[int, float] | None = None,
                     year: int | None = None, params: PetroleumParams | None = None,
                     places: Places | None = None) -> CapReport:
    """Estimate the refined-petroleum deliveries in a store and compare them with the cap.
    ``year``: only deliveries arriving in that year."""
    params = params or PetroleumParams()
    cap, citation = refined_petroleum_cap()
    found = find_deliveries(load_facts(store_path, places=places), registry, params)
    if year is not None:
        found = [d for d in found if d.year == year]
    return CapReport(tuple(found), tuple(summarise(found, cap, notifications, year)), cap,
                     citation, params)


@dataclass(frozen=True)
class DeliveryScore:
    """Tracked deliveries against ground truth (a simulator's ``deliveries.parquet``)."""

    true_positives: int
    false_positives: int
    false_negatives: int
    mechanism_agrees: int
    """Matched deliveries whose mechanism is the truth's."""
    missed: tuple[tuple[int, datetime, str], ...]
    """(MMSI, arrival, mechanism) of the truth rows not found."""

    @property
    def precision(self) -> float:
        """Found deliveries that are true, 0-1 (1 when none found)."""
        n = self.true_positives + self.false_positives
        return self.true_positives / n if n else 1.0

    @property
    def recall(self) -> float:
        """True deliveries found, 0-1 (1 when there are none)."""
        n = self.true_positives + self.false_negatives
        return self.true_positives / n if n else 1.0


def score_deliveries(found: Sequence[Delivery], truth: pl.DataFrame,
                     tolerance_h: float = 6.0) -> DeliveryScore:
    """Match each truth row (``mmsi``, ``arrival_time``, ``mechanism``) to at most one found
    delivery of the same vessel arriving within ``tolerance_h`` hours."""
    free = list(found)
    tp = agree = 0
    missed = []
    for row in truth.sort("arrival_time").iter_rows(named=True):
        hit = next((d for d in free if d.mmsi == row["mmsi"] and abs(
            (d.arrival_time - row["arrival_time"]).total_seconds()) <= tolerance_h * 3600),
            None)
        if hit is None:
            missed.append((int(row["mmsi"]), row["arrival_time"], str(row["mechanism"])))
            continue
        free.remove(hit)
        tp += 1
        agree += hit.mechanism == row["mechanism"]
    return DeliveryScore(tp, len(free), len(missed), agree, tuple(missed))


DELIVERY_COLUMNS = (
    "delivery_id", "mmsi", "imo", "name", "port", "arrival_time", "mechanism",
    "supplier_mmsi", "supplier_name", "deadweight_t", "deadweight_source", "barrels_third",
    "barrels_half", "barrels_ninety", "draught_change_m", "draught_barrels", "draught_basis",
    "evidence_event_ids", "evidence_times",
)
"""Columns of ``deliveries.csv`` (and of the ``petroleum_deliveries`` table, with
``method``)."""


def deliveries_frame(deliveries: Sequence[Delivery]) -> pl.DataFrame:
    """One row per delivery (:data:`DELIVERY_COLUMNS`); evidence ``;``-joined."""
    rows: list[dict[str, Any]] = []
    for d in deliveries:
        rows.append({
            "delivery_id": d.delivery_id, "mmsi": d.mmsi, "imo": d.imo, "name": d.name,
            "port": d.port, "arrival_time": d.arrival_time, "mechanism": d.mechanism,
            "supplier_mmsi": d.supplier_mmsi, "supplier_name": d.supplier_name,
            "deadweight_t": d.deadweight_t, "deadweight_source": d.deadweight_source,
            "barrels_third": d.barrels["third"], "barrels_half": d.barrels["half"],
            "barrels_ninety": d.barrels["ninety"], "draught_change_m": d.draught_change_m,
            "draught_barrels": d.draught_barrels, "draught_basis": d.draught_basis,
            "evidence_event_ids": ";".join(f"{i.role}:{i.event_id}" for i in d.evidence),
            "evidence_times": ";".join(f"{i.start_time:%Y-%m-%dT%H:%M:%SZ}/"
                                       f"{i.end_time:%Y-%m-%dT%H:%M:%SZ}" for i in d.evidence),
        })
    schema: dict[str, Any] = {
              "delivery_id": pl.Utf8, "mmsi": pl.Int64, "imo": pl.Int64, "name": pl.Utf8,
              "port": pl.Utf8, "arrival_time": pl.Datetime("us", "UTC"),
              "mechanism": pl.Utf8, "supplier_mmsi": pl.Int64, "supplier_name": pl.Utf8,
              "deadweight_t": pl.Float64, "deadweight_source": pl.Utf8,
              "barrels_third": pl.Float64, "barrels_half": pl.Float64,
              "barrels_ninety": pl.Float64, "draught_change_m": pl.Float64,
              "draught_barrels": pl.Float64, "draught_basis": pl.Utf8,
              "evidence_event_ids": pl.Utf8, "evidence_times": pl.Utf8}
    return pl.DataFrame(rows, schema=schema, orient="row")


def years_frame(years: Sequence[YearSummary]) -> pl.DataFrame:
    """The yearly summary as a frame (``summary.csv``)."""
    rows = []
    for y in years:
        rows.append({
            "year": y.year, "deliveries": y.deliveries,
            **{f"n_{m}": y.by_mechanism[m] for m in MECHANISMS},
            **{f"barrels_{k}": y.barrels[k] for k, _ in LOAD_SHARES},
            **{f"share_of_cap_{k}": round(y.share_of_cap(k), 4) for k, _ in LOAD_SHARES},
            "draught_barrels": y.draught_barrels, "draught_deliveries": y.draught_deliveries,
            "cap_barrels": y.cap_barrels, "notified_barrels": y.notified_barrels,
        })
    schema: dict[str, Any] = {"year": pl.Int64, "deliveries": pl.Int64,
                              **{f"n_{m}": pl.Int64 for m in MECHANISMS},
                              **{f"barrels_{k}": pl.Float64 for k, _ in LOAD_SHARES},
                              **{f"share_of_cap_{k}": pl.Float64 for k, _ in LOAD_SHARES},
                              "draught_barrels": pl.Float64, "draught_deliveries": pl.Int64,
                              "cap_barrels": pl.Float64, "notified_barrels": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def evidence_frame(deliveries: Sequence[Delivery]) -> pl.DataFrame:
    """One row per (delivery, evidence event)."""
    rows = [{"delivery_id": d.delivery_id, "event_id": i.event_id, "event_type": i.event_type,
             "role": i.role, "mmsi": i.mmsi, "start_time": i.start_time,
             "end_time": i.end_time} for d in deliveries for i in d.evidence]
    return pl.DataFrame(rows, schema={
        "delivery_id": pl.Utf8, "event_id": pl.Utf8, "event_type": pl.Utf8, "role": pl.Utf8,
        "mmsi": pl.Int64, "start_time": pl.Datetime("us", "UTC"),
        "end_time": pl.Datetime("us", "UTC")}, orient="row")


def write_outputs(report: CapReport, out_dir: str | Path) -> tuple[Path, Path]:
    """``deliveries.csv`` and ``summary.csv`` in ``out_dir`` (each written whole)."""
    from sanctionwatch.atomic import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "deliveries.csv", out / "summary.csv")
    for path, df in zip(paths, (deliveries_frame(report.deliveries),
                                years_frame(report.years)), strict=True):
        with atomic_path(path) as tmp:
            df.write_csv(tmp)
    return paths


def store_deliveries(report: CapReport, store_path: str | Path | None = None) -> int:
    """Replace the stored estimate of this method (``petroleum_deliveries`` and
    ``petroleum_evidence``) with ``report``'s deliveries, in one transaction; rows stored."""
    from sanctionwatch.schema import PETROLEUM_DELIVERIES, PETROLEUM_EVIDENCE
    from sanctionwatch.store.duck import replace_rows

    method = pl.lit(METHOD).alias("method")
    d = deliveries_frame(report.deliveries).with_columns(method)
    e = evidence_frame(report.deliveries).with_columns(method)
    replace_rows(store_path, [(PETROLEUM_DELIVERIES, PETROLEUM_DELIVERIES.conform(d)),
                              (PETROLEUM_EVIDENCE, PETROLEUM_EVIDENCE.conform(e))],
                 "method", METHOD)
    return d.height


def stored_deliveries(store_path: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored deliveries and their evidence (empty frames when none were stored)."""
    from sanctionwatch.schema import PETROLEUM_DELIVERIES, PETROLEUM_EVIDENCE
    from sanctionwatch.store import DuckDBStore
    from sanctionwatch.store.duck import read_table

    with DuckDBStore(store_path, read_only=True) as st:
        return (read_table(st.con, PETROLEUM_DELIVERIES, "arrival_time, mmsi"),
                read_table(st.con, PETROLEUM_EVIDENCE, "delivery_id, start_time, role"))


__all__ = [
    "DELIVERY_COLUMNS",
    "LOAD_SHARES",
    "MECHANISMS",
    "METHOD",
    "CapReport",
    "Delivery",
    "DeliveryScore",
    "EvidenceItem",
    "PetroleumParams",
    "Registry",
    "YearSummary",
    "deadweight",
    "deliveries_frame",
    "evidence_frame",
    "find_deliveries",
    "read_notifications",
    "read_registry",
    "refined_petroleum_cap",
    "score_deliveries",
    "store_deliveries",
    "stored_deliveries",
    "summarise",
    "track_deliveries",
    "write_outputs",
    "years_frame",
]
