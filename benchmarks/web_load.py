"""Load benchmark of the HTTP API (issue 17): events API throughput and p50/p99 latency with
1 M stored events and 8 concurrent clients on loopback, the server's memory sampled every
second over a long run, and the same query mix straight against DuckDB in-process as the
peer (the floor an HTTP layer adds to).

    python benchmarks/web_load.py                       # 1 M events, 8 clients, 60 s + 600 s
    python benchmarks/web_load.py --events 100000 --measure-s 10 --long-s 20   # a quick look

The store is generated once into ``--work`` (kept between runs): 1 M events of the eight
behaviour types over one year for 20 000 vessels in East Asian waters, with identities and a
few list matches, written through ``DuckDBStore.add_events``. The server is ``sanctionwatch
serve`` in a subprocess; the clients are threads of this process, each with its own HTTP
connection, issuing the query mix below at random for a bounded time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
import psutil
from _common import ROOT, git_commit

TYPES = ["encounter", "loitering", "ais_gap", "port_call", "zone_entry", "identity_change",
         "draught_change", "spoofing"]
TYPE_SHARE = [0.08, 0.15, 0.2, 0.25, 0.12, 0.08, 0.07, 0.05]
T0 = datetime(2019, 1, 1, tzinfo=UTC)
YEAR_S = 365 * 86400
N_VESSELS = 20_000
ZONES = ["prk_eez_east_sea", "prk_waters_west_sea", "sts_east_china_sea", "sts_korea_bay"]


def build_store(path: Path, n: int, seed: int = 17) -> float:
    """Write ``n`` events (and identities, matches) into a new store at ``path``; seconds."""
    from sanctionwatch.schema import EVENTS
    from sanctionwatch.store import DuckDBStore

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    mmsis = rng.choice(np.arange(200_000_000, 775_999_999), N_VESSELS, replace=False)
    etype = rng.choice(len(TYPES), n, p=TYPE_SHARE)
    start = T0.timestamp() + rng.uniform(0, YEAR_S, n)
    dur_h = np.round(rng.gamma(2.0, 4.0, n), 2)
    lat = rng.uniform(20.0, 45.0, n)
    lon = rng.uniform(110.0, 145.0, n)
    gap = etype == TYPES.index("ais_gap")
    enc = etype == TYPES.index("encounter")
    zone = etype == TYPES.index("zone_entry")
    port = etype == TYPES.index("port_call")
    df = pl.DataFrame({
        "event_id": [f"{i:016x}" for i in rng.permutation(n)],
        "event_type": np.array(TYPES)[etype],
        "mmsi": rng.choice(mmsis, n),
        "other_mmsi": np.where(enc, rng.choice(mmsis, n), 0),
        "start_time": start, "duration_h": dur_h,
        "lat": lat, "lon": lon,
        "end_lat": np.where(gap, lat + rng.normal(0, 0.5, n), np.nan),
        "end_lon": np.where(gap, lon + rng.normal(0, 0.5, n), np.nan),
        "zone": np.array(ZONES)[rng.integers(0, len(ZONES), n)],
        "dprk": rng.random(n) < 0.1,
        "in_zone": zone, "is_port": port, "is_enc": enc, "is_gap": gap,
    }).with_columns(
        pl.from_epoch(pl.col("start_time") * 1e6, time_unit="us").dt.replace_time_zone("UTC")
        .alias("start_time"),
    ).with_columns(
        (pl.col("start_time") + pl.duration(seconds=pl.col("duration_h") * 3600))
        .dt.cast_time_unit("us").alias("end_time"),
        pl.when(pl.col("is_enc")).then(pl.col("other_mmsi")).otherwise(None).alias("other_mmsi"),
        pl.when(pl.col("is_gap")).then(pl.col("end_lat")).otherwise(None).alias("end_lat"),
        pl.when(pl.col("is_gap")).then(pl.col("end_lon")).otherwise(None).alias("end_lon"),
        pl.when(pl.col("in_zone")).then(pl.col("zone")).otherwise(None).alias("zone_id"),
        pl.when(pl.col("in_zone")).then(pl.col("zone").str.replace_all("_", " "))
        .otherwise(None).alias("zone_name"),
        pl.when(pl.col("is_port")).then(pl.lit("NAMPO")).otherwise(None).alias("port_name"),
        pl.when(pl.col("is_port") | pl.col("in_zone")).then(pl.col("dprk")).otherwise(None)
        .alias("is_dprk"),
        pl.when(pl.col("is_enc")).then(pl.lit(120.0)).otherwise(None).alias("median_distance_m"),
        pl.lit("{}").alias("details"),
    ).drop("zone", "dprk", "in_zone", "is_port", "is_enc", "is_gap")
    ident = pl.DataFrame({
        "mmsi": mmsis, "first_seen": [T0] * N_VESSELS, "last_seen": [T0 + timedelta(days=365)]
        * N_VESSELS, "imo": None, "name": [f"SHIP {i}" for i in range(N_VESSELS)],
        "callsign": None, "ship_type": 80, "flag": "PA", "flag_source": "mid", "n_reports": 10,
        "source": "generated", "record": np.arange(1, N_VESSELS + 1)})
    matches = pl.DataFrame({
        "mmsi": mmsis[:50], "imo": None, "ais_name": [f"SHIP {i}" for i in range(50)],
        "match_id": [f"listed-{i}" for i in range(50)],
        "match_name": [f"SHIP {i}" for i in range(50)], "datasets": [["un_1718_vessels"]] * 50,
        "score": 1.0, "is_match": True, "explanation": "generated", "matched_on": "name"})
    with DuckDBStore(path) as st:
        st.add_events(EVENTS.conform(df))
        st.add_vessel_identities(ident)
        st.replace_vessel_matches(matches)
    return time.perf_counter() - t


# -- the query mix -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    kind: str
    path: str
    params: dict[str, Any]


def query_mix(rng: random.Random, mmsis: list[int]) -> Query:
    """One query of the mix an analyst's map and list make, drawn at random."""
    x = rng.random()
    day = T0 + timedelta(days=rng.randrange(0, 330))
    lon, lat = rng.uniform(110, 140), rng.uniform(20, 40)
    box = f"{lon:.2f},{lat:.2f},{lon + 5:.2f},{lat + 5:.2f}"
    if x < 0.15:
        return Query("first_page", "/api/events", {"limit": 100})
    if x < 0.35:
        return Query("type_page", "/api/events", {"type": rng.choice(TYPES), "limit": 100,
                                                  "offset": 100 * rng.randrange(0, 50)})
    if x < 0.55:
        return Query("bbox", "/api/events", {"bbox": box, "limit": 100})
    if x < 0.70:
        return Query("time_window", "/api/events", {
            "since": day.isoformat(), "until": (day + timedelta(days=30)).isoformat(),
            "type": ["encounter", "ais_gap"], "limit": 100})
    if x < 0.82:
        return Query("vessel", "/api/events", {"mmsi": rng.choice(mmsis), "limit": 100})
    if x < 0.90:
        return Query("designated", "/api/events", {"designated": "true", "limit": 100})
    return Query("geojson_map", "/api/events.geojson", {"bbox": box, "type": "encounter",
                                                        "limit": 1000})


