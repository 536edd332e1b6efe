"""Mirror statistics of trade with the DPRK (``sanctionwatch mirror``).

The DPRK publishes no trade figures, so what its partners report is the only record; the UN
Panel of Experts reads it as mirror statistics. :func:`find` compares partner-reported flows
(reporter, partner, import/export, HS code, year, value, quantity) and returns one
:class:`Finding` per discrepancy, each explained with its figures:

- ``mirror_asymmetry``: A's imports from B and B's exports to A of the same HS code and year
  disagree by more than :attr:`MirrorParams.asymmetry_min_gap_share` once the exporter's FOB
  figure is raised by the CIF/FOB margin (or one side reports nothing while it reports other
  trade that year);
- ``banned_trade``: a partner reports trade with the DPRK in a code a UN ban covers, in a year
  when the ban was in force (the rule's ``banned_from``: the rules table);
- ``petroleum_cap``: refined petroleum (or crude) reported exported to the DPRK in a year,
  converted from tonnes to barrels, above the annual cap;
- ``unit_value``: a row's value per unit of quantity lies far from the median of the same HS
  code, year and unit across the input (robust z-score on the log unit value);
- ``ban_year_jump``: a partner's trade with the DPRK in a banned code at least doubled (by
  default) in the year before the ban or in the ban year itself.

Rows that cannot be read are rejected with their line and reason (never a failed run).
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from sanctionwatch.trade.rules import Rule, RuleSet, load_rules, normalize_hs
from sanctionwatch.trade.shipments import DPRK_COUNTRIES

COLUMNS = ("reporter", "partner", "flow", "hs_code", "year", "value_usd", "quantity")
"""Required input columns (any case, any order); ``quantity_unit`` is optional (default
``kg``) and extra columns are ignored."""

COMTRADE_COLUMNS: dict[str, tuple[str, ...]] = {
    "reporter": ("reporteriso", "reportercode", "reporterdesc"),
    "partner": ("partneriso", "partnercode", "partnerdesc"),
    "flow": ("flowcode", "flowdesc"),
    "hs_code": ("cmdcode",),
    "year": ("refyear", "period"),
    "value_usd": ("primaryvalue",),
    "quantity": ("netwgt",),
}
"""UN Comtrade (API v1 / ``comtradeapicall``) names accepted for each column when the
column itself is absent, first present wins: ``reporterISO`` (else the M49 ``reporterCode``)
→ ``reporter``, ``partnerISO`` → ``partner``, ``flowCode`` (``M``/``X``) → ``flow``,
``cmdCode`` → ``hs_code``, ``refYear`` (else ``period``) → ``year``, ``primaryValue`` →
``value_usd``, ``netWgt`` (kilograms) → ``quantity``."""

FLOWS = {"import": "import", "imports": "import", "m": "import",
         "export": "export", "exports": "export", "x": "export"}
"""Accepted ``flow`` values (case-insensitive). Comtrade's re-imports and re-exports (``RM``,
``RX``) are rejected: their partner is not the country of origin or destination."""

DPRK_M49 = "408"
"""The DPRK's UN M49 code (``PRK`` in ISO 3166-1 alpha-3)."""

KG_PER_UNIT = {"kg": 1.0, "kgs": 1.0, "kilogram": 1.0, "kilograms": 1.0,
               "t": 1000.0, "tonne": 1000.0, "tonnes": 1000.0, "mt": 1000.0, "ton": 1000.0}
"""Mass units read as kilograms (``ton`` and ``mt`` as metric tonnes, as Comtrade uses them).
Other units (``u`` items, ``l`` litres, ...) are kept as they are."""

CAP_FROM_YEAR = 2018
"""The refined-petroleum cap of 500,000 bbl and the crude cap of 4 million bbl run per
calendar year from 1 January 2018 (UNSCR 2397 (2017) paras 4-5)."""

BARRELS_PER_TONNE: dict[str, float] = {
    "refined_petroleum_supply": 7.46,
    "crude_oil_supply": 7.33,
}
"""Barrels per metric tonne, by cap rule: gas oil/diesel 7.46 (most of the refined products
notified for the DPRK are diesel) and average crude 7.33, the BP Statistical Review of World
Energy "approximate conversion factors"."""

