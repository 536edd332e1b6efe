"""``sanctionwatch mirror`` on the hand-made flows in tests/data/trade (PROVENANCE.md there)."""

import csv
from pathlib import Path

import duckdb
import pytest

from sanctionwatch.cli import run
from sanctionwatch.trade.mirror import (
    FINDING_COLUMNS,
    Finding,
    MirrorParams,
    find,
    load_flows,
    mirror_file,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests/data/trade"
FLOWS = DATA / "mirror_flows.csv"
HEADER = "reporter,partner,flow,hs_code,year,value_usd,quantity,quantity_unit\n"


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    flows, rejects = load_flows(FLOWS)
    assert rejects == []
    return find(flows)


def _of(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def _write(tmp_path: Path, rows: str) -> Path:
    p = tmp_path / "flows.csv"
    p.write_text(HEADER + rows)
    return p


def test_asymmetry_between_both_sides_of_a_flow(findings):
    asym = _of(findings, "mirror_asymmetry")
    assert [(f.reporter, f.partner, f.hs_code, f.year) for f in asym] == [
        ("KOR", "RUS", "2701", 2018)]
    f = asym[0]
    assert f.value_usd == 1.6e9 and f.mirror_value_usd == pytest.approx(6.6e8)  # FOB + 10 %
    assert f.ratio == pytest.approx(1.6e9 / 6.6e8)
    assert f.severity == "high" and f.rule == "coal" and "2371 (2017) para 8" in f.citation
    assert f.lines == (12, 13)
    assert "gap 59%" in f.explanation and "relabelled origin" in f.explanation


def test_ordinary_mirror_pairs_within_the_cif_fob_margin_pass(findings):
    # AUS's coal exports to CHN, JPN and KOR agree with the importers once raised by 10 %
    assert not [f for f in findings if "AUS" in (f.reporter, f.partner)]


def test_asymmetry_threshold_and_margin_are_parameters(tmp_path):
    p = _write(tmp_path, "KOR,RUS,import,2701,2018,1600000000,,\n"
                         "RUS,KOR,export,2701,2018,900000000,,\n")
    flows, _ = load_flows(p)
    assert _of(find(flows), "mirror_asymmetry") == []  # gap 38 %, below 50 %
    tight = find(flows, params=MirrorParams(asymmetry_min_gap_share=0.3))
    assert len(_of(tight, "mirror_asymmetry")) == 1
    # the CIF/FOB margin narrows the gap: 38 % with it, 44 % without
    assert not _of(find(flows, params=MirrorParams(asymmetry_min_gap_share=0.42)),
                   "mirror_asymmetry")
    assert _of(find(flows, params=MirrorParams(asymmetry_min_gap_share=0.42,
                                               cif_fob_margin_share=0.0)), "mirror_asymmetry")


def test_a_side_missing_counts_only_when_that_country_reports(tmp_path):
    rows = "CHN,MNG,import,2601,2018,5000000,,\nMNG,CHN,export,0101,2018,5000,,\n"
    f = _of(find(load_flows(_write(tmp_path, rows))[0]), "mirror_asymmetry")
    assert [(x.reporter, x.partner, x.hs_code) for x in f] == [("CHN", "MNG", "2601")]
    assert "MNG reports no exports to CHN" in f[0].explanation and f[0].ratio is None
    # the small horse exports (below asymmetry_min_value_usd) are not compared;
    # MNG absent from the input that year: nothing can be said
    assert not _of(find(load_flows(_write(tmp_path, rows.splitlines()[0] + "\n"))[0]),
                   "mirror_asymmetry")


def test_banned_goods_reported_after_the_ban(findings):
    banned = {(f.reporter, f.flow, f.hs_code, f.year): f for f in _of(findings, "banned_trade")}
    textiles = banned[("CHN", "import", "6204", 2018)]
    assert textiles.severity == "high" and textiles.rule == "textiles"
    assert textiles.citation == "UNSCR 2375 (2017) para 16"
    cars = banned[("CHN", "export", "8703", 2019)]
    assert cars.rule == "luxury_2094_vehicles;supply_ban_2397" and cars.severity == "high"
    assert "UNSCR 2397 (2017) para 7" in cars.citation
    watches = banned[("CHN", "export", "9101", 2017)]
    assert watches.rule == "luxury_2270_additions" and "2270 (2016) para 39" in watches.citation
    # coal in the year of the 2371 ban (5 Aug 2017): only part of the year was banned
    coal = banned[("CHN", "import", "2701", 2017)]
    assert coal.severity == "low" and "41% of 2017" in coal.explanation
    # 2710.19 holds diesel (capped) as well as jet fuel (banned): low
    assert banned[("RUS", "export", "271019", 2018)].severity == "low"


def test_ordinary_trade_with_the_dprk_passes(findings):
    lines = {ln for f in findings for ln in f.lines}
    # 2016 coal before the 2371 ban (line 2), wigs (6704), rice, fertiliser
    assert not lines & {2, 20, 21, 22}


def test_petroleum_exports_compared_with_the_cap(findings):
    (cap,) = _of(findings, "petroleum_cap")
    assert cap.year == 2018 and cap.reporter == "CHN;RUS" and cap.partner == "PRK"
    assert cap.quantity == pytest.approx(80_000_000)  # kg
    assert cap.ratio == pytest.approx(80_000 * 7.46 / 500_000)
    assert "596,800 bbl" in cap.explanation and "2397 (2017) para 5" in cap.citation


def test_petroleum_under_the_cap_is_no_finding(tmp_path):
    p = _write(tmp_path, "CHN,PRK,export,271019,2018,15000000,20000,t\n")
    assert not _of(find(load_flows(p)[0]), "petroleum_cap")


def test_implausible_unit_value(findings):
    (uv,) = _of(findings, "unit_value")
    assert (uv.reporter, uv.partner, uv.hs_code, uv.year) == ("VNM", "PRK", "2701", 2016)
    assert uv.unit_value_usd == pytest.approx(0.006)  # USD 6 per tonne
    # the median of the ten 2016 coal rows: between USD 68 and 71 per tonne
    assert uv.median_unit_value_usd == pytest.approx((0.068 * 0.071) ** 0.5)
    assert uv.ratio == pytest.approx(0.006 / (0.068 * 0.071) ** 0.5)
    assert uv.severity == "high" and "under-declared value" in uv.explanation
    assert "threshold 3.5" in uv.explanation


def test_unit_values_need_enough_rows(tmp_path):
    rows = "".join(f"CHN,X{i},import,2701,2016,{75 * 1000},1000,t\n" for i in range(3))
    rows += "VNM,PRK,import,2701,2016,6000,1000,t\n"
    assert not _of(find(load_flows(_write(tmp_path, rows))[0]), "unit_value")


def test_jump_in_a_banned_code_in_the_ban_year(findings):
    (jump,) = _of(findings, "ban_year_jump")
    assert (jump.reporter, jump.hs_code, jump.year, jump.lines) == ("CHN", "0307", 2017, (23, 24))
    assert jump.ratio == pytest.approx(2.5) and jump.rule == "seafood"
    assert "UNSCR 2371 (2017) para 9" in jump.citation and "rushed through" in jump.explanation
    # the fall of DPRK coal from 2016 to 2017 (compliance) is no jump


def test_no_jump_away_from_the_ban_year(tmp_path):
    p = _write(tmp_path, "CHN,PRK,import,0307,2012,100000000,,\n"
                         "CHN,PRK,import,0307,2013,250000000,,\n")
    assert not _of(find(load_flows(p)[0]), "ban_year_jump")


def test_comtrade_column_names(tmp_path):
    res = mirror_file(DATA / "mirror_flows_comtrade.csv", tmp_path / "f.csv")
    assert res.rejects == [(5, "flow 'RX' is not import/export (or M/X)")]
    kinds = sorted((f.kind, f.reporter, f.hs_code, f.year) for f in res.findings)
    assert ("banned_trade", "CHN", "6204", 2018) in kinds
    (cap,) = [f for f in res.findings if f.kind == "petroleum_cap"]
    assert cap.year == 2019 and cap.quantity == pytest.approx(80_000_000)  # netWgt is kg


def test_bad_rows_rejected_with_their_line(tmp_path):
    out = tmp_path / "f.csv"
    assert run(["mirror", "--input", str(DATA / "mirror_flows_bad.csv"), "--out",
                str(out)]) == 0
    rej = list(csv.DictReader((tmp_path / "f.rejects.csv").open()))
    assert [(int(r["line"]), r["reason"].split(" ")[0]) for r in rej] == [
        (3, "flow"), (4, "hs_code"), (5, "year"), (6, "value_usd"), (7, "5"), (8, "reporter"),
        (9, "empty"), (11, "repeats")]
    assert next(csv.reader(out.open())) == list(FINDING_COLUMNS)


def test_cli_writes_the_findings_and_the_store(tmp_path, capsys):
    out, store = tmp_path / "f.csv", tmp_path / "s.duckdb"
    assert run(["mirror", "--input", str(FLOWS), "--out", str(out), "--store", str(store)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 11 and rows[0]["finding_id"] == "M-000001"
    assert {r["kind"] for r in rows} == {"mirror_asymmetry", "banned_trade", "petroleum_cap",
                                        "unit_value", "ban_year_jump"}
    assert "11 findings" in capsys.readouterr().out
    # a second run replaces the file's rows
    assert run(["mirror", "--input", str(FLOWS), "--store", str(store)]) == 0
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT count(*), min(lines[1]) FROM mirror_findings").fetchone() == (
            11, 11)


def test_cli_missing_columns_is_a_clear_error(tmp_path, capsys):
    code = run(["mirror", "--input", str(DATA / "shipments_cases.csv")])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing column(s) reporter" in err and "Traceback" not in err