def direct(st: Any, q: Query) -> int:
    """The query straight against the store (what the endpoint does, minus HTTP and JSON)."""
    from dataclasses import replace

    from sanctionwatch.store import EventFilter
    from sanctionwatch.web.deps import parse_bbox, parse_time
    from sanctionwatch.web.routers.events import event_items

    p = q.params
    types = p.get("type") or ()
    f = EventFilter(event_types=tuple([types] if isinstance(types, str) else types),
                    mmsi=p.get("mmsi"), since=parse_time(p.get("since"), "since"),
                    until=parse_time(p.get("until"), "until"), bbox=parse_bbox(p.get("bbox")),
                    designated_only=p.get("designated") == "true")
    total = st.count_matching(f)
    df = st.events(replace(f, limit=p.get("limit", 100), offset=p.get("offset", 0)))
    event_items(st, df)
    return total


# -- load ----------------------------------------------------------------------------------------

@dataclass
class Result:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    requests: int = 0
    first_error: str = ""

    def add(self, kind: str, ms: float) -> None:
        self.latencies_ms.setdefault(kind, []).append(ms)
        self.requests += 1


def run_clients(n_clients: int, seconds: float, make: Callable[[int], Callable[[Query], int]],
                mmsis: list[int]) -> tuple[Result, float]:
    """``n_clients`` threads issuing the mix for ``seconds``; the merged result, seconds."""
    results = [Result() for _ in range(n_clients)]
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        rng = random.Random(1000 + i)
        call = make(i)
        while time.perf_counter() < stop:
            q = query_mix(rng, mmsis)
            t = time.perf_counter()
            try:
                call(q)
            except Exception as exc:  # counted, and the run goes on: an error rate is a result
                results[i].errors += 1
                results[i].first_error = results[i].first_error or repr(exc)[:300]
                continue
            results[i].add(q.kind, (time.perf_counter() - t) * 1000)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t0
    merged = Result()
    for r in results:
        merged.errors += r.errors
        merged.first_error = merged.first_error or r.first_error
        for k, v in r.latencies_ms.items():
            for ms in v:
                merged.add(k, ms)
    return merged, elapsed


