"""Detection-quality evaluation on hand-made events and labels."""

import json
import math
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from sanctionwatch.cli.evaluate_cmd import evaluate as evaluate_cmd
from sanctionwatch.evaluate import (
    DEFAULT_TIME_TOLERANCE_MIN,
    EvaluationInputError,
    evaluate,
    read_events,
    read_labels,
)
from sanctionwatch.schema import EVENTS

T0 = datetime(2019, 3, 1, tzinfo=UTC)


def frame(*rows):
    """Rows (type, mmsi, other_mmsi, start_h, end_h[, subtype]) as an events/labels frame."""
    recs = []
    for r in rows:
        typ, mmsi, other, s, e = r[:5]
        recs.append(
            {
                "event_type": typ,
                "mmsi": mmsi,
                "other_mmsi": other,
                "start_time": T0 + timedelta(hours=s),
                "end_time": T0 + timedelta(hours=e),
                "subtype": r[5] if len(r) > 5 else None,
            }
        )
    return pl.DataFrame(
        recs,
        schema={
            "event_type": pl.Utf8,
            "mmsi": pl.Int64,
            "other_mmsi": pl.Int64,
            "start_time": pl.Datetime("us", "UTC"),
            "end_time": pl.Datetime("us", "UTC"),
            "subtype": pl.Utf8,
        },
    )


def counts(report, t):
    s = report.per_type[t]
    return s.tp, s.fp, s.fn


def test_exact_match_is_one_true_positive():
    lab = frame(("encounter", 1, 2, 0, 3))
    r = evaluate(lab, lab)
    assert counts(r, "encounter") == (1, 0, 0)
    s = r.per_type["encounter"]
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    assert r.matches["iou"].to_list() == [1.0]


def test_partial_time_overlap_matches():
    r = evaluate(frame(("ais_gap", 5, None, 2, 12)), frame(("ais_gap", 5, None, 0, 6)))
    assert counts(r, "ais_gap") == (1, 0, 0)
    assert r.matches["iou"][0] == pytest.approx(4 / 12)


def test_touching_intervals_overlap_but_disjoint_ones_do_not():
    assert counts(evaluate(frame(("ais_gap", 5, None, 6, 9)),
                           frame(("ais_gap", 5, None, 0, 6))), "ais_gap") == (1, 0, 0)
    r = evaluate(frame(("ais_gap", 5, None, 7, 9)), frame(("ais_gap", 5, None, 0, 6)))
    assert counts(r, "ais_gap") == (0, 1, 1)
    assert r.false_positives["event_index"].to_list() == [0]
    assert r.false_negatives["label_index"].to_list() == [0]


def test_other_vessel_does_not_match():
    r = evaluate(frame(("ais_gap", 6, None, 0, 6)), frame(("ais_gap", 5, None, 0, 6)))
    assert counts(r, "ais_gap") == (0, 1, 1)


def test_pair_matches_in_either_order():
    lab = frame(("encounter", 1, 2, 0, 3))
    assert counts(evaluate(frame(("encounter", 2, 1, 1, 4)), lab), "encounter") == (1, 0, 0)


def test_pair_label_needs_the_same_pair():
    lab = frame(("encounter", 1, 2, 0, 3))
    r = evaluate(frame(("encounter", 1, 3, 0, 3), ("encounter", 1, None, 0, 3)), lab)
    assert counts(r, "encounter") == (0, 2, 1)


def test_one_vessel_label_matches_either_party_of_an_event():
    lab = frame(("identity_change", 7, None, 5, 5), ("identity_change", 9, None, 5, 5))
    ev = frame(("identity_change", 3, 7, 5, 5), ("identity_change", 9, 11, 5, 5))
    assert counts(evaluate(ev, lab), "identity_change") == (2, 0, 0)


def test_two_events_for_one_label_give_one_tp_and_one_fp():
    lab = frame(("encounter", 1, 2, 0, 6))
    ev = frame(("encounter", 1, 2, 0, 2), ("encounter", 1, 2, 3, 6))
    r = evaluate(ev, lab)
    assert counts(r, "encounter") == (1, 1, 0)
    assert r.per_type["encounter"].precision == 0.5
    assert r.per_type["encounter"].recall == 1.0


def test_assignment_maximises_the_number_of_matches():
    # label 0 overlaps both events (more with event 0); label 1 overlaps only event 0:
    # greedy-by-overlap would give 1 TP, the assignment gives 2
    lab = frame(("ais_gap", 5, None, 0, 10), ("ais_gap", 5, None, 9, 10))
    ev = frame(("ais_gap", 5, None, 0, 10), ("ais_gap", 5, None, 0, 1))
    assert counts(evaluate(ev, lab), "ais_gap") == (2, 0, 0)


