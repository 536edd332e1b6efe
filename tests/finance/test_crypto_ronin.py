"""The Ronin bridge theft (Lazarus Group, 2022-03-23) traced on the real Dune excerpt.

Public accounts the findings were checked against, by hand:

* Ronin Network / Sky Mavis statements (2022-03-29) and the Elliptic blog "$540 million stolen
  from the Ronin DeFi bridge": 173,600 ETH and 25.5 M USDC drained on 2022-03-23 from the Ronin
  bridge by forged withdrawals; funds laundered through Tornado Cash and sent in part to
  centralised exchanges (FTX, Huobi, Crypto.com). FBI attribution to Lazarus Group and OFAC
  listing of 0x098B716B…2f96 on 2022-04-14; the other 7 addresses listed 2022-05-06.
  (From memory; figures quoted in tayvano's notes below.)
* tayvano, lazarus-bluenoroff-research, ``hacks-and-thefts/ronin_bridge.md`` (read at commit
  11a2f6db0e9c6a9a6e812f05ce966366db6c3f8e): the "## Onchain" section gives a role per address
  ("Primary", "Used for swapping", "Intermediary to TC", "Intermediary to CEX", "TC
  Depositor", "Huobi/FTX/Cryptocom Deposit Address") and the "Tornado Deposits and Withdrawals"
  table gives, per depositor, the number of 100-ETH Tornado Cash deposits and their first and
  last time ("A total of 1750 100 ETH Deposits were made into Tornado Cash"). The roles and
  counts pinned below are copied from it.

What the 436-row excerpt (Dune query 1322519) does and does not contain:

* It holds only top-level Ethereum transactions sent to or from the 8 OFAC-listed addresses.
* It lacks the theft itself: the bridge paid 173,600 ETH by an internal transfer, which the
  query does not see (the exploiter's calls to the bridge show as 0-ETH transactions), and the
  USDC moved as token transfers (0-ETH calls to the USDC contract).
* It lacks every Tornado Cash deposit (the depositors send to the 100-ETH pool, outside the 8
  addresses) and every exchange deposit address (one hop past the "Intermediary to CEX"
  addresses). So the trace reaches the *depositors* and the *intermediaries to exchanges*, and
  the 100-ETH pattern shows as transfers staged for k x 100 ETH deposits, not as deposits.
"""

import re
from pathlib import Path

import polars as pl
import pytest

from sanctionwatch.finance.crypto_ingest import (
    match_seed,
    read_ofac_seeds,
    read_transfers,
    shipped_service_labels,
)
from sanctionwatch.finance.trace import TraceParams, detect, trace

DATA = Path(__file__).resolve().parents[1] / "data" / "crypto"
DUNE = DATA / "eth_ronin_lazarus_dune" / "LazarusTabularTxs1322519.csv"
EXPLOITER = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
TORNADO_100_ETH = "0xa160cdab225685da1d56aa342ad8841c3b53f291"

# tayvano "Intermediary to TC" (besides the Primary): OFAC-listed 2022-05-06. Amount each
# received from the exploiter in the excerpt (ETH), checked in the CSV by hand.
INTERMEDIARIES_TO_TC = {
    "0x35fb6f6db4fb05e6a4ce86f2c93691425626d4b1": 33568.152,
    "0xf7b31119c2682c88d88d455dbb9d5932c65cf1be": 25127.5192,
    "0x3e37627deaa754090fbfbb8bd226c1ce66d255e9": 23528.8,
    "0x53b6936513e738f44fb50d2b9476730c0ab3bfc1": 21629.48215,
    "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b": 18256.81,
    "0x08723392ed15743cc38513c4925f5e6be5c17243": 12595.3,
    "0x3cffd56b47b7b41c56258d9c7731abadc360e073": 10129.935,
}
# tayvano "Intermediary to CEX" present in the excerpt (the other two, 0x4fe666… and 0x7e3167…,
# are not in it): each got 1,250 ETH from the exploiter on 2022-03-28/29.
INTERMEDIARIES_TO_CEX = [
    "0x776b80e3fd97516ae3a2579cf4eae5ff5867d0f3", "0x9fae13de16d34873246e48b514fc88581751533f",
    "0xdb3a63562bb7afd44e6b6be8c8269f807c39f5fa", "0x5d84a732b355ada31a36b33c446e3dee28f51555",
    "0x29fc9b71492ec63696cf9cd56e9832a42b0dced0",
]
# tayvano "Huobi / FTX / Cryptocom Deposit Address": not in the excerpt.
EXCHANGE_DEPOSITS = [
    "0x17a96cd2aff8bece22b54a83955fbab5c92a98ca", "0xbc771fb7b6a8876d09fd2e3e2f17fbc91896d8c8",
    "0x6102f081de19eb53404b684b4e14667745a4c874", "0xf49fa9956cd53c4581a974a7fd535a15c47b954a",
    "0x5b5082214d62585d686850ab8d9e3f6b6a5c58ff", "0xa9bfdc186c6bcf058fbb5bf62046d7bc74e96ce2",
    "0x036587e77eabe6a7e181886a5a6ed10dc25654f9", "0x82906886796d110b7ec4c54f6611fb29128699dd",
]
SWAPPERS = ["0xe708f17240732bbfa1baa8513f66b665fbc7ce10",
            "0x665660f65e94454a64b96693a67a41d440155617"]  # "March 23 - Used for swapping"
