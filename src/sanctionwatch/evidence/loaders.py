"""Loaders of the dossier sections: each reads one table and cites every value it returns.

Each function takes the open store (:class:`SourceStore`), the vessel's MMSIs and the
:class:`~sanctionwatch.evidence.dossier.Provenance` being built, and returns rows of cited
values; the provenance row of each names the source file and line, the list and its record,
or the event id and the event's evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from sanctionwatch.evidence.dossier import (
    Cited,
    DeliveryRow,
    EventRow,
    IdentityRow,
    MatchRow,
    Provenance,
    ShipmentFlagRow,
    StatementRow,
    Track,
    cited,
)
from sanctionwatch.schema import (
    EVENTS,
    PETROLEUM_DELIVERIES,
    PETROLEUM_EVIDENCE,
    QUALITY_FINDINGS,
)
from sanctionwatch.store.duck import DuckDBStore, read_table, table_columns

STORE_EVENTS = "store table events"
STORE_QUALITY = "store table quality_findings"
STORE_MATCHES = "store table vessel_matches"
STORE_PETROLEUM = "store table petroleum_deliveries"


class SourceStore:
    """The store opened read-only, with the look-ups the dossier needs."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self.con = store.con

    def _has(self, table: str) -> bool:
        return bool(table_columns(self.con, table))

    def mmsis_for(self, imo: int | None, mmsi: int | None) -> list[int]:
        """The MMSIs of the vessel: ``mmsi`` itself if the store knows it, else every MMSI
        that broadcast ``imo`` or was matched through it."""
        found: set[int] = set()
        if mmsi is not None:
            known = (
                self._rows("SELECT 1 FROM vessel_identities WHERE mmsi = ? LIMIT 1", [mmsi],
                           "vessel_identities")
                or self._rows("SELECT 1 FROM events WHERE mmsi = ? OR other_mmsi = ? LIMIT 1",
                              [mmsi, mmsi], "events")
                or self._rows("SELECT 1 FROM vessel_matches WHERE mmsi = ? LIMIT 1", [mmsi],
                              "vessel_matches")
            )
            return [mmsi] if known else []
        found |= {int(r[0]) for r in self._rows(
            "SELECT DISTINCT mmsi FROM vessel_identities WHERE imo = ?", [imo],
            "vessel_identities")}
        found |= {int(r[0]) for r in self._rows(
            "SELECT DISTINCT mmsi FROM vessel_matches WHERE imo = ?", [imo], "vessel_matches")}
        return sorted(found)

    def listed_ids(self, imo: int | None, mmsis: Sequence[int]) -> list[str]:
        """Listed vessels behind the vessel: those matched to its MMSIs and those listed
        with its IMO number."""
        ids: set[str] = set()
        if mmsis:
            marks = ", ".join("?" for _ in mmsis)
            ids |= {str(r[0]) for r in self._rows(
                f"SELECT DISTINCT match_id FROM vessel_matches WHERE is_match AND mmsi IN "
                f"({marks})", list(mmsis), "vessel_matches")}
        if imo is not None:
            ids |= {str(r[0]) for r in self._rows(
                "SELECT DISTINCT entity_id FROM sanction_statements WHERE prop = 'imoNumber' "
                "AND value IN (?, ?)", [f"IMO{imo}", str(imo)], "sanction_statements")}
        return sorted(ids)

    def _rows(self, sql: str, params: Sequence[Any], table: str) -> list[tuple[Any, ...]]:
        if not self._has(table):
            return []
        return self.con.execute(sql, list(params)).fetchall()


@contextmanager
def open_store(path: str | Path) -> Iterator[SourceStore]:
    """The store at ``path``, read-only (``FileNotFoundError`` naming it when absent)."""
    with DuckDBStore(path, read_only=True) as store:
        yield SourceStore(store)