def test_same_subtype_is_preferred_for_simultaneous_changes():
    lab = frame(("identity_change", 5, None, 1, 1, "name"), ("identity_change", 5, None, 1, 1,
                                                               "flag"))
    ev = frame(("identity_change", 5, None, 1.1, 1.1, "flag"),
               ("identity_change", 5, None, 1.1, 1.1, "name"))
    r = evaluate(ev, lab)
    assert counts(r, "identity_change") == (2, 0, 0)
    pairs = sorted(zip(r.matches["label_index"], r.matches["event_index"], strict=True))
    assert pairs == [(0, 1), (1, 0)]


def test_instants_within_and_outside_the_tolerance():
    lab = frame(("identity_change", 5, None, 1, 1))
    inside = frame(("identity_change", 5, None, 1.5, 1.5))  # 30 min apart, windows touch
    assert counts(evaluate(inside, lab, time_tolerance_min=15), "identity_change") == (1, 0, 0)
    outside = frame(("identity_change", 5, None, 1.6, 1.6))  # 36 min > 2 × 15 min
    assert counts(evaluate(outside, lab, time_tolerance_min=15), "identity_change") == (0, 1, 1)
    # default tolerance: 30 min around each instant
    assert DEFAULT_TIME_TOLERANCE_MIN == 30
    assert counts(evaluate(outside, lab), "identity_change") == (1, 0, 0)
    far = frame(("identity_change", 5, None, 2.1, 2.1))
    assert counts(evaluate(far, lab), "identity_change") == (0, 1, 1)


def test_instant_against_an_interval():
    lab = frame(("spoofing", 5, None, 3, 3))
    assert counts(evaluate(frame(("spoofing", 5, None, 0, 2.75)), lab), "spoofing") == (1, 0, 0)
    assert counts(evaluate(frame(("spoofing", 5, None, 0, 2.25)), lab), "spoofing") == (0, 1, 1)


def test_types_are_isolated():
    # the loitering event has exactly the encounter label's vessels and times
    r = evaluate(frame(("loitering", 2, 1, 0, 3), ("ais_gap", 1, None, 0, 3)),
                 frame(("encounter", 1, 2, 0, 3), ("loitering", 3, None, 0, 3)))
    assert counts(r, "encounter") == (0, 0, 1)
    assert counts(r, "loitering") == (0, 1, 1)
    assert r.unlabelled_types == {"ais_gap": 1}


def test_unlabelled_types_are_reported_not_counted():
    lab = frame(("encounter", 1, 2, 0, 3))
    ev = frame(("encounter", 1, 2, 0, 3), ("zone_entry", 1, None, 0, 9),
               ("zone_entry", 2, None, 0, 9), ("loitering", 1, None, 0, 9))
    r = evaluate(ev, lab)
    assert list(r.per_type) == ["encounter"]
    assert r.unlabelled_types == {"loitering": 1, "zone_entry": 2}
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (1, 0, 0)
    # asked for explicitly, a type without labels is all false positives
    r2 = evaluate(ev, lab, types=["encounter", "zone_entry"])
    assert counts(r2, "zone_entry") == (0, 2, 0)
    assert r2.per_type["zone_entry"].recall is None
    assert r2.unlabelled_types == {"loitering": 1}


def test_empty_events_give_zero_recall_and_undefined_precision():
    lab = frame(("encounter", 1, 2, 0, 3), ("ais_gap", 5, None, 0, 6))
    r = evaluate(EVENTS.empty(), lab)
    s = r.per_type["encounter"]
    assert (s.tp, s.fp, s.fn) == (0, 0, 1)
    assert s.recall == 0.0
    assert s.precision is None
    assert s.f1 == 0.0
    assert r.micro.recall == 0.0 and r.micro.precision is None
    d = json.loads(json.dumps(r.to_dict()))
    assert d["types"]["encounter"]["precision"] is None


def test_empty_labels_and_events():
    r = evaluate(EVENTS.empty(), frame())
    assert r.per_type == {} and r.micro.f1 is None and r.unlabelled_types == {}
    r = evaluate(frame(("encounter", 1, 2, 0, 3)), frame())
    assert r.per_type == {} and r.unlabelled_types == {"encounter": 1}


