"""AIS readers: NMEA 0183, CSV layouts, Parquet and GeoPackage, format auto-detected.

Every reader streams :class:`~sanctionwatch.ingest.ais.base.Batch` objects (canonical
positions, vessel reports and rejects), so a file larger than memory can be read.

Modules, by concern:

- formats: :mod:`.nmea` (with :mod:`.nmea_framing`, :mod:`.nmea_multipart`,
  :mod:`.nmea_messages` and :mod:`.fastdecode`), :mod:`.csv`, :mod:`.parquet`, :mod:`.gpkg`;
- tabular layouts (data): :mod:`.layouts` (every vendor layout), :mod:`.parsers` (how a
  text becomes a value), :mod:`.codes` (vendor code tables), :mod:`.sniff` (which layout);
- tabular conversion: :mod:`.convert` (raw columns -> canonical batches), with
  :mod:`.plan`, :mod:`.distinct`, :mod:`.dedup`, :mod:`.rules` and :mod:`.exprs`;
- shared: :mod:`.base` (batches, rejects, errors).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sanctionwatch.ingest.ais.base import Batch, FormatError, IngestError, UnknownInput

if TYPE_CHECKING:
    from sanctionwatch.ingest.ais.layouts import Layout

FORMATS = ("nmea", "csv", "parquet", "gpkg")
"""Input formats understood by :func:`read_ais`."""

_SNIFF_BYTES = 64 * 1024


def detect_format(path: str | Path, encoding: str | None = None) -> str:
    """Guess the format of an AIS file from its first bytes (not its extension).

    Parquet and GeoPackage are recognised by their magic numbers; text (gzip or not, known by
    its content; in ``encoding``, else as detected) is NMEA when AIS sentences appear in it,
    CSV otherwise. :class:`UnknownInput` when it is none of these, empty or unreadable.
    """
    from sanctionwatch.ingest.ais.source import open_bytes, text_encoding

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such file")
    fh, src = open_bytes(p)
    try:
        with fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise UnknownInput(f"{p}: cannot be read: {exc.strerror or exc}") from exc
    if not head and src.error is not None:
        raise FormatError(f"{p}: {src.error}")
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:16] == b"SQLite format 3\x00":
        return "gpkg"
    if not head.strip():
        raise UnknownInput(f"{p}: empty file")
    # imported only for text: the NMEA reader's modules load pyais, which Parquet does not need
    from sanctionwatch.ingest.ais.nmea_framing import looks_like_nmea

    codec, skip = text_encoding(head, encoding)
    text = head[skip:].decode(codec, errors="replace")
    if looks_like_nmea(text):
        return "nmea"
    if "," in text or ";" in text or "\t" in text:
        return "csv"
    raise UnknownInput(f"{p}: not AIS input (not NMEA, CSV, Parquet or GeoPackage)")


def read_ais(
    path: str | Path,
    *,
    fmt: str | None = None,
    layout: str | Layout | None = None,
    strict: bool = False,
    batch_rows: int = 200_000,
    assume_time: datetime | None = None,
    encoding: str | None = None,
    latest: datetime | None = None,
) -> Iterator[Batch]:
    """Stream canonical batches from one AIS file of any supported format.

    ``fmt`` forces a format (one of :data:`FORMATS`); ``layout`` forces the column layout of
    a CSV, Parquet or GeoPackage file (a name in ``layouts.LAYOUTS``, or a
    :class:`~sanctionwatch.ingest.ais.layouts.Layout`); ``strict`` raises
    :class:`IngestError` at the first bad record instead of counting it as a reject;
    ``assume_time`` dates NMEA messages that carry no time at all; ``encoding`` declares a
    CSV's text encoding; ``latest``: times after it are impossible (default:
    :func:`~sanctionwatch.ingest.ais.base.latest_time`).
    """
    kind = fmt or detect_format(path, encoding)
    if kind == "nmea":
        from sanctionwatch.ingest.ais.nmea import read_nmea

        return read_nmea(path, strict=strict, batch_rows=batch_rows, assume_time=assume_time,
                         latest=latest)
    if kind == "csv":
        from sanctionwatch.ingest.ais.csv import read_csv

        return read_csv(path, layout=layout, strict=strict, batch_rows=batch_rows,
                        encoding=encoding, latest=latest)
    if kind == "parquet":
        from sanctionwatch.ingest.ais.parquet import read_parquet

        return read_parquet(path, layout=layout, strict=strict, batch_rows=batch_rows,
                            latest=latest)
    if kind == "gpkg":
        from sanctionwatch.ingest.ais.gpkg import read_gpkg

        return read_gpkg(path, layout=layout, strict=strict, batch_rows=batch_rows,
                         latest=latest)
    raise ValueError(f"unknown format {kind!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Batch", "FormatError", "IngestError", "UnknownInput", "detect_format",
           "read_ais"]
