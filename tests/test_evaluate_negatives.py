"""Hard negatives in the evaluation: false positives inside a window are counted apart,
events in an optional window are not scored, the types the windows name are evaluated."""

import json
from datetime import timedelta

import polars as pl
from typer.testing import CliRunner

from sanctionwatch.evaluate import evaluate, read_events
from sanctionwatch.schema import EVENTS
from sanctionwatch.simulate.labels import negatives_frame
from tests.test_evaluate import T0, cli_app, frame


def _negatives(*rows):
    """(kind, not, mmsi, other, start_h, end_h[, expected[, bbox[, subtype]]])."""
    out = []
    for r in rows:
        kind, typ, mmsi, other, s, e = r[:6]
        out.append({"kind": kind, "not": typ, "mmsi": mmsi, "other_mmsi": other,
                    "start_time": T0 + timedelta(hours=s), "end_time": T0 + timedelta(hours=e),
                    "expected": r[6] if len(r) > 6 else "none",
                    "bbox": r[7] if len(r) > 7 else None,
                    "subtype": r[8] if len(r) > 8 else None})
    return negatives_frame(out)


def _with_position(ev, lat, lon):
    return ev.with_columns(pl.Series("lat", lat, pl.Float64), pl.Series("lon", lon, pl.Float64))


def test_false_positives_inside_windows_are_counted_per_type_and_kind():
    lab = frame(("port_call", 1, None, 0, 2))
    ev = _with_position(frame(
        ("port_call", 1, None, 0, 2),          # TP
        ("ais_gap", 2, None, 5, 12),           # in the feed outage
        ("ais_gap", 3, None, 20, 30),          # outside it: a plain FP
        ("encounter", 4, 5, 1, 3),             # the pair trawlers' pair
        ("encounter", 4, 6, 1, 3),             # another pair: plain FP
        ("port_call", 9, None, 40, 41),        # a base station: any type
        ("port_call", 7, None, 1, 2),          # in the unlisted harbour: not scored
        ("spoofing", 8, None, 1, 2, "invalid_imo"),        # USCG number
        ("spoofing", 8, None, 1, 2, "impossible_speed"),   # other subtype: plain FP
    ), [30.0, 30.0, 30.0, 30.0, 30.0, 30.0, 35.0, 30.0, 30.0],
        [120.0] * 6 + [125.0, 120.0, 120.0])
    neg = _negatives(
        ("feed_outage", "ais_gap", None, None, 6, 14),
        ("pair_trawl", "encounter", 5, 4, 0, 48),
        ("base_station", None, 9, None, 0, 48),
        ("unlisted_harbour", "port_call", 7, None, 0, 20, "optional", (124.9, 34.9, 125.1, 35.1)),
        ("unlisted_harbour", "loitering", 7, None, 0, 20, "none", (124.9, 34.9, 125.1, 35.1)),
        ("uscg_number", "spoofing", 8, None, 0, 48, "none", None, "invalid_imo"),
    )
    r = evaluate(ev, lab, negatives=neg)
    assert sorted(r.per_type) == ["ais_gap", "encounter", "loitering", "port_call", "spoofing"]
    gap, enc, pc, sp = (r.per_type[t] for t in ("ais_gap", "encounter", "port_call", "spoofing"))
    assert (gap.fp, gap.fp_hard_negative, gap.precision) == (2, 1, 0.0)
    assert (enc.fp, enc.fp_hard_negative) == (2, 1)
    assert (pc.tp, pc.fp, pc.fp_hard_negative, pc.not_scored) == (1, 1, 1, 1)
    assert pc.precision == 0.5 and pc.recall == 1.0
    assert (sp.fp, sp.fp_hard_negative) == (2, 1)
    assert r.per_type["loitering"].n_events == 0
    assert r.hard_negative_hits == {"base_station": {"port_call": 1},
                                    "feed_outage": {"ais_gap": 1},
                                    "pair_trawl": {"encounter": 1},
                                    "uscg_number": {"spoofing": 1}}
    assert r.micro.not_scored == 1 and r.micro.fp_hard_negative == 4
    fps = r.false_positives
    assert fps.height == 7 and fps["negative_kind"].null_count() == 3
    d = r.to_dict()
    assert d["types"]["port_call"]["not_scored"] == 1
    assert d["hard_negative_hits"]["feed_outage"] == {"ais_gap": 1}


def test_a_box_holds_the_event_start_or_end_position():
    neg = _negatives(("area_outage", "ais_gap", None, None, 0, 10, "none", (120.0, 30.0, 121.0,
                                                                            31.0)))
    ev = frame(("ais_gap", 1, None, 2, 9), ("ais_gap", 2, None, 2, 9), ("ais_gap", 3, None, 2, 9))
    ev = ev.with_columns(pl.Series("lat", [30.5, 10.0, 10.0]),
                         pl.Series("lon", [120.5, 10.0, 10.0]),
                         pl.Series("end_lat", [10.0, 30.2, 10.0]),
                         pl.Series("end_lon", [10.0, 120.2, 10.0]))
    r = evaluate(ev, frame(), negatives=neg)
    assert r.per_type["ais_gap"].fp == 3 and r.per_type["ais_gap"].fp_hard_negative == 2


def test_without_negatives_nothing_changes():
    lab = frame(("encounter", 1, 2, 0, 3))
    ev = frame(("encounter", 2, 1, 1, 4), ("encounter", 3, 4, 1, 4))
    a, b = evaluate(ev, lab), evaluate(ev, lab, negatives=_negatives())
    assert a.to_dict() == b.to_dict()
    assert a.per_type["encounter"].fp_hard_negative == 0


def test_cli_reads_the_negatives_beside_the_labels_and_quality_findings(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    EVENTS.conform(frame(("ais_gap", 2, None, 5, 12)).with_columns(
        pl.lit("g").alias("event_id"))).write_parquet(out / "events.parquet")
    EVENTS.conform(frame(("invalid_imo", 3, None, 0, 1)).with_columns(
        pl.lit("q").alias("event_id"))).write_parquet(out / "quality.parquet")
    sim = tmp_path / "sim"
    sim.mkdir()
    frame(("invalid_imo", 3, None, 0, 48)).write_parquet(sim / "labels.parquet")
    _negatives(("feed_outage", "ais_gap", None, None, 6, 14)).write_parquet(
        sim / "negatives.parquet")
    assert read_events(out).height == 2
    res = CliRunner().invoke(cli_app(), ["evaluate", "--events", str(out), "--labels",
                                         str(sim / "labels.parquet"), "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["types"]["invalid_imo"]["tp"] == 1
    assert d["types"]["ais_gap"]["fp_hard_negative"] == 1
    table = CliRunner().invoke(cli_app(), ["evaluate", "--events", str(out), "--labels",
                                           str(sim / "labels.parquet")])
    assert table.exit_code == 0, table.output
    assert "FP in hard neg." in table.stdout and "feed_outage: ais_gap 1" in table.stdout