FINDING_COLUMNS = (
    "finding_id", "kind", "reporter", "partner", "flow", "hs_code", "year", "value_usd",
    "mirror_value_usd", "quantity", "quantity_unit", "unit_value_usd", "median_unit_value_usd",
    "ratio", "rule", "citation", "severity", "explanation", "lines",
)
"""Output columns: one row per finding. ``unit_value_usd`` is USD per ``quantity_unit``;
``ratio`` is the kind's ratio (reporter's value over the CIF-adjusted mirror value; unit value
over the median; barrels over the cap; value over the previous year's); ``lines`` the input
lines behind it."""

REJECT_COLUMNS = ("line", "reason")
KINDS = ("mirror_asymmetry", "banned_trade", "petroleum_cap", "unit_value", "ban_year_jump")


@dataclass(frozen=True)
class MirrorParams:
    """Thresholds of the mirror comparison (units in the names)."""

    cif_fob_margin_share: float = 0.10
    """Imports are valued CIF, exports FOB: the exporter's figure is raised by this share
    before comparing. The conventional 10 % c.i.f./f.o.b. factor of the IMF Direction of Trade
    Statistics (DOTS Guide, 1993); OECD estimates of actual margins are mostly 3-10 %."""
    asymmetry_min_gap_share: float = 0.5
    """A pair is a finding when ``|M - X'| / max(M, X')`` reaches this (X' the CIF-adjusted
    export figure): one side reports less than half what the other does. Chosen by us: far
    beyond the CIF/FOB margin and the timing, valuation and partner-attribution noise of
    ordinary product-level mirror data (which the Panel and the mirror-trade evasion
    literature, e.g. Fisman and Wei 2004, read at the level of large gaps)."""
    asymmetry_min_value_usd: float = 10_000.0
    """Pairs whose larger figure is below this are not compared. Chosen by us: below it a
    single consignment shipped across the year end swings the ratio."""
    unit_value_max_z: float = 3.5
    """A unit value is implausible when its modified z-score ``0.6745 (x - median) / MAD`` of
    the log unit value exceeds this in absolute value: Iglewicz and Hoaglin (1993), "How to
    Detect and Handle Outliers"."""
    unit_value_min_rows: int = 5
    """Unit values are compared only within groups (HS code, year, unit) of at least this many
    rows. Chosen by us: a median and MAD of fewer values move with every row."""
    unit_value_min_mad_log: float = 0.05
    """Floor of the MAD of the log unit values (about 5 %), so that a group of near-identical
    prices does not make every small difference an outlier. Chosen by us."""

    jump_min_ratio: float = 2.0
    """A year's value in a banned code at least this many times the previous year's, in the
    year before the ban or the ban year, is a ``ban_year_jump``. Chosen by us: a doubling is
    well beyond the year-to-year swings of a steady flow, and the front-loading the Panel
    describes before a ban takes effect."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.jump_min_ratio) and self.jump_min_ratio > 1.0):
            raise ValueError(f"jump_min_ratio must be above 1, got {self.jump_min_ratio!r}")
        for name in ("cif_fob_margin_share", "asymmetry_min_gap_share"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {v!r}")
        for name in ("asymmetry_min_value_usd", "unit_value_max_z", "unit_value_min_mad_log"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        if self.unit_value_min_rows < 3:
            raise ValueError("unit_value_min_rows must be at least 3")


@dataclass(frozen=True)
class Flow:
    """One valid input row."""

    line: int
    reporter: str
    partner: str
    flow: str
    hs_code: str
    year: int
    value_usd: float
    quantity: float | None
    quantity_unit: str

    @property
    def direction(self) -> str | None:
        """``from_dprk`` / ``to_dprk`` when one side is the DPRK, else None."""
        if is_dprk(self.partner):
            return "from_dprk" if self.flow == "import" else "to_dprk"
        if is_dprk(self.reporter):
            return "to_dprk" if self.flow == "import" else "from_dprk"
        return None

    @property
    def unit_value(self) -> float | None:
        """USD per unit of quantity (None without a positive quantity)."""
        if not self.quantity or self.quantity <= 0 or self.value_usd <= 0:
            return None
        return self.value_usd / self.quantity


@dataclass(frozen=True)
class Finding:
    """One discrepancy, with its figures and explanation."""

    finding_id: str
    kind: str
    reporter: str
    partner: str
    flow: str
    hs_code: str
    year: int
    severity: str
    explanation: str
    value_usd: float | None = None
    mirror_value_usd: float | None = None
    quantity: float | None = None
    quantity_unit: str = ""
    unit_value_usd: float | None = None
    median_unit_value_usd: float | None = None
    ratio: float | None = None
    rule: str = ""
    citation: str = ""
    lines: tuple[int, ...] = ()

    def row(self) -> list[str]:
        """The output row (:data:`FINDING_COLUMNS` order)."""
        def num(v: float | None, spec: str = ".6g") -> str:
            return "" if v is None else format(v, spec)
        return [self.finding_id, self.kind, self.reporter, self.partner, self.flow,
                self.hs_code, str(self.year), num(self.value_usd, ".2f"),
                num(self.mirror_value_usd, ".2f"), num(self.quantity), self.quantity_unit,
                num(self.unit_value_usd), num(self.median_unit_value_usd), num(self.ratio, ".4g"),
                self.rule, self.citation, self.severity, self.explanation,
                ";".join(map(str, self.lines))]


@dataclass
class MirrorResult:
    """What a comparison found: the findings, the rejected rows and the rows read."""

    findings: list[Finding] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)
    rows_read: int = 0


def is_dprk(country: str) -> bool:
    """Whether a reporter/partner cell names the DPRK (``PRK``, ``KP``, M49 ``408``, names)."""
    c = " ".join(country.strip().lower().split())
    return c in DPRK_COUNTRIES or c == DPRK_M49


def _country(cell: str) -> str:
    c = cell.strip()
    return "PRK" if is_dprk(c) else c.upper()


def _usd(v: float) -> str:
    return f"USD {v:,.0f}"


# -- reading ----------------------------------------------------------------------------------


def _header_map(header: list[str], path: Path) -> dict[str, int]:
    cols = {h.strip().lower(): i for i, h in enumerate(header)}
    out: dict[str, int] = {}
    missing = []
    for c in COLUMNS:
        if c in cols:
            out[c] = cols[c]
            continue
        alias = next((a for a in COMTRADE_COLUMNS[c] if a in cols), None)
        if alias is None:
            missing.append(c)
        else:
            out[c] = cols[alias]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (Comtrade names "
                         "reporterISO, partnerISO, flowCode, cmdCode, refYear, primaryValue, "
                         "netWgt are accepted too)")
    if "quantity" in cols and "quantity_unit" in cols:
        out["quantity_unit"] = cols["quantity_unit"]  # netWgt (the alias) is kilograms
    return out


def _number(text: str, what: str, *, optional: bool = False) -> float | None:
    t = text.strip().replace(",", "")
    if not t:
        if optional:
            return None
        raise ValueError(f"empty {what}")
    try:
        v = float(t)
    except ValueError:
        raise ValueError(f"{what} {text.strip()!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{what} {text.strip()!r} is not a non-negative number")
    return v


def _flow(line: int, cells: dict[str, str]) -> Flow:
    reporter, partner = _country(cells["reporter"]), _country(cells["partner"])
    if not reporter or not partner:
        raise ValueError("empty reporter or partner")
    if reporter == partner:
        raise ValueError(f"reporter and partner are both {reporter}")
    flow = FLOWS.get(cells["flow"].strip().lower())
    if flow is None:
        raise ValueError(f"flow {cells['flow'].strip()!r} is not import/export (or M/X)")
    hs = normalize_hs(cells["hs_code"])
    if not re.fullmatch(r"\d{2}(\d{2}){0,4}", hs):
        raise ValueError(f"hs_code {cells['hs_code'].strip()!r} is not 2 to 10 digits")
    y = cells["year"].strip()
    if not re.fullmatch(r"\d{4}", y) or not 1900 <= int(y) <= 2100:
        raise ValueError(f"year {y!r} is not a four-digit year")
    value = _number(cells["value_usd"], "value_usd")
    qty = _number(cells["quantity"], "quantity", optional=True)
    unit = (cells.get("quantity_unit") or "").strip().lower() or "kg"
    if qty is not None and unit in KG_PER_UNIT:
        qty, unit = qty * KG_PER_UNIT[unit], "kg"
    assert value is not None
    return Flow(line, reporter, partner, flow, hs, int(y), value, qty, unit)


def read_flows(path: Path) -> Iterator[tuple[int, Flow | None, str]]:
    """Rows of a flows CSV as (line, flow or None, reject reason). ``ValueError`` naming the
    file when it cannot be read or lacks a column."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"{path}: empty file") from None
    cols = _header_map(header, Path(path))
    end = reader.line_num
    for rec in reader:
        line, end = end + 1, reader.line_num
        if not any(c.strip() for c in rec):
            continue
        if len(rec) != len(header):
            yield line, None, f"{len(rec)} fields, header has {len(header)}"
            continue
        try:
            yield line, _flow(line, {c: rec[i] for c, i in cols.items()}), ""
        except ValueError as exc:
            yield line, None, str(exc)


