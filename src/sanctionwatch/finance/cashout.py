"""ATM cash-out (FASTCash) detection over card-authorisation logs, as a stream.

Three rules, each keyed on an issuer BIN, each with its own parameter dataclass
(:class:`BurstParams`, :class:`BalanceParams`, :class:`LedgerParams`); signatures from US-CERT
TA18-275A "HIDDEN COBRA - FASTCash" (2018-10-02) and the Cosmos Bank cash-out (11-13 Aug 2018,
over 14,000 ATM withdrawals in 28 countries within hours; UN PoE S/2019/171):

- ``burst``: many approved ATM withdrawals in many countries within a window on one BIN,
  made on a few accounts that each withdraw many times (the cloned cards of a cash-out);
- ``balance``: approvals above the ledger balance (accounts at or near zero) on a few accounts;
- ``ledger``: approvals with no ledger debit (the switch forged "approve" responses without
  consulting core banking).

Each rule counts the rows it flags (approved withdrawals in the scope; above balance; not
debited) in a hopping window of ``window_min`` minutes that moves by ``StreamParams.step_min``.
An account is *hot* in a window when it has at least ``min_account_count`` flagged rows in it;
the window *fires* on a BIN when the hot accounts' flagged rows number at least
``min_transactions_count`` in at least ``min_countries_count`` countries. Consecutive firing
windows of a (rule, BIN) make one alert, emitted as soon as the first window after them does
not fire. The alert lists the hot accounts' flagged transactions of its windows.

State is bounded: the scoped rows of the last window (evicted as windows close) and the open
alerts. The input is read in time order, block by block (:mod:`.cashout_io`); a row older
than the newest seen is reported; it is kept if its window is still open, else rejected.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from sanctionwatch.finance.cashout_io import (
    REJECT_SCHEMA,
    Batch,
    frame_batches,
    read_csv_batches,
    read_jsonl_batches,
)

ALERT_COLUMNS = ("alert_id", "rule", "start_time", "end_time", "bin", "accounts", "countries",
                 "n_transactions", "amount_usd", "transaction_ids", "explanation")
"""Columns of the alerts file, in order."""


@dataclass(frozen=True)
class ScopeParams:
    """Which authorisations the rules read."""

    approved_response_codes: tuple[str, ...] = ("00",)
    """ISO 8583 DE39 codes that mean approved (``00``, ISO 8583:1987)."""
    channels: tuple[str, ...] = ("ATM",)
    """Channels watched: FASTCash cashes out at ATMs (TA18-275A)."""


@dataclass(frozen=True)
class StreamParams:
    """How the stream is cut."""

    step_min: int = 10
    """Window step, minutes: every window length is a multiple of it; a burst shorter than
    ``window_min - step_min`` always lies inside one window. 10 min resolves the 1-2 h bursts
    of TA18-275A well."""
    block_mib: float = 16.0
    """Bytes read and parsed at a time, MiB: with the window state it bounds memory, whatever
    the file size (peak RSS 462 MiB with 8 MiB blocks on a 5.4 GiB log, 550-630 MiB with 16:
    benchmarks/results/cashout.md)."""
    bin_digits: int = 6
    """Digits of the PAN that make the BIN in JSON-lines input (ISO/IEC 7812 six-digit IIN;
    eight-digit BINs exist since 2022)."""


@dataclass(frozen=True)
class BurstParams:
    """Rule ``burst``: approved ATM withdrawals on a few accounts of one BIN in many countries."""

    window_min: int = 120
    """Window, minutes: bursts of withdrawals "within 1-2 h" (TA18-275A signature)."""
    min_account_count: int = 10
    """Approved withdrawals by one account within the window to make it hot: the cloned cards
    of a cash-out share a few accounts (TA18-275A), a cardholder rarely withdraws 10 times in
    2 h."""
    min_transactions_count: int = 100
    """Approvals on the BIN's hot accounts within the window: Cosmos Bank saw ~14,000 in
    hours, over 2,000 an hour."""
    min_countries_count: int = 10
    """Countries of those approvals: 23 and over 30 in TA18-275A, 28 at Cosmos Bank; 10
    leaves a margin for a partial window."""


@dataclass(frozen=True)
class BalanceParams:
    """Rule ``balance``: approvals above the ledger balance, repeated on a few accounts."""

    window_min: int = 120
    """Window, minutes (as ``burst``: TA18-275A 1-2 h)."""
    min_account_count: int = 3
    """Approvals above the balance by one account within the window: the accounts of a
    cash-out hold zero or minimal balances (TA18-275A) and are approved again and again; a
    single overdraft or stand-in approval is ordinary."""
    min_transactions_count: int = 20
    """Such approvals on the BIN within the window."""
    min_countries_count: int = 2
    """Countries of those approvals (a cash-out crosses borders)."""
    margin_usd: float = 0.0
    """Approved amount above ``ledger_balance_usd`` by more than this counts, US dollars."""


@dataclass(frozen=True)
class LedgerParams:
    """Rule ``ledger``: approvals with no ledger debit (the switch-level spoofed approval)."""

    window_min: int = 120
    """Window, minutes (as ``burst``: TA18-275A 1-2 h)."""
    min_account_count: int = 3
    """Undebited approvals by one account within the window: forged approvals repeat on the
    attacker's accounts (TA18-275A); a lone undebited approval (timeout, stand-in) is
    ordinary."""
    min_transactions_count: int = 20
    """Undebited approvals on the BIN within the window."""
    min_countries_count: int = 2
    """Countries of those approvals."""


@dataclass(frozen=True)
class CashoutParams:
    """Every parameter of the cash-out detector, by group (``--param GROUP.FIELD=VALUE``)."""

    scope: ScopeParams = field(default_factory=ScopeParams)
    stream: StreamParams = field(default_factory=StreamParams)
    burst: BurstParams = field(default_factory=BurstParams)
    balance: BalanceParams = field(default_factory=BalanceParams)
    ledger: LedgerParams = field(default_factory=LedgerParams)

    def check(self) -> None:
        """Raise ValueError on a value the detector cannot use."""
        step = self.stream.step_min
        if step <= 0:
            raise ValueError(f"stream.step_min must be > 0 (got {step})")
        if self.stream.block_mib <= 0:
            raise ValueError("stream.block_mib must be > 0")
        for name in RULES:
            rule = getattr(self, name)
            if rule.window_min <= 0 or rule.window_min % step:
                raise ValueError(f"{name}.window_min must be a positive multiple of "
                                 f"stream.step_min ({step}); got {rule.window_min}")
            for f in ("min_account_count", "min_transactions_count", "min_countries_count"):
                if getattr(rule, f) < 1:
                    raise ValueError(f"{name}.{f} must be >= 1")

    def with_overrides(self, items: Iterable[str]) -> CashoutParams:
        """A copy with ``GROUP.FIELD=VALUE`` strings applied, each typed as its default."""
        groups: dict[str, dict[str, Any]] = {}
        for item in items:
            key, sep, value = item.partition("=")
            group, dot, name = key.strip().partition(".")
            if not sep or not dot:
                raise ValueError(f"bad parameter {item!r}: expected GROUP.FIELD=VALUE")
            if group not in GROUPS:
                raise ValueError(f"bad parameter {item!r}: no group {group!r} (groups: "
                                 f"{', '.join(GROUPS)})")
            current = getattr(self, group)
            names = [f.name for f in dataclasses.fields(current)]
            if name not in names:
                raise ValueError(f"bad parameter {item!r}: {group} has {', '.join(names)}")
            groups.setdefault(group, {})[name] = _typed(getattr(current, name), value, item)
        out = dataclasses.replace(self, **{g: dataclasses.replace(getattr(self, g), **v)
                                           for g, v in groups.items()})
        out.check()
        return out


GROUPS = ("scope", "stream", "burst", "balance", "ledger")
RULES = ("burst", "balance", "ledger")
_FLAG = {"burst": "f_burst", "balance": "f_balance", "ledger": "f_ledger"}


def _typed(current: object, value: str, item: str) -> object:
    try:
        if isinstance(current, bool):
            return value.lower() in ("1", "true", "yes", "on")
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
        if isinstance(current, tuple):
            return tuple(v.strip() for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise ValueError(f"bad parameter {item!r}: {exc}") from exc
    return value


@dataclass
class _Episode:
    rule: str
    bin: str
    first_k: int
    last_k: int
    parts: list[pl.DataFrame] = field(default_factory=list)
    """The flagged rows of its windows (a row may repeat across windows)."""


@dataclass
class DetectionResult:
    """What a run read and found."""

    alerts: pl.DataFrame
    rows_read: int = 0
    rows_used: int = 0
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))
    rejects_total: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    out_of_order: int = 0
    skipped: int = 0
    seconds: float = 0.0


class CashoutDetector:
    """The streaming detector: :meth:`feed` time-ordered batches, then :meth:`finish`.

    Each call returns the alerts that closed (rows of :data:`ALERT_COLUMNS`).
    """

    def __init__(self, params: CashoutParams | None = None) -> None:
        self.params = params or CashoutParams()
        self.params.check()
        self.step_ms = self.params.stream.step_min * 60_000
        self.w = {r: getattr(self.params, r).window_min // self.params.stream.step_min
                  for r in RULES}
        self.max_w = max(self.w.values())
        self.rows = pl.DataFrame(schema=_ROW_SCHEMA)
        self.next_k: int | None = None
        self.max_ts: int | None = None
        self.open: dict[tuple[str, str], _Episode] = {}
        self.n_alerts = 0
        self.out_of_order = 0

    def feed(self, frame: pl.DataFrame) -> tuple[list[dict[str, object]], pl.DataFrame]:
        """Take validated rows (``ts`` ms, ``line``, ...) in file order; the alerts closed and
        the rows reported out of order (``line, transaction_id, reason``)."""
        if frame.height == 0:
            return [], pl.DataFrame(schema=REJECT_SCHEMA)
        ts = frame["ts"]
        prev = self.max_ts if self.max_ts is not None else ts[0]
        running = ts.cum_max().shift(1, fill_value=prev)
        late_k = self.next_k if self.next_k is not None else -(1 << 62)
        order = frame.with_columns(
            running.clip(lower_bound=prev).alias("_before"),
        ).with_columns(
            (pl.col("ts") < pl.col("_before")).alias("_ooo"),
            ((pl.col("ts") // self.step_ms) < late_k).alias("_late"),
        )
        ooo = order.filter(pl.col("_ooo") | pl.col("_late"))
        reports = ooo.select(
            "line", "transaction_id",
            pl.when(pl.col("_late"))
            .then(pl.lit("out of time order, its window already closed: not used"))
            .otherwise(pl.lit("out of time order (kept: its window was still open)"))
            .alias("reason"))
        self.out_of_order += ooo.height
        if ooo.height:
            frame = order.filter(~pl.col("_late")).drop("_before", "_ooo", "_late")
        top = ts.max()
        assert isinstance(top, int)
        self.max_ts = top if self.max_ts is None else max(self.max_ts, top)
        self._add(frame)
        current = self.max_ts // self.step_ms
        alerts = self._advance(current - 1)
        return alerts, reports

    def finish(self) -> list[dict[str, object]]:
        """Close every window (end of input): the remaining alerts."""
        if self.max_ts is None:
            return []
        alerts = self._advance(self.max_ts // self.step_ms)
        closing = sorted(self.open.values(), key=lambda e: (e.last_k, e.rule, e.bin))
        self.open.clear()
        return alerts + [self._alert(e) for e in closing]

    def _add(self, frame: pl.DataFrame) -> None:
        s = self.params.scope
        scoped = frame.filter(pl.col("response_code").is_in(s.approved_response_codes)
                              & pl.col("channel").is_in(s.channels))
        if scoped.height == 0:
            return
        rows = scoped.select(
            "ts", (pl.col("ts") // self.step_ms).alias("b"),
            pl.struct("bin", "account_id").hash().alias("key"), "bin", "account_id",
            "terminal_country", "transaction_id", "amount_usd",
            pl.lit(True).alias("f_burst"),
            (pl.col("amount_usd") > pl.col("ledger_balance_usd")
             + self.params.balance.margin_usd).alias("f_balance"),
            (~pl.col("ledger_debited")).alias("f_ledger"),
        )
        self.rows = pl.concat([self.rows, rows], how="vertical_relaxed")
        if self.next_k is None:
            first = rows["b"].min()
            assert isinstance(first, int)
            self.next_k = first

    def _advance(self, k1: int) -> list[dict[str, object]]:
        """Evaluate the windows ending at buckets ``next_k .. k1`` (all complete)."""
        if self.next_k is None or k1 < self.next_k:
            return []
        k0 = self.next_k
        found = []
        for rule in RULES:
            hits = self._fire(rule, k0, k1)
            if hits.height:
                found.append(hits.select(pl.lit(rule).alias("rule"), "bin", "k", *_TX))
        hits = pl.concat(found) if found else pl.DataFrame(
            schema={"rule": pl.String, "bin": pl.String, "k": pl.Int64})
        firing: dict[tuple[str, str], list[int]] = {}
        for rule, bin_, k in hits.select("rule", "bin", "k").unique().sort("k").iter_rows():
            firing.setdefault((rule, bin_), []).append(k)
        closed: list[_Episode] = []
        owner: list[tuple[str, str, int, int]] = []  # (rule, bin, k, episode index)
        episodes: list[_Episode] = []
        for key in sorted(set(self.open) | set(firing)):
            ep = self.open.pop(key, None)
            for k in firing.get(key, []):
                if ep is not None and k != ep.last_k + 1:
                    closed.append(ep)
                    ep = None
                if ep is None:
                    ep = _Episode(key[0], key[1], k, k)
                ep.last_k = k
                if not episodes or episodes[-1] is not ep:
                    episodes.append(ep)
                owner.append((key[0], key[1], k, len(episodes) - 1))
            if ep is None:
                continue
            if ep.last_k < k1:
                closed.append(ep)
            else:
                self.open[key] = ep
        if owner:
            own = pl.DataFrame(owner, schema={"rule": pl.String, "bin": pl.String,
                                              "k": pl.Int64, "e": pl.Int64}, orient="row")
            rows = hits.join(own, on=["rule", "bin", "k"]).unique(["e", "transaction_id"])
            for (e,), part in rows.partition_by(["e"], as_dict=True).items():
                episodes[int(str(e))].parts.append(part.select(*_TX))
        self.next_k = k1 + 1
        keep_from = self.next_k - self.max_w + 1
        self.rows = self.rows.filter(pl.col("b") >= keep_from)
        closed.sort(key=lambda e: (e.last_k, e.rule, e.bin))
        return [self._alert(e) for e in closed]

    def _fire(self, rule: str, k0: int, k1: int) -> pl.DataFrame:
        """The flagged rows of hot accounts in every firing window ``k`` of ``rule``, with
        columns ``bin``, ``k`` and the row's."""
        p = getattr(self.params, rule)
        w = self.w[rule]
        sub = self.rows.filter(pl.col(_FLAG[rule]) & (pl.col("b") >= k0 - w + 1)
                               & (pl.col("b") <= k1))
        if sub.height < p.min_transactions_count:
            return sub.clear().with_columns(pl.lit(0, pl.Int64).alias("k"))
        # Only accounts with enough flagged rows in the whole span can be hot in a window.
        cand = sub.group_by("key").len().filter(pl.col("len") >= p.min_account_count)
        if cand.height == 0:
            return sub.clear().with_columns(pl.lit(0, pl.Int64).alias("k"))
        sub = sub.filter(pl.col("key").is_in(cand["key"].implode()))
        win = (sub.group_by("key", "b").agg(pl.len().alias("n"))
               .with_columns(pl.int_ranges(pl.max_horizontal("b", pl.lit(k0)),
                                           pl.min_horizontal(pl.col("b") + w - 1, pl.lit(k1))
                                           + 1).alias("k"))
               .explode("k").drop_nulls("k")
               .group_by("key", "k").agg(pl.col("n").sum())
               .filter(pl.col("n") >= p.min_account_count).drop("n"))
        hot = (sub.join(win, on="key")
               .filter((pl.col("b") > pl.col("k") - w) & (pl.col("b") <= pl.col("k"))))
        fires = (hot.group_by("bin", "k")
                 .agg(pl.len().alias("n"), pl.col("terminal_country").n_unique().alias("c"))
                 .filter((pl.col("n") >= p.min_transactions_count)
                         & (pl.col("c") >= p.min_countries_count))
                 .select("bin", "k"))
        return hot.join(fires, on=["bin", "k"])

    def _alert(self, ep: _Episode) -> dict[str, object]:
        self.n_alerts += 1
        tx = pl.concat(ep.parts).unique("transaction_id").sort("ts", "transaction_id")
        accounts = sorted(tx["account_id"].unique().to_list())
        countries = sorted(tx["terminal_country"].unique().to_list())
        amount = float(tx["amount_usd"].sum())
        start = _utc(int(tx["ts"][0]))
        end = _utc(int(tx["ts"][-1]))
        n = tx.height
        p = getattr(self.params, ep.rule)
        what = {"burst": "approved ATM withdrawals",
                "balance": "approvals above the ledger balance",
                "ledger": "approvals with no ledger debit"}[ep.rule]
        explanation = (
            f"BIN {ep.bin}: {n:,} {what} (USD {amount:,.0f}) on {len(accounts)} "
            f"account(s) in {len(countries)} countries between {start:%Y-%m-%d %H:%M} and "
            f"{end:%Y-%m-%d %H:%M} UTC, over the thresholds of {p.min_transactions_count} "
            f"transactions in {p.min_countries_count} countries within {p.window_min} min "
            f"on accounts with {p.min_account_count} or more each.")
        return {
            "alert_id": f"CO-{self.n_alerts:06d}",
            "rule": ep.rule,
            "start_time": start.isoformat().replace("+00:00", "Z"),
            "end_time": end.isoformat().replace("+00:00", "Z"),
            "bin": ep.bin,
            "accounts": ";".join(accounts),
            "countries": ";".join(countries),
            "n_transactions": n,
            "amount_usd": round(amount, 2),
            "transaction_ids": ";".join(tx["transaction_id"].to_list()),
            "explanation": explanation,
        }


