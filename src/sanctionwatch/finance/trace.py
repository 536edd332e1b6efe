"""Follow stolen funds over a transfer graph: taint propagation from seed addresses and
detectors for the laundering patterns that an investigator looks for.

Taint methods (definitions and citations in docs/crypto.md):

* ``poison`` — once an address has received any tainted value, everything it sends later is
  fully tainted (over-labels by design).
* ``haircut`` — every outgoing transfer carries the address's current tainted share of its
  balance (Möser, Böhme & Breuker 2014, "Towards risk scoring of Bitcoin transactions").
* ``fifo`` — first in, first out per address: an outgoing transfer spends the oldest received
  value first (Clayton's Case; Anderson, Shumailov, Ahmed & Rietmann 2019, "Bitcoin Redux").

Value the data never shows arriving (history before the data, internal transfers) counts as
clean: taint is never invented. Tracing runs in time order, so value only flows forward in
time (backward tracing runs the same rules on the reversed graph and reversed time).
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from sanctionwatch.finance.crypto_ingest import SERVICE_CATEGORIES, Label, normalise_address

METHODS = ("poison", "haircut", "fifo")
DIRECTIONS = ("forward", "backward")

FLOW_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "time": pl.Datetime("us", "UTC"), "tx_hash": pl.String, "from": pl.String, "to": pl.String,
    "value": pl.Float64, "tainted_value": pl.Float64, "taint_share": pl.Float64,
    "hop": pl.Int64, "asset": pl.String, "line": pl.Int64,
}
"""One row per transfer that carried taint (in the data's own orientation)."""

ADDRESS_COLUMNS = ("address", "taint", "hops", "label", "category", "role", "tainted_in",
                   "value_in", "tainted_out", "first_time", "last_time", "findings")


@dataclass(frozen=True)
class TraceParams:
    """How far and how to follow the funds."""

    method: str = "haircut"
    """``poison``, ``haircut`` or ``fifo``; haircut by default: it conserves value (the taint
    out of an address never exceeds the taint in), so amounts at endpoints add up."""
    direction: str = "forward"
    """``forward`` (where did the seed's funds go) or ``backward`` (where did they come from)."""
    max_hops: int = 6
    """Addresses at this many hops from a seed are reported but not followed further. 6: the
    Ronin flow reaches an exchange in five (exploiter → intermediary → Tornado depositor →
    Tornado pool → withdrawer → exchange deposit), plus one spare."""
    since: datetime | None = None
    """Ignore transfers before this time (UTC)."""
    until: datetime | None = None
    """Ignore transfers after this time (UTC)."""
    min_amount_coins: float = 0.001
    """Tainted amounts below this (in the asset's own units: ETH, BTC) are not followed:
    0.001 ETH is about the fee of a plain Ethereum transfer in 2022 (21,000 gas at ~50 gwei),
    so smaller amounts are dust, not laundering."""
    stop_categories: tuple[str, ...] = SERVICE_CATEGORIES
    """Label categories where the trace stops: exchanges, mixers and bridges pool funds of many
    users, so taint past them says nothing about the thief (Möser et al. 2014)."""

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method {self.method!r}: choose one of {', '.join(METHODS)}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r}: choose {' or '.join(DIRECTIONS)}")
        if self.max_hops < 1:
            raise ValueError(f"max_hops {self.max_hops}: must be at least 1")
        if not self.min_amount_coins >= 0:
            raise ValueError(f"min_amount_coins {self.min_amount_coins}: must be >= 0")


