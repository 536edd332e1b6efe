"""Cross-list entity resolution: the same ship, company or person across UN, UN 1718, OFAC,
UK, EU and OpenSanctions records becomes one entity, with every source statement kept.

The idea is nomenklatura's cross-reference and resolver: :func:`xref` proposes pairs of
entities from different lists (the screening index's blocking), scores them with the matcher
(names in every reading, IMO and company IMO numbers, MMSI, UN references, passport and
other identifiers, birth dates, countries) and records a :class:`Decision` per pair worth
keeping. A :class:`Resolver` holds the decisions: the latest decision on a pair wins, the
earlier ones are kept (the table ``entity_decisions`` is append-only), so a merge is undone by
a later ``negative`` decision. Clusters are the connected ``positive`` pairs, except that no
cluster ever joins two entities with a ``negative`` decision between them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followthemoney import model, registry
from followthemoney.proxy import EntityProxy

from sanctionwatch.sanctions.model import BASE_PROP, Statement
from sanctionwatch.schema import ENTITY_DECISIONS
from sanctionwatch.screening import features as ft
from sanctionwatch.screening.index import ScreeningIndex, _block_keys, record_from_entity
from sanctionwatch.screening.matcher import Query, Record, compare_forms, compare_names
from sanctionwatch.screening.normalize import NameForm, name_forms

POSITIVE, NEGATIVE, UNSURE = "positive", "negative", "unsure"
JUDGEMENTS = (POSITIVE, NEGATIVE, UNSURE)
XREF = "xref"
CANONICAL_PREFIX = "sw-"
"""Prefix of a merged cluster's id: ``sw-`` + the smallest member id (see :meth:`canonical`)."""

# Defaults chosen on the real lists (benchmarks/results/resolution.md): every automatic merge
# at 0.9 or above that was checked by hand was right; 0.7 is the screening threshold (yente's),
# below which a pair is not even a screening hit.
DEFAULT_THRESHOLD = 0.9
DEFAULT_UNSURE_THRESHOLD = 0.7
# Names alone merge a vessel or an organisation only when they agree this well: between 0.9
# and 0.95 the real lists hold different DPRK firms with near names (Korea Daesong General
# Trading Corporation / Korea Taesong Trading Company, UN KPe.042 / KPe.041).
NAME_ONLY_THRESHOLD = 0.95
# Blocking candidates per entity from the screening index (its own default is 40).
DEFAULT_CANDIDATES = 40

# Schemata that may be the same real thing (an Organization in one list is a Company in another).
_ORGS = frozenset({"Organization", "Company", "LegalEntity", "PublicBody"})
_KIND = {"Vessel": "Vessel", "Person": "Person", **{s: "Org" for s in _ORGS}}
_SEVEN_DIGITS = re.compile(r"(?<!\d)\d{7}(?!\d)")