_TX = ("ts", "transaction_id", "amount_usd", "account_id", "terminal_country")
_ROW_SCHEMA = {"ts": pl.Int64, "b": pl.Int64, "key": pl.UInt64, "bin": pl.String,
               "account_id": pl.String,
               "terminal_country": pl.String, "transaction_id": pl.String,
               "amount_usd": pl.Float64, "f_burst": pl.Boolean, "f_balance": pl.Boolean,
               "f_ledger": pl.Boolean}


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def batches(path: str | Path, fmt: str = "csv", params: CashoutParams | None = None,
            ) -> Iterator[Batch]:
    """The validated batches of a log file (``fmt`` csv or jsonl)."""
    s = (params or CashoutParams()).stream
    if fmt == "csv":
        return read_csv_batches(path, s.block_mib)
    if fmt == "jsonl":
        return read_jsonl_batches(path, s.block_mib, s.bin_digits)
    raise ValueError(f"unknown format {fmt!r}; expected csv or jsonl")


def detect_stream(source: Iterable[Batch], params: CashoutParams | None = None,
                  on_alerts: Callable[[list[dict[str, object]]], None] | None = None,
                  max_rejects_kept: int = 100_000) -> DetectionResult:
    """Run the detector over ``source``; alerts go to ``on_alerts`` as they close (and into
    the result). At most ``max_rejects_kept`` reject rows are kept (all are counted)."""
    t0 = time.perf_counter()
    det = CashoutDetector(params)
    found: list[dict[str, object]] = []
    kept: list[pl.DataFrame] = []
    n_kept = 0
    res = DetectionResult(pl.DataFrame())

    def emit(alerts: list[dict[str, object]]) -> None:
        if alerts:
            found.extend(alerts)
            if on_alerts is not None:
                on_alerts(alerts)

    def note(rej: pl.DataFrame) -> None:
        nonlocal n_kept
        if rej.height == 0:
            return
        res.rejects_total += rej.height
        for reason, n in rej.group_by("reason").len().iter_rows():
            res.rejects_by_reason[reason] = res.rejects_by_reason.get(reason, 0) + n
        if n_kept < max_rejects_kept:
            kept.append(rej.head(max_rejects_kept - n_kept))
            n_kept += kept[-1].height

    for batch in _prefetch(source):
        res.rows_read += batch.frame.height + batch.rejects.height
        res.skipped += batch.skipped
        note(batch.rejects)
        alerts, ooo = det.feed(batch.frame)
        note(ooo.filter(pl.col("reason").str.contains("not used")))
        kept_ooo = ooo.filter(~pl.col("reason").str.contains("not used"))
        if kept_ooo.height:
            note(kept_ooo)
            res.rejects_total -= kept_ooo.height  # reported, but the rows were used
        res.rows_used += batch.frame.height - (ooo.height - kept_ooo.height)
        emit(alerts)
    emit(det.finish())
    res.out_of_order = det.out_of_order
    res.alerts = pl.DataFrame(found, schema=_ALERT_SCHEMA, orient="row")
    res.rejects = (pl.concat(kept) if kept else pl.DataFrame(schema=REJECT_SCHEMA))
    res.seconds = time.perf_counter() - t0
    return res


