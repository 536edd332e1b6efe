"""No traceback reaches a user: one line on stderr, the traceback in the log, documented exit
codes; bad --out / --store fail before any work; --help shows text verbatim; option values
from a fixed set are checked."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from sanctionwatch.cli import EXIT_INPUT, EXIT_INTERNAL, EXIT_STORE_BUSY, run
from sanctionwatch.settings import settings

SAMPLE = (Path(__file__).resolve().parents[1] / "data" / "ais" / "aisdb-testdata"
          / "test_data_noaa_20230101.csv")


@pytest.fixture
def log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "errors.log"
    monkeypatch.setenv("SANCTIONWATCH_LOG", str(path))
    monkeypatch.setenv("SANCTIONWATCH_TUNING", "0")
    settings.cache_clear()
    yield path
    settings.cache_clear()


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err
    assert 'File "' not in err


def test_an_unexpected_error_is_one_line_and_its_traceback_is_logged(
    log: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise KeyError("no such column 'mmsi'")

    class Engine:
        run = staticmethod(boom)

    monkeypatch.setattr("sanctionwatch.pipeline.get_engine", lambda name: Engine)
    code = run(["detect", str(SAMPLE), "--out", str(log.parent.parent / "out"), "--no-store"])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL
    _no_traceback(err)
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("internal error: KeyError")
    assert str(log) in lines[0]
    logged = log.read_text()
    assert "Traceback (most recent call last)" in logged
    assert "no such column 'mmsi'" in logged
    assert "detect" in logged.splitlines()[0]


def test_a_truncated_gzip_names_its_file_not_aborted(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # click turns an EOFError into a bare "Aborted!": the handler must see the real error
    data = gzip.compress(SAMPLE.read_bytes())
    bad = tmp_path / "cut.csv.gz"
    bad.write_bytes(data[: len(data) // 2])
    code = run(["detect", str(bad), "--out", str(tmp_path / "out"), "--no-store"])
    err = capsys.readouterr().err
    _no_traceback(err)
    assert "Aborted" not in err
    if code != 0:  # a reader that rejects the cut rows instead is fine too
        assert code == EXIT_INPUT
        assert "cut.csv.gz" in err
        assert len(err.strip().splitlines()) == 1


def test_an_os_error_from_a_command_is_an_input_error(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["ingest", str(SAMPLE), "--out", str(SAMPLE / "sub")])  # a file is no folder
    err = capsys.readouterr().err
    assert code == EXIT_INPUT
    _no_traceback(err)
    assert "error:" in err


def test_unwritable_out_fails_before_the_work(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_work(name: str) -> None:
        raise AssertionError("the work started")

    monkeypatch.setattr("sanctionwatch.pipeline.get_engine", no_work)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for out in (a_file, a_file / "out"):
        code = run(["detect", str(SAMPLE), "--out", str(out), "--no-store"])
        err = capsys.readouterr().err
        assert code == EXIT_INPUT, err
        _no_traceback(err)
        assert (str(out) in err and "output folder" in err) or "is a file" in err


def test_unwritable_store_fails_before_the_work(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_work(name: str) -> None:
        raise AssertionError("the work started")

    monkeypatch.setattr("sanctionwatch.pipeline.get_engine", no_work)
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("these are my notes, not a store\n")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for store, says in ((not_duckdb, "not a sanctionwatch store"),
                        (a_file / "s.duckdb", "not a folder"),
                        (tmp_path, "is a folder")):
        code = run(["detect", str(SAMPLE), "--out", str(tmp_path / "out"),
                    "--store", str(store)])
        err = capsys.readouterr().err
        assert code == EXIT_INPUT, err
        _no_traceback(err)
        assert says in err
    assert not_duckdb.read_text() == "these are my notes, not a store\n"
    assert not (tmp_path / "out" / "events.parquet").exists()


def test_store_busy_exits_3(log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    from sanctionwatch.store import StoreBusy

    def busy(*args: object, **kwargs: object) -> None:
        raise StoreBusy("s.duckdb: store busy: another process still holds it after 1 s")

    monkeypatch.setattr("sanctionwatch.store.DuckDBStore.__init__", busy)
    (tmp_path / "s.duckdb").write_bytes(b"")
    code = run(["events", "--store", str(tmp_path / "s.duckdb")])
    err = capsys.readouterr().err
    assert code == EXIT_STORE_BUSY
    assert "store busy" in err
    _no_traceback(err)


def test_a_malformed_store_wait_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SANCTIONWATCH_STORE_WAIT", "-5")
    settings.cache_clear()
    try:
        assert run(["version"]) == EXIT_INPUT
    finally:
        settings.cache_clear()
    assert "SANCTIONWATCH_STORE_WAIT" in capsys.readouterr().err


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


def test_help_keeps_every_default_and_bracketed_text(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sanctionwatch.cli.app import app

    root = typer.main.get_command(app)
    checked = 0
    for path, cmd in _commands(root):
        assert run([*path, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        for p in cmd.params:
            if p.param_type_name != "option":
                continue
            help_text = " ".join((p.help or "").split())
            assert help_text in text, (path, p.name)
            default = p.default
            if p.show_default is not False and not p.is_flag and default is not None \
                    and not isinstance(default, (list, tuple)):
                assert f"[default: {default}]" in text, (path, p.name)
                checked += 1
    assert checked >= 8  # --show, --limit, --threshold, --format, --tolerance-min...
    # the bracketed text a Rich-markup help would eat
    run(["screen", "--help"])
    assert "YYYY[-MM-DD]" in capsys.readouterr().out


def test_an_unknown_event_type_is_refused_with_the_choices(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sanctionwatch.store import DuckDBStore

    store = tmp_path / "s.duckdb"
    DuckDBStore(store).close()
    code = run(["events", "--store", str(store), "--type", "encountr"])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT
    assert "encountr" in err and "encounter" in err and "port_call" in err
    assert run(["events", "--store", str(store), "--type", "Encounter", "--json"]) == 0


def test_an_unknown_screen_schema_is_refused_with_the_choices(
    log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["screen", "KIM JONG UN", "--schema", "Persn",
                "--store", str(tmp_path / "none.duckdb")])
    err = capsys.readouterr().err
    assert code == EXIT_INPUT
    assert "Persn" in err
    for choice in ("Person", "Organization", "Company", "LegalEntity", "Vessel"):
        assert choice in err
    from sanctionwatch.cli.choices import screen_schema

    assert screen_schema("vessel") == "Vessel"


def test_the_error_line_names_file_record_and_notes(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sanctionwatch.cli import report

    class RowError(ValueError):
        def __init__(self) -> None:
            super().__init__("bad quoting")
            self.path = "ais/day1.csv"
            self.record = 1042

    exc = RowError()
    exc.add_note("column Name")
    try:
        raise exc
    except RowError as caught:
        assert report(caught, ["detect"]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ais/day1.csv:1042: bad quoting (column Name) (traceback in")
    # control characters from the data never reach the terminal
    try:
        raise OSError(2, "No such file", "x\x1b]0;owned\x07.csv")
    except OSError as caught:
        report(caught)
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "owned" in err


def test_the_log_and_wait_settings() -> None:
    from sanctionwatch.settings import DEFAULT_STORE_WAIT_S, Settings, default_log_path

    s = Settings.from_env({"SANCTIONWATCH_LOG": "/var/log/sw.log",
                           "SANCTIONWATCH_STORE_WAIT": "2.5"})
    assert s.log_path() == Path("/var/log/sw.log")
    assert s.store_wait_s == 2.5
    assert Settings.from_env({}).store_wait_s == DEFAULT_STORE_WAIT_S
    assert default_log_path({"XDG_STATE_HOME": "/st"}) == Path("/st/sanctionwatch/errors.log")
    assert default_log_path({}) == Path.home() / ".local/state/sanctionwatch/errors.log"
    for bad in ("-1", "soon", "nan", "inf"):
        with pytest.raises(ValueError, match="SANCTIONWATCH_STORE_WAIT"):
            Settings.from_env({"SANCTIONWATCH_STORE_WAIT": bad})
