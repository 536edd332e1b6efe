"""``sanctionwatch export``: events, tracks and entities as files for other tools (registered
in ``cli/app.py``). Holds no logic: it calls :mod:`sanctionwatch.export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.atomic import atomic_path
from sanctionwatch.cli.consoles import StoreOpt, data_markup, err_console, fail
from sanctionwatch.cli.event_options import (
    BboxOpt,
    DprkOpt,
    EventTypeOpt,
    MinHoursOpt,
    MmsiOpt,
    SinceOpt,
    UntilOpt,
    read_events,
)

export_app = typer.Typer(
    name="export",
    help="Export events and tracks (GeoJSON, GeoParquet, KML, CSV) and entities (FtM JSON).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="The file to write.")]


def _check_format(fmt: str, valid: tuple[str, ...]) -> str:
    f = fmt.strip().lower()
    if f not in valid:
        raise typer.BadParameter(f"{fmt!r} is not one of: {', '.join(valid)}",
                                 param_hint="--format")
    return f


@export_app.command("events")
def export_events(
    out: OutOpt,
    fmt: Annotated[str, typer.Option("--format", help="geojson, geoparquet, kml or csv.")],
    store: StoreOpt = None,
    event_type: EventTypeOpt = None,
    mmsi: MmsiOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    bbox: BboxOpt = None,
    dprk: DprkOpt = False,
    designated: Annotated[bool, typer.Option(
        "--designated", help="Only events involving a vessel matched to a listed vessel.")
    ] = False,
    zone: Annotated[str | None, typer.Option(help="Only events in this zone (zone_id).")] = None,
    min_hours: MinHoursOpt = None,
) -> None:
    """Write the store's events (filtered like `events`) as GeoJSON, GeoParquet, KML or CSV
    (CSV cells are safe to open in a spreadsheet)."""
    from sanctionwatch.export.events import (
        EVENT_FORMATS,
        event_mmsis,
        events_bytes,
        latest_names,
    )
    from sanctionwatch.store import DuckDBStore, default_store_path

    f_ = _check_format(fmt, EVENT_FORMATS)
    try:
        df = read_events(store, event_type=event_type, mmsi=mmsi, since=since, until=until,
                         bbox=bbox, dprk=dprk, min_hours=min_hours, zone_id=zone,
                         designated_only=designated)
        names = None
        if f_ == "kml":
            with DuckDBStore(store or default_store_path(), read_only=True) as st:
                names = latest_names(st, event_mmsis(df))
        data = events_bytes(df, f_, names)
        with atomic_path(out) as tmp:
            tmp.write_bytes(data)
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise fail(str(exc)) from exc
    err_console.print(f"wrote {df.height} events to {data_markup(out)}", soft_wrap=True)


@export_app.command("track")
def export_track(
    key: Annotated[str, typer.Argument(help="IMO number (7 digits) or MMSI (9 digits).")],
    out: OutOpt,
    fmt: Annotated[str, typer.Option("--format", help="geojson, geoparquet or kml.")],
    store: StoreOpt = None,
    since: Annotated[str | None, typer.Option(help="Positions at/after this UTC time.")] = None,
    until: Annotated[str | None, typer.Option(help="Positions at/before this UTC time.")] = None,
) -> None:
    """Write vessel KEY's tracks (from the newest run that holds its positions)."""
    from sanctionwatch.cli.event_options import parse_time
    from sanctionwatch.evidence import VesselNotFound
    from sanctionwatch.export.events import TRACK_FORMATS, tracks_bytes
    from sanctionwatch.export.tracks import vessel_tracks
    from sanctionwatch.store import default_store_path

    f_ = _check_format(fmt, TRACK_FORMATS)
    try:
        tracks = vessel_tracks(store or default_store_path(), key, parse_time(since),
                               parse_time(until))
        if not tracks:
            raise ValueError(f"no positions of {key} in the outputs of the runs recorded in "
                             "the store")
        data = tracks_bytes(tracks, f_)
        with atomic_path(out) as tmp:
            tmp.write_bytes(data)
    except (ValueError, FileNotFoundError, VesselNotFound, OSError) as exc:
        raise fail(str(exc)) from exc
    n = sum(len(t["coordinates"]) for t in tracks)
    err_console.print(f"wrote {len(tracks)} tracks ({n} positions) to {data_markup(out)}",
                      soft_wrap=True)


@export_app.command("entities")
def export_entities(out: OutOpt, store: StoreOpt = None) -> None:
    """Write the list entities and the relationship graph (ships, companies, ownership,
    management and STS links, each with its source) as FollowTheMoney JSON lines."""
    from sanctionwatch.export.ftm import write_ftm
    from sanctionwatch.findings import entity_graph
    from sanctionwatch.sanctions.store import VERSIONS_TABLE, ListStore
    from sanctionwatch.store import default_store_path, table_columns

    path = store or default_store_path()
    try:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no store here")
        with ListStore(path, read_only=True) as ls:
            entities = ls.entities() if table_columns(ls.con, VERSIONS_TABLE) else []
        graph = entity_graph(path)
        n = write_ftm(entities, graph, out)
    except (ValueError, FileNotFoundError, OSError) as exc:
        raise fail(str(exc)) from exc
    err_console.print(f"wrote {n} FtM entities ({len(entities)} listed) to "
                      f"{data_markup(out)}", soft_wrap=True)