@dataclass(frozen=True)
class DetectParams:
    """Thresholds of the laundering-pattern detectors (docs/crypto.md)."""

    min_deposits_count: int = 10
    """A batch of fixed-denomination mixer deposits (or a transfer staged for one) needs at
    least this many deposits. The Ronin launderers deposited 100 ETH at a time in daily batches
    of 15 to 87 (tayvano, lazarus-bluenoroff-research, ronin_bridge.md); 10 stays below that
    and above the one or few deposits of an ordinary user."""
    max_remainder_share: float = 0.03
    """A transfer is staged for k deposits of denomination D when k ≥ ``min_deposits_count``,
    something is left over after k·D (gas money: an exact multiple is a round payment) but at
    most this share of the transfer, and the
    recipient passes less than half of it on to non-mixer addresses in the data. 0.03 was set
    on the Ronin excerpt: the largest remainder among transfers to addresses the public notes
    list as Tornado depositors is 2.8 % (1,749.2 ETH for 17 deposits). Not validated on a
    second case; weak evidence on its own (any amount of 1,000-3,333 coins has a remainder
    under 3 % about a third of the time), strong when deposits follow."""
    fan_out_min_count: int = 4
    """Fan-out: at least this many fresh recipients of tainted value from one address..."""
    fan_out_window_h: float = 48.0
    """...within this many hours. The Ronin exploiter paid five fresh addresses 1,250 ETH each
    within 25 h before they went to exchanges; three recipients is an ordinary payment run."""
    sweep_min_share: float = 0.9
    """An exchange deposit address forwards (sweeps) nearly all it receives to the exchange's
    own wallets (Victor 2020, "Address clustering heuristics for Ethereum", FC 2020): an
    address sending at least this share of its outflow to exchange-labelled addresses."""
    peel_keep_min_share: float = 0.7
    """Peel chain: each link passes at least this share of what it received to one fresh
    address and peels the rest off to others (Meiklejohn et al. 2013, "A Fistful of
    Bitcoins")..."""
    peel_min_links_count: int = 3
    """...for at least this many links in a row."""


@dataclass(frozen=True)
class Finding:
    """A detector's hit: the address it is about, when, how much, and why."""

    detector: str
    address: str
    time: datetime
    amount: float
    asset: str
    detail: str
    related: tuple[str, ...] = ()


@dataclass
class TraceResult:
    """Flows that carried taint, the addresses reached and the detectors' findings."""

    seeds: list[str]
    params: TraceParams
    flows: pl.DataFrame
    addresses: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    asset: str = ""


class _Holder:
    """Per-address state: balance and taint as the method needs them."""

    __slots__ = ("bal", "lots", "poisoned", "taint")

    def __init__(self) -> None:
        self.bal = 0.0
        self.taint = 0.0
        self.poisoned = False
        self.lots: deque[list[float]] = deque()

    def receive(self, value: float, tainted: float, method: str) -> None:
        if method == "haircut":
            self.bal += value
            self.taint += tainted
        elif method == "fifo":
            if value > 0:
                self.lots.append([value, tainted / value])
        elif tainted > 0:
            self.poisoned = True

    def send(self, value: float, method: str) -> float:
        """Tainted amount of an outgoing ``value`` (and the state after it)."""
        if method == "poison":
            return value if self.poisoned else 0.0
        if method == "haircut":
            # Unobserved history (value the data never showed arriving) counts as clean.
            share = self.taint / max(self.bal, value) if self.bal > 0 else 0.0
            out = share * value
            self.bal = max(self.bal - value, 0.0)
            self.taint = max(self.taint - out, 0.0)
            return out
        out, need = 0.0, value
        while need > 1e-12 and self.lots:
            lot = self.lots[0]
            take = min(lot[0], need)
            out += take * lot[1]
            lot[0] -= take
            need -= take
            if lot[0] <= 1e-12:
                self.lots.popleft()
        return out


def _pick_asset(transfers: pl.DataFrame, asset: str | None) -> tuple[pl.DataFrame, str]:
    assets = transfers["asset"].unique().to_list()
    if asset is None:
        if len(assets) > 1:
            raise ValueError(f"transfers hold several assets ({', '.join(sorted(assets))}): "
                             "name the one to trace")
        return transfers, assets[0] if assets else ""
    return transfers.filter(pl.col("asset") == asset), asset