@dataclass(frozen=True)
class Decision:
    """A judgement on whether two listed entities are the same (``left_id`` < ``right_id``)."""

    left_id: str
    right_id: str
    judgement: str  # 'positive' | 'negative' | 'unsure'
    score: float | None
    explanation: str
    decided_by: str  # 'xref' or a user name
    decided_at: datetime

    @property
    def pair(self) -> tuple[str, str]:
        """The unordered pair as a sorted tuple."""
        return (self.left_id, self.right_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``decided_at`` in ISO 8601)."""
        return {
            "left_id": self.left_id, "right_id": self.right_id, "judgement": self.judgement,
            "score": None if self.score is None else round(self.score, 4),
            "explanation": self.explanation, "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat(),
        }


def make_decision(
    left: str,
    right: str,
    judgement: str,
    decided_by: str,
    explanation: str = "",
    score: float | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """A :class:`Decision` with the pair put in order and the judgement checked."""
    if judgement not in JUDGEMENTS:
        raise ValueError(f"judgement must be one of {', '.join(JUDGEMENTS)}: {judgement!r}")
    if left == right:
        raise ValueError(f"an entity is not compared with itself: {left!r}")
    if not decided_by:
        raise ValueError("decided_by is empty")
    a, b = sorted((left, right))
    return Decision(a, b, judgement, score, explanation, decided_by,
                    decided_at or datetime.now(UTC))


class Resolver:
    """Decisions and the clusters they make (see the module docstring).

    The canonical id of a cluster of two or more entities is ``sw-`` + its smallest member id
    (string order), so it does not depend on the order decisions were made; an entity in no
    cluster keeps its own id.
    """

    def __init__(self, decisions: Iterable[Decision] = ()) -> None:
        self._history: list[Decision] = []
        self._latest: dict[tuple[str, str], Decision] = {}
        self._of: dict[str, frozenset[str]] | None = None
        for d in decisions:
            self._add(d)

    def _add(self, d: Decision) -> None:
        self._history.append(d)
        old = self._latest.get(d.pair)
        # the latest decision wins; of two at the same instant, the one added last
        if old is None or d.decided_at >= old.decided_at:
            self._latest[d.pair] = d
        self._of = None

    def decide(
        self,
        left: str,
        right: str,
        judgement: str,
        decided_by: str,
        explanation: str = "",
        score: float | None = None,
    ) -> Decision:
        """Record a judgement on a pair (it overrides earlier ones, which are kept)."""
        d = make_decision(left, right, judgement, decided_by, explanation, score)
        self._add(d)
        return d

    def add(self, decisions: Iterable[Decision]) -> None:
        """Add decisions made elsewhere (e.g. by :func:`xref`)."""
        for d in decisions:
            self._add(d)

    def decisions(self) -> list[Decision]:
        """Every decision ever made, in the order they were added."""
        return list(self._history)

    def latest(self, left: str, right: str) -> Decision | None:
        """The decision in force on a pair, if any."""
        return self._latest.get(tuple(sorted((left, right))))  # type: ignore[arg-type]

    def _clusters(self) -> dict[str, frozenset[str]]:
        if self._of is not None:
            return self._of
        members: dict[str, set[str]] = {}
        negative: dict[str, set[str]] = defaultdict(set)
        for (a, b), d in self._latest.items():
            if d.judgement == NEGATIVE:
                negative[a].add(b)
                negative[b].add(a)
        positives = sorted(
            (d for d in self._latest.values() if d.judgement == POSITIVE),
            key=lambda d: (d.decided_at, d.pair),
        )
        for d in positives:
            ca = members.get(d.left_id) or {d.left_id}
            cb = members.get(d.right_id) or {d.right_id}
            if ca is cb:
                continue
            small, large = (ca, cb) if len(ca) <= len(cb) else (cb, ca)
            if any(negative[x] & large for x in small):
                continue  # a negative decision between the two clusters: never joined
            large |= small
            for x in large:
                members[x] = large
        frozen = {id(c): frozenset(c) for c in members.values()}
        self._of = {x: frozen[id(c)] for x, c in members.items()}
        return self._of

    def cluster(self, entity_id: str) -> frozenset[str]:
        """The entities resolved to be the same as ``entity_id`` (itself included)."""
        return self._clusters().get(entity_id, frozenset({entity_id}))

    def canonical(self, entity_id: str) -> str:
        """The cluster's id: ``sw-<smallest member id>``, or ``entity_id`` when alone."""
        c = self.cluster(entity_id)
        return entity_id if len(c) == 1 else CANONICAL_PREFIX + min(c)

    def clusters(self) -> list[frozenset[str]]:
        """Clusters of two or more entities, ordered by canonical id."""
        return sorted(set(self._clusters().values()), key=min)


# --- xref -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What xref compares besides names (from the entity and its Sanction records)."""

    record: Record
    keys: tuple[frozenset[str], ...]  # per name form: what two forms must share to be compared
    kind: str
    datasets: frozenset[str]
    un_refs: frozenset[str]
    company_imos: frozenset[str]
    main_names: tuple[str, ...] = ()  # the ``name`` values (not aliases)


