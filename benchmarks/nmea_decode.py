"""NMEA decoding throughput: ``fastdecode`` against pyais, and the reader before and after.

Run: ``.venv/bin/python benchmarks/nmea_decode.py [--sentences 1000000] [--repeat 3]``.

Builds a file of at least ``--sentences`` sentences in a temporary directory (the shared
NMEA corpora repeated, plus seeded messages generated with ``pyais.encode_dict``), then
times, as medians of ``--repeat`` runs in this one process:

(a) payload decoding of the same messages: ``decode_payloads`` vs pyais' per-message
    decode, both from (payload, fill bits) and from whole sentences (``pyais.decode``);
(b) the end-to-end reader ``read_nmea`` line by line with pyais decoding (the previous
    path, ``fast_decode=False``) and with the column-wise framing and bulk decode.

Writes ``benchmarks/results/nmea_decode.md``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyais
from pyais.bit_vector import bit_vector
from pyais.messages import (
    MessageType1,
    MessageType5,
    MessageType18,
    MessageType19,
    MessageType24,
    MessageType27,
)

from sanctionwatch.ingest.ais.fastdecode import SUPPORTED_TYPES, decode_payloads
from sanctionwatch.ingest.ais.nmea import NmeaReader
from sanctionwatch.ingest.ais.nmea_messages import TYPE_OF

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "ais"
CORPORA = [*sorted((DATA / "pyais-nmea").iterdir()),
           *sorted((DATA / "aisdb-testdata").glob("*.nm4")),
           *sorted((DATA / "aisdb-testdata").glob("*.nmea"))]
OUT = ROOT / "benchmarks" / "results" / "nmea_decode.md"
CLASSES: dict[int, Any] = {1: MessageType1, 2: MessageType1, 3: MessageType1, 5: MessageType5,
                           18: MessageType18, 19: MessageType19, 24: MessageType24,
                           27: MessageType27}


def generated(n: int, seed: int = 5) -> list[list[str]]:
    """``n`` random messages of the supported types, as lists of sentences."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = rng.choice([1, 1, 1, 2, 3, 18, 18, 19, 5, 24, 27])
        d: dict[str, Any] = {"msg_type": t, "mmsi": rng.randrange(1, 10**9)}
        if t == 27:
            d.update(lat=rng.uniform(-90, 90), lon=rng.uniform(-180, 180),
                     speed=rng.randrange(64), course=rng.randrange(512), status=rng.randrange(16))
        elif t in (5, 24):
            d.update(shipname=f"SHIP {rng.randrange(10**6)}", callsign=f"CS{rng.randrange(999)}",
                     ship_type=rng.randrange(100), to_bow=rng.randrange(512),
                     destination="PORT", partno=rng.randrange(2), imo=rng.randrange(10**7),
                     mothership_mmsi=rng.randrange(10**9))
        else:
            d.update(lat=rng.uniform(-90, 90), lon=rng.uniform(-180, 180),
                     speed=rng.randrange(1024) / 10, course=rng.randrange(3600) / 10,
                     heading=rng.randrange(512), status=rng.randrange(16), shipname="GEN")
        out.append(pyais.encode_dict(d, seq_id=rng.randrange(10)))
    return out


def _tagged(sentence: str, t: int) -> str:
    body = f"c:{t}"
    return f"\\{body}*{reduce(xor, body.encode(), 0):02X}\\{sentence}"


def build_file(path: Path, target: int) -> int:
    """Write ≥ ``target`` sentences: the corpora and generated messages, repeated."""
    block = []
    for f in CORPORA:
        block.extend(f.read_text(errors="replace").splitlines())
    for i, sentences in enumerate(generated(4000)):
        block.extend(_tagged(s, 1_700_000_000 + i) for s in sentences)
    lines = 0
    with path.open("w") as fh:
        while lines < target:
            fh.write("\n".join(block) + "\n")
            lines += len(block)
    return lines