def _identity_row(r: dict[str, Any], prov: Provenance) -> IdentityRow:
    flag = r["flag"]
    if flag and r["flag_source"] == "mid":
        flag = f"{flag} (from MMSI)"
    ref = prov.cite(
        f"MMSI {r['mmsi']} broadcast IMO {r['imo']}, name {r['name']!r}, call sign "
        f"{r['callsign']!r}, ship type {r['ship_type']}, flag {flag} from "
        f"{r['first_seen']:%Y-%m-%d %H:%M} to {r['last_seen']:%Y-%m-%d %H:%M} UTC "
        f"({r['n_reports']} static reports)",
        str(r["source"]), f"line {r['record']}",
    )
    return IdentityRow(
        mmsi=cited(r["mmsi"], ref), first_seen=cited(r["first_seen"], ref),
        last_seen=cited(r["last_seen"], ref), imo=cited(r["imo"], ref),
        name=cited(r["name"], ref), callsign=cited(r["callsign"], ref),
        flag=cited(flag, ref), ship_type=cited(r["ship_type"], ref),
        n_reports=cited(r["n_reports"], ref),
    )


def identity_rows(src: SourceStore, mmsis: Sequence[int], prov: Provenance) -> list[IdentityRow]:
    """Identity periods of the MMSIs, by MMSI and time (``vessel_identities``)."""
    rows = []
    for m in mmsis:
        rows += [_identity_row(r, prov) for r in src.store.vessel_identities(m).iter_rows(
            named=True)]
    return rows


def latest_identity(src: SourceStore, mmsi: int, prov: Provenance) -> IdentityRow | None:
    """The last identity period of ``mmsi`` (None when it sent no static report)."""
    df = src.store.vessel_identities(mmsi)
    return _identity_row(df.row(-1, named=True), prov) if df.height else None


def match_rows(src: SourceStore, mmsis: Sequence[int], prov: Provenance) -> list[MatchRow]:
    """Screening matches of the MMSIs against the lists (``vessel_matches``)."""
    df = src.store.vessel_matches().filter(pl.col("mmsi").is_in(list(mmsis)))
    out = []
    for r in df.iter_rows(named=True):
        broadcast = " / ".join(x for x in (r["ais_name"], r["imo"] and f"IMO {r['imo']}") if x)
        ref = prov.cite(
            f"MMSI {r['mmsi']} ({broadcast}) matches listed vessel {r['match_name']!r} "
            f"({r['match_id']}) with score {r['score']:.2f} on {r['matched_on']}: "
            f"{r['explanation']}",
            STORE_MATCHES, f"mmsi {r['mmsi']}, match_id {r['match_id']}",
        )
        out.append(MatchRow(
            mmsi=cited(r["mmsi"], ref), broadcast=cited(broadcast, ref),
            listed_name=cited(r["match_name"], ref), listed_id=str(r["match_id"]),
            datasets=cited(", ".join(r["datasets"] or []), ref),
            score=cited(r["score"], ref, ".2f"), matched_on=cited(r["matched_on"], ref),
            explanation=cited(r["explanation"], ref),
        ))
    return out


