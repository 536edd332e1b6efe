"""EU Financial Sanctions Files, programme PRK, as the JSON transcription in
``tests/data/sanctions/eu_dprk``.

The file is ``{"source", "programme", "entries": [...]}``; each entry is one EU designation
(``logical_id``, ``eu_reference_number`` such as ``EU.4011.64``) with ``subject_type`` (person
→ ``Person``, enterprise → ``Organization``), ``name_aliases`` (the first one in English or
without a language is the name, the others aliases, translations into other EU languages
included), birth dates, citizenships, identifications (passport, IMO, SWIFT/BIC), addresses
and the UN reference (``united_nation_id``). Entity ids are ``eu-<logical_id>``. The file
carries no list date: it is the latest regulation publication date in the file, else from
the file name, else given.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sanctionwatch.sanctions.model import (
    EntityBuilder,
    ListFormatError,
    ListMeta,
    ParsedList,
    json_entries,
    resolve_list_date,
)

DATASET = "eu_fsf"
AUTHORITY = "European Union (Council)"
_SCHEMA = {"person": "Person", "enterprise": "Organization"}
_ID_PROP = {"passport": "passportNumber", "imo": "imoNumber", "swiftbic": "swiftBic"}


def _publications(entry: dict[str, Any]) -> list[str]:
    dates = [str(r.get("publication_date") or "") for r in entry.get("regulations") or []]
    for key in ("name_aliases", "birthdates", "addresses", "identifications", "citizenships"):
        for item in entry.get(key) or []:
            dates += [str(r.get("publication_date") or "")
                      for r in item.get("regulation_summaries") or []]
    return [d for d in dates if d]


def read_eu_json(
    path: str | Path, dataset: str | None = None, list_date: date | None = None
) -> ParsedList:
    """Read the EU PRK-programme JSON into Person/Organization and Sanction statements."""
    path = Path(path)
    entries = json_entries(path)
    latest = max((d for e in entries if isinstance(e, dict) for d in _publications(e)),
                 default="")
    from_file = None
    if latest:
        try:
            from_file = (date.fromisoformat(latest[:10]),
                         f"latest regulation publication_date={latest}")
        except ValueError:
            raise ListFormatError(path, "publication_date", f"not a date: {latest!r}") from None
    day, how = resolve_list_date(path, list_date, from_file)
    meta = ListMeta(dataset or DATASET, day, how, "eu_json", str(path))
    out = ParsedList(meta)
    for i, entry in enumerate(entries, start=1):
        _entry(path, meta, out, entry, i)
    return out


def _entry(path: Path, meta: ListMeta, out: ParsedList, e: Any, i: int) -> None:
    where = f"entries[{i - 1}]"
    if not isinstance(e, dict):
        raise ListFormatError(path, where, "not an object")
    lid = str(e.get("logical_id") or "").strip()
    if not lid:
        raise ListFormatError(path, where, "missing logical_id")
    ref = str(e.get("eu_reference_number") or "").strip()
    record = f"logical_id {lid}" + (f" ({ref})" if ref else "")
    kind = str((e.get("subject_type") or {}).get("code") or "").strip().lower()
    schema = _SCHEMA.get(kind)
    if schema is None:
        raise ListFormatError(path, record, f"unknown subject_type {kind!r}")
    aliases = [a for a in e.get("name_aliases") or [] if str(a.get("whole_name") or "").strip()]
    if not aliases:
        raise ListFormatError(path, record, "no name")
    main = next((a for a in aliases if (a.get("name_language") or "EN") == "EN"), aliases[0])
    b = EntityBuilder(schema, f"eu-{lid}", meta, record)
    b.add("name", main["whole_name"])
    for a in aliases:
        alias_record = f"{record} name_alias {a.get('logical_id')}"
        if a is not main:
            b.add("alias" if a.get("strong", True) else "weakAlias", a["whole_name"],
                  alias_record)
        if schema == "Person":
            b.add("position", a.get("function"), alias_record)
            b.add("gender", str(a.get("gender") or "").lower() or None, alias_record)
            b.add("title", a.get("title"), alias_record)
    for d in e.get("birthdates") or []:
        rec = f"{record} birthdate {d.get('logical_id')}"
        b.add("birthDate", d.get("birthdate") or (str(d["year"]) if d.get("year") else None),
              rec, quiet=True)
        b.add("birthPlace", ", ".join(str(d[k]) for k in ("city", "place", "region") if d.get(k))
              or None, rec, quiet=True)
        if d.get("country_iso2_code") not in (None, "", "00"):
            b.add("birthCountry", d["country_iso2_code"], rec, quiet=True)
    for c in e.get("citizenships") or []:
        if c.get("country_iso2_code") not in (None, "", "00"):
            b.add("nationality", c["country_iso2_code"],
                  f"{record} citizenship {c.get('logical_id')}", quiet=True)
    for ident in e.get("identifications") or []:
        prop = _ID_PROP.get(str(ident.get("identification_type_code") or "").lower(), "idNumber")
        number = str(ident.get("number") or "").strip()
        value = f"IMO{number}" if prop == "imoNumber" and number.isdigit() else number
        b.add(prop, value, f"{record} identification {ident.get('logical_id')}", quiet=True)
    for a in e.get("addresses") or []:
        rec = f"{record} address {a.get('logical_id')}"
        parts = [str(a.get(k) or "").strip() for k in ("street", "city", "region", "zip_code",
                                                         "country_description")]
        b.add("address", ", ".join(p for p in parts if p) or None, rec)
        if a.get("country_iso2_code") not in (None, "", "00"):
            b.add("country", a["country_iso2_code"], rec)
    b.add("notes", e.get("remark"))
    b.add("topics", "sanction")
    b.add("program", "PRK")
    s = EntityBuilder("Sanction", f"{b.id}-sanction", meta, record)
    s.add("entity", b.id)
    s.add("authority", AUTHORITY)
    s.add("authorityId", ref or None)
    s.add("unscId", e.get("united_nation_id"))
    s.add("program", "PRK")
    regs = e.get("regulations") or []
    first = min((str(r.get("publication_date") or "") for r in regs if r.get("publication_date")),
                default="")
    s.add("listingDate", first or None)
    for r in regs:
        s.add("sourceUrl", r.get("publication_url"))
    out.statements.extend(b.statements)
    out.statements.extend(s.statements)