# tayvano's Tornado table: depositor -> number of 100-ETH deposits (the 47 depositors the
# excerpt funds; the 48th listed TC depositor, 0x01a5d510… with 17, is not in the excerpt).
TC_DEPOSITS = {
    "0xbc25d57412a04956cdd95af07825c5c1f34d29eb": 20,
    "0xdf225c84a0eaeaaac20e6c1d369e94ee13b9df2a": 15,
    "0x429a66e7bd829f9453cee5239bfeaf5657a11a3e": 20,
    "0x5b0431365ce1ab3693bea6f33ae67653dd30d8bd": 28,
    "0xbcd78c2d608e7ceb3d25bea30fae8a9d57033868": 31,
    "0x1361c1e18930483f4aaf91f3a263937e4fcc1f39": 30,
    "0xfce9d04133701a77589615c23def7ba98289c8e2": 25,
    "0xb2369d20e7f0c46270b9f79ab26fc62fada356c7": 29,
    "0x77532dd2eb6e8eaf416f39c65f48cd2369782828": 32,
    "0x1bf53ce80ff2ed5711b8a2db8f7ea5b38da118d6": 33,
    "0xbc5639887283eaf1b8e966e0b2fa6998d2ec6404": 29,
    "0x8fa7b50fc8306ab3de028254df72bf08216742b6": 15,
    "0x28f080edf51145c3f511415b8c2afaebb605a70b": 31,
    "0xb3656c5ed7ef97b4c9097d416df98e2e2a5dd81d": 54,
    "0x5967524ce3bc2bc422e584e33bd50921a22e3c0a": 45,
    "0xdd6458eb5090832eb88bffc7adf39b0f3cdd6683": 52,
    "0x9e1e41985048c07a68a67f632f82799baaf903b1": 85,
    "0x622163f3f21752d359216343df88e9108495ca14": 66,
    "0x002c93452d54b6d64bfa9879fcab14a74f1bdd44": 87,
    "0xedb60566f3fd86c2cd9db744d59f019dae0e45a6": 62,
    "0x1aff30f79a05d6505c7846c13dd669858eb52f49": 58,
    "0x99b6843f8410ee696b7487a5535dd5b0ca32a12d": 70,
    "0xd98d925685908152f18c32697e0d3894a5c672c0": 30,
    "0x13113ccfe609c081bb9a7f7d69484b96b90b39fc": 30,
    "0x3f1b0a5064cc517aa6a2f31f8f07a206f4d7f07a": 42,
    "0xcb3106424ff43365f084df13aba1526769120a79": 30,
    "0xa4ade1e23f0f98524727797b4975b450a4a8775c": 30,
    "0xa58b6105e208cb23e7566d69120319e30a1a9ec4": 44,
    "0x8c5f8af7a932613efe12cc25d38387e9654517a7": 30,
    "0x979443bebd684daee44ea7a6d599bd6ed4cafd55": 30,
    "0xf5806e5c1c9402dcc87e9adf47bc7bc2f18cf556": 30,
    "0xab346efef1ffe377cdad686abeab62e83df1099f": 30,
    "0xbad37a7dfea2aa4fa0198ee4c644632a2d7c91c2": 30,
    "0xc68b2c011f8df2190f239ddf5d49cb59324528e7": 30,
    "0xfe4a0d465636ba3f6906818af88c1e01ae0d9d6e": 30,
    "0x93df2c9c8786242b8fdca3f96b3914b8b4a9f704": 41,
    "0x4bf2c2956942b2dd40517bce423917311f564d16": 30,
    "0x15e270175f4f2347153d4d113b459590888613e7": 30,
    "0xe8b2b5a8a4174b256828fca0f40a8831521160e5": 30,
    "0xa3d34ba0400a3952a6c81c4629c3971f1537ae6f": 30,
    "0x24b6694982843b03c75bb25e1fb74167b55b57b6": 30,
    "0x9ec8433487939bc432e79fa471a8605610659e41": 30,
    "0xde4612757719829d1df069213a5f4317bb7503e7": 55,
    "0x9b72b693440042c3a8045c569c1f9b61b5a92fa9": 30,
    "0x49788613913050ce0da9c8313654cee3f4848a9e": 30,
    "0x0dcb08eabb2bedf838226fb7b2c15a69132df8b2": 30,
    "0xf945fa5b71cfaa2736b427b7213cff14cc83279c": 35,
}


