"""Format detection and the list readers by format name."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sanctionwatch.sanctions.eu import read_eu_json
from sanctionwatch.sanctions.ftm import read_ftm_json
from sanctionwatch.sanctions.model import ListFormatError, ParsedList
from sanctionwatch.sanctions.ofac import read_ofac_csv
from sanctionwatch.sanctions.uk import read_uk_json
from sanctionwatch.sanctions.un import read_un_xml
from sanctionwatch.sanctions.un1718 import read_un1718_csv

Reader = Callable[[Path, str | None, date | None], ParsedList]

READERS: dict[str, Reader] = {
    "un_xml": read_un_xml,
    "un1718_csv": read_un1718_csv,
    "ofac_csv": read_ofac_csv,
    "ftm_json": read_ftm_json,
    "uk_json": read_uk_json,
    "eu_json": read_eu_json,
}
"""Formats by name → reader(path, dataset, list_date)."""


def detect_format(path: str | Path) -> str:
    """The list format of ``path`` (a key of :data:`READERS`), from its name and first bytes."""
    path = Path(path)
    if path.is_dir() or path.name.lower() in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"):
        if (path if path.is_dir() else path.parent).joinpath("sdn.csv").is_file():
            return "ofac_csv"
        raise ListFormatError(path, "folder", "not an OFAC CSV folder (no sdn.csv)")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith("<") and "CONSOLIDATED_LIST" in head:
        return "un_xml"
    if head.lower().startswith("imo,name"):
        return "un1718_csv"
    if head.startswith("{"):
        first = head.split("\n", 1)[0]
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and "schema" in obj:
            return "ftm_json"
        fmt = _json_list_format(path)
        if fmt is not None:
            return fmt
    raise ListFormatError(
        path, "start of file", "unknown list format (expected UN XML, UN 1718 CSV, OFAC CSV "
        "folder, FtM JSON lines, UK DPRK JSON or EU PRK JSON)"
    )


def _json_list_format(path: Path) -> str | None:
    """``uk_json`` / ``eu_json`` for the UK and EU JSON transcriptions, by their keys."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        return None
    first = next((e for e in data["entries"] if isinstance(e, dict)), {})
    if "individual_entity_ship" in first and "unique_id" in first:
        return "uk_json"
    if "eu_reference_number" in first or "subject_type" in first:
        return "eu_json"
    return None


def read_list(
    path: str | Path,
    dataset: str | None = None,
    list_date: date | None = None,
    fmt: str | None = None,
) -> ParsedList:
    """Read one list file (format auto-detected unless ``fmt``) into statements."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in READERS:
        raise ValueError(f"unknown list format {fmt!r}; known: {', '.join(READERS)}")
    return READERS[fmt](path, dataset, list_date)
