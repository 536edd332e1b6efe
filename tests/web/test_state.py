"""The app shares the store with other processes: it lets go of the file when idle, and a
review written through it leaves the cached graph and risk valid."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sanctionwatch.web import create_app
from sanctionwatch.web.state import IDLE_CLOSE_S
from tests.evidence.builders import SUBJECT, small_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WRITE = ("from sanctionwatch.store import DuckDBStore\n"
         "with DuckDBStore({path!r}) as st: print(st.count_events())")


def _write_from_another_process(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SANCTIONWATCH_STORE_WAIT": "0"}
    return subprocess.run([sys.executable, "-c", WRITE.format(path=str(path))], env=env,
                          capture_output=True, text=True, timeout=120)


def test_another_process_can_write_once_the_app_is_idle(tmp_path: Path) -> None:
    store = small_store(tmp_path).store
    c = TestClient(create_app(store))
    assert c.get("/api/events").json()["total"] == 2
    time.sleep(IDLE_CLOSE_S * 2.5)
    done = _write_from_another_process(store)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2"
    assert c.get("/api/health").json()["events"] == 2  # and the app reopens it


def test_a_review_keeps_the_cached_risk(tmp_path: Path) -> None:
    store = small_store(tmp_path).store
    app = create_app(store)
    c = TestClient(app)
    c.get("/api/alerts")
    assert {"graph", "risks"} <= app.state.sw.cached()
    assert c.post(f"/api/alerts/{SUBJECT}/reviews", json={"status": "confirmed"}
                  ).status_code == 201
    assert {"graph", "risks"} <= app.state.sw.cached()  # no rebuild for a review
    assert c.get("/api/alerts", params={"status": "confirmed"}).json()[0]["mmsi"] == SUBJECT
