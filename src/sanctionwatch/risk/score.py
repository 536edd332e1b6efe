"""Score every vessel in a store: :func:`score_vessels`.

Two passes, because the STS indicator needs the partner's own risk:

1. every vessel is scored on every indicator except ``sts_partner``; that score (and whether
   the vessel is designated) is its *base* risk;
2. every vessel is scored on all indicators, ``sts_partner`` reading the base risk of its
   encounter partners and of its dark partners: vessels whose AIS silence (``ais_gap``)
   spans the middle of one of its loitering events and starts or ends within
   ``dark_partner_max_distance_km`` of it (:func:`dark_partners`).

A partner's risk therefore never includes its own STS indicator, so two ordinary ships that
met each other cannot raise each other, and the result does not depend on the order of the
vessels. The score combines the indicators by noisy-OR (:func:`sanctionwatch.risk.model.
combine`). Vessels are ranked by score (rounded to 4 decimals), then by MMSI.

Confidence (0..1, beside the score): 1, multiplied by ``quality_confidence_factor`` for each
kind of data-quality finding on the vessel (``quality_findings``: invalid IMO, duplicate
transponder, impossible values ...), by ``coverage_confidence_factor`` once when its track
has coverage gaps (silences the feed could not observe), and by ``coverage_confidence_factor``
for each silence scored by a dark indicator during which other ships were heard nearby less
than ``min_nearby_heard_share`` of the time; never below ``min_confidence``. Neither ever
changes the score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sanctionwatch.risk.facts import Event, PartnerRisk, Places, VesselFacts, load_facts
from sanctionwatch.risk.indicators import INDICATORS
from sanctionwatch.risk.model import IndicatorResult, RiskParams, VesselRisk, combine
from sanctionwatch.risk.ownership import OwnershipLookup

DARK_INDICATORS = ("dark_near_dprk", "draught_dark")
"""Indicators that score AIS silences (their silences' reception lowers confidence)."""


def indicator_results(facts: VesselFacts, params: RiskParams,
                      skip: Sequence[str] = ()) -> list[IndicatorResult]:
    """Every indicator of :data:`INDICATORS` (but ``skip``) on one vessel, in registry order."""
    return [fn(facts, params) for name, fn in INDICATORS.items() if name not in skip]


def confidence(facts: VesselFacts, results: Sequence[IndicatorResult],
               params: RiskParams) -> tuple[float, list[str]]:
    """The vessel's confidence and why it is below 1 (see the module)."""
    conf = 1.0
    notes: list[str] = []
    kinds = sorted({str(q["event_type"]) for q in facts.quality if q["event_type"] !=
                    "coverage_gap"})
    for k in kinds:
        n = sum(1 for q in facts.quality if q["event_type"] == k)
        conf *= params.quality_confidence_factor
        notes.append(f"{n} data-quality finding(s) of type {k}.")
    cov = [q for q in facts.quality if q["event_type"] == "coverage_gap"]
    if cov:
        conf *= params.coverage_confidence_factor
        hours = sum(float(q.get("duration_h") or 0.0) for q in cov)
        notes.append(f"{len(cov)} silence(s) of its track ({hours:.1f} h) the receivers could "
                     "not observe (coverage_gap).")
    scored_ids = {ev for r in results if r.name in DARK_INDICATORS and r.score > 0
                  for ev in r.evidence}
    for e in facts.of_type("ais_gap"):
        if e["event_id"] not in scored_ids:
            continue
        dur = float(e.get("duration_h") or 0.0)
        heard = e.get("details", {}).get("nearby_heard_h")
        if dur > 0 and heard is not None and float(heard) / dur < params.min_nearby_heard_share:
            conf *= params.coverage_confidence_factor
            notes.append(f"Other ships were heard near the silence from "
                         f"{e['start_time']:%Y-%m-%d %H:%M} UTC only {float(heard):.1f} of its "
                         f"{dur:.1f} h: it may be the receivers'.")
    return max(params.min_confidence, conf), notes


def _risk(facts: VesselFacts, results: list[IndicatorResult], params: RiskParams) -> VesselRisk:
    score = combine(results)
    conf, notes = confidence(facts, results, params)
    ranked = sorted((r for r in results if r.score > 0),
                    key=lambda r: (-r.contribution, list(INDICATORS).index(r.name)))
    return VesselRisk(mmsi=facts.mmsi, imo=facts.imo, name=facts.name, flag=facts.flag,
                      score=score, confidence=conf, indicators=results,
                      reasons=[r.explanation for r in ranked], confidence_notes=notes)


def dark_partners(vessels: Sequence[VesselFacts], params: RiskParams) -> dict[
        int, tuple[tuple[Event, Event], ...]]:
    """For each vessel, its (loitering, other vessel's silence) pairs: the silence spans the
    loitering's middle and starts or ends within ``dark_partner_max_distance_km`` of it."""
    from sanctionwatch.geo import haversine_m

    gaps = [e for f in vessels for e in f.of_type("ais_gap") if e["mmsi"] == f.mmsi]
    out: dict[int, tuple[tuple[Event, Event], ...]] = {}
    if not gaps:
        return out
    for f in vessels:
        pairs = []
        for lo in f.of_type("loitering"):
            if lo.get("lat") is None or lo.get("lon") is None:
                continue
            mid = lo["start_time"] + (lo["end_time"] - lo["start_time"]) / 2
            for g in gaps:
                if g["mmsi"] == f.mmsi or not g["start_time"] <= mid <= g["end_time"]:
                    continue
                near = [float(haversine_m(lo["lat"], lo["lon"], la, ln)) / 1000.0
                        for la, ln in ((g.get("lat"), g.get("lon")),
                                       (g.get("end_lat"), g.get("end_lon")))
                        if la is not None and ln is not None]
                if near and min(near) <= params.dark_partner_max_distance_km:
                    pairs.append((lo, g))
        if pairs:
            out[f.mmsi] = tuple(pairs)
    return out


def petroleum_by_vessel(vessels: Sequence[VesselFacts], params: RiskParams) -> dict[
        int, tuple[Any, ...]]:
    """For each vessel, the STS-fed petroleum deliveries it received or supplied
    (:func:`sanctionwatch.trade.petroleum.find_deliveries`, default tracker parameters with
    this model's ``dark_partner_max_distance_km``)."""
    from sanctionwatch.trade.petroleum import PetroleumParams, find_deliveries

    out: dict[int, list[Any]] = {}
    tracker = PetroleumParams(dark_partner_max_distance_km=params.dark_partner_max_distance_km)
    for d in find_deliveries(vessels, params=tracker):
        if d.mechanism == "direct_port_call":
            continue
        for m in (d.mmsi, d.supplier_mmsi):
            if m is not None:
                out.setdefault(m, []).append(d)
    return {m: tuple(ds) for m, ds in out.items()}


def score_facts(vessels: Sequence[VesselFacts], params: RiskParams | None = None) -> list[
        VesselRisk]:
    """Score vessels already gathered (two passes, see the module), highest risk first."""
    params = params or RiskParams()
    partners: dict[int, PartnerRisk] = {}
    for f in vessels:
        base = indicator_results(f, params, skip=("sts_partner",))
        s = combine(base)
        top = max(base, key=lambda r: r.contribution)
        des = base[list(INDICATORS).index("designated")]
        listed = next((f"{m.match_name} ({', '.join(m.datasets)})" for m in f.matches
                       if m.is_match), None) if des.score > 0 else None
        partners[f.mmsi] = PartnerRisk(f.mmsi, f.name, s, top.explanation, listed)
    dark = dark_partners(vessels, params)
    oil = petroleum_by_vessel(vessels, params)
    out = []
    for f in vessels:
        pairs = dark.get(f.mmsi, ())
        ids = {m for e in f.of_type("encounter") for m in (e["mmsi"], e["other_mmsi"])}
        ids |= {g["mmsi"] for _, g in pairs}
        mine = {m: partners[m] for m in ids if m is not None and m != f.mmsi and m in partners}
        full = replace(f, partners=mine, dark_partners=pairs, petroleum=oil.get(f.mmsi, ()))
        out.append(_risk(full, indicator_results(full, params), params))
    out.sort(key=lambda r: (-round(r.score, 4), r.mmsi))
    return out


def score_vessels(store_path: str | Path, params: RiskParams | None = None,
                  ownership: OwnershipLookup | None = None,
                  places: Places | None = None) -> list[VesselRisk]:
    """Every vessel of the store (each MMSI with events, list matches or identity periods)
    scored, highest risk first, ties by MMSI. Same store, same parameters: same output.

    ``ownership``: a relationship graph for the ownership indicator (None: that indicator
    scores 0, "no ownership data"). ``places``: DPRK zones and Panel STS areas (default: the
    shipped ``zones.geojson``).
    """
    params = params or RiskParams()
    return score_facts(load_facts(store_path, ownership=ownership, places=places), params)


def vessel_risk(store_path: str | Path, *, mmsi: int | None = None, imo: int | None = None,
                params: RiskParams | None = None, ownership: OwnershipLookup | None = None,
                places: Places | None = None) -> VesselRisk | None:
    """One vessel's risk, by MMSI or by its latest broadcast IMO (the highest-scoring MMSI
    broadcasting it); None when the store has no such vessel. The whole store is scored:
    STS partners need their own risk."""
    if (mmsi is None) == (imo is None):
        raise ValueError("give exactly one of mmsi and imo")
    for r in score_vessels(store_path, params, ownership, places):
        if (mmsi is not None and r.mmsi == mmsi) or (imo is not None and r.imo == imo):
            return r
    return None


__all__ = [
    "DARK_INDICATORS",
    "confidence",
    "dark_partners",
    "indicator_results",
    "petroleum_by_vessel",
    "score_facts",
    "score_vessels",
    "vessel_risk",
]
