"""UN Security Council Consolidated List (XML, root ``CONSOLIDATED_LIST``).

One ``INDIVIDUAL`` → ``Person``, one ``ENTITY`` → ``Organization``, each with a ``Sanction``
(programme = ``UN_LIST_TYPE``, e.g. ``DPRK``; ``unscId`` = the reference number, e.g.
``KPi.033``). Entity ids are ``un-sc-<reference number>``. The list date is the root's
``dateGenerated``. The list holds no vessels: those are in the 1718 list (:mod:`.un1718`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from sanctionwatch.sanctions.model import (
    EntityBuilder,
    ListFormatError,
    ListMeta,
    ParsedList,
    resolve_list_date,
)

DATASET = "un_sc"
AUTHORITY = "United Nations Security Council"

# QUALITY of an alias → FtM property. "Low" is the UN's own weak-alias marker.
_ALIAS_PROP = {"good": "alias", "a.k.a.": "alias", "": "alias", "low": "weakAlias",
               "f.k.a.": "previousName"}
_DOC_PROP = {"passport": "passportNumber"}


def _text(el: ET.Element | None, tag: str) -> str:
    found = None if el is None else el.findtext(tag)
    return " ".join(found.split()) if found else ""


def _values(el: ET.Element, tag: str) -> list[str]:
    return [v for node in el.findall(tag) if (v := _text(node, "VALUE"))]


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def read_un_xml(
    path: str | Path, dataset: str | None = None, list_date: date | None = None
) -> ParsedList:
    """Read a UN SC consolidated list XML file into statements."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line, col = exc.position
        raise ListFormatError(
            path, f"line {line} column {col}", f"not well-formed XML: {exc}"
        ) from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        raise ListFormatError(path, "line 1 (XML declaration)", str(exc)) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(path, f"root <{root.tag}>", "expected <CONSOLIDATED_LIST>")
    from_file = None
    generated = root.get("dateGenerated", "")
    if generated:
        try:
            from_file = (date.fromisoformat(generated[:10]), f"dateGenerated={generated}")
        except ValueError:
            raise ListFormatError(path, "dateGenerated", f"not a date: {generated!r}") from None
    day, how = resolve_list_date(path, list_date, from_file)
    meta = ListMeta(dataset or DATASET, day, how, "un_xml", str(path))
    out = ParsedList(meta)
    for group, tag, schema in (("INDIVIDUALS", "INDIVIDUAL", "Person"),
                               ("ENTITIES", "ENTITY", "Organization")):
        for i, el in enumerate(root.findall(f"{group}/{tag}"), start=1):
            _record(path, meta, out, el, f"<{tag}> #{i}", schema)
    return out


def _record(
    path: Path, meta: ListMeta, out: ParsedList, el: ET.Element, where: str, schema: str
) -> None:
    dataid = _text(el, "DATAID")
    ref = _text(el, "REFERENCE_NUMBER")
    record = f"DATAID {dataid}" if dataid else where
    if not dataid:
        raise ListFormatError(path, where, "missing DATAID")
    if not ref:
        raise ListFormatError(path, f"{where} ({record})", "missing REFERENCE_NUMBER")
    name = " ".join(
        _text(el, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    ).strip()
    if not name:
        raise ListFormatError(path, f"{where} ({record})", "no name (FIRST_NAME is empty)")
    record = f"DATAID {dataid} ({ref})"
    b = EntityBuilder(schema, f"un-sc-{ref}", meta, record)
    b.add("name", name)
    b.add("alias", _text(el, "NAME_ORIGINAL_SCRIPT"))
    b.add("notes", _text(el, "COMMENTS1"))
    b.add("topics", "sanction")
    list_type = _text(el, "UN_LIST_TYPE")
    b.add("program", list_type)
    for alias in el.findall(f"{el.tag}_ALIAS"):
        quality = _text(alias, "QUALITY").lower()
        prop = _ALIAS_PROP.get(quality)
        if prop is None:
            raise ListFormatError(path, f"{where} ({record})", f"unknown alias QUALITY {quality!r}")
        b.add(prop, _text(alias, "ALIAS_NAME"))
    for addr in el.findall(f"{el.tag}_ADDRESS"):
        country = _text(addr, "COUNTRY")
        b.add("country", country)
        full = _join(*(_text(addr, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE")),
                     country)
        b.add("address", full)
    if schema == "Person":
        _person(b, el)
    s = EntityBuilder("Sanction", f"un-sc-{ref}-sanction", meta, record)
    s.add("entity", b.id)
    s.add("authority", AUTHORITY)
    s.add("unscId", ref)
    s.add("authorityId", ref)
    s.add("program", list_type)
    s.add("listingDate", _text(el, "LISTED_ON"))
    for updated in _values(el, "LAST_DAY_UPDATED"):
        s.add("modifiedAt", updated)
    out.statements.extend(b.statements)
    out.statements.extend(s.statements)


def _person(b: EntityBuilder, el: ET.Element) -> None:
    for v in _values(el, "NATIONALITY"):
        b.add("nationality", v)
    for v in _values(el, "TITLE"):
        b.add("title", v)
    for v in _values(el, "DESIGNATION"):
        b.add("position", v)
    b.add("gender", _text(el, "GENDER").lower())
    for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        exact = _text(dob, "DATE")
        if exact:
            b.add("birthDate", exact[:10])
        b.add("birthDate", _text(dob, "YEAR"))
        lo, hi = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
        if lo.isdigit() and hi.isdigit() and 0 <= int(hi) - int(lo) <= 10:
            for year in range(int(lo), int(hi) + 1):
                b.add("birthDate", str(year))
    for pob in el.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        b.add("birthPlace", _join(*(_text(pob, t) for t in ("CITY", "STATE_PROVINCE", "COUNTRY"))))
        b.add("birthCountry", _text(pob, "COUNTRY"))
    for doc in el.findall("INDIVIDUAL_DOCUMENT"):
        kind = _text(doc, "TYPE_OF_DOCUMENT").lower()
        prop = _DOC_PROP.get(kind, "passportNumber" if "pas" in kind else "idNumber")
        b.add(prop, _text(doc, "NUMBER"))