def _form_keys(form: NameForm) -> frozenset[str]:
    """The screening index's blocking keys of a form (tokens, Korean keys, 3-letter heads and
    tails) plus the head of its letters without spaces (NAMCHONGANG / NAM CHON GANG)."""
    return frozenset(_block_keys(form) | {"j:" + form.joined[:3]})


def _un_refs(entities: Sequence[EntityProxy]) -> dict[str, set[str]]:
    """UN references (``KPi.035``) by entity id, from the Sanction entities of every list."""
    out: dict[str, set[str]] = defaultdict(set)
    for e in entities:
        if e.schema.name == "Sanction":
            refs = {r.strip() for r in e.get("unscId", quiet=True)}
            for target in e.get("entity", quiet=True):
                out[target] |= refs
    return out


def _facts(entities: Sequence[EntityProxy]) -> list[_Facts]:
    refs = _un_refs(entities)
    out = []
    for e in entities:
        kind = _KIND.get(e.schema.name)
        if kind is None:
            continue
        rec = record_from_entity(e)
        if rec is None:
            continue
        # a weak alias ("Abu Ismail", the UN's "Low" quality) identifies nobody across lists
        weak = set(e.get("weakAlias", quiet=True))
        if weak:
            names = tuple(n for n in rec.names if n not in weak)
            if not names:
                continue
            rec = replace(rec, names=names, forms=tuple(
                f for n in names for f in name_forms(n, rec.schema)))
        # the same reading from two names (``KIM CHOL SAM`` / ``Kim Chol Sam``) is compared once
        forms = tuple({(f.tokens, f.literal): f for f in rec.forms}.values())
        if len(forms) < len(rec.forms):
            rec = replace(rec, forms=forms)
        raw_imos = {m.group() for v in e.get("imoNumber", quiet=True)
                    for m in _SEVEN_DIGITS.finditer(v)}
        out.append(_Facts(
            record=rec, keys=tuple(_form_keys(f) for f in rec.forms), kind=kind,
            datasets=frozenset(rec.datasets),
            un_refs=frozenset(refs.get(rec.id, ())),
            # company (owner/manager) IMO numbers have no ship check digit: compared as digits
            company_imos=frozenset(raw_imos) if kind == "Org" else frozenset(),
            main_names=tuple(e.get("name", quiet=True)) or rec.names[:1],
        ))
    return out


def _dates_agree(a: Iterable[str], b: Iterable[str], precision: int = 10) -> bool:
    """True when some date of ``a`` and some date of ``b`` agree at the coarser of their
    precisions (at most ``precision`` characters: 4 compares years)."""
    return any(
        x[: min(len(x), len(y), precision)] == y[: min(len(x), len(y), precision)]
        for x in a for y in b
    )


@dataclass(frozen=True)
class PairScore:
    """How a pair compares: the score with its features, what identifies it beyond names,
    what forbids a merge, and whether birth dates confirm it."""

    score: ft.Score
    identified: bool  # a shared IMO, company IMO, UN reference or document number
    conflicts: tuple[str, ...]
    evidence: tuple[str, ...]  # every identifier feature that fired, best or not
    born_same_day: bool


