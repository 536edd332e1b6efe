"""Run configuration files: every parameter settable, checked, overridden by flags, recorded so
that a run can be repeated exactly; environment settings read in one place."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.config import ConfigError, RunConfig, build_params, parse_overrides
from sanctionwatch.detectors import detectors
from sanctionwatch.engines import EngineOptions
from sanctionwatch.settings import Settings
from sanctionwatch.tracks import PrepareParams

ROOT = Path(__file__).resolve().parents[1]
SOLENT = ROOT / "tests/data/ais/solent-stonesoup/SolentAIS_20160112_130211.csv"


def _changed(value: object) -> object:
    """A valid value other than ``value``, of the same type, as TOML writes it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):  # shares stay within [0, 1]; orders between fields are kept
        return value * 0.5 + 0.25 if value <= 1 else value * 1.5
    if isinstance(value, tuple):
        return list(value[:1]) or ["x"]
    raise AssertionError(f"no changed value for {value!r}")


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(json.dumps(x) for x in v) + "]"
    return repr(v) if not isinstance(v, str) else json.dumps(v)


def test_every_detector_parameter_is_settable_from_the_file(tmp_path: Path) -> None:
    lines, expected = [], {}
    for name, det in detectors().items():
        lines.append(f"[params.{name}]")
        for f in dataclasses.fields(det.params_type):
            value = _changed(getattr(det.params_type(), f.name))
            lines.append(f"{f.name} = {_toml_value(value)}")
            expected[(name, f.name)] = value
    path = tmp_path / "run.toml"
    path.write_text("\n".join(lines) + "\n")
    cfg = RunConfig.load(path)
    for (name, field), value in expected.items():
        got = getattr(cfg.params[name], field)
        assert (list(got) if isinstance(got, tuple) else got) == value, (name, field)


def test_every_section_is_read_and_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    path = tmp_path / "conf" / "run.toml"
    path.write_text("""
inputs = ["ais/a.csv", "/abs/b.nmea"]
out = "runs/x"
engine = "local"
store = false
detectors = ["encounter", "identity_change"]
zones = ["zones.geojson"]

[ingest]
fmt = "nmea"
strict = true
batch_rows = 1000
assume_time = 2019-03-01T00:00:00Z

[engine_options]
partition_rows = 400
scheduler = "tcp://10.0.0.1:8786"

[tracks]
max_speed_knots = 40
""")
    cfg = RunConfig.load(path)
    base = tmp_path / "conf"
    assert cfg.inputs == (str(base / "ais/a.csv"), "/abs/b.nmea")
    assert (cfg.out, cfg.engine, cfg.store) == (str(base / "runs/x"), "local", None)
    assert cfg.detectors == ("encounter", "identity_change")
    assert cfg.zones == (str(base / "zones.geojson"),)
    assert cfg.ingest.fmt == "nmea" and cfg.ingest.strict and cfg.ingest.batch_rows == 1000
    assert cfg.ingest.assume_time == datetime(2019, 3, 1, tzinfo=UTC)
    assert cfg.engine_options == EngineOptions(partition_rows=400,
                                               scheduler="tcp://10.0.0.1:8786")
    assert cfg.tracks == PrepareParams(max_speed_knots=40.0)


@pytest.mark.parametrize(("text", "message"), [
    ("engine = 'spark'", "engine"),
    ("colour = 1", "unknown key"),
    ("[params.encounter]\nmax_distance_km = 1", r"params.encounter.*max_distance_km"),
    ("[params.encounter]\nmax_distance_m = 'near'", r"params.encounter.max_distance_m"),
    ("[params.encounter]\nmax_distance_m = -1", r"params.encounter"),
    ("[params.nosuch]\nx = 1", "nosuch"),
    ("[engine_options]\npartition_rows = 0", "partition_rows"),
    ("detectors = ['teleport']", "teleport"),
    ("engine = ", "not a TOML file"),
])
def test_errors_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message) as err:
        RunConfig.load(path)
    assert str(path) in str(err.value)


def test_effective_configuration_round_trips_through_toml_and_json(tmp_path: Path) -> None:
    cfg = RunConfig(inputs=("a.csv",), out="o", engine="memory", store=None,
                    detectors=("encounter",)).with_params(
        {"encounter": {"max_distance_m": 300.0}, "identity_change": {"fields": ("name",)}})
    path = tmp_path / "run.toml"
    path.write_text(cfg.to_toml())
    again = RunConfig.load(path)
    assert dataclasses.replace(again, inputs=cfg.inputs, out=cfg.out) == cfg
    assert RunConfig.from_mapping(json.loads(json.dumps(cfg.to_dict(), default=str))) == cfg