def shipment_flag_rows(src: SourceStore, imo: int | None, mmsis: Sequence[int],
                       prov: Provenance) -> list[ShipmentFlagRow]:
    """Flags of the shipments declared on the vessel (``shipment_flags``): by its IMO (``imo``
    or any IMO its MMSIs broadcast), or, for a flag declaring no IMO, by one of its broadcast
    names; each cited with the shipments file and line."""
    if not src._has("shipment_flags"):
        return []
    imos: set[int] = {imo} if imo is not None else set()
    names: set[str] = set()
    if mmsis:
        ids = src.store.vessel_identities().filter(pl.col("mmsi").is_in(list(mmsis)))
        imos |= {int(v) for v in ids["imo"].drop_nulls().to_list()}
        names = {" ".join(str(v).upper().split()) for v in ids["name"].drop_nulls().to_list()}
    if not imos and not names:
        return []
    rows = src.con.execute(
        "SELECT source_file, line, shipment_id, date, rule, severity, explanation, citation "
        "FROM shipment_flags WHERE list_contains(?::BIGINT[], vessel_imo) OR (vessel_imo IS "
        "NULL AND list_contains(?::VARCHAR[], upper(trim(regexp_replace(vessel_name, "
        "'\\s+', ' ', 'g'))))) ORDER BY date NULLS LAST, source_file, line, rule",
        [sorted(imos), sorted(names)]).fetchall()
    out = []
    for source, line, sid, day, rule, sev, expl, cite in rows:
        ref = prov.cite(f"shipment {sid}: {rule} ({sev}): {expl}", source, f"line {line}",
                        [cite] if cite else [])
        out.append(ShipmentFlagRow(
            shipment_id=cited(sid, ref), date=cited(day.isoformat() if day else None, ref),
            rule=cited(rule, ref), severity=cited(sev, ref), explanation=cited(expl, ref),
            citation=cited(cite, ref)))
    return out


def statement_rows(src: SourceStore, ids: Sequence[str], prov: Provenance) -> list[StatementRow]:
    """What the lists publish on the listed vessels ``ids`` (latest version of each list),
    each statement cited with its list file and record."""
    if not ids or not src._has("sanction_statements"):
        return []
    marks = ", ".join("?" for _ in ids)
    paths = dict(((d, str(ld)), p) for d, ld, p in src._rows(
        "SELECT dataset, list_date, path FROM sanction_list_versions", [],
        "sanction_list_versions"))
    rows = src.con.execute(
        "SELECT entity_id, prop, value, dataset, list_date, source_record FROM "
        "sanction_statements s WHERE entity_id IN (" + marks + ") AND prop <> 'id' AND "
        "list_date = (SELECT max(list_date) FROM sanction_statements t WHERE "
        "t.dataset = s.dataset) ORDER BY entity_id, dataset, prop, value", list(ids),
    ).fetchall()
    out = []
    for eid, prop, value, dataset, list_date, record in rows:
        source = paths.get((dataset, str(list_date))) or f"list {dataset}"
        ref = prov.cite(f"{dataset} ({list_date}) lists {eid}: {prop} = {value!r}",
                        str(source), str(record or eid))
        out.append(StatementRow(
            entity_id=Cited(str(eid), ref), prop=Cited(str(prop), ref),
            value=Cited(str(value), ref),
            dataset=Cited(str(dataset), ref), list_date=cited(list_date, ref),
            source_record=Cited(str(record or ""), ref),
        ))
    return out


def _f(v: Any, spec: str) -> str:
    return "" if v is None else format(v, spec)


