"""FollowTheMoney JSON lines, e.g. OpenSanctions exports (``entities.ftm.json``).

Each line is one entity ``{"id", "schema", "properties", "datasets", "last_seen", …}``. Entity ids
are kept as published (they are the interchange ids other entities refer to). The list date is
the latest ``last_seen`` in the file (the export date), else from the name, else given. The
OpenSanctions source datasets of each entity (e.g. ``us_ofac_sdn``) are kept in the statement's
``source_record``.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from followthemoney import model

from sanctionwatch.sanctions.model import (
    EntityBuilder,
    ListFormatError,
    ListMeta,
    ParsedList,
    read_text,
    resolve_list_date,
)

DATASET = "opensanctions"


def read_ftm_json(
    path: str | Path, dataset: str | None = None, list_date: date | None = None
) -> ParsedList:
    """Read FtM JSON lines into statements (values re-cleaned by their property types)."""
    path = Path(path)
    records: list[tuple[int, dict[str, Any]]] = []
    last_seen = ""
    with io.StringIO(read_text(path), newline=None) as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"line {line_no}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ListFormatError(path, where, f"not JSON: {exc.msg}") from None
            if not isinstance(data, dict):
                raise ListFormatError(path, where, "not a JSON object")
            for key in ("id", "schema"):
                if not isinstance(data.get(key), str) or not data[key]:
                    raise ListFormatError(path, where, f"missing {key!r}")
            if model.get(data["schema"]) is None:
                raise ListFormatError(path, where, f"unknown FtM schema {data['schema']!r}")
            if not isinstance(data.get("properties", {}), dict):
                raise ListFormatError(path, where, "'properties' is not an object")
            last_seen = max(last_seen, str(data.get("last_seen") or ""))
            records.append((line_no, data))
    from_file = None
    if last_seen:
        try:
            from_file = (date.fromisoformat(last_seen[:10]), f"latest last_seen={last_seen}")
        except ValueError:
            raise ListFormatError(path, "last_seen", f"not a date: {last_seen!r}") from None
    day, how = resolve_list_date(path, list_date, from_file)
    meta = ListMeta(dataset or DATASET, day, how, "ftm_json", str(path))
    out = ParsedList(meta)
    for line_no, data in records:
        origin = ",".join(str(d) for d in data.get("datasets") or [])
        record = f"line {line_no}" + (f" (datasets: {origin})" if origin else "")
        b = EntityBuilder(data["schema"], data["id"], meta, record)
        for prop, values in data.get("properties", {}).items():
            if not isinstance(values, list):
                raise ListFormatError(path, f"line {line_no}", f"{prop!r} is not a list")
            for value in values:
                b.add(prop, str(value), quiet=True)
        out.statements.extend(b.statements)
    return out
