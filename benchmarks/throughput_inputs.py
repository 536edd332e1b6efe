"""Realistic throughput inputs, generated once and cached (never in the repository).

Each input is one file in a vendor format users have, written by
:mod:`sanctionwatch.simulate.feeds` from one continuous multi-day fleet simulation, with a
manifest ``FILE.json`` (rows or lines, counts by kind, corrupt line numbers):

- ``nmea``: raw NMEA 0183 with tag blocks at ITU-R M.1371 intervals (no decimation), 300
  vessels x 1 day, about 2.2 M lines;
- ``dma-csv``: DMA ``aisdk`` CSV, every column, raw intervals, 310 vessels x 1 day, about
  2.1 M rows;
- ``mc-csv`` / ``mc-parquet``: MarineCadastre, 17 columns filled, one position a minute,
  1,100 vessels x 2 days, about 2.2 M rows (the same rows in both);
- ``mc10-parquet`` / ``mc10-csv``: the same fleet over 10 days, about 10.9 M rows.

``--scale`` multiplies the vessels (``0.05`` for a quick check). Inputs are cached under
``--data-dir`` by name, generation, seed and fleet size, so a changed generator writes new files.

    .venv/bin/python benchmarks/throughput_inputs.py nmea mc-csv --scale 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
DATA_DIR = Path(tempfile.gettempdir()) / "swthroughput"
if str(SRC) not in sys.path:  # the generator of this checkout, whatever the venv installed
    sys.path.insert(0, str(SRC))


@dataclass(frozen=True)
class Spec:
    """One input: its writer (``nmea``, ``dma``, ``mc``), the file suffix and the fleet."""

    kind: str
    suffix: str
    vessels: int
    days: int


INPUTS: dict[str, Spec] = {
    "nmea": Spec("nmea", "nmea", 300, 1),
    "dma-csv": Spec("dma", "csv", 310, 1),
    "mc-csv": Spec("mc", "csv", 1100, 2),
    "mc-parquet": Spec("mc", "parquet", 1100, 2),
    "mc10-parquet": Spec("mc", "parquet", 1100, 10),
    "mc10-csv": Spec("mc", "csv", 1100, 10),
}


def path_of(name: str, scale: float, seed: int, data_dir: Path) -> Path:
    """Where the input ``name`` at ``scale`` is cached."""
    from sanctionwatch.simulate.feeds import GENERATION

    spec = INPUTS[name]
    vessels = max(2, round(spec.vessels * scale))
    stem = f"{spec.kind}-g{GENERATION}-s{seed}-{vessels}v{spec.days}d"
    return data_dir / f"{stem}.{spec.suffix}"


def generate(name: str, scale: float, seed: int, data_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The input file (generated in this process if missing) and its manifest."""
    from sanctionwatch.simulate.feeds import (
        Fleet,
        write_dma_feed,
        write_marinecadastre_feed,
        write_nmea_feed,
    )

    spec = INPUTS[name]
    path = path_of(name, scale, seed, data_dir)
    meta = path.with_name(path.name + ".json")
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    fleet = Fleet(seed, max(2, round(spec.vessels * scale)), spec.days)
    tmp = path.with_name(path.name + ".partial")
    if spec.kind == "nmea":
        info = write_nmea_feed(fleet, tmp)
    elif spec.kind == "dma":
        info = write_dma_feed(fleet, tmp)
    elif spec.suffix == "csv":
        info = write_marinecadastre_feed(fleet, tmp, None)
    else:
        info = write_marinecadastre_feed(fleet, None, tmp)
    info |= {"input": name, "format": spec.kind, "suffix": spec.suffix, "seed": seed,
             "vessels": fleet.vessels, "days": spec.days, "bytes": tmp.stat().st_size}
    meta.write_text(json.dumps(info) + "\n")
    os.replace(tmp, path)
    return path, info


def ensure(name: str, scale: float, seed: int, data_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The input file and manifest, generated in a subprocess if missing (the generator's
    memory is returned to the system before anything is measured)."""
    path = path_of(name, scale, seed, data_dir)
    meta = path.with_name(path.name + ".json")
    if not (path.exists() and meta.exists()):
        print(f"[{name}] generating {path}", flush=True)
        env = os.environ | {"PYTHONPATH": os.pathsep.join(
            [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
        subprocess.run([sys.executable, str(Path(__file__).resolve()), name, "--scale",
                        str(scale), "--seed", str(seed), "--data-dir", str(data_dir)],
                       check=True, env=env)
    return path, json.loads(meta.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="+", choices=sorted(INPUTS))
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the vessels")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = ap.parse_args()
    for name in args.names:
        path, info = generate(name, args.scale, args.seed, args.data_dir)
        size = info.get("lines", info.get("rows"))
        print(f"{name}: {path} ({size:,} {'lines' if 'lines' in info else 'rows'}, "
              f"{info['bytes'] / 1e6:,.0f} MB)")


if __name__ == "__main__":
    main()