def explain_event(r: dict[str, Any], subject: Sequence[int]) -> str:
    """One sentence saying what an event is, from its columns."""
    t = r["event_type"]
    details = json.loads(r["details"]) if r.get("details") else {}
    if t == "encounter":
        other = r["other_mmsi"] if r["mmsi"] in subject else r["mmsi"]
        return (f"Alongside MMSI {other} for {_f(r['duration_h'], '.1f')} h, median distance "
                f"{_f(r['median_distance_m'], '.0f')} m at median "
                f"{_f(r['median_speed_knots'], '.1f')} kn, "
                f"{_f(r['distance_to_port_km'], '.0f')} km from the nearest port.")
    if t == "ais_gap":
        intent = " meeting the criteria of intentional disabling;" if r[
            "likely_intentional"] else ";"
        draught = ""
        if r["draught_changed"]:
            draught = (f" draught {_f(r['draught_before_m'], '.1f')} m before, "
                       f"{_f(r['draught_after_m'], '.1f')} m after;")
        return (f"AIS silent for {_f(r['duration_h'], '.1f')} h{intent}{draught} reappeared "
                f"{_f(r['distance_km'], '.0f')} km away "
                f"(implied {_f(r['implied_speed_knots'], '.1f')} kn).")
    if t == "loitering":
        return (f"Loitered {_f(r['duration_h'], '.1f')} h at median "
                f"{_f(r['median_speed_knots'], '.1f')} kn, "
                f"{_f(r['distance_from_shore_km'], '.0f')} km from shore.")
    if t == "fishing":
        gear = str(details.get("gear") or "unknown").replace("_", " ")
        return (f"Apparent fishing ({gear}) for {_f(r['duration_h'], '.1f')} h at median "
                f"{_f(r['median_speed_knots'], '.1f')} kn, straightness "
                f"{_f(details.get('straightness'), '.2f')}, "
                f"{_f(r['distance_to_port_km'], '.0f')} km from the nearest port.")
    if t == "pair_trawling":
        other = r["other_mmsi"] if r["mmsi"] in subject else r["mmsi"]
        return (f"Pair trawling with MMSI {other} for {_f(r['duration_h'], '.1f')} h, median "
                f"distance {_f(r['median_distance_m'], '.0f')} m at "
                f"{_f(r['median_speed_knots'], '.1f')} kn on parallel courses.")
    if t == "port_call":
        dprk = " (DPRK port)" if r["is_dprk"] else ""
        return (f"{(r['subtype'] or 'call').capitalize()} at {r['port_name']}, "
                f"{r['port_country']}{dprk}, {_f(r['duration_h'], '.1f')} h.")
    if t == "zone_entry":
        return f"In {r['zone_name']} for {_f(r['duration_h'], '.1f')} h."
    if t == "identity_change":
        return f"{r['subtype']} changed from {r['old_value']!r} to {r['new_value']!r}."
    if t == "draught_change":
        return (f"Draught {_f(r['draught_before_m'], '.1f')} m to "
                f"{_f(r['draught_after_m'], '.1f')} m ({r['subtype']}).")
    if t == "spoofing":
        return (f"Implausible positions ({r['subtype']}): {_f(r['distance_km'], '.0f')} km "
                f"at {_f(r['implied_speed_knots'], '.0f')} kn.")
    shown = ", ".join(f"{k} {v}" for k, v in details.items() if not isinstance(v, (list, dict)))
    return f"{t} {r['subtype'] or ''}: {shown}".strip()


def _place(r: dict[str, Any]) -> str:
    if r["lat"] is None or r["lon"] is None:
        return r["port_name"] or r["zone_name"] or ""
    ns = "N" if r["lat"] >= 0 else "S"
    ew = "E" if r["lon"] >= 0 else "W"
    where = f"{abs(r['lat']):.4f}°{ns} {abs(r['lon']):.4f}°{ew}"
    name = r["port_name"] or r["zone_name"]
    return f"{where} ({name})" if name else where


def event_rows(src: SourceStore, mmsis: Sequence[int], prov: Provenance, *,
               quality: bool) -> list[EventRow]:
    """Events (or data-quality findings) of the MMSIs, either side of an encounter, in time
    order; each cited with its event id and its evidence."""
    table = QUALITY_FINDINGS if quality else EVENTS
    if not mmsis:
        return []
    marks = ", ".join("?" for _ in mmsis)
    df = read_table(src.con, table, "start_time, event_type, mmsi, event_id",
                    [*mmsis, *mmsis], where=f"mmsi IN ({marks}) OR other_mmsi IN ({marks})")
    out = []
    for r in df.iter_rows(named=True):
        text = explain_event(r, mmsis)
        label = r["event_type"] + (f" ({r['subtype']})" if r["subtype"] else "")
        ref = prov.cite(
            f"{label} of MMSI {r['mmsi']}"
            + (f" with MMSI {r['other_mmsi']}" if r["other_mmsi"] is not None else "")
            + f", {r['start_time']:%Y-%m-%d %H:%M} to {r['end_time']:%Y-%m-%d %H:%M} UTC, "
            f"at {_place(r) or 'no position'}: {text}",
            STORE_QUALITY if quality else STORE_EVENTS, f"event_id {r['event_id']}",
            tuple(r["evidence"] or ()),
        )
        out.append(EventRow(
            event_id=str(r["event_id"]), event_type=str(r["event_type"]), subtype=r["subtype"],
            start=cited(r["start_time"], ref), end=cited(r["end_time"], ref),
            duration_h=cited(r["duration_h"], ref, ".1f"), place=cited(_place(r) or None, ref),
            explanation=Cited(text, ref), ref=ref, lat=r["lat"], lon=r["lon"],
            end_lat=r["end_lat"], end_lon=r["end_lon"], mmsi=int(r["mmsi"]),
            other_mmsi=None if r["other_mmsi"] is None else int(r["other_mmsi"]),
            start_time=r["start_time"], end_time=r["end_time"],
        ))
    return out


