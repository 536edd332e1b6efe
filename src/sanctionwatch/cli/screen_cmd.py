"""``sanctionwatch screen`` and ``sanctionwatch score-pairs`` (registered in ``cli/app.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.choices import screen_schema
from sanctionwatch.cli.consoles import data_markup, data_text, err_console, fail, out_console
from sanctionwatch.export.inert import json_text, write_csv
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
        typer.Option(
            "--input",
            help="Batch: CSV with a name column (name, full_name or fullname, any case) and "
            "optional schema, imo, country, birth_date columns.",
        ),
    ] = None,
    name_column: Annotated[
        str | None, typer.Option("--name-column", help="Batch: the column holding the names.")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Batch: the input's encoding (default: UTF-8, BOM ok)."),
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
    from sanctionwatch.screening.table_input import (
        canonical_schema,
        read_screening_input,
    )

    if (name is None) == (input_csv is None):
        raise fail("give a NAME or --input FILE.csv")
    if input_csv is not None and out is None:
        raise fail("--input needs --out RESULTS.csv")
    try:
        schema = canonical_schema(schema) if schema is not None else None
        # the input is read before the lists, so that a bad file fails at once
        table = (
            read_screening_input(input_csv, name_column, encoding)
            if input_csv is not None
            else None
        )
        screener = load_screener(store, threshold)
    except (NoListsLoaded, ValueError) as exc:
        raise fail(str(exc)) from exc
    if table is not None:
        assert out is not None
        rows = ([r[f] for f in _BATCH_FIELDS] for r in screener.screen_rows(table.rows))
        try:
            n = write_csv(out, _BATCH_FIELDS, rows)
        except OSError as exc:
            raise fail(f"{out}: cannot write: {exc.strerror or exc}") from exc
        for warning in table.warnings:
            _err.print(f"[bold yellow]warning:[/] {data_markup(warning)}", highlight=False)
        unnamed = sum(1 for r in table.rows if not r["name"].strip())
        if unnamed:
            _err.print(
                f"[bold yellow]warning:[/] {unnamed} of {n} rows have an empty "
                f"{data_markup(repr(table.columns['name']))} cell (empty result rows)",
                highlight=False,
            )
        _err.print(
            f"screened {n} names (column {data_markup(repr(table.columns['name']))}) → "
            f"{data_markup(out)}",
            highlight=False,
        )
        return
    assert name is not None
    matches = screener.screen(name, schema, imo, country, birth_date, limit)
    if as_json:
        # one JSON document (a list of matches, best first) so that it parses as a whole
        text = json.dumps([m.to_dict() for m in matches], ensure_ascii=False, indent=2)
        sys.stdout.write(json_text(text))
        sys.stdout.write("\n")
        return
    table_out = Table(title=f"{data_markup(repr(name))}: {len(matches)} candidates")
    for col in ("score", "match", "id", "schema", "name", "lists", "explanation"):
        table_out.add_column(col)
    for m in matches:
        # ids, names, lists and explanations come from the lists: no escapes, no markup
        table_out.add_row(
            f"{m.score:.3f}",
            "yes" if m.is_match else "",
            data_text(m.entity_id),
            data_text(m.schema),
            data_text(m.name),
            data_text(",".join(m.datasets)),
            data_text(m.explanation.explain()),
        )
    _out.print(table_out)


def score_pairs(
    pairs: Annotated[
        Path, typer.Argument(help="CSV with name1,name2[,schema] columns (any case).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")],
    threshold: Annotated[float, typer.Option(help="is_match threshold.")] = DEFAULT_THRESHOLD,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="The input's encoding (default: UTF-8, BOM ok)."),
    ] = None,
) -> None:
    """Score name pairs; writes the rows back with score, is_match and explanation."""
    from sanctionwatch.screening.screen import score_pairs_file

    try:
        n = score_pairs_file(pairs, out, threshold, encoding)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"{out}: cannot write: {exc.strerror or exc}") from exc
    _err.print(f"scored {n} pairs → {data_markup(out)}", highlight=False)
