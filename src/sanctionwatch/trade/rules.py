"""Trade rules: the UN DPRK sectoral measures by direction and HS code, and national rule files.

:func:`load_rules` reads the shipped table (``sanctionwatch/data/trade/
un_dprk_sectoral_measures_hs.csv``, provenance in ``data/trade/PROVENANCE.md``) and, with
``extra``, rule files in the same CSV format (docs/trade.md "Rule files"). Each :class:`Rule`
names its resolution(s) and paragraph(s); :meth:`RuleSet.matching` finds the rules whose HS
prefixes cover a declared code in a direction.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

DIRECTIONS = ("to_dprk", "from_dprk")
"""``to_dprk``: supply, sale or transfer to the DPRK; ``from_dprk``: procurement from it."""

MEASURE_TYPES = ("ban", "cap")
"""``ban``: prohibited outright; ``cap``: allowed only within an annual cap, notified to the
1718 Committee (refined petroleum, crude oil)."""

REQUIRED_COLUMNS = (
    "measure_id", "direction", "goods_as_named", "hs_codes", "resolution", "paragraph",
    "measure_type",
)
"""Columns a rule file must have; ``cap_amount``, ``cap_unit``, ``cap_or_threshold``, ``notes``,
``hs_basis``, ``restricted_from`` and ``banned_from`` are optional."""

_DATA = ("data", "trade")
UN_RULES_FILE = "un_dprk_sectoral_measures_hs.csv"
HS_NOMENCLATURE_FILE = "harmonized-system.csv"

_RANGE = re.compile(r"^(\d{2})-(\d{2})$")
_CODE = re.compile(r"^\d{2}(\d{2}(\d{2})?)?$")


def _shipped(name: str) -> str:
    return resources.files("sanctionwatch").joinpath(*_DATA, name).read_text(encoding="utf-8")


def normalize_hs(code: str) -> str:
    """An HS code as digits only (``"8703.10"`` → ``"870310"``; dots and spaces dropped)."""
    return re.sub(r"[.\s]", "", code.strip())


def parse_hs_codes(text: str) -> tuple[str, ...]:
    """The HS prefixes of a rule's ``hs_codes`` cell: ``;``-separated chapters (2 digits),
    headings (4) or subheadings (6, dots allowed), and chapter ranges such as ``50-63``.

    Raises ``ValueError`` on anything else.
    """
    out: list[str] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        m = _RANGE.match(part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi:
                raise ValueError(f"HS chapter range {part!r} runs backwards")
            out.extend(f"{c:02d}" for c in range(lo, hi + 1))
            continue
        code = normalize_hs(part)
        if not _CODE.match(code):
            raise ValueError(f"{part!r} is not an HS chapter, heading or subheading")
        out.append(code)
    return tuple(out)


@dataclass(frozen=True)
class Rule:
    """One measure: goods (HS prefixes) that may not move in ``direction`` (or only within
    a cap)."""

    rule_id: str
    direction: str
    goods: str
    hs_prefixes: tuple[str, ...]
    resolutions: tuple[str, ...]
    paragraphs: tuple[str, ...]
    measure_type: str
    cap_amount: float | None
    cap_unit: str
    cap_text: str
    notes: str
    source: str
    """The rule file (``un`` for the shipped UN table)."""
    restricted_from: date | None = None
    """Adoption date of the first resolution restricting these goods (None: always)."""
    banned_from: date | None = None
    """Adoption date of the resolution that made the ban outright, without the exemptions
    of earlier ones (coal and iron: 2270 allowed livelihood trade and 2321 capped it, 2371
    banned it); None for caps."""

    def status_on(self, day: date | None) -> str:
        """``banned`` (or ``capped`` for a cap rule), ``restricted`` (after the first
        measure, before the outright ban: exemptions applied) or ``not_yet`` on ``day``;
        an unknown day counts as in force."""
        if day is not None and self.restricted_from is not None and day < self.restricted_from:
            return "not_yet"
        if day is not None and self.banned_from is not None and day < self.banned_from:
            return "restricted"
        return "capped" if self.measure_type == "cap" else "banned"

    @property
    def citation(self) -> str:
        """Resolution and paragraph, paired: ``"UNSCR 2371 (2017) para 8; ..."``, or for a
        national rule ``"EU Reg. 2017/1509, Annex VIII item 4"`` (instrument, provision)."""
        pairs = []
        for i, res in enumerate(self.resolutions):
            para = self.paragraphs[i] if i < len(self.paragraphs) else self.paragraphs[-1]
            pairs.append(f"UNSCR {res} para {para}" if self.source == "un" else f"{res}, {para}")
        return "; ".join(pairs)

    @property
    def ban_citation(self) -> str:
        """The resolution and paragraph that made the ban outright (the pair of
        :attr:`citation` adopted in ``banned_from``'s year), else the whole citation."""
        if self.banned_from is not None and self.source == "un":
            for i, res in enumerate(self.resolutions):
                if res.endswith(f"({self.banned_from.year})"):
                    para = self.paragraphs[i] if i < len(self.paragraphs) else self.paragraphs[-1]
                    return f"UNSCR {res} para {para}"
        return self.citation

    def covers(self, hs_code: str) -> str | None:
        """The prefix of this rule that ``hs_code`` (digits) falls under, or None."""
        for p in self.hs_prefixes:
            if hs_code.startswith(p):
                return p
        return None


@dataclass(frozen=True)
class RuleSet:
    """The rules in force for a screen."""

    rules: tuple[Rule, ...]

    def by_id(self, rule_id: str) -> Rule:
        """The rule called ``rule_id`` (``KeyError`` if none)."""
        for r in self.rules:
            if r.rule_id == rule_id:
                return r
        raise KeyError(rule_id)

    def matching(self, hs_code: str, direction: str) -> list[tuple[Rule, str]]:
        """Rules of ``direction`` covering ``hs_code``, with the prefix that matched."""
        out = []
        for r in self.rules:
            if r.direction != direction:
                continue
            p = r.covers(hs_code)
            if p is not None:
                out.append((r, p))
        return out


def _split(cell: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in cell.split(";") if p.strip())


def read_rules(path: Path | None = None, source: str = "un") -> list[Rule]:
    """Rules from a rule file (the shipped UN table when ``path`` is None).

    Raises ``ValueError`` naming the file and line of a bad row.
    """
    if path is None:
        text = _shipped(UN_RULES_FILE)
        name = UN_RULES_FILE
    else:
        text = Path(path).read_text(encoding="utf-8-sig")
        name = str(path)
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
    rules = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        try:
            rules.append(_rule(row, source))
        except ValueError as exc:
            raise ValueError(f"{name}, line {line}: {exc}") from None
        if rules[-1].rule_id in seen:
            raise ValueError(f"{name}, line {line}: rule id {rules[-1].rule_id!r} repeated")
        seen.add(rules[-1].rule_id)
    return rules


def _rule(row: dict[str, str], source: str) -> Rule:
    rid = (row.get("measure_id") or "").strip()
    if not rid:
        raise ValueError("empty measure_id")
    direction = (row.get("direction") or "").strip()
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}")
    mtype = (row.get("measure_type") or "").strip()
    if mtype not in MEASURE_TYPES:
        raise ValueError(f"measure_type {mtype!r} is not one of {', '.join(MEASURE_TYPES)}")
    resolutions = _split(row.get("resolution") or "")
    paragraphs = _split(row.get("paragraph") or "")
    if not resolutions or not paragraphs:
        raise ValueError(f"rule {rid!r} cites no resolution or no paragraph")
    if len(paragraphs) not in (1, len(resolutions)):
        raise ValueError(f"rule {rid!r}: {len(resolutions)} resolutions but "
                         f"{len(paragraphs)} paragraphs")
    cap = (row.get("cap_amount") or "").strip()
    try:
        cap_amount = float(cap) if cap else None
    except ValueError:
        raise ValueError(f"cap_amount {cap!r} is not a number") from None
    dates: dict[str, date | None] = {}
    for col in ("restricted_from", "banned_from"):
        cell = (row.get(col) or "").strip()
        try:
            dates[col] = date.fromisoformat(cell) if cell else None
        except ValueError:
            raise ValueError(f"{col} {cell!r} is not a YYYY-MM-DD date") from None
    return Rule(
        rule_id=rid,
        direction=direction,
        goods=(row.get("goods_as_named") or "").strip(),
        hs_prefixes=parse_hs_codes(row.get("hs_codes") or ""),
        resolutions=resolutions,
        paragraphs=paragraphs,
        measure_type=mtype,
        cap_amount=cap_amount,
        cap_unit=(row.get("cap_unit") or "").strip(),
        cap_text=(row.get("cap_or_threshold") or "").strip(),
        notes=(row.get("notes") or "").strip(),
        source=source,
        restricted_from=dates["restricted_from"],
        banned_from=dates["banned_from"],
    )


def load_rules(extra: Sequence[Path] | Iterable[Path] = ()) -> RuleSet:
    """The shipped UN rules plus the rules of each file in ``extra`` (ids must stay unique)."""
    rules = read_rules()
    for path in extra:
        rules.extend(read_rules(path, source=Path(path).name))
    ids = [r.rule_id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"rule id(s) defined twice: {', '.join(dup)}")
    return RuleSet(tuple(rules))


def hs_nomenclature() -> dict[str, str]:
    """The shipped HS nomenclature (2-, 4- and 6-digit codes → description)."""
    text = _shipped(HS_NOMENCLATURE_FILE)
    return {r["hscode"]: r["description"] for r in csv.DictReader(text.splitlines())}
