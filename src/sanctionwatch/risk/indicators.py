"""The risk indicators: each a small function ``(facts, params) -> IndicatorResult``.

Every indicator returns a score 0..1 (0: nothing found), its weight, one sentence with the
figures, dates and places behind it, and the store rows it rests on. :data:`INDICATORS` lists
them by name (the order the documentation and ``alerts --json`` use). Data-quality findings
are never read here: they lower the confidence (:mod:`sanctionwatch.risk.score`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from itertools import pairwise
from typing import Any

from sanctionwatch.risk.facts import Event, VesselFacts
from sanctionwatch.risk.model import IndicatorResult, RiskParams

Indicator = Callable[[VesselFacts, RiskParams], IndicatorResult]


def _when(t: datetime | None) -> str:
    return "an unknown time" if t is None else t.strftime("%Y-%m-%d %H:%M UTC")


def _day(t: datetime | None) -> str:
    return "an unknown date" if t is None else t.strftime("%Y-%m-%d")


def _where(lat: float | None, lon: float | None) -> str:
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return "an unknown position"
    return (f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} "
            f"{abs(lon):.2f}{'E' if lon >= 0 else 'W'}")


def _hours(e: Event) -> float:
    d = e.get("duration_h")
    return float(d) if d is not None and math.isfinite(float(d)) else 0.0


def _result(name: str, params: RiskParams, score: float, explanation: str,
            evidence: tuple[str, ...] | list[str] = ()) -> IndicatorResult:
    score = min(1.0, max(0.0, float(score)))
    return IndicatorResult(name, score, params.weight(name), explanation,
                           tuple(dict.fromkeys(evidence)))


def designated(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """The vessel is, or broadcasts the identity of, a listed vessel (``vessel_matches``
    ``is_match``). A match on the IMO number (the broadcast IMO is the listed one, whatever
    feature scored best) scores ``imo_match_score``, on a listed MMSI ``mmsi_match_score``, on
    the name only ``name_match_factor`` times the match score, times
    ``unconfirmed_name_factor`` when the vessel broadcast no valid IMO, or
    ``conflicting_imo_factor`` when it broadcast another valid IMO."""
    from sanctionwatch.ids import imo_is_valid

    broadcast = {p.imo for p in facts.identities if p.imo is not None and imo_is_valid(p.imo)}
    best: tuple[float, Any] = (0.0, None)
    for m in facts.matches:
        if not m.is_match:
            continue
        if m.imo_agrees:
            s = params.imo_match_score
        elif m.matched_on == "mmsi":
            s = params.mmsi_match_score
        else:
            s = params.name_match_factor * m.score
            if m.listed_imos and broadcast - set(m.listed_imos):
                s *= params.conflicting_imo_factor
            elif not broadcast:
                s *= params.unconfirmed_name_factor
        if s > best[0]:
            best = (s, m)
    score, m = best
    if m is None:
        return _result("designated", params, 0.0, "No sanctions-list match.")
    periods = [p.ref for p in facts.identities
               if (m.imo is not None and p.imo == m.imo) or (m.ais_name and p.name == m.ais_name)]
    lists = ", ".join(m.datasets)
    if m.imo_agrees:
        how = f"broadcast IMO {m.imo} is that of listed vessel {m.match_name}"
    elif m.matched_on == "mmsi":
        how = f"its MMSI {facts.mmsi} is listed for {m.match_name}"
    else:
        listed = ", ".join(map(str, m.listed_imos))
        if m.listed_imos and broadcast - set(m.listed_imos):
            note = f"; it broadcast IMO {min(broadcast)}, the list gives IMO {listed}"
        elif m.listed_imos and not broadcast:
            note = f"; no IMO broadcast to confirm it, the list gives IMO {listed}"
        elif not broadcast:
            note = "; no IMO on either side to confirm it"
        else:
            note = ""
        how = (f"broadcast name {m.ais_name or '?'} matches listed vessel {m.match_name} "
               f"(name only, match score {m.score:.2f}{note})")
    return _result("designated", params, score,
                   f"{facts.label()}: {how} ({lists}, entity {m.match_id}).",
                   [m.ref, *periods])


OWNERSHIP_RELATIONS = frozenset({"owner", "manager", "operator", "director"})
"""The graph relations that make a path an ownership chain. A path made only of identity
links (``listed_as``, ``same_imo``) or STS partnerships leads to a designated *ship*: that is
the ``designated`` and ``sts_partner`` indicators' business, not ownership."""


