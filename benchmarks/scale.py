"""End-to-end ``sanctionwatch detect`` throughput and peak memory on the ``scale`` scenario.

Generates (once, cached under ``--data-dir``, by default in /tmp: a 50 M-position input is
~2 GB of Parquet and must never go in the repository) the ``scale`` scenario at each size,
then runs ``sanctionwatch detect`` on it in a fresh subprocess per run, for each engine:

- ``local`` and ``memory``: the CLI as a user runs it; peak memory is the child's
  ``ru_maxrss`` from ``os.wait4`` (exact, one process).
- ``dask-N``: the CLI with ``--engine dask --scheduler`` on a cluster of N single-threaded
  worker processes started before the timed run (``dask scheduler`` + ``dask worker``);
  peak memory is the largest sampled sum of RSS of the client, scheduler and workers
  (psutil, every 0.2 s), since the work happens outside the client.

Throughput is positions / wall time of the whole command (ingest, tracks, every detector,
outputs; no store). The cost exponent is the slope of a least-squares fit of log(wall time)
on log(positions) per engine. The machine is shared: the 1-minute load average before each
run is recorded, and ``--repeats`` takes the median wall time (peak memory: the max).

    make bench-scale                                          # the committed table
    .venv/bin/python benchmarks/scale.py --sizes 200k --dask-sizes 200k   # a quick check

Positions per vessel-day of the scenario are ~172, so a size maps to vessels at ``--days``
(default 1: "a 50 M-position day" is one day of data).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
from _common import git_commit

from sanctionwatch.simulate.scale import GENERATION

ROOT = Path(__file__).resolve().parents[1]
POSITIONS_PER_VESSEL_DAY = 172.4
VENV_BIN = Path(sys.executable).parent


@dataclass
class Run:
    """One measured configuration (median over repeats)."""

    label: str
    engine: str
    positions: int
    wall_s: float
    cpu_s: float
    peak_gb: float
    load1: float
    repeats: int
    status: str = "ok"

    @property
    def per_s(self) -> float:
        return self.positions / self.wall_s if self.wall_s > 0 else math.nan


def parse_size(text: str) -> int:
    """``1M`` -> 1_000_000, ``200k`` -> 200_000, ``5000`` -> 5000."""
    t = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def dataset(data_dir: Path, label: str, target: int, days: int,
            seed: int) -> tuple[list[Path], int]:
    """The ``scale`` scenario at about ``target`` positions (generated once, in a subprocess)."""
    vessels = max(2, round(target / (POSITIONS_PER_VESSEL_DAY * days) / 100) * 100
                  if target >= 20_000 else round(target / (POSITIONS_PER_VESSEL_DAY * days)))
    folder = data_dir / f"scale-g{GENERATION}-{vessels}v-{days}d-s{seed}"
    if not (folder / "simulation.json").exists():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        print(f"[{label}] generating {vessels:,} vessels x {days} d -> {folder}", flush=True)
        code = ("import sys; from sanctionwatch.simulate import simulate; "
                "simulate('scale', int(sys.argv[1]), sys.argv[2], vessels=int(sys.argv[3]), "
                "days=int(sys.argv[4]), fmt='parquet')")
        subprocess.run([sys.executable, "-c", code, str(seed), str(partial), str(vessels),
                        str(days)], check=True)
        partial.rename(folder)
    meta = json.loads((folder / "simulation.json").read_text())
    return sorted(folder.glob("ais-*.parquet")), int(meta["positions"])


class TreeSampler:
    """Largest sampled sum of RSS over some processes and their descendants."""

    def __init__(self, pids: list[int], every_s: float = 0.2, cap: float = 0.0,
                 on_cap: Callable[[], None] | None = None) -> None:
        self.pids = pids
        self.cap = cap
        self.on_cap = on_cap
        self.capped = False
        self.every_s = every_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self.pids:
                try:
                    p = psutil.Process(pid)
                    procs = [p, *p.children(recursive=True)]
                except psutil.Error:
                    continue
                for q in procs:
                    with contextlib.suppress(psutil.Error):
                        total += q.memory_info().rss
            self.peak = max(self.peak, total)
            if self.cap and total > self.cap and self.on_cap is not None:
                self.capped = True
                self.on_cap()
            self._stop.wait(self.every_s)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class DaskCluster:
    """``dask scheduler`` plus ``dask worker --nworkers N --nthreads 1`` as subprocesses."""

    def __init__(self, n_workers: int, work: Path) -> None:
        self.n = n_workers
        self.file = work / f"scheduler-{n_workers}.json"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.log = work / f"dask-{n_workers}.log"

    def __enter__(self) -> DaskCluster:
        self.file.unlink(missing_ok=True)
        log = self.log.open("wb")
        dask = str(VENV_BIN / "dask")
        self.procs.append(subprocess.Popen(
            [dask, "scheduler", "--scheduler-file", str(self.file), "--no-dashboard",
             "--port", "0"], stdout=log, stderr=log))
        for _ in range(300):
            if self.file.exists():
                break
            time.sleep(0.1)
        self.procs.append(subprocess.Popen(
            [dask, "worker", "--scheduler-file", str(self.file), "--nworkers", str(self.n),
             "--nthreads", "1", "--no-dashboard", "--memory-limit", "0"],
            stdout=log, stderr=log))
        from distributed import Client

        with Client(scheduler_file=str(self.file), timeout=60) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(self.n, timeout=120)  # type: ignore[no-untyped-call]
        return self

    @property
    def address(self) -> str:
        return str(json.loads(self.file.read_text())["address"])

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def run_once(files: list[Path], engine: str, work: Path, timeout_s: float,
             cluster: DaskCluster | None, cap_gb: float) -> tuple[float, float, float, str]:
    """Wall s, CPU s (client), peak GB, status of one ``sanctionwatch detect`` subprocess."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(VENV_BIN / "sanctionwatch"), "detect", *map(str, files), "-o", str(out),
           "--no-store", "--show", "0", "--engine", "dask" if cluster else engine]
    if cluster is not None:
        cmd += ["--scheduler", cluster.address]
    extra = [p.pid for p in cluster.procs] if cluster is not None else []
    t0 = time.perf_counter()
    with (work / "detect.log").open("ab") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=log)
        status = "ok"
        with TreeSampler([proc.pid, *extra], cap=cap_gb * 1e9, on_cap=proc.kill) as sampler:
            timer = threading.Timer(timeout_s, proc.kill)
            timer.start()
            _, code, ru = os.wait4(proc.pid, 0)
            timer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = code
    if code != 0:
        status = ("timeout" if wall >= timeout_s
                  else f"killed above {cap_gb:g} GB" if sampler.capped
                  else f"exit {os.waitstatus_to_exitcode(code)}")
    peak = sampler.peak if cluster is not None else ru.ru_maxrss * 1024
    return wall, ru.ru_utime + ru.ru_stime, peak / 1e9, status


