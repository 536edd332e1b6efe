"""``sanctionwatch simulate``: write simulated AIS traffic with labelled planted behaviour."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanctionwatch.cli.consoles import err_console

console = err_console


def simulate(
    scenario: Annotated[str, typer.Option("--scenario", help="dprk-2019, baseline, messy, scale.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same bytes).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")],
    vessels: Annotated[
        int | None, typer.Option("--vessels", help="Number of ships [scenario default].")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Days simulated (default 7).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="marinecadastre (CSV), nmea or parquet.")
    ] = "marinecadastre",
) -> None:
    """Simulate AIS traffic with planted, labelled evasion behaviour (DIR/labels.parquet)."""
    from sanctionwatch.simulate import simulate as run

    try:
        res = run(scenario, seed, out, vessels=vessels, days=days, fmt=fmt)
    except ValueError as e:
        console.print(f"[bold red]error:[/] {e}")
        raise typer.Exit(code=2) from e
    console.print(
        f"{res.scenario} seed {res.seed}: {res.n_ships} ships, {res.n_positions:,} positions, "
        f"{res.n_reports:,} reports, {res.n_corrupt} corrupt records in {res.seconds:.1f} s"
    )
    for f in res.files:
        console.print(f"  {f}")
    console.print(f"  {res.labels_path}: {res.label_counts}")
