"""A store many can use: separate processes (the way users share a store) run detect, screen
and events on one store at once; a run killed while writing leaves none of its rows, and its
work folder is removed by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from sanctionwatch.store import StoreBusy, connect
from sanctionwatch.workdir import OWNER, PREFIX, clean_stale_work_dirs, make_work_dir

ROOT = Path(__file__).resolve().parents[2]
LISTS = ROOT / "tests" / "data" / "sanctions"


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["SANCTIONWATCH_LOG"] = str(Path(tempfile.gettempdir()) / "sanctionwatch-test-errors.log")
    env.update(extra)
    return env


def _cli(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from sanctionwatch.cli import main; main()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(**env),
    )


class Holder:
    """Another process holding the store open (read-write or read-only) until stopped."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        code = ("import duckdb, sys, time\n"
                f"c = duckdb.connect({str(path)!r}, read_only={read_only})\n"
                "print('held', flush=True)\n"
                "sys.stdin.read()\n")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _read_until(proc: subprocess.Popen[str], text: str, timeout: float) -> str:
    """What ``proc`` wrote on stderr up to the line holding ``text`` (fails on timeout)."""
    got: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            got.append(line)
            if text in line:
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout), "".join(got)
    assert got and text in got[-1], "".join(got)
    return "".join(got)


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("sims")
    procs = [_cli("simulate", "--scenario", "dprk-2019", "--seed", str(seed), "--days", "1",
                  "--out", str(base / f"sim{seed}")) for seed in (1, 2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    return base / "sim1" / "ais.csv", base / "sim2" / "ais.csv"


def _count(store: Path, table: str) -> int:
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()
        return int(rows[0][0])
    finally:
        con.close()


def test_connect_waits_for_a_busy_store_then_gives_up(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    duckdb.connect(str(store)).close()
    holder = Holder(store)
    told: list[str] = []
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreBusy, match="store busy"):
            connect(store, read_only=True, wait_s=0.6, notify=told.append)
        assert 0.5 < time.monotonic() - t0 < 10
        assert len(told) == 1 and "waiting" in told[0]
    finally:
        holder.release()
    connect(store, read_only=False, wait_s=0).close()


def test_two_detects_at_once_both_land(tmp_path: Path, sims: tuple[Path, Path]) -> None:
    store = tmp_path / "s.duckdb"
    duckdb.connect(str(store)).close()
    holder = Holder(store)  # held until both runs wait for it: then they race for it
    t0 = time.monotonic()
    runs = [_cli("detect", str(sim), "--out", str(tmp_path / f"out{i}"), "--store", str(store),
                 "--show", "0", SANCTIONWATCH_STORE_WAIT="300")
            for i, sim in enumerate(sims)]
    try:
        heads = [_read_until(p, "store busy", timeout=600) for p in runs]
    finally:
        holder.release()
    results = [(out, head + err) for head, (out, err)
               in zip(heads, (p.communicate(timeout=600) for p in runs), strict=True)]
    elapsed = time.monotonic() - t0
    for p, (_, err) in zip(runs, results, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err and "Could not set lock" not in err
        assert "store busy" in err
    ids = set()
    for i in range(2):
        ids |= set(pl.read_parquet(tmp_path / f"out{i}" / "events.parquet")["event_id"])
    assert len(ids) > 100
    con = duckdb.connect(str(store), read_only=True)
    stored = {r[0] for r in con.execute("SELECT event_id FROM events").fetchall()}
    n_runs = con.execute("SELECT count(*) FROM runs").fetchall()[0][0]
    con.close()
    assert stored == ids
    assert n_runs == 2
    assert elapsed < 600


def test_screens_and_events_share_the_store(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    load = _cli("lists", "load", str(LISTS / "un_1718_vessels" / "un_1718_vessels_2020-06-04.csv"),
                "--store", str(store))
    _, err = load.communicate(timeout=300)
    assert load.returncode == 0, err
    reader = Holder(store, read_only=True)  # a reader stays in all along: readers share
    try:
        procs = [
            _cli("screen", "XIN GUANG HAI", "--schema", "Vessel", "--json", "--store", str(store),
                 SANCTIONWATCH_STORE_WAIT="0"),
            _cli("screen", "ASIA BRIDGE 1", "--json", "--store", str(store),
                 SANCTIONWATCH_STORE_WAIT="0"),
            _cli("events", "--json", "--store", str(store), SANCTIONWATCH_STORE_WAIT="0"),
        ]
        outs = [p.communicate(timeout=300) for p in procs]
    finally:
        reader.release()
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert "Could not set lock" not in err and "Traceback" not in err
    assert "XIN GUANG HAI" in outs[0][0]
    assert "ASIA BRIDGE 1" in outs[1][0]


def test_events_waits_while_a_writer_holds_the_store(tmp_path: Path) -> None:
    from sanctionwatch.store import DuckDBStore

    store = tmp_path / "s.duckdb"
    DuckDBStore(store).close()
    holder = Holder(store)
    try:
        log = tmp_path / "errors.log"
        busy = _cli("events", "--store", str(store), SANCTIONWATCH_STORE_WAIT="0.5",
                    SANCTIONWATCH_LOG=str(log))
        _, err = busy.communicate(timeout=120)
        assert busy.returncode == 3, err
        assert "store busy" in err and "Traceback" not in err
        assert "StoreBusy" in log.read_text()
        waiting = _cli("events", "--store", str(store), SANCTIONWATCH_STORE_WAIT="120")
        assert waiting.stderr is not None
        first = waiting.stderr.readline()  # blocks until it waits for the store
        assert "store busy" in first and "waiting" in first
    finally:
        holder.release()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "no events" in out


KILL_DURING_STORE_WRITE = textwrap.dedent("""
    import os, signal, sys
    from sanctionwatch import pipeline
    from sanctionwatch.store import DuckDBStore

    def die(self, *args, **kwargs):  # after the events are written, before the run record
        os.kill(os.getpid(), signal.SIGKILL)

    DuckDBStore.record_run = die
    pipeline.detect([sys.argv[1]], sys.argv[2], store_path=sys.argv[3])
""")


def test_a_run_killed_while_writing_leaves_no_rows_and_its_work_folder_goes(
    tmp_path: Path, sims: tuple[Path, Path]
) -> None:
    store, out = tmp_path / "s.duckdb", tmp_path / "out"
    killed = subprocess.run([sys.executable, "-c", KILL_DURING_STORE_WRITE, str(sims[0]),
                             str(out), str(store)], env=_env(), capture_output=True, text=True,
                            timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _count(store, "events") == 0
    assert _count(store, "quality_findings") == 0
    assert _count(store, "runs") == 0
    left = list(out.glob(f"{PREFIX}*"))
    assert len(left) == 1 and (left[0] / OWNER).exists()

    from sanctionwatch.pipeline import detect

    res = detect([sims[0]], out, store_path=store)
    assert not left[0].exists()
    assert not list(out.glob(f"{PREFIX}*"))
    assert _count(store, "events") == res.events.height > 0
    assert _count(store, "runs") == 1


@pytest.fixture
def dead_pid() -> Iterator[int]:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    yield p.pid


def test_only_work_folders_of_dead_runs_are_cleaned(tmp_path: Path, dead_pid: int) -> None:
    import json
    import socket

    mine = make_work_dir(tmp_path, "live")
    dead = tmp_path / f"{PREFIX}dead"
    dead.mkdir()
    (dead / OWNER).write_text(json.dumps({"host": socket.gethostname(), "pid": dead_pid}))
    elsewhere = tmp_path / f"{PREFIX}other-host"
    elsewhere.mkdir()
    (elsewhere / OWNER).write_text(json.dumps({"host": "not-" + socket.gethostname(),
                                               "pid": dead_pid}))
    reused = tmp_path / f"{PREFIX}reused-pid"  # a live pid, but not the process that wrote it
    reused.mkdir()
    (reused / OWNER).write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                                            "started": "1"}))
    old, new = tmp_path / f"{PREFIX}old-unowned", tmp_path / f"{PREFIX}new-unowned"
    old.mkdir()
    new.mkdir()
    os.utime(old, (time.time() - 2 * 3600, time.time() - 2 * 3600))
    other = tmp_path / "keep-me"
    other.mkdir()

    removed = clean_stale_work_dirs(tmp_path)
    assert sorted(p.name for p in removed) == sorted([dead.name, old.name] + (
        [reused.name] if Path("/proc/self/stat").exists() else []))
    for kept in (mine, elsewhere, new, other):
        assert kept.exists()


def test_a_failed_run_write_stores_none_of_its_rows(tmp_path: Path) -> None:
    from sanctionwatch.store import DuckDBStore
    from tests.store.test_duck import _events

    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as st:
        st.add_events(_events(2, "loitering"))
        with pytest.raises(RuntimeError, match="disk full"), st.transaction():
            assert st.add_events(_events(5)) == 5
            with st.transaction():  # nested: joins the outer one
                st.add_events(_events(3, "encounter"))
            raise RuntimeError("disk full")
        assert st.count_events() == 2
        assert st.event_types() == ["loitering"]
        with st.transaction():
            st.add_events(_events(5))
        assert st.count_events() == 7