def test_micro_totals():
    lab = frame(("encounter", 1, 2, 0, 3), ("ais_gap", 5, None, 0, 6), ("ais_gap", 6, None, 0, 6))
    ev = frame(("encounter", 1, 2, 0, 3), ("ais_gap", 5, None, 0, 6), ("ais_gap", 7, None, 0, 6))
    r = evaluate(ev, lab)
    assert (r.micro.tp, r.micro.fp, r.micro.fn) == (2, 1, 1)
    assert math.isclose(r.micro.precision or 0, 2 / 3)


def test_naive_timestamps_are_utc_and_labels_may_carry_extra_columns():
    lab = frame(("ais_gap", 5, None, 0, 6)).with_columns(
        pl.col("start_time").dt.replace_time_zone(None),
        pl.col("end_time").dt.replace_time_zone(None),
        pl.lit("{}").alias("details"),
    )
    assert counts(evaluate(frame(("ais_gap", 5, None, 1, 5)), lab), "ais_gap") == (1, 0, 0)


def test_missing_columns_name_the_input(tmp_path):
    bad = frame(("ais_gap", 5, None, 0, 6)).drop("other_mmsi")
    with pytest.raises(EvaluationInputError, match=r"mylabels.*other_mmsi"):
        evaluate(frame(), bad, labels_name="mylabels")
    path = tmp_path / "labels.parquet"
    bad.write_parquet(path)
    with pytest.raises(EvaluationInputError, match=r"labels\.parquet.*other_mmsi"):
        read_labels(path)
    epath = tmp_path / "events.parquet"
    bad.drop("end_time").write_parquet(epath)
    with pytest.raises(EvaluationInputError, match="end_time"):
        read_events(tmp_path)


def test_end_before_start_is_an_error():
    bad = frame(("ais_gap", 5, None, 6, 0))
    with pytest.raises(EvaluationInputError, match="end_time before start_time"):
        evaluate(frame(), bad)


# --------------------------------------------------------------------------- CLI


def cli_app():
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Test group."""

    app.command("evaluate")(evaluate_cmd)
    return app


def test_cli_table_and_json(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    EVENTS.conform(
        frame(("encounter", 2, 1, 1, 4), ("zone_entry", 1, None, 0, 9)).with_columns(
            pl.lit("x").alias("event_id")
        )
    ).write_parquet(out / "events.parquet")
    labels = tmp_path / "labels.parquet"
    frame(("encounter", 1, 2, 0, 3), ("ais_gap", 5, None, 0, 6)).write_parquet(labels)
    runner = CliRunner()
    res = runner.invoke(cli_app(), ["evaluate", "--events", str(out), "--labels", str(labels)])
    assert res.exit_code == 0, res.output
    assert "encounter" in res.output and "matching:" in res.output
    assert "zone_entry" in res.output  # listed as not evaluated
    res = runner.invoke(
        cli_app(),
        ["evaluate", "--events", str(out / "events.parquet"), "--labels", str(labels), "--json",
         "--type", "encounter"],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["types"]["encounter"]["tp"] == 1
    assert list(d["types"]) == ["encounter"]
    assert d["unlabelled_types"] == {"zone_entry": 1}


def test_cli_missing_file_fails_cleanly(tmp_path):
    res = CliRunner().invoke(
        cli_app(), ["evaluate", "--events", str(tmp_path), "--labels", str(tmp_path / "l.parquet")]
    )
    assert res.exit_code == 2


def test_subtype_agreement_outweighs_time_overlap():
    # pairing by IoU alone would put label 0 (name) with event 0 (flag, same interval)
    lab = frame(("identity_change", 5, None, 0, 4, "name"), ("identity_change", 5, None, 0, 4,
                                                             "flag"))
    ev = frame(("identity_change", 5, None, 0, 4, "flag"),
               ("identity_change", 5, None, 3, 5, "name"))
    r = evaluate(ev, lab)
    pairs = sorted(zip(r.matches["label_index"], r.matches["event_index"], strict=True))
    assert pairs == [(0, 1), (1, 0)]


def test_a_detect_folder_scores_its_data_quality_findings_too(tmp_path):
    frame(("ais_gap", 5, None, 0, 6)).write_parquet(tmp_path / "events.parquet")
    frame(("invalid_imo", 7, None, 1, 1)).write_parquet(tmp_path / "quality.parquet")
    got = read_events(tmp_path)
    assert sorted(got["event_type"].to_list()) == ["ais_gap", "invalid_imo"]
    lab = frame(("invalid_imo", 7, None, 1, 1))
    assert counts(evaluate(got, lab), "invalid_imo") == (1, 0, 0)
    assert read_events(tmp_path / "events.parquet").height == 1  # the file alone: events only
