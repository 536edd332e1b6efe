"""The labelled authorisation-log generator: deterministic, time-ordered, planted cash-outs
with the FASTCash signature, hard negatives labelled."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.finance.cashout_io import COLUMNS
from sanctionwatch.simulate.authlog import write_authlog


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("log")
    write_authlog(out, 3, 20_000, n_cashouts=3)
    return out


def read(log: Path) -> pl.DataFrame:
    return pl.read_csv(log / "authorisations.csv", schema_overrides={
        "bin": pl.String, "response_code": pl.String, "terminal_country": pl.String})


def test_same_seed_same_bytes(log: Path, tmp_path: Path):
    write_authlog(tmp_path, 3, 20_000, n_cashouts=3)
    for name in ("authorisations.csv", "labels.csv", "planted.csv"):
        assert (tmp_path / name).read_bytes() == (log / name).read_bytes(), name
    write_authlog(tmp_path / "other", 4, 20_000, n_cashouts=3)
    assert (tmp_path / "other" / "labels.csv").read_bytes() != (log / "labels.csv").read_bytes()


def test_log_is_time_ordered_with_unique_ids(log: Path):
    df = read(log)
    assert tuple(df.columns) == COLUMNS
    assert df["timestamp"].is_sorted()
    assert df["transaction_id"].n_unique() == df.height
    assert df.height >= 20_000
    atm = (df["channel"] == "ATM").mean()
    assert atm is not None and 0.15 < float(atm) < 0.4
    declined = (df["response_code"] != "00").mean()
    assert declined is not None and 0.01 < float(declined) < 0.2


def test_planted_cashouts_carry_the_fastcash_signature(log: Path):
    df = read(log).join(pl.read_csv(log / "labels.csv"), on="transaction_id", how="left")
    planted = pl.read_csv(log / "planted.csv", schema_overrides={"bin": pl.String})
    outs = planted.filter(pl.col("kind") == "cashout")
    assert outs.height == 3
    for p in outs.iter_rows(named=True):
        rows = df.filter(pl.col("label") == p["label"])
        assert rows.height == p["transactions"] >= 150
        assert rows["bin"].unique().to_list() == [p["bin"]]
        assert rows["terminal_country"].n_unique() == p["countries"] >= 20
        assert rows["account_id"].n_unique() <= 60
        assert (rows["channel"] == "ATM").all() and (rows["response_code"] == "00").all()
        assert (~rows["ledger_debited"]).all()
        assert (rows["ledger_balance_usd"] < rows["amount_usd"]).all()
    kinds = set(df["label"].drop_nulls().unique().to_list())
    assert {"hard:travel_card_programme", "hard:bin_outage", "hard:holiday_rush",
            "hard:traveller", "hard:corporate_cards"} <= kinds
    outage = df.filter(pl.col("label") == "hard:bin_outage")
    assert outage.height > 0 and (outage["response_code"] == "91").all()
    travel = df.filter(pl.col("label") == "hard:travel_card_programme")
    assert travel["terminal_country"].n_unique() >= 30


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown format"):
        write_authlog("/tmp/unused-authlog", 1, 5000, fmt="xml")