def load_flows(path: Path) -> tuple[list[Flow], list[tuple[int, str]]]:
    """The valid flows of ``path`` and the rejected rows (line, reason); a row repeating the
    reporter, partner, flow, HS code, year and unit of an earlier one is rejected."""
    flows: list[Flow] = []
    rejects: list[tuple[int, str]] = []
    seen: dict[tuple[str, str, str, str, int], int] = {}
    for line, f, reason in read_flows(path):
        if f is None:
            rejects.append((line, reason))
            continue
        key = (f.reporter, f.partner, f.flow, f.hs_code, f.year)
        if key in seen:
            rejects.append((line, f"repeats line {seen[key]} (same reporter, partner, flow, "
                                  "HS code and year)"))
            continue
        seen[key] = line
        flows.append(f)
    return flows, rejects


# -- findings ---------------------------------------------------------------------------------


def _ban_rules(rules: RuleSet, hs: str) -> list[Rule]:
    return [r for r in rules.rules if r.measure_type == "ban" and r.covers(hs) is not None]


def asymmetry_findings(flows: list[Flow], rules: RuleSet, params: MirrorParams) -> list[Finding]:
    """Both sides of the same flow compared: A's imports from B (CIF) against B's exports to
    A (FOB, raised by the CIF/FOB margin); a side missing counts as zero when that country
    reports other trade in the input that year."""
    by_key = {(f.reporter, f.partner, f.flow, f.hs_code, f.year): f for f in flows}
    reporting = {(f.reporter, f.year) for f in flows}
    margin = 1.0 + params.cif_fob_margin_share
    out: list[Finding] = []
    done: set[tuple[str, str, str, int]] = set()
    for f in flows:
        importer, exporter = (f.reporter, f.partner) if f.flow == "import" else (
            f.partner, f.reporter)
        pair = (importer, exporter, f.hs_code, f.year)
        if pair in done:
            continue
        done.add(pair)
        m = by_key.get((importer, exporter, "import", f.hs_code, f.year))
        x = by_key.get((exporter, importer, "export", f.hs_code, f.year))
        if (m is None and (importer, f.year) not in reporting) or (
                x is None and (exporter, f.year) not in reporting):
            continue  # a country absent from the input that year says nothing
        mv = m.value_usd if m else 0.0
        xv = x.value_usd * margin if x else 0.0
        big = max(mv, xv)
        if big < params.asymmetry_min_value_usd:
            continue
        gap = abs(mv - xv) / big
        if gap < params.asymmetry_min_gap_share:
            continue
        banned = _ban_rules(rules, f.hs_code)
        ratio = mv / xv if xv > 0 else None
        side = (f"{importer} reports imports from {exporter} of {_usd(mv)} (CIF)" if m
                else f"{importer} reports no imports from {exporter}")
        other = (f"{exporter} reports exports to {importer} of {_usd(x.value_usd)} (FOB; "
                 f"{_usd(xv)} with the {params.cif_fob_margin_share:.0%} CIF/FOB margin)" if x
                 else f"{exporter} reports no exports to {importer}")
        why = ("the importer reports more: goods of another origin declared as the exporter's "
               "(transshipment, relabelled origin) or exports the exporter does not record"
               if mv > xv else
               "the exporter reports more: goods re-routed to another declared destination "
               "or imports the importer does not record")
        banned_txt = (f"; HS {f.hs_code} falls under {', '.join(r.rule_id for r in banned)} "
                      "(a DPRK ban), the goods the Panel found relabelled" if banned else "")
        out.append(Finding(
            "", "mirror_asymmetry", importer, exporter, "import", f.hs_code, f.year,
            "high" if banned else "medium",
            f"HS {f.hs_code}, {f.year}: {side}; {other}; gap {gap:.0%} of the larger figure "
            f"(threshold {params.asymmetry_min_gap_share:.0%}): {why}{banned_txt}.",
            value_usd=mv, mirror_value_usd=xv, ratio=ratio,
            rule=";".join(r.rule_id for r in banned),
            citation="; ".join(r.citation for r in banned),
            lines=tuple(sorted(g.line for g in (m, x) if g is not None))))
    return out