def trace(transfers: pl.DataFrame, seeds: Sequence[str], params: TraceParams | None = None,
          labels: dict[str, Label] | None = None, asset: str | None = None) -> TraceResult:
    """Propagate taint from ``seeds`` over ``transfers`` (:data:`TRANSFER_SCHEMA` rows of one
    asset, or pick it with ``asset``). Seeds are fully tainted sources; addresses labelled with
    a stop category receive taint but pass none on; so do addresses at ``max_hops``."""
    p = params or TraceParams()
    labels = labels or {}
    seed_set = {normalise_address(s) for s in seeds}
    if not seed_set:
        raise ValueError("no seed address given")
    frame, chosen = _pick_asset(transfers, asset)
    if p.since is not None:
        frame = frame.filter(pl.col("time") >= p.since)
    if p.until is not None:
        frame = frame.filter(pl.col("time") <= p.until)
    frame = frame.filter(pl.col("value") > 0).sort("time", "line")
    backward = p.direction == "backward"
    cols = [frame[c].to_list() for c in ("time", "tx_hash", "from", "to", "value", "line")]
    order = range(frame.height - 1, -1, -1) if backward else range(frame.height)
    stops = {a for a, lab in labels.items() if lab.category in p.stop_categories} - seed_set
    holders: dict[str, _Holder] = defaultdict(_Holder)
    hops: dict[str, int] = dict.fromkeys(seed_set, 0)
    value_in: dict[str, float] = defaultdict(float)
    out: dict[str, list[object]] = {k: [] for k in FLOW_SCHEMA}
    for i in order:
        t, tx, a, b, v, line = (c[i] for c in cols)
        src, dst = (b, a) if backward else (a, b)
        value_in[dst] += v
        h = hops.get(src)
        if src in seed_set:
            tainted = v
        else:
            tainted = holders[src].send(v, p.method)
            if h is None or h >= p.max_hops or src in stops:
                tainted = 0.0
        if tainted < p.min_amount_coins or tainted <= 0:
            tainted = 0.0
        holders[dst].receive(v, tainted, p.method)
        if tainted > 0 and h is not None:
            if dst not in hops or hops[dst] > h + 1:
                hops[dst] = h + 1
            for k, x in zip(FLOW_SCHEMA, (t, tx, a, b, v, tainted, tainted / v, h + 1,
                                          chosen, line), strict=True):
                out[k].append(x)
    flows = pl.DataFrame(out, schema=FLOW_SCHEMA)
    if backward:
        flows = flows.sort("time", "line", descending=True)
    res = TraceResult(sorted(seed_set), p, flows, pl.DataFrame(), [], chosen)
    res.addresses = _address_table(res, hops, value_in, labels)
    return res


def _address_table(res: TraceResult, hops: dict[str, int], value_in: dict[str, float],
                   labels: dict[str, Label]) -> pl.DataFrame:
    f = res.flows
    near, far = ("from", "to") if res.params.direction == "backward" else ("to", "from")
    tin = f.group_by(near).agg(pl.col("tainted_value").sum().alias("tainted_in"),
                               pl.col("time").min().alias("first_time"),
                               pl.col("time").max().alias("last_time")).rename({near: "address"})
    tout = f.group_by(far).agg(pl.col("tainted_value").sum().alias("tainted_out")
                               ).rename({far: "address"})
    base = pl.DataFrame({"address": list(hops), "hops": list(hops.values())},
                        schema={"address": pl.String, "hops": pl.Int64})
    seeds = set(res.seeds)
    df = (base.join(tin, on="address", how="left").join(tout, on="address", how="left")
          .with_columns(pl.col("tainted_in").fill_null(0.0), pl.col("tainted_out").fill_null(0.0),
                        pl.col("address").replace_strict(value_in, default=0.0,
                                                         return_dtype=pl.Float64)
                        .alias("value_in")))
    df = df.with_columns(
        taint=pl.when(pl.col("address").is_in(list(seeds))).then(1.0)
        .when(pl.col("value_in") > 0).then((pl.col("tainted_in") / pl.col("value_in")).clip(0, 1))
        .otherwise(0.0),
        label=pl.col("address").replace_strict(
            {a: lab.label for a, lab in labels.items()}, default="", return_dtype=pl.String),
        category=pl.col("address").replace_strict(
            {a: lab.category for a, lab in labels.items()}, default="", return_dtype=pl.String),
    )
    return df.with_columns(role=pl.lit(""), findings=pl.lit("")).select(ADDRESS_COLUMNS)


