import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.cli import run
from sanctionwatch.sanctions.store import ListStore
from sanctionwatch.schema import EVENTS, VESSEL_IDENTITIES
from sanctionwatch.screening import Screener, load_screener
from sanctionwatch.store import DuckDBStore
from sanctionwatch.trade.rules import load_rules
from sanctionwatch.trade.shipments import COLUMNS, ShipmentScreen, screen_file

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests/data/trade"
UN_SC = ROOT / "tests/data/sanctions/un_consolidated/un_consolidated_2026-02-27.xml"
UN_1718 = ROOT / "tests/data/sanctions/un_1718_vessels/un_1718_vessels_2020-06-04.csv"
JI_SONG_6 = (445165870, 8898740)  # a UN-listed DPRK tanker (MMSI, IMO)
T = datetime(2019, 3, 3, tzinfo=UTC)  # the date of shipment S15


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trade") / "sw.duckdb"
    with ListStore(path) as ls:
        ls.load(UN_SC)
        ls.load(UN_1718)
    mmsi, imo = JI_SONG_6
    ev = [("gap-1", "ais_gap", mmsi, None, T - timedelta(days=3), 40.0, None),
          ("call-1", "port_call", mmsi, None, T + timedelta(days=6), 30.0, True),
          ("sts-1", "encounter", 412000001, mmsi, T + timedelta(days=4), 5.0, None),
          ("gap-old", "ais_gap", mmsi, None, T - timedelta(days=90), 40.0, None),
          ("call-cn", "port_call", mmsi, None, T + timedelta(days=1), 10.0, False)]
    with DuckDBStore(path) as st:
        st.add_events(EVENTS.conform(pl.DataFrame([{
            "event_id": e, "event_type": t, "mmsi": a, "other_mmsi": b, "start_time": s,
            "end_time": s + timedelta(hours=h), "duration_h": h, "is_dprk": d,
            "evidence": ["f.nmea:1"]} for e, t, a, b, s, h, d in ev])))
        st.add_vessel_identities(VESSEL_IDENTITIES.conform(pl.DataFrame([{
            "mmsi": mmsi, "first_seen": T - timedelta(days=200), "last_seen": T,
            "imo": imo, "name": "JI SONG 6", "n_reports": 10, "source": "f.nmea",
            "record": 1}])))
    return path


@pytest.fixture(scope="module")
def screener(store: Path) -> Screener:
    return load_screener(store)


@pytest.fixture(scope="module")
def flags(store: Path, screener: Screener, tmp_path_factory: pytest.TempPathFactory
          ) -> dict[str, dict[str, list[str]]]:
    out = tmp_path_factory.mktemp("flags") / "flags.csv"
    res = screen_file(DATA / "shipments_cases.csv", out, load_rules(), screener, store)
    assert res.rejects == [] and res.rows_read == 15
    by: dict[str, dict[str, list[str]]] = {}
    with out.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert row["citation"] and row["explanation"], row
            by.setdefault(row["shipment_id"], {}).setdefault(row["rule"], []).append(
                row["explanation"] + " | " + row["citation"])
    return by


def test_banned_goods_by_direction(flags: dict[str, dict[str, list[str]]]) -> None:
    assert "UNSCR 2371 (2017) para 8" in flags["S01"]["hs_coal"][0]
    assert "hs_iron" in flags["S04"]
    assert "UNSCR 2371 (2017) para 9" in flags["S05"]["hs_seafood"][0]
    assert "UNSCR 2375 (2017) para 16" in flags["S06"]["hs_textiles"][0]
    assert "UNSCR 2397 (2017) para 5" in flags["S07"]["hs_refined_petroleum_supply"][0]
    assert "cap" in flags["S07"]["hs_refined_petroleum_supply"][0]
    assert {"hs_crude_oil_supply", "hs_condensates_ngl_supply"} <= set(flags["S08"])
    assert {"hs_luxury_2094_vehicles", "hs_supply_ban_2397"} <= set(flags["S09"])
    # declared Chinese origin, but loaded at a DPRK port
    assert "loaded at DPRK port 'Nampo'" in flags["S14"]["hs_coal"][0]


def test_coal_declared_under_a_wrong_code_is_caught(
        flags: dict[str, dict[str, list[str]]]) -> None:
    s02 = flags["S02"]["misdeclared_coal"][0]
    assert "'Anthracite'" in s02 and "HS 253090" in s02
    assert "misdeclared_coal" in flags["S03"]  # Chinese word, DPRK origin, slag code
    assert "Nakhodka" in flags["S02"]["transshipment_routing"][0]


def test_a_listed_consignee_under_a_variant_spelling(
        flags: dict[str, dict[str, list[str]]]) -> None:
    (hit,) = flags["S10"]["listed_party"]
    assert "consignee 'Korea Ryonbong Genl Corp'" in hit
    assert "KOREA RYONBONG GENERAL CORPORATION" in hit and "un_sc" in hit
    assert "name_tokens" in hit  # the matcher's explanation travels with the flag


