"""``sanctionwatch export``: events, tracks and entities as files for other tools (registered
in ``cli/app.py``). Holds no logic: it calls :mod:`sanctionwatch.export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.atomic import atomic_path
from sanctionwatch.cli.consoles import StoreOpt, data_markup, err_console, fail

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
    event_type: Annotated[
        list[str] | None, typer.Option("--type", "-t", help="Event type (repeatable).")
    ] = None,
    mmsi: Annotated[int | None, typer.Option(help="Vessel MMSI (either party).")] = None,
    since: Annotated[str | None, typer.Option(help="Events ending at/after this UTC time.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Events starting at/before this UTC time.")
    ] = None,
    bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = None,
    dprk: Annotated[bool, typer.Option("--dprk", help="Only DPRK ports and waters.")] = False,
    designated: Annotated[bool, typer.Option(
        "--designated", help="Only events involving a vessel matched to a listed vessel.")
    ] = False,
    zone: Annotated[str | None, typer.Option(help="Only events in this zone (zone_id).")] = None,
    min_hours: Annotated[float | None, typer.Option(help="Minimum duration, hours.")] = None,
) -> None:
    """Write the store's events (filtered like `events`) as GeoJSON, GeoParquet, KML or CSV
    (CSV cells are safe to open in a spreadsheet)."""
    from dataclasses import replace

    from sanctionwatch.cli.app import _parse_time
    from sanctionwatch.cli.choices import event_types
    from sanctionwatch.export.events import (
        EVENT_FORMATS,
        event_mmsis,
        events_bytes,
        latest_names,
    )
    from sanctionwatch.store import DuckDBStore, EventFilter, default_store_path

    f_ = _check_format(fmt, EVENT_FORMATS)
    try:
        box: tuple[float, float, float, float] | None = None
        if bbox:
            nums = [float(x) for x in bbox.split(",")]
            if len(nums) != 4:
                raise ValueError("--bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
            box = (nums[0], nums[1], nums[2], nums[3])
        filt = EventFilter(event_types=tuple(event_type or ()), mmsi=mmsi,
                           since=_parse_time(since), until=_parse_time(until), bbox=box,
                           dprk_only=dprk, min_duration_h=min_hours, zone_id=zone,
                           designated_only=designated)
        with DuckDBStore(store or default_store_path(), read_only=True) as st:
            if event_type:
                filt = replace(filt, event_types=event_types(event_type, st.event_types()))
            df = st.events(filt)
            names = latest_names(st, event_mmsis(df)) if f_ == "kml" else None
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
    from sanctionwatch.cli.app import _parse_time
    from sanctionwatch.evidence import VesselNotFound
    from sanctionwatch.export.events import TRACK_FORMATS, tracks_bytes
    from sanctionwatch.export.tracks import vessel_tracks
    from sanctionwatch.store import default_store_path

    f_ = _check_format(fmt, TRACK_FORMATS)
    try:
        tracks = vessel_tracks(store or default_store_path(), key, _parse_time(since),
                               _parse_time(until))
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
