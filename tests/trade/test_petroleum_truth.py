"""The simulator's petroleum-delivery truth (``deliveries.parquet``), from port-call labels and
the planted transfers, without drawing a random number."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sanctionwatch.simulate.labels import delivery_labels, label

T0 = datetime(2019, 3, 1, tzinfo=UTC)


def _call(mmsi: int, hours: float, port: str = "NAMPO", dprk: bool = True) -> dict:
    t = T0 + timedelta(hours=hours)
    row = label("port_call", mmsi, t, t + timedelta(hours=20), subtype="stop",
                is_dprk=dprk, port_country="PRK" if dprk else "CHN", port_name=port)
    assert json.loads(row["details"])["port_name"] == port
    return row


def test_sts_arrivals_planted_open_tanker_calls_direct_others_ignored() -> None:
    rows = [
        _call(445000001, 0.1),    # DPRK tanker in port at the start: no observed arrival
        _call(445000001, 80),     # back at Nampo after the transfer: the STS delivery
        _call(445000001, 140),    # a second call, no new transfer: a direct call
        _call(413000002, 50, "CH'AHO"),  # an ordinary tanker calling openly
        _call(413000003, 60),     # a bulk carrier: not a tanker, not a delivery
        _call(413000002, 90, "DALIAN", dprk=False),  # not a DPRK port
        _call(445000004, 30),     # STS tanker whose call came before its transfer
    ]
    first_seen = {m: T0 for m in (445000001, 413000002, 413000003, 445000004)}
    transfers = [
        {"mmsi": 445000001, "supplier_mmsi": 477000001, "transfer_end": T0 + timedelta(hours=60),
         "mechanism": "visible_sts"},
        {"mmsi": 445000004, "supplier_mmsi": 477000004, "transfer_end": T0 + timedelta(hours=40),
         "mechanism": "dark_sts"},  # back after the window closed: no delivery
    ]
    got = delivery_labels(rows, first_seen, {445000001, 413000002, 445000004}, transfers,
                          {445000001: "sts_visible"})
    assert got.select("mmsi", "mechanism", "planted", "supplier_mmsi").rows() == [
        (445000004, "direct_port_call", False, None),
        (413000002, "direct_port_call", False, None),
        (445000001, "visible_sts", True, 477000001),
        (445000001, "direct_port_call", False, None),
    ]
    sts = got.row(2, named=True)
    assert sts["arrival_time"] == T0 + timedelta(hours=80) and sts["behaviour"] == "sts_visible"
    assert sts["port_name"] == "NAMPO"