def summary(r: Result, seconds: float) -> dict[str, Any]:
    every = [x for v in r.latencies_ms.values() for x in v]

    def pct(xs: list[float], p: float) -> float:
        return float(np.percentile(xs, p)) if xs else float("nan")

    return {
        "requests": r.requests, "errors": r.errors, "first_error": r.first_error,
        "seconds": round(seconds, 1),
        "throughput_rps": round(r.requests / seconds, 1),
        "p50_ms": round(pct(every, 50), 1), "p99_ms": round(pct(every, 99), 1),
        "by_kind": {k: {"n": len(v), "p50_ms": round(pct(v, 50), 1),
                        "p99_ms": round(pct(v, 99), 1)}
                    for k, v in sorted(r.latencies_ms.items())},
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = ("import sys; sys.argv[0] = 'sanctionwatch'; from sanctionwatch.cli import main; "
            "main()")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--store", str(store),
                             "--port", str(port)], env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not come up within 60 s")


class RssSampler(threading.Thread):
    """The server's resident memory, sampled every ``period_s`` seconds."""

    def __init__(self, pid: int, period_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.period_s = period_s
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MB)
        self._stop_event = threading.Event()

    def run(self) -> None:
        t0 = time.perf_counter()
        while not self._stop_event.is_set():
            self.samples.append((time.perf_counter() - t0,
                                 self.proc.memory_info().rss / 2**20))
            self._stop_event.wait(self.period_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def memory_summary(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """RSS at the start and end, the peak, and the slope over the second half (MB/min):
    flat memory has a slope near 0 once the caches are warm."""
    ts = np.array([t for t, _ in samples])
    mb = np.array([m for _, m in samples])
    half = ts >= ts[-1] / 2
    slope = float(np.polyfit(ts[half], mb[half], 1)[0] * 60) if half.sum() > 2 else float("nan")
    return {"samples": len(samples), "first_mb": round(float(mb[0]), 1),
            "after_1min_mb": round(float(mb[min(60, len(mb) - 1)]), 1),
            "last_mb": round(float(mb[-1]), 1), "max_mb": round(float(mb.max()), 1),
            "second_half_slope_mb_per_min": round(slope, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--measure-s", type=float, default=60.0,
                    help="seconds of the throughput and latency measurement (each side)")
    ap.add_argument("--long-s", type=float, default=600.0,
                    help="seconds of the long run that the memory samples cover")
    ap.add_argument("--work", type=Path, default=Path("/tmp/swbench-web"))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/web_load.md")
    ap.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    # this checkout's package, as the server subprocess gets it (PYTHONPATH=src)
    sys.path.insert(0, str(ROOT / "src"))

    from sanctionwatch.store import DuckDBStore

    commit = git_commit()  # at the start: the code the run measures
    if commit == "unknown":
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip() or "unknown"
    args.work.mkdir(parents=True, exist_ok=True)
    store = args.work / f"events-{args.events}.duckdb"
    if args.build_only:
        print(f"built {store} in {build_store(store, args.events):.1f} s", flush=True)
        return
    build_s = None
    if not store.exists():
        # in a child process: this one then opens the file read-only only, as the server does
        print(f"building {store} ...", flush=True)
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build-only", "--events", str(args.events),
                        "--work", str(args.work)], check=True)
        build_s = time.perf_counter() - t
    with DuckDBStore(store, read_only=True) as st:
        n = st.count_events()
        mmsis = [int(r[0]) for r in st.con.execute(
            "SELECT DISTINCT mmsi FROM events ORDER BY 1 LIMIT 5000").fetchall()]
    size_mb = store.stat().st_size / 2**20
    print(f"{n} events, store {size_mb:.0f} MB", flush=True)
    load_before = os.getloadavg()

    # peer: the same mix in-process, one read-only connection per client thread
    def make_direct(i: int) -> Callable[[Query], int]:
        st = DuckDBStore(store, read_only=True)
        return lambda q: direct(st, q)

    run_clients(args.clients, min(5.0, args.measure_s), make_direct, mmsis)  # warm the cache
    peer, peer_s = run_clients(args.clients, args.measure_s, make_direct, mmsis)
    peer_sum = summary(peer, peer_s)
    print("direct:", json.dumps({k: v for k, v in peer_sum.items() if k != "by_kind"}),
          flush=True)

    port = free_port()
    server = start_server(store, port)
    sampler = RssSampler(server.pid)
    sampler.start()
    try:
        base = f"http://127.0.0.1:{port}"

        def make_http(i: int) -> Callable[[Query], int]:
            client = httpx.Client(base_url=base, timeout=60)

            def call(q: Query) -> int:
                r = client.get(q.path, params=q.params)
                r.raise_for_status()
                return len(r.content)
            return call

        run_clients(args.clients, min(5.0, args.measure_s), make_http, mmsis)  # warm-up
        api, api_s = run_clients(args.clients, args.measure_s, make_http, mmsis)
        api_sum = summary(api, api_s)
        print("api:", json.dumps({k: v for k, v in api_sum.items() if k != "by_kind"}),
              flush=True)
        rest = max(0.0, args.long_s - args.measure_s)
        long_r, long_s = run_clients(args.clients, rest, make_http, mmsis)
        long_sum = summary(long_r, long_s)
    finally:
        sampler.stop()
        server.terminate()
        server.wait(timeout=30)
    mem = memory_summary(sampler.samples)
    print("memory:", json.dumps(mem), flush=True)

    machine = (f"{platform.machine()}, {psutil.cpu_count()} logical CPUs, "
               f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM, Python "
               f"{platform.python_version()}; load average before the run "
               f"{load_before[0]:.2f} (other work shares the CPUs)")
    command = ("python benchmarks/web_load.py" + (f" --events {args.events}"
               if args.events != 1_000_000 else "") + f" --clients {args.clients} "
               f"--measure-s {args.measure_s:g} --long-s {args.long_s:g}")
    result = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
        "command": command, "machine": machine, "events": n, "store_mb": round(size_mb, 1),
        "store_build_s": None if build_s is None else round(build_s, 1),
        "clients": args.clients, "api": api_sum, "direct": peer_sum,
        "ratio_throughput_api_over_direct": round(
            api_sum["throughput_rps"] / max(peer_sum["throughput_rps"], 1e-9), 3),
        "long_run": long_sum, "memory": mem,
        "rss_samples_mb": [round(m, 1) for _, m in sampler.samples],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    args.out.write_text(report(result))
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")


def report(r: dict[str, Any]) -> str:
    a, d, m = r["api"], r["direct"], r["memory"]
    minutes = r["rss_samples_mb"][::60]
    def direct_cell(k: str, key: str) -> str:
        return str(d["by_kind"].get(k, {}).get(key, ""))

    rows = "\n".join(
        f"| {k} | {v['n']} | {v['p50_ms']} | {v['p99_ms']} | {direct_cell(k, 'p50_ms')} | "
        f"{direct_cell(k, 'p99_ms')} |" for k, v in a["by_kind"].items())
    lr = r["long_run"]

    def line(label: str, x: dict[str, Any]) -> str:
        return (f"| {label} ({x['seconds']} s) | {x['requests']} | {x['throughput_rps']} | "
                f"{x['p50_ms']} | {x['p99_ms']} | {x['errors']} |")

    return f"""# Web API load on loopback

Generated {r['generated']} by `{r['command']}` at commit {r['commit']}.
Machine: {r['machine']}.

Input: a generated store of {r['events']:,} events ({r['store_mb']} MB DuckDB file; eight
behaviour types over 2019 for 20 000 vessels in East Asian waters, with identities and 50
list matches; `benchmarks/web_load.py build_store`). Server: `sanctionwatch serve` (uvicorn,
one process) on 127.0.0.1, the store read-only through one shared connection, a cursor per
request. Clients: {r['clients']}
threads of the benchmark process, one keep-alive HTTP connection each, issuing at random the
mix an analyst's map and list make: first page (15 %), a page of one type at a random offset
up to 4 900 (20 %), a 5°×5° box (20 %), a 30-day window of encounters and gaps (15 %), one
vessel's events (12 %), events of designated vessels (8 %), and a GeoJSON map layer of up to
1 000 encounters in a box (10 %). Every JSON page carries its total (a second query). The
clients share the machine's CPUs with the server, so these figures are a floor.

Peer: the same mix run in-process straight on DuckDB (`count_matching` + `events` + the item
building, one read-only connection per client thread, no HTTP, no JSON): what the HTTP layer
adds to. On a 2-CPU machine the API can come out ahead: the peer's Python work (item building)
shares one process, and its GIL, with its 8 client threads, while over HTTP the server process
does that work beside the clients' process.

| | requests | throughput (req/s) | p50 (ms) | p99 (ms) | errors |
|---|---|---|---|---|---|
{line("API over HTTP", a)}
{line("DuckDB in-process", d)}
{line("long run, API, after the above", lr)}

Throughput ratio API / in-process: **{r['ratio_throughput_api_over_direct']}**.

By query (API p50 / p99, then in-process p50 / p99, ms):

| query | API requests | API p50 | API p99 | direct p50 | direct p99 |
|---|---|---|---|---|---|
{rows}

## Memory over the long run

Server RSS sampled every second from start-up to the end ({m['samples']} samples, per-second
values in `web_load.json`): {m['first_mb']} MB at start, {m['after_1min_mb']} MB after one
minute, {m['last_mb']} MB at the end, peak {m['max_mb']} MB; slope over the second half
**{m['second_half_slope_mb_per_min']} MB/min**.

| minute | {" | ".join(str(i) for i in range(len(minutes)))} |
|---|{"---|" * len(minutes)}
| RSS (MB) | {" | ".join(f"{x:.0f}" for x in minutes)} |
"""


if __name__ == "__main__":
    main()