def test_overrides_apply_on_top_of_the_file() -> None:
    cfg = RunConfig().with_params(parse_overrides(["encounter.max_distance_m=300",
                                                    "identity_change.fields=name,imo"]))
    assert cfg.params["encounter"].max_distance_m == 300.0  # type: ignore[attr-defined]
    assert cfg.params["identity_change"].fields == ("name", "imo")  # type: ignore[attr-defined]
    again = cfg.with_params(parse_overrides(["encounter.min_duration_h=3"]))
    assert again.params["encounter"].max_distance_m == 300.0  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"DETECTOR\.FIELD=VALUE"):
        parse_overrides(["encounter"])
    with pytest.raises(ConfigError, match="min_duration_h"):
        parse_overrides(["encounter.min_duration_hours=3"])
    assert set(build_params()) == set(detectors())


def test_settings_come_from_the_environment_once() -> None:
    s = Settings.from_env({"SANCTIONWATCH_STORE": "/data/sw.duckdb",
                           "SANCTIONWATCH_THREADS": "3", "SANCTIONWATCH_TUNING": "off",
                           "SANCTIONWATCH_SCHEDULER": "tcp://h:8786"})
    assert (s.store, s.threads, s.tuning, s.scheduler) == (Path("/data/sw.duckdb"), 3, False,
                                                           "tcp://h:8786")
    default = Settings.from_env({})
    assert default.store == Path("sanctionwatch.duckdb") and default.tuning
    assert default.threads >= 2 and default.scheduler is None
    with pytest.raises(ValueError, match="SANCTIONWATCH_THREADS"):
        Settings.from_env({"SANCTIONWATCH_THREADS": "many"})


def test_detect_with_config_flags_override_and_the_run_repeats(tmp_path: Path) -> None:
    from sanctionwatch.cli.app import app

    run_file = tmp_path / "run.toml"
    run_file.write_text(f"""
inputs = ["{SOLENT}"]
out = "first"
store = "sw.duckdb"
detectors = ["port_call", "ais_gap"]

[params.port_call]
min_duration_h = 0.0
""")
    runner = CliRunner()
    res = runner.invoke(app, ["detect", "--config", str(run_file), "--show", "0",
                              "-p", "ais_gap.min_gap_h=0.5"])
    assert res.exit_code == 0, res.output
    first = tmp_path / "first"
    summary = json.loads((first / "summary.json").read_text())
    config = summary["config"]
    assert config["params"]["port_call"]["min_duration_h"] == 0.0  # from the file
    assert config["params"]["ais_gap"]["min_gap_h"] == 0.5  # from the flag
    assert config["detectors"] == ["port_call", "ais_gap"]
    assert config["params"]["encounter"]["max_distance_m"] == 500.0  # every parameter
    events = pl.read_parquet(first / "events.parquet")
    assert set(events["event_type"]) <= {"port_call", "ais_gap"}
    with duckdb.connect(str(tmp_path / "sw.duckdb"), read_only=True) as con:
        stored, engine, inputs = con.execute("SELECT config, engine, inputs FROM runs").fetchone()
    assert json.loads(stored) == config and engine == "memory"
    assert len(json.loads(inputs)[0]["sha256"]) == 64
    # the recorded run.toml repeats the run exactly, into another folder and store
    res = runner.invoke(app, ["detect", "--config", str(first / "run.toml"), "--out",
                              str(tmp_path / "again"), "--no-store", "--show", "0"])
    assert res.exit_code == 0, res.output
    again = pl.read_parquet(tmp_path / "again" / "events.parquet")
    assert again.equals(events)
    res = runner.invoke(app, ["detect", "--config", str(tmp_path / "missing.toml")])
    assert res.exit_code == 2 and "missing.toml" in res.output


def test_recorded_paths_mean_the_same_files_from_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanctionwatch.pipeline import detect

    work = tmp_path / "work"
    work.mkdir()
    (work / "in.csv").write_bytes(SOLENT.read_bytes())
    monkeypatch.chdir(work)
    detect(["in.csv"], "out", store_path="sw.duckdb", only=["port_call"])
    recorded = RunConfig.load(work / "out" / "run.toml")
    assert recorded.inputs == (str(work / "in.csv"),)
    assert recorded.store == str(work / "sw.duckdb") and recorded.out == str(work / "out")


def test_the_example_run_file_runs(tmp_path: Path) -> None:
    from sanctionwatch.pipeline import run

    cfg = RunConfig.load(ROOT / "examples" / "run.toml")
    assert all(Path(p).is_file() for p in cfg.inputs)
    res = run(cfg.replace(out=str(tmp_path / "out"), store=None))
    assert res.counts()["positions"] > 0
    assert (tmp_path / "out" / "run.toml").is_file()
