"""Equality harness: the outputs of ``detect`` on fixed inputs, for every engine, compared
between two versions of the code.

A refactoring must not change what an analyst gets. ``run`` detects on a fixed set of inputs
with each engine and keeps every output table; ``compare`` checks two such runs table by table,
exactly (``details`` compared as parsed JSON, so that a change of JSON formatting alone is
reported separately from a change of content). Inputs:

- ``dprk-2019`` seeds 1, 2 and 3 (MarineCadastre CSV) and seed 1 as NMEA, with the UN 1718
  vessels list loaded so that the sanctions linkage is covered;
- the real AIS files shipped under ``tests/data/ais`` (``make demo-real``'s set), together;
- a one-day ``scale`` scenario of about 1 M positions (Parquet).

Usage (the second with the code to compare against on ``PYTHONPATH``)::

    .venv/bin/python scripts/equality.py run --out /tmp/eq/after
    PYTHONPATH=/path/to/old/src .venv/bin/python scripts/equality.py run --out /tmp/eq/before
    .venv/bin/python scripts/equality.py compare /tmp/eq/before /tmp/eq/after

Inputs are generated once into ``--data`` (default ``/tmp/sw-equality-data``) and reused, so
both runs read the same bytes. About 10 minutes per run on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REAL = [
    "tests/data/ais/solent-stonesoup/SolentAIS_20160112_130211.csv",
    "tests/data/ais/dma-gothenburg-cpa/ais_dk_cpa.gpkg",
    "tests/data/ais/marinecadastre-boston-2014/ais.gpkg",
    "tests/data/ais/aisdb-testdata/test_data_20211101.nm4",
    "tests/data/ais/marinecadastre-20220103/AIS_2022_01_03_first99999.parquet",
]
UN_1718 = "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
ENGINES = ("memory", "local", "dask")
TABLES = ("events", "positions", "vessel_reports", "removed", "rejects", "vessel_matches")
SCALE_VESSELS = 5_800
"""About 1 M positions in one day (the scenario's ~172 positions per vessel-day)."""


def input_sets(data: Path) -> dict[str, tuple[list[Path], bool]]:
    """Input files of each set and whether the UN 1718 list is loaded for it; generates the
    simulated ones into ``data`` when missing."""
    from sanctionwatch.simulate import simulate

    sets: dict[str, tuple[list[Path], bool]] = {}
    for seed in (1, 2, 3):
        folder = data / f"dprk-2019-seed{seed}"
        if not (folder / "ais.csv").exists():
            simulate("dprk-2019", seed, folder)
        sets[f"dprk-2019-seed{seed}"] = ([folder / "ais.csv"], True)
    folder = data / "dprk-2019-seed1-nmea"
    if not (folder / "ais.nmea").exists():
        simulate("dprk-2019", 1, folder, fmt="nmea")
    sets["dprk-2019-seed1-nmea"] = ([folder / "ais.nmea"], True)
    # copied, so that both versions of the code read them under the same path (``source``)
    real = data / "real"
    real.mkdir(exist_ok=True)
    for rel in REAL:
        if not (real / Path(rel).name).exists():
            shutil.copy2(ROOT / rel, real / Path(rel).name)
    sets["real"] = ([real / Path(rel).name for rel in REAL], False)
    folder = data / "scale-1m"
    if not any(folder.glob("*.parquet")):
        simulate("scale", 1, folder, vessels=SCALE_VESSELS, days=1, fmt="parquet")
    sets["scale-1m"] = (sorted(p for p in folder.glob("*.parquet") if p.name != "labels.parquet"),
                        False)
    return sets


RUN_ONE = """
import json, sys
from pathlib import Path
from sanctionwatch.engines import EngineOptions
from sanctionwatch.pipeline import detect
args = json.loads(sys.argv[1])
opts = EngineOptions(n_workers=2, processes=True) if args["engine"] == "dask" else None
detect([Path(p) for p in args["inputs"]], Path(args["out"]), store_path=args["store"],
       engine=args["engine"], engine_options=opts)
"""


def run(out: Path, data: Path, only_sets: list[str] | None, engines: list[str]) -> None:
    """Detect on every input set with every engine into ``out/SET/ENGINE``."""
    data.mkdir(parents=True, exist_ok=True)
    for name, (inputs, with_list) in input_sets(data).items():
        if only_sets and name not in only_sets:
            continue
        for engine in engines:
            dest = out / name / engine
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            store = dest / "store.duckdb"
            if with_list:
                from sanctionwatch.sanctions.store import ListStore

                with ListStore(store) as ls:
                    ls.load(ROOT / UN_1718)
            args = {"inputs": [str(p) for p in inputs], "out": str(dest / "out"),
                    "store": str(store), "engine": engine}
            print(f"{name} / {engine}", flush=True)
            subprocess.run([sys.executable, "-c", RUN_ONE, json.dumps(args)], check=True)


def _details(values: list[str | None]) -> list[Any]:
    return [None if v is None else json.loads(v) for v in values]


def compare(before: Path, after: Path) -> int:
    """Compare two ``run`` folders; print one line per (set, engine, table); 1 on difference."""
    import polars as pl
    from polars.testing import assert_frame_equal

    failed = 0
    for folder in sorted(p for p in before.glob("*/*") if p.is_dir()):
        rel = folder.relative_to(before)
        other = after / rel
        for table in TABLES:
            a_path, b_path = folder / "out" / f"{table}.parquet", other / "out" / f"{table}.parquet"
            if not a_path.exists() and not b_path.exists():
                continue
            label = f"{rel} {table}"
            if not (a_path.exists() and b_path.exists()):
                print(f"DIFF  {label}: present only in {'before' if a_path.exists() else 'after'}")
                failed += 1
                continue
            a, b = pl.read_parquet(a_path), pl.read_parquet(b_path)
            note = ""
            if "details" in a.columns and "details" in b.columns:
                if a["details"].to_list() != b["details"].to_list() and a.height == b.height:
                    differs = a.filter(a["details"].ne_missing(b["details"]))
                    kinds = sorted(set(differs["event_type"].to_list())) \
                        if "event_type" in differs.columns else []
                    note = f" (details text differs: {', '.join(kinds)})"
                a = a.with_columns(pl.Series("details", [json.dumps(d, sort_keys=True) for d in
                                                         _details(a["details"].to_list())]))
                b = b.with_columns(pl.Series("details", [json.dumps(d, sort_keys=True) for d in
                                                         _details(b["details"].to_list())]))
            try:
                assert_frame_equal(a, b, check_exact=True)
            except AssertionError as exc:
                print(f"DIFF  {label}: {str(exc).splitlines()[0]}")
                failed += 1
                continue
            print(f"same  {label}: {a.height} rows{note and note + ', same JSON'}")
    return 1 if failed else 0


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="detect on every input set with every engine")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--data", type=Path, default=Path("/tmp/sw-equality-data"))
    r.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    r.add_argument("--engines", default=",".join(ENGINES))
    c = sub.add_parser("compare", help="compare two run folders")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.cmd == "run":
        run(args.out, args.data, [s for s in args.sets.split(",") if s] or None,
            args.engines.split(","))
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
