"""ListStore: idempotent loads, history across versions, atomicity, the entities() API, diffs."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from typer import Typer
from typer.testing import CliRunner

from sanctionwatch.cli.lists_cmd import lists_app
from sanctionwatch.sanctions import ListFormatError, ListStore, diff_entities
from sanctionwatch.sanctions import store as store_mod
from sanctionwatch.schema import SANCTION_LIST_VERSIONS, SANCTION_STATEMENTS
from sanctionwatch.store import DuckDBStore
from tests.sanctions.conftest import (
    FTM_ZALA,
    OFAC_2019,
    OFAC_2021,
    UN_1718,
    UN_2021,
    UN_2026,
    parsed,
)
from tests.schema.columns import declared_columns, primary_key, stored_columns


def snapshot(s: ListStore) -> tuple[object, ...]:
    return (s.statements().sort(["dataset", "list_date", "entity_id", "prop", "value"]),
            s.versions().drop("loaded_at"))


def test_load_twice_adds_nothing(store_path):
    with ListStore(store_path) as s:
        first = s.load(UN_1718)
        assert (first.status, first.entities, first.statements) == ("new", 118, 804)
        again = s.load(UN_1718)
        assert (again.status, again.new_facts) == ("unchanged", 0)
        assert s.statements().height == 804
        assert s.datasets() == ["un_1718_vessels"]


def test_versions_keep_history_and_entities_use_latest(store_path):
    with ListStore(store_path) as s:
        s.load_many([UN_2026, UN_2021])  # order of loading does not matter
        assert s.versions()["list_date"].to_list() == [date(2021, 1, 18), date(2026, 2, 27)]
        people = s.entities(schema="Person")
        assert len(people) == 730
        assert len(s.entities(schema="Person", as_of=date(2022, 1, 1))) == 710
        assert len(s.entities(schema="LegalEntity")) == 730 + 273  # includes Person, Organization
        # a fact present in both versions was first seen in the older one
        st = s.statements(entity_id="un-sc-KPi.033", prop="passportNumber")
        assert st["first_seen"].to_list() == [date(2021, 1, 18), date(2021, 1, 18)]
        assert st["list_date"].to_list() == [date(2021, 1, 18), date(2026, 2, 27)]
        d = s.diff("un_sc", date(2021, 1, 18), date(2026, 2, 27))
        assert d.counts() == {"added": 91, "removed": 91, "changed": 662, "unchanged": 250}


def test_entities_api_for_the_matcher(store_path):
    with ListStore(store_path) as s:
        s.load_many([UN_2026, UN_1718, OFAC_2021, FTM_ZALA])
        assert s.datasets() == ["opensanctions", "un_1718_vessels", "un_sc", "us_ofac_sdn"]
        vessels = s.entities(schema="Vessel")
        assert len(vessels) == 59 + 406
        assert len({v.id for v in vessels}) == len(vessels)
        assert len(s.entities(dataset="un_1718_vessels", schema="Vessel")) == 59
        blue = s.entity("un1718-8909575")
        assert blue is not None and blue.get("previousName") == ["Chong Bong", "Greenlight"]
        assert s.entity("nope") is None
        everything = s.entities()
        # OFAC 2021: 17952 entries and sanctions + 3418 relationship entities (Linked To, owner)
        # + 97 digital-currency wallets
        assert len(everything) == 2006 + 118 + 17952 + 3418 + 97 + 91


def test_failed_load_leaves_store_unchanged(store_path, tmp_path):
    folder = tmp_path / "ofac_sdn_2020-02"
    folder.mkdir()
    rows = (OFAC_2019 / "sdn.csv").read_bytes().splitlines(keepends=True)
    rows[49] = b"not,an,sdn,row\n"  # the 50th record is broken
    (folder / "sdn.csv").write_bytes(b"".join(rows))
    with ListStore(store_path) as s:
        s.load(UN_1718)
        before = snapshot(s)
        with pytest.raises(ListFormatError, match="line 50"):
            s.load_many([UN_2021, folder])  # the good first file is not stored either
        after = snapshot(s)
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_failure_inside_the_transaction_rolls_back(store_path, monkeypatch):
    with ListStore(store_path) as s:
        s.load(UN_1718)
        before = snapshot(s)
        calls = {"n": 0}
        real = store_mod.ListStore._store

        def flaky(self, *args):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
            return real(self, *args)

        monkeypatch.setattr(store_mod.ListStore, "_store", flaky)
        with pytest.raises(RuntimeError):
            s.load_many([UN_2021, UN_2026])
        after = snapshot(s)
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_diff_ofac_versions():
    old, new = parsed(OFAC_2019).entities(), parsed(OFAC_2021).entities()
    d = diff_entities(old, new)
    # 95 of the 97 wallets of 2021 are new; the 2 of 2019 are unchanged
    assert d.counts() == {"added": 3096, "removed": 422, "changed": 842, "unchanged": 8553}

    def things(es):
        return [e for e in es if e.schema.is_a("Thing") and e.schema.name != "CryptoWallet"]

    # the SDN entries themselves; the rest are relationship entities (Linked To, vessel owner)
    # and wallets
    t = diff_entities(things(old), things(new))
    assert t.counts() == {"added": 1858, "removed": 261, "changed": 842, "unchanged": 6276}
    links = [e for e in d.added if e.schema.name in ("UnknownLink", "Ownership")]
    assert len(links) == 1143

    def dprk(es):
        return [e for e in es if any(p.startswith("DPRK") for p in e.get("program", quiet=True))]

    dd = diff_entities(dprk(old), dprk(new))
    assert (len(dd.added), len(dd.removed)) == (28, 2)
    assert sorted(e.caption for e in dd.added if e.schema.name == "Vessel") == [
        "ASIA BRIDGE", "CALM BRIDGE", "LUCKY STAR", "SHANG YUAN BAO", "STAR 18"]


def test_diff_un_versions_dprk_unchanged_set():
    def dprk(path):
        return [e for e in parsed(path).entities() if e.id.startswith("un-sc-KP")]

    d = diff_entities(dprk(UN_2021), dprk(UN_2026))
    assert d.counts() == {"added": 0, "removed": 0, "changed": 69, "unchanged": 86}


def _cli() -> Typer:
    app = Typer()
    app.add_typer(lists_app, name="lists")

    @app.command()
    def noop() -> None:
        """Keeps typer from collapsing the single sub-app."""

    return app


def test_cli_load_show_diff(store_path):
    runner = CliRunner()
    app = _cli()
    r = runner.invoke(app, ["lists", "load", str(UN_1718), "--store", str(store_path), "--json"])
    assert r.exit_code == 0, r.output
    assert '"status": "new"' in r.output
    r = runner.invoke(app, ["lists", "show", "un1718-8909575", "--store", str(store_path),
                            "--json"])
    assert r.exit_code == 0 and "Greenlight" in r.output and "line 5 (IMO 8909575)" in r.output
    r = runner.invoke(app, ["lists", "show", "--schema", "Vessel", "--store", str(store_path)])
    assert r.exit_code == 0 and "59 entities" in r.output
    r = runner.invoke(app, ["lists", "diff", str(UN_2021), str(UN_2026), "--json"])
    assert r.exit_code == 0 and '"added": 91' in r.output
    r = runner.invoke(app, ["lists", "load", str(UN_1718.parent / "nope.csv"),
                            "--store", str(store_path)])
    assert r.exit_code == 2 and "nothing was loaded" in r.output


def test_store_tables_are_the_declarations_after_loading(store_path):
    with ListStore(store_path) as s:
        s.load(UN_1718)
        for table in ListStore.TABLES:
            assert stored_columns(s.con, table.name) == declared_columns(table), table.name
            assert primary_key(s.con, table.name) == table.primary_key, table.name
        versions, statements = s.versions(), s.statements()
    assert ListStore.TABLES == (SANCTION_STATEMENTS, SANCTION_LIST_VERSIONS)
    assert versions.columns == SANCTION_LIST_VERSIONS.names
    assert versions.row(0, named=True)["statements"] == 804
    assert statements.schema == SANCTION_STATEMENTS.polars_schema()
    # the events store in the same file: every stored table is a declared one
    with DuckDBStore(store_path) as st:
        names = [r[0] for r in st.con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY table_name").fetchall()]
        assert names == sorted(t.name for t in (*ListStore.TABLES, *DuckDBStore.TABLES))
        for table in (*ListStore.TABLES, *DuckDBStore.TABLES):
            assert stored_columns(st.con, table.name) == declared_columns(table), table.name


OLD_LIST_DDL = (
    """
