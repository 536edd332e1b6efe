"""UN 1718 Committee "Designated Vessels List" as CSV.

Columns: ``imo, name, other_names, mmsi, flags, call_signs, vessel_type, date_designated,
other_information``; several values in one cell are separated by ``;`` in UN order. The UN
does not say which name or flag is current: ``name`` is taken as the name and ``other_names``
as ``previousName``; the first flag as ``flag`` and the rest as ``pastFlags``. Every MMSI and
call sign is kept. Entity ids are ``un1718-<imo>`` (``un1718-<name slug>`` without an IMO). The
list date comes from the file name (``…_2020-06-04.csv``) or must be given.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from sanctionwatch.ids import imo_is_valid
from sanctionwatch.sanctions.model import (
    EntityBuilder,
    ListFormatError,
    ListMeta,
    ParsedList,
    read_text,
    resolve_list_date,
    slug,
)

DATASET = "un_1718_vessels"
COLUMNS = ("imo", "name", "other_names", "mmsi", "flags", "call_signs", "vessel_type",
           "date_designated", "other_information")


def _split(cell: str | None) -> list[str]:
    return [v.strip() for v in (cell or "").split(";") if v.strip()]


def read_un1718_csv(
    path: str | Path, dataset: str | None = None, list_date: date | None = None
) -> ParsedList:
    """Read the 1718 designated-vessels CSV into ``Vessel`` and ``Sanction`` statements."""
    path = Path(path)
    day, how = resolve_list_date(path, list_date)
    meta = ListMeta(dataset or DATASET, day, how, "un1718_csv", str(path))
    out = ParsedList(meta)
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ())[:2] != COLUMNS[:2]:
            raise ListFormatError(path, "line 1", f"header is not {','.join(COLUMNS)}")
        for row in reader:
            _row(path, meta, out, row, reader.line_num)
    return out


def _row(path: Path, meta: ListMeta, out: ParsedList, row: dict[str, str], line: int) -> None:
    record = f"line {line}"
    if None in row:
        raise ListFormatError(path, record, "more cells than header columns")
    name = (row.get("name") or "").strip()
    if not name:
        raise ListFormatError(path, record, "empty name")
    imo = (row.get("imo") or "").strip()
    if imo and not (imo.isdigit() and imo_is_valid(int(imo))):
        raise ListFormatError(path, record, f"invalid IMO number {imo!r}")
    key = imo or slug(name)
    record = f"line {line} (IMO {imo})" if imo else f"line {line} ({name})"
    b = EntityBuilder("Vessel", f"un1718-{key}", meta, record)
    b.add("name", name)
    for other in _split(row.get("other_names")):
        b.add("previousName", other)
    b.add("imoNumber", f"IMO{imo}" if imo else None)
    for mmsi in _split(row.get("mmsi")):
        if not (mmsi.isdigit() and len(mmsi) == 9):
            raise ListFormatError(path, record, f"invalid MMSI {mmsi!r}")
        b.add("mmsi", mmsi)
    flags = _split(row.get("flags"))
    for i, flag in enumerate(flags):
        b.add("flag" if i == 0 else "pastFlags", flag)
    for sign in _split(row.get("call_signs")):
        b.add("callSign", sign)
    b.add("type", row.get("vessel_type"))
    info = (row.get("other_information") or "").strip()
    b.add("notes", None if info.lower() == "na" else info)
    b.add("topics", "sanction")
    b.add("program", "DPRK")
    s = EntityBuilder("Sanction", f"{b.id}-sanction", meta, record)
    s.add("entity", b.id)
    s.add("authority", "UN Security Council 1718 Committee")
    s.add("program", "DPRK")
    designated = (row.get("date_designated") or "").strip()
    if designated and not s.add("listingDate", designated):
        raise ListFormatError(path, record, f"invalid date_designated {designated!r}")
    out.statements.extend(b.statements)
    out.statements.extend(s.statements)
