"""``sanctionwatch alerts``: the ranked list as a table and as JSON, and clear messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.store import DuckDBStore
from tests.risk.builders import EAST_CHINA_SEA_STS, OFF_JAPAN, event, events_frame


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    evs = [event("port_call", 412000001, hours=20.0, is_dprk=True, port_name="NAMPO",
                 at=(38.7, 125.4)),
           event("loitering", 413000002, hours=4.0, at=EAST_CHINA_SEA_STS),
           event("port_call", 414000003, hours=20.0, is_dprk=False, port_name="DALIAN",
                 at=OFF_JAPAN)]
    with DuckDBStore(path) as st:
        st.add_events(events_frame(evs))
    return path


def test_json_is_a_list_highest_risk_first(store: Path) -> None:
    res = CliRunner().invoke(app, ["alerts", "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["mmsi"] for r in rows] == [412000001, 413000002, 414000003]
    for key in ("mmsi", "imo", "name", "score", "reasons", "confidence", "indicators"):
        assert key in rows[0]
    assert rows[0]["score"] > rows[1]["score"] > rows[2]["score"] == 0.0
    assert "NAMPO" in rows[0]["reasons"][0]


def test_limit_and_min_score(store: Path) -> None:
    res = CliRunner().invoke(app, ["alerts", "--store", str(store), "--json", "--limit", "1"])
    assert [r["mmsi"] for r in json.loads(res.stdout)] == [412000001]
    res = CliRunner().invoke(app, ["alerts", "--store", str(store), "--json",
                                   "--min-score", "0.01"])
    assert [r["mmsi"] for r in json.loads(res.stdout)] == [412000001, 413000002]


def test_table_shows_the_reasons(store: Path) -> None:
    res = CliRunner().invoke(app, ["alerts", "--store", str(store)])
    assert res.exit_code == 0, res.output
    assert "412000001" in res.stdout and "NAMPO" in res.stdout


def test_a_store_without_events_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    DuckDBStore(path).close()
    res = CliRunner().invoke(app, ["alerts", "--store", str(path)])
    assert res.exit_code == 2
    assert "no events" in res.stderr and "sanctionwatch detect" in res.stderr


def test_a_bad_risk_table_is_a_clear_error(store: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "risk.toml"
    cfg.write_text("[risk]\nweight_designated = 3\n")
    res = CliRunner().invoke(app, ["alerts", "--store", str(store), "--config", str(cfg)])
    assert res.exit_code == 2
    assert "weight_designated" in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize(("args", "text"), [(["--limit", "0"], "--limit"),
                                            (["--min-score", "1.5"], "--min-score")])
def test_bad_options_are_clear_errors(store: Path, args: list[str], text: str) -> None:
    res = CliRunner().invoke(app, ["alerts", "--store", str(store), *args])
    assert res.exit_code == 2 and text in res.stderr