def _year_share_in_force(start: date, year: int) -> float:
    first, last = date(year, 1, 1), date(year, 12, 31)
    if start <= first:
        return 1.0
    if start > last:
        return 0.0
    return ((last - start).days + 1) / ((last - first).days + 1)


def banned_findings(flows: list[Flow], rules: RuleSet) -> list[Finding]:
    """Partner-reported trade with the DPRK in a banned code in a year the ban was in force.
    Severity ``high`` when the ban covered the whole year, ``medium`` when at least half of
    it, else ``low``; ``low`` too when a cap rule of the same direction covers the code (the
    subheading also holds lawful capped goods, e.g. diesel beside jet fuel in 2710.19)."""
    out = []
    for f in flows:
        d = f.direction
        if d is None or f.value_usd <= 0:
            continue
        hits = []
        for rule, prefix in rules.matching(f.hs_code, d):
            if rule.measure_type != "ban" or rule.banned_from is None:
                continue
            start, cite = rule.banned_from, rule.ban_citation
            share = _year_share_in_force(start, f.year)
            if share > 0:
                hits.append((rule, prefix, start, cite, share))
        if not hits:
            continue
        capped = [r for r, _ in rules.matching(f.hs_code, d) if r.measure_type == "cap"]
        share = max(h[4] for h in hits)
        sev = "high" if share >= 1.0 else "medium" if share >= 0.5 else "low"
        notes = []
        if share < 1.0:
            notes.append(f"the ban was in force for {share:.0%} of {f.year}: part of the "
                         "figure may be trade before it")
        if capped:
            sev = "low"
            notes.append(f"HS {f.hs_code} also holds goods lawful within the "
                         f"{capped[0].rule_id} cap")
        what = "; ".join(f"{r.goods} (HS {p}, banned since {s.isoformat()}, {c})"
                         for r, p, s, c, _ in hits)
        verb = (f"imports from {f.partner}" if f.flow == "import" else f"exports to {f.partner}")
        out.append(Finding(
            "", "banned_trade", f.reporter, f.partner, f.flow, f.hs_code, f.year, sev,
            f"{f.reporter} reports {verb} of HS {f.hs_code} in {f.year} worth "
            f"{_usd(f.value_usd)}: {what}" + (f"; {'; '.join(notes)}" if notes else "") + ".",
            value_usd=f.value_usd, quantity=f.quantity, quantity_unit=f.quantity_unit,
            rule=";".join(h[0].rule_id for h in hits),
            citation="; ".join(h[3] for h in hits), lines=(f.line,)))
    return out