@pytest.fixture(scope="module")
def ronin():
    read = read_transfers(DUNE)
    labels = shipped_service_labels()
    res = trace(read.frame, [EXPLOITER], TraceParams(method="haircut"), labels)
    detect(res, read.frame, labels)
    return read.frame, res


def _row(res, address):
    return res.addresses.filter(pl.col("address") == address).row(0, named=True)


def test_the_excerpt_is_what_its_provenance_says(ronin):
    frame, _ = ronin
    present = set(frame["from"]) | set(frame["to"])
    assert TORNADO_100_ETH not in present  # no mixer deposits in the excerpt
    assert not present & set(EXCHANGE_DEPOSITS)  # nor exchange deposit addresses
    assert set(TC_DEPOSITS) <= present


def test_the_exploiters_outflow_is_the_theft_plus_the_swapped_usdc(ronin):
    frame, res = ronin
    swapped_in = frame.filter(pl.col("from").is_in(SWAPPERS) & (pl.col("to") == EXPLOITER.lower())
                              )["value"].sum()
    # 25.5 M USDC went to the two "used for swapping" addresses, which paid back in ETH.
    assert swapped_in == pytest.approx(8564.68, abs=0.01)
    out = res.flows.filter(pl.col("from") == EXPLOITER.lower())["tainted_value"].sum()
    # 173,600 ETH stolen (not in the excerpt: internal transfer) + the swapped ETH, less gas.
    assert out == pytest.approx(173_600 + swapped_in, abs=1.0)


def test_the_seven_intermediaries_to_tornado_cash(ronin):
    _, res = ronin
    for address, amount in INTERMEDIARIES_TO_TC.items():
        r = _row(res, address)
        assert (r["hops"], r["role"]) == (1, "intermediary"), address
        assert r["tainted_in"] == pytest.approx(amount)
        assert r["tainted_out"] >= 0.99 * amount  # passed on to depositors
    assert res.addresses.filter(pl.col("role") == "intermediary")["address"].to_list()[:7] == (
        list(INTERMEDIARIES_TO_TC))  # the largest hop-1 flows, in that order


def test_every_tornado_depositor_funded_in_the_excerpt_is_flagged_and_nothing_else(ronin):
    _, res = ronin
    staged = [f for f in res.findings if f.detector == "mixer_staging"]
    assert {f.address for f in staged} == set(TC_DEPOSITS)
    roles = dict(res.addresses.select("address", "role").iter_rows())
    assert {a for a, r in roles.items() if r == "mixer_depositor"} == set(TC_DEPOSITS)
    hops = dict(res.addresses.select("address", "hops").iter_rows())
    assert sum(hops[a] == 1 for a in TC_DEPOSITS) == 11  # paid by the exploiter, 04-04..04-15
    assert sum(hops[a] == 2 for a in TC_DEPOSITS) == 36  # paid by the 7 intermediaries


