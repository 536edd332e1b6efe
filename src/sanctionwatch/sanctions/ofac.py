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
remarks (e.g. ``Vessel Registration Identification IMO 8405270; MMSI 445113000``).

Relationships become FtM interval entities, as OpenSanctions' own OFAC crawler emits them: each
``Linked To: NAME`` remark → an ``UnknownLink`` (``subject`` the entry, ``role`` "Linked To",
id ``us-ofac-<ent_num>-linked-<name slug>``) and the ``Vess_owner`` column → an ``Ownership``
(``asset`` the vessel, ``role`` "Vessel owner", id ``us-ofac-<ent_num>-owner-<name slug>``).
The name as OFAC wrote it is kept in ``namesMentioned``; when it is exactly the ``SDN_Name`` or
an ``alt.csv`` name of one entry of the same file, that entry is the ``object`` / ``owner``
(several such entries: the one sharing a programme with the entry; otherwise the party is
left unresolved here: :mod:`sanctionwatch.linking.graph` matches the
name across lists). Their source record is the row of the entry that states them.

Each ``Digital Currency Address - ETH 0x…`` remark → a ``CryptoWallet`` (``publicKey`` the
address as OFAC wrote it, ``currency`` the OFAC code: XBT, ETH, LTC…, ``holder`` the entry), id
``us-ofac-<ent_num>-wallet-<currency>-<address>`` (lower-cased), source record the
``sdn.csv`` row or, for an address in the continued remarks, the ``sdn_comments.csv`` row.
Entity ids are ``us-ofac-<ent_num>`` (OpenSanctions' own exports use ``ofac-<ent_num>``; a different
prefix keeps both loadable side by side). The files carry no publication date, so the list date
comes from the folder or file name (``ofac_sdn_2019-01/``) or must be given.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from sanctionwatch.sanctions.model import (
    EntityBuilder,
    ListFormatError,
    ListMeta,
    ParsedList,
    resolve_list_date,
    slug,
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
# ``Linked To: NAME`` up to the next ``; `` or the end of the remarks (names hold ``.`` and ``,``)
_LINKED = re.compile(r"Linked To:\s*(.+?)(?=;\s|$)")
_DATE_FORMATS = ("%d %b %Y", "%b %Y", "%Y")
# ``Digital Currency Address - XBT 1Kuf…`` (the code is OFAC's: XBT for bitcoin)
_WALLET = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([A-Za-z0-9]+)")


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
    comment_lines: dict[str, list[tuple[int, str]]] = {}
    for line, row in _read(folder / "sdn_comments.csv", 2):
        comments[row[0]] = comments.get(row[0], "") + row[1]
        comment_lines.setdefault(row[0], []).append((line, row[1]))
    builders: dict[str, EntityBuilder] = {}
    sanctions: list[EntityBuilder] = []
    mentions: list[_Mention] = []
    wallets: list[EntityBuilder] = []
    sdn_path = folder / "sdn.csv"
    for line, row in _read(sdn_path, 12):
        _sdn(sdn_path, meta, line, row, comments, builders, sanctions, mentions)
        wallets += _wallets(meta, line, row, comment_lines.get(row[0], []))
    if not builders:
        raise ListFormatError(sdn_path, "line 1", "no SDN records")
    alt_path = folder / "alt.csv"
    alt_names: dict[str, set[str]] = {}
    for line, row in _read(alt_path, 5):
        b = _owner(alt_path, line, row, builders)
        prop = _ALT_PROP.get(row[2].lower())
        if prop is None:
            raise ListFormatError(alt_path, f"line {line}", f"unknown alt_type {row[2]!r}")
        b.add(prop, row[3], f"alt.csv line {line} (alt_num {row[1]})")
        if row[3]:
            alt_names.setdefault(_name_key(row[3]), set()).add(row[0])
    add_path = folder / "add.csv"
    for line, row in _read(add_path, 6):
        b = _owner(add_path, line, row, builders)
        record = f"add.csv line {line} (add_num {row[1]})"
        b.add("address", ", ".join(c for c in row[2:5] if c), record)
        b.add("country", row[4], record)
    links = _links(meta, builders, mentions, alt_names)
    out = ParsedList(meta)
    for b in builders.values():
        out.statements.extend(b.statements)
    for s in sanctions:
        out.statements.extend(s.statements)
    for link in links:
        out.statements.extend(link.statements)
    for w in wallets:
        out.statements.extend(w.statements)
    return out


def _wallets(
    meta: ListMeta, line: int, row: list[str], continued: list[tuple[int, str]]
) -> list[EntityBuilder]:
    """``CryptoWallet`` entities for the digital-currency addresses of one SDN row (see the
    module docstring); an address split across the remarks and their continuation is found
    in the joined text and cited to the row that holds its start."""
    ent_num = row[0]
    out: dict[str, EntityBuilder] = {}
    text = row[11]
    for _, more in continued:
        text += more
    for m in _WALLET.finditer(text):
        currency, address = m.group(1).upper(), m.group(2)
        eid = f"us-ofac-{ent_num}-wallet-{currency.lower()}-{address.lower()}"
        if eid in out:
            continue
        record = f"sdn.csv line {line} (ent_num {ent_num})"
        at = len(row[11])
        for c_line, more in continued:
            if m.start() >= at:
                record = f"sdn_comments.csv line {c_line} (ent_num {ent_num})"
            at += len(more)
        w = EntityBuilder("CryptoWallet", eid, meta, record)
        w.add("publicKey", address)
        w.add("currency", currency)
        w.add("holder", f"us-ofac-{ent_num}")
        out[eid] = w
    return list(out.values())


class _Mention(NamedTuple):
    """A relationship an SDN row states by naming another party."""

    ent_num: str
    kind: str  # "linked" (a ``Linked To:`` remark) or "owner" (the ``Vess_owner`` column)
    name: str
    record: str


def _name_key(name: str) -> str:
    """How a ``Linked To`` name is compared with SDN names: case, spacing and a final full
    stop ignored (OFAC ends the remark with one, and some names end in ``LTD.``)."""
    return " ".join(name.upper().split()).rstrip(".").strip()


def _links(
    meta: ListMeta,
    builders: dict[str, EntityBuilder],
    mentions: list[_Mention],
    alt_names: dict[str, set[str]],
) -> list[EntityBuilder]:
    """``UnknownLink`` / ``Ownership`` entities for the mentions (see the module docstring)."""
    by_name: dict[str, set[str]] = {}
    for ent_num, b in builders.items():
        for st in b.statements:
            if st.prop == "name":
                by_name.setdefault(_name_key(st.value), set()).add(ent_num)
    programs = {ent_num: {st.value for st in b.statements if st.prop == "program"}
                for ent_num, b in builders.items()}
    out: list[EntityBuilder] = []
    seen: set[str] = set()
    for m in mentions:
        schema, suffix = ("UnknownLink", "linked") if m.kind == "linked" else ("Ownership", "owner")
        eid = f"us-ofac-{m.ent_num}-{suffix}-{slug(m.name) or 'unnamed'}"
        if eid in seen:
            continue
        seen.add(eid)
        key = _name_key(m.name)
        # an SDN_Name match wins over alt.csv names (a name that is one entry's SDN_Name and
        # another's alias names the first)
        targets = by_name.get(key, set()) - {m.ent_num} or alt_names.get(key, set()) - {m.ent_num}
        if len(targets) > 1:  # one name, several entries: the one under the same programme
            mine = programs[m.ent_num]
            targets = {t for t in targets if programs[t] & mine}
        target = f"us-ofac-{next(iter(targets))}" if len(targets) == 1 else None
        link = EntityBuilder(schema, eid, meta, m.record)
        if m.kind == "linked":
            link.add("subject", f"us-ofac-{m.ent_num}")
            link.add("object", target)
            link.add("role", "Linked To")
        else:
            link.add("asset", f"us-ofac-{m.ent_num}")
            link.add("owner", target)
            link.add("role", "Vessel owner")
        link.add("namesMentioned", m.name)
        out.append(link)
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
    mentions: list[_Mention],
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
        mentions.append(_Mention(ent_num, "owner", row[10], record))
    for linked in _LINKED.findall(remarks):
        if linked.strip(" ."):
            mentions.append(_Mention(ent_num, "linked", linked.strip().rstrip(".").strip(), record))
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