_ALERT_SCHEMA = {"alert_id": pl.String, "rule": pl.String, "start_time": pl.String,
                 "end_time": pl.String, "bin": pl.String, "accounts": pl.String,
                 "countries": pl.String, "n_transactions": pl.Int64, "amount_usd": pl.Float64,
                 "transaction_ids": pl.String, "explanation": pl.String}


def _prefetch(source: Iterable[Batch]) -> Iterator[Batch]:
    """``source`` read one batch ahead in a thread: the next block is parsed (Arrow and Polars
    release the GIL) while the detector works on this one. Two batches at most in memory."""
    from concurrent.futures import ThreadPoolExecutor

    it = iter(source)
    with ThreadPoolExecutor(1, thread_name_prefix="cashout-read") as pool:
        ahead = pool.submit(next, it, None)
        while True:
            batch = ahead.result()
            if batch is None:
                return
            ahead = pool.submit(next, it, None)
            yield batch


def detect_frame(df: pl.DataFrame, params: CashoutParams | None = None) -> DetectionResult:
    """Detect on a frame in memory (the columns of a CSV log), all at once."""
    return detect_stream(frame_batches(df), params)


def detect_file(path: str | Path, out: str | Path, fmt: str = "csv",
                params: CashoutParams | None = None,
                rejects_path: str | Path | None = None) -> DetectionResult:
    """Detect on the log at ``path``, appending each alert to ``out`` as soon as it closes
    (flushed: a reader tailing the file sees it), and the reported rows (rejects, out of
    order) to ``rejects_path`` (default: OUT with ``.rejects.csv``) when there are any."""
    from sanctionwatch.export.inert import spreadsheet_cell

    params = params or CashoutParams()
    params.check()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(ALERT_COLUMNS)

        def write(alerts: list[dict[str, object]]) -> None:
            _write_alerts(writer, fh, alerts, spreadsheet_cell)

        res = detect_stream(batches(path, fmt, params), params, on_alerts=write)
    rpath = Path(rejects_path) if rejects_path else out.with_suffix(".rejects.csv")
    if res.rejects.height:
        res.rejects.sort("line").write_csv(rpath)
    elif rpath.exists():
        rpath.unlink()
    return res


def _write_alerts(writer: Any, fh: TextIO, alerts: list[dict[str, object]],
                  cell: Callable[[str], str]) -> None:
    for a in alerts:
        writer.writerow([cell(v) if isinstance(v, str) else v for v in
                         (a[c] for c in ALERT_COLUMNS)])
    fh.flush()


__all__ = ["ALERT_COLUMNS", "BalanceParams", "BurstParams", "CashoutDetector", "CashoutParams",
           "DetectionResult", "LedgerParams", "ScopeParams", "StreamParams", "batches",
           "detect_file", "detect_frame", "detect_stream"]