def cap_findings(flows: list[Flow], rules: RuleSet) -> list[Finding]:
    """Reported exports to the DPRK of capped goods (refined petroleum, crude) per year from
    :data:`CAP_FROM_YEAR`, summed over reporters and converted from tonnes to barrels
    (:data:`BARRELS_PER_TONNE`), above the cap."""
    out = []
    for rule in rules.rules:
        if rule.measure_type != "cap" or rule.direction != "to_dprk" or not rule.cap_amount \
                or rule.rule_id not in BARRELS_PER_TONNE:
            continue
        per_tonne = BARRELS_PER_TONNE[rule.rule_id]
        years: dict[int, list[Flow]] = defaultdict(list)
        for f in flows:
            if f.direction == "to_dprk" and f.year >= CAP_FROM_YEAR and rule.covers(f.hs_code):
                years[f.year].append(f)
        for year, rows in sorted(years.items()):
            weighed = [f for f in rows if f.quantity is not None and f.quantity_unit == "kg"]
            tonnes = sum(f.quantity or 0.0 for f in weighed) / 1000.0
            barrels = tonnes * per_tonne
            if barrels <= rule.cap_amount:
                continue
            unweighed = len(rows) - len(weighed)
            by = ", ".join(f"{f.reporter} {f.quantity / 1000.0:,.0f} t" for f in weighed
                           if f.quantity is not None)
            value = sum(f.value_usd for f in rows)
            out.append(Finding(
                "", "petroleum_cap", ";".join(sorted({f.reporter for f in rows})), "PRK",
                "export", ";".join(sorted({f.hs_code for f in rows})), year, "high",
                f"{rule.goods} reported exported to the DPRK in {year}: {tonnes:,.0f} t ({by})"
                f" = {barrels:,.0f} bbl at {per_tonne:g} bbl/t, {barrels / rule.cap_amount:.1f}"
                f" times the cap of {rule.cap_amount:,.0f} bbl per year"
                + (f"; {unweighed} row(s) without a mass not counted" if unweighed else "")
                + ".",
                value_usd=value, quantity=tonnes * 1000.0, quantity_unit="kg",
                ratio=barrels / rule.cap_amount, rule=rule.rule_id, citation=rule.citation,
                lines=tuple(sorted(f.line for f in rows))))
    return out