def ownership(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """An owner, manager, operator or director within ``max_hops`` links of a designated
    entity in the relationship graph, on a path with at least one such link
    (:data:`OWNERSHIP_RELATIONS`): 1 for one hop, times ``ownership_decay_per_hop`` for each
    further hop. Without a graph: 0, "no ownership data"."""
    if facts.ownership is None:
        return _result("ownership", params, 0.0, "No ownership data.")
    node = facts.ownership.vessel_node(imo=facts.imo, mmsi=facts.mmsi)
    if node is None:
        return _result("ownership", params, 0.0,
                       f"{facts.label()} (IMO {facts.imo}) is not in the ownership graph.")
    paths = [p for p in facts.ownership.paths_to_designated(node, max_hops=params.max_hops)
             if p.hops >= 1 and any(lk.relation in OWNERSHIP_RELATIONS for lk in p.links)]
    if not paths:
        return _result("ownership", params, 0.0,
                       f"No designated entity within {params.max_hops} links of {facts.label()}.")
    paths.sort(key=lambda p: (p.hops, p.target))
    best = paths[0]
    score = params.ownership_decay_per_hop ** (best.hops - 1)
    more = f" ({len(paths) - 1} more path(s))" if len(paths) > 1 else ""
    return _result("ownership", params, score,
                   f"{best.explain()}: a designated entity {best.hops} link(s) away{more}.",
                   ["graph:" + " > ".join(map(str, p.nodes)) for p in paths])


def _partner_text(facts: VesselFacts, mmsi: int) -> str:
    p = facts.partners[mmsi]
    who = f"{p.name} (MMSI {p.mmsi})" if p.name else f"MMSI {p.mmsi}"
    why = (f"designated: {p.designated}" if p.designated
           else f"risk {p.score:.2f}: {p.reason.rstrip('.')}")
    return f"{who} ({why})"


def sts_partner(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """Ship-to-ship contact with a designated or high-risk vessel: an encounter scores the
    partner's own risk without its STS indicator (the scorer's first pass); loitering while
    such a vessel was silent nearby (a dark transfer) scores ``dark_partner_factor`` times
    it. Partners below ``sts_partner_min_score`` do not count."""
    found: list[tuple[float, tuple[str, ...], str]] = []
    for e in facts.of_type("encounter"):
        other = e["other_mmsi"] if e["mmsi"] == facts.mmsi else e["mmsi"]
        partner = facts.partners.get(int(other)) if other is not None else None
        if partner is None or partner.score < params.sts_partner_min_score:
            continue
        area = facts.places.sts_area(e.get("lat"), e.get("lon"))
        at = f" in the {area.name}" if area else ""
        dist = e.get("median_distance_m")
        apart = f", median {dist:.0f} m apart" if dist is not None else ""
        found.append((partner.score, (e["event_id"],),
                      f"Alongside {_partner_text(facts, int(other))} for {_hours(e):.1f} h from "
                      f"{_when(e['start_time'])} at {_where(e.get('lat'), e.get('lon'))}{at}"
                      f"{apart}"))
    for loiter, gap in facts.dark_partners:
        partner = facts.partners.get(int(gap["mmsi"]))
        if partner is None or partner.score < params.sts_partner_min_score:
            continue
        found.append((params.dark_partner_factor * partner.score,
                      (loiter["event_id"], gap["event_id"]),
                      f"Loitered {_hours(loiter):.1f} h from {_when(loiter['start_time'])} at "
                      f"{_where(loiter.get('lat'), loiter.get('lon'))} while "
                      f"{_partner_text(facts, int(gap['mmsi']))} was silent nearby for "
                      f"{_hours(gap):.1f} h from {_when(gap['start_time'])}: a possible dark "
                      f"transfer"))
    if not found:
        n_enc = len(facts.of_type("encounter"))
        return _result("sts_partner", params, 0.0,
                       f"No encounter with a designated or high-risk vessel ({n_enc} "
                       "encounter(s) in all), no loitering beside one that was dark.")
    found.sort(key=lambda f: (-f[0], f[1]))
    score, _, text = found[0]
    more = f"; {len(found) - 1} more such contact(s)" if len(found) > 1 else ""
    return _result("sts_partner", params, score, f"{text}{more}.",
                   [i for f in found for i in f[1]])


def sts_area_loitering(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """Loitering (not by a fishing vessel) inside one of the Panel's STS areas: the visible
    side of a transfer whose partner is dark. ``duration / sts_area_loitering_full_h``."""
    if facts.ship_type in params.fishing_ship_types:
        return _result("sts_area_loitering", params, 0.0,
                       "A fishing vessel: slow movement is fishing, not waiting for a transfer.")
    hits = []
    for e in facts.of_type("loitering"):
        area = facts.places.sts_area(e.get("lat"), e.get("lon"))
        if area is not None:
            hits.append((e, area))
    if not hits:
        return _result("sts_area_loitering", params, 0.0, "No loitering in a Panel STS area.")
    e, area = max(hits, key=lambda h: (_hours(h[0]), h[0]["event_id"]))
    total = sum(_hours(h[0]) for h in hits)
    more = f" ({len(hits)} loitering events, {total:.1f} h in all)" if len(hits) > 1 else ""
    return _result("sts_area_loitering", params, _hours(e) / params.sts_area_loitering_full_h,
                   f"Loitered {_hours(e):.1f} h from {_when(e['start_time'])} at "
                   f"{_where(e.get('lat'), e.get('lon'))} in the {area.name}{more}.",
                   [h[0]["event_id"] for h in hits])


def _scored_gaps(facts: VesselFacts, params: RiskParams) -> list[Event]:
    return [e for e in facts.of_type("ais_gap") if _hours(e) >= params.min_gap_h]


def dark_near_dprk(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """AIS silences (``ais_gap``, at least ``min_gap_h``) that start or end within
    ``dark_near_dprk_max_distance_km`` of DPRK waters or inside a Panel STS area:
    ``duration / dark_full_h`` for the longest."""
    hits: list[tuple[Event, str]] = []
    for e in _scored_gaps(facts, params):
        ends = ((e.get("lat"), e.get("lon")), (e.get("end_lat"), e.get("end_lon")))
        where = ""
        for label, (la, lo) in zip(("went dark", "reappeared"), ends, strict=True):
            d, zone = facts.places.dprk_distance_km(la, lo)
            if zone is not None and d <= params.dark_near_dprk_max_distance_km:
                rel = "inside" if d == 0 else f"{d:.0f} km from"
                where = f"{label} at {_where(la, lo)}, {rel} {zone.name}"
                break
            area = facts.places.sts_area(la, lo)
            if area is not None:
                where = f"{label} at {_where(la, lo)}, in the {area.name}"
                break
        if where:
            hits.append((e, where))
    if not hits:
        n = len(_scored_gaps(facts, params))
        return _result("dark_near_dprk", params, 0.0,
                       f"No AIS silence near the DPRK or in a Panel STS area ({n} silence(s) of "
                       f"{params.min_gap_h:g} h or more elsewhere).")
    e, where = max(hits, key=lambda h: (_hours(h[0]), h[0]["event_id"]))
    more = f"; {len(hits) - 1} more such silence(s)" if len(hits) > 1 else ""
    return _result("dark_near_dprk", params, _hours(e) / params.dark_full_h,
                   f"AIS silent {_hours(e):.1f} h from {_when(e['start_time'])} to "
                   f"{_when(e['end_time'])}; {where}{more}.",
                   [h[0]["event_id"] for h in hits])


def dprk_port_call(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """Port calls at DPRK ports (``port_call`` ``is_dprk``): calls /
    ``dprk_port_call_full_count``."""
    calls = [e for e in facts.of_type("port_call") if e.get("is_dprk")]
    if not calls:
        return _result("dprk_port_call", params, 0.0, "No call at a DPRK port.")
    first = calls[0]
    ports = sorted({str(e.get("port_name")) for e in calls})
    more = f" ({len(calls)} calls in all: {', '.join(ports)})" if len(calls) > 1 else ""
    return _result("dprk_port_call", params, len(calls) / params.dprk_port_call_full_count,
                   f"Called at {first.get('port_name')}, DPRK, from {_when(first['start_time'])} "
                   f"for {_hours(first):.1f} h{more}.", [e["event_id"] for e in calls])


def _is_foc(flag: str | None, params: RiskParams) -> bool:
    return flag is not None and flag.upper() in params.flags_of_convenience


def identity_changes(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """Renames, IMO and call sign changes, flag hops (from a flag that is not a flag of
    convenience to one that is scoring higher), an IMO shared with another MMSI (with the
    other MMSI's flag compared), and a stated flag that is not the MMSI's country:
    ``identity_change`` events and the identity periods. The parts combine as
    ``1 - prod(1 - part)``."""
    parts: list[tuple[float, str, list[str]]] = []
    for e in facts.of_type("identity_change"):
        sub, old, new = e.get("subtype"), e.get("old_value"), e.get("new_value")
        when = _day(e["start_time"])
        ev = [e["event_id"]]
        if sub == "name" and _same_name(old, new):
            continue  # spacing or punctuation: "RJ PFEIFFER" / "R J PFEIFFER" on real data
        if sub == "name":
            parts.append((params.rename_score, f"renamed {old} -> {new} on {when}", ev))
        elif sub == "imo":
            parts.append((params.imo_change_score, f"IMO {old} -> {new} on {when}", ev))
        elif sub == "callsign":
            parts.append((params.callsign_change_score, f"call sign {old} -> {new} on {when}",
                          ev))
        elif sub == "flag":
            to_foc = _is_foc(new, params) and not _is_foc(old, params)
            s = params.flag_of_convenience_hop_score if to_foc else params.flag_hop_score
            foc = " (a flag of convenience)" if to_foc else ""
            parts.append((s, f"flag {old} -> {new}{foc} on {when}", ev))
        elif sub == "shared_imo":
            other = e["other_mmsi"] if e["mmsi"] == facts.mmsi else e["mmsi"]
            imo = new or e.get("details", {}).get("imo")
            others = facts.related_identities.get(int(other), ()) if other is not None else ()
            own_flag = facts.flag
            other_flag = next((p.flag for p in reversed(others) if p.flag), None)
            refs = ev + [p.ref for p in others]
            if other_flag and own_flag and other_flag != own_flag:
                focs = [f for f in (own_flag, other_flag) if _is_foc(f, params)]
                # a hop between two flags of convenience (Panama and the Marshall Islands, the
                # largest registries) is an ordinary reflagging; one into or out of one is not
                s = params.flag_of_convenience_hop_score if len(focs) == 1 \
                    else params.flag_hop_score
                note = f", flag of convenience {focs[0]}" if len(focs) == 1 else ""
                parts.append((s, f"IMO {imo} also broadcast by MMSI {other} under flag "
                              f"{other_flag} (this MMSI: {own_flag}{note}) from {when}", refs))
            else:
                parts.append((params.shared_imo_score,
                              f"IMO {imo} also broadcast by MMSI {other} from {when}", refs))
        elif sub == "mid_flag_mismatch":
            d = e.get("details", {})
            parts.append((params.mid_flag_mismatch_score,
                          f"states flag {d.get('flag', new)} while its MMSI is "
                          f"{d.get('mid_country', old)}'s from {when}", ev))
    parts += _period_changes(facts, params)
    if not parts:
        names = sorted({p.name for p in facts.identities if p.name})
        return _result("identity_changes", params, 0.0,
                       f"One identity throughout ({len(facts.identities)} identity period(s)"
                       f"{', name ' + names[0] if len(names) == 1 else ''}).")
    miss = 1.0
    for s, _, _ in parts:
        miss *= 1.0 - s
    parts.sort(key=lambda p: -p[0])
    periods = [p.ref for p in facts.identities] if len(facts.identities) > 1 else []
    return _result("identity_changes", params, 1.0 - miss,
                   f"{facts.label()}: " + "; ".join(t for _, t, _ in parts) + ".",
                   [r for _, _, refs in parts for r in refs] + periods)


def _same_name(a: object, b: object) -> bool:
    """Names that differ only in spacing, punctuation or case."""
    def key(v: object) -> str:
        return "".join(c for c in str(v).upper() if c.isalnum())
    return key(a) == key(b)


def _period_changes(facts: VesselFacts,
                    params: RiskParams) -> list[tuple[float, str, list[str]]]:
    """Changes between consecutive identity periods that no ``identity_change`` event
    reports (periods of separate runs: the detector sees one run at a time). Flags count only
    when both periods state them (a flag from the MID cannot change within one MMSI)."""
    seen = {(str(e.get("subtype")), str(e.get("old_value")), str(e.get("new_value")))
            for e in facts.of_type("identity_change")}
    out: list[tuple[float, str, list[str]]] = []
    periods = sorted(facts.identities, key=lambda p: (p.first_seen, p.source, p.record))
    for a, b in pairwise(periods):
        for field_ in ("name", "imo", "callsign", "flag"):
            old, new = getattr(a, field_), getattr(b, field_)
            if old is None or new is None or old == new or (str(field_), str(old), str(new)) \
                    in seen:
                continue
            if field_ == "flag" and not (a.flag_source == b.flag_source == "report"):
                continue
            if field_ == "name" and _same_name(old, new):
                continue
            if field_ == "flag":
                to_foc = _is_foc(new, params) and not _is_foc(old, params)
                score = params.flag_of_convenience_hop_score if to_foc else params.flag_hop_score
            else:
                score = {"name": params.rename_score, "imo": params.imo_change_score,
                         "callsign": params.callsign_change_score}[field_]
            label = {"name": "renamed", "imo": "IMO", "callsign": "call sign",
                     "flag": "flag"}[field_]
            out.append((score, f"{label} {old} -> {new} between identity periods "
                        f"{a.ref} and {b.ref} ({_day(b.first_seen)})", [a.ref, b.ref]))
    return out


SPOOFING_SUBTYPE_SCORE = {"simultaneous_positions": 1.0, "position_on_land": 0.8}
"""Score of one spoofing event of these subtypes when it lasts ``sustained_spoofing_min_h``
(other subtypes count by number of events only)."""


def spoofing(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """Sustained spoofing: a spoofing event lasting ``sustained_spoofing_min_h`` scores its
    subtype's score (:data:`SPOOFING_SUBTYPE_SCORE`, 1 for others); otherwise events count
    towards ``sustained_spoofing_min_events`` as the square of their share (one jump of three:
    1/9), so that isolated glitches score little and a pattern scores fully."""
    evs = facts.of_type("spoofing")
    if not evs:
        return _result("spoofing", params, 0.0, "No spoofing event.")
    long_ = [e for e in evs if _hours(e) >= params.sustained_spoofing_min_h]
    by_count = min(1.0, len(evs) / params.sustained_spoofing_min_events) ** 2
    by_length = max((SPOOFING_SUBTYPE_SCORE.get(str(e.get("subtype")), 1.0) for e in long_),
                    default=0.0)
    subtypes = sorted({str(e.get("subtype")) for e in evs})
    if long_:
        e = max(long_, key=lambda x: (_hours(x), x["event_id"]))
        text = (f"{e.get('subtype')} for {_hours(e):.1f} h from {_when(e['start_time'])} "
                f"({_where(e.get('lat'), e.get('lon'))} to "
                f"{_where(e.get('end_lat'), e.get('end_lon'))})")
    else:
        e = evs[0]
        text = (f"{e.get('subtype')} at {_where(e.get('lat'), e.get('lon'))} on "
                f"{_when(e['start_time'])}, lasting under {params.sustained_spoofing_min_h:g} h")
    return _result("spoofing", params, max(by_count, by_length),
                   f"{len(evs)} spoofing event(s) ({', '.join(subtypes)}); the longest: "
                   f"{text}.", [x["event_id"] for x in evs])


def draught_dark(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """A draught change across an AIS silence (``ais_gap`` ``draught_changed``), cargo moved
    unseen: ``|after - before| / draught_change_full_m`` for the largest."""
    hits = []
    for e in _scored_gaps(facts, params):
        b, a = e.get("draught_before_m"), e.get("draught_after_m")
        if e.get("draught_changed") and b is not None and a is not None:
            hits.append((abs(float(a) - float(b)), e))
    if not hits:
        return _result("draught_dark", params, 0.0, "No draught change across an AIS silence.")
    change, e = max(hits, key=lambda h: (h[0], h[1]["event_id"]))
    laden = "laden" if e["draught_after_m"] > e["draught_before_m"] else "unladen"
    return _result("draught_dark", params, change / params.draught_change_full_m,
                   f"Draught {e['draught_before_m']:.1f} m -> {e['draught_after_m']:.1f} m "
                   f"({laden}) across {_hours(e):.1f} h of AIS silence from "
                   f"{_when(e['start_time'])} at {_where(e.get('lat'), e.get('lon'))}.",
                   [h[1]["event_id"] for h in hits]
                   + [r for h in hits for r in h[1].get("details", {}).get("draught_evidence")
                      or ()])


def fishing_dprk(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """Fishing in DPRK waters: hours / ``fishing_dprk_full_h``.

    Primary evidence: ``fishing`` and ``pair_trawling`` events (apparent fishing from
    movement) whose position lies in a DPRK zone, whatever the ship type the vessel declares
    (a vessel trawling there without declaring itself a fishing vessel is no less
    suspicious). Without any, the fallback: a fishing vessel (ship type in
    ``fishing_ship_types``) staying in DPRK waters (``zone_entry`` into a DPRK zone) or
    loitering there. Overlapping events count once; hours in a zone whose source calls it
    approximate count ``approximate_zone_factor``."""
    fished = _fishing_in_dprk(facts, params)
    if fished is not None:
        return fished
    st = facts.ship_type
    if st not in params.fishing_ship_types:
        return _result("fishing_dprk", params, 0.0,
                       f"Not a fishing vessel (ship type {st if st is not None else 'unknown'}).")
    stays = [e for e in facts.of_type("zone_entry") if e.get("is_dprk")]
    loiter = [e for e in facts.of_type("loitering")
              if facts.places.dprk_zone(e.get("lat"), e.get("lon")) is not None]
    if not stays and not loiter:
        return _result("fishing_dprk", params, 0.0, "A fishing vessel never in DPRK waters.")
    exact = [e for e in stays if not facts.places.is_approximate(e.get("zone_id"))]
    approx = [e for e in stays if facts.places.is_approximate(e.get("zone_id"))]
    if stays:
        hours = _union_hours(exact) + params.approximate_zone_factor * _union_hours(approx)
        raw = _union_hours(stays)
    else:
        hours = raw = _union_hours(loiter)
    first = min(stays + loiter, key=lambda x: (x["start_time"], x["event_id"]))
    zones = sorted({str(e.get("zone_name")) for e in stays if e.get("zone_name")})
    where = "; ".join(zones) if zones else "DPRK waters"
    extra = f", {len(loiter)} loitering event(s) there" if loiter else ""
    if approx:
        extra += (f"; {_union_hours(approx):.1f} h of it in an approximate zone, counted "
                  f"{params.approximate_zone_factor:g}")
    return _result("fishing_dprk", params, hours / params.fishing_dprk_full_h,
                   f"Fishing vessel (type {st}) {raw:.1f} h in DPRK waters ({where}) from "
                   f"{_when(first['start_time'])} at {_where(first.get('lat'), first.get('lon'))}"
                   f"{extra}.", [e["event_id"] for e in stays + loiter])


SHIPMENT_FLAG_RULES_SCORED_ELSEWHERE = frozenset({
    "listed_vessel", "vessel_ais_gap", "vessel_dprk_port_call", "vessel_encounter"})
"""Shipment-flag rules the ``shipment_flags`` indicator leaves out: they restate the vessel's
list match and AIS events, which ``designated``, ``dark_near_dprk``, ``dprk_port_call`` and
``sts_partner`` already score from the same store rows."""


def shipment_flags(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """The vessel carried a flagged shipment (``shipment_flags``: banned or capped HS code,
    misdeclared goods, listed party, transshipment routing): scored by the worst severity,
    1 for ``high``, ``shipment_flag_medium_score`` for ``medium``,
    ``shipment_flag_low_score`` for ``low``; explained with that flag's shipment id, rule
    and citation."""
    flags = [f for f in facts.shipment_flags
             if f.rule not in SHIPMENT_FLAG_RULES_SCORED_ELSEWHERE]
    if not flags:
        return _result("shipment_flags", params, 0.0, "No flagged shipment.")
    score = {"high": 1.0, "medium": params.shipment_flag_medium_score,
             "low": params.shipment_flag_low_score}
    worst = max(flags, key=lambda f: score.get(f.severity, 0.0))
    ships = {(f.source_file, f.shipment_id) for f in flags}
    more = (f" ({len(flags) - 1} more flag(s) on {len(ships)} shipment(s))"
            if len(flags) > 1 else "")
    return _result("shipment_flags", params, score.get(worst.severity, 0.0),
                   f"{facts.label()} carried shipment {worst.shipment_id} ({worst.ref}) "
                   f"flagged {worst.rule} ({worst.severity}): {worst.explanation.rstrip('.')} "
                   f"[{worst.citation}]{more}.", [f.ref for f in flags])


def petroleum_delivery(facts: VesselFacts, params: RiskParams) -> IndicatorResult:
    """An estimated refined-petroleum delivery to a DPRK port fed by a ship-to-ship transfer
    (visible or dark) that the vessel received or supplied (:mod:`sanctionwatch.trade.
    petroleum`): 1 for one. Direct port calls are left to ``dprk_port_call``."""
    if not facts.petroleum:
        return _result("petroleum_delivery", params, 0.0,
                       "No ship-to-ship transfer followed by a DPRK port call.")
    parts = []
    for d in facts.petroleum:
        how = "in the dark (its partner's AIS off)" if d.mechanism == "dark_sts" else "alongside"
        if d.mmsi == facts.mmsi:
            who = f"received by STS {how} from MMSI {d.supplier_mmsi}, then called at"
        else:
            who = f"supplied by STS {how} tanker {d.name or ''} (MMSI {d.mmsi}), which called at"
        parts.append(f"{who} {d.port}, DPRK, on {_day(d.arrival_time)}: about "
                     f"{d.barrels['third']:,.0f}-{d.barrels['ninety']:,.0f} barrels of "
                     "refined petroleum at one third to 90 % laden")
    more = f" ({len(parts)} deliveries)" if len(parts) > 1 else ""
    text = parts[0][0].upper() + parts[0][1:] + more + "."
    return _result("petroleum_delivery", params, 1.0, text,
                   [i.event_id for d in facts.petroleum for i in d.evidence])


def _fishing_in_dprk(facts: VesselFacts, params: RiskParams) -> IndicatorResult | None:
    """:func:`fishing_dprk` from fishing / pair-trawling events in DPRK zones; None when the
    vessel has none there."""
    exact: list[Event] = []
    approx: list[Event] = []
    zones: set[str] = set()
    for e in facts.of_type("fishing", "pair_trawling"):
        z = facts.places.dprk_zone(e.get("lat"), e.get("lon"))
        if z is None:
            continue
        zones.add(z.name)
        (approx if facts.places.is_approximate(z.zone_id) else exact).append(e)
    if not exact and not approx:
        return None
    found = exact + approx
    hours = _union_hours(exact) + params.approximate_zone_factor * _union_hours(approx)
    first = min(found, key=lambda x: (x["start_time"], x["event_id"]))
    pairs = sum(e["event_type"] == "pair_trawling" for e in found)
    gears = sorted({str((e.get("details") or {}).get("gear") or "unknown") for e in found
                    if e["event_type"] == "fishing"})
    what = f"{len(found) - pairs} fishing event(s)" + (f" ({', '.join(gears)})" if gears else "")
    if pairs:
        what += f" and {pairs} pair-trawling event(s)"
    st = facts.ship_type
    extra = (f"; {_union_hours(approx):.1f} h of it in an approximate zone, counted "
             f"{params.approximate_zone_factor:g}") if approx else ""
    return _result("fishing_dprk", params, hours / params.fishing_dprk_full_h,
                   f"Apparent fishing {_union_hours(found):.1f} h in DPRK waters "
                   f"({'; '.join(sorted(zones))}): {what} from {_when(first['start_time'])} at "
                   f"{_where(first.get('lat'), first.get('lon'))} (ship type "
                   f"{st if st is not None else 'unknown'}){extra}.",
                   [e["event_id"] for e in found])


def _union_hours(events: list[Event]) -> float:
    """Hours covered by the events' intervals (overlaps counted once)."""
    if not events:
        return 0.0
    spans = sorted((e["start_time"], e["end_time"]) for e in events)
    total = 0.0
    cur_s, cur_e = spans[0]
    for s, e in spans[1:]:
        if s <= cur_e:
            cur_e = max(cur_e, e)
        else:
            total += float((cur_e - cur_s).total_seconds())
            cur_s, cur_e = s, e
    total += float((cur_e - cur_s).total_seconds())
    return total / 3600.0


INDICATORS: dict[str, Indicator] = {
    "designated": designated,
    "ownership": ownership,
    "sts_partner": sts_partner,
    "sts_area_loitering": sts_area_loitering,
    "dark_near_dprk": dark_near_dprk,
    "dprk_port_call": dprk_port_call,
    "identity_changes": identity_changes,
    "spoofing": spoofing,
    "draught_dark": draught_dark,
    "fishing_dprk": fishing_dprk,
    "shipment_flags": shipment_flags,
    "petroleum_delivery": petroleum_delivery,
}
"""Every indicator by name; each name has a ``weight_<name>`` in :class:`RiskParams`."""

__all__ = ["INDICATORS", "SHIPMENT_FLAG_RULES_SCORED_ELSEWHERE", "SPOOFING_SUBTYPE_SCORE",
           "Indicator", *INDICATORS]
