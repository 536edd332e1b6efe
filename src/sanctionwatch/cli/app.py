"""The ``sanctionwatch`` command line. Holds no logic: it calls the Python API and prints."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from sanctionwatch import __version__
from sanctionwatch.cli.consoles import StoreOpt, data_text, err_console, fail, out_console
from sanctionwatch.cli.event_options import (
    BboxOpt,
    DprkOpt,
    EventTypeOpt,
    MinHoursOpt,
    MmsiOpt,
    SinceOpt,
    UntilOpt,
    parse_time,
    read_events,
)
from sanctionwatch.export.inert import spreadsheet_frame
from sanctionwatch.ingest.ais import FORMATS, IngestError

app = typer.Typer(
    name="sanctionwatch",
    help="Find sanctions evasion: AIS behaviour (ship-to-ship transfers, dark gaps, spoofing, "
    "identity changes, port calls, zone entries), sanctions-list screening, simulation and "
    "evaluation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text verbatim: Rich markup would eat "[default: ...]"
)
console = err_console


# Reading options shared by `detect` and `ingest`.
FormatOpt = Annotated[
    str | None, typer.Option("--format", help=f"Force a format: {', '.join(FORMATS)}.")
]
LayoutOpt = Annotated[str | None, typer.Option("--layout", help="Force a CSV/Parquet layout.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Stop at the first bad record.")]
AssumeTimeOpt = Annotated[
    str | None,
    typer.Option("--assume-time", help="UTC time for NMEA files that carry no timestamps at all."),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Text encoding of CSV inputs (e.g. latin-1, cp1252, "
                 "utf-16); default: detected (BOM), else UTF-8."),
]


@app.command()
def detect(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="AIS files or directories (NMEA, CSV, Parquet, GeoPackage; gzip "
                       "ok; or `inputs` in --config)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (or `out` in --config).")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Run configuration file (TOML: engine, store, "
                     "detectors, every parameter; see docs/configuration.md). The flags below "
                     "override it. Each run writes its effective configuration to OUT/run.toml."),
    ] = None,
    store: StoreOpt = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not write the store.")] = False,
    fmt: FormatOpt = None,
    layout: LayoutOpt = None,
    strict: Annotated[
        bool | None, typer.Option("--strict/--no-strict", help="Stop at the first bad record.")
    ] = None,
    assume_time: AssumeTimeOpt = None,
    encoding: EncodingOpt = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--detector", "-d", help="Run only this detector or event type "
                     "(repeatable)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="Override a parameter: DETECTOR.FIELD=VALUE (repeatable)."
        ),
    ] = None,
    zones: Annotated[
        list[Path] | None,
        typer.Option("--zones", help="Extra areas of interest (GeoJSON, repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option("--show", help="Events to print.")] = 25,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="auto (memory when its estimated footprint fits the memory available, else "
            "local), memory (one frame; "
            "fastest), local (partitioned lake, one partition at a time: bounded memory) or "
            "dask (the same partitions on a Dask cluster); all give the same events. See "
            "docs/engines.md. Default: auto.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask scheduler address (--engine dask); a LocalCluster if unset."
        ),
    ] = None,
) -> None:
    """Ingest AIS files, detect evasion behaviour, write events (Parquet, GeoJSON), store them."""
    import dataclasses

    from sanctionwatch import tuning
    from sanctionwatch.config import RunConfig, parse_overrides
    from sanctionwatch.engines import resolve_engine
    from sanctionwatch.pipeline import run
    from sanctionwatch.settings import settings

    try:
        cfg = RunConfig.load(config) if config is not None else RunConfig()
        changes: dict[str, object] = {}
        if inputs:
            changes["inputs"] = tuple(str(p) for p in inputs)
        if out is not None:
            changes["out"] = str(out)
        if engine is not None:
            changes["engine"] = engine
        if no_store:
            changes["store"] = None
        elif store is not None:
            changes["store"] = str(store)
        if only:
            changes["detectors"] = tuple(only)
        if zones:
            changes["zones"] = tuple(str(z) for z in zones)
        read: dict[str, Any] = {
            k: v for k, v in (("fmt", fmt), ("layout", layout), ("strict", strict),
                              ("assume_time", parse_time(assume_time)),
                              ("encoding", encoding)) if v is not None}
        if read:
            changes["ingest"] = dataclasses.replace(cfg.ingest, **read)
        if scheduler is not None:
            changes["engine_options"] = dataclasses.replace(cfg.engine_options,
                                                            scheduler=scheduler)
        cfg = cfg.replace(**changes).with_params(parse_overrides(param or []))
        cfg.check()
        if cfg.out is None:
            raise ValueError("no output directory: give --out (or `out` in the run file)")
        if not cfg.inputs:
            raise ValueError("no inputs: give AIS files or folders (or `inputs` in the run "
                             "file)")
        if (resolve_engine(cfg.engine, cfg.inputs, cfg.engine_options) == "memory"
                and settings().tuning):
            tuning.keep_freed_memory()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,} records"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(what: str, n: int) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(what, total=None)
                bar.advance(tasks[what], n)

            result = run(cfg, progress=progress, command=" ".join(sys.argv))
    except (IngestError, ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    counts = result.counts()
    summary = Table(title=f"sanctionwatch run {result.run_id}", show_header=False)
    summary.add_row("inputs", str(len(result.ingest.inputs)))
    choice = result.engine_choice
    summary.add_row("engine", choice.reason if choice is not None and choice.requested == "auto"
                    else result.engine)
    summary.add_row("positions", f"{counts['positions']:,}")
    summary.add_row("vessel reports", f"{counts['vessel_reports']:,}")
    summary.add_row("rejected records", _fmt_counts(counts["rejects"]))
    summary.add_row("removed in cleaning", _fmt_counts(counts["removed_in_cleaning"]))
    summary.add_row("tracks", f"{counts['tracks']:,}")
    summary.add_row("stations (MMSIs)", _fmt_counts(counts["stations"]))
    summary.add_row("events", _fmt_counts(counts["events"]))
    summary.add_row("data quality", _fmt_counts(counts["data_quality"]))
    if result.events_new_in_store is not None:
        summary.add_row("new in store", f"{result.events_new_in_store:,} ({cfg.store})")
    summary.add_row("outputs", str(cfg.out))
    out_console.print(summary)
    _print_events(result.events, limit)


@app.command()
def events(
    store: StoreOpt = None,
    event_type: EventTypeOpt = None,
    mmsi: MmsiOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    bbox: BboxOpt = None,
    dprk: DprkOpt = False,
    min_hours: MinHoursOpt = None,
    limit: Annotated[int | None, typer.Option(help="At most this many events.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines output.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV output.")] = False,
) -> None:
    """List and filter events in the store."""
    try:
        df = read_events(store, event_type=event_type, mmsi=mmsi, since=since, until=until,
                         bbox=bbox, dprk=dprk, min_hours=min_hours, limit=limit)
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    if as_json:
        for row in df.iter_rows(named=True):
            sys.stdout.write(json.dumps(row, default=str) + "\n")
    elif as_csv:
        flat = df.with_columns(
            pl.col("related_event_ids").list.join(";"), pl.col("evidence").list.join(";")
        )
        sys.stdout.write(spreadsheet_frame(flat).write_csv())
    else:
        _print_events(df, limit or 100)


@app.command()
def ingest(
    inputs: Annotated[list[Path], typer.Argument(help="AIS files or directories.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    fmt: FormatOpt = None,
    layout: LayoutOpt = None,
    strict: StrictOpt = False,
    assume_time: AssumeTimeOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """Read AIS files into the canonical tables (positions, vessel_reports, rejects) as Parquet."""
    import shutil

    from sanctionwatch.ingest.files import IngestOptions
    from sanctionwatch.ingest.files import ingest as run_ingest

    options = IngestOptions(
        fmt=fmt, layout=layout, strict=strict, assume_time=parse_time(assume_time),
        encoding=encoding,
    )
    out.mkdir(parents=True, exist_ok=True)
    spool = out / ".sanctionwatch-spool"
    try:
        res = run_ingest(inputs, spool, options)
        for name, df in (
            ("positions", res.positions()),
            ("vessel_reports", res.reports()),
            ("rejects", res.rejects()),
        ):
            tmp = out / f".{name}.parquet.tmp"
            df.write_parquet(tmp)
            tmp.replace(out / f"{name}.parquet")
    except (IngestError, ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    t = Table(title="ingest")
    for col in ("input", "positions", "vessel_reports", "rejects"):
        t.add_column(col, justify="left" if col == "input" else "right")
    for i in res.inputs:
        if "skipped" not in i:
            t.add_row(i["path"], f"{i['positions']:,}", f"{i['vessel_reports']:,}",
                      f"{i['rejects']:,}")
    for warning in res.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    out_console.print(t)
    out_console.print(f"rejects by reason: {_fmt_counts(res.rejects_by_reason)}")


@app.command("detectors")
def list_detectors() -> None:
    """List the detectors with their parameters and defaults."""
    import dataclasses

    from sanctionwatch.detectors import detectors as all_detectors

    for name, det in all_detectors().items():
        writes = "" if det.event_type == name else f", writes {det.event_type}"
        t = Table(
            title=f"{name} ({det.scope} scope{writes}): "
            f"{det.doc.splitlines()[0] if det.doc else ''}",
            title_justify="left",
        )
        t.add_column("parameter")
        t.add_column("default", justify="right")
        for f in dataclasses.fields(det.params_type):
            t.add_row(f.name, repr(f.default))
        out_console.print(t)


@app.command()
def schema(
    table: Annotated[
        str | None, typer.Argument(help="positions, vessel_reports, rejects or events.")
    ] = None,
) -> None:
    """Print the canonical table definitions (Markdown)."""
    from sanctionwatch.schema import TABLES

    names = [table] if table else list(TABLES)
    for n in names:
        if n not in TABLES:
            raise fail(f"no table {n!r}; tables: {', '.join(TABLES)}")
        out_console.print(TABLES[n].markdown(), markup=False, highlight=False)


@app.command()
def version() -> None:
    """Print the version."""
    out_console.print(__version__)


def _fmt_counts(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))


def _print_events(df: pl.DataFrame, limit: int) -> None:
    if df.height == 0:
        out_console.print("no events")
        return
    t = Table(
        title=f"events ({df.height:,}" + (f", first {limit} shown)" if df.height > limit else ")")
    )
    for col in ("type", "mmsi", "other", "start (UTC)", "hours", "lat", "lon", "what"):
        t.add_column(col)
    for row in df.head(limit).iter_rows(named=True):
        start = row["start_time"]
        cells = (
            _cell(row["event_type"]),
            _cell(row["mmsi"]),
            _cell(row["other_mmsi"]),
            start.strftime("%Y-%m-%d %H:%M") if start is not None else "",
            _cell(row["duration_h"], ".1f"),
            _cell(row["lat"], ".4f"),
            _cell(row["lon"], ".4f"),
            _what(row),
        )
        # names, ports, zones and list entries come from data: no escapes, no markup
        t.add_row(*(data_text(c) for c in cells))
    out_console.print(t)


def _what(row: dict[str, object]) -> str:
    parts: list[str] = []
    for key in ("subtype", "port_name", "zone_name"):
        if row.get(key):
            parts.append(str(row[key]))
    old, new = _cell(row.get("old_value")), _cell(row.get("new_value"))
    if old or new:
        parts.append(f"{old} -> {new}".strip())
    if row.get("is_dprk"):
        parts.append("DPRK")
    if row.get("likely_intentional"):
        parts.append("likely intentional")
    if row.get("draught_changed"):
        before, after = row.get("draught_before_m"), row.get("draught_after_m")
        parts.append(" ".join(x for x in ("draught", _cell(before, ".1f"), "->",
                                          _cell(after, ".1f"), "m") if x))
    listed = _listed(row.get("details"))
    if listed:
        parts.append("LISTED: " + ", ".join(listed))
    apart = _cell(row.get("median_distance_m"), ".0f")
    if apart:
        parts.append(f"{apart} m apart")
    return "; ".join(parts)


def _register_subcommands() -> None:
    # Imported here, after the core commands, so that each area keeps its CLI in its own module.
    from sanctionwatch.cli.alerts_cmd import alerts
    from sanctionwatch.cli.cashout_cmd import cashout, cashout_simulate
    from sanctionwatch.cli.evaluate_cmd import evaluate
    from sanctionwatch.cli.export_cmd import export_app
    from sanctionwatch.cli.fishing_cmd import fishing_days
    from sanctionwatch.cli.graph_cmd import graph_app, registry_app
    from sanctionwatch.cli.lists_cmd import lists_app
    from sanctionwatch.cli.petroleum_cmd import petroleum
    from sanctionwatch.cli.report_cmd import report_app
    from sanctionwatch.cli.screen_cmd import score_pairs, screen
    from sanctionwatch.cli.serve_cmd import serve
    from sanctionwatch.cli.simulate_cmd import simulate
    from sanctionwatch.cli.trace_cmd import trace_cmd
    from sanctionwatch.cli.trade_cmd import mirror, shipments

    app.command("simulate")(simulate)
    app.command("evaluate")(evaluate)
    app.add_typer(lists_app, name="lists")
    app.add_typer(report_app, name="report")
    app.command("screen")(screen)
    app.command("score-pairs")(score_pairs)
    app.add_typer(registry_app, name="registry")
    app.add_typer(graph_app, name="graph")
    app.command("alerts")(alerts)
    app.command("trace")(trace_cmd)
    app.add_typer(export_app, name="export")
    app.command("serve")(serve)
    app.command("cashout")(cashout)
    app.command("cashout-simulate")(cashout_simulate)
    app.command("shipments")(shipments)
    app.command("mirror")(mirror)
    app.command("petroleum")(petroleum)
    app.command("fishing-days")(fishing_days)


_register_subcommands()


def _listed(details: object) -> list[str]:
    """Sanctions-list matches recorded on an event, as 'NAME (list)'."""
    if not isinstance(details, str) or "sanctions_matches" not in details:
        return []
    hits = json.loads(details).get("sanctions_matches", [])
    return sorted(
        {f"{h.get('match_name')} ({', '.join(h.get('datasets') or [])})" for h in hits}
    )


def _cell(v: object, spec: str = "") -> str:
    """A table cell: blank for a missing value (None, NaN, infinity), else ``v`` formatted."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    return format(v, spec) if spec and isinstance(v, (int, float)) else str(v)
