"""Crash safety of the store: ``detect`` killed (SIGKILL) at random points leaves a store that
opens and holds either none or all of that run's events, findings and run record.

The kills are timed two ways: anywhere in the run, and just after the store file appears (the
run writes its store only at the end, so uniform kills rarely land in the write). Kill times
come from a fixed seed in CI; ``SANCTIONWATCH_FUZZ=long`` (``make fuzz``) draws more, at random.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from sanctionwatch.schema import EVENTS, QUALITY_FINDINGS
from sanctionwatch.store import DuckDBStore
from sanctionwatch.store.duck import read_table
from tests.fuzz.mutate import DATA, PROFILE_ENV, ROOT

INPUT = DATA / "ais" / "solent-stonesoup" / "SolentAIS_20160112_130211.csv"
LONG = os.environ.get(PROFILE_ENV) == "long"
KILLS = 12 if LONG else 3
SEED = random.randrange(2**32) if LONG else 14

_RUN = "import sys; from sanctionwatch.cli import main; sys.argv[0] = 'sanctionwatch'; main()"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT / "src"),
                                                    str(ROOT)) if p)
    return env


def _detect(out: Path, store: Path, prelude: str = "") -> subprocess.Popen[bytes]:
    """``detect`` started in a subprocess; its stderr goes to ``out``.stderr (a pipe nobody
    reads could fill and stall the run)."""
    code = f"{prelude}\n{_RUN}" if prelude else _RUN
    with out.with_suffix(".stderr").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", code, "detect", str(INPUT), "--out", str(out),
             "--store", str(store), "--engine", "memory"],
            env=_env(), stdout=subprocess.DEVNULL, stderr=err,
        )


def _finish(proc: subprocess.Popen[bytes], out: Path) -> None:
    """Wait for a run that must succeed."""
    code = proc.wait(timeout=300)
    assert code == 0, out.with_suffix(".stderr").read_text(errors="replace")[-3000:]


@dataclass(frozen=True)
class StoreState:
    events: frozenset[str]
    findings: frozenset[str]
    runs: int
    events_total: int | None


def _state(store: Path, *, api: bool = True) -> StoreState:
    """What the store holds; it must open read-only without error. ``api``: read it as the
    ``events`` command does (``DuckDBStore.events``); else through ``read_table``, which
    takes a missing table for an empty one."""
    if not store.exists():
        return StoreState(frozenset(), frozenset(), 0, None)
    with DuckDBStore(store, read_only=True) as st:
        events = st.events() if api else read_table(st.con, EVENTS)
        runs = st.runs()
        findings = read_table(st.con, QUALITY_FINDINGS)
        return StoreState(frozenset(events["event_id"].to_list()),
                          frozenset(findings["event_id"].to_list()), runs.height,
                          int(runs["events_total"][0]) if runs.height else None)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[StoreState, float]:
    """The store after one complete run, and how long the run took."""
    tmp = tmp_path_factory.mktemp("crash-ref")
    t0 = time.monotonic()
    _finish(_detect(tmp / "out", tmp / "ref.duckdb"), tmp / "out")
    state = _state(tmp / "ref.duckdb")
    assert state.events and state.runs == 1
    return state, time.monotonic() - t0


def _check(state: StoreState, ref: StoreState, when: str, *, atomic: bool) -> None:
    """None or all of the run's events and of its findings, and a run record only with all
    of them; ``atomic``: also no events or findings without their run record."""
    assert state.events in (frozenset(), ref.events), f"{when}: a partial event set stored"
    assert state.findings in (frozenset(), ref.findings), f"{when}: partial findings stored"
    if state.runs == 0:
        assert not atomic or (not state.events and not state.findings), (
            f"{when}: {len(state.events)} events and {len(state.findings)} findings stored "
            "without their run record")
    else:
        assert state.runs == 1, f"{when}: {state.runs} run records"
        assert state.events == ref.events, f"{when}: run recorded with a partial event set"
        assert state.findings == ref.findings, f"{when}: run recorded with partial findings"
        assert state.events_total == len(ref.events), f"{when}: run record disagrees"


def _wait_for(path: Path, proc: subprocess.Popen[bytes], limit_s: float) -> bool:
    end = time.monotonic() + limit_s
    while time.monotonic() < end and proc.poll() is None:
        if path.exists():
            return True
        time.sleep(0.001)
    return False


@pytest.mark.parametrize("atomic", [
    False, True], ids=["each-table", "atomic"])
def test_detect_killed_at_random_points(tmp_path: Path, reference: tuple[StoreState, float],
                                        atomic: bool) -> None:
    """``atomic``: the store holds none or all of the run (events, findings and run record in
    one transaction), and the ``events`` command reads it. ``each-table`` reads the store
    through ``read_table`` only."""
    ref, duration = reference
    rng = random.Random(SEED)
    for i in range(KILLS):
        store = tmp_path / f"kill{i}.duckdb"
        proc = _detect(tmp_path / f"out{i}", store)
        if i % 2 == 0:
            at = rng.uniform(0.2, 1.0) * duration
            when = f"kill {i} (seed {SEED}): {at:.2f} s in"
            time.sleep(at)
        else:
            delay = rng.uniform(0.0, 0.15)
            when = f"kill {i} (seed {SEED}): {delay * 1000:.0f} ms after the store appeared"
            _wait_for(store, proc, 300)
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        _check(_state(store, api=atomic), ref, when, atomic=atomic)
    # The last killed store takes a complete run afterwards, which lands whole.
    _finish(_detect(tmp_path / "again", store), tmp_path / "again")
    after = _state(store, api=False)
    assert after.events == ref.events and after.findings == ref.findings
    assert after.runs >= 1


# Kill the process from inside the store write, at a chosen step: deterministic, unlike the
# timed kills, which rarely land between two of the write's statements.
_KILL_AT = """
import os, signal
from sanctionwatch.store import duck
_orig = duck.DuckDBStore.{method}
def _killed(self, *a, **k):
    {before}
    os.kill(os.getpid(), signal.SIGKILL)
duck.DuckDBStore.{method} = _killed
"""


@pytest.mark.parametrize(("method", "before"), [
    ("record_run", "pass"),
    ("add_events", "_orig(self, *a, **k)"),
], ids=["before-run-record", "after-first-events-commit"])
def test_detect_killed_inside_store_write(tmp_path: Path, reference: tuple[StoreState, float],
                                          method: str, before: str) -> None:
    """Killed after the events are added but before the run record: the run's write is one
    transaction, so nothing of it stays."""
    ref, _ = reference
    store = tmp_path / "inside.duckdb"
    proc = _detect(tmp_path / "out", store, _KILL_AT.format(method=method, before=before))
    proc.wait(timeout=300)
    assert proc.returncode == -signal.SIGKILL
    _check(_state(store), ref, f"killed in {method}", atomic=True)


def test_events_command_on_store_killed_at_creation(tmp_path: Path) -> None:
    """Killed right after DuckDB created the file, before the tables: ``events`` reports an
    empty store, not a traceback."""
    store = tmp_path / "created.duckdb"
    prelude = ("import os, signal\nfrom sanctionwatch.store import duck\n"
               "duck.ensure_tables = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)")
    proc = _detect(tmp_path / "out", store, prelude)
    assert proc.wait(timeout=300) == -signal.SIGKILL
    assert store.exists()
    shown = subprocess.run(
        [sys.executable, "-c", _RUN, "events", "--store", str(store)], env=_env(),
        capture_output=True, text=True, timeout=300, check=False)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr[-2000:]