def _fresh_times(transfers: pl.DataFrame) -> dict[str, datetime]:
    """When each address first appears anywhere in the data (as sender or recipient)."""
    first = pl.concat([transfers.select(pl.col("from").alias("a"), "time"),
                       transfers.select(pl.col("to").alias("a"), "time")]
                      ).group_by("a").agg(pl.col("time").min())
    return dict(zip(first["a"].to_list(), first["time"].to_list(), strict=True))


def _denominations(labels: dict[str, Label], asset: str) -> list[float]:
    return sorted({lab.denomination for lab in labels.values()
                   if lab.category == "mixer" and lab.denomination
                   and (not lab.currency or not asset or lab.currency.upper() == asset.upper())},
                  reverse=True)


def _services(labels: dict[str, Label]) -> set[str]:
    """Addresses of services (exchanges, mixers, bridges): not a launderer's own address."""
    return {a for a, lab in labels.items() if lab.category in SERVICE_CATEGORIES}


def detect(res: TraceResult, transfers: pl.DataFrame, labels: dict[str, Label] | None = None,
           params: DetectParams | None = None) -> list[Finding]:
    """Run every detector on a forward trace; fill ``res.findings`` and the ``role`` and
    ``findings`` columns of ``res.addresses``; return the findings."""
    labels = labels or {}
    d = params or DetectParams()
    flows = res.flows
    asset = res.asset
    found: list[Finding] = []
    fwd = res.params.direction == "forward"
    if fwd and flows.height:
        found += _mixer_batches(flows, labels, d, asset)
        found += _mixer_staging(flows, labels, d, asset)
        found += _fan_out(flows, _fresh_times(transfers), labels, d, asset)
        found += _exchange_deposits(flows, transfers, labels, d, asset, set(res.seeds))
        found += _peel_chains(flows, _fresh_times(transfers), labels, d, asset)
    found.sort(key=lambda f: (f.time, f.detector, f.address))
    res.findings = found
    res.addresses = _roles(res, labels, found)
    return found


def _mixer_batches(flows: pl.DataFrame, labels: dict[str, Label], d: DetectParams,
                   asset: str) -> list[Finding]:
    pools = {a: lab for a, lab in labels.items() if lab.category == "mixer" and lab.denomination}
    dep = flows.filter(pl.col("to").is_in(list(pools)))
    out = []
    for (src, pool, day), g in dep.group_by("from", "to", pl.col("time").dt.date().alias("day")):
        denom = pools[str(pool)].denomination or 0.0
        exact = g.filter((pl.col("value") - denom).abs() <= 1e-9 * max(denom, 1.0))
        if exact.height >= d.min_deposits_count:
            out.append(Finding(
                "mixer_batch", str(src), exact["time"].min(), float(exact["value"].sum()), asset,  # type: ignore[arg-type]
                f"{exact.height} deposits of {denom:g} {asset} to {pools[str(pool)].label} on "
                f"{day}", (str(pool),)))
    return out


