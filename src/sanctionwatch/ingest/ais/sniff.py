"""Which layout a file is read with: sniffed from its header, or forced by the caller.

A layout fits a header when the columns of its MMSI, time, latitude and longitude fields and
its identifying columns are all present (case and whitespace ignored, extra columns allowed).
When several fit, the one reading most of the header's columns wins. Linear in the number of
layouts times the columns they read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sanctionwatch.ingest.ais import layouts
from sanctionwatch.ingest.ais.base import FormatError, UnknownInput
from sanctionwatch.ingest.ais.layouts import Layout, norm_column


def _sniff(columns: Iterable[str], provided: Iterable[str] = ()) -> Layout | None:
    have = {norm_column(c) for c in columns}
    prov = tuple(provided)
    best: tuple[int, Layout] | None = None
    for lay in layouts.LAYOUTS.values():
        if lay.required(prov) <= have:
            score = len(lay.sources() & have)
            if best is None or score > best[0]:
                best = (score, lay)
    return best[1] if best else None


def sniff_layout(columns: Sequence[str]) -> str | None:
    """Name of the layout a header belongs to, or None when no layout fits.

    A layout fits when all its identifying columns are present (case and whitespace are
    ignored, extra columns are allowed); when several fit, the one reading most columns wins.
    """
    lay = _sniff(columns)
    return lay.name if lay else None


def resolve_layout(source: str, columns: Sequence[str], layout: str | Layout | None,
                   provided: Iterable[str] = ()) -> Layout:
    """The layout to read ``source`` with: ``layout`` if given (a name in
    :data:`~sanctionwatch.ingest.ais.layouts.LAYOUTS`, or a :class:`Layout`; its required
    columns are checked), else the one sniffed from ``columns``. ``provided``: core targets
    supplied otherwise (a GeoPackage's geometry gives ``lat`` and ``lon``)."""
    prov = tuple(provided)
    known = ", ".join(layouts.LAYOUTS)
    if layout is None:
        lay = _sniff(columns, prov)
        if lay is None:
            raise UnknownInput(
                f"{source}: the header matches no known AIS layout (known: {known}); "
                f"columns: {', '.join(columns)[:300]}"
            )
        return lay
    if isinstance(layout, Layout):
        lay = layout
    elif layout in layouts.LAYOUTS:
        lay = layouts.LAYOUTS[layout]
    else:
        raise FormatError(f"{source}: unknown layout {layout!r} (known: {known})")
    missing = lay.required(prov) - {norm_column(c) for c in columns}
    if missing:
        names = {norm_column(s): s for f in lay.fields for s in f.sources} | {
            norm_column(c): c for c in lay.identify}
        raise FormatError(
            f"{source}: layout {lay.name!r} needs columns that are missing: "
            + ", ".join(sorted(names[m] for m in missing))
        )
    return lay


__all__ = ["resolve_layout", "sniff_layout"]