def compare_entities(a: _Facts, b: _Facts) -> PairScore:
    """Score a pair of entities on names, identifiers, birth dates and countries."""
    ra, rb = a.record, b.record
    vessel = a.kind == "Vessel"
    best: ft.Score | None = None
    for qf, qk in zip(ra.forms, a.keys, strict=True):
        for rf, rk in zip(rb.forms, b.keys, strict=True):
            # forms sharing no key score (almost) nothing: skipped unless one is a single
            # token (an acronym such as OMM)
            if not qk & rk and len(qf.tokens) > 1 and len(rf.tokens) > 1:
                continue
            s = compare_forms(qf, rf, vessel)
            if best is None or s.score > best.score:
                best = s
    mains = [best.best] if best is not None and best.best is not None else []
    quals = [f for f in best.features if f.weight < 0] if best is not None else []
    conflicts: list[str] = []
    identified = False
    if ra.imos and rb.imos:
        if ra.imos & rb.imos:
            identified = True
            mains.append(ft.main("imo_match", 1.0, f"IMO {min(ra.imos & rb.imos)}"))
            # renamed ships keep their IMO: a name's number no longer argues against it
            quals = [q for q in quals if not q.name.startswith("number_")]
        else:
            conflicts.append(f"IMO {sorted(ra.imos)} ≠ {sorted(rb.imos)}")
    if a.company_imos and b.company_imos:
        if a.company_imos & b.company_imos:
            identified = True
            mains.append(ft.main("identifier_match", 1.0,
                                 f"company IMO {min(a.company_imos & b.company_imos)}"))
        else:
            conflicts.append(f"company IMO {sorted(a.company_imos)} ≠ {sorted(b.company_imos)}")
    if a.un_refs and b.un_refs:
        if a.un_refs & b.un_refs:
            identified = True
            mains.append(ft.main("identifier_match", 1.0,
                                 f"UN reference {min(a.un_refs & b.un_refs)}"))
        else:
            conflicts.append(f"UN reference {sorted(a.un_refs)} ≠ {sorted(b.un_refs)}")
    if ra.mmsis & rb.mmsis:  # MMSIs are reused and spoofed: evidence, not identity
        mains.append(ft.main("mmsi_match", 1.0, f"MMSI {min(ra.mmsis & rb.mmsis)}"))
    if ra.identifiers & rb.identifiers:
        identified = True
        mains.append(ft.main("identifier_match", 1.0, min(ra.identifiers & rb.identifiers)))
    born_same_day = False
    if ra.birth_dates and rb.birth_dates:
        dates = f"{','.join(sorted(ra.birth_dates))} vs {','.join(sorted(rb.birth_dates))}"
        if not _dates_agree(ra.birth_dates, rb.birth_dates, 4):
            conflicts.append(f"born {dates}")
        elif not _dates_agree(ra.birth_dates, rb.birth_dates):
            quals.append(ft.qualifier("dob_day_mismatch", dates))
        else:
            born_same_day = any(len(x) >= 10 and x[:10] in {y[:10] for y in rb.birth_dates}
                                for x in ra.birth_dates)
    if ra.countries and rb.countries and not ra.countries & rb.countries:
        quals.append(ft.qualifier(
            "country_mismatch",
            f"{','.join(sorted(ra.countries))} ∉ {','.join(sorted(rb.countries))}"))
    evidence = tuple(f"{m.name} ({m.detail})" for m in mains if not m.name.startswith("name_"))
    return PairScore(ft.combine(mains, quals), identified, tuple(conflicts), evidence,
                     born_same_day)


def judge(pair: PairScore, kind: str, threshold: float, unsure_threshold: float) -> str | None:
    """The xref judgement on a scored pair, or None when it is not worth recording.

    ``positive`` needs the score at or above ``threshold`` and, besides the names, either an
    identifier (IMO, company IMO, UN reference, document number) or: for a person, a birth
    date the same to the day; for a vessel or an organisation, names alone scoring at least
    :data:`NAME_ONLY_THRESHOLD`. An identifier conflict makes it ``negative``.
    """
    s = pair.score.score
    if s < unsure_threshold:
        return None
    if pair.conflicts:
        return NEGATIVE
    if s < threshold:
        return UNSURE
    if pair.identified:
        return POSITIVE
    if kind == "Person":
        return POSITIVE if pair.born_same_day else UNSURE
    return POSITIVE if s >= max(threshold, NAME_ONLY_THRESHOLD) else UNSURE