def messages(target: int) -> tuple[list[list[bytes]], list[bytes], list[int]]:
    """≥ ``target`` decodable messages of the supported types: sentences, payload, fill."""
    base_sentences: list[list[bytes]] = []
    for f in CORPORA:
        for m in pyais.FileReaderStream(str(f)):
            try:
                if m.decode().msg_type in SUPPORTED_TYPES:
                    base_sentences.append(m.raw.split(b"\n"))
            except Exception:  # not decodable by pyais: left out
                continue
    for sentences in generated(4000):
        base_sentences.append([s.encode() for s in sentences])
    sents: list[list[bytes]] = []
    while len(sents) < target:
        sents.extend(base_sentences)
    payloads, fills = [], []
    for parts in sents:
        fields = [p.split(b",") for p in parts]
        payloads.append(b"".join(f[5] for f in fields))
        fills.append(int(fields[-1][6][:1]))
    return sents, payloads, fills


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    sents, payloads, fills = messages(args.sentences)
    n_sentences = sum(map(len, sents))
    raw = [[s.decode() for s in parts] for parts in sents]
    type_of = TYPE_OF

    def fast_payloads() -> None:
        decode_payloads(payloads, fills)

    def pyais_payloads() -> None:
        for p, f in zip(payloads, fills, strict=True):
            CLASSES[type_of[p[0]]].from_vector(bit_vector(p, f))

    def fast_sentences() -> None:
        # Fields split with polars string ops; multi-sentence payloads joined per message.
        counts = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
        frame = pl.DataFrame({
            "msg": np.repeat(np.arange(len(raw)), counts),
            "multi": np.repeat(counts > 1, counts),
            "s": [s for parts in raw for s in parts],
        }).select("msg", "multi", pl.col("s").str.split_exact(",", 6)
                  .struct.field("field_5", "field_6"))
        single = frame.filter(~pl.col("multi")).select("msg", "field_5", "field_6")
        multi = frame.filter(pl.col("multi")).group_by("msg", maintain_order=True).agg(
            pl.col("field_5").str.join(""), pl.col("field_6").last())
        joined = pl.concat([single, multi]).sort("msg")
        decode_payloads(joined["field_5"].cast(pl.Binary).to_list(),
                        joined["field_6"].str.slice(0, 1).cast(pl.Int64).to_numpy())

    def pyais_sentences() -> None:
        for parts in raw:
            pyais.decode(*parts)

    rows: list[tuple[str, str, int, float, list[float], float, list[float]]] = []
    for label, unit, n, ours, theirs in (
        ("(a) payload decoding: payload + fill bits -> fields", "messages", len(payloads),
         fast_payloads, pyais_payloads),
        ("(a') sentence decoding: NMEA sentences -> fields", "messages", len(payloads),
         fast_sentences, pyais_sentences),
    ):
        t_ours, all_ours = median_time(ours, args.repeat)
        t_theirs, all_theirs = median_time(theirs, args.repeat)
        rows.append((label, unit, n, t_theirs, all_theirs, t_ours, all_ours))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.nmea"
        n_lines = build_file(path, args.sentences)

        def reader(fast: bool) -> Callable[[], None]:
            def run() -> None:
                for _ in NmeaReader(path, fast_decode=fast).batches():
                    pass
            return run

        t_new, all_new = median_time(reader(True), args.repeat)
        t_old, all_old = median_time(reader(False), args.repeat)
        rows.append(("(b) end-to-end `read_nmea` (lines -> batches)", "lines", n_lines,
                     t_old, all_old, t_new, all_new))

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip() or "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def fmt(ts: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in ts)

    lines = [
        "# NMEA decoding: `fastdecode` vs pyais",
        "",
        f"Command: `.venv/bin/python benchmarks/nmea_decode.py --sentences {args.sentences} "
        f"--repeat {args.repeat}`  ",
        f"Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit `{commit}` (plus uncommitted "
        "work at the time of the run)  ",
        f"Machine: {cpu}, {os_cpus()} cores, shared and noisy; Python "
        f"{platform.python_version()}, numpy {np.__version__}, pyais {pyais.__version__}.  ",
        f"Input: {n_sentences:,} sentences / {len(payloads):,} messages of types 1, 2, 3, 5, "
        "18, 19, 24, 27 (the shared corpora's decodable messages of those types and 4,000 "
        f"seeded `pyais.encode_dict` messages, repeated); for (b) a file of {n_lines:,} lines "
        "(the corpus files verbatim, with their comments, other sentences, rejects and "
        "ignored types, plus the generated messages behind `c:` tag blocks, repeated).",
        "",
        f"Times are medians of {args.repeat} runs in one process, in seconds (all runs listed).",
        "",
        "| measurement | items | pyais (s) | fast (s) | pyais items/s | fast items/s | speed-up |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, unit, n, t_old_, all_old_, t_new_, all_new_ in rows:
        lines.append(
            f"| {label} | {n:,} {unit} | {t_old_:.2f} ({fmt(all_old_)}) | {t_new_:.2f} "
            f"({fmt(all_new_)}) | {n / t_old_:,.0f} | {n / t_new_:,.0f} | "
            f"**{t_old_ / t_new_:.1f}x** |")
    lines += [
        "",
        "pyais side: (a) `MessageTypeN.from_vector(bit_vector(payload, fill))`, the call the "
        "reader made per message; (a') `pyais.decode(*sentences)`. Fast side: (a) one "
        "`decode_payloads(payloads, fills)` call over all messages; (a') the same after "
        "splitting the sentences with polars string ops and joining multi-sentence payloads "
        "(no checksum check, which `pyais.decode` does; the reader checks checksums itself). "
        "(b) is `NmeaReader(path, fast_decode=...)` over the file with "
        "`fast_decode=False` (every line by the per-line path, pyais per message: the "
        "previous reader) and True (blocks of lines framed column-wise, plain lines and "
        "two-sentence messages decoded in bulk).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


def os_cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
