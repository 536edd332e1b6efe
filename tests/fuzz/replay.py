"""Replay corpus files through their parser in this process and print one JSON line per file.

Run as ``python -m tests.fuzz.replay FILE...`` by the corpus tests, in a subprocess: some
inputs abort the interpreter (a C++ ``terminate`` inside Arrow), which must fail the test, not
kill the test runner. Outcomes: ``read`` (with counts and the records accounted for),
``input_error`` (the documented error type, naming the file) or ``crash`` (anything else).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

from sanctionwatch.ingest.ais import read_ais
from sanctionwatch.reference.shipped import ReferenceDataError, load_zones_geojson
from sanctionwatch.sanctions.loaders import read_list
from sanctionwatch.sanctions.model import ListFormatError
from tests.fuzz.ais_property import check_reader
from tests.fuzz.lists_property import check_list, check_zones


def replay(path: Path) -> dict[str, Any]:
    """The outcome of parsing one corpus file (chosen by its folder: ais, lists, zones)."""
    kind = path.parent.name
    try:
        if kind == "ais":
            counts = check_reader(path)
            out: dict[str, Any] = {"outcome": "read" if counts is not None else "input_error"}
            if counts is not None:
                out.update(counts=counts, **_records(path))
            return out
        n = check_list(path) if kind == "lists" else check_zones(path)
        if n is not None:
            return {"outcome": "read"}
        return {"outcome": "input_error", "detail": _message(path, kind)}
    except BaseException as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if "/sanctionwatch/" in f.filename]
        where = f"{frames[-1].filename.split('sanctionwatch/', 1)[1]}:{frames[-1].lineno}" \
            if frames else "?"
        return {"outcome": "crash", "error": type(exc).__name__, "where": where,
                "detail": str(exc)[:300]}


def _message(path: Path, kind: str) -> str:
    """The documented error's message (the property check above has already seen it raised)."""
    try:
        read_list(path) if kind == "lists" else load_zones_geojson(path)
    except (ListFormatError, ReferenceDataError) as exc:
        return str(exc)
    raise AssertionError(f"{path}: no error the second time")


def _records(path: Path) -> dict[str, Any]:
    """Records accounted for (positions, reports and rejects together) and position records."""
    pos: set[int] = set()
    every: set[int] = set()
    for b in read_ais(path):
        pos.update(b.positions["record"].to_list())
        for df in (b.positions, b.reports, b.rejects):
            every.update(df["record"].to_list())
    return {"records": sorted(every), "position_records": sorted(pos)}


def main(argv: list[str]) -> None:
    for arg in argv:
        print(json.dumps({"file": arg, **replay(Path(arg))}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