CREATE TABLE IF NOT EXISTS sanction_statements (
  entity_id VARCHAR NOT NULL,
  schema VARCHAR NOT NULL,
  prop VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  dataset VARCHAR NOT NULL,
  list_date DATE NOT NULL,
  source_record VARCHAR,   -- where in the list file: XML element, line, row, id
  first_seen DATE          -- earliest loaded version of this dataset holding the same fact
)""",
    """
CREATE TABLE IF NOT EXISTS sanction_list_versions (
  dataset VARCHAR NOT NULL,
  list_date DATE NOT NULL,
  list_date_source VARCHAR,  -- how the date was found: file content, file name, or given
  format VARCHAR,
  path VARCHAR,
  sha256 VARCHAR,            -- of the file (or of the OFAC CSV set)
  loaded_at TIMESTAMPTZ,
  entities BIGINT,
  statements BIGINT,
  PRIMARY KEY (dataset, list_date)
)""",
)


def test_store_made_by_the_old_ddl_loads_and_matches_the_declarations(store_path):
    con = duckdb.connect(str(store_path))
    for ddl in OLD_LIST_DDL:
        con.execute(ddl)
    con.close()
    with ListStore(store_path) as s:
        for table in ListStore.TABLES:  # the declarations reproduce the old DDL exactly
            assert stored_columns(s.con, table.name) == declared_columns(table), table.name
        assert s.load(UN_1718).status == "new"
        assert s.load(UN_1718).status == "unchanged"
