"""The explainable matcher: names (any script), identifiers, dates of birth, countries."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import OSA, Levenshtein

from sanctionwatch.ids import imo_is_valid
from sanctionwatch.screening import features as ft
from sanctionwatch.screening.korean import korean_key
from sanctionwatch.screening.normalize import NameForm, name_forms

# Unmatched-token penalty factors: a query token missing from the listed name costs more
# than a listed token missing from the query (lists carry full names and patronymics).
EXTRA_QUERY = 1.0
EXTRA_RESULT = 0.3
EXTRA_CONFLICT = 4.0
EXTRA_FAMILY = 1.0
MIN_TOKEN_SIM = 0.6
FUZZY_POWER = 1.5
# Token similarity required when both names are two short parts (Chinese romanised names).
STRICT_SIM = 0.95


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """How one query token was aligned."""

    query: str
    result: str
    sim: float
    how: str


@lru_cache(maxsize=500_000)
def token_sim(a: str, b: str, korean: bool) -> tuple[float, str]:
    """Similarity of two tokens in [0, 1] and how it was found."""
    if a == b:
        return 1.0, "="
    if not a or not b:
        return 0.0, "≠"
    if a.isdigit() or b.isdigit():
        return 0.0, "≠"
    if korean:
        ka, kb = korean_key(a), korean_key(b)
        if ka == kb:
            return 0.95, "≈ko"
        if ka.replace("u", "o") == kb.replace("u", "o"):
            return 0.85, "≈ko"
    if len(a) == 1 or len(b) == 1:
        if a[0] == b[0] and not korean:  # a one-letter Korean key (Li → i) is no initial
            return 0.75, "initial"
        return 0.0, "≠"
    longest = max(len(a), len(b))
    dist = OSA.distance(a, b)  # a transposition (Donlad/Donald) is one edit
    if korean:
        dist = min(dist, OSA.distance(korean_key(a), korean_key(b)))
    # parts of up to 4 letters tolerate no edit (Fang/Pang, Jing/Jeng), 5 letters one, longer two+
    allowed = 0 if longest <= 4 else (1 if longest <= 5 else max(2, longest // 4))
    if dist > allowed:
        return 0.0, "≠"
    sim = 1.0 - dist / longest
    if sim < MIN_TOKEN_SIM:
        return 0.0, "≠"
    # one edit in a short part (Garden/Golden, Jang/Kang) is weaker evidence than its
    # share of letters suggests
    return sim**FUZZY_POWER, "~"


MAX_JOINED = 4  # syllables written apart that may be one word (NAM CHON GANG / NAMCHONGANG)


def _merge(a: list[tuple[str, float]], b_set: set[str]) -> list[tuple[str, float]]:
    """Join runs of 2-4 adjacent tokens of ``a`` whose concatenation is a token of ``b``
    (Jong-un/Jongun, NAM CHON GANG/NAMCHONGANG), longest run first."""
    if len(a) < 2:
        return a
    longest = max(map(len, b_set), default=0)
    out: list[tuple[str, float]] = []
    i = 0
    while i < len(a):
        joined, take = a[i][0], 1
        for n in range(2, min(MAX_JOINED, len(a) - i) + 1):
            joined += a[i + n - 1][0]
            if len(joined) > longest:
                break
            if joined in b_set:
                take = n
        if take > 1:
            run = a[i : i + take]
            out.append(("".join(t for t, _ in run), max(w for _, w in run)))
        else:
            out.append(a[i])
        i += take
    return out


def _is_short(tokens: Sequence[str]) -> bool:
    """Two short parts (``Li Na``, ``Wei Zhao``): too little material to forgive any edit."""
    return len(tokens) == 2 and all(len(t) <= 3 and not t.isdigit() for t in tokens)


def align(q: NameForm, r: NameForm) -> tuple[float, list[TokenMatch], list[str], list[str]]:
    """Order-free one-to-one token alignment; returns score, matches, unmatched q and r."""
    korean = q.korean and r.korean
    qt = list(zip(q.tokens, q.weights, strict=True))
    rt = list(zip(r.tokens, r.weights, strict=True))
    if korean:
        qk = {korean_key(t) for t, _ in qt}
        rk = {korean_key(t) for t, _ in rt}
        qt = [(korean_key(t), w) for t, w in _merge([(korean_key(t), w) for t, w in qt], rk)]
        rt = [(korean_key(t), w) for t, w in _merge([(korean_key(t), w) for t, w in rt], qk)]
    else:
        qt = _merge(qt, {t for t, _ in rt})
        rt = _merge(rt, {t for t, _ in qt})
    strict = _is_short(q.tokens) and _is_short(r.tokens)
    pairs = []
    for i, (a, _wa) in enumerate(qt):
        for j, (b, _wb) in enumerate(rt):
            sim, how = token_sim(a, b, korean)
            if sim > 0 and (not strict or sim >= STRICT_SIM):
                pairs.append((sim, -abs(i - j), i, j, how))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_r: set[int] = set()
    matches: list[TokenMatch] = []
    num = den = 0.0
    solid = 0.0  # weight matched by more than an initial
    extra_qw = extra_rw = 0.0
    for sim, _, i, j, how in pairs:
        if i in used_q or j in used_r:
            continue
        used_q.add(i)
        used_r.add(j)
        wa, wb = qt[i][1], rt[j][1]
        if how == "initial":
            # an initial carries only the initial's information; the rest of the full
            # part it stands for is unconfirmed
            w = 2 * min(wa, wb)
            extra_qw += wa - min(wa, wb)
            extra_rw += wb - min(wa, wb)
        else:
            w = wa + wb
            solid += w
        num += sim * w
        den += w
        matches.append(TokenMatch(qt[i][0], rt[j][0], sim, how))
    if solid == 0.0:  # initials alone never make a match
        return 0.0, matches, [t for t, _ in qt], [t for t, _ in rt]
    extra_q = [t for k, (t, _) in enumerate(qt) if k not in used_q]
    extra_r = [t for k, (t, _) in enumerate(rt) if k not in used_r]
    unmatched_q = sum(w for k, (_, w) in enumerate(qt) if k not in used_q)
    unmatched_r = sum(w for k, (t, w) in enumerate(rt) if k not in used_r and t not in r.family)
    # a listed family name the query lacks is missing evidence, not an extra given name
    unmatched_fam = sum(w for k, (t, w) in enumerate(rt) if k not in used_r and t in r.family)
    den += EXTRA_QUERY * (unmatched_q + extra_qw)
    # a listed part absent from the query is a weak signal; one that conflicts with an
    # unmatched query part (Kim Jong *Man* vs Kim Jong *Sik*) counts in full
    factor = EXTRA_CONFLICT if extra_q else EXTRA_RESULT
    den += factor * unmatched_r + max(factor, EXTRA_FAMILY) * unmatched_fam
    den += EXTRA_RESULT * extra_rw
    return (num / den if den else 0.0), matches, extra_q, extra_r


def _acronym(q: NameForm, r: NameForm) -> bool:
    for a, b in ((q, r), (r, q)):
        if len(a.tokens) == 1 and len(a.tokens[0]) >= 3 and len(b.tokens) >= 3:
            initials = "".join(t[0] for t in b.tokens)
            strong = "".join(t[0] for t, w in zip(b.tokens, b.weights, strict=True) if w >= 1)
            if a.tokens[0] in (initials, strong):
                return True
    return False


def compare_forms(q: NameForm, r: NameForm, vessel: bool = False) -> ft.Score:
    """Score two name forms: best main name feature plus the number qualifiers.

    For ``vessel`` names a number on one side only is a conflict (``KUM UN SAN 3`` is not
    ``KUM UN SAN``: DPRK fleets number sister ships), not just missing evidence; a code with
    letters (``DY905``) stays missing evidence.
    """
    mains: list[ft.FeatureResult] = []
    if q.literal and q.literal == r.literal:
        mains.append(ft.main("name_literal", 1.0, f"{q.original!r} = {r.original!r}"))
    score, matches, extra_q, extra_r = align(q, r)
    if score > 0:
        detail = ", ".join(
            f"{m.query}{m.how}{m.result}" + (f" {m.sim:.2f}" if m.sim < 1 else "") for m in matches
        )
        if extra_q:
            detail += "; query only: " + " ".join(extra_q)
        if extra_r:
            detail += "; listed only: " + " ".join(extra_r)
        mains.append(ft.main("name_tokens", score, detail))
    qj, rj = q.joined, r.joined
    if len(qj) >= 5 and len(rj) >= 5:
        joined = Levenshtein.normalized_similarity(qj, rj)
        if joined >= 0.9:
            mains.append(ft.main("name_joined", joined, f"{qj} ~ {rj}"))
    if _acronym(q, r):
        mains.append(ft.main("name_acronym", 1.0, f"{q.original!r} ~ {r.original!r}"))
    quals: list[ft.FeatureResult] = []
    if q.numbers and r.numbers and q.numbers != r.numbers:
        quals.append(
            ft.qualifier(
                "number_mismatch", f"{'/'.join(sorted(q.numbers))} ≠ {'/'.join(sorted(r.numbers))}"
            )
        )
    elif bool(q.numbers) != bool(r.numbers):
        one_side = q.numbers | r.numbers
        # a ship's sequence number (KUM UN SAN 3) conflicts; a code with letters (DY905) is
        # a hull or registration mark, missing evidence only
        numbered = vessel and all(n.isdigit() for n in one_side)
        quals.append(
            ft.qualifier(
                "number_missing_vessel" if numbered else "number_missing",
                "/".join(sorted(one_side)),
            )
        )
    return ft.combine(mains, quals)


def compare_names(
    query: str | Sequence[str], result: str | Sequence[str], schema: str | None = None
) -> ft.Score:
    """Best score over all readings of all names on each side."""
    qs = [query] if isinstance(query, str) else list(query)
    rs = [result] if isinstance(result, str) else list(result)
    best: ft.Score | None = None
    vessel = schema == "Vessel"
    for qn in qs:
        for rn in rs:
            for qf in name_forms(qn, schema):
                for rf in name_forms(rn, schema):
                    s = compare_forms(qf, rf, vessel)
                    if best is None or s.score > best.score:
                        best = s
    return best if best is not None else ft.Score(0.0, None, ())


def score_pair(name1: str, name2: str, schema: str | None = None) -> ft.Score:
    """Score a pair of names (``name1`` is the query, ``name2`` the listed name)."""
    return compare_names(name1, name2, schema)


# --- entities -----------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")


def normalize_imo(value: object) -> int | None:
    """An IMO number from ``9123456`` / ``IMO 9123456`` / ``'IMO9123456'``; None if not valid."""
    if value is None:
        return None
    m = _DIGITS.search(str(value))
    if not m or len(m.group()) != 7:
        return None
    imo = int(m.group())
    return imo if imo_is_valid(imo) else None


def _norm_id(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())


@dataclass(frozen=True, slots=True)
class Query:
    """What is screened: a name plus optional facts that sharpen the score."""

    name: str
    schema: str | None = None
    imo: int | None = None
    mmsi: str | None = None
    country: str | None = None
    birth_date: str | None = None
    identifiers: tuple[str, ...] = ()


@dataclass(slots=True)
class Record:
    """A listed entity as the matcher sees it (built from an FtM entity by the index)."""

    id: str
    schema: str
    caption: str
    names: tuple[str, ...]
    datasets: tuple[str, ...] = ()
    imos: frozenset[int] = frozenset()
    mmsis: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    birth_dates: frozenset[str] = frozenset()
    identifiers: frozenset[str] = frozenset()
    forms: tuple[NameForm, ...] = field(default_factory=tuple)


def _country_codes(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower()[:2] for v in values if v and v.strip())


def compare_record(
    query: Query,
    qforms: Sequence[NameForm],
    rec: Record,
    pairs: Iterable[tuple[NameForm, NameForm]] | None = None,
) -> ft.Score:
    """Score a query against a listed entity: best name form, identifiers, qualifiers.

    ``pairs`` limits the name comparison to these (query form, listed form) pairs (the
    index passes the pre-selected ones); by default every pair is compared.
    """
    if pairs is None:
        pairs = ((qf, rf) for qf in qforms for rf in rec.forms)
    best: ft.Score | None = None
    vessel = rec.schema == "Vessel"
    for qf, rf in pairs:
        s = compare_forms(qf, rf, vessel)
        if best is None or s.score > best.score:
            best = s
    mains = [best.best] if best is not None and best.best is not None else []
    quals = [f for f in best.features if f.weight < 0] if best is not None else []
    imo = normalize_imo(query.imo)
    if imo is not None and rec.imos:
        if imo in rec.imos:
            mains.append(ft.main("imo_match", 1.0, f"IMO {imo}"))
            # renamed ships keep their IMO: a name's number no longer argues against it
            quals = [q for q in quals if not q.name.startswith("number_")]
        else:
            quals.append(ft.qualifier("imo_mismatch", f"IMO {imo} ∉ {sorted(rec.imos)}"))
    if query.mmsi and _norm_id(query.mmsi) in rec.mmsis:
        mains.append(ft.main("mmsi_match", 1.0, f"MMSI {query.mmsi}"))
    for ident in query.identifiers:
        if _norm_id(ident) in rec.identifiers:
            mains.append(ft.main("identifier_match", 1.0, ident))
            break
    if query.country and rec.countries:
        qc = query.country.strip().lower()[:2]
        if qc not in rec.countries:
            quals.append(
                ft.qualifier("country_mismatch", f"{qc} ∉ {','.join(sorted(rec.countries))}")
            )
    if query.birth_date and rec.birth_dates:
        qd = query.birth_date.strip()
        if not any(d[:4] == qd[:4] for d in rec.birth_dates):
            quals.append(
                ft.qualifier("dob_year_mismatch", f"{qd} vs {','.join(sorted(rec.birth_dates))}")
            )
        elif len(qd) >= 10 and not any(d[:10] == qd[:10] or len(d) < 10 for d in rec.birth_dates):
            quals.append(
                ft.qualifier("dob_day_mismatch", f"{qd} vs {','.join(sorted(rec.birth_dates))}")
            )
    return ft.combine(mains, quals)
