"""Labelled card-authorisation logs with planted FASTCash ATM cash-outs (issue 18).

``write_authlog(out_dir, seed, n_transactions)`` writes ``authorisations.csv`` (or ``.jsonl``,
the ISO 8583-like layout of :mod:`sanctionwatch.finance.cashout_io`), ``labels.csv``
(``transaction_id, label``: a planted cash-out id ``CASHOUT-n`` or a hard-negative kind) and
``planted.csv`` (one row per planted cash-out or hard negative). Same seed, same bytes.

Ordinary traffic: issuers (BINs) of very different sizes in home countries, a diurnal cycle
in the issuers' local time (UTC+5:30, the Cosmos Bank case), 20 % ATM / 80 % POS, cards used
abroad now and then, declines (insufficient funds, wrong PIN, do not honour), a few
approvals above the balance (overdraft, stand-in) and a few approvals not debited (timeouts).

Planted cash-outs (:class:`CashoutPlan`) follow TA18-275A and Cosmos Bank: a compromised BIN,
a few accounts at zero or minimal balance, many cloned cards, thousands of approved ATM
withdrawals in 20-30 countries within hours, forged approvals with no ledger debit.

Hard negatives: a travel-card programme (cardholders in many countries), a holiday rush on
a domestic BIN, travellers withdrawing in several countries, corporate accounts with many
cards, and a BIN-wide outage (an hour of declines, DE39 ``91``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import numpy as np
import polars as pl

START = datetime(2018, 8, 11, tzinfo=UTC)
"""Day 1 of a log: Saturday 11 August 2018, the first day of the Cosmos Bank cash-out."""

COUNTRIES = ("IN", "US", "GB", "DE", "FR", "AE", "SG", "HK", "TH", "MY", "ID", "PH", "VN",
             "JP", "KR", "CN", "AU", "CA", "MX", "BR", "ZA", "EG", "TR", "RU", "IT", "ES",
             "NL", "CH", "SA", "QA", "KW", "LK", "NP", "BD", "PK", "KE", "NG", "MA", "PL",
             "SE")
"""Terminal countries (ISO 3166 alpha-2)."""

LOCAL_OFFSET_MIN = 330
"""Issuers' local time, minutes east of UTC (UTC+5:30: Pune, the Cosmos Bank case)."""

# Share of a day's transactions per local hour (card payments peak at midday and evening;
# a smooth profile, not fitted to a dataset).
_HOURLY = np.array([0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.6, 2.8, 3.9, 4.6, 5.2, 5.6, 5.9, 5.8,
                    5.5, 5.3, 5.4, 5.8, 6.2, 6.4, 6.0, 4.9, 3.4, 1.8])


@dataclass(frozen=True)
class CashoutPlan:
    """The parameters planted cash-outs are drawn from (TA18-275A; Cosmos Bank 2018)."""

    withdrawals_range: tuple[int, int] = (150, 4000)
    """Approved withdrawals of a cash-out (Cosmos Bank: ~14,800 in total; smaller ones test
    recall)."""
    accounts_range: tuple[int, int] = (2, 60)
    """Accounts behind the cloned cards (TA18-275A: attacker-controlled accounts); the many-
    account end spreads the withdrawals thin and tests the per-account thresholds."""
    cards_per_account_range: tuple[int, int] = (2, 40)
    """Cloned cards per account."""
    countries_range: tuple[int, int] = (20, 30)
    """Countries (TA18-275A: 23 and over 30; Cosmos Bank: 28)."""
    duration_h_range: tuple[float, float] = (2.0, 7.0)
    """Hours from first to last withdrawal ("within hours")."""
    amount_usd_range: tuple[float, float] = (200.0, 800.0)
    """Per withdrawal (Cosmos Bank: INR 780 M / 14,800 ~ USD 750)."""
    balance_usd_max: float = 50.0
    """Ledger balance of the accounts: zero or minimal (TA18-275A)."""


@dataclass
class AuthLogResult:
    """What :func:`write_authlog` wrote."""

    path: Path
    labels_path: Path
    planted_path: Path
    n_transactions: int
    planted: list[dict[str, object]] = field(default_factory=list)


