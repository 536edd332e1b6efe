"""Name normalisation: scripts to Latin, tokens, honorifics, company forms, numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

from sanctionwatch.screening import chinese, korean
from sanctionwatch.screening.rarity import rarity

# Abbreviations seen in list and customer data (nomenklatura issue 274: "COMM GRP", "SRVCES").
ABBREVIATIONS = {
    "corp": "corporation",
    "co": "company",
    "cos": "companies",
    "intl": "international",
    "int'l": "international",
    "grp": "group",
    "comm": "communication",
    "comms": "communications",
    "tech": "technology",
    "techn": "technology",
    "srvces": "services",
    "svcs": "services",
    "svc": "service",
    "servs": "services",
    "mfg": "manufacturing",
    "inds": "industries",
    "ind": "industry",
    "hldgs": "holdings",
    "hldg": "holding",
    "dev": "development",
    "devt": "development",
    "mgmt": "management",
    "natl": "national",
    "assn": "association",
    "bros": "brothers",
    "engg": "engineering",
    "eng": "engineering",
    "trdg": "trading",
    # shipping-register abbreviations (OFAC SDN writes ``PAEKSOL SHPG CO``)
    "shpg": "shipping",
    "shpng": "shipping",
    "shipg": "shipping",
    "jv": "joint venture",
    "mgt": "management",
    "genl": "general",
    "govt": "government",
    "univ": "university",
    "inst": "institute",
    "ent": "enterprise",
    "imp": "import",
    "exp": "export",
    "mfrs": "manufacturers",
    "sys": "systems",
    "elec": "electric",
    "petrochem": "petrochemical",
    "pharma": "pharmaceutical",
    "st": "saint",
    "mt": "mount",
    "ft": "fort",
    "mohd": "mohammed",
    "muhammad": "mohammed",
    "mohamed": "mohammed",
    "mohammad": "mohammed",
    "muhammed": "mohammed",
}
# Legal-form words dropped from organisation names (kept for the literal comparison).
LEGAL_FORMS = frozenset(
    [
        "ltd",
        "limited",
        "llc",
        "inc",
        "incorporated",
        "plc",
        "jsc",
        "ojsc",
        "pjsc",
        "cjsc",
        "ooo",
        "oao",
        "zao",
        "pao",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "pte",
        "pvt",
        "llp",
        "lp",
        "kg",
        "kft",
        "oy",
        "ab",
        "kk",
        "sdn",
        "bhd",
        "tov",
        "dd",
        "doo",
        "ad",
        "eood",
        "sro",
        "as",
        "ltda",
        "sac",
        "ulc",
        "fze",
        "fzc",
        "fzco",
        "fzllc",
        "dmcc",
        "ptc",
        "pty",
        "aktiengesellschaft",
    ]
)
# Longest first: ``open joint stock company`` goes whole, not leaving ``open`` behind.
LEGAL_PHRASES = (
    ("open", "joint", "stock", "company"),
    ("closed", "joint", "stock", "company"),
    ("public", "joint", "stock", "company"),
    ("gesellschaft", "mit", "beschrankter", "haftung"),
    ("societatea", "cu", "raspundere", "limitata"),
    ("joint", "stock", "company"),
    ("limited", "liability", "company"),
    ("public", "limited", "company"),
    ("sp", "z", "o", "o"),
    ("s", "a"),
    ("s", "r", "l"),
    ("a", "s"),
    ("co", "ltd"),
    ("company", "limited"),
    ("private", "limited"),
)
# Generic organisation words: kept but weak (``Samsung Electronics Co.`` ≈ ``Samsung Electronics``).
GENERIC = frozenset(
    [
        "company",
        "companies",
        "corporation",
        "group",
        "holding",
        "holdings",
        "international",
        "trading",
        "trade",
        "joint",
        "venture",
        "enterprise",
        "enterprises",
        "industries",
        "industry",
        "general",
        "the",
        "of",
        "and",
        "und",
        "et",
    ]
)
# Name particles: kept but weak.
PARTICLES = frozenset(
    [
        "al",
        "el",
        "bin",
        "ibn",
        "bint",
        "abu",
        "ben",
        "de",
        "van",
        "von",
        "der",
        "den",
        "la",
        "le",
        "da",
        "di",
        "del",
        "dos",
        "das",
        "y",
    ]
)
HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mister",
        "dr",
        "prof",
        "sir",
        "madam",
        "dame",
        "lord",
        "hon",
        "haji",
        "hajji",
        "mullah",
        "maulvi",
        "maulana",
        "sheikh",
        "shaikh",
        "sheik",
        "general",
        "gen",
        "colonel",
        "col",
        "captain",
        "capt",
        "admiral",
        "major",
        "lieutenant",
    ]
)
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
# A UN reference appended to a name, with or without brackets: ``(KPE.018)``, ``KPi.066``.
_LIST_REF = re.compile(r"\s*\(?\b[A-Z]{2}[ie]\.\d{2,3}\b\)?", re.IGNORECASE)
# A bracketed part of a name: ``Jin Tiesan (金铁三)``.
_BRACKETED = re.compile(r"\(([^()]*)\)")
_NUMBER_SIGN = re.compile(r"\bno\.(?=\d)", re.IGNORECASE)  # ``No.2`` → ``No 2``
_APOSTROPHES = re.compile(r"['’‘`ʼʻ´]")
_INNER_DOT = re.compile(r"(?<=\w)\.(?=\w)")
_SPLIT = re.compile(r"[^a-z0-9]+")

W_NORMAL, W_GENERIC, W_PARTICLE, W_INITIAL = 1.0, 0.35, 0.3, 0.5


@dataclass(frozen=True, slots=True)
class NameForm:
    """One Latin reading of a name, ready to compare."""

    original: str
    script: str  # latin | hangul | hanja | han-mandarin | other
    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    numbers: frozenset[str]
    literal: str  # all letters and digits, legal forms included
    korean: bool
    family: frozenset[str] = frozenset()  # family-name tokens, when the list marks them

    @property
    def joined(self) -> str:
        """Tokens without spaces (``JanDaniel`` ≈ ``Jan Daniel``)."""
        return "".join(self.tokens)


def _tokens(text: str) -> list[str]:
    text = _NUMBER_SIGN.sub("no ", text)
    text = _APOSTROPHES.sub("", text.lower()).replace("&", " and ")
    text = _INNER_DOT.sub("", text)
    return [t for t in _SPLIT.split(text) if t]


def _drop_phrases(tokens: list[str]) -> list[str]:
    out = list(tokens)
    for phrase in LEGAL_PHRASES:
        n = len(phrase)
        i = 0
        while i + n <= len(out):
            if tuple(out[i : i + n]) == phrase and len(out) > n:
                del out[i : i + n]
            else:
                i += 1
    return out


def _latin_readings(name: str) -> list[tuple[str, str]]:
    """(script, Latin text) readings of ``name``."""
    text = unicodedata.normalize("NFKC", name)
    has_hangul = any(korean.is_hangul(c) for c in text)
    if chinese.has_han(text):
        text = chinese.strip_cjk_legal_forms(text)
        out = [("han-mandarin", anyascii(chinese.mandarin(text)))]
        kor = chinese.korean_reading(text)
        for system in korean.SYSTEMS:
            out.append(("hanja", anyascii(korean.romanize_name(kor, system))))
        return out
    if has_hangul:
        text = chinese.strip_cjk_legal_forms(text)
        return [("hangul", anyascii(korean.romanize_name(text, s))) for s in korean.SYSTEMS]
    latin = anyascii(text)
    return [("latin" if latin == text else "other", latin)]


def _form(original: str, script: str, text: str, is_org: bool) -> NameForm:
    raw = _tokens(text)
    literal = "".join(raw)
    toks = [w for t in raw for w in ABBREVIATIONS.get(t, t).split()]
    toks = [t for t in toks if t not in HONORIFICS] or toks
    if is_org:
        toks = _drop_phrases(toks)
        kept = [t for t in toks if t not in LEGAL_FORMS]
        toks = kept or toks
        toks = [_ROMAN.get(t, t) for t in toks]
    # "No. 3" / "No 3": the number carries the meaning
    toks = [
        t
        for i, t in enumerate(toks)
        if not (t == "no" and i + 1 < len(toks) and toks[i + 1].isdigit())
    ]
    toks = [t.lstrip("0") or "0" if t.isdigit() else t for t in toks]
    weights = []
    for t in toks:
        if t in GENERIC:
            weights.append(W_GENERIC)
        elif t in PARTICLES:
            weights.append(W_PARTICLE)
        elif len(t) == 1 and not t.isdigit():
            weights.append(W_INITIAL)
        else:
            weights.append(W_NORMAL * rarity(t))
    numbers = frozenset(t for t in toks if any(c.isdigit() for c in t))
    # lists write people as ``FAMILY, Given`` (OFAC, UN aliases): the part before the comma
    family = (
        frozenset(
            w for t in _tokens(text.split(",", 1)[0]) for w in ABBREVIATIONS.get(t, t).split()
        )
        & set(toks)
        if not is_org and text.count(",") == 1
        else frozenset()
    )
    return NameForm(
        original=original,
        script=script,
        tokens=tuple(toks),
        weights=tuple(weights),
        numbers=numbers,
        literal=literal,
        korean=script != "han-mandarin"
        and korean.is_korean_name([t for t in toks if t not in numbers]),
        family=family,
    )


def _is_latin(text: str) -> bool:
    return any(c.isalpha() for c in text) and anyascii(text) == text


def split_name(name: str) -> tuple[str, ...]:
    """The names written in ``name``: a UN reference appended to it (``(KPE.018)``,
    ``KPi.066``) is dropped, and a bracketed name in another script is a name of its own
    (``Jin Tiesan (金铁三)`` → ``Jin Tiesan``, ``金铁三``), and so is a bracketed acronym of
    the name at its end (``… MANAGEMENT COMPANY, LIMITED (OMM)``). Another bracketed part in
    the same script (``HUAXIN SHIPPING (HONGKONG) LTD``) stays in the name."""
    text = " ".join(unicodedata.normalize("NFKC", name).split())
    text = _LIST_REF.sub("", text).strip() or text
    outside = _BRACKETED.sub(" ", text)
    if not any(c.isalnum() for c in outside):
        return (text,)
    initials = "".join(w[0] for w in _tokens(outside))
    inners = [i.strip() for i in _BRACKETED.findall(text) if any(c.isalnum() for c in i)]
    script = [i for i in inners if _is_latin(i) != _is_latin(outside)]
    # ``OCEAN MARITIME MANAGEMENT COMPANY, LIMITED (OMM)``: the acronym is a name too, and the
    # whole stays one (a query may carry the acronym along)
    # (only at the end: ``… CORPS (IRGC)-QODS FORCE`` is not the IRGC)
    last = _BRACKETED.findall(text.rstrip(" .,;"))
    tail = last[-1].strip() if last and text.rstrip(" .,;").endswith(")") else ""
    acronyms = [i for i in inners if i == tail and i not in script and len(i) >= 3
                and initials.startswith(i.lower())]
    if not script and not acronyms:
        return (text,)
    split = [*script, *acronyms]
    kept = _BRACKETED.sub(lambda m: " " if m.group(1).strip() in split else m.group(0), text)
    whole = _BRACKETED.sub(lambda m: " " if m.group(1).strip() in script else m.group(0), text)
    names = [" ".join(kept.split()), *split]
    if acronyms:
        names.append(" ".join(whole.split()))
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=100_000)
def name_forms(name: str, schema: str | None = None) -> tuple[NameForm, ...]:
    """All Latin readings of ``name`` as comparable forms (Hangul gives DPRK, MR and RR;
    Han gives the Sino-Korean readings and Mandarin), for each name :func:`split_name`
    finds in it."""
    is_org = schema not in ("Person",)
    forms: list[NameForm] = []
    seen: set[tuple[str, ...]] = set()
    for part in split_name(name):
        for script, text in _latin_readings(part):
            f = _form(part, script, text, is_org)
            if f.tokens and f.tokens not in seen:
                seen.add(f.tokens)
                forms.append(f)
    return tuple(forms)