def _candidate_pairs(facts: list[_Facts], candidates: int) -> Iterator[tuple[int, int]]:
    """Pairs (i < j) of compatible entities of different lists that share blocking keys,
    an IMO number or a UN reference."""
    index = ScreeningIndex((f.record for f in facts), candidates=candidates)
    seen: set[tuple[int, int]] = set()
    by_ref: dict[str, list[int]] = defaultdict(list)
    by_company_imo: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(facts):
        for r in f.un_refs:
            by_ref[r].append(i)
        for m in f.company_imos:
            by_company_imo[m].append(i)
    for i, f in enumerate(facts):
        rec = f.record
        query = Query(name="", schema=rec.schema, imo=min(rec.imos) if rec.imos else None)
        found = index.candidates_for(query, rec.forms)
        for imo in sorted(rec.imos)[1:]:
            found += index.candidates_for(Query(name="", schema=rec.schema, imo=imo), ())
        for key in f.un_refs:
            found += by_ref[key]
        for key in f.company_imos:
            found += by_company_imo[key]
        for j in found:
            g = facts[j]
            if j == i or g.kind != f.kind or f.datasets & g.datasets:
                continue
            pair = (min(i, j), max(i, j))
            if pair not in seen:
                seen.add(pair)
                yield pair


def xref(
    entities: Sequence[EntityProxy],
    threshold: float = DEFAULT_THRESHOLD,
    unsure_threshold: float = DEFAULT_UNSURE_THRESHOLD,
    resolver: Resolver | None = None,
    candidates: int = DEFAULT_CANDIDATES,
) -> list[Decision]:
    """Decisions on candidate pairs of entities from different lists.

    A pair scoring ``threshold`` or more is ``positive`` unless an identifier conflicts
    (different IMO or company IMO numbers, different UN references, birth dates that never
    agree): then it is ``negative``, so no cluster ever joins the two. A pair scoring from
    ``unsure_threshold`` up to ``threshold`` is ``unsure`` (``negative`` on a conflict); lower
    pairs are not recorded. Only Vessel-Vessel, Person-Person and organisation pairs
    (Organization, Company, LegalEntity, PublicBody) are compared. ``entities`` should include
    the Sanction entities: their UN references (``unscId``) link the lists. With ``resolver``,
    pairs a user has decided are left alone and a pair whose xref decision in force is the
    same is not recorded again.
    """
    if not 0 < unsure_threshold <= threshold <= 1:
        raise ValueError("need 0 < unsure_threshold <= threshold <= 1")
    facts = _facts(entities)
    now = datetime.now(UTC)
    out: list[Decision] = []
    identified: set[tuple[str, str]] = set()
    primary: dict[tuple[str, str], float] = {}
    for i, j in _candidate_pairs(facts, candidates):
        a, b = facts[i], facts[j]
        pair = compare_entities(a, b)
        judgement = judge(pair, a.kind, threshold, unsure_threshold)
        if judgement is None:
            continue
        explanation = pair.score.explain()
        shown = "" if pair.score.best is None else (
            f"{pair.score.best.name} ({pair.score.best.detail})")
        also = [e for e in pair.evidence if e != shown]
        if also:
            explanation += "; also " + ", ".join(also)
        if pair.born_same_day:
            explanation += "; born the same day"
        if pair.conflicts:
            explanation += "; conflict: " + "; ".join(pair.conflicts)
        elif judgement == UNSURE and pair.score.score >= threshold:
            explanation += "; names only" + ("" if a.kind != "Person" else
                                             ", no birth date the same to the day")
        d = make_decision(a.record.id, b.record.id, judgement, XREF, explanation,
                          pair.score.score, now)
        out.append(d)
        if pair.identified:
            identified.add(d.pair)
        if judgement == POSITIVE:
            primary[d.pair] = _primary_score(a, b)
    out = _one_per_list(out, {f.record.id: f.datasets for f in facts}, identified, primary)
    if resolver is not None:
        kept = []
        for d in out:
            old = resolver.latest(d.left_id, d.right_id)
            if old is not None and (old.decided_by != XREF or (
                    old.judgement == d.judgement and old.explanation == d.explanation)):
                continue
            kept.append(d)
        out = kept
    out.sort(key=lambda d: d.pair)
    return out


