"""OFAC SDN list in the legacy CSV set: ``sdn.csv``, ``alt.csv``, ``add.csv``, ``sdn_comments.csv``.

The files have no header row, are latin-1, use ``-0-`` for empty and may end with ``\\x1a``.
Columns (OFAC data specification):

- ``sdn.csv``: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
  Vess_flag, Vess_owner, Remarks
- ``alt.csv``: ent_num, alt_num, alt_type (aka/fka/nka), alt_name, alt_remarks
- ``add.csv``: ent_num, add_num, address, city/state/postal code, country, add_remarks
- ``sdn_comments.csv``: ent_num, remarks continued (remarks longer than the field)

SDN_Type ``individual`` → ``Person``, ``vessel`` → ``Vessel``, ``aircraft`` → ``Airplane``,
``-0-`` → ``Organization``. Identifiers, dates of birth and former flags are parsed from the
remarks (e.g. ``Vessel Registration Identification IMO 8405270; MMSI 445113000``). Entity ids
are ``us-ofac-<ent_num>`` (OpenSanctions' own exports use ``ofac-<ent_num>``; a different
prefix keeps both loadable side by side). The files carry no publication date, so the list date
comes from the folder or file name (``ofac_sdn_2019-01/``) or must be given.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

from sanctionwatch.sanctions.model import (
    EntityBuilder,
    ListFormatError,
    ListMeta,
    ParsedList,
    resolve_list_date,
)

DATASET = "us_ofac_sdn"
AUTHORITY = "US Treasury Office of Foreign Assets Control"
_SCHEMA = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "Organization"}
_ALT_PROP = {"aka": "alias", "fka": "previousName", "nka": "alias"}
_NONE = "-0-"

_QUOTED = re.compile(r"'([^']+)'")
_PASSPORT_END = re.compile(r"\s*\(|\s+(?:issued|expires)\b", re.IGNORECASE)
_IMO = re.compile(r"\bIMO\s*(\d{7})\b")
_MMSI = re.compile(r"^MMSI\s+(\d{9})$")
_DATE_FORMATS = ("%d %b %Y", "%b %Y", "%Y")


def ofac_files(path: Path) -> Path:
    """The folder holding ``sdn.csv`` for ``path`` (the folder itself or any of its files)."""
    folder = path if path.is_dir() else path.parent
    if not (folder / "sdn.csv").is_file():
        raise ListFormatError(path, "sdn.csv", "no sdn.csv in this folder")
    return folder


def _read(path: Path, ncols: int) -> Iterator[tuple[int, list[str]]]:
    """Rows of one headerless OFAC CSV with their line numbers; wrong widths are errors."""
    if not path.is_file():
        return
    with path.open(encoding="latin-1", newline="") as fh:
        reader = csv.reader(fh)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip("\x1a \t")):
                continue
            if len(row) != ncols:
                raise ListFormatError(
                    path, f"line {reader.line_num}", f"{len(row)} columns, expected {ncols}"
                )
            cells = [c.strip() for c in row]
            yield reader.line_num, ["" if c == _NONE else c for c in cells]


def read_ofac_csv(
    path: str | Path, dataset: str | None = None, list_date: date | None = None
) -> ParsedList:
    """Read an OFAC legacy CSV set (folder, or the path of its ``sdn.csv``) into statements."""
    folder = ofac_files(Path(path))
    day, how = resolve_list_date(folder / "sdn.csv", list_date)
    meta = ListMeta(dataset or DATASET, day, how, "ofac_csv", str(folder))
    comments: dict[str, str] = {}
    for _, row in _read(folder / "sdn_comments.csv", 2):
        comments[row[0]] = comments.get(row[0], "") + row[1]
    builders: dict[str, EntityBuilder] = {}
    sanctions: list[EntityBuilder] = []
    sdn_path = folder / "sdn.csv"
    for line, row in _read(sdn_path, 12):
        _sdn(sdn_path, meta, line, row, comments, builders, sanctions)
    if not builders:
        raise ListFormatError(sdn_path, "line 1", "no SDN records")
    alt_path = folder / "alt.csv"
    for line, row in _read(alt_path, 5):
        b = _owner(alt_path, line, row, builders)
        prop = _ALT_PROP.get(row[2].lower())
        if prop is None:
            raise ListFormatError(alt_path, f"line {line}", f"unknown alt_type {row[2]!r}")
        b.add(prop, row[3], f"alt.csv line {line} (alt_num {row[1]})")
    add_path = folder / "add.csv"
    for line, row in _read(add_path, 6):
        b = _owner(add_path, line, row, builders)
        record = f"add.csv line {line} (add_num {row[1]})"
        b.add("address", ", ".join(c for c in row[2:5] if c), record)
        b.add("country", row[4], record)
    out = ParsedList(meta)
    for b in builders.values():
        out.statements.extend(b.statements)
    for s in sanctions:
        out.statements.extend(s.statements)
    return out


def _owner(
    path: Path, line: int, row: list[str], builders: dict[str, EntityBuilder]
) -> EntityBuilder:
    b = builders.get(row[0])
    if b is None:
        raise ListFormatError(path, f"line {line}", f"ent_num {row[0]!r} is not in sdn.csv")
    return b


def _sdn(
    path: Path,
    meta: ListMeta,
    line: int,
    row: list[str],
    comments: dict[str, str],
    builders: dict[str, EntityBuilder],
    sanctions: list[EntityBuilder],
) -> None:
    ent_num, name, sdn_type, program = row[0], row[1], row[2].lower(), row[3]
    where = f"line {line}"
    if not ent_num.isdigit():
        raise ListFormatError(path, where, f"ent_num {ent_num!r} is not a number")
    if ent_num in builders:
        raise ListFormatError(path, where, f"duplicate ent_num {ent_num}")
    if not name:
        raise ListFormatError(path, where, "empty SDN_Name")
    schema = _SCHEMA.get(sdn_type)
    if schema is None:
        raise ListFormatError(path, where, f"unknown SDN_Type {row[2]!r}")
    record = f"sdn.csv line {line} (ent_num {ent_num})"
    b = EntityBuilder(schema, f"us-ofac-{ent_num}", meta, record)
    builders[ent_num] = b
    b.add("name", name)
    if schema == "Person" and ", " in name:
        last, first = name.split(", ", 1)
        b.add("lastName", last)
        b.add("firstName", first)
    programs = [p.strip() for p in program.strip("[]").split("] [") if p.strip()]
    for p in programs:
        b.add("program", p)
    b.add("topics", "sanction")
    if schema == "Person":
        b.add("position", row[4])
    if schema == "Vessel":
        b.add("callSign", row[5])
        b.add("type", row[6])
        b.add("tonnage", row[7].replace(",", ""))
        b.add("grossRegisteredTonnage", row[8].replace(",", ""))
        b.add("flag", row[9])
    remarks = row[11] + comments.get(ent_num, "")
    b.add("notes", remarks)
    if row[10]:
        b.add("notes", f"Vessel owner: {row[10]}")
    _remarks(b, remarks)
    s = EntityBuilder("Sanction", f"{b.id}-sanction", meta, record)
    s.add("entity", b.id)
    s.add("authority", AUTHORITY)
    s.add("authorityId", ent_num)
    for p in programs:
        s.add("program", p)
    sanctions.append(s)


def _dates(text: str) -> list[str]:
    """ISO dates (or year / year-month) in an OFAC date phrase: ``circa 1947``, ``1960 to 1962``."""
    text = text.replace("circa", "").strip()
    out: list[str] = []
    for part in text.split(" to "):
        part = part.strip()
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(part, fmt)
            except ValueError:
                continue
            out.append(parsed.strftime({"%Y": "%Y", "%b %Y": "%Y-%m"}.get(fmt, "%Y-%m-%d")))
            break
    return out


def _remarks(b: EntityBuilder, remarks: str) -> None:
    """Parse the identifiers and facts OFAC writes into the remarks."""
    schema = b.schema.name
    for raw in re.split(r";\s+", remarks.rstrip(".")):
        part = raw.strip().rstrip(".")
        if part.startswith("alt. "):
            part = part[5:]
        head = part.split(" ", 1)[0]
        rest = part[len(head):].strip()
        if part.startswith(("a.k.a.", "f.k.a.", "n.k.a.")):
            prop = "previousName" if head == "f.k.a." else "weakAlias"
            for q in _QUOTED.findall(part):
                b.add(prop, q)
        elif head == "DOB" and schema == "Person":
            for d in _dates(rest):
                b.add("birthDate", d)
        elif head == "POB" and schema == "Person":
            b.add("birthPlace", rest)
        elif head == "nationality" and schema == "Person":
            b.add("nationality", rest)
        elif head == "citizen" and schema == "Person":
            b.add("citizenship", rest)
        elif head == "Gender" and schema == "Person":
            b.add("gender", rest.lower())
        elif head == "Passport" and schema == "Person":
            # the number may hold a space (DPRK ``PS 472330208``): it ends at the country in
            # brackets or at ``issued`` / ``expires``
            b.add("passportNumber", _PASSPORT_END.split(rest, maxsplit=1)[0])
        elif part.startswith("National ID No.") and schema == "Person":
            b.add("idNumber", part[len("National ID No."):].strip().split(" ", 1)[0])
        elif (m := _MMSI.match(part)) and schema == "Vessel":
            b.add("mmsi", m.group(1))
        elif part.startswith("Vessel Registration Identification") and schema == "Vessel":
            if (m := _IMO.search(part)) is not None:
                b.add("imoNumber", f"IMO{m.group(1)}")
        elif part.startswith(("Company Number IMO", "Identification Number IMO")):
            if (m := _IMO.search(part)) is not None and schema == "Organization":
                b.add("imoNumber", f"IMO{m.group(1)}")
        elif part.startswith("Former Vessel Flag") and schema == "Vessel":
            b.add("pastFlags", part[len("Former Vessel Flag"):])
        elif part.startswith("Other Vessel Flag") and schema == "Vessel":
            b.add("flag", part[len("Other Vessel Flag"):])
        elif part.startswith("Other Vessel Call Sign") and schema == "Vessel":
            b.add("callSign", part[len("Other Vessel Call Sign"):])
        elif part.startswith("Other Vessel Type") and schema == "Vessel":
            b.add("type", part[len("Other Vessel Type"):])
        elif part.startswith("Email Address"):
            b.add("email", part[len("Email Address"):], quiet=True)
        elif head == "Website":
            b.add("website", rest, quiet=True)
