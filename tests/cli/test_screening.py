"""The screening commands end to end through the CLI: lists load, screen, batch, score-pairs."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app

DATA = Path(__file__).resolve().parents[1] / "data" / "sanctions"
runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("lists") / "s.duckdb"
    res = runner.invoke(
        app,
        [
            "lists",
            "load",
            str(DATA / "un_1718_vessels" / "un_1718_vessels_2020-06-04.csv"),
            str(DATA / "ofac_sdn_2021-07"),
            "--store",
            str(path),
        ],
    )
    assert res.exit_code == 0, res.output
    return path


def test_screen_json_is_one_document_with_lists(store):
    res = runner.invoke(app, ["screen", "김정은", "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    matches = json.loads(res.stdout)
    assert matches[0]["name"] == "KIM, Jong Un"
    assert matches[0]["is_match"] is True
    assert matches[0]["datasets"] == ["us_ofac_sdn"]


def test_vessel_found_by_imo_on_both_lists(store):
    res = runner.invoke(
        app,
        [
            "screen",
            "SOME NEW NAME",
            "--schema",
            "Vessel",
            "--imo",
            "9004700",
            "--store",
            str(store),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    found = {m["entity_id"] for m in json.loads(res.stdout) if m["is_match"]}
    assert "un1718-9004700" in found
    assert any(e.startswith("us-ofac-") for e in found)


def test_batch_screening_keeps_rows_in_order(store, tmp_path):
    names = tmp_path / "names.csv"
    names.write_text(
        "name,schema,imo\nKim Jong Un,Person,\nAnna Lindqvist,Person,\n"
        "XIN GUANG HAI,Vessel,9004700\n"
    )
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app, ["screen", "--input", str(names), "--out", str(out), "--store", str(store)]
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert [r["name"] for r in rows] == ["Kim Jong Un", "Anna Lindqvist", "XIN GUANG HAI"]
    assert rows[0]["is_match"].lower() == "true"
    assert rows[1]["match_id"] == "" or rows[1]["is_match"].lower() == "false"
    assert rows[2]["is_match"].lower() == "true"


def test_screen_without_lists_says_what_to_do(tmp_path):
    res = runner.invoke(app, ["screen", "Kim Jong Un", "--store", str(tmp_path / "none.duckdb")])
    assert res.exit_code != 0
    assert "lists load" in res.output