def unit_value_findings(flows: list[Flow], rules: RuleSet,
                        params: MirrorParams) -> list[Finding]:
    """Unit values far from the median of their HS code, year and unit (modified z-score of
    the log unit value beyond :attr:`MirrorParams.unit_value_max_z`). Severity ``high`` when
    the row is trade with the DPRK in a code a rule of its direction covers, ``medium`` when
    the row is DPRK trade or the code is covered by a ban, else ``low``."""
    groups: dict[tuple[str, int, str], list[Flow]] = defaultdict(list)
    for f in flows:
        if f.unit_value is not None:
            groups[(f.hs_code, f.year, f.quantity_unit)].append(f)
    out = []
    for (hs, year, unit), rows in sorted(groups.items()):
        if len(rows) < params.unit_value_min_rows:
            continue
        logs = [math.log(f.unit_value or 0.0) for f in rows]
        med = statistics.median(logs)
        mad = max(statistics.median(abs(v - med) for v in logs), params.unit_value_min_mad_log)
        median_uv = math.exp(med)
        for f, lv in zip(rows, logs, strict=True):
            z = 0.6745 * (lv - med) / mad
            if abs(z) <= params.unit_value_max_z:
                continue
            d = f.direction
            own = bool(d and rules.matching(hs, d))
            sev = "high" if own else "medium" if (d or _ban_rules(rules, hs)) else "low"
            uv = f.unit_value or 0.0
            ratio = uv / median_uv
            low = z < 0
            reading = ("under-declared value (or over-declared quantity): the Panel's reading of "
                       "banned goods sold below market, or a cheaper code hiding them" if low else
                       "over-declared value (or under-declared quantity): goods of higher value "
                       "(luxury) declared under the code, or value moved through the invoice")
            verb = f"imports from {f.partner}" if f.flow == "import" else f"exports to {f.partner}"
            matched = rules.matching(hs, d) if d else []
            out.append(Finding(
                "", "unit_value", f.reporter, f.partner, f.flow, hs, year, sev,
                f"{f.reporter} {verb} of HS {hs} in {year}: {_usd(f.value_usd)} for "
                f"{f.quantity:,.0f} {unit} = USD {uv:,.4g}/{unit}, {ratio:.2g} times the "
                f"median USD {median_uv:,.4g}/{unit} of {len(rows)} rows (modified z "
                f"{z:+.1f}, threshold {params.unit_value_max_z:g}): {reading}.",
                value_usd=f.value_usd, quantity=f.quantity, quantity_unit=unit,
                unit_value_usd=uv, median_unit_value_usd=median_uv, ratio=ratio,
                rule=";".join(r.rule_id for r, _ in matched),
                citation="; ".join(r.citation for r, _ in matched), lines=(f.line,)))
    return out