def test_the_vessel_on_the_lists_and_its_ais_in_the_voyage_window(
        flags: dict[str, dict[str, list[str]]]) -> None:
    s15 = flags["S15"]
    assert "un_1718_vessels" in s15["listed_vessel"][0]
    assert "gap-1" in s15["vessel_ais_gap"][0] and "gap-old" not in s15["vessel_ais_gap"][0]
    assert "call-1" in s15["vessel_dprk_port_call"][0]
    assert "call-cn" not in s15["vessel_dprk_port_call"][0]
    assert "sts-1" in s15["vessel_encounter"][0]


def test_ordinary_trade_passes(flags: dict[str, dict[str, list[str]]]) -> None:
    # Chinese coal to Japan, Vietnamese garments to Germany, German drills to the US
    assert not {"S11", "S12", "S13"} & set(flags)


def test_each_rule_with_codes_fires_on_its_own_case(screener: Screener) -> None:
    screen = ShipmentScreen(load_rules(), None, None)
    for rule in screen.rules.rules:
        if not rule.hs_prefixes:
            continue
        code = rule.hs_prefixes[0].ljust(6, "0")
        row = dict.fromkeys(COLUMNS, "")
        row.update(shipment_id="X", origin_country="CN", destination_country="CN",
                   hs_code=code)
        row["destination_country" if rule.direction == "to_dprk" else "origin_country"] = "KP"
        got = {f.rule for f in screen.screen_row(row, None)}
        assert f"hs_{rule.rule_id}" in got, (rule.rule_id, code, got)
        # the same goods between two other countries raise no HS flag
        row.update(origin_country="CN", destination_country="JP")
        assert not any(f.rule.startswith("hs_") for f in screen.screen_row(row, None))


def test_bad_rows_are_rejected_with_their_line(tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    res = screen_file(DATA / "shipments_bad.csv", out)
    assert [(ln, why.split()[0]) for ln, _, why in res.rejects] == [
        (2, "hs_code"), (3, "date"), (4, "6"), (5, "empty")]
    rej = list(csv.DictReader((tmp_path / "f.rejects.csv").open(encoding="utf-8")))
    assert [r["line"] for r in rej] == ["2", "3", "4", "5"]
    # the multi-line record that starts on line 6 is screened
    assert {f.shipment_id for f in res.flags} == {"G01"}


def test_cli_writes_flags_and_reports_a_bad_header(store: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flags.csv"
    code = run(["shipments", "--input", str(DATA / "shipments_cases.csv"), "--out", str(out),
                "--store", str(store)])
    assert code == 0
    assert "listed_party 1" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("shipment_id,date\nA,2019-01-01\n", encoding="utf-8")
    code = run(["shipments", "--input", str(bad), "--out", str(tmp_path / "x.csv"),
                "--store", str(store)])
    err = capsys.readouterr().err
    assert code == 2 and "missing column(s) shipper" in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


def test_cli_takes_a_national_rule_file(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "eu.csv"
    rules.write_text(
        "measure_id,direction,goods_as_named,hs_codes,resolution,paragraph,measure_type\n"
        "eu_luxury_spirits,to_dprk,spirits,2208,EU Reg. 2017/1509,Annex VIII item 4,ban\n",
        encoding="utf-8")
    ships = tmp_path / "s.csv"
    ships.write_text(",".join(COLUMNS) + "\n"
                     "V1,2018-01-02,A,B,,2208.60,vodka,RU,\"Korea, Dem. People's Rep.\","
                     "Vladivostok,Rajin,,\n", encoding="utf-8")
    out = tmp_path / "f.csv"
    assert run(["shipments", "--input", str(ships), "--out", str(out), "--rules", str(rules),
                "--store", str(tmp_path / "none.duckdb")]) == 0
    (row,) = csv.DictReader(out.open(encoding="utf-8"))
    assert (row["rule"], row["citation"]) == (
        "hs_eu_luxury_spirits", "EU Reg. 2017/1509, Annex VIII item 4")
    assert "to the DPRK" in row["explanation"]
    assert "parties and vessels not screened" in capsys.readouterr().err


def test_a_shipment_is_judged_by_the_measures_of_its_date() -> None:
    from datetime import date

    screen = ShipmentScreen(load_rules(), None, None)
    row = dict.fromkeys(COLUMNS, "")
    row.update(shipment_id="C", hs_code="270112", origin_country="KP", destination_country="CN",
               description="anthracite")

    def coal(day: date | None) -> list[tuple[str, str, str]]:
        return [(f.rule, f.severity, f.explanation) for f in screen.screen_row(row, day)
                if f.rule == "hs_coal"]

    assert coal(date(2015, 5, 1)) == []  # before resolution 2270: lawful trade
    (_, sev, why), = coal(date(2016, 6, 1))  # 2270's livelihood exemption, 2321's cap
    assert sev == "medium" and "exemptions still applied" in why and "2017-08-05" in why
    assert [s for _, s, _ in coal(date(2018, 3, 2))] == ["high"]
    assert [s for _, s, _ in coal(None)] == ["high"]  # an undated record: as in force