def _primary_score(a: _Facts, b: _Facts) -> float:
    """The name score of the two entities' main names (``name``, not aliases)."""
    schema = a.record.schema if a.record.schema == b.record.schema else None
    return compare_names(a.main_names, b.main_names, schema).score


def _one_per_list(
    decisions: list[Decision],
    datasets: dict[str, frozenset[str]],
    identified: set[tuple[str, str]],
    primary: dict[tuple[str, str], float],
) -> list[Decision]:
    """Positive decisions taken identified pairs first, then best score first, then best
    main-name score first (a match on an alias the lists share loses to a match on the main
    names: the Second Academy of Natural Sciences is an alias in the UK's entry for the
    Academy of National Defence Science); one that would
    put two entries of the same list into one cluster, or join a cluster to an entity a
    ``negative`` decision separates from it, becomes ``unsure`` (a list does not designate an
    entity twice)."""
    negative: dict[str, set[str]] = defaultdict(set)
    for d in decisions:
        if d.judgement == NEGATIVE:
            negative[d.left_id].add(d.right_id)
            negative[d.right_id].add(d.left_id)
    cluster: dict[str, set[str]] = {}
    out: list[Decision] = []
    order = sorted(decisions, key=lambda d: (
        d.pair not in identified, -(d.score or 0.0), -primary.get(d.pair, 0.0), d.pair))
    for d in order:
        if d.judgement != POSITIVE:
            out.append(d)
            continue
        ca = cluster.get(d.left_id) or {d.left_id}
        cb = cluster.get(d.right_id) or {d.right_id}
        if ca is cb:
            out.append(d)
            continue
        la = set().union(*(datasets.get(x, frozenset()) for x in ca))
        lb = set().union(*(datasets.get(x, frozenset()) for x in cb))
        clash = la & lb
        if clash:
            out.append(replace(d, judgement=UNSURE, explanation=d.explanation + (
                f"; would put two entries of {', '.join(sorted(clash))} in one cluster")))
            continue
        apart = sorted(y for x in ca for y in negative[x] & cb)
        if apart:
            out.append(replace(d, judgement=UNSURE, explanation=d.explanation + (
                f"; would join entities a negative decision separates ({', '.join(apart)})")))
            continue
        merged = ca | cb
        for x in merged:
            cluster[x] = merged
        out.append(d)
    return out


# --- store ----------------------------------------------------------------------------------

_DCOLS = ENTITY_DECISIONS.names


def load_resolver(store_path: str | Path) -> Resolver:
    """A resolver from the store's ``entity_decisions`` (empty when there are none)."""
    from sanctionwatch.store.access import connect
    from sanctionwatch.store.duck import table_columns

    path = Path(store_path)
    if not path.exists():
        return Resolver()
    con = connect(path, read_only=True)
    try:
        if not table_columns(con, ENTITY_DECISIONS.name):
            return Resolver()
        cols = ", ".join(f'"{c}"' for c in _DCOLS)
        # rowid keeps insertion order for decisions made at the same instant
        rows = con.execute(
            f"SELECT {cols} FROM {ENTITY_DECISIONS.name} ORDER BY decided_at, rowid"
        ).fetchall()
    finally:
        con.close()
    return Resolver(
        Decision(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else float(r[3]),
                 str(r[4]), str(r[5]), r[6].astimezone(UTC))
        for r in rows
    )


