"""Relationships the lists state in prose: the remarks of listed vessels and the comments of
listed companies.

- A vessel's remarks (UN 1718 ``other_information``): "controlled or operated by the designated
  company X" → ``operator`` X; "is owned by X" → ``owner`` X; "economic resources of X
  (KPe.058)" → ``owner`` X, with the UN reference; "ship-to-ship transfer … with M/V Y" →
  ``sts_partner`` Y.
- A company's comments (UN consolidated ``COMMENTS1``): "Registered owner of …", "Ship manager
  of …", "Ship and commercial manager of …", "operator/manager of the vessel …", "owner of …",
  "also owns vessels …", "Y owned by …" → ``owner`` / ``manager`` / ``operator`` of the listed
  vessels named in that clause (found by their listed names, :class:`VesselNames`).

The phrases are those the UN writes (read off the real lists in tests/data/sanctions); text
that says none of them gives nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD_EDGE_L = r"(?<![A-Za-z0-9])"
_WORD_EDGE_R = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class RemarkFact:
    """One relationship read from a listed entity's remarks."""

    relation: str  # owner, manager, operator, sts_partner, linked
    name: str  # the other party as written
    ref: str | None  # a UN reference number given with it (``KPe.058``), upper-cased prefix
    excerpt: str  # the words that state it


def _clean_name(text: str) -> str:
    return " ".join(text.split()).strip(" ,;:.")


_CONTROLLED = re.compile(
    r"controlled or operated by the designated (?:company|entity) (?P<name>.+?)(?:\.(?:\s|$)|$)",
    re.I)
_OWNED = re.compile(r"\bis owned by (?P<name>[^.,;]+?)(?= and | which |[.,;]|$)", re.I)
_RESOURCE = re.compile(
    r"economic resources? of (?P<name>[^().;]+?)\s*\((?P<ref>K[Pp][EeIi]\.\d{3})\)")
_STS_WITH = re.compile(
    r"\bwith (?:(?:the|UN-designated|DPRK|oil|crude|tanker|vessel|merchant|cargo|M/V)\s+)*"
    r"(?P<name>[A-Z0-9][A-Z0-9\-]*(?: [A-Z0-9][A-Z0-9\-]*)*)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def vessel_remark_facts(notes: str) -> list[RemarkFact]:
    """Owner, operator and STS-partner facts in a listed vessel's remarks."""
    out: list[RemarkFact] = []
    for m in _CONTROLLED.finditer(notes):
        out.append(RemarkFact("operator", _clean_name(m.group("name")), None, m.group(0).strip()))
    for m in _OWNED.finditer(notes):
        out.append(RemarkFact("owner", _clean_name(m.group("name")), None, m.group(0).strip()))
    for m in _RESOURCE.finditer(notes):
        ref = m.group("ref")
        ref = "KP" + ref[2].lower() + ref[3:]
        out.append(RemarkFact("owner", _clean_name(m.group("name")), ref, m.group(0).strip()))
    for sentence in _SENTENCE.split(notes):
        low = sentence.lower().replace("- ", "-")
        if "ship-to-ship" not in low or "transfer" not in low:
            continue
        for m in _STS_WITH.finditer(sentence):
            name = _clean_name(m.group("name"))
            if name and not name.isdigit():
                out.append(RemarkFact("sts_partner", name, None, m.group(0).strip()))
    return out


# Company comments: the phrase, then the clause naming the vessel(s). Longest phrases first so
# that "Registered owner, ship manager, and commercial manager of" is read as one.
_COMPANY_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"registered owner, ship manager,? and commercial manager of", ("owner", "manager")),
    (r"registered owner, ship and commercial manager of", ("owner", "manager")),
    (r"ship manager and commercial manager of", ("manager",)),
    (r"ship and commercial manager of", ("manager",)),
    (r"ship manager of", ("manager",)),
    (r"operator/manager of", ("operator", "manager")),
    (r"registered owner of", ("owner",)),
    (r"owner of", ("owner",)),
    (r"also owns vessels?", ("owner",)),
    (r"through its vessel,?", ("owner",)),
)
_COMPANY_RE = re.compile(
    "|".join(f"(?P<p{i}>{_WORD_EDGE_L}{p})" for i, (p, _) in enumerate(_COMPANY_PHRASES)), re.I)
_OWNED_BY = re.compile(r"\bowned by\b", re.I)
_CLAUSE_END = re.compile(r"[.,;](?:\s|$)|\bwhich\b|\bthat\b")


@dataclass(frozen=True)
class CompanyFact:
    """Listed vessels a company's comments say it owns, manages or operates."""

    relations: tuple[str, ...]
    vessel_names: tuple[str, ...]  # as found in the text
    excerpt: str


class VesselNames:
    """Every name of the listed vessels, found in free text (whole words, any case)."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        """``names``: (name, node) pairs; one name may name several nodes."""
        self.nodes: dict[str, set[str]] = {}
        for name, node in names:
            key = self.key(name)
            if len(key) >= 3 and not key.isdigit():
                self.nodes.setdefault(key, set()).add(node)
        alts = sorted(self.nodes, key=len, reverse=True)
        self._re = re.compile(
            _WORD_EDGE_L + "(" + "|".join(re.escape(a) for a in alts) + ")" + _WORD_EDGE_R
        ) if alts else None

    @staticmethod
    def key(name: str) -> str:
        """How names are compared: upper case, single spaces."""
        return " ".join(name.upper().split())

    def find(self, text: str) -> list[str]:
        """The listed vessel names in ``text``, in order (longest name at each place)."""
        if self._re is None:
            return []
        return [m.group(1) for m in self._re.finditer(self.key(text))]

    def lookup(self, name: str) -> set[str]:
        """The nodes a name (exactly, up to case and spacing) belongs to."""
        return self.nodes.get(self.key(name), set())


def company_remark_facts(notes: str, names: VesselNames) -> list[CompanyFact]:
    """The vessels a listed company's comments say it owns, manages or operates."""
    out: list[CompanyFact] = []
    for m in _COMPANY_RE.finditer(notes):
        i = int(next(k for k, v in m.groupdict().items() if v is not None)[1:])
        rest = notes[m.end():]
        end = _CLAUSE_END.search(rest)
        clause = rest[: end.start()] if end else rest
        found = names.find(clause)
        if found:
            out.append(CompanyFact(_COMPANY_PHRASES[i][1], tuple(found),
                                   (m.group(0) + clause).strip()))
    for m in _OWNED_BY.finditer(notes):
        before = notes[: m.start()]
        cut = max(before.rfind(". "), before.rfind(", "), before.rfind("; "))
        clause = before[cut + 2:] if cut >= 0 else before
        found = names.find(clause)
        if found:
            out.append(CompanyFact(("owner",), (found[-1],), (clause + m.group(0)).strip()))
    return out


__all__ = ["CompanyFact", "RemarkFact", "VesselNames", "company_remark_facts",
           "vessel_remark_facts"]