def _mixer_staging(flows: pl.DataFrame, labels: dict[str, Label], d: DetectParams,
                   asset: str) -> list[Finding]:
    """Transfers shaped for k fixed-denomination deposits to an address that does not pass
    the value on elsewhere in the data (the deposits themselves may lie outside it)."""
    # Only the largest pool: for smaller pools (0.1, 1, 10 ETH) almost any amount is "k x D
    # plus a little", so the shape says nothing; large sums go to the largest pool.
    denoms = _denominations(labels, asset)[:1]
    if not denoms:
        return []
    mixers = [a for a, lab in labels.items() if lab.category == "mixer"]
    tin = dict(flows.group_by("to").agg(pl.col("tainted_value").sum()).iter_rows())
    onward = dict(flows.filter(~pl.col("to").is_in(mixers)).group_by("from")
                  .agg(pl.col("tainted_value").sum()).iter_rows())
    services = _services(labels)
    out = []
    for r in flows.iter_rows(named=True):
        dst = r["to"]
        if dst in services or onward.get(dst, 0.0) >= 0.5 * tin.get(dst, 0.0):
            continue
        v = r["value"]
        for denom in denoms:
            k = math.floor(v / denom + 1e-9)
            rem = v - k * denom
            # An exact multiple is a round payment; staging leaves a little over for gas.
            if k >= d.min_deposits_count and 1e-9 * v < rem <= d.max_remainder_share * v:
                out.append(Finding(
                    "mixer_staging", dst, r["time"], v, asset,
                    f"{v:,.6g} {asset} = {k} x {denom:g} + {rem:,.4g}: staged for {k} "
                    f"fixed-denomination mixer deposits (from {r['from']})", (r["from"],)))
                break
    return out


def _fan_out(flows: pl.DataFrame, fresh: dict[str, datetime], labels: dict[str, Label],
             d: DetectParams, asset: str) -> list[Finding]:
    win = timedelta(hours=d.fan_out_window_h)
    services = _services(labels)
    out = []
    first = pl.DataFrame({"to": list(fresh), "first_seen": list(fresh.values())},
                         schema={"to": pl.String, "first_seen": pl.Datetime("us", "UTC")})
    cand = (flows.join(first, on="to", how="left")
            .filter((pl.col("first_seen") == pl.col("time")) & ~pl.col("to").is_in(list(services)))
            .sort("time"))
    busy = (cand.group_by("from").len().filter(pl.col("len") >= d.fan_out_min_count)
            ["from"].to_list())
    for (src,), g in cand.filter(pl.col("from").is_in(busy)).group_by("from",
                                                                       maintain_order=True):
        rows = list(g.select("time", "to").iter_rows())
        # Sliding window over this sender's payments to fresh recipients (each recipient is
        # fresh once, so the rows in a window are distinct recipients).
        best = (0, 0)
        j = 0
        for i in range(len(rows)):
            while rows[i][0] - rows[j][0] > win:
                j += 1
            if i + 1 - j > best[1] - best[0]:
                best = (j, i + 1)
        chosen = rows[best[0]:best[1]]
        recips = sorted({b for _, b in chosen})
        if len(recips) >= d.fan_out_min_count:
            t0, t1 = chosen[0][0], chosen[-1][0]
            total = float(flows.filter((pl.col("from") == src) & pl.col("to").is_in(recips))
                          ["tainted_value"].sum())
            out.append(Finding(
                "fan_out", str(src), t0, total, asset,
                f"{len(recips)} fresh addresses paid {total:,.6g} {asset} within "
                f"{(t1 - t0).total_seconds() / 3600:.1f} h", tuple(recips)))
    return out


def _exchange_deposits(flows: pl.DataFrame, transfers: pl.DataFrame, labels: dict[str, Label],
                       d: DetectParams, asset: str, seeds: set[str]) -> list[Finding]:
    exch = [a for a, lab in labels.items() if lab.category == "exchange"]
    reached = set(flows["to"].to_list()) - seeds - _services(labels)
    sent = (transfers.filter(pl.col("from").is_in(list(reached)) & (pl.col("value") > 0))
            .with_columns(ex=pl.col("to").is_in(exch)))
    if not sent.height or not sent["ex"].any():
        return []
    out = []
    for (a,), g in sent.group_by("from"):
        to_ex = g.filter(pl.col("ex"))
        if not to_ex.height:
            continue
        share = float(to_ex["value"].sum()) / float(g["value"].sum())
        if share >= d.sweep_min_share:
            names = sorted({labels[x].label for x in to_ex["to"].to_list()})
            t = to_ex["time"].min()
            assert isinstance(t, datetime)
            out.append(Finding(
                "exchange_deposit", str(a), t, float(to_ex["value"].sum()), asset,
                f"forwards {share:.0%} of its outflow to {', '.join(names)}",
                tuple(sorted(set(to_ex["to"].to_list())))))
    return out


