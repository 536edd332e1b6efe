"""Screen bill-of-lading / customs records against the DPRK trade rules
(``sanctionwatch shipments``).

One flag per finding, each with its rule, severity, explanation and citation:

- ``hs_<rule>``: the declared HS code is banned (or capped) in the shipment's DPRK direction;
- ``misdeclared_<rule>``: the description names goods of a banned category (lexicon,
  :data:`LEXICON`) while the declared code lies outside that category;
- ``listed_party``: shipper, consignee or notify party matches a listed entity;
- ``listed_vessel``: the carrying vessel (name and IMO) matches a listed vessel;
- ``vessel_ais_gap`` / ``vessel_dprk_port_call`` / ``vessel_encounter``: the vessel's AIS
  events in the store within the voyage window around the shipment date;
- ``transshipment_routing``: goods of a banned category loaded or discharged at a usual
  transshipment point (:data:`TRANSSHIPMENT_POINTS`).

Bad rows are rejected with their line and reason (never a failed run); the flags file is
written atomically.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sanctionwatch.trade.rules import RuleSet, load_rules, normalize_hs

if TYPE_CHECKING:
    from sanctionwatch.screening.screen import Screener

COLUMNS = (
    "shipment_id", "date", "shipper", "consignee", "notify_party", "hs_code", "description",
    "origin_country", "destination_country", "port_of_loading", "port_of_discharge",
    "vessel_name", "vessel_imo",
)
"""The input columns (any case, any order; extra columns are ignored)."""

FLAG_COLUMNS = ("shipment_id", "rule", "severity", "explanation", "citation")
"""The output columns: one row per flag."""

REJECT_COLUMNS = ("line", "shipment_id", "reason")

DPRK_COUNTRIES = frozenset({
    "kp", "prk", "dprk", "north korea", "korea, north", "korea north",
    "korea, democratic people's republic of", "democratic people's republic of korea",
    "korea dpr", "korea (dpr)", "korea, dem. people's rep.", "korea, dem. rep.",
    "dem. people's rep. of korea", "朝鲜", "북한", "조선",
})
"""Spellings of the DPRK as a country (compared case-insensitively)."""

DPRK_PORTS = frozenset({
    "nampo", "nam-po", "namp'o", "chinnampo", "chongjin", "ch'ongjin", "rajin", "najin",
    "rason", "sonbong", "songrim", "hungnam", "wonsan", "haeju", "kimchaek", "tanchon",
    "taean", "ryongampo", "sinuiju", "hamhung",
})
"""DPRK ports and port towns (romanisation variants): a port of loading here makes a
shipment ``from_dprk``, a port of discharge ``to_dprk``, whatever the declared countries."""

TRANSSHIPMENT_POINTS: dict[str, str] = {
    "nakhodka": "Nakhodka (RU): DPRK coal re-exported as Russian, UN PoE S/2018/171",
    "kholmsk": "Kholmsk (RU): DPRK coal re-exported as Russian, UN PoE S/2018/171",
    "vanino": "Vanino (RU): DPRK coal transshipment, UN PoE S/2018/171",
    "vladivostok": "Vladivostok (RU): DPRK trade hub, UN PoE S/2019/171",
    "vostochny": "Vostochny (RU): DPRK coal transshipment, UN PoE S/2018/171",
    "dalian": "Dalian (CN): DPRK trade hub and front-company base, UN PoE S/2019/171",
    "dandong": "Dandong (CN): main DPRK border crossing, UN PoE S/2017/150",
    "longkou": "Longkou (CN): DPRK coal delivered by ship, UN PoE S/2018/171",
    "lianyungang": "Lianyungang (CN): DPRK coal delivered by ship, UN PoE S/2018/171",
    "yantai": "Yantai (CN): DPRK coal delivered by ship, UN PoE S/2018/171",
}
"""Ports the UN Panel of Experts reports name as usual transshipment points for DPRK goods
(a watch-list, not a rule: a match only raises a low-severity flag, and only for goods of
:data:`ROUTING_CATEGORIES`). Matched as a word in the port cell, case-insensitively. DPRK
ports (Nampo, ...) are not here: they make the shipment ``to_dprk`` / ``from_dprk``."""

ROUTING_CATEGORIES = (
    "coal", "iron", "seafood", "textiles", "lead", "base_metals_2321", "gold_ores",
    "refined_petroleum_supply", "crude_oil_supply",
)
"""Rule ids of the commodities the Panel reports found routed through those points (coal,
iron, seafood and textiles out; petroleum in). The broad 2397 chapters (machinery,
electrical equipment, vehicles) are left out: they are most of the ordinary trade of
Dalian or Vladivostok."""

LEXICON: dict[str, tuple[str, ...]] = {
    "coal": ("coal", "anthracite", "coking coal", "steam coal", "thermal coal", "煤炭",
             "无烟煤", "焦煤", "原煤", "석탄", "무연탄", "уголь", "антрацит"),
    "iron": ("iron ore", "iron concentrate", "pig iron", "铁矿", "铁精粉", "철광석",
             "железная руда"),
    "seafood": ("seafood", "fish", "crab", "crabs", "squid", "clam", "clams", "shrimp",
                "octopus", "sea cucumber", "海鲜", "水产", "鱿鱼", "수산물", "오징어",
                "морепродукты"),
    "textiles": ("textile", "textiles", "garment", "garments", "apparel", "fabric",
                 "fabrics", "服装", "纺织", "의류", "섬유", "одежда"),
    "lead": ("lead ore", "lead concentrate", "lead ingot", "lead ingots", "铅矿", "연광석"),
    "base_metals_2321": ("copper ore", "copper concentrate", "zinc ore", "zinc concentrate",
                         "nickel ore", "silver ore", "铜矿", "锌矿"),
    "gold_ores": ("gold", "rare earth", "rare earths", "titanium ore", "vanadium ore",
                  "黄金", "稀土", "금괴"),
    "statues": ("statue", "statues", "bronze sculpture", "monument", "雕像", "동상"),
    "refined_petroleum_supply": ("diesel", "gasoil", "gas oil", "gasoline", "petrol",
                                 "fuel oil", "kerosene", "柴油", "汽油", "燃料油", "경유",
                                 "휘발유", "дизельное топливо", "бензин"),
    "crude_oil_supply": ("crude oil", "原油", "원유", "сырая нефть"),
    "luxury_2094_vehicles": ("mercedes-benz", "maybach", "rolls-royce", "lexus",
                             "limousine", "yacht", "豪华轿车"),
}
"""Words that name goods of a banned category, by rule id (English, Chinese, Korean,
Russian). Latin and Cyrillic words match on word boundaries, case-insensitively; CJK words
as substrings. A description matching a category whose HS codes do not cover the declared
code raises ``misdeclared_<rule>``."""

VOYAGE_BEFORE_DAYS = 30.0
"""Days before the shipment date in which the vessel's AIS events count: a regional
voyage (East Asia, under two weeks) plus the preceding port stay and its approach."""
VOYAGE_AFTER_DAYS = 30.0
"""Days after the shipment date (the bill's date is the loading date): the voyage out."""

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Flag:
    """One finding on one shipment."""

    shipment_id: str
    rule: str
    severity: str
    explanation: str
    citation: str

    def row(self) -> list[str]:
        """The output row (``FLAG_COLUMNS`` order)."""
        return [self.shipment_id, self.rule, self.severity, self.explanation, self.citation]


@dataclass
class ShipmentResult:
    """What a screen found: the flags, the rejected rows and counts."""

    flags: list[Flag] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    rows_read: int = 0
    sources: list[tuple[int, str, str, date | None]] = field(default_factory=list)
    """Per flag (same order as ``flags``): the shipment's line, vessel name, vessel IMO as
    declared and date, for the store (:func:`sanctionwatch.store.trade.store_shipment_flags`)."""
    seconds: float = 0.0

    @property
    def by_rule(self) -> Counter[str]:
        """Flags per rule."""
        return Counter(f.rule for f in self.flags)


def _say(direction: str) -> str:
    return "to the DPRK" if direction == "to_dprk" else "from the DPRK"


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _is_dprk_country(text: str) -> bool:
    return _norm(text) in DPRK_COUNTRIES


def _port_words(port: str) -> list[str]:
    return re.findall(r"[\w'-]+", port.lower())


def _is_dprk_port(port: str) -> bool:
    return any(w in DPRK_PORTS for w in _port_words(port))


def _compile(words: Iterable[str]) -> re.Pattern[str]:
    parts = []
    for w in words:
        esc = re.escape(w)
        parts.append(esc if re.search(r"[\u3000-\u9fff\uac00-\ud7af]", w) else rf"\b{esc}\b")
    return re.compile("|".join(parts), re.IGNORECASE)


_LEXICON_RE = {rid: _compile(words) for rid, words in LEXICON.items()}


def directions(row: dict[str, str]) -> list[tuple[str, str]]:
    """The DPRK directions of a shipment with the reason for each (country or port)."""
    out = []
    if _is_dprk_country(row["origin_country"]):
        out.append(("from_dprk", f"origin {row['origin_country']!r}"))
    elif _is_dprk_port(row["port_of_loading"]):
        out.append(("from_dprk", f"loaded at DPRK port {row['port_of_loading']!r}"))
    if _is_dprk_country(row["destination_country"]):
        out.append(("to_dprk", f"destination {row['destination_country']!r}"))
    elif _is_dprk_port(row["port_of_discharge"]):
        out.append(("to_dprk", f"discharged at DPRK port {row['port_of_discharge']!r}"))
    return out


class ShipmentScreen:
    """Screens shipment rows with a rule set, an optional sanctions screener and an optional
    event store (for the vessel's AIS behaviour)."""

    def __init__(self, rules: RuleSet, screener: Screener | None = None,
                 store: Path | None = None,
                 voyage_before_days: float = VOYAGE_BEFORE_DAYS,
                 voyage_after_days: float = VOYAGE_AFTER_DAYS) -> None:
        self.rules = rules
        self.screener = screener
        self.store = store
        self.voyage_before_days = voyage_before_days
        self.voyage_after_days = voyage_after_days
        self._events: Any = None
        self._identities: Any = None

    # -- goods -------------------------------------------------------------------------
    def goods_flags(self, sid: str, row: dict[str, str], hs: str,
                    when: date | None = None) -> list[Flag]:
        """Banned or capped HS codes by direction, and descriptions naming other goods, as
        the measures stood on the shipment's date ``when`` (in force when unknown): nothing
        before a measure, ``medium`` while earlier resolutions still allowed exemptions."""
        flags = []
        dirs = directions(row)
        for direction, why in dirs:
            for rule, prefix in self.rules.matching(hs, direction):
                status = rule.status_on(when)
                if status == "not_yet":
                    continue
                word = {"capped": "capped", "banned": "banned"}.get(status, "restricted")
                extra = (f"; lawful only within the cap ({rule.cap_text}) and when notified "
                         "to the 1718 Committee") if rule.measure_type == "cap" else ""
                if status == "restricted" and rule.banned_from is not None:
                    extra += (f"; on {when} exemptions still applied (the outright ban dates "
                              f"from {rule.banned_from})")
                flags.append(Flag(
                    sid, f"hs_{rule.rule_id}", "medium" if status == "restricted" else "high",
                    f"HS {hs} falls under {prefix} ({rule.goods}), {word} "
                    f"{_say(direction)} ({why}){extra}",
                    rule.citation))
        desc = row["description"]
        dir_names = {d for d, _ in dirs}
        for rid, pattern in _LEXICON_RE.items():
            m = pattern.search(desc)
            if m is None:
                continue
            try:
                rule = self.rules.by_id(rid)
            except KeyError:
                continue
            if rule.covers(hs) is not None:
                continue
            nexus = rule.direction in dir_names
            flags.append(Flag(
                sid, f"misdeclared_{rid}", "high" if nexus else "medium",
                f"description {desc!r} names {m.group(0)!r} ({rule.goods}, HS "
                f"{'/'.join(rule.hs_prefixes)}) but the declared code is HS {hs}"
                + (f"; the shipment is {_say(rule.direction)}" if nexus else
                   "; no declared DPRK link, but a misdeclared banned good hides its origin"),
                rule.citation))
        return flags

    def routing_flags(self, sid: str, row: dict[str, str], hs: str) -> list[Flag]:
        """Goods of a banned category through a usual transshipment point."""
        known = {r.rule_id: r for r in self.rules.rules}
        banned = [known[c] for c in ROUTING_CATEGORIES if c in known and (
            known[c].covers(hs) is not None
            or (c in _LEXICON_RE and _LEXICON_RE[c].search(row["description"])))]
        if not banned:
            return []
        out = []
        for col in ("port_of_loading", "port_of_discharge"):
            for w in _port_words(row[col]):
                if w in TRANSSHIPMENT_POINTS:
                    goods = sorted({r.rule_id for r in banned})
                    out.append(Flag(
                        sid, "transshipment_routing", "low",
                        f"{col.replace('_', ' ')} {row[col]!r} is a usual transshipment "
                        f"point for DPRK goods and the goods fall in banned categor"
                        f"{'y' if len(goods) == 1 else 'ies'} {', '.join(goods)}",
                        TRANSSHIPMENT_POINTS[w]))
                    break
        return out

    # -- parties and vessel ------------------------------------------------------------
    def party_flags(self, sid: str, row: dict[str, str]) -> list[Flag]:
        """Shipper, consignee and notify party screened against the lists."""
        if self.screener is None:
            return []
        out = []
        for col in ("shipper", "consignee", "notify_party"):
            name = row[col].strip()
            if not name:
                continue
            matches = self.screener.screen(name, limit=1)
            if not matches or not matches[0].is_match:
                continue
            m = matches[0]
            out.append(Flag(
                sid, "listed_party", "high",
                f"{col.replace('_', ' ')} {name!r} matches {m.name!r} ({m.schema}, "
                f"{m.entity_id}, score {m.score:.2f}): {m.explanation.explain()}",
                f"listed on {', '.join(m.datasets)}; asset freeze UNSCR 1718 (2006) para 8(d)"))
        return out

    def vessel_flags(self, sid: str, row: dict[str, str], when: date | None) -> list[Flag]:
        """The vessel against the lists (name and IMO) and its AIS events in the window."""
        out = []
        name, imo = row["vessel_name"].strip(), row["vessel_imo"].strip()
        if self.screener is not None and (name or imo):
            matches = self.screener.screen(name or imo, schema="Vessel", imo=imo or None,
                                           limit=1)
            if matches and matches[0].is_match:
                m = matches[0]
                out.append(Flag(
                    sid, "listed_vessel", "high",
                    f"vessel {name!r} (IMO {imo or '?'}) matches {m.name!r} ({m.entity_id}, "
                    f"score {m.score:.2f}): {m.explanation.explain()}",
                    f"listed on {', '.join(m.datasets)}"))
        if self.store is not None and imo.isdigit() and when is not None:
            out.extend(self._ais_flags(sid, int(imo), when))
        return out

    def _load_store(self) -> None:
        from sanctionwatch.store import DuckDBStore, EventFilter

        with DuckDBStore(self.store, read_only=True) as st:  # type: ignore[arg-type]
            self._identities = st.vessel_identities()
            self._events = st.events(EventFilter(
                event_types=("ais_gap", "port_call", "encounter")))

    def _ais_flags(self, sid: str, imo: int, when: date) -> list[Flag]:
        import polars as pl

        if self._events is None:
            self._load_store()
        ids = self._identities
        mmsis = sorted(set(ids.filter(pl.col("imo") == imo)["mmsi"].to_list())) \
            if ids is not None and ids.height else []
        if not mmsis:
            return []
        start = datetime.combine(when, dtime(0), UTC) - timedelta(days=self.voyage_before_days)
        end = datetime.combine(when, dtime(0), UTC) + timedelta(days=self.voyage_after_days)
        ev = self._events.filter(
            (pl.col("mmsi").is_in(mmsis) | pl.col("other_mmsi").is_in(mmsis))
            & (pl.col("end_time") >= start) & (pl.col("start_time") <= end))
        window = (f"{self.voyage_before_days:g} days before to {self.voyage_after_days:g} "
                  f"days after {when.isoformat()}")
        out = []
        kinds = (
            ("ais_gap", pl.col("event_type") == "ais_gap", "vessel_ais_gap", "medium",
             "AIS dark period(s)"),
            ("port_call", (pl.col("event_type") == "port_call") & pl.col("is_dprk").fill_null(
                False), "vessel_dprk_port_call", "high", "DPRK port call(s)"),
            ("encounter", pl.col("event_type") == "encounter", "vessel_encounter", "medium",
             "encounter(s) at sea (possible ship-to-ship transfer)"),
        )
        for _, cond, rule, sev, what in kinds:
            hits = ev.filter(cond).sort("start_time")
            if not hits.height:
                continue
            ids_txt = ", ".join(
                f"{r['event_id']} ({r['start_time']:%Y-%m-%d %H:%M}, "
                f"{(r['duration_h'] or 0):.1f} h)" for r in hits.head(5).iter_rows(named=True))
            more = f" and {hits.height - 5} more" if hits.height > 5 else ""
            out.append(Flag(
                sid, rule, sev,
                f"vessel IMO {imo} (MMSI {', '.join(map(str, mmsis))}): {hits.height} {what} "
                f"within {window}: {ids_txt}{more}",
                "event ids in the store; STS transfers to or from DPRK vessels: UNSCR 2375 "
                "(2017) para 11"))
        return out

    # -- rows --------------------------------------------------------------------------
    def screen_row(self, row: dict[str, str], when: date | None) -> list[Flag]:
        """Every flag of one (valid) shipment row."""
        sid = row["shipment_id"].strip()
        hs = normalize_hs(row["hs_code"])
        return (self.goods_flags(sid, row, hs, when) + self.routing_flags(sid, row, hs)
                + self.party_flags(sid, row) + self.vessel_flags(sid, row, when))


def _check_row(row: dict[str, str]) -> tuple[str | None, date | None]:
    """The reason a row is rejected (None when it is fine) and its date."""
    if not row["shipment_id"].strip():
        return "empty shipment_id", None
    hs = normalize_hs(row["hs_code"])
    if not re.fullmatch(r"\d{2}(\d{2}){0,4}", hs):
        return f"hs_code {row['hs_code']!r} is not 2 to 10 digits", None
    d = row["date"].strip()
    if not d:
        return None, None
    try:
        return None, date.fromisoformat(d[:10])
    except ValueError:
        return f"date {d!r} is not YYYY-MM-DD", None


def read_shipments(path: Path) -> Iterator[tuple[int, dict[str, str] | None, str]]:
    """Rows of a shipments CSV as (line, row or None, reject reason); the header is checked
    first (``ValueError`` naming the missing columns)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"{path}: empty file") from None
    cols = {h.strip().lower(): i for i, h in enumerate(header)}
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    end = reader.line_num
    for rec in reader:
        line, end = end + 1, reader.line_num  # a quoted cell may span lines: the first one
        if not any(c.strip() for c in rec):
            continue
        if len(rec) != len(header):
            yield line, None, f"{len(rec)} fields, header has {len(header)}"
            continue
        yield line, {c: rec[cols[c]] for c in COLUMNS}, ""


def screen_file(input_path: Path, out: Path, rules: RuleSet | None = None,
                screener: Screener | None = None, store: Path | None = None,
                rejects_path: Path | None = None) -> ShipmentResult:
    """Screen ``input_path`` and write the flags to ``out`` (atomically) and the rejected rows
    to ``rejects_path`` (default ``OUT.rejects.csv``, written only when there are any)."""
    from sanctionwatch.atomic import atomic_path
    from sanctionwatch.export.inert import write_csv

    t0 = time.perf_counter()
    screen = ShipmentScreen(rules or load_rules(), screener, store)
    res = ShipmentResult()
    for line, row, reason in read_shipments(input_path):
        res.rows_read += 1
        if row is None:
            res.rejects.append((line, "", reason))
            continue
        why, when = _check_row(row)
        if why is not None:
            res.rejects.append((line, row["shipment_id"], why))
            continue
        found = screen.screen_row(row, when)
        res.flags.extend(found)
        res.sources.extend([(line, row["vessel_name"].strip(), row["vessel_imo"].strip(),
                             when)] * len(found))
    with atomic_path(out) as tmp:
        write_csv(tmp, FLAG_COLUMNS, (f.row() for f in res.flags))
    rpath = rejects_path or out.with_suffix(".rejects.csv")
    if res.rejects:
        with atomic_path(rpath) as tmp:
            write_csv(tmp, REJECT_COLUMNS, ([str(ln), sid, r] for ln, sid, r in res.rejects))
    res.seconds = time.perf_counter() - t0
    return res