def find_positions(src: SourceStore, mmsis: Sequence[int],
                   given: Path | None) -> tuple[Path | None, str | None, str]:
    """The ``positions.parquet`` to draw the track from, the run that wrote it, and a note
    saying which: ``given`` if any, else the newest run whose output folder holds positions
    of the MMSIs."""
    if given is not None:
        if not Path(given).is_file():
            raise FileNotFoundError(f"{given}: no positions file here")
        return Path(given), None, f"Track from {given} (given)."
    if not mmsis:
        return None, None, "No track: the vessel was never seen in AIS."
    for run in src.store.runs().iter_rows(named=True):
        out = json.loads(run["config"]).get("out") if run["config"] else None
        path = Path(out) / "positions.parquet" if out else None
        if path is None or not path.is_file():
            continue
        hit = pl.scan_parquet(path).filter(pl.col("mmsi").is_in(list(mmsis))).select(
            pl.len()).collect().item()
        if hit:
            return path, str(run["run_id"]), f"Track from {path}, written by run {run['run_id']}."
    return None, None, ("No track: no run recorded in the store has a positions.parquet with "
                        "this vessel's positions (give one with --positions).")


def load_tracks(path: Path, run_id: str | None, mmsis: Sequence[int], prov: Provenance, *,
                window: tuple[datetime, datetime] | None = None,
                margin_h: float = 2.0) -> list[Track]:
    """The positions of each MMSI in ``path`` (within ``window`` widened by ``margin_h``
    hours either side, default 2 h of approach and departure), one :class:`Track` per MMSI,
    cited with the first and last source rows."""
    lf = pl.scan_parquet(path).filter(pl.col("mmsi").is_in(list(mmsis)))
    if window is not None:
        pad = timedelta(hours=margin_h)
        lf = lf.filter(pl.col("timestamp").is_between(window[0] - pad, window[1] + pad))
    cols = ["mmsi", "timestamp", "lat", "lon", "source", "record"]
    names = lf.collect_schema().names()
    df = lf.select(*cols, *(["track_id"] if "track_id" in names else [])).sort(
        "mmsi", "timestamp", "source", "record").collect()
    out = []
    for (mmsi,), g in df.group_by("mmsi", maintain_order=True):
        first, last = g.row(0, named=True), g.row(-1, named=True)
        where = f"run {run_id}" if run_id else "given file"
        span = f"{first['timestamp']:%Y-%m-%d %H:%M} to {last['timestamp']:%Y-%m-%d %H:%M} UTC"
        ref = prov.cite(
            f"{g.height} positions of MMSI {mmsi}, {span}",
            str(path), f"{where}; rows with mmsi {mmsi}"
            + (f", {window[0]:%Y-%m-%d %H:%M} ± {margin_h:g} h" if window else ""),
            (f"{first['source']}:{first['record']}", f"{last['source']}:{last['record']}"),
        )
        tid = (g["track_id"].to_numpy() if "track_id" in g.columns
               else np.zeros(g.height, dtype=np.int64))
        out.append(Track(
            mmsi=int(mmsi), time=g["timestamp"].dt.replace_time_zone(None).to_numpy(),
            lat=g["lat"].to_numpy(), lon=g["lon"].to_numpy(), track_id=tid, ref=ref,
            summary=Cited(f"MMSI {mmsi}: {g.height} positions, {span}", ref),
        ))
    return out


