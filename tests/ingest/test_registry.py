"""The registry CSV loader: good rows typed, every bad row rejected with its reason and the line
it starts on, a malformed file refused naming file and line; the store table round trip."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.ingest.registry import RegistryFormatError, read_registry
from sanctionwatch.store import connect
from sanctionwatch.store.registry import registry_facts, store_registry

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "registry" / "registry_illustrative.csv"
HEADER = "imo,date_from,date_to,name,flag,registered_owner,ship_manager,operator,source\n"


def test_example_file_reads_every_row():
    read = read_registry(EXAMPLE)
    assert read.rejects == []
    df = read.facts
    assert df["line"].to_list() == [2, 3, 4, 5, 6]
    first = df.row(0, named=True)
    assert first["imo"] == 9999905 and first["registered_owner"] == "Korea Achim Shipping Co"
    assert (first["date_from"], first["date_to"]) == (date(2019, 3, 1), date(2020, 1, 31))
    current = df.row(1, named=True)
    assert current["date_to"] is None and current["ship_manager"] == "Example Ship Management Ltd"
    assert df.row(4, named=True)["date_from"] is None
    assert first["source_file"] == str(EXAMPLE)


def test_every_bad_row_is_rejected_with_its_reason_and_true_line(tmp_path):
    f = tmp_path / "reg.csv"
    f.write_text(
        HEADER
        + "8909575,2019-01-01,,BLUE NOUVELLE,Kiribati,\"Owner\nspanning two lines\",,,x\n"  # 2-3
        + ",2019-01-01,,NO IMO,,Owner A,,,x\n"  # 4
        + "8909576,,,BAD CHECK DIGIT,,Owner A,,,x\n"  # 5
        + "\n"  # 6: blank, not a row
        + "IMO 8909575,2019-13-01,,BAD DATE,,Owner A,,,x\n"  # 7
        + "IMO 8909575,2020-01-01,2019-01-01,BACKWARDS,,Owner A,,,x\n"  # 8
        + "8909575,2020-01-01,,,,,,,x\n"  # 9: no facts
        + "8909575,2020-01-01,,TOO MANY,,Owner A,,,x,extra\n"  # 10
        + "IMO 8909575,2021-01-01,,GOOD AGAIN,,Owner B,,,x\n"  # 11
    )
    read = read_registry(f)
    assert [(r.line, r.reason) for r in read.rejects] == [
        (4, "missing_imo"), (5, "invalid_imo"), (7, "invalid_date"), (8, "date_order"),
        (9, "no_facts"), (10, "wrong_cell_count")]
    assert read.facts["line"].to_list() == [2, 11]
    assert read.facts["registered_owner"].to_list() == ["Owner spanning two lines", "Owner B"]
    assert read.facts["imo"].to_list() == [8909575, 8909575]  # "IMO 8909575" accepted
    assert "8909576" in read.rejects[1].detail and read.rejects[1].raw.startswith("8909576,")


@pytest.mark.parametrize(("content", "line", "words"), [
    (b"imo,name\n8909575,X\n", 1, "missing column(s) date_from"),
    (HEADER.replace("source", "source,colour").encode(), 1, "unknown column(s) 'colour'"),
    (b"", 1, "no header row"),
    (HEADER.encode() + b"8909575,,,X,,Owner,,,x\n8909575,,,\xff,,Owner,,,x\n", 3, "not UTF-8"),
])
def test_a_malformed_file_names_file_and_line(tmp_path, content, line, words):
    f = tmp_path / "bad.csv"
    f.write_bytes(content)
    with pytest.raises(RegistryFormatError) as exc:
        read_registry(f)
    assert exc.value.line == line
    assert str(f) in str(exc.value) and f"line {line}" in str(exc.value) and words in str(exc.value)


def test_store_round_trip_and_reload_replaces(tmp_path):
    store = tmp_path / "s.duckdb"
    read = read_registry(EXAMPLE)
    assert store_registry(read, store) == 5
    assert store_registry(read, store) == 5  # again: replaced, not doubled
    con = connect(store, read_only=True)
    try:
        df = registry_facts(con)
    finally:
        con.close()
    assert df.height == 5
    assert df.filter(df["imo"] == 9999917)["operator"].to_list() == ["Ocean Maritime Management Co"]


def test_cli_registry_load_reports_rejects_and_refuses_a_malformed_file(tmp_path):
    store = tmp_path / "s.duckdb"
    f = tmp_path / "reg.csv"
    f.write_text(HEADER + "8909575,,,A,,Owner,,,x\n1234,,,B,,Owner,,,x\n")
    res = CliRunner().invoke(app, ["registry", "load", str(f), "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["stored"] == 1
    assert [(r["line"], r["reason"]) for r in out["rejects"]] == [(3, "invalid_imo")]
    bad = tmp_path / "bad.csv"
    bad.write_text("imo,name\n")
    res = CliRunner().invoke(app, ["registry", "load", str(bad), "--store", str(store)])
    assert res.exit_code == 2
    assert "bad.csv: line 1: missing column(s)" in " ".join(res.output.split())
