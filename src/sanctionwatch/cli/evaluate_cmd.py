"""``sanctionwatch evaluate``: detection quality of an events file against labels.

A plain typer-annotated function; ``cli/app.py`` registers it as the ``evaluate`` command.
Holds no logic: it calls :mod:`sanctionwatch.evaluate` and prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanctionwatch.cli.consoles import err_console, out_console
from sanctionwatch.evaluate import DEFAULT_TIME_TOLERANCE_MIN, Score

console = err_console


def _ratio(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def evaluate(
    events: Annotated[
        Path,
        typer.Option(
            "--events", "-e", help="events.parquet, or a detect output directory holding it."
        ),
    ],
    labels: Annotated[
        Path, typer.Option("--labels", "-l", help="labels.parquet (ground truth).")
    ],
    negatives: Annotated[
        Path | None,
        typer.Option(
            "--negatives", "-n", help="Hard-negative windows (negatives.parquet) (default: the "
            "one beside the labels file, when there is one)."
        ),
    ] = None,
    event_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type", "-t", help="Evaluate this event type (repeatable) (default: the label types)."
        ),
    ] = None,
    tolerance_min: Annotated[
        float,
        typer.Option("--tolerance-min", help="Half-width of the window around instants, min."),
    ] = DEFAULT_TIME_TOLERANCE_MIN,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Precision, recall and F1 per event type of detected events against labels."""
    from sanctionwatch.evaluate import evaluate as run_evaluate
    from sanctionwatch.evaluate import read_events, read_labels, read_negatives

    try:
        ev = read_events(events)
        lab = read_labels(labels)
        if negatives is None:
            beside = (labels if labels.is_dir() else labels.parent) / "negatives.parquet"
            negatives = beside if beside.is_file() else None
        neg = read_negatives(negatives) if negatives is not None else None
        report = run_evaluate(
            ev,
            lab,
            negatives=neg,
            types=event_type or None,
            time_tolerance_min=tolerance_min,
            events_name=str(events),
            labels_name=str(labels),
        )
    except (ValueError, FileNotFoundError) as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    if as_json:
        sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
        return
    t = Table(title=f"detection quality: {events} vs {labels}", show_edge=False)
    t.add_column("event type", no_wrap=True)
    cols = ["labels", "events", "TP", "FP", "FN", "precision", "recall", "F1"]
    if neg is not None:
        cols[4:4] = ["FP in hard neg.", "not scored"]
    for col in cols:
        t.add_column(col, justify="right", no_wrap=True)

    def row(s: Score, style: str | None = None) -> None:
        cells = [str(s.n_labels), str(s.n_events), str(s.tp), str(s.fp), str(s.fn),
                 _ratio(s.precision), _ratio(s.recall), _ratio(s.f1)]
        if neg is not None:
            cells[4:4] = [str(s.fp_hard_negative), str(s.not_scored)]
        t.add_row(s.event_type, *cells, style=style)

    for s in report.per_type.values():
        row(s)
    if report.per_type:
        row(report.micro, style="bold")
    out_console.print(t)
    if report.unlabelled_types:
        parts = ", ".join(f"{k} {v:,}" for k, v in report.unlabelled_types.items())
        out_console.print(f"events of types not scored: {parts}")
    if neg is not None:
        hits = "; ".join(f"{kind}: " + ", ".join(f"{k} {v:,}" for k, v in by.items())
                         for kind, by in report.hard_negative_hits.items())
        out_console.print(f"false positives in hard negatives ({negatives}): {hits or 'none'}",
                          highlight=False)
    out_console.print(f"matching: {report.matching_rule}", highlight=False)
