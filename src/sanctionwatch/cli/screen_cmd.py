"""``sanctionwatch screen`` and ``sanctionwatch score-pairs`` (registered in ``cli/app.py``)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.choices import screen_schema
from sanctionwatch.cli.consoles import err_console, out_console
from sanctionwatch.screening.features import DEFAULT_THRESHOLD

# The matcher is imported inside the commands: its tables take a while to build, which every
# other command would pay.

_err = err_console
_out = out_console

_BATCH_FIELDS = [
    "name",
    "match_id",
    "match_name",
    "match_schema",
    "datasets",
    "score",
    "is_match",
    "explanation",
]


def screen(
    name: Annotated[str | None, typer.Argument(help="Name to screen.")] = None,
    schema: Annotated[
        str | None, typer.Option(help="Person, Organization, Company, LegalEntity or Vessel.",
                                 callback=screen_schema)
    ] = None,
    imo: Annotated[int | None, typer.Option(help="IMO number (vessels).")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country code, e.g. kp.")] = None,
    birth_date: Annotated[str | None, typer.Option("--birth-date", help="YYYY[-MM-DD].")] = None,
    limit: Annotated[int, typer.Option(help="Matches to show.")] = 10,
    threshold: Annotated[float, typer.Option(help="is_match threshold.")] = DEFAULT_THRESHOLD,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON output: a list of matches, best first.")
    ] = False,
    input_csv: Annotated[
        Path | None,
        typer.Option("--input", help="Batch: CSV with name[,schema,imo,country,birth_date]."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Batch: results CSV.")] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="Store (default: $SANCTIONWATCH_STORE or ./sanctionwatch.duckdb)."
        ),
    ] = None,
) -> None:
    """Screen a name (or a CSV of names) against the loaded sanctions lists."""
    from sanctionwatch.screening import NoListsLoaded, load_screener

    if (name is None) == (input_csv is None):
        _err.print("[bold red]error:[/] give a NAME or --input FILE.csv")
        raise typer.Exit(code=2)
    try:
        screener = load_screener(store, threshold)
    except NoListsLoaded as exc:
        _err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    if input_csv is not None:
        if out is None:
            _err.print("[bold red]error:[/] --input needs --out RESULTS.csv")
            raise typer.Exit(code=2)
        with input_csv.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        with out.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=_BATCH_FIELDS)
            writer.writeheader()
            n = 0
            for row in screener.screen_rows(rows):
                writer.writerow(row)
                n += 1
        _err.print(f"screened {n} names → {out}")
        return
    assert name is not None
    matches = screener.screen(name, schema, imo, country, birth_date, limit)
    if as_json:
        # one JSON document (a list of matches, best first) so that it parses as a whole
        sys.stdout.write(json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return
    table = Table(title=f"{name!r}: {len(matches)} candidates")
    for col in ("score", "match", "id", "schema", "name", "lists", "explanation"):
        table.add_column(col)
    for m in matches:
        table.add_row(
            f"{m.score:.3f}",
            "yes" if m.is_match else "",
            m.entity_id,
            m.schema,
            m.name,
            ",".join(m.datasets),
            m.explanation.explain(),
        )
    _out.print(table)


def score_pairs(
    pairs: Annotated[Path, typer.Argument(help="CSV with name1,name2,schema.")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")],
    threshold: Annotated[float, typer.Option(help="is_match threshold.")] = DEFAULT_THRESHOLD,
) -> None:
    """Score name pairs; writes the rows back with score, is_match and explanation."""
    from sanctionwatch.screening.screen import score_pairs_file

    n = score_pairs_file(pairs, out, threshold)
    _err.print(f"scored {n} pairs → {out}")