def jump_findings(flows: list[Flow], rules: RuleSet, params: MirrorParams) -> list[Finding]:
    """A partner's trade with the DPRK in a banned code that rose at least
    :attr:`MirrorParams.jump_min_ratio` times from one year to the next, where the later year
    is the year before the ban took effect (the rule's ``banned_from``) or the ban year itself:
    goods rushed through before the ban, or trade moved into the code from another."""
    series = {(f.reporter, f.partner, f.flow, f.hs_code, f.year): f for f in flows}
    out = []
    for f in flows:
        d = f.direction
        if d is None:
            continue
        prev = series.get((f.reporter, f.partner, f.flow, f.hs_code, f.year - 1))
        if prev is None or prev.value_usd <= 0 or f.value_usd < params.asymmetry_min_value_usd:
            continue
        ratio = f.value_usd / prev.value_usd
        if ratio < params.jump_min_ratio:
            continue
        hits = [(r, (r.banned_from, r.ban_citation)) for r, _ in rules.matching(f.hs_code, d)
                if r.measure_type == "ban" and r.banned_from is not None
                and r.banned_from.year in (f.year, f.year + 1)]
        if not hits:
            continue
        when = "; ".join(
            f"{r.rule_id} took effect {start.isoformat()} ({cite}), "
            + ("later that year" if start.year == f.year else "the next year")
            for r, (start, cite) in hits)
        verb = f"imports from {f.partner}" if f.flow == "import" else f"exports to {f.partner}"
        out.append(Finding(
            "", "ban_year_jump", f.reporter, f.partner, f.flow, f.hs_code, f.year, "medium",
            f"{f.reporter}'s reported {verb} of HS {f.hs_code} rose from "
            f"{_usd(prev.value_usd)} in {prev.year} to {_usd(f.value_usd)} in {f.year} "
            f"({ratio:.1f} times, threshold {params.jump_min_ratio:g}) while the ban was "
            f"coming: {when}; goods rushed through before the ban, or trade moved into this "
            "code.",
            value_usd=f.value_usd, mirror_value_usd=None, ratio=ratio,
            rule=";".join(r.rule_id for r, _ in hits),
            citation="; ".join(c for _, (_, c) in hits), lines=(prev.line, f.line)))
    return out


def find(flows: list[Flow], rules: RuleSet | None = None,
         params: MirrorParams | None = None) -> list[Finding]:
    """Every finding on ``flows``, numbered ``M-000001``... in kind order
    (:data:`KINDS`), then by year, reporter and HS code."""
    rules = rules or load_rules()
    params = params or MirrorParams()
    found = (asymmetry_findings(flows, rules, params) + banned_findings(flows, rules)
             + cap_findings(flows, rules) + unit_value_findings(flows, rules, params)
             + jump_findings(flows, rules, params))
    found.sort(key=lambda x: (KINDS.index(x.kind), x.year, x.reporter, x.partner, x.hs_code,
                              x.lines))
    return [replace(x, finding_id=f"M-{i:06d}") for i, x in enumerate(found, start=1)]


def mirror_file(input_path: Path, out: Path | None = None, rules: RuleSet | None = None,
                params: MirrorParams | None = None,
                rejects_path: Path | None = None) -> MirrorResult:
    """Compare the flows of ``input_path``; write the findings to ``out`` (atomically, when
    given) and the rejected rows to ``rejects_path`` (default ``OUT.rejects.csv``, written
    only when there are any)."""
    from sanctionwatch.atomic import atomic_path
    from sanctionwatch.export.inert import write_csv

    flows, rejects = load_flows(input_path)
    res = MirrorResult(find(flows, rules, params), rejects, len(flows) + len(rejects))
    if out is not None:
        with atomic_path(out) as tmp:
            write_csv(tmp, FINDING_COLUMNS, (f.row() for f in res.findings))
    rpath = rejects_path or (out.with_suffix(".rejects.csv") if out is not None else None)
    if rejects and rpath is not None:
        with atomic_path(rpath) as tmp:
            write_csv(tmp, REJECT_COLUMNS, ([str(ln), r] for ln, r in rejects))
    return res


__all__ = ["BARRELS_PER_TONNE", "COLUMNS", "COMTRADE_COLUMNS",
           "FINDING_COLUMNS", "Finding", "Flow", "MirrorParams", "MirrorResult", "find",
           "is_dprk", "load_flows", "mirror_file", "read_flows"]