def write_authlog(out_dir: str | Path, seed: int, n_transactions: int = 200_000,
                  days: int = 1, n_cashouts: int = 2, fmt: str = "csv",
                  n_bins: int = 300, plan: CashoutPlan | None = None,
                  slice_min: int = 10) -> AuthLogResult:
    """Write a labelled log of about ``n_transactions`` ordinary authorisations (plus planted
    ones) over ``days`` days, generated and written ``slice_min`` minutes at a time."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown format {fmt!r}; expected csv or jsonl")
    if n_transactions < 1000 or days < 1 or n_cashouts < 0 or n_bins < 20:
        raise ValueError("need n_transactions >= 1000, days >= 1, n_cashouts >= 0, "
                         "n_bins >= 20")
    plan = plan or CashoutPlan()
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = _World.make(rng, n_transactions, n_bins)
    planted_rows, planted = _planted(rng, world, days, n_cashouts, plan)
    path = out / f"authorisations.{fmt}"
    labels_path = out / "labels.csv"
    n_slices = days * 24 * 60 // slice_min
    minute = np.arange(n_slices) * slice_min
    local_h = ((minute + LOCAL_OFFSET_MIN) // 60) % 24
    weights = _HOURLY[local_h]
    counts = rng.multinomial(n_transactions, weights / weights.sum())
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh, \
            labels_path.open("w", encoding="utf-8", newline="") as lh:
        if fmt == "csv":
            fh.write("transaction_id,timestamp,card_id,bin,account_id,terminal_id,"
                     "terminal_country,channel,amount_usd,response_code,ledger_balance_usd,"
                     "ledger_debited\n")
        lh.write("transaction_id,label\n")
        for i in range(n_slices):
            t0 = int(START.timestamp()) + int(minute[i]) * 60
            t1 = t0 + slice_min * 60
            part = _background(rng, world, int(counts[i]), t0, t1, i, slice_min)
            extra = planted_rows.filter((pl.col("ts") >= t0) & (pl.col("ts") < t1))
            frame = pl.concat([part, extra]).sort("ts", "account_id", maintain_order=True)
            frame = frame.with_columns(
                (pl.lit("T") + (pl.int_range(pl.len()) + written + 1).cast(pl.String)
                 .str.zfill(10)).alias("transaction_id"))
            written += frame.height
            _write(frame, fh, fmt)
            lab = frame.filter(pl.col("label") != "").select("transaction_id", "label")
            if lab.height:
                lab.write_csv(lh, include_header=False)
    planted_path = out / "planted.csv"
    pl.DataFrame(planted).write_csv(planted_path)
    (out / "authlog.json").write_text(json.dumps(
        {"seed": seed, "background_transactions": n_transactions, "days": days,
         "cashouts": n_cashouts, "format": fmt, "transactions": written,
         "bins": n_bins}, indent=2) + "\n")
    return AuthLogResult(path, labels_path, planted_path, written, planted)


@dataclass
class _World:
    bin_codes: np.ndarray
    bin_home: np.ndarray
    bin_weight: np.ndarray
    bin_travel: np.ndarray
    acct_bin: np.ndarray
    acct_balance: np.ndarray
    n_accounts: int
    travel_bin: int
    rush_bin: int
    outage_bin: int

    @staticmethod
    def make(rng: np.random.Generator, n_tx: int, n_bins: int) -> _World:
        codes = rng.choice(np.arange(400000, 560000), size=n_bins, replace=False)
        home_p = np.r_[[0.5], np.full(len(COUNTRIES) - 1, 0.5 / (len(COUNTRIES) - 1))]
        home = rng.choice(len(COUNTRIES), size=n_bins, p=home_p)
        weight = 1.0 / np.arange(1, n_bins + 1) ** 0.8  # issuer sizes: a few big banks
        rng.shuffle(weight)
        travel = np.zeros(n_bins, bool)
        order = np.argsort(-weight)
        travel_bin, rush_bin, outage_bin = int(order[3]), int(order[1]), int(order[5])
        travel[travel_bin] = True
        n_acc = max(2000, n_tx // 4)
        acct_bin = rng.choice(n_bins, size=n_acc, p=weight / weight.sum())
        balance = np.round(rng.lognormal(7.0, 1.3, size=n_acc), 2)
        return _World(codes.astype(str), home, weight, travel, acct_bin, balance, n_acc,
                      travel_bin, rush_bin, outage_bin)


def _frame(ts: np.ndarray, acct: np.ndarray, card: np.ndarray, world: _World,
           country: np.ndarray, atm: np.ndarray, amount: np.ndarray, code: np.ndarray,
           balance: np.ndarray, debited: np.ndarray, label: str | np.ndarray) -> pl.DataFrame:
    n = len(ts)
    bins = world.bin_codes[world.acct_bin[acct]] if n else np.array([], str)
    term = np.char.add("TRM", (np.abs(np.asarray(
        (np.asarray(country, dtype=np.int64) * 7919 + card) % 99991, dtype=np.int64))
        .astype(str)))
    return pl.DataFrame({
        "ts": np.asarray(ts, np.int64),
        "card_id": np.char.add("C", np.asarray(card, np.int64).astype(str)),
        "bin": bins,
        "account_id": np.char.add("A", np.asarray(acct, np.int64).astype(str)),
        "terminal_id": term,
        "terminal_country": np.asarray(COUNTRIES)[np.asarray(country, np.int64)],
        "channel": np.where(atm, "ATM", "POS"),
        "amount_usd": np.round(np.asarray(amount, float), 2),
        "response_code": np.asarray(code, str),
        "ledger_balance_usd": np.round(np.asarray(balance, float), 2),
        "ledger_debited": np.asarray(debited, bool),
        "label": np.full(n, label) if isinstance(label, str) else label,
    }, schema_overrides={"label": pl.String, "response_code": pl.String, "bin": pl.String})


def _background(rng: np.random.Generator, world: _World, n: int, t0: int, t1: int,
                slice_i: int, slice_min: int) -> pl.DataFrame:
    """Ordinary traffic of one slice, with the hard negatives that live in it."""
    ts = rng.integers(t0, t1, size=n)
    acct = rng.integers(0, world.n_accounts, size=n)
    b = world.acct_bin[acct]
    travel = world.bin_travel[b]
    atm = rng.random(n) < np.where(travel, 0.45, 0.2)
    abroad = rng.random(n) < np.where(travel, 0.9, 0.03)
    country = np.where(abroad, rng.integers(0, len(COUNTRIES), size=n), world.bin_home[b])
    amount = np.where(atm, rng.choice([20.0, 40.0, 60.0, 100.0, 200.0, 300.0], size=n),
                      rng.lognormal(3.4, 1.0, size=n))
    balance = world.acct_balance[acct] * rng.uniform(0.5, 1.5, size=n)
    u = rng.random(n)
    code = np.full(n, "00", dtype="<U2")
    short = amount > balance
    overdraft = short & (u < 0.1)  # a few approved above the balance (overdraft, stand-in)
    code[short & ~overdraft] = "51"
    code[(~short) & (u < 0.012)] = "55"
    code[(~short) & (u >= 0.012) & (u < 0.025)] = "05"
    approved = code == "00"
    debited = approved & (rng.random(n) >= 0.002)  # timeouts: approved, never posted
    label = np.where(travel, "hard:travel_card_programme", "")
    # Outage: one hour of the afternoon of day 1, every authorisation on the outage BIN declined.
    out_start = int(START.timestamp()) + 9 * 3600
    outage = (b == world.outage_bin) & (ts >= out_start) & (ts < out_start + 3600)
    code[outage] = "91"
    debited[outage] = False
    label = np.where(outage, "hard:bin_outage", label)
    parts = [_frame(ts, acct, acct, world, country, atm, amount, code, balance, debited, label)]
    # Holiday rush: 3x ATM withdrawals on a big domestic BIN, 2 h of the evening of day 1.
    rush_start = int(START.timestamp()) + 12 * 3600
    if rush_start <= t0 < rush_start + 7200:
        m = max(50, 2 * n // 10)
        racct = rng.choice(np.flatnonzero(world.acct_bin == world.rush_bin), size=m)
        parts.append(_frame(rng.integers(t0, t1, size=m), racct, racct, world,
                            np.full(m, world.bin_home[world.rush_bin]), np.ones(m, bool),
                            rng.choice([100.0, 200.0, 300.0], size=m), np.full(m, "00"),
                            world.acct_balance[racct] + 400.0, np.ones(m, bool),
                            "hard:holiday_rush"))
    return pl.concat(parts)


def _planted(rng: np.random.Generator, world: _World, days: int, n_cashouts: int,
             plan: CashoutPlan) -> tuple[pl.DataFrame, list[dict[str, object]]]:
    """The cash-outs and the hard negatives that are not part of the background draw."""
    span = days * 86400
    day0 = int(START.timestamp())
    parts: list[pl.DataFrame] = []
    planted: list[dict[str, object]] = []
    used_bins = {world.travel_bin, world.rush_bin, world.outage_bin}
    next_acct = world.n_accounts + 1_000_000
    next_card = 10_000_000
    candidates = [int(i) for i in np.argsort(-world.bin_weight)[6:60] if int(i) not in used_bins]
    rng.shuffle(candidates)
    for c in range(n_cashouts):
        b = candidates[c % len(candidates)]
        n = int(rng.integers(plan.withdrawals_range[0], plan.withdrawals_range[1] + 1))
        n_acc = int(rng.integers(plan.accounts_range[0], plan.accounts_range[1] + 1))
        n_cty = int(rng.integers(plan.countries_range[0], plan.countries_range[1] + 1))
        dur = float(rng.uniform(*plan.duration_h_range)) * 3600
        start = day0 + int(rng.integers(0, max(1, span - int(dur) - 3600)))
        accounts = np.arange(next_acct, next_acct + n_acc)
        next_acct += n_acc
        cards_per = rng.integers(plan.cards_per_account_range[0],
                                 plan.cards_per_account_range[1] + 1, size=n_acc)
        card_acct = np.repeat(accounts, cards_per)
        cards = np.arange(next_card, next_card + len(card_acct))
        next_card += len(card_acct)
        countries = rng.choice(len(COUNTRIES), size=n_cty, replace=False)
        pick = rng.integers(0, len(cards), size=n)
        ts = start + np.sort(rng.beta(2.0, 2.0, size=n) * dur).astype(np.int64)
        acct_idx = card_acct[pick]
        # The cash-out's accounts belong to the compromised BIN.
        world_bin = np.full(n, b)
        frame = _frame(ts, acct_idx, cards[pick], _with_bin(world, acct_idx, world_bin),
                       rng.choice(countries, size=n), np.ones(n, bool),
                       np.round(rng.uniform(*plan.amount_usd_range, size=n) / 10) * 10,
                       np.full(n, "00"), rng.uniform(0, plan.balance_usd_max, size=n),
                       np.zeros(n, bool), f"CASHOUT-{c + 1}")
        parts.append(frame)
        planted.append({"label": f"CASHOUT-{c + 1}", "kind": "cashout",
                        "bin": str(world.bin_codes[b]), "accounts": n_acc,
                        "cards": len(cards), "countries": n_cty, "transactions": n,
                        "start": _iso(int(ts.min())), "end": _iso(int(ts.max()))})
    # Travellers: 60 cardholders, 4-8 withdrawals in 3-5 countries over 6-24 h.
    tv = []
    for i in range(60):
        acct = int(rng.integers(0, world.n_accounts))
        k = int(rng.integers(4, 9))
        t = day0 + int(rng.integers(0, max(1, span - 86400))) + np.sort(
            rng.integers(0, int(rng.uniform(6, 24) * 3600), size=k))
        cty = rng.choice(len(COUNTRIES), size=int(rng.integers(3, 6)), replace=False)
        tv.append(_frame(t, np.full(k, acct), np.full(k, acct), world,
                         np.sort(rng.choice(cty, size=k)), np.ones(k, bool),
                         rng.choice([100.0, 200.0], size=k), np.full(k, "00"),
                         np.full(k, world.acct_balance[acct] + 1000), np.ones(k, bool),
                         "hard:traveller"))
        del i
    parts.extend(tv)
    planted.append({"label": "hard:traveller", "kind": "hard_negative", "bin": "",
                    "accounts": 60, "cards": 60, "countries": 0,
                    "transactions": sum(f.height for f in tv), "start": "", "end": ""})
    # Corporate accounts: 5 accounts with 30 cards each, 6-9 ATM withdrawals in 2 h, 1-3
    # countries (a team travelling): below the per-account count of a cash-out.
    for j in range(5):
        acct_id = next_acct
        next_acct += 1
        k = int(rng.integers(6, 10))
        t = day0 + int(rng.integers(0, max(1, span - 7200))) + np.sort(
            rng.integers(0, 7200, size=k))
        b = int(rng.integers(0, len(world.bin_codes)))
        acct_arr = np.full(k, acct_id)
        parts.append(_frame(t, acct_arr, next_card + rng.integers(0, 30, size=k),
                            _with_bin(world, acct_arr, np.full(k, b)),
                            rng.choice(len(COUNTRIES), size=k) % 3 + int(world.bin_home[b]) % 37,
                            np.ones(k, bool), rng.choice([200.0, 300.0], size=k),
                            np.full(k, "00"), np.full(k, 20_000.0), np.ones(k, bool),
                            "hard:corporate_cards"))
        next_card += 30
        del j
    planted.append({"label": "hard:corporate_cards", "kind": "hard_negative", "bin": "",
                    "accounts": 5, "cards": 150, "countries": 0, "transactions": 0,
                    "start": "", "end": ""})
    for kind, bi in (("hard:travel_card_programme", world.travel_bin),
                     ("hard:holiday_rush", world.rush_bin), ("hard:bin_outage",
                                                              world.outage_bin)):
        planted.append({"label": kind, "kind": "hard_negative",
                        "bin": str(world.bin_codes[bi]), "accounts": 0, "cards": 0,
                        "countries": 0, "transactions": 0, "start": "", "end": ""})
    return pl.concat(parts), planted


def _with_bin(world: _World, accts: np.ndarray, bins: np.ndarray) -> _World:
    """``world`` seen by accounts outside its table (planted ones), each with its BIN."""
    top = int(accts.max()) + 1
    acct_bin = np.zeros(top, dtype=np.int64)
    acct_bin[accts] = bins
    return _World(world.bin_codes, world.bin_home, world.bin_weight, world.bin_travel,
                  acct_bin, world.acct_balance, world.n_accounts, world.travel_bin,
                  world.rush_bin, world.outage_bin)


def _iso(s: int) -> str:
    return datetime.fromtimestamp(s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(frame: pl.DataFrame, fh: TextIO, fmt: str) -> None:
    ts = pl.from_epoch(pl.col("ts"), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "csv":
        frame.select("transaction_id", ts.alias("timestamp"), "card_id", "bin", "account_id",
                     "terminal_id", "terminal_country", "channel", "amount_usd",
                     "response_code", "ledger_balance_usd", "ledger_debited"
                     ).write_csv(fh, include_header=False)
        return
    # ISO 8583-like JSON lines (field mapping: sanctionwatch.finance.cashout_io).
    pan = pl.col("bin") + pl.col("card_id").str.slice(1).str.zfill(10)
    frame.select(
        pl.lit("0210").alias("mti"),
        pan.alias("de2"),
        pl.when(pl.col("channel") == "ATM").then(pl.lit("011000")).otherwise(pl.lit("001000"))
        .alias("de3"),
        (pl.col("amount_usd") * 100).round(0).cast(pl.Int64).cast(pl.String).str.zfill(12)
        .alias("de4"),
        ts.alias("de7"),
        pl.col("transaction_id").alias("de37"),
        pl.col("response_code").alias("de39"),
        pl.col("terminal_id").alias("de41"),
        (pl.lit("ATM/MERCHANT ").str.pad_end(38) + pl.col("terminal_country")).alias("de43"),
        pl.col("account_id").alias("de102"),
        "ledger_balance_usd", "ledger_debited",
    ).write_ndjson(fh)


__all__ = ["COUNTRIES", "START", "AuthLogResult", "CashoutPlan", "write_authlog"]
