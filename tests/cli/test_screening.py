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


def _batch(store, tmp_path, content: bytes, *extra: str):
    names = tmp_path / "names.csv"
    names.write_bytes(content)
    out = tmp_path / "out.csv"
    res = runner.invoke(
        app,
        ["screen", "--input", str(names), "--out", str(out), "--store", str(store), *extra],
    )
    return res, out


@pytest.mark.parametrize(
    "content",
    [
        b"Name,Schema,IMO\nKim Jong Un,Person,\nXIN GUANG HAI,Vessel,9004700\n",
        b"NAME,SCHEMA\nKim Jong Un,person\nXIN GUANG HAI,VESSEL\n",
        b"\xef\xbb\xbfname,schema\nKim Jong Un,Person\nXIN GUANG HAI,Vessel\n",  # Excel CSV UTF-8
        b"\xef\xbb\xbfName;Schema\r\nKim Jong Un;Person\r\nXIN GUANG HAI;Vessel\r\n",  # ; locale
        b" Full Name ,schema\nKim Jong Un,Person\nXIN GUANG HAI,Vessel\n",
        "name\tschema\nKim Jong Un\tPerson\nXIN GUANG HAI\tVessel\n".encode("utf-16"),
    ],
    ids=["Name", "NAME", "bom", "bom-semicolon", "full-name", "utf16-tab"],
)
def test_batch_finds_listed_names_whatever_the_header(store, tmp_path, content):
    res, out = _batch(store, tmp_path, content)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == ["Kim Jong Un", "XIN GUANG HAI"]
    assert [r["is_match"] for r in rows] == ["true", "true"]
    assert rows[0]["match_name"] == "KIM, Jong Un"


def test_batch_name_column_chooses_the_column(store, tmp_path):
    content = b"id,vessel,owner\n1,XIN GUANG HAI,Anna Lindqvist\n2,Kim Jong Un,x\n"
    res, out = _batch(store, tmp_path, content, "--name-column", "VESSEL")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == ["XIN GUANG HAI", "Kim Jong Un"]
    assert all(r["is_match"] == "true" for r in rows)


def test_one_column_file_keeps_unquoted_commas_in_names(store, tmp_path):
    res, out = _batch(store, tmp_path, b"Name\nKIM, Jong Un\n")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["name"] == "KIM, Jong Un" and rows[0]["is_match"] == "true"


@pytest.mark.parametrize(
    ("content", "extra", "says"),
    [
        (b"vessel,imo\nXIN GUANG HAI,9004700\n", (), ["no name column", "'vessel'", "'imo'"]),
        (b"name,imo\nX,1\n", ("--name-column", "owner"), ["'owner' is not a column", "'imo'"]),
        (b"Name,NAME\nX,Y\n", (), ["several name columns", "--name-column"]),
        (b"", (), ["empty file"]),
        (b"name\n", (), ["no rows"]),
        (b"name,schema\nKim Jong Un,Person,extra\n", (), ["line 2 has 3 fields"]),
        (b"name\nM\xfcller\n", (), ["line 2", "0xfc", "--encoding"]),
        (b"PK\x03\x04\x14\x00", (), ["Excel workbook"]),
        (b"name,schema\nKim,Persn\n", (), ["'Persn'", "Vessel"]),
        (b'name\nKim Jong Un\n"XIN GUANG HAI\nAnna\n', (), ["line 3", "never closed"]),
    ],
    ids=["no-name", "bad-name-column", "ambiguous", "empty", "header-only", "ragged",
         "latin1", "xlsx", "bad-schema", "unclosed-quote"],
)
def test_unreadable_batch_input_is_an_error_naming_the_file(
    store, tmp_path, content, extra, says
):
    res, out = _batch(store, tmp_path, content, *extra)
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "names.csv" in text
    for s in says:
        assert s in text, text
    assert not out.exists()


def test_batch_input_in_a_declared_encoding(store, tmp_path):
    res, out = _batch(store, tmp_path, b"name\nKim Jong Un\nM\xfcller\n", "--encoding", "cp1252")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["name"] for r in rows] == ["Kim Jong Un", "Müller"]


def test_score_pairs_with_wrong_columns_names_expected_and_found(tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b,schema\nKim Jong Un,KIM Jong Un,Person\n")
    out = tmp_path / "scores.csv"
    res = runner.invoke(app, ["score-pairs", str(pairs), "--out", str(out)])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "pairs.csv" in text and "name1, name2" in text and "'a', 'b', 'schema'" in text
    assert not out.exists()


def test_score_pairs_finds_columns_in_any_case_with_bom(tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_bytes(b"\xef\xbb\xbfNAME1,Name2,Schema\nKim Jong Un,KIM Jong Un,Person\n")
    out = tmp_path / "scores.csv"
    res = runner.invoke(app, ["score-pairs", str(pairs), "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[:3] == ["NAME1", "Name2", "Schema"]
    assert float(rows[0]["score"]) > 0.9 and rows[0]["is_match"] == "true"


def test_screen_rejects_an_unknown_schema(store):
    res = runner.invoke(app, ["screen", "Kim Jong Un", "--schema", "Persn", "--store", str(store)])
    assert res.exit_code == 2
    assert "'Persn'" in res.output


def test_batch_missing_input_or_unwritable_out_is_an_error(store, tmp_path):
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["screen", "--input", str(tmp_path / "nope.csv"), "--out", str(out),
                              "--store", str(store)])
    assert res.exit_code == 2 and "nope.csv" in res.output and "cannot read" in res.output
    names = tmp_path / "names.csv"
    names.write_text("name\nKim Jong Un\n")
    bad_out = tmp_path / "missing-dir" / "out.csv"
    res = runner.invoke(app, ["screen", "--input", str(names), "--out", str(bad_out),
                              "--store", str(store)])
    assert res.exit_code == 2, res.output
    assert "missing-dir" in " ".join(res.output.split()) and "cannot write" in res.output


def test_batch_reads_imo_cells_as_excel_and_lists_write_them(store, tmp_path):
    content = (b"Name,Schema,IMO\nSOME NEW NAME,Vessel,IMO 9004700\n"
               b"OTHER NEW NAME,Vessel,9004700.0\nANOTHER NAME,Vessel,n/a\n")
    res, out = _batch(store, tmp_path, content)
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["is_match"] for r in rows[:2]] == ["true", "true"]  # found by IMO alone
    text = " ".join(res.output.split())
    assert "1 'IMO' cells are not a 7-digit IMO number" in text and "'n/a'" in text