def measure(label: str, files: list[Path], n_pos: int, engine: str, repeats: int, work: Path,
            timeout_s: float, cap_gb: float) -> Run:
    walls: list[float] = []
    cpus: list[float] = []
    peaks: list[float] = []
    loads: list[float] = []
    status = "ok"
    for _ in range(repeats):
        loads.append(os.getloadavg()[0])
        if engine.startswith("dask-"):
            with DaskCluster(int(engine.split("-")[1]), work) as cluster:
                wall, cpu, peak, status = run_once(files, engine, work, timeout_s, cluster, cap_gb)
        else:
            wall, cpu, peak, status = run_once(files, engine, work, timeout_s, None, cap_gb)
        walls.append(wall)
        cpus.append(cpu)
        peaks.append(peak)
        if status != "ok":
            break
    run = Run(label, engine, n_pos, statistics.median(walls), statistics.median(cpus),
              max(peaks), statistics.median(loads), len(walls), status)
    print(f"[{label}] {engine}: {run.wall_s:.1f} s, {run.per_s:,.0f} pos/s, "
          f"{run.peak_gb:.2f} GB, load {run.load1:.1f}, {status}", flush=True)
    return run


def exponent(runs: list[Run]) -> float | None:
    """Slope of log(wall) on log(positions) (None with fewer than two distinct sizes)."""
    pts = [(math.log(r.positions), math.log(r.wall_s)) for r in runs if r.status == "ok"]
    if len({x for x, _ in pts}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    return (sum((x - mx) * (y - my) for x, y in pts)
            / sum((x - mx) ** 2 for x, _ in pts))


def render(runs: list[Run], argv: list[str], days: int, started: str, loads: tuple[float, ...],
           notes: list[str]) -> str:
    cores = os.cpu_count()
    mem = psutil.virtual_memory().total / 2**30
    lines = [
        "# End-to-end detect: throughput, peak memory, Dask scaling",
        "",
        "Command: `.venv/bin/python benchmarks/scale.py" + "".join(" " + a for a in argv) + "`",
        "",
        f"Date {started} UTC, commit `{git_commit()}`, Python {platform.python_version()}, "
        f"`nproc` {cores}, {mem:.0f} GB RAM, load average at start "
        f"{' / '.join(f'{x:.2f}' for x in loads)} (1/5/15 min; shared machine).",
        "",
        f"Input: simulator `scale` scenario, seed 1, {days} day(s), Parquet (files of 2,000 "
        "vessels). Each run is `sanctionwatch detect FILES -o OUT --no-store --show 0 "
        "--engine E` in a fresh subprocess: ingest, track preparation, all detectors, outputs. "
        "Peak = `ru_maxrss` of the child (local, memory) or the largest sampled RSS sum of "
        "client + scheduler + workers (dask-N, N single-threaded worker processes started "
        "before the timed run). `load` = 1-min load average before the run.",
        "",
        "| positions | engine | wall s | positions/s | CPU s (client) | peak GB | load | runs "
        "| status |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        rate = f"{r.per_s:,.0f}" if r.status == "ok" else "—"
        lines.append(f"| {r.positions:,} | {r.engine} | {r.wall_s:.1f} | {rate} | "
                     f"{r.cpu_s:.1f} | {r.peak_gb:.2f} | {r.load1:.1f} | {r.repeats} | "
                     f"{r.status} |")
    lines += ["", "## Cost exponent (log-log fit of wall time on positions)", "",
              "Fit over all sizes, and between the two largest only: the fixed cost of a run "
              "(interpreter, imports, reference data: about a second) flattens the fit at "
              "small sizes, so the last column is the one that shows how the cost grows.", "",
              "| engine | sizes | exponent (all) | exponent (two largest) |",
              "|---|---|---:|---:|"]
    for engine in dict.fromkeys(r.engine for r in runs):
        sel = [r for r in runs if r.engine == engine and r.status == "ok"]
        k = exponent(sel)
        top = exponent(sorted(sel, key=lambda r: r.positions)[-2:])
        sizes = ", ".join(f"{r.positions:,}" for r in sel)
        lines.append(f"| {engine} | {sizes} | {'—' if k is None else f'{k:.2f}'} | "
                     f"{'—' if top is None else f'{top:.2f}'} |")
    dask = [r for r in runs if r.engine.startswith("dask-")]
    if dask:
        lines += ["", "## Dask scaling (same input, 1 vs 2 workers)", "",
                  "| positions | dask-1 s | dask-2 s | speed-up 2/1 |", "|---:|---:|---:|---:|"]
        for n in dict.fromkeys(r.positions for r in dask):
            one = next((r for r in dask if r.positions == n and r.engine == "dask-1"), None)
            two = next((r for r in dask if r.positions == n and r.engine == "dask-2"), None)
            if one and two:
                lines.append(f"| {n:,} | {one.wall_s:.1f} | {two.wall_s:.1f} | "
                             f"{one.wall_s / two.wall_s:.2f} |")
    lines += ["", "## Targets", ""]
    best = max((r for r in runs if r.status == "ok"), key=lambda r: r.per_s, default=None)
    if best:
        lines.append(f"- >= 1 M positions/s end to end on 2 cores: best measured "
                     f"{best.per_s:,.0f}/s ({best.engine}, {best.positions:,}) — "
                     f"{'met' if best.per_s >= 1e6 else 'NOT met'}.")
    big = [r for r in runs if r.positions >= 45_000_000 and r.status == "ok"]
    if big:
        lo = min(big, key=lambda r: r.peak_gb)
        lines.append(f"- 50 M-position day under 8 GB: {lo.peak_gb:.2f} GB ({lo.engine}) — "
                     f"{'met' if lo.peak_gb < 8 else 'NOT met'}.")
    else:
        lines.append("- 50 M-position day under 8 GB: not measured in this run (see notes).")
    lines.append("- cost linear in positions: see the exponents above (1.0 = linear).")
    if notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1M,10M,50M",
                    help="positions, comma-separated")
    ap.add_argument("--engines", default="local,memory")
    ap.add_argument("--memory-max", default="10M",
                    help="largest size run with the memory engine (one frame)")
    ap.add_argument("--dask-workers", default="1,2")
    ap.add_argument("--dask-sizes", default="1M,10M")
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1, help="median of this many runs")
    ap.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per run")
    ap.add_argument("--rss-cap", type=float, default=16.0,
                    help="kill a run whose RSS exceeds this many GB (protects a shared machine)")
    ap.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "swbench")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/scale.md")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--note", action="append", default=[], help="extra note for the table")
    args = ap.parse_args()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    loads = os.getloadavg()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="swscale-", dir=args.data_dir))
    mem_max = parse_size(args.memory_max)
    dask_sizes = {parse_size(s) for s in args.dask_sizes.split(",") if s}
    runs: list[Run] = []
    try:
        for label in args.sizes.split(","):
            target = parse_size(label)
            files, n_pos = dataset(args.data_dir, label, target, args.days, args.seed)
            engines = [e for e in args.engines.split(",")
                       if e and (e != "memory" or target <= mem_max)]
            if target in dask_sizes:
                engines += [f"dask-{w}" for w in args.dask_workers.split(",") if w]
            for engine in engines:
                runs.append(measure(label, files, n_pos, engine, args.repeats, work,
                                    args.timeout, args.rss_cap))
                text = render(runs, sys.argv[1:], args.days, started, loads, args.note)
                args.out.write_text(text)
                if args.json:
                    args.json.write_text(json.dumps(
                        [asdict(r) | {"per_s": r.per_s} for r in runs], indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