def test_the_100_eth_batches_match_the_public_deposit_counts(ronin):
    _, res = ronin
    inferred: dict[str, int] = {}
    for f in res.findings:
        if f.detector == "mixer_staging":
            m = re.search(r"= (\d+) x 100 ", f.detail)
            assert m, f.detail
            inferred[f.address] = inferred.get(f.address, 0) + int(m.group(1))
    same = [a for a in TC_DEPOSITS if inferred[a] == TC_DEPOSITS[a]]
    assert len(same) == 44
    # The three that differ, and why (checked in the CSV):
    assert inferred["0xbc25d57412a04956cdd95af07825c5c1f34d29eb"] == 10  # 1,000 + 1,001 ETH:
    # the round 1,000 is not counted as staging (an exact multiple is a round payment).
    assert inferred["0xdf225c84a0eaeaaac20e6c1d369e94ee13b9df2a"] == 32  # 1,526.4 + 1,749.2;
    # tayvano credits it 15 and 17 more to 0x01a5d510… (funded by it, outside the excerpt).
    assert inferred["0xb3656c5ed7ef97b4c9097d416df98e2e2a5dd81d"] == 53  # tayvano: 54
    assert sum(inferred.values()) == 1740  # tayvano: "a total of 1750 100 ETH deposits"
    big = {f.address: f for f in res.findings if f.detector == "mixer_staging"}
    f = big["0x002c93452d54b6d64bfa9879fcab14a74f1bdd44"]  # the largest daily batch, 87
    assert f.amount == pytest.approx(8721.2914) and str(f.time).startswith("2022-05-03 07:15")
    assert f.related == ("0x53b6936513e738f44fb50d2b9476730c0ab3bfc1",)


def test_the_payments_towards_exchanges_are_a_fan_out(ronin):
    _, res = ronin
    fan = [f for f in res.findings if f.detector == "fan_out" and f.address == EXPLOITER.lower()]
    assert len(fan) == 1
    assert set(fan[0].related) == set(INTERMEDIARIES_TO_CEX)
    assert fan[0].amount == pytest.approx(6250.0)  # = Dune weekly withdrawals, week 2022-03-28
    assert str(fan[0].time).startswith("2022-03-28 02:30")
    for a in INTERMEDIARIES_TO_CEX:
        r = _row(res, a)
        assert (r["role"], r["tainted_in"]) == ("endpoint", 1250.0)  # the excerpt ends here
        assert "fan_out_recipient" in r["findings"]
    assert not [f for f in res.findings if f.detector in ("exchange_deposit", "mixer_batch")]


def test_swapping_addresses_and_taint_methods_on_the_real_flows(ronin):
    frame, res = ronin
    for a in SWAPPERS:
        assert _row(res, a)["tainted_in"] == pytest.approx(1.0)  # the 1-ETH test payments
    poison = trace(frame, [EXPLOITER], TraceParams(method="poison"))
    fifo = trace(frame, [EXPLOITER], TraceParams(method="fifo"))
    for other in (res, fifo):
        joined = poison.addresses.join(other.addresses, on="address", suffix="_o")
        assert (joined["tainted_in"] >= joined["tainted_in_o"] - 1e-9).all()
    assert set(poison.addresses["address"]) == set(res.addresses["address"])


def test_ofac_seeds_found_in_the_transfers():
    frame = read_transfers(DUNE).frame
    seeds, _ = read_ofac_seeds(DATA / "dprk_ofac_crypto_addresses.csv")
    present = set(frame["from"]) | set(frame["to"])
    found = sorted(a for a in present if match_seed(a, seeds))
    assert found == sorted([EXPLOITER.lower(), *INTERMEDIARIES_TO_TC])


def test_trace_command_labels_sdn_addresses_on_the_real_excerpt(tmp_path):
    from typer.testing import CliRunner

    from sanctionwatch.cli.app import app

    res = CliRunner().invoke(app, [
        "trace", EXPLOITER, "--transfers", str(DUNE), "--out", str(tmp_path),
        "--ofac", str(DATA / "dprk_ofac_crypto_addresses.csv"), "--no-png"])
    assert res.exit_code == 0, res.output
    assert "lacks tx_hash" in res.output
    a = pl.read_csv(tmp_path / "addresses.csv")
    listed = a.filter(pl.col("category") == "sanctioned")
    assert set(listed["address"]) == {EXPLOITER.lower(), *INTERMEDIARIES_TO_TC}
    assert listed["label"].str.starts_with("OFAC SDN: LAZARUS GROUP (DPRK3").all()
    assert a.filter(pl.col("role") == "mixer_depositor").height == 47
