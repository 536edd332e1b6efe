"""End-to-end ``detect`` throughput on the formats users have, with peers in the same run.

For each realistic input (``throughput_inputs.py``: raw NMEA with tag blocks, DMA CSV,
MarineCadastre CSV and Parquet with every column and text timestamps), runs
``sanctionwatch detect FILE -o OUT --no-store --show 0 --engine E`` in a fresh subprocess per
run, for each engine and each checkout's code (``--code PATH``: a ``src`` folder put first on
``PYTHONPATH``; several are run interleaved, so a before/after ratio comes from one run), and
in the same run the peers, each in a fresh subprocess timed around the call only (interpreter
start and imports excluded, which favours the peer):

- ``pyais.decode`` over the messages of the NMEA file's first ``--pyais-lines`` lines
  (multi-sentence messages grouped beforehand as pyais users do, with
  ``pyais.FileReaderStream``; corrupt ones are tried and counted as errors), and the whole
  ``FileReaderStream`` + ``decode`` loop over the same lines;
- ``pyarrow.csv.read_csv`` on the CSV files, ``pyarrow.parquet.read_table`` on the Parquet.

Wall time is the median of ``--repeats`` runs, peak memory the maximum ``ru_maxrss`` (from
``os.wait4``), load the median 1-minute load average before the runs (shared machine).
Writes ``benchmarks/results/throughput.md`` and ``.json`` with the issue-15 targets.

    make bench-throughput
    .venv/bin/python benchmarks/throughput.py --scale 0.05 --inputs nmea,mc-csv \\
        --before /tmp/wt-base/src --out /tmp/t.md       # a quick before/after check
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from throughput_inputs import DATA_DIR, INPUTS, ROOT, SRC, ensure

NMEA_TARGET_X = 8.0
"""Issue 15: NMEA ``detect`` lines/s end to end >= 8x ``pyais.decode`` messages/s."""
CSV_TARGET_PER_S = 500_000.0
"""Issue 15: MarineCadastre CSV with every column >= 500 k rows/s end to end."""
PARQUET_TARGET_PER_S = 1_000_000.0
"""Issue 15: Parquet, every column, text timestamps, >= 1 M positions/s at 10 M positions."""
PARQUET_TARGET_ROWS = 10_000_000
DEFAULT_INPUTS = "nmea,dma-csv,mc-csv,mc-parquet,mc10-parquet"


@dataclass
class Code:
    """A checkout's ``src`` folder and how the tables name it."""

    label: str
    path: Path
    commit: str