def save_decisions(store_path: str | Path, decisions: Sequence[Decision]) -> int:
    """Append ``decisions`` to the store's ``entity_decisions`` (created if needed); returns
    how many were written. Nothing is ever updated or deleted."""
    from sanctionwatch.store.access import connect
    from sanctionwatch.store.duck import ensure_tables

    con = connect(Path(store_path), read_only=False)
    try:
        ensure_tables(con, (ENTITY_DECISIONS,))
        if decisions:
            cols = ", ".join(f'"{c}"' for c in _DCOLS)
            marks = ", ".join("?" for _ in _DCOLS)
            con.executemany(
                f"INSERT INTO {ENTITY_DECISIONS.name} ({cols}) VALUES ({marks})",
                [[d.left_id, d.right_id, d.judgement, d.score, d.explanation, d.decided_by,
                  d.decided_at] for d in decisions],
            )
    finally:
        con.close()
    return len(decisions)


# --- resolved entities ----------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedEntity:
    """One real-world entity: its source entities (``members``) and every statement they
    carry, each with its list (``dataset``) and ``source_record``."""

    id: str
    schema: str
    names: tuple[str, ...]
    datasets: tuple[str, ...]
    members: tuple[str, ...]
    statements: tuple[Statement, ...] = field(repr=False)

    def get(self, prop: str) -> list[str]:
        """The distinct values of ``prop`` across all sources, in statement order."""
        return list(dict.fromkeys(s.value for s in self.statements if s.prop == prop))

    @property
    def caption(self) -> str:
        """The first name."""
        return self.names[0] if self.names else self.id


def _statements_from_entities(entities: Iterable[EntityProxy]) -> Iterator[Statement]:
    """Statements rebuilt from entity proxies (no list date or source record to give)."""
    for e in entities:
        ds = (e.context.get("datasets") or [""])[0]
        none = datetime.min.date()
        yield Statement(str(e.id), e.schema.name, BASE_PROP, str(e.id), ds, none, "", none)
        for prop, values in e.properties.items():
            for v in values:
                yield Statement(str(e.id), e.schema.name, prop, v, ds, none, "", none)


def _common_schema(schemata: Iterable[str]) -> str:
    names = list(dict.fromkeys(schemata))
    out = names[0]
    for other in names[1:]:
        try:
            out = model.common_schema(out, other).name
        except Exception:
            continue
    return out


def resolved_entities(
    source: str | Path | Sequence[EntityProxy] | Sequence[Statement],
    resolver: Resolver,
) -> list[ResolvedEntity]:
    """The entities of ``source`` with each cluster of ``resolver`` made one, ordered by id.

    ``source`` is a store path (the latest version of every loaded list, with full
    provenance), statements (e.g. ``ParsedList.statements``), or FtM entity proxies (then the
    statements carry the dataset but no list date or source record). The schema of a merged
    entity is the most specific schema its members share (FtM ``common_schema``).
    """
    if isinstance(source, (str, Path)):
        from sanctionwatch.sanctions.store import ListStore

        with ListStore(source, read_only=True) as store:
            statements: list[Statement] = store.current_statements()
    else:
        items = list(source)
        if items and isinstance(items[0], EntityProxy):
            statements = list(_statements_from_entities(items))  # type: ignore[arg-type]
        else:
            statements = items  # type: ignore[assignment]
    groups: dict[str, list[Statement]] = defaultdict(list)
    for st in statements:
        groups[resolver.canonical(st.entity_id)].append(st)
    out = []
    name_props = {p.name for p in model.get("Thing").properties.values()  # type: ignore[union-attr]
                  if p.type == registry.name}
    for cid in sorted(groups):
        sts = groups[cid]
        names = [s.value for s in sts if s.prop == "name"]
        names += [s.value for s in sts if s.prop in name_props and s.prop != "name"]
        out.append(ResolvedEntity(
            id=cid,
            schema=_common_schema(s.schema for s in sts),
            names=tuple(dict.fromkeys(names)),
            datasets=tuple(sorted({s.dataset for s in sts})),
            members=tuple(sorted({s.entity_id for s in sts})),
            statements=tuple(sts),
        ))
    return out


# --- store-level operations (what the CLI calls) --------------------------------------------


@dataclass(frozen=True)
class Member:
    """A source entity as the merge listings show it."""

    id: str
    schema: str
    name: str
    dataset: str