def delivery_rows(src: SourceStore, mmsis: Sequence[int], prov: Provenance,
                  event_refs: dict[str, int]) -> list[DeliveryRow]:
    """Stored petroleum deliveries the MMSIs received or supplied, by arrival; each value
    cited with the delivery's row, each evidence event with its own (``event_refs``: the
    timeline's event id -> ref; other events are cited here)."""
    if not mmsis:
        return []
    marks = ", ".join("?" for _ in mmsis)
    df = read_table(src.con, PETROLEUM_DELIVERIES, "arrival_time, mmsi", [*mmsis, *mmsis],
                    where=f"mmsi IN ({marks}) OR supplier_mmsi IN ({marks})")
    if df.height == 0:
        return []
    ev = read_table(src.con, PETROLEUM_EVIDENCE, "start_time, role",
                    list(df["delivery_id"]),
                    where=f"delivery_id IN ({', '.join('?' for _ in range(df.height))})")
    out = []
    for r in df.iter_rows(named=True):
        received = int(r["mmsi"]) in mmsis
        other = r["supplier_mmsi"] if received else r["mmsi"]
        other_name = r["supplier_name"] if received else r["name"]
        ref = prov.cite(
            f"refined-petroleum delivery {r['delivery_id']} ({r['method']}): "
            f"{r['name'] or ''} (MMSI {r['mmsi']}) arrived at {r['port']} "
            f"{r['arrival_time']:%Y-%m-%d %H:%M} UTC by {r['mechanism']}; deadweight "
            f"{r['deadweight_t']:,.0f} t ({r['deadweight_source']}); "
            f"{r['barrels_third']:,.0f} / {r['barrels_half']:,.0f} / "
            f"{r['barrels_ninety']:,.0f} barrels at 1/3, 1/2, 90 % laden",
            STORE_PETROLEUM, f"delivery_id {r['delivery_id']}",
            tuple(str(x) for x in (r["evidence_event_ids"] or "").split(";") if x))
        items = []
        for e in ev.filter(pl.col("delivery_id") == r["delivery_id"]).iter_rows(named=True):
            eid = str(e["event_id"])
            eref = event_refs.get(eid) or prov.cite(
                f"{e['event_type']} of MMSI {e['mmsi']}, {e['start_time']:%Y-%m-%d %H:%M} to "
                f"{e['end_time']:%Y-%m-%d %H:%M} UTC", STORE_EVENTS, f"event_id {eid}")
            items.append(Cited(f"{e['role']}: {e['event_type']} "
                               f"{e['start_time']:%Y-%m-%d %H:%M} UTC", eref))
        draught = (f"{r['draught_barrels']:,.0f} bbl ({r['draught_change_m']:.1f} m)"
                   if r["draught_barrels"] is not None else None)
        out.append(DeliveryRow(
            delivery_id=str(r["delivery_id"]),
            role=Cited("received" if received else "supplied", ref),
            arrival=cited(r["arrival_time"], ref), port=cited(r["port"], ref),
            mechanism=cited(r["mechanism"], ref),
            counterpart=cited(f"{other_name or ''} (MMSI {other})" if other is not None
                              else None, ref),
            deadweight=cited(r["deadweight_t"], ref, ",.0f"),
            barrels=Cited(f"{r['barrels_third']:,.0f} / {r['barrels_half']:,.0f} / "
                          f"{r['barrels_ninety']:,.0f}", ref),
            draught=cited(draught, ref), evidence=tuple(items)))
    return out