@dataclass
class Result:
    """One measured configuration: a detect run (code, engine) or a peer, median of runs."""

    input: str
    what: str  # "detect" or the peer's name
    code: str  # code label; "" for a peer
    engine: str
    units: str  # "lines", "rows" or "messages"
    count: int
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks_gb: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    status: str = "ok"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def wall_s(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def per_s(self) -> float:
        return self.count / self.wall_s if self.walls and self.wall_s > 0 else float("nan")

    def row(self) -> dict[str, Any]:
        return asdict(self) | {"wall_s": self.wall_s, "per_s": self.per_s}


def commit_of(src: Path) -> str:
    """The commit checked out where ``src`` lives (``unknown`` outside git)."""
    try:
        out = subprocess.run(["git", "-C", str(src), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, check=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(src), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def parse_codes(codes: list[str], before: str | None) -> list[Code]:
    """``--code [LABEL=]PATH`` entries (default: this checkout's ``src``); ``--before PATH``
    adds ``before=PATH`` first and this checkout as ``after``."""
    out: list[Code] = []
    if before:
        out.append(Code("before", Path(before).resolve(), commit_of(Path(before))))
    for c in codes:
        label, _, path = c.rpartition("=")
        p = Path(path).resolve()
        out.append(Code(label or p.parent.name, p, commit_of(p)))
    if not codes:
        out.append(Code("after" if before else "current", SRC, commit_of(SRC)))
    return out


def _env(src: Path) -> dict[str, str]:
    return os.environ | {"PYTHONPATH": str(src)}


def _wait(proc: subprocess.Popen[bytes], timeout_s: float, cap_gb: float
          ) -> tuple[float, float, float, str]:
    """Wait for ``proc`` (killed past ``timeout_s`` or ``cap_gb`` of RSS): CPU s, peak GB,
    exit status text, and the time it ended (perf_counter)."""
    capped = threading.Event()

    def watch() -> None:
        while proc.returncode is None and not capped.is_set():
            try:
                if psutil.Process(proc.pid).memory_info().rss > cap_gb * 1e9:
                    capped.set()
                    proc.kill()
                    return
            except psutil.Error:
                return
            time.sleep(0.2)

    timer = threading.Timer(timeout_s, proc.kill)
    timer.start()
    sampler = threading.Thread(target=watch, daemon=True)
    sampler.start()
    _, code, ru = os.wait4(proc.pid, 0)
    end = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(code)
    timer.cancel()
    status = "ok" if code == 0 else (f"killed above {cap_gb:g} GB" if capped.is_set()
                                     else f"exit {proc.returncode}")
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024 / 1e9, end, status


def run_detect(file: Path, code: Code, engine: str, work: Path, timeout_s: float,
               cap_gb: float) -> tuple[float, float, float, str]:
    """Wall s, CPU s, peak GB, status of one ``sanctionwatch detect`` in a fresh process."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-c", "from sanctionwatch.cli import main; main()", "detect",
           str(file), "-o", str(out), "--no-store", "--show", "0", "--engine", engine]
    with (work / "detect.log").open("ab") as log:
        log.write(f"\n### {code.label} {engine} {file}\n".encode())
        log.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=log, env=_env(code.path))
        cpu, peak, end, status = _wait(proc, timeout_s, cap_gb)
    if status != "ok":
        status += f" (see {work / 'detect.log'})"
    return end - t0, cpu, peak, status


def run_peer(peer: str, file: Path, pyais_lines: int, timeout_s: float, cap_gb: float
             ) -> tuple[dict[str, Any], float, str]:
    """A peer in a fresh process: its JSON report, peak GB, status."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--peer", peer, str(file),
           "--pyais-lines", str(pyais_lines)]
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, env=_env(SRC))
        _, peak, _, status = _wait(proc, timeout_s, cap_gb)
        out.seek(0)
        text = out.read().decode()
    return (json.loads(text.strip().splitlines()[-1]) if status == "ok" else {}), peak, status


# --- the peers, run inside their own process --------------------------------------------------

def peer_main(peer: str, file: Path, pyais_lines: int) -> dict[str, Any]:
    """Time one peer on ``file``; returns what it counted and the seconds of the call."""
    if peer == "pyarrow.csv":
        import pyarrow.csv

        t0 = time.perf_counter()
        table = pyarrow.csv.read_csv(file)
        return {"seconds": time.perf_counter() - t0, "count": table.num_rows}
    if peer == "pyarrow.parquet":
        import pyarrow.parquet

        t0 = time.perf_counter()
        table = pyarrow.parquet.read_table(file)
        return {"seconds": time.perf_counter() - t0, "count": table.num_rows}
    import pyais
    from pyais.stream import FileReaderStream

    with file.open("rb") as fh, tempfile.NamedTemporaryFile(suffix=".nmea") as tmp:
        for line in itertools.islice(fh, pyais_lines):
            tmp.write(line)
        tmp.flush()
        groups = [m.raw.split(b"\n") for m in FileReaderStream(tmp.name)]
        errors = 0
        t0 = time.perf_counter()
        for parts in groups:
            try:
                pyais.decode(*parts)
            except Exception:  # a peer's failure on a corrupt message counts, not stops
                errors += 1
        seconds = time.perf_counter() - t0
        stream_n = 0
        t0 = time.perf_counter()
        for m in FileReaderStream(tmp.name):
            try:
                m.decode()
                stream_n += 1
            except Exception:  # as above
                pass
        stream_s = time.perf_counter() - t0
    return {"seconds": seconds, "count": len(groups), "errors": errors, "lines": pyais_lines,
            "stream_seconds": stream_s, "stream_decoded": stream_n}


# --- the run ---------------------------------------------------------------------------------

PEERS = {"nmea": ["pyais.decode"], "csv": ["pyarrow.csv"], "parquet": ["pyarrow.parquet"]}


def measure(names: list[str], codes: list[Code], engines: list[str], repeats: int,
            scale: float, seed: int, data_dir: Path, pyais_lines: int, timeout_s: float,
            cap_gb: float, on_result: Any) -> tuple[list[Result], dict[str, dict[str, Any]]]:
    """Every input: detect per code and engine, then the peers, ``repeats`` times."""
    results: list[Result] = []
    inputs: dict[str, dict[str, Any]] = {}
    work = Path(tempfile.mkdtemp(prefix="swthroughput-", dir=data_dir))
    try:
        for name in names:
            file, info = ensure(name, scale, seed, data_dir)
            spec = INPUTS[name]
            units = "lines" if spec.kind == "nmea" else "rows"
            count = int(info["lines"] if spec.kind == "nmea" else info["rows"])
            inputs[name] = info | {"file": str(file), "units": units, "count": count}
            mine = [Result(name, "detect", c.label, e, units, count) for c in codes
                    for e in engines]
            peers = [Result(name, p, "", "", "messages" if p == "pyais.decode" else units, 0)
                     for p in PEERS["nmea" if spec.kind == "nmea" else spec.suffix]]
            results += mine + peers
            for rep in range(repeats):
                # every other repeat in reverse order, so a drift of the machine's load
                # weighs on each configuration alike
                for r in mine if rep % 2 == 0 else mine[::-1]:
                    if r.status != "ok":
                        continue
                    code = next(c for c in codes if c.label == r.code)
                    r.loads.append(os.getloadavg()[0])
                    wall, cpu, peak, status = run_detect(file, code, r.engine, work, timeout_s,
                                                         cap_gb)
                    r.walls.append(wall)
                    r.cpus.append(cpu)
                    r.peaks_gb.append(peak)
                    r.status = status
                    print(f"[{name} {rep + 1}/{repeats}] detect {r.code} {r.engine}: "
                          f"{wall:.1f} s, {count / wall:,.0f} {units}/s, {peak:.2f} GB, "
                          f"{status}", flush=True)
                for p in peers:
                    p.loads.append(os.getloadavg()[0])
                    rep_json, peak, status = run_peer(p.what, file, pyais_lines, timeout_s,
                                                      cap_gb)
                    p.status = status
                    if status != "ok":
                        continue
                    p.walls.append(float(rep_json["seconds"]))
                    p.peaks_gb.append(peak)
                    p.count = int(rep_json["count"])
                    if p.what == "pyais.decode":
                        p.extra.setdefault("stream_seconds", []).append(
                            rep_json["stream_seconds"])
                        p.extra |= {k: rep_json[k] for k in ("errors", "lines",
                                                             "stream_decoded")}
                    print(f"[{name} {rep + 1}/{repeats}] {p.what}: {rep_json['seconds']:.2f} s, "
                          f"{p.count / rep_json['seconds']:,.0f} {p.units}/s", flush=True)
                on_result(results, inputs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results, inputs


def _fmt(x: float, digits: int = 0) -> str:
    return "—" if x != x else f"{x:,.{digits}f}"


def targets(results: list[Result], inputs: dict[str, dict[str, Any]]) -> list[str]:
    """The issue's three targets, per code and engine, with met / not met."""
    lines: list[str] = []
    det = [r for r in results if r.what == "detect" and r.walls and r.status == "ok"]
    pyais_r = next((r for r in results if r.what == "pyais.decode" and r.walls), None)
    for r in det:
        if r.input != "nmea" or pyais_r is None:
            continue
        x = r.per_s / pyais_r.per_s
        lines.append(f"- NMEA end to end ÷ `pyais.decode` (`{r.code}`, `{r.engine}`): "
                     f"{_fmt(r.per_s)} lines/s ÷ {_fmt(pyais_r.per_s)} msg/s = **{x:.2f}x** "
                     f"(target >= {NMEA_TARGET_X:g}x on 2 M+ lines: "
                     f"{_met(x >= NMEA_TARGET_X, r.count >= 2_000_000, '2 M lines')}).")
    for r in det:
        if not (r.input.endswith("-csv") and r.input.startswith("mc")):
            continue
        lines.append(f"- MarineCadastre CSV end to end (`{r.input}`, `{r.code}`, `{r.engine}`, "
                     f"{r.count:,} rows): **{_fmt(r.per_s)} rows/s** (target >= 500 k: "
                     f"{_met(r.per_s >= CSV_TARGET_PER_S, True, '')}).")
    for r in det:
        if not r.input.endswith("-parquet"):
            continue
        met = _met(r.per_s >= PARQUET_TARGET_PER_S, r.count >= PARQUET_TARGET_ROWS,
                   "10 M positions")
        lines.append(f"- Parquet end to end (`{r.input}`, `{r.code}`, `{r.engine}`, "
                     f"{r.count:,} positions): **{_fmt(r.per_s)} positions/s** (target >= 1 M "
                     f"at 10 M positions: {met}).")
    if not lines:
        lines.append("- no target measured in this run.")
    return lines


def _met(ok: bool, sized: bool, size: str) -> str:
    verdict = "met" if ok else "NOT met"
    return verdict if sized else f"{verdict} at this size, but the target is at {size}"


def render(results: list[Result], inputs: dict[str, dict[str, Any]], codes: list[Code],
           argv: list[str], started: str, loads: tuple[float, ...]) -> str:
    mem = psutil.virtual_memory().total / 2**30
    out = [
        "# Throughput on realistic inputs, with peers in the same run (issue 15)", "",
        "Command: `.venv/bin/python benchmarks/throughput.py" + "".join(f" {a}" for a in argv)
        + "`", "",
        f"Date {started} UTC, Python {platform.python_version()}, `nproc` {os.cpu_count()}, "
        f"{mem:.0f} GB RAM, load average at start {' / '.join(f'{x:.2f}' for x in loads)} "
        "(1/5/15 min; shared machine). Code: "
        + ", ".join(f"`{c.label}` = `{c.path}` at `{c.commit}`" for c in codes) + ".", "",
        "Each detect run is `sanctionwatch detect FILE -o OUT --no-store --show 0 --engine E` "
        "in a fresh process (`PYTHONPATH` = the code's `src`): ingest, tracks, every "
        "detector, outputs. Peers run in a fresh process each and are timed around the call "
        "only. Wall = median of the runs; peak = max `ru_maxrss`; load = median 1-min load "
        "average before the runs.", "",
        "## Inputs", "",
        "Generated by `benchmarks/throughput_inputs.py` (`sanctionwatch.simulate.feeds`, "
        "see `docs/simulate.md`).", "",
        "| input | file | size MB | lines / rows | positions | vessels x days | other |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for name, info in inputs.items():
        other = ""
        if info["units"] == "lines":
            bad = {k: len(v) for k, v in info["corrupt"].items()}
            other = (f"type 5: {info['type5']:,}, type 24: {info['type24']:,}, type 4: "
                     f"{info['type4']:,}, corrupt: " + ", ".join(f"{k} {v:,}" for k, v in
                                                                 bad.items()))
        elif "base_station_rows" in info:
            other = f"base-station rows: {len(info['base_station_rows']):,}"
        out.append(f"| `{name}` | `{Path(info['file']).name}` | {info['bytes'] / 1e6:,.0f} | "
                   f"{info['count']:,} {info['units']} | {info.get('positions', info['count']):,}"
                   f" | {info['vessels']:,} x {info['days']} | {other} |")
    out += ["", "## Measurements", "",
            "| input | what | code | engine | count | wall s | per s | peak GB | CPU s | load "
            "| runs | status |", "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        cpu = _fmt(statistics.median(r.cpus), 1) if r.cpus else "—"
        peak = f"{max(r.peaks_gb):.2f}" if r.peaks_gb else "—"
        load = f"{statistics.median(r.loads):.1f}" if r.loads else "—"
        out.append(f"| `{r.input}` | {r.what} | {r.code or '—'} | {r.engine or '—'} | "
                   f"{r.count:,} {r.units} | {_fmt(r.wall_s, 2)} | {_fmt(r.per_s)} | {peak} | "
                   f"{cpu} | {load} | {len(r.walls)} | {r.status} |")
    pr = next((r for r in results if r.what == "pyais.decode" and r.walls), None)
    if pr is not None:
        ss = statistics.median(pr.extra["stream_seconds"])
        out += ["", f"pyais: the first {pr.extra['lines']:,} lines of the NMEA file, "
                f"{pr.count:,} messages (multi-sentence ones grouped by "
                f"`pyais.FileReaderStream` beforehand, untimed), {pr.extra['errors']:,} of them "
                f"raising; `pyais.decode` {_fmt(pr.per_s)} msg/s. The whole "
                f"`FileReaderStream` + `decode()` loop over the same lines: "
                f"{_fmt(pr.extra['stream_decoded'] / ss)} decoded msg/s."]
    if len(codes) > 1:
        out += ["", "## Before / after (same run, interleaved)", "",
                "| input | engine | " + " | ".join(f"{c.label} s" for c in codes) + " | "
                + " | ".join(f"{codes[0].label} / {c.label}" for c in codes[1:]) + " |",
                "|---|---|" + "---:|" * (2 * len(codes) - 1)]
        for name in inputs:
            for engine in dict.fromkeys(r.engine for r in results if r.what == "detect"):
                rs = [next((r for r in results if r.input == name and r.what == "detect"
                            and r.engine == engine and r.code == c.label), None) for c in codes]
                walls = [r.wall_s if r and r.walls and r.status == "ok" else float("nan")
                         for r in rs]
                out.append(f"| `{name}` | {engine} | " + " | ".join(_fmt(w, 2) for w in walls)
                           + " | " + " | ".join(f"{walls[0] / w:.2f}x" if w == w else "—"
                                                for w in walls[1:]) + " |")
    out += ["", "## Targets (issue 15)", "", *targets(results, inputs)]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", default=DEFAULT_INPUTS,
                    help=f"comma-separated, of {', '.join(INPUTS)}")
    ap.add_argument("--engines", default="memory,auto")
    ap.add_argument("--code", action="append", default=[], metavar="[LABEL=]PATH",
                    help="a checkout's src folder to run (repeatable; default: this one)")
    ap.add_argument("--before", default=None, metavar="PATH",
                    help="shorthand: run PATH as `before` and this checkout as `after`")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies the inputs' vessels (0.05: a quick check)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3, help="median of this many runs")
    ap.add_argument("--pyais-lines", type=int, default=300_000,
                    help="NMEA lines (from the start of the file) pyais decodes")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    ap.add_argument("--rss-cap", type=float, default=16.0,
                    help="kill a run whose RSS exceeds this many GB (protects a shared machine)")
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/throughput.md")
    ap.add_argument("--json", type=Path, default=None,
                    help="default: --out with .json")
    ap.add_argument("--peer", default=None, help=argparse.SUPPRESS)
    ap.add_argument("file", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        print(json.dumps(peer_main(args.peer, args.file, args.pyais_lines)))
        return
    names = [n for n in args.inputs.split(",") if n]
    unknown = [n for n in names if n not in INPUTS]
    if unknown:
        ap.error(f"unknown inputs {unknown}; expected {', '.join(INPUTS)}")
    codes = parse_codes(args.code, args.before)
    engines = [e for e in args.engines.split(",") if e]
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    loads = os.getloadavg()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    json_path = args.json or args.out.with_suffix(".json")

    def write(results: list[Result], inputs: dict[str, dict[str, Any]]) -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render(results, inputs, codes, sys.argv[1:], started, loads))
        json_path.write_text(json.dumps(
            {"started": started, "argv": sys.argv[1:], "load_at_start": loads,
             "codes": [{"label": c.label, "path": str(c.path), "commit": c.commit}
                       for c in codes],
             "inputs": {k: {a: b for a, b in v.items() if a not in ("corrupt",
                                                                   "base_station_rows")}
                        for k, v in inputs.items()},
             "results": [r.row() for r in results],
             "targets": targets(results, inputs)}, indent=2) + "\n")

    measure(names, codes, engines, args.repeats, args.scale, args.seed, args.data_dir,
            args.pyais_lines, args.timeout, args.rss_cap, write)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