@dataclass(frozen=True)
class Merge:
    """A cluster of two or more source entities and the positive decisions that join it."""

    id: str
    members: tuple[Member, ...]
    decisions: tuple[Decision, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "id": self.id,
            "members": [m.__dict__ for m in self.members],
            "decisions": [d.to_dict() for d in self.decisions],
        }


def _members(entities: Iterable[EntityProxy]) -> dict[str, Member]:
    return {
        str(e.id): Member(str(e.id), e.schema.name, e.caption,
                          ",".join(e.context.get("datasets") or []))
        for e in entities
    }


def merges_of(
    resolver: Resolver, members: dict[str, Member], only: Iterable[Decision] | None = None
) -> list[Merge]:
    """The resolver's clusters as :class:`Merge` listings (those touched by ``only``, if
    given), each with the positive decisions in force inside it."""
    touched = None if only is None else {x for d in only for x in d.pair}
    out = []
    for c in resolver.clusters():
        if touched is not None and not c & touched:
            continue
        inside = sorted(
            (d for d in (resolver.latest(a, b) for a in c for b in c if a < b)
             if d is not None and d.judgement == POSITIVE),
            key=lambda d: d.pair,
        )
        out.append(Merge(
            resolver.canonical(min(c)),
            tuple(members.get(x, Member(x, "", x, "")) for x in sorted(c)),
            tuple(inside),
        ))
    return out


@dataclass(frozen=True)
class ResolveRun:
    """What :func:`resolve_store` did: the new decisions and the merges they touch."""

    decisions: tuple[Decision, ...]
    merges: tuple[Merge, ...]
    entities: int

    def counts(self) -> dict[str, int]:
        """New decisions per judgement."""
        out = {j: 0 for j in JUDGEMENTS}
        for d in self.decisions:
            out[d.judgement] += 1
        return out


def resolve_store(
    store_path: str | Path,
    threshold: float = DEFAULT_THRESHOLD,
    unsure_threshold: float = DEFAULT_UNSURE_THRESHOLD,
) -> ResolveRun:
    """Run :func:`xref` over the latest version of every loaded list, append the new
    decisions to the store and return them with the merges they touch."""
    from sanctionwatch.sanctions.store import ListStore

    with ListStore(store_path, read_only=True) as store:
        entities = store.entities()
    resolver = load_resolver(store_path)
    decisions = xref(entities, threshold, unsure_threshold, resolver=resolver)
    save_decisions(store_path, decisions)
    resolver.add(decisions)
    positives = [d for d in decisions if d.judgement == POSITIVE]
    return ResolveRun(tuple(decisions), tuple(merges_of(resolver, _members(entities), positives)),
                      len(entities))


def store_merges(store_path: str | Path) -> list[Merge]:
    """Every cluster of the store's decisions, with its members and decisions."""
    from sanctionwatch.sanctions.store import ListStore

    resolver = load_resolver(store_path)
    with ListStore(store_path, read_only=True) as store:
        entities = store.entities()
    return merges_of(resolver, _members(entities))


class UnknownEntity(KeyError):
    """An entity id that is not in the loaded lists."""


def decide_in_store(
    store_path: str | Path,
    left: str,
    right: str,
    judgement: str,
    decided_by: str,
    explanation: str = "",
) -> tuple[Decision, frozenset[str]]:
    """Record a user's decision on two loaded entities; returns it and the cluster of
    ``left`` afterwards. :class:`UnknownEntity` when an id is not loaded."""
    from sanctionwatch.sanctions.store import ListStore

    with ListStore(store_path, read_only=True) as store:
        for eid in (left, right):
            if store.entity(eid) is None:
                raise UnknownEntity(eid)
    resolver = load_resolver(store_path)
    d = resolver.decide(left, right, judgement, decided_by, explanation)
    save_decisions(store_path, [d])
    return d, resolver.cluster(left)
