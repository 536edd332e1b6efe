"""ATM cash-out detection: the three rules, window boundaries, streaming, bad rows, JSON
lines, alerts emitted as their window closes, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.finance.cashout import (
    ALERT_COLUMNS,
    CashoutDetector,
    CashoutParams,
    detect_file,
    detect_frame,
)
from sanctionwatch.finance.cashout_io import COLUMNS, frame_batches
from sanctionwatch.simulate.authlog import write_authlog

T0 = datetime(2018, 8, 11, 6, 0, tzinfo=UTC)
COUNTRIES = ["US", "GB", "DE", "FR", "AE", "SG", "HK", "TH", "MY", "ID", "PH", "VN", "JP"]


def rows(n: int, start: datetime, minutes: float, *, accounts: int = 3, countries: int = 12,
         bin_: str = "411111", prefix: str = "X", balance: float = 0.0,
         debited: bool = False, channel: str = "ATM", code: str = "00") -> list[dict]:
    """``n`` authorisations spread evenly over ``minutes`` from ``start``."""
    step = minutes / max(n - 1, 1)
    return [{
        "transaction_id": f"{prefix}{i:05d}",
        "timestamp": (start + timedelta(minutes=i * step)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "card_id": f"C{i % 40}", "bin": bin_, "account_id": f"{prefix}A{i % accounts}",
        "terminal_id": f"T{i}", "terminal_country": COUNTRIES[i % countries],
        "channel": channel, "amount_usd": 500.0, "response_code": code,
        "ledger_balance_usd": balance, "ledger_debited": debited,
    } for i in range(n)]


def frame(*parts: list[dict]) -> pl.DataFrame:
    df = pl.DataFrame([r for p in parts for r in p], schema={
        "transaction_id": pl.String, "timestamp": pl.String, "card_id": pl.String,
        "bin": pl.String, "account_id": pl.String, "terminal_id": pl.String,
        "terminal_country": pl.String, "channel": pl.String, "amount_usd": pl.Float64,
        "response_code": pl.String, "ledger_balance_usd": pl.Float64,
        "ledger_debited": pl.Boolean}, orient="row")
    return df.sort("timestamp", maintain_order=True)


def ordinary(n: int = 300) -> list[dict]:
    """Ordinary traffic on another BIN: one approved, debited withdrawal per account."""
    return rows(n, T0 - timedelta(hours=1), 300, accounts=n, bin_="522222", prefix="O",
                balance=5000.0, debited=True)


def alerts_of(df: pl.DataFrame, *overrides: str) -> pl.DataFrame:
    return detect_frame(df, CashoutParams().with_overrides(overrides)).alerts


def test_a_burst_on_few_accounts_in_many_countries_is_one_alert_per_rule():
    burst = rows(150, T0, 60, balance=1000.0, debited=True)
    al = alerts_of(frame(burst, ordinary()))
    assert al.columns == list(ALERT_COLUMNS)
    assert al["rule"].to_list() == ["burst"]  # balance covered, debits posted
    a = al.row(0, named=True)
    assert a["bin"] == "411111" and a["n_transactions"] == 150
    assert a["accounts"] == "XA0;XA1;XA2"
    assert len(a["countries"].split(";")) == 12
    assert set(a["transaction_ids"].split(";")) == {r["transaction_id"] for r in burst}
    assert a["start_time"] == "2018-08-11T06:00:00Z"
    assert "150 approved ATM withdrawals" in a["explanation"]


def test_zero_balance_and_no_debit_add_the_balance_and_ledger_rules():
    al = alerts_of(frame(rows(150, T0, 60), ordinary()))
    assert sorted(al["rule"].to_list()) == ["balance", "burst", "ledger"]
    assert set(al["n_transactions"].to_list()) == {150}


@pytest.mark.parametrize(("kw", "why"), [
    ({"countries": 9}, "nine countries, fewer than the ten of burst.min_countries_count"),
    ({"accounts": 30}, "five a account: no account reaches burst.min_account_count"),
])
def test_no_burst_under_the_thresholds(kw, why):
    al = alerts_of(frame(rows(150, T0, 60, balance=1000.0, debited=True, **kw), ordinary()))
    assert al.height == 0, why


def test_declines_and_pos_are_out_of_scope():
    outage = rows(400, T0, 60, code="91")
    pos = rows(400, T0, 60, channel="POS", prefix="P")
    assert alerts_of(frame(outage, pos)).height == 0


def test_window_boundaries():
    """Two halves of a burst 100 min apart share a 120-min window; 140 min apart they do
    not (the windows hop by stream.step_min, 10 min)."""
    def halves(gap_min: int) -> pl.DataFrame:
        a = rows(60, T0, 5, balance=1e4, debited=True, prefix="X")
        b = rows(60, T0 + timedelta(minutes=gap_min), 5, balance=1e4, debited=True,
                 prefix="X")
        for r in b:  # same accounts, other ids
            r["transaction_id"] = "Y" + r["transaction_id"][1:]
        return frame(a, b)

    assert alerts_of(halves(100))["n_transactions"].to_list() == [120]
    assert alerts_of(halves(140)).height == 0
    assert alerts_of(halves(140), "burst.window_min=180")["n_transactions"].to_list() == [120]


def test_balance_and_ledger_need_repeats_on_an_account():
    spread = rows(40, T0, 60, accounts=40, balance=0.0, debited=False)  # one each
    assert alerts_of(frame(spread)).height == 0
    repeated = rows(40, T0, 60, accounts=8, balance=0.0, debited=False)  # five each
    assert sorted(alerts_of(frame(repeated))["rule"].to_list()) == ["balance", "ledger"]
    covered = rows(40, T0, 60, accounts=8, balance=1e4, debited=False)
    assert alerts_of(frame(covered))["rule"].to_list() == ["ledger"]


def test_alert_is_emitted_as_soon_as_its_window_closes():
    det = CashoutDetector()
    burst = frame(rows(150, T0, 30))
    (batch,) = frame_batches(burst)
    assert det.feed(batch.frame)[0] == []
    before = frame(rows(1, T0 + timedelta(minutes=100), 0, prefix="Q", bin_="533333"))
    (b2,) = frame_batches(before)
    assert det.feed(b2.frame)[0] == []  # the windows holding the burst are still open
    after = frame(rows(1, T0 + timedelta(minutes=175), 0, prefix="R", bin_="533333"))
    (b3,) = frame_batches(after)
    closed, _ = det.feed(b3.frame)
    assert sorted(a["rule"] for a in closed) == ["balance", "burst", "ledger"]
    assert det.finish() == []


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("authlog")
    write_authlog(out, 5, 30_000, n_cashouts=2)
    return out


def test_streaming_in_small_blocks_equals_one_shot(log: Path, tmp_path: Path):
    one = detect_frame(pl.read_csv(log / "authorisations.csv", infer_schema=False).with_columns(
        pl.col("amount_usd", "ledger_balance_usd").cast(pl.Float64),
        pl.col("ledger_debited") == "true")).alerts
    small = CashoutParams().with_overrides(["stream.block_mib=0.0625"])  # 64 KiB blocks
    streamed = detect_file(log / "authorisations.csv", tmp_path / "a.csv", params=small)
    assert one.height >= 4
    assert streamed.alerts.equals(one)
    assert pl.read_csv(tmp_path / "a.csv", infer_schema=False)["transaction_ids"].to_list() \
        == one["transaction_ids"].to_list()
    labels = pl.read_csv(log / "labels.csv")
    planted = set(labels.filter(pl.col("label").str.starts_with("CASHOUT"))["transaction_id"])
    alerted = {t for ids in one["transaction_ids"] for t in ids.split(";")}
    assert alerted <= planted and len(alerted) > 0.9 * len(planted)


def test_bad_rows_are_reported_with_their_line(tmp_path: Path):
    good = frame(rows(150, T0, 60), ordinary(20)).with_columns(
        pl.col("ledger_debited").cast(pl.String).str.to_lowercase())
    lines = good.write_csv().splitlines()
    header, body = lines[0], lines[1:]
    body.insert(5, "only,three,fields")  # line 7
    body.insert(10, body[10].replace(",500.0,", ",lots,"))  # line 12
    body.insert(20, body[20].replace("2018-08-11T", "yesterday "))  # line 22
    body.insert(30, "")  # line 32
    body.insert(38, body[38].replace("XA", "X\u00e9A"))  # line 40, Latin-1 below
    path = tmp_path / "log.csv"
    path.write_bytes(("\n".join([header, *body]) + "\n").encode("latin-1"))
    res = detect_file(path, tmp_path / "alerts.csv")
    rej = pl.read_csv(tmp_path / "alerts.rejects.csv")
    got = dict(zip(rej["line"].to_list(), rej["reason"].to_list(), strict=True))
    assert got[40] == "not UTF-8 text"
    assert got[7].startswith("wrong number of fields")
    assert got[12] == "amount_usd not a number >= 0"
    assert got[22] == "timestamp not ISO 8601"
    assert got[32] == "blank line"
    assert res.rejects_total == 5 and res.rows_used == 170
    assert res.alerts.height == 3


def test_out_of_order_rows_are_reported(tmp_path: Path):
    """A row a minute late in the block being read is kept (its windows are still open); a
    row five hours late, read after those windows closed, is not used. Both are reported."""
    df = frame(rows(150, T0, 60), ordinary(2000))
    late = frame(rows(1, T0 - timedelta(hours=5), 0, prefix="L"))
    text = pl.concat([df, late]).with_columns(
        pl.col("ledger_debited").cast(pl.String).str.to_lowercase()).write_csv()
    lines = text.splitlines()
    early = lines[39].replace("2018-08-11T05:", "2018-08-11T04:").replace("O", "E", 1)
    lines.insert(40, early)  # line 41, an hour before line 40
    path = tmp_path / "log.csv"
    path.write_text("\n".join(lines) + "\n")
    small = CashoutParams().with_overrides(["stream.block_mib=0.0625"])
    res = detect_file(path, tmp_path / "alerts.csv", params=small)
    rej = pl.read_csv(tmp_path / "alerts.rejects.csv")
    assert res.out_of_order == 2
    assert rej.rows() == [
        (41, early.split(",")[0], "out of time order (kept: its window was still open)"),
        (len(lines), "L00000", "out of time order, its window already closed: not used")]
    assert res.rows_used == len(lines) - 2
    assert res.alerts.height == 3


def test_json_lines_give_the_csv_alerts(log: Path, tmp_path: Path):
    jdir = tmp_path / "j"
    write_authlog(jdir, 5, 30_000, n_cashouts=2, fmt="jsonl")
    from_csv = detect_file(log / "authorisations.csv", tmp_path / "c.csv").alerts
    path = jdir / "authorisations.jsonl"
    text = path.read_text().splitlines()
    text.insert(2, "{not json")  # line 3
    text.insert(3, text[3].replace('"0210"', '"0200"'))  # a request: skipped
    path.write_text("\n".join(text) + "\n")
    res = detect_file(path, tmp_path / "j.csv", fmt="jsonl")
    assert res.alerts.equals(from_csv)
    assert res.skipped == 1
    rej = pl.read_csv(tmp_path / "j.rejects.csv")
    assert rej["line"].to_list() == [3]


def test_params_are_checked():
    with pytest.raises(ValueError, match=r"multiple of stream\.step_min"):
        CashoutParams().with_overrides(["burst.window_min=25"])
    with pytest.raises(ValueError, match="no group 'bust'"):
        CashoutParams().with_overrides(["bust.window_min=20"])
    assert CashoutParams().with_overrides(["scope.channels=ATM,POS"]).scope.channels == \
        ("ATM", "POS")


def test_cli(tmp_path: Path, log: Path, capsys: pytest.CaptureFixture[str]):
    from sanctionwatch.cli import EXIT_INPUT, EXIT_OK, run

    assert run(["cashout", "--input", str(tmp_path / "none.csv"), "--out",
                str(tmp_path / "a.csv")]) == EXIT_INPUT
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("transaction_id,timestamp\n1,2\n")
    assert run(["cashout", "--input", str(bad), "--out", str(tmp_path / "a.csv")]) == EXIT_INPUT
    assert "header lacks column(s) card_id" in capsys.readouterr().err
    assert run(["cashout", "--input", str(log / "authorisations.csv"), "--out",
                str(tmp_path / "a.csv"), "--param", "burst.min_countries_count=5"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "alerts (balance" in out
    assert pl.read_csv(tmp_path / "a.csv").columns == list(ALERT_COLUMNS)
    assert tuple(pl.read_csv(log / "authorisations.csv", n_rows=1).columns) == COLUMNS