def _peel_chains(flows: pl.DataFrame, fresh: dict[str, datetime], labels: dict[str, Label],
                 d: DetectParams, asset: str) -> list[Finding]:
    services = _services(labels)
    by_src: dict[str, list[tuple[datetime, str, float]]] = defaultdict(list)
    tin: dict[str, float] = defaultdict(float)
    for t, a, b, tv in flows.select("time", "from", "to", "tainted_value").iter_rows():
        by_src[a].append((t, b, tv))
        tin[b] += tv

    def step(a: str) -> str | None:
        rows = by_src.get(a, [])
        if len(rows) < 2 or tin[a] <= 0:
            return None
        t, nxt, tv = max(rows, key=lambda r: r[2])
        if tv >= d.peel_keep_min_share * tin[a] and nxt not in services and fresh.get(nxt) == t:
            return nxt
        return None

    nxt_of = {a: n for a in by_src if (n := step(a)) is not None}
    starts = set(nxt_of) - set(nxt_of.values())
    out = []
    for s in sorted(starts):
        chain = [s]
        while chain[-1] in nxt_of and nxt_of[chain[-1]] not in chain:
            chain.append(nxt_of[chain[-1]])
        links = len(chain) - 1
        if links >= d.peel_min_links_count:
            peeled = sum(tv for a in chain[:-1] for _, b, tv in by_src[a] if b != nxt_of[a])
            t0 = min(r[0] for r in by_src[s])
            out.append(Finding("peel_chain", s, t0, peeled, asset,
                               f"{links} links, {peeled:,.6g} {asset} peeled off",
                               tuple(chain[1:])))
    return out


_ROLE_OF = {"mixer_batch": "mixer_depositor", "mixer_staging": "mixer_depositor",
            "exchange_deposit": "exchange_deposit", "peel_chain": "peel_chain"}


def _roles(res: TraceResult, labels: dict[str, Label], found: Iterable[Finding]) -> pl.DataFrame:
    names: dict[str, set[str]] = defaultdict(set)
    det_role: dict[str, str] = {}
    for f in found:
        names[f.address].add(f.detector)
        if f.detector in _ROLE_OF:
            det_role.setdefault(f.address, _ROLE_OF[f.detector])
        if f.detector == "peel_chain":
            for a in f.related:
                det_role.setdefault(a, "peel_chain")
        if f.detector == "fan_out":
            for a in f.related:
                names[a].add("fan_out_recipient")
    seeds = set(res.seeds)
    roles = []
    for r in res.addresses.iter_rows(named=True):
        a = r["address"]
        cat = labels[a].category if a in labels else ""
        if a in seeds:
            role = "seed"
        elif cat in res.params.stop_categories:
            role = cat
        elif a in det_role:
            role = det_role[a]
        elif r["tainted_out"] >= 0.5 * r["tainted_in"] and r["tainted_out"] > 0:
            role = "intermediary"
        else:
            role = "endpoint"
        roles.append(role)
    return res.addresses.with_columns(
        role=pl.Series(roles, dtype=pl.String),
        findings=pl.col("address").replace_strict(
            {a: ";".join(sorted(n)) for a, n in names.items()}, default="",
            return_dtype=pl.String),
    ).sort("hops", "tainted_in", descending=[False, True])


__all__ = ["ADDRESS_COLUMNS", "DIRECTIONS", "FLOW_SCHEMA", "METHODS", "DetectParams", "Finding",
           "TraceParams", "TraceResult", "detect", "trace"]
