"""The refined-petroleum cap tracker on dprk-2019 seed 1 (simulated and detected once per
module, ~15 s): every planted STS delivery is found with its evidence, counted once, and the
yearly totals compare with the cap of the shipped rules table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from sanctionwatch.cli.app import app
from sanctionwatch.risk.evaluation import scenario_store
from sanctionwatch.store import DuckDBStore
from sanctionwatch.trade.petroleum import (
    LOAD_SHARES,
    PetroleumParams,
    read_notifications,
    read_registry,
    refined_petroleum_cap,
    score_deliveries,
    store_deliveries,
    stored_deliveries,
    track_deliveries,
)
from sanctionwatch.trade.rules import load_rules


@pytest.fixture(scope="module")
def seed1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    store, labels = scenario_store(1, tmp_path_factory.mktemp("petroleum"), [])
    return store, pl.read_parquet(labels.parent / "deliveries.parquet")


def _events(store: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("SELECT event_id, event_type, mmsi, other_mmsi, port_name "
                           "FROM events").fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def test_every_planted_delivery_is_found_with_its_evidence(seed1) -> None:
    store, truth = seed1
    planted = truth.filter(pl.col("planted"))
    assert planted.height == 4  # 3 visible, 1 dark: the other dark tanker is back too late
    assert sorted(planted["mechanism"].to_list()) == ["dark_sts"] + ["visible_sts"] * 3
    rep = track_deliveries(store)
    events = _events(store)
    sc = score_deliveries(rep.deliveries, truth)
    assert (sc.precision, sc.recall) == (1.0, 1.0)
    for row in planted.iter_rows(named=True):
        d = next(d for d in rep.deliveries if d.mmsi == row["mmsi"])
        assert d.mechanism == row["mechanism"]
        assert d.supplier_mmsi == row["supplier_mmsi"]
        assert d.port == "NAMPO"
        roles = {i.role: i for i in d.evidence}
        arrival = events[roles["arrival"].event_id]
        assert arrival[0] == "port_call" and arrival[3] == "NAMPO"
        if d.mechanism == "visible_sts":
            enc = events[roles["transfer"].event_id]
            assert enc[0] == "encounter" and {enc[1], enc[2]} == {d.mmsi, d.supplier_mmsi}
            assert roles["transfer"].end_time <= d.arrival_time
        else:
            assert events[roles["partner_loitering"].event_id][:2] == ("loitering",
                                                                       d.supplier_mmsi)
            assert events[roles["dark_gap"].event_id][:2] == ("ais_gap", d.mmsi)
        assert events[roles["draught"].event_id][0] == "draught_change"
        assert d.draught_barrels is not None and d.draught_barrels > 0


def test_a_transfer_and_its_port_call_are_one_delivery(seed1) -> None:
    store, _ = seed1
    rep = track_deliveries(store)
    ids = [d.delivery_id for d in rep.deliveries]
    assert len(ids) == len(set(ids))
    used = [i.event_id for d in rep.deliveries for i in d.evidence
            if i.role in ("transfer", "partner_loitering")]
    assert len(used) == len(set(used))
    arrivals = [i.event_id for d in rep.deliveries for i in d.evidence if i.role == "arrival"]
    assert len(arrivals) == len(set(arrivals)) == len(rep.deliveries)


def test_yearly_totals_against_the_cap_of_the_rules_table(seed1, tmp_path) -> None:
    store, _ = seed1
    cap, citation = refined_petroleum_cap()
    rule = load_rules().by_id("refined_petroleum_supply")
    assert cap == rule.cap_amount == 500_000 and "2397" in citation
    notes = tmp_path / "notes.csv"
    notes.write_text("year,supplier_state,barrels\n2019,China,10000\n2019,Russia,2500.5\n")
    rep = track_deliveries(store, notifications=read_notifications(notes), year=2019)
    (y,) = rep.years
    assert y.year == 2019 and y.deliveries == len(rep.deliveries)
    assert y.notified_barrels == 12500.5
    for key, share in LOAD_SHARES:
        assert y.barrels[key] == pytest.approx(sum(d.barrels[key] for d in rep.deliveries))
        for d in rep.deliveries:
            assert d.barrels[key] == pytest.approx(
                d.deadweight_t * share * PetroleumParams().barrels_per_tonne, abs=1)
    assert y.share_of_cap("half") == pytest.approx(y.barrels["half"] / 500_000)
    assert track_deliveries(store, year=2018).years[0].deliveries == 0


def test_registry_deadweight_replaces_the_typical_one(seed1, tmp_path) -> None:
    store, _ = seed1
    base = track_deliveries(store)
    d = next(d for d in base.deliveries if d.mechanism == "visible_sts")
    reg = tmp_path / "registry.csv"
    reg.write_text(f"imo,deadweight_t,design_draught_m\n{d.imo},2000,7.5\n")
    got = next(x for x in track_deliveries(store, registry=read_registry(reg)).deliveries
               if x.delivery_id == d.delivery_id)
    assert got.deadweight_t == 2000 and got.deadweight_source.startswith("registry")
    assert got.barrels["ninety"] == pytest.approx(2000 * 0.9 * 7.46, abs=1)
    assert "registry design draught" in got.draught_basis
    bad = tmp_path / "bad.csv"
    bad.write_text("imo,deadweight_t\n9876543,heavy\n")
    with pytest.raises(ValueError, match=r"bad.csv, line 2: deadweight_t 'heavy'"):
        read_registry(bad)


def test_stored_estimate_is_replaced_not_duplicated(seed1, tmp_path) -> None:
    store, _ = seed1
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(store.read_bytes())
    rep = track_deliveries(copy)
    assert store_deliveries(rep, copy) == len(rep.deliveries)
    store_deliveries(rep, copy)
    rows, evidence = stored_deliveries(copy)
    assert rows.height == len(rep.deliveries)
    assert evidence.height == sum(len(d.evidence) for d in rep.deliveries)
    assert set(evidence["delivery_id"]) == set(rows["delivery_id"])


def test_cli_writes_the_files_and_explains_bad_input(seed1, tmp_path) -> None:
    store, _ = seed1
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(store.read_bytes())
    res = CliRunner().invoke(app, ["petroleum", "--store", str(copy), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    d = pl.read_csv(tmp_path / "out" / "deliveries.csv")
    assert d.height == len(track_deliveries(copy).deliveries)
    assert "arrival:" in d["evidence_event_ids"][0]
    assert pl.read_csv(tmp_path / "out" / "summary.csv")["cap_barrels"][0] == 500_000
    bad = tmp_path / "notes.csv"
    bad.write_text("year,barrels\n2019,5\n")
    res = CliRunner().invoke(app, ["petroleum", "--store", str(copy), "--notifications",
                                   str(bad)])
    assert res.exit_code == 2 and "supplier_state" in res.output
    assert "Traceback" not in res.output


def test_a_store_without_dprk_calls_has_no_delivery(tmp_path) -> None:
    path = tmp_path / "empty.duckdb"
    DuckDBStore(path).close()
    rep = track_deliveries(path)
    assert rep.deliveries == () and rep.years == ()


def test_web_api_serves_the_stored_deliveries_and_totals(seed1, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from sanctionwatch.web import create_app

    store, _ = seed1
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(store.read_bytes())
    bare = tmp_path / "bare.duckdb"
    bare.write_bytes(store.read_bytes())
    empty = TestClient(create_app(bare)).get("/api/petroleum").json()
    assert empty["deliveries"] == [] and "sanctionwatch petroleum" in empty["note"]
    rep = track_deliveries(copy)
    store_deliveries(rep, copy)
    client = TestClient(create_app(copy))
    body = client.get("/api/petroleum").json()
    assert body["cap_barrels"] == 500_000
    assert [d["delivery_id"] for d in body["deliveries"]] == [
        d.delivery_id for d in rep.deliveries]
    first = body["deliveries"][0]
    assert {e["role"] for e in first["evidence"]} >= {"arrival"}
    (y,) = body["years"]
    assert y["year"] == 2019 and y["deliveries"] == len(rep.deliveries)
    assert y["barrels"]["half"] == pytest.approx(rep.years[0].barrels["half"])
    none = client.get("/api/petroleum?year=2018").json()
    assert none["deliveries"] == [] and none["years"] == []


def test_dossier_lists_the_deliveries_with_provenance(seed1, tmp_path) -> None:
    from sanctionwatch.evidence import build_dossier
    from sanctionwatch.evidence.render import render_html
    from tests.evidence.pictures import check_provenance

    store, _ = seed1
    copy = tmp_path / "store.duckdb"
    copy.write_bytes(store.read_bytes())
    rep = track_deliveries(copy)
    store_deliveries(rep, copy)
    d = next(x for x in rep.deliveries if x.mechanism == "dark_sts")
    supplier = build_dossier(copy, str(d.supplier_mmsi))
    (row,) = supplier.deliveries
    assert row.role.text == "supplied" and row.mechanism.text == "dark_sts"
    assert str(d.mmsi) in row.counterpart.text
    assert [e.text.split(":")[0] for e in row.evidence] == [i.role for i in d.evidence]
    assert all(e.ref is not None for e in row.evidence)
    check_provenance(render_html(supplier))
    receiver = build_dossier(copy, str(d.mmsi))
    assert [r.role.text for r in receiver.deliveries] == ["received"]
    assert "Refined-petroleum deliveries" in render_html(receiver)


def test_risk_indicator_scores_sts_deliveries_not_direct_calls(seed1) -> None:
    from sanctionwatch.risk import score_vessels

    store, _ = seed1
    rep = track_deliveries(store)
    sts = [d for d in rep.deliveries if d.mechanism != "direct_port_call"]
    direct = [d.mmsi for d in rep.deliveries if d.mechanism == "direct_port_call"]
    by = {r.mmsi: {i.name: i for i in r.indicators} for r in score_vessels(store)}
    for d in sts:
        for m in (d.mmsi, d.supplier_mmsi):
            ind = by[m]["petroleum_delivery"]
            assert ind.score == 1.0 and set(ind.evidence) >= {
                i.event_id for i in d.evidence if i.role == "arrival"}
    for m in direct:
        assert by[m]["petroleum_delivery"].score == 0.0
        assert by[m]["dprk_port_call"].score > 0
