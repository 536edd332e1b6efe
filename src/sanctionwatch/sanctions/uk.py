"""UK Sanctions List, DPRK regime, as the JSON transcription in ``tests/data/sanctions/uk_dprk``.

The file is ``{"source", "regime", "entries": [...]}``; each entry is one UK designation
(``unique_id`` such as ``DPR0001``) with ``individual_entity_ship`` (Individual → ``Person``,
Entity → ``Organization``, Ship → ``Vessel``), ``names`` split into ``name1`` … ``name6``
(``name6`` is the surname or the whole name of an entity or ship), non-Latin names, addresses
and the UN reference (``un_reference_number``, e.g. ``KPi.073``) of UN-derived designations.
Entity ids are ``uk-<unique_id>``. The list date is the latest ``last_updated`` in the file,
else from the file name, else given. The transcription carries no ship IMO numbers.
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

DATASET = "gb_fcdo_sanctions"
AUTHORITY = "UK Foreign, Commonwealth and Development Office (OFSI)"
_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
# name_type → property; an alias the UK marks "Low quality" is a weak alias
_NAME_PROP = {"primary name": "name", "primary name variation": "alias", "alias": "alias"}


def read_uk_json(
    path: str | Path, dataset: str | None = None, list_date: date | None = None
) -> ParsedList:
    """Read the UK DPRK-regime JSON into Person/Organization/Vessel and Sanction statements."""
    path = Path(path)
    entries = json_entries(path)
    updated = max((str(e.get("last_updated") or "") for e in entries if isinstance(e, dict)),
                  default="")
    from_file = None
    if updated:
        try:
            from_file = (date.fromisoformat(updated[:10]), f"latest last_updated={updated}")
        except ValueError:
            raise ListFormatError(path, "last_updated", f"not a date: {updated!r}") from None
    day, how = resolve_list_date(path, list_date, from_file)
    meta = ListMeta(dataset or DATASET, day, how, "uk_json", str(path))
    out = ParsedList(meta)
    for i, entry in enumerate(entries, start=1):
        _entry(path, meta, out, entry, i)
    return out


def _name(parts: dict[str, Any]) -> str:
    return " ".join(str(parts.get(f"name{i}") or "").strip() for i in range(1, 7)).strip()


def _entry(path: Path, meta: ListMeta, out: ParsedList, e: Any, i: int) -> None:
    where = f"entries[{i - 1}]"
    if not isinstance(e, dict):
        raise ListFormatError(path, where, "not an object")
    uid = str(e.get("unique_id") or "").strip()
    if not uid:
        raise ListFormatError(path, where, "missing unique_id")
    record = f"unique_id {uid}"
    kind = str(e.get("individual_entity_ship") or "").strip().lower()
    schema = _SCHEMA.get(kind)
    if schema is None:
        raise ListFormatError(path, record, f"unknown individual_entity_ship {kind!r}")
    names = (e.get("names") or {}).get("names") or []
    b = EntityBuilder(schema, f"uk-{uid}", meta, record)
    for n in names:
        prop = _NAME_PROP.get(str(n.get("name_type") or "").strip().lower())
        if prop is None:
            raise ListFormatError(path, record, f"unknown name_type {n.get('name_type')!r}")
        if prop == "name" and b.has("name"):
            prop = "alias"
        if "low" in str(n.get("alias_strength") or "").lower():
            prop = "weakAlias"
        b.add(prop, _name(n))
    if not b.has("name"):
        raise ListFormatError(path, record, "no primary name")
    for n in (e.get("non_latin_names") or {}).get("names") or []:
        b.add("alias", str(n.get("name_non_latin_script") or "").strip("() \t"))
    for a in (e.get("addresses") or {}).get("addresses") or []:
        lines = [str(a.get(f"address_line{k}") or "") for k in range(1, 7)]
        country = str(a.get("address_country") or "")
        full = ", ".join(p.strip() for p in [*lines, country] if p.strip())
        if schema != "Vessel":
            b.add("address", full if any(x.strip() for x in lines) else None)
            b.add("country", country)
    b.add("notes", e.get("other_information"))
    b.add("notes", e.get("uk_statement_of_reasons"))
    b.add("topics", "sanction")
    b.add("program", e.get("regime_name"))
    s = EntityBuilder("Sanction", f"{b.id}-sanction", meta, record)
    s.add("entity", b.id)
    s.add("authority", AUTHORITY)
    s.add("authorityId", uid)
    s.add("unscId", e.get("un_reference_number"))
    s.add("program", e.get("regime_name"))
    s.add("provisions", e.get("sanctions_imposed"))
    s.add("listingDate", e.get("date_designated"))
    s.add("modifiedAt", e.get("last_updated"))
    s.add("summary", f"designation source: {e.get('designation_source')}"
          if e.get("designation_source") else None)
    out.statements.extend(b.statements)
    out.statements.extend(s.statements)
